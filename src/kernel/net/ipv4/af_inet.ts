// The internet families (Linux: net/ipv4/af_inet.c and net/ipv6/af_inet6.c): socket creation by
// type and protocol (inetsw), bind, getsockname/getpeername, shutdown, close and autobind — what
// TCP and UDP share. A protocol registers itself with `inetRegisterProtosw`, giving its struct
// proto (`InetProto`: what the generic code calls down to) and its proto_ops for each family,
// built on `inetCommonOps`.
//
// Only TCP and UDP exist. A socket of another internet type or protocol (raw, ICMP, SCTP, MPTCP:
// built in or loaded as modules, which varies by host) is Unsupported.

import { AF, IPPROTO, IPPROTO_MAX, SOCK } from '../../../abi/constants.ts';
import {
  INADDR_ANY,
  isV4Mapped,
  type Sockaddr,
  type SockaddrIn,
  type SockaddrIn6,
  v4FromMapped,
} from '../../../api/sockaddr.ts';
import { Unsupported } from '../../../api/syscalls.ts';
import { ERRNO, errWhy } from '../../errors.ts';
import type { FileType } from '../../file.ts';
import type { Kernel } from '../../kernel.ts';
import {
  RCV_SHUTDOWN,
  SHUTDOWN_MASK,
  SOCK_BINDADDR_LOCK,
  SOCK_BINDPORT_LOCK,
  SOCK_LINGER,
  type Sock,
  sockFlag,
  sockNoSupport,
} from '../sock.ts';
import { type ProtoOps, type Socket, sockRegister } from '../socket.ts';
import {
  IN6ADDR_LOOPBACK,
  type InetSock,
  in6Equal,
  in6IsAny,
  inetAddrLocal,
  inetLocalAddr,
  inetPeerAddr,
  LOOPBACK4_IPV6,
} from './inet_sock.ts';

const { EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN, EINVAL, ENOTCONN, EPROTONOSUPPORT } = ERRNO;

/**
 * Linux: struct proto — what the generic internet code calls in the protocol. `close` and
 * `disconnect` never sleep in the model: on a quiet loopback the peer answers inside the call.
 */
export interface InetProto {
  /** Linux: proto.name ("TCP", "UDP"); the v6 variants share it. */
  readonly name: 'TCP' | 'UDP';
  readonly protocol: number;
  /** The file type the protocol's sockets have. */
  readonly fileType: FileType;
  /** Linux: sk_alloc + sk_prot->init — a new sock of this protocol for `family`. */
  create(k: Kernel, family: number, type: number): InetSock;
  /** Linux: sk_prot->get_port — take port `snum` (0: any free one), or −errno. */
  getPort(k: Kernel, sk: InetSock, snum: number): number;
  /** Linux: sk_prot->close (timeout: SO_LINGER's seconds, 0 without it). */
  close(k: Kernel, sk: InetSock, timeout: number): void;
  /** Linux: sk_prot->disconnect. */
  disconnect(k: Kernel, sk: InetSock, flags: number): number;
  /** Linux: sk_prot->rehash — the bound address changed (a datagram connect); absent: nothing to do. */
  rehash?(k: Kernel, sk: InetSock): void;
  /** Linux: sk_prot->shutdown (TCP sends its FIN here); absent: nothing to do. */
  shutdown?(k: Kernel, sk: InetSock, how: number): void;
  /** Linux: sk->sk_state_change — sock_def_wakeup for UDP; TCP's own for TCP. */
  stateChange(k: Kernel, sk: InetSock): void;
}

/** Linux: struct inet_protosw — a (type, protocol) pair and what implements it. */
export interface InetProtosw {
  readonly type: number;
  readonly protocol: number;
  readonly prot: InetProto;
  /** The proto_ops for AF_INET (inet_stream_ops …) and for AF_INET6 (inet6_stream_ops …). */
  readonly ops: Readonly<Record<typeof AF.AF_INET | typeof AF.AF_INET6, ProtoOps>>;
}

/** Linux: inetsw[] / inetsw6[], by type. */
const inetsw: InetProtosw[] = [];

/** Linux: inet_register_protosw (and inet6_register_protosw: one table serves both families here). */
export function inetRegisterProtosw(p: InetProtosw): void {
  inetsw.push(p);
}

/** The sock of an internet socket. */
export const inetSk = (sock: Socket): InetSock => sock.sk as InetSock;

/** Linux: sk->sk_prot. */
export const inetProt = (sk: Sock): InetProto => (sk as InetSock).prot;

