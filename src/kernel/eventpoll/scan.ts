// Scans of a ready list (Linux: fs/eventpoll.c ep_start_scan, ep_done_scan, ep_send_events,
// __ep_eventpoll_poll) and the re-poll of one item they are made of (ep_item_poll).
//
// A scan moves the whole ready list to a private batch in O(1) and re-polls each item, because
// keys are hints: not-ready items are dropped (one poll, no output slot). While it runs, the
// ovflist is active, and ep_done_scan puts back what callbacks chained there and what the scan
// did not reach. epoll_wait's scan (ep_send_events) consumes events; the epoll file's own poll
// (__ep_eventpoll_poll) only asks whether one exists.

import { EP_PRIVATE_BITS, EPOLL } from '../../abi/constants.ts';
import type { EpollEvent } from '../../api/syscalls.ts';
import { type File, type PollTable, pollWait } from '../file.ts';
import type { Kernel } from '../kernel.ts';
import { vfsPoll } from '../pollwait.ts';
import { waitqueueActive, wakeUp } from '../waitqueue.ts';
import { type Epitem, isFileEpoll } from './epitem.ts';
import type { Eventpoll } from './eventpoll.ts';
import {
  EP_UNACTIVE_PTR,
  epIsLinked,
  type ListHead,
  listAdd,
  listAddTail,
  listDelInit,
  listEmpty,
  listItems,
  listSpliceInit,
} from './readylist.ts';

const { EPOLLIN, EPOLLRDNORM, EPOLLET, EPOLLONESHOT } = EPOLL;

/** Linux: sizeof(struct epoll_event) on x86-64 (packed). */
export const EPOLL_EVENT_SIZE = 12;

/**
 * Linux: fs/eventpoll.c:ep_item_poll — poll the item's file with the item's events as the key,
 * and keep only the events the item asked for. An epoll target is polled by
 * __ep_eventpoll_poll directly. `pt.qproc` registers (ADD) or is null (re-polls).
 */
export function epItemPoll(k: Kernel, epi: Epitem, pt: PollTable): number {
  const file = epi.file;
  // Linux: epi_fget — a file whose last reference is going counts as "nothing ready".
  if (file.count <= 0) return 0;
  // Linux: the short reference ep_item_poll takes (get_file / fput) is a lookup in §7.2's terms.
  k.stats.fileLookups++;
  pt.key = epi.events >>> 0;
  const res = isFileEpoll(file) ? __epEventpollPoll(k, file, pt) : vfsPoll(k, file, pt);
  return (res & epi.events) >>> 0;
}

/**
 * Linux: fs/eventpoll.c:__ep_eventpoll_poll — the epoll file is readable iff its ready list
 * holds an item that is really ready now. Register on poll_wait (if the caller registers), scan
 * the ready list, re-polling each item (recursively for nested epolls); drop items found not
 * ready; stop at the first ready one. Nothing is consumed: ET and ONESHOT state are untouched,
 * nothing re-queued, and the scanned-but-kept items return to the head in their order. Never
 * OUT, PRI, ERR, HUP.
 */
export function __epEventpollPoll(k: Kernel, file: File, pt: PollTable | null): number {
  const ep = file.priv as Eventpoll;
  k.stats.fopPollCalls++;
  pollWait(file, ep.pollWait, pt);
  const rpt = ep.repollPt;
  const txlist = epStartScan(k, ep);
  let res = 0;
  for (let l = txlist.rdllinkNext; l !== txlist; ) {
    const epi = l as Epitem;
    l = l.rdllinkNext;
    if (epItemPoll(k, epi, rpt)) {
      res = EPOLLIN | EPOLLRDNORM;
      break;
    }
    // Queued by a callback, but not ready as far as the item's events go: drop it.
    listDelInit(epi);
    k.stats.readyListDropsOnRepoll++;
    k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'not ready (epoll file poll)' });
  }
  epDoneScan(k, ep, txlist);
  return res;
}

