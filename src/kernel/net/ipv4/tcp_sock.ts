// The TCP socket (Linux: struct tcp_sock, include/linux/tcp.h, with the parts of struct
// inet_connection_sock the model needs): sequence numbers, the write queue, urgent data, the
// accept queue of a listener, and the IPPROTO_TCP options.
//
// The model's loopback "wire" is a pointer: `peer` is the sock at the other end of the
// connection, and a segment is a function call on it (./tcp_output.ts sends, ./tcp_input.ts
// receives), inside the sending call, as the same-CPU softirq delivers a loopback segment.
//
// Not Linux: sequence numbers start at 0 in each direction (the ISN is random in Linux and no
// result depends on it) and never wrap (a model run moves far fewer than 2^53 bytes).

import { EPOLL } from '../../../abi/constants.ts';
import { formatSockaddr } from '../../../api/sockaddr.ts';
import type { Kernel, Timer } from '../../kernel.ts';
import { type SkState, sockWakeSleepers } from '../sock.ts';
import { InetSock, inetLocalAddr, inetPeerAddr } from './inet_sock.ts';

/** Linux: tcp_sock.urg_data's flags (include/net/tcp.h). The low byte is the urgent byte. */
export const TCP_URG_VALID = 0x0100;
export const TCP_URG_NOTYET = 0x0200;
export const TCP_URG_READ = 0x0400;

/** Linux: tcp_sock.nonagle bits. */
export const TCP_NAGLE_OFF = 1;
export const TCP_NAGLE_CORK = 2;
export const TCP_NAGLE_PUSH = 4;

/** Linux: TCP_MSS_DEFAULT — mss_cache before a connection has measured its path. */
export const TCP_MSS_DEFAULT = 536;
/** Linux: TCP_TIMEWAIT_LEN, 60 s (in virtual ns). */
export const TCP_TIMEWAIT_LEN = 60_000_000_000;
/** Linux: net.ipv4.tcp_fin_timeout default, 60 s (in seconds, as TCP_LINGER2 reads it). */
export const TCP_FIN_TIMEOUT_SEC = 60;

/**
 * A segment's payload as the receiver queues it (Linux: an skb on sk_receive_queue with its
 * TCP_SKB_CB seq/end_seq). `seq` is the sequence number of data[0].
 */
export interface TcpRcvSkb {
  readonly id: number;
  readonly seq: number;
  readonly data: Uint8Array;
}

/**
 * Bytes a sendmsg queued and the wire has not taken yet (Linux: an skb on the write queue). Its
 * truesize stays in the sender's sk_wmem_queued until all of it is sent and (at once, on
 * loopback) acknowledged.
 */
export interface TcpSndSkb {
  readonly id: number;
  readonly data: Uint8Array;
  /** Bytes of `data` already sent. */
  sent: number;
  readonly truesize: number;
}

/** Linux: struct tcp_sock (and inet_connection_sock). */
export class TcpSock extends InetSock {
  /** The other end of the connection (Not Linux: the model's wire), or null. */
  peer: TcpSock | null = null;
  /** Linux: rcv_nxt — the next sequence number expected from the peer (its FIN counts one). */
  rcvNxt = 0;
  /** Linux: copied_seq — the next sequence number the reader will take. */
  copiedSeq = 0;
  /** Linux: write_seq — one past the last byte a sendmsg queued (our FIN counts one). */
  writeSeq = 0;
  /** Linux: snd_nxt — the next sequence number to send. */
  sndNxt = 0;
  /** Linux: snd_una — the first byte not acknowledged. Loopback acknowledges at once: = snd_nxt. */
  sndUna = 0;
  /** Linux: sk_receive_queue — in-order data from the peer, oldest first. */
  readonly rcvQueue: TcpRcvSkb[] = [];
  /** Linux: sk_write_queue — data not yet sent (the peer's window was closed). */
  readonly writeQueue: TcpSndSkb[] = [];
  /** Linux: sk_wmem_queued — the truesize of `writeQueue`. */
  wmemQueued = 0;
  /** True once our FIN is queued behind `writeQueue` (Linux: TCPHDR_FIN on the tail skb). */
  finQueued = false;
  /** True once our FIN has gone out. */
  finSent = false;
  /** Linux: SOCK_DONE — the peer's FIN has arrived. */
  done = false;
  /** Linux: SOCK_NOSPACE on sk->sk_socket — a writer or poll found no room; tcp_check_space wakes. */
  nospace = false;
  /** Linux: urg_data — 0, TCP_URG_NOTYET, TCP_URG_VALID | byte, or TCP_URG_READ. */
  urgData = 0;
  /** Linux: urg_seq — the sequence number of the urgent byte. */
  urgSeq = 0;
  /** Linux: snd_up — one past our last urgent byte (0: none sent). */
  sndUp = 0;
  /** Linux: icsk_accept_queue — established children not yet accepted, oldest first. */
  readonly acceptQueue: TcpSock[] = [];
  /** Linux: sk_ack_backlog — children in the accept queue. */
  ackBacklog = 0;
  /** For a child in an accept queue: its listener (Linux: the request sock's rsk_listener). */
  parent: TcpSock | null = null;
  /** Linux: nonagle — TCP_NODELAY (TCP_NAGLE_OFF) and TCP_CORK (TCP_NAGLE_CORK). */
  nonagle = 0;
  /** Linux: rx_opt.user_mss (TCP_MAXSEG), 0 if unset. */
  userMss = 0;
  /** Linux: mss_cache. */
  mssCache = TCP_MSS_DEFAULT;
  /** Linux: keepalive_time / keepalive_intvl (seconds) and keepalive_probes (0: the sysctls'). */
  keepaliveTime = 0;
  keepaliveIntvl = 0;
  keepaliveProbes = 0;
  /** Linux: linger2 — TCP_LINGER2 in seconds (0: tcp_fin_timeout; −1: reset FIN_WAIT2 at once). */
  linger2 = 0;
  /** Linux: notsent_lowat (TCP_NOTSENT_LOWAT); 0: net.ipv4.tcp_notsent_lowat (UINT_MAX). */
  notsentLowat = 0;
  /** Linux: icsk_syn_retries (TCP_SYNCNT); 0: net.ipv4.tcp_syn_retries (6). */
  synRetries = 0;
  /**
   * Set by tcp_disconnect of a connection (not of a listener). Measured on 6.18: such a socket
   * can no longer listen — listen takes a port, then fails with EINVAL (the source path that
   * refuses it was not found; the model reproduces the behaviour, not the mechanism).
   */
  disconnected = false;
  /** When the first SYN went out (virtual ns), and how many times it was sent again (icsk_retransmits). */
  synSentAt = 0;
  synRetransmits = 0;
  /** Linux: icsk_retransmit_timer, armed while a SYN waits for an answer (SYN_SENT); else null. */
  synTimer: Timer | null = null;
  /** A TIME_WAIT or orphaned FIN_WAIT2 sock: when it dies, virtual ns (Linux: the tw timer). */
  expires = 0;

