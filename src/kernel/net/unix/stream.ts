// AF_UNIX SOCK_STREAM (Linux: net/unix/af_unix.c's unix_stream_* and unix_poll): connecting to
// a listener, byte-stream sends cut into skbs, reads that may take part of an skb, and the
// stream poll. unix_stream_connect serves SOCK_SEQPACKET too.

import { AF, EPOLL, MSG } from '../../../abi/constants.ts';
import { Unsupported } from '../../../api/syscalls.ts';
import { ERESTARTSYS, ERRNO, errWhy } from '../../errors.ts';
import { copyBytes, type File, type PollTable, pollWait } from '../../file.ts';
import type { Kernel } from '../../kernel.ts';
import {
  continueAfterSleep,
  type MaySleep,
  mustSleep,
  type SysGen,
  sleepOn,
  type Thread,
  type WakeReason,
} from '../../sched.ts';
import { SIG, sendSigToCurrent } from '../../signal.ts';
import { consumeSkb, headTruesize, pageAlign, SKB_MAX_HEAD0 } from '../skbuff.ts';
import {
  RCV_SHUTDOWN,
  SEND_SHUTDOWN,
  SHUTDOWN_MASK,
  skbSetOwnerW,
  sockDefReadable,
  sockError,
  sockRcvlowat,
  sockWaitForSendSpace,
} from '../sock.ts';
import type { Msghdr, Sockaddr, Socket } from '../socket.ts';
import { unixFindAbstract, unixValidateAddr } from './namespace.ts';
import { recvqFull, UnixSock, unixSk, unixWaitForPeer, unixWritable } from './unix_sock.ts';

const { EAGAIN, ECONNREFUSED, EINVAL, EISCONN, ENOTCONN, EOPNOTSUPP, EPIPE } = ERRNO;
const { EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDNORM, EPOLLWRNORM, EPOLLWRBAND, EPOLLRDHUP } = EPOLL;

// Linux: UNIX_SKB_FRAGS_SZ = PAGE_SIZE << get_order(32768).
const UNIX_SKB_FRAGS_SZ = 32768;

/**
 * Linux: unix_stream_sendmsg cuts a chunk into a head of at most SKB_MAX_HEAD(0) and page
 * fragments (alloc_skb_with_frags adds whole pages to truesize).
 */
export function streamSkbTruesize(chunk: number): number {
  const dataLen = Math.min(chunk, pageAlign(Math.max(0, chunk - SKB_MAX_HEAD0)));
  return headTruesize(chunk - dataLen) + pageAlign(dataLen);
}

/** Linux: unix_stream_sendmsg's chunk size: "keep two messages in the pipe", and the allocation cap. */
function streamChunkSize(remaining: number, sndbuf: number): number {
  return Math.min(remaining, (sndbuf >> 1) - 64, SKB_MAX_HEAD0 + UNIX_SKB_FRAGS_SZ);
}

/**
 * Linux: unix_stream_connect. Completes synchronously: the client is ESTABLISHED at once and an
 * embryo socket, already connected back to it, waits on the listener's queue for accept.
 * Not Linux: the embryo is created once the connection is certain (Linux creates it first and
 * releases it on failure, which nothing can observe), and its 1-byte request skb is not charged.
 */
export function* unixStreamConnect(
  t: Thread,
  sock: Socket,
  addr: Sockaddr,
  nonblock: boolean,
): SysGen<number> {
  const k = t.k;
  const sk = unixSk(sock);
  const name = unixValidateAddr(addr);
  if (typeof name === 'number')
    return errWhy(k, name, 'unix_validate_addr', 'not an abstract AF_UNIX name that fits a sockaddr_un');
  for (;;) {
    const other = unixFindAbstract(k, sk.type, name);
    if (!other) return errWhy(k, -ECONNREFUSED, 'unix_find_other', 'no socket is bound to that name');
    if (other.state !== 'TCP_LISTEN' || other.shutdown & RCV_SHUTDOWN)
      return errWhy(k, -ECONNREFUSED, 'unix_stream_connect', 'the socket at that name is not listening');
    if (recvqFull(other)) {
      // Linux: EAGAIN, not EINPROGRESS: there is no half-open state to come back to.
      if (nonblock)
        return errWhy(
          k,
          -EAGAIN,
          'unix_stream_connect',
          "the listener's backlog is full and the socket is O_NONBLOCK",
        );
      const reason = yield* unixWaitForPeer(t, other);
      // Linux: sock_intr_errno (no timeout: -ERESTARTSYS).
      if (reason === 'signal') return -ERESTARTSYS;
      continue;
    }
    // Linux: checked only now, so a full or missing listener is reported first.
    if (sk.state !== 'TCP_CLOSE')
      return sk.state === 'TCP_ESTABLISHED'
        ? errWhy(k, -EISCONN, 'unix_stream_connect', 'the socket is already connected')
        : errWhy(k, -EINVAL, 'unix_stream_connect', 'the socket is listening');
    const newsk = new UnixSock(k, sk.type);
    newsk.peer = sk;
    newsk.state = 'TCP_ESTABLISHED';
    newsk.listener = other;
    // Linux: the accepted socket shares the listener's address (unhashed).
    newsk.addr = other.addr;
    sock.state = 'SS_CONNECTED';
    sk.state = 'TCP_ESTABLISHED';
    sk.peer = newsk;
    // Linux: the request skb's owner (skb->sk) is the embryo; unix_accept takes it from there.
    other.receiveQueue.push({
      id: k.nextId(),
      data: new Uint8Array(0),
      consumed: 0,
      truesize: 0,
      owner: newsk,
    });
    sockDefReadable(k, other);
    return 0;
  }
}

