// Pipes (Linux fs/pipe.c, reference §5.1). Every number here was checked on Linux 6.18.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFD, EPOLL, F, FD_CLOEXEC, O } from '../../src/abi/constants.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import { checkKernel } from '../../src/kernel/check.ts';
import type { KernelEvent } from '../../src/kernel/events.ts';
import type { PollTable } from '../../src/kernel/file.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { type Pipe, pipeUserPages, snapshotPipe } from '../../src/kernel/pipe.ts';
import type { WaitQueueHead } from '../../src/kernel/waitqueue.ts';
import { WQ_FLAG_EXCLUSIVE, waitEntries } from '../../src/kernel/waitqueue.ts';
import { bytes, closeAndCheckLeaks, errno, newSim, ok, type Sim, text, withSim } from '../helpers.ts';
import { pipe, pollMask } from './helpers.ts';

const { EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM, EPOLLHUP, EPOLLERR } = EPOLL;
const IN = EPOLLIN | EPOLLRDNORM;
const OUT = EPOLLOUT | EPOLLWRNORM;

const page = (n = 4096, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

function pipeOf(sim: Sim, fd: number): Pipe {
  return sim.p.fdtable.get(fd)!.priv as Pipe;
}

/** Record every wake-up the kernel makes: queue name, nr_exclusive, key. */
function recordWakeUps(k: Kernel): { queue: string; nr: number; key: number }[] {
  const log: { queue: string; nr: number; key: number }[] = [];
  k.attach((ev: KernelEvent) => {
    if (ev.type === 'wake_up') log.push({ queue: ev.queue, nr: ev.nr_exclusive, key: ev.key });
  });
  return log;
}

async function fill(sim: Sim, wfd: number, pages: number): Promise<void> {
  for (let i = 0; i < pages; i++) assert.equal(ok(await sim.sys.write(wfd, page())).ret, 4096);
}

// ---- pipe2 ----

test('pipe_allocates_the_read_end_first_at_the_lowest_free_descriptors', () =>
  withSim(async (sim) => {
    assert.deepEqual(await pipe(sim), [3, 4]);
    ok(await sim.sys.close(3));
    assert.deepEqual(ok(await sim.sys.pipe()).fds, [3, 5]);
  }));

test('pipe2_rejects_flags_other_than_cloexec_nonblock_direct_with_EINVAL', () =>
  withSim(async (sim) => {
    for (const flags of [0o2000 /* O_APPEND */, 1, 0o1000000 /* O_NOATIME */, 0o40000000])
      assert.equal(errno(await sim.sys.pipe2(flags)), 'EINVAL', `flags ${flags.toString(8)}`);
    assert.equal(sim.k.files.size, 3, 'no file is created');
  }));

test('pipe2_O_NOTIFICATION_PIPE_is_not_modelled', () =>
  withSim(async (sim) => {
    // O_NOTIFICATION_PIPE is O_EXCL; Linux without CONFIG_WATCH_QUEUE says ENOPKG.
    assert.throws(() => sim.sys.pipe2(0o200), Unsupported);
  }));

test('pipe_end_F_GETFL_shows_nonblock_on_both_ends_and_direct_on_the_write_end_only', () =>
  withSim(async (sim) => {
    const cases: [number, number, number][] = [
      [0, 0x0, 0x1],
      [O.O_NONBLOCK, 0x800, 0x801],
      [O.O_DIRECT, 0x0, 0x4001],
      [O.O_NONBLOCK | O.O_DIRECT, 0x800, 0x4801],
      [O.O_CLOEXEC, 0x0, 0x1],
    ];
    for (const [flags, rd, wr] of cases) {
      const [r, w] = await pipe(sim, flags);
      assert.equal(ok(await sim.sys.fcntl(r, F.F_GETFL, 0)).ret, rd);
      assert.equal(ok(await sim.sys.fcntl(w, F.F_GETFL, 0)).ret, wr);
      const cloexec = flags & O.O_CLOEXEC ? FD_CLOEXEC : 0;
      assert.equal(ok(await sim.sys.fcntl(r, F.F_GETFD, 0)).ret, cloexec);
      assert.equal(ok(await sim.sys.fcntl(w, F.F_GETFD, 0)).ret, cloexec);
      ok(await sim.sys.close(r));
      ok(await sim.sys.close(w));
    }
  }));

test('pipe_with_one_free_descriptor_is_EMFILE_and_uses_none', () =>
  withSim(
    async (sim) => {
      assert.equal(ok(await sim.sys.dup(0)).ret, 3);
      const files = sim.k.files.size;
      assert.equal(errno(await sim.sys.pipe()), 'EMFILE');
      assert.equal(sim.k.files.size, files, 'both pipe files are released');
      assert.equal(ok(await sim.sys.dup(0)).ret, 4, 'the read end’s descriptor was given back');
    },
    { rlimit: { soft: 5, hard: 5 } },
  ));

// ---- the ring: slots, merging, packets (reference §9 item 10) ----

test('sixteen_writes_of_4000_bytes_fill_the_pipe_with_64000_bytes', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    for (let i = 0; i < 16; i++) assert.equal(ok(await sim.sys.write(w, page(4000))).ret, 4000);
    assert.equal(errno(await sim.sys.write(w, page(4000))), 'EAGAIN');
    assert.equal(ok(await sim.sys.ioctl_fionread(r)).ret, 64000);
    assert.equal(pipeOf(sim, r).head - pipeOf(sim, r).tail, 16);
  }));

