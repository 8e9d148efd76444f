// Anonymous pipes (Linux: fs/pipe.c, include/linux/pipe_fs_i.h), as of the 5.5 rewrite and
// the 5.14 poll_usage change, read from 6.12 and checked on 6.18 (reference §5.1).
//
// The ring. A pipe is `ringSize` slots (a power of two, 16 by default), each one 4096-byte page
// with {offset, len, flags}. `head` and `tail` run freely; slot i lives at bufs[i & (ringSize-1)];
// occupancy = head − tail, full ⇔ occupancy ≥ maxUsage, empty ⇔ head = tail. Capacity counts
// slots, not bytes: 16 writes of 1 byte with O_DIRECT fill a pipe, and so do 16 writes of 4000.
//
// Writing (pipe_write). A normal write first tries, once, to merge `len mod 4096` bytes into the
// last slot (it needs CAN_MERGE and room up to the page end, but no free slot); then it fills
// fresh slots a page at a time. So a write of at most PIPE_BUF bytes is all-or-nothing, a longer
// one may be partial, and a write of exactly 4096 never merges. An O_DIRECT writer makes PACKET
// slots that never merge, and a read returns at most one packet and discards what it leaves.
//
// Waking (the part epoll can see). Blocked readers and writers wait exclusively at the tail of
// rd_wait / wr_wait. A read wakes wr_wait only if the pipe was full when it started; a write
// wakes rd_wait if the pipe was empty when it started, or, once anything has ever polled the
// pipe (poll_usage), after every write — including one that fails with EAGAIN or EPIPE after
// taking the lock. Each passes the turn on to the next blocked reader/writer. Releasing the
// last reader or writer wakes both queues with no key and no exclusive budget.

import {
  EPOLL,
  F,
  FIONREAD,
  O,
  O_NOTIFICATION_PIPE,
  PAGE_SIZE,
  PIPE_DEF_BUFFERS,
  PIPE_MAX_SIZE,
} from '../abi/constants.ts';
import type { Failure, SysResult } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import { ENOIOCTLCMD, ERESTARTSYS, ERRNO, errWhy, failWhy, toResult } from './errors.ts';
import {
  copyBytes,
  File,
  type FileOperations,
  FMODE_READ,
  FMODE_WRITE,
  fileOperations,
  fput,
  type PollTable,
  pollWait,
} from './file.ts';
import { defineKernelState, type Kernel } from './kernel.ts';
import { type MaySleep, type SysGen, sleepOn, type Thread } from './sched.ts';
import { SIG, sendSigToCurrent } from './signal.ts';
import { snapshotWaitQueue, WaitQueueHead, wakeSkipped, wakeUp } from './waitqueue.ts';

const { EAGAIN, EBUSY, EINVAL, EPERM, EPIPE } = ERRNO;

// Linux: include/linux/pipe_fs_i.h PIPE_BUF_FLAG_*
export const PIPE_BUF_FLAG_PACKET = 0x08;
export const PIPE_BUF_FLAG_CAN_MERGE = 0x10;

// Linux: fs/pipe.c __do_pipe_flags — the flags pipe2 accepts.
const PIPE2_FLAGS = O.O_CLOEXEC | O.O_NONBLOCK | O.O_DIRECT | O_NOTIFICATION_PIPE;

// Linux: fs/pipe.c pipe_user_pages_soft (/proc/sys/fs/pipe-user-pages-soft), PIPE_MIN_DEF_BUFFERS.
const PIPE_USER_PAGES_SOFT: number = 16384;
const PIPE_MIN_DEF_BUFFERS = 2;

const IN_KEY = EPOLL.EPOLLIN | EPOLL.EPOLLRDNORM;
const OUT_KEY = EPOLL.EPOLLOUT | EPOLL.EPOLLWRNORM;

/** Linux: struct pipe_buffer. One slot of the ring. */
export interface PipeBuffer {
  /** The slot's page; null while the slot is free (Linux releases it: pipe_buf_release). */
  page: Uint8Array | null;
  /** Where the unread data starts in the page; a read advances it. */
  offset: number;
  /** Unread bytes in the page from `offset`; the slot is freed (tail++) when a read empties it. */
  len: number;
  /** PIPE_BUF_FLAG_CAN_MERGE (normal writes) or PIPE_BUF_FLAG_PACKET (O_DIRECT writes). */
  flags: number;
}

