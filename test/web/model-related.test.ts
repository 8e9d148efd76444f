// Picking an object marks what it points to: fd → file, epitem → file and the queue it hooks,
// wait entry → its owner, file → its fds and the epitems watching it, thread → its signal state.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kernelView } from '../../web/src/model/kernel.ts';
import { relatedKeys } from '../../web/src/model/related.ts';
import { snapshotAt } from '../../web/src/model/steps.ts';
import { exampleDoc, stepOf, traceOfExample } from './model-helpers.ts';

test('an_epitem_its_file_its_fd_and_its_wait_entry_point_at_each_other', async () => {
  const file = '10-threads-most-recent-waiter.json';
  const doc = exampleDoc(file);
  const trace = await traceOfExample(file);
  const view = kernelView(snapshotAt(trace, stepOf(doc, 'epoll_wait') + 1));
  const it = view.eventpolls[0].items[0];
  const rd = view.waitQueues.find((q) => q.name === it.queues[0])!;
  const hook = rd.entries[0];
  assert.deepEqual(
    relatedKeys(`epi:${it.id}`, view),
    new Set([`file:${it.file}`, `wq:${rd.id}`, `we:${hook.id}`]),
  );
  assert.deepEqual(relatedKeys(`we:${hook.id}`, view), new Set([`epi:${it.id}`]));
  const fd = view.fds.find((e) => e.file === it.file)!;
  assert.deepEqual(relatedKeys(`fd:${fd.pid}:${fd.fd}`, view), new Set([`file:${it.file}`]));
  assert.deepEqual(relatedKeys(`file:${it.file}`, view), new Set([`epi:${it.id}`, `fd:${fd.pid}:${fd.fd}`]));
  const first = view.threads.find((t) => t.name === 'first')!;
  // epoll's own queue is drawn by its waiters, not as a queue: the thread points at its signal state only.
  assert.deepEqual(relatedKeys(`thread:${first.id}`, view), new Set([`tsig:${first.id}`]));
  assert.equal(relatedKeys('nothing:1', view).size, 0);
});
