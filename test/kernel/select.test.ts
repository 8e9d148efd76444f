import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EFD, O, SOCK, ULLONG_MAX } from '../../src/abi/constants.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import type { EventfdCtx } from '../../src/kernel/eventfd.ts';
import { livePollWqueues, snapshotPollWqueues } from '../../src/kernel/pollwait.ts';
import { kernSelect, type SelectOutcome } from '../../src/kernel/select.ts';
import { diffStats, type Stats } from '../../src/kernel/stats.ts';
import { waitEntries } from '../../src/kernel/waitqueue.ts';
import { errno, ok, type Sim, u64, withSim } from '../helpers.ts';

const SEC = 1_000_000_000;

/** n eventfds with counter `initval` (0: not readable; writable either way). */
async function eventfds(sim: Sim, n: number, initval = 0): Promise<number[]> {
  const fds: number[] = [];
  for (let i = 0; i < n; i++) fds.push(ok(await sim.sys.eventfd(initval, EFD.EFD_NONBLOCK)).ret);
  return fds;
}

/** kernSelect on the main thread: what the caller's memory holds afterwards, errors included. */
function selectMemory(
  sim: Sim,
  ...args: Parameters<typeof kernSelect> extends [unknown, ...infer R] ? R : never
) {
  const t = sim.p.thread('main');
  return sim.k.enter(t, 'select', [], () => kernSelect(t, ...args)) as Promise<SelectOutcome>;
}

function statsSince(sim: Sim, before: Stats): Stats {
  return diffStats(sim.k.stats, before);
}

// ---- argument errors ----

test('select_with_negative_nfds_is_EINVAL', () =>
  withSim(async ({ sys }) => {
    assert.equal(errno(await sys.select(-1, null, null, null, { sec: 0, usec: 0 })), 'EINVAL');
    assert.equal(errno(await sys.select(-1, [0], null, null, null)), 'EINVAL');
  }));

test('select_nfds_negative_still_writes_the_timeout_back', () =>
  withSim(async (sim) => {
    // Linux 6.18: select(-1, …, {3,0}) → EINVAL with tv = {2,999999} (real time passed there).
    const o = await selectMemory(sim, -1, null, null, null, { sec: 3, usec: 0 });
    assert.equal(o.ret, -22);
    assert.deepEqual(o.timeout, { sec: 3, usec: 0 });
  }));

test('select_normalises_tv_usec_into_seconds_before_validating', () =>
  withSim(async (sim) => {
    // tv_usec = 2e6 is 2 s: select as a sleep returns after exactly 2 s of virtual time.
    const r = ok(await sim.wait(sim.sys.select(0, null, null, null, { sec: 0, usec: 2_000_000 })));
    assert.equal(r.ret, 0);
    assert.deepEqual(r.timeout, { sec: 0, usec: 0 });
    assert.equal(sim.k.now, 2 * SEC);
    // {2, -1e6} is 1 s (C division truncates toward zero: sec 2 − 1, nsec 0).
    const [fd] = await eventfds(sim, 1, 1);
    const r2 = ok(await sim.sys.select(fd + 1, [fd], null, null, { sec: 2, usec: -1_000_000 }));
    assert.deepEqual(r2.timeout, { sec: 1, usec: 0 });
  }));

test('select_negative_tv_usec_or_tv_sec_is_EINVAL_and_not_written_back', () =>
  withSim(async (sim) => {
    assert.equal(errno(await sim.sys.select(1, [0], null, null, { sec: 0, usec: -1 })), 'EINVAL');
    assert.equal(errno(await sim.sys.select(1, [0], null, null, { sec: -1, usec: 0 })), 'EINVAL');
    // {-2, 1e6} normalises to {-1, 0}.
    assert.equal(errno(await sim.sys.select(1, [0], null, null, { sec: -2, usec: 1_000_000 })), 'EINVAL');
    const o = await selectMemory(sim, 1, [0], null, null, { sec: 0, usec: -1 });
    assert.equal(o.ret, -22);
    assert.deepEqual(o.timeout, { sec: 0, usec: -1 });
    assert.deepEqual(o.readfds, [0]);
  }));

