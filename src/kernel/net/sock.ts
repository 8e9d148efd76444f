// The generic socket (Linux: struct sock, net/core/sock.c and include/net/sock.h): the state
// every protocol family shares, its default callbacks, and send-buffer accounting.
//
// - **One wait queue per socket** (`wq`, Linux: sock->wq.wait, reached as sk_sleep(sk)). Data,
//   space, state and error wake-ups all go through it with Linux's keys and budgets:
//     sock_def_readable      IN|PRI|RDNORM|RDBAND, nr 1   (data queued, a connection queued)
//     sk_write_space         OUT|WRNORM|WRBAND, nr 1      (the protocol's: an skb of ours freed)
//     sock_def_wakeup        key 0 (all), nr 0            (shutdown, peer close)
//     sock_def_error_report  ERR, nr 1                    (sk_err set)
//   Each of them wakes only if the queue has entries (skwq_has_sleeper), and never once the
//   socket is orphaned (released: sk_wq is NULL).
// - **Flow control by skb truesize.** Every skb is charged to its sender's `wmemAlloc`
//   (sk_wmem_alloc, which starts at 1) until the receiver consumes all of it (sock_wfree).
//   Sending needs `wmemAlloc − 1 < sndbuf` before each skb (so the last one may overshoot).

import { AF, EPOLL, SK_RCVBUF_DEFAULT, SK_SNDBUF_DEFAULT } from '../../abi/constants.ts';
import { ERESTARTSYS, ERRNO, errWhy } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import {
  continueAfterSleep,
  type MaySleep,
  type SysGen,
  sleepOn,
  type Thread,
  type WakeReason,
} from '../sched.ts';
import { newWaitQueue, type WaitQueueHead, waitqueueActive, wakeSkipped, wakeUp } from '../waitqueue.ts';
import type { Skb } from './skbuff.ts';

const { EAGAIN, EOPNOTSUPP, EPIPE } = ERRNO;
const { EPOLLIN, EPOLLPRI, EPOLLERR, EPOLLRDNORM, EPOLLRDBAND } = EPOLL;

// Linux: include/net/sock.h
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = 3;

/** Linux: sk_state (include/net/tcp_states.h). AF_UNIX uses ESTABLISHED, CLOSE and LISTEN. */
export type SkState =
  | 'TCP_ESTABLISHED'
  | 'TCP_SYN_SENT'
  | 'TCP_SYN_RECV'
  | 'TCP_FIN_WAIT1'
  | 'TCP_FIN_WAIT2'
  | 'TCP_TIME_WAIT'
  | 'TCP_CLOSE'
  | 'TCP_CLOSE_WAIT'
  | 'TCP_LAST_ACK'
  | 'TCP_LISTEN'
  | 'TCP_CLOSING'
  | 'TCP_NEW_SYN_RECV';

/**
 * Linux: struct sock, the fields every family shares. A family's sock extends it (as struct
 * unix_sock embeds struct sock) and supplies sk_write_space.
 */