/**
 * Linux: fs/eventpoll.c:ep_start_scan — move the whole ready list to a private scan batch (O(1))
 * and enter scan mode: from now on callbacks chain items on the ovflist.
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
 * Linux: fs/eventpoll.c:ep_done_scan — drain the ovflist newest to oldest, inserting each item
 * not already linked at the ready list's head (so they end up oldest first, ahead of the LT items
 * the scan re-queued at the tail); leave scan mode; splice the scan batch's leftovers (items not
 * reached) at the head; and if the ready list is not empty, wake one more epoll_wait thread.
 */
export function epDoneScan(k: Kernel, ep: Eventpoll, txlist: ListHead): void {
  let nepi = ep.ovflist;
  while (nepi !== null && nepi !== EP_UNACTIVE_PTR) {
    const epi: Epitem = nepi;
    nepi = epi.next;
    epi.next = EP_UNACTIVE_PTR;
    if (!epIsLinked(epi)) {
      // Reverse the order (push at the head) so the overflow list is treated FIFO.
      listAdd(epi, ep.rdllist);
      k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'ovflist drain (at head)' });
    }
  }
  ep.ovflist = EP_UNACTIVE_PTR;
  k.emit?.({ type: 'ep_scan', ep: ep.id, phase: 'done', epis: listItems(txlist).map((e) => e.id) });
  listSpliceInit(txlist, ep.rdllist);
  ep.scanBatch = null;
  if (!listEmpty(ep.rdllist) && waitqueueActive(ep.wq)) wakeUp(k, ep.wq, 1, 0, 'ep_done_scan');
}

/**
 * Linux: fs/eventpoll.c:ep_send_events — deliver up to `maxevents` ready events into `out`.
 * Returns how many. Items found not ready are dropped without using a slot; LT items go back to
 * the tail, ET items do not, ONESHOT items are disabled (events &= EP_PRIVATE_BITS).
 */
export function epSendEvents(k: Kernel, ep: Eventpoll, out: EpollEvent[], maxevents: number): number {
  const pt = ep.repollPt;
  let res = 0;
  const txlist = epStartScan(k, ep);
  for (let l = txlist.rdllinkNext; l !== txlist; ) {
    if (res >= maxevents) break;
    const epi = l as Epitem;
    l = l.rdllinkNext;
    listDelInit(epi);
    const revents = epItemPoll(k, epi, pt);
    if (!revents) {
      // Not ready after all: dropped; the next callback brings it back.
      k.stats.readyListDropsOnRepoll++;
      k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'not ready on re-poll' });
      continue;
    }
    // Linux: epoll_put_uevent — 12 bytes to the user's buffer: into the caller's event there,
    // or a new one where its array ends (the API's calls pass an empty array).
    const uevent = out[res];
    if (uevent === undefined) out.push({ events: revents, data: epi.data });
    else {
      uevent.events = revents;
      uevent.data = epi.data;
    }
    k.stats.eventsDelivered++;
    k.stats.bytesCopiedOut += EPOLL_EVENT_SIZE;
    k.emit?.({ type: 'event_delivered', ep: ep.id, epi: epi.id, events: revents });
    res++;
    const events = epi.events;
    if (events & EPOLLONESHOT) {
      // Disabled until MOD: even ERR and HUP are gone, so callbacks ignore it.
      epi.events = events & EP_PRIVATE_BITS;
      k.stats.oneshotDisables++;
      k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'delivered (ONESHOT: disabled)' });
    } else if (!(events & EPOLLET)) {
      // Level-triggered: back to the tail, so the next epoll_wait re-polls it.
      listAddTail(epi, ep.rdllist);
      k.stats.readyListRequeuesLT++;
      k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'LT re-queue' });
    } else {
      k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'delivered (ET)' });
    }
  }
  epDoneScan(k, ep, txlist);
  return res;
}
