// epoll (Linux: fs/eventpoll.c, as of 6.12 with the 2025 backports; epoll_wait's argument
// order as of 6.15+, which is what the 6.18 reference host does).
//
// An epoll instance (struct eventpoll) is the private data of an anonymous "[eventpoll]" file.
// It keeps:
//   - rbr, the interest set: a red-black tree of epitems keyed by (file, fd) — epoll_ctl's
//     O(log N) part (rbtree.ts);
//   - rdllist, the ready list: epitems whose file signalled something since they were last
//     looked at, in order of first readiness (readylist.ts). Callbacks on the watched files'
//     wait queues (ep_poll_callback, epitem.ts) append to it; nobody polls the interest set;
//   - wq, the threads blocked in epoll_wait — exclusive entries at the head, so the newest
//     waiter is woken first, one per callback;
//   - poll_wait, where the epoll's own pollers wait: a parent epoll's item, select, poll.
//
// epoll_wait (ep_poll → ep_send_events) moves the whole ready list to a scan batch in O(1),
// then re-polls each item, because keys are hints: not-ready items are dropped (they cost one
// poll, no output slot), ready ones are copied out; level-triggered items go back to the tail
// of the ready list (so the next call re-polls them: round robin under maxevents), edge-
// triggered ones do not, ONESHOT ones are disabled until MOD. The items past maxevents go back
// at the head in their old order. So a wait costs O(delivered + stale), whatever the size of
// the interest set — the claim the cost counters make visible.
//
// Locking: Linux serialises with ep->mtx (ctl, transfer, release) and ep->lock (the lists).
// In the model a system call runs without interruption until it sleeps, which gives the same
// exclusion; the only place the lists are observed "in the middle" is a scan, whose ovflist is
// modelled as Linux has it.

import {
  DEFAULT_POLLMASK,
  EP_MAX_EVENTS,
  EP_PRIVATE_BITS,
  EPOLL,
  EPOLL_CTL,
  O,
} from '../../abi/constants.ts';
import type { EpollEvent, SysResult, Timespec } from '../../api/syscalls.ts';
import { Unsupported } from '../../api/syscalls.ts';
import { ERRNO, fail, toResult } from '../errors.ts';
import {
  File,
  type FileOperations,
  fileCanPoll,
  fileHooks,
  fput,
  type PollTable,
  pollWait,
} from '../file.ts';
import { fdget, fdlookup, installFd } from '../fs.ts';
import type { Kernel } from '../kernel.ts';
import type { MaySleep, SysGen, Thread, WakeReason } from '../sched.ts';
import { NSEC_PER_MSEC, NSEC_PER_SEC } from '../time.ts';
import {
  addWaitQueueExclusiveHead,
  newWaitEntry,
  newWaitQueue,
  removeWaitQueue,
  type WaitQueueHead,
  waitEntries,
  waitqueueActive,
  wakeUp,
} from '../waitqueue.ts';
import {
  type Epitem,
  type EpollEventState,
  epPollSafewake,
  epPqueue,
  epUnregisterPollwait,
  isFileEpoll,
  newEpitem,
  pwqlistItems,
} from './epitem.ts';
import { epLoopCheck, type LoopCheckCtx, listTargetFile, reversePathCheck } from './loopcheck.ts';
import { type RbNodeSnapshot, RbTree } from './rbtree.ts';
import {
  EP_UNACTIVE_PTR,
  type EpUnactive,
  epIsLinked,
  type ListHead,
  listAdd,
  listAddTail,
  listDelInit,
  listEmpty,
  listItems,
  listSpliceInit,
  newListHead,
  ovflistItems,
} from './readylist.ts';

const { EBADF, EEXIST, EINTR, EINVAL, ELOOP, ENOENT, ENOSPC, EPERM } = ERRNO;
const { EPOLLIN, EPOLLRDNORM, EPOLLERR, EPOLLHUP, EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP } =
  EPOLL;
const { EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } = EPOLL_CTL;

// Linux: fs/eventpoll.c EPOLLEXCLUSIVE_OK_BITS = IN|OUT|ERR|HUP|WAKEUP|ET|EXCLUSIVE.
const EPOLLEXCLUSIVE_OK_BITS = 0xb000001d;
/** Linux: sizeof(struct epoll_event) on x86-64 (packed). */
export const EPOLL_EVENT_SIZE = 12;

