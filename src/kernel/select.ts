// select (Linux: fs/select.c kern_select → core_sys_select → do_select; reference §2).
//
// The caller's fd sets are bitmaps of 64-bit words; for nfds = n the kernel reads and writes
// FDS_BYTES(n) = ceil(n/64) × 8 bytes of each non-null set, after capping n at the fd table's
// capacity (max_fds, not RLIMIT_NOFILE). The API carries a set as a list of fds; this module
// turns it into those words, so what Linux does to bits it never reads (fds at or above the
// words, left as they were) and to bits it reads but ignores (fds at or above n in the last
// word, cleared on the way out) comes out the same.
//
// do_select first checks every set bit below n against the open descriptors (any closed one:
// EBADF, before anything is polled), then passes over the set fds. Each fd is polled once per
// pass with the events of the sets it is in as the poll table's key; an fd counts once per set
// it is ready in (so 1, 2 or 3 times). The first pass registers a pollwake entry on each
// file's queues until the first ready fd; later passes register nothing. With nothing ready
// the call sleeps until a pollwake or its deadline and rescans everything; after the deadline
// it still makes one last pass. poll_freewait removes every entry. All of it is O(n) per call
// whatever the number of ready fds: the counters of reference §7.1 show it.
//
// Counters: bytesCopiedIn/Out count FDS_BYTES(n) per non-null set (in; and out on success) and
// 16 per timeval (in when given; out when written back); bitmapWordsScanned counts each 64-bit
// word read from the in, out and ex sets (3 per word index) in max_select_fd and in each pass;
// fdsScanned and fileLookups count each set fd per pass; f_op->poll counts fopPollCalls, and the
// queue functions count waitEntriesAdded/Removed.

import { EPOLL, POLLEX_SET, POLLIN_SET, POLLOUT_SET } from '../abi/constants.ts';
import type { FdSet, Pselect6Result, SelectResult, SysResult, Timeval } from '../api/syscalls.ts';
import { ERRNO, errWhy, toResult } from './errors.ts';
import type { PollTable } from './file.ts';
import { pollSelectFinishTimespec } from './poll.ts';
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
import { afterSleep, holdAcrossSleep, type MaySleep, type SysGen, type Thread } from './sched.ts';
import { setUserSigmask } from './signal.ts';
import { ktimeGetTs64, NSEC_PER_USEC, type Timespec64, timespec64Sub, USEC_PER_SEC } from './time.ts';

const { EBADF, EINVAL } = ERRNO;

const BITS_PER_LONG = 64;
// Linux: sizeof(struct __kernel_old_timeval) on x86-64.
const TIMEVAL_BYTES = 16;

/** Linux: FDS_LONGS(n) — the 64-bit words a set of n bits occupies. */
function fdsLongs(n: number): number {
  return Math.ceil(n / BITS_PER_LONG);
}

/**
 * Linux: fd_set_bits — the three sets read in and the three results, FDS_LONGS(n) words each,
 * in one array as Linux allocates them (one buffer of 6 × size). A 64-bit word is stored as two
 * 32-bit halves, low first (as on x86-64), so a word is zero iff both halves are; fd's bit is
 * bit fd & 31 of half fd >>> 5. The six sets start at in, out, ex, resIn, resOut, resEx (in
 * halves).
 */
interface FdSetBits {
  /** FDS_LONGS(n), the words of each set. */
  readonly words: number;
  readonly bits: Uint32Array;
  readonly in: number;
  readonly out: number;
  readonly ex: number;
  readonly resIn: number;
  readonly resOut: number;
  readonly resEx: number;
}

/**
 * Not Linux's allocator: the words of the last finished call, kept for the next (Linux uses an
 * on-stack buffer, SELECT_STACK_ALLOC, and kvmalloc past it). A typed array of more than 64
 * bytes costs an off-heap buffer and its later collection, more than a select over a few hundred
 * idle fds. A call takes the spare whole (one that sleeps keeps it, so a second call in progress
 * makes its own) and zeroes what it uses, so no call sees another's bits. Module-wide, so
 * shared by every Kernel in the process, as a buffer pool is: it holds no kernel's state
 * between calls, only memory to reuse.
 */
