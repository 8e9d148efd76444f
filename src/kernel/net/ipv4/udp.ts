// UDP over the model's loopback (Linux 6.18: net/ipv4/udp.c, net/ipv6/udp.c, with the loopback
// device's part of net/ipv4/ip_output.c, net/ipv6/ip6_output.c and drivers/net/loopback.c).
//
// A send runs the whole path inside the call, as a real loopback send does (the receive softirq
// runs when the sender re-enables bottom halves):
//
//   inet_send_prepare   an unbound socket takes an ephemeral port, before any check
//   udp_sendmsg         the destination (msg_name or the connected peer), its family and length
//   ip_append_data      EMSGSIZE past 65507 (IPv4) / 65527 (IPv6); the skb's truesize
//   sock_alloc_send_skb sk_err (taken), SEND_SHUTDOWN (EPIPE)
//   loopback_xmit       skb_orphan: the sender's sk_wmem_alloc drops at once (SIOCOUTQ reads 0),
//                       and sock_def_write_space wakes its queue with OUT on every send
//   __udp4_lib_rcv      the lookup picks one socket (__udp4_lib_lookup: sockets bound to the
//                       destination address first, then wildcard ones; the best compute_score,
//                       ties to the most recently hashed) and queues the datagram there, or drops
//                       it when sk_rmem_alloc + truesize would pass sk_rcvbuf and the socket
//                       holds anything; no socket: an ICMP port unreachable comes back, and
//                       __udp4_lib_err sets ECONNREFUSED on the sender if it is connected.
//
// Receive memory follows udp_rmem_release: a read does not give back its skb's truesize at once
// but adds it to forward_deficit, returned when it reaches a quarter of sk_rcvbuf or when the
// reader queue empties. Reads take from `readerQueue`, refilled from sk_receive_queue in one
// splice when it runs dry (by a read, FIONREAD, or the poll of a blocking socket). So a full
// receiver that reads one datagram still drops the next (checked: 256 datagrams of 0–197 bytes
// fill the default 212992 bytes; after reading 63 of them nothing more fits, after 64, 64 do).
//
// Truesize (checked against /proc/net/udp's rx_queue on 6.18 for every size class): a payload
// whose headers and link-layer reserve (IPv4: 20 + 8 + 31; IPv6: 40 + 8 + 24) fit under
// SKB_MAX_ALLOC is one linear skb, from the 576-byte small-head cache or kmalloc; a larger one is
// a small head plus its payload in page fragments (832 + len).
//
// ICMP errors on loopback are not rate-limited (checked: 20000 sends of a connected socket to a
// closed port, IPv4 and IPv6, fail with ECONNREFUSED every other time, as each error is taken).
//
// Not Linux: compute_score's +1 for a socket whose last datagram came in on this CPU is left out
// (checked: of two SO_REUSEADDR sockets on one address, the later-bound one receives even when
// the other has just received, 200 times of 200, pinned to one CPU or not); delivery among several SO_REUSEPORT sockets (a hash with a random
// secret), broadcast, and corking (MSG_MORE, UDP_CORK) are Unsupported.

import { AF, EPOLL, IPPROTO, MSG, SIOCATMARK, SIOCOUTQ, SOCK } from '../../../abi/constants.ts';
import {
  formatSockaddr,
  INADDR_ANY,
  INADDR_LOOPBACK,
  isV4Mapped,
  mappedFromV4,
  type Sockaddr,
  type SockaddrIn,
  type SockaddrIn6,
  v4FromMapped,
} from '../../../api/sockaddr.ts';
import { type Linger, type SockoptValue, Unsupported } from '../../../api/syscalls.ts';
import { ERRNO, errWhy } from '../../errors.ts';
import { copyBytes, type File, type PollTable } from '../../file.ts';
import type { Kernel } from '../../kernel.ts';
import { maySleep, type SysGen, type Thread } from '../../sched.ts';
import { wakeSkipped } from '../../waitqueue.ts';
import { datagramPoll, skbWaitForMorePackets } from '../datagram.ts';
import { headTruesize, SKB_MAX_ALLOC, type Skb } from '../skbuff.ts';
import {
  RCV_SHUTDOWN,
  SOCK_BINDADDR_LOCK,
  SOCK_BINDPORT_LOCK,
  sockDefErrorReport,
  sockDefReadable,
  sockDefWakeup,
  sockError,
  sockNoSupport,
  sockWaitForSendSpace,
  sockWakeSleepers,
} from '../sock.ts';
import { type Msghdr, type ProtoOps, protoOps, type Socket } from '../socket.ts';
import { type InetProto, inetAutobind, inetCommonOps, inetRegisterProtosw } from './af_inet.ts';
import {
  ip4DatagramConnect,
  ip6DatagramConnect,
  ip6RouteOutput,
  ipBroadcastCheck,
  ipRouteOutput4,
} from './datagram.ts';
import {
  inetBindHash,
  inetFindOpenPort,
  inetPutPort,
  inetRcvSaddrEqual,
  portOwners,
} from './inet_hashtables.ts';
import {
  IN6ADDR_ANY,
  IN6ADDR_LOOPBACK,
  InetSock,
  in6Equal,
  in6IsAny,
  inetLocalAddr,
  inetPeerAddr,
  ipv6OnlySock,
} from './inet_sock.ts';
import { ipGetsockopt, ipSetsockopt } from './ip_sockglue.ts';

