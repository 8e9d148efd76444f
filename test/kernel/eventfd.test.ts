import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EFD, F, O, POLL } from '../../src/abi/constants.ts';
import { errno, ok, u64, withSim } from '../helpers.ts';

test('eventfd_read_returns_the_counter_and_resets_it', () =>
  withSim(async ({ sys }) => {
    const fd = ok(await sys.eventfd(3, EFD.EFD_NONBLOCK)).ret;
    ok(await sys.write(fd, u64(4n)));
    const r = ok(await sys.read(fd, 8));
    assert.equal(new DataView(r.data.buffer, r.data.byteOffset).getBigUint64(0, true), 7n);
    assert.equal(errno(await sys.read(fd, 8)), 'EAGAIN');
  }));

test('eventfd_semaphore_reads_one_at_a_time', () =>
  withSim(async ({ sys }) => {
    const fd = ok(await sys.eventfd(3, EFD.EFD_NONBLOCK | EFD.EFD_SEMAPHORE)).ret;
    for (let i = 0; i < 3; i++) assert.equal(ok(await sys.read(fd, 8)).ret, 8);
    assert.equal(errno(await sys.read(fd, 8)), 'EAGAIN');
  }));

test('eventfd_write_must_be_exactly_8_bytes', () =>
  withSim(async ({ sys }) => {
    const fd = ok(await sys.eventfd(0, 0)).ret;
    assert.equal(errno(await sys.write(fd, new Uint8Array(9))), 'EINVAL');
    assert.equal(errno(await sys.write(fd, new Uint8Array(4))), 'EINVAL');
    assert.equal(errno(await sys.read(fd, 7)), 'EINVAL');
    ok(await sys.write(fd, u64(2n)));
    assert.equal(ok(await sys.read(fd, 16)).ret, 8);
  }));

test('eventfd_rejects_unknown_flags_with_EINVAL', () =>
  withSim(async ({ sys }) => {
    assert.equal(errno(await sys.eventfd(0, 0x4)), 'EINVAL');
  }));

test('eventfd_write_of_ULLONG_MAX_is_EINVAL_and_overflow_is_EAGAIN', () =>
  withSim(async ({ sys }) => {
    const fd = ok(await sys.eventfd(0, EFD.EFD_NONBLOCK)).ret;
    assert.equal(errno(await sys.write(fd, u64(0xffffffffffffffffn))), 'EINVAL');
    ok(await sys.write(fd, u64(0xfffffffffffffffen)));
    assert.equal(errno(await sys.write(fd, u64(1n))), 'EAGAIN');
    ok(await sys.write(fd, u64(0n)));
  }));

test('blocked_eventfd_reader_wakes_on_write', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.eventfd(0, 0)).ret;
    const pending = sim.thread('t1').read(fd, 8);
    assert.equal(sim.blocked(pending), true);
    ok(await sim.sys.write(fd, u64(5n)));
    assert.equal(sim.blocked(pending), false);
    assert.equal(ok(await sim.wait(pending)).ret, 8);
  }));

test('blocked_read_that_nothing_can_wake_is_a_deadlock', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.eventfd(0, 0)).ret;
    const pending = sim.sys.read(fd, 8);
    await assert.rejects(sim.wait(pending), /deadlock.*main in read/);
    // Unblock it so the leak check can pass: the deadlock report leaves the thread blocked.
    const fd2 = ok(await sim.thread('t2').fcntl(fd, F.F_GETFL, 0)).ret;
    assert.equal(fd2 & O.O_NONBLOCK, 0);
    ok(await sim.thread('t2').write(fd, u64(1n)));
    ok(await sim.wait(pending));
  }));

// The counter is kept as two u32 halves (eventfd.ts): its arithmetic must be the u64 arithmetic
// of eventfd.c for every value, carries and the ULLONG_MAX - 1 ceiling included.
test('eventfd_counter_arithmetic_matches_u64_arithmetic_for_any_writes_and_reads', async () => {
  const big = fc.oneof(
    fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
    fc.constantFrom(0n, 1n, 0xffffffffn, 0x100000000n, 0xfffffffffffffffen, 0xfffffffffffffffdn),
  );
  const op = fc.oneof(
    big.map((v) => ({ write: v })),
    fc.constant({ read: true }),
  );
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.array(op, { maxLength: 12 }), (semaphore, ops) =>
      withSim(async ({ sys }) => {
        const fd = ok(await sys.eventfd(0, EFD.EFD_NONBLOCK | (semaphore ? EFD.EFD_SEMAPHORE : 0))).ret;
        let count = 0n; // the reference u64
        for (const o of ops) {
          if ('write' in o) {
            const r = await sys.write(fd, u64(o.write));
            if (o.write === 0xffffffffffffffffn) assert.equal(errno(r), 'EINVAL');
            else if (0xffffffffffffffffn - count > o.write) {
              assert.equal(ok(r).ret, 8);
              count += o.write;
            } else assert.equal(errno(r), 'EAGAIN');
          } else {
            const r = await sys.read(fd, 8);
            if (count === 0n) assert.equal(errno(r), 'EAGAIN');
            else {
              const d = ok(r).data;
              const want = semaphore ? 1n : count;
              assert.equal(new DataView(d.buffer, d.byteOffset).getBigUint64(0, true), want);
              count -= want;
            }
          }
          // POLLERR is reported whether asked for or not.
          const p = ok(await sys.poll([{ fd, events: POLL.POLLIN | POLL.POLLOUT }], 0)).revents[0];
          const want =
            (count > 0n ? POLL.POLLIN : 0) |
            (count === 0xffffffffffffffffn ? POLL.POLLERR : 0) |
            (0xfffffffffffffffen > count ? POLL.POLLOUT : 0);
          assert.equal(p, want);
        }
      }),
    ),
    { numRuns: 300 },
  );
});
