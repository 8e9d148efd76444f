// epoll_create and epoll_ctl: every check of reference §4.2–§4.3 in Linux's order (§9 item 6),
// registration bookkeeping, the per-user watch limit, and the cost counters of ctl.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFD, EPOLL, EPOLL_CTL, F, O } from '../../src/abi/constants.ts';
import { Epitem, fileEpitems, watchedBy } from '../../src/kernel/eventpoll/epitem.ts';
import type { Eventpoll } from '../../src/kernel/eventpoll/eventpoll.ts';
import { rbEmptyNode } from '../../src/kernel/eventpoll/rbtree.ts';
import { snapshotEventpoll } from '../../src/kernel/eventpoll/snapshot.ts';
import { defaultMaxUserWatches, epollSysctl } from '../../src/kernel/eventpoll/sysctl.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { WaitEntry, waitEntries } from '../../src/kernel/waitqueue.ts';
import { errno, ok, u64, withSim } from '../helpers.ts';
import { epollOf, ev } from './helpers.ts';

const {
  EPOLLIN,
  EPOLLOUT,
  EPOLLERR,
  EPOLLHUP,
  EPOLLET,
  EPOLLONESHOT,
  EPOLLEXCLUSIVE,
  EPOLLWAKEUP,
  EPOLLRDHUP,
  EPOLLPRI,
} = EPOLL;
const { EPOLL_CTL_ADD: ADD, EPOLL_CTL_DEL: DEL, EPOLL_CTL_MOD: MOD } = EPOLL_CTL;

test('epoll_create_size_must_be_positive_and_epoll_create1_takes_only_EPOLL_CLOEXEC', () =>
  withSim(async ({ sys }) => {
    assert.equal(errno(await sys.epoll_create(0)), 'EINVAL');
    assert.equal(errno(await sys.epoll_create(-1)), 'EINVAL');
    assert.equal(errno(await sys.epoll_create1(1)), 'EINVAL');
    assert.equal(errno(await sys.epoll_create1(O.O_CLOEXEC | O.O_NONBLOCK)), 'EINVAL');
    const a = ok(await sys.epoll_create(1)).ret;
    const b = ok(await sys.epoll_create1(O.O_CLOEXEC)).ret;
    assert.deepEqual([a, b], [3, 4]);
    assert.equal(ok(await sys.fcntl(a, F.F_GETFD, 0)).ret, 0);
    assert.equal(ok(await sys.fcntl(b, F.F_GETFD, 0)).ret, 1);
  }));

test('epoll_file_is_O_RDWR_and_has_no_read_write_or_FIONREAD', () =>
  withSim(async ({ sys }) => {
    const ep = ok(await sys.epoll_create1(0)).ret;
    assert.equal(ok(await sys.fcntl(ep, F.F_GETFL, 0)).ret, O.O_RDWR);
    assert.equal(errno(await sys.read(ep, 8)), 'EINVAL');
    assert.equal(errno(await sys.write(ep, u64(1n))), 'EINVAL');
    assert.equal(errno(await sys.ioctl_fionread(ep)), 'EINVAL');
  }));