let spareBits: Uint32Array | null = null;

/** Linux: core_sys_select's allocation of the six sets (zeroed: the inputs as zero_fd_set). */
function newFdSetBits(words: number): FdSetBits {
  const size = 2 * words;
  let bits = spareBits;
  if (bits !== null && bits.length >= 6 * size) {
    spareBits = null;
    bits.fill(0, 0, 6 * size);
  } else bits = new Uint32Array(6 * size);
  return {
    words,
    bits,
    in: 0,
    out: size,
    ex: 2 * size,
    resIn: 3 * size,
    resOut: 4 * size,
    resEx: 5 * size,
  };
}

/** The end of a call: its words become the spare (the larger one is kept). */
function freeFdSetBits(fds: FdSetBits): void {
  if (spareBits === null || spareBits.length < fds.bits.length) spareBits = fds.bits;
}

/** The bits of the three input sets in half `h`, limited to fds below n. */
function allBits(fds: FdSetBits, h: number, n: number): number {
  const bits = fds.bits;
  let all = bits[fds.in + h] | bits[fds.out + h] | bits[fds.ex + h];
  const room = n - 32 * h;
  if (room < 32) all &= (1 << room) - 1;
  return all;
}

/** The fd of the lowest set bit of a half (its index plus the half's first fd). */
function lowestFd(h: number, all: number): number {
  return 32 * h + 31 - Math.clz32(all & -all);
}

/** A user fd set as a list of fds, in any order, maybe repeated (null for a null pointer). */
type UserSet = readonly number[] | null;

/** A set as the API returns it: ascending, each fd once (the bitmap the caller's memory holds). */
function asList(set: UserSet): number[] | null {
  if (set === null) return null;
  let ascending = true;
  for (let i = 1; i < set.length && ascending; i++) ascending = set[i - 1] < set[i];
  return ascending ? (set as number[]) : [...new Set(set)].sort((a, b) => a - b);
}

/**
 * Linux: get_fd_set — copy FDS_BYTES(n) bytes of a non-null set; a null set reads as zeros.
 * Returns how many of the set's fds lie past those words (set_fd_set leaves them as they are).
 */
function getFdSet(t: Thread, set: UserSet, fds: FdSetBits, to: number): number {
  if (set === null) return 0;
  t.k.stats.bytesCopiedIn += fds.words * 8;
  const limit = fds.words * BITS_PER_LONG;
  const bits = fds.bits;
  let past = 0;
  // The bits of one word are gathered before it is stored: a list in ascending order (as
  // FD_SET loops make it) fills each word in a run, and a store per fd would chain every fd of a
  // run through memory. Any order still comes out right: a word met again is or-ed again.
  let word = -1;
  let acc = 0;
  for (let i = 0; i < set.length; i++) {
    const fd = set[i];
    if (fd >= limit) {
      past++;
      continue;
    }
    if (fd >>> 5 !== word) {
      if (word >= 0) bits[to + word] |= acc;
      word = fd >>> 5;
      acc = 0;
    }
    acc |= 1 << (fd & 31);
  }
  if (word >= 0) bits[to + word] |= acc;
  return past;
}

/**
 * Linux: set_fd_set — write FDS_BYTES(n) bytes of the result over a non-null set. Bits in
 * those words become the result's (fds from n up to the word's end come back cleared); fds
 * past the words (`past` of them, counted by getFdSet) are not touched.
 */
function setFdSet(t: Thread, set: UserSet, fds: FdSetBits, from: number, past: number): UserSet {
  if (set === null) return null;
  t.k.stats.bytesCopiedOut += fds.words * 8;
  const out: number[] = [];
  const bits = fds.bits;
  const end = from + 2 * fds.words;
  for (let h = from; h < end; h++)
    for (let word = bits[h]; word !== 0; word &= word - 1) out.push(lowestFd(h - from, word));
  if (past === 0) return out;
  // Bits past the written words stay as the caller set them (ascending, once each).
  const limit = fds.words * BITS_PER_LONG;
  const rest: number[] = [];
  for (let i = 0; i < set.length; i++) if (set[i] >= limit) rest.push(set[i]);
  out.push(...[...new Set(rest)].sort((a, b) => a - b));
  return out;
}

