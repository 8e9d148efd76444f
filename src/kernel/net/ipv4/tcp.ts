// TCP (Linux: net/ipv4/tcp.c, with af_inet.c's inet_stream_connect, inet_listen and inet_accept):
// struct proto tcp_prot and the socket calls — connect, listen, accept, sendmsg, recvmsg, poll,
// close, shutdown, ioctl and the IPPROTO_TCP options — over the loopback wire of ./tcp_output.ts.
//
// Send-buffer accounting (approximate, as the brief allows; tests stay away from exact amounts):
// each send is cut into skbs of at most 64 KiB whose truesize is the payload rounded up to
// whole pages plus 576 bytes of sk_buff and shared info; sk_wmem_queued holds the truesize of
// what the peer's window did not take, and a send waits (or fails with EAGAIN) once it reaches
// sk_sndbuf (sk_stream_memory_free). A connection thus absorbs about 3/4 of the reader's
// SO_RCVBUF plus the writer's sk_sndbuf (6.18, 64 KiB writes: 98304 + 3866624 of 3939840).
//
// Not modelled: TCP_CORK and MSG_MORE holding partial segments (TCP_CORK is stored and read
// back; MSG_MORE is Unsupported), keepalive probes (the times are stored), SIGURG and the
// receive-buffer autotuning.

import { AF, EPOLL, IPPROTO, MSG, SIOCATMARK, SIOCOUTQ, SOCK, TCP_OPT } from '../../../abi/constants.ts';
import type { Sockaddr } from '../../../api/sockaddr.ts';
import { type Linger, type SockoptValue, Unsupported } from '../../../api/syscalls.ts';
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
} from '../../sched.ts';
import { SIG, sendSigToCurrent } from '../../signal.ts';
import {
  RCV_SHUTDOWN,
  SEND_SHUTDOWN,
  SHUTDOWN_MASK,
  SOCK_BINDADDR_LOCK,
  SOCK_LINGER,
  SOCK_RCVBUF_LOCK,
  SOCK_URGINLINE,
  sockDefErrorReport,
  sockDefWakeup,
  sockError,
  sockFlag,
  sockRcvlowat,
} from '../sock.ts';
import { type Msghdr, type ProtoOps, protoOps, type Socket } from '../socket.ts';
import { type InetProto, inetAutobind, inetCommonOps, inetRegisterProtosw } from './af_inet.ts';
import {
  inetCskAccept,
  inetCskGetPort,
  inetCskListenPoll,
  reqskQueueRemove,
} from './inet_connection_sock.ts';
import { IN6ADDR_ANY, type InetSock } from './inet_sock.ts';
import { ipGetsockopt, ipSetsockopt } from './ip_sockglue.ts';
import {
  inetCskDestroySock,
  tcpDataReady,
  tcpEpollinReady,
  tcpSetState,
  tcpWriteQueuePurge,
} from './tcp_input.ts';
import { tcpConnectDest, tcpConnectSetup, tcpSendSyn } from './tcp_ipv4.ts';
import { tcpSendActiveReset, tcpSendFin, tcpWriteXmit } from './tcp_output.ts';
import {
  skStreamIsWriteable,
  skStreamMemoryFree,
  TCP_FIN_TIMEOUT_SEC,
  TCP_NAGLE_CORK,
  TCP_NAGLE_OFF,
  TCP_NAGLE_PUSH,
  TCP_URG_READ,
  TCP_URG_VALID,
  TcpSock,
  tcpState,
} from './tcp_sock.ts';

const { EAGAIN, EALREADY, ECONNABORTED, EINPROGRESS, EINVAL, EISCONN, ENOPROTOOPT, ENOTCONN, ENOTTY, EPIPE } =
  ERRNO;
const { EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLERR, EPOLLHUP, EPOLLRDNORM, EPOLLWRNORM, EPOLLRDHUP } = EPOLL;

const tcpSk = (sock: Socket): TcpSock => sock.sk as TcpSock;
const INT_MAX = 0x7fffffff;

/** Linux: net.ipv4.tcp_rmem[2] default (this machine is tuned to 33554432; SO_RCVLOWAT caps at half). */
const TCP_RMEM_MAX = 6291456;
/** The most an skb holds in the model (Linux: the GSO size goal on loopback, about 64 KiB). */
const TCP_SIZE_GOAL = 65536;
// Linux: include/net/tcp.h.
const TCP_MIN_MSS = 88;
const MAX_TCP_WINDOW = 32767;
const MAX_TCP_KEEPIDLE = 32767;
const MAX_TCP_KEEPINTVL = 32767;
const MAX_TCP_KEEPCNT = 127;
const MAX_TCP_SYNCNT = 127;
/** Linux: TCP_FIN_TIMEOUT_MAX (120 s), the most TCP_LINGER2 keeps. */
const TCP_FIN_TIMEOUT_MAX_SEC = 120;
/** Linux defines IPPROTO_TCP options up to about here; a larger number is ENOPROTOOPT. */
const TCP_LINUX_MAX = 45;

/** Not Linux: an skb's truesize (see the top of this file). */
function tcpSkbTruesize(len: number): number {
  return Math.ceil(len / 4096) * 4096 + 576;
}

// ---- struct proto ----

