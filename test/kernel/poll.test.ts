import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EFD, O, POLL, SOCK, ULLONG_MAX } from '../../src/abi/constants.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import type { EventfdCtx } from '../../src/kernel/eventfd.ts';
import { diffStats, type Stats } from '../../src/kernel/stats.ts';
import { waitEntries } from '../../src/kernel/waitqueue.ts';
import { errno, ok, type Sim, u64, withSim } from '../helpers.ts';

const { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLWRNORM, POLLPRI } = POLL;
const MS = 1_000_000;

async function eventfds(sim: Sim, n: number, initval = 0): Promise<number[]> {
  const fds: number[] = [];
  for (let i = 0; i < n; i++) fds.push(ok(await sim.sys.eventfd(initval, EFD.EFD_NONBLOCK)).ret);
  return fds;
}

function statsSince(sim: Sim, before: Stats): Stats {
  return diffStats(sim.k.stats, before);
}

// ---- arguments ----

test('poll_nfds_above_RLIMIT_NOFILE_is_EINVAL_and_nfds_equal_to_it_is_fine', () =>
  withSim(async ({ sys }) => {
    // Linux 6.18 with soft limit 1024: 1025 entries → EINVAL, 1024 → 0.
    const entries = (n: number) => Array.from({ length: n }, () => ({ fd: -1, events: POLLIN }));
    assert.equal(errno(await sys.poll(entries(1025), 0)), 'EINVAL');
    const r = ok(await sys.poll(entries(1024), 0));
    assert.equal(r.ret, 0);
    assert.equal(r.revents.length, 1024);
  }));

test('poll_nfds_limit_is_the_soft_RLIMIT_NOFILE', () =>
  withSim(
    async ({ sys }) => {
      const entries = (n: number) => Array.from({ length: n }, () => ({ fd: 0, events: POLLIN }));
      assert.equal(errno(await sys.poll(entries(9), 0)), 'EINVAL');
      assert.equal(ok(await sys.poll(entries(8), 0)).ret, 8);
    },
    { rlimit: { soft: 8, hard: 4096 } },
  ));

test('poll_rejects_what_the_model_cannot_represent_before_the_call', () =>
  withSim(async ({ sys }) => {
    assert.throws(() => sys.poll([{ fd: 0, events: 0x10000 }], 0), Unsupported);
    assert.throws(() => sys.poll([{ fd: 0, events: -1 }], 0), Unsupported);
    assert.throws(() => sys.poll([{ fd: 2 ** 31, events: POLLIN }], 0), Unsupported);
    assert.throws(() => sys.poll([], 1.5), Unsupported);
  }));

// ---- revents ----

test('poll_negative_fd_is_ignored_a_closed_fd_is_NVAL_and_counted', () =>
  withSim(async (sim) => {
    // Linux 6.18 (reference §9 item 4, with an eventfd for the pipe's write end):
    // {−5, closed 60, writable OUT, writable events 0} → 2, revents {0, NVAL, OUT, 0}.
    const [fd] = await eventfds(sim, 1);
    const before = { ...sim.k.stats };
    const r = ok(
      await sim.sys.poll(
        [
          { fd: -5, events: POLLIN },
          { fd: 60, events: POLLIN },
          { fd, events: POLLOUT },
          { fd, events: 0 },
        ],
        0,
      ),
    );
    assert.equal(r.ret, 2);
    assert.deepEqual(r.revents, [0, POLLNVAL, POLLOUT, 0]);
    const d = statsSince(sim, before);
    assert.equal(d.fileLookups, 3, 'the negative fd is not looked up');
    assert.equal(d.fdsScanned, 4);
    assert.equal(d.fopPollCalls, 2);
  }));