/** Linux: struct pipe_inode_info. The private_data of both ends. */
export interface Pipe {
  readonly id: number;
  /**
   * Linux: bufs. `ringSize` slots; slot i is bufs[i & (ringSize − 1)]. Not Linux: the array is
   * made by the first write (NO_SLOTS before), and a slot's pipe_buffer when a write first takes
   * the slot (a hole before), so an idle pipe holds neither; every slot from tail to head has one.
   */
  bufs: PipeBuffer[];
  /** Linux: ring_size. A power of two; F_SETPIPE_SZ changes it. */
  ringSize: number;
  /** Linux: max_usage. Slots writers may fill (= ringSize for an anonymous pipe). */
  maxUsage: number;
  /** Linux: nr_accounted. The slots charged to the user (account_pipe_buffers); = ringSize. */
  nrAccounted: number;
  /** Linux: head. The next slot a writer fills; only writers (and resizes) move it. */
  head: number;
  /** Linux: tail. The oldest unread slot; only readers (and resizes) move it. */
  tail: number;
  /** Linux: readers. Open file descriptions with FMODE_READ (not descriptors: dups share one). */
  readers: number;
  /** Linux: writers. Open file descriptions with FMODE_WRITE. */
  writers: number;
  /** Linux: files. Open file descriptions of either kind; the pipe is freed when it reaches 0. */
  files: number;
  /** Linux: w_counter. FIFO open generation of writers; an anonymous pipe's starts (and stays) at 1. */
  readonly wCounter: number;
  /** Linux: poll_usage. Set forever by the first pipe_poll; from then on every write wakes rd_wait. */
  pollUsage: boolean;
  /**
   * Linux: tmp_page. A page freed by a read, kept for the next write (anon_pipe_buf_release /
   * anon_pipe_get_page): a pipe in steady use allocates no page per write.
   */
  tmpPage: Uint8Array | null;
  /** Linux: rd_wait. Blocked readers (exclusive, tail) and pollers of the read end. */
  readonly rdWait: WaitQueueHead;
  /** Linux: wr_wait. Blocked writers (exclusive, tail) and pollers of the write end. */
  readonly wrWait: WaitQueueHead;
  /**
   * rd_wait and wr_wait once made. Not Linux in form: Linux embeds both heads in the
   * pipe_inode_info; the model makes each on its first use (with the id it was given when the
   * pipe was made, so ids, names and traces are as if it had always been there), since a pipe
   * that nobody polls, reads or writes would otherwise spend a quarter of its memory on two
   * empty queues.
   */
  rdWaitQ: WaitQueueHead | null;
  wrWaitQ: WaitQueueHead | null;
}

/** Linux: struct file.f_pipe — 0 for an anonymous pipe's files (FIFO opens record r/w_counter). */
const ANON_F_PIPE = 0;

// Linux: pipe_occupancy / pipe_empty / pipe_full.
function occupancy(pipe: Pipe): number {
  return pipe.head - pipe.tail;
}
// Linux: include/linux/pipe_fs_i.h:pipe_empty
function pipeEmpty(pipe: Pipe): boolean {
  return pipe.head === pipe.tail;
}
// Linux: include/linux/pipe_fs_i.h:pipe_full
function pipeFull(pipe: Pipe): boolean {
  return occupancy(pipe) >= pipe.maxUsage;
}
// Linux: pipe_readable / pipe_writable — the conditions blocked readers and writers wait for.
function pipeReadable(pipe: Pipe): boolean {
  return !pipeEmpty(pipe) || pipe.writers === 0;
}
// Linux: fs/pipe.c:pipe_writable
function pipeWritable(pipe: Pipe): boolean {
  return !pipeFull(pipe) || pipe.readers === 0;
}

/** An occupied slot (tail ≤ index < head), which always has its pipe_buffer. */
function slotAt(pipe: Pipe, index: number): PipeBuffer {
  return pipe.bufs[index & (pipe.ringSize - 1)];
}

/** The ring of a pipe no write has used yet, shared by all of them (frozen: never written). */
const NO_SLOTS: PipeBuffer[] = Object.freeze([]) as unknown as PipeBuffer[];

