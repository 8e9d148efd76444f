// AF_UNIX sockets (Linux: net/unix/af_unix.c, with net/socket.c, net/core/sock.c and
// net/core/datagram.c for the generic parts). Reference §5.2.
//
// One object, `UnixSock`, stands for Linux's `struct socket` + `struct unix_sock` (which embeds
// `struct sock`). What the model keeps is what the behaviour depends on:
//
// - **One wait queue per socket** (`wq`, Linux: sock->wq.wait, reached as sk_sleep(sk)). Data,
//   space, state and error wake-ups all go through it with Linux's keys and budgets:
//     sock_def_readable      IN|PRI|RDNORM|RDBAND, nr 1   (data queued, a connection queued)
//     unix_write_space       OUT|WRNORM|WRBAND, nr 1      (an skb of ours freed, and we are writable)
//     sock_def_wakeup        key 0 (all), nr 0            (shutdown, peer close)
//     sock_def_error_report  ERR, nr 1                    (sk_err set by a dgram disconnect)
//   Each of them wakes only if the queue has entries (skwq_has_sleeper), and never once the
//   socket is orphaned (released: sk_wq is NULL).
// - A second queue, `peerWait` (unix_sock.peer_wait): connectors waiting for room in a listener's
//   backlog, and datagram senders waiting for room in a one-way peer's receive queue
//   (max_dgram_qlen). A socket's `peerWake` entry (kind unix_dgram_peer_wake_relay) sits on its
//   peer's peer_wait while a poll or send found that peer's queue full, and relays the peer's next
//   dequeue as an OUT wake-up on our own queue.
// - **Flow control by skb truesize.** Every skb is charged to its sender's `wmemAlloc`
//   (sk_wmem_alloc, which starts at 1) until the receiver consumes all of it (sock_wfree). Sending
//   needs `wmemAlloc − 1 < sndbuf` before each skb (so the last one may overshoot); poll says
//   writable only while `4 × wmemAlloc ≤ sndbuf`. Truesize follows the x86-64 slab and page
//   allocators (see `headTruesize`), verified against SIOCOUTQ on the reference kernel for every
//   size class, stream and datagram.
// - Abstract names live in a per-kernel namespace keyed by type and name: Linux hashes the socket
//   type into the bucket, so a stream and a datagram socket can hold the same abstract name.
//
// Not modelled (each throws Unsupported where an argument could ask for it): filesystem and
// autobind addresses, sendto/recvfrom and msg flags (MSG_PEEK, MSG_OOB, MSG_WAITALL), SCM_RIGHTS
// and credentials, socket options (SO_SNDBUF, SO_RCVTIMEO, SO_PEEK_OFF), SIGPIPE (the process
// ignores it, as the script format says: EPIPE only), families other than AF_UNIX.

import {
  AF,
  EPOLL,
  MAX_DGRAM_QLEN,
  O,
  SK_SNDBUF_DEFAULT,
  SOCK,
  SOCK_TYPE_MASK,
  SOMAXCONN,
} from '../abi/constants.ts';
import type { SysResult } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import { ERRNO, fail, toResult } from './errors.ts';
import {
  copyBytes,
  File,
  type FileOperations,
  fput,
  type PollTable,
  pollRequestedEvents,
  pollWait,
} from './file.ts';
import { fdget, fdlookup, installFd } from './fs.ts';
import type { Kernel } from './kernel.ts';
import { type SysGen, sleepOn, type Thread, type WakeReason, wakeThread } from './sched.ts';
import {
  addWaitQueue,
  addWaitQueueExclusive,
  defineWakeFunction,
  newWaitEntry,
  newWaitQueue,
  removeWaitQueue,
  type WaitEntry,
  type WaitQueueHead,
  waitqueueActive,
  wakeUp,
} from './waitqueue.ts';

const {
  EAFNOSUPPORT,
  EAGAIN,
  ECONNREFUSED,
  ECONNRESET,
  EINTR,
  EINVAL,
  EISCONN,
  EMFILE,
  EMSGSIZE,
  ENOTCONN,
  ENOTSOCK,
  EPERM,
  EPIPE,
  EPROTONOSUPPORT,
  ESOCKTNOSUPPORT,
} = ERRNO;

const {
  EPOLLIN,
  EPOLLPRI,
  EPOLLOUT,
  EPOLLERR,
  EPOLLHUP,
  EPOLLRDNORM,
  EPOLLRDBAND,
  EPOLLWRNORM,
  EPOLLWRBAND,
} = EPOLL;
const EPOLLRDHUP = EPOLL.EPOLLRDHUP;

// Linux: include/net/sock.h
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = 3;

// Linux: include/linux/net.h SOCK_MAX (SOCK_PACKET + 1); include/linux/socket.h NPROTO (AF_MAX).
const SOCK_MAX = 11;
const NPROTO = 46;
const PF_UNIX = AF.AF_UNIX;

// Linux: offsetof(struct sockaddr_un, sun_path) and sizeof(struct sockaddr_un).
const SUN_PATH_OFFSET = 2;
const SOCKADDR_UN_SIZE = 110;

/** The socket types this model has (SOCK_RAW becomes SOCK_DGRAM at creation, as in unix_create). */
export type UnixType = typeof SOCK.SOCK_STREAM | typeof SOCK.SOCK_DGRAM | typeof SOCK.SOCK_SEQPACKET;

/** Linux: sk_state, the three values AF_UNIX uses (include/net/tcp_states.h). */
export type UnixState = 'TCP_ESTABLISHED' | 'TCP_CLOSE' | 'TCP_LISTEN';

// ---- skb truesize (x86-64, 4 KiB pages; reference §5.2, checked with SIOCOUTQ on 6.18) ----

const PAGE_SIZE = 4096;
// Linux: SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) and SKB_DATA_ALIGN(sizeof(struct sk_buff)).
const SKB_SHINFO_SIZE = 320;
const SKB_STRUCT_SIZE = 256;
// Linux: SKB_MAX_HEAD(0) = SKB_WITH_OVERHEAD(PAGE_SIZE): the largest linear head in one page.
const SKB_MAX_HEAD0 = PAGE_SIZE - SKB_SHINFO_SIZE;
// Linux: af_unix.c UNIX_SKB_FRAGS_SZ = PAGE_SIZE << get_order(32768).
const UNIX_SKB_FRAGS_SZ = 32768;
// Linux: SKB_MAX_ALLOC = SKB_MAX_ORDER(0, 2): datagrams longer than this get page fragments.
const SKB_MAX_ALLOC = (PAGE_SIZE << 2) - SKB_SHINFO_SIZE;
// Linux: CONFIG_MAX_SKB_FRAGS default.
const MAX_SKB_FRAGS = 17;
// Linux: the kmalloc size classes (SLUB); larger requests come from the page allocator.
const KMALLOC_CLASSES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];