const {
  EADDRINUSE,
  EAFNOSUPPORT,
  ECONNREFUSED,
  EDESTADDRREQ,
  EINVAL,
  EMSGSIZE,
  ENETUNREACH,
  ENOTTY,
  EOPNOTSUPP,
} = ERRNO;
const { EPOLLIN, EPOLLRDNORM, EPOLLOUT, EPOLLWRNORM, EPOLLWRBAND } = EPOLL;

const INT_MAX = 0x7fffffff;
// Linux: sizeof(struct iphdr), sizeof(struct ipv6hdr), sizeof(struct udphdr).
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;
const UDP_HLEN = 8;
/** Linux: the largest IPv4 UDP payload — IP_MAX_MTU (0xFFFF) less the IP and UDP headers. */
export const UDP4_MAX_PAYLOAD = 0xffff - IPV4_HLEN - UDP_HLEN;
/** Linux: the largest IPv6 UDP payload — IPV6_MAXPLEN (the payload length excludes the IPv6 header). */
export const UDP6_MAX_PAYLOAD = 0xffff - UDP_HLEN;
// Linux: __ip_append_data's alloc_extra on loopback, LL_RESERVED_SPACE(lo) (16) + 15, and
// __ip6_append_data's, 24 (hh_len 16 and, by our reading, sizeof(struct frag_hdr) 8). Both are
// measured: the linear and small-head boundaries fall at payloads 16004/16005 and 197/198 (IPv4),
// 15991/15992 and 184/185 (IPv6).
const ALLOC_EXTRA4 = 31;
const ALLOC_EXTRA6 = 24;
// Linux: SKB_SMALL_HEAD_CACHE_SIZE (SKB_HEAD_ALIGN(MAX_TCP_HEADER) on x86-64) and the
// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) it includes.
const SKB_SMALL_HEAD_CACHE_SIZE = 576;
const SKB_SHINFO_SIZE = 320;
/** Linux: SKB_TRUESIZE of a small-cache head — the cache object plus SKB_DATA_ALIGN(sizeof(struct sk_buff)). */
const SKB_SMALL_HEAD_TRUESIZE = SKB_SMALL_HEAD_CACHE_SIZE + 256;

/** Linux: __alloc_skb's truesize for a linear head of `size` bytes, without __GFP_ACCOUNT. */
function allocSkbTruesize(size: number): number {
  // Linux: kmalloc_reserve — a head that fits the small-head cache comes from it.
  if (((size + 63) & ~63) + SKB_SHINFO_SIZE <= SKB_SMALL_HEAD_CACHE_SIZE) return SKB_SMALL_HEAD_TRUESIZE;
  return headTruesize(size);
}

/** Linux: __ip_append_data / __ip6_append_data — the truesize of one datagram of `len` bytes. */
export function udpSkbTruesize(len: number, v6: boolean): number {
  const fragheaderlen = v6 ? IPV6_HLEN : IPV4_HLEN;
  const allocExtra = v6 ? ALLOC_EXTRA6 : ALLOC_EXTRA4;
  const fraglen = len + UDP_HLEN + fragheaderlen;
  if (fraglen + allocExtra < SKB_MAX_ALLOC) return allocSkbTruesize(fraglen + allocExtra);
  // Linux: the headers in the head; the payload in page fragments, each adding its length.
  return allocSkbTruesize(fragheaderlen + UDP_HLEN + allocExtra) + len;
}

/**
 * A datagram queued on a receiver. Not Linux: `owner` stays the sender (Linux orphans the skb in
 * loopback_xmit), for traces only; nothing charges it — a UDP skb is freed by udp_rmem_release
 * against the receiver's sk_rmem_alloc, never by sock_wfree.
 */
export interface UdpSkb extends Skb {
  /** The sender's address as this receiver reports it (an IPv4 sender to an AF_INET6 socket: v4-mapped). */
  readonly from: SockaddrIn | SockaddrIn6;
}