/** The slot a write takes at `index` (= head), its pipe_buffer (and the ring) made on first use. */
function freshSlotAt(pipe: Pipe, index: number): PipeBuffer {
  if (pipe.bufs === NO_SLOTS) pipe.bufs = freeSlots(pipe.ringSize);
  const i = index & (pipe.ringSize - 1);
  return (pipe.bufs[i] ??= { page: null, offset: 0, len: 0, flags: 0 });
}

/** A ring of n slots, none used yet (holes: see Pipe.bufs). */
function freeSlots(n: number): PipeBuffer[] {
  return new Array<PipeBuffer>(n);
}

// ---- per-user page accounting ----
//
// Linux counts every user's pipe pages (user_struct.pipe_bufs, account_pipe_buffers) against
// pipe-user-pages-soft: past it an unprivileged user's new pipes get PIPE_MIN_DEF_BUFFERS (2)
// slots and growing a pipe is EPERM (pipe-user-pages-hard is 0: no hard limit). The model is
// one unprivileged user whose only pipes are this kernel's: the 1025th default pipe gets 2
// slots (checked on 6.18 as an unprivileged user). A privileged one (CAP_SYS_RESOURCE or
// CAP_SYS_ADMIN, e.g. root) has no such limit.
// Not Linux: the count is per-kernel state of this file type, since the core has no user_struct.
interface PipeUser {
  /** Linux: user->pipe_bufs. */
  pipeBufs: number;
}

const pipeUser = defineKernelState<PipeUser>(
  'pipe',
  () => ({ pipeBufs: 0 }),
  (u) => ({ userPipeBufs: u.pipeBufs, pipeUserPagesSoft: PIPE_USER_PAGES_SOFT }),
);

/** Linux: account_pipe_buffers — move a pipe's accounted slots from `old` to `now`; the user's new total. */
function accountPipeBuffers(k: Kernel, old: number, now: number): number {
  const user = k.state(pipeUser);
  user.pipeBufs += now - old;
  return user.pipeBufs;
}

/** Linux: too_many_pipe_buffers_soft. */
function tooManyPipeBuffersSoft(userBufs: number): boolean {
  return PIPE_USER_PAGES_SOFT !== 0 && userBufs > PIPE_USER_PAGES_SOFT;
}

/** The pipe pages the model's user has accounted (snapshots; Linux: user->pipe_bufs). */
export function pipeUserPages(k: Kernel): number {
  return k.state(pipeUser).pipeBufs;
}

// ---- f_op ----

// Linux: pipe_poll.
function pipePoll(k: Kernel, file: File, pt: PollTable | null): number {
  const pipe = file.priv as Pipe;
  k.stats.fopPollCalls++;
  // "Epoll has some historical nasty semantics, this enables them."
  pipe.pollUsage = true;
  // Register first, then test: a change after the test wakes the entry. (No table, nothing to
  // register: the queues are not even looked up, so an unwatched pipe's are never made.)
  if (pt !== null) {
    if (file.mode & FMODE_READ) pollWait(file, pipe.rdWait, pt);
    if (file.mode & FMODE_WRITE) pollWait(file, pipe.wrWait, pt);
  }
  let mask = 0;
  if (file.mode & FMODE_READ) {
    if (!pipeEmpty(pipe)) mask |= EPOLL.EPOLLIN | EPOLL.EPOLLRDNORM;
    // For an anonymous pipe f_pipe (0) never equals w_counter (1): this is "no writers".
    if (pipe.writers === 0 && ANON_F_PIPE !== pipe.wCounter) mask |= EPOLL.EPOLLHUP;
  }
  if (file.mode & FMODE_WRITE) {
    if (!pipeFull(pipe)) mask |= EPOLL.EPOLLOUT | EPOLL.EPOLLWRNORM;
    // "Most Unices set POLLERR for FIFOs opened for write when there are no readers."
    if (pipe.readers === 0) mask |= EPOLL.EPOLLERR;
  }
  return mask;
}

// Linux: pipe_read.
function pipeRead(t: Thread, file: File, buf: Uint8Array, count: number): MaySleep<number> {
  // Null read succeeds.
  if (count === 0) return 0;
  return pipeReadLocked(t, file, buf, count, false);
}

/**
 * pipe_read from mutex_lock to the end, and again after every wait (`woken`: Linux sets
 * wake_next_reader there). Only a read that has copied nothing sleeps, so going round again
 * needs nothing else: ret is 0 and all of `count` is still wanted.
 */
