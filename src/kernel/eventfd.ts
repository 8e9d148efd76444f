// eventfd (Linux: fs/eventfd.c): a 64-bit counter with one wait queue.
// poll: IN if count > 0, OUT if a write of 1 could succeed, ERR at ULLONG_MAX. Never RDNORM,
// WRNORM or HUP. Every successful write wakes the queue, even a write of 0 and even when the
// counter was already non-zero: edge-triggered epoll gets an event per write.

import { EFD, EPOLL, ULLONG_MAX } from '../abi/constants.ts';
import type { SysResult } from '../api/syscalls.ts';
import { ERESTARTSYS, ERRNO, errWhy, failWhy, toResult } from './errors.ts';
import { File, type FileOperations, type PollTable, pollWait } from './file.ts';
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
  /** The counter, 0 .. 2^64−1 (bigint: it is a full u64). */
  count: bigint;
  /** EFD_SEMAPHORE: reads take 1 instead of everything. */
  readonly semaphore: boolean;
  readonly wqh: WaitQueueHead;
}

const EFD_FLAGS_SET = EFD.EFD_SEMAPHORE | EFD.EFD_NONBLOCK | EFD.EFD_CLOEXEC;

// Linux: eventfd_poll.
function eventfdPoll(k: Kernel, file: File, pt: PollTable | null): number {
  const ctx = file.priv as EventfdCtx;
  pollWait(file, ctx.wqh, pt);
  let mask = 0;
  if (ctx.count > 0n) mask |= EPOLL.EPOLLIN;
  if (ctx.count === ULLONG_MAX) mask |= EPOLL.EPOLLERR;
  if (ULLONG_MAX - 1n > ctx.count) mask |= EPOLL.EPOLLOUT;
  k.stats.fopPollCalls++;
  return mask;
}

// Linux: eventfd_read.
function eventfdRead(t: Thread, file: File, buf: Uint8Array, count: number): MaySleep<number> {
  const ctx = file.priv as EventfdCtx;
  if (count < 8) return errWhy(t.k, -EINVAL, 'eventfd_read', 'count < 8: the buffer cannot hold the u64');
  if (ctx.count === 0n) {
    if (file.nonblock)
      return errWhy(t.k, -EAGAIN, 'eventfd_read', 'the counter is 0 and {file} is O_NONBLOCK', file.id);
    return eventfdReadWait(t, file, buf, count);
  }
  const value = ctx.semaphore ? 1n : ctx.count;
  ctx.count -= value;
  t.k.emit?.({ type: 'eventfd_read', file: file.id, value: value.toString(), count: ctx.count.toString() });
  if (waitqueueActive(ctx.wqh)) wakeUp(t.k, ctx.wqh, 1, EPOLL.EPOLLOUT, 'eventfd_read');
  else if (t.k.emit) wakeSkipped(t.k, ctx.wqh, 'eventfd_read', 'no waiter on the queue (waitqueue_active)');
  new DataView(buf.buffer, buf.byteOffset, 8).setBigUint64(0, value, true);
  return 8;
}

/** Linux: eventfd_read's wait for a non-zero count, then the read again. */
function* eventfdReadWait(t: Thread, file: File, buf: Uint8Array, count: number): SysGen<number> {
  const ctx = file.priv as EventfdCtx;
  do {
    const reason = yield* sleepOn(t, ctx.wqh, 'shared_tail');
    // Linux: eventfd_read's loop — signal_pending → -ERESTARTSYS.
    if (reason === 'signal') return -ERESTARTSYS;
  } while (ctx.count === 0n && !file.nonblock);
  const r = eventfdRead(t, file, buf, count);
  return typeof r === 'number' ? r : yield* r;
}

// Linux: eventfd_write — exactly 8 bytes since ≈6.9 (before: at least 8).
function eventfdWrite(t: Thread, file: File, data: Uint8Array): MaySleep<number> {
  if (data.length !== 8) return errWhy(t.k, -EINVAL, 'eventfd_write', 'the buffer is not exactly 8 bytes');
  const value = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
  if (value === ULLONG_MAX) return errWhy(t.k, -EINVAL, 'eventfd_write', 'the value is 0xffffffffffffffff');
  return eventfdAdd(t, file, value);
}

/** Linux: eventfd_write once the value is copied in: wait for room under ULLONG_MAX, then add. */
function eventfdAdd(t: Thread, file: File, value: bigint): MaySleep<number> {
  const ctx = file.priv as EventfdCtx;
  if (!(ULLONG_MAX - ctx.count > value)) {
    if (file.nonblock)
      return errWhy(
        t.k,
        -EAGAIN,
        'eventfd_write',
        'the counter would pass 0xfffffffffffffffe and {file} is O_NONBLOCK',
        file.id,
      );
    return eventfdAddWait(t, file, value);
  }
  ctx.count += value;
  if (waitqueueActive(ctx.wqh)) wakeUp(t.k, ctx.wqh, 1, EPOLL.EPOLLIN, 'eventfd_write');
  else if (t.k.emit) wakeSkipped(t.k, ctx.wqh, 'eventfd_write', 'no waiter on the queue (waitqueue_active)');
  return 8;
}

/** Linux: eventfd_write's wait for room, then the add again. */
function* eventfdAddWait(t: Thread, file: File, value: bigint): SysGen<number> {
  const ctx = file.priv as EventfdCtx;
  do {
    const reason = yield* sleepOn(t, ctx.wqh, 'shared_tail');
    // Linux: eventfd_write's loop — signal_pending → -ERESTARTSYS.
    if (reason === 'signal') return -ERESTARTSYS;
  } while (!(ULLONG_MAX - ctx.count > value) && !file.nonblock);
  const r = eventfdAdd(t, file, value);
  return typeof r === 'number' ? r : yield* r;
}

export const eventfdOps: FileOperations = {
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
};

/** Linux: eventfd2. initval is an unsigned int. */
export function sys_eventfd2(t: Thread, initval: number, flags: number): SysResult {
  if ((flags & ~EFD_FLAGS_SET) !== 0)
    return failWhy(t.k, 'EINVAL', 'do_eventfd', 'flags other than EFD_SEMAPHORE, EFD_NONBLOCK, EFD_CLOEXEC');
  const k = t.k;
  const id = k.nextId();
  const ctx: EventfdCtx = {
    id,
    count: BigInt(initval >>> 0),
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
    count: ctx.count.toString(),
    semaphore: ctx.semaphore,
    wqh: snapshotWaitQueue(ctx.wqh),
  };
}