test('select_timeout_that_normalises_to_zero_does_not_block_and_is_not_written_back', () =>
  withSim(async (sim) => {
    // Linux 6.18: {1, -1e6} and {-1, 1e6} are zero timeouts; the timeval is left as passed.
    const [idle] = await eventfds(sim, 1);
    for (const tv of [
      { sec: 1, usec: -1_000_000 },
      { sec: -1, usec: 1_000_000 },
      { sec: 0, usec: 0 },
    ]) {
      const before = { ...sim.k.stats };
      const r = ok(await sim.sys.select(idle + 1, [idle], null, null, tv));
      assert.equal(r.ret, 0);
      assert.deepEqual(r.readfds, []);
      assert.deepEqual(r.timeout, tv);
      assert.equal(statsSince(sim, before).waitEntriesAdded, 0);
      assert.equal(statsSince(sim, before).bytesCopiedOut, 8, 'the set only: no timeval written');
    }
    assert.equal(sim.k.now, 0);
  }));

test('select_rejects_what_the_model_cannot_represent_before_the_call', () =>
  withSim(async ({ sys }) => {
    assert.throws(() => sys.select(1, [-1], null, null, null), Unsupported);
    assert.throws(() => sys.select(1.5, null, null, null, null), Unsupported);
    assert.throws(() => sys.select(2 ** 31, null, null, null, null), Unsupported);
    assert.throws(() => sys.select(1, null, null, null, { sec: 0.5, usec: 0 }), Unsupported);
  }));

// ---- EBADF (max_select_fd) ----

test('select_bit_of_a_closed_fd_below_n_is_EBADF_before_anything_is_polled', () =>
  withSim(async (sim) => {
    const [ready] = await eventfds(sim, 1, 1);
    for (const sets of [
      [[ready, 50], null, null],
      [null, [50], null],
      [null, null, [50]],
    ] as const) {
      const before = { ...sim.k.stats };
      assert.equal(errno(await sim.sys.select(51, sets[0], sets[1], sets[2], null)), 'EBADF');
      const d = statsSince(sim, before);
      assert.equal(d.fopPollCalls, 0);
      assert.equal(d.fileLookups, 0);
      assert.equal(d.waitEntriesAdded, 0);
    }
  }));

test('select_EBADF_with_a_timeout_writes_back_the_full_remaining_time_and_leaves_the_sets', () =>
  withSim(async (sim) => {
    // Linux 6.18: tv {3,0} comes back {2,999999}: the virtual clock did not move here.
    const [fd] = await eventfds(sim, 1, 1);
    const o = await selectMemory(sim, 51, [fd, 50], [fd], null, { sec: 3, usec: 0 });
    assert.equal(o.ret, -9);
    assert.deepEqual(o.readfds, [fd, 50]);
    assert.deepEqual(o.writefds, [fd]);
    assert.equal(o.exceptfds, null);
    assert.deepEqual(o.timeout, { sec: 3, usec: 0 });
  }));

// ---- the cap at the table's capacity, and the words ----

test('select_caps_nfds_at_the_table_capacity_and_leaves_higher_bits_set', () =>
  withSim(
    async (sim) => {
      // Linux 6.18, capacity 256: fd 50 not open → EBADF; bit 5000 ignored, still set; nfds = 1<<20 OK.
      assert.equal(sim.p.fdtable.capacity, 256);
      const { sys } = sim;
      assert.equal(errno(await sys.select(1 << 20, [50], null, null, { sec: 0, usec: 0 })), 'EBADF');
      assert.equal(errno(await sys.select(1 << 20, [255], null, null, { sec: 0, usec: 0 })), 'EBADF');
      const [fd] = await eventfds(sim, 1, 1);
      const before = { ...sim.k.stats };
      const r = ok(await sys.select(1 << 20, [fd, 256, 5000], null, null, { sec: 0, usec: 0 }));
      assert.equal(r.ret, 1);
      assert.deepEqual(r.readfds, [fd, 256, 5000]);
      // 256 bits = 4 words = 32 bytes each way, + 16 for the timeval coming in.
      assert.equal(statsSince(sim, before).bytesCopiedIn, 32 + 16);
      assert.equal(statsSince(sim, before).bytesCopiedOut, 32);
      const r2 = ok(await sys.select(1 << 20, [5000], null, null, { sec: 0, usec: 0 }));
      assert.equal(r2.ret, 0);
      assert.deepEqual(r2.readfds, [5000]);
    },
    { fdCapacity: 256 },
  ));