/** Linux: tcp_close_state — the state a close or SHUT_WR moves to, and whether a FIN is due. */
function tcpCloseState(k: Kernel, sk: TcpSock): boolean {
  switch (sk.state) {
    case 'TCP_ESTABLISHED':
    case 'TCP_SYN_RECV':
      tcpSetState(k, sk, 'TCP_FIN_WAIT1');
      return true;
    case 'TCP_CLOSE_WAIT':
      tcpSetState(k, sk, 'TCP_LAST_ACK');
      return true;
    case 'TCP_SYN_SENT':
    case 'TCP_LISTEN':
    case 'TCP_TIME_WAIT':
      tcpSetState(k, sk, 'TCP_CLOSE');
      return false;
    default:
      return false;
  }
}

/** Linux: inet_csk_listen_stop — every queued child is reset and destroyed (inet_child_forget). */
function inetCskListenStop(k: Kernel, sk: TcpSock): void {
  for (;;) {
    const child = reqskQueueRemove(sk);
    if (!child) break;
    tcpDisconnect(k, child, 0);
    child.dead = true;
    inetCskDestroySock(k, child);
  }
}

/** Linux: tcp_need_reset. */
const tcpNeedReset = (s: string): boolean =>
  s === 'TCP_ESTABLISHED' ||
  s === 'TCP_CLOSE_WAIT' ||
  s === 'TCP_FIN_WAIT1' ||
  s === 'TCP_FIN_WAIT2' ||
  s === 'TCP_SYN_RECV';

/** Linux: tcp_disconnect — abort the connection (RST if one is up) and reset the sock for reuse. */
function tcpDisconnect(k: Kernel, sk: TcpSock, _flags: number): number {
  const old = sk.state;
  if (old !== 'TCP_LISTEN') sk.disconnected = true;
  if (old !== 'TCP_CLOSE') tcpSetState(k, sk, 'TCP_CLOSE');
  if (old === 'TCP_LISTEN') inetCskListenStop(k, sk);
  else if (
    tcpNeedReset(old) ||
    (sk.sndNxt !== sk.writeSeq && (old === 'TCP_CLOSING' || old === 'TCP_LAST_ACK'))
  ) {
    tcpSendActiveReset(k, sk);
    sk.err = ERRNO.ECONNRESET;
  } else if (old === 'TCP_SYN_SENT') sk.err = ERRNO.ECONNRESET;
  sk.peer = null;
  sk.rcvQueue.length = 0;
  sk.copiedSeq = sk.rcvNxt;
  sk.urgData = 0;
  tcpWriteQueuePurge(sk);
  sk.finQueued = false;
  sk.finSent = false;
  sk.dport = 0;
  sk.daddr = 0;
  sk.v6Daddr = IN6ADDR_ANY;
  sk.shutdown = 0;
  sk.done = false;
  sk.synSentAt = 0;
  sk.synRetransmits = 0;
  if (!(sk.userlocks & SOCK_BINDADDR_LOCK)) {
    sk.rcvSaddr = 0;
    sk.v6RcvSaddr = IN6ADDR_ANY;
  }
  if (!sk.dead) sockDefErrorReport(k, sk);
  return 0;
}

/**
 * Linux: tcp_close (__tcp_close). Unread data makes it a reset; SO_LINGER {1, 0} a disconnect;
 * otherwise the FIN goes out. Not Linux: the sock is orphaned before the FIN is sent (Linux
 * orphans it after, but processes the peer's ACK later, at __release_sock, so the state
 * machine sees the same order); a lingering close that would have to wait is Unsupported.
 */
function tcpClose(k: Kernel, isk: InetSock, timeout: number): void {
  const sk = isk as TcpSock;
  sk.shutdown = SHUTDOWN_MASK;
  sk.dead = true;
  if (sk.state === 'TCP_LISTEN') {
    tcpSetState(k, sk, 'TCP_CLOSE');
    inetCskListenStop(k, sk);
  } else {
    let unread = 0;
    for (const skb of sk.rcvQueue) unread += skb.data.length;
    unread = Math.min(unread, sk.rcvNxt - sk.copiedSeq - (sk.done ? 1 : 0));
    sk.rcvQueue.length = 0;
    if (sk.state === 'TCP_CLOSE') {
      // Already reset.
    } else if (unread > 0) {
      tcpSetState(k, sk, 'TCP_CLOSE');
      tcpSendActiveReset(k, sk);
    } else if (sockFlag(sk, SOCK_LINGER) && sk.lingertime === 0) {
      tcpDisconnect(k, sk, 0);
    } else if (tcpCloseState(k, sk)) {
      tcpSendFin(k, sk);
    }
    if (
      timeout > 0 &&
      (sk.state === 'TCP_FIN_WAIT1' || sk.state === 'TCP_CLOSING' || sk.state === 'TCP_LAST_ACK')
    )
      throw new Unsupported('close', 'SO_LINGER with a time, when the FIN waits behind unsent data');
  }
  // adjudge_to_death
  if (sk.state === 'TCP_CLOSE') inetCskDestroySock(k, sk);
}