/** Linux: inet_create / inet6_create — the protocol lookup in inetsw, then sk_alloc and init. */
function inetCreate(k: Kernel, sock: Socket, protocol: number, family: number): number {
  const fn = family === AF.AF_INET ? 'inet_create' : 'inet6_create';
  if (protocol < 0 || protocol >= IPPROTO_MAX)
    return errWhy(k, -EINVAL, fn, 'protocol out of range (IPPROTO_MAX)');
  const known = sock.type === SOCK.SOCK_STREAM || sock.type === SOCK.SOCK_DGRAM;
  const mine = sock.type === SOCK.SOCK_STREAM ? IPPROTO.IPPROTO_TCP : IPPROTO.IPPROTO_UDP;
  const other = sock.type === SOCK.SOCK_STREAM ? IPPROTO.IPPROTO_UDP : IPPROTO.IPPROTO_TCP;
  if (!known || (protocol !== 0 && protocol !== mine && protocol !== other))
    throw new Unsupported(
      'socket',
      `address family ${family === AF.AF_INET ? 'AF_INET' : 'AF_INET6'} type ${sock.type} protocol ${protocol} (only TCP and UDP are modelled)`,
    );
  // Linux: the wildcard protocol 0 takes the type's protocol; TCP for a datagram socket (or UDP
  // for a stream one) matches no inetsw entry.
  if (protocol === other)
    return errWhy(
      k,
      -EPROTONOSUPPORT,
      fn,
      `${protocol === IPPROTO.IPPROTO_TCP ? 'TCP' : 'UDP'} is not of this socket type`,
    );
  const answer = inetsw.find((p) => p.type === sock.type && p.protocol === mine);
  if (!answer)
    throw new Unsupported('socket', `${mine === IPPROTO.IPPROTO_TCP ? 'TCP' : 'UDP'} is not modelled yet`);
  sock.ops = answer.ops[family as typeof AF.AF_INET];
  const sk = answer.prot.create(k, family, sock.type);
  sk.prot = answer.prot;
  sock.sk = sk;
  return 0;
}

// ---- bind ----

/** Linux: inet_addr_type's answer for the model's one interface: local, broadcast, multicast or none. */
function inetAddrType(a: number): 'local' | 'broadcast' | 'multicast' | 'unicast' {
  if (a === 0xffffffff || a === 0x7fffffff) return 'broadcast';
  if (a >>> 28 === 0xe) return 'multicast';
  return inetAddrLocal(a) ? 'local' : 'unicast';
}

/** Linux: inet_addr_valid_or_nonlocal (no IP_FREEBIND / IP_TRANSPARENT in the model). */
function inetAddrValid(a: number): boolean {
  return a === INADDR_ANY || inetAddrType(a) !== 'unicast';
}

/** Linux: inet_bind_sk → __inet_bind. */
function inetBind(k: Kernel, sock: Socket, addr: Sockaddr): number {
  const sk = inetSk(sock);
  let sin: SockaddrIn;
  if (addr.family === AF.AF_INET) sin = addr;
  // Linux: "Compatibility games: accept AF_UNSPEC (mapped to AF_INET) only if s_addr is
  // INADDR_ANY" — the format's AF_UNSPEC is a zeroed struct sockaddr.
  else if (addr.family === AF.AF_UNSPEC) sin = { family: AF.AF_INET, addr: INADDR_ANY, port: 0 };
  else return bindWrongFamily(k, 'inet_bind_sk', addr, 16);
  if (!inetAddrValid(sin.addr))
    return errWhy(
      k,
      -EADDRNOTAVAIL,
      '__inet_bind',
      'the address is not one of this host (only loopback is up)',
    );
  if (sk.state !== 'TCP_CLOSE' || sk.num)
    return errWhy(k, -EINVAL, '__inet_bind', 'the socket is already bound or connected');
  sk.rcvSaddr = sin.addr;
  const err = inetProt(sk).getPort(k, sk, sin.port);
  if (err) {
    sk.rcvSaddr = INADDR_ANY;
    return err;
  }
  if (sk.rcvSaddr) sk.userlocks |= SOCK_BINDADDR_LOCK;
  if (sin.port) sk.userlocks |= SOCK_BINDPORT_LOCK;
  sk.daddr = INADDR_ANY;
  sk.dport = 0;
  return 0;
}

/**
 * An address of another family given to bind. Linux checks the length first (EINVAL below
 * sizeof(sockaddr_in) or SIN6_LEN_RFC2133), then the family (EAFNOSUPPORT). An abstract AF_UNIX
 * name's length depends on the name, and the Linux backend lengthens it with its private prefix,
 * so that question is Unsupported; an unnamed one is 2 bytes.
 */
