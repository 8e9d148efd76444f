// Snapshots of epoll instances as plain JSON (not Linux: the model's window on struct eventpoll
// and struct epitem, for traces, tests and the playground). Read-only: nothing here changes state.

import { EPOLL } from '../../abi/constants.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../sched.ts';
import { waitEntries } from '../waitqueue.ts';
import { type Epitem, isFileEpoll, pwqlistItems, watchedBy } from './epitem.ts';
import type { Eventpoll } from './eventpoll.ts';
import type { RbNodeSnapshot } from './rbtree.ts';
import { EP_UNACTIVE_PTR, type EpUnactive, epIsLinked, listItems, ovflistItems } from './readylist.ts';

const { EPOLLEXCLUSIVE } = EPOLL;

export interface EpitemSnapshot {
  id: number;
  /** The fd number of the key (the number it was added under, even if now closed). */
  fd: number;
  /** The open file description's id (the key's first half) and type. */
  file: number;
  fileType: string;
  /** The interest mask, u32, with the private bits. */
  events: number;
  /** epoll_data_t: a number below 2^53, a decimal string from 2^53 up (JSON has no u64). */
  data: number | string;
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

/** Not Linux: one epitem as plain JSON. */
export function snapshotEpitem(epi: Epitem): EpitemSnapshot {
  const next = epi.next;
  return {
    id: epi.id,
    fd: epi.fd,
    file: epi.file.id,
    fileType: epi.file.ops.type,
    events: epi.events >>> 0,
    data: typeof epi.data === 'bigint' ? String(epi.data) : epi.data,
    ready: epIsLinked(epi),
    ovflistNext: next === null || next === EP_UNACTIVE_PTR ? next : next.id,
    queues: pwqlistItems(epi).map((p) => p.queue?.name ?? '(detached by POLLFREE)'),
    waitEntries: pwqlistItems(epi).map((p) => p.id),
    exclusive: (epi.events & EPOLLEXCLUSIVE) !== 0,
  };
}

/** Not Linux: one epoll instance's private state as plain JSON. */
export function snapshotEventpoll(ep: Eventpoll): EventpollSnapshot {
  const ovf = ovflistItems(ep);
  return {
    id: ep.id,
    file: ep.file.id,
    inorder: ep.rbr.nodes().map((n) => ({ epi: n.id, file: n.file.id, fd: n.fd })),
    tree: ep.rbr.snapshot(),
    rdllist: listItems(ep.rdllist).map((e) => e.id),
    scanBatch: ep.scanBatch ? listItems(ep.scanBatch).map((e) => e.id) : null,
    ovflist: ovf === EP_UNACTIVE_PTR ? ovf : ovf.map((e) => e.id),
    waiters: waitEntries(ep.wq).map((e) => (e.owner as Thread).name),
    pollWait: waitEntries(ep.pollWait).map((e) => ({ entry: e.id, kind: e.kind })),
    watchedBy: watchedBy(ep.file),
    refcount: ep.refcount,
    items: ep.rbr.nodes().map(snapshotEpitem),
  };
}

/** Not Linux: every live epoll instance of the kernel, in creation order. */
export function snapshotEventpolls(k: Kernel): EventpollSnapshot[] {
  const out: EventpollSnapshot[] = [];
  for (const f of k.files) if (isFileEpoll(f)) out.push(snapshotEventpoll(f.priv as Eventpoll));
  return out.sort((a, b) => a.id - b.id);
}
