// The poll_wqueues machinery select and poll share (Linux: fs/select.c poll_initwait,
// __pollwait, pollwake, poll_schedule_timeout, poll_freewait).
//
// A select or poll call owns one PollWqueues for its whole duration. Its poll table is handed
// to every f_op->poll of the first pass; while the table's qproc is __pollwait, each
// poll_wait(file, queue) inside a file's poll method adds one entry to that queue: a
// non-exclusive `pollwake` entry at the head, whose key is the events this fd was asked for,
// holding a reference to the file. The caller clears qproc as soon as something is ready and
// after the first pass, so entries are added only in the first pass and only up to the first
// ready fd (that one included: poll_wait runs before its mask is known). A wake-up whose key has none of the entry's events is ignored (pollwake returns 0);
// any other sets `triggered` and wakes the task, which then rescans everything. At the end,
// poll_freewait removes every entry and drops the file references it held: the per-call
// O(n) add-and-remove churn that epoll avoids (reference §7.1).

import { DEFAULT_POLLMASK, PAGE_SIZE } from '../abi/constants.ts';
import { type File, fput, getFile, type PollTable } from './file.ts';
import { defineKernelState, type Kernel } from './kernel.ts';
import { type SysGen, schedule, type Thread, type WakeReason, wakeThread } from './sched.ts';
import {
  KTIME_SEC_MAX,
  ktimeGetTs64,
  NSEC_PER_SEC,
  type Timespec64,
  timespec64Add,
  timespec64ToKtime,
} from './time.ts';
import {
  addWaitQueue,
  defineWakeFunction,
  newWaitEntry,
  removeWaitQueue,
  type WaitEntry,
  type WaitQueueHead,
} from './waitqueue.ts';

/** Linux: struct poll_table_entry — one registration of a select/poll call on one wait queue. */
export interface PollTableEntry {
  /** Linux: .filp. A reference taken by __pollwait, dropped by poll_freewait. */
  readonly file: File;
  /** Linux: .wait. A `pollwake` entry; its key (Linux: .key) is the events this fd was asked for. */
  readonly wait: WaitEntry;
  /** Linux: .wait_address. The queue the entry is on until poll_freewait. */
  readonly waitAddress: WaitQueueHead;
}

/** The poll table a PollWqueues hands to f_op->poll, with the way back to its owner (container_of). */
export interface PollWqueuesTable extends PollTable {
  /** The PollWqueues this table belongs to. */
  readonly pwq: PollWqueues;
}

/** Linux: struct poll_wqueues — the state of one select or poll call. */
export class PollWqueues {
  readonly id: number;
  /**
   * Linux: .pt. qproc is __pollwait from poll_initwait until the caller clears it (first ready
   * fd, or the end of the first pass); key is set by the caller before each f_op->poll.
   */
  readonly pt: PollWqueuesTable;
  /** Linux: .triggered. Set by pollwake; cleared by poll_schedule_timeout after each (non-)sleep. */
  triggered = false;
  /** Linux: .error. -ENOMEM when an entry could not be allocated; always 0 here (no allocation fails). */
  error = 0;
  /**
   * Linux: .inline_entries and .table (the poll_table_page list), in registration order. Only
   * __pollwait appends; poll_freewait empties it.
   */
  readonly entries: PollTableEntry[] = [];
  /**
   * Not Linux: the call before and after this one in its kernel's list of calls in progress
   * (snapshots), oldest first; null at the ends. Linked by poll_initwait, unlinked by poll_freewait.
   */
  livePrev: PollWqueues | null = null;
  liveNext: PollWqueues | null = null;

  constructor(
    /** Linux: .polling_task. The thread pollwake wakes. */
    readonly task: Thread,
    /** Which system call owns it (for snapshots and traces). */
    readonly owner: 'select' | 'poll',
  ) {
    this.id = task.k.nextId();
    // Linux: init_poll_funcptr — _key = ~0, "all events".
    this.pt = { qproc: __pollwait, key: 0xffffffff, pwq: this };
  }
}

