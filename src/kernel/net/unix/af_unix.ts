// AF_UNIX sockets (Linux: net/unix/af_unix.c). Reference §5.2. This module creates and releases
// them, binds, listens, accepts and shuts down, and registers the family with the socket layer
// (../socket.ts) through three proto_ops tables; the data paths are by type in ./stream.ts and
// ./dgram.ts, the struct in ./unix_sock.ts, addresses in ./namespace.ts, snapshots in ./diag.ts.
//
// Not modelled (each throws Unsupported where an argument could ask for it): filesystem and
// autobind addresses, sendto/recvfrom and msg flags (MSG_PEEK, MSG_OOB, MSG_WAITALL), SCM_RIGHTS
// and credentials, socket options (SO_SNDBUF, SO_RCVTIMEO, SO_PEEK_OFF).

import { AF, SIOCATMARK, SIOCOUTQ, SOCK } from '../../../abi/constants.ts';
import { Unsupported } from '../../../api/syscalls.ts';
import { ERRNO, errWhy } from '../../errors.ts';
import type { File } from '../../file.ts';
import type { Kernel } from '../../kernel.ts';
import type { SysGen, Thread } from '../../sched.ts';
import { wakeUp } from '../../waitqueue.ts';
import { connectionBased, skbRecvDatagram } from '../datagram.ts';
import { consumeSkb } from '../skbuff.ts';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, sockDefWakeup, sockNoSupport } from '../sock.ts';
import {
  type ProtoOps,
  protoOps,
  type Sockaddr,
  type Socket,
  sockFromFile,
  sockRegister,
} from '../socket.ts';
import {
  peerWakeDisconnect,
  unixDgramConnect,
  unixDgramPoll,
  unixDgramRecvmsg,
  unixDgramSendmsg,
  unixSeqpacketRecvmsg,
  unixSeqpacketSendmsg,
} from './dgram.ts';
import { snapshotUnixSocket } from './diag.ts';
import { unixInsertAbstract, unixRemoveSocket, unixValidateAddr } from './namespace.ts';
import { unixPoll, unixStreamConnect, unixStreamRecvmsg, unixStreamSendmsg } from './stream.ts';
import { UnixSock, unixSk } from './unix_sock.ts';

const { ECONNRESET, EINVAL, EPROTONOSUPPORT, ESOCKTNOSUPPORT } = ERRNO;
const PF_UNIX = AF.AF_UNIX;

/** Linux: unix_create. */
function unixCreate(k: Kernel, sock: Socket, protocol: number): number {
  // Linux: unix_create accepts 0 and PF_UNIX.
  if (protocol !== 0 && protocol !== PF_UNIX)
    return errWhy(k, -EPROTONOSUPPORT, 'unix_create', 'protocol is neither 0 nor PF_UNIX');
  // Linux: "Believe it or not BSD has AF_UNIX, SOCK_RAW though nothing uses it." It is a dgram socket.
  if (sock.type === SOCK.SOCK_RAW) sock.type = SOCK.SOCK_DGRAM;
  switch (sock.type) {
    case SOCK.SOCK_STREAM:
      sock.ops = unixStreamOps;
      break;
    case SOCK.SOCK_DGRAM:
      sock.ops = unixDgramOps;
      break;
    case SOCK.SOCK_SEQPACKET:
      sock.ops = unixSeqpacketOps;
      break;
    default:
      return errWhy(k, -ESOCKTNOSUPPORT, 'unix_create', 'AF_UNIX has no such socket type');
  }
  sock.sk = new UnixSock(k, sock.type);
  return 0;
}

/** Linux: unix_release_sock. `embrion`: an unaccepted connection dropped with its listener. */
function unixReleaseSock(k: Kernel, sk: UnixSock, embrion: boolean): void {
  unixRemoveSocket(k, sk);
  // Linux: sock_orphan — sk_wq is NULL from here on, so nothing wakes our queue any more.
  sk.dead = true;
  sk.shutdown = SHUTDOWN_MASK;
  const state = sk.state;
  sk.state = 'TCP_CLOSE';
  const skpair = sk.peer;
  sk.peer = null;
  wakeUp(k, sk.peerWait, 0, 0, 'unix_release_sock');
  if (skpair) {
    if (connectionBased(sk)) {
      skpair.shutdown = SHUTDOWN_MASK;
      // Linux: the peer learns that data was lost (ECONNRESET): unread data of ours, or a dropped
      // embryo. Since "af_unix: Don't set -ECONNRESET for consumed OOB skb" (in 6.18), a head skb
      // with nothing left to read (unix_skb_len 0: a consumed OOB skb, or a zero-length seqpacket
      // message) is skipped, and any skb after it counts, even another empty one. So one queued
      // empty message gives the peer EPIPE, two give ECONNRESET (checked on 6.18; found by the
      // fuzzer: test/conformance/unix-seqpacket-zero-length.json, fuzz-20261204-1.json).
      const head = sk.receiveQueue[0];
      const lost = head !== undefined && (head.data.length > head.consumed || sk.receiveQueue.length > 1);
      if (lost || embrion) skpair.err = ECONNRESET;
      sockDefWakeup(k, skpair);
    }
    peerWakeDisconnect(k, sk, skpair);
  }
  // Linux: flush the receive queue; a listener's queued connections are released as embryos.
  for (;;) {
    const skb = sk.receiveQueue.shift();
    if (!skb) break;
    if (state === 'TCP_LISTEN') unixReleaseSock(k, skb.owner as UnixSock, true);
    consumeSkb(k, skb);
  }
}