test('65536_one_byte_writes_merge_into_16_pages', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    const one = page(1);
    let n = 0;
    while (!('errno' in (await sim.sys.write(w, one)))) n++;
    assert.equal(n, 65536);
    assert.equal(ok(await sim.sys.ioctl_fionread(r)).ret, 65536);
  }));

test('O_DIRECT_sixteen_one_byte_writes_fill_the_pipe', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK | O.O_DIRECT);
    for (let i = 0; i < 16; i++) ok(await sim.sys.write(w, page(1)));
    assert.equal(errno(await sim.sys.write(w, page(1))), 'EAGAIN');
    assert.equal(ok(await sim.sys.ioctl_fionread(r)).ret, 16);
  }));

test('a_packet_read_returns_one_packet_and_discards_what_it_leaves', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK | O.O_DIRECT);
    ok(await sim.sys.write(w, bytes('hello')));
    ok(await sim.sys.write(w, bytes('world')));
    assert.equal(text(ok(await sim.sys.read(r, 3)).data), 'hel');
    assert.equal(text(ok(await sim.sys.read(r, 100)).data), 'world');
    assert.equal(errno(await sim.sys.read(r, 100)), 'EAGAIN');
    ok(await sim.sys.write(w, bytes('ab')));
    ok(await sim.sys.write(w, bytes('cd')));
    assert.equal(text(ok(await sim.sys.read(r, 100)).data), 'ab', 'a read never spans two packets');
  }));

test('packet_slots_never_take_a_merge', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    ok(await sim.sys.fcntl(w, F.F_SETFL, O.O_NONBLOCK | O.O_DIRECT));
    ok(await sim.sys.write(w, bytes('abc')));
    ok(await sim.sys.fcntl(w, F.F_SETFL, O.O_NONBLOCK));
    ok(await sim.sys.write(w, bytes('de')));
    assert.equal(text(ok(await sim.sys.read(r, 10)).data), 'abc');
    assert.equal(text(ok(await sim.sys.read(r, 10)).data), 'de');
  }));

test('a_packet_write_above_a_page_becomes_one_packet_per_page', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK | O.O_DIRECT);
    assert.equal(ok(await sim.sys.write(w, page(5000))).ret, 5000);
    assert.equal(ok(await sim.sys.read(r, 10000)).ret, 4096);
    assert.equal(ok(await sim.sys.read(r, 10000)).ret, 904);
  }));

test('fifteen_full_slots_then_a_nonblocking_8192_byte_write_writes_4096', () =>
  withSim(async (sim) => {
    const [, w] = await pipe(sim, O.O_NONBLOCK);
    await fill(sim, w, 15);
    assert.equal(ok(await sim.sys.write(w, page(8192))).ret, 4096);
  }));