/** Linux: tcp_shutdown — SHUT_WR (or RDWR) sends the FIN on a connected socket. */
function tcpShutdown(k: Kernel, isk: InetSock, how: number): void {
  const sk = isk as TcpSock;
  if (!(how & SEND_SHUTDOWN)) return;
  if (
    sk.state === 'TCP_ESTABLISHED' ||
    sk.state === 'TCP_SYN_SENT' ||
    sk.state === 'TCP_SYN_RECV' ||
    sk.state === 'TCP_CLOSE_WAIT'
  ) {
    if (tcpCloseState(k, sk)) tcpSendFin(k, sk);
  }
}

/** Linux: tcp_prot (and tcpv6_prot: the same calls here). */
const tcpProt: InetProto = {
  name: 'TCP',
  protocol: IPPROTO.IPPROTO_TCP,
  fileType: 'tcp',
  // Linux: tcp_v4_init_sock → tcp_init_sock: sk_sndbuf = tcp_wmem[1], sk_rcvbuf = tcp_rmem[1].
  create(k, family, type) {
    const sk = new TcpSock(k, family, type, IPPROTO.IPPROTO_TCP);
    sk.sndbuf = 16384;
    sk.rcvbuf = 131072;
    return sk;
  },
  getPort: inetCskGetPort,
  close: tcpClose,
  disconnect: (k, sk, flags) => tcpDisconnect(k, sk as TcpSock, flags),
  shutdown: tcpShutdown,
  stateChange: (k, sk) => sockDefWakeup(k, sk),
};

// ---- connect, listen, accept ----

/**
 * Linux: inet_stream_connect (__inet_stream_connect) → tcp_v4_connect / tcp_v6_connect. A
 * non-blocking connect returns EINPROGRESS and is ESTABLISHED (or refused) by the time the call
 * returns: the SYN-ACK waits in the socket's backlog until release_sock, after the decision.
 */
function* tcpStreamConnect(t: Thread, sock: Socket, addr: Sockaddr, nonblock: boolean): SysGen<number> {
  const k = t.k;
  const sk = tcpSk(sock);
  if (addr.family === AF.AF_UNSPEC) {
    const err = tcpDisconnect(k, sk, 0);
    sock.state = err ? 'SS_DISCONNECTING' : 'SS_UNCONNECTED';
    return err;
  }
  let err: number;
  switch (sock.state) {
    case 'SS_CONNECTED':
      return errWhy(k, -EISCONN, '__inet_stream_connect', 'the socket is already connected');
    case 'SS_CONNECTING':
      err = -EALREADY;
      break;
    case 'SS_UNCONNECTED': {
      if (sk.state !== 'TCP_CLOSE')
        return errWhy(k, -EISCONN, '__inet_stream_connect', 'the socket is listening or connected');
      const dest = tcpConnectDest(k, sk, addr);
      if (typeof dest === 'number') return dest;
      const port = (addr as { port: number }).port;
      err = tcpConnectSetup(k, sk, dest, port);
      if (err) return err;
      sock.state = 'SS_CONNECTING';
      sk.synSentAt = k.now;
      sk.synRetransmits = 0;
      tcpSendSyn(k, sk);
      err = -EINPROGRESS;
      break;
    }
    default:
      return errWhy(k, -EINVAL, '__inet_stream_connect', 'the socket is disconnecting');
  }
  if (sk.state === 'TCP_SYN_SENT' || sk.state === 'TCP_SYN_RECV') {
    if (nonblock)
      return errWhy(
        k,
        err,
        '__inet_stream_connect',
        err === -EALREADY ? 'a connect is already in progress' : 'the connection is being set up',
      );
    const w = yield* tcpWaitForConnect(t, sk);
    if (w) return w;
  } else if (nonblock && err === -EINPROGRESS) {
    // Linux: the decision was taken before release_sock ran the SYN-ACK (or the RST).
    return errWhy(k, err, '__inet_stream_connect', 'the handshake completes after the call decides');
  }
  if (sk.state === 'TCP_CLOSE') {
    // Linux: sock_error — "Connection was closed by RST, timeout, ICMP error or another process
    // disconnected us."
    const e = sockError(sk) || -ECONNABORTED;
    sock.state = 'SS_UNCONNECTED';
    if (tcpDisconnect(k, sk, 0)) sock.state = 'SS_DISCONNECTING';
    return errWhy(k, e, '__inet_stream_connect', 'the connection was refused, reset or timed out');
  }
  sock.state = 'SS_CONNECTED';
  return 0;
}

/**
 * Linux: inet_wait_for_connect — sleep while the handshake is under way (the SYN retransmit
 * timer, ./tcp_ipv4.ts, runs meanwhile). Returns 0 when the state has moved on, or −ERESTARTSYS.
 */
function* tcpWaitForConnect(t: Thread, sk: TcpSock): SysGen<number> {
  while (tcpState(sk) === 'TCP_SYN_SENT' || tcpState(sk) === 'TCP_SYN_RECV') {
    const reason = yield* sleepOn(t, sk.wq, 'shared');
    if (tcpState(sk) !== 'TCP_SYN_SENT' && tcpState(sk) !== 'TCP_SYN_RECV') break;
    if (reason === 'signal') return -ERESTARTSYS;
  }
  return 0;
}

