// `npm run fuzz -- --runs N --seed S`: differential fuzzing of the simulated kernel against Linux.
// Prints progress and a summary: runs, scripts that agreed, differences found and where their
// shrunk scripts were saved. The options live in one table that drives parsing and --help.
//
// Exit status: 0 every script agreed; 1 a difference (or a flaky or failed run); 2 a usage error
// or a machine where the Linux backend cannot run.

import { simBackend } from '../kernel/index.ts';
import { linuxBackend, linuxUnavailableReason } from '../linux/index.ts';
import { apiMain } from './api-main.ts';
import {
  detectFeatures,
  EVERY_FEATURE,
  FEATURES,
  type Feature,
  OPT_IN,
  parseFeatureList,
} from './features.ts';
import { count, type OptionSpec, optionHelp, parseOptions, UsageError } from './options.ts';
import { type FuzzSummary, fuzz } from './property.ts';
import { report, where } from './report.ts';
import { warmBackend } from './warm.ts';

const OPTIONS = {
  runs: { type: 'string', value: 'N', default: '100', help: 'how many random scripts to run' },
  seed: { type: 'string', value: 'S', help: 'the fast-check seed (default: a random one, printed)' },
  calls: {
    type: 'string',
    value: 'LIST',
    help: 'use only these features, comma-separated (default: every feature the simulated kernel supports, but opt-in ones)',
  },
  without: { type: 'string', value: 'LIST', help: 'leave these features out' },
  'max-actions': { type: 'string', value: 'N', default: '40', help: 'the most generator actions per script' },
  'shrink-seconds': {
    type: 'string',
    value: 'S',
    default: '120',
    help: 'time to shrink each difference before keeping the best script so far',
  },
  'max-shrink': {
    type: 'string',
    value: 'N',
    default: '10',
    help: 'shrink and save at most N distinct differences',
  },
  'save-dir': {
    type: 'string',
    value: 'DIR',
    default: 'test/conformance',
    help: 'where shrunk scripts are saved, as fuzz-<seed>-<n>.json',
  },
  'no-save': { type: 'boolean', help: 'do not save shrunk scripts' },
  list: { type: 'boolean', help: 'list the features and which the simulated kernel supports, then exit' },
  quiet: { type: 'boolean', help: 'print only the summary' },
  help: { type: 'boolean', help: 'show this help' },
} as const satisfies Record<string, OptionSpec>;

function usage(): string {
  const lines = [
    'usage: npm run fuzz -- [options]',
    '       npm run fuzz -- --api [--calls N] [--seed S]   (the API fuzzer: --api --help)',
    '',
    'options:',
  ];
  lines.push(...optionHelp(OPTIONS, 22), '', 'features:');
  for (const f of EVERY_FEATURE) lines.push(`  ${f.padEnd(22)} ${FEATURES[f].help}`);
  return lines.join('\n');
}

function features_(list: string): Feature[] {
  try {
    return parseFeatureList(list);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  // `--api`: the API fuzzer of the simulated kernel alone (api-main.ts), with options of its own.
  if (argv.includes('--api')) return apiMain(argv);
  const { values, opt } = parseOptions(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const detection = await detectFeatures(simBackend);
  if (values.list) {
    for (const f of EVERY_FEATURE) {
      const why = detection.missing.get(f);
      const state = detection.optIn.has(f) ? 'supported, opt-in (--calls)' : 'supported';
      out(`${f.padEnd(22)} ${why ? `missing (${why})` : state}${why && OPT_IN.has(f) ? ', opt-in' : ''}`);
    }
    return 0;
  }
  const reason = linuxUnavailableReason();
  if (reason) {
    process.stderr.write(`fuzz: ${reason}\n`);
    return 2;
  }
  const runs = count(opt('runs') as string, 'runs');
  const seed =
    values.seed !== undefined ? count(values.seed as string, 'seed') : Math.floor(Math.random() * 2 ** 31);
  let features: Set<Feature> = new Set(detection.supported);
  const calls = opt('calls');
  if (calls !== undefined) {
    const asked = features_(calls);
    features = new Set(asked);
    for (const f of asked) {
      const why = detection.missing.get(f);
      if (!why) continue;
      out(`note: ${f} is not supported by the simulated kernel: ${why}`);
      // Its scripts would not even parse: left out.
      if (why.startsWith('malformed')) features.delete(f);
    }
  }
  const without = opt('without');
  if (without !== undefined) for (const f of features_(without)) features.delete(f);
  for (const [f, why] of detection.missing)
    if (!features.has(f) && !OPT_IN.has(f)) out(`skipping ${f}: ${why}`);

  out(`fuzz: seed ${seed}, ${runs} runs, features: ${[...features].join(',')}`);
  const linux = warmBackend(linuxBackend, 1);
  const quiet = values.quiet === true;
  let summary: FuzzSummary;
  try {
    summary = await fuzz({
      seed,
      runs,
      features,
      sim: simBackend,
      linux,
      maxActions: count(opt('max-actions') as string, 'max-actions'),
      shrinkBudgetMs: count(opt('shrink-seconds') as string, 'shrink-seconds') * 1000,
      maxShrink: count(opt('max-shrink') as string, 'max-shrink'),
      saveDir: values['no-save'] ? null : (opt('save-dir') as string),
      onRun: (p) => {
        if (quiet) return;
        const v = p.last;
        if (v.kind === 'difference' || v.kind === 'flaky' || v.kind === 'error') {
          const d = v.differences[0];
          out(
            `  run ${p.run}: ${v.kind}${v.signature ? ` [${v.signature}]` : ''}${d ? ` at step ${d.step}` : ''}${v.message ? `: ${v.message}` : ''}`,
          );
        }
        if ((p.run + 1) % 25 === 0 || p.run + 1 === p.runs) {
          const c = p.counts;
          out(
            `run ${p.run + 1}/${p.runs}: ${c.agreed} agreed, ${c.difference} differences, ${c.unsupported} unsupported` +
              `${c.flaky ? `, ${c.flaky} flaky` : ''}${c.error ? `, ${c.error} errors` : ''}` +
              ` (${(p.elapsedMs / 1000).toFixed(1)} s, ${(p.elapsedMs / 1000 / (p.run + 1)).toFixed(2)} s/run)`,
          );
        }
      },
      onFound: (f) => {
        if (!quiet) out(`  shrunk ${f.signature}: ${f.steps.original} → ${f.steps.shrunk} steps${where(f)}`);
      },
    });
  } finally {
    await linux.dispose();
  }
  out(report(summary));
  const bad = summary.counts.difference + summary.counts.flaky + summary.counts.error;
  return bad > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // parseArgs reports unknown options as TypeErrors with a code (ERR_PARSE_ARGS_*).
    const usageProblem = e instanceof UsageError || (e instanceof Error && 'code' in e);
    process.stderr.write(
      usageProblem
        ? `fuzz: ${(e as Error).message}\n\n${usage()}\n`
        : `fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(2);
  },
);
