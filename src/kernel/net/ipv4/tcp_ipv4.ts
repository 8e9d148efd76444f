// Connecting (Linux: net/ipv4/tcp_ipv4.c's tcp_v4_connect, net/ipv6/tcp_ipv6.c's tcp_v6_connect,
// inet_hashtables.c's listener lookup and inet_hash_connect): the route to a loopback address,
// the source address and port, and the three-way handshake over the wire.
//
// The handshake, as it runs on one CPU over loopback: the SYN reaches the listener at once; if
// its accept queue is full (sk_acceptq_is_full) the SYN is dropped and the client stays in
// SYN_SENT to retransmit; with no listener, an RST comes back (ECONNREFUSED). Otherwise the
// listener answers SYN-ACK, the client (whose socket lock the connect call holds: the segment
// waits in its backlog until release_sock) becomes ESTABLISHED and ACKs, and the listener's
// child joins the accept queue: sk_data_ready on the listener. IPv6 sockets talk to IPv4
// listeners through v4-mapped addresses.

import { AF } from '../../../abi/constants.ts';
import { INADDR_ANY, isV4Mapped, mappedFromV4, type Sockaddr, v4FromMapped } from '../../../api/sockaddr.ts';
import { Unsupported } from '../../../api/syscalls.ts';
import { ERRNO, errWhy } from '../../errors.ts';
import type { Kernel } from '../../kernel.ts';
import { SOCK_BINDPORT_LOCK, SOCK_SNDBUF_LOCK, sockDefReadable, sockDefWakeup } from '../sock.ts';
import { skAcceptqIsFull, twReaper } from './inet_connection_sock.ts';
import { inetBindHash, inetFindOpenPort, portOwners } from './inet_hashtables.ts';
import {
  IN6ADDR_LOOPBACK,
  in6Equal,
  in6IsAny,
  inetAddrLocal,
  ipv6OnlySock,
  LOOPBACK4_IPV6,
} from './inet_sock.ts';
import { tcpDoneWithError, tcpReset, tcpSetState } from './tcp_input.ts';
import { TcpSock } from './tcp_sock.ts';

const { EADDRNOTAVAIL, EAFNOSUPPORT, EINVAL, ENETUNREACH } = ERRNO;

const INADDR_LOOPBACK = 0x7f000001;
/** Linux: net.ipv4.tcp_wmem[2], the most tcp_sndbuf_expand gives. */
const TCP_WMEM_MAX = 4194304;
/**
 * sk_sndbuf after tcp_init_transfer's tcp_sndbuf_expand on a loopback connection, measured on
 * 6.18 (both ends): 2 × max(TCP_INIT_CWND, …) segments of roundup_pow_of_two(MSS + headers) +
 * sk_buff. Not derived here: the congestion window and MSS it rests on are not modelled.
 */
const TCP_LOOPBACK_SNDBUF = 3939840;
/**
 * mss_cache once connected over loopback (MTU 65536), measured on 6.18: the client's is bounded
 * by half the peer's first window (tcp_bound_to_half_wnd: 32741 over IPv4 or v4-mapped, 32732
 * over IPv6, whose header is 20 bytes longer), the accepted socket's is 32768. With TCP_MAXSEG
 * on the client or the listener before connecting, both ends use the smaller less the 12 bytes
 * of the timestamp option (1000 → 988; measured for each side).
 */
const TCP_LOOPBACK_MSS_CLIENT = 32741;
const TCP_LOOPBACK_MSS_CLIENT_V6 = 32732;
const TCP_LOOPBACK_MSS_CHILD = 32768;
const TCPOLEN_TSTAMP_ALIGNED = 12;

/** Where a connect goes: an IPv4 address (for a v4 or a v4-mapped connection) or IPv6 ::1. */
type Dest = { v4: true; addr: number } | { v4: false; addr: Uint8Array };

/**
 * Linux: tcp_v4_connect / tcp_v6_connect's address checks and route: the destination, or
 * −errno. Only loopback destinations are routable in the model.
 */
