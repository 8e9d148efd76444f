// `npm run fuzz -- --api --calls N [--seed S]`: the API fuzzer (api.ts) from the command line.
// Prints the seed, progress, each failure's shrunk script, then `N calls, F failures`. The options
// live in one table that drives parsing and --help.
//
// Exit status: 0 no failure; 1 a failure; 2 a usage error.

import { formatFailure, fuzzApi } from './api.ts';
import { count, type OptionSpec, optionHelp, parseOptions } from './options.ts';

const OPTIONS = {
  api: { type: 'boolean', help: 'the API fuzzer (this one) rather than the differential one' },
  calls: { type: 'string', value: 'N', default: '100000', help: 'how many system calls to make' },
  seed: { type: 'string', value: 'S', help: 'the seed (default: a random one, printed); batch b uses S + b' },
  'max-actions': { type: 'string', value: 'N', default: '120', help: 'actions per run, at most' },
  'max-failures': { type: 'string', value: 'N', default: '5', help: 'stop after N failures' },
  quiet: { type: 'boolean', help: 'print only the failures and the summary' },
  help: { type: 'boolean', help: 'show this help' },
} as const satisfies Record<string, OptionSpec>;

function usage(): string {
  const lines = [
    'usage: npm run fuzz -- --api [options]',
    '',
    'Random system calls with hostile arguments on the simulated kernel, its invariants checked',
    'after every call (src/fuzz/api.ts). A failure is shrunk and printed as a syscall script.',
    '',
    'options:',
  ];
  lines.push(...optionHelp(OPTIONS, 18));
  return lines.join('\n');
}

export async function apiMain(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  let values: Record<string, unknown>;
  let calls: number;
  let seed: number;
  let maxActions: number;
  let maxFailures: number;
  try {
    const parsed = parseOptions(argv, OPTIONS);
    values = parsed.values;
    const opt = (k: keyof typeof OPTIONS): string => parsed.opt(k) ?? '';
    calls = count(opt('calls'), 'calls');
    seed = values.seed !== undefined ? count(opt('seed'), 'seed') : Math.floor(Math.random() * 2 ** 31);
    maxActions = count(opt('max-actions'), 'max-actions');
    maxFailures = count(opt('max-failures'), 'max-failures');
  } catch (e) {
    process.stderr.write(`fuzz: ${(e as Error).message}\n\n${usage()}\n`);
    return 2;
  }
  if (values.help) {
    out(usage());
    return 0;
  }
  out(`fuzz --api: seed ${seed}, ${calls} calls`);
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  let reported = 0;
  const summary = await fuzzApi({
    seed,
    calls,
    maxActions,
    maxFailures,
    onBatch: (p) => {
      if (values.quiet || p.calls - reported < 50_000) return;
      reported = p.calls;
      out(`  ${p.calls} calls, ${p.runs} runs, ${p.failures} failures (${elapsed()})`);
    },
  });
  for (const f of summary.failures) out(`\n${formatFailure(f)}`);
  out(
    `${summary.calls} calls, ${summary.failures.length} failures (seed ${seed}, ${summary.runs} runs, ${elapsed()})`,
  );
  return summary.failures.length > 0 ? 1 : 0;
}
