// Connection-oriented sockets (Linux: net/ipv4/inet_connection_sock.c): who may take a port
// (inet_csk_get_port with inet_csk_bind_conflict), listening (inet_csk_listen_start), the accept
// queue (inet_csk_accept, inet_csk_wait_for_connect) and a listener's poll.
//
// Bind conflicts, as Linux 6.18 decides them for two sockets on one port whose bound addresses
// overlap (inet_rcv_saddr_equal with wildcards), each checked on this machine:
//   - no conflict if both set SO_REUSEADDR and the holder is not listening (a listener, or a
//     socket calling listen, conflicts: relax only covers non-listeners);
//   - no conflict if both set SO_REUSEPORT (same user: the model has one);
//   - a TIME_WAIT holder keeps the SO_REUSEADDR of the socket it was, so rebinding a server's port
//     while its connections are in TIME_WAIT works only if the old and the new socket set it.
// Not Linux: the fastreuse/fastreuseport bucket caches are not kept: they only shortcut the walk.

import { ERESTARTSYS, ERRNO, errWhy } from '../../errors.ts';
import type { Kernel } from '../../kernel.ts';
import { type SysGen, sleepOn, type Thread } from '../../sched.ts';
import { inetBindHash, inetFindOpenPort, inetRcvSaddrEqual, portOwners } from './inet_hashtables.ts';
import type { InetSock } from './inet_sock.ts';
import type { TcpSock } from './tcp_sock.ts';

const { EADDRINUSE, EAGAIN, EINVAL } = ERRNO;

/** Hook set by tcp_minisocks.ts: drop TIME_WAIT socks whose time is up (their timer has fired). */
export const twReaper: { reap: (k: Kernel) => void } = { reap: () => {} };

/** Linux: inet_bind_conflict — whether `sk2`, on the same port, stops `sk` (addresses aside). */
function inetBindConflict(sk: InetSock, sk2: InetSock): boolean {
  if (sk === sk2) return false;
  // Linux: relax is true in inet_csk_get_port, reuseport_ok true.
  if (sk.reuse && sk2.reuse && sk2.state !== 'TCP_LISTEN') return false;
  return !(sk.reuseport && sk2.reuseport);
}

/** Linux: inet_csk_bind_conflict — any owner of the port that conflicts on an overlapping address. */
export function inetCskBindConflict(k: Kernel, sk: InetSock, port: number): boolean {
  for (const sk2 of portOwners(k, 'tcp', port))
    if (inetBindConflict(sk, sk2) && inetRcvSaddrEqual(sk, sk2, true)) return true;
  return false;
}

/**
 * Linux: inet_csk_get_port (tcp_prot.get_port). Port 0 picks a free ephemeral port (odd first,
 * as inet_csk_find_open_port prefers for bind); TIME_WAIT socks whose time is up go first. A socket already holding `snum` (listen after
 * bind) is checked again, now in its new state.
 */
export function inetCskGetPort(k: Kernel, sk: InetSock, snum: number): number {
  twReaper.reap(k);
  if (snum === 0) {
    // Linux: inet_csk_find_open_port checks without relax, so a port another socket holds is
    // never shared however the options are set; the model skips every held port.
    const port = inetFindOpenPort(k, 'tcp', true, (p) => portOwners(k, 'tcp', p).length > 0);
    if (!port) return errWhy(k, -EADDRINUSE, 'inet_csk_find_open_port', 'no ephemeral port is free');
    inetBindHash(k, 'tcp', sk, port);
    return 0;
  }
  if (inetCskBindConflict(k, sk, snum))
    return errWhy(k, -EADDRINUSE, 'inet_csk_bind_conflict', 'another socket holds that address and port');
  if (sk.num !== snum) inetBindHash(k, 'tcp', sk, snum);
  return 0;
}

/** Linux: sk_acceptq_is_full — note the strict ">": a backlog of n holds n + 1 connections. */
export function skAcceptqIsFull(sk: TcpSock): boolean {
  return sk.ackBacklog > sk.maxAckBacklog;
}

/** Linux: inet_csk_listen_poll — readable while a connection waits to be accepted. */
export function inetCskListenPoll(sk: TcpSock): number {
  return sk.acceptQueue.length > 0 ? 0x41 /* EPOLLIN | EPOLLRDNORM */ : 0;
}

/** Linux: reqsk_queue_remove — the oldest established child off the accept queue. */
export function reqskQueueRemove(sk: TcpSock): TcpSock | null {
  const child = sk.acceptQueue.shift() ?? null;
  if (child) {
    sk.ackBacklog--;
    child.parent = null;
  }
  return child;
}

/**
 * Linux: inet_csk_accept with inet_csk_wait_for_connect — take the oldest child, or sleep for
 * one (exclusively, at the tail: one connection wakes one acceptor), or EAGAIN / EINVAL.
 */
export function* inetCskAccept(t: Thread, sk: TcpSock, nonblock: boolean): SysGen<TcpSock | number> {
  const k = t.k;
  if (sk.state !== 'TCP_LISTEN') return errWhy(k, -EINVAL, 'inet_csk_accept', 'the socket is not listening');
  for (;;) {
    const child = reqskQueueRemove(sk);
    if (child) return child;
    if (nonblock)
      return errWhy(k, -EAGAIN, 'inet_csk_accept', 'no connection is queued and the socket is O_NONBLOCK');
    const reason = yield* sleepOn(t, sk.wq, 'exclusive');
    if (sk.acceptQueue.length > 0) continue;
    if (sk.state !== 'TCP_LISTEN')
      return errWhy(k, -EINVAL, 'inet_csk_wait_for_connect', 'the socket stopped listening');
    // Linux: sock_intr_errno with no SO_RCVTIMEO.
    if (reason === 'signal') return -ERESTARTSYS;
  }
}