/**
 * Linux: max_select_fd — every bit set below n, in any of the three sets, must be an open
 * descriptor (else EBADF, before anything is polled). Returns the highest set fd + 1, or 0.
 * Linux walks the words from the last down, testing each against open_fds a word at a time
 * (`set & ~open_fds`); so does the model, half a word at a time.
 */
function maxSelectFd(t: Thread, n: number, fds: FdSetBits): number {
  const open = t.proc.fdtable.openFdsBits.words;
  const stats = t.k.stats;
  let max = 0;
  for (let w = fdsLongs(n) - 1; w >= 0; w--) {
    // Linux: BITS(fds, n) reads the word of each of the three sets.
    stats.bitmapWordsScanned += 3;
    for (let h = 2 * w; h < 2 * w + 2 && 32 * h < n; h++) {
      const all = allBits(fds, h, n);
      if (all === 0) continue;
      // Linux: `set & ~*open_fds` — a larval (reserved, uninstalled) fd counts as open here,
      // and select_poll_one then finds no file: NVAL.
      const bad = all & ~open[h];
      if (bad !== 0) {
        const fd = lowestFd(h, bad);
        return errWhy(t.k, -EBADF, 'max_select_fd', 'fd {fd} is set but not open', undefined, fd);
      }
      const top = 32 * h + 32 - Math.clz32(all);
      if (top > max) max = top;
    }
  }
  return max;
}

/**
 * Linux: do_select's loop body over the set fds below n, in ascending order (one pass): for each
 * set bit, select_poll_one — look the fd up (NVAL if it is no longer open: closed by another
 * thread since max_select_fd), ask for the events of the sets it is in (the poll table's key),
 * poll it — and record where it is ready. Returns how many (fd, set) pairs were ready. Each set
 * counts on its own; the first ready fd ends registration.
 *
 * Shaped as Linux's loop is: a word of each set read once, words with no bit skipped, f_op->poll
 * called only for set bits, the result words written once per word. The counters of the pass
 * are added once at its end.
 */
function doSelectPass(t: Thread, n: number, fds: FdSetBits, wait: PollTable): number {
  const k = t.k;
  // Linux: fdget. No reference is taken here: nothing can run between the lookup and the poll,
  // and __pollwait takes its own for the entries it adds. n ≤ max_fds, so fd is in the array.
  const files = t.proc.fdtable.files;
  const bits = fds.bits;
  const { in: inp, out: outp, ex: exp, resIn, resOut, resEx } = fds;
  const halves = (n + 31) >>> 5;
  let retval = 0;
  let polled = 0;
  for (let h = 0; h < halves; h++) {
    const all = allBits(fds, h, n);
    if (all === 0) continue;
    const inBits = bits[inp + h];
    const outBits = bits[outp + h];
    const exBits = bits[exp + h];
    let rIn = 0;
    let rOut = 0;
    let rEx = 0;
    for (let left = all; left !== 0; left &= left - 1) {
      const bit = left & -left;
      const file = files[32 * h + 31 - Math.clz32(bit)];
      polled++;
      let mask: number;
      if (file === null) mask = EPOLL.EPOLLNVAL;
      else {
        wait.key =
          POLLEX_SET | ((inBits & bit) !== 0 ? POLLIN_SET : 0) | ((outBits & bit) !== 0 ? POLLOUT_SET : 0);
        mask = vfsPoll(k, file, wait);
      }
      if ((mask & POLLIN_SET) !== 0 && (inBits & bit) !== 0) {
        rIn |= bit;
        retval++;
        wait.qproc = null;
      }
      if ((mask & POLLOUT_SET) !== 0 && (outBits & bit) !== 0) {
        rOut |= bit;
        retval++;
        wait.qproc = null;
      }
      if ((mask & POLLEX_SET) !== 0 && (exBits & bit) !== 0) {
        rEx |= bit;
        retval++;
        wait.qproc = null;
      }
    }
    // Linux: the results of a word are stored when its bits are done (*rinp = res_in …).
    if (rIn !== 0) bits[resIn + h] |= rIn;
    if (rOut !== 0) bits[resOut + h] |= rOut;
    if (rEx !== 0) bits[resEx + h] |= rEx;
  }
  const stats = k.stats;
  stats.bitmapWordsScanned += 3 * fdsLongs(n);
  stats.fdsScanned += polled;
  stats.fileLookups += polled;
  // Linux: wait entries are added only during the first pass.
  wait.qproc = null;
  return retval;
}

