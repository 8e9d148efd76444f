// Property test for UDP on the simulated loopback: between one sender and one receiver, over
// random sequences of sends (random sizes) and reads (random buffer sizes, some peeking), with a
// random SO_RCVBUF, datagrams keep their boundaries and their order, a short read truncates one
// datagram and discards its tail, and none is lost while the unread ones and it take at most
// three quarters of the receive buffer (udp_rmem_release may hold back up to a quarter more).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AF, MSG, SO, SOCK, SOL } from '../../src/abi/constants.ts';
import { type UdpSock, udpSkbTruesize } from '../../src/kernel/net/ipv4/udp.ts';
import type { Socket } from '../../src/kernel/net/socket.ts';
import { errno, ok, withSim } from '../helpers.ts';

type Op = { kind: 'send'; len: number } | { kind: 'recv'; buf: number; peek: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('send' as const),
    len: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 20000 })),
  }),
  fc.record({
    kind: fc.constant('recv' as const),
    buf: fc.integer({ min: 0, max: 400 }),
    peek: fc.boolean(),
  }),
);

/** The n-th datagram's payload: its index in the first bytes, so a swap or a loss shows. */
function payload(n: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (n * 131 + i * 7 + (i === 0 ? n : 0)) & 0xff;
  return out;
}

test('UDP keeps datagram boundaries and order, and loses none below three quarters of the receive buffer', () =>
  fc.assert(
    fc.asyncProperty(
      fc.array(op, { minLength: 1, maxLength: 120 }),
      fc.option(fc.integer({ min: 1, max: 40000 }), { nil: null }),
      fc.boolean(),
      async (ops, rcvbufOpt, v6) =>
        withSim(async (sim) => {
          const { sys } = sim;
          const family = v6 ? AF.AF_INET6 : AF.AF_INET;
          const addr = v6 ? '[::1]:9000' : '127.0.0.1:9000';
          const r = ok(await sys.socket(family, SOCK.SOCK_DGRAM, 0)).ret;
          if (rcvbufOpt !== null) ok(await sys.setsockopt(r, SOL.SOL_SOCKET, SO.SO_RCVBUF, rcvbufOpt));
          ok(await sys.bind(r, addr));
          const s = ok(await sys.socket(family, SOCK.SOCK_DGRAM, 0)).ret;
          const sk = (sim.p.fdtable.get(r)!.priv as Socket).sk as UdpSock;
          const rcvbuf = sk.rcvbuf;
          // The datagrams queued and not yet read, oldest first: [index, payload, truesize].
          const unread: [number, Uint8Array, number][] = [];
          let sent = 0;
          for (const o of ops) {
            if (o.kind === 'send') {
              const n = sent++;
              const data = payload(n, o.len);
              const ts = udpSkbTruesize(o.len, v6);
              const dropsBefore = sk.drops;
              assert.equal(ok(await sys.sendto(s, data, 0, addr)).ret, o.len);
              const queuedTs = unread.reduce((a, [, , t]) => a + t, 0);
              if (sk.drops === dropsBefore) unread.push([n, data, ts]);
              else
                assert.ok(
                  unread.length > 0 && queuedTs + ts > rcvbuf - (rcvbuf >> 2),
                  `datagram ${n} (${o.len} bytes) dropped with ${queuedTs} of ${rcvbuf} queued`,
                );
            } else {
              const flags = MSG.MSG_DONTWAIT | (o.peek ? MSG.MSG_PEEK : 0);
              const res = await sys.recvfrom(r, o.buf, flags);
              const head = unread[0];
              if (!head) {
                assert.equal(errno(res), 'EAGAIN');
                continue;
              }
              const got = ok(res);
              const [, want] = head;
              const n = Math.min(o.buf, want.length);
              assert.equal(got.ret, n);
              assert.deepEqual(got.data, want.subarray(0, n));
              if (!o.peek) unread.shift();
            }
            // sk_rmem_alloc is what is unread plus what reads have not yet given back.
            const unreadTs = unread.reduce((a, [, , t]) => a + t, 0);
            assert.equal(sk.rmemAlloc, unreadTs + sk.forwardDeficit);
            assert.ok(sk.forwardDeficit < Math.max(rcvbuf >> 2, 1) || unread.length === 0);
          }
        }),
    ),
    { numRuns: 60 },
  ));
