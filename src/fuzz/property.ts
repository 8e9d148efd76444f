// The differential property: a generated script gives the same results on the simulated kernel
// and on Linux (diffScript). A fuzz session has two phases:
//
// 1. Explore: fast-check generates `runs` scripts from the seed; each runs on both backends and
//    is classified (agreed, difference, unsupported, flaky). Nothing stops at a difference, so
//    one session finds every difference its scripts reach.
// 2. Shrink and save: for each distinct difference (by the first differing step's call and what
//    differs), fast-check replays that run (seed and path) and shrinks it, keeping only
//    candidates that still show the same difference. The shrunk script runs on Linux twice (it
//    must agree with itself), its expects are recorded from Linux, and it is saved as
//    test/conformance/fuzz-<seed>-<n>.json: the difference becomes a permanent conformance
//    case, failing on the simulated kernel until the kernel is fixed.
//
// A script that the simulated kernel stops with Unsupported is not a difference (the model says
// what it does not do, and the generator should avoid it): it is counted apart, with the message.
// A script whose Linux results differ between two runs is a generator bug (something timing-
// dependent got through) and is reported as flaky, never saved.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Backend } from '../api/backend.ts';
import {
  compactData,
  compareRuns,
  type DiffReport,
  diffScript,
  formatScriptJson,
  type Json,
  type JsonObject,
  parseScript,
  type RunReport,
  runScript,
  type StepDifference,
  type StepView,
  stableResult,
} from '../script/index.ts';
import type { Feature } from './features.ts';
import { scriptArbitrary } from './generate.ts';

export type VerdictKind = 'agreed' | 'difference' | 'unsupported' | 'flaky' | 'error';

export interface Verdict {
  readonly kind: VerdictKind;
  readonly report: DiffReport;
  /** The differences that count: none at or after the step where the sim said Unsupported. */
  readonly differences: readonly StepDifference[];
  /** The first difference's signature: its call and what differs ("epoll_wait: events"). */
  readonly signature?: string;
  /** Why: the Unsupported message, the infrastructure error, the flaky step. */
  readonly message?: string;
}

/** Run one script document on both backends and classify the outcome. */
export async function checkScript(doc: JsonObject, sim: Backend, linux: Backend): Promise<Verdict> {
  const script = parseScript(doc);
  const report = await diffScript(script, sim, linux);
  const lf = report.b.failure;
  if (lf && lf.kind === 'error') {
    return { kind: 'error', report, differences: report.differences, message: `linux: ${lf.message}` };
  }
  const sf = report.a.failure;
  const cut = sf?.kind === 'unsupported' && sf.step !== null ? sf.step : Number.POSITIVE_INFINITY;
  const differences = report.differences.filter((d) => d.step < cut);
  if (differences.length === 0) {
    if (sf?.kind === 'unsupported') return { kind: 'unsupported', report, differences, message: sf.message };
    return { kind: 'agreed', report, differences };
  }
  return { kind: 'difference', report, differences, signature: signatureOf(differences[0]) };
}

/** What kind of difference this is, for grouping: the call, and the keys or stops that differ. */
export function signatureOf(d: StepDifference): string {
  const what = (v: StepView): string =>
    'result' in v
      ? 'result'
      : 'stopped' in v
        ? `stopped ${v.stopped}`
        : 'started' in v
          ? 'started'
          : 'not reached';
  if ('result' in d.a && 'result' in d.b) {
    const x = d.a.result;
    const y = d.b.result;
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter(
      (k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]),
    );
    // An errno on one side and a result on the other is its own kind of difference.
    if ('errno' in x !== 'errno' in y) return `${d.call}: errno vs result`;
    return `${d.call}: ${keys.sort().join(',')}`;
  }
  return `${d.call}: sim ${what(d.a)}, linux ${what(d.b)}`;
}

/** One line for a step view, for messages and notes. */
export function showView(v: StepView): string {
  if ('result' in v) return JSON.stringify(v.result);
  if ('stopped' in v) return `stopped (${v.stopped}): ${v.message}`;
  if ('started' in v) return 'started on a thread';
  return 'not reached';
}

// ---- a fuzz session ----

export interface FuzzOptions {
  readonly seed: number;
  readonly runs: number;
  readonly features: ReadonlySet<Feature>;
  readonly sim: Backend;
  readonly linux: Backend;
  /** The most actions per script (generate.ts). */
  readonly maxActions?: number;
  /** Time allowed for shrinking one difference; past it the best script so far is kept. */
  readonly shrinkBudgetMs?: number;
  /** Shrink and save at most this many distinct differences. */
  readonly maxShrink?: number;
  /** Where shrunk scripts are saved (test/conformance); null: not saved. */
  readonly saveDir: string | null;
  readonly onRun?: (progress: Progress) => void;
  readonly onFound?: (found: Found) => void;
}

