import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareRuns, diffScript } from '../../src/script/diff.ts';
import { parseScript, parseScriptText } from '../../src/script/parse.ts';
import { compactData, formatScriptJson, recordScript } from '../../src/script/record.ts';
import { exitStatus, type RunReport, runScript } from '../../src/script/run.ts';
import { stableResult } from '../../src/script/stable.ts';
import { FakeBackend } from './fake-backend.ts';

const pipe = { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] };

describe('record', () => {
  test('record_fills_every_expect_from_the_results', async () => {
    const script = parseScript({
      name: 'n',
      notes: 'kept',
      steps: [
        pipe,
        { call: 'write', args: ['$w', 'hey'], expect: { ret: 99 }, note: 'kept too' },
        { call: 'read', thread: 't', args: ['$r', 8] },
        { call: 'join', args: ['t'] },
        { call: 'close', args: [99] },
      ],
    });
    const { document, report } = await recordScript(script, new FakeBackend({ name: 'linux' }));
    assert.equal(report.failure, undefined);
    assert.deepEqual(document, {
      name: 'n',
      notes: 'kept',
      steps: [
        { ...pipe, expect: { ret: 0, fds: ['r', 'w'] } },
        // An existing expect is replaced where it was: the author's key order stays.
        { call: 'write', args: ['$w', 'hey'], expect: { ret: 3 }, note: 'kept too' },
        // A thread start gets no expect; its join does.
        { call: 'read', thread: 't', args: ['$r', 8] },
        { call: 'join', args: ['t'], expect: { ret: 3, data: 'hey' } },
        { call: 'close', args: [99], expect: { errno: 'EBADF' } },
      ],
    });
  });

  test('a_recorded_script_passes_on_the_backend_it_was_recorded_on', async () => {
    const backend = new FakeBackend({ name: 'linux' });
    const script = parseScript({
      steps: [
        pipe,
        { call: 'write', args: ['$w', { fill: 'ab', len: 100 }] },
        { call: 'read', args: ['$r', 200] },
        { call: 'select', args: ['max+1', ['$r'], ['$w'], null, { sec: 5, usec: 0 }] },
        { call: 'epoll_create1', args: [0], bind: 'ep' },
      ],
    });
    const { document } = await recordScript(script, backend);
    assert.ok(document);
    const again = parseScriptText(formatScriptJson(document));
    const report = await runScript(again, backend);
    assert.equal(exitStatus(report), 0);
    assert.equal(report.outcomes.filter((o) => o.ok === true).length, 5);
  });

  test('record_leaves_out_a_select_timeout_that_depends_on_timing', async () => {
    const script = parseScript({
      steps: [
        pipe,
        // Ready at once with a 5 s timeout: Linux writes back "5 s minus the time it took".
        { call: 'select', args: ['max+1', null, ['$w'], null, { sec: 5, usec: 0 }] },
        { call: 'select', args: ['max+1', null, ['$w'], null, { sec: 0, usec: 0 }] },
        { call: 'select', args: ['max+1', ['$r'], null, null, { sec: 0, usec: 1000 }] },
        { call: 'select', args: ['max+1', null, ['$w'], null, null] },
      ],
    });
    const { document } = await recordScript(script, new FakeBackend({ name: 'linux' }));
    assert.ok(document);
    const expects = (document.steps as { expect: Record<string, unknown> }[]).map((s) => s.expect);
    assert.equal('timeout' in expects[1], false, 'mid-wait remainder is not recorded');
    assert.deepEqual(expects[2].timeout, { sec: 0, usec: 0 }, 'a zero timeout is deterministic');
    assert.deepEqual(expects[3].timeout, { sec: 0, usec: 0 }, 'a timed-out call leaves zero');
    assert.equal(expects[4].timeout, null, 'a null timeout stays null');
  });

  test('record_writes_nothing_for_a_run_that_did_not_finish', async () => {
    const script = parseScript({
      steps: [
        { call: 'pipe', bind: ['r', 'w'] },
        { call: 'read', args: ['$r', 1] },
      ],
    });
    const { document, report } = await recordScript(script, new FakeBackend({ name: 'linux' }));
    assert.equal(document, undefined);
    assert.equal(report.failure?.kind, 'blocks-forever');
  });

  test('long_repeated_data_is_recorded_as_fill', () => {
    assert.deepEqual(compactData('x'.repeat(70000)), { fill: 'x', len: 70000 });
    assert.deepEqual(compactData('ab'.repeat(40)), { fill: 'ab', len: 80 });
    assert.deepEqual(compactData('abc'.repeat(30).slice(0, 88)), { fill: 'abc', len: 88 });
    assert.equal(compactData('short'), 'short');
    const varied = Array.from({ length: 100 }, (_, i) => String.fromCharCode(i)).join('');
    assert.equal(compactData(varied), varied);
  });

  test('recorded_scripts_have_one_step_per_line', () => {
    const text = formatScriptJson({
      name: 'x',
      meta: { a: [1, 2] },
      steps: [
        { call: 'pipe', bind: ['r', 'w'], expect: { ret: 0 } },
        { call: 'close', args: ['$r'] },
      ],
    });
    assert.equal(
      text,
      [
        '{',
        '  "name": "x",',
        '  "meta": {',
        '    "a": [',
        '      1,',
        '      2',
        '    ]',
        '  },',
        '  "steps": [',
        '    {"call": "pipe", "bind": ["r", "w"], "expect": {"ret": 0}},',
        '    {"call": "close", "args": ["$r"]}',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
    assert.equal(formatScriptJson({ steps: [] }), '{\n  "steps": []\n}\n');
  });
});

describe('stable results', () => {
  const script = parseScript({
    steps: [
      { call: 'timerfd_create', args: ['CLOCK_MONOTONIC', 0], bind: 't' },
      { call: 'timerfd_gettime', args: ['$t'] },
      { call: 'read', thread: 'x', args: ['$t', 8] },
    ],
  });
  const zero = { sec: 0, nsec: 0 };

  test('an_armed_timer_value_is_timing_dependent', () => {
    const armed = { ret: 0, value: { interval: zero, value: { sec: 0, nsec: 999_000 } } };
    assert.deepEqual(stableResult(script, script.steps[1], armed), { ret: 0 });
    const disarmed = { ret: 0, value: { interval: zero, value: zero } };
    assert.deepEqual(stableResult(script, script.steps[1], disarmed), disarmed);
  });

  test('a_thread_start_has_no_stable_result', () => {
    assert.equal(stableResult(script, script.steps[2], { blocked: true }), undefined);
  });

  test('an_error_is_always_stable', () => {
    assert.deepEqual(stableResult(script, script.steps[1], { errno: 'EBADF' }), { errno: 'EBADF' });
  });
});

describe('diff', () => {
  const steps = [
    pipe,
    { call: 'epoll_create1', args: [0], bind: 'ep' },
    { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$w', { events: 'EPOLLOUT', data: 1 }] },
    { call: 'epoll_wait', args: ['$ep', 8, 0] },
    { call: 'select', args: ['max+1', null, ['$w'], null, { sec: 9, usec: 0 }] },
    { call: 'read', thread: 't', args: ['$r', 1] },
    { call: 'join', args: ['t'] },
  ];

  test('identical_backends_show_no_difference', async () => {
    const report = await diffScript(
      parseScript({ steps }),
      new FakeBackend(),
      new FakeBackend({ name: 'linux' }),
    );
    assert.deepEqual(report.differences, []);
  });

  test('a_differing_mask_is_shown_at_its_step', async () => {
    const report = await diffScript(
      parseScript({ steps }),
      new FakeBackend(),
      new FakeBackend({ name: 'linux', epollExtra: 0x100 }),
    );
    assert.deepEqual(report.differences, [
      {
        step: 3,
        call: 'epoll_wait',
        a: { result: { ret: 1, events: [{ events: 'EPOLLOUT', data: 1 }] } },
        b: { result: { ret: 1, events: [{ events: 'EPOLLOUT|EPOLLWRNORM', data: 1 }] } },
      },
    ]);
  });

  test('a_run_that_stops_differs_from_one_that_goes_on', () => {
    const script = parseScript({
      steps: [pipe, { call: 'read', args: ['$r', 1] }, { call: 'close', args: ['$r'] }],
    });
    const finished: RunReport = {
      backend: 'linux',
      outcomes: [
        { step: 0, call: 'pipe2', result: { ret: 0, fds: ['r', 'w'] } },
        { step: 1, call: 'read', result: { errno: 'EAGAIN' } },
        { step: 2, call: 'close', result: { ret: 0 } },
      ],
    };
    const stopped: RunReport = {
      backend: 'sim',
      outcomes: finished.outcomes.slice(0, 1),
      failure: { step: 1, call: 'read', kind: 'blocks-forever', message: 'blocks forever: deadlock' },
    };
    assert.deepEqual(compareRuns(script, stopped, finished), [
      {
        step: 1,
        call: 'read',
        a: { stopped: 'blocks-forever', message: 'blocks forever: deadlock' },
        b: { result: { errno: 'EAGAIN' } },
      },
      { step: 2, call: 'close', a: { notReached: true }, b: { result: { ret: 0 } } },
    ]);
    const alsoStopped: RunReport = {
      ...stopped,
      failure: { ...stopped.failure!, message: 'timed out after 5 s' },
    };
    assert.deepEqual(
      compareRuns(script, stopped, alsoStopped),
      [],
      'the same stop, worded differently, is no difference',
    );
  });

  test('a_backend_that_cannot_start_differs', async () => {
    const report = await diffScript(
      parseScript({ steps: [pipe] }),
      new FakeBackend(),
      new FakeBackend({ name: 'linux', failCreate: true }),
    );
    assert.equal(report.differences.length, 2);
    assert.deepEqual(report.differences[0].b, { notReached: true });
    assert.equal(report.differences[1].step, 1);
    assert.deepEqual(report.differences[1].a, { result: {} });
  });
});