// Linux: fs/select.c N_INLINE_POLL_ENTRIES = WQUEUES_STACK_ALLOC / sizeof(struct poll_table_entry)
// = (832 − 256) / 64 on x86-64; the entries of a poll_table_page = (PAGE_SIZE − its 16-byte
// header) / 64. They only decide the order in which poll_freewait removes entries (traces).
const POLL_TABLE_ENTRY_BYTES = 64;
export const N_INLINE_POLL_ENTRIES = Math.floor((832 - 256) / POLL_TABLE_ENTRY_BYTES);
export const POLL_TABLE_PAGE_ENTRIES = Math.floor((PAGE_SIZE - 16) / POLL_TABLE_ENTRY_BYTES);

/**
 * The calls in progress, per kernel (for snapshots): a list through livePrev/liveNext, oldest
 * first. Not a Set: a Set gives every new PollWqueues an identity hash, a third of a small poll.
 */
interface LiveList {
  first: PollWqueues | null;
  last: PollWqueues | null;
}

// Per-kernel state: snapshots show the calls in progress, oldest first.
const live = defineKernelState<LiveList>(
  'pollwait',
  () => ({ first: null, last: null }),
  (list) => {
    const out: ReturnType<typeof snapshotPollWqueues>[] = [];
    for (let pwq = list.first; pwq; pwq = pwq.liveNext) out.push(snapshotPollWqueues(pwq));
    return out;
  },
);

/** Linux: poll_initwait — qproc = __pollwait, key = all events, nothing triggered. */
export function pollInitwait(t: Thread, owner: 'select' | 'poll'): PollWqueues {
  const pwq = new PollWqueues(t, owner);
  const list = t.k.state(live);
  pwq.livePrev = list.last;
  if (list.last) list.last.liveNext = pwq;
  else list.first = pwq;
  list.last = pwq;
  return pwq;
}

/** Take a finished call off its kernel's list of calls in progress (once; again does nothing). */
function unlinkLive(k: Kernel, pwq: PollWqueues): void {
  const list = k.state(live);
  if (pwq.livePrev === null && list.first !== pwq) return;
  if (pwq.livePrev) pwq.livePrev.liveNext = pwq.liveNext;
  else list.first = pwq.liveNext;
  if (pwq.liveNext) pwq.liveNext.livePrev = pwq.livePrev;
  else list.last = pwq.livePrev;
  pwq.livePrev = pwq.liveNext = null;
}

/**
 * Linux: __pollwait — take a reference to the file, add a non-exclusive pollwake entry at the
 * head of the queue with the requested events as its key.
 */
export function __pollwait(file: File, waitAddress: WaitQueueHead, pt: PollTable): void {
  const pwq = (pt as PollWqueuesTable).pwq; // Linux: container_of(p, struct poll_wqueues, pt)
  const k = pwq.task.k;
  const wait = newWaitEntry(k, 'pollwake', pwq, pt.key);
  pwq.entries.push({ file: getFile(file), wait, waitAddress });
  addWaitQueue(k, waitAddress, wait);
}

// Linux: pollwake — a keyed wake-up none of whose events this entry asked for is not a
// wake-up (returns 0); otherwise set triggered and wake the polling task (__pollwake).
defineWakeFunction('pollwake', (k, entry, key) => {
  if (key !== 0 && (key & entry.key) === 0) {
    k.stats.callbacksFilteredByKey++;
    return 0;
  }
  const pwq = entry.owner as PollWqueues;
  pwq.triggered = true;
  return wakeThread(k, pwq.task, 'woken');
});

/**
 * Linux: vfs_poll — the file's ->poll, or DEFAULT_POLLMASK (IN|OUT|RDNORM|WRNORM) without
 * registering anything for files that have none (regular files, /dev/null).
 */
export function vfsPoll(k: Kernel, file: File, pt: PollTable | null): number {
  // One load from the File (the same shape for every file type), not two through its ops.
  const poll = file.fopPoll;
  if (poll === null) return DEFAULT_POLLMASK;
  return poll(k, file, pt);
}

/**
 * Linux: poll_schedule_timeout — sleep until a pollwake or the absolute deadline (null: none),
 * unless a wake-up already arrived (triggered). Returns 'timeout' when the deadline passed
 * (Linux: schedule_hrtimeout_range returned 0), else why it woke. Clears triggered.
 */
export function* pollScheduleTimeout(pwq: PollWqueues, deadline: number | null): SysGen<WakeReason> {
  let reason: WakeReason = 'woken';
  // Linux: the entries are poll_freewait's to remove (holdAcrossSleep), not schedule's.
  if (!pwq.triggered) reason = yield* schedule(pwq.task, deadline);
  pwq.triggered = false;
  return reason;
}