test('epoll_ctl_error_table_in_linux_order', () =>
  withSim(async ({ sys }) => {
    const ep = ok(await sys.epoll_create1(0)).ret; // 3
    const efd = ok(await sys.eventfd(0, EFD.EFD_NONBLOCK)).ret; // 4
    const nul = ok(await sys.open('/dev/null', O.O_RDWR)).ret; // 5
    const tmp = ok(await sys.open('tmpfile', O.O_RDWR)).ret; // 6
    const ep2 = ok(await sys.epoll_create1(0)).ret; // 7
    const epDup = ok(await sys.dup(ep)).ret; // 8
    const rows: [string, Promise<unknown>, string | undefined][] = [
      // 0: a NULL event on any op but DEL is EFAULT — before EBADF, and for invalid ops too.
      ['null event, ADD', sys.epoll_ctl(ep, ADD, efd, null), 'EFAULT'],
      ['null event, bad epfd', sys.epoll_ctl(99, ADD, efd, null), 'EFAULT'],
      ['null event, invalid op', sys.epoll_ctl(ep, 7, efd, null), 'EFAULT'],
      ['null event, DEL, bad epfd', sys.epoll_ctl(99, DEL, efd, null), 'EBADF'],
      // 1–2: EBADF for epfd, then for fd.
      ['bad epfd', sys.epoll_ctl(99, ADD, efd, ev(EPOLLIN)), 'EBADF'],
      ['bad fd', sys.epoll_ctl(ep, MOD, 99, ev(EPOLLIN)), 'EBADF'],
      ['bad epfd, invalid op', sys.epoll_ctl(99, 7, efd, ev(EPOLLIN)), 'EBADF'],
      // 3: no ->poll is EPERM, even when epfd is not an epoll, and even for an invalid op.
      ['/dev/null', sys.epoll_ctl(ep, ADD, nul, ev(EPOLLIN)), 'EPERM'],
      ['regular file', sys.epoll_ctl(ep, ADD, tmp, ev(EPOLLIN)), 'EPERM'],
      ['/dev/null into an eventfd', sys.epoll_ctl(efd, ADD, nul, ev(EPOLLIN)), 'EPERM'],
      ['/dev/null, invalid op', sys.epoll_ctl(ep, 7, nul, ev(EPOLLIN)), 'EPERM'],
      // 5: epfd not an epoll, or the target is the epoll itself (through any of its fds).
      ['epfd is an eventfd', sys.epoll_ctl(efd, ADD, efd, ev(EPOLLIN)), 'EINVAL'],
      ['epoll into itself', sys.epoll_ctl(ep, ADD, ep, ev(EPOLLIN)), 'EINVAL'],
      ['epoll into itself by a dup', sys.epoll_ctl(ep, ADD, epDup, ev(EPOLLIN)), 'EINVAL'],
      // 6: EPOLLEXCLUSIVE: never with MOD (even unregistered: before ENOENT), never on an epoll
      // target, only with IN/OUT/ERR/HUP/WAKEUP/ET.
      ['EXCLUSIVE with MOD', sys.epoll_ctl(ep, MOD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE)), 'EINVAL'],
      ['EXCLUSIVE on an epoll', sys.epoll_ctl(ep, ADD, ep2, ev(EPOLLIN | EPOLLEXCLUSIVE)), 'EINVAL'],
      [
        'EXCLUSIVE|ONESHOT',
        sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT)),
        'EINVAL',
      ],
      ['EXCLUSIVE|RDHUP', sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP)), 'EINVAL'],
      ['EXCLUSIVE|PRI', sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE | EPOLLPRI)), 'EINVAL'],
      // 9: DEL and MOD of what is not registered.
      ['DEL unregistered', sys.epoll_ctl(ep, DEL, efd, null), 'ENOENT'],
      ['MOD unregistered', sys.epoll_ctl(ep, MOD, efd, ev(EPOLLIN)), 'ENOENT'],
      // An invalid op is noticed only after every other check.
      ['invalid op', sys.epoll_ctl(ep, 7, efd, ev(EPOLLIN)), 'EINVAL'],
      ['invalid op 0', sys.epoll_ctl(ep, 0, efd, ev(EPOLLIN)), 'EINVAL'],
      // A valid ADD with every allowed EXCLUSIVE companion; then EEXIST; MOD of it is EINVAL.
      [
        'EXCLUSIVE ADD',
        sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN | EPOLLOUT | EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLET)),
        undefined,
      ],
      ['ADD again', sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN)), 'EEXIST'],
      ['MOD of an EXCLUSIVE item', sys.epoll_ctl(ep, MOD, efd, ev(EPOLLIN)), 'EINVAL'],
      ['DEL (NULL event is fine)', sys.epoll_ctl(ep, DEL, efd, null), undefined],
      ['DEL again', sys.epoll_ctl(ep, DEL, efd, null), 'ENOENT'],
    ];
    const got = [];
    for (const [name, p] of rows) got.push([name, errno((await p) as never)]);
    assert.deepEqual(
      got,
      rows.map(([name, , want]) => [name, want]),
    );
  }));

test('add_always_adds_EPOLLERR_and_EPOLLHUP_and_clears_EPOLLWAKEUP_for_the_unprivileged', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const ep = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN | EPOLLWAKEUP | EPOLLET, 42)));
    const [item] = snapshotEventpoll(epollOf(sim, ep)).items;
    assert.equal(item.events, (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLET) >>> 0);
    assert.equal(item.data, 42);
    assert.equal(item.fd, efd);
    assert.deepEqual(item.queues, [`eventfd:${(sim.p.fdtable.get(efd)!.priv as { id: number }).id}.wqh`]);
    ok(await sys.epoll_ctl(ep, MOD, efd, ev(EPOLLOUT, 43)));
    const [after] = snapshotEventpoll(epollOf(sim, ep)).items;
    assert.equal(after.events, EPOLLOUT | EPOLLERR | EPOLLHUP);
    assert.equal(after.data, 43);
  }));

