// signalfd (Linux: fs/signalfd.c): a file that reads pending signals as 128-byte records.
//
// Its context holds only a mask. Everything else belongs to whoever uses it: poll is IN when a
// signal of the mask is pending for the *calling* thread (its own or its process's), and reads
// dequeue from the calling thread's pending sets; so one signalfd in epoll reports what the thread
// calling epoll_wait could read. The wait queue is the process's (sighand->signalfd_wqh), woken on
// every signal sent to the process, by signalfd_notify, whether or not the mask has it.
//
// A record (struct signalfd_siginfo) fills ssi_signo, ssi_errno (0), ssi_code (SI_USER for kill,
// SI_TKILL for tgkill), ssi_pid (the sender's process) and ssi_uid (0); every other field is 0
// (not modelled: timers, children, faults, sigqueue values).

import { EPOLL, O } from '../abi/constants.ts';
import { SFD, SIGNALFD_SIGINFO_SIZE } from '../abi/signal.ts';
import type { SysResult } from '../api/syscalls.ts';
import { ERESTARTSYS, ERRNO, errWhy, failWhy, toResult } from './errors.ts';
import { File, type FileOperations, fileOperations, type PollTable, pollWait } from './file.ts';
import { fdlookup, installFd } from './fs.ts';
import type { Kernel } from './kernel.ts';
import { finishWait, type MaySleep, prepareToWait, type SysGen, schedule, type Thread } from './sched.ts';
import {
  ALL_SIGNALS,
  dequeueSignal,
  KERNEL_ONLY,
  type SigQueue,
  type SigSet,
  sigsetList,
  sigsetOf,
} from './signal.ts';
import { newWaitEntry, wakeUp } from './waitqueue.ts';

const { EAGAIN, EINVAL } = ERRNO;

const { SFD_CLOEXEC, SFD_NONBLOCK } = SFD;

/** Linux: struct signalfd_ctx. */
export interface SignalfdCtx {
  readonly id: number;
  /**
   * Linux: .sigmask, stored inverted as Linux stores it: the signals this fd does NOT read (so it
   * is the mask dequeue_signal and next_signal skip). Never has SIGKILL or SIGSTOP readable.
   */
  sigmask: SigSet;
}

/** Linux: signalfd_poll — IN when the calling thread has a signal of the mask pending. */
function signalfdPoll(k: Kernel, file: File, pt: PollTable | null): number {
  const ctx = file.priv as SignalfdCtx;
  k.stats.fopPollCalls++;
  const t = k.current;
  // Not Linux: a poll outside any call (an invariant check) has no `current`: nothing is ready.
  if (t === null) return 0;
  pollWait(file, t.proc.signal.signalfdWqh, pt);
  const readable = ~ctx.sigmask;
  if ((t.pending.signal & readable) !== 0n || (t.proc.signal.sharedPending.signal & readable) !== 0n)
    return EPOLL.EPOLLIN;
  return 0;
}

/** Linux: signalfd_copyinfo — one record at `at`. */
function signalfdCopyinfo(buf: Uint8Array, at: number, info: SigQueue): void {
  buf.fill(0, at, at + SIGNALFD_SIGINFO_SIZE);
  const v = new DataView(buf.buffer, buf.byteOffset + at, SIGNALFD_SIGINFO_SIZE);
  v.setUint32(0, info.signo, true);
  v.setInt32(4, 0, true);
  v.setInt32(8, info.code, true);
  v.setUint32(12, info.pid, true);
  v.setUint32(16, info.uid, true);
}

/**
 * Linux: signalfd_read_iter — count / 128 records at most; the first may wait (unless
 * O_NONBLOCK), the rest are taken only if already pending.
 */
function signalfdRead(t: Thread, file: File, buf: Uint8Array, count: number): MaySleep<number> {
  const ctx = file.priv as SignalfdCtx;
  const n = Math.floor(count / SIGNALFD_SIGINFO_SIZE);
  // Not Linux (the caller's buffer): fs.ts caps a huge count's buffer; never write past it.
  const room = Math.min(n, Math.floor(buf.length / SIGNALFD_SIGINFO_SIZE));
  if (n === 0)
    return errWhy(t.k, -EINVAL, 'signalfd_read_iter', 'count < sizeof(struct signalfd_siginfo) (128)');
  const first = dequeueSignal(t, ctx.sigmask);
  if (first === null) {
    if (file.nonblock)
      return errWhy(
        t.k,
        -EAGAIN,
        'signalfd_dequeue',
        'no signal of the mask is pending and {file} is O_NONBLOCK',
        file.id,
      );
    return signalfdReadWait(t, file, buf, room);
  }
  return signalfdReadRest(t, ctx, buf, room, first);
}

