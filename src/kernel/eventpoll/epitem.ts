// One registration in an epoll instance (Linux: struct epitem), the wait-queue hooks it puts on
// the target file's queues (struct eppoll_entry), and the two wake functions of epoll:
// ep_poll_callback, run by the target's wake-ups, and ep_autoremove_wake_function, run for the
// threads sleeping in epoll_wait.
//
// The epitem does not hold a reference on its file: the registration lives as long as the open
// file description does, and __fput removes it (eventpoll_release_file). Its key is
// (file, fd number) — the fd it was added under, even after that fd is closed while a dup
// keeps the file open.
//
// ep_poll_callback is the heart of epoll's O(ready) cost: a wake-up on a watched file runs it
// once per watching item, and it only links the item onto the ready list (or, during a scan,
// the ovflist), wakes one epoll_wait thread, and tells the epoll's own pollers (a parent epoll,
// select, poll) through ep->poll_wait. It never polls the file: keys are hints, and the truth
// is learnt when epoll_wait re-polls.
//
// Memory layout, as Linux's: a watch is two objects. The epitem embeds its tree node (rbn), its
// ready-list link (rdllink), its ovflist link (next), its key (ffd), its event and its link on
// the target file's f_ep (fllink): the tree and the lists link epitems, not node objects. The
// eppoll_entry is a WaitEntry (waitqueue.ts), as Linux embeds the wait_queue_entry in it.

import { EPOLL } from '../../abi/constants.ts';
import type { EpollData } from '../../api/syscalls.ts';
import type { File, PollTable } from '../file.ts';
import type { Kernel } from '../kernel.ts';
import { type Thread, wakeThread } from '../sched.ts';
import {
  addWaitQueue,
  addWaitQueueExclusive,
  defineWakeFunction,
  newWaitEntry,
  removeWaitQueue,
  type WaitEntry,
  type WaitQueueHead,
  waitqueueActive,
  wakeUp,
} from '../waitqueue.ts';
import {
  EP_CB_DETACH,
  EP_CB_DISABLED,
  EP_CB_EWAKE,
  EP_CB_FILTERED,
  EP_CB_OVFLIST,
  EP_CB_QUEUED,
  EP_CB_RESULT,
  EP_CB_RESULTS,
  EP_CB_WAKE_POLLERS,
  EP_CB_WAKE_WAITER,
  epPollCallbackDecide,
} from './callback.ts';
import type { Eventpoll } from './eventpoll.ts';
import type { RbColour } from './rbtree.ts';
import {
  chainEpiLockless,
  EP_UNACTIVE_PTR,
  type EpUnactive,
  epIsLinked,
  listAddTail,
  type RdlLink,
} from './readylist.ts';

const { EPOLLIN, EPOLLEXCLUSIVE } = EPOLL;

/** Linux: struct epoll_event as epoll_ctl hands it to ep_insert and ep_modify. */
export interface EpollEventState {
  /** The interest mask, u32: EPOLL* events plus the private bits (ET, ONESHOT, EXCLUSIVE, WAKEUP). */
  events: number;
  /**
   * The user's 64-bit cookie (epoll_data_t), returned with every event: copied in and out as is,
   * in the API's one representation (a number below 2^53, a bigint from 2^53 up; EpollData).
   */
  data: EpollData;
}

/**
 * Linux: struct eppoll_entry — one per wait queue the target registered on at ADD. It is its
 * own wait_queue_entry: kind ep_poll_callback, `owner` the epitem (pwq->base), `queue` the
 * queue it sits on (pwq->whead; null once removed or detached by POLLFREE), `pwqNext` the
 * next (older) hook of the same epitem (pwq->next).
 */
export type EppollEntry = WaitEntry;

