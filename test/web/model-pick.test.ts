// The inspector follows the step: the picked object is found again by its key in the next step's
// view (its fields as they are then), and is gone when the object is. The step counter's title
// says how its "<i+1> / <n>" relates to the list's numbers from 0.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kernelView } from '../../web/src/model/kernel.ts';
import { pickIn } from '../../web/src/model/pick.ts';
import { counterTitle, snapshotAt } from '../../web/src/model/steps.ts';
import { exampleDoc, stepOf, traceOfExample } from './model-helpers.ts';

test('a_picked_object_is_refreshed_from_each_step_and_gone_when_it_is', async () => {
  const file = '04-lt-vs-et-partial-read.json';
  const doc = exampleDoc(file);
  const trace = await traceOfExample(file);
  const n = trace.steps.length;
  const wait = stepOf(doc, 'epoll_wait');
  const before = kernelView(snapshotAt(trace, wait - 1));
  const after = kernelView(snapshotAt(trace, wait));
  const it = before.eventpolls[0].items[0];
  const p = pickIn(before, `epi:${it.id}`);
  assert.equal(p?.kind, 'epitem');
  assert.equal(p?.fields, it);
  assert.match(p?.title ?? '', new RegExp(`epitem #${it.id} \\(fd ${it.fd}\\)`));
  // The next step's object, not the old one.
  const again = pickIn(after, `epi:${it.id}`);
  assert.equal(
    again?.fields,
    after.eventpolls[0].items.find((x) => x.id === it.id),
  );
  // Every kind the panel draws is found by its key.
  const fd = after.fds[0];
  assert.equal(pickIn(after, `fd:${fd.pid}:${fd.fd}`)?.fields, fd);
  assert.equal(pickIn(after, `file:${after.files[0].id}`)?.fields, after.files[0]);
  assert.equal(pickIn(after, `thread:${after.threads[0].id}`)?.kind, 'thread');
  const q = after.waitQueues.find((x) => x.entries.length > 0)!;
  assert.equal(pickIn(after, `wq:${q.id}`)?.kind, 'waitqueue');
  assert.equal(pickIn(after, `we:${q.entries[0].id}`)?.kind, 'wait-entry');
  // The last step closes the epoll: its epitems are gone.
  const end = kernelView(snapshotAt(trace, n - 1));
  assert.equal(pickIn(end, `epi:${it.id}`), null);
  assert.equal(pickIn(end, 'nothing:1'), null);
});

test('the_step_counter_s_title_relates_it_to_the_list_s_numbers', () => {
  assert.match(counterTitle(12, 26), /13 of 26/);
  assert.match(counterTitle(12, 26), /from 0.*step 12/);
  assert.equal(counterTitle(0, 0), 'no steps');
});