const align64 = (n: number): number => (n + 63) & ~63;
const pageAlign = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

/** Linux: kmalloc_size_roundup. */
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
function headTruesize(headLen: number): number {
  return kmallocSizeRoundup(align64(headLen) + SKB_SHINFO_SIZE) + SKB_STRUCT_SIZE;
}

/**
 * Linux: unix_stream_sendmsg cuts a chunk into a head of at most SKB_MAX_HEAD(0) and page
 * fragments (alloc_skb_with_frags adds whole pages to truesize).
 */
export function streamSkbTruesize(chunk: number): number {
  const dataLen = Math.min(chunk, pageAlign(Math.max(0, chunk - SKB_MAX_HEAD0)));
  return headTruesize(chunk - dataLen) + pageAlign(dataLen);
}

/** Linux: unix_dgram_sendmsg — linear up to SKB_MAX_ALLOC, then the excess in page fragments. */
export function dgramSkbTruesize(len: number): number {
  let dataLen = 0;
  if (len > SKB_MAX_ALLOC) dataLen = pageAlign(Math.min(len - SKB_MAX_ALLOC, MAX_SKB_FRAGS * PAGE_SIZE));
  return headTruesize(len - dataLen) + dataLen;
}

/** Linux: unix_stream_sendmsg's chunk size: "keep two messages in the pipe", and the allocation cap. */
function streamChunkSize(remaining: number, sndbuf: number): number {
  return Math.min(remaining, (sndbuf >> 1) - 64, SKB_MAX_HEAD0 + UNIX_SKB_FRAGS_SZ);
}

// ---- objects ----

/** Linux: struct sk_buff, the part AF_UNIX uses. */
export interface Skb {
  readonly id: number;
  /** The payload (skb->len = data.length). */
  readonly data: Uint8Array;
  /** Linux: UNIXCB(skb).consumed — bytes a stream reader has taken; the skb stays queued until all are. */
  consumed: number;
  /** Linux: skb->truesize, charged to `owner.wmemAlloc` until the skb is freed. */
  readonly truesize: number;
  /** Linux: skb->sk — the socket charged for it (the sender; for a connect request, the embryo). */
  readonly owner: UnixSock;
  /** On a listener's queue: the embryo socket this connect request carries (skb->sk). */
  readonly embryo: UnixSock | null;
}

/** Linux: struct socket + struct unix_sock (+ the struct sock inside it). */
export interface UnixSock {
  readonly id: number;
  /** Linux: sk_type. */
  readonly type: UnixType;
  /** Linux: sk_state. ESTABLISHED once connected (it stays so after the peer goes); LISTEN; CLOSE. */
  state: UnixState;
  /** Linux: sk_shutdown, RCV_SHUTDOWN | SEND_SHUTDOWN. Only grows. */
  shutdown: number;
  /** Linux: sk_err — a positive errno or 0; sock_error() reads and clears it. */
  err: number;
  /** Linux: unix_peer(sk). A stream survivor keeps pointing at its released peer. */
  peer: UnixSock | null;
  /** The abstract name (without '@') this socket is bound to, or inherited from its listener. */
  addr: string | null;
  /** True iff this socket holds `addr` in the namespace (accepted sockets share it, unhashed). */
  hashed: boolean;
  /** Linux: sk_receive_queue. On a listener, connect requests (one skb per embryo). */
  readonly receiveQueue: Skb[];
  /** Linux: sk_wmem_alloc: 1 + the truesize of every skb of ours not yet freed. */
  wmemAlloc: number;
  /** Linux: sk_sndbuf (net.core.wmem_default; SO_SNDBUF is not modelled). */
  readonly sndbuf: number;
  /** Linux: sk_max_ack_backlog — the listen backlog, or max_dgram_qlen for datagram receivers. */
  maxAckBacklog: number;
  /** Linux: sock->wq.wait (sk_sleep): every poller, reader and writer of this socket. */
  readonly wq: WaitQueueHead;
  /** Linux: unix_sock.peer_wait: connectors and one-way datagram senders waiting for room here. */
  readonly peerWait: WaitQueueHead;
  /** Linux: unix_sock.peer_wake — our relay entry, queued on `peerWakeTarget.peerWait` when set. */
  readonly peerWake: WaitEntry;
  /** Linux: peer_wake.private — the socket whose peer_wait holds our relay entry, or null. */
  peerWakeTarget: UnixSock | null;
  /** Linux: SOCK_DEAD — released (sock_orphan); wake-ups on `wq` stop. */
  dead: boolean;
  /** Linux: unix_sock.listener — for an embryo created by connect, the listener it was queued on. */
  listener: UnixSock | null;
}

/** The abstract namespace of one kernel (Linux: the per-netns unix hash table's abstract buckets). */
interface Namespace {
  /** `${type}:${name}` → the bound socket. Linux hashes the type into the bucket. */
  readonly names: Map<string, UnixSock>;
}

const namespaces = new WeakMap<Kernel, Namespace>();

function namespaceOf(k: Kernel): Namespace {
  let ns = namespaces.get(k);
  if (!ns) namespaces.set(k, (ns = { names: new Map() }));
  return ns;
}

const nameKey = (type: UnixType, name: string): string => `${type}:${name}`;

function sockName(sk: UnixSock): string {
  return `unix:${sk.id}`;
}

/** Linux: unix_create1. */
function unixCreate1(k: Kernel, type: UnixType): UnixSock {
  const id = k.nextId();
  const sk: UnixSock = {
    id,
    type,
    state: 'TCP_CLOSE',
    shutdown: 0,
    err: 0,
    peer: null,
    addr: null,
    hashed: false,
    receiveQueue: [],
    wmemAlloc: 1,
    sndbuf: SK_SNDBUF_DEFAULT,
    maxAckBacklog: MAX_DGRAM_QLEN,
    wq: newWaitQueue(k, 'unix.wq', id),
    peerWait: newWaitQueue(k, 'unix.peer_wait', id),
    // Set just below: the entry's owner is the socket itself.
    peerWake: undefined as unknown as WaitEntry,
    peerWakeTarget: null,
    dead: false,
    listener: null,
  };
  // Linux: init_waitqueue_func_entry(&u->peer_wake, unix_dgram_peer_wake_relay).
  (sk as { peerWake: WaitEntry }).peerWake = newWaitEntry(k, 'unix_dgram_peer_wake_relay', sk);
  return sk;
}

// ---- the struct sock callbacks (net/core/sock.c) ----

/** Linux: sk_sleep, or NULL once the socket is orphaned; skwq_has_sleeper adds "and non-empty". */
function sleeperQueue(sk: UnixSock): WaitQueueHead | null {
  return !sk.dead && waitqueueActive(sk.wq) ? sk.wq : null;
}