test('select_caps_at_capacity_not_RLIMIT_NOFILE', () =>
  withSim(
    async ({ sys }) => {
      // The table holds 1024 slots while the soft limit is 100: fd 500 is still checked.
      assert.equal(errno(await sys.select(1024, [500], null, null, { sec: 0, usec: 0 })), 'EBADF');
    },
    { rlimit: { soft: 100, hard: 4096 } },
  ));

test('select_clears_bits_between_n_and_the_end_of_its_last_word', () =>
  withSim(async (sim) => {
    // Linux 6.18: select(5, {0, 10}) → {0}; select(100, {3, 110, 130}) → {3, 130}: the kernel
    // copies whole 64-bit words in and out, and ignores the bits at or above n in them.
    const r = ok(await sim.sys.select(5, [0, 10], null, null, { sec: 0, usec: 0 }));
    assert.equal(r.ret, 1);
    assert.deepEqual(r.readfds, [0]);
    const [fd] = await eventfds(sim, 1, 1);
    assert.equal(fd, 3);
    const r2 = ok(await sim.sys.select(100, [3, 110, 130], null, null, { sec: 0, usec: 0 }));
    assert.equal(r2.ret, 1);
    assert.deepEqual(r2.readfds, [3, 130]);
  }));

// ---- counting ----

test('select_counts_an_fd_once_per_set_it_is_ready_in', () =>
  withSim(async (sim) => {
    // Linux 6.18: eventfd(1) in r, w, x → 2 (IN and OUT; never PRI).
    const [fd] = await eventfds(sim, 1, 1);
    const r = ok(await sim.sys.select(fd + 1, [fd], [fd], [fd], { sec: 0, usec: 0 }));
    assert.equal(r.ret, 2);
    assert.deepEqual([r.readfds, r.writefds, r.exceptfds], [[fd], [fd], []]);
    // An idle eventfd is writable only.
    const [idle] = await eventfds(sim, 1);
    const r2 = ok(await sim.sys.select(idle + 1, [idle], [idle], [idle], null));
    assert.equal(r2.ret, 1);
    assert.deepEqual([r2.readfds, r2.writefds, r2.exceptfds], [[], [idle], []]);
  }));

test('select_on_files_without_poll_is_readable_and_writable_never_exceptional_and_never_blocks', () =>
  withSim(async (sim) => {
    const tmp = ok(await sim.sys.open('tmpfile', O.O_RDONLY)).ret;
    const before = { ...sim.k.stats };
    // fd 0 is /dev/null opened O_RDONLY: access mode does not matter.
    const r = ok(await sim.sys.select(tmp + 1, [0, tmp], [0, tmp], [0, tmp], null));
    assert.equal(r.ret, 4);
    assert.deepEqual([r.readfds, r.writefds, r.exceptfds], [[0, tmp], [0, tmp], []]);
    const d = statsSince(sim, before);
    assert.equal(d.waitEntriesAdded, 0);
    assert.equal(d.fopPollCalls, 0, 'no ->poll: vfs_poll returns DEFAULT_POLLMASK');
    assert.equal(d.fileLookups, 2);
  }));

test('select_with_no_fds_sleeps_until_the_timeout', () =>
  withSim(async (sim) => {
    const p = sim.sys.select(0, null, null, null, { sec: 3, usec: 0 });
    assert.equal(sim.blocked(p), true);
    const r = ok(await sim.wait(p));
    assert.equal(r.ret, 0);
    assert.deepEqual(r.timeout, { sec: 0, usec: 0 });
    assert.equal(sim.k.now, 3 * SEC);
  }));

