// Nested epoll: readiness propagation through poll_wait (§4.9), the parent's LT/ET behaviour
// (§9 item 16), the loop and depth limits and the reverse path check (§9 item 7), and closing
// an epoll that others watch or that watches others.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EPOLL, EPOLL_CTL, POLL } from '../../src/abi/constants.ts';
import { snapshotEventpoll } from '../../src/kernel/eventpoll/snapshot.ts';
import { epollSysctl } from '../../src/kernel/eventpoll/sysctl.ts';
import { errno, ok, type Sim, u64, withSim } from '../helpers.ts';
import { datas, epollOf, ev } from './helpers.ts';

const { EPOLLIN, EPOLLOUT, EPOLLET, EPOLLRDNORM, EPOLLPRI } = EPOLL;
const { EPOLL_CTL_ADD: ADD, EPOLL_CTL_DEL: DEL } = EPOLL_CTL;

/** parent ⊃ child ⊃ eventfd, with the given modes. */
async function nested(sim: Sim, childFlags: number, parentEvents: number) {
  const { sys } = sim;
  const parent = ok(await sys.epoll_create1(0)).ret;
  const child = ok(await sys.epoll_create1(0)).ret;
  const efd = ok(await sys.eventfd(0, 0)).ret;
  ok(await sys.epoll_ctl(child, ADD, efd, ev(EPOLLIN | childFlags, 1)));
  ok(await sys.epoll_ctl(parent, ADD, child, ev(parentEvents, 2)));
  return { parent, child, efd };
}

test('an_epoll_fd_polls_as_IN_RDNORM_only_and_a_parent_hooks_its_poll_wait', () =>
  withSim(async (sim) => {
    const { parent, child, efd } = await nested(sim, 0, EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDNORM);
    const c = snapshotEventpoll(epollOf(sim, child));
    assert.equal(c.pollWait.length, 1);
    assert.equal(c.pollWait[0].kind, 'ep_poll_callback');
    assert.deepEqual(
      c.watchedBy,
      snapshotEventpoll(epollOf(sim, parent)).items.map((i) => i.id),
    );
    assert.equal(ok(await sim.sys.epoll_wait(parent, 4, 0)).ret, 0);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(ok(await sim.sys.epoll_wait(parent, 4, 0)).events, [
      { events: EPOLLIN | EPOLLRDNORM, data: 2 },
    ]);
  }));

test('a_parent_lt_reports_the_child_until_the_childs_epoll_wait_consumes', () =>
  withSim(async (sim) => {
    const { parent, child, efd } = await nested(sim, EPOLLET, EPOLLIN);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(parent, 4, 0))), [2]);
    assert.deepEqual(
      datas(ok(await sim.sys.epoll_wait(parent, 4, 0))),
      [2],
      'polling the child consumes nothing',
    );
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(child, 4, 0))), [1]);
    assert.equal(ok(await sim.sys.epoll_wait(parent, 4, 0)).ret, 0);
  }));

test('a_parent_et_gets_an_edge_per_child_callback_but_none_from_the_childs_lt_requeue', () =>
  withSim(async (sim) => {
    const { parent, child, efd } = await nested(sim, 0, EPOLLIN | EPOLLET);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(parent, 4, 0))), [2]);
    assert.equal(ok(await sim.sys.epoll_wait(parent, 4, 0)).ret, 0);
    // The child's item is still queued (LT); a new write runs its callback anyway, which wakes
    // the child's poll_wait: a new edge for the parent.
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(parent, 4, 0))), [2]);
    // The child's own transfer re-queues its LT item without waking poll_wait: no edge.
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(child, 4, 0))), [1]);
    assert.equal(ok(await sim.sys.epoll_wait(parent, 4, 0)).ret, 0);
  }));

test('a_parent_with_only_OUT_interest_in_a_child_never_fires', () =>
  withSim(async (sim) => {
    const { parent, efd } = await nested(sim, 0, EPOLLOUT);
    const filtered = sim.k.stats.callbacksFilteredByKey;
    ok(await sim.sys.write(efd, u64(1n)));
    assert.equal(sim.k.stats.callbacksFilteredByKey - filtered, 1);
    assert.equal(ok(await sim.sys.epoll_wait(parent, 4, 0)).ret, 0);
  }));

test('adding_a_ready_child_makes_the_parent_ready_at_once', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const parent = ok(await sys.epoll_create1(0)).ret;
    const child = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(1, 0)).ret;
    ok(await sys.epoll_ctl(child, ADD, efd, ev(EPOLLIN, 1)));
    const p = sim.thread('t1').epoll_wait(parent, 4, -1);
    ok(await sys.epoll_ctl(parent, ADD, child, ev(EPOLLIN, 2)));
    assert.deepEqual(datas(ok(await sim.wait(p))), [2]);
  }));

