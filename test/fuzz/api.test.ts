// The API fuzzer (src/fuzz/api.ts) in CI: 50 000 calls from a fixed seed find nothing, and a
// bug planted in the kernel is found and shrunk to a short, valid syscall script.
// IOMUX_API_FUZZ_SEED and IOMUX_API_FUZZ_CALLS override the session's seed and size.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFailure, fuzzApi } from '../../src/fuzz/api.ts';
import { getFile } from '../../src/kernel/file.ts';
import { SimSyscalls } from '../../src/kernel/system.ts';

const SEED = Number(process.env.IOMUX_API_FUZZ_SEED ?? 20261202);
const CALLS = Number(process.env.IOMUX_API_FUZZ_CALLS ?? 50_000);

test('fifty_thousand_hostile_calls_break_no_invariant_and_leave_nothing_behind', async (t) => {
  const started = performance.now();
  const summary = await fuzzApi({ seed: SEED, calls: CALLS, maxFailures: 1 });
  const seconds = (performance.now() - started) / 1000;
  assert.deepEqual(
    summary.failures.map(formatFailure),
    [],
    `repeat with: npm run fuzz -- --api --seed ${SEED} --calls ${CALLS}`,
  );
  assert.ok(summary.calls >= CALLS, `${summary.calls} calls made`);
  // About 5 s on an idle core, 15 s on a busy one (measured); no assertion, so a loaded machine
  // cannot make it flaky.
  t.diagnostic(`${summary.calls} calls in ${summary.runs} runs, ${seconds.toFixed(1)} s`);
});

test('a_planted_reference_leak_in_dup_is_found_and_shrunk_to_a_valid_script', async () => {
  const dup = SimSyscalls.prototype.dup;
  SimSyscalls.prototype.dup = async function (this: SimSyscalls, fd: number) {
    const r = await dup.call(this, fd);
    // The bug: one reference too many on the new descriptor's file.
    if ('ret' in r) getFile(this.thread.proc.fdtable.get(r.ret)!);
    return r;
  };
  try {
    const summary = await fuzzApi({ seed: 1, calls: 20_000, maxFailures: 1 });
    assert.equal(summary.failures.length, 1);
    const [f] = summary.failures;
    assert.match(f.message, /has count \d+, \d+ references exist/);
    assert.equal(f.scriptProblem, null, formatFailure(f));
    const steps = f.script.steps as { call: string }[];
    assert.ok(steps.length <= 2, formatFailure(f));
    assert.equal(steps.at(-1)?.call, 'dup');
  } finally {
    SimSyscalls.prototype.dup = dup;
  }
});

test('a_session_is_reproducible_from_its_seed', async () => {
  const a = await fuzzApi({ seed: 7, calls: 3000 });
  const b = await fuzzApi({ seed: 7, calls: 3000 });
  assert.deepEqual([b.calls, b.runs], [a.calls, a.runs]);
  const c = await fuzzApi({ seed: 8, calls: 3000 });
  assert.notDeepEqual([c.calls, c.runs], [a.calls, a.runs]);
});
