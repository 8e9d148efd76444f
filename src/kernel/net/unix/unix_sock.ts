// The AF_UNIX socket (Linux: struct unix_sock, include/net/af_unix.h, with the small helpers of
// net/unix/af_unix.c that every AF_UNIX module uses). It extends the generic sock (../sock.ts)
// with the peer, the address and a second wait queue:
//
// - `peerWait` (unix_sock.peer_wait): connectors waiting for room in a listener's backlog, and
//   datagram senders waiting for room in a one-way peer's receive queue (max_dgram_qlen).
// - `peerWake` (unix_sock.peer_wake, kind unix_dgram_peer_wake_relay) sits on its peer's
//   peer_wait while a poll or send found that peer's queue full, and relays the peer's next
//   dequeue as an OUT wake-up on our own queue (./dgram.ts).
// - Flow control is the generic sock's (sk_wmem_alloc against sk_sndbuf); poll says writable only
//   while `4 × wmemAlloc ≤ sndbuf` (unix_writable).

import { EPOLL, MAX_DGRAM_QLEN, type SOCK } from '../../../abi/constants.ts';
import type { Kernel } from '../../kernel.ts';
import { type SysGen, sleepOn, type Thread, type WakeReason } from '../../sched.ts';
import { newWaitEntry, newWaitQueue, type WaitEntry, type WaitQueueHead } from '../../waitqueue.ts';
import { RCV_SHUTDOWN, type SkState, Sock, sockWakeSleepers } from '../sock.ts';
import type { Socket } from '../socket.ts';

/** The socket types this model has (SOCK_RAW becomes SOCK_DGRAM at creation, as in unix_create). */
export type UnixType = typeof SOCK.SOCK_STREAM | typeof SOCK.SOCK_DGRAM | typeof SOCK.SOCK_SEQPACKET;

/** Linux: sk_state, the three values AF_UNIX uses (include/net/tcp_states.h). */
export type UnixState = SkState;

/** Linux: struct unix_sock (which embeds struct sock). */
export class UnixSock extends Sock {
  declare readonly type: UnixType;
  /** Linux: unix_peer(sk). A stream survivor keeps pointing at its released peer. */
  peer: UnixSock | null = null;
  /** The abstract name (without '@') this socket is bound to, or inherited from its listener. */
  addr: string | null = null;
  /** True iff this socket holds `addr` in the namespace (accepted sockets share it, unhashed). */
  hashed = false;
  /** Linux: unix_sock.peer_wait: connectors and one-way datagram senders waiting for room here. */
  readonly peerWait: WaitQueueHead;
  /** Linux: unix_sock.peer_wake — our relay entry, queued on `peerWakeTarget.peerWait` when set. */
  readonly peerWake: WaitEntry;
  /** Linux: peer_wake.private — the socket whose peer_wait holds our relay entry, or null. */
  peerWakeTarget: UnixSock | null = null;
  /** Linux: unix_sock.listener — for an embryo created by connect, the listener it was queued on. */
  listener: UnixSock | null = null;

  /** Linux: unix_create1 — sk_max_ack_backlog starts at max_dgram_qlen. */
  constructor(k: Kernel, type: UnixType) {
    super(k, 'unix', type, MAX_DGRAM_QLEN);
    this.peerWait = newWaitQueue(k, 'unix.peer_wait', this.id);
    // Linux: init_waitqueue_func_entry(&u->peer_wake, unix_dgram_peer_wake_relay).
    this.peerWake = newWaitEntry(k, 'unix_dgram_peer_wake_relay', this);
  }

  /** Linux: unix_write_space (sk_write_space) — wakes only when writable. */
  override writeSpace(k: Kernel): void {
    if (!unixWritable(this, this.state)) return;
    sockWakeSleepers(k, this, 1, EPOLL.EPOLLOUT | EPOLL.EPOLLWRNORM | EPOLL.EPOLLWRBAND, 'unix_write_space');
  }
}

/** Linux: unix_sk(sock->sk). */
export function unixSk(sock: Socket): UnixSock {
  return sock.sk as UnixSock;
}

/** Linux: unix_writable. */
export function unixWritable(sk: UnixSock, state: UnixState): boolean {
  return state !== 'TCP_LISTEN' && sk.wmemAlloc * 4 <= sk.sndbuf;
}

/** Linux: unix_recvq_full_lockless. */
export function recvqFull(sk: UnixSock): boolean {
  return sk.receiveQueue.length > sk.maxAckBacklog;
}

/** Linux: unix_may_send. */
export function unixMaySend(sk: UnixSock, other: UnixSock): boolean {
  return other.peer === null || other.peer === sk;
}

/** Linux: unix_wait_for_peer — sleep exclusively on `other`'s peer_wait while its queue is full. */
export function* unixWaitForPeer(t: Thread, other: UnixSock): SysGen<WakeReason> {
  if (!other.dead && !(other.shutdown & RCV_SHUTDOWN) && recvqFull(other))
    return yield* sleepOn(t, other.peerWait, 'exclusive');
  return 'woken';
}