test('a_thread_blocked_on_the_parent_wakes_when_the_grandchild_fires', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const eps: number[] = [];
    for (let i = 0; i < 5; i++) eps.push(ok(await sys.epoll_create1(0)).ret);
    const efd = ok(await sys.eventfd(0, 0)).ret;
    ok(await sys.epoll_ctl(eps[4], ADD, efd, ev(EPOLLIN, 99)));
    for (let i = 3; i >= 0; i--) ok(await sys.epoll_ctl(eps[i], ADD, eps[i + 1], ev(EPOLLIN, i)));
    const p = sim.thread('t1').epoll_wait(eps[0], 4, -1);
    assert.equal(sim.blocked(p), true);
    ok(await sys.write(efd, u64(1n)));
    assert.deepEqual(datas(ok(await sim.wait(p))), [0]);
  }));

test('chains_of_more_than_five_epolls_are_ELOOP_built_top_down_or_bottom_up', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const e: number[] = [];
    for (let i = 0; i < 6; i++) e.push(ok(await sys.epoll_create1(0)).ret);
    // Top down: e0 ⊃ e1 ⊃ … ; the 5th link would make six instances.
    for (let i = 0; i < 4; i++) ok(await sys.epoll_ctl(e[i], ADD, e[i + 1], ev(EPOLLIN)));
    assert.equal(errno(await sys.epoll_ctl(e[4], ADD, e[5], ev(EPOLLIN))), 'ELOOP');
    const f: number[] = [];
    for (let i = 0; i < 6; i++) f.push(ok(await sys.epoll_create1(0)).ret);
    // Bottom up: f4 ⊃ f5 first, then f3 ⊃ f4, …
    for (let i = 4; i >= 1; i--) ok(await sys.epoll_ctl(f[i], ADD, f[i + 1], ev(EPOLLIN)));
    assert.equal(errno(await sys.epoll_ctl(f[0], ADD, f[1], ev(EPOLLIN))), 'ELOOP');
    // Joining two chains in the middle counts both halves: e2's ancestors + e2 + f3's descendants.
    assert.equal(errno(await sys.epoll_ctl(e[2], ADD, f[3], ev(EPOLLIN))), 'ELOOP');
    ok(await sys.epoll_ctl(e[3], ADD, f[5], ev(EPOLLIN)));
    assert.equal(epollSysctl(sim.k).userWatches, 9);
  }));

test('a_cycle_is_ELOOP_and_an_epoll_in_itself_is_EINVAL', () =>
  withSim(async ({ sys }) => {
    const a = ok(await sys.epoll_create1(0)).ret;
    const b = ok(await sys.epoll_create1(0)).ret;
    const c = ok(await sys.epoll_create1(0)).ret;
    ok(await sys.epoll_ctl(a, ADD, b, ev(EPOLLIN)));
    assert.equal(errno(await sys.epoll_ctl(b, ADD, a, ev(EPOLLIN))), 'ELOOP');
    ok(await sys.epoll_ctl(b, ADD, c, ev(EPOLLIN)));
    assert.equal(errno(await sys.epoll_ctl(c, ADD, a, ev(EPOLLIN))), 'ELOOP');
    assert.equal(errno(await sys.epoll_ctl(a, ADD, a, ev(EPOLLIN))), 'EINVAL');
    // ELOOP comes before EEXIST.
    assert.equal(errno(await sys.epoll_ctl(b, ADD, a, ev(EPOLLIN))), 'ELOOP');
    assert.equal(errno(await sys.epoll_ctl(a, ADD, b, ev(EPOLLIN))), 'EEXIST');
  }));

test('the_501st_top_level_watcher_of_one_intermediate_epoll_is_EINVAL', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    const mid = ok(await sys.epoll_create1(0)).ret;
    ok(await sys.epoll_ctl(mid, ADD, efd, ev(EPOLLIN)));
    for (let i = 0; i < 500; i++) {
      const top = ok(await sys.epoll_create1(0)).ret;
      ok(await sys.epoll_ctl(top, ADD, mid, ev(EPOLLIN)));
    }
    const top = ok(await sys.epoll_create1(0)).ret;
    const watches = epollSysctl(sim.k).userWatches;
    assert.equal(errno(await sys.epoll_ctl(top, ADD, mid, ev(EPOLLIN))), 'EINVAL');
    assert.equal(epollSysctl(sim.k).userWatches, watches, 'the new item was removed');
    assert.deepEqual(snapshotEventpoll(epollOf(sim, top)).items, []);
    assert.equal(snapshotEventpoll(epollOf(sim, mid)).watchedBy.length, 500);
  }));

