// The two lists an epoll instance keeps its ready items on (Linux: fs/eventpoll.c).
//
// rdllist is an intrusive, circular, doubly-linked FIFO (Linux: struct list_head): each epitem
// embeds its own link, `rdllink` (its fields rdllinkPrev and rdllinkNext), so appending,
// unlinking and "is it queued?" are O(1), and moving the whole list to a private scan batch
// (list_splice_init) is O(1) too. An unlinked
// link points at itself (INIT_LIST_HEAD), and ep_is_linked is "my link is not empty". A link
// being non-empty means the item is on rdllist *or* on a scan batch: both are list_heads, and
// the callbacks only ask "is it queued somewhere?".
//
// ovflist is where callbacks put items while a scan is in progress (ep_start_scan …
// ep_done_scan): a LIFO singly-linked list threaded through `epi.next`. Its head has three
// states, as in Linux: EP_UNACTIVE_PTR (no scan in progress: callbacks use rdllist), null (a
// scan is in progress and nothing arrived yet), or the newest item pushed. An item's `next` is
// EP_UNACTIVE_PTR when it is not on the ovflist, so "already pushed" is one comparison.
//
// In a model where a scan runs to completion without interruption no callback can run during
// one, so the ovflist stays empty in ordinary runs; it is modelled so that an interleaving
// (and the playground) can show it, and ep_done_scan drains it exactly as Linux does.

import type { Epitem } from './epitem.ts';

/** Linux: EP_UNACTIVE_PTR ((void *) -1L): "not on the ovflist" / "no scan in progress". */
export const EP_UNACTIVE_PTR = 'EP_UNACTIVE_PTR' as const;
export type EpUnactive = typeof EP_UNACTIVE_PTR;

/**
 * Linux: struct list_head as epoll uses it: ep->rdllist (a head) and epi->rdllink (the link
 * embedded in each epitem). A head links through the same two fields as the epitems on it, so
 * the list walks from head to epitem to epitem and back without a separate link object.
 */
export interface RdlLink {
  /** Linux: .prev — the previous link (the tail, for a head); itself when empty or unlinked. */
  rdllinkPrev: RdlLink;
  /** Linux: .next — the next link (the first item, for a head); itself when empty or unlinked. */
  rdllinkNext: RdlLink;
}

/** Linux: LIST_HEAD — a list head (ep->rdllist, a scan batch): every other link on it is an epitem. */
export class ListHead implements RdlLink {
  rdllinkPrev: RdlLink;
  rdllinkNext: RdlLink;

  constructor(
    /** What the list is, for snapshots and traces: "eventpoll:7.rdllist". */
    readonly name: string,
  ) {
    // Linux: INIT_LIST_HEAD — an empty list points at itself.
    this.rdllinkPrev = this;
    this.rdllinkNext = this;
  }
}

/** Linux: LIST_HEAD / INIT_LIST_HEAD — an empty list. */
export function newListHead(name: string): ListHead {
  return new ListHead(name);
}

/** Linux: include/linux/list.h:list_empty. For an item's link: true when it is on no list. */
export function listEmpty(h: RdlLink): boolean {
  return h.rdllinkNext === h;
}

/** Linux: include/linux/list.h:__list_add — link `link` between two neighbours. */
function __listAdd(link: RdlLink, prev: RdlLink, next: RdlLink): void {
  next.rdllinkPrev = link;
  link.rdllinkNext = next;
  link.rdllinkPrev = prev;
  prev.rdllinkNext = link;
}

/** Linux: include/linux/list.h:list_add_tail — append at the tail (the FIFO's normal insertion). */
export function listAddTail(link: RdlLink, head: ListHead): void {
  __listAdd(link, head.rdllinkPrev, head);
}

/** Linux: include/linux/list.h:list_add — insert at the head (ep_done_scan's ovflist drain and leftovers). */
export function listAdd(link: RdlLink, head: ListHead): void {
  __listAdd(link, head, head.rdllinkNext);
}

/** Linux: include/linux/list.h:list_del_init — unlink and leave the link empty (so ep_is_linked is false). */
export function listDelInit(link: RdlLink): void {
  link.rdllinkPrev.rdllinkNext = link.rdllinkNext;
  link.rdllinkNext.rdllinkPrev = link.rdllinkPrev;
  link.rdllinkPrev = link;
  link.rdllinkNext = link;
}

/**
 * Linux: include/linux/list.h:list_splice_init — move every item of `list` to the front of `head`, in order, and
 * leave `list` empty. O(1): only the four boundary links change.
 */
export function listSpliceInit(list: ListHead, head: ListHead): void {
  if (listEmpty(list)) return;
  const first = list.rdllinkNext;
  const last = list.rdllinkPrev;
  const at = head.rdllinkNext;
  first.rdllinkPrev = head;
  head.rdllinkNext = first;
  last.rdllinkNext = at;
  at.rdllinkPrev = last;
  list.rdllinkNext = list;
  list.rdllinkPrev = list;
}

/** Not Linux: the items of a list, first to last (O(n): snapshots, traces and tests only). */
export function listItems(head: ListHead): Epitem[] {
  const out: Epitem[] = [];
  for (let l = head.rdllinkNext; l !== head; l = l.rdllinkNext) out.push(l as Epitem);
  return out;
}

/** Linux: fs/eventpoll.c:ep_is_linked — the item is on rdllist or on a scan batch. */
export function epIsLinked(epi: Epitem): boolean {
  return epi.rdllinkNext !== epi;
}

/** The holder of an ovflist head: struct eventpoll's `ovflist` field. */
export interface OvflistOwner {
  /** Linux: ep->ovflist. EP_UNACTIVE_PTR: no scan; null: scanning, empty; else the newest item. */
  ovflist: Epitem | null | EpUnactive;
}

/**
 * Linux: fs/eventpoll.c:chain_epi_lockless — push `epi` on the ovflist head (LIFO), unless it is already
 * on it. Returns whether it was pushed.
 */
export function chainEpiLockless(owner: OvflistOwner, epi: Epitem): boolean {
  if (epi.next !== EP_UNACTIVE_PTR) return false;
  if (owner.ovflist === EP_UNACTIVE_PTR) throw new Error('ovflist push outside a scan');
  epi.next = owner.ovflist;
  owner.ovflist = epi;
  return true;
}

/** Not Linux: the ovflist, newest first, or EP_UNACTIVE_PTR when no scan is in progress (snapshots). */
export function ovflistItems(owner: OvflistOwner): Epitem[] | EpUnactive {
  if (owner.ovflist === EP_UNACTIVE_PTR) return EP_UNACTIVE_PTR;
  const out: Epitem[] = [];
  for (let e: Epitem | null | EpUnactive = owner.ovflist; e !== null && e !== EP_UNACTIVE_PTR; e = e.next)
    out.push(e);
  return out;
}