/** Linux: struct epitem — every field embedded, so a watch is this object and its eppoll_entry. */
export class Epitem {
  /** Linux: rb_color(&epi->rbn). See rbtree.ts; changed only by the tree's rebalancing. */
  rbColour: RbColour = 'red';
  /** Linux: epi->rbn.rb_left. */
  rbLeft: Epitem | null = null;
  /** Linux: epi->rbn.rb_right. */
  rbRight: Epitem | null = null;
  /** Linux: rb_parent(&epi->rbn); the item itself while it is in no tree (RB_CLEAR_NODE). */
  rbParent: Epitem | null = this;
  /** Linux: epi->rdllink.prev — linked ⇔ on ep->rdllist or on a scan batch (ep_is_linked); itself when not. */
  rdllinkPrev: RdlLink = this;
  /** Linux: epi->rdllink.next — itself when the item is on no list. */
  rdllinkNext: RdlLink = this;
  /** Linux: epi->next — the ovflist link; EP_UNACTIVE_PTR when not on the ovflist, null at its end. */
  next: Epitem | null | EpUnactive = EP_UNACTIVE_PTR;
  /**
   * Linux: epi->fllink — the next (older) epitem on the target file's f_ep list (file.ep holds
   * the newest). Not Linux: no pprev, so unlinking walks the file's watchers (usually one).
   */
  fllink: Epitem | null = null;
  /** Linux: epi->dying — set by eventpoll_release_file while it removes the item. */
  dying = false;
  /** Linux: epi->pwqlist — the hooks on the target's queues, newest first through pwqNext (usually exactly one). */
  pwqlist: EppollEntry | null = null;
  /**
   * Linux: epi->event.events — changed by MOD, and by ep_send_events for ONESHOT (events &=
   * EP_PRIVATE_BITS). Not Linux: kept as the u32's int32 bit pattern (`| 0`), since a number of
   * 2^31 or more — every EPOLLET mask — would be a 16-byte heap number beside each epitem; bit
   * tests read it as is, and it leaves the epitem as a u32 (`>>> 0`: poll keys, snapshots).
   */
  events: number;
  /** Linux: epi->event.data — the user's cookie, changed by MOD. */
  data: EpollData;

  constructor(
    /** Stable id for traces and snapshots. */
    readonly id: number,
    /** Linux: epi->ep — the epoll instance this item belongs to. */
    readonly ep: Eventpoll,
    /** Linux: epi->ffd.file — the key's first half: the open file description watched. */
    readonly file: File,
    /** Linux: epi->ffd.fd — the key's second half: the fd number it was added under. */
    readonly fd: number,
    event: EpollEventState,
  ) {
    this.events = event.events | 0;
    this.data = event.data;
  }
}

/** Linux: fs/eventpoll.c:is_file_epoll — f_op == &eventpoll_fops. */
export function isFileEpoll(file: File): boolean {
  return file.ops.type === 'eventpoll';
}

/** Not Linux: allocate an epitem (Linux: the kmem_cache_zalloc and field setup at the start of ep_insert). */
export function newEpitem(k: Kernel, ep: Eventpoll, file: File, fd: number, event: EpollEventState): Epitem {
  return new Epitem(k.nextId(), ep, file, fd, event);
}

/** Not Linux: the hooks of an epitem, newest first (snapshots). */
export function pwqlistItems(epi: Epitem): EppollEntry[] {
  const out: EppollEntry[] = [];
  for (let pwq = epi.pwqlist; pwq; pwq = pwq.pwqNext) out.push(pwq);
  return out;
}

/** Not Linux: the epitems on a file's f_ep list (its watchers; ep->refs for an epoll), newest first. */
export function fileEpitems(file: File): Epitem[] {
  const out: Epitem[] = [];
  for (let epi = file.ep as Epitem | null; epi; epi = epi.fllink) out.push(epi);
  return out;
}

/** Not Linux: the ids of the epitems watching a file, oldest first (snapshots: watchedBy). */
export function watchedBy(file: File): number[] {
  return fileEpitems(file)
    .map((e) => e.id)
    .reverse();
}

/**
 * Linux: fs/eventpoll.c:ep_ptable_queue_proc, reached through the poll table ep_insert passes to the target's
 * ->poll: one eppoll_entry per poll_wait. EPOLLEXCLUSIVE items go exclusive at the tail
 * (add_wait_queue_exclusive), every other item non-exclusive at the head (add_wait_queue).
 */
export function epPtableQueueProc(k: Kernel, epi: Epitem, whead: WaitQueueHead): void {
  // Not Linux: an id is spent for the eppoll_entry and one for its wait entry, as when they were
  // two objects, so every id after it is unchanged; snapshots name the eppoll_entry by the first.
  k.nextId();
  const pwq = newWaitEntry(k, 'ep_poll_callback', epi);
  if (epi.events & EPOLLEXCLUSIVE) addWaitQueueExclusive(k, whead, pwq);
  else addWaitQueue(k, whead, pwq);
  // Linux: pwq->next = epi->pwqlist; epi->pwqlist = pwq.
  pwq.pwqNext = epi.pwqlist;
  epi.pwqlist = pwq;
}

/** Linux: struct ep_pqueue — the registering poll table ep_insert hands to the target's ->poll. */
class EpPqueue implements PollTable {
  /** Linux: the pt's _key: the item's events. */
  key: number;
  readonly qproc = epPqueueProc;

  constructor(
    readonly k: Kernel,
    /** Linux: epq->epi. */
    readonly epi: Epitem,
  ) {
    this.key = epi.events >>> 0;
  }
}