test('direct_watchers_are_unlimited_and_deeper_paths_are_limited_to_100_through_two_epolls', () =>
  withSim(
    async (sim) => {
      const { sys } = sim;
      const efd = ok(await sys.eventfd(0, 0)).ret;
      // 600 epolls watch the eventfd directly; a full check on it counts them at length 0.
      for (let i = 0; i < 600; i++) {
        const ep = ok(await sys.epoll_create1(0)).ret;
        ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN)));
      }
      const m1 = ok(await sys.epoll_create1(0)).ret;
      const m2 = ok(await sys.epoll_create1(0)).ret;
      ok(await sys.epoll_ctl(m2, ADD, m1, ev(EPOLLIN)));
      // m1 is watched: adding the eventfd to it is a full check, and passes.
      ok(await sys.epoll_ctl(m1, ADD, efd, ev(EPOLLIN)));
      // m2 was top-level (1 path of length 1). With tops above m2, the paths efd → m1 → m2 → top
      // have length 2: at most 100.
      for (let i = 0; i < 100; i++) {
        const top = ok(await sys.epoll_create1(0)).ret;
        ok(await sys.epoll_ctl(top, ADD, m2, ev(EPOLLIN)));
      }
      const top = ok(await sys.epoll_create1(0)).ret;
      assert.equal(errno(await sys.epoll_ctl(top, ADD, m2, ev(EPOLLIN))), 'EINVAL');
    },
    { rlimit: { soft: 2048, hard: 4096 } },
  ));

test('closing_a_watched_child_removes_it_from_its_parents_without_an_event', () =>
  withSim(async (sim) => {
    const { parent, child, efd } = await nested(sim, 0, EPOLLIN);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.equal(snapshotEventpoll(epollOf(sim, parent)).rdllist.length, 1);
    ok(await sim.sys.close(child));
    const p = snapshotEventpoll(epollOf(sim, parent));
    assert.deepEqual([p.items, p.rdllist], [[], []]);
    assert.equal(ok(await sim.sys.epoll_wait(parent, 4, 0)).ret, 0);
    assert.equal(epollSysctl(sim.k).userWatches, 0, "the child's own item went with it");
    // The eventfd's queue holds nothing any more.
    assert.equal((sim.p.fdtable.get(efd)!.priv as { wqh: { length: number } }).wqh.length, 0);
  }));

test('deleting_the_child_from_the_parent_unhooks_the_childs_poll_wait', () =>
  withSim(async (sim) => {
    const { parent, child } = await nested(sim, 0, EPOLLIN);
    ok(await sim.sys.epoll_ctl(parent, DEL, child, null));
    assert.deepEqual(snapshotEventpoll(epollOf(sim, child)).pollWait, []);
    assert.deepEqual(snapshotEventpoll(epollOf(sim, child)).watchedBy, []);
    // No longer watched: adding to the child is no full check any more; and the child can now
    // watch its former parent.
    ok(await sim.sys.epoll_ctl(child, ADD, parent, ev(EPOLLIN)));
  }));

test('poll_on_an_epoll_fd_blocks_until_an_item_fires_then_reports_IN_only', () =>
  withSim(async (sim) => {
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    ok(await sim.sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 1)));
    const all = POLL.POLLIN | POLL.POLLOUT | POLL.POLLPRI | POLL.POLLRDNORM | POLL.POLLWRNORM;
    assert.deepEqual(ok(await sim.sys.poll([{ fd: ep, events: all }], 0)).revents, [0]);
    const p = sim.thread('t1').poll([{ fd: ep, events: POLL.POLLIN }], -1);
    assert.equal(sim.blocked(p), true);
    ok(await sim.sys.write(efd, u64(1n)));
    assert.deepEqual(ok(await sim.wait(p)).revents, [POLL.POLLIN]);
    assert.deepEqual(ok(await sim.sys.poll([{ fd: ep, events: all }], 0)).revents, [
      POLL.POLLIN | POLL.POLLRDNORM,
    ]);
    // Nothing was consumed: the epoll's own wait still gets the event.
    assert.deepEqual(datas(ok(await sim.sys.epoll_wait(ep, 4, 0))), [1]);
  }));

test('add_or_mod_making_a_childs_item_ready_wakes_the_childs_poll_wait', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const parent = ok(await sys.epoll_create1(0)).ret;
    const child = ok(await sys.epoll_create1(0)).ret;
    ok(await sys.epoll_ctl(parent, ADD, child, ev(EPOLLIN | EPOLLET, 2)));
    const p = sim.thread('t1').epoll_wait(parent, 4, -1);
    // ADD of an fd that is ready already: the child queues it and tells its pollers.
    const efd = ok(await sys.eventfd(1, 0)).ret;
    ok(await sys.epoll_ctl(child, ADD, efd, ev(EPOLLOUT, 1)));
    assert.deepEqual(datas(ok(await sim.wait(p))), [2]);
    assert.deepEqual(datas(ok(await sys.epoll_wait(child, 4, 0))), [1]);
    ok(await sys.epoll_ctl(child, EPOLL_CTL.EPOLL_CTL_MOD, efd, ev(EPOLLOUT | EPOLLET, 1)));
    assert.deepEqual(datas(ok(await sys.epoll_wait(child, 4, 0))), [1]);
    // The child's item is off its ready list (ET delivered); MOD finds it ready: a new edge.
    const q = sim.thread('t1').epoll_wait(parent, 4, -1);
    ok(await sys.epoll_ctl(child, EPOLL_CTL.EPOLL_CTL_MOD, efd, ev(EPOLLIN | EPOLLET, 1)));
    assert.deepEqual(datas(ok(await sim.wait(q))), [2]);
  }));
