// Property tests for TCP over loopback: over random sequences of sends and receives of random
// sizes, with random buffer settings, MSG_PEEK reads and shutdowns, every byte arrives once and
// in order, FIONREAD and SIOCOUTQ agree with what was sent and read, EAGAIN comes only from a
// full send buffer or an empty receive queue, and a FIN is read as 0 only after every byte.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AF, EPOLL, MSG, SO, SOCK, SOL } from '../../src/abi/constants.ts';
import { ok, withSim } from '../helpers.ts';
import { pollMask } from './helpers.ts';

const { SOCK_STREAM, SOCK_NONBLOCK } = SOCK;

/** The k-th byte sent in direction `dir`: not periodic, so loss, duplication or reordering shows. */
const patternByte = (dir: number, k: number): number =>
  (Math.imul(k + 1 + dir * 0x9e3779b9, 2654435761) >>> 24) & 0xff;

function pattern(dir: number, from: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = patternByte(dir, from + i);
  return out;
}

type Op = { kind: 'send' | 'recv' | 'peek'; side: 0 | 1; size: number } | { kind: 'shutdown'; side: 0 | 1 };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('send' as const, 'recv' as const, 'peek' as const),
    side: fc.constantFrom(0 as const, 1 as const),
    size: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 200000 })),
  }),
  fc.record({ kind: fc.constant('shutdown' as const), side: fc.constantFrom(0 as const, 1 as const) }),
);

const bufArb = fc.option(fc.integer({ min: 1, max: 100000 }), { nil: null });

test('tcp_nonblocking_delivers_every_byte_once_in_order_under_random_sizes_buffers_and_shutdowns', () =>
  fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { maxLength: 60 }),
      fc.tuple(bufArb, bufArb, bufArb, bufArb),
      (ops, [snd0, rcv0, snd1, rcv1]) =>
        withSim(async (sim) => {
          const { sys } = sim;
          const l = ok(await sys.socket(AF.AF_INET, SOCK_STREAM, 0)).ret;
          ok(await sys.bind(l, '127.0.0.1:8080'));
          ok(await sys.listen(l, 1));
          const c = ok(await sys.socket(AF.AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)).ret;
          const setBufs = async (fd: number, snd: number | null, rcv: number | null): Promise<void> => {
            if (snd !== null) ok(await sys.setsockopt(fd, SOL.SOL_SOCKET, SO.SO_SNDBUF, snd));
            if (rcv !== null) ok(await sys.setsockopt(fd, SOL.SOL_SOCKET, SO.SO_RCVBUF, rcv));
          };
          await setBufs(c, snd0, rcv0);
          await sys.connect(c, '127.0.0.1:8080');
          const a = ok(await sys.accept4(l, SOCK_NONBLOCK)).ret;
          await setBufs(a, snd1, rcv1);
          const fds = [c, a];
          // Per direction d (sent by fds[d], read by fds[1 − d]).
          const sent = [0, 0];
          const read = [0, 0];
          const shut = [false, false];
          for (const op of ops) {
            const fd = fds[op.side]!;
            if (op.kind === 'shutdown') {
              // Once both ends have shut down writing the socket is CLOSE: ENOTCONN, as in Linux.
              const r = await sys.shutdown(fd, 1);
              if ('errno' in r) assert.ok(r.errno === 'ENOTCONN' && shut[0] && shut[1]);
              shut[op.side] = true;
            } else if (op.kind === 'send') {
              const dir = op.side;
              const r = await sys.send(fd, pattern(dir, sent[dir]!, op.size), MSG.MSG_NOSIGNAL);
              if ('errno' in r) {
                assert.equal(r.errno, shut[dir] ? 'EPIPE' : 'EAGAIN');
                if (!shut[dir])
                  assert.equal(pollMask(sim, fd) & EPOLL.EPOLLOUT, 0, 'EAGAIN only when not writable');
              } else {
                assert.ok(!shut[dir]);
                assert.ok(r.ret > 0 && r.ret <= op.size);
                sent[dir]! += r.ret;
              }
            } else {
              const dir = 1 - op.side;
              const waiting = ok(await sys.ioctl_fionread(fd)).ret;
              const peek = op.kind === 'peek';
              const r = await sys.recv(fd, op.size, peek ? MSG.MSG_PEEK : 0);
              if ('errno' in r) {
                assert.equal(r.errno, 'EAGAIN');
                assert.equal(waiting, 0);
                assert.ok(!shut[dir]);
              } else {
                assert.equal(r.ret, Math.min(op.size, waiting));
                assert.deepEqual(r.data, pattern(dir, read[dir]!, r.ret));
                if (r.ret === 0) assert.ok(shut[dir], 'a read of 0 only after the FIN');
                if (!peek) read[dir]! += r.ret;
              }
            }
            // What is neither read nor held by the reader is still in the writer's queue
            // (SIOCOUTQ: write_seq − snd_una, which counts an unsent FIN as one more).
            for (const dir of [0, 1]) {
              const outq = ok(await sys.ioctl_siocoutq(fds[dir]!)).ret;
              const held = ok(await sys.ioctl_fionread(fds[1 - dir]!)).ret;
              const unsent = sent[dir]! - read[dir]! - held;
              assert.ok(
                outq === unsent || (shut[dir] && outq === unsent + 1),
                `SIOCOUTQ ${outq}, unsent ${unsent}`,
              );
            }
          }
          // Drain: what is left arrives intact.
          for (const dir of [0, 1]) {
            while (read[dir]! < sent[dir]!) {
              const r = ok(await sys.recv(fds[1 - dir]!, 1 << 18, 0));
              assert.ok(r.ret > 0);
              assert.deepEqual(r.data, pattern(dir, read[dir]!, r.ret));
              read[dir]! += r.ret;
            }
            assert.equal(ok(await sys.ioctl_siocoutq(fds[dir]!)).ret, 0);
          }
        }),
    ),
    { numRuns: 100 },
  ));

