// Connecting a datagram socket (Linux: net/ipv4/datagram.c's ip4_datagram_connect and
// net/ipv6/datagram.c's ip6_datagram_connect), and the routing decisions it and UDP's send share
// on the model's host, whose only interface is loopback.
//
// A datagram "connection" is local bookkeeping: the socket records its peer, takes the source
// address the route gives (127.0.0.1 or ::1) if it was bound to none, is rehashed under that
// address, and enters TCP_ESTABLISHED. No packet is sent. An AF_INET6 socket connecting to a
// v4-mapped address (or given an AF_INET address) makes an IPv4 connection and writes both its
// ends back as ::ffff:a.b.c.d.
//
// The routes (checked on Linux 6.18 in a private network namespace, loopback up):
//   IPv4  127.0.0.0/8 is local, source 127.0.0.1 (the local route's prefsrc); INADDR_ANY means
//         the socket's own bound address, or 127.0.0.1 (ip_route_output_key_hash_rcu);
//   IPv6  ::1 is local, source ::1; :: means ::1 (ip6_route_output's "connect to self").
// Any other destination leaves the host: the answer depends on the host's routes (a private
// namespace says ENETUNREACH; a real host sends it out), so the model throws Unsupported.

import { AF } from '../../../abi/constants.ts';
import {
  formatIn4,
  formatIn6,
  INADDR_ANY,
  INADDR_LOOPBACK,
  isV4Mapped,
  mappedFromV4,
  type Sockaddr,
  v4FromMapped,
} from '../../../api/sockaddr.ts';
import { Unsupported } from '../../../api/syscalls.ts';
import { ERRNO, errWhy } from '../../errors.ts';
import type { Kernel } from '../../kernel.ts';
import { SOCK_BROADCAST, sockFlag } from '../sock.ts';
import { inetProt } from './af_inet.ts';
import {
  IN6ADDR_LOOPBACK,
  type InetSock,
  in6Equal,
  in6IsAny,
  ipv6OnlySock,
  LOOPBACK4_IPV6,
} from './inet_sock.ts';

const { EACCES, EAFNOSUPPORT, EINVAL, ENETUNREACH } = ERRNO;

/** A route's answer: the destination (INADDR_ANY resolved) and the source address to use. */
export interface Flow4 {
  readonly daddr: number;
  readonly saddr: number;
}

/** Linux: the loopback's broadcast address (the local table's "broadcast 127.255.255.255 dev lo"). */
const LOOPBACK_BROADCAST = 0x7fffffff;

/**
 * Linux: the RTCF_BROADCAST test of udp_sendmsg and __ip4_datagram_connect — a broadcast
 * destination needs SO_BROADCAST (EACCES without it, checked); with it, the datagram goes to every
 * socket on the port, which the model does not do. 0, or −EACCES.
 */
export function ipBroadcastCheck(k: Kernel, call: string, sk: InetSock, daddr: number): number {
  if (daddr !== LOOPBACK_BROADCAST) return 0;
  if (!sockFlag(sk, SOCK_BROADCAST))
    return errWhy(
      k,
      -EACCES,
      call === 'connect' ? '__ip4_datagram_connect' : 'udp_sendmsg',
      'a broadcast destination without SO_BROADCAST',
    );
  throw new Unsupported(call, 'broadcast (127.255.255.255 with SO_BROADCAST) is not modelled');
}

/**
 * Linux: ip_route_output_flow for the loopback-only host — where an IPv4 datagram from `saddr`
 * (INADDR_ANY: let the route choose) to `daddr` goes. `call` names the system call for Unsupported.
 */
export function ipRouteOutput4(call: string, daddr: number, saddr: number): Flow4 {
  // Linux: ip_route_output_key_hash_rcu — "if (!fl4->daddr) { fl4->daddr = fl4->saddr; if
  // (!fl4->daddr) fl4->daddr = fl4->saddr = htonl(INADDR_LOOPBACK); }".
  if (daddr === INADDR_ANY) daddr = saddr === INADDR_ANY ? INADDR_LOOPBACK : saddr;
  if (daddr >>> 24 !== 127)
    throw new Unsupported(
      call,
      `destination ${formatIn4(daddr)}: only loopback (127.0.0.0/8) is modelled; elsewhere the host's routes decide`,
    );
  // Linux: a RTN_LOCAL route's source is its prefsrc, 127.0.0.1 for the whole of 127.0.0.0/8.
  return { daddr, saddr: saddr === INADDR_ANY ? INADDR_LOOPBACK : saddr };
}

/** Linux: ip6_route_output for the loopback-only host — the destination (:: resolved to ::1). */
export function ip6RouteOutput(call: string, daddr: Uint8Array): Uint8Array {
  if (in6IsAny(daddr)) return IN6ADDR_LOOPBACK;
  if (!in6Equal(daddr, IN6ADDR_LOOPBACK))
    throw new Unsupported(
      call,
      `destination ${formatIn6(daddr)}: only ::1 is modelled; elsewhere the host's routes decide`,
    );
  return daddr;
}

