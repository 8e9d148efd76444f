// Signals in the trace: each step's kernel events tell who sent a signal and where it was
// queued (send_signal_locked), which thread complete_signal chose and how signal_wake_up reached
// it, what get_signal / handle_signal did on the way back to user space, what became of the
// interrupted call, and the masks a p* call installs and gives back. Checked on the examples
// and on small scripts; the readable lines on examples/22 and 23.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KernelEvent } from '../../src/kernel/events.ts';
import { describeEvent, diffSnapshots, TraceRecorder } from '../../src/observe/trace.ts';
import { parseScriptText } from '../../src/script/parse.ts';
import { runScript } from '../../src/script/run.ts';

const repo = new URL('../../', import.meta.url).pathname;
const example = (f: string) => readFileSync(join(repo, 'examples', f), 'utf8');

/** The kernel events of every step of a script (as JSON text), and the run's report. */
async function eventsOf(text: string) {
  const recorder = new TraceRecorder();
  const steps: KernelEvent[][] = [];
  const report = await runScript(parseScriptText(text), recorder.backend, {
    onStep: () => {
      steps.push(recorder.take().events);
    },
  });
  // A run that stops (the process killed) reports no outcome for its last step: its events are
  // what the recorder holds still.
  if (report.failure) steps.push(recorder.take().events);
  return { steps, report };
}

const run = (steps: unknown[]) => eventsOf(JSON.stringify({ name: 't', steps }));

/** The signal events of a step, without the wait-queue and scan events between them. */
const SIGNAL_TYPES = new Set([
  'signal_generate',
  'complete_signal',
  'signal_wake_up',
  'signal_deliver',
  'signal_restart',
  'sigmask_set',
  'sigmask_restore',
  'group_exit',
  'errno',
]);
const signalEvents = (events: KernelEvent[]) => events.filter((e) => SIGNAL_TYPES.has(e.type));

const SIGUSR1 = 10;
const SIGUSR2 = 12;
const SIGTERM = 15;
const SIGTSTP = 20;

test('a tgkill to a thread asleep in epoll_wait is queued on its own pending set, chosen by complete_signal and woken by signal_wake_up', async () => {
  const { steps } = await eventsOf(example('22-eintr-even-with-sa-restart.json'));
  const events = steps[5];
  assert.deepEqual(signalEvents(events).slice(0, 3), [
    { type: 'signal_generate', sig: SIGUSR1, from: 'main', to: 'loop', shared: false, result: 'queued' },
    { type: 'complete_signal', sig: SIGUSR1, thread: 'loop', why: 'target' },
    { type: 'signal_wake_up', thread: 'loop', state: 'sleeping' },
  ]);
  // The wake-up the thread sees comes after signal_wake_up, with the reason `signal`.
  const wake = events.findIndex((e) => e.type === 'thread_wake');
  assert.ok(wake > events.findIndex((e) => e.type === 'signal_wake_up'));
  assert.deepEqual(events[wake], { type: 'thread_wake', thread: 'loop', reason: 'signal' });
  // epoll_wait returns EINTR itself (no restart code to decide on); the handler runs after it.
  const deliver = events.find((e) => e.type === 'signal_deliver');
  assert.deepEqual(deliver, {
    type: 'signal_deliver',
    thread: 'loop',
    sig: SIGUSR1,
    action: 'handler',
    blocked: [SIGUSR1],
    restore: [],
    resethand: false,
  });
  assert.equal(
    events.some((e) => e.type === 'signal_restart'),
    false,
  );
});

