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
// The modules, in gVisor's layers (syscalls that decode and check, object semantics, and the
// wait queues, which know nothing of files):
//   sys_epoll.ts  the system calls: argument decoding, fd lookups, Linux's checks in order, errnos
//   eventpoll.ts  struct eventpoll, its file operations and release (this module)
//   interest.ts   ep_insert, ep_modify, __ep_remove: the interest set's changes
//   scan.ts       ep_item_poll, ep_start_scan / ep_done_scan, ep_send_events, __ep_eventpoll_poll
//   wait.ts       ep_poll: epoll_wait's delivery and sleep
//   epitem.ts     struct epitem, its hooks, ep_poll_callback (deciding in callback.ts, pure)
//   readylist.ts rbtree.ts loopcheck.ts sysctl.ts   the lists, the tree, nesting checks, limits
//   snapshot.ts   plain-JSON views for traces and tests
//
// Locking: Linux serialises with ep->mtx (ctl, transfer, release) and ep->lock (the lists).
// In the model a system call runs without interruption until it sleeps, which gives the same
// exclusion; the only place the lists are observed "in the middle" is a scan, whose ovflist is
// modelled as Linux has it.

import { ERRNO, errWhy } from '../errors.ts';
import { type File, type FileOperations, fileHooks, fileOperations, type PollTable } from '../file.ts';
import type { Kernel } from '../kernel.ts';
import { newWaitQueue, type WaitQueueHead, waitqueueActive } from '../waitqueue.ts';
import { type Epitem, epPollSafewake, epUnregisterPollwait } from './epitem.ts';
import { __epRemove, epRefcountDecAndTest, epRemoveSafe } from './interest.ts';
import { RbTree } from './rbtree.ts';
import { EP_UNACTIVE_PTR, type EpUnactive, type ListHead, newListHead } from './readylist.ts';
import { __epEventpollPoll } from './scan.ts';
import { snapshotEventpoll } from './snapshot.ts';

const { EINVAL } = ERRNO;

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
  /** Linux: ep->rbr — the interest set keyed by (file id, fd); the epitems are its nodes. */
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
  /**
   * Not Linux: the poll table this epoll's re-polls pass to ep_item_poll (a stack local with a
   * NULL _qproc in Linux), made once: a re-poll registers nothing, and sets only its key.
   */
  readonly repollPt: PollTable;
}

/** Linux: fs/eventpoll.c:ep_alloc. */
export function epAlloc(k: Kernel): Eventpoll {
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
    repollPt: { qproc: null, key: 0 },
  } as Omit<Eventpoll, 'file'> as Eventpoll;
  return ep;
}

/** Linux: fs/eventpoll.c:ep_eventpoll_poll — f_op->poll of the epoll file. */
function epEventpollPoll(k: Kernel, file: File, pt: PollTable | null): number {
  return __epEventpollPoll(k, file, pt);
}

/**
 * Linux: fs/eventpoll.c:eventpoll_release_file, from __fput before f_op->release: the last reference to a
 * watched file is going, so every epitem watching it, in every epoll, is removed (newest
 * first, as Linux's f_ep hlist holds them). No event is produced; a queued one disappears.
 * For an epoll file this removes it from its parents.
 */
function eventpollReleaseFile(k: Kernel, file: File): void {
  // The head of f_ep is the newest watcher; each removal unlinks it.
  while (file.ep !== null) {
    const epi = file.ep as Epitem;
    epi.dying = true;
    const ep = epi.ep;
    if (__epRemove(k, ep, epi, true)) epRefcountDecAndTest(ep);
  }
}

fileHooks.eventpollRelease = eventpollReleaseFile;

/**
 * Linux: fs/eventpoll.c:ep_eventpoll_release → ep_clear_and_put — the epoll file's last reference: wake its
 * pollers, unhook every item, remove every item, drop the file's reference on the eventpoll.
 * Threads in epoll_wait hold a reference on the file, so none can be waiting now.
 */
function epEventpollRelease(k: Kernel, file: File): void {
  const ep = file.priv as Eventpoll;
  if (waitqueueActive(ep.pollWait)) epPollSafewake(k, ep);
  const items = ep.rbr.nodes();
  for (const epi of items) epUnregisterPollwait(k, epi);
  for (const epi of items) epRemoveSafe(k, ep, epi);
  epRefcountDecAndTest(ep);
}

/** Linux: fs/eventpoll.c:eventpoll_fops. No read or write (EINVAL); ioctl knows only EPIOC[SG]PARAMS. */
export const eventpollOps: FileOperations = fileOperations({
  type: 'eventpoll',
  snapshot: (_k, file) => snapshotEventpoll(file.priv as Eventpoll),
  poll: epEventpollPoll,
  release: epEventpollRelease,
  // Linux: ep_eventpoll_ioctl (6.9; CONFIG_NET_RX_BUSY_POLL, as on the reference host) answers
  // every command but its own EPIOC[SG]PARAMS (not modelled) with EINVAL: FIONREAD and the
  // socket ioctls included.
  ioctl: (k, file) =>
    errWhy(
      k,
      -EINVAL,
      'ep_eventpoll_ioctl',
      '{file} is an epoll: it answers no ioctl but its busy-poll ones',
      file.id,
    ),
});
