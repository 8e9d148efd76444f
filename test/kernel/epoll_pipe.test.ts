// epoll over pipes: §9 item 8 (LT round robin, ET), item 9 (close vs dup), item 11 (pipe ET for
// readers and writers), and the pipe's wake-all on release reaching every EPOLLEXCLUSIVE epoll.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EPOLL, EPOLL_CTL, O } from '../../src/abi/constants.ts';
import { bytes, errno, ok, withSim } from '../helpers.ts';
import { datas, ev, pipe } from './helpers.ts';

const { EPOLLIN, EPOLLOUT, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLERR, EPOLLRDNORM, EPOLLWRNORM } = EPOLL;
const { EPOLL_CTL_ADD: ADD, EPOLL_CTL_DEL: DEL } = EPOLL_CTL;
const page = new Uint8Array(4096);

test('pipe_lt_round_robin_with_maxevents_2_is_CA_BC_AB_and_16_gives_CAB', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const ends: Record<string, [number, number]> = {};
    for (const [name, data] of [
      ['A', 0xa],
      ['B', 0xb],
      ['C', 0xc],
    ] as const) {
      ends[name] = await pipe(sim, O.O_NONBLOCK);
      ok(await sim.sys.epoll_ctl(ep, ADD, ends[name][0], ev(EPOLLIN, data)));
    }
    for (const name of ['C', 'A', 'B']) ok(await sim.sys.write(ends[name][1], bytes('x')));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 2, 0))), [0xc, 0xa]);
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 2, 0))), [0xb, 0xc]);
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 2, 0))), [0xa, 0xb]);
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 16, 0))), [0xc, 0xa, 0xb]);
    // Reported = poll mask & registered events: RDNORM only if asked for.
    assert.deepEqual(ok(await sim.sys.epoll_wait(ep, 1, 0)).events, [{ events: EPOLLIN, data: 0xc }]);
    ok(
      await sim.sys.epoll_ctl(
        ep,
        EPOLL_CTL.EPOLL_CTL_MOD,
        ends.A[0],
        ev(EPOLLIN | EPOLLRDNORM | EPOLLWRNORM, 0xa),
      ),
    );
    assert.deepEqual(
      ok(await sim.sys.epoll_wait(ep, 16, 0)).events.find((e) => e.data === 0xa),
      { events: EPOLLIN | EPOLLRDNORM, data: 0xa },
    );
  }));

test('pipe_reader_et_gets_an_event_for_every_write_once_the_pipe_has_been_polled', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    ok(await sim.sys.epoll_ctl(ep, ADD, r, ev(EPOLLIN | EPOLLET, 1)));
    ok(await sim.sys.write(w, bytes('a')));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 4, 0))), [1]);
    assert.equal(ok(await sim.sys.epoll_wait(ep, 4, 0)).ret, 0, 'no repeat without a new write');
    // The pipe is not empty, but ADD polled it (poll_usage): every write wakes rd_wait.
    ok(await sim.sys.write(w, bytes('b')));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 4, 0))), [1]);
    ok(await sim.sys.write(w, bytes('c')));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 4, 0))), [1]);
  }));

test('pipe_writer_et_sees_no_event_from_writes_or_a_partial_slot_read_only_when_a_slot_frees', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    ok(await sim.sys.epoll_ctl(ep, ADD, w, ev(EPOLLOUT | EPOLLET, 2)));
    // Writable at ADD: one event.
    assert.deepEqual(ok(await sim.sys.epoll_wait(ep, 4, 0)).events, [{ events: EPOLLOUT, data: 2 }]);
    ok(await sim.sys.write(w, bytes('x')));
    assert.equal(ok(await sim.sys.epoll_wait(ep, 4, 0)).ret, 0, 'a write never wakes wr_wait');
    ok(await sim.sys.read(r, 1));
    assert.equal(
      ok(await sim.sys.epoll_wait(ep, 4, 0)).ret,
      0,
      'a read from a pipe that was not full wakes nobody',
    );
    for (let i = 0; i < 16; i++) ok(await sim.sys.write(w, page));
    assert.equal(errno(await sim.sys.write(w, page)), 'EAGAIN');
    assert.equal(ok(await sim.sys.epoll_wait(ep, 4, 0)).ret, 0);
    // Reading 1 byte of the full pipe wakes the writers, but the slot is still in use: the
    // callback queues the item and the re-poll drops it.
    const drops = sim.k.stats.readyListDropsOnRepoll;
    assert.equal(ok(await sim.sys.read(r, 1)).ret, 1);
    assert.equal(ok(await sim.sys.epoll_wait(ep, 4, 0)).ret, 0);
    assert.equal(sim.k.stats.readyListDropsOnRepoll - drops, 1);
    // Reading the rest of that slot frees it: writable, an event.
    assert.equal(ok(await sim.sys.read(r, 4095)).ret, 4095);
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 4, 0))), [2]);
    // Reading from a pipe that is not full wakes nobody.
    ok(await sim.sys.read(r, 4096));
    assert.equal(ok(await sim.sys.epoll_wait(ep, 4, 0)).ret, 0);
  }));

