// The step list and the step panel: labels as the CLI prints calls, the events of a step as
// describeEvent lines, a deadlock's blocked threads, an Unsupported step marked.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  blockedThreads,
  cumulativeCost,
  eventLines,
  snapshotAt,
  stepCount,
  stepLabel,
  stepRows,
} from '../../web/src/model/steps.ts';
import { exampleDoc, stepOf, traceOf, traceOfExample } from './model-helpers.ts';

test('step_rows_label_each_call_as_written_and_mark_expectations', async () => {
  const file = '04-lt-vs-et-partial-read.json';
  const doc = exampleDoc(file);
  const trace = await traceOfExample(file);
  const rows = stepRows(trace, doc);
  assert.equal(rows.length, (doc.steps as unknown[]).length);
  assert.equal(stepCount(trace), rows.length);
  const ctl = stepOf(doc, 'epoll_ctl', '$et_r');
  assert.equal(rows[ctl].label, 'epoll_ctl($ep, EPOLL_CTL_ADD, $et_r, {events: EPOLLIN|EPOLLET, data: 2})');
  assert.equal(rows[ctl].status, 'ok');
  assert.equal(rows[0].status, 'plain');
  assert.equal(
    stepLabel({ call: 'epoll_wait', thread: 't1', args: ['$ep', 1, -1] }),
    '[t1] epoll_wait($ep, 1, -1)',
  );
  assert.equal(stepLabel({ call: 'join', args: ['t1'] }), 'join(t1)');
});

test('a_steps_events_are_its_kernel_events_in_order', async () => {
  const file = '04-lt-vs-et-partial-read.json';
  const doc = exampleDoc(file);
  const trace = await traceOfExample(file);
  const lines = eventLines(trace, stepOf(doc, 'write', '$lt_w'));
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  // Named as the script names them: $lt_r, $ep (trace format 2.1's step names).
  assert.ok(at(/^pipe_write: wake_up\(rd_wait of pipe\(\$lt_r/) >= 0, lines.join('\n'));
  assert.ok(at(/^pipe_write: wake_up/) < at(/ep_poll_callback\(\$lt_r/));
  assert.ok(at(/ep_poll_callback/) < at(/ready list of \$ep \(fd \d+\) \+= \$lt_r/));
});

test('a_deadlock_lists_each_blocked_thread_and_its_call_and_shows_the_kernel_as_it_stopped', async () => {
  const trace = await traceOf({
    steps: [
      { call: 'pipe', bind: ['r', 'w'] },
      { call: 'read', args: ['$r', 1], thread: 'reader' },
      { call: 'read', args: ['$r', 1] },
    ],
  });
  assert.equal(trace.failure?.kind, 'blocks-forever');
  assert.equal(trace.failure?.step, 2);
  const rows = stepRows(trace, null);
  assert.equal(rows.length, 3);
  assert.equal(rows[2].status, 'blocked');
  const blocked = blockedThreads(trace);
  assert.deepEqual(
    blocked.map((b) => b.name),
    ['main', 'reader'].filter((n) => blocked.some((b) => b.name === n)),
  );
  assert.ok(blocked.length >= 2, JSON.stringify(blocked));
  for (const b of blocked) assert.match(b.call, /^read/);
  // The last row shows the kernel as it stopped: the threads still blocked.
  const snap = snapshotAt(trace, 2);
  assert.ok(snap.processes[0].threads.filter((t) => t.state === 'blocked').length >= 2);
});

test('an_unsupported_call_marks_its_step', async () => {
  const trace = await traceOf({
    steps: [
      { call: 'pipe', bind: ['r', 'w'] },
      { call: 'open', args: ['tmpfile', 'O_WRONLY|O_RDWR'] },
    ],
  });
  assert.equal(trace.failure?.kind, 'unsupported', JSON.stringify(trace.failure));
  const rows = stepRows(trace, null);
  assert.equal(rows.at(-1)?.status, 'unsupported');
  assert.equal(rows.at(-1)?.index, 1);
  assert.deepEqual(blockedThreads(trace), []);
});

test('the_cost_so_far_is_the_sum_of_every_step_up_to_this_one', async () => {
  const file = '04-lt-vs-et-partial-read.json';
  const trace = await traceOfExample(file);
  const last = trace.steps.length - 1;
  const total = cumulativeCost(trace, last);
  const syscalls = trace.steps.reduce((n, s) => n + (s.cost.syscalls ?? 0), 0);
  assert.equal(total.syscalls, syscalls);
  assert.ok(syscalls > 0);
  assert.deepEqual(cumulativeCost(trace, 0), trace.steps[0].cost);
});
