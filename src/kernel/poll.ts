// poll (Linux: fs/select.c sys_poll → do_sys_poll → do_poll → do_pollfd; reference §3).
//
// The same machine as select (pollwait.ts) over an array instead of bitmaps. Each entry is
// polled on its own, in array order, duplicates included: a negative fd is skipped (revents 0,
// not counted); an fd that is not open gets POLLNVAL and counts; otherwise revents is the
// file's mask filtered by events | POLLERR | POLLHUP, so ERR and HUP are reported even when
// not asked for. The first pass registers one pollwake entry per poll_wait until the first
// entry with non-zero revents. The whole array comes in (8 bytes per entry) and every revents
// goes back out (2 bytes per entry) on every call: O(nfds) whatever is ready.
//
// Counters: fdsScanned counts every entry of every pass (negative fds included: a loop step);
// fileLookups only the entries with fd ≥ 0; bytesCopiedIn 8 per entry, bytesCopiedOut 2 per entry.

import { EPOLL } from '../abi/constants.ts';
import type { PollFd, SysResult } from '../api/syscalls.ts';
import { ERESTART_RESTARTBLOCK, ERRNO, errWhy, toResult } from './errors.ts';
import type { FdTable } from './fdtable.ts';
import type { Kernel } from './kernel.ts';
import {
  ERESTARTNOHAND,
  isNonblockEnd,
  type PollWqueues,
  type PollWqueuesTable,
  pollFreewaitOf,
  pollInitwait,
  pollScheduleTimeout,
  pollSelectSetTimeout,
  sleepDeadline,
  vfsPoll,
} from './pollwait.ts';
import { afterSleep, holdAcrossSleep, type MaySleep, mustSleep, type SysGen, type Thread } from './sched.ts';
import { restoreSavedSigmaskUnless, setUserSigmask } from './signal.ts';
import { ktimeGetTs64, MSEC_PER_SEC, NSEC_PER_MSEC, type Timespec64, timespec64Sub } from './time.ts';

const { EINVAL } = ERRNO;
const { EPOLLERR, EPOLLHUP, EPOLLNVAL } = EPOLL;

// Linux: sizeof(struct pollfd), and of its revents field.
const POLLFD_BYTES = 8;
const REVENTS_BYTES = 2;

/**
 * Linux: the kernel's copy of the caller's struct pollfd array (do_sys_poll's poll_list
 * chunks), one array per field. revents is the array the caller gets back at the end.
 */
interface PollList {
  readonly len: number;
  readonly fd: number[];
  /** A short in C: 0 … 0xffff. */
  readonly events: number[];
  readonly revents: number[];
}

/**
 * Linux: copy_from_user of the pollfd array into the poll_list (its values already checked
 * against their C types by src/api/cargs.ts).
 */
function copyPollList(fds: readonly PollFd[]): PollList {
  const len = fds.length;
  const list: PollList = {
    len,
    fd: new Array<number>(len),
    events: new Array<number>(len),
    revents: new Array<number>(len).fill(0),
  };
  for (let i = 0; i < len; i++) {
    const { fd, events } = fds[i];
    list.fd[i] = fd;
    list.events[i] = events;
  }
  return list;
}

/**
 * Linux: do_pollfd — poll entry i and set its revents; returns them (non-zero counts).
 * events are a short: on x86 demangle_poll and mangle_poll change nothing.
 */
function doPollfd(k: Kernel, table: FdTable, list: PollList, i: number, pwait: PollWqueuesTable): number {
  const fd = list.fd[i];
  let mask = 0;
  if (fd >= 0) {
    k.stats.fileLookups++;
    // Linux: fdget. No reference is taken: nothing runs between the lookup and the poll, and
    // __pollwait takes its own for the entries it adds.
    const file = table.get(fd);
    if (file === null) mask = EPOLLNVAL;
    else {
      const filter = list.events[i] | EPOLLERR | EPOLLHUP;
      pwait.key = filter;
      mask = vfsPoll(k, file, pwait) & filter;
    }
  }
  list.revents[i] = mask;
  return mask;
}

/**
 * Linux: one pass of do_poll's loop over the whole array, and the count it leaves (the ready
 * entries, or the error or the signal's -ERESTARTNOHAND when none is ready).
 */
