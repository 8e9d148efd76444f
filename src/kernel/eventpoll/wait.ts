// epoll_wait's semantics once its arguments are checked (Linux: fs/eventpoll.c ep_poll,
// ep_events_available, ep_schedule_timeout): deliver what is ready, else sleep on ep->wq and
// try again after every wake-up. It sleeps through sched.ts's prepareToWait / schedule / finishWait.

import type { EpollEvent } from '../../api/syscalls.ts';
import { ERRNO, errWhy } from '../errors.ts';
import { finishWait, type MaySleep, prepareToWait, type SysGen, schedule, type Thread } from '../sched.ts';
import { newWaitEntry } from '../waitqueue.ts';
import type { Eventpoll } from './eventpoll.ts';
import { EP_UNACTIVE_PTR, listEmpty, listItems } from './readylist.ts';
import { epSendEvents } from './scan.ts';

const { EINTR } = ERRNO;

/** When epoll_wait gives up: never, at once (the {0,0} timeout), or at an absolute virtual time. */
export type EpTimeout = { kind: 'infinite' } | { kind: 'nonblock' } | { kind: 'deadline'; at: number };

export const EP_TIMEOUT_INFINITE: EpTimeout = { kind: 'infinite' };
export const EP_TIMEOUT_NONBLOCK: EpTimeout = { kind: 'nonblock' };

/** Linux: fs/eventpoll.c:ep_events_available — something on the ready list, or a scan in progress. */
function epEventsAvailable(ep: Eventpoll): boolean {
  return !listEmpty(ep.rdllist) || ep.ovflist !== EP_UNACTIVE_PTR;
}

/**
 * Linux: fs/eventpoll.c:ep_poll. Deliver what is ready; otherwise sleep as an exclusive entry at
 * the head of ep->wq (the newest waiter is woken first), and retry after every wake-up with the
 * same deadline. Returns the count or -errno; the events go to `out`. This is the loop's first
 * turn, which never sleeps; epPollWait goes on from where it would.
 */
export function epPoll(
  t: Thread,
  ep: Eventpoll,
  out: EpollEvent[],
  maxevents: number,
  timeout: EpTimeout,
): MaySleep<number> {
  let taken: number[] | null = null;
  if (epEventsAvailable(ep)) {
    // Not Linux: what the scan takes, for an observer told why nothing came of it.
    if (t.k.emit) taken = listItems(ep.rdllist).map((e) => e.id);
    const res = epSendEvents(t.k, ep, out, maxevents);
    if (res) return res;
  }
  // A zero timeout returns 0 here, even with a signal pending.
  if (timeout.kind === 'nonblock') {
    t.k.emit?.({
      type: 'ep_wait_none',
      ep: ep.id,
      why: taken?.length ? 'dropped' : 'empty',
      dropped: taken ?? [],
    });
    return 0;
  }
  // Linux: checked before every sleep. ep_poll returns -EINTR itself, not an ERESTART code:
  // epoll_wait is never restarted, even under SA_RESTART or with no handler run.
  if (t.sigpending) return errWhy(t.k, -EINTR, 'ep_poll', 'a signal is pending for the thread');
  return epPollWait(t, ep, out, maxevents, timeout);
}

/** Linux: fs/eventpoll.c:ep_poll — its loop from the first sleep on (not Linux: a function of its own). */
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
  for (;;) {
    const wait = newWaitEntry(k, 'ep_autoremove_wake_function', t);
    let eavail = epEventsAvailable(ep);
    if (!eavail) {
      prepareToWait(t, ep.wq, wait, 'exclusive_head');
      // Linux: ep_schedule_timeout — a deadline already past does not sleep ('timeout' at once).
      const reason = yield* schedule(t, to, wait);
      if (reason === 'timeout') timedOut = true;
    }
    // Woken: try to harvest. Still queued means nobody woke us (a timeout or a signal); if it
    // timed out, there is nothing to harvest.
    eavail = true;
    if (wait.queue !== null) {
      if (timedOut) eavail = false;
      finishWait(t, wait);
    }
    if (eavail) {
      const res = epSendEvents(k, ep, out, maxevents);
      if (res) return res;
    }
    if (timedOut) {
      k.emit?.({ type: 'ep_wait_none', ep: ep.id, why: 'timeout', dropped: [] });
      return 0;
    }
    // Linux: signal_pending(current) before the next sleep (after a wake-up of any kind).
    if (t.sigpending) return errWhy(t.k, -EINTR, 'ep_poll', 'a signal is pending for the thread');
  }
}