/** Linux: struct eventpoll. */
export interface Eventpoll {
  /** Stable id for traces and snapshots. */
  readonly id: number;
  /** Linux: ep->wq — threads in epoll_wait: exclusive ep_autoremove entries, newest at the head. */
  readonly wq: WaitQueueHead;
  /** Linux: ep->poll_wait — pollers of the epoll file itself (parent epolls' items, select, poll). */
  readonly pollWait: WaitQueueHead;
  /** Linux: ep->rdllist — the ready list (FIFO of epitems, linked through epi.rdllink). */
  readonly rdllist: ListHead;
  /** Linux: ep->ovflist — EP_UNACTIVE_PTR outside scans; during a scan, callbacks' LIFO chain. */
  ovflist: Epitem | null | EpUnactive;
  /** Linux: ep->rbr — the interest set keyed by (file id, fd). */
  readonly rbr: RbTree<Epitem>;
  /**
   * Linux: ep->file — the epoll's own file. Its `ep` set (f_ep) is ep->refs: the epitems in
   * other epolls that watch this one (null when none does).
   */
  file: File;
  /** Linux: ep->refcount — 1 for the file, plus 1 per epitem; the eventpoll is freed at 0. */
  refcount: number;
  /** Linux: ep->gen — the loop check generation that last visited this epoll. */
  gen: number;
  /** Linux: ep->loop_check_depth — that visit's result (memoised depth). */
  loopCheckDepth: number;
  /**
   * The scan batch of a scan in progress (Linux: the txlist/scan_batch local of ep_send_events
   * and __ep_eventpoll_poll), null otherwise. Kept here so a snapshot can show it.
   */
  scanBatch: ListHead | null;
  /**
   * Not Linux: the list head every scan of this epoll uses as its batch (a stack local in
   * Linux), made once. Scans of one epoll never nest: the loop check forbids an epoll that
   * reaches itself.
   */
  readonly txlist: ListHead;
}

// ---- per-kernel settings and accounting ----

/**
 * The page count that Linux's formula turns into the reference host's
 * fs.epoll.max_user_watches (5 491 511): totalram_pages as eventpoll_init saw it at boot
 * (MemTotal, read later, is a little larger once the init memory is freed).
 */
export const HOST_TOTALRAM_PAGES_AT_BOOT = 6167225;
const PAGE_SHIFT = 12;
// Linux: EP_ITEM_COST = sizeof(struct epitem) + sizeof(struct eppoll_entry), 6.12 x86-64.
const EP_ITEM_COST = 184;

/** Linux: eventpoll_init — max_user_watches = 4 % of low memory / EP_ITEM_COST. */
export function defaultMaxUserWatches(totalramPages: number, totalhighPages = 0): number {
  return Math.floor((Math.floor((totalramPages - totalhighPages) / 25) * 2 ** PAGE_SHIFT) / EP_ITEM_COST);
}

/** Per-kernel epoll state: a sysctl and the accounting it limits. */
export interface EpollSysctl {
  /** Linux: /proc/sys/fs/epoll/max_user_watches. Writable (tests set a small limit). */
  maxUserWatches: number;
  /**
   * Linux: user->epoll_watches — epitems charged to the user. Not Linux: one count per kernel,
   * because every process of the model runs as the same user.
   */
  userWatches: number;
  /** Linux: loop_check_gen — incremented around every full check. */
  loopCheckGen: number;
}

const sysctls = new WeakMap<Kernel, EpollSysctl>();

/** This kernel's epoll settings (created with Linux's defaults for the reference host). */
export function epollSysctl(k: Kernel): EpollSysctl {
  let s = sysctls.get(k);
  if (!s) {
    s = {
      maxUserWatches: defaultMaxUserWatches(HOST_TOTALRAM_PAGES_AT_BOOT),
      userWatches: 0,
      loopCheckGen: 0,
    };
    sysctls.set(k, s);
  }
  return s;
}

// ---- creation ----

/** Linux: ep_alloc. */
function epAlloc(k: Kernel): Eventpoll {
  const id = k.nextId();
  const ep = {
    id,
    wq: newWaitQueue(k, 'eventpoll.wq', id),
    pollWait: newWaitQueue(k, 'eventpoll.poll_wait', id),
    rdllist: newListHead(`eventpoll:${id}.rdllist`),
    ovflist: EP_UNACTIVE_PTR,
    rbr: new RbTree<Epitem>(k, id),
    refcount: 1,
    gen: 0,
    loopCheckDepth: 0,
    scanBatch: null,
    txlist: newListHead(`eventpoll:${id}.scan_batch`),
  } as Omit<Eventpoll, 'file'> as Eventpoll;
  return ep;
}

/** Linux: do_epoll_create. */
function doEpollCreate(t: Thread, flags: number): SysResult {
  if ((flags & ~O.O_CLOEXEC) !== 0) return fail('EINVAL');
  const k = t.k;
  const ep = epAlloc(k);
  // Linux: anon_inode_getfile("[eventpoll]", &eventpoll_fops, ep, O_RDWR | (flags & O_CLOEXEC));
  // the file's f_flags keep only the access mode (F_GETFL shows 02).
  ep.file = new File(k, eventpollOps, O.O_RDWR, ep);
  return toResult(installFd(k, t, ep.file, (flags & O.O_CLOEXEC) !== 0));
}

export function sys_epoll_create1(t: Thread, flags: number): SysResult {
  requireInt('epoll_create1', 'flags', flags);
  return doEpollCreate(t, flags);
}

