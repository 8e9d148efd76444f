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
import type { PollTable } from './file.ts';
import {
  ERESTARTNOHAND,
  isNonblockEnd,
  type PollWqueues,
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
 * chunks), and the revents the caller gets back at the end (one array, built once).
 *
 * Not Linux: the copy is made only when the call is about to sleep. Until then nothing else can
 * run, so the caller's array reads the same as a copy taken at the start would; a call that
 * does not sleep (every call with a zero timeout, every call that finds something ready) reads
 * the caller's entries in place and copies nothing.
 */
interface PollList {
  readonly len: number;
  /** The entries polled: the caller's array until the first sleep, the kernel's copy after. */
  entries: readonly PollFd[];
  /** Whether `entries` is the kernel's copy (copyPollList has run). */
  copied: boolean;
  /** Every entry's revents, written by each pass (a short in C: 0 … 0xffff). */
  readonly revents: number[];
}

/** The list of a call: the caller's entries, revents to fill (every pass writes every entry). */
function newPollList(fds: readonly PollFd[]): PollList {
  // Not filled: the first pass writes every entry.
  return { len: fds.length, entries: fds, copied: false, revents: new Array<number>(fds.length) };
}

/**
 * Linux: copy_from_user of the pollfd array into the poll_list (its values already checked
 * against their C types by src/api/cargs.ts). Once per call, before its first sleep.
 */
function copyPollList(list: PollList): void {
  if (list.copied) return;
  const from = list.entries;
  const copy = new Array<PollFd>(list.len);
  for (let i = 0; i < list.len; i++) copy[i] = { fd: from[i].fd, events: from[i].events };
  list.entries = copy;
  list.copied = true;
}

/**
 * Linux: one pass of do_poll's loop over the whole array — do_pollfd for each entry — and the
 * count it leaves (the ready entries, or the error or the signal's -ERESTARTNOHAND when none is
 * ready). do_pollfd: a negative fd is skipped (revents 0); an fd not open is POLLNVAL; else the
 * file's mask filtered by events | POLLERR | POLLHUP (events are a short: on x86 demangle_poll
 * and mangle_poll change nothing). The counters of the pass are added once at its end.
 */
function doPollPass(t: Thread, list: PollList, wait: PollWqueues | null, pt: PollTable): number {
  const k = t.k;
  const files = t.proc.fdtable.files;
  const entries = list.entries;
  const revents = list.revents;
  const len = list.len;
  let count = 0;
  let lookups = 0;
  for (let i = 0; i < len; i++) {
    const entry = entries[i];
    const fd = entry.fd;
    let mask = 0;
    if (fd >= 0) {
      lookups++;
      // Linux: fdget. No reference is taken: nothing runs between the lookup and the poll, and
      // __pollwait takes its own for the entries it adds.
      const file = fd < files.length ? files[fd] : null;
      if (file === null) mask = EPOLLNVAL;
      else {
        const filter = entry.events | EPOLLERR | EPOLLHUP;
        pt.key = filter;
        mask = vfsPoll(k, file, pt) & filter;
      }
      if (mask !== 0) {
        count++;
        // The first ready entry ends registration.
        pt.qproc = null;
      }
    }
    revents[i] = mask;
  }
  // Every entry is a step of the pass, negative fds included (they cost nothing else).
  k.stats.fdsScanned += len;
  k.stats.fileLookups += lookups;
  // Linux: wait entries are added only during the first pass.
  pt.qproc = null;
  if (count === 0) {
    if (wait !== null) count = wait.error;
    // Linux: signal_pending(current), on every pass (a zero timeout's only pass too).
    if (t.sigpending) count = -ERESTARTNOHAND;
  }
  return count;
}

/**
 * Linux: do_poll. `endTime`: the absolute deadline; null = no timeout (a zero timeout never gets
 * here: doSysPoll makes its one pass). The first pass never sleeps; doPollWait goes on from there.
 */
function doPoll(
  t: Thread,
  wait: PollWqueues,
  { list, endTime }: { list: PollList; endTime: Timespec64 | null },
): MaySleep<number> {
  const count = doPollPass(t, list, wait, wait.pt);
  if (count !== 0) return count;
  // Linux: the copy_from_user made at the start; here, before anything else can run.
  copyPollList(list);
  return doPollWait(t, list, wait, sleepDeadline(endTime));
}

/** Linux: do_poll's loop from its first sleep on. */
function* doPollWait(t: Thread, list: PollList, wait: PollWqueues, deadline: number | null): SysGen<number> {
  let timedOut = false;
  for (;;) {
    const reason = yield* pollScheduleTimeout(wait, deadline);
    if (reason === 'timeout') timedOut = true;
    const count = doPollPass(t, list, wait, wait.pt);
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
  if (isNonblockEnd(endTime)) {
    // Linux: a zero timeout clears _qproc before the only pass: nothing is registered, nothing
    // sleeps, nothing is left for poll_freewait. Not Linux: so the model makes no poll_wqueues
    // for it, only the key's table; it takes the id poll_initwait would have taken, so the ids
    // of everything after are as they were.
    k.nextId();
    // The key is set before each f_op->poll (see select.ts's zero timeout).
    return pollOutcome(t, list, doPollPass(t, list, null, { qproc: null, key: 0 }));
  }
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
  const list = newPollList(fds);
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
  // The restart polls the kernel's copy, whatever the caller's memory holds by then.
  copyPollList(list);
  t.restartBlock = () => afterSleep(doRestartPoll(t, list, endTime), pollResult);
  return { ret: -ERESTART_RESTARTBLOCK, revents: o.revents };
}

/** Linux: do_restart_poll. */
function doRestartPoll(t: Thread, list: PollList, endTime: Timespec64 | null): MaySleep<PollOutcome> {
  const again = newPollList(list.entries);
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
  const list = newPollList(fds);
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