test('poll_POLLRDNORM_is_not_POLLIN_on_an_eventfd', () =>
  withSim(async (sim) => {
    // Linux 6.18: eventfd(1): POLLRDNORM → 0; IN|OUT → IN|OUT; every bit → IN|OUT.
    const [fd] = await eventfds(sim, 1, 1);
    assert.deepEqual(ok(await sim.sys.poll([{ fd, events: POLLRDNORM }], 0)), { ret: 0, revents: [0] });
    assert.deepEqual(ok(await sim.sys.poll([{ fd, events: POLLIN | POLLOUT }], 0)), {
      ret: 1,
      revents: [POLLIN | POLLOUT],
    });
    assert.deepEqual(ok(await sim.sys.poll([{ fd, events: 0xffff }], 0)), {
      ret: 1,
      revents: [POLLIN | POLLOUT],
    });
  }));

test('poll_on_files_without_poll_reports_DEFAULT_POLLMASK_and_registers_nothing', () =>
  withSim(async (sim) => {
    // Linux 6.18: /dev/null with events 0xffff → 0x145.
    const tmp = ok(await sim.sys.open('tmpfile', O.O_WRONLY)).ret;
    const before = { ...sim.k.stats };
    const r = ok(
      await sim.sys.poll(
        [
          { fd: 0, events: 0xffff },
          { fd: tmp, events: POLLIN | POLLPRI },
        ],
        -1,
      ),
    );
    assert.equal(r.ret, 2);
    assert.deepEqual(r.revents, [POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM, POLLIN]);
    assert.equal(statsSince(sim, before).waitEntriesAdded, 0);
    assert.equal(statsSince(sim, before).fopPollCalls, 0);
  }));

test('poll_entry_key_is_events_with_ERR_and_HUP', () =>
  withSim(async (sim) => {
    const [fd] = await eventfds(sim, 1);
    const wqh = (sim.p.fdtable.get(fd)!.priv as EventfdCtx).wqh;
    const p = sim.thread('t1').poll(
      [
        { fd, events: POLLIN },
        { fd, events: 0 },
      ],
      -1,
    );
    // Both entries registered, each at the head: the second entry's is first.
    assert.deepEqual(
      waitEntries(wqh).map((e) => [e.kind, e.flags, e.key]),
      [
        ['pollwake', 0, POLLERR | POLLHUP],
        ['pollwake', 0, POLLIN | POLLERR | POLLHUP],
      ],
    );
    ok(await sim.sys.write(fd, u64(1n)));
    assert.deepEqual(ok(await sim.wait(p)), { ret: 1, revents: [POLLIN, 0] });
  }));

// ---- duplicates, registration, blocking ----

test('poll_duplicate_entries_are_polled_registered_and_counted_separately', () =>
  withSim(async (sim) => {
    const [fd] = await eventfds(sim, 1);
    const before = { ...sim.k.stats };
    const p = sim.thread('t1').poll(
      [
        { fd, events: POLLIN },
        { fd, events: POLLIN },
      ],
      -1,
    );
    assert.equal(sim.blocked(p), true);
    assert.equal(statsSince(sim, before).waitEntriesAdded, 2);
    assert.equal(sim.p.fdtable.get(fd)!.count, 3, 'the fd and one reference per entry');
    ok(await sim.sys.write(fd, u64(1n)));
    assert.deepEqual(ok(await sim.wait(p)), { ret: 2, revents: [POLLIN, POLLIN] });
    const d = statsSince(sim, before);
    assert.equal(d.waitEntriesRemoved, 2);
    assert.equal(d.fopPollCalls, 4);
    assert.equal(sim.p.fdtable.get(fd)!.count, 1);
  }));

test('poll_registers_up_to_and_including_the_first_ready_entry', () =>
  withSim(async (sim) => {
    const fds = await eventfds(sim, 4);
    ok(await sim.sys.write(fds[2], u64(1n)));
    const before = { ...sim.k.stats };
    const r = ok(
      await sim.sys.poll(
        fds.map((fd) => ({ fd, events: POLLIN })),
        1000,
      ),
    );
    assert.deepEqual(r, { ret: 1, revents: [0, 0, POLLIN, 0] });
    const d = statsSince(sim, before);
    assert.equal(d.waitEntriesAdded, 3);
    assert.equal(d.fopPollCalls, 4);
    assert.equal(d.sleeps, 0);
  }));