function doPollPass(t: Thread, list: PollList, wait: PollWqueues): number {
  const k = t.k;
  const table = t.proc.fdtable;
  const pt = wait.pt;
  let count = 0;
  for (let i = 0; i < list.len; i++) {
    // Every entry is a step of the pass, negative fds included (they cost nothing else).
    k.stats.fdsScanned++;
    if (doPollfd(k, table, list, i, pt) !== 0) {
      count++;
      // The first ready entry ends registration.
      pt.qproc = null;
    }
  }
  // Linux: wait entries are added only during the first pass.
  pt.qproc = null;
  if (count === 0) {
    count = wait.error;
    // Linux: signal_pending(current), on every pass (a zero timeout's only pass too).
    if (t.sigpending) count = -ERESTARTNOHAND;
  }
  return count;
}

/**
 * Linux: do_poll. `endTime`: the absolute deadline; {0, 0} = do not block; null = no timeout.
 * The first pass never sleeps; doPollWait goes on from there.
 */
function doPoll(
  t: Thread,
  wait: PollWqueues,
  { list, endTime }: { list: PollList; endTime: Timespec64 | null },
): MaySleep<number> {
  const nonblock = isNonblockEnd(endTime);
  // Linux: a zero timeout registers nothing and makes one pass.
  if (nonblock) wait.pt.qproc = null;
  const count = doPollPass(t, list, wait);
  if (count !== 0 || nonblock) return count;
  return doPollWait(t, list, wait, sleepDeadline(endTime));
}

/** Linux: do_poll's loop from its first sleep on. */
function* doPollWait(t: Thread, list: PollList, wait: PollWqueues, deadline: number | null): SysGen<number> {
  let timedOut = false;
  for (;;) {
    const reason = yield* pollScheduleTimeout(wait, deadline);
    if (reason === 'timeout') timedOut = true;
    const count = doPollPass(t, list, wait);
    if (count !== 0 || timedOut) return count;
  }
}

/** What a poll call leaves in the caller's memory, whatever its result. */
export interface PollOutcome {
  /** The number of entries with non-zero revents, or −errno. */
  ret: number;
  /** Every entry's revents as written back; null when the call failed before writing them. */
  revents: number[] | null;
}

/** Linux: do_sys_poll. */
export function doSysPoll(t: Thread, list: PollList, endTime: Timespec64 | null): MaySleep<PollOutcome> {
  const k = t.k;
  const nfds = list.len;
  // Linux: nfds (unsigned) above RLIMIT_NOFILE's soft limit; nfds equal to it is fine.
  if (nfds > t.proc.fdtable.rlimit.soft)
    return { ret: errWhy(k, -EINVAL, 'do_sys_poll', 'nfds is above RLIMIT_NOFILE'), revents: null };
  // Linux: the copy_from_user of the entries happens here; the model made it in kernPoll.
  k.stats.bytesCopiedIn += nfds * POLLFD_BYTES;
  // Linux: poll_initwait … do_poll … poll_freewait.
  const table = pollInitwait(t, 'poll');
  const fdcount = holdAcrossSleep(t, table, pollFreewaitOf, doPoll, { list, endTime });
  return mustSleep(fdcount) ? pollOutcomeAfterSleep(t, list, fdcount) : pollOutcome(t, list, fdcount);
}

function* pollOutcomeAfterSleep(t: Thread, list: PollList, fdcount: SysGen<number>): SysGen<PollOutcome> {
  return pollOutcome(t, list, yield* fdcount);
}

function pollOutcome(t: Thread, list: PollList, fdcount: number): PollOutcome {
  // Linux: revents go back for every entry, even when the result is an error.
  t.k.stats.bytesCopiedOut += list.len * REVENTS_BYTES;
  return { ret: fdcount, revents: list.revents };
}

/**
 * Linux: sys_poll — the whole call, returning what the caller can see afterwards. A negative
 * timeout is infinite, 0 does not block, otherwise the deadline is now + timeout ms. The syscall
 * table has checked every argument against its C type (src/api/cargs.ts).
 */
