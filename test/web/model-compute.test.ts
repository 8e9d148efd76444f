// The page's worker computes the same trace as `iomux trace --json` (docs/trace-format.md): the
// same kernel at every step, the same events and change lines, the same results.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { rebuildSnapshot, type StoredTrace } from '../../src/index.ts';
import { traceOfExample } from './model-helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the_pages_trace_is_the_cli_trace_of_the_same_script', async () => {
  const file = '11-epollexclusive-two-epolls.json';
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'trace', `examples/${file}`, '--json'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const cli = JSON.parse(r.stdout) as StoredTrace & {
    format: string;
    version: number;
    keyframeInterval: number;
    failure: unknown;
    steps: { result: unknown; events: unknown; changes: unknown }[];
  };
  const page = await traceOfExample(file);
  assert.equal(page.format, cli.format);
  assert.equal(page.version, cli.version);
  assert.equal(page.keyframeInterval, cli.keyframeInterval);
  assert.deepEqual(page.failure, cli.failure);
  assert.equal(page.steps.length, cli.steps.length);
  assert.deepEqual(page.initial, cli.initial);
  for (let i = 0; i < cli.steps.length; i++) {
    assert.deepEqual(page.steps[i].result, cli.steps[i].result, `step ${i} result`);
    assert.deepEqual(page.steps[i].events, cli.steps[i].events, `step ${i} events`);
    assert.deepEqual(page.steps[i].changes, cli.steps[i].changes, `step ${i} changes`);
    assert.deepEqual(rebuildSnapshot(page, i), rebuildSnapshot(cli, i), `step ${i} snapshot`);
  }
  assert.equal(page.stopped, null, 'a run that finished has no stopped state');
});