test('a_full_pipe_whose_last_slot_holds_100_bytes_takes_only_merges', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    await fill(sim, w, 15);
    ok(await sim.sys.write(w, page(100)));
    assert.equal(ok(await sim.sys.write(w, page(5000))).ret, 904, '5000 mod 4096 merges, no slot is free');
    assert.equal(ok(await sim.sys.write(w, page(3000))).ret, 3000);
    assert.equal(errno(await sim.sys.write(w, page(100))), 'EAGAIN', '4004 + 100 > 4096');
    assert.equal(ok(await sim.sys.write(w, page(92))).ret, 92, '4004 + 92 = 4096 fits');
    assert.equal(errno(await sim.sys.write(w, page(1))), 'EAGAIN');
    assert.equal(ok(await sim.sys.ioctl_fionread(r)).ret, 65536);
  }));

test('pipe_write_of_4096_never_merges', () =>
  withSim(async (sim) => {
    const [, w] = await pipe(sim, O.O_NONBLOCK);
    await fill(sim, w, 15);
    ok(await sim.sys.write(w, page(1)));
    assert.equal(errno(await sim.sys.write(w, page(4096))), 'EAGAIN');
    assert.equal(ok(await sim.sys.write(w, page(4095))).ret, 4095);
  }));

test('a_partial_read_frees_no_slot', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    await fill(sim, w, 16);
    assert.equal(ok(await sim.sys.read(r, 1)).ret, 1);
    assert.equal(errno(await sim.sys.write(w, page(1))), 'EAGAIN');
    assert.equal(ok(await sim.sys.read(r, 4095)).ret, 4095);
    assert.equal(ok(await sim.sys.write(w, page(1))).ret, 1);
    assert.equal(ok(await sim.sys.write(w, page(4095))).ret, 4095, 'merged into the new last slot');
    assert.equal(errno(await sim.sys.write(w, page(1))), 'EAGAIN');
  }));

test('a_merge_needs_room_from_the_unread_data_to_the_page_end', () =>
  withSim(async (sim) => {
    // 4000 written, 3000 read: the last slot is offset 3000, len 1000.
    for (const [len, merges] of [
      [100, false],
      [96, true],
    ] as const) {
      const [r, w] = await pipe(sim, O.O_NONBLOCK);
      ok(await sim.sys.write(w, page(4000)));
      ok(await sim.sys.read(r, 3000));
      ok(await sim.sys.write(w, page(len)));
      assert.equal(pipeOf(sim, r).head - pipeOf(sim, r).tail, merges ? 1 : 2);
      await fill(sim, w, 14);
      const last = await sim.sys.write(w, page());
      assert.equal(errno(last), merges ? undefined : 'EAGAIN');
      ok(await sim.sys.close(r));
      ok(await sim.sys.close(w));
    }
  }));

test('a_write_above_a_page_merges_its_remainder_first', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    ok(await sim.sys.write(w, page(5, 1)));
    const data = Uint8Array.from({ length: 4106 }, (_, i) => i & 0xff);
    assert.equal(ok(await sim.sys.write(w, data)).ret, 4106);
    const first = ok(await sim.sys.read(r, 15)).data;
    assert.deepEqual([...first], [1, 1, 1, 1, 1, ...data.subarray(0, 10)]);
    const second = ok(await sim.sys.read(r, 5000)).data;
    assert.equal(second.length, 4096, 'the first slot is done: a read takes what is there');
    assert.deepEqual(second, data.subarray(10));
  }));

test('a_read_takes_bytes_across_slots_in_order', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    ok(await sim.sys.write(w, page(4096, 1)));
    ok(await sim.sys.write(w, page(4096, 2)));
    ok(await sim.sys.write(w, page(10, 3)));
    const got = ok(await sim.sys.read(r, 65536)).data;
    assert.equal(got.length, 8202);
    assert.deepEqual([got[0], got[4095], got[4096], got[8191], got[8192], got[8201]], [1, 1, 2, 2, 3, 3]);
  }));

// ---- EOF, EAGAIN, EPIPE ----

test('reads_and_writes_of_zero_bytes_return_0_even_without_readers', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    assert.equal(ok(await sim.sys.read(r, 0)).ret, 0);
    ok(await sim.sys.close(r));
    assert.equal(ok(await sim.sys.write(w, new Uint8Array(0))).ret, 0);
    assert.equal(errno(await sim.sys.write(w, page(1))), 'EPIPE');
  }));