  constructor(k: Kernel, family: number, type: number, protocol: number) {
    super(k, family === 10 ? 'tcp6' : 'tcp', family, type, protocol, 0);
  }

  /** Linux: sk_stream_write_space (sk_write_space) — wake writers once writable again. */
  override writeSpace(k: Kernel): void {
    if (this.dead || !skStreamIsWriteable(this, true)) return;
    this.nospace = false;
    sockWakeSleepers(
      k,
      this,
      1,
      EPOLL.EPOLLOUT | EPOLL.EPOLLWRNORM | EPOLL.EPOLLWRBAND,
      'sk_stream_write_space',
    );
  }

  /** Linux: inet_diag's view of a TCP sock (ss -ti), as plain JSON. */
  override diag(): object {
    return {
      state: this.state,
      local: formatSockaddr(inetLocalAddr(this)),
      remote: this.dport ? formatSockaddr(inetPeerAddr(this)) : null,
      peer: this.peer?.id ?? null,
      rcvNxt: this.rcvNxt,
      copiedSeq: this.copiedSeq,
      writeSeq: this.writeSeq,
      sndUna: this.sndUna,
      wmemQueued: this.wmemQueued,
      sndbuf: this.sndbuf,
      rcvbuf: this.rcvbuf,
      ackBacklog: this.ackBacklog,
      maxAckBacklog: this.maxAckBacklog,
      acceptQueue: this.acceptQueue.map((c) => c.id),
      urgData: this.urgData,
      err: this.err,
      shutdown: this.shutdown,
    };
  }
}

/** Linux: tcp_notsent_lowat — TCP_NOTSENT_LOWAT or the sysctl (UINT_MAX: no limit). */
export function tcpNotsentLowat(tp: TcpSock): number {
  return tp.notsentLowat || 0xffffffff;
}

/** Linux: tcp_stream_memory_free — unsent bytes (doubled when waking) below TCP_NOTSENT_LOWAT. */
export function tcpStreamMemoryFree(tp: TcpSock, wake: boolean): boolean {
  const notsent = tp.writeSeq - tp.sndNxt - (tp.finQueued && !tp.finSent ? 1 : 0);
  return notsent * (wake ? 2 : 1) < tcpNotsentLowat(tp);
}

/** Linux: __sk_stream_memory_free. */
export function skStreamMemoryFree(tp: TcpSock, wake: boolean): boolean {
  if (tp.wmemQueued >= tp.sndbuf) return false;
  return tcpStreamMemoryFree(tp, wake);
}

/**
 * Linux: __sk_stream_is_writeable — free space at least half of what is queued
 * (sk_stream_wspace >= sk_stream_min_wspace) and memory free.
 */
export function skStreamIsWriteable(tp: TcpSock, wake: boolean): boolean {
  return tp.sndbuf - tp.wmemQueued >= tp.wmemQueued >> 1 && skStreamMemoryFree(tp, wake);
}

/**
 * The state as it is now. Not Linux: a read through a function, so TypeScript does not narrow
 * sk.state across calls that change it (a segment delivered inside the call).
 */
export const tcpState = (sk: TcpSock): SkState => sk.state;