test('tcp_blocking_writer_and_reader_threads_deliver_every_byte_once_in_order_then_eof', () =>
  fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 150000 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 100000 }), { minLength: 1, maxLength: 12 }),
      fc.tuple(bufArb, bufArb),
      (writes, reads, [snd, rcv]) =>
        withSim(async (sim) => {
          const { sys } = sim;
          const l = ok(await sys.socket(AF.AF_INET, SOCK_STREAM, 0)).ret;
          ok(await sys.bind(l, '127.0.0.1:8080'));
          ok(await sys.listen(l, 1));
          const c = ok(await sys.socket(AF.AF_INET, SOCK_STREAM, 0)).ret;
          if (snd !== null) ok(await sys.setsockopt(c, SOL.SOL_SOCKET, SO.SO_SNDBUF, snd));
          ok(await sys.connect(c, '127.0.0.1:8080'));
          const a = ok(await sys.accept4(l, 0)).ret;
          if (rcv !== null) ok(await sys.setsockopt(a, SOL.SOL_SOCKET, SO.SO_RCVBUF, rcv));
          const total = writes.reduce((x, y) => x + y, 0);
          // The writer thread: each blocking send must take all it is given. `pump` starts its
          // calls until one blocks (or all are done, then SHUT_WR), so the reader never waits
          // on a writer with nothing in progress.
          const w = sim.thread('writer');
          let wi = 0;
          let off = 0;
          let wcall: { n: number; call: ReturnType<typeof w.send> } | null = null;
          let finished = false;
          const pump = async (): Promise<void> => {
            for (;;) {
              if (wcall) {
                if (sim.blocked(wcall.call)) return;
                assert.equal(ok(await wcall.call).ret, wcall.n);
                wcall = null;
              }
              if (wi < writes.length) {
                const n = writes[wi++]!;
                wcall = { n, call: w.send(c, pattern(0, off, n), 0) };
                off += n;
                continue;
              }
              if (!finished) ok(await w.shutdown(c, 1));
              finished = true;
              return;
            }
          };
          let got = 0;
          for (let i = 0; ; i++) {
            await pump();
            const r = ok(await sim.wait(sim.thread('reader').recv(a, reads[i % reads.length]!, 0)));
            if (r.ret === 0) break;
            assert.deepEqual(r.data, pattern(0, got, r.ret));
            got += r.ret;
          }
          assert.ok(finished);
          assert.equal(got, total);
        }),
    ),
    { numRuns: 60 },
  ));
