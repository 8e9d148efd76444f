// The internet-socket conformance scripts (test/conformance/inet/, recorded on Linux) hold on
// Linux: every expect matches on a fresh run. They live apart from test/conformance/*.json, which
// the simulated kernel must pass, until the simulated kernel models TCP and UDP.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { linuxBackend } from '../../src/linux/index.ts';
import { parseScriptText } from '../../src/script/parse.ts';
import { runScript } from '../../src/script/run.ts';
import './helpers.ts';

const DIR = 'test/conformance/inet';
const scripts = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('the_inet_conformance_scripts_are_tcp_udp_or_inet6_with_notes', () => {
  assert.ok(scripts.length >= 20, `${scripts.length} scripts`);
  for (const f of scripts) {
    assert.match(f, /^(tcp|udp|inet6)-[a-z0-9-]+\.json$/);
    const doc = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { notes?: unknown };
    assert.ok(typeof doc.notes === 'string' && doc.notes.length > 40, `${f} has notes`);
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
  });
}