function pipeReadLocked(
  t: Thread,
  file: File,
  buf: Uint8Array,
  count: number,
  woken: boolean,
): MaySleep<number> {
  const k = t.k;
  const pipe = file.priv as Pipe;
  let totalLen = count;
  let ret = 0;
  let wakeNextReader = woken;
  // Writers are woken only if the pipe was full when this read started (or woke).
  const wasFull = pipeFull(pipe);
  for (;;) {
    if (!pipeEmpty(pipe)) {
      const b = slotAt(pipe, pipe.tail);
      const chars = Math.min(b.len, totalLen);
      // Linux: copy_page_to_iter.
      copyBytes(buf, ret, b.page!, b.offset, chars);
      ret += chars;
      b.offset += chars;
      b.len -= chars;
      // "Was it a packet buffer? Clean up and exit": the rest of the packet is discarded.
      if (b.flags & PIPE_BUF_FLAG_PACKET) {
        totalLen = chars;
        b.len = 0;
      }
      // A slot is freed only when it is empty: a partial read frees nothing.
      if (b.len === 0) {
        // Linux: anon_pipe_buf_release — keep the page for the next write if none is kept.
        if (pipe.tmpPage === null) pipe.tmpPage = b.page;
        b.page = null;
        b.flags = 0;
        pipe.tail++;
      }
      totalLen -= chars;
      if (totalLen === 0) break; // the common path: read succeeded
      if (!pipeEmpty(pipe)) continue;
    }
    // Empty. EOF (0) when nobody can write, even under O_NONBLOCK.
    if (pipe.writers === 0) break;
    // Never wait for more once something has been read.
    if (ret) break;
    if (file.nonblock) {
      ret = errWhy(
        k,
        -EAGAIN,
        'pipe_read',
        'the pipe is empty, has writers, and {file} is O_NONBLOCK',
        file.id,
      );
      break;
    }
    // Linux: only a read that freed zero-length slots can get here with was_full; kept as written.
    if (wasFull) wakeUp(k, pipe.wrWait, 1, OUT_KEY, 'pipe_read');
    return pipeReadWait(t, file, buf, count);
  }
  if (pipeEmpty(pipe)) wakeNextReader = false;
  // Linux: wake_up_interruptible_sync_poll — nr_exclusive 1 (sync is only a scheduling hint).
  if (wasFull) wakeUp(k, pipe.wrWait, 1, OUT_KEY, 'pipe_read');
  if (wakeNextReader) wakeUp(k, pipe.rdWait, 1, IN_KEY, 'pipe_read');
  return ret;
}

/** Linux: pipe_read's sleep, then round its loop again (mutex_lock; was_full = ...; wake_next_reader). */
function* pipeReadWait(t: Thread, file: File, buf: Uint8Array, count: number): SysGen<number> {
  const pipe = file.priv as Pipe;
  // Linux: wait_event_interruptible_exclusive(pipe->rd_wait, pipe_readable(pipe)).
  while (!pipeReadable(pipe)) {
    const reason = yield* sleepOn(t, pipe.rdWait, 'exclusive');
    // Linux: wait_event_interruptible_exclusive(...) < 0 → -ERESTARTSYS (the condition wins).
    if (reason === 'signal' && !pipeReadable(pipe)) return -ERESTARTSYS;
  }
  const r = pipeReadLocked(t, file, buf, count, true);
  return typeof r === 'number' ? r : yield* r;
}

/** What pipe_write carries from its locked part to its wake-ups at `out:`, across its waits. */
interface WriteState {
  /** Bytes written, or -errno when nothing was. */
  ret: number;
  /** How much of the data has been copied (Linux: the iov_iter's position). */
  pos: number;
  /** Linux: was_empty. The pipe was empty when this write (last) took the lock. */
  wasEmpty: boolean;
  /** Linux: wake_next_writer. This writer slept, so it passes the turn on. */
  wakeNextWriter: boolean;
}

// Linux: pipe_write.
function pipeWrite(t: Thread, file: File, data: Uint8Array): MaySleep<number> {
  // Null write succeeds: no EPIPE and no SIGPIPE, even with no readers.
  if (data.length === 0) return 0;
  const st: WriteState = { ret: 0, pos: 0, wasEmpty: false, wakeNextWriter: false };
  if (!pipeWriteLocked(t, file, data, st)) return pipeWriteWait(t, file, data, st);
  return pipeWriteOut(t.k, file.priv as Pipe, st);
}