/** Linux: inet_listen → inet_csk_listen_start. */
function tcpListen(k: Kernel, sock: Socket, backlog: number): number {
  const sk = tcpSk(sock);
  if (sock.state !== 'SS_UNCONNECTED' || sock.type !== SOCK.SOCK_STREAM)
    return errWhy(k, -EINVAL, 'inet_listen', 'the socket is connected or connecting');
  if (sk.state !== 'TCP_CLOSE' && sk.state !== 'TCP_LISTEN')
    return errWhy(k, -EINVAL, 'inet_listen', 'the socket is not closed or listening');
  sk.maxAckBacklog = backlog;
  if (sk.state === 'TCP_LISTEN') return 0;
  // Linux: inet_csk_listen_start sets TCP_LISTEN before get_port, so the port is checked as a
  // listener's (SO_REUSEADDR no longer shares it); an unbound socket takes an ephemeral port.
  sk.state = 'TCP_LISTEN';
  const err = sk.num ? inetCskGetPort(k, sk, sk.num) : inetAutobind(k, sk);
  if (err) {
    sk.state = 'TCP_CLOSE';
    return sk.num ? err : errWhy(k, -ERRNO.EADDRINUSE, 'inet_csk_listen_start', 'no port is free');
  }
  if (sk.disconnected) {
    // Measured on 6.18 (see TcpSock.disconnected): the port just taken stays taken.
    sk.state = 'TCP_CLOSE';
    return errWhy(k, -EINVAL, 'inet_csk_listen_start', 'the socket was connected before (tcp_disconnect)');
  }
  sk.ackBacklog = 0;
  return 0;
}

/** Linux: inet_accept → inet_csk_accept, then sock_graft. */
function* tcpAccept(t: Thread, sock: Socket, newsock: Socket, nonblock: boolean): SysGen<number> {
  const r = yield* inetCskAccept(t, tcpSk(sock), nonblock);
  if (typeof r === 'number') return r;
  newsock.sk = r;
  newsock.state = 'SS_CONNECTED';
  return 0;
}

// ---- poll ----

/** Linux: tcp_poll (Linux 6.18). */
function tcpPoll(k: Kernel, file: File, sock: Socket, pt: PollTable | null): number {
  const sk = tcpSk(sock);
  pollWait(file, sk.wq, pt);
  k.stats.fopPollCalls++;
  const state = sk.state;
  if (state === 'TCP_LISTEN') return inetCskListenPoll(sk);
  let mask = 0;
  if (sk.shutdown === SHUTDOWN_MASK || state === 'TCP_CLOSE') mask |= EPOLLHUP;
  if (sk.shutdown & RCV_SHUTDOWN) mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
  if (state !== 'TCP_SYN_SENT' && state !== 'TCP_SYN_RECV') {
    let target = sockRcvlowat(sk, false, INT_MAX);
    if (sk.urgData && sk.urgSeq === sk.copiedSeq && !sockFlag(sk, SOCK_URGINLINE)) target++;
    if (tcpEpollinReady(sk, target)) mask |= EPOLLIN | EPOLLRDNORM;
    if (!(sk.shutdown & SEND_SHUTDOWN)) {
      if (skStreamIsWriteable(sk, true)) mask |= EPOLLOUT | EPOLLWRNORM;
      else sk.nospace = true;
    } else mask |= EPOLLOUT | EPOLLWRNORM;
    if (sk.urgData & TCP_URG_VALID) mask |= EPOLLPRI;
  }
  if (sk.err) mask |= EPOLLERR;
  return mask;
}

// ---- sendmsg ----

/** Linux: sk_stream_error — EPIPE takes a pending error first, and raises SIGPIPE. */
function skStreamError(t: Thread, sk: TcpSock, flags: number, err: number): number {
  if (err === -EPIPE) err = sockError(sk) || -EPIPE;
  if (err === -EPIPE && !(flags & MSG.MSG_NOSIGNAL)) sendSigToCurrent(SIG.SIGPIPE, t);
  return err;
}

/** Linux: sk_stream_wait_connect. Returns 0 once connected, or −errno. */
function* skStreamWaitConnect(t: Thread, sk: TcpSock, nonblock: boolean): SysGen<number> {
  for (;;) {
    const err = sockError(sk);
    if (err) return err;
    const state = tcpState(sk);
    if (state === 'TCP_ESTABLISHED' || state === 'TCP_CLOSE_WAIT') return 0;
    if (state !== 'TCP_SYN_SENT' && state !== 'TCP_SYN_RECV') return -EPIPE;
    if (nonblock) return -EAGAIN;
    // Linux: sock_intr_errno with no SO_SNDTIMEO.
    if (t.sigpending) return -ERESTARTSYS;
    yield* sleepOn(t, sk.wq, 'shared');
  }
}

/**
 * Linux: sk_stream_wait_memory — until sk_stream_memory_free, in its order: an error or
 * SEND_SHUTDOWN (EPIPE), no wait allowed (EAGAIN, SOCK_NOSPACE set), a signal. Returns 0 or −errno.
 */
function skStreamWaitMemory(t: Thread, sk: TcpSock, nonblock: boolean): MaySleep<number> {
  if (sk.err || sk.shutdown & SEND_SHUTDOWN) return -EPIPE;
  if (nonblock) {
    sk.nospace = true;
    return -EAGAIN;
  }
  if (t.sigpending) return -ERESTARTSYS;
  if (skStreamMemoryFree(sk, false)) return 0;
  sk.nospace = true;
  // Linux: sk_wait_event, then the checks again (a signal is seen by them: signal_pending).
  return continueAfterSleep(sleepOn(t, sk.wq, 'shared'), () => skStreamWaitMemory(t, sk, nonblock));
}

