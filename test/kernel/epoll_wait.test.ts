// epoll_wait / epoll_pwait2: argument checks, timeouts, and ep_send_events' delivery rules —
// LT round robin, ET, ONESHOT, MOD, drops on re-poll (§9 item 8); closing vs dup (§9 item 9);
// the ovflist during a scan; the epoll file's own poll; the O(ready) cost counters.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFD, EPOLL, EPOLL_CTL } from '../../src/abi/constants.ts';
import { eventpollOps } from '../../src/kernel/eventpoll/eventpoll.ts';
import { epDoneScan, epStartScan } from '../../src/kernel/eventpoll/scan.ts';
import { snapshotEventpoll, snapshotEventpolls } from '../../src/kernel/eventpoll/snapshot.ts';
import { diffStats } from '../../src/kernel/stats.ts';
import { errno, ok, type Sim, u64, withSim } from '../helpers.ts';
import { datas, epollOf, ev } from './helpers.ts';

const { EPOLLIN, EPOLLOUT, EPOLLET, EPOLLONESHOT, EPOLLRDNORM } = EPOLL;
const { EPOLL_CTL_ADD: ADD, EPOLL_CTL_DEL: DEL, EPOLL_CTL_MOD: MOD } = EPOLL_CTL;
const A = 0xa;
const B = 0xb;
const C = 0xc;

/** An epoll with three idle eventfds A, B, C registered with `flags` (data = 0xa, 0xb, 0xc). */
async function threeEventfds(sim: Sim, flags: number) {
  const ep = ok(await sim.sys.epoll_create1(0)).ret;
  const fds: Record<number, number> = {};
  for (const d of [A, B, C]) {
    fds[d] = ok(await sim.sys.eventfd(0, EFD.EFD_NONBLOCK)).ret;
    ok(await sim.sys.epoll_ctl(ep, ADD, fds[d], ev(EPOLLIN | flags, d)));
  }
  return { ep, fds };
}

test('epoll_wait_checks_the_fd_before_maxevents_as_linux_6_15_and_later_do', () =>
  withSim(async ({ sys }) => {
    const ep = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    // 6.12 says EINVAL here (maxevents first); 6.15+ and the 6.18 host say EBADF.
    assert.equal(errno(await sys.epoll_wait(99, 0, 0)), 'EBADF');
    assert.equal(errno(await sys.epoll_wait(99, -1, 0)), 'EBADF');
    assert.equal(errno(await sys.epoll_wait(efd, 0, 0)), 'EINVAL');
    assert.equal(errno(await sys.epoll_wait(efd, 1, 0)), 'EINVAL');
    assert.equal(errno(await sys.epoll_wait(ep, 0, 0)), 'EINVAL');
    assert.equal(errno(await sys.epoll_wait(ep, 178956971, 0)), 'EINVAL');
    assert.equal(ok(await sys.epoll_wait(ep, 178956970, 0)).ret, 0);
  }));

test('epoll_pwait2_validates_the_timespec_before_the_fd', () =>
  withSim(async ({ sys }) => {
    const ep = ok(await sys.epoll_create1(0)).ret;
    assert.equal(errno(await sys.epoll_pwait2(99, 1, { sec: 0, nsec: -1 })), 'EINVAL');
    assert.equal(errno(await sys.epoll_pwait2(ep, 1, { sec: 0, nsec: 1_000_000_000 })), 'EINVAL');
    assert.equal(errno(await sys.epoll_pwait2(ep, 1, { sec: -1, nsec: 0 })), 'EINVAL');
    assert.equal(errno(await sys.epoll_pwait2(99, 1, { sec: 0, nsec: 0 })), 'EBADF');
    assert.equal(ok(await sys.epoll_pwait2(ep, 1, { sec: 0, nsec: 0 })).ret, 0);
  }));

