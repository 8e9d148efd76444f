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
import { Unsupported } from '../api/syscalls.ts';
import { ERRNO, toResult } from './errors.ts';
import {
  ERESTARTNOHAND,
  type PollWqueues,
  type PollWqueuesTable,
  pollFreewait,
  pollInitwait,
  pollScheduleTimeout,
  pollSelectSetTimeout,
  sleepDeadline,
  vfsPoll,
} from './pollwait.ts';
import type { SysGen, Thread } from './sched.ts';

const { EINTR, EINVAL } = ERRNO;

// Linux: sizeof(struct pollfd), and of its revents field.
const POLLFD_BYTES = 8;
const REVENTS_BYTES = 2;
const MSEC_PER_SEC = 1000;
const NSEC_PER_MSEC = 1_000_000n;

/** Linux: struct pollfd, the kernel's copy. */
interface KPollFd {
  readonly fd: number;
  readonly events: number;
  revents: number;
}

/**
 * Linux: do_pollfd — poll one entry and set its revents; returns them (non-zero counts).
 * events are a short: on x86 demangle_poll and mangle_poll change nothing.
 */
function doPollfd(t: Thread, pfd: KPollFd, pwait: PollWqueuesTable): number {
  const k = t.k;
  let mask = 0;
  if (pfd.fd >= 0) {
    k.stats.fileLookups++;
    // Linux: fdget. No reference is taken: nothing runs between the lookup and the poll, and
    // __pollwait takes its own for the entries it adds.
    const file = t.proc.fdtable.get(pfd.fd);
    if (file === null) mask = EPOLL.EPOLLNVAL;
    else {
      const filter = pfd.events | EPOLL.EPOLLERR | EPOLL.EPOLLHUP;
      pwait.key = filter;
      mask = vfsPoll(k, file, pwait) & filter;
    }
  }
  pfd.revents = mask;
  return mask;
}

/** Linux: do_poll. `endTime`: absolute ns; 0 = do not block; null = no timeout. */
function* doPoll(t: Thread, list: KPollFd[], wait: PollWqueues, endTime: bigint | null): SysGen<number> {
  const k = t.k;
  const pt = wait.pt;
  let timedOut = false;
  // Linux: a zero timeout registers nothing and makes one pass.
  if (endTime === 0n) {
    pt.qproc = null;
    timedOut = true;
  }
  let signalPending = false;
  let count = 0;
  for (;;) {
    for (const pfd of list) {
      // Every entry is a step of the pass, negative fds included (they cost nothing else).
      k.stats.fdsScanned++;
      if (doPollfd(t, pfd, pt) !== 0) {
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
    if (count !== 0 || timedOut) break;
    const reason = yield* pollScheduleTimeout(wait, sleepDeadline(endTime));
    if (reason === 'timeout') timedOut = true;
    // Not yet reachable: signals are a later issue.
    else if (reason === 'signal') signalPending = true;
  }
  return count;
}

/** What a poll call leaves in the caller's memory, whatever its result. */
export interface PollOutcome {
  /** The number of entries with non-zero revents, or −errno. */
  ret: number;
  /** Every entry's revents as written back; null when the call failed before writing them. */
  revents: number[] | null;
}

/** Linux: do_sys_poll. */
export function* do_sys_poll(t: Thread, fds: readonly PollFd[], endTime: bigint | null): SysGen<PollOutcome> {
  const k = t.k;
  const nfds = fds.length;
  // Linux: nfds (unsigned) above RLIMIT_NOFILE's soft limit; nfds equal to it is fine.
  if (nfds > t.proc.fdtable.rlimit.soft) return { ret: -EINVAL, revents: null };
  k.stats.bytesCopiedIn += nfds * POLLFD_BYTES;
  const list: KPollFd[] = fds.map((p) => ({ fd: p.fd, events: p.events, revents: 0 }));

  const table = pollInitwait(t, 'poll');
  let fdcount: number;
  try {
    fdcount = yield* doPoll(t, list, table, endTime);
  } finally {
    pollFreewait(table);
  }
  // Linux: revents go back for every entry, even when the result is an error.
  k.stats.bytesCopiedOut += nfds * REVENTS_BYTES;
  return { ret: fdcount, revents: list.map((p) => p.revents) };
}

function checkArgs(fds: readonly PollFd[], timeout: number): void {
  if (!Number.isInteger(timeout) || timeout < -(2 ** 31) || timeout >= 2 ** 31)
    throw new Unsupported('poll', `timeout ${timeout} (an int of milliseconds)`);
  for (const p of fds) {
    if (!Number.isInteger(p.fd) || p.fd < -(2 ** 31) || p.fd >= 2 ** 31)
      throw new Unsupported('poll', `fd ${p.fd}`);
    if (!Number.isInteger(p.events) || p.events < 0 || p.events > 0xffff)
      throw new Unsupported('poll', `events 0x${p.events.toString(16)} (a 16-bit mask)`);
  }
}

/**
 * Linux: sys_poll — the whole call, returning what the caller can see afterwards. A negative
 * timeout is infinite, 0 does not block, otherwise the deadline is now + timeout ms. What the
 * model cannot represent (values outside the C types) throws Unsupported before the call starts.
 */
export function kern_poll(t: Thread, fds: readonly PollFd[], timeout: number): SysGen<PollOutcome> {
  checkArgs(fds, timeout);
  return kernPoll(
    t,
    fds.map((p) => ({ fd: p.fd, events: p.events })),
    timeout,
  );
}

function* kernPoll(t: Thread, fds: readonly PollFd[], timeout: number): SysGen<PollOutcome> {
  let endTime: bigint | null = null;
  if (timeout >= 0)
    endTime = pollSelectSetTimeout(
      t.k,
      BigInt(Math.trunc(timeout / MSEC_PER_SEC)),
      BigInt(timeout % MSEC_PER_SEC) * NSEC_PER_MSEC,
    );
  const o = yield* do_sys_poll(t, fds, endTime);
  // Linux: ERESTARTNOHAND becomes a restart block (do_restart_poll, same absolute deadline);
  // with a handler it is EINTR, even with SA_RESTART. Not yet reachable: signals are a later issue.
  if (o.ret === -ERESTARTNOHAND) return { ret: -EINTR, revents: o.revents };
  return o;
}

/** poll(2): the count and every entry's revents, or an errno. */
export function sys_poll(
  t: Thread,
  fds: readonly PollFd[],
  timeout: number,
): SysGen<SysResult<{ revents: number[] }>> {
  return pollResult(kern_poll(t, fds, timeout));
}

function* pollResult(call: SysGen<PollOutcome>): SysGen<SysResult<{ revents: number[] }>> {
  const o = yield* call;
  if (o.ret < 0 || o.revents === null) return toResult(o.ret) as SysResult<{ revents: number[] }>;
  return { ret: o.ret, revents: o.revents };
}