/** Linux: unix_stream_sendmsg. Returns the bytes sent, or −errno when none were. */
export function unixStreamSendmsg(t: Thread, sock: Socket, msg: Msghdr): MaySleep<number> {
  const k = t.k;
  const sk = unixSk(sock);
  if (msg.flags & MSG.MSG_OOB) throw new Unsupported('send', 'MSG_OOB on an AF_UNIX stream socket');
  if (msg.name !== null)
    return sk.state === 'TCP_ESTABLISHED'
      ? errWhy(k, -EISCONN, 'unix_stream_sendmsg', 'an address given to a connected stream socket')
      : errWhy(k, -EOPNOTSUPP, 'unix_stream_sendmsg', 'an address given to a stream socket');
  const other = sk.peer;
  if (!other) return errWhy(k, -ENOTCONN, 'unix_stream_sendmsg', 'the socket is not connected (no peer)');
  // Linux: pipe_err — SIGPIPE unless MSG_NOSIGNAL.
  if (sk.shutdown & SEND_SHUTDOWN) {
    if ((msg.flags & MSG.MSG_NOSIGNAL) === 0) sendSigToCurrent(SIG.SIGPIPE, t);
    return errWhy(k, -EPIPE, 'unix_stream_sendmsg', 'this socket was shut down for writing');
  }
  return unixStreamSendFrom(t, sk, other, msg, 0);
}

/**
 * Linux: unix_stream_sendmsg's loop, from `sent` bytes on: one skb per chunk, each after
 * sock_alloc_send_pskb's wait for room. A plain function until it must wait; the rest of the
 * send is then its continuation (continueAfterSleep), which comes back here with what was sent.
 */
function unixStreamSendFrom(
  t: Thread,
  sk: UnixSock,
  other: UnixSock,
  msg: Msghdr,
  sent: number,
  /** The chunk's size when it was fixed before a wait (Linux computes it before waiting), else -1. */
  chunk = -1,
): MaySleep<number> {
  const k = t.k;
  const len = msg.len;
  while (sent < len) {
    const size = chunk >= 0 ? chunk : streamChunkSize(len - sent, sk.sndbuf);
    chunk = -1;
    const err = sockWaitForSendSpace(t, sk, msg.dontwait);
    if (mustSleep(err)) {
      const from = sent;
      return continueAfterSleep(err, (e) =>
        e ? from || e : unixStreamSendFrom(t, sk, other, msg, from, size),
      );
    }
    if (err) return sent || err;
    const skb = skbSetOwnerW(k, sk, msg.iov.slice(sent, sent + size), streamSkbTruesize(size));
    if (other.dead || other.shutdown & RCV_SHUTDOWN) {
      consumeSkb(k, skb);
      // Linux: pipe_err — SIGPIPE only when nothing was sent, and not under MSG_NOSIGNAL.
      if (sent === 0 && (msg.flags & MSG.MSG_NOSIGNAL) === 0) sendSigToCurrent(SIG.SIGPIPE, t);
      return sent || errWhy(k, -EPIPE, 'unix_stream_sendmsg', 'the peer is closed or shut down for reading');
    }
    other.receiveQueue.push(skb);
    sockDefReadable(k, other);
    sent += size;
  }
  return sent;
}

/** Not Linux: the recv flags the model's AF_UNIX reads take; MSG_OOB and MSG_PEEK are not modelled. */
const UNIX_RECV_UNMODELLED = MSG.MSG_OOB | MSG.MSG_PEEK | MSG.MSG_ERRQUEUE;

