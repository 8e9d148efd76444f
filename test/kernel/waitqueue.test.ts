import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kernel } from '../../src/kernel/kernel.ts';
import {
  addWaitQueue,
  addWaitQueueExclusive,
  addWaitQueueExclusiveHead,
  addWaitQueueTail,
  defineWakeFunction,
  newWaitEntry,
  newWaitQueue,
  removeWaitQueue,
  waitEntries,
  wakeUp,
} from '../../src/kernel/waitqueue.ts';

// A recording wake function for these tests: owner = { id, name, log, ret }.
interface Probe {
  id: number;
  name: string;
  log: string[];
  ret: number;
  keys?: number[];
}
defineWakeFunction('receiver_wake_function', (_k, e, key) => {
  const p = e.owner as Probe;
  p.log.push(p.name);
  p.keys?.push(key);
  return p.ret;
});

function setup() {
  const k = new Kernel();
  const q = newWaitQueue(k, 'test.q');
  const log: string[] = [];
  const entry = (name: string, ret = 1) => {
    const owner: Probe = { id: k.nextId(), name, log, ret };
    return newWaitEntry(k, 'receiver_wake_function', owner);
  };
  return { k, q, log, entry };
}

test('add_wait_queue_puts_entries_at_the_head_and_exclusive_ones_at_the_tail', () => {
  const { k, q, entry } = setup();
  const a = entry('a');
  const b = entry('b');
  const x = entry('x');
  const y = entry('y');
  addWaitQueueExclusive(k, q, x);
  addWaitQueue(k, q, a);
  addWaitQueueExclusive(k, q, y);
  addWaitQueue(k, q, b);
  assert.deepEqual(
    waitEntries(q).map((e) => (e.owner as Probe).name),
    ['b', 'a', 'x', 'y'],
  );
});

test('wake_up_with_nr_exclusive_1_runs_every_shared_entry_and_one_exclusive', () => {
  const { k, q, log, entry } = setup();
  addWaitQueueExclusive(k, q, entry('x1'));
  addWaitQueueExclusive(k, q, entry('x2'));
  addWaitQueue(k, q, entry('s1'));
  addWaitQueue(k, q, entry('s2'));
  wakeUp(k, q, 1, 0);
  assert.deepEqual(log, ['s2', 's1', 'x1']);
});

test('an_exclusive_entry_returning_0_does_not_use_the_budget', () => {
  const { k, q, log, entry } = setup();
  addWaitQueueExclusive(k, q, entry('x1', 0));
  addWaitQueueExclusive(k, q, entry('x2', 1));
  addWaitQueueExclusive(k, q, entry('x3', 1));
  wakeUp(k, q, 1, 0);
  assert.deepEqual(log, ['x1', 'x2']);
});

test('nr_exclusive_0_wakes_every_entry', () => {
  const { k, q, log, entry } = setup();
  addWaitQueueExclusive(k, q, entry('x1'));
  addWaitQueueExclusive(k, q, entry('x2'));
  addWaitQueue(k, q, entry('s1'));
  wakeUp(k, q, 0, 0);
  assert.deepEqual(log, ['s1', 'x1', 'x2']);
});

test('a_negative_return_stops_the_walk', () => {
  const { k, q, log, entry } = setup();
  addWaitQueueTail(k, q, entry('a', -1));
  addWaitQueueTail(k, q, entry('b'));
  wakeUp(k, q, 0, 0);
  assert.deepEqual(log, ['a']);
});

test('exclusive_head_entries_make_the_newest_waiter_wake_first', () => {
  const { k, q, log, entry } = setup();
  addWaitQueueExclusiveHead(k, q, entry('old'));
  addWaitQueueExclusiveHead(k, q, entry('new'));
  wakeUp(k, q, 1, 0);
  assert.deepEqual(log, ['new']);
});

test('removing_an_entry_during_the_walk_is_safe_and_removal_is_idempotent', () => {
  const { k, q, entry } = setup();
  const a = entry('a');
  const b = entry('b');
  addWaitQueue(k, q, a);
  addWaitQueue(k, q, b);
  removeWaitQueue(k, b);
  removeWaitQueue(k, b);
  assert.equal(q.length, 1);
  assert.equal(q.first, a);
  assert.equal(q.last, a);
  removeWaitQueue(k, a);
  assert.equal(q.first, null);
  assert.equal(k.stats.waitEntriesAdded - k.stats.waitEntriesRemoved, 0);
});
