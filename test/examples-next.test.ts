// The staged examples (examples/next/, internet sockets on loopback) hold on Linux: every expect,
// recorded on Linux 6.18, matches on a fresh run. They wait there, apart from examples/*.json
// (which both kernels must pass and the playground offers), until the simulated kernel models TCP
// and UDP; then they move up, and test/differential/scripts.test.ts takes them over.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { linuxBackend } from '../src/linux/index.ts';
import { parseScriptText } from '../src/script/parse.ts';
import { runScript } from '../src/script/run.ts';
import { formatScriptTextForm, parseScriptTextForm } from '../src/script/text.ts';
import type { JsonObject } from '../src/script/values.ts';
import './linux/helpers.ts';

const DIR = 'examples/next';
const scripts = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(f: string): JsonObject {
  return JSON.parse(readFileSync(join(DIR, f), 'utf8')) as JsonObject;
}

test('the_staged_examples_follow_the_published_ones_in_number_and_have_a_name_source_and_notes', () => {
  const published = readdirSync('examples')
    .filter((f) => f.endsWith('.json'))
    .map((f) => Number(f.slice(0, 2)));
  const numbers = scripts.map((f) => Number(f.slice(0, 2)));
  assert.ok(scripts.length >= 7, `${scripts.length} scripts`);
  for (const f of scripts) assert.match(f, /^\d\d-[a-z0-9-]+\.json$/);
  // Numbered on from the last published example, without gaps, so they move up as they are.
  assert.deepEqual(
    numbers,
    numbers.map((_, i) => Math.max(...published) + 1 + i),
  );
  for (const f of scripts) {
    const doc = load(f);
    for (const key of ['name', 'source', 'notes'] as const) {
      assert.equal(typeof doc[key], 'string', `${f}: ${key}`);
    }
    assert.ok((doc.notes as string).length > 200, `${f}: the notes say why Linux does it`);
    assert.doesNotMatch(doc.notes as string, /TODO/, `${f}: notes written`);
  }
});

test('every_staged_example_step_but_a_thread_start_has_an_expect', () => {
  for (const f of scripts) {
    const steps = load(f).steps as JsonObject[];
    const missing = steps
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.thread === undefined && s.expect === undefined)
      .map(({ s, i }) => `step ${i} (${String(s.call)})`);
    assert.deepEqual(missing, [], f);
  }
});

test('every_staged_example_round_trips_through_the_text_form', () => {
  for (const f of scripts) {
    const doc = load(f);
    const form = formatScriptTextForm(doc);
    assert.deepStrictEqual(parseScriptTextForm(form), doc, `${f}: JSON → text → JSON`);
  }
});

for (const f of scripts) {
  test(`linux ${DIR}/${f}`, async () => {
    const report = await runScript(parseScriptText(readFileSync(join(DIR, f), 'utf8')), linuxBackend);
    assert.equal(report.failure, undefined, report.failure?.message);
    const bad = report.outcomes.filter((o) => o.ok === false);
    assert.deepEqual(
      bad.map(
        (o) => `step ${o.step}: expected ${JSON.stringify(o.expected)}, got ${JSON.stringify(o.result)}`,
      ),
      [],
    );
    // Every step ran and was compared: a run that stopped early would leave some out.
    const steps = load(f).steps as JsonObject[];
    assert.equal(report.outcomes.length, steps.length);
  });
}