/** Linux: sk_prot->rehash after the bound address changed (udp_v4_rehash / udp_v6_rehash). */
function rehash(k: Kernel, sk: InetSock): void {
  inetProt(sk).rehash?.(k, sk);
}

/**
 * Linux: __ip4_datagram_connect — `addr` is not AF_UNSPEC (inet_dgram_connect handled that) and the
 * socket has a port (inet_dgram_connect autobound it). 0 or −errno.
 */
export function ip4DatagramConnect(k: Kernel, sk: InetSock, addr: Sockaddr): number {
  // Linux: "if (addr_len < sizeof(*usin)) return -EINVAL" — an unnamed AF_UNIX address is 2 bytes.
  if (addr.family === AF.AF_UNIX) {
    if (addr.name !== null) throw new Unsupported('connect', 'an AF_UNIX name given to an internet socket');
    return errWhy(k, -EINVAL, '__ip4_datagram_connect', 'the address is shorter than a sockaddr_in');
  }
  if (addr.family !== AF.AF_INET)
    return errWhy(k, -EAFNOSUPPORT, '__ip4_datagram_connect', 'the address is not AF_INET');
  const fl4 = ipRouteOutput4('connect', addr.addr, sk.rcvSaddr);
  const err = ipBroadcastCheck(k, 'connect', sk, fl4.daddr);
  if (err) return err;
  // Linux: "Update source address" — an unbound socket takes the route's source, and is rehashed.
  if (sk.rcvSaddr === INADDR_ANY) {
    sk.rcvSaddr = fl4.saddr;
    rehash(k, sk);
  }
  sk.daddr = fl4.daddr;
  sk.dport = addr.port;
  sk.state = 'TCP_ESTABLISHED';
  return 0;
}

/** Linux: __ip6_datagram_connect (with ip6_datagram_dst_update). 0 or −errno. */
export function ip6DatagramConnect(k: Kernel, sk: InetSock, addr: Sockaddr): number {
  if (addr.family === AF.AF_INET) {
    if (ipv6OnlySock(sk))
      return errWhy(
        k,
        -EAFNOSUPPORT,
        '__ip6_datagram_connect',
        'an AF_INET address on an IPV6_V6ONLY socket',
      );
    return ip4ConnectedAsV6(k, sk, ip4DatagramConnect(k, sk, addr));
  }
  // Linux: "if (addr_len < SIN6_LEN_RFC2133) return -EINVAL" before the family test.
  if (addr.family !== AF.AF_INET6) {
    if (addr.family === AF.AF_UNIX && addr.name !== null)
      throw new Unsupported('connect', 'an AF_UNIX name given to an internet socket');
    return errWhy(k, -EINVAL, '__ip6_datagram_connect', 'the address is shorter than a sockaddr_in6');
  }
  let daddr = addr.addr;
  // Linux: "connect to self if not specified".
  if (in6IsAny(daddr)) daddr = isV4Mapped(sk.v6RcvSaddr) ? mappedFromV4(INADDR_LOOPBACK) : IN6ADDR_LOOPBACK;
  if (isV4Mapped(daddr)) {
    if (ipv6OnlySock(sk))
      return errWhy(k, -ENETUNREACH, '__ip6_datagram_connect', 'a v4-mapped peer for an IPV6_V6ONLY socket');
    const sin = { family: AF.AF_INET, addr: v4FromMapped(daddr), port: addr.port } as const;
    return ip4ConnectedAsV6(k, sk, ip4DatagramConnect(k, sk, sin));
  }
  // Linux: ip6_datagram_dst_update → ip6_sk_dst_lookup_flow refuses a v4-mapped source for an
  // IPv6 peer (checked: a socket bound to ::ffff:127.0.0.1 gets EAFNOSUPPORT).
  if (isV4Mapped(sk.v6RcvSaddr))
    return errWhy(k, -EAFNOSUPPORT, 'ip6_dst_lookup_tail', 'a v4-mapped source address for an IPv6 peer');
  const dst = ip6RouteOutput('connect', daddr);
  sk.v6Daddr = dst;
  sk.daddr = LOOPBACK4_IPV6;
  sk.dport = addr.port;
  // Linux: ip6_datagram_dst_update(sk, true) — fix_sk_saddr: the route's source, and a rehash.
  if (in6IsAny(sk.v6RcvSaddr)) {
    sk.v6RcvSaddr = IN6ADDR_LOOPBACK;
    sk.rcvSaddr = LOOPBACK4_IPV6;
    rehash(k, sk);
  }
  sk.state = 'TCP_ESTABLISHED';
  return 0;
}

/** Linux: __ip6_datagram_connect's ipv4_connected — both ends written back as v4-mapped. */
function ip4ConnectedAsV6(k: Kernel, sk: InetSock, err: number): number {
  if (err) return err;
  sk.v6Daddr = mappedFromV4(sk.daddr);
  if (in6IsAny(sk.v6RcvSaddr) || (isV4Mapped(sk.v6RcvSaddr) && v4FromMapped(sk.v6RcvSaddr) === INADDR_ANY)) {
    sk.v6RcvSaddr = mappedFromV4(sk.rcvSaddr);
    rehash(k, sk);
  }
  return 0;
}