/** Linux: sock_def_readable (sk_data_ready). */
function sockDefReadable(k: Kernel, sk: UnixSock): void {
  const q = sleeperQueue(sk);
  if (q) wakeUp(k, q, 1, EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND);
}

/** Linux: sock_def_wakeup (sk_state_change) — wake_up_interruptible_all. */
function sockDefWakeup(k: Kernel, sk: UnixSock): void {
  const q = sleeperQueue(sk);
  if (q) wakeUp(k, q, 0, 0);
}

/** Linux: sock_def_error_report (sk_error_report). */
function sockDefErrorReport(k: Kernel, sk: UnixSock): void {
  const q = sleeperQueue(sk);
  if (q) wakeUp(k, q, 1, EPOLLERR);
}

/** Linux: unix_writable. */
function unixWritable(sk: UnixSock, state: UnixState): boolean {
  return state !== 'TCP_LISTEN' && sk.wmemAlloc * 4 <= sk.sndbuf;
}

/** Linux: unix_write_space (sk_write_space) — wakes only when writable. */
function unixWriteSpace(k: Kernel, sk: UnixSock): void {
  if (!unixWritable(sk, sk.state)) return;
  const q = sleeperQueue(sk);
  if (q) wakeUp(k, q, 1, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
}

/** Linux: sock_error — return and clear sk_err, as −errno. */
function sockError(sk: UnixSock): number {
  const err = sk.err;
  sk.err = 0;
  return err === 0 ? 0 : -err;
}

/** Linux: unix_recvq_full_lockless. */
function recvqFull(sk: UnixSock): boolean {
  return sk.receiveQueue.length > sk.maxAckBacklog;
}

/** Linux: unix_may_send. */
function unixMaySend(sk: UnixSock, other: UnixSock): boolean {
  return other.peer === null || other.peer === sk;
}

/** Charge an skb to its owner (Linux: skb_set_owner_w). */
function newSkb(k: Kernel, owner: UnixSock, data: Uint8Array, truesize: number): Skb {
  owner.wmemAlloc += truesize;
  return { id: k.nextId(), data, consumed: 0, truesize, owner, embryo: null };
}

/**
 * Free an skb (Linux: consume_skb → unix_destruct_scm → sock_wfree). sock_wfree drops all but 1
 * of the truesize, runs sk_write_space, then drops the last 1.
 */
function freeSkb(k: Kernel, skb: Skb): void {
  if (skb.truesize === 0) return;
  const sk = skb.owner;
  sk.wmemAlloc -= skb.truesize - 1;
  unixWriteSpace(k, sk);
  sk.wmemAlloc -= 1;
}

// ---- peer_wait: one-way datagram flow control (the "asymmetrically connected" case) ----

// Linux: unix_dgram_peer_wake_relay — unlink ourselves from the peer's peer_wait, then relay the
// wake-up (with its key) to our own queue. Returns 0: it never counts as an exclusive wake-up.
defineWakeFunction('unix_dgram_peer_wake_relay', (k, e, key) => {
  const u = e.owner as UnixSock;
  removeWaitQueue(k, e);
  u.peerWakeTarget = null;
  if (!u.dead) wakeUp(k, u.wq, 1, key);
  return 0;
});

// Linux: net/core/datagram.c receiver_wake_function — a datagram receiver ignores wake-ups whose
// key has neither IN nor ERR; otherwise autoremove_wake_function.
defineWakeFunction('receiver_wake_function', (k, e, key) => {
  if (key !== 0 && (key & (EPOLLIN | EPOLLERR)) === 0) return 0;
  const ret = wakeThread(k, e.owner as Thread, 'woken');
  if (ret) removeWaitQueue(k, e);
  return ret;
});

/** Linux: unix_dgram_peer_wake_connect. 1 if it queued our relay entry now. */
function peerWakeConnect(k: Kernel, sk: UnixSock, other: UnixSock): number {
  if (sk.peerWakeTarget !== null) return 0;
  sk.peerWakeTarget = other;
  // Linux: __add_wait_queue — non-exclusive, at the head.
  addWaitQueue(k, other.peerWait, sk.peerWake);
  return 1;
}

/** Linux: unix_dgram_peer_wake_disconnect. */
function peerWakeDisconnect(k: Kernel, sk: UnixSock, other: UnixSock): void {
  if (sk.peerWakeTarget !== other) return;
  removeWaitQueue(k, sk.peerWake);
  sk.peerWakeTarget = null;
}

/** Linux: unix_dgram_peer_wake_disconnect_wakeup — wake_up_interruptible_poll, unconditionally. */
function peerWakeDisconnectWakeup(k: Kernel, sk: UnixSock, other: UnixSock): void {
  peerWakeDisconnect(k, sk, other);
  wakeUp(k, sk.wq, 1, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
}

/** Linux: unix_dgram_peer_wake_me — 1: not writable, and our relay stays queued on `other`. */
function peerWakeMe(k: Kernel, sk: UnixSock, other: UnixSock): number {
  const connected = peerWakeConnect(k, sk, other);
  // Linux: a dead peer must look writable, so that the next send gets ECONNREFUSED.
  if (recvqFull(other) && !other.dead) return 1;
  if (connected) peerWakeDisconnect(k, sk, other);
  return 0;
}

/**
 * Linux: unix_dgram_disconnected — a datagram socket leaving `other` drops what it had queued
 * (flow control is by wmem only, and a connected socket may only hold its peer's messages), and
 * if `other` was connected back to it, `other` learns of the loss as ECONNRESET.
 */
function unixDgramDisconnected(k: Kernel, sk: UnixSock, other: UnixSock): void {
  if (sk.receiveQueue.length === 0) return;
  purgeQueue(k, sk);
  wakeUp(k, sk.peerWait, 0, 0);
  if (!other.dead && other.peer === sk) {
    other.err = ECONNRESET;
    sockDefErrorReport(k, other);
  }
}

/** Linux: skb_queue_purge. */
function purgeQueue(k: Kernel, sk: UnixSock): void {
  for (;;) {
    const skb = sk.receiveQueue.shift();
    if (!skb) return;
    freeSkb(k, skb);
  }
}

// ---- poll ----

/** Linux: unix_poll (SOCK_STREAM). */
function unixPoll(k: Kernel, file: File, pt: PollTable | null): number {
  const sk = file.priv as UnixSock;
  // Linux: sock_poll_wait — register before computing the mask.
  pollWait(file, sk.wq, pt);
  k.stats.fopPollCalls++;
  let mask = 0;
  const shutdown = sk.shutdown;
  const state = sk.state;
  if (sk.err) mask |= EPOLLERR;
  if (shutdown === SHUTDOWN_MASK) mask |= EPOLLHUP;
  if (shutdown & RCV_SHUTDOWN) mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
  if (sk.receiveQueue.length > 0) mask |= EPOLLIN | EPOLLRDNORM;
  // Linux: "Connection-based need to check for termination and startup" — unconnected is HUP.
  if (state === 'TCP_CLOSE') mask |= EPOLLHUP;
  // Linux: writable also after the peer has gone ("prevents stuck sockets").
  if (unixWritable(sk, state)) mask |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
  return mask;
}

/** Linux: unix_dgram_poll (SOCK_DGRAM and SOCK_SEQPACKET). */
function unixDgramPoll(k: Kernel, file: File, pt: PollTable | null): number {
  const sk = file.priv as UnixSock;
  pollWait(file, sk.wq, pt);
  k.stats.fopPollCalls++;
  let mask = 0;
  const shutdown = sk.shutdown;
  const state = sk.state;
  // Linux: ERR also for a non-empty error queue; AF_UNIX never queues there.
  if (sk.err) mask |= EPOLLERR;
  if (shutdown & RCV_SHUTDOWN) mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
  if (shutdown === SHUTDOWN_MASK) mask |= EPOLLHUP;
  if (sk.receiveQueue.length > 0) mask |= EPOLLIN | EPOLLRDNORM;
  if (sk.type === SOCK.SOCK_SEQPACKET && state === 'TCP_CLOSE') mask |= EPOLLHUP;
  // Linux: no write status requested — skip the OUT tests (and their peer_wait side effect).
  if ((pollRequestedEvents(pt) & (EPOLLWRBAND | EPOLLWRNORM | EPOLLOUT)) === 0) return mask;
  let writable = unixWritable(sk, state);
  if (writable) {
    const other = sk.peer;
    if (other && other.peer !== sk && recvqFull(other) && peerWakeMe(k, sk, other)) writable = false;
  }
  if (writable) mask |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
  return mask;
}

// ---- sending ----

/**
 * Linux: sock_alloc_send_pskb's wait for send buffer space (with sock_wait_for_wmem). Returns 0
 * when an skb may be allocated, or −errno. sock_error here consumes sk_err.
 */
function* waitForSendSpace(t: Thread, sk: UnixSock, nonblock: boolean): SysGen<number> {
  for (;;) {
    const err = sockError(sk);
    if (err) return err;
    if (sk.shutdown & SEND_SHUTDOWN) return -EPIPE;
    // Linux: sk_wmem_alloc_get(sk) < sk_sndbuf, where sk_wmem_alloc_get is sk_wmem_alloc − 1.
    if (sk.wmemAlloc - 1 < sk.sndbuf) return 0;
    if (nonblock) return -EAGAIN;
    // Linux: sock_wait_for_wmem — prepare_to_wait (non-exclusive, head) on sk_sleep.
    for (;;) {
      if (sk.wmemAlloc < sk.sndbuf) break;
      if (sk.shutdown & SEND_SHUTDOWN) break;
      if (sk.err) break;
      const reason = yield* sleepOn(t, sk.wq, 'shared');
      // Linux: sock_intr_errno. The restart decision belongs to a signal layer (not modelled).
      if (reason === 'signal') return -EINTR;
    }
  }
}

/** Linux: unix_stream_sendmsg. Returns the bytes sent, or −errno when none were. */
function* unixStreamSendmsg(t: Thread, sk: UnixSock, data: Uint8Array, nonblock: boolean): SysGen<number> {
  const k = t.k;
  const other = sk.peer;
  if (!other) return -ENOTCONN;
  if (sk.shutdown & SEND_SHUTDOWN) return -EPIPE;
  const len = data.length;
  let sent = 0;
  while (sent < len) {
    const size = streamChunkSize(len - sent, sk.sndbuf);
    const err = yield* waitForSendSpace(t, sk, nonblock);
    if (err) return sent || err;
    const skb = newSkb(k, sk, data.slice(sent, sent + size), streamSkbTruesize(size));
    if (other.dead || other.shutdown & RCV_SHUTDOWN) {
      freeSkb(k, skb);
      return sent || -EPIPE;
    }
    other.receiveQueue.push(skb);
    sockDefReadable(k, other);
    sent += size;
  }
  return sent;
}

/** Linux: unix_wait_for_peer — sleep exclusively on `other`'s peer_wait while its queue is full. */
function* unixWaitForPeer(t: Thread, other: UnixSock): SysGen<WakeReason> {
  if (!other.dead && !(other.shutdown & RCV_SHUTDOWN) && recvqFull(other))
    return yield* sleepOn(t, other.peerWait, 'exclusive');
  return 'woken';
}

/** Linux: unix_dgram_sendmsg (a connected send: the API has no sendto). */
function* unixDgramSendmsg(t: Thread, sk: UnixSock, data: Uint8Array, nonblock: boolean): SysGen<number> {
  const k = t.k;
  const len = data.length;
  if (len > sk.sndbuf - 32) return -EMSGSIZE;
  const allocErr = yield* waitForSendSpace(t, sk, nonblock);
  if (allocErr) return allocErr;
  const skb = newSkb(k, sk, data.slice(), dgramSkbTruesize(len));
  const err = yield* dgramDeliver(t, sk, skb, nonblock);
  if (err < 0) {
    freeSkb(k, skb);
    return err;
  }
  return len;
}

/** The part of unix_dgram_sendmsg after the skb exists: find the peer and queue it there. */
function* dgramDeliver(t: Thread, sk: UnixSock, skb: Skb, nonblock: boolean): SysGen<number> {
  const k = t.k;
  const other = sk.peer;
  if (!other) return -ENOTCONN;
  for (;;) {
    if (!unixMaySend(sk, other)) return -EPERM;
    if (other.dead) {
      // Linux: seqpacket only gets here racing with release; it never changes state.
      if (sk.type === SOCK.SOCK_SEQPACKET) return -EPIPE;
      if (sk.peer === other) {
        sk.peer = null;
        peerWakeDisconnectWakeup(k, sk, other);
        sk.state = 'TCP_CLOSE';
        unixDgramDisconnected(k, sk, other);
        return -ECONNREFUSED;
      }
      return -ECONNRESET;
    }
    if (other.shutdown & RCV_SHUTDOWN) return -EPIPE;
    // Linux: a peer that is not connected back to us takes at most max_dgram_qlen + 1 messages.
    if (other !== sk && other.peer !== sk && recvqFull(other)) {
      if (!nonblock) {
        const reason = yield* unixWaitForPeer(t, other);
        if (reason === 'signal') return -EINTR;
        continue;
      }
      if (sk.peer !== other || peerWakeMe(k, sk, other)) return -EAGAIN;
      continue;
    }
    other.receiveQueue.push(skb);
    sockDefReadable(k, other);
    return 0;
  }
}

/** Linux: unix_seqpacket_sendmsg. */
function* unixSeqpacketSendmsg(t: Thread, sk: UnixSock, data: Uint8Array, nonblock: boolean): SysGen<number> {
  const err = sockError(sk);
  if (err) return err;
  if (sk.state !== 'TCP_ESTABLISHED') return -ENOTCONN;
  return yield* unixDgramSendmsg(t, sk, data, nonblock);
}

// ---- receiving ----

/** Linux: unix_stream_read_generic, for read(): no flags, SO_RCVLOWAT 1. */
function* unixStreamRecvmsg(
  t: Thread,
  sk: UnixSock,
  buf: Uint8Array,
  count: number,
  nonblock: boolean,
): SysGen<number> {
  const k = t.k;
  if (sk.state !== 'TCP_ESTABLISHED') return -EINVAL;
  const target = 1;
  let copied = 0;
  let size = count;
  let err = 0;
  do {
    const skb = sk.receiveQueue[0];
    if (!skb) {
      if (copied >= target) break;
      // Linux: "POSIX 1003.1g mandates this order": the error, then EOF, then EAGAIN.
      err = sockError(sk);
      if (err) break;
      if (sk.shutdown & RCV_SHUTDOWN) break;
      if (nonblock) {
        err = -EAGAIN;
        break;
      }
      // Linux: unix_stream_data_wait — prepare_to_wait (non-exclusive, head) until something changes.
      while (sk.receiveQueue.length === 0 && !sk.err && !(sk.shutdown & RCV_SHUTDOWN)) {
        const reason = yield* sleepOn(t, sk.wq, 'shared');
        if (reason === 'signal') return copied || -EINTR;
      }
      continue;
    }
    const avail = skb.data.length - skb.consumed;
    const chunk = Math.min(avail, size);
    copyBytes(buf, copied, skb.data, skb.consumed, chunk);
    copied += chunk;
    size -= chunk;
    skb.consumed += chunk;
    // Linux: a partly read skb stays queued and stays charged to its sender.
    if (skb.consumed < skb.data.length) break;
    sk.receiveQueue.shift();
    freeSkb(k, skb);
  } while (size > 0);
  return copied || err;
}

/** Linux: net/core/datagram.c __skb_wait_for_more_packets's sleep — exclusive, at the tail. */
function* sleepAsReceiver(t: Thread, q: WaitQueueHead): SysGen<WakeReason> {
  const k = t.k;
  const e = newWaitEntry(k, 'receiver_wake_function', t);
  addWaitQueueExclusive(k, q, e);
  try {
    return yield { deadline: null };
  } finally {
    // Linux: finish_wait; also runs when an abandoned call is unwound (deadlock, teardown).
    removeWaitQueue(k, e);
  }
}

const connectionBased = (sk: UnixSock): boolean =>
  sk.type === SOCK.SOCK_STREAM || sk.type === SOCK.SOCK_SEQPACKET;

/**
 * Linux: __skb_recv_datagram (__skb_try_recv_datagram + __skb_wait_for_more_packets). Returns
 * the dequeued skb, or −errno (0: no skb because of receive shutdown). sk_err comes first, before
 * any queued skb.
 */
function* skbRecvDatagram(t: Thread, sk: UnixSock, nonblock: boolean): SysGen<Skb | number> {
  for (;;) {
    const err = sockError(sk);
    if (err) return err;
    const skb = sk.receiveQueue.shift();
    if (skb) return skb;
    if (nonblock) return -EAGAIN;
    // __skb_wait_for_more_packets: the checks it makes after queueing its entry.
    const err2 = sockError(sk);
    if (err2) return err2;
    if (sk.shutdown & RCV_SHUTDOWN) return 0;
    if (connectionBased(sk) && sk.state !== 'TCP_ESTABLISHED' && sk.state !== 'TCP_LISTEN') return -ENOTCONN;
    const reason = yield* sleepAsReceiver(t, sk.wq);
    if (reason === 'signal') return -EINTR;
  }
}

/** Linux: __unix_dgram_recvmsg, for read(): a short read truncates and discards the rest. */
function* unixDgramRecvmsg(
  t: Thread,
  sk: UnixSock,
  buf: Uint8Array,
  count: number,
  nonblock: boolean,
): SysGen<number> {
  const k = t.k;
  const r = yield* skbRecvDatagram(t, sk, nonblock);
  if (typeof r === 'number') {
    // Linux: "Signal EOF on disconnected non-blocking SEQPACKET socket."
    if (sk.type === SOCK.SOCK_SEQPACKET && r === -EAGAIN && sk.shutdown & RCV_SHUTDOWN) return 0;
    return r;
  }
  if (waitqueueActive(sk.peerWait)) wakeUp(k, sk.peerWait, 1, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
  const n = Math.min(count, r.data.length);
  copyBytes(buf, 0, r.data, 0, n);
  freeSkb(k, r);
  return n;
}

/** Linux: unix_seqpacket_recvmsg. */
function* unixSeqpacketRecvmsg(
  t: Thread,
  sk: UnixSock,
  buf: Uint8Array,
  count: number,
  nonblock: boolean,
): SysGen<number> {
  if (sk.state !== 'TCP_ESTABLISHED') return -ENOTCONN;
  return yield* unixDgramRecvmsg(t, sk, buf, count, nonblock);
}

// ---- release ----

/** Linux: unix_release_sock. `embrion`: an unaccepted connection dropped with its listener. */
function unixReleaseSock(k: Kernel, sk: UnixSock, embrion: boolean): void {
  // Linux: unix_remove_socket — the name is free again at once.
  if (sk.hashed && sk.addr !== null) {
    const ns = namespaceOf(k);
    if (ns.names.get(nameKey(sk.type, sk.addr)) === sk) ns.names.delete(nameKey(sk.type, sk.addr));
    sk.hashed = false;
  }
  // Linux: sock_orphan — sk_wq is NULL from here on, so nothing wakes our queue any more.
  sk.dead = true;
  sk.shutdown = SHUTDOWN_MASK;
  const state = sk.state;
  sk.state = 'TCP_CLOSE';
  const skpair = sk.peer;
  sk.peer = null;
  wakeUp(k, sk.peerWait, 0, 0);
  if (skpair) {
    if (connectionBased(sk)) {
      skpair.shutdown = SHUTDOWN_MASK;
      // Linux: the peer learns that data was lost: unread data of ours, or a dropped embryo.
      // Unread *bytes*: a queued zero-length seqpacket message alone gives the peer EPIPE, not
      // ECONNRESET (observed on 6.18, found by the fuzzer; test/conformance/unix-seqpacket-zero-length.json).
      if (sk.receiveQueue.some((skb) => skb.data.length > skb.consumed) || embrion) skpair.err = ECONNRESET;
      sockDefWakeup(k, skpair);
    }
    peerWakeDisconnect(k, sk, skpair);
  }
  // Linux: flush the receive queue; a listener's queued connections are released as embryos.
  for (;;) {
    const skb = sk.receiveQueue.shift();
    if (!skb) break;
    if (state === 'TCP_LISTEN' && skb.embryo) unixReleaseSock(k, skb.embryo, true);
    freeSkb(k, skb);
  }
}

// ---- file operations ----

function unixPollAny(k: Kernel, file: File, pt: PollTable | null): number {
  const sk = file.priv as UnixSock;
  // Linux: unix_stream_ops.poll = unix_poll; unix_dgram_ops and unix_seqpacket_ops use unix_dgram_poll.
  return sk.type === SOCK.SOCK_STREAM ? unixPoll(k, file, pt) : unixDgramPoll(k, file, pt);
}

// Linux: sock_read_iter — O_NONBLOCK becomes MSG_DONTWAIT; a zero-length read returns 0 at once.
function* sockRead(t: Thread, file: File, buf: Uint8Array, count: number): SysGen<number> {
  if (count === 0) return 0;
  const sk = file.priv as UnixSock;
  const nonblock = file.nonblock;
  switch (sk.type) {
    case SOCK.SOCK_STREAM:
      return yield* unixStreamRecvmsg(t, sk, buf, count, nonblock);
    case SOCK.SOCK_DGRAM:
      return yield* unixDgramRecvmsg(t, sk, buf, count, nonblock);
    default:
      return yield* unixSeqpacketRecvmsg(t, sk, buf, count, nonblock);
  }
}

// Linux: sock_write_iter — no zero-length shortcut (a 0-byte datagram is a message).
function* sockWrite(t: Thread, file: File, data: Uint8Array): SysGen<number> {
  const sk = file.priv as UnixSock;
  const nonblock = file.nonblock;
  switch (sk.type) {
    case SOCK.SOCK_STREAM:
      return yield* unixStreamSendmsg(t, sk, data, nonblock);
    case SOCK.SOCK_DGRAM:
      return yield* unixDgramSendmsg(t, sk, data, nonblock);
    default:
      return yield* unixSeqpacketSendmsg(t, sk, data, nonblock);
  }
}

/** Linux: unix_inq_len (ioctl SIOCINQ = FIONREAD). */
function unixInqLen(_k: Kernel, file: File): number {
  const sk = file.priv as UnixSock;
  if (sk.state === 'TCP_LISTEN') return -EINVAL;
  if (sk.type === SOCK.SOCK_DGRAM) return sk.receiveQueue[0]?.data.length ?? 0;
  let amount = 0;
  for (const skb of sk.receiveQueue) amount += skb.data.length - skb.consumed;
  return amount;
}

export const unixSocketOps: FileOperations = {
  type: 'unix',
  poll: unixPollAny,
  read: sockRead,
  write: sockWrite,
  fionread: unixInqLen,
  // Linux: sock_close → unix_release → unix_release_sock(sk, 0).
  release(k, file) {
    unixReleaseSock(k, file.priv as UnixSock, false);
  },
};

/** Linux: sock_alloc_file — O_RDWR plus the caller's O_NONBLOCK. */
function newSocketFile(k: Kernel, sk: UnixSock, flags: number): File {
  return new File(k, unixSocketOps, O.O_RDWR | (flags & O.O_NONBLOCK), sk);
}

/** Linux: sock_from_file. */
function sockOf(file: File): UnixSock | null {
  return file.ops === unixSocketOps ? (file.priv as UnixSock) : null;
}

// ---- socket creation ----

/** Decoded `type` argument: the type and the SOCK_NONBLOCK/SOCK_CLOEXEC flags, or −errno. */
function splitType(type: number): { type: number; flags: number } | number {
  const flags = type & ~SOCK_TYPE_MASK;
  // Linux: __sys_socket_create / __sys_socketpair.
  if ((flags & ~(SOCK.SOCK_CLOEXEC | SOCK.SOCK_NONBLOCK)) !== 0) return -EINVAL;
  return { type: type & SOCK_TYPE_MASK, flags };
}

/** Linux: __sock_create + unix_create. Returns the socket or −errno. */
function sockCreate(
  k: Kernel,
  call: string,
  family: number,
  type: number,
  protocol: number,
): UnixSock | number {
  if (family < 0 || family >= NPROTO) return -EAFNOSUPPORT;
  if (type < 0 || type >= SOCK_MAX) return -EINVAL;
  // Linux: no family 0 is ever registered.
  if (family === AF.AF_UNSPEC) return -EAFNOSUPPORT;
  if (family !== AF.AF_UNIX)
    throw new Unsupported(call, `address family ${family} (only AF_UNIX is modelled)`);
  // Linux: unix_create accepts 0 and PF_UNIX.
  if (protocol !== 0 && protocol !== PF_UNIX) return -EPROTONOSUPPORT;
  switch (type) {
    case SOCK.SOCK_STREAM:
    case SOCK.SOCK_SEQPACKET:
      return unixCreate1(k, type);
    // Linux: "Believe it or not BSD has AF_UNIX, SOCK_RAW though nothing uses it." It is a dgram socket.
    case SOCK.SOCK_RAW:
    case SOCK.SOCK_DGRAM:
      return unixCreate1(k, SOCK.SOCK_DGRAM);
    default:
      return -ESOCKTNOSUPPORT;
  }
}

/** Linux: __sys_socket. */
export function sys_socket(t: Thread, domain: number, type: number, protocol: number): SysResult {
  const k = t.k;
  const split = splitType(type);
  if (typeof split === 'number') return toResult(split);
  const sk = sockCreate(k, 'socket', domain, split.type, protocol);
  if (typeof sk === 'number') return toResult(sk);
  // Linux: sock_map_fd — the descriptor comes after the socket; EMFILE releases it.
  const file = newSocketFile(k, sk, split.flags);
  return toResult(installFd(k, t, file, (split.flags & SOCK.SOCK_CLOEXEC) !== 0));
}

/** Linux: __sys_socketpair + unix_socketpair. */
export function sys_socketpair(
  t: Thread,
  domain: number,
  type: number,
  protocol: number,
): SysResult<{ fds: [number, number] }> {
  const k = t.k;
  const split = splitType(type);
  if (typeof split === 'number') return toResult(split) as SysResult<{ fds: [number, number] }>;
  // Linux: both descriptors are reserved before any socket is created: EMFILE comes first,
  // and a failure gives them back.
  const table = t.proc.fdtable;
  const cloexec = (split.flags & SOCK.SOCK_CLOEXEC) !== 0;
  const fd1 = table.reserve(cloexec);
  if (fd1 < 0) return fail('EMFILE');
  const fd2 = table.reserve(cloexec);
  if (fd2 < 0) {
    table.unreserve(fd1);
    return fail('EMFILE');
  }
  const ska = sockCreate(k, 'socketpair', domain, split.type, protocol);
  if (typeof ska === 'number') {
    table.unreserve(fd2);
    table.unreserve(fd1);
    return toResult(ska) as SysResult<{ fds: [number, number] }>;
  }
  const skb = sockCreate(k, 'socketpair', domain, split.type, protocol) as UnixSock;
  // Linux: unix_socketpair — join the sockets back to back.
  ska.peer = skb;
  skb.peer = ska;
  ska.state = 'TCP_ESTABLISHED';
  skb.state = 'TCP_ESTABLISHED';
  table.installReserved(fd1, newSocketFile(k, ska, split.flags));
  table.installReserved(fd2, newSocketFile(k, skb, split.flags));
  return { ret: 0, fds: [fd1, fd2] };
}

// ---- addresses ----

/**
 * Decode an API address. Only abstract names ("@name") are modelled; returns the name, or −EINVAL
 * when it would not fit in a sockaddr_un (Linux: unix_validate_addr).
 */
function parseAddress(call: string, address: string): string | number {
  if (!address.startsWith('@'))
    throw new Unsupported(
      call,
      `address ${JSON.stringify(address)}: only abstract names ("@name") are modelled`,
    );
  const name = address.slice(1);
  for (let i = 0; i < name.length; i++)
    if (name.charCodeAt(i) > 0xff) throw new Unsupported(call, 'address: only byte names are modelled');
  // sun_family (2) + the leading NUL + the name.
  if (SUN_PATH_OFFSET + 1 + name.length > SOCKADDR_UN_SIZE) return -EINVAL;
  return name;
}

/** A socket by descriptor: EBADF, ENOTSOCK, or the socket (Linux: sockfd_lookup_light). */
function sockLookup(t: Thread, fd: number): UnixSock | number {
  const file = fdlookup(t, fd);
  if (!file) return -ERRNO.EBADF;
  return sockOf(file) ?? -ENOTSOCK;
}

/** Linux: __sys_bind → unix_bind → unix_bind_abstract. */
export function sys_bind(t: Thread, fd: number, address: string): SysResult {
  const sk = sockLookup(t, fd);
  if (typeof sk === 'number') return toResult(sk);
  const name = parseAddress('bind', address);
  if (typeof name === 'number') return toResult(name);
  if (sk.addr !== null) return fail('EINVAL');
  const ns = namespaceOf(t.k);
  const key = nameKey(sk.type, name);
  if (ns.names.has(key)) return fail('EADDRINUSE');
  ns.names.set(key, sk);
  sk.addr = name;
  sk.hashed = true;
  return { ret: 0 };
}

/** Linux: __sys_listen → unix_listen (sock_no_listen for datagram sockets). */
export function sys_listen(t: Thread, fd: number, backlog: number): SysResult {
  const sk = sockLookup(t, fd);
  if (typeof sk === 'number') return toResult(sk);
  // Linux: __sys_listen — (unsigned) backlog > somaxconn → somaxconn.
  if (backlog >>> 0 > SOMAXCONN) backlog = SOMAXCONN;
  if (sk.type !== SOCK.SOCK_STREAM && sk.type !== SOCK.SOCK_SEQPACKET) return fail('EOPNOTSUPP');
  if (sk.addr === null) return fail('EINVAL');
  if (sk.state !== 'TCP_CLOSE' && sk.state !== 'TCP_LISTEN') return fail('EINVAL');
  // Linux: a larger backlog lets waiting connectors retry.
  if (backlog > sk.maxAckBacklog) wakeUp(t.k, sk.peerWait, 0, 0);
  sk.maxAckBacklog = backlog;
  sk.state = 'TCP_LISTEN';
  return { ret: 0 };
}

/**
 * Linux: __sys_connect → unix_stream_connect / unix_dgram_connect. May block (a full backlog).
 * The address is decoded before the call starts, so an unmodelled one throws Unsupported at once.
 */
export function sys_connect(t: Thread, fd: number, address: string): SysGen<SysResult> {
  return connectBody(t, fd, parseAddress('connect', address));
}

function* connectBody(t: Thread, fd: number, name: string | number): SysGen<SysResult> {
  const file = fdget(t, fd);
  if (!file) return fail('EBADF');
  try {
    const sk = sockOf(file);
    if (!sk) return fail('ENOTSOCK');
    // Linux: unix_validate_addr runs inside the protocol's connect, after the socket lookup.
    if (typeof name === 'number') return toResult(name);
    if (sk.type === SOCK.SOCK_DGRAM) return toResult(unixDgramConnect(t.k, sk, name));
    return toResult(yield* unixStreamConnect(t, sk, name, file.nonblock));
  } finally {
    fput(t.k, file);
  }
}

/** Linux: unix_find_abstract — ECONNREFUSED when nothing of this type holds the name. */
function findOther(k: Kernel, type: UnixType, name: string): UnixSock | null {
  return namespaceOf(k).names.get(nameKey(type, name)) ?? null;
}

/**
 * Linux: unix_stream_connect. Completes synchronously: the client is ESTABLISHED at once and an
 * embryo socket, already connected back to it, waits on the listener's queue for accept.
 * Not Linux: the embryo is created once the connection is certain (Linux creates it first and
 * releases it on failure, which nothing can observe), and its 1-byte request skb is not charged.
 */
function* unixStreamConnect(t: Thread, sk: UnixSock, name: string, nonblock: boolean): SysGen<number> {
  const k = t.k;
  for (;;) {
    const other = findOther(k, sk.type, name);
    if (!other) return -ECONNREFUSED;
    if (other.state !== 'TCP_LISTEN' || other.shutdown & RCV_SHUTDOWN) return -ECONNREFUSED;
    if (recvqFull(other)) {
      // Linux: EAGAIN, not EINPROGRESS: there is no half-open state to come back to.
      if (nonblock) return -EAGAIN;
      const reason = yield* unixWaitForPeer(t, other);
      if (reason === 'signal') return -EINTR;
      continue;
    }
    // Linux: checked only now, so a full or missing listener is reported first.
    if (sk.state !== 'TCP_CLOSE') return sk.state === 'TCP_ESTABLISHED' ? -EISCONN : -EINVAL;
    const newsk = unixCreate1(k, sk.type);
    newsk.peer = sk;
    newsk.state = 'TCP_ESTABLISHED';
    newsk.listener = other;
    // Linux: the accepted socket shares the listener's address (unhashed).
    newsk.addr = other.addr;
    sk.state = 'TCP_ESTABLISHED';
    sk.peer = newsk;
    other.receiveQueue.push({
      id: k.nextId(),
      data: new Uint8Array(0),
      consumed: 0,
      truesize: 0,
      owner: newsk,
      embryo: newsk,
    });
    sockDefReadable(k, other);
    return 0;
  }
}

/** Linux: unix_dgram_connect (to a name; AF_UNSPEC disconnect cannot be expressed by the API). */
function unixDgramConnect(k: Kernel, sk: UnixSock, name: string): number {
  const other = findOther(k, sk.type, name);
  if (!other) return -ECONNREFUSED;
  if (!unixMaySend(sk, other)) return -EPERM;
  sk.state = 'TCP_ESTABLISHED';
  other.state = 'TCP_ESTABLISHED';
  const oldPeer = sk.peer;
  sk.peer = other;
  if (oldPeer) {
    // Linux: "If it was connected, reconnect."
    peerWakeDisconnectWakeup(k, sk, oldPeer);
    if (other !== oldPeer) {
      unixDgramDisconnected(k, sk, oldPeer);
      if (!oldPeer.peer) oldPeer.state = 'TCP_CLOSE';
    }
  }
  return 0;
}

/**
 * Linux: __sys_accept4_file → do_accept → unix_accept. Blocks unless the listener's file is
 * O_NONBLOCK (the accept4 flags only set the new file's flags). The new descriptor is reserved
 * before waiting (get_unused_fd_flags), so a descriptor another thread opens meanwhile gets the
 * next number; it is installed on success and given back on failure.
 */
export function* sys_accept4(t: Thread, fd: number, flags: number): SysGen<SysResult> {
  const file = fdget(t, fd);
  if (!file) return fail('EBADF');
  const table = t.proc.fdtable;
  let newfd = -1;
  try {
    if ((flags & ~(SOCK.SOCK_CLOEXEC | SOCK.SOCK_NONBLOCK)) !== 0) return fail('EINVAL');
    newfd = table.reserve((flags & SOCK.SOCK_CLOEXEC) !== 0);
    if (newfd < 0) return toResult(-EMFILE);
    const sk = sockOf(file);
    if (!sk) return fail('ENOTSOCK');
    if (sk.type !== SOCK.SOCK_STREAM && sk.type !== SOCK.SOCK_SEQPACKET) return fail('EOPNOTSUPP');
    if (sk.state !== 'TCP_LISTEN') return fail('EINVAL');
    const r = yield* skbRecvDatagram(t, sk, file.nonblock);
    // Linux: no skb and no error means receive shutdown: EINVAL.
    if (typeof r === 'number') return toResult(r || -EINVAL);
    const tsk = r.embryo!;
    freeSkb(t.k, r);
    wakeUp(t.k, sk.peerWait, 1, 0);
    // Linux: sock_graft — from here the embryo's wake-ups reach the new file's queue.
    tsk.listener = null;
    table.installReserved(newfd, newSocketFile(t.k, tsk, flags));
    const ret = newfd;
    newfd = -1;
    return { ret };
  } finally {
    if (newfd >= 0) table.unreserve(newfd);
    fput(t.k, file);
  }
}

/** Linux: __sys_shutdown → unix_shutdown. */
export function sys_shutdown(t: Thread, fd: number, how: number): SysResult {
  const k = t.k;
  const sk = sockLookup(t, fd);
  if (typeof sk === 'number') return toResult(sk);
  if (how < 0 || how > 2) return fail('EINVAL');
  // Linux: SHUT_RD (0) → RCV_SHUTDOWN, SHUT_WR (1) → SEND_SHUTDOWN, SHUT_RDWR (2) → both.
  const mode = how + 1;
  sk.shutdown |= mode;
  const other = sk.peer;
  sockDefWakeup(k, sk);
  // Linux: stream and seqpacket mirror it to the peer; a datagram shutdown stays local.
  if (other && connectionBased(sk)) {
    let peerMode = 0;
    if (mode & RCV_SHUTDOWN) peerMode |= SEND_SHUTDOWN;
    if (mode & SEND_SHUTDOWN) peerMode |= RCV_SHUTDOWN;
    other.shutdown |= peerMode;
    sockDefWakeup(k, other);
  }
  return { ret: 0 };
}

// ---- observability ----

/** A socket's private state as plain JSON (ids, buffers as lengths, queue ids). */
export function snapshotUnixSocket(sk: UnixSock): {
  id: number;
  name: string;
  type: 'SOCK_STREAM' | 'SOCK_DGRAM' | 'SOCK_SEQPACKET';
  state: UnixState;
  shutdown: number;
  err: number;
  peer: number | null;
  addr: string | null;
  receiveQueue: { id: number; len: number; consumed: number; truesize: number; owner: number }[];
  wmemAlloc: number;
  sndbuf: number;
  writable: boolean;
  maxAckBacklog: number;
  wq: number;
  wqEntries: number;
  peerWait: number;
  peerWaitEntries: number;
  peerWakeTarget: number | null;
  dead: boolean;
  listener: number | null;
} {
  return {
    id: sk.id,
    name: sockName(sk),
    type:
      sk.type === SOCK.SOCK_STREAM
        ? 'SOCK_STREAM'
        : sk.type === SOCK.SOCK_DGRAM
          ? 'SOCK_DGRAM'
          : 'SOCK_SEQPACKET',
    state: sk.state,
    shutdown: sk.shutdown,
    err: sk.err,
    peer: sk.peer?.id ?? null,
    addr: sk.addr === null ? null : `@${sk.addr}`,
    receiveQueue: sk.receiveQueue.map((s) => ({
      id: s.id,
      len: s.data.length,
      consumed: s.consumed,
      truesize: s.truesize,
      owner: s.owner.id,
    })),
    wmemAlloc: sk.wmemAlloc,
    sndbuf: sk.sndbuf,
    writable: unixWritable(sk, sk.state),
    maxAckBacklog: sk.maxAckBacklog,
    wq: sk.wq.id,
    wqEntries: sk.wq.length,
    peerWait: sk.peerWait.id,
    peerWaitEntries: sk.peerWait.length,
    peerWakeTarget: sk.peerWakeTarget?.id ?? null,
    dead: sk.dead,
    listener: sk.listener?.id ?? null,
  };
}

/** The socket behind an open file description, or null if it is not a socket. */
export function unixSockOfFile(file: File): UnixSock | null {
  return sockOf(file);
}

/** The kernel's abstract namespace: "@name" with its type, and the socket id, sorted. */
export function snapshotUnixNamespace(k: Kernel): { name: string; type: number; sock: number }[] {
  const out: { name: string; type: number; sock: number }[] = [];
  for (const sk of namespaceOf(k).names.values())
    out.push({ name: `@${sk.addr}`, type: sk.type, sock: sk.id });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.type - b.type));
}