/** Linux: unix_release → unix_release_sock(sk, 0). */
function unixRelease(k: Kernel, sock: Socket): void {
  unixReleaseSock(k, unixSk(sock), false);
}

/** Linux: unix_bind → unix_bind_abstract. */
function unixBind(k: Kernel, sock: Socket, addr: Sockaddr): number {
  const sk = unixSk(sock);
  // Linux: a bare sun_family (addr_len offsetof(sun_path)) asks for an autobound name.
  if (addr.family === AF.AF_UNIX && addr.name === null)
    throw new Unsupported('bind', 'autobind (an AF_UNIX socket bound to "") is not modelled');
  const name = unixValidateAddr(addr);
  if (typeof name === 'number')
    return errWhy(k, name, 'unix_validate_addr', 'not an abstract AF_UNIX name that fits a sockaddr_un');
  if (sk.addr !== null) return errWhy(k, -EINVAL, 'unix_bind_abstract', 'the socket is already bound');
  if (!unixInsertAbstract(k, sk, name))
    return errWhy(k, -ERRNO.EADDRINUSE, 'unix_bind_abstract', 'another socket is bound to that name');
  sk.addr = name;
  sk.hashed = true;
  return 0;
}

/** Linux: unix_listen. */
function unixListen(k: Kernel, sock: Socket, backlog: number): number {
  const sk = unixSk(sock);
  if (sk.addr === null) return errWhy(k, -EINVAL, 'unix_listen', 'the socket is not bound');
  if (sk.state !== 'TCP_CLOSE' && sk.state !== 'TCP_LISTEN')
    return errWhy(k, -EINVAL, 'unix_listen', 'the socket is connected');
  // Linux: a larger backlog lets waiting connectors retry.
  if (backlog > sk.maxAckBacklog) wakeUp(k, sk.peerWait, 0, 0, 'unix_listen');
  sk.maxAckBacklog = backlog;
  sk.state = 'TCP_LISTEN';
  return 0;
}

/** Linux: unix_accept — take a connect request off the listener's queue; graft its embryo into `newsock`. */
function* unixAccept(t: Thread, sock: Socket, newsock: Socket, nonblock: boolean): SysGen<number> {
  const sk = unixSk(sock);
  if (sk.state !== 'TCP_LISTEN') return errWhy(t.k, -EINVAL, 'unix_accept', 'the socket is not listening');
  const skb = yield* skbRecvDatagram(t, sk, nonblock);
  // Linux: no skb and no error means receive shutdown: EINVAL.
  if (typeof skb === 'number') return skb || -EINVAL;
  const tsk = skb.owner as UnixSock;
  consumeSkb(t.k, skb);
  wakeUp(t.k, sk.peerWait, 1, 0, 'unix_accept');
  newsock.state = 'SS_CONNECTED';
  // Linux: sock_graft — from here the embryo's wake-ups reach the new file's queue.
  newsock.sk = tsk;
  tsk.listener = null;
  return 0;
}

/** Linux: unix_shutdown. */
function unixShutdown(k: Kernel, sock: Socket, how: number): number {
  const sk = unixSk(sock);
  if (how < 0 || how > 2)
    return errWhy(k, -EINVAL, 'unix_shutdown', 'how is not SHUT_RD, SHUT_WR or SHUT_RDWR');
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
  return 0;
}

/** Linux: unix_socketpair — join the sockets back to back. */
function unixSocketpair(socka: Socket, sockb: Socket): number {
  const ska = unixSk(socka);
  const skb = unixSk(sockb);
  ska.peer = skb;
  skb.peer = ska;
  ska.state = 'TCP_ESTABLISHED';
  skb.state = 'TCP_ESTABLISHED';
  socka.state = 'SS_CONNECTED';
  sockb.state = 'SS_CONNECTED';
  return 0;
}

/** Linux: unix_ioctl(SIOCINQ) → unix_inq_len. */
function unixInqLen(_k: Kernel, sock: Socket): number {
  const sk = unixSk(sock);
  if (sk.state === 'TCP_LISTEN') return errWhy(_k, -EINVAL, 'unix_inq_len', 'the socket is listening');
  if (sk.type === SOCK.SOCK_DGRAM) return sk.receiveQueue[0]?.data.length ?? 0;
  let amount = 0;
  for (const skb of sk.receiveQueue) amount += skb.data.length - skb.consumed;
  return amount;
}