test('an_empty_pipe_reads_EAGAIN_nonblocking_and_EOF_once_the_writers_are_gone', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    assert.equal(errno(await sim.sys.read(r, 1)), 'EAGAIN');
    ok(await sim.sys.write(w, bytes('xy')));
    ok(await sim.sys.close(w));
    assert.equal(
      text(ok(await sim.sys.read(r, 10)).data),
      'xy',
      'data written before the close is read first',
    );
    assert.equal(ok(await sim.sys.read(r, 1)).ret, 0);
  }));

test('a_blocking_read_returns_what_is_there_without_waiting_for_more', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    ok(await sim.sys.write(w, page(10)));
    assert.equal(ok(await sim.sys.read(r, 100)).ret, 10);
  }));

// ---- blocking ----

test('a_blocked_reader_wakes_on_write', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    const pending = sim.thread('t1').read(r, 100);
    assert.equal(sim.blocked(pending), true);
    ok(await sim.sys.write(w, bytes('hi')));
    assert.equal(text(ok(await sim.wait(pending)).data), 'hi');
  }));

test('blocked_readers_wait_exclusively_at_the_tail_and_one_write_wakes_one', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    const r1 = sim.thread('r1').read(r, 1);
    const r2 = sim.thread('r2').read(r, 1);
    const entries = waitEntries(pipeOf(sim, r).rdWait);
    assert.deepEqual(
      entries.map((e) => [
        (e.owner as { id: number; name: string }).name,
        (e.flags & WQ_FLAG_EXCLUSIVE) !== 0,
      ]),
      [
        ['r1', true],
        ['r2', true],
      ],
    );
    ok(await sim.sys.write(w, bytes('a')));
    assert.equal(text(ok(await sim.wait(r1)).data), 'a');
    assert.equal(sim.blocked(r2), true);
    ok(await sim.sys.write(w, bytes('b')));
    assert.equal(text(ok(await sim.wait(r2)).data), 'b');
  }));

test('a_woken_reader_that_leaves_data_wakes_the_next_reader', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    const r1 = sim.thread('r1').read(r, 1);
    const r2 = sim.thread('r2').read(r, 1);
    const wakes = recordWakeUps(sim.k);
    ok(await sim.sys.write(w, bytes('ab')));
    assert.equal(text(ok(await sim.wait(r1)).data), 'a');
    assert.equal(text(ok(await sim.wait(r2)).data), 'b');
    const rd = wakes.filter((x) => x.queue.endsWith('rd_wait'));
    // The write (was empty), then r1's wake_next_reader. r2 empties the pipe: no more.
    assert.deepEqual(rd, [
      { queue: rd[0].queue, nr: 1, key: IN },
      { queue: rd[0].queue, nr: 1, key: IN },
    ]);
  }));

test('a_blocking_write_of_at_most_PIPE_BUF_waits_with_nothing_written', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    await fill(sim, w, 16);
    const pending = sim.thread('t1').write(w, page(10, 7));
    assert.equal(sim.blocked(pending), true);
    assert.equal(ok(await sim.sys.ioctl_fionread(r)).ret, 65536);
    // One byte frees nothing; a whole page frees a slot.
    ok(await sim.sys.read(r, 1));
    assert.equal(sim.blocked(pending), true);
    ok(await sim.sys.read(r, 4095));
    assert.equal(ok(await sim.wait(pending)).ret, 10);
    assert.equal(ok(await sim.sys.ioctl_fionread(r)).ret, 61450);
  }));

test('a_blocking_write_above_a_page_completes_as_a_reader_drains', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff);
    const pending = sim.thread('writer').write(w, data);
    assert.equal(sim.blocked(pending), true);
    const got: number[] = [];
    while (got.length < data.length) got.push(...ok(await sim.sys.read(r, 7000)).data);
    assert.equal(ok(await sim.wait(pending)).ret, 100_000);
    assert.deepEqual(Uint8Array.from(got), data);
  }));

