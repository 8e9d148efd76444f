// The Linux comparison's view model: each step's verdict beside the simulated result.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agreement, serverToken } from '../../web/src/model/linux.ts';
import { traceOf } from './model-helpers.ts';

test('steps_agree_when_linux_gives_the_same_result_in_any_key_order', async () => {
  const trace = await traceOf({
    steps: [
      { call: 'pipe', bind: ['r', 'w'] },
      { call: 'write', args: ['$w', 'ab'] },
      { call: 'read', args: ['$r', 8] },
    ],
  });
  const sim = trace.steps.map((s) => s.result);
  const reversed = Object.fromEntries(Object.entries(sim[0]).reverse());
  const verdicts = agreement(trace, {
    steps: [
      { step: 0, result: reversed },
      { step: 1, result: { ret: 1 } },
    ],
    stopped: { step: 2, reason: 'time-out' },
  });
  assert.deepEqual(
    verdicts.map((v) => v.verdict),
    ['same', 'differs', 'missing'],
  );
  assert.deepEqual(verdicts[1].linux, { ret: 1 });
});

test('the_token_comes_from_the_query_string', () => {
  assert.equal(serverToken('?token=abc'), 'abc');
  assert.equal(serverToken(''), null);
});