// Linux: ep_ptable_queue_proc's container_of(pt, struct ep_pqueue, pt).
function epPqueueProc(_file: File, whead: WaitQueueHead, pt: PollTable): void {
  const epq = pt as EpPqueue;
  epPtableQueueProc(epq.k, epq.epi, whead);
}

/** Linux: struct ep_pqueue, set up by ep_insert (init_poll_funcptr(&epq.pt, ep_ptable_queue_proc)). */
export function epPqueue(k: Kernel, epi: Epitem): PollTable {
  return new EpPqueue(k, epi);
}

/** Linux: fs/eventpoll.c:ep_unregister_pollwait — take every hook off its queue and free it. */
export function epUnregisterPollwait(k: Kernel, epi: Epitem): void {
  for (let pwq = epi.pwqlist; pwq; pwq = pwq.pwqNext) {
    // Linux: ep_remove_wait_queue — a POLLFREE'd entry has no queue any more.
    if (pwq.queue) removeWaitQueue(k, pwq);
  }
  epi.pwqlist = null;
}

/**
 * Linux: fs/eventpoll.c:ep_poll_safewake — tell this epoll's own pollers (parent epolls' items, select/poll
 * entries) that it may have become readable: wake_up_poll(&ep->poll_wait, EPOLLIN), nr 1.
 */
export function epPollSafewake(k: Kernel, ep: Eventpoll): void {
  wakeUp(k, ep.pollWait, 1, EPOLLIN, 'ep_poll_safewake');
}

/**
 * Linux: fs/eventpoll.c:ep_poll_callback (reference §4.7) — decide (callback.ts), then act: link
 * the item, wake one epoll_wait thread, tell the epoll's pollers, detach on POLLFREE. Returns
 * what __wake_up_common counts (see epPollCallbackDecide). The decision is a small integer of
 * bits, so a wake-up allocates nothing.
 */
function epPollCallback(k: Kernel, wait: WaitEntry, key: number): number {
  const epi = wait.owner as Epitem;
  const ep = epi.ep;
  const d = epPollCallbackDecide(
    epi.events,
    key,
    ep.ovflist !== EP_UNACTIVE_PTR,
    epi.next !== EP_UNACTIVE_PTR,
    epIsLinked(epi),
    waitqueueActive(ep.wq),
    waitqueueActive(ep.pollWait),
  );
  const result = d & EP_CB_RESULT;
  // The trace names what happened before any wake-up it causes.
  if (result === EP_CB_DISABLED) k.stats.callbacksDisabledItem++;
  else if (result === EP_CB_FILTERED) k.stats.callbacksFilteredByKey++;
  else if (result === EP_CB_OVFLIST) chainEpiLockless(ep, epi);
  k.emit?.({ type: 'ep_poll_callback', epi: epi.id, key, result: EP_CB_RESULTS[result] });
  if (result === EP_CB_OVFLIST) {
    // A scan is in progress: chained on the ovflist (even if the item is linked on the scan
    // batch or rdllist; ep_done_scan skips linked items).
    k.stats.ovflistPushes++;
    k.emit?.({ type: 'ovflist_push', ep: ep.id, epi: epi.id });
  } else if (result === EP_CB_QUEUED) {
    // The usual case: append to the ready list.
    listAddTail(epi, ep.rdllist);
    k.stats.readyListAppends++;
    k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'ep_poll_callback' });
  }
  // Wake one epoll_wait thread — even when the item was already queued.
  if (d & EP_CB_WAKE_WAITER) wakeUp(k, ep.wq, 1, 0, 'ep_poll_callback');
  // Linux: outside the lock — propagate to this epoll's pollers (nested epoll, select, poll).
  if (d & EP_CB_WAKE_POLLERS) epPollSafewake(k, ep);
  // The queue itself is going away (binder/signalfd in Linux; no file of this model does it):
  // unhooked, and its whead forgotten (the entry's queue is null from now on).
  if (d & EP_CB_DETACH) removeWaitQueue(k, wait);
  return d & EP_CB_EWAKE ? 1 : 0;
}

// Snapshots name an eppoll_entry by its own id, spent just before its wait entry's (epPtableQueueProc).
defineWakeFunction('ep_poll_callback', epPollCallback, (e) => e.id - 1);

/**
 * Linux: fs/eventpoll.c:ep_autoremove_wake_function — wake the epoll_wait thread and always unlink the entry
 * (the waiter never reuses it), even when the thread was already awake (then it returns 0 and
 * the wake-up moves on to the next waiter).
 */
defineWakeFunction('ep_autoremove_wake_function', (k, e) => {
  const ret = wakeThread(k, e.owner as Thread, 'woken');
  removeWaitQueue(k, e);
  return ret;
});
