// The internet socket (Linux: struct inet_sock, include/net/inet_sock.h, with the addressing
// fields of struct sock_common and IPv6's struct ipv6_pinfo): who the socket is bound to and
// connected to. TCP and UDP socks extend it.
//
// Addresses are kept as Linux keeps them: every socket has the IPv4 pair (skc_rcv_saddr,
// skc_daddr, host order here); an AF_INET6 socket also has the IPv6 pair (skc_v6_rcv_saddr,
// skc_v6_daddr), and talks IPv4 through v4-mapped addresses, whose IPv4 half is the IPv4 pair.
// Ports are host order (inet_num is; inet_sport and inet_dport are network order in Linux).

import { AF, IP_LOCAL_PORT_RANGE } from '../../../abi/constants.ts';
import {
  INADDR_ANY,
  isV4Mapped,
  mappedFromV4,
  type SockaddrIn,
  type SockaddrIn6,
  v4FromMapped,
} from '../../../api/sockaddr.ts';
import type { Kernel } from '../../kernel.ts';
import { Sock } from '../sock.ts';
import type { InetProto } from './af_inet.ts';

/** The IPv6 unspecified address, ::. */
export const IN6ADDR_ANY = new Uint8Array(16);
/** ::1. */
export const IN6ADDR_LOOPBACK = (() => {
  const a = new Uint8Array(16);
  a[15] = 1;
  return a;
})();
/**
 * Linux: LOOPBACK4_IPV6 (127.0.0.6), the IPv4 address an IPv6 socket bound to a real IPv6 address
 * carries, "so that it does not match any IPv4 socket" (__inet6_bind).
 */
export const LOOPBACK4_IPV6 = 0x7f000006;

export const in6Equal = (a: Uint8Array, b: Uint8Array): boolean => {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
};
export const in6IsAny = (a: Uint8Array): boolean => in6Equal(a, IN6ADDR_ANY);

/** Linux: struct inet_sock with sock_common's addresses and ipv6_pinfo's flag. */
export abstract class InetSock extends Sock {
  /** Linux: skc_rcv_saddr — the bound IPv4 address (INADDR_ANY: any). */
  rcvSaddr = INADDR_ANY;
  /** Linux: skc_v6_rcv_saddr (AF_INET6 sockets). */
  v6RcvSaddr: Uint8Array = IN6ADDR_ANY;
  /** Linux: inet_num — the local port, 0 while unbound. */
  num = 0;
  /**
   * Linux: inet_sport where it outlives inet_num — TCP lets go of an autobound port when the
   * connection closes (inet_put_port), but getsockname reads inet_sport, which keeps the old
   * number. 0 while inet_num says it all.
   */
  keptSport = 0;
  /** Linux: skc_daddr / skc_v6_daddr / inet_dport — the peer; zero while unconnected. */
  daddr = INADDR_ANY;
  v6Daddr: Uint8Array = IN6ADDR_ANY;
  dport = 0;
  /** Linux: sk_ipv6only (IPV6_V6ONLY, and implied by binding a real IPv6 address). */
  ipv6only = false;
  /** Linux: sk_prot — set by inet_create. */
  prot!: InetProto;

  constructor(
    k: Kernel,
    name: string,
    family: number,
    type: number,
    protocol: number,
    maxAckBacklog: number,
  ) {
    super(k, name, type, maxAckBacklog);
    this.family = family;
    this.protocol = protocol;
  }

  /** Linux: the protocol's sock_diag handler (inet_diag) — the sock as plain JSON. */
  abstract diag(): object;
}

/** Linux: ipv6_only_sock. */
export const ipv6OnlySock = (sk: InetSock): boolean => sk.family === AF.AF_INET6 && sk.ipv6only;

/** The local address as a sockaddr of the socket's family (Linux: inet_getname / inet6_getname, peer 0). */
export function inetLocalAddr(sk: InetSock): SockaddrIn | SockaddrIn6 {
  return sk.family === AF.AF_INET
    ? { family: AF.AF_INET, addr: sk.rcvSaddr, port: sk.num || sk.keptSport }
    : { family: AF.AF_INET6, addr: sk.v6RcvSaddr, port: sk.num || sk.keptSport };
}

/** The peer's address as a sockaddr of the socket's family. */
export function inetPeerAddr(sk: InetSock): SockaddrIn | SockaddrIn6 {
  return sk.family === AF.AF_INET
    ? { family: AF.AF_INET, addr: sk.daddr, port: sk.dport }
    : { family: AF.AF_INET6, addr: sk.v6Daddr, port: sk.dport };
}

/** The IPv4 address a sockaddr means to an IPv6 socket's IPv4 half: the mapped part, or none. */
export function v4Half(addr: Uint8Array): number {
  return isV4Mapped(addr) ? v4FromMapped(addr) : in6IsAny(addr) ? INADDR_ANY : LOOPBACK4_IPV6;
}

/** An IPv4 address as an IPv6 socket writes it (::ffff:a.b.c.d). */
export const v6FromV4 = mappedFromV4;

/** Whether an IPv4 address is one of this host's (loopback only: 127.0.0.0/8). */
export const inetAddrLocal = (a: number): boolean => a >>> 24 === 127;

/** Linux: inet_is_local_reserved_port / the ephemeral range (net.ipv4.ip_local_port_range). */
export const EPHEMERAL = IP_LOCAL_PORT_RANGE;
