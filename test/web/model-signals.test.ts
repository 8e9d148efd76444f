// The kernel panel's signal state: masks, pending sets, dispositions and signalfds read from the
// snapshot with signals named; a step highlights the thread's or the process's signal box only
// when that state changed; both boxes open in the inspector and point at what they relate to.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedKeys } from '../../web/src/model/changes.ts';
import { kernelView } from '../../web/src/model/kernel.ts';
import { pickIn } from '../../web/src/model/pick.ts';
import { relatedKeys } from '../../web/src/model/related.ts';
import { saFlagNames } from '../../web/src/model/signals.ts';
import { snapshotAt } from '../../web/src/model/steps.ts';
import { exampleDoc, stepOf, traceOfExample } from './model-helpers.ts';

const RACE = '23-pselect-race.json';
const SIGNALFD = '24-signalfd-event-loop.json';

async function at(file: string, call: string, needle = '', nth = 0) {
  const doc = exampleDoc(file);
  const trace = await traceOfExample(file);
  const steps = doc.steps as { call: string; args?: unknown[] }[];
  let i = stepOf(doc, call, needle);
  for (let n = 0; n < nth; n++)
    i = steps.findIndex((s, j) => j > i && s.call === call && JSON.stringify(s.args ?? []).includes(needle));
  const before = i === 0 ? trace.initial : snapshotAt(trace, i - 1);
  const after = snapshotAt(trace, i);
  return { view: kernelView(after), keys: changedKeys(before, after), i };
}

test('sigprocmask highlights the thread signal box and not the process one', async () => {
  const { view, keys } = await at(RACE, 'sigprocmask', 'SIGUSR1');
  const main = view.signals[0].threads.find((t) => t.name === 'main')!;
  assert.deepEqual(main.blocked, ['SIGUSR1']);
  assert.ok(keys.has(`tsig:${main.id}`));
  assert.equal(keys.has(`sig:${view.signals[0].pid}`), false);
});

test('a kill while the signal is blocked puts it on the shared pending set and highlights the process box', async () => {
  const { view, keys } = await at(RACE, 'kill', 'SIGUSR1', 1);
  const p = view.signals[0];
  assert.deepEqual(p.sharedPending, ['SIGUSR1']);
  assert.deepEqual(p.threads.find((t) => t.name === 'main')?.pending, []);
  assert.ok(keys.has(`sig:${p.pid}`));
  // The handler has run once (the first kill), and the dispositions are named.
  assert.deepEqual(p.caught, [{ sig: 'SIGUSR1', count: 1 }]);
  assert.deepEqual(
    p.actions.map((a) => `${a.sig} ${a.handler}`),
    ['SIGUSR1 catch', 'SIGPIPE SIG_IGN'],
  );
});

test('a signalfd shows the signals it reads and those queued for it', async () => {
  const { view } = await at(SIGNALFD, 'kill', 'SIGUSR1');
  const [sfd] = view.signals[0].signalfds;
  assert.deepEqual(sfd.mask, ['SIGUSR1', 'SIGTERM']);
  assert.deepEqual(sfd.queued, ['SIGUSR1']);
  const read = await at(SIGNALFD, 'read_signalfd');
  assert.deepEqual(read.view.signals[0].signalfds[0].queued, []);
});

test('the signal boxes open in the inspector and relate to their thread and signalfds', async () => {
  const { view } = await at(SIGNALFD, 'kill', 'SIGUSR1');
  const p = view.signals[0];
  const main = p.threads.find((t) => t.name === 'main')!;
  assert.equal(pickIn(view, `tsig:${main.id}`)?.title, `signals of thread main (tid ${main.tid})`);
  assert.equal(pickIn(view, `sig:${p.pid}`)?.title, `signals of pid ${p.pid}`);
  assert.equal(pickIn(view, 'sig:999'), null);
  assert.deepEqual([...relatedKeys(`tsig:${main.id}`, view)], [`thread:${main.id}`]);
  assert.deepEqual([...relatedKeys(`sig:${p.pid}`, view)], [`file:${p.signalfds[0].file}`]);
  assert.ok(relatedKeys(`thread:${main.id}`, view).has(`tsig:${main.id}`));
});

test('sa_flags are named, SA_RESETHAND (bit 31) included', () => {
  assert.equal(saFlagNames(0x10000000), 'SA_RESTART');
  assert.equal(saFlagNames(0x80000000 | 0x40000000), 'SA_NODEFER|SA_RESETHAND');
  assert.equal(saFlagNames(0), '');
});

test('the process signalfd_wqh is drawn as a wait queue with the epoll hook a signalfd in an epoll puts there', async () => {
  const { view, keys } = await at(SIGNALFD, 'epoll_ctl', '$sfd');
  const q = view.waitQueues.find((x) => x.name === 'sighand:100.signalfd_wqh');
  assert.ok(q, view.waitQueues.map((x) => x.name).join(', '));
  assert.deepEqual(
    q.entries.map((e) => e.kind),
    ['ep_poll_callback'],
  );
  assert.ok(keys.has(`wq:${q.id}`));
});