test('handle_signal restarts a read interrupted under SA_RESTART and the poll it may not restart ends with EINTR', async () => {
  const { steps } = await eventsOf(example('22-eintr-even-with-sa-restart.json'));
  // Step 9: poll's -ERESTART_RESTARTBLOCK with a handler: EINTR, told as the call's errno event.
  const poll = signalEvents(steps[9]);
  assert.equal(
    poll.some((e) => e.type === 'signal_restart'),
    false,
  );
  const eintr = poll.find((e) => e.type === 'errno');
  assert.equal(eintr?.type === 'errno' && `${eintr.fn} ${eintr.errno}`, 'handle_signal EINTR');
  // Step 12: read's -ERESTARTSYS under SA_RESTART: restarted (the thread sleeps in read again).
  const read = steps[12];
  const restart = read.find((e) => e.type === 'signal_restart');
  assert.deepEqual(restart, {
    type: 'signal_restart',
    thread: 'loop',
    fn: 'handle_signal',
    sig: SIGUSR1,
    code: 'ERESTARTSYS',
    decision: 'restart',
  });
  const after = read.slice(read.indexOf(restart!));
  assert.ok(after.some((e) => e.type === 'thread_block' && e.call === 'read'));
  // And the handler's frame gave the mask back (rt_sigreturn) before the restarted read slept.
  assert.ok(read.some((e) => e.type === 'sigmask_restore' && e.fn === 'sigreturn' && e.mask.length === 0));
});

test('a signal sent while every thread blocks it stays pending: complete_signal chooses nobody and wakes nobody', async () => {
  const { steps } = await eventsOf(example('23-pselect-race.json'));
  assert.deepEqual(signalEvents(steps[8]), [
    { type: 'signal_generate', sig: SIGUSR1, from: 'main', to: 'main', shared: true, result: 'queued' },
    { type: 'complete_signal', sig: SIGUSR1, thread: null, why: 'none' },
  ]);
});

test('pselect6 installs its mask with set_user_sigmask and the handler frame it ends in restores the saved one', async () => {
  const { steps } = await eventsOf(example('23-pselect-race.json'));
  const events = signalEvents(steps[10]);
  assert.deepEqual(
    events.map((e) => e.type),
    ['sigmask_set', 'signal_deliver', 'errno', 'sigmask_restore'],
  );
  assert.deepEqual(events[0], { type: 'sigmask_set', thread: 'main', mask: [], saved: [SIGUSR1] });
  // The handler runs under pselect's mask plus its own signal; its frame keeps the saved mask.
  assert.deepEqual(events[1], {
    type: 'signal_deliver',
    thread: 'main',
    sig: SIGUSR1,
    action: 'handler',
    blocked: [SIGUSR1],
    restore: [SIGUSR1],
    resethand: false,
  });
  assert.deepEqual(events[3], { type: 'sigmask_restore', thread: 'main', mask: [SIGUSR1], fn: 'sigreturn' });
});