/** Linux: epoll_create — the size is only checked (> 0), then ignored (since 2.6.8). */
export function sys_epoll_create(t: Thread, size: number): SysResult {
  requireInt('epoll_create', 'size', size);
  if (size <= 0) return fail('EINVAL');
  return doEpollCreate(t, 0);
}

// ---- polling items and the epoll file ----

/**
 * Linux: ep_item_poll — poll the item's file with the item's events as the key, and keep only
 * the events the item asked for. An epoll target is polled by __ep_eventpoll_poll directly.
 * `pt.qproc` registers (ADD) or is null (re-polls).
 */
function epItemPoll(k: Kernel, epi: Epitem, pt: PollTable): number {
  const file = epi.ffd.file;
  // Linux: epi_fget — a file whose last reference is going counts as "nothing ready".
  if (file.count <= 0) return 0;
  // Linux: the short reference ep_item_poll takes (get_file / fput) is a lookup in §7.2's terms.
  k.stats.fileLookups++;
  pt.key = epi.event.events;
  const res = isFileEpoll(file) ? epEventpollPollInner(k, file, pt) : vfsPoll(k, file, pt);
  return (res & epi.event.events) >>> 0;
}

/** Linux: vfs_poll — files without ->poll are always readable and writable. */
function vfsPoll(k: Kernel, file: File, pt: PollTable): number {
  return file.ops.poll ? file.ops.poll(k, file, pt) : DEFAULT_POLLMASK;
}

/**
 * Linux: __ep_eventpoll_poll — the epoll file is readable iff its ready list holds an item that
 * is really ready now. Register on poll_wait (if the caller registers), scan the ready list,
 * re-polling each item (recursively for nested epolls); drop items found not ready; stop at the
 * first ready one. Nothing is consumed: ET and ONESHOT state are untouched, nothing re-queued,
 * and the scanned-but-kept items return to the head in their order. Never OUT, PRI, ERR, HUP.
 */
function epEventpollPollInner(k: Kernel, file: File, pt: PollTable | null): number {
  const ep = file.priv as Eventpoll;
  k.stats.fopPollCalls++;
  pollWait(file, ep.pollWait, pt);
  const rpt: PollTable = { qproc: null, key: 0 };
  const txlist = epStartScan(k, ep);
  let res = 0;
  for (let l = txlist.next; l !== txlist; ) {
    const epi = l.epi!;
    l = l.next;
    if (epItemPoll(k, epi, rpt)) {
      res = EPOLLIN | EPOLLRDNORM;
      break;
    }
    // Queued by a callback, but not ready as far as the item's events go: drop it.
    listDelInit(epi.rdllink);
    k.stats.readyListDropsOnRepoll++;
    k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'not ready (epoll file poll)' });
  }
  epDoneScan(k, ep, txlist);
  return res;
}

/** Linux: ep_eventpoll_poll — f_op->poll of the epoll file. */
function epEventpollPoll(k: Kernel, file: File, pt: PollTable | null): number {
  return epEventpollPollInner(k, file, pt);
}

// ---- scans ----

/** Linux: ep_events_available — something on the ready list, or a scan in progress. */
function epEventsAvailable(ep: Eventpoll): boolean {
  return !listEmpty(ep.rdllist) || ep.ovflist !== EP_UNACTIVE_PTR;
}

/**
 * Linux: ep_start_scan — move the whole ready list to a private scan batch (O(1)) and enter
 * scan mode: from now on callbacks chain items on the ovflist.
 */
export function epStartScan(k: Kernel, ep: Eventpoll): ListHead {
  const txlist = ep.txlist;
  listSpliceInit(ep.rdllist, txlist);
  ep.ovflist = null;
  ep.scanBatch = txlist;
  k.emit?.({ type: 'ep_scan', ep: ep.id, phase: 'start', epis: listItems(txlist).map((e) => e.id) });
  return txlist;
}

/**
 * Linux: ep_done_scan — drain the ovflist newest to oldest, inserting each item not already
 * linked at the ready list's head (so they end up oldest first, ahead of the LT items the scan
 * re-queued at the tail); leave scan mode; splice the scan batch's leftovers (items not reached)
 * at the head; and if the ready list is not empty, wake one more epoll_wait thread.
 */
export function epDoneScan(k: Kernel, ep: Eventpoll, txlist: ListHead): void {
  let nepi = ep.ovflist;
  while (nepi !== null && nepi !== EP_UNACTIVE_PTR) {
    const epi: Epitem = nepi;
    nepi = epi.next;
    epi.next = EP_UNACTIVE_PTR;
    if (!epIsLinked(epi)) {
      // Reverse the order (push at the head) so the overflow list is treated FIFO.
      listAdd(epi.rdllink, ep.rdllist);
      k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'ovflist drain (at head)' });
    }
  }
  ep.ovflist = EP_UNACTIVE_PTR;
  k.emit?.({ type: 'ep_scan', ep: ep.id, phase: 'done', epis: listItems(txlist).map((e) => e.id) });
  listSpliceInit(txlist, ep.rdllist);
  ep.scanBatch = null;
  if (!listEmpty(ep.rdllist) && waitqueueActive(ep.wq)) wakeUp(k, ep.wq, 1, 0);
}