/** Linux: pipe_write's `out:` — the wake-ups every write reaches, however it ended. */
function pipeWriteOut(k: Kernel, pipe: Pipe, st: WriteState): number {
  if (pipeFull(pipe)) st.wakeNextWriter = false;
  // "Epoll nonsensically wants a wakeup whether the pipe was already empty or not."
  if (st.wasEmpty || pipe.pollUsage) wakeUp(k, pipe.rdWait, 1, IN_KEY, 'pipe_write');
  else if (k.emit)
    wakeSkipped(
      k,
      pipe.rdWait,
      'pipe_write',
      st.ret < 0
        ? 'nothing written'
        : 'the pipe was not empty (its readers were woken when it filled) and no poll/epoll ever used it (pipe->poll_usage)',
    );
  if (st.wakeNextWriter) wakeUp(k, pipe.wrWait, 1, OUT_KEY, 'pipe_write');
  return st.ret;
}

/**
 * Linux: pipe_write from mutex_lock: the EPIPE check and the merge into the last slot, then the
 * loop. True when the write is done (`goto out`), false when it must wait for room.
 */
function pipeWriteLocked(t: Thread, file: File, data: Uint8Array, st: WriteState): boolean {
  const pipe = file.priv as Pipe;
  if (pipe.readers === 0) {
    sendSigToCurrent(SIG.SIGPIPE, t);
    st.ret = errWhy(t.k, -EPIPE, 'pipe_write', 'the pipe has no readers left (pipe->readers == 0)', file.id);
    return true;
  }
  // Merge `len mod 4096` bytes into the last slot, once, at the start; no free slot needed.
  st.wasEmpty = pipeEmpty(pipe);
  const chars = data.length & (PAGE_SIZE - 1);
  if (chars && !st.wasEmpty) {
    const b = slotAt(pipe, pipe.head - 1);
    const offset = b.offset + b.len;
    if (b.flags & PIPE_BUF_FLAG_CAN_MERGE && offset + chars <= PAGE_SIZE) {
      // Linux: copy_page_from_iter.
      copyBytes(b.page!, offset, data, 0, chars);
      b.len += chars;
      st.ret = chars;
      st.pos = chars;
      if (st.pos === data.length) return true;
    }
  }
  return pipeWriteLoop(t, file, data, st);
}

/**
 * Linux: pipe_write's `for (;;)`: fill fresh slots; true when done, false when the pipe is full and
 * the writer must wait.
 */
function pipeWriteLoop(t: Thread, file: File, data: Uint8Array, st: WriteState): boolean {
  const k = t.k;
  const pipe = file.priv as Pipe;
  const totalLen = data.length;
  for (;;) {
    if (pipe.readers === 0) {
      // Linux: SIGPIPE even when part of the data went in (that count is the result).
      sendSigToCurrent(SIG.SIGPIPE, t);
      if (!st.ret)
        st.ret = errWhy(
          k,
          -EPIPE,
          'pipe_write',
          'the pipe has no readers left (pipe->readers == 0)',
          file.id,
        );
      return true;
    }
    const head = pipe.head;
    if (!pipeFull(pipe)) {
      // Take a fresh slot and fill it from offset 0 with up to a page.
      pipe.head = head + 1;
      const b = freshSlotAt(pipe, head);
      // Linux: anon_pipe_get_page — the kept page first. Its stale bytes are never read: a
      // slot's unread data is [offset, offset + len), and this write sets both.
      b.page = pipe.tmpPage ?? new Uint8Array(PAGE_SIZE);
      pipe.tmpPage = null;
      b.offset = 0;
      // Linux: is_packetized — the writer's file has O_DIRECT.
      b.flags = file.flags & O.O_DIRECT ? PIPE_BUF_FLAG_PACKET : PIPE_BUF_FLAG_CAN_MERGE;
      const copied = Math.min(PAGE_SIZE, totalLen - st.pos);
      // Linux: copy_page_from_iter.
      copyBytes(b.page, 0, data, st.pos, copied);
      b.len = copied;
      st.pos += copied;
      st.ret += copied;
      if (st.pos === totalLen) return true;
    }
    // Linux tests fullness with the head read before taking the slot: one more turn at most.
    if (head - pipe.tail < pipe.maxUsage) continue;
    if (file.nonblock) {
      if (!st.ret)
        st.ret = errWhy(k, -EAGAIN, 'pipe_write', 'the pipe is full and {file} is O_NONBLOCK', file.id);
      return true;
    }
    // Linux: signal_pending(current) — checked on every turn, the first included; what was
    // written stays written (the count), else -ERESTARTSYS.
    if (t.sigpending) {
      if (!st.ret) st.ret = -ERESTARTSYS;
      return true;
    }
    if (st.wasEmpty) wakeUp(k, pipe.rdWait, 1, IN_KEY, 'pipe_write');
    return false;
  }
}

