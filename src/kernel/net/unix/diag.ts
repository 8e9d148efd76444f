// AF_UNIX sockets as plain JSON, for snapshots (Linux: net/unix/diag.c, which reports the same
// things through sock_diag: state, peer, name, queue lengths and memory).

import { SOCK } from '../../../abi/constants.ts';
import { snapshotWaitQueue, type WaitQueueSnapshot } from '../../waitqueue.ts';
import { type UnixSock, type UnixState, unixWritable } from './unix_sock.ts';

/** A socket's private state as plain JSON (ids, buffers as lengths, queue ids). */
export function snapshotUnixSocket(sk: UnixSock): {
  id: number;
  name: string;
  type: 'SOCK_STREAM' | 'SOCK_DGRAM' | 'SOCK_SEQPACKET';
  state: UnixState;
  shutdown: number;
  err: number;
  peer: number | null;
  addr: string | null;
  receiveQueue: { id: number; len: number; consumed: number; truesize: number; owner: number }[];
  wmemAlloc: number;
  sndbuf: number;
  writable: boolean;
  maxAckBacklog: number;
  wq: WaitQueueSnapshot;
  peerWait: WaitQueueSnapshot;
  peerWakeTarget: number | null;
  dead: boolean;
  listener: number | null;
} {
  return {
    id: sk.id,
    name: `unix:${sk.id}`,
    type:
      sk.type === SOCK.SOCK_STREAM
        ? 'SOCK_STREAM'
        : sk.type === SOCK.SOCK_DGRAM
          ? 'SOCK_DGRAM'
          : 'SOCK_SEQPACKET',
    state: sk.state,
    shutdown: sk.shutdown,
    err: sk.err,
    peer: sk.peer?.id ?? null,
    addr: sk.addr === null ? null : `@${sk.addr}`,
    receiveQueue: sk.receiveQueue.map((s) => ({
      id: s.id,
      len: s.data.length,
      consumed: s.consumed,
      truesize: s.truesize,
      owner: s.owner.id,
    })),
    wmemAlloc: sk.wmemAlloc,
    sndbuf: sk.sndbuf,
    writable: unixWritable(sk, sk.state),
    maxAckBacklog: sk.maxAckBacklog,
    wq: snapshotWaitQueue(sk.wq),
    peerWait: snapshotWaitQueue(sk.peerWait),
    peerWakeTarget: sk.peerWakeTarget?.id ?? null,
    dead: sk.dead,
    listener: sk.listener?.id ?? null,
  };
}
