// AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET (Linux: net/unix/af_unix.c's unix_dgram_*,
// unix_seqpacket_* and unix_dgram_poll): whole-message sends and reads, connecting a datagram
// socket by name, and the peer_wait flow control of the "asymmetrically connected" case — a
// sender whose peer is not connected back to it may fill the peer's queue to max_dgram_qlen + 1,
// and then waits (or polls) on the peer's peer_wait through its relay entry.

import { AF, EPOLL, MSG, PAGE_SIZE, SOCK } from '../../../abi/constants.ts';
import { Unsupported } from '../../../api/syscalls.ts';
import { ERESTARTSYS, ERRNO, errWhy } from '../../errors.ts';
import { copyBytes, type File, type PollTable, pollRequestedEvents, pollWait } from '../../file.ts';
import type { Kernel } from '../../kernel.ts';
import { maySleep, type SysGen, type Thread } from '../../sched.ts';
import {
  addWaitQueue,
  defineWakeFunction,
  removeWaitQueue,
  waitqueueActive,
  wakeUp,
} from '../../waitqueue.ts';
import { skbRecvDatagram } from '../datagram.ts';
import {
  consumeSkb,
  headTruesize,
  MAX_SKB_FRAGS,
  pageAlign,
  SKB_MAX_ALLOC,
  type Skb,
  skbQueuePurge,
} from '../skbuff.ts';
import {
  RCV_SHUTDOWN,
  SHUTDOWN_MASK,
  skbSetOwnerW,
  sockDefErrorReport,
  sockDefReadable,
  sockError,
  sockWaitForSendSpace,
} from '../sock.ts';
import type { Msghdr, Sockaddr, Socket } from '../socket.ts';
import { unixFindAbstract, unixValidateAddr } from './namespace.ts';
import { unixCopyAddr, unixRecvFlags } from './stream.ts';
import { recvqFull, type UnixSock, unixMaySend, unixSk, unixWaitForPeer, unixWritable } from './unix_sock.ts';

const { EAGAIN, ECONNREFUSED, ECONNRESET, EMSGSIZE, ENOTCONN, EPERM, EPIPE, EOPNOTSUPP } = ERRNO;
const { EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDNORM, EPOLLWRNORM, EPOLLWRBAND, EPOLLRDHUP } = EPOLL;
const OUT_KEY = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;

/** Linux: unix_dgram_sendmsg — linear up to SKB_MAX_ALLOC, then the excess in page fragments. */
export function dgramSkbTruesize(len: number): number {
  let dataLen = 0;
  if (len > SKB_MAX_ALLOC) dataLen = pageAlign(Math.min(len - SKB_MAX_ALLOC, MAX_SKB_FRAGS * PAGE_SIZE));
  return headTruesize(len - dataLen) + dataLen;
}

// ---- peer_wait: one-way datagram flow control ----