export function kernPoll(t: Thread, fds: readonly PollFd[], timeout: number): MaySleep<PollOutcome> {
  const list = copyPollList(fds);
  let endTime: Timespec64 | null = null;
  if (timeout >= 0) {
    const msec = timeout % MSEC_PER_SEC;
    endTime = pollSelectSetTimeout(t.k, (timeout - msec) / MSEC_PER_SEC, msec * NSEC_PER_MSEC);
  }
  return afterSleep(doSysPoll(t, list, endTime), (o) => pollRestart(t, list, endTime, o));
}

/**
 * Linux: sys_poll's tail — ERESTARTNOHAND becomes a restart block (do_restart_poll: the same
 * array, the same absolute deadline), so a restart without a handler does not start the timeout
 * again; with a handler it is EINTR, even under SA_RESTART.
 */
function pollRestart(t: Thread, list: PollList, endTime: Timespec64 | null, o: PollOutcome): PollOutcome {
  if (o.ret !== -ERESTARTNOHAND) return o;
  t.restartBlock = () => afterSleep(doRestartPoll(t, list, endTime), pollResult);
  return { ret: -ERESTART_RESTARTBLOCK, revents: o.revents };
}

/** Linux: do_restart_poll. */
function doRestartPoll(t: Thread, list: PollList, endTime: Timespec64 | null): MaySleep<PollOutcome> {
  const again = copyPollList(list.fd.map((fd, i) => ({ fd, events: list.events[i] })));
  return afterSleep(doSysPoll(t, again, endTime), (o) => pollRestart(t, again, endTime, o));
}

/**
 * Linux: ppoll — the timespec copied in and checked, the mask set (set_user_sigmask), do_sys_poll,
 * then poll_select_finish: the time left written back to `tsp` (the caller's memory: a restart
 * reads it again) unless it was zero, and the mask restored unless a signal interrupted the call.
 */
export function kernPpoll(
  t: Thread,
  fds: readonly PollFd[],
  tsp: { sec: number; nsec: number } | null,
  sigmask: readonly number[] | null,
): MaySleep<PollOutcome> {
  let endTime: Timespec64 | null = null;
  if (tsp !== null) {
    endTime = pollSelectSetTimeout(t.k, tsp.sec, tsp.nsec);
    if (endTime === null)
      return {
        ret: errWhy(t.k, -EINVAL, 'poll_select_set_timeout', 'the timespec is invalid'),
        revents: null,
      };
  }
  setUserSigmask(t, sigmask);
  const list = copyPollList(fds);
  return afterSleep(doSysPoll(t, list, endTime), (o) => {
    pollSelectFinishTimespec(t, endTime, tsp, o.ret);
    return o;
  });
}

/** Linux: poll_select_finish for a timespec (ppoll, pselect6). */
export function pollSelectFinishTimespec(
  t: Thread,
  endTime: Timespec64 | null,
  tsp: { sec: number; nsec: number } | null,
  ret: number,
): void {
  restoreSavedSigmaskUnless(t, ret === -ERESTARTNOHAND);
  if (tsp === null || endTime === null || isNonblockEnd(endTime)) return;
  let rem = timespec64Sub(endTime, ktimeGetTs64(t.k));
  if (rem.sec < 0) rem = { sec: 0, nsec: 0 };
  t.k.stats.bytesCopiedOut += 16;
  tsp.sec = rem.sec;
  tsp.nsec = rem.nsec;
}

/** ppoll(2): as poll, with a timespec and a mask. `tsp` is the caller's memory (written back). */
export function sys_ppoll(
  t: Thread,
  fds: readonly PollFd[],
  tsp: { sec: number; nsec: number } | null,
  sigmask: readonly number[] | null,
): MaySleep<SysResult<{ revents: number[] }>> {
  return afterSleep(kernPpoll(t, fds, tsp, sigmask), pollResult);
}

/** poll(2): the count and every entry's revents, or an errno. */
export function sys_poll(
  t: Thread,
  fds: readonly PollFd[],
  timeout: number,
): MaySleep<SysResult<{ revents: number[] }>> {
  return afterSleep(kernPoll(t, fds, timeout), pollResult);
}

function pollResult(o: PollOutcome): SysResult<{ revents: number[] }> {
  if (o.ret < 0 || o.revents === null) return toResult(o.ret) as SysResult<{ revents: number[] }>;
  return { ret: o.ret, revents: o.revents };
}
