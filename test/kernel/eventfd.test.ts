import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFD, F, O } from '../../src/abi/constants.ts';
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
