// timerfd on CLOCK_MONOTONIC (Linux fs/timerfd.c), on the virtual clock. Errno paths, flag
// words and the tick arithmetic were checked on Linux 6.18 (with real time, so with jitter;
// the model's clock is exact).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOCK, EPOLL, F, FD_CLOEXEC, TFD, TFD_TIMER } from '../../src/abi/constants.ts';
import { type Itimerspec, Unsupported } from '../../src/api/syscalls.ts';
import type { KernelEvent } from '../../src/kernel/events.ts';
import type { PollTable } from '../../src/kernel/file.ts';
import { snapshotTimerfd, type TimerfdCtx } from '../../src/kernel/timerfd.ts';
import type { WaitQueueHead } from '../../src/kernel/waitqueue.ts';
import { WQ_FLAG_EXCLUSIVE, waitEntries } from '../../src/kernel/waitqueue.ts';
import { errno, ok, type Sim, withSim } from '../helpers.ts';
import { pollMask } from './helpers.ts';

const MONO = CLOCK.CLOCK_MONOTONIC;
const MS = 1_000_000;
const { TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET } = TFD_TIMER;

/** An itimerspec from milliseconds. */
const its = (valueMs: number, intervalMs = 0): Itimerspec => ({
  value: { sec: Math.floor(valueMs / 1000), nsec: (valueMs % 1000) * MS },
  interval: { sec: Math.floor(intervalMs / 1000), nsec: (intervalMs % 1000) * MS },
});

const ticksOf = (data: Uint8Array): bigint =>
  new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);

async function sleep(sim: Sim, ms: number): Promise<void> {
  ok(await sim.wait(sim.thread('sleeper').sleep(ms)));
}

async function readTicks(sim: Sim, fd: number): Promise<bigint | string> {
  const r = await sim.sys.read(fd, 8);
  return 'errno' in r ? r.errno : ticksOf(r.data);
}

function ctxOf(sim: Sim, fd: number): TimerfdCtx {
  return sim.p.fdtable.get(fd)!.priv as TimerfdCtx;
}

test('timerfd_create_rejects_unknown_flags_and_clocks_with_EINVAL', () =>
  withSim(async (sim) => {
    const cases: [number, number][] = [
      [MONO, 1],
      [2 /* CLOCK_PROCESS_CPUTIME_ID */, 0],
      [4 /* CLOCK_MONOTONIC_RAW */, 0],
      [-1, 0],
      [2, 1],
      [CLOCK.CLOCK_REALTIME, 1], // flags are checked first, even for an unmodelled clock
    ];
    for (const [clock, flags] of cases)
      assert.equal(
        errno(await sim.sys.timerfd_create(clock, flags)),
        'EINVAL',
        `clock ${clock} flags ${flags}`,
      );
  }));

test('timerfd_on_a_clock_other_than_CLOCK_MONOTONIC_is_not_modelled', () =>
  withSim(async (sim) => {
    for (const clock of [CLOCK.CLOCK_REALTIME, 7, 8, 9])
      assert.throws(() => sim.sys.timerfd_create(clock, 0), Unsupported, `clock ${clock}`);
  }));

test('timerfd_F_GETFL_is_O_RDWR_with_O_NONBLOCK_and_TFD_CLOEXEC_sets_FD_CLOEXEC', () =>
  withSim(async (sim) => {
    const a = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK | TFD.TFD_CLOEXEC)).ret;
    const b = ok(await sim.sys.timerfd_create(MONO, 0)).ret;
    assert.equal(ok(await sim.sys.fcntl(a, F.F_GETFL, 0)).ret, 0x802);
    assert.equal(ok(await sim.sys.fcntl(a, F.F_GETFD, 0)).ret, FD_CLOEXEC);
    assert.equal(ok(await sim.sys.fcntl(b, F.F_GETFL, 0)).ret, 0x2);
    assert.equal(ok(await sim.sys.fcntl(b, F.F_GETFD, 0)).ret, 0);
  }));

test('a_new_timerfd_is_disarmed_reads_EAGAIN_and_polls_0', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    assert.deepEqual(ok(await sim.sys.timerfd_gettime(fd)).value, its(0));
    assert.equal(await readTicks(sim, fd), 'EAGAIN');
    assert.equal(pollMask(sim, fd), 0);
  }));

test('timerfd_settime_checks_flags_and_timespecs_before_the_descriptor', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    const bad: Itimerspec[] = [
      { value: { sec: 0, nsec: 1_000_000_000 }, interval: { sec: 0, nsec: 0 } },
      { value: { sec: -1, nsec: 0 }, interval: { sec: 0, nsec: 0 } },
      { value: { sec: 0, nsec: -1 }, interval: { sec: 0, nsec: 0 } },
      { value: { sec: 1, nsec: 0 }, interval: { sec: 0, nsec: 1_000_000_000 } },
    ];
    for (const v of bad) assert.equal(errno(await sim.sys.timerfd_settime(fd, 0, v)), 'EINVAL');
    assert.equal(errno(await sim.sys.timerfd_settime(fd, 4, its(1000))), 'EINVAL');
    assert.equal(errno(await sim.sys.timerfd_settime(999, 4, its(1000))), 'EINVAL', 'flags before EBADF');
    assert.equal(errno(await sim.sys.timerfd_settime(999, 0, its(1000))), 'EBADF');
    assert.equal(errno(await sim.sys.timerfd_settime(0, 0, its(1000))), 'EINVAL', 'not a timerfd');
    assert.equal(errno(await sim.sys.timerfd_gettime(999)), 'EBADF');
    assert.equal(errno(await sim.sys.timerfd_gettime(0)), 'EINVAL');
    assert.deepEqual(ok(await sim.sys.timerfd_gettime(fd)).value, its(0), 'nothing was armed');
  }));

