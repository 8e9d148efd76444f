// Several threads and several epolls on one file: who wakes (§4.10, §4.11, §9 item 15).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EPOLL, EPOLL_CTL } from '../../src/abi/constants.ts';
import type { EventfdCtx } from '../../src/kernel/eventfd.ts';
import { snapshotEventpoll } from '../../src/kernel/eventpoll/snapshot.ts';
import { wakeUp } from '../../src/kernel/waitqueue.ts';
import { ok, u64, withSim } from '../helpers.ts';
import { datas, epollOf, ev } from './helpers.ts';

const { EPOLLIN, EPOLLOUT, EPOLLET, EPOLLEXCLUSIVE } = EPOLL;
const { EPOLL_CTL_ADD: ADD } = EPOLL_CTL;

test('two_waiters_on_one_epoll_an_et_item_one_write_wakes_the_second_waiter', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    ok(await sim.sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN | EPOLLET, 1)));
    const first = sim.thread('t1').epoll_wait(ep, 4, -1);
    const second = sim.thread('t2').epoll_wait(ep, 4, -1);
    assert.deepEqual(snapshotEventpoll(epollOf(sim, ep)).waiters, ['t2', 't1']);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.equal(sim.blocked(second), false);
    assert.equal(sim.blocked(first), true);
    assert.deepEqual(datas(ok(await sim.wait(second))), [1]);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.wait(first))), [1]);
  }));

test('an_lt_item_wakes_a_chain_of_waiters_through_ep_done_scan', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    ok(await sim.sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 1)));
    const first = sim.thread('t1').epoll_wait(ep, 4, -1);
    const second = sim.thread('t2').epoll_wait(ep, 4, -1);
    ok(await sim.sys.write(efd, u64(1n)));
    // t2 takes the event and re-queues the LT item; ep_done_scan then wakes t1, which gets it too.
    assert.equal(sim.blocked(first) || sim.blocked(second), false);
    assert.deepEqual(datas(ok(await sim.wait(second))), [1]);
    assert.deepEqual(datas(ok(await sim.wait(first))), [1]);
  }));

test('every_callback_wakes_one_waiter_so_two_items_firing_in_one_write_wake_two_threads', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    const d = ok(await sim.sys.dup(efd)).ret;
    ok(await sim.sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN | EPOLLET, 1)));
    ok(await sim.sys.epoll_ctl(ep, ADD, d, ev(EPOLLIN | EPOLLET, 2)));
    const a = sim.thread('t1').epoll_wait(ep, 1, -1);
    const b = sim.thread('t2').epoll_wait(ep, 1, -1);
    const trace: string[] = [];
    sim.k.attach((e) => {
      if (e.type === 'thread_wake') trace.push(`wake ${e.thread}`);
      if (e.type === 'ep_poll_callback') trace.push(`callback ${e.result}`);
      if (e.type === 'ep_scan' && e.phase === 'start') trace.push('scan');
    });
    ok(await sim.sys.write(efd, u64(1n)));
    sim.k.attach(undefined);
    // Both hooks sit on the eventfd's queue; each callback wakes the newest remaining waiter,
    // all before either thread runs its transfer.
    assert.deepEqual(trace.slice(0, 4), ['callback queued', 'wake t2', 'callback queued', 'wake t1']);
    // t2 runs first and, with maxevents 1, takes the item added last (its hook ran first).
    assert.deepEqual(datas(ok(await sim.wait(b))), [2]);
    assert.deepEqual(datas(ok(await sim.wait(a))), [1]);
  }));

test('epollexclusive_across_two_epolls_wakes_only_the_first_registered_waiter', () =>
  withSim(async (sim) => {
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    const ep1 = ok(await sim.sys.epoll_create1(0)).ret;
    const ep2 = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep1, ADD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE, 1)));
    ok(await sim.sys.epoll_ctl(ep2, ADD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE, 2)));
    const w1 = sim.thread('t1').epoll_wait(ep1, 4, -1);
    const w2 = sim.thread('t2').epoll_wait(ep2, 4, -1);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.equal(sim.blocked(w1), false);
    assert.equal(sim.blocked(w2), true);
    assert.deepEqual(snapshotEventpoll(epollOf(sim, ep2)).rdllist, [], "ep2's callback never ran");
    assert.deepEqual(datas(ok(await sim.wait(w1))), [1]);
    // ep1 has no waiter now: its item queues but returns 0, so the wake-up reaches ep2.
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.wait(w2))), [2]);
    assert.equal(snapshotEventpoll(epollOf(sim, ep1)).rdllist.length, 1);
  }));