// Linux: unix_dgram_peer_wake_relay — unlink ourselves from the peer's peer_wait, then relay the
// wake-up (with its key) to our own queue. Returns 0: it never counts as an exclusive wake-up.
defineWakeFunction('unix_dgram_peer_wake_relay', (k, e, key) => {
  const u = e.owner as UnixSock;
  removeWaitQueue(k, e);
  u.peerWakeTarget = null;
  if (!u.dead) wakeUp(k, u.wq, 1, key, 'unix_dgram_peer_wake_relay');
  return 0;
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
export function peerWakeDisconnect(k: Kernel, sk: UnixSock, other: UnixSock): void {
  if (sk.peerWakeTarget !== other) return;
  removeWaitQueue(k, sk.peerWake);
  sk.peerWakeTarget = null;
}

/** Linux: unix_dgram_peer_wake_disconnect_wakeup — wake_up_interruptible_poll, unconditionally. */
function peerWakeDisconnectWakeup(k: Kernel, sk: UnixSock, other: UnixSock): void {
  peerWakeDisconnect(k, sk, other);
  wakeUp(k, sk.wq, 1, OUT_KEY, 'unix_dgram_peer_wake_disconnect_wakeup');
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
  skbQueuePurge(k, sk.receiveQueue);
  wakeUp(k, sk.peerWait, 0, 0, 'unix_dgram_disconnected');
  if (!other.dead && other.peer === sk) {
    other.err = ECONNRESET;
    sockDefErrorReport(k, other);
  }
}

/** Linux: unix_dgram_connect — to a name, or with AF_UNSPEC ("1003.1g breaking connected state"). */
export function unixDgramConnect(t: Thread, sock: Socket, addr: Sockaddr): number {
  const k = t.k;
  const sk = unixSk(sock);
  let other: UnixSock | null = null;
  if (addr.family !== AF.AF_UNSPEC) {
    const name = unixValidateAddr(addr);
    if (typeof name === 'number')
      return errWhy(k, name, 'unix_validate_addr', 'not an abstract AF_UNIX name that fits a sockaddr_un');
    other = unixFindAbstract(k, sk.type, name);
    if (!other) return errWhy(k, -ECONNREFUSED, 'unix_find_other', 'no socket is bound to that name');
    if (!unixMaySend(sk, other))
      return errWhy(k, -EPERM, 'unix_may_send', 'the peer is connected to another socket');
    sk.state = 'TCP_ESTABLISHED';
    other.state = 'TCP_ESTABLISHED';
  }
  const oldPeer = sk.peer;
  sk.peer = other;
  if (oldPeer) {
    if (!other) sk.state = 'TCP_CLOSE';
    // Linux: "If it was connected, reconnect."
    peerWakeDisconnectWakeup(k, sk, oldPeer);
    if (other !== oldPeer) {
      unixDgramDisconnected(k, sk, oldPeer);
      if (!oldPeer.peer) oldPeer.state = 'TCP_CLOSE';
    }
  }
  return 0;
}

/** Linux: unix_dgram_poll (SOCK_DGRAM and SOCK_SEQPACKET). */
export function unixDgramPoll(k: Kernel, file: File, sock: Socket, pt: PollTable | null): number {
  const sk = unixSk(sock);
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
  if ((pollRequestedEvents(pt) & OUT_KEY) === 0) return mask;
  let writable = unixWritable(sk, state);
  if (writable) {
    const other = sk.peer;
    if (other && other.peer !== sk && recvqFull(other) && peerWakeMe(k, sk, other)) writable = false;
  }
  if (writable) mask |= OUT_KEY;
  return mask;
}

// ---- sending ----

/** Linux: unix_dgram_sendmsg (a connected send: the API has no sendto). */
export function* unixDgramSendmsg(t: Thread, sock: Socket, msg: Msghdr): SysGen<number> {
  const k = t.k;
  const sk = unixSk(sock);
  if (msg.flags & MSG.MSG_OOB)
    return errWhy(k, -EOPNOTSUPP, 'unix_dgram_sendmsg', 'MSG_OOB on a datagram socket');
  if (msg.name !== null)
    throw new Unsupported(
      'sendto',
      'an address on an AF_UNIX datagram socket (unconnected sends are not modelled)',
    );
  const len = msg.len;
  if (len > sk.sndbuf - 32)
    return errWhy(k, -EMSGSIZE, 'unix_dgram_sendmsg', 'the datagram is larger than sk_sndbuf - 32');
  const allocErr = yield* maySleep(sockWaitForSendSpace(t, sk, msg.dontwait));
  if (allocErr) return allocErr;
  const skb = skbSetOwnerW(k, sk, msg.iov.slice(), dgramSkbTruesize(len));
  const err = yield* dgramDeliver(t, sk, skb, msg.dontwait);
  if (err < 0) {
    consumeSkb(k, skb);
    return err;
  }
  return len;
}

/** The part of unix_dgram_sendmsg after the skb exists: find the peer and queue it there. */
function* dgramDeliver(t: Thread, sk: UnixSock, skb: Skb, nonblock: boolean): SysGen<number> {
  const k = t.k;
  const other = sk.peer;
  if (!other) return errWhy(k, -ENOTCONN, 'unix_dgram_sendmsg', 'the socket is not connected (no peer)');
  for (;;) {
    if (!unixMaySend(sk, other))
      return errWhy(k, -EPERM, 'unix_may_send', 'the peer is connected to another socket');
    if (other.dead) {
      // Linux: seqpacket only gets here racing with release; it never changes state.
      if (sk.type === SOCK.SOCK_SEQPACKET) return -EPIPE;
      if (sk.peer === other) {
        sk.peer = null;
        peerWakeDisconnectWakeup(k, sk, other);
        sk.state = 'TCP_CLOSE';
        unixDgramDisconnected(k, sk, other);
        return errWhy(k, -ECONNREFUSED, 'unix_dgram_sendmsg', 'the peer is closed: disconnected now');
      }
      return errWhy(k, -ECONNRESET, 'unix_dgram_sendmsg', 'the peer is closed');
    }
    if (other.shutdown & RCV_SHUTDOWN)
      return errWhy(k, -EPIPE, 'unix_dgram_sendmsg', 'the peer is shut down for reading');
    // Linux: a peer that is not connected back to us takes at most max_dgram_qlen + 1 messages.
    if (other !== sk && other.peer !== sk && recvqFull(other)) {
      if (!nonblock) {
        const reason = yield* unixWaitForPeer(t, other);
        // Linux: sock_intr_errno (no SO_SNDTIMEO: -ERESTARTSYS).
        if (reason === 'signal') return -ERESTARTSYS;
        continue;
      }
      if (sk.peer !== other || peerWakeMe(k, sk, other))
        return errWhy(
          k,
          -EAGAIN,
          'unix_dgram_sendmsg',
          "the peer's receive queue is full (max_dgram_qlen) and the socket is O_NONBLOCK",
        );
      continue;
    }
    other.receiveQueue.push(skb);
    sockDefReadable(k, other);
    return 0;
  }
}

/** Linux: unix_seqpacket_sendmsg. */
export function* unixSeqpacketSendmsg(t: Thread, sock: Socket, msg: Msghdr): SysGen<number> {
  const sk = unixSk(sock);
  const err = sockError(sk);
  if (err) return errWhy(t.k, err, 'sock_error', 'a pending socket error (sk_err), taken by this call');
  if (sk.state !== 'TCP_ESTABLISHED')
    return errWhy(t.k, -ENOTCONN, 'unix_seqpacket_sendmsg', 'the socket is not connected');
  // Linux: "if (msg->msg_namelen) msg->msg_namelen = 0" — a seqpacket send ignores an address.
  return yield* unixDgramSendmsg(t, sock, msg.name === null ? msg : { ...msg, name: null });
}

// ---- receiving ----

/** Linux: __unix_dgram_recvmsg, for read(): a short read truncates and discards the rest. */
export function* unixDgramRecvmsg(t: Thread, sock: Socket, msg: Msghdr): SysGen<number> {
  const k = t.k;
  const sk = unixSk(sock);
  unixRecvFlags(msg);
  const r = yield* skbRecvDatagram(t, sk, msg.dontwait);
  if (typeof r === 'number') {
    // Linux: "Signal EOF on disconnected non-blocking SEQPACKET socket."
    if (sk.type === SOCK.SOCK_SEQPACKET && r === -EAGAIN && sk.shutdown & RCV_SHUTDOWN) return 0;
    return r;
  }
  if (waitqueueActive(sk.peerWait)) wakeUp(k, sk.peerWait, 1, OUT_KEY, 'unix_dgram_recvmsg');
  const n = Math.min(msg.len, r.data.length);
  copyBytes(msg.iov, 0, r.data, 0, n);
  unixCopyAddr(msg, r.owner as UnixSock);
  msg.copied = n;
  consumeSkb(k, r);
  // Linux: MSG_TRUNC returns the datagram's whole length, however much was copied.
  return msg.flags & MSG.MSG_TRUNC ? r.data.length : n;
}

/** Linux: unix_seqpacket_recvmsg. */
export function* unixSeqpacketRecvmsg(t: Thread, sock: Socket, msg: Msghdr): SysGen<number> {
  if (unixSk(sock).state !== 'TCP_ESTABLISHED') return -ENOTCONN;
  return yield* unixDgramRecvmsg(t, sock, msg);
}