// ---- blocking, waking, timing out ----

test('select_that_times_out_writes_back_zero_and_makes_a_final_pass', () =>
  withSim(async (sim) => {
    const fds = await eventfds(sim, 3);
    const before = { ...sim.k.stats };
    const r = ok(await sim.wait(sim.sys.select(fds[2] + 1, fds, null, null, { sec: 3, usec: 0 })));
    assert.equal(r.ret, 0);
    assert.deepEqual(r.readfds, []);
    assert.deepEqual(r.timeout, { sec: 0, usec: 0 });
    assert.equal(sim.k.now, 3 * SEC);
    const d = statsSince(sim, before);
    assert.equal(d.fopPollCalls, 6, 'the first pass and the final pass after the timeout');
    assert.equal(d.waitEntriesAdded, 3);
    assert.equal(d.waitEntriesRemoved, 3);
    assert.equal(d.timeouts, 1);
  }));

test('select_blocked_is_woken_by_another_threads_write_and_writes_back_the_time_left', () =>
  withSim(async (sim) => {
    const [fd] = await eventfds(sim, 1);
    const p = sim.thread('t1').select(fd + 1, [fd], null, null, { sec: 5, usec: 250 });
    assert.equal(sim.blocked(p), true);
    ok(await sim.wait(sim.sys.sleep(1500)));
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(fd, u64(1n)));
    assert.equal(sim.blocked(p), false);
    const r = ok(await sim.wait(p));
    assert.equal(r.ret, 1);
    assert.deepEqual(r.readfds, [fd]);
    assert.deepEqual(r.timeout, { sec: 3, usec: 500_250 });
  }));

test('select_writes_back_the_time_left_exactly_when_the_deadline_is_past_2_53_ns', () =>
  withSim(async (sim) => {
    // 10^12 s is past 2^53 ns (104 days): a deadline held as one number of ns would round it.
    const [fd] = await eventfds(sim, 1);
    const p = sim.thread('t1').select(fd + 1, [fd], null, null, { sec: 1e12, usec: 999_999 });
    ok(await sim.wait(sim.sys.sleep(1)));
    ok(await sim.wait(sim.sys.sleep(1)));
    ok(await sim.sys.write(fd, u64(1n)));
    const r = ok(await sim.wait(p));
    assert.equal(r.ret, 1);
    assert.deepEqual(r.timeout, { sec: 1e12, usec: 997_999 });
    // Past KTIME_MAX (2^63 − 1 ns) it sleeps with no timer: only a wake-up ends it.
    ok(await sim.sys.read(fd, 8));
    const q = sim.thread('t1').select(fd + 1, [fd], null, null, { sec: 2 ** 52, usec: 0 });
    assert.equal(sim.blocked(q), true);
    assert.equal(sim.k.pendingTimers().length, 0);
    ok(await sim.wait(sim.sys.sleep(3)));
    ok(await sim.sys.write(fd, u64(1n)));
    assert.deepEqual(ok(await sim.wait(q)).timeout, { sec: 2 ** 52 - 1, usec: 997_000 });
  }));

test('select_without_timeout_blocks_until_woken', () =>
  withSim(async (sim) => {
    const [a, b] = await eventfds(sim, 2);
    const p = sim.thread('t1').select(b + 1, [a], [], [a, b], null);
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(a, u64(7n)));
    const r = ok(await sim.wait(p));
    assert.equal(r.ret, 1);
    assert.deepEqual([r.readfds, r.writefds, r.exceptfds, r.timeout], [[a], [], [], null]);
  }));