/** Linux: struct udp_sock. */
export class UdpSock extends InetSock {
  /**
   * Linux: udp_sock.reader_queue — what reads take from. Refilled from sk_receive_queue
   * (`receiveQueue`, where arrivals go) in one splice when it is empty.
   */
  readonly readerQueue: UdpSkb[] = [];
  /** Linux: sk_rmem_alloc — the truesize of queued datagrams, less what reads have given back. */
  rmemAlloc = 0;
  /** Linux: udp_sock.forward_deficit — truesize read but not yet given back to sk_rmem_alloc. */
  forwardDeficit = 0;
  /** Linux: sk_drops — datagrams dropped for a full receive buffer. */
  drops = 0;
  /**
   * Not Linux: the socket's place in its hslot2 chain, as a sort key (smaller: nearer the head).
   * Linux adds at the head (at the tail for an AF_INET6 SO_REUSEPORT socket); a lookup's ties
   * go to the first in the chain.
   */
  hash2Seq = 0;

  constructor(k: Kernel, family: number, type: number) {
    super(k, 'udp', family, type, IPPROTO.IPPROTO_UDP, 0);
  }

  /**
   * Linux: sock_def_write_space_wfree (sock_wfree's path for SOCK_RCU_FREE sockets, which UDP's
   * are) — wake writers once half the send buffer is free. On loopback it runs on every send.
   */
  writeSpace(k: Kernel): void {
    if (this.wmemAlloc < this.sndbuf >> 1)
      sockWakeSleepers(k, this, 1, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND, 'sock_def_write_space_wfree');
  }

  diag(): object {
    return {
      id: this.id,
      proto: this.family === AF.AF_INET ? 'UDP' : 'UDPv6',
      state: this.state,
      local: formatSockaddr(inetLocalAddr(this)),
      peer: this.dport ? formatSockaddr(inetPeerAddr(this)) : null,
      ipv6only: this.ipv6only,
      shutdown: this.shutdown,
      err: this.err,
      receiveQueue: this.receiveQueue.map((s) => udpSkbDiag(s as UdpSkb)),
      readerQueue: this.readerQueue.map(udpSkbDiag),
      rmemAlloc: this.rmemAlloc,
      forwardDeficit: this.forwardDeficit,
      rcvbuf: this.rcvbuf,
      wmemAlloc: this.wmemAlloc,
      sndbuf: this.sndbuf,
      drops: this.drops,
      dead: this.dead,
    };
  }
}

/** A queued datagram as plain JSON. */
function udpSkbDiag(skb: UdpSkb): object {
  return { id: skb.id, len: skb.data.length, truesize: skb.truesize, from: formatSockaddr(skb.from) };
}

/** The UDP sock of a socket. */
export const udpSk = (sock: Socket): UdpSock => sock.sk as UdpSock;

// ---- ports ----

/**
 * Linux: udp_lib_lport_inuse — whether `port` is taken for `sk`: another socket there whose
 * bound address overlaps, unless both set SO_REUSEADDR or both set SO_REUSEPORT (the model has
 * one user, so the uid test always passes). The port's chain is walked newest first, and the
 * first overlapping socket decides.
 */
function udpLibLportInuse(k: Kernel, sk: UdpSock, port: number): boolean {
  const owners = portOwners(k, 'udp', port);
  for (let i = owners.length - 1; i >= 0; i--) {
    const sk2 = owners[i]!;
    if (sk2 === sk || (sk2.reuse && sk.reuse) || !inetRcvSaddrEqual(sk, sk2, true)) continue;
    return !(sk2.reuseport && sk.reuseport);
  }
  return false;
}

/** Linux: udp_lib_get_port — `snum`, or an ephemeral port for 0. 0 or −EADDRINUSE. */
function udpLibGetPort(k: Kernel, isk: InetSock, snum: number): number {
  const sk = isk as UdpSock;
  if (!snum) {
    snum = inetFindOpenPort(k, 'udp', true, (p) => udpLibLportInuse(k, sk, p));
    if (!snum) return errWhy(k, -EADDRINUSE, 'udp_lib_get_port', 'every ephemeral port is taken');
  } else if (udpLibLportInuse(k, sk, snum))
    return errWhy(k, -EADDRINUSE, 'udp_lib_get_port', 'another socket holds that port and address');
  inetBindHash(k, 'udp', sk, snum);
  sk.hash2Seq = sk.reuseport && sk.family === AF.AF_INET6 ? k.nextId() : -k.nextId();
  return 0;
}

/** Linux: udp_lib_rehash — the socket's bound address changed: it moves to the head of its new chain. */
function udpLibRehash(k: Kernel, sk: InetSock): void {
  (sk as UdpSock).hash2Seq = -k.nextId();
}

/** Linux: udp_lib_unhash. */
function udpLibUnhash(k: Kernel, sk: UdpSock): void {
  if (!sk.num) return;
  inetPutPort(k, 'udp', sk);
  sk.num = 0;
}

// ---- lookup ----

/**
 * Linux: udp4_lib_lookup2 / udp6_lib_lookup2 over one hslot2 — the best score among the sockets
 * `score` does not reject (−1), ties to the first in the chain. Several SO_REUSEPORT sockets
 * sharing the winner's address would be chosen among by a keyed hash: Unsupported.
 */
