// Changes to an epoll's interest set (Linux: fs/eventpoll.c ep_insert, ep_modify, __ep_remove,
// ep_remove_safe): what EPOLL_CTL_ADD, MOD and DEL do once do_epoll_ctl has checked them, and
// what closing a watched file or an epoll removes. Each returns 0 or -errno; the syscall layer
// (sys_epoll.ts) turns that into a result.

import { ERRNO, errWhy } from '../errors.ts';
import type { File } from '../file.ts';
import type { Kernel } from '../kernel.ts';
import { waitqueueActive, wakeUp } from '../waitqueue.ts';
import {
  type Epitem,
  type EpollEventState,
  epPollSafewake,
  epPqueue,
  epUnregisterPollwait,
  isFileEpoll,
  newEpitem,
} from './epitem.ts';
import type { Eventpoll } from './eventpoll.ts';
import { type LoopCheckCtx, listTargetFile, reversePathCheck } from './loopcheck.ts';
import { epIsLinked, listAddTail, listDelInit } from './readylist.ts';
import { epItemPoll } from './scan.ts';
import { epollSysctl } from './sysctl.ts';

const { EINVAL, ENOSPC } = ERRNO;

/**
 * Linux: fs/eventpoll.c:attach_epitem — link the item at the head of the target's f_ep
 * (ep->refs for an epoll target): hlist_add_head_rcu, so the list runs newest first.
 */
function attachEpitem(file: File, epi: Epitem): void {
  epi.fllink = file.ep as Epitem | null;
  file.ep = epi;
}

/**
 * Linux: hlist_del_rcu(&epi->fllink), and f_ep back to NULL after the last watcher. Not Linux:
 * without a pprev the predecessor is found by a walk of the file's watchers (usually one).
 */
function detachEpitem(file: File, epi: Epitem): void {
  if (file.ep === epi) file.ep = epi.fllink;
  else
    for (let p = file.ep as Epitem | null; p; p = p.fllink)
      if (p.fllink === epi) {
        p.fllink = epi.fllink;
        break;
      }
  epi.fllink = null;
}

/** Linux: fs/eventpoll.c:ep_insert (reference §4.4). Returns 0 or -errno. */
export function epInsert(
  k: Kernel,
  ep: Eventpoll,
  event: EpollEventState,
  tfile: File,
  fd: number,
  ctx: LoopCheckCtx | null,
): number {
  const sysctl = epollSysctl(k);
  if (sysctl.userWatches >= sysctl.maxUserWatches)
    return errWhy(k, -ENOSPC, 'ep_insert', 'max_user_watches reached');
  sysctl.userWatches++;
  const epi = newEpitem(k, ep, tfile, fd, event);
  attachEpitem(tfile, epi);
  if (ctx && !isFileEpoll(tfile)) listTargetFile(ctx, tfile);
  ep.rbr.insert(epi);
  ep.refcount++;

  // Now check whether we have created too many wake-up paths.
  if (ctx && reversePathCheck(ctx)) {
    epRemoveSafe(k, ep, epi);
    return errWhy(
      k,
      -EINVAL,
      'reverse_path_check',
      'too many wake-up paths through {file} (path_count_arr)',
      tfile.id,
      fd,
    );
  }

  // Register on the target's queues and learn its readiness in one poll.
  const revents = epItemPoll(k, epi, epPqueue(k, epi));
  let pwake = false;
  if (revents && !epIsLinked(epi)) {
    listAddTail(epi, ep.rdllist);
    k.stats.readyListAppends++;
    k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'ready at ADD' });
    if (waitqueueActive(ep.wq)) wakeUp(k, ep.wq, 1, 0, 'ep_insert');
    if (waitqueueActive(ep.pollWait)) pwake = true;
  }
  if (pwake) epPollSafewake(k, ep);
  return 0;
}

/**
 * Linux: fs/eventpoll.c:ep_modify — new mask and data first, then a re-poll that registers
 * nothing (so exclusivity and queues never change). Queue the item if it is ready and not
 * queued; never unqueue it (an item that no longer matches is dropped at the next transfer).
 */
export function epModify(k: Kernel, ep: Eventpoll, epi: Epitem, event: EpollEventState): number {
  epi.events = event.events | 0;
  epi.data = event.data;
  let pwake = false;
  if (epItemPoll(k, epi, ep.repollPt)) {
    if (!epIsLinked(epi)) {
      listAddTail(epi, ep.rdllist);
      k.stats.readyListAppends++;
      k.emit?.({ type: 'rdllist_append', ep: ep.id, epi: epi.id, why: 'ready at MOD' });
      if (waitqueueActive(ep.wq)) wakeUp(k, ep.wq, 1, 0, 'ep_modify');
      if (waitqueueActive(ep.pollWait)) pwake = true;
    }
  }
  if (pwake) epPollSafewake(k, ep);
  return 0;
}

/**
 * Linux: fs/eventpoll.c:__ep_remove — unhook from the target's queues, unlink from the target's
 * f_ep, erase from the tree, unlink from the ready list, uncharge the user. Any pending event is
 * lost. Returns false (and removes nothing but the hooks) for a dying item unless `force`.
 */
export function __epRemove(k: Kernel, ep: Eventpoll, epi: Epitem, force: boolean): boolean {
  epUnregisterPollwait(k, epi);
  if (epi.dying && !force) return false;
  detachEpitem(epi.file, epi);
  ep.rbr.erase(epi);
  if (epIsLinked(epi)) {
    listDelInit(epi);
    k.emit?.({ type: 'rdllist_remove', ep: ep.id, epi: epi.id, why: 'item removed' });
  }
  epollSysctl(k).userWatches--;
  return true;
}

/** Linux: fs/eventpoll.c:ep_remove_safe — remove, and drop the item's reference on the eventpoll. */
export function epRemoveSafe(k: Kernel, ep: Eventpoll, epi: Epitem): void {
  if (__epRemove(k, ep, epi, false)) epRefcountDecAndTest(ep);
}

/**
 * Linux: fs/eventpoll.c:ep_refcount_dec_and_test — drop one reference; true at 0 (Linux then
 * frees it: ep_free). The epoll file holds one reference until its release has removed every
 * item, so the eventpoll outlives all of them.
 */
export function epRefcountDecAndTest(ep: Eventpoll): boolean {
  if (--ep.refcount < 0) throw new Error(`eventpoll ${ep.id} refcount below 0`);
  return ep.refcount === 0;
}