function bindWrongFamily(k: Kernel, fn: string, addr: Sockaddr, minLen: number): number {
  if (addr.family === AF.AF_UNIX) {
    if (addr.name !== null) throw new Unsupported('bind', 'an AF_UNIX name given to an internet socket');
    return errWhy(k, -EINVAL, fn, 'the address is shorter than the family needs');
  }
  const len = addr.family === AF.AF_INET ? 16 : addr.family === AF.AF_INET6 ? 28 : 16;
  if (len < minLen) return errWhy(k, -EINVAL, fn, 'the address is shorter than the family needs');
  return errWhy(k, -EAFNOSUPPORT, fn, "the address is not of the socket's family");
}

/**
 * Linux: __ipv6_addr_needs_scope_id(ipv6_addr_type(a)) — link-local unicast (fe80::/10), and
 * multicast of interface-local (1) or link-local (2) scope, which ipv6_addr_type reports as
 * IPV6_ADDR_LOOPBACK and IPV6_ADDR_LINKLOCAL.
 */
function ipv6AddrNeedsScopeId(a: Uint8Array): boolean {
  if (a[0] === 0xfe && (a[1] & 0xc0) === 0x80) return true;
  if (a[0] === 0xff) {
    const scope = a[1] & 0x0f;
    return scope === 1 || scope === 2;
  }
  return false;
}

/** Linux: inet6_bind → __inet6_bind. */
function inet6Bind(k: Kernel, sock: Socket, addr: Sockaddr): number {
  const sk = inetSk(sock);
  // Linux: SIN6_LEN_RFC2133 (24) is the least inet6_bind reads; then the family must be AF_INET6.
  if (addr.family !== AF.AF_INET6) return bindWrongFamily(k, 'inet6_bind', addr, 24);
  const sin6: SockaddrIn6 = addr;
  const mapped = isV4Mapped(sin6.addr);
  const any = in6IsAny(sin6.addr);
  if (sin6.addr[0] === 0xff && sk.type === SOCK.SOCK_STREAM)
    return errWhy(k, -EINVAL, '__inet6_bind', 'a stream socket cannot bind a multicast address');
  if (sk.state !== 'TCP_CLOSE' || sk.num)
    return errWhy(k, -EINVAL, '__inet6_bind', 'the socket is already bound or connected');
  let v4 = INADDR_ANY;
  if (mapped) {
    if (sk.ipv6only)
      return errWhy(k, -EINVAL, '__inet6_bind', 'a v4-mapped address on an IPV6_V6ONLY socket');
    v4 = v4FromMapped(sin6.addr);
    if (!inetAddrValid(v4))
      return errWhy(k, -EADDRNOTAVAIL, '__inet6_bind', 'the IPv4 address is not one of this host');
  } else if (!any) {
    // Linux: "Binding to link-local address requires an interface" — the address form carries no
    // sin6_scope_id and the model has no SO_BINDTODEVICE, so sk_bound_dev_if is always 0 here.
    if (ipv6AddrNeedsScopeId(sin6.addr))
      return errWhy(k, -EINVAL, '__inet6_bind', 'a link-local address needs an interface (no sin6_scope_id)');
    // Linux: "ipv4 addr of the socket is invalid. Only the unspecified and mapped address have a
    // v4 equivalent."
    v4 = LOOPBACK4_IPV6;
    if (sin6.addr[0] !== 0xff && !in6Equal(sin6.addr, IN6ADDR_LOOPBACK))
      return errWhy(
        k,
        -EADDRNOTAVAIL,
        '__inet6_bind',
        'the address is not one of this host (only ::1 is up)',
      );
  }
  sk.rcvSaddr = v4;
  sk.v6RcvSaddr = sin6.addr;
  const savedIpv6only = sk.ipv6only;
  // Linux: a socket bound to a real IPv6 address can only ever talk IPv6.
  if (!any && !mapped) sk.ipv6only = true;
  const err = inetProt(sk).getPort(k, sk, sin6.port);
  if (err) {
    sk.ipv6only = savedIpv6only;
    sk.rcvSaddr = INADDR_ANY;
    sk.v6RcvSaddr = new Uint8Array(16);
    return err;
  }
  if (!any) sk.userlocks |= SOCK_BINDADDR_LOCK;
  if (sin6.port) sk.userlocks |= SOCK_BINDPORT_LOCK;
  sk.daddr = INADDR_ANY;
  sk.dport = 0;
  return 0;
}