function udpLibLookup2(k: Kernel, port: number, score: (sk: UdpSock) => number): UdpSock | null {
  const chain = [...(portOwners(k, 'udp', port) as readonly UdpSock[])].sort(
    (a, b) => a.hash2Seq - b.hash2Seq,
  );
  let result: UdpSock | null = null;
  let badness = -1;
  for (const sk of chain) {
    const s = score(sk);
    if (s > badness) {
      badness = s;
      result = sk;
    }
  }
  const winner = result;
  if (winner?.reuseport && winner.state !== 'TCP_ESTABLISHED') {
    // Linux: udp_reuseport_add_sock's group — same family, same IPV6_V6ONLY, same bound address.
    const group = chain.filter(
      (o) =>
        o.reuseport &&
        o !== winner &&
        o.family === winner.family &&
        ipv6OnlySock(o) === ipv6OnlySock(winner) &&
        inetRcvSaddrEqual(winner, o, false),
    );
    if (group.length > 0)
      throw new Unsupported(
        'sendto',
        'delivery among SO_REUSEPORT sockets (Linux picks one by a keyed hash)',
      );
  }
  return result;
}

/** Linux: __udp4_lib_lookup — sockets bound to `daddr` first, then wildcard ones. */
function udp4LibLookup(
  k: Kernel,
  saddr: number,
  sport: number,
  daddr: number,
  dport: number,
): UdpSock | null {
  for (const bound of daddr === INADDR_ANY ? [INADDR_ANY] : [daddr, INADDR_ANY]) {
    // Linux: compute_score.
    const r = udpLibLookup2(k, dport, (sk) => {
      if (ipv6OnlySock(sk) || sk.rcvSaddr !== bound) return -1;
      let score = sk.family === AF.AF_INET ? 2 : 1;
      if (sk.daddr) {
        if (sk.daddr !== saddr) return -1;
        score += 4;
      }
      if (sk.dport) {
        if (sk.dport !== sport) return -1;
        score += 4;
      }
      return score;
    });
    if (r) return r;
  }
  return null;
}

/** Linux: __udp6_lib_lookup — sockets bound to `daddr` first, then those bound to ::. */
function udp6LibLookup(
  k: Kernel,
  saddr: Uint8Array,
  sport: number,
  daddr: Uint8Array,
  dport: number,
): UdpSock | null {
  for (const bound of [daddr, IN6ADDR_ANY]) {
    // Linux: compute_score (net/ipv6/udp.c).
    const r = udpLibLookup2(k, dport, (sk) => {
      if (sk.family !== AF.AF_INET6 || !in6Equal(sk.v6RcvSaddr, bound)) return -1;
      let score = 0;
      if (sk.dport) {
        if (sk.dport !== sport) return -1;
        score++;
      }
      if (!in6IsAny(sk.v6Daddr)) {
        if (!in6Equal(sk.v6Daddr, saddr)) return -1;
        score++;
      }
      return score;
    });
    if (r) return r;
    if (in6IsAny(daddr)) break;
  }
  return null;
}

// ---- the receive side of a send ----

/** An IPv4 or IPv6 datagram on the wire. */
type Packet =
  | { v6: false; saddr: number; daddr: number; sport: number; dport: number; data: Uint8Array }
  | { v6: true; saddr: Uint8Array; daddr: Uint8Array; sport: number; dport: number; data: Uint8Array };

/**
 * Linux: __udp_enqueue_schedule_skb — queue on sk_receive_queue and charge sk_rmem_alloc, or drop:
 * "Immediately drop when the receive queue is full", except that an empty socket takes any one.
 */
function udpEnqueueScheduleSkb(k: Kernel, sk: UdpSock, skb: UdpSkb): void {
  const rmem = sk.rmemAlloc;
  const rcvbuf = sk.rcvbuf;
  if (rmem + skb.truesize > rcvbuf && (rcvbuf > INT_MAX >> 1 || rmem !== 0)) {
    sk.drops++;
    if (k.emit)
      wakeSkipped(
        k,
        sk.wq,
        '__udp_enqueue_schedule_skb',
        'the receive buffer is full: the datagram is dropped',
      );
    return;
  }
  sk.rmemAlloc += skb.truesize;
  sk.receiveQueue.push(skb);
  if (!sk.dead) sockDefReadable(k, sk);
}

/**
 * Linux: __udp4_lib_rcv / __udp6_lib_rcv on the loopback — deliver to the socket the lookup
 * picks, or answer with ICMP port unreachable (icmp_send / icmpv6_send), which comes back to
 * the sender's side as __udp4_lib_err / __udp6_lib_err.
 */