test('epoll_wait_times_out_on_the_virtual_clock', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const p = sim.sys.epoll_wait(ep, 4, 250);
    assert.equal(sim.blocked(p), true);
    assert.deepEqual(ok(await sim.wait(p)), { ret: 0, events: [] });
    assert.equal(sim.k.now, 250_000_000);
    const q = sim.sys.epoll_pwait2(ep, 4, { sec: 1, nsec: 5 });
    assert.equal(ok(await sim.wait(q)).ret, 0);
    assert.equal(sim.k.now, 1_250_000_005);
    assert.equal(sim.k.stats.timeouts, 2);
  }));

test('a_negative_timeout_blocks_until_an_event_and_zero_never_blocks', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    ok(await sim.sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 7)));
    assert.equal(ok(await sim.sys.epoll_wait(ep, 1, 0)).ret, 0);
    const p = sim.thread('t1').epoll_wait(ep, 1, -1);
    const q = sim.thread('t2').epoll_pwait2(ep, 1, null);
    assert.equal(sim.blocked(p) && sim.blocked(q), true);
    await assert.rejects(sim.wait(p), /deadlock/);
    ok(await sim.sys.write(efd, u64(1n)));
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.wait(p))), [7]);
    assert.deepEqual(datas(ok(await sim.wait(q))), [7]);
    assert.equal(sim.k.now, 0);
  }));

test('lt_round_robin_with_maxevents_2_is_CA_BC_AB', () =>
  withSim(async (sim) => {
    const { ep, fds } = await threeEventfds(sim, 0);
    for (const d of [C, A, B]) ok(await sim.sys.write(fds[d], u64(1n)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 2, 0))), [C, A]);
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 2, 0))), [B, C]);
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 2, 0))), [A, B]);
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 16, 0))), [C, A, B]);
  }));

test('lt_item_drained_by_read_is_dropped_without_using_a_slot', () =>
  withSim(async (sim) => {
    const { ep, fds } = await threeEventfds(sim, 0);
    for (const d of [A, B, C]) ok(await sim.sys.write(fds[d], u64(1n)));
    ok(await sim.sys.read(fds[A], 8));
    const before = sim.k.stats.readyListDropsOnRepoll;
    // A is first on the ready list but not ready: dropped, and B and C fill the two slots.
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 2, 0))), [B, C]);
    assert.equal(sim.k.stats.readyListDropsOnRepoll - before, 1);
    const snap = snapshotEventpoll(epollOf(sim, ep));
    assert.equal(snap.rdllist.length, 2, 'A is off the ready list; B and C are re-queued');
    ok(await sim.sys.read(fds[B], 8));
    ok(await sim.sys.read(fds[C], 8));
    assert.equal(ok(await sim.sys.epoll_wait(ep, 2, 0)).ret, 0);
    assert.equal(snapshotEventpoll(epollOf(sim, ep)).rdllist.length, 0);
  }));

test('et_reports_once_then_again_after_every_new_eventfd_write', () =>
  withSim(async (sim) => {
    const { ep, fds } = await threeEventfds(sim, EPOLLET);
    ok(await sim.sys.write(fds[B], u64(1n)));
    assert.deepEqual(ok(await sim.sys.epoll_wait(ep, 8, 0)).events, [{ events: EPOLLIN, data: B }]);
    assert.equal(ok(await sim.sys.epoll_wait(ep, 8, 0)).ret, 0, 'no repeat without a new edge');
    // eventfd wakes on every write, even when the counter was already non-zero.
    ok(await sim.sys.write(fds[B], u64(1n)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 8, 0))), [B]);
    // A write of 0 wakes too; the re-poll finds the counter non-zero, so it is an event.
    ok(await sim.sys.write(fds[B], u64(0n)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 8, 0))), [B]);
  }));