/** Linux: pipe_write's sleep, then round its loop again (mutex_lock; was_empty = ...; wake_next_writer). */
function* pipeWriteWait(t: Thread, file: File, data: Uint8Array, st: WriteState): SysGen<number> {
  const pipe = file.priv as Pipe;
  for (;;) {
    // Linux: wait_event_interruptible_exclusive(pipe->wr_wait, pipe_writable(pipe)); the
    // result is ignored and the loop re-checks (a signal ends it at signal_pending).
    while (!pipeWritable(pipe)) {
      const reason = yield* sleepOn(t, pipe.wrWait, 'exclusive');
      if (reason === 'signal') break;
    }
    st.wasEmpty = pipeEmpty(pipe);
    st.wakeNextWriter = true;
    if (pipeWriteLoop(t, file, data, st)) return pipeWriteOut(t.k, pipe, st);
  }
}

// Linux: pipe_release.
function pipeRelease(k: Kernel, file: File): void {
  const pipe = file.priv as Pipe;
  if (file.mode & FMODE_READ) pipe.readers--;
  if (file.mode & FMODE_WRITE) pipe.writers--;
  // "Was that the last reader or writer, but not the other side?" Key NULL, no exclusive
  // budget: every poller and epoll item on either queue runs, and every blocked call wakes.
  if ((pipe.readers === 0) !== (pipe.writers === 0)) {
    wakeUp(k, pipe.rdWait, 0, 0, 'pipe_release');
    wakeUp(k, pipe.wrWait, 0, 0, 'pipe_release');
  }
  // Linux: put_pipe_info → free_pipe_info when the last file goes.
  if (--pipe.files === 0) accountPipeBuffers(k, pipe.nrAccounted, 0);
}

// Linux: pipe_ioctl — FIONREAD, the bytes in every occupied slot; nothing else (ENOIOCTLCMD).
function pipeIoctl(k: Kernel, file: File, cmd: number): number {
  return cmd === FIONREAD ? pipeFionread(k, file) : -ENOIOCTLCMD;
}

/** Linux: pipe_ioctl's FIONREAD. */
function pipeFionread(_k: Kernel, file: File): number {
  const pipe = file.priv as Pipe;
  let count = 0;
  for (let i = pipe.tail; i !== pipe.head; i++) count += slotAt(pipe, i).len;
  return count;
}

// Linux: round_pipe_size — a page at least, then the next power of two; above 2^31, 0.
function roundPipeSize(size: number): number {
  if (size > 2 ** 31) return 0;
  if (size < PAGE_SIZE) return PAGE_SIZE;
  let n = PAGE_SIZE;
  while (n < size) n *= 2;
  return n;
}

// Linux: pipe_resize_ring. The live slots move to the start of a new ring.
function pipeResizeRing(k: Kernel, pipe: Pipe, nrSlots: number): number {
  const n = occupancy(pipe);
  if (nrSlots < n)
    return errWhy(k, -EBUSY, 'pipe_resize_ring', 'the pipe holds more slots than the new size');
  const bufs = freeSlots(nrSlots);
  for (let i = 0; i < n; i++) bufs[i] = slotAt(pipe, pipe.tail + i);
  pipe.bufs = bufs;
  pipe.ringSize = nrSlots;
  pipe.maxUsage = nrSlots;
  pipe.tail = 0;
  pipe.head = n;
  pipe.nrAccounted = nrSlots;
  // "This might have made more room for writers": wake_up_interruptible — nr 1, key NULL.
  wakeUp(k, pipe.wrWait, 1, 0, 'pipe_resize_ring');
  return 0;
}