test('poll_with_zero_timeout_does_not_block_and_registers_nothing', () =>
  withSim(async (sim) => {
    const fds = await eventfds(sim, 3);
    const before = { ...sim.k.stats };
    const r = ok(
      await sim.sys.poll(
        fds.map((fd) => ({ fd, events: POLLIN })),
        0,
      ),
    );
    assert.deepEqual(r, { ret: 0, revents: [0, 0, 0] });
    assert.equal(statsSince(sim, before).waitEntriesAdded, 0);
    assert.equal(statsSince(sim, before).fopPollCalls, 3);
    assert.equal(sim.k.now, 0);
  }));

test('poll_timeout_expires_on_the_virtual_clock_after_a_final_pass', () =>
  withSim(async (sim) => {
    const fds = await eventfds(sim, 2);
    const before = { ...sim.k.stats };
    const r = ok(
      await sim.wait(
        sim.sys.poll(
          fds.map((fd) => ({ fd, events: POLLIN })),
          2500,
        ),
      ),
    );
    assert.deepEqual(r, { ret: 0, revents: [0, 0] });
    assert.equal(sim.k.now, 2500 * MS);
    const d = statsSince(sim, before);
    assert.equal(d.fopPollCalls, 4, 'the first pass and the final pass');
    assert.equal(d.waitEntriesAdded, 2);
    assert.equal(d.waitEntriesRemoved, 2);
    assert.equal(d.timeouts, 1);
  }));

test('poll_with_negative_timeout_blocks_until_another_thread_writes', () =>
  withSim(async (sim) => {
    const [fd] = await eventfds(sim, 1);
    const p = sim.thread('t1').poll([{ fd, events: POLLIN }], -1);
    ok(await sim.wait(sim.sys.sleep(10_000)));
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(fd, u64(1n)));
    assert.deepEqual(ok(await sim.wait(p)), { ret: 1, revents: [POLLIN] });
    assert.equal(sim.k.now, 10_000 * MS);
  }));

test('poll_ignores_a_wake_up_whose_key_it_did_not_ask_for', () =>
  withSim(async (sim) => {
    // Not writable at 2^64 − 2; a write of 0 wakes with key IN, which an OUT|ERR|HUP entry ignores.
    const [fd] = await eventfds(sim, 1);
    ok(await sim.sys.write(fd, u64(ULLONG_MAX - 1n)));
    const p = sim.thread('t1').poll([{ fd, events: POLLOUT }], -1);
    const before = { ...sim.k.stats };
    ok(await sim.sys.write(fd, u64(0n)));
    assert.equal(sim.blocked(p), true);
    assert.equal(statsSince(sim, before).callbacksFilteredByKey, 1);
    ok(await sim.sys.read(fd, 8));
    assert.deepEqual(ok(await sim.wait(p)), { ret: 1, revents: [POLLOUT] });
  }));

test('poll_fd_closed_while_waiting_is_NVAL_for_every_entry_on_it', () =>
  withSim(async (sim) => {
    // Linux 6.18 (two threads): entries {fd IN, fd 0}, fd closed, the file woken through a
    // dup → 2, revents {NVAL, NVAL}.
    const [fd] = await eventfds(sim, 1);
    const dup = ok(await sim.sys.dup(fd)).ret;
    const p = sim.thread('t1').poll(
      [
        { fd, events: POLLIN },
        { fd, events: 0 },
      ],
      5000,
    );
    ok(await sim.sys.close(fd));
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(dup, u64(1n)));
    assert.deepEqual(ok(await sim.wait(p)), { ret: 2, revents: [POLLNVAL, POLLNVAL] });
  }));