test('select_entries_are_non_exclusive_at_the_head_with_the_requested_events_as_key', () =>
  withSim(async (sim) => {
    const [fd] = await eventfds(sim, 1);
    const wqh = (sim.p.fdtable.get(fd)!.priv as EventfdCtx).wqh;
    ok(await sim.sys.fcntl(fd, 4 /* F_SETFL */, 0));
    const reader = sim.thread('reader').read(fd, 8); // a blocked eventfd reader: non-exclusive, at the tail
    const p = sim.thread('t1').select(fd + 1, [fd], null, [fd], null);
    const entries = waitEntries(wqh);
    assert.deepEqual(
      entries.map((e) => [e.kind, e.flags, e.key]),
      [
        ['pollwake', 0, 0x0f9 | 0x022],
        ['autoremove_wake_function', 0, 0],
      ],
    );
    // The call's poll_wqueues, as a snapshot sees it.
    const [pwq] = livePollWqueues(sim.k);
    const snap = snapshotPollWqueues(pwq);
    assert.equal(snap.owner, 'select');
    assert.equal(snap.task, 't1');
    assert.equal(snap.registering, false);
    assert.deepEqual(snap.entries, [
      {
        entry: entries[0].id,
        file: sim.p.fdtable.get(fd)!.id,
        fileType: 'eventfd',
        queue: wqh.id,
        queueName: wqh.name,
        key: 0xfb,
      },
    ]);
    assert.equal(JSON.parse(JSON.stringify(snap)).entries.length, 1);
    ok(await sim.sys.write(fd, u64(1n)));
    assert.equal(ok(await sim.wait(p)).ret, 1);
    ok(await sim.wait(reader));
    assert.deepEqual(livePollWqueues(sim.k), []);
  }));

test('select_ignores_a_wake_up_whose_key_it_did_not_ask_for', () =>
  withSim(async (sim) => {
    // An eventfd at 2^64 − 2 is not writable. A write of 0 wakes its queue with key IN: the
    // writefds entry (key POLLEX_SET | POLLOUT_SET) ignores it; a read wakes with OUT.
    const [fd] = await eventfds(sim, 1);
    ok(await sim.sys.write(fd, u64(ULLONG_MAX - 1n)));
    const p = sim.thread('t1').select(fd + 1, null, [fd], null, null);
    assert.equal(sim.blocked(p), true);
    const before = { ...sim.k.stats };
    ok(await sim.sys.write(fd, u64(0n)));
    assert.equal(sim.blocked(p), true);
    assert.equal(statsSince(sim, before).callbacksFilteredByKey, 1);
    assert.equal(statsSince(sim, before).tasksWoken, 0);
    ok(await sim.sys.read(fd, 8));
    const r = ok(await sim.wait(p));
    assert.equal(r.ret, 1);
    assert.deepEqual(r.writefds, [fd]);
  }));

test('select_fd_closed_while_waiting_is_ready_in_every_requested_set_as_NVAL', () =>
  withSim(async (sim) => {
    // Linux 6.18 (two threads): the entry keeps the file alive; the next pass finds the fd
    // closed, so it counts in r and x: 2.
    const [fd] = await eventfds(sim, 1);
    const dup = ok(await sim.sys.dup(fd)).ret;
    const file = sim.p.fdtable.get(fd)!;
    const p = sim.thread('t1').select(fd + 1, [fd], null, [fd], { sec: 5, usec: 0 });
    ok(await sim.sys.close(fd));
    assert.equal(sim.blocked(p), true, 'close wakes nobody');
    assert.equal(file.count, 2, 'the dup and the select entry');
    ok(await sim.sys.write(dup, u64(1n)));
    const r = ok(await sim.wait(p));
    assert.equal(r.ret, 2);
    assert.deepEqual([r.readfds, r.exceptfds], [[fd], [fd]]);
    assert.equal(file.count, 1);
  }));

test('select_abandoned_at_teardown_removes_its_entries_and_drops_its_references', () =>
  withSim(async (sim) => {
    const [fd] = await eventfds(sim, 1);
    const p = sim.sys.select(fd + 1, [fd], null, null, null);
    await assert.rejects(sim.wait(p), /deadlock.*main in select/);
    assert.equal(sim.p.fdtable.get(fd)!.count, 2);
    sim.k.abortBlocked(null);
    assert.equal(waitEntries((sim.p.fdtable.get(fd)!.priv as EventfdCtx).wqh).length, 0);
    assert.equal(sim.p.fdtable.get(fd)!.count, 1);
  }));

// ---- registration and costs ----