function udpRcv(k: Kernel, sender: UdpSock, pkt: Packet, truesize: number): void {
  const sk = pkt.v6
    ? udp6LibLookup(k, pkt.saddr, pkt.sport, pkt.daddr, pkt.dport)
    : udp4LibLookup(k, pkt.saddr, pkt.sport, pkt.daddr, pkt.dport);
  if (sk) {
    const from: SockaddrIn | SockaddrIn6 = pkt.v6
      ? { family: AF.AF_INET6, addr: pkt.saddr, port: pkt.sport }
      : sk.family === AF.AF_INET6
        ? { family: AF.AF_INET6, addr: mappedFromV4(pkt.saddr), port: pkt.sport }
        : { family: AF.AF_INET, addr: pkt.saddr, port: pkt.sport };
    udpEnqueueScheduleSkb(k, sk, {
      id: k.nextId(),
      data: pkt.data,
      consumed: 0,
      truesize,
      owner: sender,
      from,
    });
    return;
  }
  // Linux: __udp4_lib_err — the socket that sent the datagram, looked up from its addresses.
  const origin = pkt.v6
    ? udp6LibLookup(k, pkt.daddr, pkt.dport, pkt.saddr, pkt.sport)
    : udp4LibLookup(k, pkt.daddr, pkt.dport, pkt.saddr, pkt.sport);
  if (!origin) return;
  // Linux: without IP_RECVERR only a hard error (port unreachable is one) to a connected socket
  // is reported; an unconnected one hears nothing.
  if (origin.state !== 'TCP_ESTABLISHED') {
    if (k.emit)
      wakeSkipped(
        k,
        origin.wq,
        pkt.v6 ? '__udp6_lib_err' : '__udp4_lib_err',
        'ICMP port unreachable, not reported: the sender is not connected (no IP_RECVERR)',
      );
    return;
  }
  origin.err = ECONNREFUSED;
  sockDefErrorReport(k, origin);
}

// ---- sending ----

/** The flags a UDP send understands: MSG_CONFIRM and MSG_NOSIGNAL change nothing on loopback. */
function udpSendFlags(msg: Msghdr): void {
  if (msg.flags & MSG.MSG_MORE)
    throw new Unsupported('sendto', 'MSG_MORE (corking a UDP datagram) is not modelled');
  if (msg.flags & MSG.MSG_DONTROUTE) throw new Unsupported('sendto', 'MSG_DONTROUTE is not modelled');
}

/** An AF_UNIX address given to an internet send: 2 bytes (EINVAL) or a name (Unsupported). */
function unixAddrToInet(k: Kernel, fn: string, addr: Sockaddr & { family: typeof AF.AF_UNIX }): number {
  if (addr.name !== null) throw new Unsupported('sendto', 'an AF_UNIX name given to an internet socket');
  return errWhy(k, -EINVAL, fn, 'the address is shorter than the family needs');
}

/**
 * Linux: udp_sendmsg — an IPv4 datagram, from an AF_INET socket or from an AF_INET6 one (a
 * v4-mapped or AF_INET destination). `name`: the destination, null for the connected peer.
 */
function* udpSendmsg(t: Thread, sk: UdpSock, msg: Msghdr, name: Sockaddr | null): SysGen<number> {
  const k = t.k;
  const len = msg.len;
  if (len > 0xffff) return errWhy(k, -EMSGSIZE, 'udp_sendmsg', 'longer than any UDP datagram');
  // Linux: "Mirror BSD error message compatibility".
  if (msg.flags & MSG.MSG_OOB) return errWhy(k, -EOPNOTSUPP, 'udp_sendmsg', 'MSG_OOB on a UDP socket');
  udpSendFlags(msg);
  let daddr: number;
  let dport: number;
  if (name) {
    if (name.family === AF.AF_UNIX) return unixAddrToInet(k, 'udp_sendmsg', name);
    if (name.family === AF.AF_INET6)
      return errWhy(k, -EAFNOSUPPORT, 'udp_sendmsg', 'the address is not AF_INET');
    // Linux: AF_UNSPEC is read as AF_INET (a zeroed one: address 0, port 0).
    daddr = name.family === AF.AF_INET ? name.addr : INADDR_ANY;
    dport = name.family === AF.AF_INET ? name.port : 0;
    if (dport === 0) return errWhy(k, -EINVAL, 'udp_sendmsg', 'the destination port is 0');
  } else {
    if (sk.state !== 'TCP_ESTABLISHED')
      return errWhy(k, -EDESTADDRREQ, 'udp_sendmsg', 'no destination: the socket is not connected');
    daddr = sk.daddr;
    dport = sk.dport;
  }
  const fl4 = ipRouteOutput4('sendto', daddr, sk.rcvSaddr);
  const bcast = ipBroadcastCheck(k, 'sendto', sk, fl4.daddr);
  if (bcast) return bcast;
  if (len > UDP4_MAX_PAYLOAD)
    return errWhy(k, -EMSGSIZE, '__ip_append_data', 'longer than an IPv4 datagram can carry (65507)');
  const err = yield* maySleep(sockWaitForSendSpace(t, sk, msg.dontwait));
  if (err) return err;
  udpXmit(k, sk, udpSkbTruesize(len, false), {
    v6: false,
    saddr: fl4.saddr,
    daddr: fl4.daddr,
    sport: sk.num,
    dport,
    data: msg.iov.slice(0, len),
  });
  return len;
}