/**
 * Linux: ep_send_events — deliver up to `maxevents` ready events into `out`. Returns how many.
 * Items found not ready are dropped without using a slot; LT items go back to the tail, ET
 * items do not, ONESHOT items are disabled (events &= EP_PRIVATE_BITS).
 */
function epSendEvents(k: Kernel, ep: Eventpoll, out: EpollEvent[], maxevents: number): number {
  const pt: PollTable = { qproc: null, key: 0 };
  let res = 0;
  const txlist = epStartScan(k, ep);
  for (let l = txlist.next; l !== txlist; ) {
    if (res >= maxevents) break;
    const epi = l.epi!;
    l = l.next;
    listDelInit(epi.rdllink);
    const revents = epItemPoll(k, epi, pt);
    if (!revents) {
      // Not ready after all: dropped; the next callback brings it back.
      k.stats.readyListDropsOnRepoll++;
      k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'not ready on re-poll' });
      continue;
    }
    // Linux: epoll_put_uevent — 12 bytes to the user's buffer.
    out.push({ events: revents, data: epi.event.data });
    k.stats.eventsDelivered++;
    k.stats.bytesCopiedOut += EPOLL_EVENT_SIZE;
    k.emit?.({ type: 'event_delivered', ep: ep.id, epi: epi.id, events: revents });
    res++;
    if (epi.event.events & EPOLLONESHOT) {
      // Disabled until MOD: even ERR and HUP are gone, so callbacks ignore it.
      epi.event.events = (epi.event.events & EP_PRIVATE_BITS) >>> 0;
      k.stats.oneshotDisables++;
      k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'delivered (ONESHOT: disabled)' });
    } else if (!(epi.event.events & EPOLLET)) {
      // Level-triggered: back to the tail, so the next epoll_wait re-polls it.
      listAddTail(epi.rdllink, ep.rdllist);
      k.stats.readyListRequeuesLT++;
      k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'LT re-queue' });
    } else {
      k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'delivered (ET)' });
    }
  }
  epDoneScan(k, ep, txlist);
  return res;
}

// ---- epoll_wait ----

/** When epoll_wait gives up: never, at once (the {0,0} timeout), or at an absolute virtual time. */
type EpTimeout = { kind: 'infinite' } | { kind: 'nonblock' } | { kind: 'deadline'; at: number };

const EP_TIMEOUT_INFINITE: EpTimeout = { kind: 'infinite' };
const EP_TIMEOUT_NONBLOCK: EpTimeout = { kind: 'nonblock' };

/**
 * Linux: ep_poll. Deliver what is ready; otherwise sleep as an exclusive entry at the head of
 * ep->wq (the newest waiter is woken first), and retry after every wake-up with the same
 * deadline. Returns the count or -errno; the events go to `out`. This is the loop's first
 * turn, which never sleeps; epPollWait goes on from where it would.
 */
function epPoll(
  t: Thread,
  ep: Eventpoll,
  out: EpollEvent[],
  maxevents: number,
  timeout: EpTimeout,
): MaySleep<number> {
  if (epEventsAvailable(ep)) {
    const res = epSendEvents(t.k, ep, out, maxevents);
    if (res) return res;
  }
  // A zero timeout returns 0 here, even with a signal pending.
  if (timeout.kind === 'nonblock') return 0;
  return epPollWait(t, ep, out, maxevents, timeout);
}

/** ep_poll's loop from its first sleep on. */
function* epPollWait(
  t: Thread,
  ep: Eventpoll,
  out: EpollEvent[],
  maxevents: number,
  timeout: EpTimeout,
): SysGen<number> {
  const k = t.k;
  const to = timeout.kind === 'deadline' ? timeout.at : null;
  let timedOut = false;
  let signalPending = false;
  for (;;) {
    const wait = newWaitEntry(k, 'ep_autoremove_wake_function', t);
    let eavail = epEventsAvailable(ep);
    if (!eavail) {
      addWaitQueueExclusiveHead(k, ep.wq, wait);
      // Linux: ep_schedule_timeout — a deadline already past does not sleep.
      if (to !== null && !(to > k.now)) timedOut = true;
      else {
        let reason: WakeReason | null = null;
        try {
          reason = yield { deadline: to };
        } finally {
          // An abandoned call (deadlock, teardown) is unwound from the yield: unqueue.
          if (reason === null) removeWaitQueue(k, wait);
        }
        if (reason === 'timeout') timedOut = true;
        else if (reason === 'signal') signalPending = true;
      }
    }
    // Woken: try to harvest. Still queued means nobody woke us (a timeout or a signal); if it
    // timed out, there is nothing to harvest.
    eavail = true;
    if (wait.queue !== null) {
      if (timedOut) eavail = false;
      removeWaitQueue(k, wait);
    }
    if (eavail) {
      const res = epSendEvents(k, ep, out, maxevents);
      if (res) return res;
    }
    if (timedOut) return 0;
    // Never restarted, whatever SA_RESTART says.
    if (signalPending) return -EINTR;
  }
}