test('TFD_TIMER_CANCEL_ON_SET_is_accepted_and_ignored_on_CLOCK_MONOTONIC', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    ok(await sim.sys.timerfd_settime(fd, TFD_TIMER_CANCEL_ON_SET, its(10)));
    await sleep(sim, 5);
    ok(await sim.sys.timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, its(20)));
    await sleep(sim, 15);
    assert.equal(await readTicks(sim, fd), 1n);
  }));

test('a_relative_one_shot_timer_expires_once_after_its_value', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    assert.deepEqual(ok(await sim.sys.timerfd_settime(fd, 0, its(10))).old, its(0));
    await sleep(sim, 4);
    assert.deepEqual(ok(await sim.sys.timerfd_gettime(fd)).value, its(6));
    assert.equal(await readTicks(sim, fd), 'EAGAIN');
    await sleep(sim, 6);
    assert.equal(pollMask(sim, fd), EPOLL.EPOLLIN);
    assert.deepEqual(ok(await sim.sys.timerfd_gettime(fd)).value, its(0), 'an expired one-shot has 0 left');
    assert.equal(await readTicks(sim, fd), 1n);
    assert.equal(await readTicks(sim, fd), 'EAGAIN');
    assert.equal(pollMask(sim, fd), 0);
  }));

test('a_blocked_reader_wakes_at_the_expiry', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, 0)).ret;
    ok(await sim.sys.timerfd_settime(fd, 0, its(250)));
    const pending = sim.thread('t1').read(fd, 8);
    assert.equal(sim.blocked(pending), true);
    assert.equal(ticksOf(ok(await sim.wait(pending)).data), 1n);
    assert.equal(sim.k.now, 250 * MS);
  }));

test('a_periodic_timer_counts_the_periods_missed_when_it_is_read', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    ok(await sim.sys.timerfd_settime(fd, 0, its(10, 10)));
    await sleep(sim, 55);
    assert.equal(await readTicks(sim, fd), 5n);
    assert.deepEqual(ok(await sim.sys.timerfd_gettime(fd)).value, its(5, 10));
    await sleep(sim, 25);
    // gettime forwards the expired timer too, and counts what it skipped into the ticks.
    assert.deepEqual(ok(await sim.sys.timerfd_gettime(fd)).value, its(10, 10));
    assert.equal(await readTicks(sim, fd), 3n);
  }));

test('an_unread_periodic_timer_wakes_its_queue_once_with_EPOLLIN', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    const wakes: { queue: string; nr: number; key: number }[] = [];
    sim.k.attach((ev: KernelEvent) => {
      if (ev.type === 'wake_up' && ev.queue.startsWith('timerfd'))
        wakes.push({ queue: ev.queue, nr: ev.nr_exclusive, key: ev.key });
    });
    ok(await sim.sys.timerfd_settime(fd, 0, its(10, 10)));
    await sleep(sim, 55);
    const q = ctxOf(sim, fd).wqh.name;
    assert.deepEqual(wakes, [{ queue: q, nr: 1, key: EPOLL.EPOLLIN }], 'not re-armed until read');
    assert.equal(await readTicks(sim, fd), 5n);
    await sleep(sim, 5);
    assert.equal(wakes.length, 2, 'the read re-armed it: the next period wakes again');
  }));

test('timerfd_settime_returns_the_old_setting_and_drops_pending_expirations', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    ok(await sim.sys.timerfd_settime(fd, 0, its(5000, 2000)));
    await sleep(sim, 1000);
    assert.deepEqual(ok(await sim.sys.timerfd_settime(fd, 0, its(0))).old, its(4000, 2000));
    ok(await sim.sys.timerfd_settime(fd, 0, its(10, 10)));
    await sleep(sim, 15);
    assert.equal(pollMask(sim, fd), EPOLL.EPOLLIN);
    // The expired periodic timer is forwarded to report the time to its next period.
    assert.deepEqual(ok(await sim.sys.timerfd_settime(fd, 0, its(10_000))).old, its(5, 10));
    assert.equal(await readTicks(sim, fd), 'EAGAIN');
  }));

test('disarming_with_a_zero_value_keeps_the_interval', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    ok(await sim.sys.timerfd_settime(fd, 0, its(0, 1000)));
    assert.deepEqual(ok(await sim.sys.timerfd_gettime(fd)).value, its(0, 1000));
    await sleep(sim, 5000);
    assert.equal(await readTicks(sim, fd), 'EAGAIN', 'a zero value never fires');
    assert.deepEqual(ok(await sim.sys.timerfd_settime(fd, 0, its(0))).old, its(0, 1000));
  }));

