// The kernel panel's view models: the ready list in order, wait queues as chains of entries,
// threads and the queue each sleeps on, eventpoll waiters, file flags.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileFlags, kernelView } from '../../web/src/model/kernel.ts';
import { snapshotAt } from '../../web/src/model/steps.ts';
import { exampleDoc, stepOf, traceOfExample } from './model-helpers.ts';

const ROUND_ROBIN = '13-maxevents-round-robin.json';

test('the_ready_list_is_drawn_in_list_order_and_rotates_after_a_short_epoll_wait', async () => {
  const doc = exampleDoc(ROUND_ROBIN);
  const trace = await traceOfExample(ROUND_ROBIN);
  const fdOf = (name: string) => {
    // The fd each pipe's read end got: from the bound names' results.
    const i = stepOf(doc, 'pipe2', '') + ['a', 'b', 'c'].indexOf(name);
    return (trace.steps[i].result as { fds: unknown[] }).fds[0];
  };
  assert.equal(fdOf('a'), 'a_r'); // results name the descriptors by their bindings
  const firstWait = stepOf(doc, 'epoll_wait');
  const before = kernelView(snapshotAt(trace, firstWait - 1)).eventpolls[0];
  const after = kernelView(snapshotAt(trace, firstWait)).eventpolls[0];
  // Written c, a, b: ready in that order; maxevents 2 delivers c and a, which go to the tail.
  const fdOfEpi = new Map(before.items.map((i) => [i.id, i.fd]));
  const order = (v: typeof before) => v.ready.map((r) => r.fd);
  assert.equal(before.ready.length, 3);
  const [c, a, b] = order(before);
  assert.deepEqual(order(after), [b, c, a]);
  for (const r of before.ready) assert.equal(r.fd, fdOfEpi.get(r.epi));
  assert.match(before.ready[0].events, /^EPOLLIN\b/, 'the interest mask, decoded');
  assert.equal(after.ovflist, null, 'no scan in progress: the overflow list is inactive');
});

test('a_wait_queue_is_a_chain_of_entries_with_wake_function_and_owner', async () => {
  const file = '10-threads-most-recent-waiter.json';
  const doc = exampleDoc(file);
  const trace = await traceOfExample(file);
  const secondWait = stepOf(doc, 'epoll_wait') + 1;
  const view = kernelView(snapshotAt(trace, secondWait));
  const rd = view.waitQueues.find((q) => q.name.endsWith('.rd_wait'))!;
  assert.deepEqual(
    rd.entries.map((e) => [e.kind, e.owner.kind]),
    [['ep_poll_callback', 'eppoll_entry']],
  );
  assert.equal(rd.files.length, 2, "a pipe's queue belongs to both its files");
  // The eventpoll's own queue: its waiters, the most recent first (exclusive, added at the head).
  assert.deepEqual(view.eventpolls[0].waiters, ['second', 'first']);
  const first = view.threads.find((t) => t.name === 'first')!;
  assert.equal(first.state, 'blocked');
  assert.match(first.call ?? '', /^epoll_wait/);
  assert.deepEqual(first.sleepsOn, [`eventpoll:${view.eventpolls[0].id}.wq`]);
  // Wait queues come once each, in id order.
  const ids = view.waitQueues.map((q) => q.id);
  assert.deepEqual(
    ids,
    [...new Set(ids)].sort((x, y) => x - y),
  );
});

test('file_flags_are_shown_by_their_linux_names', () => {
  assert.equal(fileFlags(0o100000), 'O_RDONLY|O_LARGEFILE');
  assert.equal(fileFlags(0o4001), 'O_WRONLY|O_NONBLOCK');
  assert.equal(fileFlags(2), 'O_RDWR');
});
