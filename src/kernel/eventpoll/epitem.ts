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
import { epPollCallbackDecision } from './callback.ts';
import type { Eventpoll } from './eventpoll.ts';
import type { RbNode } from './rbtree.ts';
import {
  chainEpiLockless,
  EP_UNACTIVE_PTR,
  type EpUnactive,
  epIsLinked,
  type ListHead,
  listAddTail,
  newListHead,
} from './readylist.ts';

const { EPOLLIN, EPOLLEXCLUSIVE } = EPOLL;

/** Linux: struct epoll_event as the kernel keeps it in an epitem. */
export interface EpollEventState {
  /** The interest mask, u32: EPOLL* events plus the private bits (ET, ONESHOT, EXCLUSIVE, WAKEUP). */
  events: number;
  /**
   * The user's 64-bit cookie (epoll_data_t), returned with every event: copied in and out as is,
   * in the API's one representation (a number below 2^53, a bigint from 2^53 up; EpollData).
   */
  data: EpollData;
}

/** Linux: struct eppoll_entry — one per wait queue the target registered on at ADD; plain fields. */
export class EppollEntry {
  /** Linux: pwq->wait — the queued entry; kind ep_poll_callback, owner this eppoll_entry. */
  readonly wait: WaitEntry;
  /** Linux: pwq->next — the next (older) hook of the same epitem, or null. */
  next: EppollEntry | null = null;

  constructor(
    k: Kernel,
    /** Linux: pwq->base — the epitem this hook belongs to. */
    readonly base: Epitem,
    /** Linux: pwq->whead — the queue the entry sits on; null once a POLLFREE wake-up detached it. */
    public whead: WaitQueueHead | null,
    /** Stable id for traces and snapshots. */
    readonly id = k.nextId(),
  ) {
    this.wait = newWaitEntry(k, 'ep_poll_callback', this);
  }
}

/** Linux: struct epitem. */
export interface Epitem {
  /** Stable id for traces and snapshots. */
  readonly id: number;
  /** Linux: epi->rbn — this item's node in ep->rbr; null only between allocation and insertion. */
  rbn: RbNode<Epitem> | null;
  /** Linux: epi->rdllink — linked ⇔ on ep->rdllist or on a scan batch (ep_is_linked). */
  readonly rdllink: ListHead;
  /** Linux: epi->next — the ovflist link; EP_UNACTIVE_PTR when not on the ovflist, null at its end. */
  next: Epitem | null | EpUnactive;
  /** Linux: epi->ffd — the key: the open file description and the fd number it was added under. */
  readonly ffd: { readonly file: File; readonly fd: number };
  /** Linux: epi->dying — set by eventpoll_release_file while it removes the item. */
  dying: boolean;
  /** Linux: epi->pwqlist — the hooks on the target's queues, newest first through pwq.next (usually exactly one). */
  pwqlist: EppollEntry | null;
  /** Linux: epi->ep — the epoll instance this item belongs to. */
  readonly ep: Eventpoll;
  /** Linux: epi->event — changed by MOD, and by ep_send_events for ONESHOT (events &= EP_PRIVATE_BITS). */
  event: EpollEventState;
}

/** Linux: fs/eventpoll.c:is_file_epoll — f_op == &eventpoll_fops. */
export function isFileEpoll(file: File): boolean {
  return file.ops.type === 'eventpoll';
}

/** Not Linux: allocate an epitem (Linux: the kmem_cache_zalloc and field setup at the start of ep_insert). */
export function newEpitem(k: Kernel, ep: Eventpoll, file: File, fd: number, event: EpollEventState): Epitem {
  const id = k.nextId();
  // Every field in the literal: one added later would cost the object a second allocation.
  const epi = {
    id,
    rbn: null,
    rdllink: null,
    next: EP_UNACTIVE_PTR,
    ffd: { file, fd },
    dying: false,
    pwqlist: null,
    ep,
    event: { events: event.events >>> 0, data: event.data },
  } as unknown as Omit<Epitem, 'rdllink'> & { rdllink: ListHead };
  epi.rdllink = newListHead('', epi as Epitem);
  return epi as Epitem;
}