export abstract class Sock {
  /** Stable id for snapshots, traces and wait-queue names. */
  readonly id: number;
  /** Linux: sk_type. */
  readonly type: number;
  /** Linux: sk_state. */
  state: SkState = 'TCP_CLOSE';
  /** Linux: sk_shutdown, RCV_SHUTDOWN | SEND_SHUTDOWN. Only grows. */
  shutdown = 0;
  /** Linux: sk_err — a positive errno or 0; sock_error() reads and clears it. */
  err = 0;
  /** Linux: sk_receive_queue. On a listener, connect requests (one skb per embryo). */
  readonly receiveQueue: Skb[] = [];
  /** Linux: sk_wmem_alloc: 1 + the truesize of every skb of ours not yet freed. */
  wmemAlloc = 1;
  /** Linux: sk_sndbuf (net.core.wmem_default; a family may start elsewhere; SO_SNDBUF sets it). */
  sndbuf: number = SK_SNDBUF_DEFAULT;
  /** Linux: sk_rcvbuf (net.core.rmem_default; a family may start elsewhere; SO_RCVBUF sets it). */
  rcvbuf: number = SK_RCVBUF_DEFAULT;
  /** Linux: sk_rcvlowat (SO_RCVLOWAT), at least 1. */
  rcvlowat = 1;
  /** Linux: sk_userlocks — SOCK_SNDBUF_LOCK / SOCK_RCVBUF_LOCK once SO_SNDBUF / SO_RCVBUF set them. */
  userlocks = 0;
  /** Linux: sk_reuse (SO_REUSEADDR) and sk_reuseport (SO_REUSEPORT). */
  reuse = false;
  reuseport = false;
  /** Linux: the sock_flag bits SOL_SOCKET options set (SOCK_LINGER, SOCK_KEEPOPEN, SOCK_URGINLINE …). */
  flags = 0;
  /** Linux: sk_lingertime, in seconds (the model keeps seconds, not jiffies). */
  lingertime = 0;
  /** Linux: sk_priority (SO_PRIORITY). */
  priority = 0;
  /** Linux: sk_family. */
  family: number = AF.AF_UNIX;
  /** Linux: sk_protocol. */
  protocol = 0;
  /** Linux: sk_max_ack_backlog — the listen backlog (AF_UNIX: max_dgram_qlen for receivers). */
  maxAckBacklog: number;
  /**
   * Linux: sock->wq.wait (sk_sleep): every poller, reader and writer of this socket. Not Linux:
   * it lives in the sock, created with it, so an embryo has one before sock_graft.
   */
  readonly wq: WaitQueueHead;
  /** Linux: SOCK_DEAD — released (sock_orphan); wake-ups on `wq` stop. */
  dead = false;

  /** Linux: sk_alloc + sock_init_data. `family` names the queue: "unix:5.wq". */
  constructor(k: Kernel, family: string, type: number, maxAckBacklog: number) {
    this.id = k.nextId();
    this.type = type;
    this.maxAckBacklog = maxAckBacklog;
    this.wq = newWaitQueue(k, `${family}.wq`, this.id);
  }

  /** Linux: sk->sk_write_space — the family's reaction to freed send-buffer space. */
  abstract writeSpace(k: Kernel): void;
}

// Linux: enum sock_flags, the bits of `flags` the model uses.
export const SOCK_LINGER = 1 << 0;
export const SOCK_KEEPOPEN = 1 << 1;
export const SOCK_URGINLINE = 1 << 2;
export const SOCK_DBG = 1 << 3;
export const SOCK_LOCALROUTE = 1 << 4;
export const SOCK_BROADCAST = 1 << 5;
// Linux: sk_userlocks bits (include/net/sock.h).
export const SOCK_SNDBUF_LOCK = 1;
export const SOCK_RCVBUF_LOCK = 2;
export const SOCK_BINDADDR_LOCK = 4;
export const SOCK_BINDPORT_LOCK = 8;

/** Linux: sock_flag. */
export const sockFlag = (sk: Sock, flag: number): boolean => (sk.flags & flag) !== 0;

/** Linux: sock_rcvlowat — how many bytes a read waits for: all with MSG_WAITALL, else SO_RCVLOWAT. */
export function sockRcvlowat(sk: Sock, waitall: boolean, len: number): number {
  const v = waitall ? len : Math.min(sk.rcvlowat, len);
  return v || 1;
}

/** Linux: sk_sleep, or NULL once the socket is orphaned; skwq_has_sleeper adds "and non-empty". */
export function sleeperQueue(sk: Sock): WaitQueueHead | null {
  return !sk.dead && waitqueueActive(sk.wq) ? sk.wq : null;
}

/**
 * Linux: the body the sk_* callbacks share — wake the sleepers if skwq_has_sleeper says there
 * are any (the sock is not orphaned and its queue is not empty); otherwise, when observed, say
 * why nobody was woken. `nr` and `key` are the callback's wake_up arguments.
 */
export function sockWakeSleepers(k: Kernel, sk: Sock, nr: number, key: number, from: string): void {
  const q = sleeperQueue(sk);
  if (q) wakeUp(k, q, nr, key, from);
  else if (k.emit)
    wakeSkipped(
      k,
      sk.wq,
      from,
      sk.dead ? 'the socket is orphaned (no sk_wq)' : 'no waiter on the queue (skwq_has_sleeper)',
    );
}