/** do_select's result: the count or −errno, and whether a signal ended the wait. */
interface DoSelectResult {
  retval: number;
  signalPending: boolean;
}

/**
 * Linux: do_select. `endTime`: the absolute deadline; {0, 0} = do not block; null = no timeout.
 * The first pass never sleeps; doSelectWait goes on from there.
 */
function doSelect(
  t: Thread,
  n: number,
  fds: FdSetBits,
  endTime: Timespec64 | null,
): MaySleep<DoSelectResult> {
  const max = maxSelectFd(t, n, fds);
  if (max < 0) return { retval: max, signalPending: false };
  if (isNonblockEnd(endTime)) {
    // Linux: a zero timeout clears _qproc before the only pass: nothing is registered, nothing
    // sleeps, nothing is left for poll_freewait. Not Linux: so the model makes no poll_wqueues
    // for it, only the key's table; it takes the id poll_initwait would have taken, so the ids
    // of everything after are as they were.
    t.k.nextId();
    // The key is set before each f_op->poll; 0 keeps it a small integer (the shape epoll's own
    // re-poll tables have), where init_poll_funcptr's ~0 would not be.
    const pt: PollTable = { qproc: null, key: 0 };
    const retval = doSelectPass(t, max, fds, pt);
    // Linux: signal_pending(current) is checked after every pass, a zero timeout's too.
    return { retval, signalPending: t.sigpending };
  }
  // Linux: poll_initwait … the loop … poll_freewait.
  const table = pollInitwait(t, 'select');
  return holdAcrossSleep(t, table, pollFreewaitOf, doSelectLoop, { n: max, fds, endTime });
}

/** Linux: do_select's loop up to its first sleep, with the poll table held. */
function doSelectLoop(
  t: Thread,
  table: PollWqueues,
  { n, fds, endTime }: { n: number; fds: FdSetBits; endTime: Timespec64 | null },
): MaySleep<DoSelectResult> {
  const retval = doSelectPass(t, n, fds, table.pt);
  // Linux: signal_pending(current) is checked after every pass, the first one's too.
  if (retval !== 0 || t.sigpending) return { retval, signalPending: t.sigpending };
  if (table.error !== 0) return { retval: table.error, signalPending: false };
  return doSelectWait(t, n, fds, sleepDeadline(endTime), table);
}

/** Linux: do_select's loop from its first sleep on. */
function* doSelectWait(
  t: Thread,
  n: number,
  fds: FdSetBits,
  deadline: number | null,
  table: PollWqueues,
): SysGen<DoSelectResult> {
  let timedOut = false;
  for (;;) {
    const reason = yield* pollScheduleTimeout(table, deadline);
    if (reason === 'timeout') timedOut = true;
    const retval = doSelectPass(t, n, fds, table.pt);
    // Linux: signal_pending(current) ends the loop after the pass.
    if (retval > 0 || timedOut || t.sigpending) return { retval, signalPending: t.sigpending };
    if (table.error !== 0) return { retval: table.error, signalPending: false };
  }
}

/** What core_sys_select leaves: the result, and the three user sets as they are afterwards. */
interface CoreSelectResult {
  ret: number;
  sets: [UserSet, UserSet, UserSet];
}

