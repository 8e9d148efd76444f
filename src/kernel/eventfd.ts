// eventfd (Linux: fs/eventfd.c): a 64-bit counter with one wait queue.
// poll: IN if count > 0, OUT if a write of 1 could succeed, ERR at ULLONG_MAX. Never RDNORM,
// WRNORM or HUP. Every successful write wakes the queue, even a write of 0 and even when the
// counter was already non-zero: edge-triggered epoll gets an event per write.
//
// The counter is a full u64. Not Linux in form: it is kept as two u32 halves (hi, lo) in plain
// numbers rather than one bigint, because every bigint operation allocates and eventfd's read,
// write and poll are on the benchmark's hot path; the arithmetic below is the u64 arithmetic of
// eventfd.c, carried by hand.

import { EFD, EPOLL } from '../abi/constants.ts';
import type { SysResult } from '../api/syscalls.ts';
import { ERESTARTSYS, ERRNO, errWhy, failWhy, toResult } from './errors.ts';
import { File, type FileOperations, fileOperations, type PollTable, pollWait } from './file.ts';
import { installFd } from './fs.ts';
import type { Kernel } from './kernel.ts';
import { type MaySleep, type SysGen, sleepOn, type Thread } from './sched.ts';
import {
  newWaitQueue,
  snapshotWaitQueue,
  type WaitQueueHead,
  waitqueueActive,
  wakeSkipped,
  wakeUp,
} from './waitqueue.ts';

const { EAGAIN, EINVAL } = ERRNO;

/** Linux: struct eventfd_ctx. */
export interface EventfdCtx {
  readonly id: number;
  /** The counter's high 32 bits (the counter is a u64, 0 .. 2^64−1). */
  hi: number;
  /** The counter's low 32 bits. */
  lo: number;
  /** EFD_SEMAPHORE: reads take 1 instead of everything. */
  readonly semaphore: boolean;
  readonly wqh: WaitQueueHead;
}

const EFD_FLAGS_SET = EFD.EFD_SEMAPHORE | EFD.EFD_NONBLOCK | EFD.EFD_CLOEXEC;
const U32_MAX = 0xffffffff;
const TWO32 = 0x1_0000_0000;

/** The counter as one bigint (traces and snapshots only). */
export function eventfdCount(ctx: EventfdCtx): bigint {
  return (BigInt(ctx.hi) << 32n) | BigInt(ctx.lo);
}

/** Read a little-endian u32 at `at`. */
function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** Write a little-endian u32 at `at`. */
function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = v >>> 24;
}

// Linux: eventfd_poll.
function eventfdPoll(k: Kernel, file: File, pt: PollTable | null): number {
  const ctx = file.priv as EventfdCtx;
  pollWait(file, ctx.wqh, pt);
  const { hi, lo } = ctx;
  let mask = 0;
  if (hi !== 0 || lo !== 0) mask |= EPOLL.EPOLLIN;
  if (hi === U32_MAX && lo === U32_MAX) mask |= EPOLL.EPOLLERR;
  // ULLONG_MAX - 1 > count.
  if (hi !== U32_MAX || lo < U32_MAX - 1) mask |= EPOLL.EPOLLOUT;
  k.stats.fopPollCalls++;
  return mask;
}

// Linux: eventfd_read.
function eventfdRead(t: Thread, file: File, buf: Uint8Array, count: number): MaySleep<number> {
  const ctx = file.priv as EventfdCtx;
  if (count < 8) return errWhy(t.k, -EINVAL, 'eventfd_read', 'count < 8: the buffer cannot hold the u64');
  if (ctx.hi === 0 && ctx.lo === 0) {
    if (file.nonblock)
      return errWhy(t.k, -EAGAIN, 'eventfd_read', 'the counter is 0 and {file} is O_NONBLOCK', file.id);
    return eventfdReadWait(t, file, buf, count);
  }
  // Linux: eventfd_ctx_do_read — the value read is 1 (EFD_SEMAPHORE) or the whole counter.
  let vhi = ctx.hi;
  let vlo = ctx.lo;
  if (ctx.semaphore) {
    vhi = 0;
    vlo = 1;
    if (ctx.lo === 0) {
      ctx.hi -= 1;
      ctx.lo = U32_MAX;
    } else ctx.lo -= 1;
  } else ctx.hi = ctx.lo = 0;
  if (t.k.emit) {
    const value = (BigInt(vhi) << 32n) | BigInt(vlo);
    t.k.emit({
      type: 'eventfd_read',
      file: file.id,
      value: value.toString(),
      count: eventfdCount(ctx).toString(),
    });
  }
  if (waitqueueActive(ctx.wqh)) wakeUp(t.k, ctx.wqh, 1, EPOLL.EPOLLOUT, 'eventfd_read');
  else if (t.k.emit) wakeSkipped(t.k, ctx.wqh, 'eventfd_read', 'no waiter on the queue (waitqueue_active)');
  putU32(buf, 0, vlo);
  putU32(buf, 4, vhi);
  return 8;
}

/** Linux: eventfd_read's wait for a non-zero count, then the read again. */
function* eventfdReadWait(t: Thread, file: File, buf: Uint8Array, count: number): SysGen<number> {
  const ctx = file.priv as EventfdCtx;
  do {
    const reason = yield* sleepOn(t, ctx.wqh, 'shared_tail');
    // Linux: eventfd_read's loop — signal_pending → -ERESTARTSYS.
    if (reason === 'signal') return -ERESTARTSYS;
  } while (ctx.hi === 0 && ctx.lo === 0 && !file.nonblock);
  const r = eventfdRead(t, file, buf, count);
  return typeof r === 'number' ? r : yield* r;
}