test('poll_freewait_removes_inline_entries_in_order_then_each_page_from_its_end', () =>
  withSim(async (sim) => {
    // 9 entries fit in poll_wqueues itself; the rest go to 63-entry pages.
    const fds = await eventfds(sim, 12);
    const removed: number[] = [];
    const p = sim.thread('t1').poll(
      fds.map((fd) => ({ fd, events: POLLIN })),
      -1,
    );
    const queueOf = new Map(
      fds.map((fd, i) => [(sim.p.fdtable.get(fd)!.priv as EventfdCtx).wqh.name, i] as const),
    );
    sim.k.attach((e) => {
      if (e.type === 'wait_remove') removed.push(queueOf.get(e.queue)!);
    });
    ok(await sim.sys.write(fds[5], u64(1n)));
    assert.equal(ok(await sim.wait(p)).ret, 1);
    sim.k.attach(undefined);
    assert.deepEqual(removed, [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 10, 9]);
  }));

// ---- costs ----

for (const n of [3, 10, 50]) {
  test(`poll_blocking_on_${n}_idle_eventfds_adds_and_removes_${n}_entries_and_polls_${2 * n}_times`, () =>
    withSim(async (sim) => {
      const fds = await eventfds(sim, n);
      const before = { ...sim.k.stats };
      const p = sim.thread('t1').poll(
        fds.map((fd) => ({ fd, events: POLLIN })),
        -1,
      );
      assert.equal(statsSince(sim, before).waitEntriesAdded, n);
      assert.equal(statsSince(sim, before).bytesCopiedIn, 8 * n);
      ok(await sim.sys.write(fds[0], u64(1n)));
      const r = ok(await sim.wait(p));
      assert.equal(r.ret, 1);
      const d = statsSince(sim, before);
      assert.equal(d.waitEntriesAdded, n);
      assert.equal(d.waitEntriesRemoved, n);
      assert.equal(d.fopPollCalls, 2 * n);
      assert.equal(d.fdsScanned, 2 * n);
      assert.equal(d.fileLookups, 2 * n);
      assert.equal(d.bytesCopiedOut, 2 * n);
    }));
}

test('poll_cost_per_call_grows_with_the_idle_entries_not_the_ready_ones', () =>
  withSim(async (sim) => {
    const cost = async (idle: number) => {
      const fds = await eventfds(sim, idle);
      const [ready] = await eventfds(sim, 1, 1);
      const all = [...fds, ready];
      const before = { ...sim.k.stats };
      const r = ok(
        await sim.sys.poll(
          all.map((fd) => ({ fd, events: POLLIN })),
          1000,
        ),
      );
      assert.equal(r.ret, 1);
      const d = statsSince(sim, before);
      for (const fd of all) ok(await sim.sys.close(fd));
      return [d.fopPollCalls, d.waitEntriesAdded, d.waitEntriesRemoved, d.bytesCopiedIn, d.bytesCopiedOut];
    };
    assert.deepEqual(await cost(10), [11, 11, 11, 88, 22]);
    assert.deepEqual(await cost(100), [101, 101, 101, 808, 202]);
  }));

// ---- pipes (reference §9 item 4) ----

test('poll_worked_result_with_a_pipe_write_end', () =>
  withSim(async ({ sys }) => {
    // Linux 6.18: {−5, closed 60, pipe w OUT, pipe w events 0} → 2, revents {0, NVAL, OUT, 0}.
    const [, w] = ok(await sys.pipe()).fds;
    const r = ok(
      await sys.poll(
        [
          { fd: -5, events: POLLIN },
          { fd: 60, events: POLLIN },
          { fd: w, events: POLLOUT },
          { fd: w, events: 0 },
        ],
        0,
      ),
    );
    assert.deepEqual(r, { ret: 2, revents: [0, POLLNVAL, POLLOUT, 0] });
  }));

