// Who holds which port (Linux: net/ipv4/inet_hashtables.c's bind buckets, udp.c's udp_table, and
// inet_rcv_saddr_equal from inet_connection_sock.c): per kernel (one network namespace), one port
// space for TCP and one for UDP. A protocol decides what conflicts (inet_csk_bind_conflict,
// udp_lib_lport_inuse); this module keeps the tables and compares bound addresses.
//
// Not Linux: an ephemeral port is the next free one after the last handed out, odd for bind(port
// 0) and even for connect's autobind (Linux's preference), instead of a random or hashed start. The
// script format writes a port the kernel chose as `*`, so no result depends on which one it is.

import { AF } from '../../../abi/constants.ts';
import { isV4Mapped } from '../../../api/sockaddr.ts';
import { defineKernelState, type Kernel } from '../../kernel.ts';
import { EPHEMERAL, type InetSock, in6Equal, in6IsAny, ipv6OnlySock } from './inet_sock.ts';

export type PortSpace = 'tcp' | 'udp';

/** The ports of one network namespace. */
interface InetTables {
  /** Linux: tcp_hashinfo.bhash / udp_table — port → the sockets bound to it, oldest first. */
  readonly bound: Record<PortSpace, Map<number, InetSock[]>>;
  /** Not Linux: where the next ephemeral search starts, per port space. */
  readonly cursor: Record<PortSpace, number>;
}

/** A bound port as plain JSON. */
export interface PortSnapshot {
  proto: PortSpace;
  port: number;
  socks: number[];
}

function snapshotTables(t: InetTables): PortSnapshot[] {
  const out: PortSnapshot[] = [];
  for (const proto of ['tcp', 'udp'] as const)
    for (const [port, socks] of [...t.bound[proto]].sort((a, b) => a[0] - b[0]))
      out.push({ proto, port, socks: socks.map((s) => s.id) });
  return out;
}

const tables = defineKernelState<InetTables>(
  'inet',
  () => ({
    bound: { tcp: new Map(), udp: new Map() },
    cursor: { tcp: EPHEMERAL.low, udp: EPHEMERAL.low },
  }),
  snapshotTables,
);

/** The sockets bound to `port` in a port space (Linux: a bind bucket's owners). */
export function portOwners(k: Kernel, space: PortSpace, port: number): readonly InetSock[] {
  return k.state(tables).bound[space].get(port) ?? [];
}

/** Linux: inet_bind_hash / udp_lib_get_port's insertion — `sk` holds `port` from now on. */
export function inetBindHash(k: Kernel, space: PortSpace, sk: InetSock, port: number): void {
  const bound = k.state(tables).bound[space];
  const owners = bound.get(port);
  if (owners) owners.push(sk);
  else bound.set(port, [sk]);
  sk.num = port;
}

/** Linux: inet_put_port / udp_lib_unhash — `sk` lets go of its port. */
export function inetPutPort(k: Kernel, space: PortSpace, sk: InetSock): void {
  const bound = k.state(tables).bound[space];
  const owners = bound.get(sk.num);
  if (!owners) return;
  const i = owners.indexOf(sk);
  if (i >= 0) owners.splice(i, 1);
  if (owners.length === 0) bound.delete(sk.num);
}

/**
 * Linux: inet_csk_find_open_port / udp_lib_get_port's search / __inet_hash_connect — the first
 * port of the ephemeral range, from the cursor on, with the wanted parity (odd for bind, even for
 * connect), for which `inUse` says no; then any parity. 0 when every port is taken (EADDRINUSE
 * for bind, EADDRNOTAVAIL for connect).
 */
export function inetFindOpenPort(
  k: Kernel,
  space: PortSpace,
  odd: boolean,
  inUse: (port: number) => boolean,
): number {
  const t = k.state(tables);
  const { low, high } = EPHEMERAL;
  const n = high - low + 1;
  for (const parity of [odd ? 1 : 0, odd ? 0 : 1]) {
    for (let i = 0; i < n; i++) {
      const port = low + ((t.cursor[space] - low + i) % n);
      if (port % 2 !== parity || inUse(port)) continue;
      t.cursor[space] = port + 1 > high ? low : port + 1;
      return port;
    }
  }
  return 0;
}

/** Linux: ipv6_addr_type's classes the comparison needs. */
type V6Class = 'any' | 'mapped' | 'other';
const v6Class = (a: Uint8Array): V6Class => (in6IsAny(a) ? 'any' : isV4Mapped(a) ? 'mapped' : 'other');

/** Linux: ipv4_rcv_saddr_equal. */
function ipv4RcvSaddrEqual(
  a1: number,
  a2: number,
  sk2Ipv6only: boolean,
  wild1: boolean,
  wild2: boolean,
): boolean {
  if (sk2Ipv6only) return false;
  if (a1 === a2) return true;
  return (wild1 && a1 === 0) || (wild2 && a2 === 0);
}

/**
 * Linux: inet_rcv_saddr_equal — whether two sockets' bound addresses overlap; with
 * `matchWildcard`, an unspecified address overlaps every address of its family (and an IPv6 one
 * every IPv4 one, unless IPV6_V6ONLY).
 */
export function inetRcvSaddrEqual(sk: InetSock, sk2: InetSock, matchWildcard: boolean): boolean {
  if (sk.family !== AF.AF_INET6)
    return ipv4RcvSaddrEqual(sk.rcvSaddr, sk2.rcvSaddr, ipv6OnlySock(sk2), matchWildcard, matchWildcard);
  // Linux: ipv6_rcv_saddr_equal, with inet6_rcv_saddr(sk2) NULL (treated as mapped) for IPv4 sockets.
  const t1 = v6Class(sk.v6RcvSaddr);
  const sk2v6 = sk2.family === AF.AF_INET6 ? sk2.v6RcvSaddr : null;
  const t2 = sk2v6 ? v6Class(sk2v6) : 'mapped';
  const only1 = ipv6OnlySock(sk);
  const only2 = ipv6OnlySock(sk2);
  if (t1 === 'mapped' && t2 === 'mapped')
    return ipv4RcvSaddrEqual(sk.rcvSaddr, sk2.rcvSaddr, only2, matchWildcard, matchWildcard);
  if (t1 === 'any' && t2 === 'any') return true;
  if (t2 === 'any' && matchWildcard && !(only2 && t1 === 'mapped')) return true;
  if (t1 === 'any' && matchWildcard && !(only1 && t2 === 'mapped')) return true;
  return sk2v6 !== null && in6Equal(sk.v6RcvSaddr, sk2v6);
}