/** Not Linux: refuse a recv flag the AF_UNIX model lacks. */
export function unixRecvFlags(msg: Msghdr): void {
  if (msg.flags & UNIX_RECV_UNMODELLED)
    throw new Unsupported('recv', 'MSG_OOB, MSG_PEEK and MSG_ERRQUEUE on AF_UNIX sockets are not modelled');
}

/** Linux: unix_copy_addr — the sending socket's name into msg_name; none if it is unnamed. */
export function unixCopyAddr(msg: Msghdr, sender: UnixSock): void {
  msg.from = sender.addr === null ? null : { family: AF.AF_UNIX, name: sender.addr };
}

/** Linux: unix_stream_read_generic: SO_RCVLOWAT or MSG_WAITALL set how much it waits for. */
export function unixStreamRecvmsg(t: Thread, sock: Socket, msg: Msghdr): MaySleep<number> {
  const sk = unixSk(sock);
  unixRecvFlags(msg);
  if (sk.state !== 'TCP_ESTABLISHED')
    return errWhy(t.k, -EINVAL, 'unix_stream_read_generic', 'the socket is not connected');
  // Linux: the target is fixed once, before the loop (a SO_RCVLOWAT set meanwhile does not move it).
  return unixStreamReadFrom(t, sk, msg, sockRcvlowat(sk, (msg.flags & MSG.MSG_WAITALL) !== 0, msg.len), 0);
}

/**
 * Linux: unix_stream_read_generic's loop, with `copied` bytes already read. A plain function
 * until it must wait (unix_stream_data_wait); the wait and the rest of the read are then its
 * continuation, which comes back here with what was copied.
 */
function unixStreamReadFrom(
  t: Thread,
  sk: UnixSock,
  msg: Msghdr,
  target: number,
  copied: number,
): MaySleep<number> {
  const k = t.k;
  let size = msg.len - copied;
  let err = 0;
  do {
    const skb = sk.receiveQueue[0];
    if (!skb) {
      if (copied >= target) break;
      // Linux: "POSIX 1003.1g mandates this order": the error, then EOF, then EAGAIN.
      err = sockError(sk);
      if (err) {
        errWhy(k, err, 'sock_error', 'a pending socket error (sk_err), taken by this call');
        break;
      }
      if (sk.shutdown & RCV_SHUTDOWN) break;
      if (msg.dontwait) {
        err = errWhy(
          k,
          -EAGAIN,
          'unix_stream_read_generic',
          'the receive queue is empty and the socket is O_NONBLOCK',
        );
        break;
      }
      return continueAfterSleep(unixStreamDataWait(t, sk), (reason) => {
        // Linux: sock_intr_errno (no SO_RCVTIMEO: -ERESTARTSYS); what was copied is returned.
        if (reason === 'signal') return copied || -ERESTARTSYS;
        // The do-while's condition, which the loop's `continue` after the wait goes to: a read
        // of nothing (recvfrom of 0 bytes, target 1) ends here.
        if (msg.len - copied <= 0) return copied;
        return unixStreamReadFrom(t, sk, msg, target, copied);
      });
    }
    if (copied === 0) unixCopyAddr(msg, skb.owner as UnixSock);
    const avail = skb.data.length - skb.consumed;
    const chunk = Math.min(avail, size);
    copyBytes(msg.iov, copied, skb.data, skb.consumed, chunk);
    copied += chunk;
    size -= chunk;
    skb.consumed += chunk;
    // Linux: a partly read skb stays queued and stays charged to its sender.
    if (skb.consumed < skb.data.length) break;
    sk.receiveQueue.shift();
    consumeSkb(k, skb);
  } while (size > 0);
  return copied || err;
}

/**
 * Linux: unix_stream_data_wait — prepare_to_wait (non-exclusive, head) until something changes;
 * 'signal' if a signal ended it.
 */
function* unixStreamDataWait(t: Thread, sk: UnixSock): SysGen<WakeReason | 'ready'> {
  while (sk.receiveQueue.length === 0 && !sk.err && !(sk.shutdown & RCV_SHUTDOWN)) {
    const reason = yield* sleepOn(t, sk.wq, 'shared');
    if (reason === 'signal') return reason;
  }
  return 'ready';
}

/** Linux: unix_poll (SOCK_STREAM). */
export function unixPoll(k: Kernel, file: File, sock: Socket, pt: PollTable | null): number {
  const sk = unixSk(sock);
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