test('without_epollexclusive_both_epolls_waiters_wake', () =>
  withSim(async (sim) => {
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    const ep1 = ok(await sim.sys.epoll_create1(0)).ret;
    const ep2 = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep1, ADD, efd, ev(EPOLLIN, 1)));
    ok(await sim.sys.epoll_ctl(ep2, ADD, efd, ev(EPOLLIN, 2)));
    const w1 = sim.thread('t1').epoll_wait(ep1, 4, -1);
    const w2 = sim.thread('t2').epoll_wait(ep2, 4, -1);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.equal(sim.blocked(w1) || sim.blocked(w2), false);
    assert.deepEqual(datas(ok(await sim.wait(w1))), [1]);
    assert.deepEqual(datas(ok(await sim.wait(w2))), [2]);
  }));

test('epollexclusive_with_no_waiters_queues_the_event_in_every_epoll', () =>
  withSim(async (sim) => {
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    const ep1 = ok(await sim.sys.epoll_create1(0)).ret;
    const ep2 = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep1, ADD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE, 1)));
    ok(await sim.sys.epoll_ctl(ep2, ADD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE, 2)));
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep1, 4, 0))), [1]);
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep2, 4, 0))), [2]);
  }));

test('an_exclusive_item_does_not_count_as_woken_for_a_key_with_both_IN_and_OUT', () =>
  withSim(async (sim) => {
    const efd = ok(await sim.sys.eventfd(1, 0)).ret;
    const ep1 = ok(await sim.sys.epoll_create1(0)).ret;
    const ep2 = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep1, ADD, efd, ev(EPOLLIN | EPOLLOUT | EPOLLEXCLUSIVE | EPOLLET, 1)));
    ok(await sim.sys.epoll_ctl(ep2, ADD, efd, ev(EPOLLIN | EPOLLOUT | EPOLLEXCLUSIVE | EPOLLET, 2)));
    ok(await sim.sys.epoll_wait(ep1, 4, 0));
    ok(await sim.sys.epoll_wait(ep2, 4, 0));
    const w1 = sim.thread('t1').epoll_wait(ep1, 4, -1);
    const w2 = sim.thread('t2').epoll_wait(ep2, 4, -1);
    // A wake-up keyed IN|OUT with nr_exclusive 1 (no file of the model sends one; the rule is
    // ep_poll_callback's): ep1's item wakes t1 but returns 0, so ep2's runs too.
    const ctx = sim.p.fdtable.get(efd)!.priv as EventfdCtx;
    wakeUp(sim.k, ctx.wqh, 1, EPOLLIN | EPOLLOUT);
    sim.k.runRunnable();
    assert.equal(sim.blocked(w1) || sim.blocked(w2), false);
    assert.deepEqual(datas(ok(await sim.wait(w1))), [1]);
    assert.deepEqual(datas(ok(await sim.wait(w2))), [2]);
  }));

test('closing_the_epoll_fd_in_another_thread_neither_wakes_nor_frees_a_waiter', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    ok(await sim.sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 9)));
    const w = sim.thread('t1').epoll_wait(ep, 4, -1);
    ok(await sim.sys.close(ep));
    assert.equal(sim.blocked(w), true);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.wait(w))), [9]);
    // The waiter's reference was the last: the epoll is gone, and its item with it.
    assert.equal([...sim.k.files].filter((f) => f.ops.type === 'eventpoll').length, 0);
    assert.equal(sim.p.fdtable.get(efd)!.ep, null);
  }));

test('a_timed_out_waiter_that_was_woken_late_still_harvests', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    ok(await sim.sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 3)));
    const w = sim.thread('t1').epoll_wait(ep, 4, 10);
    // Fire the timeout without letting t1 run, then write: the callback finds t1 already
    // awake (its entry still queued), unlinks the entry, and t1 harvests the event.
    assert.equal(sim.k.fireNextTimer(), true);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.wait(w))), [3]);
  }));