test('oneshot_is_silent_after_firing_and_mod_rearms_with_new_data', () =>
  withSim(async (sim) => {
    const { ep, fds } = await threeEventfds(sim, EPOLLONESHOT);
    ok(await sim.sys.write(fds[A], u64(1n)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 8, 0))), [A]);
    const disabled = sim.k.stats.callbacksDisabledItem;
    ok(await sim.sys.write(fds[A], u64(1n)));
    assert.equal(sim.k.stats.callbacksDisabledItem - disabled, 1);
    assert.equal(ok(await sim.sys.epoll_wait(ep, 8, 0)).ret, 0);
    const [item] = snapshotEventpoll(epollOf(sim, ep)).items.filter((i) => i.data === A);
    assert.equal(item.events, EPOLLONESHOT, 'events &= EP_PRIVATE_BITS: even ERR and HUP are gone');
    // MOD re-arms; the fd is ready, so it is reported at once, with the new data.
    ok(await sim.sys.epoll_ctl(ep, MOD, fds[A], ev(EPOLLIN | EPOLLONESHOT, 0xaa)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 8, 0))), [0xaa]);
    assert.equal(ok(await sim.sys.epoll_wait(ep, 8, 0)).ret, 0);
    assert.equal(sim.k.stats.oneshotDisables, 2);
    assert.equal(errno(await sim.sys.epoll_ctl(ep, ADD, fds[A], ev(EPOLLIN))), 'EEXIST');
  }));

test('mod_of_a_ready_et_item_queues_it_again_and_mod_never_unqueues', () =>
  withSim(async (sim) => {
    const { ep, fds } = await threeEventfds(sim, EPOLLET);
    ok(await sim.sys.write(fds[A], u64(1n)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 8, 0))), [A]);
    ok(await sim.sys.epoll_ctl(ep, MOD, fds[A], ev(EPOLLIN | EPOLLET, A)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 8, 0))), [A], 'MOD forces a repeat report');
    // Queued, then MOD to OUT only: still on the ready list, delivered with the new mask and data.
    ok(await sim.sys.write(fds[B], u64(1n)));
    ok(await sim.sys.epoll_ctl(ep, MOD, fds[B], ev(EPOLLOUT | EPOLLET, 0xbb)));
    assert.equal(snapshotEventpoll(epollOf(sim, ep)).rdllist.length, 1);
    assert.deepEqual(ok(await sim.sys.epoll_wait(ep, 8, 0)).events, [{ events: EPOLLOUT, data: 0xbb }]);
    // And an item queued then MODded to something not ready is dropped at the next transfer.
    ok(await sim.sys.write(fds[C], u64(1n)));
    ok(await sim.sys.read(fds[C], 8));
    ok(await sim.sys.write(fds[C], u64(1n)));
    ok(await sim.sys.epoll_ctl(ep, MOD, fds[C], ev(0, C)));
    assert.equal(snapshotEventpoll(epollOf(sim, ep)).rdllist.length, 1);
    assert.equal(ok(await sim.sys.epoll_wait(ep, 8, 0)).ret, 0);
    assert.equal(snapshotEventpoll(epollOf(sim, ep)).rdllist.length, 0);
  }));

test('add_of_a_ready_fd_wakes_a_thread_blocked_in_epoll_wait', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const efd = ok(await sim.sys.eventfd(1, 0)).ret;
    const p = sim.thread('t1').epoll_wait(ep, 4, -1);
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN | EPOLLOUT, 5)));
    assert.equal(sim.blocked(p), false);
    assert.deepEqual(ok(await sim.wait(p)).events, [{ events: EPOLLIN | EPOLLOUT, data: 5 }]);
  }));

test('close_with_a_dup_alive_keeps_the_registration_under_the_old_number_and_data', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const ep = ok(await sys.epoll_create1(0)).ret; // 3
    const efd = ok(await sys.eventfd(0, 0)).ret; // 4
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 77)));
    const dupFd = ok(await sys.dup(efd)).ret; // 5
    ok(await sys.close(efd));
    ok(await sys.write(dupFd, u64(1n)));
    assert.deepEqual(ok(await sys.epoll_wait(ep, 4, 0)).events, [{ events: EPOLLIN, data: 77 }]);
    assert.equal(errno(await sys.epoll_ctl(ep, DEL, efd, null)), 'EBADF', 'the closed number names no file');
    assert.equal(errno(await sys.epoll_ctl(ep, DEL, dupFd, null)), 'ENOENT', 'the dup is another key');
    // The same number back on the same file: DEL finds the item.
    assert.equal(ok(await sys.dup(dupFd)).ret, efd);
    ok(await sys.epoll_ctl(ep, DEL, efd, null));
    assert.equal(ok(await sys.epoll_wait(ep, 4, 0)).ret, 0);
  }));

