// Property tests for AF_UNIX socketpairs: over random sequences of reads and writes of random
// sizes, a stream delivers every byte once and in order, and datagram/seqpacket sockets keep
// message boundaries (a short read truncates one message and discards the rest of it). Both
// non-blocking (one thread) and blocking (a writer thread and a reader thread) are covered.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AF, EPOLL, SOCK } from '../../src/abi/constants.ts';
import type { SysResult } from '../../src/api/syscalls.ts';
import { unixSockOfFile } from '../../src/kernel/net/unix/af_unix.ts';
import type { UnixSock } from '../../src/kernel/net/unix/unix_sock.ts';
import type { SimSyscalls } from '../../src/kernel/syscalls.ts';
import { ok, type Sim, withSim } from '../helpers.ts';
import { pollMask } from './helpers.ts';

const { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_NONBLOCK } = SOCK;

/** The k-th byte written in direction `dir`: not periodic, so loss, duplication or reordering shows. */
const patternByte = (dir: number, k: number): number =>
  (Math.imul(k + 1 + dir * 0x9e3779b9, 2654435761) >>> 24) & 0xff;

function pattern(dir: number, from: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = patternByte(dir, from + i);
  return out;
}

function sockOf(sim: Sim, fd: number): UnixSock {
  return unixSockOfFile(sim.p.fdtable.get(fd)!)!;
}

type Op = { kind: 'write' | 'read'; side: 0 | 1; size: number };

const opArb = (maxWrite: number, maxRead: number): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('write' as const),
      side: fc.constantFrom(0 as const, 1 as const),
      size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: maxWrite })),
    }),
    fc.record({
      kind: fc.constant('read' as const),
      side: fc.constantFrom(0 as const, 1 as const),
      size: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: maxRead })),
    }),
  );

test('stream_socketpair_nonblocking_delivers_every_byte_once_in_order', () =>
  fc.assert(
    fc.asyncProperty(fc.array(opArb(120000, 120000), { maxLength: 60 }), (ops) =>
      withSim(async (sim) => {
        const { sys } = sim;
        const fds = ok(await sys.socketpair(AF.AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)).fds;
        // Per direction d (written by fds[d], read by fds[1 − d]): bytes written and read so far.
        const written = [0, 0];
        const read = [0, 0];
        for (const op of ops) {
          const fd = fds[op.side];
          if (op.kind === 'write') {
            const dir = op.side;
            const sender = sockOf(sim, fd);
            const full = sender.wmemAlloc - 1 >= sender.sndbuf;
            const r = await sys.write(fd, pattern(dir, written[dir], op.size));
            if ('errno' in r) {
              assert.equal(r.errno, 'EAGAIN');
              assert.ok(full, 'EAGAIN only when the send buffer is full');
              assert.ok(op.size > 0);
            } else {
              assert.ok(!full || op.size === 0, 'a full send buffer accepts nothing');
              assert.ok(r.ret <= op.size && (r.ret > 0 || op.size === 0));
              written[dir] += r.ret;
            }
          } else {
            const dir = 1 - op.side;
            const pending = written[dir] - read[dir];
            assert.equal(ok(await sys.ioctl_fionread(fd)).ret, pending);
            assert.equal((pollMask(sim, fd) & EPOLL.EPOLLIN) !== 0, pending > 0);
            const r = await sys.read(fd, op.size);
            if ('errno' in r) {
              assert.equal(r.errno, 'EAGAIN');
              assert.equal(pending, 0);
            } else {
              assert.equal(r.ret, Math.min(op.size, pending));
              assert.deepEqual(r.data, pattern(dir, read[dir], r.ret));
              read[dir] += r.ret;
            }
          }
          for (const s of [0, 1]) {
            const sk = sockOf(sim, fds[s]);
            assert.equal((pollMask(sim, fds[s]) & EPOLL.EPOLLOUT) !== 0, 4 * sk.wmemAlloc <= sk.sndbuf);
          }
        }
        // Drain: what is left arrives intact, and every skb's charge goes back to its sender.
        for (const dir of [0, 1]) {
          while (read[dir] < written[dir]) {
            const r = ok(await sys.read(fds[1 - dir], 1 << 17));
            assert.deepEqual(r.data, pattern(dir, read[dir], r.ret));
            read[dir] += r.ret;
          }
          assert.equal(sockOf(sim, fds[dir]).wmemAlloc, 1);
        }
      }),
    ),
    { numRuns: 150 },
  ));

test('datagram_and_seqpacket_socketpairs_nonblocking_keep_message_boundaries', () =>
  fc.assert(
    fc.asyncProperty(
      fc.constantFrom(SOCK_DGRAM, SOCK_SEQPACKET),
      fc.array(opArb(20000, 20000), { maxLength: 80 }),
      (type, ops) =>
        withSim(async (sim) => {
          const { sys } = sim;
          const fds = ok(await sys.socketpair(AF.AF_UNIX, type | SOCK_NONBLOCK, 0)).fds;
          // Per direction: the messages queued, as [first byte index, length].
          const queues: [number, number][][] = [[], []];
          const written = [0, 0];
          for (const op of ops) {
            const fd = fds[op.side];
            if (op.kind === 'write') {
              const dir = op.side;
              const sender = sockOf(sim, fd);
              const full = sender.wmemAlloc - 1 >= sender.sndbuf;
              const r = await sys.write(fd, pattern(dir, written[dir], op.size));
              if ('errno' in r) {
                assert.equal(r.errno, 'EAGAIN');
                assert.ok(full);
              } else {
                assert.ok(!full);
                assert.equal(r.ret, op.size, 'a datagram is sent whole or not at all');
                queues[dir].push([written[dir], op.size]);
                written[dir] += op.size;
              }
            } else {
              const q = queues[1 - op.side];
              const fion = ok(await sys.ioctl_fionread(fd)).ret;
              const total = q.reduce((n, [, len]) => n + len, 0);
              assert.equal(fion, type === SOCK_DGRAM ? (q[0]?.[1] ?? 0) : total);
              const r = await sys.read(fd, op.size);
              const msg = q.shift();
              if ('errno' in r) {
                assert.equal(r.errno, 'EAGAIN');
                assert.equal(msg, undefined);
              } else {
                assert.ok(msg);
                const [from, len] = msg;
                assert.equal(r.ret, Math.min(op.size, len));
                assert.deepEqual(r.data, pattern(1 - op.side, from, r.ret));
              }
            }
          }
          for (const dir of [0, 1]) {
            for (const [from, len] of queues[dir]) {
              const r = ok(await sys.read(fds[1 - dir], Math.max(len, 1)));
              assert.deepEqual(r.data, pattern(dir, from, len));
            }
            assert.equal(sockOf(sim, fds[dir]).wmemAlloc, 1);
          }
        }),
    ),
    { numRuns: 150 },
  ));

