// The runner call `blocked` (format v1.1, "Runner calls"): is the call started on a thread still
// waiting? Checked statically like join, answered after the grace a thread start gets.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend } from '../../src/api/backend.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { linuxBackend, linuxUnavailableReason } from '../../src/linux/index.ts';
import { renderCall } from '../../src/script/output.ts';
import { parseScript, ScriptError } from '../../src/script/parse.ts';
import { exitStatus, runScript } from '../../src/script/run.ts';
import { parseScriptTextForm } from '../../src/script/text.ts';

const pipe = { call: 'pipe', bind: ['r', 'w'] };

function malformed(steps: unknown[]): ScriptError {
  try {
    parseScript({ steps });
  } catch (e) {
    if (e instanceof ScriptError) return e;
    throw e;
  }
  assert.fail('the script parsed');
}

/** Two readers of one pipe: a byte wakes both, one takes it and the other waits again. */
const readers = parseScriptTextForm(`
[r, w] = pipe()
@t1 read($r, 1)
@t2 read($r, 1)
blocked(t1) -> 1
blocked(t2) -> 1
write($w, "a") -> 1
blocked(t1)
blocked(t2)
write($w, "b") -> 1
blocked(t1) -> 0
blocked(t2) -> 0
join(t1) -> 1
join(t2) -> 1
`);

describe('blocked: static checks', () => {
  test('blocked_needs_a_started_unjoined_call', () => {
    assert.match(
      malformed([pipe, { call: 'blocked', args: ['t1'] }]).message,
      /^step 1 \(blocked\): blocked asks about an unknown thread "t1"/,
    );
    const joined = [pipe, { call: 'read', thread: 't1', args: ['$r', 1] }, { call: 'join', args: ['t1'] }];
    assert.match(
      malformed([...joined, { call: 'blocked', args: ['t1'] }]).message,
      /^step 3 \(blocked\): thread "t1" has no call to ask about \(its last call was already joined\)/,
    );
    const started = [pipe, { call: 'read', thread: 't1', args: ['$r', 1] }];
    assert.match(
      malformed([...started, { call: 'blocked', args: ['t1'], thread: 't2' }]).message,
      /blocked runs on the main thread/,
    );
    assert.match(malformed([...started, { call: 'blocked', args: ['t1'], bind: 'x' }]).message, /bind/);
    assert.match(malformed([...started, { call: 'blocked', args: [] }]).message, /blocked takes 1 argument/);
    assert.match(
      malformed([...started, { call: 'blocked', args: ['t1'], expect: { ret: 1, data: 'x' } }]).message,
      /step 2 \(blocked\): .*data/,
    );
    assert.match(malformed([...started, { call: 'blockd', args: ['t1'] }]).message, /did you mean "blocked"/);
  });

  test('a_blocked_step_reads_and_renders_as_a_call', () => {
    const s = parseScript({
      steps: [pipe, { call: 'read', thread: 't1', args: ['$r', 1] }, { call: 'blocked', args: ['t1'] }],
    });
    assert.equal(s.steps[2].call, 'blocked');
    assert.equal(s.steps[2].shape, 'ret');
    assert.equal(renderCall(s.steps[2]), 'blocked(t1)');
  });
});

const linuxSkip = linuxUnavailableReason() ?? false;

for (const [backend, skip] of [
  [simBackend, false],
  [linuxBackend, linuxSkip],
] as [Backend, string | false][]) {
  describe(`blocked on ${backend.name}`, { skip }, () => {
    test('ret_1_while_waiting_0_once_returned_and_join_still_has_the_result', async () => {
      const report = await runScript(parseScript(readers), backend);
      assert.equal(report.failure, undefined);
      assert.equal(exitStatus(report), 0, JSON.stringify(report.outcomes));
      // After one byte: exactly one reader has returned (whichever the kernel woke and ran first).
      const after = [report.outcomes[6].result.ret, report.outcomes[7].result.ret].sort();
      assert.deepEqual(after, [0, 1]);
    });

    test('a_call_that_never_blocked_is_not_blocked', async () => {
      const s = parseScript(
        parseScriptTextForm(`
[r, w] = pipe2(O_NONBLOCK)
@t read($r, 1)
blocked(t) -> 0
join(t) -> EAGAIN
`),
      );
      const report = await runScript(s, backend);
      assert.equal(exitStatus(report), 0, JSON.stringify(report));
      assert.deepEqual(report.outcomes[1].result, { blocked: false });
    });
  });
}
