// Step-change highlighting: the keys of what a step changed, and only those.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedKeys } from '../../web/src/model/changes.ts';
import { kernelView } from '../../web/src/model/kernel.ts';
import { snapshotAt } from '../../web/src/model/steps.ts';
import { exampleDoc, stepOf, traceOfExample } from './model-helpers.ts';

const LT_ET = '04-lt-vs-et-partial-read.json';

async function changesAt(file: string, call: string, needle = '') {
  const doc = exampleDoc(file);
  const trace = await traceOfExample(file);
  const i = stepOf(doc, call, needle);
  const before = i === 0 ? trace.initial : snapshotAt(trace, i - 1);
  const after = snapshotAt(trace, i);
  return { keys: changedKeys(before, after), view: kernelView(after), trace, i };
}

test('nothing_is_highlighted_without_a_previous_snapshot', async () => {
  const trace = await traceOfExample(LT_ET);
  assert.equal(changedKeys(null, snapshotAt(trace, 0)).size, 0);
  assert.equal(changedKeys(snapshotAt(trace, 0), snapshotAt(trace, 0)).size, 0);
});

test('an_epoll_ctl_add_highlights_the_tree_the_new_epitem_and_the_files_wait_queue', async () => {
  const { keys, view } = await changesAt(LT_ET, 'epoll_ctl', '$lt_r');
  const ep = view.eventpolls[0];
  const epi = ep.items[0];
  const rd = view.waitQueues.find((q) => q.entries.some((e) => e.kind === 'ep_poll_callback'))!;
  for (const k of [`tree:${ep.id}`, `epi:${epi.id}`, `wq:${rd.id}`, `file:${epi.file}`])
    assert.ok(keys.has(k), k);
  assert.ok(!keys.has(`ready:${ep.id}`), 'the ready list did not change');
  assert.ok(![...keys].some((k) => k.startsWith('fd:')), 'no descriptor changed');
});

test('a_write_highlights_the_ready_list_it_appended_to_and_not_the_tree', async () => {
  const { keys, view } = await changesAt(LT_ET, 'write', '$lt_w');
  const ep = view.eventpolls[0];
  assert.ok(keys.has(`ready:${ep.id}`));
  assert.ok(!keys.has(`tree:${ep.id}`));
});

test('a_read_that_fails_with_eagain_highlights_nothing', async () => {
  const doc = exampleDoc(LT_ET);
  const trace = await traceOfExample(LT_ET);
  const steps = doc.steps as { expect?: { errno?: string } }[];
  const i = steps.findIndex((s) => s.expect?.errno === 'EAGAIN');
  assert.deepEqual([...changedKeys(snapshotAt(trace, i - 1), snapshotAt(trace, i))], []);
});