/** The records after the first: only those already pending (Linux: nonblock = 1 after one). */
function signalfdReadRest(t: Thread, ctx: SignalfdCtx, buf: Uint8Array, n: number, first: SigQueue): number {
  signalfdCopyinfo(buf, 0, first);
  let total = SIGNALFD_SIGINFO_SIZE;
  for (let i = 1; i < n; i++) {
    const info = dequeueSignal(t, ctx.sigmask);
    if (info === null) break;
    signalfdCopyinfo(buf, total, info);
    total += SIGNALFD_SIGINFO_SIZE;
  }
  return total;
}

/**
 * Linux: signalfd_dequeue's wait — a default_wake_function entry at the head of the process's
 * signalfd_wqh; dequeue after every wake-up; -ERESTARTSYS if a signal is pending for the thread
 * that the mask does not read (or that it reads but another thread took first).
 */
function* signalfdReadWait(t: Thread, file: File, buf: Uint8Array, n: number): SysGen<number> {
  const ctx = file.priv as SignalfdCtx;
  const wqh = t.proc.signal.signalfdWqh;
  const wait = newWaitEntry(t.k, 'default_wake_function', t);
  prepareToWait(t, wqh, wait, 'shared');
  try {
    for (;;) {
      const info = dequeueSignal(t, ctx.sigmask);
      if (info !== null) return signalfdReadRest(t, ctx, buf, n, info);
      if (t.sigpending) return -ERESTARTSYS;
      yield* schedule(t, null, wait);
    }
  } finally {
    finishWait(t, wait);
  }
}

/** Linux: signalfd_release — the context goes with the file. */
function signalfdRelease(_k: Kernel, _file: File): void {}

export const signalfdOps: FileOperations = fileOperations({
  type: 'signalfd',
  snapshot: (_k, file) => snapshotSignalfd(file.priv as SignalfdCtx),
  poll: signalfdPoll,
  read: signalfdRead,
  release: signalfdRelease,
});

/** Linux: signalfd4 → do_signalfd4. */
export function sys_signalfd4(
  t: Thread,
  ufd: number,
  mask: readonly number[] | null,
  flags: number,
): SysResult {
  const k = t.k;
  // Linux: copy_from_user of the mask comes first.
  if (mask === null) return failWhy(k, 'EFAULT', 'signalfd4', 'the mask pointer is NULL');
  if ((flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) !== 0)
    return failWhy(k, 'EINVAL', 'do_signalfd4', 'flags other than SFD_CLOEXEC, SFD_NONBLOCK');
  // Linux: sigdelsetmask(SIGKILL, SIGSTOP), then signotset.
  const inverted = ~(sigsetOf(mask) & ~KERNEL_ONLY) & ALL_SIGNALS;
  if (ufd === -1) {
    const ctx: SignalfdCtx = { id: k.nextId(), sigmask: inverted };
    // Linux: anon_inode_getfile(..., O_RDWR | (flags & O_NONBLOCK)).
    const file = new File(k, signalfdOps, O.O_RDWR | (flags & SFD_NONBLOCK), ctx);
    return toResult(installFd(k, t, file, (flags & SFD_CLOEXEC) !== 0));
  }
  const file = fdlookup(t, ufd);
  if (file === null) return failWhy(k, 'EBADF', 'do_signalfd4', 'fd {fd} is not open', undefined, ufd);
  if (file.ops !== signalfdOps)
    return failWhy(k, 'EINVAL', 'do_signalfd4', 'fd {fd} is not a signalfd', file.id, ufd);
  (file.priv as SignalfdCtx).sigmask = inverted;
  // Linux: wake_up(&current->sighand->signalfd_wqh) — readers re-check with the new mask.
  wakeUp(k, t.proc.signal.signalfdWqh, 1, 0, 'do_signalfd4');
  return { ret: ufd };
}

/** The signalfd as plain JSON: the signals it reads. */
export function snapshotSignalfd(ctx: SignalfdCtx): object {
  return { id: ctx.id, mask: sigsetList(~ctx.sigmask & ALL_SIGNALS) };
}
