// Sending segments (Linux: net/ipv4/tcp_output.c): data from the write queue as far as the
// peer's window allows, the FIN after the last byte, and resets.
//
// The loopback wire: a segment is delivered inside the call that sends it (Linux's loopback_xmit
// → netif_rx, run by the same CPU's softirq before the sending call returns), and acknowledged
// at once — the model has no delayed ACK (Linux's quick-ack mode answers at once on a fresh
// loopback connection; its 40 ms delayed ACK is not modelled) and no Nagle or autocork delay
// (with nothing unacknowledged, Nagle sends at once). So snd_una catches up with snd_nxt when
// the delivery returns, and what stays charged to the sender (sk_wmem_queued) is what the
// peer's window did not take.

import type { Kernel } from '../../kernel.ts';
import { tcpFinAcked, tcpRcv, tcpReceiveWindow, tcpReset } from './tcp_input.ts';
import { inetTwskKill, isTimewait, type Segment } from './tcp_minisocks.ts';
import { TCP_FIN_TIMEOUT_SEC, type TcpSock, tcpState } from './tcp_sock.ts';

const NSEC_PER_SEC = 1_000_000_000;

/** Linux: tcp_fin_time — how long an orphan waits in FIN_WAIT2, ns. */
export function tcpFinTime(sk: TcpSock): number {
  return (sk.linger2 > 0 ? sk.linger2 : TCP_FIN_TIMEOUT_SEC) * NSEC_PER_SEC;
}

/**
 * Linux: tcp_v4_rcv's socket lookup, then the receiver — a segment from `from` to its peer. No
 * socket there (closed, or a tw sock whose time is up) answers with a reset (tcp_v4_send_reset),
 * unless the segment is one.
 */
function tcpTransmit(k: Kernel, from: TcpSock, seg: Segment): void {
  let to = from.peer;
  if (to && isTimewait(to) && to.expires <= k.now) {
    inetTwskKill(k, to);
    to = null;
  }
  if (!to || to.state === 'TCP_CLOSE') {
    if (!seg.rst) tcpReset(k, from);
    return;
  }
  tcpRcv(k, to, seg, from);
}

/** Linux: tcp_v4_send_reset / tcp_send_active_reset — an RST to `to`. */
export function tcpSendReset(k: Kernel, to: TcpSock): void {
  if (isTimewait(to)) inetTwskKill(k, to);
  else tcpReset(k, to);
}

/** Linux: tcp_send_active_reset from `sk` to its peer (the connection is being thrown away). */
export function tcpSendActiveReset(k: Kernel, sk: TcpSock): void {
  const peer = sk.peer;
  if (peer && peer.peer === sk) peer.peer = null;
  sk.peer = null;
  if (peer) tcpSendReset(k, peer);
}

/** The peer's window as the sender sees it; a gone peer takes anything (and answers RST). */
function tcpSendWnd(sk: TcpSock): number {
  const peer = sk.peer;
  if (!peer || isTimewait(peer) || peer.state === 'TCP_CLOSE') return Number.POSITIVE_INFINITY;
  return tcpReceiveWindow(peer);
}

/**
 * Linux: tcp_write_xmit (with __tcp_push_pending_frames) — send what the window allows, then the
 * FIN once the queue is empty; each delivery is acknowledged when it returns (tcp_ack frees the
 * skbs: sk_wmem_queued drops), and tcp_check_space wakes a writer that ran out of room.
 */
export function tcpWriteXmit(k: Kernel, sk: TcpSock): void {
  for (;;) {
    if (sk.state === 'TCP_CLOSE' || !sk.peer) break;
    const skb = sk.writeQueue[0];
    if (!skb) {
      if (sk.finQueued && !sk.finSent) {
        sk.finSent = true;
        const seq = sk.sndNxt;
        sk.sndNxt++;
        tcpTransmit(k, sk, { seq, data: null, fin: true, rst: false, urgSeq: -1 });
        if (tcpState(sk) === 'TCP_CLOSE') break;
        sk.sndUna = sk.sndNxt;
        tcpFinAcked(k, sk);
      }
      break;
    }
    const win = tcpSendWnd(sk);
    if (win <= 0) break;
    const n = Math.min(skb.data.length - skb.sent, win);
    const seq = sk.sndNxt;
    const data = skb.data.subarray(skb.sent, skb.sent + n);
    // Not Linux: the urgent pointer rides only on the segment that carries the urgent byte
    // (Linux puts it on every segment while snd_up is ahead; a reader sees no difference unless
    // the window splits an MSG_OOB send).
    const urgSeq = sk.sndUp > seq && sk.sndUp - 1 < seq + n ? sk.sndUp - 1 : -1;
    skb.sent += n;
    sk.sndNxt += n;
    tcpTransmit(k, sk, { seq, data, fin: false, rst: false, urgSeq });
    if (tcpState(sk) === 'TCP_CLOSE') break;
    sk.sndUna = sk.sndNxt;
    if (skb.sent === skb.data.length) {
      sk.writeQueue.shift();
      sk.wmemQueued -= skb.truesize;
    }
  }
  tcpCheckSpace(k, sk);
}

/** Linux: tcp_check_space → tcp_new_space — after an ACK, wake a writer that found no room. */
export function tcpCheckSpace(k: Kernel, sk: TcpSock): void {
  if (sk.nospace) sk.writeSpace(k);
}

/** Linux: tcp_send_fin — the FIN goes after the last queued byte (write_seq counts it). */
export function tcpSendFin(k: Kernel, sk: TcpSock): void {
  sk.finQueued = true;
  sk.writeSeq++;
  tcpWriteXmit(k, sk);
}