test('a p* call that returns normally gives its mask back with restore_saved_sigmask', async () => {
  const { steps } = await run([
    { call: 'sigprocmask', args: ['SIG_BLOCK', ['SIGUSR1']] },
    { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
    { call: 'ppoll', args: [[{ fd: '$r', events: 'POLLIN' }], { sec: 0, nsec: 0 }, ['SIGUSR2']] },
  ]);
  assert.deepEqual(signalEvents(steps[2]), [
    { type: 'sigmask_set', thread: 'main', mask: [SIGUSR2], saved: [SIGUSR1] },
    { type: 'sigmask_restore', thread: 'main', mask: [SIGUSR1], fn: 'restore_saved_sigmask' },
  ]);
});

test('a signal the process ignores is dropped by prepare_signal and a standard signal already pending is not queued twice', async () => {
  const { steps } = await run([
    { call: 'sigaction', args: ['SIGUSR2', 'SIG_IGN', 0] },
    { call: 'kill', args: ['SIGUSR2'] },
    { call: 'sigprocmask', args: ['SIG_BLOCK', ['SIGUSR1']] },
    { call: 'kill', args: ['SIGUSR1'] },
    { call: 'kill', args: ['SIGUSR1'] },
  ]);
  assert.deepEqual(signalEvents(steps[1]), [
    { type: 'signal_generate', sig: SIGUSR2, from: 'main', to: 'main', shared: true, result: 'ignored' },
  ]);
  const queued = signalEvents(steps[3])[0];
  assert.equal(queued.type === 'signal_generate' && queued.result, 'queued');
  assert.deepEqual(signalEvents(steps[4]), [
    { type: 'signal_generate', sig: SIGUSR1, from: 'main', to: 'main', shared: true, result: 'pending' },
  ]);
});

test('with no handler to run, get_signal discards a stop signal of an orphaned process group and the poll restarts through its restart block', async () => {
  const { steps } = await run([
    { call: 'pipe', bind: ['r', 'w'] },
    { call: 'poll', args: [[{ fd: '$r', events: 'POLLIN' }], -1], thread: 'loop' },
    { call: 'tgkill', args: ['loop', 'SIGTSTP'] },
    { call: 'blocked', args: ['loop'], expect: { ret: 1 } },
  ]);
  const events = signalEvents(steps[2]);
  assert.deepEqual(
    events.map((e) => e.type),
    ['signal_generate', 'complete_signal', 'signal_wake_up', 'signal_deliver', 'signal_restart'],
  );
  assert.deepEqual(events[3], {
    type: 'signal_deliver',
    thread: 'loop',
    sig: SIGTSTP,
    action: 'default_ignore',
  });
  assert.deepEqual(events[4], {
    type: 'signal_restart',
    thread: 'loop',
    fn: 'arch_do_signal_or_restart',
    sig: null,
    code: 'ERESTART_RESTARTBLOCK',
    decision: 'restart_block',
  });
});

test('SIGTERM at SIG_DFL is fatal at complete_signal: do_group_exit ends the process', async () => {
  const { steps, report } = await run([{ call: 'kill', args: ['SIGTERM'] }]);
  assert.equal(report.failure?.kind, 'killed');
  const events = signalEvents(steps[0]);
  assert.deepEqual(events, [
    { type: 'signal_generate', sig: SIGTERM, from: 'main', to: 'main', shared: true, result: 'queued' },
    { type: 'complete_signal', sig: SIGTERM, thread: 'main', why: 'fatal' },
    { type: 'group_exit', pid: 100, sig: SIGTERM, action: 'term' },
  ]);
});

test('the text trace of examples/22 tells the signal from its sending to the fate of each call', async () => {
  const { steps } = await eventsOf(example('22-eintr-even-with-sa-restart.json'));
  const lines = (i: number) => steps[i].map((e) => describeEvent(e));
  assert.deepEqual(
    lines(5).filter((l) => /signal|TIF_/.test(l)),
    [
      "main sends SIGUSR1 to thread loop: send_signal_locked queues it on loop's pending set",
      '  complete_signal: thread loop takes SIGUSR1 (it does not block it)',
      '  signal_wake_up: TIF_SIGPENDING set on loop, asleep interruptibly: woken',
      'thread loop is woken (signal)',
      '  ep_poll: a signal is pending for the thread → EINTR',
      'loop on its way to user space: get_signal dequeues SIGUSR1; handle_signal runs its handler with [SIGUSR1] blocked (its frame will restore [])',
    ],
  );
  assert.ok(
    lines(12).includes(
      '  handle_signal: a handler ran for SIGUSR1: -ERESTARTSYS under SA_RESTART, so the call is restarted',
    ),
    lines(12).join('\n'),
  );
  assert.ok(lines(12).includes("loop's handler returns: rt_sigreturn restores blocked = []"));
});

test('a change to signal state reads with signals named, not numbers', async () => {
  const recorder = new TraceRecorder();
  const snaps: ReturnType<typeof recorder.take>['snapshot'][] = [];
  await runScript(parseScriptText(example('23-pselect-race.json')), recorder.backend, {
    onStep: () => {
      snaps.push(recorder.take().snapshot);
    },
  });
  const changes = (i: number) =>
    diffSnapshots(i === 0 ? recorder.initial()! : snaps[i - 1], snaps[i]).changes;
  assert.deepEqual(changes(6), ['pid 100 thread main.signal.blocked: [] → [SIGUSR1]']);
  assert.deepEqual(changes(8), ['pid 100.signal.sharedPending: [] → [SIGUSR1]']);
  assert.ok(
    changes(0).includes('pid 100.signal.actions: [SIGPIPE: SIG_IGN] → [SIGUSR1: catch, SIGPIPE: SIG_IGN]'),
    changes(0).join('\n'),
  );
});