test('exclusive_items_hook_at_the_tail_and_others_at_the_head_of_the_targets_queue', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    const eps = [];
    for (let i = 0; i < 4; i++) eps.push(ok(await sys.epoll_create1(0)).ret);
    ok(await sys.epoll_ctl(eps[0], ADD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE)));
    ok(await sys.epoll_ctl(eps[1], ADD, efd, ev(EPOLLIN)));
    ok(await sys.epoll_ctl(eps[2], ADD, efd, ev(EPOLLIN | EPOLLEXCLUSIVE)));
    ok(await sys.epoll_ctl(eps[3], ADD, efd, ev(EPOLLIN)));
    const wqh = (sim.p.fdtable.get(efd)!.priv as { wqh: { first: unknown } }).wqh;
    const order: number[] = [];
    const excl: boolean[] = [];
    for (let e = wqh.first as { owner: { ep: Eventpoll }; flags: number; next: unknown } | null; e; ) {
      // An eppoll_entry's owner is its epitem (pwq->base).
      order.push(e.owner.ep.file.id);
      excl.push((e.flags & 1) === 1);
      e = e.next as typeof e;
    }
    const fileId = (fd: number) => sim.p.fdtable.get(fd)!.id;
    assert.deepEqual(order, [eps[3], eps[1], eps[0], eps[2]].map(fileId));
    assert.deepEqual(excl, [false, false, true, true]);
  }));

test('max_user_watches_defaults_to_linux_formula_for_the_reference_host', () => {
  assert.equal(epollSysctl(new Kernel()).maxUserWatches, 5491511);
  // Linux: eventpoll_init — 4 % of low memory over EP_ITEM_COST (184).
  assert.equal(defaultMaxUserWatches(25 * 184), 4096);
});

test('add_beyond_max_user_watches_is_ENOSPC_and_del_frees_a_watch', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    epollSysctl(sim.k).maxUserWatches = 2;
    const ep = ok(await sys.epoll_create1(0)).ret;
    const ep2 = ok(await sys.epoll_create1(0)).ret;
    const a = ok(await sys.eventfd(0, 0)).ret;
    const b = ok(await sys.eventfd(0, 0)).ret;
    ok(await sys.epoll_ctl(ep, ADD, a, ev(EPOLLIN)));
    // The count is per user, across epoll instances.
    ok(await sys.epoll_ctl(ep2, ADD, a, ev(EPOLLIN)));
    assert.equal(errno(await sys.epoll_ctl(ep, ADD, b, ev(EPOLLIN))), 'ENOSPC');
    // EEXIST is found before the quota is looked at.
    assert.equal(errno(await sys.epoll_ctl(ep, ADD, a, ev(EPOLLIN))), 'EEXIST');
    ok(await sys.epoll_ctl(ep2, DEL, a, null));
    ok(await sys.epoll_ctl(ep, ADD, b, ev(EPOLLIN)));
    assert.equal(epollSysctl(sim.k).userWatches, 2);
    // Closing a watched file and closing an epoll both give the watches back.
    ok(await sys.close(b));
    assert.equal(epollSysctl(sim.k).userWatches, 1);
    ok(await sys.close(ep));
    assert.equal(epollSysctl(sim.k).userWatches, 0);
  }));

test('ctl_copies_12_bytes_in_per_event_and_del_copies_nothing', () =>
  withSim(async ({ sys, k }) => {
    const ep = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    const before = k.stats.bytesCopiedIn;
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN)));
    ok(await sys.epoll_ctl(ep, MOD, efd, ev(EPOLLOUT)));
    ok(await sys.epoll_ctl(ep, DEL, efd, ev(EPOLLOUT)));
    // Copied even when the call then fails.
    assert.equal(errno(await sys.epoll_ctl(99, ADD, efd, ev(EPOLLIN))), 'EBADF');
    assert.equal(k.stats.bytesCopiedIn - before, 36);
  }));

test('add_polls_once_and_hooks_one_wait_entry_that_del_removes', () =>
  withSim(async ({ sys, k }) => {
    const ep = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    const polls = k.stats.fopPollCalls;
    const added = k.stats.waitEntriesAdded;
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN)));
    assert.equal(k.stats.fopPollCalls - polls, 1);
    assert.equal(k.stats.waitEntriesAdded - added, 1);
    ok(await sys.epoll_ctl(ep, MOD, efd, ev(EPOLLOUT)));
    assert.equal(k.stats.fopPollCalls - polls, 2, 'MOD re-polls');
    assert.equal(k.stats.waitEntriesAdded - added, 1, 'MOD registers nothing');
    const removed = k.stats.waitEntriesRemoved;
    ok(await sys.epoll_ctl(ep, DEL, efd, null));
    assert.equal(k.stats.waitEntriesRemoved - removed, 1);
  }));

