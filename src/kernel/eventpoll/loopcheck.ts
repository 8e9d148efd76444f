// The checks that keep nested epoll finite (Linux: fs/eventpoll.c ep_loop_check,
// reverse_path_check), run by epoll_ctl(ADD) when the topology can change: the target is an
// epoll, or the epoll being added to is itself watched by another epoll (the "full check").
//
// An epoll watching an epoll forwards wake-ups upward: a child's ep_poll_callback wakes its
// ep->poll_wait, where the parent's item sits. Two things must stay bounded:
//
// 1. Depth (ELOOP). Adding epoll T into epoll E links E's ancestors, E, T and T's descendants
//    into chains. down(T) is the longest chain of epoll items below T, found by walking T's
//    interest tree (ep_loop_check_proc); reaching E on the way is a cycle. up(E) is the longest
//    chain of epolls watching E, found through E's reverse links (ep_get_upwards_depth_proc —
//    added in 2025, before which chains could be built deeper from the top). The ADD fails with
//    ELOOP if there is a cycle or down(T) + 1 + up(E) > EP_MAX_NESTS (4): at most five epoll
//    instances in a chain. Each epoll is visited once per check: its `gen` is stamped with the
//    check's generation and its result memoised in `loopCheckDepth`.
//
// 2. Fan-out (EINVAL). Every non-epoll file met below T (and the target itself, when it is not
//    an epoll) goes on the check list (list_file). For each, reverse_path_check counts the
//    wake-up paths from the file up to top-level epolls (ones nobody watches), by the number of
//    epolls in between: paths of length 0 (direct watchers) are unlimited; through 1, 2, 3, 4
//    intermediate epolls at most 500, 100, 50, 10 (path_limits); deeper fails. Diamonds count
//    every path. Over a limit, ep_insert removes the new item and returns EINVAL.

import { EP_MAX_NESTS } from '../../abi/constants.ts';
import type { File } from '../file.ts';
import type { Epitem } from './epitem.ts';
import { isFileEpoll } from './epitem.ts';
import type { Eventpoll } from './eventpoll.ts';

// Linux: fs/eventpoll.c path_limits — index 0 (direct watchers) is never checked.
export const PATH_LIMITS = [1000, 500, 100, 50, 10] as const;
const PATH_ARR_SIZE = PATH_LIMITS.length;

/** Linux: struct ep_ctl_ctx plus the global loop_check_gen — scratch for one epoll_ctl(ADD). */
export interface LoopCheckCtx {
  /** Linux: loop_check_gen — this check's generation (epolls stamped with it are visited). */
  readonly gen: number;
  /** Linux: inserting_into — the epoll being added to (reaching it going down is a cycle). */
  insertingInto: Eventpoll | null;
  /** Linux: tfile_check_list — the non-epoll files whose wake-up paths must be counted. */
  readonly tfileCheckList: File[];
}

// Linux: fs/eventpoll.c:list_file — put a file on the check list once (its epitems_head's `next` marks it).
function listFile(ctx: LoopCheckCtx, file: File): void {
  if (!ctx.tfileCheckList.includes(file)) ctx.tfileCheckList.push(file);
}

/** Linux: ep_insert's `if (full_check && !tep) list_file(tfile)`. */
export function listTargetFile(ctx: LoopCheckCtx, file: File): void {
  listFile(ctx, file);
}

/**
 * Linux: fs/eventpoll.c:ep_loop_check_proc — the depth of the epoll tree below `ep`, or more than
 * EP_MAX_NESTS if it reaches `insertingInto` (a cycle) or goes too deep. Collects the
 * non-epoll files it meets for the reverse path check.
 */
function epLoopCheckProc(ctx: LoopCheckCtx, ep: Eventpoll, depth: number): number {
  if (ep.gen === ctx.gen) return ep.loopCheckDepth;
  ep.gen = ctx.gen;
  let result = 0;
  for (let epi = ep.rbr.first(); epi; epi = ep.rbr.next(epi)) {
    const file = epi.file;
    if (isFileEpoll(file)) {
      const toVisit = file.priv as Eventpoll;
      if (toVisit === ctx.insertingInto || depth > EP_MAX_NESTS) result = EP_MAX_NESTS + 1;
      else result = Math.max(result, epLoopCheckProc(ctx, toVisit, depth + 1) + 1);
      if (result > EP_MAX_NESTS) break;
    } else listFile(ctx, file);
  }
  ep.loopCheckDepth = result;
  return result;
}

/** Linux: fs/eventpoll.c:ep_get_upwards_depth_proc — the longest chain of epolls watching `ep`. */
function epGetUpwardsDepthProc(ctx: LoopCheckCtx, ep: Eventpoll, depth: number): number {
  if (ep.gen === ctx.gen) return ep.loopCheckDepth;
  let result = 0;
  // Linux: hlist_for_each_entry_rcu(epi, &ep->refs, fllink).
  for (let epi = ep.file.ep as Epitem | null; epi; epi = epi.fllink)
    result = Math.max(result, epGetUpwardsDepthProc(ctx, epi.ep, depth + 1) + 1);
  ep.gen = ctx.gen;
  ep.loopCheckDepth = result;
  return result;
}

/**
 * Linux: fs/eventpoll.c:ep_loop_check — 0 if adding epoll `to` into epoll `ep` makes no cycle and no chain of
 * more than EP_MAX_NESTS + 1 epolls; -1 otherwise (epoll_ctl returns ELOOP).
 */
export function epLoopCheck(ctx: LoopCheckCtx, ep: Eventpoll, to: Eventpoll): number {
  ctx.insertingInto = ep;
  const depth = epLoopCheckProc(ctx, to, 0);
  if (depth > EP_MAX_NESTS) return -1;
  const upwardsDepth = epGetUpwardsDepthProc(ctx, ep, 0);
  return depth + 1 + upwardsDepth > EP_MAX_NESTS ? -1 : 0;
}

// Linux: fs/eventpoll.c:path_count_inc — paths of length 0 are unlimited.
function pathCountInc(counts: number[], nests: number): number {
  if (nests === 0) return 0;
  if (++counts[nests] > PATH_LIMITS[nests]) return -1;
  return 0;
}

// Linux: fs/eventpoll.c:reverse_path_check_proc — walk up from the watchers on `refs` (the head
// of a file's f_ep list) to top-level epolls.
function reversePathCheckProc(counts: number[], refs: Epitem | null, depth: number): number {
  if (depth > EP_MAX_NESTS) return -1; // too deep nesting
  let error = 0;
  for (let epi = refs; epi; epi = epi.fllink) {
    const up = epi.ep.file.ep as Epitem | null;
    if (up === null) error = pathCountInc(counts, depth);
    else error = reversePathCheckProc(counts, up, depth + 1);
    if (error !== 0) break;
  }
  return error;
}

/**
 * Linux: fs/eventpoll.c:reverse_path_check — for each file on the check list, count its wake-up paths by
 * length (the counts restart for every file). -1 if any file has too many (epoll_ctl: EINVAL).
 */
export function reversePathCheck(ctx: LoopCheckCtx): number {
  // Linux walks tfile_check_list newest first; the outcome does not depend on the order.
  for (const file of ctx.tfileCheckList) {
    const counts = new Array<number>(PATH_ARR_SIZE).fill(0);
    const error = reversePathCheckProc(counts, file.ep as Epitem | null, 0);
    if (error) return error;
  }
  return 0;
}
