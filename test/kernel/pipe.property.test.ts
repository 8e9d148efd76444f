// Pipe properties over random sequences of reads and writes (fast-check): no byte is lost,
// duplicated or reordered; the ring never holds more slots than it may; writes of at most
// PIPE_BUF are all-or-nothing; packets come out one per read. Run counts are kept modest.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { F, O, PAGE_SIZE, PIPE_BUF } from '../../src/abi/constants.ts';
import type { Pipe } from '../../src/kernel/pipe.ts';
import type { SimSyscalls } from '../../src/kernel/syscalls.ts';
import { runThreads } from '../../src/kernel/system.ts';
import { closeAndCheckLeaks, newSim, ok, type Sim } from '../helpers.ts';

/** The byte at stream position `pos`: a hash, so a shifted or repeated run cannot match. */
const byteAt = (pos: number): number => (Math.imul(pos + 1, 2654435761) >>> 24) & 0xff;

function streamSlice(from: number, len: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => byteAt(from + i));
}

function pipeOf(sim: Sim, fd: number): Pipe {
  return sim.p.fdtable.get(fd)!.priv as Pipe;
}

/** The ring's invariants: occupancy within max_usage, slots that fit their page, bytes = FIONREAD. */
function checkRing(p: Pipe, expectedBytes: number): void {
  const occupancy = p.head - p.tail;
  assert.ok(occupancy >= 0 && occupancy <= p.maxUsage, `occupancy ${occupancy} of ${p.maxUsage}`);
  let bytes = 0;
  for (let i = p.tail; i !== p.head; i++) {
    const b = p.bufs[i & (p.ringSize - 1)];
    assert.ok(b.len > 0 && b.offset >= 0 && b.offset + b.len <= PAGE_SIZE, 'a live slot fits its page');
    bytes += b.len;
  }
  assert.equal(bytes, expectedBytes, 'the slots hold exactly the unread bytes');
}

type Op = { kind: 'write'; len: number } | { kind: 'read'; len: number } | { kind: 'resize'; size: number };

const lenArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 200 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: PIPE_BUF }) },
  // Near a page: what makes merges land close to the page end.
  { weight: 1, arbitrary: fc.integer({ min: PIPE_BUF - 200, max: PIPE_BUF - 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: PIPE_BUF + 1, max: 20_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(PIPE_BUF, 2 * PIPE_BUF, PIPE_BUF - 1) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: lenArb.map((len) => ({ kind: 'write' as const, len })) },
  { weight: 4, arbitrary: lenArb.map((len) => ({ kind: 'read' as const, len })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(4096, 8192, 16384, 65536, 131072)
      .map((size) => ({ kind: 'resize' as const, size })),
  },
);

test('nonblocking_reads_and_writes_lose_duplicate_and_reorder_nothing', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
      const sim = newSim();
      const [r, w] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
      let written = 0;
      let read = 0;
      for (const op of ops) {
        const p = pipeOf(sim, r);
        if (op.kind === 'write') {
          const wasFull = p.head - p.tail >= p.maxUsage;
          const res = await sim.sys.write(w, streamSlice(written, op.len));
          if ('errno' in res) {
            assert.equal(res.errno, 'EAGAIN');
            assert.ok(wasFull, 'EAGAIN only when every slot is taken');
          } else {
            if (op.len <= PIPE_BUF) assert.equal(res.ret, op.len, 'PIPE_BUF writes are all-or-nothing');
            assert.ok(res.ret > 0 && res.ret <= op.len);
            written += res.ret;
          }
        } else if (op.kind === 'read') {
          const res = await sim.sys.read(r, op.len);
          if ('errno' in res) {
            assert.equal(res.errno, 'EAGAIN');
            assert.equal(written, read, 'EAGAIN only when empty');
          } else {
            assert.ok(res.ret > 0, 'no EOF while a writer exists');
            assert.deepEqual(res.data, streamSlice(read, res.ret));
            read += res.ret;
            if (written - (read - res.ret) >= op.len)
              assert.equal(res.ret, op.len, 'a read takes all it can');
          }
        } else {
          const occupancy = p.head - p.tail;
          const res = await sim.sys.fcntl(r, F.F_SETPIPE_SZ, op.size);
          if ('errno' in res) {
            assert.equal(res.errno, 'EBUSY');
            assert.ok(op.size / PAGE_SIZE < occupancy);
          } else assert.equal(res.ret, op.size);
        }
        checkRing(pipeOf(sim, r), written - read);
        assert.equal(ok(await sim.sys.ioctl_fionread(r)).ret, written - read);
      }
      // Drain: what is left comes out in order, then EOF once the writer is gone.
      ok(await sim.sys.close(w));
      for (;;) {
        const got = ok(await sim.sys.read(r, 100_000));
        if (got.ret === 0) break;
        assert.deepEqual(got.data, streamSlice(read, got.ret));
        read += got.ret;
      }
      assert.equal(read, written);
      closeAndCheckLeaks(sim);
    }),
    { numRuns: 60 },
  );
});