// Linux: pipe_set_size.
function pipeSetSize(k: Kernel, pipe: Pipe, arg: number): number {
  const size = roundPipeSize(arg);
  const nrSlots = size / PAGE_SIZE;
  if (!nrSlots) return errWhy(k, -EINVAL, 'pipe_set_size', 'size rounds to 0 pages');
  // Growing past pipe-max-size needs CAP_SYS_RESOURCE. The model is unprivileged.
  if (nrSlots > pipe.maxUsage && size > PIPE_MAX_SIZE)
    return errWhy(k, -EPERM, 'pipe_set_size', 'growing past pipe-max-size needs CAP_SYS_RESOURCE');
  // Over the soft limit, an unprivileged user may shrink a pipe but not grow it.
  const userBufs = accountPipeBuffers(k, pipe.nrAccounted, nrSlots);
  if (nrSlots > pipe.maxUsage && tooManyPipeBuffersSoft(userBufs)) {
    accountPipeBuffers(k, nrSlots, pipe.nrAccounted); // out_revert_acct
    return errWhy(
      k,
      -EPERM,
      'pipe_set_size',
      'over pipe-user-pages-soft: an unprivileged user may not grow a pipe',
    );
  }
  const ret = pipeResizeRing(k, pipe, nrSlots);
  if (ret < 0) {
    accountPipeBuffers(k, nrSlots, pipe.nrAccounted); // out_revert_acct
    return ret;
  }
  return pipe.maxUsage * PAGE_SIZE;
}

// Linux: pipe_fcntl.
function pipeFcntl(k: Kernel, file: File, cmd: number, arg: number): number {
  const pipe = file.priv as Pipe;
  if (cmd === F.F_SETPIPE_SZ) {
    // Linux: pipe_fcntl takes an unsigned int: the argument is truncated to 32 bits.
    return pipeSetSize(k, pipe, Number(BigInt.asUintN(32, BigInt(arg))));
  }
  if (cmd === F.F_GETPIPE_SZ) return pipe.maxUsage * PAGE_SIZE;
  return -EINVAL;
}

/** The state of a pipe as plain JSON (src/observe): slots as lengths, queues by id. */
export function snapshotPipe(pipe: Pipe): object {
  const slots: { index: number; offset: number; len: number; flags: string[] }[] = [];
  for (let i = pipe.tail; i !== pipe.head; i++) {
    const b = slotAt(pipe, i);
    const flags: string[] = [];
    if (b.flags & PIPE_BUF_FLAG_CAN_MERGE) flags.push('CAN_MERGE');
    if (b.flags & PIPE_BUF_FLAG_PACKET) flags.push('PACKET');
    slots.push({ index: i & (pipe.ringSize - 1), offset: b.offset, len: b.len, flags });
  }
  return {
    id: pipe.id,
    ringSize: pipe.ringSize,
    maxUsage: pipe.maxUsage,
    nrAccounted: pipe.nrAccounted,
    head: pipe.head,
    tail: pipe.tail,
    occupancy: occupancy(pipe),
    bytes: slots.reduce((n, s) => n + s.len, 0),
    slots,
    readers: pipe.readers,
    writers: pipe.writers,
    pollUsage: pipe.pollUsage,
    // A queue not made yet is drawn as the empty queue it stands for, without making it.
    rdWait: snapshotWaitQueue(pipe.rdWaitQ ?? newPipeQueue(pipe, RD_WAIT)),
    wrWait: snapshotWaitQueue(pipe.wrWaitQ ?? newPipeQueue(pipe, WR_WAIT)),
  };
}

/** Linux: pipefifo_fops (the anonymous-pipe subset). */
export const pipeOps: FileOperations = fileOperations({
  type: 'pipe',
  snapshot: (_k, file) => snapshotPipe(file.priv as Pipe),
  poll: pipePoll,
  read: pipeRead,
  write: pipeWrite,
  release: pipeRelease,
  ioctl: pipeIoctl,
  readMax: pipeReadMax,
  pipeFcntl,
});

/**
 * Not Linux (fs.ts readBuffer): a read returns at most what the pipe holds, and does not sleep
 * when it holds something or the file is O_NONBLOCK; an empty non-blocking pipe's read returns
 * EAGAIN or 0 without a byte (1: ->read needs a count, as a count of 0 returns 0 at once).
 */
function pipeReadMax(k: Kernel, file: File): number {
  const n = pipeFionread(k, file);
  if (n > 0) return n;
  return file.nonblock ? 1 : -1;
}