/** Not Linux: send flags the model does not do. */
const TCP_SEND_UNMODELLED =
  MSG.MSG_MORE | MSG.MSG_EOR | 0x20000000 /* MSG_FASTOPEN */ | 0x4000000 /* MSG_ZEROCOPY */;

/** Linux: tcp_sendmsg (tcp_sendmsg_locked). Returns the bytes queued, or −errno if none were. */
function tcpSendmsg(t: Thread, sock: Socket, msg: Msghdr): MaySleep<number> {
  const sk = tcpSk(sock);
  const flags = msg.flags;
  if (flags & TCP_SEND_UNMODELLED)
    throw new Unsupported('send', 'MSG_MORE, MSG_FASTOPEN, MSG_ZEROCOPY and MSG_EOR on TCP are not modelled');
  if (sk.state !== 'TCP_ESTABLISHED' && sk.state !== 'TCP_CLOSE_WAIT')
    return continueAfterSleep(skStreamWaitConnect(t, sk, msg.dontwait), (err) =>
      err
        ? errWhy(t.k, skStreamError(t, sk, flags, err), 'tcp_sendmsg_locked', 'the socket is not connected')
        : tcpSendConnected(t, sk, msg),
    );
  return tcpSendConnected(t, sk, msg);
}

/** Linux: tcp_sendmsg_locked once connected: the error and shutdown check, then the copy loop. */
function tcpSendConnected(t: Thread, sk: TcpSock, msg: Msghdr): MaySleep<number> {
  if (sk.err || sk.shutdown & SEND_SHUTDOWN)
    return errWhy(
      t.k,
      skStreamError(t, sk, msg.flags, -EPIPE),
      'tcp_sendmsg_locked',
      'the socket is shut down for writing or has an error',
    );
  return tcpSendFrom(t, sk, msg, 0);
}

/**
 * Linux: tcp_sendmsg_locked's copy loop, with `copied` bytes already queued. A plain function
 * until it must wait for memory; the wait and the rest of the send are then its continuation.
 */
function tcpSendFrom(t: Thread, sk: TcpSock, msg: Msghdr, copied: number): MaySleep<number> {
  const k = t.k;
  let err = 0;
  while (copied < msg.len) {
    if (!skStreamMemoryFree(sk, false)) {
      // wait_for_space
      sk.nospace = true;
      if (copied) tcpWriteXmit(k, sk);
      const w = skStreamWaitMemory(t, sk, msg.dontwait);
      if (mustSleep(w)) {
        const from = copied;
        return continueAfterSleep(w, (e) =>
          e ? tcpSendEnd(t, sk, msg, from, e) : tcpSendFrom(t, sk, msg, from),
        );
      }
      err = w;
      if (err) break;
      continue;
    }
    const size = Math.min(msg.len - copied, TCP_SIZE_GOAL);
    const truesize = tcpSkbTruesize(size);
    sk.writeQueue.push({ id: k.nextId(), data: msg.iov.slice(copied, copied + size), sent: 0, truesize });
    sk.wmemQueued += truesize;
    sk.writeSeq += size;
    copied += size;
    // Linux: tcp_mark_urg at tcp_push — the urgent pointer is after the last byte of this send.
    if (msg.flags & MSG.MSG_OOB && copied === msg.len) sk.sndUp = sk.writeSeq;
    tcpWriteXmit(k, sk);
  }
  return tcpSendEnd(t, sk, msg, copied, err);
}

/** Linux: tcp_sendmsg_locked's ending: the bytes queued, or the error (do_error / out_err). */
function tcpSendEnd(t: Thread, sk: TcpSock, msg: Msghdr, copied: number, err: number): number {
  if (copied) return copied;
  if (err === 0) return 0;
  err = skStreamError(t, sk, msg.flags, err);
  // Linux: "make sure we wake any epoll edge trigger waiter".
  if (sk.writeQueue.length === 0 && err === -EAGAIN) sk.writeSpace(t.k);
  return errWhy(t.k, err, 'tcp_sendmsg_locked', 'no room in the send buffer, or the connection failed');
}

// ---- recvmsg ----

/** Linux: tcp_recv_urg — MSG_OOB: the urgent byte, once. */
function tcpRecvUrg(k: Kernel, sk: TcpSock, msg: Msghdr): number {
  if (sockFlag(sk, SOCK_URGINLINE) || !sk.urgData || sk.urgData === TCP_URG_READ)
    return errWhy(k, -EINVAL, 'tcp_recv_urg', 'no urgent byte to read (or SO_OOBINLINE is on)');
  if (sk.state === 'TCP_CLOSE' && !sk.done)
    return errWhy(k, -ENOTCONN, 'tcp_recv_urg', 'the socket is closed');
  if (sk.urgData & TCP_URG_VALID) {
    const c = sk.urgData & 0xff;
    if (!(msg.flags & MSG.MSG_PEEK)) sk.urgData = TCP_URG_READ;
    if (msg.len > 0) {
      if (!(msg.flags & MSG.MSG_TRUNC)) msg.iov[0] = c;
      msg.copied = msg.flags & MSG.MSG_TRUNC ? 0 : 1;
      return 1;
    }
    return 0;
  }
  if (sk.state === 'TCP_CLOSE' || sk.shutdown & RCV_SHUTDOWN) return 0;
  // Linux: "this call should never block, independent of the blocking state of the socket."
  return errWhy(k, -EAGAIN, 'tcp_recv_urg', 'the urgent byte has not arrived yet');
}

