// Receiving whole skbs (Linux: net/core/datagram.c): what datagram and seqpacket reads and
// accept share — take the head skb, or sleep as an exclusive "receiver" until one comes — and
// datagram_poll, the poll of protocols without their own (UDP builds on it).

import { EPOLL, SOCK } from '../../abi/constants.ts';
import { ERESTARTSYS, ERRNO, errWhy } from '../errors.ts';
import { type File, type PollTable, pollWait } from '../file.ts';
import type { Kernel } from '../kernel.ts';
import { type SysGen, sleepOn, type Thread, type WakeReason, wakeThread } from '../sched.ts';
import { defineWakeFunction, removeWaitQueue, type WaitQueueHead } from '../waitqueue.ts';
import type { Skb } from './skbuff.ts';
import { RCV_SHUTDOWN, SHUTDOWN_MASK, type Sock, sockError } from './sock.ts';

const { EAGAIN, ENOTCONN } = ERRNO;

// Linux: receiver_wake_function — a datagram receiver ignores wake-ups whose key has neither IN
// nor ERR; otherwise autoremove_wake_function.
defineWakeFunction('receiver_wake_function', (k, e, key) => {
  if (key !== 0 && (key & (EPOLL.EPOLLIN | EPOLL.EPOLLERR)) === 0) return 0;
  const ret = wakeThread(k, e.owner as Thread, 'woken');
  if (ret) removeWaitQueue(k, e);
  return ret;
});

/** Linux: connection_based. */
export const connectionBased = (sk: Sock): boolean =>
  sk.type === SOCK.SOCK_STREAM || sk.type === SOCK.SOCK_SEQPACKET;

/** Linux: __skb_wait_for_more_packets's sleep — exclusive, at the tail. */
function* sleepAsReceiver(t: Thread, q: WaitQueueHead): SysGen<WakeReason> {
  return yield* sleepOn(t, q, 'exclusive', null, 'receiver_wake_function');
}

/**
 * Linux: __skb_recv_datagram (__skb_try_recv_datagram + __skb_wait_for_more_packets). Returns
 * the dequeued skb, or −errno (0: no skb because of receive shutdown). sk_err comes first, before
 * any queued skb.
 */
export function* skbRecvDatagram(t: Thread, sk: Sock, nonblock: boolean): SysGen<Skb | number> {
  for (;;) {
    const err = sockError(sk);
    if (err) return errWhy(t.k, err, 'sock_error', 'a pending socket error (sk_err), taken by this call');
    const skb = sk.receiveQueue.shift();
    if (skb) return skb;
    if (nonblock)
      return errWhy(
        t.k,
        -EAGAIN,
        '__skb_try_recv_datagram',
        'the receive queue is empty and the socket is O_NONBLOCK',
      );
    // __skb_wait_for_more_packets: the checks it makes after queueing its entry.
    const err2 = sockError(sk);
    if (err2) return errWhy(t.k, err2, 'sock_error', 'a pending socket error (sk_err), taken by this call');
    if (sk.shutdown & RCV_SHUTDOWN) return 0;
    if (connectionBased(sk) && sk.state !== 'TCP_ESTABLISHED' && sk.state !== 'TCP_LISTEN') return -ENOTCONN;
    const reason = yield* sleepAsReceiver(t, sk.wq);
    // Linux: __skb_wait_for_more_packets — sock_intr_errno (no SO_RCVTIMEO: -ERESTARTSYS).
    if (reason === 'signal') return -ERESTARTSYS;
  }
}

/**
 * Linux: __skb_wait_for_more_packets — the checks made with the exclusive entry queued, then one
 * sleep. null: look at the queue again (woken, or `queued` says a datagram came); otherwise what
 * the receive returns: 0 (shut down for reading) or −errno.
 */
export function* skbWaitForMorePackets(t: Thread, sk: Sock, queued: () => boolean): SysGen<number | null> {
  const err = sockError(sk);
  if (err) return errWhy(t.k, err, 'sock_error', 'a pending socket error (sk_err), taken by this call');
  if (queued()) return null;
  if (sk.shutdown & RCV_SHUTDOWN) return 0;
  if (connectionBased(sk) && sk.state !== 'TCP_ESTABLISHED' && sk.state !== 'TCP_LISTEN') return -ENOTCONN;
  const reason = yield* sleepAsReceiver(t, sk.wq);
  // Linux: sock_intr_errno (no SO_RCVTIMEO: -ERESTARTSYS).
  if (reason === 'signal') return -ERESTARTSYS;
  return null;
}

/** Linux: sock_writeable — at most half the send buffer in flight ("significant" progress). */
export const sockWriteable = (sk: Sock): boolean => sk.wmemAlloc < sk.sndbuf >> 1;

/** Linux: datagram_poll. No error queue exists in the model, so ERR is sk_err alone. */
export function datagramPoll(k: Kernel, file: File, sk: Sock, pt: PollTable | null): number {
  pollWait(file, sk.wq, pt);
  k.stats.fopPollCalls++;
  let mask = 0;
  if (sk.err) mask |= EPOLL.EPOLLERR;
  const shutdown = sk.shutdown;
  if (shutdown & RCV_SHUTDOWN) mask |= EPOLL.EPOLLRDHUP | EPOLL.EPOLLIN | EPOLL.EPOLLRDNORM;
  if (shutdown === SHUTDOWN_MASK) mask |= EPOLL.EPOLLHUP;
  if (sk.receiveQueue.length > 0) mask |= EPOLL.EPOLLIN | EPOLL.EPOLLRDNORM;
  // Linux: "Connection-based need to check for termination and startup".
  if (connectionBased(sk)) {
    if (sk.state === 'TCP_CLOSE') mask |= EPOLL.EPOLLHUP;
    if (sk.state === 'TCP_SYN_SENT') return mask;
  }
  if (sockWriteable(sk)) mask |= EPOLL.EPOLLOUT | EPOLL.EPOLLWRNORM | EPOLL.EPOLLWRBAND;
  return mask;
}
