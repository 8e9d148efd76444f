// The kernel invariant checker (src/kernel/check.ts): silent on a busy, healthy system, and
// naming each kind of damage when it is planted by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EPOLL, EPOLL_CTL, O, SOCK } from '../../src/abi/constants.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import { checkKernel, checkNothingLeft } from '../../src/kernel/check.ts';
import type { Epitem } from '../../src/kernel/eventpoll/epitem.ts';
import type { Eventpoll } from '../../src/kernel/eventpoll/eventpoll.ts';
import { listAddTail } from '../../src/kernel/eventpoll/readylist.ts';
import { type File, fput, getFile } from '../../src/kernel/file.ts';
import type { Pipe } from '../../src/kernel/pipe.ts';
import { addWaitQueue, newWaitEntry } from '../../src/kernel/waitqueue.ts';
import { bytes, newSim, ok, type Sim } from '../helpers.ts';

const { EPOLLIN, EPOLLOUT } = EPOLL;
const { EPOLL_CTL_ADD: ADD } = EPOLL_CTL;

function closeAll(sim: Sim): void {
  sim.k.abortBlocked(null);
  for (const fd of sim.p.fdtable.openFds()) {
    const file = sim.p.fdtable.detach(fd);
    if (file) fput(sim.k, file);
  }
}

const fileAt = (sim: Sim, fd: number): File => sim.p.fdtable.get(fd)!;

/** Pipes, sockets, an eventfd, nested epolls, and threads asleep in read, epoll_wait and poll. */
async function busySystem(sim: Sim) {
  const { sys } = sim;
  const [r, w] = ok(await sys.pipe()).fds;
  const [a, b] = ok(await sys.socketpair(AF.AF_UNIX, SOCK.SOCK_DGRAM | SOCK.SOCK_NONBLOCK, 0)).fds;
  const efd = ok(await sys.eventfd(0, 0)).ret;
  const inner = ok(await sys.epoll_create1(0)).ret;
  const outer = ok(await sys.epoll_create1(0)).ret;
  ok(await sys.epoll_ctl(inner, ADD, efd, { events: EPOLLIN, data: 1 }));
  ok(await sys.epoll_ctl(inner, ADD, a, { events: EPOLLIN | EPOLLOUT, data: 2 }));
  ok(await sys.epoll_ctl(outer, ADD, inner, { events: EPOLLIN, data: 3 }));
  ok(await sys.write(b, bytes('x')));
  const reading = sim.thread('t1').read(r, 10);
  const waiting = sim.thread('t2').epoll_wait(outer, 4, -1);
  const polling = sim.thread('t3').poll([{ fd: efd, events: EPOLLIN }], -1);
  return { r, w, a, b, efd, inner, outer, reading, waiting, polling };
}

test('a_busy_healthy_system_breaks_no_invariant_and_closing_it_leaves_nothing', async () => {
  const sim = newSim();
  const s = await busySystem(sim);
  // t2's epoll_wait found the datagram ready at once; t1 and t3 sleep.
  assert.ok(sim.blocked(s.reading) && sim.blocked(s.polling));
  assert.deepEqual(checkKernel(sim.k), []);
  // Exactly: t1's read holds a reference on the pipe's read end.
  const held = new Map([[fileAt(sim, s.r), 1]]);
  assert.deepEqual(checkKernel(sim.k, { heldByCalls: held }), []);
  closeAll(sim);
  assert.deepEqual(checkKernel(sim.k), []);
  assert.deepEqual(checkNothingLeft(sim.k), []);
});

test('a_reference_nobody_holds_is_reported_with_its_count', async () => {
  const sim = newSim();
  const fd = ok(await sim.sys.eventfd(0, 0)).ret;
  getFile(fileAt(sim, fd));
  assert.match(
    checkKernel(sim.k, { heldByCalls: new Map() }).join('\n'),
    /eventfd\) has count 2, 1 references exist/,
  );
  // Without the calls' references the checker allows one per call in progress: none here.
  assert.match(checkKernel(sim.k).join('\n'), /1 file references unexplained, 0 calls in progress/);
});