test('poll_reports_HUP_and_ERR_even_when_events_is_0', () =>
  withSim(async ({ sys }) => {
    // Linux 6.18: read end with the writer closed, events 0 → HUP; write end with the reader
    // closed, events 0 → ERR.
    const [r1, w1] = ok(await sys.pipe()).fds;
    ok(await sys.close(w1));
    assert.deepEqual(ok(await sys.poll([{ fd: r1, events: 0 }], 0)), { ret: 1, revents: [POLLHUP] });
    const [r2, w2] = ok(await sys.pipe()).fds;
    ok(await sys.close(r2));
    assert.deepEqual(ok(await sys.poll([{ fd: w2, events: 0 }], 0)), { ret: 1, revents: [POLLERR] });
  }));

test('poll_blocked_on_a_pipe_is_woken_when_the_last_writer_closes', () =>
  withSim(async (sim) => {
    const [r, w] = ok(await sim.sys.pipe()).fds;
    const p = sim.thread('t1').poll([{ fd: r, events: POLLIN }], -1);
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.close(w));
    assert.deepEqual(ok(await sim.wait(p)), { ret: 1, revents: [POLLHUP] });
  }));

test('poll_stream_socket_with_data_reports_what_the_socket_reports_filtered_by_events', () =>
  withSim(async ({ sys }) => {
    // Linux 6.18: with data queued, events 0xffff → 0x345 (IN|OUT|RDNORM|WRNORM|WRBAND); IN → IN.
    const [a, b] = ok(await sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).fds;
    ok(await sys.write(a, new Uint8Array([104, 105])));
    assert.deepEqual(ok(await sys.poll([{ fd: b, events: 0xffff }], 0)), { ret: 1, revents: [0x345] });
    assert.deepEqual(ok(await sys.poll([{ fd: b, events: POLLIN }], 0)), { ret: 1, revents: [POLLIN] });
  }));

// ---- an epoll fd is polled like any other file (reference §9 item 16) ----

test('poll_on_an_epoll_fd_blocks_until_a_watched_file_is_ready_then_reports_IN', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const [fd] = await eventfds(sim, 1);
    ok(await sim.sys.epoll_ctl(ep, 1 /* EPOLL_CTL_ADD */, fd, { events: POLLIN, data: 7 }));
    assert.deepEqual(ok(await sim.sys.poll([{ fd: ep, events: POLLIN }], 0)), { ret: 0, revents: [0] });
    const p = sim.thread('t1').poll([{ fd: ep, events: POLLIN }], -1);
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(fd, u64(1n)));
    assert.deepEqual(ok(await sim.wait(p)), { ret: 1, revents: [POLLIN] });
  }));

test('poll_after_a_sleep_reads_its_copy_of_the_array_not_the_callers_memory', () =>
  withSim(async (sim) => {
    // Linux copies the pollfd array in once (do_sys_poll) and rescans its copy after each wake-up;
    // the model copies it before the first sleep. A change to the caller's array while the call
    // sleeps (fd 1000 is not open: NVAL if it were read) changes nothing.
    const [fd] = await eventfds(sim, 1);
    const entries = [{ fd, events: POLLIN }];
    const p = sim.thread('t1').poll(entries, -1);
    assert.equal(sim.blocked(p), true);
    entries[0].fd = 1000;
    ok(await sim.sys.write(fd, u64(1n)));
    assert.deepEqual(ok(await sim.wait(p)), { ret: 1, revents: [POLLIN] });
  }));

test('poll_with_zero_timeout_adds_no_wait_entries_and_every_revents_is_written', () =>
  withSim(async (sim) => {
    const fds = await eventfds(sim, 3);
    ok(await sim.sys.write(fds[1], u64(1n)));
    const before = { ...sim.k.stats };
    const r = ok(
      await sim.sys.poll(
        [
          { fd: fds[0], events: POLLIN },
          { fd: -1, events: POLLIN },
          { fd: fds[1], events: POLLIN },
          { fd: 999, events: POLLIN },
        ],
        0,
      ),
    );
    assert.deepEqual(r, { ret: 2, revents: [0, 0, POLLIN, POLLNVAL] });
    const d = statsSince(sim, before);
    assert.equal(d.waitEntriesAdded, 0);
    assert.equal(d.fdsScanned, 4);
    assert.equal(d.fileLookups, 3);
  }));