test('a_blocked_writer_returns_its_partial_count_or_EPIPE_when_the_reader_goes', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    const partial = sim.thread('t1').write(w, page(70_000));
    assert.equal(sim.blocked(partial), true);
    const r2 = ok(await sim.sys.dup(r)).ret;
    ok(await sim.sys.close(r));
    assert.equal(sim.blocked(partial), true, 'a dup keeps the read side open');
    ok(await sim.sys.close(r2));
    assert.equal(ok(await sim.wait(partial)).ret, 65536);
    const [r3, w3] = await pipe(sim);
    await fill(sim, w3, 16);
    const none = sim.thread('t2').write(w3, page(10));
    ok(await sim.sys.close(r3));
    assert.equal(errno(await sim.wait(none)), 'EPIPE');
  }));

test('closing_the_last_writer_wakes_every_blocked_reader_with_EOF', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    const r1 = sim.thread('r1').read(r, 10);
    const r2 = sim.thread('r2').read(r, 10);
    const wakes = recordWakeUps(sim.k);
    ok(await sim.sys.close(w));
    assert.equal(ok(await sim.wait(r1)).ret, 0);
    assert.equal(ok(await sim.wait(r2)).ret, 0);
    const p = pipeOf(sim, r);
    assert.deepEqual(wakes, [
      { queue: p.rdWait.name, nr: 0, key: 0 },
      { queue: p.wrWait.name, nr: 0, key: 0 },
    ]);
  }));

// ---- wake-ups (what edge-triggered epoll sees; reference §9 item 11) ----

test('a_write_wakes_readers_only_when_the_pipe_was_empty_until_it_is_polled', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    const wakes = recordWakeUps(sim.k);
    const rd = pipeOf(sim, r).rdWait.name;
    ok(await sim.sys.write(w, page(1)));
    ok(await sim.sys.write(w, page(1)));
    assert.deepEqual(wakes, [{ queue: rd, nr: 1, key: IN }]);
    pollMask(sim, r); // any pipe_poll sets poll_usage for good
    assert.equal(pipeOf(sim, r).pollUsage, true);
    wakes.length = 0;
    ok(await sim.sys.write(w, page(1)));
    ok(await sim.sys.write(w, page(1)));
    assert.deepEqual(wakes, [
      { queue: rd, nr: 1, key: IN },
      { queue: rd, nr: 1, key: IN },
    ]);
  }));

test('a_polled_pipe_wakes_readers_even_on_EAGAIN_and_EPIPE', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    const rd = pipeOf(sim, r).rdWait.name;
    await fill(sim, w, 16);
    const wakes = recordWakeUps(sim.k);
    assert.equal(errno(await sim.sys.write(w, page(1))), 'EAGAIN');
    assert.deepEqual(wakes, [], 'never polled, not empty: no wake-up');
    pollMask(sim, w);
    assert.equal(errno(await sim.sys.write(w, page(1))), 'EAGAIN');
    assert.deepEqual(wakes, [{ queue: rd, nr: 1, key: IN }]);
    const rdup = ok(await sim.sys.dup(r)).ret;
    ok(await sim.sys.close(r));
    ok(await sim.sys.close(rdup));
    wakes.length = 0;
    assert.equal(errno(await sim.sys.write(w, page(1))), 'EPIPE');
    assert.deepEqual(wakes, [{ queue: rd, nr: 1, key: IN }]);
  }));

test('a_read_wakes_writers_only_when_the_pipe_was_full', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    const wr = pipeOf(sim, r).wrWait.name;
    await fill(sim, w, 15);
    const wakes = recordWakeUps(sim.k);
    ok(await sim.sys.read(r, 1));
    assert.deepEqual(wakes, [], 'not full: no wake-up');
    await fill(sim, w, 1);
    wakes.length = 0;
    ok(await sim.sys.read(r, 1));
    assert.deepEqual(wakes, [{ queue: wr, nr: 1, key: OUT }], 'full: woken, though still full');
    assert.equal(pollMask(sim, w) & EPOLLOUT, 0, 'one byte read frees no slot');
    wakes.length = 0;
    ok(await sim.sys.read(r, 4094));
    assert.deepEqual(wakes, [{ queue: wr, nr: 1, key: OUT }]);
    assert.equal(pollMask(sim, w), OUT, 'the emptied slot is free');
  }));