/**
 * Linux: do_epoll_wait, in the 6.15+ order (ep_check_params after the fd lookup): EBADF first,
 * then maxevents ≤ 0 or > EP_MAX_EVENTS → EINVAL, then not an epoll → EINVAL. Up to 6.14 the
 * maxevents check came first, so epoll_wait(badfd, …, 0) was EINVAL there and is EBADF here
 * (and on the 6.18 reference host). The buffer's EFAULT check (between the two EINVALs) has
 * nothing to check in the model: the caller always has room.
 */
function doEpollWait(
  t: Thread,
  epfd: number,
  maxevents: number,
  timeout: EpTimeout,
): MaySleep<SysResult<{ events: EpollEvent[] }>> {
  const f = fdget(t, epfd);
  if (!f) return fail('EBADF');
  if (maxevents <= 0 || maxevents > EP_MAX_EVENTS || !isFileEpoll(f)) {
    fput(t.k, f);
    return fail('EINVAL');
  }
  const events: EpollEvent[] = [];
  let res: MaySleep<number>;
  try {
    res = epPoll(t, f.priv as Eventpoll, events, maxevents, timeout);
  } catch (e) {
    fput(t.k, f);
    throw e;
  }
  if (typeof res !== 'number') return epollWaitSleeping(t, f, events, res);
  fput(t.k, f);
  return epollWaitResult(res, events);
}

/** The rest of an epoll_wait that sleeps: it holds its file reference until it returns. */
function* epollWaitSleeping(
  t: Thread,
  f: File,
  events: EpollEvent[],
  wait: SysGen<number>,
): SysGen<SysResult<{ events: EpollEvent[] }>> {
  try {
    return epollWaitResult(yield* wait, events);
  } finally {
    fput(t.k, f);
  }
}

function epollWaitResult(res: number, events: EpollEvent[]): SysResult<{ events: EpollEvent[] }> {
  if (res < 0) return toResult(res) as SysResult<{ events: EpollEvent[] }>;
  return { ret: res, events };
}

/** Linux: epoll_wait — timeout in ms: negative = infinite, 0 = don't block. */
export function sys_epoll_wait(
  t: Thread,
  epfd: number,
  maxevents: number,
  timeout: number,
): MaySleep<SysResult<{ events: EpollEvent[] }>> {
  requireInt('epoll_wait', 'epfd', epfd);
  requireInt('epoll_wait', 'maxevents', maxevents);
  requireInt('epoll_wait', 'timeout', timeout);
  // Linux: ep_timeout_to_timespec.
  const to: EpTimeout =
    timeout < 0
      ? EP_TIMEOUT_INFINITE
      : timeout === 0
        ? EP_TIMEOUT_NONBLOCK
        : { kind: 'deadline', at: t.k.now + timeout * NSEC_PER_MSEC };
  return doEpollWait(t, epfd, maxevents, to);
}

/**
 * Linux: epoll_pwait2 — the timespec is copied in and validated before anything else (so an
 * invalid one is EINVAL even for a bad fd); NULL = infinite; {0,0} = don't block. It is never
 * written back. The model has no signal mask argument.
 */
export function sys_epoll_pwait2(
  t: Thread,
  epfd: number,
  maxevents: number,
  timeout: Timespec | null,
): MaySleep<SysResult<{ events: EpollEvent[] }>> {
  requireInt('epoll_pwait2', 'epfd', epfd);
  requireInt('epoll_pwait2', 'maxevents', maxevents);
  let to: EpTimeout = EP_TIMEOUT_INFINITE;
  if (timeout !== null) {
    if (!Number.isSafeInteger(timeout.sec) || !Number.isSafeInteger(timeout.nsec))
      throw new Unsupported('epoll_pwait2', `timespec {${timeout.sec}, ${timeout.nsec}}`);
    t.k.stats.bytesCopiedIn += 16;
    // Linux: poll_select_set_timeout — timespec64_valid, then now + ts (saturating).
    if (timeout.sec < 0 || timeout.nsec < 0 || timeout.nsec >= NSEC_PER_SEC) return fail('EINVAL');
    if (timeout.sec === 0 && timeout.nsec === 0) to = EP_TIMEOUT_NONBLOCK;
    else {
      const at = t.k.now + timeout.sec * NSEC_PER_SEC + timeout.nsec;
      // Not Linux: past 2^53 ns (104 days) the virtual clock cannot count exactly; such a
      // deadline is never reached in a run, so it is treated as infinite.
      to = Number.isSafeInteger(at) ? { kind: 'deadline', at } : EP_TIMEOUT_INFINITE;
    }
  }
  return doEpollWait(t, epfd, maxevents, to);
}

// ---- epoll_ctl ----

