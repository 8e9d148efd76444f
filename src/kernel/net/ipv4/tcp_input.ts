// Segment arrival (Linux: net/ipv4/tcp_input.c): data into the receive queue, the urgent
// pointer, the peer's FIN, a reset, and the acknowledgements that move a closing socket along.
//
// Wake-ups, as Linux makes them:
//   data queued         tcp_data_ready → sk_data_ready (sock_def_readable) once SO_RCVLOWAT
//                       bytes are there (or the FIN)
//   urgent byte         sk_data_ready (tcp_urg), before the data is queued
//   FIN                 tcp_fin → sk_state_change (sock_def_wakeup), then tcp_data_ready
//   RST                 sk_err set, tcp_done → sk_state_change, then sk_error_report
//   our FIN acked       FIN_WAIT1 → FIN_WAIT2: sk_state_change
// Nothing wakes a socket that is orphaned (SOCK_DEAD).
//
// Not Linux: the receive window is 3/4 of SO_RCVBUF less what is queued (Linux's, for a 64 KiB
// write on loopback, measured on 6.18: 98304 of 131072), and does not grow (no receive-buffer
// autotuning, tcp_rcv_space_adjust).

import { ERRNO } from '../../errors.ts';
import type { Kernel } from '../../kernel.ts';
import {
  RCV_SHUTDOWN,
  SEND_SHUTDOWN,
  SHUTDOWN_MASK,
  type SkState,
  SOCK_BINDPORT_LOCK,
  SOCK_URGINLINE,
  sockDefErrorReport,
  sockDefReadable,
  sockDefWakeup,
  sockFlag,
} from '../sock.ts';
import { inetPutPort } from './inet_hashtables.ts';
import { isTimewait, type Segment, tcpTimeWait, tcpTimewaitStateProcess } from './tcp_minisocks.ts';
import { tcpFinTime, tcpSendReset } from './tcp_output.ts';
import { TCP_URG_NOTYET, TCP_URG_VALID, type TcpSock } from './tcp_sock.ts';

const { ECONNREFUSED, ECONNRESET, EPIPE } = ERRNO;

/** Not Linux: the receive window (see the top of this file). */
export function tcpReceiveWindow(sk: TcpSock): number {
  return Math.max(0, Math.floor((sk.rcvbuf * 3) / 4) - (sk.rcvNxt - sk.copiedSeq));
}

/** Linux: tcp_set_state — leaving for TCP_CLOSE unhashes, and frees a port bind() did not fix. */
export function tcpSetState(k: Kernel, sk: TcpSock, state: SkState): void {
  sk.state = state;
  // Linux: tcp_clear_xmit_timers (tcp_done, tcp_disconnect) or tcp_ack of the SYN.
  if (state !== 'TCP_SYN_SENT' && sk.synTimer) {
    sk.synTimer.active = false;
    sk.synTimer = null;
  }
  if (state === 'TCP_CLOSE' && sk.num && !(sk.userlocks & SOCK_BINDPORT_LOCK)) {
    inetPutPort(k, 'tcp', sk);
    // Checked on 6.18: after a refused connect getsockname still shows the port, which another
    // socket may now bind.
    sk.keptSport = sk.num;
    sk.num = 0;
  }
}

/** Linux: tcp_write_queue_purge — unsent data is dropped (its memory with it). */
export function tcpWriteQueuePurge(sk: TcpSock): void {
  sk.writeQueue.length = 0;
  sk.wmemQueued = 0;
}

/** Linux: inet_csk_destroy_sock (tcp_v4_destroy_sock) — an orphan's last breath: its port goes. */
export function inetCskDestroySock(k: Kernel, sk: TcpSock): void {
  tcpWriteQueuePurge(sk);
  sk.rcvQueue.length = 0;
  if (sk.num) {
    inetPutPort(k, 'tcp', sk);
    sk.num = 0;
  }
}

/** Linux: tcp_done — the connection is over: CLOSE, both directions shut, and the waiters told. */
export function tcpDone(k: Kernel, sk: TcpSock): void {
  tcpSetState(k, sk, 'TCP_CLOSE');
  sk.shutdown = SHUTDOWN_MASK;
  if (sk.peer && sk.peer.peer === sk) sk.peer.peer = null;
  sk.peer = null;
  if (!sk.dead) sockDefWakeup(k, sk);
  else inetCskDestroySock(k, sk);
}

/** Linux: tcp_done_with_error — sk_err first (tcp_poll reads it), then tcp_done, then sk_error_report. */
export function tcpDoneWithError(k: Kernel, sk: TcpSock, err: number): void {
  sk.err = err;
  tcpWriteQueuePurge(sk);
  tcpDone(k, sk);
  if (!sk.dead) sockDefErrorReport(k, sk);
}

/** Linux: tcp_reset — an RST arrived: the error depends on the state it finds. */
export function tcpReset(k: Kernel, sk: TcpSock): void {
  let err: number;
  switch (sk.state) {
    case 'TCP_SYN_SENT':
      err = ECONNREFUSED;
      break;
    case 'TCP_CLOSE_WAIT':
      err = EPIPE;
      break;
    case 'TCP_CLOSE':
      return;
    default:
      err = ECONNRESET;
  }
  tcpDoneWithError(k, sk, err);
}

/** Linux: tcp_epollin_ready — enough to read (the FIN counts one), or the window nearly shut. */
export function tcpEpollinReady(sk: TcpSock, target: number): boolean {
  const avail = sk.rcvNxt - sk.copiedSeq;
  if (avail <= 0) return false;
  return avail >= target || tcpReceiveWindow(sk) <= sk.mssCache;
}

/** Linux: tcp_data_ready. */
export function tcpDataReady(k: Kernel, sk: TcpSock): void {
  if (tcpEpollinReady(sk, sk.rcvlowat) || sk.done) sockDefReadable(k, sk);
}