/** Not Linux: the hooks of an epitem, newest first (snapshots). */
export function pwqlistItems(epi: Epitem): EppollEntry[] {
  const out: EppollEntry[] = [];
  for (let pwq = epi.pwqlist; pwq; pwq = pwq.next) out.push(pwq);
  return out;
}

/**
 * Linux: fs/eventpoll.c:ep_ptable_queue_proc, reached through the poll table ep_insert passes to the target's
 * ->poll: one eppoll_entry per poll_wait. EPOLLEXCLUSIVE items go exclusive at the tail
 * (add_wait_queue_exclusive), every other item non-exclusive at the head (add_wait_queue).
 */
export function epPtableQueueProc(k: Kernel, epi: Epitem, whead: WaitQueueHead): void {
  const pwq = new EppollEntry(k, epi, whead);
  if (epi.event.events & EPOLLEXCLUSIVE) addWaitQueueExclusive(k, whead, pwq.wait);
  else addWaitQueue(k, whead, pwq.wait);
  // Linux: pwq->next = epi->pwqlist; epi->pwqlist = pwq.
  pwq.next = epi.pwqlist;
  epi.pwqlist = pwq;
}

/** Linux: struct ep_pqueue — the registering poll table ep_insert hands to the target's ->poll. */
export function epPqueue(k: Kernel, epi: Epitem): PollTable {
  return { qproc: (_file, whead) => epPtableQueueProc(k, epi, whead), key: epi.event.events };
}

/** Linux: fs/eventpoll.c:ep_unregister_pollwait — take every hook off its queue and free it. */
export function epUnregisterPollwait(k: Kernel, epi: Epitem): void {
  for (let pwq = epi.pwqlist; pwq; pwq = pwq.next) {
    // Linux: ep_remove_wait_queue — a POLLFREE'd entry has no queue any more.
    if (pwq.whead) removeWaitQueue(k, pwq.wait);
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
 * what __wake_up_common counts (see epPollCallbackDecision).
 */
function epPollCallback(k: Kernel, wait: WaitEntry, key: number): number {
  const pwq = wait.owner as EppollEntry;
  const epi = pwq.base;
  const ep = epi.ep;
  const d = epPollCallbackDecision({
    events: epi.event.events,
    key,
    scanning: ep.ovflist !== EP_UNACTIVE_PTR,
    onOvflist: epi.next !== EP_UNACTIVE_PTR,
    linked: epIsLinked(epi),
    waiters: waitqueueActive(ep.wq),
    pollers: waitqueueActive(ep.pollWait),
  });
  const { result } = d;
  // The trace names what happened before any wake-up it causes.
  if (result === 'disabled') k.stats.callbacksDisabledItem++;
  else if (result === 'filtered') k.stats.callbacksFilteredByKey++;
  else if (result === 'ovflist') chainEpiLockless(ep, epi);
  k.emit?.({ type: 'ep_poll_callback', epi: epi.id, key, result });
  if (result === 'ovflist') {
    // A scan is in progress: chained on the ovflist (even if the item is linked on the scan
    // batch or rdllist; ep_done_scan skips linked items).
    k.stats.ovflistPushes++;
    k.emit?.({ type: 'ovflist_push', ep: ep.id, epi: epi.id });
  } else if (result === 'queued') {
    // The usual case: append to the ready list.
    listAddTail(epi.rdllink, ep.rdllist);
    k.stats.readyListAppends++;
    k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'ep_poll_callback' });
  }
  // Wake one epoll_wait thread — even when the item was already queued.
  if (d.wakeWaiter) wakeUp(k, ep.wq, 1, 0, 'ep_poll_callback');
  // Linux: outside the lock — propagate to this epoll's pollers (nested epoll, select, poll).
  if (d.wakePollers) epPollSafewake(k, ep);
  if (d.detach) {
    // The queue itself is going away (binder/signalfd in Linux; no file of this model does it).
    removeWaitQueue(k, wait);
    pwq.whead = null;
  }
  return d.ewake;
}

defineWakeFunction('ep_poll_callback', epPollCallback);

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