test('closing_a_pipe_end_with_a_dup_alive_keeps_the_event_and_its_old_data', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const ep = ok(await sys.epoll_create1(0)).ret;
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    ok(await sys.epoll_ctl(ep, ADD, r, ev(EPOLLIN, 0x51)));
    const d = ok(await sys.dup(r)).ret;
    ok(await sys.close(r));
    ok(await sys.write(w, bytes('hi')));
    assert.deepEqual(ok(await sys.epoll_wait(ep, 4, 0)).events, [{ events: EPOLLIN, data: 0x51 }]);
    assert.equal(errno(await sys.epoll_ctl(ep, DEL, r, null)), 'EBADF');
    assert.equal(errno(await sys.epoll_ctl(ep, DEL, d, null)), 'ENOENT');
    assert.equal(ok(await sys.dup(d)).ret, r);
    ok(await sys.epoll_ctl(ep, DEL, r, null));
    assert.equal(ok(await sys.epoll_wait(ep, 4, 0)).ret, 0);
  }));

test('two_fds_of_one_pipe_end_in_one_epoll_fire_newest_registration_first', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    const d = ok(await sim.sys.dup(r)).ret;
    ok(await sim.sys.epoll_ctl(ep, ADD, r, ev(EPOLLIN, 1)));
    ok(await sim.sys.epoll_ctl(ep, ADD, d, ev(EPOLLIN, 2)));
    ok(await sim.sys.write(w, bytes('x')));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 4, 0))), [2, 1]);
  }));

test('closing_the_last_writer_wakes_every_exclusive_epoll_with_HUP', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim, 0);
    const ep1 = ok(await sim.sys.epoll_create1(0)).ret;
    const ep2 = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep1, ADD, r, ev(EPOLLIN | EPOLLEXCLUSIVE, 1)));
    ok(await sim.sys.epoll_ctl(ep2, ADD, r, ev(EPOLLIN | EPOLLEXCLUSIVE, 2)));
    const w1 = sim.thread('t1').epoll_wait(ep1, 4, -1);
    const w2 = sim.thread('t2').epoll_wait(ep2, 4, -1);
    // pipe_release: wake_up_interruptible_all, key 0 — no exclusive budget.
    ok(await sim.sys.close(w));
    assert.deepEqual(ok(await sim.wait(w1)).events, [{ events: EPOLLHUP, data: 1 }]);
    assert.deepEqual(ok(await sim.wait(w2)).events, [{ events: EPOLLHUP, data: 2 }]);
    ok(await sim.sys.close(r));
  }));

test('a_write_end_whose_reader_closed_reports_ERR_even_without_asking', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const [r, w] = await pipe(sim, O.O_NONBLOCK);
    ok(await sim.sys.epoll_ctl(ep, ADD, w, ev(EPOLLIN | EPOLLET, 3)));
    assert.equal(ok(await sim.sys.epoll_wait(ep, 4, 0)).ret, 0);
    ok(await sim.sys.close(r));
    assert.deepEqual(ok(await sim.sys.epoll_wait(ep, 4, 0)).events, [{ events: EPOLLERR, data: 3 }]);
  }));