test('select_registers_up_to_and_including_the_first_ready_fd', () =>
  withSim(async (sim) => {
    const fds = await eventfds(sim, 5);
    ok(await sim.sys.write(fds[2], u64(1n)));
    const before = { ...sim.k.stats };
    const r = ok(await sim.sys.select(fds[4] + 1, fds, null, null, null));
    assert.equal(r.ret, 1);
    const d = statsSince(sim, before);
    // poll_wait runs inside f_op->poll, before the mask says the fd is ready.
    assert.equal(d.waitEntriesAdded, 3, 'the two idle fds before the ready one, and the ready one');
    assert.equal(d.waitEntriesRemoved, 3);
    assert.equal(d.fopPollCalls, 5, 'later fds are still polled');
    assert.equal(d.sleeps, 0);
  }));

for (const n of [4, 16, 40]) {
  test(`select_blocking_on_${n}_idle_eventfds_adds_and_removes_${n}_entries_and_polls_${2 * n}_times`, () =>
    withSim(async (sim) => {
      const fds = await eventfds(sim, n);
      const nfds = fds[n - 1] + 1;
      const before = { ...sim.k.stats };
      const p = sim.thread('t1').select(nfds, fds, null, null, { sec: 10, usec: 0 });
      const pass1 = statsSince(sim, before);
      assert.equal(pass1.waitEntriesAdded, n);
      assert.equal(pass1.fopPollCalls, n);
      assert.equal(pass1.bytesCopiedIn, 8 + 16, 'one word of one set, and the timeval');
      ok(await sim.sys.write(fds[n - 1], u64(1n)));
      const r = ok(await sim.wait(p));
      assert.equal(r.ret, 1);
      const d = statsSince(sim, before);
      assert.equal(d.waitEntriesAdded, n);
      assert.equal(d.waitEntriesRemoved, n);
      assert.equal(d.fopPollCalls, 2 * n);
      assert.equal(d.fdsScanned, 2 * n);
      assert.equal(d.fileLookups, 2 * n);
      assert.equal(d.bitmapWordsScanned, 3 * 3, 'max_select_fd, pass 1, pass 2: one word of each set');
      assert.equal(d.bytesCopiedOut, 8 + 16);
    }));
}

test('select_cost_per_call_grows_with_the_idle_fds_not_the_ready_ones', () =>
  withSim(async (sim) => {
    const cost = async (idle: number) => {
      const fds = await eventfds(sim, idle);
      const [ready] = await eventfds(sim, 1, 1);
      const all = [...fds, ready];
      const before = { ...sim.k.stats };
      const r = ok(await sim.sys.select(ready + 1, all, null, null, { sec: 0, usec: 0 }));
      assert.equal(r.ret, 1);
      const d = statsSince(sim, before);
      for (const fd of all) ok(await sim.sys.close(fd));
      return [d.fopPollCalls, d.fdsScanned, d.fileLookups, d.bytesCopiedIn, d.bitmapWordsScanned];
    };
    // fds 3..(3+idle): 10 idle → n = 14 (1 word); 100 idle → n = 104 (2 words).
    assert.deepEqual(await cost(10), [11, 11, 11, 8 + 16, 3 + 3]);
    assert.deepEqual(await cost(100), [101, 101, 101, 16 + 16, 6 + 6]);
  }));

// ---- pipes and sockets (reference §9 item 3) ----

test('select_stream_socket_with_data_in_read_and_write_sets_counts_2', () =>
  withSim(async ({ sys }) => {
    // Linux 6.18: a socketpair end with data queued in r, w, x → 2 (r and w).
    const [a, b] = ok(await sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).fds;
    ok(await sys.write(a, new Uint8Array([104, 105])));
    const r = ok(await sys.select(b + 1, [b], [b], [b], { sec: 0, usec: 0 }));
    assert.equal(r.ret, 2);
    assert.deepEqual([r.readfds, r.writefds, r.exceptfds], [[b], [b], []]);
  }));