/**
 * Linux: ip_send_skb → loopback_xmit — the skb is charged to the sender and orphaned at once
 * (skb_orphan: sock_wfree, whose write-space callback wakes the sender's queue), then received.
 */
function udpXmit(k: Kernel, sk: UdpSock, truesize: number, pkt: Packet): void {
  // The charge and its release in the same breath leave sk_wmem_alloc as it was: only the
  // write-space callback is seen.
  sk.writeSpace(k);
  udpRcv(k, sk, pkt, truesize);
}

/** Linux: udpv6_sendmsg. */
function* udpv6Sendmsg(t: Thread, sk: UdpSock, msg: Msghdr): SysGen<number> {
  const k = t.k;
  let name = msg.name;
  let daddr: Uint8Array;
  if (name) {
    switch (name.family) {
      case AF.AF_INET6:
        daddr = name.addr;
        // Linux: a socket bound to a v4-mapped address sends "to ::" as to 127.0.0.1.
        if (in6IsAny(daddr) && isV4Mapped(sk.v6RcvSaddr)) daddr = mappedFromV4(INADDR_LOOPBACK);
        break;
      case AF.AF_INET:
        if (ipv6OnlySock(sk))
          return errWhy(k, -ENETUNREACH, 'udpv6_sendmsg', 'an AF_INET destination for an IPV6_V6ONLY socket');
        return yield* udpSendmsg(t, sk, msg, name);
      case AF.AF_UNSPEC:
        // Linux: an AF_UNSPEC address means none: the connected peer, if any.
        name = null;
        daddr = sk.v6Daddr;
        if (sk.state === 'TCP_ESTABLISHED' && isV4Mapped(daddr))
          throw new Unsupported('sendto', 'AF_UNSPEC on an AF_INET6 socket connected to a v4-mapped peer');
        break;
      default:
        return unixAddrToInet(k, 'udpv6_sendmsg', name);
    }
  } else {
    if (sk.state !== 'TCP_ESTABLISHED')
      return errWhy(k, -EDESTADDRREQ, 'udpv6_sendmsg', 'no destination: the socket is not connected');
    daddr = sk.v6Daddr;
  }
  if (name !== null || sk.state === 'TCP_ESTABLISHED') {
    if (isV4Mapped(daddr)) {
      if (ipv6OnlySock(sk))
        return errWhy(k, -ENETUNREACH, 'udpv6_sendmsg', 'a v4-mapped destination for an IPV6_V6ONLY socket');
      const sin = {
        family: AF.AF_INET,
        addr: v4FromMapped(daddr),
        port: name ? name.port : sk.dport,
      } as const;
      return yield* udpSendmsg(t, sk, msg, sin);
    }
  }
  // Linux: udpv6_sendmsg has no MSG_OOB test (checked: an IPv6 datagram sent with it arrives).
  udpSendFlags(msg);
  let dport: number;
  if (name) {
    dport = name.port;
    if (dport === 0) return errWhy(k, -EINVAL, 'udpv6_sendmsg', 'the destination port is 0');
  } else {
    if (sk.state !== 'TCP_ESTABLISHED')
      return errWhy(k, -EDESTADDRREQ, 'udpv6_sendmsg', 'no destination: the socket is not connected');
    dport = sk.dport;
  }
  // Linux: ip6_dst_lookup_tail refuses a v4-mapped source for an IPv6 destination (checked).
  if (isV4Mapped(sk.v6RcvSaddr))
    return errWhy(
      k,
      -EAFNOSUPPORT,
      'ip6_dst_lookup_tail',
      'a v4-mapped source address for an IPv6 destination',
    );
  const dst = ip6RouteOutput('sendto', daddr);
  const len = msg.len;
  if (len > UDP6_MAX_PAYLOAD)
    return errWhy(k, -EMSGSIZE, '__ip6_append_data', 'longer than an IPv6 datagram can carry (65527)');
  const err = yield* maySleep(sockWaitForSendSpace(t, sk, msg.dontwait));
  if (err) return err;
  udpXmit(k, sk, udpSkbTruesize(len, true), {
    v6: true,
    saddr: in6IsAny(sk.v6RcvSaddr) ? IN6ADDR_LOOPBACK : sk.v6RcvSaddr,
    daddr: dst,
    sport: sk.num,
    dport,
    data: msg.iov.slice(0, len),
  });
  return len;
}

/** Linux: inet_sendmsg / inet6_sendmsg — inet_send_prepare's autobind, then the protocol. */
function* udpSendmsgEntry(t: Thread, sock: Socket, msg: Msghdr): SysGen<number> {
  const sk = udpSk(sock);
  const err = inetAutobind(t.k, sk);
  if (err) return err;
  return sk.family === AF.AF_INET ? yield* udpSendmsg(t, sk, msg, msg.name) : yield* udpv6Sendmsg(t, sk, msg);
}