export function tcpConnectDest(k: Kernel, sk: TcpSock, addr: Sockaddr): Dest | number {
  if (sk.family === AF.AF_INET) {
    if (addr.family === AF.AF_INET6)
      return errWhy(k, -EAFNOSUPPORT, 'tcp_v4_connect', 'an IPv6 address given to an IPv4 socket');
    if (addr.family !== AF.AF_INET)
      return errWhy(k, -EINVAL, 'tcp_v4_connect', 'the address is shorter than sockaddr_in');
    return v4Dest(k, addr.addr);
  }
  if (addr.family !== AF.AF_INET6)
    return errWhy(
      k,
      addr.family === AF.AF_INET || addr.family === AF.AF_UNIX ? -EINVAL : -EAFNOSUPPORT,
      'tcp_v6_connect',
      addr.family === AF.AF_INET ? 'the address is shorter than SIN6_LEN_RFC2133' : 'not an IPv6 address',
    );
  const a = addr.addr;
  if (isV4Mapped(a)) {
    if (ipv6OnlySock(sk))
      return errWhy(k, -ENETUNREACH, 'tcp_v6_connect', 'a v4-mapped address on an IPV6_V6ONLY socket');
    return v4Dest(k, v4FromMapped(a));
  }
  // Checked on 6.18: a socket bound to a v4-mapped address cannot reach an IPv6 one.
  if (isV4Mapped(sk.v6RcvSaddr))
    return errWhy(k, -EAFNOSUPPORT, 'tcp_v6_connect', 'the socket is bound to a v4-mapped address');
  // Linux: "connect() to INADDR_ANY means loopback (BSD'ism)."
  if (in6IsAny(a)) return { v4: false, addr: IN6ADDR_LOOPBACK };
  if (!in6Equal(a, IN6ADDR_LOOPBACK))
    throw new Unsupported('connect', 'an IPv6 destination other than ::1 (only loopback is modelled)');
  return { v4: false, addr: a };
}

function v4Dest(k: Kernel, a: number): Dest | number {
  // Linux: ip_route_connect with daddr 0 routes to the loopback.
  if (a === INADDR_ANY) return { v4: true, addr: INADDR_LOOPBACK };
  if (a >>> 28 === 0xe || a === 0xffffffff)
    return errWhy(k, -ENETUNREACH, 'tcp_v4_connect', 'a multicast or broadcast destination');
  if (!inetAddrLocal(a))
    throw new Unsupported('connect', 'a destination off the loopback (only 127.0.0.0/8 is modelled)');
  return { v4: true, addr: a };
}

/**
 * Linux: the connect's source address (the route's, 127.0.0.1 or ::1, unless bound), the peer,
 * and inet_hash_connect's port. Not Linux: an ephemeral port is one nobody holds (Linux may
 * share one between connections to different peers). Returns 0 or −errno.
 */
export function tcpConnectSetup(k: Kernel, sk: TcpSock, dest: Dest, dport: number): number {
  if (dest.v4) {
    if (sk.rcvSaddr === INADDR_ANY) {
      sk.rcvSaddr = INADDR_LOOPBACK;
      if (sk.family === AF.AF_INET6) sk.v6RcvSaddr = mappedFromV4(INADDR_LOOPBACK);
    }
    sk.daddr = dest.addr;
    if (sk.family === AF.AF_INET6) sk.v6Daddr = mappedFromV4(dest.addr);
  } else {
    if (in6IsAny(sk.v6RcvSaddr)) {
      sk.v6RcvSaddr = IN6ADDR_LOOPBACK;
      sk.rcvSaddr = LOOPBACK4_IPV6;
    }
    sk.v6Daddr = dest.addr;
    sk.daddr = LOOPBACK4_IPV6;
  }
  sk.dport = dport;
  if (!sk.num) {
    twReaper.reap(k);
    const port = inetFindOpenPort(k, 'tcp', false, (p) => portOwners(k, 'tcp', p).length > 0);
    if (!port) {
      // Linux: tcp_v4_connect's failure path forgets the peer.
      sk.dport = 0;
      sk.daddr = INADDR_ANY;
      sk.v6Daddr = new Uint8Array(16);
      return errWhy(k, -EADDRNOTAVAIL, '__inet_hash_connect', 'no ephemeral port is free');
    }
    inetBindHash(k, 'tcp', sk, port);
  }
  if (tcpConnectSelf(sk))
    throw new Unsupported(
      'connect',
      'a TCP socket connecting to its own address and port (simultaneous open)',
    );
  tcpSetState(k, sk, 'TCP_SYN_SENT');
  return 0;
}