test('pipe_release_wakes_both_queues_with_key_0_when_one_side_goes', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    const p = pipeOf(sim, r);
    const wakes = recordWakeUps(sim.k);
    ok(await sim.sys.close(r));
    assert.deepEqual(wakes, [
      { queue: p.rdWait.name, nr: 0, key: 0 },
      { queue: p.wrWait.name, nr: 0, key: 0 },
    ]);
    wakes.length = 0;
    ok(await sim.sys.close(w));
    assert.deepEqual(wakes, [], 'both sides gone: no wake-up');
  }));

test('F_SETPIPE_SZ_wakes_a_blocked_writer_with_room', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    await fill(sim, w, 16);
    const pending = sim.thread('t1').write(w, page(100));
    const wakes = recordWakeUps(sim.k);
    assert.equal(ok(await sim.sys.fcntl(r, F.F_SETPIPE_SZ, 131072)).ret, 131072);
    assert.deepEqual(wakes[0], { queue: pipeOf(sim, r).wrWait.name, nr: 1, key: 0 });
    assert.equal(ok(await sim.wait(pending)).ret, 100);
  }));

// ---- pipe_poll ----

test('pipe_poll_registers_rd_wait_for_the_read_end_and_wr_wait_for_the_write_end', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    const seen: WaitQueueHead[] = [];
    const pt: PollTable = { qproc: (_f, q) => seen.push(q), key: 0xffffffff };
    const before = sim.k.stats.fopPollCalls;
    const rf = sim.p.fdtable.get(r)!;
    const wf = sim.p.fdtable.get(w)!;
    rf.ops.poll!(sim.k, rf, pt);
    wf.ops.poll!(sim.k, wf, pt);
    const p = pipeOf(sim, r);
    assert.deepEqual(seen, [p.rdWait, p.wrWait]);
    assert.equal(sim.k.stats.fopPollCalls - before, 2);
  }));

test('pipe_poll_masks_follow_data_space_and_the_other_side', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    assert.deepEqual([pollMask(sim, r), pollMask(sim, w)], [0, OUT]);
    ok(await sim.sys.write(w, page(1)));
    assert.deepEqual([pollMask(sim, r), pollMask(sim, w)], [IN, OUT]);
    await fill(sim, w, 15);
    assert.deepEqual([pollMask(sim, r), pollMask(sim, w)], [IN, 0]);
    const [r2, w2] = await pipe(sim, O.O_NONBLOCK);
    ok(await sim.sys.write(w2, page(1)));
    ok(await sim.sys.close(w2));
    assert.equal(pollMask(sim, r2), IN | EPOLLHUP);
    ok(await sim.sys.read(r2, 10));
    assert.equal(pollMask(sim, r2), EPOLLHUP);
    ok(await sim.sys.close(r));
    assert.equal(pollMask(sim, w), EPOLLERR, 'full, no readers');
    ok(await sim.sys.read(r2, 1));
    const [r3, w3] = await pipe(sim);
    ok(await sim.sys.close(r3));
    assert.equal(pollMask(sim, w3), OUT | EPOLLERR);
  }));

// ---- readers and writers count open file descriptions ----

test('a_dup_of_the_write_end_keeps_the_writers_count_so_no_EOF', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    const w2 = ok(await sim.sys.dup(w)).ret;
    assert.equal(pipeOf(sim, r).writers, 1, 'one open file description, two descriptors');
    ok(await sim.sys.close(w));
    assert.equal(errno(await sim.sys.read(r, 1)), 'EAGAIN');
    assert.equal(pollMask(sim, r), 0);
    ok(await sim.sys.close(w2));
    assert.equal(ok(await sim.sys.read(r, 1)).ret, 0);
  }));

// ---- FIONREAD, F_GETPIPE_SZ, F_SETPIPE_SZ ----