export interface Progress {
  readonly run: number;
  readonly runs: number;
  readonly counts: Readonly<Record<VerdictKind, number>>;
  readonly elapsedMs: number;
  readonly last: Verdict;
}

export interface Found {
  /** 1-based, in the order found; the saved file's <n>. */
  readonly n: number;
  /** The exploration run (0-based) that first showed it. */
  readonly run: number;
  readonly signature: string;
  /** Other runs that showed the same signature. */
  readonly alsoRuns: readonly number[];
  readonly original: JsonObject;
  /** The shrunk script, with expects recorded from Linux. */
  readonly script: JsonObject;
  readonly steps: { readonly original: number; readonly shrunk: number };
  readonly shrinks: number;
  readonly difference: StepDifference;
  /** Where the script was saved, or why it was not. */
  readonly savedTo?: string;
  readonly notSaved?: string;
}

export interface FuzzSummary {
  readonly seed: number;
  readonly runs: number;
  readonly counts: Readonly<Record<VerdictKind, number>>;
  readonly found: readonly Found[];
  /** Signatures seen but not shrunk (past maxShrink), with their runs. */
  readonly unshrunk: ReadonlyMap<string, readonly number[]>;
  /** Unsupported messages, with how many runs stopped on each. */
  readonly unsupported: ReadonlyMap<string, number>;
  /** Flaky and error runs: run, message. */
  readonly problems: readonly { run: number; kind: VerdictKind; message: string }[];
  readonly exploreMs: number;
  readonly shrinkMs: number;
}

const EMPTY_COUNTS = (): Record<VerdictKind, number> => ({
  agreed: 0,
  difference: 0,
  unsupported: 0,
  flaky: 0,
  error: 0,
});

export async function fuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const arb = scriptArbitrary({ features: opts.features, maxActions: opts.maxActions });
  const counts = EMPTY_COUNTS();
  const bySignature = new Map<string, { runs: number[]; doc: JsonObject }>();
  const unsupported = new Map<string, number>();
  const problems: { run: number; kind: VerdictKind; message: string }[] = [];
  const t0 = Date.now();
  let run = 0;

  // Phase 1: explore. The property never fails, so every run happens; fast-check only generates.
  // A failure here is a bug in the generator or the runner (a throw), never a difference.
  const explored = await fc.check(
    fc.asyncProperty(arb, async (doc) => {
      const index = run++;
      let v = await checkScript(doc, opts.sim, opts.linux);
      if (v.kind === 'difference') {
        // Linux must agree with itself before the simulated kernel is blamed.
        const again = await runScript(parseScript(doc), opts.linux);
        const drift = compareRuns(parseScript(doc), v.report.b, again);
        if (drift.length) {
          v = {
            ...v,
            kind: 'flaky',
            message: `linux differs from itself at step ${drift[0].step} (${drift[0].call})`,
          };
        }
      }
      counts[v.kind]++;
      if (v.kind === 'difference' && v.signature) {
        const seen = bySignature.get(v.signature);
        if (seen) seen.runs.push(index);
        else bySignature.set(v.signature, { runs: [index], doc });
      } else if (v.kind === 'unsupported' && v.message) {
        unsupported.set(v.message, (unsupported.get(v.message) ?? 0) + 1);
      } else if (v.kind === 'flaky' || v.kind === 'error') {
        problems.push({ run: index, kind: v.kind, message: v.message ?? '' });
      }
      opts.onRun?.({
        run: index,
        runs: opts.runs,
        counts: { ...counts },
        elapsedMs: Date.now() - t0,
        last: v,
      });
      return true;
    }),
    { seed: opts.seed, numRuns: opts.runs },
  );
  if (explored.failed) {
    throw new Error(`fuzz: run ${run - 1} threw (seed ${opts.seed}): ${String(explored.errorInstance)}`);
  }
  const exploreMs = Date.now() - t0;

  // Phase 2: shrink and save each distinct difference.
  const found: Found[] = [];
  const unshrunk = new Map<string, readonly number[]>();
  const limit = opts.maxShrink ?? 10;
  for (const [signature, { runs, doc }] of bySignature) {
    if (found.length >= limit) {
      unshrunk.set(signature, runs);
      continue;
    }
    const f = await shrinkAndSave(opts, arb, signature, runs, doc, found.length + 1);
    found.push(f);
    opts.onFound?.(f);
  }
  return {
    seed: opts.seed,
    runs: run,
    counts,
    found,
    unshrunk,
    unsupported,
    problems,
    exploreMs,
    shrinkMs: Date.now() - t0 - exploreMs,
  };
}