/** Linux: sock_def_readable (sk_data_ready). */
export function sockDefReadable(k: Kernel, sk: Sock): void {
  sockWakeSleepers(k, sk, 1, EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND, 'sock_def_readable');
}

/** Linux: sock_def_wakeup (sk_state_change) — wake_up_interruptible_all. */
export function sockDefWakeup(k: Kernel, sk: Sock): void {
  sockWakeSleepers(k, sk, 0, 0, 'sock_def_wakeup');
}

/** Linux: sock_def_error_report (sk_error_report). */
export function sockDefErrorReport(k: Kernel, sk: Sock): void {
  sockWakeSleepers(k, sk, 1, EPOLLERR, 'sock_def_error_report');
}

/** Linux: sock_error — return and clear sk_err, as −errno. */
export function sockError(sk: Sock): number {
  const err = sk.err;
  sk.err = 0;
  return err === 0 ? 0 : -err;
}

/** Charge a new skb to its owner (Linux: sock_alloc_send_pskb → skb_set_owner_w). */
export function skbSetOwnerW(k: Kernel, owner: Sock, data: Uint8Array, truesize: number): Skb {
  owner.wmemAlloc += truesize;
  return { id: k.nextId(), data, consumed: 0, truesize, owner };
}

/**
 * Linux: sock_wfree, an skb's destructor: drop all but 1 of the truesize, run sk_write_space,
 * then drop the last 1. An uncharged skb (an AF_UNIX connect request) changes nothing.
 */
export function sockWfree(k: Kernel, skb: Skb): void {
  if (skb.truesize === 0) return;
  const sk = skb.owner;
  sk.wmemAlloc -= skb.truesize - 1;
  sk.writeSpace(k);
  sk.wmemAlloc -= 1;
}

/**
 * Linux: sock_alloc_send_pskb's wait for send buffer space (with sock_wait_for_wmem). Returns 0
 * when an skb may be allocated, or −errno. sock_error here consumes sk_err.
 */
export function sockWaitForSendSpace(t: Thread, sk: Sock, nonblock: boolean): MaySleep<number> {
  const err = sockError(sk);
  if (err) return errWhy(t.k, err, 'sock_error', 'a pending socket error (sk_err), taken by this call');
  if (sk.shutdown & SEND_SHUTDOWN)
    return errWhy(t.k, -EPIPE, 'sock_alloc_send_pskb', 'this socket was shut down for writing');
  // Linux: sk_wmem_alloc_get(sk) < sk_sndbuf, where sk_wmem_alloc_get is sk_wmem_alloc − 1.
  if (sk.wmemAlloc - 1 < sk.sndbuf) return 0;
  if (nonblock)
    return errWhy(
      t.k,
      -EAGAIN,
      'sock_alloc_send_pskb',
      'the send buffer is full (sk_wmem_alloc >= sk_sndbuf) and the socket is O_NONBLOCK',
    );
  return sockWaitForWmem(t, sk, nonblock);
}

/** Linux: sock_wait_for_wmem — prepare_to_wait (non-exclusive, head) on sk_sleep; then the checks again. */
function sockWaitForWmem(t: Thread, sk: Sock, nonblock: boolean): SysGen<number> {
  return continueAfterSleep(sockWmemSleep(t, sk), (reason) =>
    // Linux: sock_intr_errno — -ERESTARTSYS with no SO_SNDTIMEO (the model has none); else
    // sock_alloc_send_pskb's loop goes round again.
    reason === 'signal' ? -ERESTARTSYS : sockWaitForSendSpace(t, sk, nonblock),
  );
}

/** Linux: sock_wait_for_wmem's loop: until there is room, a shutdown, an error or a signal. */
function* sockWmemSleep(t: Thread, sk: Sock): SysGen<WakeReason | 'ready'> {
  for (;;) {
    if (sk.wmemAlloc < sk.sndbuf) break;
    if (sk.shutdown & SEND_SHUTDOWN) break;
    if (sk.err) break;
    const reason = yield* sleepOn(t, sk.wq, 'shared');
    if (reason === 'signal') return reason;
  }
  return 'ready';
}

/** Linux: sock_no_listen, sock_no_accept, sock_no_socketpair — what a family does not support. */
export function sockNoSupport(): number {
  return -EOPNOTSUPP;
}