test('select_blocked_on_a_socket_is_woken_by_the_peers_write', () =>
  withSim(async (sim) => {
    const [a, b] = ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).fds;
    const p = sim.thread('t1').select(b + 1, [a], null, null, null);
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(b, new Uint8Array([1])));
    const r = ok(await sim.wait(p));
    assert.deepEqual([r.ret, r.readfds], [1, [a]]);
  }));

test('select_pipe_write_end_in_read_and_write_sets_counts_once', () =>
  withSim(async ({ sys }) => {
    // Linux 6.18: the write end is writable, never readable or exceptional → 1 (w only).
    const [, w] = ok(await sys.pipe()).fds;
    const r = ok(await sys.select(w + 1, [w], [w], [w], { sec: 0, usec: 0 }));
    assert.equal(r.ret, 1);
    assert.deepEqual([r.readfds, r.writefds, r.exceptfds], [[], [w], []]);
  }));

test('select_counts_HUP_as_readable_only_and_ERR_as_readable_and_writable', () =>
  withSim(async ({ sys }) => {
    // Linux 6.18: a read end whose writer closed (HUP) in r,w,x → 1 (r); a write end whose
    // reader closed (ERR) in r,w,x → 2 (r and w). Neither reaches exceptfds.
    const [r1, w1] = ok(await sys.pipe()).fds;
    ok(await sys.close(w1));
    const a = ok(await sys.select(r1 + 1, [r1], [r1], [r1], { sec: 0, usec: 0 }));
    assert.deepEqual([a.ret, a.readfds, a.writefds, a.exceptfds], [1, [r1], [], []]);
    const [r2, w2] = ok(await sys.pipe()).fds;
    ok(await sys.close(r2));
    const b = ok(await sys.select(w2 + 1, [w2], [w2], [w2], { sec: 0, usec: 0 }));
    assert.deepEqual([b.ret, b.readfds, b.writefds, b.exceptfds], [2, [w2], [w2], []]);
  }));

test('select_blocked_on_a_pipe_read_end_is_woken_by_a_write', () =>
  withSim(async (sim) => {
    const [r, w] = ok(await sim.sys.pipe()).fds;
    const p = sim.thread('t1').select(w + 1, [r], null, null, { sec: 2, usec: 0 });
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(w, new Uint8Array([1, 2, 3])));
    const res = ok(await sim.wait(p));
    assert.deepEqual([res.ret, res.readfds, res.timeout], [1, [r], { sec: 2, usec: 0 }]);
  }));

test('select_polls_only_the_set_bits_and_reads_every_word_below_n', () =>
  withSim(async (sim) => {
    // Two set fds 197 apart: do_select reads all 4 words of each set (in max_select_fd and in the
    // pass) but calls f_op->poll twice.
    const fds = await eventfds(sim, 198);
    const [low, high] = [fds[0], fds[197]];
    ok(await sim.sys.write(high, u64(1n)));
    const before = { ...sim.k.stats };
    const r = ok(await sim.sys.select(high + 1, [low, high], [high], null, { sec: 0, usec: 0 }));
    assert.deepEqual([r.ret, r.readfds, r.writefds], [2, [high], [high]]);
    const d = statsSince(sim, before);
    assert.deepEqual(
      [d.fopPollCalls, d.fdsScanned, d.bitmapWordsScanned, d.waitEntriesAdded],
      [2, 2, 3 * 4 + 3 * 4, 0],
    );
    for (const fd of fds) ok(await sim.sys.close(fd));
  }));

test('select_calls_in_progress_on_two_threads_keep_their_own_bits', () =>
  withSim(async (sim) => {
    // t1 sleeps holding its sets; main's zero-timeout select over another fd, and t1's result
    // after the wake-up, each see only their own.
    const [a, b] = await eventfds(sim, 2);
    const p = sim.thread('t1').select(a + 1, [a], null, null, null);
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(b, u64(1n)));
    const r = ok(await sim.sys.select(b + 1, [b], [a], null, { sec: 0, usec: 0 }));
    assert.deepEqual([r.ret, r.readfds, r.writefds], [2, [b], [a]]);
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(a, u64(1n)));
    const s = ok(await sim.wait(p));
    assert.deepEqual([s.ret, s.readfds], [1, [a]]);
  }));
