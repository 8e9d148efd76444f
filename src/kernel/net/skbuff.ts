// Socket buffers (Linux: net/core/skbuff.c, include/linux/skbuff.h): the struct, and what one
// costs. An skb's truesize — what it is charged to its sender's sk_wmem_alloc — follows the
// x86-64 slab and page allocators, verified against SIOCOUTQ on the reference kernel (6.18) for
// every size class (reference §5.2). The protocols decide how a message is cut into a linear
// head and page fragments; this module prices the result.

import { PAGE_SIZE } from '../../abi/constants.ts';
import type { Kernel } from '../kernel.ts';
import type { Sock } from './sock.ts';
import { sockWfree } from './sock.ts';

// Linux: SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) and SKB_DATA_ALIGN(sizeof(struct sk_buff)).
const SKB_SHINFO_SIZE = 320;
const SKB_STRUCT_SIZE = 256;
/** Linux: SKB_MAX_HEAD(0) = SKB_WITH_OVERHEAD(PAGE_SIZE): the largest linear head in one page. */
export const SKB_MAX_HEAD0 = PAGE_SIZE - SKB_SHINFO_SIZE;
/** Linux: SKB_MAX_ALLOC = SKB_MAX_ORDER(0, 2): the largest linear skb of an order-2 allocation. */
export const SKB_MAX_ALLOC = (PAGE_SIZE << 2) - SKB_SHINFO_SIZE;
/** Linux: CONFIG_MAX_SKB_FRAGS default. */
export const MAX_SKB_FRAGS = 17;
// Linux: the kmalloc size classes (SLUB); larger requests come from the page allocator.
const KMALLOC_CLASSES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];

const align64 = (n: number): number => (n + 63) & ~63;

/** Linux: PAGE_ALIGN. */
export const pageAlign = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

/** Linux: struct sk_buff, the part the model uses. */
export interface Skb {
  readonly id: number;
  /** The payload (skb->len = data.length). */
  readonly data: Uint8Array;
  /** Linux: UNIXCB(skb).consumed — bytes a stream reader has taken; the skb stays queued until all are. */
  consumed: number;
  /** Linux: skb->truesize, charged to `owner.wmemAlloc` until the skb is freed. */
  readonly truesize: number;
  /** Linux: skb->sk — the socket charged for it (the sender; for an AF_UNIX connect request, the embryo). */
  readonly owner: Sock;
}

/** Linux: mm/slab_common.c:kmalloc_size_roundup. */
function kmallocSizeRoundup(n: number): number {
  for (const c of KMALLOC_CLASSES) if (n <= c) return c;
  let size = PAGE_SIZE;
  while (size < n) size *= 2;
  return size;
}

/**
 * Linux: __alloc_skb → kmalloc_reserve + __build_skb_around: the head is kmalloc'ed as
 * SKB_DATA_ALIGN(len) + shinfo, rounded to its slab class, and truesize = SKB_TRUESIZE(that −
 * shinfo). AF_UNIX allocates with __GFP_ACCOUNT, so the small-head cache is never used.
 */
export function headTruesize(headLen: number): number {
  return kmallocSizeRoundup(align64(headLen) + SKB_SHINFO_SIZE) + SKB_STRUCT_SIZE;
}

/**
 * Linux: consume_skb → skb_release_head_state → skb->destructor. Every skb of the model is
 * charged to a socket (skb_set_owner_w), so the destructor is sock_wfree (for AF_UNIX through
 * unix_destruct_scm, which has nothing else to do here).
 */
export function consumeSkb(k: Kernel, skb: Skb): void {
  sockWfree(k, skb);
}

/** Linux: skb_queue_purge — free every skb of a queue, head first. */
export function skbQueuePurge(k: Kernel, queue: Skb[]): void {
  for (;;) {
    const skb = queue.shift();
    if (!skb) return;
    consumeSkb(k, skb);
  }
}