/**
 * Linux: tcp_cleanup_rbuf — tell the peer the window opened (tcp_send_ack), so what it holds
 * flows. Not Linux: Linux sends the update only once the window would at least double.
 */
function tcpCleanupRbuf(k: Kernel, sk: TcpSock): void {
  const peer = sk.peer;
  if (peer && peer.writeQueue.length > 0) tcpWriteXmit(k, peer);
  else if (peer?.finQueued && !peer.finSent) tcpWriteXmit(k, peer);
}

/** Linux: tcp_recvmsg (tcp_recvmsg_locked). */
function tcpRecvmsg(t: Thread, sock: Socket, msg: Msghdr): MaySleep<number> {
  const k = t.k;
  const sk = tcpSk(sock);
  const flags = msg.flags;
  if (flags & MSG.MSG_ERRQUEUE) throw new Unsupported('recv', 'MSG_ERRQUEUE on TCP');
  if (sk.state === 'TCP_LISTEN') return errWhy(k, -ENOTCONN, 'tcp_recvmsg_locked', 'the socket is listening');
  if (flags & MSG.MSG_OOB) return tcpRecvUrg(k, sk, msg);
  const target = sockRcvlowat(sk, (flags & MSG.MSG_WAITALL) !== 0, msg.len);
  return tcpRecvFrom(t, sk, msg, target, sk.copiedSeq, 0, 0);
}

/**
 * Linux: tcp_recvmsg_locked's loop, resumed at sequence `seq` (a peek's own, or copied_seq) with
 * `copied` bytes counted and `out` of them copied out. A plain function until it must wait
 * (sk_wait_data); the wait and the rest of the read are then its continuation.
 */
function tcpRecvFrom(
  t: Thread,
  sk: TcpSock,
  msg: Msghdr,
  target: number,
  seq: number,
  copied: number,
  out: number,
): MaySleep<number> {
  const k = t.k;
  const flags = msg.flags;
  const peek = (flags & MSG.MSG_PEEK) !== 0;
  const trunc = (flags & MSG.MSG_TRUNC) !== 0;
  let len = msg.len - copied;
  let err = 0;
  do {
    if (sk.urgData && sk.urgSeq === seq && copied) break;
    // The skb holding `seq`, and where in it.
    const q = sk.rcvQueue;
    let skb: (typeof q)[number] | null = null;
    let offset = 0;
    for (let i = 0; i < q.length; i++) {
      offset = seq - q[i].seq;
      if (offset < q[i].data.length) {
        skb = q[i];
        break;
      }
    }
    if (skb === null && sk.done && seq === sk.rcvNxt - 1) {
      // found_fin_ok: the FIN ends the read, and a read that is no peek takes it (copied_seq).
      if (!peek) sk.copiedSeq = seq + 1;
      break;
    }
    if (skb === null) {
      if (copied >= target) break;
      if (copied) {
        if (msg.dontwait || sk.err || sk.state === 'TCP_CLOSE' || sk.shutdown & RCV_SHUTDOWN || t.sigpending)
          break;
      } else {
        if (sk.done) break;
        if (sk.err) {
          err = sockError(sk);
          errWhy(k, err, 'sock_error', 'a pending socket error (sk_err), taken by this call');
          break;
        }
        if (sk.shutdown & RCV_SHUTDOWN) break;
        if (sk.state === 'TCP_CLOSE') {
          err = errWhy(k, -ENOTCONN, 'tcp_recvmsg_locked', 'the socket was never connected');
          break;
        }
        if (msg.dontwait) {
          err = errWhy(k, -EAGAIN, 'tcp_recvmsg_locked', 'nothing to read and the call does not wait');
          break;
        }
        // Linux: sock_intr_errno with no SO_RCVTIMEO.
        if (t.sigpending) {
          err = -ERESTARTSYS;
          break;
        }
      }
      // sk_wait_data, after tcp_cleanup_rbuf: one sleep; a signal ends it and the loop's checks
      // see it (signal_pending) on the next turn.
      tcpCleanupRbuf(k, sk);
      return continueAfterSleep(sleepOn(t, sk.wq, 'shared'), () =>
        // The do-while's condition, which the loop's `continue` after the wait goes to: a read
        // of nothing (recv of 0 bytes, target 1) ends after one wake-up.
        msg.len - copied <= 0
          ? tcpRecvEnd(k, sk, msg, copied, out, 0)
          : tcpRecvFrom(t, sk, msg, target, seq, copied, out),
      );
    }
    let used = Math.min(skb.data.length - offset, len);
    let off = offset;
    let skip = false;
    if (sk.urgData) {
      const urgOffset = sk.urgSeq - seq;
      if (urgOffset >= 0 && urgOffset < used) {
        if (urgOffset === 0) {
          if (!sockFlag(sk, SOCK_URGINLINE)) {
            seq++;
            if (!peek) sk.copiedSeq = seq;
            off++;
            used--;
            if (!used) skip = true;
          }
        } else used = urgOffset;
      }
    }
    if (!skip) {
      if (!trunc) copyBytes(msg.iov, out, skb.data, off, used);
      if (!trunc) out += used;
      seq += used;
      if (!peek) sk.copiedSeq = seq;
      copied += used;
      len -= used;
    }
    if (sk.urgData && seq > sk.urgSeq) sk.urgData = 0;
    if (off + used < skb.data.length) continue;
    if (!peek) {
      const i = sk.rcvQueue.indexOf(skb);
      if (i >= 0) sk.rcvQueue.splice(i, 1);
    }
  } while (len > 0);
  return tcpRecvEnd(k, sk, msg, copied, out, err);
}