/** Linux: attach_epitem — link the item into the target's f_ep (ep->refs for an epoll target). */
function attachEpitem(file: File, epi: Epitem): void {
  if (file.ep === null) file.ep = [epi];
  else file.ep.push(epi);
}

/** Linux: ep_insert (reference §4.4). Returns 0 or -errno. */
function epInsert(
  k: Kernel,
  ep: Eventpoll,
  event: EpollEventState,
  tfile: File,
  fd: number,
  ctx: LoopCheckCtx | null,
): number {
  const sysctl = epollSysctl(k);
  if (sysctl.userWatches >= sysctl.maxUserWatches) return -ENOSPC;
  sysctl.userWatches++;
  const epi = newEpitem(k, ep, tfile, fd, event);
  attachEpitem(tfile, epi);
  if (ctx && !isFileEpoll(tfile)) listTargetFile(ctx, tfile);
  epi.rbn = ep.rbr.insert(tfile.id, fd, epi.id, epi);
  ep.refcount++;

  // Now check whether we have created too many wake-up paths.
  if (ctx && reversePathCheck(ctx)) {
    epRemoveSafe(k, ep, epi);
    return -EINVAL;
  }

  // Register on the target's queues and learn its readiness in one poll.
  const revents = epItemPoll(k, epi, epPqueue(k, epi));
  let pwake = false;
  if (revents && !epIsLinked(epi)) {
    listAddTail(epi.rdllink, ep.rdllist);
    k.stats.readyListAppends++;
    k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'ready at ADD' });
    if (waitqueueActive(ep.wq)) wakeUp(k, ep.wq, 1, 0);
    if (waitqueueActive(ep.pollWait)) pwake = true;
  }
  if (pwake) epPollSafewake(k, ep);
  return 0;
}

/**
 * Linux: ep_modify — new mask and data first, then a re-poll that registers nothing (so
 * exclusivity and queues never change). Queue the item if it is ready and not queued; never
 * unqueue it (an item that no longer matches is dropped at the next transfer).
 */
function epModify(k: Kernel, ep: Eventpoll, epi: Epitem, event: EpollEventState): number {
  epi.event.events = event.events >>> 0;
  epi.event.data = event.data;
  let pwake = false;
  if (epItemPoll(k, epi, { qproc: null, key: 0 })) {
    if (!epIsLinked(epi)) {
      listAddTail(epi.rdllink, ep.rdllist);
      k.stats.readyListAppends++;
      k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'ready at MOD' });
      if (waitqueueActive(ep.wq)) wakeUp(k, ep.wq, 1, 0);
      if (waitqueueActive(ep.pollWait)) pwake = true;
    }
  }
  if (pwake) epPollSafewake(k, ep);
  return 0;
}

/**
 * Linux: __ep_remove — unhook from the target's queues, unlink from the target's f_ep, erase
 * from the tree, unlink from the ready list, uncharge the user. Any pending event is lost.
 */
function epRemove(k: Kernel, ep: Eventpoll, epi: Epitem, force: boolean): boolean {
  const file = epi.ffd.file;
  epUnregisterPollwait(k, epi);
  if (epi.dying && !force) return false;
  if (file.ep) {
    file.ep.splice(file.ep.indexOf(epi), 1);
    // Linux: the last watcher gone, f_ep is NULL again.
    if (file.ep.length === 0) file.ep = null;
  }
  ep.rbr.erase(epi.rbn!);
  epi.rbn = null;
  if (epIsLinked(epi)) {
    listDelInit(epi.rdllink);
    k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'item removed' });
  }
  epollSysctl(k).userWatches--;
  return true;
}

/** Linux: ep_remove_safe — remove, and drop the item's reference on the eventpoll. */
function epRemoveSafe(k: Kernel, ep: Eventpoll, epi: Epitem): void {
  if (epRemove(k, ep, epi, false)) epRefcountDec(ep);
}

function epRefcountDec(ep: Eventpoll): void {
  // Linux: ep_refcount_dec_and_test → ep_free at 0. The epoll file holds one reference until
  // its release has removed every item, so the eventpoll outlives all of them.
  if (--ep.refcount < 0) throw new Error(`eventpoll ${ep.id} refcount below 0`);
}

function requireInt(call: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
    throw new Unsupported(call, `${what} ${v} (not a C int)`);
}