// Linux: eventfd_write — exactly 8 bytes since ≈6.9 (before: at least 8).
function eventfdWrite(t: Thread, file: File, data: Uint8Array): MaySleep<number> {
  if (data.length !== 8) return errWhy(t.k, -EINVAL, 'eventfd_write', 'the buffer is not exactly 8 bytes');
  const lo = u32(data, 0);
  const hi = u32(data, 4);
  if (hi === U32_MAX && lo === U32_MAX)
    return errWhy(t.k, -EINVAL, 'eventfd_write', 'the value is 0xffffffffffffffff');
  return eventfdAdd(t, file, hi, lo);
}

/** Linux: eventfd_write's test ULLONG_MAX - ctx->count > ucnt: the sum stays below ULLONG_MAX. */
function eventfdRoom(ctx: EventfdCtx, hi: number, lo: number): boolean {
  const sumLo = ctx.lo + lo;
  const sumHi = ctx.hi + hi + (sumLo >= TWO32 ? 1 : 0);
  return sumHi < U32_MAX || (sumHi === U32_MAX && sumLo - (sumLo >= TWO32 ? TWO32 : 0) < U32_MAX);
}

/** Linux: eventfd_write once the value is copied in: wait for room under ULLONG_MAX, then add. */
function eventfdAdd(t: Thread, file: File, hi: number, lo: number): MaySleep<number> {
  const ctx = file.priv as EventfdCtx;
  if (!eventfdRoom(ctx, hi, lo)) {
    if (file.nonblock)
      return errWhy(
        t.k,
        -EAGAIN,
        'eventfd_write',
        'the counter would pass 0xfffffffffffffffe and {file} is O_NONBLOCK',
        file.id,
      );
    return eventfdAddWait(t, file, hi, lo);
  }
  const sumLo = ctx.lo + lo;
  ctx.hi = ctx.hi + hi + (sumLo >= TWO32 ? 1 : 0);
  ctx.lo = sumLo >= TWO32 ? sumLo - TWO32 : sumLo;
  if (waitqueueActive(ctx.wqh)) wakeUp(t.k, ctx.wqh, 1, EPOLL.EPOLLIN, 'eventfd_write');
  else if (t.k.emit) wakeSkipped(t.k, ctx.wqh, 'eventfd_write', 'no waiter on the queue (waitqueue_active)');
  return 8;
}

/** Linux: eventfd_write's wait for room, then the add again. */
function* eventfdAddWait(t: Thread, file: File, hi: number, lo: number): SysGen<number> {
  const ctx = file.priv as EventfdCtx;
  do {
    const reason = yield* sleepOn(t, ctx.wqh, 'shared_tail');
    // Linux: eventfd_write's loop — signal_pending → -ERESTARTSYS.
    if (reason === 'signal') return -ERESTARTSYS;
  } while (!eventfdRoom(ctx, hi, lo) && !file.nonblock);
  const r = eventfdAdd(t, file, hi, lo);
  return typeof r === 'number' ? r : yield* r;
}

export const eventfdOps: FileOperations = fileOperations({
  type: 'eventfd',
  snapshot: (_k, file) => snapshotEventfd(file.priv as EventfdCtx),
  poll: eventfdPoll,
  read: eventfdRead,
  // Not Linux (fs.ts readBuffer): eventfd_read returns a u64 or nothing, asleep or not.
  readMax: () => 8,
  write: eventfdWrite,
  // Linux: eventfd_release — wake_up_poll(HUP). Epoll items are gone by now and select/poll
  // hold references, so nobody can observe it; it is kept for the trace.
  release(k, file) {
    const ctx = file.priv as EventfdCtx;
    if (waitqueueActive(ctx.wqh)) wakeUp(k, ctx.wqh, 1, EPOLL.EPOLLHUP, 'eventfd_release');
  },
});

/** Linux: eventfd2. initval is an unsigned int. */
export function sys_eventfd2(t: Thread, initval: number, flags: number): SysResult {
  if ((flags & ~EFD_FLAGS_SET) !== 0)
    return failWhy(t.k, 'EINVAL', 'do_eventfd', 'flags other than EFD_SEMAPHORE, EFD_NONBLOCK, EFD_CLOEXEC');
  const k = t.k;
  const id = k.nextId();
  const ctx: EventfdCtx = {
    id,
    hi: 0,
    lo: initval >>> 0,
    semaphore: (flags & EFD.EFD_SEMAPHORE) !== 0,
    wqh: newWaitQueue(k, 'eventfd.wqh', id),
  };
  // Linux: the file is O_RDWR | (flags & O_NONBLOCK).
  const file = new File(k, eventfdOps, 0o2 | (flags & EFD.EFD_NONBLOCK), ctx);
  return toResult(installFd(k, t, file, (flags & EFD.EFD_CLOEXEC) !== 0));
}

export function snapshotEventfd(ctx: EventfdCtx): object {
  return {
    id: ctx.id,
    count: eventfdCount(ctx).toString(),
    semaphore: ctx.semaphore,
    wqh: snapshotWaitQueue(ctx.wqh),
  };
}