async function shrinkAndSave(
  opts: FuzzOptions,
  arb: fc.Arbitrary<JsonObject>,
  signature: string,
  runs: readonly number[],
  original: JsonObject,
  n: number,
): Promise<Found> {
  const [run] = runs;
  const budget = opts.shrinkBudgetMs ?? 120_000;
  const start = Date.now();
  const cache = new Map<string, boolean>();
  const stillFails = async (doc: JsonObject): Promise<boolean> => {
    const key = JSON.stringify(doc);
    const known = cache.get(key);
    if (known !== undefined) return known;
    const v = await checkScript(doc, opts.sim, opts.linux);
    const fails = v.kind === 'difference' && v.signature === signature;
    cache.set(key, fails);
    return fails;
  };
  let best = original;
  const details = await fc.check(
    fc.asyncProperty(arb, async (doc) => {
      // Past the budget every candidate "passes", so shrinking stops at the best so far.
      if (Date.now() - start > budget) return true;
      const fails = await stillFails(doc);
      if (fails && stepCount(doc) <= stepCount(best)) best = doc;
      return !fails;
    }),
    { seed: opts.seed, path: String(run), numRuns: 1 },
  );
  if (details.failed && details.counterexample) best = details.counterexample[0];
  // Steps after the first difference add nothing, unless a thread started before it still runs.
  const first = (await checkScript(best, opts.sim, opts.linux)).differences[0];
  const cut = first ? truncated(best, first.step) : undefined;
  if (cut && (await stillFails(cut))) best = cut;

  // The shrunk script, run again: Linux twice (it must agree with itself), the sim once.
  const script = parseScript(best);
  const final = await diffScript(script, opts.sim, opts.linux);
  const again = await runScript(script, opts.linux);
  const drift = compareRuns(script, final.b, again);
  const difference = final.differences[0];
  const base = {
    n,
    run,
    signature,
    alsoRuns: runs.slice(1),
    original,
    steps: { original: stepCount(original), shrunk: stepCount(best) },
    shrinks: details.numShrinks,
  };
  if (!difference || drift.length) {
    const why = !difference
      ? 'the shrunk script no longer differs when run again'
      : `Linux differs from itself at step ${drift[0].step}`;
    return { ...base, script: best, difference: difference ?? emptyDifference(), notSaved: why };
  }
  const doc = recorded(best, final.b, {
    name: `fuzz: ${signature}`,
    source: `iomux fuzz --seed ${opts.seed} (run ${run}, shrunk along fast-check path ${details.counterexamplePath ?? String(run)})`,
    notes:
      `Found by differential fuzzing (src/fuzz). At step ${difference.step} (${difference.call}), ` +
      `Linux gave ${showView(difference.b)}; the simulated kernel gave ${showView(difference.a)}. ` +
      `The expects are Linux's, recorded when the script was saved.`,
  });
  if (opts.saveDir === null) return { ...base, script: doc, difference };
  await mkdir(opts.saveDir, { recursive: true });
  const path = join(opts.saveDir, `fuzz-${opts.seed}-${n}.json`);
  await writeFile(path, formatScriptJson(doc));
  return { ...base, script: doc, difference, savedTo: path };
}

/** The script cut after step `last`, or undefined if a thread started by then is not yet joined. */
function truncated(doc: JsonObject, last: number): JsonObject | undefined {
  const steps = (doc.steps as JsonObject[]).slice(0, last + 1);
  if (steps.length === (doc.steps as JsonObject[]).length) return undefined;
  const running = new Set<string>();
  for (const s of steps) {
    if (typeof s.thread === 'string') running.add(s.thread);
    if (s.call === 'join' && Array.isArray(s.args)) running.delete(String(s.args[0]));
  }
  return running.size ? undefined : { ...doc, steps };
}

function emptyDifference(): StepDifference {
  return { step: -1, call: '', a: { notReached: true }, b: { notReached: true } };
}

function stepCount(doc: JsonObject): number {
  return Array.isArray(doc.steps) ? doc.steps.length : 0;
}

/**
 * The script with every step's `expect` from a Linux run (as record.ts does): a thread start gets
 * none (its join does), and steps after a stop get none. Long repeated reads become {fill, len}.
 */
function recorded(doc: JsonObject, linux: RunReport, head: JsonObject): JsonObject {
  const script = parseScript(doc);
  const steps = script.steps.map((step, i): Json => {
    const { expect: _old, ...rest } = step.source;
    const outcome = linux.outcomes[i];
    const expect = outcome && stableResult(script, step, outcome.result);
    if (!expect) return rest;
    const data = expect.data;
    return { ...rest, expect: typeof data === 'string' ? { ...expect, data: compactData(data) } : expect };
  });
  return { ...head, steps };
}
