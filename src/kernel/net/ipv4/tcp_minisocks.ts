// TIME_WAIT (Linux: net/ipv4/tcp_minisocks.c and inet_timewait_sock.c): what is left of a
// connection after its socket is gone — a small sock that holds the port and answers the peer's
// last segments, for TCP_TIMEWAIT_LEN (60 s) in TIME_WAIT, or for the FIN timeout (TCP_LINGER2,
// else net.ipv4.tcp_fin_timeout, 60 s) when an orphaned socket waits in FIN_WAIT2 for the
// peer's FIN (the tw's substate).
//
// Not Linux: no timer runs. A tw sock whose time is up is dropped when someone next looks (a bind,
// a listen, a segment to it). The clock only moves when every thread sleeps, so nothing can
// look in between and see the difference. Linux's FIN_WAIT2 longer than 60 s first waits on the
// keepalive timer and then becomes a tw; the model makes it a tw at once, for the whole time.

import { defineKernelState, type Kernel } from '../../kernel.ts';
import { twReaper } from './inet_connection_sock.ts';
import { inetBindHash, inetPutPort } from './inet_hashtables.ts';
import { tcpDone } from './tcp_input.ts';
import { tcpSendReset } from './tcp_output.ts';
import { TCP_TIMEWAIT_LEN, TcpSock } from './tcp_sock.ts';

/** The live tw socks of a kernel (Linux: the tw sockets in the ehash, with their timers). */
const timewait = defineKernelState<{ socks: TcpSock[] }>(
  'tcp_timewait',
  () => ({ socks: [] }),
  (s) => s.socks.map((tw) => ({ id: tw.id, state: tw.state, port: tw.num, expires: tw.expires })),
);

/** A tw sock: what tcp_time_wait leaves behind. */
export function isTimewait(sk: TcpSock): boolean {
  return sk.expires > 0;
}

/**
 * Linux: tcp_time_wait — `sk` leaves its port and its peer to a tw sock in `state` (TIME_WAIT,
 * or FIN_WAIT2 as the tw's substate) for `timeo` ns (0: TCP_TIMEWAIT_LEN), then tcp_done.
 */
export function tcpTimeWait(
  k: Kernel,
  sk: TcpSock,
  state: 'TCP_TIME_WAIT' | 'TCP_FIN_WAIT2',
  timeo: number,
): void {
  // Linux: inet_twsk_alloc copies the addresses, ports and sk_reuse/sk_reuseport.
  const tw = new TcpSock(k, sk.family, sk.type, sk.protocol);
  tw.prot = sk.prot;
  tw.rcvSaddr = sk.rcvSaddr;
  tw.v6RcvSaddr = sk.v6RcvSaddr;
  tw.daddr = sk.daddr;
  tw.v6Daddr = sk.v6Daddr;
  tw.dport = sk.dport;
  tw.ipv6only = sk.ipv6only;
  tw.reuse = sk.reuse;
  tw.reuseport = sk.reuseport;
  tw.rcvNxt = sk.rcvNxt;
  tw.state = state;
  tw.dead = true;
  tw.expires = k.now + (state === 'TCP_TIME_WAIT' || timeo === 0 ? TCP_TIMEWAIT_LEN : timeo);
  // Linux: inet_twsk_hashdance — the tw joins the bind bucket and takes the connection's place.
  if (sk.num) inetBindHash(k, 'tcp', tw, sk.num);
  tw.peer = sk.peer;
  if (sk.peer && sk.peer.peer === sk) sk.peer.peer = tw;
  sk.peer = null;
  k.state(timewait).socks.push(tw);
  tcpDone(k, sk);
}

/** Linux: inet_twsk_kill (the tw timer, or a segment that ends it) — the port is free again. */
export function inetTwskKill(k: Kernel, tw: TcpSock): void {
  const list = k.state(timewait).socks;
  const i = list.indexOf(tw);
  if (i >= 0) list.splice(i, 1);
  inetPutPort(k, 'tcp', tw);
  if (tw.peer && tw.peer.peer === tw) tw.peer.peer = null;
  tw.peer = null;
  tw.state = 'TCP_CLOSE';
  tw.expires = 0;
}

/** Drop every tw sock whose time is up (Linux: tw_timer_handler, run late). */
export function tcpTwReap(k: Kernel): void {
  for (const tw of [...k.state(timewait).socks]) if (tw.expires <= k.now) inetTwskKill(k, tw);
}
twReaper.reap = tcpTwReap;

/** A segment as the wire carries it (./tcp_output.ts). */
export interface Segment {
  /** The sequence number of the first byte (or of the FIN). */
  readonly seq: number;
  readonly data: Uint8Array | null;
  readonly fin: boolean;
  readonly rst: boolean;
  /** The sequence number of an urgent byte in `data`, or −1. */
  readonly urgSeq: number;
}

/**
 * Linux: tcp_timewait_state_process — a segment reaches a tw sock. In the FIN_WAIT2 substate the
 * peer's FIN moves it to TIME_WAIT; new data there (RFC 1122: the reader is gone) ends it with a
 * reset. An RST ends it (net.ipv4.tcp_rfc1337 = 0). `from` is the sender.
 */
export function tcpTimewaitStateProcess(k: Kernel, tw: TcpSock, seg: Segment, from: TcpSock): void {
  if (seg.rst) {
    inetTwskKill(k, tw);
    return;
  }
  if (tw.state === 'TCP_FIN_WAIT2' && !(seg.data && seg.data.length > 0)) {
    if (seg.fin) {
      tw.rcvNxt = seg.seq + 1;
      tw.state = 'TCP_TIME_WAIT';
      tw.expires = k.now + TCP_TIMEWAIT_LEN;
    }
    return;
  }
  if (tw.state === 'TCP_FIN_WAIT2') {
    inetTwskKill(k, tw);
    tcpSendReset(k, from);
  }
}