/**
 * Linux: poll_freewait → free_poll_entry for each entry: remove it from its queue and drop the
 * file reference. Linux frees the inline entries first, in order, then the pages, newest page
 * first, each from its last entry down; the model removes them in that order.
 */
export function pollFreewait(pwq: PollWqueues): void {
  const k = pwq.task.k;
  const entries = pwq.entries;
  pwq.pt.qproc = null;
  unlinkLive(k, pwq);
  if (entries.length === 0) return;
  const order: PollTableEntry[] = entries.slice(0, N_INLINE_POLL_ENTRIES);
  const pages: PollTableEntry[][] = [];
  for (let i = N_INLINE_POLL_ENTRIES; i < entries.length; i += POLL_TABLE_PAGE_ENTRIES)
    pages.push(entries.slice(i, i + POLL_TABLE_PAGE_ENTRIES));
  for (const page of pages.reverse()) order.push(...page.reverse());
  for (const entry of order) {
    removeWaitQueue(k, entry.wait);
    fput(k, entry.file);
  }
  entries.length = 0;
}

/** pollFreewait as holdAcrossSleep's release: the end of a select or poll call, however it ends. */
export function pollFreewaitOf(_t: Thread, pwq: PollWqueues): void {
  pollFreewait(pwq);
}

// ---- timeouts (Linux: poll_select_set_timeout, and the hrtimer's view of the deadline) ----

// select and poll return ERESTARTNOHAND when a signal arrived and nothing was ready (entry.ts).
export { ERESTARTNOHAND } from './errors.ts';

/**
 * Linux: poll_select_set_timeout — the absolute deadline (CLOCK_MONOTONIC) of a relative
 * timeout, or null when it is invalid (sec < 0, or nsec outside [0, 1e9): EINVAL). A zero
 * timeout gives the deadline {0, 0}: "do not block" (isNonblockEnd). Nothing else can be
 * {0, 0}, since the timeout is added to the clock.
 */
export function pollSelectSetTimeout(k: Kernel, sec: number, nsec: number): Timespec64 | null {
  // Linux: timespec64_valid.
  if (sec < 0 || nsec < 0 || nsec >= NSEC_PER_SEC) return null;
  if (sec === 0 && nsec === 0) return { sec: 0, nsec: 0 };
  return timespec64Add(ktimeGetTs64(k), { sec, nsec });
}

/** True for poll_select_set_timeout's {0, 0}: poll once, do not block. */
export function isNonblockEnd(end: Timespec64 | null): boolean {
  return end !== null && end.sec === 0 && end.nsec === 0;
}

/**
 * The deadline to sleep until, for pollScheduleTimeout: null (no deadline) for no timeout, and
 * for deadlines at or past KTIME_MAX (Linux: timespec64_to_ktime saturates, and
 * schedule_hrtimeout_range sleeps without a timer for KTIME_MAX).
 */
export function sleepDeadline(end: Timespec64 | null): number | null {
  if (end === null || end.sec >= KTIME_SEC_MAX) return null;
  // Not Linux: past 2^53 ns (about 104 days) the virtual clock, a double, rounds the deadline.
  return timespec64ToKtime(end);
}

/** The select/poll calls in progress on this kernel, oldest first. */
export function livePollWqueues(k: Kernel): PollWqueues[] {
  const out: PollWqueues[] = [];
  for (let pwq = k.state(live).first; pwq; pwq = pwq.liveNext) out.push(pwq);
  return out;
}

/** Plain JSON for one call's poll_wqueues: its thread, flags and registrations. */
export function snapshotPollWqueues(pwq: PollWqueues): {
  id: number;
  owner: 'select' | 'poll';
  task: string;
  registering: boolean;
  key: number;
  triggered: boolean;
  error: number;
  entries: { entry: number; file: number; fileType: string; queue: number; queueName: string; key: number }[];
} {
  return {
    id: pwq.id,
    owner: pwq.owner,
    task: pwq.task.name,
    registering: pwq.pt.qproc !== null,
    key: pwq.pt.key,
    triggered: pwq.triggered,
    error: pwq.error,
    entries: pwq.entries.map((e) => ({
      entry: e.wait.id,
      file: e.file.id,
      fileType: e.file.ops.type,
      queue: e.waitAddress.id,
      queueName: e.waitAddress.name,
      key: e.wait.key,
    })),
  };
}