test('F_GETPIPE_SZ_is_16_pages_and_F_SETPIPE_SZ_rounds_to_a_power_of_two_of_pages', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    assert.equal(ok(await sim.sys.fcntl(w, F.F_GETPIPE_SZ, 0)).ret, 65536);
    const cases: [number, number | string][] = [
      [0, 4096],
      [1, 4096],
      [4096, 4096],
      [4097, 8192],
      [5000, 8192],
      [100_000, 131072],
      [1_048_576, 1_048_576],
      // The model is unprivileged: growing past pipe-max-size (1 MiB) needs CAP_SYS_RESOURCE.
      [1_048_577, 'EPERM'],
      [2 ** 31, 'EPERM'],
      [2 ** 31 + 1, 'EINVAL'],
      [-1, 'EINVAL'],
      // The argument is an unsigned int: the high bits are dropped.
      [2 ** 32 + 8192, 8192],
      [2 ** 32, 4096],
    ];
    for (const [arg, want] of cases) {
      const got = await sim.sys.fcntl(r, F.F_SETPIPE_SZ, arg);
      assert.equal(typeof want === 'number' ? ok(got).ret : errno(got), want, `F_SETPIPE_SZ ${arg}`);
    }
    assert.equal(ok(await sim.sys.fcntl(w, F.F_GETPIPE_SZ, 0)).ret, 4096);
  }));

test('F_SETPIPE_SZ_below_the_occupied_slots_is_EBUSY', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    await fill(sim, w, 3);
    assert.equal(errno(await sim.sys.fcntl(r, F.F_SETPIPE_SZ, 8192)), 'EBUSY');
    assert.equal(ok(await sim.sys.fcntl(r, F.F_SETPIPE_SZ, 12288)).ret, 16384);
    assert.equal(ok(await sim.sys.ioctl_fionread(r)).ret, 12288);
    await fill(sim, w, 1);
    assert.equal(errno(await sim.sys.write(w, page(1))), 'EAGAIN');
    assert.equal(ok(await sim.sys.read(r, 4096)).ret, 4096);
    assert.equal(ok(await sim.sys.read(r, 10000)).ret, 10000);
    assert.equal(ok(await sim.sys.ioctl_fionread(r)).ret, 2288);
  }));

test('F_SETPIPE_SZ_keeps_the_data_in_order', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    for (let i = 0; i < 10; i++) ok(await sim.sys.write(w, page(4096, i)));
    for (let i = 0; i < 8; i++) ok(await sim.sys.read(r, 4096));
    ok(await sim.sys.read(r, 100));
    assert.equal(ok(await sim.sys.fcntl(r, F.F_SETPIPE_SZ, 8192)).ret, 8192);
    const snap = snapshotPipe(pipeOf(sim, r)) as { tail: number; head: number; slots: { len: number }[] };
    assert.deepEqual([snap.tail, snap.head, snap.slots.map((s) => s.len)], [0, 2, [3996, 4096]]);
    const got = ok(await sim.sys.read(r, 10000)).data;
    assert.deepEqual([got.length, got[0], got[3995], got[3996], got[8091]], [8092, 8, 8, 9, 9]);
  }));

test('past_pipe_user_pages_soft_an_unprivileged_user_gets_2_slot_pipes_and_cannot_grow_one', () =>
  withSim(
    async (sim) => {
      // 1024 default pipes are exactly 16384 pages: the next one is over the soft limit.
      const pipes: [number, number][] = [];
      for (let i = 0; i < 1024; i++) pipes.push(await pipe(sim));
      assert.equal(pipeUserPages(sim.k), 16384);
      const [r, w] = await pipe(sim, O.O_NONBLOCK);
      assert.equal(ok(await sim.sys.fcntl(r, F.F_GETPIPE_SZ, 0)).ret, 8192);
      await fill(sim, w, 2);
      assert.equal(errno(await sim.sys.write(w, page(1))), 'EAGAIN');
      assert.equal(ok(await sim.sys.fcntl(r, F.F_SETPIPE_SZ, 8192)).ret, 8192, 'not growing: allowed');
      assert.equal(errno(await sim.sys.fcntl(r, F.F_SETPIPE_SZ, 16384)), 'EPERM');
      assert.equal(ok(await sim.sys.fcntl(pipes[0][0], F.F_SETPIPE_SZ, 4096)).ret, 4096, 'shrinking is');
      // Closing pipes gives their pages back.
      for (const [a, b] of pipes.slice(0, 2)) {
        ok(await sim.sys.close(a));
        ok(await sim.sys.close(b));
      }
      assert.equal(pipeUserPages(sim.k), 16384 + 2 - 15 - 1 - 16);
      const [r2] = await pipe(sim);
      assert.equal(ok(await sim.sys.fcntl(r2, F.F_GETPIPE_SZ, 0)).ret, 65536);
    },
    { rlimit: { soft: 4096, hard: 4096 } },
  ));