test('an_absolute_expiry_already_past_fires_at_once', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    await sleep(sim, 5);
    ok(await sim.sys.timerfd_settime(fd, TFD_TIMER_ABSTIME, its(1)));
    assert.equal(await readTicks(sim, fd), 1n);
    ok(await sim.sys.timerfd_settime(fd, TFD_TIMER_ABSTIME, its(5)));
    assert.equal(await readTicks(sim, fd), 1n, 'an expiry equal to now is past');
  }));

test('an_absolute_expiry_fires_at_that_time_on_the_monotonic_clock', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, 0)).ret;
    await sleep(sim, 5);
    ok(await sim.sys.timerfd_settime(fd, TFD_TIMER_ABSTIME, its(20)));
    assert.deepEqual(ok(await sim.sys.timerfd_gettime(fd)).value, its(15));
    assert.equal(ticksOf(ok(await sim.wait(sim.thread('t1').read(fd, 8))).data), 1n);
    assert.equal(sim.k.now, 20 * MS);
  }));

test('timerfd_read_needs_8_bytes_write_is_EINVAL_and_FIONREAD_is_ENOTTY', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    ok(await sim.sys.timerfd_settime(fd, 0, its(1)));
    await sleep(sim, 1);
    assert.equal(errno(await sim.sys.read(fd, 7)), 'EINVAL');
    assert.equal(ok(await sim.sys.read(fd, 16)).ret, 8);
    assert.equal(errno(await sim.sys.write(fd, new Uint8Array(8))), 'EINVAL');
    assert.equal(errno(await sim.sys.ioctl_fionread(fd)), 'ENOTTY');
  }));

test('timerfd_poll_registers_its_queue_and_counts_a_poll_call', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, 0)).ret;
    const seen: WaitQueueHead[] = [];
    const pt: PollTable = { qproc: (_f, q) => seen.push(q), key: 0xffffffff };
    const file = sim.p.fdtable.get(fd)!;
    const before = sim.k.stats.fopPollCalls;
    assert.equal(file.ops.poll!(sim.k, file, pt), 0);
    assert.deepEqual(seen, [ctxOf(sim, fd).wqh]);
    assert.equal(sim.k.stats.fopPollCalls - before, 1);
  }));

test('blocked_timerfd_readers_wait_non_exclusively_so_all_wake_and_one_sleeps_again', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, 0)).ret;
    ok(await sim.sys.timerfd_settime(fd, 0, its(10, 10)));
    const done: Record<string, number> = {};
    const r1 = sim.thread('r1').read(fd, 8);
    const r2 = sim.thread('r2').read(fd, 8);
    r1.then(() => (done.r1 = sim.k.now));
    r2.then(() => (done.r2 = sim.k.now));
    const entries = waitEntries(ctxOf(sim, fd).wqh);
    assert.deepEqual(
      entries.map((e) => [
        (e.owner as { id: number; name: string }).name,
        (e.flags & WQ_FLAG_EXCLUSIVE) !== 0,
      ]),
      [
        ['r1', false],
        ['r2', false],
      ],
      'non-exclusive, at the tail',
    );
    const woken = sim.k.stats.tasksWoken;
    await sleep(sim, 10);
    assert.equal(sim.k.stats.tasksWoken - woken, 3, 'the expiry woke both readers (and the sleeper)');
    ok(await sim.wait(r1));
    assert.equal(ticksOf(ok(await sim.wait(r2)).data), 1n);
    assert.deepEqual(done, { r1: 10 * MS, r2: 20 * MS });
  }));

test('closing_a_timerfd_cancels_its_timer', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, 0)).ret;
    ok(await sim.sys.timerfd_settime(fd, 0, its(10, 10)));
    assert.equal(sim.k.pendingTimers().length, 1);
    ok(await sim.sys.close(fd));
    assert.deepEqual(sim.k.pendingTimers(), []);
  }));

test('times_beyond_2_to_the_53_ns_are_not_modelled', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, 0)).ret;
    const huge: Itimerspec = { value: { sec: 2 ** 40, nsec: 0 }, interval: { sec: 0, nsec: 0 } };
    assert.throws(() => sim.sys.timerfd_settime(fd, 0, huge), Unsupported);
  }));

test('the_timerfd_snapshot_is_plain_json', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.timerfd_create(MONO, TFD.TFD_NONBLOCK)).ret;
    ok(await sim.sys.timerfd_settime(fd, 0, its(10, 10)));
    await sleep(sim, 25);
    const snap = snapshotTimerfd(sim.k, ctxOf(sim, fd)) as Record<string, unknown>;
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
    assert.equal(snap.ticks, 1);
    assert.equal(snap.expired, true);
    assert.equal(snap.armed, false, 'fired and not re-armed until read');
    assert.equal(snap.interval, 10 * MS);
    const file = sim.p.fdtable.get(fd)!;
    assert.deepEqual(file.ops.snapshot!(sim.k, file), snap);
  }));