// ---- receiving ----

/** Linux: udp_rmem_release with partial = 1 — give back a read skb's truesize, perhaps later. */
function udpRmemRelease(sk: UdpSock, size: number): void {
  sk.forwardDeficit += size;
  const total = sk.forwardDeficit;
  // Linux: forward_threshold, which udp_lib_init_sock and udp_lib_setsockopt (SO_RCVBUF) keep at sk_rcvbuf >> 2.
  if (total < sk.rcvbuf >> 2 && sk.readerQueue.length > 0) return;
  sk.forwardDeficit = 0;
  sk.rmemAlloc -= total;
}

/** Linux: skb_queue_splice_tail_init(sk_receive_queue, reader_queue). */
function udpSpliceReaderQueue(sk: UdpSock): void {
  sk.readerQueue.push(...(sk.receiveQueue.splice(0) as UdpSkb[]));
}

/** Linux: first_packet_length — the first datagram's length, or −1 (refilling the reader queue). */
function firstPacketLength(sk: UdpSock): number {
  if (sk.readerQueue.length === 0 && sk.receiveQueue.length > 0) udpSpliceReaderQueue(sk);
  const skb = sk.readerQueue[0];
  return skb ? skb.data.length : -1;
}

/** Linux: __skb_recv_udp — the first datagram (dequeued unless MSG_PEEK), or −errno (0: shut down). */
function* skbRecvUdp(t: Thread, sk: UdpSock, peek: boolean, nonblock: boolean): SysGen<UdpSkb | number> {
  for (;;) {
    const err = sockError(sk);
    if (err) return errWhy(t.k, err, 'sock_error', 'a pending socket error (sk_err), taken by this call');
    if (sk.readerQueue.length === 0) udpSpliceReaderQueue(sk);
    const skb = sk.readerQueue[0];
    if (skb) {
      if (!peek) {
        sk.readerQueue.shift();
        udpRmemRelease(sk, skb.truesize);
      }
      return skb;
    }
    if (nonblock)
      return errWhy(t.k, -ERRNO.EAGAIN, '__skb_recv_udp', 'no datagram is queued and the call does not wait');
    const r = yield* skbWaitForMorePackets(t, sk, () => sk.receiveQueue.length > 0);
    if (r !== null) return r;
  }
}

/** Linux: udp_recvmsg / udpv6_recvmsg — a short buffer truncates, and the rest is lost. */
function* udpRecvmsg(t: Thread, sock: Socket, msg: Msghdr): SysGen<number> {
  const sk = udpSk(sock);
  if (msg.flags & MSG.MSG_ERRQUEUE)
    throw new Unsupported('recvfrom', 'MSG_ERRQUEUE (IP_RECVERR) is not modelled');
  const r = yield* skbRecvUdp(t, sk, (msg.flags & MSG.MSG_PEEK) !== 0, msg.dontwait);
  if (typeof r === 'number') return r;
  const ulen = r.data.length;
  const copied = Math.min(msg.len, ulen);
  copyBytes(msg.iov, 0, r.data, 0, copied);
  msg.copied = copied;
  msg.from = r.from;
  return msg.flags & MSG.MSG_TRUNC ? ulen : copied;
}

// ---- poll, ioctls, options ----

/** Linux: udp_poll — datagram_poll, plus the reader queue; a blocking socket's poll refills it. */
function udpPoll(k: Kernel, file: File, sock: Socket, pt: PollTable | null): number {
  const sk = udpSk(sock);
  let mask = datagramPoll(k, file, sk, pt);
  if (sk.readerQueue.length > 0) mask |= EPOLLIN | EPOLLRDNORM;
  // Linux: "Check for false positives due to checksum errors" — none here, but the check splices.
  if (mask & EPOLLRDNORM && !file.nonblock && !(sk.shutdown & RCV_SHUTDOWN) && firstPacketLength(sk) === -1)
    mask &= ~(EPOLLIN | EPOLLRDNORM);
  return mask;
}

/** Linux: udp_ioctl SIOCINQ — the first datagram's payload length, 0 when none. */
function udpInq(_k: Kernel, sock: Socket): number {
  return Math.max(0, firstPacketLength(udpSk(sock)));
}

/** Linux: udp_ioctl — SIOCOUTQ is sk_wmem_alloc_get (0 on loopback); SIOCATMARK is no UDP ioctl. */
function udpIoctl(k: Kernel, sock: Socket, cmd: number): number {
  if (cmd === SIOCOUTQ) return udpSk(sock).wmemAlloc - 1;
  if (cmd === SIOCATMARK) return errWhy(k, -ENOTTY, 'udp_ioctl', 'SIOCATMARK is not a UDP ioctl');
  return errWhy(k, -ENOTTY, 'udp_ioctl', 'no such ioctl');
}