test('the_same_number_on_another_file_is_another_key', () =>
  withSim(async ({ sys }) => {
    const ep = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 1)));
    const keep = ok(await sys.dup(efd)).ret;
    ok(await sys.close(efd));
    assert.equal(ok(await sys.eventfd(0, 0)).ret, efd);
    assert.equal(errno(await sys.epoll_ctl(ep, DEL, efd, null)), 'ENOENT');
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 2)));
    ok(await sys.write(efd, u64(1n)));
    ok(await sys.write(keep, u64(1n)));
    assert.deepEqual(datas(ok(await sys.epoll_wait(ep, 4, 0))), [2, 1]);
  }));

test('the_last_close_removes_the_item_silently_even_with_an_event_queued', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const ep = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 1)));
    ok(await sys.write(efd, u64(1n)));
    assert.equal(snapshotEventpoll(epollOf(sim, ep)).rdllist.length, 1);
    ok(await sys.close(efd));
    const snap = snapshotEventpoll(epollOf(sim, ep));
    assert.deepEqual([snap.rdllist, snap.items], [[], []]);
    assert.equal(ok(await sys.epoll_wait(ep, 4, 0)).ret, 0);
  }));

test('two_fds_of_one_file_are_two_items_and_the_one_added_last_is_reported_first', () =>
  withSim(async ({ sys }) => {
    const ep = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    const d = ok(await sys.dup(efd)).ret;
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 1)));
    ok(await sys.epoll_ctl(ep, ADD, d, ev(EPOLLIN, 2)));
    ok(await sys.write(efd, u64(1n)));
    // Both hooks are at the head of the eventfd's queue: the newest runs first.
    assert.deepEqual(datas(ok(await sys.epoll_wait(ep, 4, 0))), [2, 1]);
  }));

test('callbacks_during_a_scan_go_to_the_ovflist_and_come_back_fifo_behind_the_leftovers', () =>
  withSim(async (sim) => {
    const { ep, fds } = await threeEventfds(sim, EPOLLET);
    const e = epollOf(sim, ep);
    ok(await sim.sys.write(fds[A], u64(1n)));
    const txlist = epStartScan(sim.k, e);
    assert.deepEqual(snapshotEventpoll(e).ovflist, []);
    // While A sits on the scan batch, B, C and A are signalled: the ovflist is LIFO.
    for (const d of [B, C, A]) ok(await sim.sys.write(fds[d], u64(1n)));
    const ids = Object.fromEntries(snapshotEventpoll(e).items.map((i) => [i.data, i.id]));
    const during = snapshotEventpoll(e);
    assert.deepEqual(during.ovflist, [ids[A], ids[C], ids[B]]);
    assert.deepEqual(during.scanBatch, [ids[A]]);
    assert.deepEqual(during.rdllist, []);
    assert.equal(sim.k.stats.ovflistPushes, 3);
    // ep_done_scan: the drain skips A (still linked), puts C then B at the head (→ B, C),
    // then the unreached A goes back in front of them.
    epDoneScan(sim.k, e, txlist);
    const after = snapshotEventpoll(e);
    assert.deepEqual(after.rdllist, [ids[A], ids[B], ids[C]]);
    assert.equal(after.ovflist, 'EP_UNACTIVE_PTR');
    assert.ok(after.items.every((i) => i.ovflistNext === 'EP_UNACTIVE_PTR'));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 8, 0))), [A, B, C]);
  }));