/** Linux: do_epoll_ctl (reference §4.3): every check in Linux's order. Returns 0 or -errno. */
function doEpollCtl(t: Thread, epfd: number, op: number, fd: number, epds: EpollEventState | null): number {
  const k = t.k;
  const f = fdlookup(t, epfd);
  if (!f) return -EBADF;
  const tf = fdlookup(t, fd);
  if (!tf) return -EBADF;
  // The target must support poll (regular files, /dev/null: EPERM, even if epfd is no epoll).
  if (!fileCanPoll(tf)) return -EPERM;
  // Linux: ep_take_care_of_epollwakeup — without CAP_BLOCK_SUSPEND the flag is silently
  // cleared. Not Linux-as-root: the model's processes are unprivileged, so it is always cleared.
  if (epds) epds.events = (epds.events & ~EPOLLWAKEUP) >>> 0;
  // Not an epoll, or the epoll itself (any fd of it, dups included).
  if (f === tf || !isFileEpoll(f)) return -EINVAL;
  // EPOLLEXCLUSIVE: ADD only (exclusivity is fixed when the hook is queued), never on an epoll
  // target, and only with IN, OUT, ERR, HUP, WAKEUP, ET.
  if (epds && epds.events & EPOLLEXCLUSIVE) {
    if (op === EPOLL_CTL_MOD) return -EINVAL;
    if (op === EPOLL_CTL_ADD && (isFileEpoll(tf) || (epds.events & ~EPOLLEXCLUSIVE_OK_BITS) !== 0))
      return -EINVAL;
  }
  const ep = f.priv as Eventpoll;

  // Linux: ep_ctl_lock — an ADD that can change the epoll topology (this epoll is watched, or
  // the target is an epoll) runs the full check: loops and depth now, wake-up paths in ep_insert.
  // (Linux also does it when ep->gen == loop_check_gen, which only a concurrent check can cause.)
  let ctx: LoopCheckCtx | null = null;
  const sysctl = epollSysctl(k);
  if (op === EPOLL_CTL_ADD && (f.ep !== null || isFileEpoll(tf))) {
    ctx = { gen: ++sysctl.loopCheckGen, insertingInto: null, tfileCheckList: [] };
  }
  try {
    if (ctx && isFileEpoll(tf) && epLoopCheck(ctx, ep, tf.priv as Eventpoll) !== 0) return -ELOOP;
    const node = ep.rbr.find(tf.id, fd);
    const epi = node ? node.value : null;
    switch (op) {
      case EPOLL_CTL_ADD:
        if (epi) return -EEXIST;
        epds!.events = (epds!.events | EPOLLERR | EPOLLHUP) >>> 0;
        return epInsert(k, ep, epds!, tf, fd, ctx);
      case EPOLL_CTL_DEL:
        if (!epi) return -ENOENT;
        epRemoveSafe(k, ep, epi);
        return 0;
      case EPOLL_CTL_MOD:
        if (!epi) return -ENOENT;
        if (epi.event.events & EPOLLEXCLUSIVE) return -EINVAL;
        epds!.events = (epds!.events | EPOLLERR | EPOLLHUP) >>> 0;
        return epModify(k, ep, epi, epds!);
      default:
        // An unknown op is noticed only now, after every other check.
        return -EINVAL;
    }
  } finally {
    // Linux: clear_tfile_check_list; loop_check_gen++.
    if (ctx) sysctl.loopCheckGen++;
  }
}

/** Linux: epoll_ctl. Every op but DEL copies the 12-byte event in first (EFAULT before EBADF). */
export function sys_epoll_ctl(
  t: Thread,
  epfd: number,
  op: number,
  fd: number,
  event: EpollEvent | null,
): SysResult {
  requireInt('epoll_ctl', 'epfd', epfd);
  requireInt('epoll_ctl', 'op', op);
  requireInt('epoll_ctl', 'fd', fd);
  let epds: EpollEventState | null = null;
  if (op !== EPOLL_CTL_DEL) {
    if (event === null) return fail('EFAULT');
    if (!Number.isInteger(event.events) || event.events < -(2 ** 31) || event.events >= 2 ** 32)
      throw new Unsupported('epoll_ctl', `events ${event.events} (not a u32)`);
    if (!Number.isSafeInteger(event.data) || event.data < 0)
      throw new Unsupported('epoll_ctl', `data ${event.data} (the model carries 0 … 2^53−1)`);
    epds = { events: event.events >>> 0, data: event.data };
    t.k.stats.bytesCopiedIn += EPOLL_EVENT_SIZE;
  }
  return toResult(doEpollCtl(t, epfd, op, fd, epds));
}

// ---- release ----

/**
 * Linux: eventpoll_release_file, from __fput before f_op->release: the last reference to a
 * watched file is going, so every epitem watching it, in every epoll, is removed (newest
 * first, as Linux's f_ep hlist holds them). No event is produced; a queued one disappears.
 * For an epoll file this removes it from its parents.
 */
function eventpollReleaseFile(k: Kernel, file: File): void {
  while (file.ep && file.ep.length > 0) {
    const epi = file.ep[file.ep.length - 1] as Epitem;
    epi.dying = true;
    const ep = epi.ep;
    if (epRemove(k, ep, epi, true)) epRefcountDec(ep);
  }
}

fileHooks.eventpollRelease = eventpollReleaseFile;

/**
 * Linux: ep_eventpoll_release → ep_clear_and_put — the epoll file's last reference: wake its
 * pollers, unhook every item, remove every item, drop the file's reference on the eventpoll.
 * Threads in epoll_wait hold a reference on the file, so none can be waiting now.
 */
