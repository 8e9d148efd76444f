// `npm run fuzz -- --api --calls N [--seed S]`: the API fuzzer (api.ts) from the command line.
// Prints the seed, progress, then `N calls, F failures`, and each failure's shrunk script.
//
// Exit status: 0 no failure; 1 a failure; 2 a usage error.

import { parseArgs } from 'node:util';
import { formatFailure, fuzzApi } from './api.ts';

const OPTIONS = {
  api: { type: 'boolean' },
  calls: { type: 'string' },
  seed: { type: 'string' },
  'max-actions': { type: 'string' },
  'max-failures': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

export const API_USAGE = `usage: npm run fuzz -- --api [options]

Random system calls with hostile arguments on the simulated kernel, its invariants checked after
every call (src/fuzz/api.ts). A failure is shrunk and printed as a syscall script.

options:
  --calls N          how many system calls to make (default 100000)
  --seed S           the seed (default: a random one, printed); batch b uses S + b
  --max-actions N    actions per run, at most (default 120)
  --max-failures N   stop after N failures (default 5)
  --quiet            print only the summary and failures
  --help             show this help`;

function count(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`--${name}: expected a non-negative integer, got "${v}"`);
  return n;
}

export async function apiMain(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];
  let calls: number;
  let seed: number;
  let maxActions: number;
  let maxFailures: number;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
    calls = count(values.calls, 'calls', 100_000);
    seed = count(values.seed, 'seed', Math.floor(Math.random() * 2 ** 31));
    maxActions = count(values['max-actions'], 'max-actions', 120);
    maxFailures = count(values['max-failures'], 'max-failures', 5);
  } catch (e) {
    process.stderr.write(`fuzz: ${(e as Error).message}\n\n${API_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(API_USAGE);
    return 0;
  }
  out(`fuzz --api: seed ${seed}, ${calls} calls`);
  const started = Date.now();
  let lastReport = 0;
  const summary = await fuzzApi({
    seed,
    calls,
    maxActions,
    maxFailures,
    onBatch: (p) => {
      if (values.quiet || p.calls - lastReport < 50_000) return;
      lastReport = p.calls;
      out(
        `  ${p.calls} calls, ${p.runs} runs, ${p.failures} failures (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
    },
  });
  for (const f of summary.failures) out(`\n${formatFailure(f)}`);
  out(
    `${summary.calls} calls, ${summary.failures.length} failures (seed ${seed}, ${summary.runs} runs, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return summary.failures.length > 0 ? 1 : 0;
}