/** Linux: inet_autobind — an unbound socket takes an ephemeral port (EAGAIN if none is free). */
export function inetAutobind(k: Kernel, sk: InetSock): number {
  if (sk.num) return 0;
  if (inetProt(sk).getPort(k, sk, 0)) return errWhy(k, -EAGAIN, 'inet_autobind', 'no ephemeral port is free');
  return 0;
}

// ---- names ----

/**
 * Linux: inet_getname / inet6_getname. The peer's name needs a peer (ENOTCONN): a connected
 * socket not in SYN_SENT, nor closed after a FIN from both ends (TCPF_CLOSE, TCPF_SYN_SENT).
 */
function inetGetname(k: Kernel, sock: Socket, peer: boolean): Sockaddr | number {
  const sk = inetSk(sock);
  if (!peer) return inetLocalAddr(sk);
  if (!sk.dport || sk.state === 'TCP_CLOSE' || sk.state === 'TCP_SYN_SENT')
    return errWhy(k, -ENOTCONN, 'inet_getname', 'the socket has no peer');
  return inetPeerAddr(sk);
}

// ---- shutdown and close ----

/** Linux: inet_shutdown. */
function inetShutdown(k: Kernel, sock: Socket, how: number): number {
  const sk = inetSk(sock);
  const prot = inetProt(sk);
  // Linux: "maps 0->1 has the advantage of making bit 1 rcvs and 1->2 bit 2 snds. 2->3".
  const mask = (how + 1) | 0;
  if (mask & ~SHUTDOWN_MASK || !mask)
    return errWhy(k, -EINVAL, 'inet_shutdown', 'how is not SHUT_RD, SHUT_WR or SHUT_RDWR');
  if (sock.state === 'SS_CONNECTING')
    sock.state =
      sk.state === 'TCP_SYN_SENT' || sk.state === 'TCP_SYN_RECV' || sk.state === 'TCP_CLOSE'
        ? 'SS_DISCONNECTING'
        : 'SS_CONNECTED';
  let err = 0;
  switch (sk.state) {
    case 'TCP_LISTEN':
      if (!(mask & RCV_SHUTDOWN)) break;
      err = prot.disconnect(k, sk, 0);
      sock.state = err ? 'SS_DISCONNECTING' : 'SS_UNCONNECTED';
      break;
    case 'TCP_SYN_SENT':
      err = prot.disconnect(k, sk, 0);
      sock.state = err ? 'SS_DISCONNECTING' : 'SS_UNCONNECTED';
      break;
    default:
      // Linux: TCP_CLOSE is ENOTCONN, but the shutdown bits are still set, "to wake up other
      // listeners, who can poll for EPOLLHUP, even on eg. unconnected UDP sockets".
      if (sk.state === 'TCP_CLOSE')
        err = errWhy(
          k,
          -ENOTCONN,
          'inet_shutdown',
          'the socket is not connected (its shutdown bits are set all the same)',
        );
      sk.shutdown |= mask;
      prot.shutdown?.(k, sk, mask);
  }
  // Linux: "Wake up anyone sleeping in poll."
  prot.stateChange(k, sk);
  return err;
}

/** Linux: inet_release → sk_prot->close, with SO_LINGER's time when it is on. */
function inetRelease(k: Kernel, sock: Socket): void {
  const sk = inetSk(sock);
  inetProt(sk).close(k, sk, sockFlag(sk, SOCK_LINGER) ? sk.lingertime : 0);
}

/**
 * The proto_ops entries every internet socket shares (Linux: inet_stream_ops and inet_dgram_ops
 * and their v6 twins point at the same functions for these). A protocol adds connect, accept,
 * listen, poll, sendmsg, recvmsg, inq, ioctl and its option levels.
 */
export function inetCommonOps(family: typeof AF.AF_INET | typeof AF.AF_INET6) {
  return {
    family,
    release: inetRelease,
    bind: family === AF.AF_INET ? inetBind : inet6Bind,
    getname: inetGetname,
    shutdown: inetShutdown,
    // Linux: sock_no_socketpair.
    socketpair: sockNoSupport,
  } satisfies Partial<ProtoOps>;
}

for (const family of [AF.AF_INET, AF.AF_INET6] as const) {
  // Linux: inet_init → sock_register(&inet_family_ops); inet6_init → sock_register(&inet6_family_ops).
  sockRegister({
    family,
    fileType: (sk) => inetProt(sk).fileType,
    create: (k, sock, protocol) => inetCreate(k, sock, protocol, family),
    diag: (sk) => (sk as InetSock).diag(),
  });
}