function epEventpollRelease(k: Kernel, file: File): void {
  const ep = file.priv as Eventpoll;
  if (waitqueueActive(ep.pollWait)) epPollSafewake(k, ep);
  const items = ep.rbr.values();
  for (const epi of items) epUnregisterPollwait(k, epi);
  for (const epi of items) epRemoveSafe(k, ep, epi);
  epRefcountDec(ep);
}

/** Linux: eventpoll_fops. No read or write (EINVAL); ioctl knows only EPIOC[SG]PARAMS. */
export const eventpollOps: FileOperations = {
  type: 'eventpoll',
  snapshot: (_k, file) => snapshotEventpoll(file.priv as Eventpoll),
  poll: epEventpollPoll,
  release: epEventpollRelease,
  // Linux: ep_eventpoll_ioctl (CONFIG_NET_RX_BUSY_POLL, as on the reference host) answers
  // every other command, FIONREAD included, with EINVAL.
  fionread: () => -EINVAL,
};

// ---- snapshots ----

export interface EpitemSnapshot {
  id: number;
  /** The fd number of the key (the number it was added under, even if now closed). */
  fd: number;
  /** The open file description's id (the key's first half) and type. */
  file: number;
  fileType: string;
  /** The interest mask, u32, with the private bits. */
  events: number;
  data: number;
  /** Linked on the ready list or on a scan batch (ep_is_linked). */
  ready: boolean;
  /** The ovflist link: the next item's id, null at the end, or EP_UNACTIVE_PTR when not on it. */
  ovflistNext: number | null | EpUnactive;
  /** The queues its eppoll_entries sit on (wait-queue names), newest first. */
  queues: string[];
  /** Its hooks' wait-entry ids, newest first. */
  waitEntries: number[];
  exclusive: boolean;
}

export interface EventpollSnapshot {
  id: number;
  /** The epoll's own open file description. */
  file: number;
  /** The interest set in key order. */
  inorder: { epi: number; file: number; fd: number }[];
  /** The interest set as the red-black tree it is. */
  tree: RbNodeSnapshot | null;
  /** The ready list, head first (epitem ids). */
  rdllist: number[];
  /** The scan batch of a scan in progress, or null. */
  scanBatch: number[] | null;
  /** The ovflist, newest first, or EP_UNACTIVE_PTR outside a scan. */
  ovflist: number[] | EpUnactive;
  /** Threads blocked in epoll_wait, in wake order (head first). */
  waiters: string[];
  /** Entries on poll_wait (parent epolls' hooks, select/poll entries), head first. */
  pollWait: { entry: number; kind: string }[];
  /** Epitems in other epolls watching this one (ep->refs). */
  watchedBy: number[];
  refcount: number;
  items: EpitemSnapshot[];
}

export function snapshotEpitem(epi: Epitem): EpitemSnapshot {
  const next = epi.next;
  return {
    id: epi.id,
    fd: epi.ffd.fd,
    file: epi.ffd.file.id,
    fileType: epi.ffd.file.ops.type,
    events: epi.event.events,
    data: epi.event.data,
    ready: epIsLinked(epi),
    ovflistNext: next === null || next === EP_UNACTIVE_PTR ? next : next.id,
    queues: pwqlistItems(epi).map((p) => p.whead?.name ?? '(detached by POLLFREE)'),
    waitEntries: pwqlistItems(epi).map((p) => p.wait.id),
    exclusive: (epi.event.events & EPOLLEXCLUSIVE) !== 0,
  };
}

/** One epoll instance's private state as plain JSON. */
export function snapshotEventpoll(ep: Eventpoll): EventpollSnapshot {
  const ovf = ovflistItems(ep);
  return {
    id: ep.id,
    file: ep.file.id,
    inorder: ep.rbr.nodes().map((n) => ({ epi: n.id, file: n.file, fd: n.fd })),
    tree: ep.rbr.snapshot(),
    rdllist: listItems(ep.rdllist).map((e) => e.id),
    scanBatch: ep.scanBatch ? listItems(ep.scanBatch).map((e) => e.id) : null,
    ovflist: ovf === EP_UNACTIVE_PTR ? ovf : ovf.map((e) => e.id),
    waiters: waitEntries(ep.wq).map((e) => (e.owner as Thread).name),
    pollWait: waitEntries(ep.pollWait).map((e) => ({ entry: e.id, kind: e.kind })),
    watchedBy: ep.file.ep ? [...ep.file.ep].map((e) => (e as Epitem).id) : [],
    refcount: ep.refcount,
    items: ep.rbr.values().map(snapshotEpitem),
  };
}

/** Every live epoll instance of the kernel, in creation order. */
export function snapshotEventpolls(k: Kernel): EventpollSnapshot[] {
  const out: EventpollSnapshot[] = [];
  for (const f of k.files) if (isFileEpoll(f)) out.push(snapshotEventpoll(f.priv as Eventpoll));
  return out.sort((a, b) => a.id - b.id);
}