/** Linux: tcp_recvmsg_locked's tail — tcp_cleanup_rbuf(sk, copied) — and tcp_recvmsg's answer. */
function tcpRecvEnd(k: Kernel, sk: TcpSock, msg: Msghdr, copied: number, out: number, err: number): number {
  if (!(msg.flags & MSG.MSG_PEEK)) tcpCleanupRbuf(k, sk);
  msg.copied = out;
  return copied || err;
}

// ---- ioctl, inq ----

/** Linux: tcp_inq — readable bytes, stopping at an urgent byte not inline, less the FIN. */
function tcpInq(sk: TcpSock): number {
  if (sk.state === 'TCP_SYN_SENT' || sk.state === 'TCP_SYN_RECV') return 0;
  if (sockFlag(sk, SOCK_URGINLINE) || !sk.urgData || sk.urgSeq < sk.copiedSeq || sk.urgSeq >= sk.rcvNxt) {
    const answ = sk.rcvNxt - sk.copiedSeq;
    return answ && sk.done ? answ - 1 : answ;
  }
  return sk.urgSeq - sk.copiedSeq;
}

/** Linux: tcp_ioctl(SIOCINQ). */
function tcpIoctlInq(k: Kernel, sock: Socket): number {
  const sk = tcpSk(sock);
  if (sk.state === 'TCP_LISTEN') return errWhy(k, -EINVAL, 'tcp_ioctl', 'the socket is listening');
  return tcpInq(sk);
}

/** Linux: tcp_ioctl — SIOCATMARK and SIOCOUTQ (write_seq − snd_una: unsent and unacked). */
function tcpIoctl(k: Kernel, sock: Socket, cmd: number): number {
  const sk = tcpSk(sock);
  if (cmd === SIOCATMARK) return sk.urgData && sk.urgSeq === sk.copiedSeq ? 1 : 0;
  if (cmd === SIOCOUTQ) {
    if (sk.state === 'TCP_LISTEN') return errWhy(k, -EINVAL, 'tcp_ioctl', 'the socket is listening');
    if (sk.state === 'TCP_SYN_SENT' || sk.state === 'TCP_SYN_RECV') return 0;
    return sk.writeSeq - sk.sndUna;
  }
  return errWhy(k, -ENOTTY, 'tcp_ioctl', 'no such ioctl');
}

/** Linux: tcp_set_rcvlowat — capped at half the most the receive buffer may grow to. */
function tcpSetRcvlowat(k: Kernel, sock: Socket, val: number): number {
  const sk = tcpSk(sock);
  const cap = sk.userlocks & SOCK_RCVBUF_LOCK ? sk.rcvbuf >> 1 : TCP_RMEM_MAX >> 1;
  val = Math.min(val, cap);
  sk.rcvlowat = val || 1;
  // Linux: "Check if we need to signal EPOLLIN right now".
  tcpDataReady(k, sk);
  if (sk.userlocks & SOCK_RCVBUF_LOCK) return 0;
  // Linux: tcp_space_from_win with the default scaling ratio (1/2). Not Linux: the ratio does not
  // follow the traffic.
  const space = val * 2;
  if (space > sk.rcvbuf) sk.rcvbuf = space;
  return 0;
}

// ---- IPPROTO_TCP options ----