test('the_interest_tree_is_keyed_by_file_then_fd_and_stays_a_red_black_tree', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const ep = ok(await sys.epoll_create1(0)).ret;
    const fds: number[] = [];
    for (let i = 0; i < 20; i++) fds.push(ok(await sys.eventfd(0, 0)).ret);
    // A dup of the first eventfd is a second key of the same file: it sorts next to it.
    const dupFd = ok(await sys.dup(fds[0])).ret;
    for (const fd of [...fds].reverse()) ok(await sys.epoll_ctl(ep, ADD, fd, ev(EPOLLIN)));
    ok(await sys.epoll_ctl(ep, ADD, dupFd, ev(EPOLLIN)));
    const e = epollOf(sim, ep);
    e.rbr.checkInvariants();
    const snap = snapshotEventpoll(e);
    assert.deepEqual(
      snap.inorder.map((n) => n.fd),
      [fds[0], dupFd, ...fds.slice(1)],
    );
    assert.ok(sim.k.stats.rbtreeRotations > 0);
    for (const fd of fds.slice(5, 15)) ok(await sys.epoll_ctl(ep, DEL, fd, null));
    e.rbr.checkInvariants();
    assert.equal(e.rbr.size, 11);
    assert.equal(snap.tree?.colour, 'black');
  }));

test('a_watch_is_two_objects_the_epitem_is_its_own_tree_node_and_list_link_and_its_hook_is_its_wait_entry', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const ep = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN, 7)));
    const e = epollOf(sim, ep);
    const file = sim.p.fdtable.get(efd)!;
    const epi = e.rbr.root!;
    // Linux: rbn, ffd, event and fllink are fields of struct epitem.
    assert.ok(epi instanceof Epitem);
    assert.deepEqual([epi.file, epi.fd, epi.events, epi.data], [file, efd, EPOLLIN | EPOLLERR | EPOLLHUP, 7]);
    assert.equal(file.ep, epi, 'f_ep is the epitem itself');
    assert.equal(epi.rdllinkNext, epi, 'not ready: its rdllink points at itself');
    // The eppoll_entry is the wait entry on the eventfd's queue, owned by the epitem (pwq->base).
    const pwq = epi.pwqlist!;
    assert.ok(pwq instanceof WaitEntry);
    assert.equal(pwq.kind, 'ep_poll_callback');
    assert.equal(pwq.owner, epi);
    assert.equal(pwq.pwqNext, null);
    assert.deepEqual(waitEntries(pwq.queue!), [pwq]);
    // Ready: the epitem itself is linked on the ready list.
    ok(await sys.write(efd, u64(1n)));
    assert.equal(e.rdllist.rdllinkNext, epi);
    assert.equal(epi.rdllinkNext, e.rdllist);
    ok(await sys.epoll_ctl(ep, DEL, efd, null));
    assert.equal(file.ep, null);
    assert.equal(pwq.queue, null);
    assert.equal(rbEmptyNode(epi), true);
    assert.equal(epi.rdllinkNext, epi);
  }));

test('f_ep_lists_the_watchers_newest_first_and_a_del_from_the_middle_keeps_the_others', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    const eps: number[] = [];
    for (let i = 0; i < 3; i++) eps.push(ok(await sys.epoll_create1(0)).ret);
    for (const ep of eps) ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN)));
    const file = sim.p.fdtable.get(efd)!;
    const itemOf = (ep: number) => epollOf(sim, ep).rbr.root!;
    assert.deepEqual(fileEpitems(file), [itemOf(eps[2]), itemOf(eps[1]), itemOf(eps[0])]);
    assert.deepEqual(watchedBy(file), [itemOf(eps[0]).id, itemOf(eps[1]).id, itemOf(eps[2]).id]);
    const middle = itemOf(eps[1]);
    ok(await sys.epoll_ctl(eps[1], DEL, efd, null));
    assert.deepEqual(fileEpitems(file), [itemOf(eps[2]), itemOf(eps[0])]);
    assert.equal(middle.fllink, null);
    // Closing the last fd of the file removes the remaining items, newest first.
    ok(await sys.close(efd));
    assert.equal(file.ep, null);
    assert.equal(epollOf(sim, eps[0]).rbr.size, 0);
    assert.equal(epollOf(sim, eps[2]).rbr.size, 0);
  }));

test('an_epitem_keeps_its_mask_as_int32_bits_and_shows_it_as_u32', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const ep = ok(await sys.epoll_create1(0)).ret;
    const efd = ok(await sys.eventfd(0, 0)).ret;
    ok(await sys.epoll_ctl(ep, ADD, efd, ev(EPOLLIN | EPOLLET, 1)));
    const epi = epollOf(sim, ep).rbr.root!;
    const mask = EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP;
    // EPOLLET is bit 31: as int32 bits the mask is a small integer, not a heap number.
    assert.equal(epi.events, mask | 0);
    assert.ok(epi.events < 0);
    assert.equal(snapshotEventpoll(epollOf(sim, ep)).items[0].events, mask >>> 0);
    ok(await sys.write(efd, u64(1n)));
    assert.deepEqual(ok(await sys.epoll_wait(ep, 1, 0)).events, [{ events: EPOLLIN, data: 1 }]);
  }));