/**
 * Linux: tcp_check_urg — a new urgent pointer. An older urgent byte not yet read stays in the
 * stream as ordinary data (only one urgent byte is kept); if the reader is parked on it, it is
 * skipped. Not Linux: SIGURG is not sent (no F_SETOWN in the model).
 */
function tcpCheckUrg(sk: TcpSock, ptr: number): void {
  if (sk.urgData && !(ptr > sk.urgSeq)) return;
  if (
    sk.urgSeq === sk.copiedSeq &&
    sk.urgData &&
    !sockFlag(sk, SOCK_URGINLINE) &&
    sk.copiedSeq !== sk.rcvNxt
  ) {
    sk.copiedSeq++;
    const head = sk.rcvQueue[0];
    if (head && sk.copiedSeq >= head.seq + head.data.length) sk.rcvQueue.shift();
  }
  sk.urgData = TCP_URG_NOTYET;
  sk.urgSeq = ptr;
}

/** Linux: tcp_urg — the urgent byte itself, once it is in a segment. */
function tcpUrg(k: Kernel, sk: TcpSock, seg: Segment): void {
  tcpCheckUrg(sk, seg.urgSeq);
  if (sk.urgData === TCP_URG_NOTYET && seg.data) {
    const off = sk.urgSeq - seg.seq;
    if (off >= 0 && off < seg.data.length) {
      sk.urgData = TCP_URG_VALID | seg.data[off]!;
      if (!sk.dead) sockDefReadable(k, sk);
    }
  }
}

/** Linux: tcp_fin — the peer will send no more. */
function tcpFin(k: Kernel, sk: TcpSock): void {
  sk.shutdown |= RCV_SHUTDOWN;
  sk.done = true;
  switch (sk.state) {
    case 'TCP_SYN_RECV':
    case 'TCP_ESTABLISHED':
      tcpSetState(k, sk, 'TCP_CLOSE_WAIT');
      break;
    case 'TCP_FIN_WAIT1':
      // Linux: simultaneous close; our FIN is still on its way.
      tcpSetState(k, sk, 'TCP_CLOSING');
      break;
    case 'TCP_FIN_WAIT2':
      // Linux: tcp_time_wait's tcp_done wakes the socket once; the wake below is a second.
      tcpTimeWait(k, sk, 'TCP_TIME_WAIT', 0);
      break;
    default:
      break;
  }
  if (!sk.dead) sockDefWakeup(k, sk);
}

/** Linux: tcp_data_queue — in-order data (loopback never reorders) and the FIN after it. */
function tcpDataQueue(k: Kernel, sk: TcpSock, seg: Segment): void {
  if (seg.data && seg.data.length > 0) {
    sk.rcvQueue.push({ id: k.nextId(), seq: seg.seq, data: seg.data });
    sk.rcvNxt = seg.seq + seg.data.length;
  }
  if (seg.fin) {
    sk.rcvNxt++;
    tcpFin(k, sk);
  }
  if (!sk.dead) tcpDataReady(k, sk);
}

/**
 * Linux: tcp_v4_rcv → tcp_rcv_state_process / tcp_rcv_established / tcp_timewait_state_process —
 * a segment from `from` reaches `sk`. The acknowledgement the sender needs is the return: the
 * caller (tcp_output.ts) moves its own state on when this returns.
 */
export function tcpRcv(k: Kernel, sk: TcpSock, seg: Segment, from: TcpSock): void {
  if (isTimewait(sk)) {
    tcpTimewaitStateProcess(k, sk, seg, from);
    return;
  }
  if (seg.rst) {
    tcpReset(k, sk);
    return;
  }
  const hasData = seg.data !== null && seg.data.length > 0;
  switch (sk.state) {
    case 'TCP_FIN_WAIT1':
    case 'TCP_FIN_WAIT2':
      // Linux: "RFC 793 says to queue data in these states, RFC 1122 says we MUST send a reset."
      if (sk.shutdown & RCV_SHUTDOWN && hasData) {
        tcpReset(k, sk);
        tcpSendReset(k, from);
        return;
      }
      break;
    case 'TCP_ESTABLISHED':
      break;
    default:
      // CLOSE_WAIT, CLOSING, LAST_ACK: the peer's FIN came already; nothing more is queued.
      return;
  }
  if (seg.urgSeq >= 0) tcpUrg(k, sk, seg);
  tcpDataQueue(k, sk, seg);
}

/**
 * Linux: tcp_rcv_state_process's ACK handling, for the ACK of our FIN: FIN_WAIT1 → FIN_WAIT2
 * (an orphan goes to a tw sock, or is reset with TCP_LINGER2 < 0), CLOSING → TIME_WAIT,
 * LAST_ACK → CLOSE.
 */
export function tcpFinAcked(k: Kernel, sk: TcpSock): void {
  switch (sk.state) {
    case 'TCP_FIN_WAIT1':
      tcpSetState(k, sk, 'TCP_FIN_WAIT2');
      sk.shutdown |= SEND_SHUTDOWN;
      if (!sk.dead) {
        // Linux: "Wake up lingering close()".
        sockDefWakeup(k, sk);
        return;
      }
      if (sk.linger2 < 0) {
        const peer = sk.peer;
        tcpDone(k, sk);
        if (peer) tcpSendReset(k, peer);
        return;
      }
      tcpTimeWait(k, sk, 'TCP_FIN_WAIT2', tcpFinTime(sk));
      return;
    case 'TCP_CLOSING':
      tcpTimeWait(k, sk, 'TCP_TIME_WAIT', 0);
      return;
    case 'TCP_LAST_ACK':
      tcpDone(k, sk);
      return;
    default:
      return;
  }
}