/** Linux: do_tcp_setsockopt. */
function tcpSetsockopt(t: Thread, sock: Socket, level: number, name: number, value: number | Linger): number {
  const k = t.k;
  const sk = tcpSk(sock);
  if (level !== IPPROTO.IPPROTO_TCP) return ipSetsockopt(k, sk, level, name, value);
  const val = typeof value === 'number' ? value : value.onoff;
  const inval = (why: string): number => errWhy(k, -EINVAL, 'do_tcp_setsockopt', why);
  switch (name) {
    case TCP_OPT.TCP_NODELAY:
      if (val) {
        sk.nonagle |= TCP_NAGLE_OFF | TCP_NAGLE_PUSH;
        tcpWriteXmit(k, sk);
      } else sk.nonagle &= ~TCP_NAGLE_OFF;
      return 0;
    case TCP_OPT.TCP_CORK:
      if (val) sk.nonagle |= TCP_NAGLE_CORK;
      else {
        sk.nonagle &= ~TCP_NAGLE_CORK;
        if (sk.nonagle & TCP_NAGLE_OFF) sk.nonagle |= TCP_NAGLE_PUSH;
        tcpWriteXmit(k, sk);
      }
      return 0;
    case TCP_OPT.TCP_MAXSEG:
      if (val && (val < TCP_MIN_MSS || val > MAX_TCP_WINDOW)) return inval('TCP_MAXSEG out of range');
      sk.userMss = val;
      return 0;
    case TCP_OPT.TCP_KEEPIDLE:
      if (val < 1 || val > MAX_TCP_KEEPIDLE) return inval('TCP_KEEPIDLE out of range');
      sk.keepaliveTime = val;
      return 0;
    case TCP_OPT.TCP_KEEPINTVL:
      if (val < 1 || val > MAX_TCP_KEEPINTVL) return inval('TCP_KEEPINTVL out of range');
      sk.keepaliveIntvl = val;
      return 0;
    case TCP_OPT.TCP_KEEPCNT:
      if (val < 1 || val > MAX_TCP_KEEPCNT) return inval('TCP_KEEPCNT out of range');
      sk.keepaliveProbes = val;
      return 0;
    case TCP_OPT.TCP_LINGER2:
      sk.linger2 = val < 0 ? -1 : Math.min(val, TCP_FIN_TIMEOUT_MAX_SEC);
      return 0;
    case TCP_OPT.TCP_SYNCNT:
      if (val < 1 || val > MAX_TCP_SYNCNT) return inval('TCP_SYNCNT out of range');
      sk.synRetries = val;
      return 0;
    case TCP_OPT.TCP_NOTSENT_LOWAT:
      sk.notsentLowat = val >>> 0;
      sk.writeSpace(k);
      return 0;
    default:
      if (name > 0 && name <= TCP_LINUX_MAX)
        throw new Unsupported('setsockopt', `IPPROTO_TCP option ${name} is not modelled`);
      return errWhy(k, -ENOPROTOOPT, 'do_tcp_setsockopt', 'no such IPPROTO_TCP option');
  }
}

/** Linux: do_tcp_getsockopt. */
function tcpGetsockopt(
  t: Thread,
  sock: Socket,
  level: number,
  name: number,
): { value: SockoptValue } | number {
  const k = t.k;
  const sk = tcpSk(sock);
  if (level !== IPPROTO.IPPROTO_TCP) return ipGetsockopt(k, sk, level, name);
  const int = (v: number): { value: number } => ({ value: v });
  switch (name) {
    case TCP_OPT.TCP_NODELAY:
      return int(sk.nonagle & TCP_NAGLE_OFF ? 1 : 0);
    case TCP_OPT.TCP_CORK:
      return int(sk.nonagle & TCP_NAGLE_CORK ? 1 : 0);
    case TCP_OPT.TCP_MAXSEG:
      return int(
        sk.userMss && (sk.state === 'TCP_CLOSE' || sk.state === 'TCP_LISTEN') ? sk.userMss : sk.mssCache,
      );
    case TCP_OPT.TCP_KEEPIDLE:
      return int(sk.keepaliveTime || 7200);
    case TCP_OPT.TCP_KEEPINTVL:
      return int(sk.keepaliveIntvl || 75);
    case TCP_OPT.TCP_KEEPCNT:
      return int(sk.keepaliveProbes || 9);
    case TCP_OPT.TCP_LINGER2:
      return int(sk.linger2 >= 0 ? sk.linger2 || TCP_FIN_TIMEOUT_SEC : -1);
    case TCP_OPT.TCP_NOTSENT_LOWAT:
      return int(sk.notsentLowat);
    case TCP_OPT.TCP_SYNCNT:
      // Linux: icsk_syn_retries ? : net.ipv4.tcp_syn_retries.
      return int(sk.synRetries || 6);
    default:
      if (name > 0 && name <= TCP_LINUX_MAX)
        throw new Unsupported('getsockopt', `IPPROTO_TCP option ${name} is not modelled`);
      return errWhy(k, -ENOPROTOOPT, 'do_tcp_getsockopt', 'no such IPPROTO_TCP option');
  }
}

// ---- registration ----

/** Linux: inet_stream_ops / inet6_stream_ops. */
function tcpStreamOps(family: typeof AF.AF_INET | typeof AF.AF_INET6): ProtoOps {
  return protoOps({
    ...inetCommonOps(family),
    connect: tcpStreamConnect,
    accept: tcpAccept,
    poll: tcpPoll,
    inq: tcpIoctlInq,
    listen: tcpListen,
    setRcvlowat: tcpSetRcvlowat,
    ioctl: tcpIoctl,
    setsockopt: tcpSetsockopt,
    getsockopt: tcpGetsockopt,
    sendmsg: tcpSendmsg,
    recvmsg: tcpRecvmsg,
  });
}

// Linux: inet_init → inet_register_protosw(tcp entry); inet6_init likewise for tcpv6_prot.
inetRegisterProtosw({
  type: SOCK.SOCK_STREAM,
  protocol: IPPROTO.IPPROTO_TCP,
  prot: tcpProt,
  ops: { [AF.AF_INET]: tcpStreamOps(AF.AF_INET), [AF.AF_INET6]: tcpStreamOps(AF.AF_INET6) },
});

/** The TCP sock of a socket, for tests (null if it is none). */
export function tcpSockOf(sock: Socket): TcpSock | null {
  return sock.sk instanceof TcpSock ? sock.sk : null;
}