/**
 * Not Linux (fs.ts readBuffer): unix_inq_len without its errno: a read returns at most what is
 * queued (a datagram read the first datagram), and does not sleep when something is queued or
 * the socket is O_NONBLOCK; then an empty queue's read returns EAGAIN, 0 or an error without a
 * byte (1: ->read needs a count, as a count of 0 returns 0 at once). A listener's read is EINVAL.
 */
function unixReadMax(sock: Socket, nonblock: boolean): number {
  const sk = unixSk(sock);
  if (sk.state === 'TCP_LISTEN') return -1;
  let amount = 0;
  if (sk.type === SOCK.SOCK_DGRAM) amount = sk.receiveQueue[0]?.data.length ?? 0;
  else for (const skb of sk.receiveQueue) amount += skb.data.length - skb.consumed;
  if (amount > 0) return amount;
  return nonblock ? 1 : -1;
}

/** Linux: unix_getname — this end's name, or its peer's (ENOTCONN without one); unnamed is "". */
function unixGetname(k: Kernel, sock: Socket, peer: boolean): Sockaddr | number {
  let sk: UnixSock | null = unixSk(sock);
  if (peer) {
    sk = sk.peer;
    if (!sk) return errWhy(k, -ERRNO.ENOTCONN, 'unix_getname', 'the socket has no peer');
  }
  return { family: AF.AF_UNIX, name: sk.addr };
}

/** Linux: unix_ioctl — SIOCOUTQ (unix_outq_len) and SIOCATMARK (no OOB data: an empty head skb). */
function unixIoctl(k: Kernel, sock: Socket, cmd: number): number {
  const sk = unixSk(sock);
  if (cmd === SIOCOUTQ) return sk.wmemAlloc - 1;
  if (cmd === SIOCATMARK) {
    // Linux: the mark is a stream's (checked on 6.18: datagram and seqpacket give EOPNOTSUPP).
    if (sk.type !== SOCK.SOCK_STREAM)
      return errWhy(k, -ERRNO.EOPNOTSUPP, 'unix_ioctl', 'SIOCATMARK on a socket that is not a stream');
    // Linux: 1 when the head skb is the OOB skb (never: MSG_OOB is not modelled on AF_UNIX) or has
    // nothing left to read (unix_skb_len 0).
    const head = sk.receiveQueue[0];
    return head !== undefined && head.data.length === head.consumed ? 1 : 0;
  }
  return errWhy(k, -ERRNO.ENOTTY, 'unix_ioctl', 'no such ioctl');
}

/** Linux: unix_stream_ops. */
const unixStreamOps: ProtoOps = protoOps({
  family: PF_UNIX,
  release: unixRelease,
  bind: unixBind,
  connect: unixStreamConnect,
  socketpair: unixSocketpair,
  accept: unixAccept,
  poll: unixPoll,
  inq: unixInqLen,
  readMax: unixReadMax,
  listen: unixListen,
  getname: unixGetname,
  ioctl: unixIoctl,
  shutdown: unixShutdown,
  sendmsg: unixStreamSendmsg,
  recvmsg: unixStreamRecvmsg,
});

/** Linux: unix_dgram_ops — sock_no_accept and sock_no_listen (EOPNOTSUPP). */
const unixDgramOps: ProtoOps = protoOps({
  ...unixStreamOps,
  connect: unixDgramConnect,
  accept: (t) => errWhy(t.k, sockNoSupport(), 'sock_no_accept', 'a datagram socket cannot accept'),
  poll: unixDgramPoll,
  listen: (k) => errWhy(k, sockNoSupport(), 'sock_no_listen', 'a datagram socket cannot listen'),
  sendmsg: unixDgramSendmsg,
  recvmsg: unixDgramRecvmsg,
});

/** Linux: unix_seqpacket_ops. */
const unixSeqpacketOps: ProtoOps = protoOps({
  ...unixStreamOps,
  poll: unixDgramPoll,
  sendmsg: unixSeqpacketSendmsg,
  recvmsg: unixSeqpacketRecvmsg,
});

// Linux: af_unix_init → sock_register(&unix_family_ops).
sockRegister({
  family: PF_UNIX,
  fileType: () => 'unix',
  create: unixCreate,
  diag: (sk) => snapshotUnixSocket(sk as UnixSock),
});

/** Linux: unix_sk(sock_from_file(file)->sk) — null if the file is no AF_UNIX socket (tests). */
export function unixSockOfFile(file: File): UnixSock | null {
  const sock = sockFromFile(file);
  return sock?.sk instanceof UnixSock ? sock.sk : null;
}
