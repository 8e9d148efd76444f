// What ep_poll_callback decides for one wake-up of one epitem (Linux: fs/eventpoll.c
// ep_poll_callback), as a pure function of what it looks at. Not Linux: Linux decides and acts
// in one function; the model separates the decision (here, unit-tested on its own, as Shadow
// keeps its per-registration logic in entry.rs) from the acting on lists and queues (epitem.ts).
//
// The decision, in Linux's order:
//   1. an item without poll bits (only a fired ONESHOT item: ADD and MOD add ERR|HUP) ignores
//      every wake-up: 'disabled';
//   2. a keyed wake-up none of whose events the item wants is ignored: 'filtered';
//   3. otherwise, during a scan the item is chained on the ovflist ('ovflist', or 'already' if
//      it is on it), else appended to the ready list ('queued', or 'already' if it is linked);
//      one epoll_wait thread is woken if any sleeps — even when nothing moved — and the epoll's
//      own pollers (poll_wait) are told;
//   4. the return value: a non-exclusive item always counts as a wake-up (1); an EPOLLEXCLUSIVE
//      item only if a thread was waiting and the key allows it, so that an exclusive wake-up
//      moves on to the next epoll when nobody here could take the event;
//   5. a POLLFREE key (the queue itself is going away) detaches the entry, whatever happened.
//
// The decision is a small integer of bits (epPollCallbackDecide), so the callback allocates
// nothing per wake-up; epPollCallbackDecision spells the same bits out as named fields for tests.

import { EP_PRIVATE_BITS, EPOLL, POLLFREE } from '../../abi/constants.ts';

const { EPOLLIN, EPOLLOUT, EPOLLEXCLUSIVE } = EPOLL;
/** Linux: fs/eventpoll.c:EPOLLINOUT_BITS. */
const EPOLLINOUT_BITS = EPOLLIN | EPOLLOUT;

/** What happened to the item (the ep_poll_callback trace event's `result`). */
export type EpPollCallbackResult = 'queued' | 'ovflist' | 'already' | 'filtered' | 'disabled';

/** Everything ep_poll_callback looks at. */
export interface EpPollCallbackInput {
  /** epi->event.events: the interest mask with the private bits. */
  events: number;
  /** The wake-up's key: the events it is about; 0 for "unknown, any". */
  key: number;
  /** ep->ovflist != EP_UNACTIVE_PTR: a scan is in progress. */
  scanning: boolean;
  /** epi->next != EP_UNACTIVE_PTR: the item is already chained on the ovflist. */
  onOvflist: boolean;
  /** ep_is_linked(epi): the item is on the ready list or on a scan batch. */
  linked: boolean;
  /** waitqueue_active(&ep->wq): a thread sleeps in epoll_wait on this epoll. */
  waiters: boolean;
  /** waitqueue_active(&ep->poll_wait): something polls the epoll itself. */
  pollers: boolean;
}

/** What ep_poll_callback does, in that order. */
export interface EpPollCallbackDecision {
  result: EpPollCallbackResult;
  /** wake_up(&ep->wq): wake one epoll_wait thread. */
  wakeWaiter: boolean;
  /** ep_poll_safewake: wake the epoll's pollers (a parent epoll's item, select, poll). */
  wakePollers: boolean;
  /** The return value __wake_up_common counts: 1 if this entry took the (exclusive) wake-up. */
  ewake: 0 | 1;
  /** A POLLFREE key: take the entry off the queue and forget the queue. */
  detach: boolean;
}

// The decision as a small integer, so that the callback allocates nothing per wake-up: the
// result in the low three bits (an index into EP_CB_RESULTS), then one bit per action.
export const EP_CB_QUEUED = 0;
export const EP_CB_OVFLIST = 1;
export const EP_CB_ALREADY = 2;
export const EP_CB_FILTERED = 3;
export const EP_CB_DISABLED = 4;
/** The result's bits of a decision. */
export const EP_CB_RESULT = 0x7;
/** A result's name, by its number (the ep_poll_callback trace event's `result`). */
export const EP_CB_RESULTS: readonly EpPollCallbackResult[] = [
  'queued',
  'ovflist',
  'already',
  'filtered',
  'disabled',
];
export const EP_CB_WAKE_WAITER = 0x8;
export const EP_CB_WAKE_POLLERS = 0x10;
export const EP_CB_EWAKE = 0x20;
export const EP_CB_DETACH = 0x40;

/**
 * Not Linux: ep_poll_callback's decision, without its actions (see the module comment), as
 * bits: a result (EP_CB_RESULT) and the EP_CB_* actions. The callback calls this; tests read it
 * through epPollCallbackDecision.
 */
export function epPollCallbackDecide(
  events: number,
  key: number,
  scanning: boolean,
  onOvflist: boolean,
  linked: boolean,
  waiters: boolean,
  pollers: boolean,
): number {
  let d: number;
  if ((events & ~EP_PRIVATE_BITS) === 0) d = EP_CB_DISABLED;
  else if (key !== 0 && (key & events) === 0) d = EP_CB_FILTERED;
  else {
    if (scanning) d = onOvflist ? EP_CB_ALREADY : EP_CB_OVFLIST;
    else d = linked ? EP_CB_ALREADY : EP_CB_QUEUED;
    // Taken: one epoll_wait thread is woken if any sleeps, and the pollers are told.
    if (waiters) d |= EP_CB_WAKE_WAITER;
    if (pollers) d |= EP_CB_WAKE_POLLERS;
  }
  if ((key & POLLFREE) !== 0) d |= EP_CB_DETACH;
  if ((events & EPOLLEXCLUSIVE) === 0) d |= EP_CB_EWAKE;
  else if ((d & (EP_CB_WAKE_WAITER | EP_CB_DETACH)) === EP_CB_WAKE_WAITER) {
    switch (key & EPOLLINOUT_BITS) {
      case EPOLLIN:
        if (events & EPOLLIN) d |= EP_CB_EWAKE;
        break;
      case EPOLLOUT:
        if (events & EPOLLOUT) d |= EP_CB_EWAKE;
        break;
      case 0:
        d |= EP_CB_EWAKE;
        break;
      // Both IN and OUT in the key: ewake stays 0.
    }
  }
  return d;
}

/** Not Linux: ep_poll_callback's decision as named fields (tests; the same function as the callback's). */
export function epPollCallbackDecision(s: EpPollCallbackInput): EpPollCallbackDecision {
  const d = epPollCallbackDecide(s.events, s.key, s.scanning, s.onOvflist, s.linked, s.waiters, s.pollers);
  return {
    result: EP_CB_RESULTS[d & EP_CB_RESULT],
    wakeWaiter: (d & EP_CB_WAKE_WAITER) !== 0,
    wakePollers: (d & EP_CB_WAKE_POLLERS) !== 0,
    ewake: d & EP_CB_EWAKE ? 1 : 0,
    detach: (d & EP_CB_DETACH) !== 0,
  };
}
