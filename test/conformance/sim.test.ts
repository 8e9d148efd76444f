// The conformance suite and the examples on the simulated kernel: every `expect` (recorded on
// Linux) must hold, except the steps test/conformance/known-differences.json lists with a
// reason. An undocumented difference fails; so does a listed one that no longer differs (the
// list must stay true).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { simBackend } from '../../src/kernel/index.ts';
import { parseScriptText } from '../../src/script/parse.ts';
import { runScript } from '../../src/script/run.ts';

interface KnownDifference {
  script: string;
  step: number;
  reason: string;
}

const known: KnownDifference[] = JSON.parse(readFileSync('test/conformance/known-differences.json', 'utf8'));

const scripts = ['examples', 'test/conformance'].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'known-differences.json')
    .sort()
    .map((f) => join(dir, f)),
);

test('known_differences_each_name_a_script_a_step_and_a_reason', () => {
  for (const d of known) {
    assert.ok(
      scripts.some((s) => basename(s) === basename(d.script)),
      `no script ${d.script}`,
    );
    assert.ok(Number.isInteger(d.step) && d.step >= 0, `step of ${d.script}`);
    assert.ok(typeof d.reason === 'string' && d.reason.length > 10, `reason for ${d.script} step ${d.step}`);
  }
});

for (const path of scripts) {
  test(`conformance ${path}`, async () => {
    const script = parseScriptText(readFileSync(path, 'utf8'));
    const report = await runScript(script, simBackend);
    assert.equal(
      report.failure,
      undefined,
      report.failure && `step ${report.failure.step}: ${report.failure.message}`,
    );
    const expectedDiffs = known
      .filter((d) => basename(d.script) === basename(path))
      .map((d) => d.step)
      .sort((a, b) => a - b);
    const mismatches = report.outcomes.filter((o) => o.ok === false);
    const detail = mismatches
      .map(
        (o) =>
          `step ${o.step} ${o.call}: expected ${JSON.stringify(o.expected)}, got ${JSON.stringify(o.result)}`,
      )
      .join('\n');
    assert.deepEqual(
      mismatches.map((o) => o.step),
      expectedDiffs,
      detail || 'a listed known difference no longer differs: remove it from known-differences.json',
    );
  });
}