/** Linux: core_sys_select. */
function coreSysSelect(
  t: Thread,
  n: number,
  sets: [UserSet, UserSet, UserSet],
  endTime: Timespec64 | null,
): MaySleep<CoreSelectResult> {
  if (n < 0) return { ret: errWhy(t.k, -EINVAL, 'core_sys_select', 'n < 0'), sets };
  // Linux: the cap is the table's capacity (max_fds), whatever select(2) says about RLIMIT_NOFILE.
  const maxFds = t.proc.fdtable.capacity;
  if (n > maxFds) n = maxFds;

  const fds = newFdSetBits(fdsLongs(n));
  const pastIn = getFdSet(t, sets[0], fds, fds.in);
  const pastOut = getFdSet(t, sets[1], fds, fds.out);
  const pastEx = getFdSet(t, sets[2], fds, fds.ex);

  return afterSleep(doSelect(t, n, fds, endTime), ({ retval, signalPending }): CoreSelectResult => {
    let ret: CoreSelectResult;
    // Linux: on error nothing is copied out; the user's sets keep their input bits.
    if (retval < 0) ret = { ret: retval, sets };
    else if (retval === 0 && signalPending) ret = { ret: -ERESTARTNOHAND, sets };
    else
      ret = {
        ret: retval,
        sets: [
          setFdSet(t, sets[0], fds, fds.resIn, pastIn),
          setFdSet(t, sets[1], fds, fds.resOut, pastOut),
          setFdSet(t, sets[2], fds, fds.resEx, pastEx),
        ],
      };
    freeFdSetBits(fds);
    return ret;
  });
}

/** What a select call leaves in the caller's memory, whatever its result. */
export interface SelectOutcome {
  /** The ready count, or −errno. */
  ret: number;
  /** The three sets as they are afterwards (unchanged on error); null for null pointers. */
  readfds: number[] | null;
  writefds: number[] | null;
  exceptfds: number[] | null;
  /** The timeval afterwards: the remaining time written back, or as passed; null for a null pointer. */
  timeout: Timeval | null;
}

/**
 * Linux: poll_select_finish for a timeval — write the time left back, whatever the result
 * (success, 0, EBADF, EINTR), except for a zero timeout. usec is truncated.
 */
function pollSelectFinish(t: Thread, endTime: Timespec64, tvp: Timeval): Timeval {
  if (isNonblockEnd(endTime)) return tvp;
  let rem = timespec64Sub(endTime, ktimeGetTs64(t.k));
  if (rem.sec < 0) rem = { sec: 0, nsec: 0 };
  t.k.stats.bytesCopiedOut += TIMEVAL_BYTES;
  return { sec: rem.sec, usec: Math.trunc(rem.nsec / NSEC_PER_USEC) };
}

/**
 * Linux: kern_select — the whole call, returning what the caller can see afterwards: the
 * result and its four buffers. sys_select keeps only what the API shows. The syscall table has
 * checked every argument against its C type (src/api/cargs.ts).
 */
export function kernSelect(
  t: Thread,
  n: number,
  inp: FdSet,
  outp: FdSet,
  exp: FdSet,
  tvp: Timeval | null,
): MaySleep<SelectOutcome> {
  const sets: [UserSet, UserSet, UserSet] = [inp, outp, exp];
  // The caller's timeval as it was passed (the copy_from_user).
  const tv = tvp === null ? null : { ...tvp };
  let endTime: Timespec64 | null = null;
  if (tv !== null) {
    t.k.stats.bytesCopiedIn += TIMEVAL_BYTES;
    // Linux: normalised before it is validated (C division truncates toward zero, as % does):
    // tv_usec = 2 000 000 is 2 s; a negative tv_usec leaves a negative nsec → EINVAL.
    const usec = tv.usec % USEC_PER_SEC;
    endTime = pollSelectSetTimeout(t.k, tv.sec + (tv.usec - usec) / USEC_PER_SEC, usec * NSEC_PER_USEC);
    if (endTime === null)
      return selectOutcome(
        errWhy(t.k, -EINVAL, 'poll_select_set_timeout', 'the timeval is invalid (negative)'),
        sets,
        tv,
      );
  }

  return afterSleep(coreSysSelect(t, n, sets, endTime), (r) => {
    const timeout = tv === null || endTime === null ? null : pollSelectFinish(t, endTime, tv);
    // Linux: copy_to_user of the time left into the caller's timeval (`tvp` is that memory): a
    // restart (ERESTARTNOHAND with no handler) reads it back. With a handler the way back to user
    // space makes ERESTARTNOHAND EINTR, SA_RESTART or not.
    if (tvp !== null && timeout !== null) {
      tvp.sec = timeout.sec;
      tvp.usec = timeout.usec;
    }
    return selectOutcome(r.ret, r.sets, timeout === null ? null : { ...timeout });
  });
}