test('blocking_writer_and_reader_threads_transfer_every_byte_in_order', async () => {
  const chunks = fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 });
  const reads = fc.array(fc.integer({ min: 1, max: 30_000 }), { minLength: 1, maxLength: 8 });
  await fc.assert(
    fc.asyncProperty(chunks, reads, async (writes, readSizes) => {
      const sim = newSim();
      const [r, w] = ok(await sim.sys.pipe()).fds;
      const total = writes.reduce((a, b) => a + b, 0);
      const got: Uint8Array[] = [];
      await runThreads(sim.k, sim.p, {
        async writer(sys: SimSyscalls) {
          let pos = 0;
          for (const len of writes) {
            assert.equal(
              ok(await sys.write(w, streamSlice(pos, len))).ret,
              len,
              'a blocking write completes',
            );
            pos += len;
          }
          ok(await sys.close(w));
        },
        async reader(sys: SimSyscalls) {
          let n = 0;
          for (let i = 0; ; i++) {
            const res = ok(await sys.read(r, readSizes[i % readSizes.length]));
            if (res.ret === 0) break;
            got.push(res.data.slice());
            n += res.ret;
            const p = pipeOf(sim, r);
            assert.ok(p.head - p.tail <= p.maxUsage);
          }
          assert.equal(n, total);
        },
      });
      const all = new Uint8Array(total);
      let off = 0;
      for (const g of got) {
        all.set(g, off);
        off += g.length;
      }
      assert.deepEqual(all, streamSlice(0, total));
      closeAndCheckLeaks(sim);
    }),
    { numRuns: 25 },
  );
});

test('blocking_writes_of_at_most_PIPE_BUF_from_two_writers_never_interleave', async () => {
  const plan = fc.array(fc.integer({ min: 2, max: PIPE_BUF }), { minLength: 1, maxLength: 20 });
  await fc.assert(
    fc.asyncProperty(plan, plan, fc.integer({ min: 1, max: 9000 }), async (planA, planB, readSize) => {
      const sim = newSim();
      const [r, w] = ok(await sim.sys.pipe()).fds;
      const plans = [planA, planB];
      // A chunk is [writer, seq & 0xff, filler...]: filler is a function of writer, seq and index.
      const chunk = (writer: number, seq: number, len: number): Uint8Array =>
        Uint8Array.from({ length: len }, (_, i) =>
          i === 0 ? writer : i === 1 ? seq & 0xff : byteAt(writer * 1_000_003 + seq * 4099 + i),
        );
      const stream: number[] = [];
      let writersLeft = 2;
      const writer = (id: number) => async (sys: SimSyscalls) => {
        for (let seq = 0; seq < plans[id].length; seq++)
          assert.equal(ok(await sys.write(w, chunk(id, seq, plans[id][seq]))).ret, plans[id][seq]);
        if (--writersLeft === 0) ok(await sys.close(w));
      };
      await runThreads(sim.k, sim.p, {
        a: writer(0),
        b: writer(1),
        async reader(sys: SimSyscalls) {
          for (;;) {
            const res = ok(await sys.read(r, readSize));
            if (res.ret === 0) break;
            stream.push(...res.data);
          }
        },
      });
      // Parse the stream: each writer's chunks appear whole, in its own order.
      const next = [0, 0];
      let pos = 0;
      while (pos < stream.length) {
        const id = stream[pos];
        assert.ok(id === 0 || id === 1, `a chunk starts at ${pos}`);
        const seq = next[id]++;
        const len = plans[id][seq];
        assert.deepEqual(Uint8Array.from(stream.slice(pos, pos + len)), chunk(id, seq, len));
        pos += len;
      }
      assert.deepEqual(next, [planA.length, planB.length]);
      closeAndCheckLeaks(sim);
    }),
    { numRuns: 25 },
  );
});

test('O_DIRECT_reads_return_one_packet_each_and_writes_fill_whole_slots', async () => {
  const op = fc.oneof(
    fc.integer({ min: 1, max: 9000 }).map((len) => ({ kind: 'write' as const, len })),
    fc.integer({ min: 1, max: 9000 }).map((len) => ({ kind: 'read' as const, len })),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
      const sim = newSim();
      const [r, w] = ok(await sim.sys.pipe2(O.O_NONBLOCK | O.O_DIRECT)).fds;
      // The reference: a queue of packets, each at most a page, at most 16 of them.
      const packets: Uint8Array[] = [];
      let pos = 0;
      for (const o of ops) {
        if (o.kind === 'write') {
          const res = await sim.sys.write(w, streamSlice(pos, o.len));
          const room = (16 - packets.length) * PAGE_SIZE;
          if (room === 0) {
            assert.equal('errno' in res && res.errno, 'EAGAIN');
            continue;
          }
          const n = Math.min(o.len, room);
          assert.equal(ok(res).ret, n);
          for (let off = 0; off < n; off += PAGE_SIZE)
            packets.push(streamSlice(pos + off, Math.min(PAGE_SIZE, n - off)));
          pos += o.len; // the unwritten rest is skipped: the next write starts a fresh stretch
        } else {
          const res = await sim.sys.read(r, o.len);
          const head = packets.shift();
          if (!head) {
            assert.equal('errno' in res && res.errno, 'EAGAIN');
            continue;
          }
          assert.deepEqual(ok(res).data, head.subarray(0, Math.min(o.len, head.length)));
        }
        const p = pipeOf(sim, r);
        assert.equal(p.head - p.tail, packets.length);
        checkRing(
          p,
          packets.reduce((a, b) => a + b.length, 0),
        );
      }
      closeAndCheckLeaks(sim);
    }),
    { numRuns: 60 },
  );
});
