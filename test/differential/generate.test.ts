// The script generator (src/fuzz/generate.ts), on the simulated kernel only: every script it makes
// is valid, never blocks forever (every thread it starts is woken and joined), keeps its names
// bound, and uses only the features it is given.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ALL_FEATURES, type Feature } from '../../src/fuzz/features.ts';
import { buildScript, scriptArbitrary } from '../../src/fuzz/generate.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { type JsonObject, parseScript, runScript } from '../../src/script/index.ts';

const SEED = 20251124;

type Step = { call: string; args?: unknown[]; thread?: string };
const stepsOf = (doc: JsonObject) => doc.steps as Step[];

describe('generator', () => {
  test('every_generated_script_runs_to_its_end_on_the_simulated_kernel', async () => {
    const failures: string[] = [];
    for (const doc of fc.sample(scriptArbitrary(), { seed: SEED, numRuns: 300 })) {
      const report = await runScript(parseScript(doc), simBackend);
      if (report.failure && report.failure.kind !== 'unsupported') {
        failures.push(`${report.failure.kind} at step ${report.failure.step}: ${report.failure.message}`);
      }
    }
    // Unbound names would mean the generator bound a name to a call that can fail.
    assert.deepEqual(failures, []);
  });

  test('every_thread_started_is_joined_after_a_step_that_can_wake_it', () => {
    for (const doc of fc.sample(scriptArbitrary(), { seed: SEED + 1, numRuns: 500 })) {
      const running = new Set<string>();
      for (const s of stepsOf(doc)) {
        if (s.thread) running.add(s.thread);
        if (s.call === 'join') running.delete(String(s.args?.[0]));
      }
      assert.deepEqual([...running], [], JSON.stringify(doc));
    }
  });

  test('the_main_thread_never_makes_a_call_that_can_wait', () => {
    for (const doc of fc.sample(scriptArbitrary(), { seed: SEED + 2, numRuns: 500 })) {
      for (const s of stepsOf(doc)) {
        if (s.thread) continue;
        if (s.call === 'epoll_wait' || s.call === 'poll') assert.ok(Number(s.args?.at(-1)) >= 0);
        if (s.call === 'select') assert.notEqual(s.args?.[4], null);
      }
    }
  });

  test('a_script_uses_only_the_features_it_is_given', () => {
    const only: Feature[] = ['pipe', 'epoll', 'bad-fds'];
    const allowed = new Set([
      'pipe2',
      'epoll_create1',
      'epoll_create',
      'epoll_ctl',
      'epoll_wait',
      'read',
      'write',
      'close',
    ]);
    for (const doc of fc.sample(scriptArbitrary({ features: only }), { seed: SEED + 3, numRuns: 300 })) {
      for (const s of stepsOf(doc))
        assert.ok(allowed.has(s.call), `${s.call} with features ${only.join(',')}`);
    }
  });

  test('every_feature_alone_makes_valid_scripts', () => {
    for (const f of ALL_FEATURES) {
      for (const doc of fc.sample(scriptArbitrary({ features: [f] }), { seed: SEED + 4, numRuns: 20 }))
        parseScript(doc);
    }
  });

  test('an_empty_action_list_is_an_empty_script', () => {
    assert.deepEqual(buildScript([]).steps, []);
  });
});