/** What a pselect6 call leaves in the caller's memory. */
export interface PselectOutcome extends Omit<SelectOutcome, 'timeout'> {
  timeout: { sec: number; nsec: number } | null;
}

/**
 * Linux: do_pselect (PT_TIMESPEC) — the timespec checked, the mask set (set_user_sigmask),
 * core_sys_select, then poll_select_finish: the time left written back to `tsp` (the caller's
 * memory) unless the timeout was zero, the mask restored unless a signal interrupted the call.
 */
export function kernPselect6(
  t: Thread,
  n: number,
  inp: FdSet,
  outp: FdSet,
  exp: FdSet,
  tsp: { sec: number; nsec: number } | null,
  sigmask: readonly number[] | null,
): MaySleep<PselectOutcome> {
  const sets: [UserSet, UserSet, UserSet] = [inp, outp, exp];
  let endTime: Timespec64 | null = null;
  if (tsp !== null) {
    t.k.stats.bytesCopiedIn += TIMEVAL_BYTES;
    endTime = pollSelectSetTimeout(t.k, tsp.sec, tsp.nsec);
    if (endTime === null) {
      const ret = errWhy(t.k, -EINVAL, 'poll_select_set_timeout', 'the timespec is invalid');
      return { ...selectOutcome(ret, sets, null), timeout: { ...tsp } };
    }
  }
  setUserSigmask(t, sigmask);
  return afterSleep(coreSysSelect(t, n, sets, endTime), (r) => {
    pollSelectFinishTimespec(t, endTime, tsp, r.ret);
    return { ...selectOutcome(r.ret, r.sets, null), timeout: tsp === null ? null : { ...tsp } };
  });
}

/** pselect6(2), the raw call: `tsp` is the caller's timespec (written back; a restart reads it). */
export function sys_pselect6(
  t: Thread,
  nfds: number,
  readfds: FdSet,
  writefds: FdSet,
  exceptfds: FdSet,
  tsp: { sec: number; nsec: number } | null,
  sigmask: readonly number[] | null,
): MaySleep<SysResult<Pselect6Result>> {
  return afterSleep(kernPselect6(t, nfds, readfds, writefds, exceptfds, tsp, sigmask), (o) => {
    if (o.ret < 0) return toResult(o.ret) as SysResult<Pselect6Result>;
    return {
      ret: o.ret,
      readfds: o.readfds,
      writefds: o.writefds,
      exceptfds: o.exceptfds,
      timeout: o.timeout,
    };
  });
}

function selectOutcome(ret: number, s: [UserSet, UserSet, UserSet], timeout: Timeval | null): SelectOutcome {
  return { ret, readfds: asList(s[0]), writefds: asList(s[1]), exceptfds: asList(s[2]), timeout };
}

/** select(2): the ready count and the three result sets, or an errno (then nothing is shown). */
export function sys_select(
  t: Thread,
  nfds: number,
  readfds: FdSet,
  writefds: FdSet,
  exceptfds: FdSet,
  timeout: Timeval | null,
): MaySleep<SysResult<SelectResult>> {
  return afterSleep(kernSelect(t, nfds, readfds, writefds, exceptfds, timeout), selectResult);
}

function selectResult(o: SelectOutcome): SysResult<SelectResult> {
  if (o.ret < 0) return toResult(o.ret) as SysResult<SelectResult>;
  return { ret: o.ret, readfds: o.readfds, writefds: o.writefds, exceptfds: o.exceptfds, timeout: o.timeout };
}