function tcpConnectSelf(sk: TcpSock): boolean {
  if (sk.dport !== sk.num) return false;
  return sk.family === AF.AF_INET6 && !isV4Mapped(sk.v6Daddr)
    ? in6Equal(sk.v6Daddr, sk.v6RcvSaddr)
    : sk.daddr === sk.rcvSaddr;
}

/**
 * Linux: __inet_lookup_listener / inet6_lookup_listener — the listener for a SYN to the client's
 * peer address: one bound to that exact address first, then one bound to the wildcard; for IPv4,
 * an AF_INET listener scores above an AF_INET6 one (compute_score). Not Linux: several equally
 * good listeners (an SO_REUSEPORT group) are Unsupported — Linux picks one by a hash of the
 * 4-tuple.
 */
export function tcpLookupListener(k: Kernel, client: TcpSock): TcpSock | null {
  const v6 = client.family === AF.AF_INET6 && !isV4Mapped(client.v6Daddr);
  const listeners = portOwners(k, 'tcp', client.dport).filter(
    (s): s is TcpSock => s instanceof TcpSock && s.state === 'TCP_LISTEN',
  );
  for (const exact of [true, false]) {
    let best: TcpSock[] = [];
    let bestScore = 0;
    for (const l of listeners) {
      let score = 0;
      if (v6) {
        if (l.family !== AF.AF_INET6) continue;
        const match = exact ? in6Equal(l.v6RcvSaddr, client.v6Daddr) : in6IsAny(l.v6RcvSaddr);
        if (match) score = 1;
      } else {
        if (ipv6OnlySock(l)) continue;
        const match = exact ? l.rcvSaddr === client.daddr : l.rcvSaddr === INADDR_ANY;
        if (match) score = l.family === AF.AF_INET ? 2 : 1;
      }
      if (score > bestScore) {
        best = [l];
        bestScore = score;
      } else if (score > 0 && score === bestScore) best.push(l);
    }
    if (best.length > 1)
      throw new Unsupported('connect', 'several SO_REUSEPORT listeners match (Linux picks one by a hash)');
    if (best.length === 1) return best[0]!;
  }
  return null;
}

/**
 * Linux: tcp_create_openreq_child (sk_clone_lock of the listener) with the addresses of the SYN.
 * The child takes the listener's options and its port (inet_inherit_port).
 */
function tcpCreateOpenreqChild(k: Kernel, l: TcpSock, client: TcpSock): TcpSock {
  const c = new TcpSock(k, l.family, l.type, l.protocol);
  c.prot = l.prot;
  c.reuse = l.reuse;
  c.reuseport = l.reuseport;
  c.sndbuf = l.sndbuf;
  c.rcvbuf = l.rcvbuf;
  // Measured on 6.18 (a child of a listener bound to 127.0.0.1:port, disconnected by
  // connect(AF_UNSPEC)): it keeps the address but lets the port go, as if SOCK_BINDPORT_LOCK
  // were not inherited; the model inherits every other lock.
  c.userlocks = l.userlocks & ~SOCK_BINDPORT_LOCK;
  c.rcvlowat = l.rcvlowat;
  c.flags = l.flags;
  c.lingertime = l.lingertime;
  c.priority = l.priority;
  c.ipv6only = l.ipv6only;
  c.nonagle = l.nonagle;
  c.userMss = l.userMss;
  c.keepaliveTime = l.keepaliveTime;
  c.keepaliveIntvl = l.keepaliveIntvl;
  c.keepaliveProbes = l.keepaliveProbes;
  c.linger2 = l.linger2;
  c.notsentLowat = l.notsentLowat;
  c.synRetries = l.synRetries;
  // The SYN's addresses, reversed.
  c.rcvSaddr = client.daddr;
  c.daddr = client.rcvSaddr;
  c.dport = client.num;
  if (c.family === AF.AF_INET6) {
    const v4 = client.family === AF.AF_INET || isV4Mapped(client.v6Daddr);
    c.v6RcvSaddr = v4 ? mappedFromV4(client.daddr) : client.v6Daddr;
    c.v6Daddr = v4 ? mappedFromV4(client.rcvSaddr) : client.v6RcvSaddr;
  }
  inetBindHash(k, 'tcp', c, l.num);
  return c;
}