test('pipe_fcntl_on_a_file_that_is_not_a_pipe_is_EBADF', () =>
  withSim(async (sim) => {
    const e = ok(await sim.sys.eventfd(0, EFD.EFD_NONBLOCK)).ret;
    assert.equal(errno(await sim.sys.fcntl(e, F.F_GETPIPE_SZ, 0)), 'EBADF');
    assert.equal(errno(await sim.sys.fcntl(e, F.F_SETPIPE_SZ, 4096)), 'EBADF');
  }));

test('F_SETFL_O_DIRECT_is_accepted_on_either_pipe_end_and_refused_elsewhere', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    ok(await sim.sys.fcntl(r, F.F_SETFL, O.O_DIRECT));
    assert.equal(ok(await sim.sys.fcntl(r, F.F_GETFL, 0)).ret, O.O_DIRECT);
    const e = ok(await sim.sys.eventfd(0, 0)).ret;
    assert.equal(errno(await sim.sys.fcntl(e, F.F_SETFL, O.O_DIRECT)), 'EINVAL');
    assert.equal(errno(await sim.sys.fcntl(0, F.F_SETFL, O.O_DIRECT)), 'EINVAL', '/dev/null');
  }));

test('the_pipe_snapshot_is_plain_json_of_slots_and_queues', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, O.O_NONBLOCK | O.O_DIRECT);
    ok(await sim.sys.write(w, page(5)));
    const snap = snapshotPipe(pipeOf(sim, r)) as Record<string, unknown>;
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
    assert.deepEqual(snap.slots, [{ index: 0, offset: 0, len: 5, flags: ['PACKET'] }]);
    assert.equal(snap.occupancy, 1);
    assert.equal(snap.bytes, 5);
    const viaFile = sim.p.fdtable.get(r)!;
    assert.deepEqual(viaFile.ops.snapshot!(sim.k, viaFile), snap);
  }));

// ---- through the multiplexers ----

test('a_poll_blocked_on_the_read_end_wakes_on_write_and_sees_HUP_after_the_writer_goes', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    const pending = sim.thread('t1').poll([{ fd: r, events: EPOLLIN }], -1);
    assert.equal(sim.blocked(pending), true);
    ok(await sim.sys.write(w, bytes('x')));
    assert.deepEqual(ok(await sim.wait(pending)).revents, [EPOLLIN]);
    ok(await sim.sys.close(w));
    const after = ok(await sim.sys.poll([{ fd: r, events: EPOLLIN | EPOLLRDNORM }], 0));
    assert.deepEqual(after.revents, [IN | EPOLLHUP]);
  }));

test('select_reports_a_pipe_write_end_in_read_and_write_sets_as_writable_only', () =>
  withSim(async (sim) => {
    // Reference §9 item 3.
    const [, w] = await pipe(sim);
    const res = ok(await sim.sys.select(w + 1, [w], [w], null, { sec: 0, usec: 0 }));
    assert.equal(res.ret, 1);
    assert.deepEqual([res.readfds, res.writefds], [[], [w]]);
  }));

test('an_idle_pipe_makes_its_wait_queues_only_when_used_and_snapshots_and_checks_do_not_make_them', async () => {
  const sim = newSim();
  const [r, w] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
  const p = pipeOf(sim, r);
  const snap = snapshotPipe(p) as {
    rdWait: { id: number; name: string };
    wrWait: { id: number; name: string };
  };
  assert.deepEqual([snap.rdWait.id, snap.wrWait.id], [p.id + 1, p.id + 2]);
  assert.deepEqual(checkKernel(sim.k), []);
  assert.equal(p.rdWaitQ, null, 'a snapshot and a check leave rd_wait unmade');
  assert.equal(p.wrWaitQ, null);
  ok(await sim.sys.write(w, new Uint8Array([1]))); // wakes rd_wait: made now, with its reserved id
  const made = (pipe: Pipe) => pipe.rdWaitQ; // read afresh (the asserts above narrowed the field)
  assert.equal(made(p)?.id, p.id + 1);
  assert.equal(p.rdWait.name, snap.rdWait.name);
  closeAndCheckLeaks(sim);
});
