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
import { ERRNO, errWhy, toResult } from './errors.ts';
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
import { MSEC_PER_SEC, NSEC_PER_MSEC, type Timespec64 } from './time.ts';

const { EINTR, EINVAL } = ERRNO;
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
function doPollPass(t: Thread, list: PollList, wait: PollWqueues, signalPending: boolean): number {
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
    // Not yet reachable: signals are a later issue.
    if (signalPending) count = -ERESTARTNOHAND;
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
  const count = doPollPass(t, list, wait, false);
  if (count !== 0 || nonblock) return count;
  return doPollWait(t, list, wait, sleepDeadline(endTime));
}

/** Linux: do_poll's loop from its first sleep on. */
function* doPollWait(t: Thread, list: PollList, wait: PollWqueues, deadline: number | null): SysGen<number> {
  let timedOut = false;
  let signalPending = false;
  for (;;) {
    const reason = yield* pollScheduleTimeout(wait, deadline);
    if (reason === 'timeout') timedOut = true;
    // Not yet reachable: signals are a later issue.
    else if (reason === 'signal') signalPending = true;
    const count = doPollPass(t, list, wait, signalPending);
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
  return afterSleep(doSysPoll(t, list, endTime), (o) =>
    // Linux: ERESTARTNOHAND becomes a restart block (do_restart_poll, same absolute deadline);
    // with a handler it is EINTR, even with SA_RESTART. Not yet reachable: signals are a later issue.
    o.ret === -ERESTARTNOHAND ? { ret: -EINTR, revents: o.revents } : o,
  );
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