/** Linux: udp_setsockopt — IPPROTO_UDP's own options, or the IP level's. */
function udpSetsockopt(t: Thread, sock: Socket, level: number, name: number, value: number | Linger): number {
  if (level === IPPROTO.IPPROTO_UDP)
    throw new Unsupported('setsockopt', 'IPPROTO_UDP options are not modelled');
  return ipSetsockopt(t.k, udpSk(sock), level, name, value);
}

/** Linux: udp_getsockopt. */
function udpGetsockopt(
  t: Thread,
  sock: Socket,
  level: number,
  name: number,
): { value: SockoptValue } | number {
  if (level === IPPROTO.IPPROTO_UDP)
    throw new Unsupported('getsockopt', 'IPPROTO_UDP options are not modelled');
  return ipGetsockopt(t.k, udpSk(sock), level, name);
}

// ---- connect, disconnect, close ----

/** Linux: inet_dgram_connect — AF_UNSPEC disconnects; otherwise autobind, then the family's connect. */
function inetDgramConnect(t: Thread, sock: Socket, addr: Sockaddr): number {
  const k = t.k;
  const sk = udpSk(sock);
  if (addr.family === AF.AF_UNSPEC) return udpDisconnect(k, sk);
  const err = inetAutobind(k, sk);
  if (err) return err;
  return sk.family === AF.AF_INET ? ip4DatagramConnect(k, sk, addr) : ip6DatagramConnect(k, sk, addr);
}

/**
 * Linux: udp_disconnect → __udp_disconnect — forget the peer; an address the socket did not bind
 * itself goes, and so does a port it did not bind itself (checked: even on a socket never connected).
 */
function udpDisconnect(k: Kernel, isk: InetSock): number {
  const sk = isk as UdpSock;
  sk.state = 'TCP_CLOSE';
  sk.daddr = INADDR_ANY;
  sk.dport = 0;
  // Linux: sk_v6_daddr stays (checked: an AF_INET6 socket once connected to a v4-mapped peer
  // then disconnected still scores only that address in the IPv6 lookup, so it receives no IPv6).
  if (!(sk.userlocks & SOCK_BINDADDR_LOCK)) {
    // Linux: inet_reset_saddr.
    sk.rcvSaddr = INADDR_ANY;
    sk.v6RcvSaddr = IN6ADDR_ANY;
    if (sk.userlocks & SOCK_BINDPORT_LOCK) udpLibRehash(k, sk);
  }
  if (!(sk.userlocks & SOCK_BINDPORT_LOCK)) udpLibUnhash(k, sk);
  return 0;
}

/**
 * Linux: udp_lib_close → sk_common_release — unhash, orphan, and free what is queued
 * (udp_destruct_common gives all of it back to sk_rmem_alloc).
 */
function udpLibClose(k: Kernel, isk: InetSock): void {
  const sk = isk as UdpSock;
  udpLibUnhash(k, sk);
  sk.dead = true;
  sk.receiveQueue.splice(0);
  sk.readerQueue.splice(0);
  sk.rmemAlloc = 0;
  sk.forwardDeficit = 0;
}

// ---- registration ----

/** Linux: udp_prot / udpv6_prot. */
export const udpProt: InetProto = {
  name: 'UDP',
  protocol: IPPROTO.IPPROTO_UDP,
  fileType: 'udp',
  create: (k, family, type) => new UdpSock(k, family, type),
  getPort: udpLibGetPort,
  close: udpLibClose,
  disconnect: udpDisconnect,
  rehash: udpLibRehash,
  stateChange: (k, sk) => sockDefWakeup(k, sk),
};

/** Linux: inet_dgram_ops (AF_INET) and inet6_dgram_ops (AF_INET6). */
function inetDgramOps(family: typeof AF.AF_INET | typeof AF.AF_INET6): ProtoOps {
  return protoOps({
    ...inetCommonOps(family),
    connect: inetDgramConnect,
    // Linux: sock_no_accept, sock_no_listen.
    accept: sockNoSupport,
    listen: sockNoSupport,
    poll: udpPoll,
    inq: udpInq,
    // Not Linux (fs.ts readBuffer): no datagram is longer than 65535 bytes, so no read returns more.
    readMax: () => 0xffff,
    ioctl: udpIoctl,
    setsockopt: udpSetsockopt,
    getsockopt: udpGetsockopt,
    sendmsg: udpSendmsgEntry,
    recvmsg: udpRecvmsg,
  });
}

// Linux: inet_init's inetsw_array entry for SOCK_DGRAM/IPPROTO_UDP, and udpv6_init's.
inetRegisterProtosw({
  type: SOCK.SOCK_DGRAM,
  protocol: IPPROTO.IPPROTO_UDP,
  prot: udpProt,
  ops: { [AF.AF_INET]: inetDgramOps(AF.AF_INET), [AF.AF_INET6]: inetDgramOps(AF.AF_INET6) },
});