/** Linux: tcp_init_transfer → tcp_init_buffer_space → tcp_sndbuf_expand (unless SO_SNDBUF set). */
function tcpInitTransfer(sk: TcpSock, mss: number): void {
  sk.mssCache = mss;
  if (!(sk.userlocks & SOCK_SNDBUF_LOCK) && sk.sndbuf < TCP_LOOPBACK_SNDBUF)
    sk.sndbuf = Math.min(TCP_LOOPBACK_SNDBUF, TCP_WMEM_MAX);
}

/**
 * Linux: tcp_connect (the SYN) and what the loopback makes of it: 'established', 'refused' (an
 * RST came back: the client is CLOSE with sk_err ECONNREFUSED) or 'dropped' (a full accept
 * queue: the client stays in SYN_SENT).
 */
export function tcpSendSyn(k: Kernel, sk: TcpSock): 'established' | 'refused' | 'dropped' {
  const l = tcpLookupListener(k, sk);
  if (!l) {
    tcpReset(k, sk);
    return 'refused';
  }
  // Linux: tcp_conn_request — "Accept backlog is full. If we have already queued enough of
  // warm entries in syn queue, drop request."
  if (skAcceptqIsFull(l)) {
    tcpArmSynTimer(k, sk);
    return 'dropped';
  }
  const child = tcpCreateOpenreqChild(k, l, sk);
  // The SYN-ACK: tcp_rcv_synsent_state_process → tcp_finish_connect.
  sk.peer = child;
  child.peer = sk;
  tcpSetState(k, sk, 'TCP_ESTABLISHED');
  const users = [sk.userMss, l.userMss].filter((m) => m > 0);
  const userMss = users.length ? Math.min(...users) - TCPOLEN_TSTAMP_ALIGNED : 0;
  const v6 = sk.family === AF.AF_INET6 && !isV4Mapped(sk.v6Daddr);
  tcpInitTransfer(sk, userMss || (v6 ? TCP_LOOPBACK_MSS_CLIENT_V6 : TCP_LOOPBACK_MSS_CLIENT));
  if (!sk.dead) sockDefWakeup(k, sk);
  // The ACK: tcp_check_req → tcp_v4_syn_recv_sock → inet_csk_complete_hashdance → the child
  // is ESTABLISHED in the accept queue (tcp_child_process) and the listener is told.
  tcpSetState(k, child, 'TCP_ESTABLISHED');
  tcpInitTransfer(child, userMss || TCP_LOOPBACK_MSS_CHILD);
  child.parent = l;
  l.acceptQueue.push(child);
  l.ackBacklog++;
  sockDefReadable(k, l);
  return 'established';
}

/** Linux: net.ipv4.tcp_syn_retries. */
const TCP_SYN_RETRIES = 6;
/** Linux: TCP_TIMEOUT_INIT, the first SYN retransmit timeout (1 s, in ns). */
const TCP_TIMEOUT_INIT = 1_000_000_000;

/**
 * Linux: inet_csk_reset_xmit_timer(ICSK_TIME_RETRANS) for a SYN — the n-th timeout fires
 * (2^(n+1) − 1) s after the first SYN (1, 3, 7, … s: the timeout doubles).
 */
function tcpArmSynTimer(k: Kernel, sk: TcpSock): void {
  if (sk.synTimer) sk.synTimer.active = false;
  const when = sk.synSentAt + (2 ** (sk.synRetransmits + 1) - 1) * TCP_TIMEOUT_INIT;
  sk.synTimer = k.addTimer(when, { kind: 'tcp_retransmit', id: sk.id }, `tcp:${sk.id} SYN retransmit`, () =>
    tcpRetransmitTimer(k, sk),
  );
}

/**
 * Linux: tcp_retransmit_timer for a socket in SYN_SENT — send the SYN again, or, after
 * tcp_syn_retries (TCP_SYNCNT) retransmits, give up (tcp_write_timeout → tcp_write_err:
 * ETIMEDOUT, 127 s after the first SYN with the default 6).
 */
function tcpRetransmitTimer(k: Kernel, sk: TcpSock): void {
  sk.synTimer = null;
  if (sk.state !== 'TCP_SYN_SENT') return;
  if (sk.synRetransmits >= (sk.synRetries || TCP_SYN_RETRIES)) {
    tcpDoneWithError(k, sk, ERRNO.ETIMEDOUT);
    return;
  }
  sk.synRetransmits++;
  tcpSendSyn(k, sk);
}
