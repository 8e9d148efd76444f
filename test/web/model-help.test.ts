// The page's help shows the text form in a few lines: those lines are a script the page accepts
// and runs to its end, every expectation met.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeTrace } from '../../web/src/model/compute.ts';
import { HELP_KEYS, HELP_SYNTAX, helpScript } from '../../web/src/model/help.ts';
import { checkScript, scriptDocOf } from '../../web/src/model/script.ts';

test('the_help_s_syntax_lines_are_a_script_that_runs', async () => {
  const text = helpScript();
  assert.equal(checkScript(text), null);
  const trace = await computeTrace(scriptDocOf(text));
  assert.equal(trace.failure ?? null, null);
  assert.ok(trace.steps.length >= HELP_SYNTAX.length - 1, 'one step per call line');
  assert.ok(
    trace.steps.every((s) => s.ok !== false),
    'every -> expectation is met',
  );
  assert.ok(HELP_SYNTAX.length >= 6 && HELP_SYNTAX.length <= 8, 'the syntax in 6 to 8 lines');
  for (const form of ['#', '] = pipe2(', ' = ', '@', 'join(', '->'])
    assert.ok(
      HELP_SYNTAX.some(([code]) => code.includes(form)),
      `the help shows ${form}`,
    );
  for (const key of ['←', '→', 'Home', 'End', 'Enter'])
    assert.ok(
      HELP_KEYS.some(([k]) => k.includes(key)),
      `the help names ${key}`,
    );
});