/** One thread issuing a sequence of blocking calls, one at a time. */
interface Actor {
  /** The next call, or null when the actor is done. */
  next(): Promise<SysResult<object>> | null;
  /** The result of the call last issued. */
  done(r: SysResult<object>): void;
  pending: Promise<SysResult<object>> | null;
}

/**
 * Run actors until all are done. Each always has its next call issued at once, so a call that
 * blocks is woken by another actor's call; if every actor is blocked, that is a lost wake-up.
 */
async function runActors(sim: Sim, actors: Actor[]): Promise<void> {
  for (;;) {
    let progressed = false;
    let live = false;
    for (const a of actors) {
      if (a.pending === null) a.pending = a.next();
      if (a.pending === null) continue;
      live = true;
      if (!sim.blocked(a.pending)) {
        const p = a.pending;
        a.pending = null;
        a.done(await p);
        progressed = true;
      }
    }
    if (!live) return;
    if (!progressed) assert.fail(`every actor is blocked: ${JSON.stringify(sim.k.blockedThreads())}`);
  }
}

test('stream_socketpair_blocking_writer_and_reader_threads_lose_nothing', () =>
  fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 150000 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 100000 }), { minLength: 1, maxLength: 20 }),
      fc.constantFrom(0, 1),
      (writes, readSizes, writerSide) =>
        withSim(async (sim) => {
          const fds = ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK_STREAM, 0)).fds;
          const wfd = fds[writerSide];
          const rfd = fds[1 - writerSide];
          const total = writes.reduce((a, b) => a + b, 0);
          const writer: SimSyscalls = sim.thread('writer');
          const reader: SimSyscalls = sim.thread('reader');
          let wi = 0;
          let sent = 0;
          let received = 0;
          let ri = 0;
          await runActors(sim, [
            {
              pending: null,
              next: () => (wi < writes.length ? writer.write(wfd, pattern(0, sent, writes[wi])) : null),
              done(r) {
                // Blocking: the whole write is taken, however many chunks it needed.
                assert.equal(ok(r).ret, writes[wi]);
                sent += writes[wi++];
              },
            },
            {
              pending: null,
              next: () => (received < total ? reader.read(rfd, readSizes[ri++ % readSizes.length]) : null),
              done(r) {
                const { ret, data } = ok(r as SysResult<{ data: Uint8Array }>);
                assert.ok(ret > 0);
                assert.deepEqual(data, pattern(0, received, ret));
                received += ret;
              },
            },
          ]);
          assert.equal(received, total);
          assert.equal(sockOf(sim, wfd).wmemAlloc, 1);
        }),
    ),
    { numRuns: 60 },
  ));

test('datagram_and_seqpacket_blocking_threads_keep_message_boundaries', () =>
  fc.assert(
    fc.asyncProperty(
      fc.constantFrom(SOCK_DGRAM, SOCK_SEQPACKET),
      fc.array(fc.integer({ min: 0, max: 70000 }), { minLength: 1, maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 80000 }), { minLength: 1, maxLength: 20 }),
      (type, messages, readSizes) =>
        withSim(async (sim) => {
          const fds = ok(await sim.sys.socketpair(AF.AF_UNIX, type, 0)).fds;
          const writer = sim.thread('writer');
          const reader = sim.thread('reader');
          let wi = 0;
          let sent = 0;
          let ri = 0;
          let lastSize = 0;
          await runActors(sim, [
            {
              pending: null,
              next: () =>
                wi < messages.length ? writer.write(fds[0], pattern(0, sent, messages[wi])) : null,
              done(r) {
                assert.equal(ok(r).ret, messages[wi]);
                sent += messages[wi++];
              },
            },
            {
              pending: null,
              next: () => {
                if (ri >= messages.length) return null;
                lastSize = readSizes[ri % readSizes.length];
                return reader.read(fds[1], lastSize);
              },
              done(r) {
                const { ret, data } = ok(r as SysResult<{ data: Uint8Array }>);
                // The ri-th read returns the ri-th message, cut to the buffer.
                const len = messages[ri];
                assert.equal(ret, Math.min(lastSize, len));
                let from = 0;
                for (let i = 0; i < ri; i++) from += messages[i];
                assert.deepEqual(data, pattern(0, from, ret));
                ri++;
              },
            },
          ]);
          assert.equal(ri, messages.length);
          assert.equal(sockOf(sim, fds[0]).wmemAlloc, 1);
        }),
    ),
    { numRuns: 60 },
  ));