test('a_wait_entry_left_on_a_released_object_is_reported', async () => {
  const sim = newSim();
  const [r, w] = ok(await sim.sys.pipe()).fds;
  const pipe = fileAt(sim, r).priv as Pipe;
  addWaitQueue(sim.k, pipe.rdWait, newWaitEntry(sim.k, 'autoremove_wake_function', sim.p.thread('t1')));
  assert.match(
    checkKernel(sim.k).join('\n'),
    /rd_wait: entry \d+ \(autoremove_wake_function\) belongs to thread t1/,
  );
  ok(await sim.sys.close(r));
  ok(await sim.sys.close(w));
  assert.match(
    checkKernel(sim.k).join('\n'),
    /1 wait entries are queued, 0 of them on queues of live objects/,
  );
  assert.match(checkNothingLeft(sim.k).join('\n'), /1 wait entries left queued/);
});

test('a_ready_epitem_outside_the_tree_and_a_broken_red_black_tree_are_reported', async () => {
  const sim = newSim();
  const ep = ok(await sim.sys.epoll_create1(0)).ret;
  const fds: number[] = [];
  for (let i = 0; i < 4; i++) fds.push(ok(await sim.sys.eventfd(0, 0)).ret);
  for (const fd of fds) ok(await sim.sys.epoll_ctl(ep, ADD, fd, { events: EPOLLIN, data: fd }));
  const eventpoll = fileAt(sim, ep).priv as Eventpoll;
  const epi = eventpoll.rbr.nodes()[0] as Epitem;
  // Erased from the tree but left linked on the ready list (and still counted).
  eventpoll.rbr.erase(epi);
  listAddTail(epi, eventpoll.rdllist);
  const broken = checkKernel(sim.k).join('\n');
  assert.match(broken, new RegExp(`ready epitem ${epi.id} is not in the tree`));
  assert.match(broken, /refcount 5, 3 items/);
  const sim2 = newSim();
  const ep2 = ok(await sim2.sys.epoll_create1(0)).ret;
  for (let i = 0; i < 3; i++) {
    const fd = ok(await sim2.sys.eventfd(0, 0)).ret;
    ok(await sim2.sys.epoll_ctl(ep2, ADD, fd, { events: EPOLLIN, data: fd }));
  }
  (fileAt(sim2, ep2).priv as Eventpoll).rbr.root!.rbColour = 'red';
  assert.match(checkKernel(sim2.k).join('\n'), /rbtree of ep \d+: the root is red/);
});

test('pipe_counts_that_disagree_with_the_open_files_are_reported', async () => {
  const sim = newSim();
  const [r] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
  (fileAt(sim, r).priv as Pipe).readers++;
  assert.match(checkKernel(sim.k).join('\n'), /files\/readers\/writers 2\/2\/1, 2\/1\/1 open/);
});

test('checkNothingLeft_names_a_file_and_a_name_left_behind', async () => {
  const sim = newSim();
  const fd = ok(await sim.sys.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).ret;
  ok(await sim.sys.bind(fd, '@left'));
  getFile(fileAt(sim, fd));
  closeAll(sim);
  const left = checkNothingLeft(sim.k).join('\n');
  assert.match(left, /open file descriptions left: \d+ \(unix\)/);
  assert.match(left, /AF_UNIX names left bound: @left/);
});

// Found by the API fuzzer (src/fuzz/api.ts): sys_socketpair reserves both fds before sockCreate
// throws Unsupported for a family the model lacks.
test('socketpair_of_an_unmodelled_family_gives_back_the_descriptors_it_reserved', async () => {
  const sim = newSim();
  assert.throws(() => sim.sys.socketpair(AF.AF_INET, SOCK.SOCK_RAW, 0), Unsupported);
  assert.deepEqual(checkKernel(sim.k), []);
  assert.equal(ok(await sim.sys.eventfd(0, 0)).ret, 3);
});

test('timers_are_told_apart_by_their_owner_not_their_label', () => {
  const sim = newSim();
  // A timerfd's timer with no timerfd behind it, under a label that does not say so.
  sim.k.addTimer(1000, { kind: 'timerfd', id: 999 }, 'timeout of nobody', () => {});
  assert.ok(checkKernel(sim.k).includes('a timer of released timerfd 999 is armed'));
  assert.ok(checkNothingLeft(sim.k).includes('timer "timeout of nobody" left armed'));
  // A stale sleep timeout, whatever its label, is allowed to remain.
  const other = newSim();
  other.k.addTimer(1000, { kind: 'sleep', thread: other.sys.thread }, 'timerfd:7', () => {});
  assert.deepEqual(checkKernel(other.k), []);
  // (Its stdin, stdout and stderr are still open: only what is said of timers counts here.)
  assert.deepEqual(
    checkNothingLeft(other.k).filter((m) => m.includes('timer')),
    [],
  );
});