const RD_WAIT = 1;
const WR_WAIT = 2;

/** A pipe's rd_wait or wr_wait, with the id reserved for it when the pipe was made (id + 1, + 2). */
function newPipeQueue(pipe: Pipe, which: typeof RD_WAIT | typeof WR_WAIT): WaitQueueHead {
  return new WaitQueueHead(pipe.id + which, which === RD_WAIT ? 'pipe.rd_wait' : 'pipe.wr_wait', pipe.id);
}

/** Linux: struct pipe_inode_info as get_pipe_inode sets it up: one reader, one writer, two files. */
class PipeInodeInfo implements Pipe {
  bufs: PipeBuffer[] = NO_SLOTS;
  ringSize: number;
  maxUsage: number;
  nrAccounted: number;
  head = 0;
  tail = 0;
  readers = 1;
  writers = 1;
  files = 2;
  wCounter = 1;
  pollUsage = false;
  tmpPage: Uint8Array | null = null;
  rdWaitQ: WaitQueueHead | null = null;
  wrWaitQ: WaitQueueHead | null = null;

  constructor(
    readonly id: number,
    slots: number,
  ) {
    this.ringSize = this.maxUsage = this.nrAccounted = slots;
  }

  get rdWait(): WaitQueueHead {
    return (this.rdWaitQ ??= newPipeQueue(this, RD_WAIT));
  }

  get wrWait(): WaitQueueHead {
    return (this.wrWaitQ ??= newPipeQueue(this, WR_WAIT));
  }
}

// Linux: alloc_pipe_info. 16 slots (16 pages do not exceed pipe-max-size), or 2 once the user
// is over pipe-user-pages-soft.
function allocPipeInfo(k: Kernel): Pipe {
  let pipeBufs = PIPE_DEF_BUFFERS;
  const userBufs = accountPipeBuffers(k, 0, pipeBufs);
  if (tooManyPipeBuffersSoft(userBufs)) {
    accountPipeBuffers(k, pipeBufs, PIPE_MIN_DEF_BUFFERS);
    pipeBufs = PIPE_MIN_DEF_BUFFERS;
  }
  const id = k.nextId();
  // The ids of rd_wait and wr_wait, made when first used (Pipe.rdWaitQ).
  k.nextId();
  k.nextId();
  return new PipeInodeInfo(id, pipeBufs);
}

/**
 * Linux: do_pipe2 / __do_pipe_flags / create_pipe_files. Both files are created first (the
 * write end, then the read end as its clone); then the read fd is allocated, then the write fd.
 * If the second allocation fails the first is given back and both files are released: EMFILE
 * uses no descriptor.
 */
export function sys_pipe2(t: Thread, flags: number): SysResult<{ fds: [number, number] }> {
  if ((flags & ~PIPE2_FLAGS) !== 0)
    return failWhy(t.k, 'EINVAL', 'do_pipe2', 'flags other than O_CLOEXEC, O_NONBLOCK, O_DIRECT');
  // Linux: watch_queue_init — ENOPKG without CONFIG_WATCH_QUEUE (as on the reference host).
  if (flags & O_NOTIFICATION_PIPE) throw new Unsupported('pipe2', 'O_NOTIFICATION_PIPE');
  const k = t.k;
  const pipe = allocPipeInfo(k);
  // O_NONBLOCK on both ends; O_DIRECT (packet mode) on the write end only. F_GETFL shows
  // exactly these bits (checked on 6.18: 0x4801 / 0x800 for O_NONBLOCK|O_DIRECT).
  const wfile = new File(k, pipeOps, O.O_WRONLY | (flags & (O.O_NONBLOCK | O.O_DIRECT)), pipe);
  const rfile = new File(k, pipeOps, O.O_RDONLY | (flags & O.O_NONBLOCK), pipe);
  const table = t.proc.fdtable;
  const cloexec = (flags & O.O_CLOEXEC) !== 0;
  const fdr = table.install(rfile, cloexec);
  const fdw = fdr < 0 ? fdr : table.install(wfile, cloexec);
  if (fdw < 0) {
    // Linux: put_unused_fd(fdr), then fput of both files (pipe_release wakes as usual).
    if (fdr >= 0) table.detach(fdr);
    fput(k, rfile);
    fput(k, wfile);
    return toResult(fdw) as Failure;
  }
  return { ret: 0, fds: [fdr, fdw] };
}
