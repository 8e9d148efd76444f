// Differential fuzzing in CI: random scripts (src/fuzz/generate.ts) from a fixed seed give the same
// results on the simulated kernel and on Linux. A difference is shrunk and saved as
// test/conformance/fuzz-<seed>-<n>.json (with Linux's expects), and the test fails naming the seed
// and how to run the session again.
//
// Cost: a Linux run is dominated by starting its child process (about 0.4 s; the warm backend
// starts the next one while the current script runs), plus 50 ms per thread start. 300 runs take
// about 2 minutes on the idle 2-core machine (measured: 250 in 94 s), under 4 when it is loaded.
// IOMUX_FUZZ_RUNS and IOMUX_FUZZ_SEED override both.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { detectFeatures } from '../../src/fuzz/features.ts';
import { fuzz } from '../../src/fuzz/property.ts';
import { report } from '../../src/fuzz/report.ts';
import { warmBackend } from '../../src/fuzz/warm.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { linuxBackend, linuxUnavailableReason } from '../../src/linux/index.ts';

const SEED = Number(process.env.IOMUX_FUZZ_SEED ?? 1124);
const RUNS = Number(process.env.IOMUX_FUZZ_RUNS ?? 300);
const SAVE_DIR = fileURLToPath(new URL('../conformance/', import.meta.url));

test('random_scripts_give_the_same_results_on_the_simulated_kernel_and_linux', {
  skip: linuxUnavailableReason() ?? false,
  timeout: 15 * 60_000,
}, async (t) => {
  const detection = await detectFeatures(simBackend);
  for (const [f, why] of detection.missing) t.diagnostic(`feature ${f} left out: ${why}`);
  const linux = warmBackend(linuxBackend, 1);
  let summary: Awaited<ReturnType<typeof fuzz>>;
  try {
    summary = await fuzz({
      seed: SEED,
      runs: RUNS,
      features: detection.supported,
      sim: simBackend,
      linux,
      saveDir: SAVE_DIR,
      shrinkBudgetMs: 45_000,
      maxShrink: 2,
    });
  } finally {
    await linux.dispose();
  }
  const text = report(summary);
  t.diagnostic(text);
  const c = summary.counts;
  assert.equal(
    c.difference + c.flaky + c.error,
    0,
    `differential fuzzing, seed ${SEED}: the simulated kernel and Linux differ\n${text}\n` +
      `run again with: npm run fuzz -- --seed ${SEED} --runs ${RUNS}`,
  );
});