test('polling_the_epoll_file_drops_stale_items_and_consumes_nothing', () =>
  withSim(async (sim) => {
    const { ep, fds } = await threeEventfds(sim, EPOLLET);
    const e = epollOf(sim, ep);
    const file = sim.p.fdtable.get(ep)!;
    assert.equal(eventpollOps.poll!(sim.k, file, null), 0);
    // A signalled then drained (stale), B ready: A is dropped, B kept, ET state untouched.
    ok(await sim.sys.write(fds[A], u64(1n)));
    ok(await sim.sys.read(fds[A], 8));
    ok(await sim.sys.write(fds[B], u64(1n)));
    assert.equal(snapshotEventpoll(e).rdllist.length, 2);
    assert.equal(eventpollOps.poll!(sim.k, file, null), EPOLLIN | EPOLLRDNORM);
    assert.equal(eventpollOps.poll!(sim.k, file, null), EPOLLIN | EPOLLRDNORM);
    assert.deepEqual(
      snapshotEventpoll(e).rdllist,
      snapshotEventpoll(e)
        .items.filter((i) => i.data === B)
        .map((i) => i.id),
    );
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 8, 0))), [B]);
    assert.equal(eventpollOps.poll!(sim.k, file, null), 0);
  }));

test('epoll_wait_costs_O_ready_not_O_interest_set', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const fds: number[] = [];
    for (let i = 0; i < 200; i++) {
      fds.push(ok(await sim.sys.eventfd(0, 0)).ret);
      ok(await sim.sys.epoll_ctl(ep, ADD, fds[i], ev(EPOLLIN | EPOLLET, i)));
    }
    ok(await sim.sys.write(fds[123], u64(1n)));
    const before = { ...sim.k.stats };
    const p = sim.sys.epoll_wait(ep, 64, -1);
    assert.deepEqual(datas(ok(await sim.wait(p))), [123]);
    const cost = diffStats(sim.k.stats, before);
    assert.equal(cost.fopPollCalls, 1);
    assert.equal(cost.eventsDelivered, 1);
    assert.equal(cost.bytesCopiedOut, 12);
    assert.equal(cost.waitEntriesAdded, 0);
    // Blocking costs exactly one wait entry, added and removed.
    const before2 = { ...sim.k.stats };
    const q = sim.sys.epoll_wait(ep, 64, -1);
    ok(await sim.thread('w').write(fds[7], u64(1n)));
    assert.deepEqual(datas(ok(await sim.wait(q))), [7]);
    const cost2 = diffStats(sim.k.stats, before2);
    assert.deepEqual([cost2.waitEntriesAdded, cost2.waitEntriesRemoved, cost2.fopPollCalls], [1, 1, 1]);
    assert.equal(cost2.readyListAppends, 1);
  }));

test('snapshot_shows_tree_ready_list_waiters_and_items', () =>
  withSim(async (sim) => {
    const { ep, fds } = await threeEventfds(sim, 0);
    const p = sim.thread('t1').epoll_wait(ep, 1, 1000);
    const s1 = snapshotEventpolls(sim.k)[0];
    assert.deepEqual(
      [s1.waiters, s1.rdllist, s1.scanBatch, s1.ovflist],
      [['t1'], [], null, 'EP_UNACTIVE_PTR'],
    );
    assert.deepEqual(
      s1.inorder.map((n) => n.fd),
      [fds[A], fds[B], fds[C]],
    );
    assert.equal(s1.tree?.colour, 'black');
    assert.deepEqual(
      s1.items.map((i) => [i.fd, i.data, i.ready, i.queues.length, i.exclusive]),
      [
        [fds[A], A, false, 1, false],
        [fds[B], B, false, 1, false],
        [fds[C], C, false, 1, false],
      ],
    );
    ok(await sim.sys.write(fds[B], u64(1n)));
    assert.deepEqual(datas(ok(await sim.wait(p))), [B]);
    const s2 = snapshotEventpolls(sim.k)[0];
    assert.deepEqual(s2.waiters, []);
    assert.deepEqual(s2.rdllist, [s2.items[1].id], 'the LT item is back on the ready list');
    assert.deepEqual(JSON.parse(JSON.stringify(s2)), s2, 'plain JSON');
  }));
