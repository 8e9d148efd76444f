// The step list and the step panel: one row per step of the trace (and one for the step a run
// stopped at), each step's kernel events as describeEvent lines in order, the cost, and who is
// blocked when a run deadlocked.

import { describeEvent, type KernelSnapshot, rebuildSnapshot } from '../../../src/index.ts';
import type { PageTrace } from './trace.ts';

export type StepStatus = 'ok' | 'mismatch' | 'plain' | 'blocked' | 'unsupported' | 'failed';

export interface StepRow {
  index: number;
  /** `[thread] call(args)` as written in the script. */
  label: string;
  /** The result, short. */
  result: string;
  status: StepStatus;
}

/** An argument as the CLI prints it: names and flag words bare, strings quoted, objects compact. */
export function argText(v: unknown): string {
  if (typeof v === 'string') return /^(\$[\w.-]+|[A-Z_][A-Z0-9_|]*)$/.test(v) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(argText).join(', ')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${argText(x)}`)
      .join(', ')}}`;
  return String(v);
}

/** A step of the script document as one line. */
export function stepLabel(step: unknown): string {
  if (typeof step !== 'object' || step === null) return '?';
  const s = step as { call?: unknown; args?: unknown; thread?: unknown };
  const args = Array.isArray(s.args) ? s.args.map(argText).join(', ') : '';
  // join names its thread bare, as the CLI prints it: join(loop).
  const call =
    s.call === 'join'
      ? `join(${Array.isArray(s.args) ? s.args.join(', ') : ''})`
      : `${String(s.call)}(${args})`;
  return s.thread !== undefined ? `[${String(s.thread)}] ${call}` : call;
}

export function resultText(r: Record<string, unknown> | undefined): string {
  if (!r) return '';
  if ('blocked' in r) return 'blocked';
  return argText(r);
}

/** Rows for the step list: the steps the trace holds, then the one a failure stopped at. */
export function stepRows(trace: PageTrace, doc: unknown): StepRow[] {
  const src = (doc as { steps?: unknown[] } | null)?.steps ?? [];
  const rows: StepRow[] = trace.steps.map((s, i) => ({
    index: i,
    label: stepLabel(src[i]) || s.call,
    result: resultText(s.result),
    status: s.ok === true ? 'ok' : s.ok === false ? 'mismatch' : 'plain',
  }));
  const f = trace.failure;
  if (f && f.step !== null && trace.stopped) {
    rows.push({
      index: rows.length,
      label: stepLabel(src[f.step]),
      result: f.kind,
      status: f.kind === 'blocks-forever' ? 'blocked' : f.kind === 'unsupported' ? 'unsupported' : 'failed',
    });
  }
  return rows;
}

/** How many rows the step list has (the steps, and the stopped step if any). */
export function stepCount(trace: PageTrace): number {
  return trace.steps.length + (trace.failure && trace.stopped ? 1 : 0);
}

/** The kernel after step `i` (−1: before the first; the last row of a stopped run: as it stopped). */
export function snapshotAt(trace: PageTrace, i: number): KernelSnapshot {
  if (i >= trace.steps.length && trace.stopped) return trace.stopped.snapshot;
  return rebuildSnapshot(trace, Math.min(i, trace.steps.length - 1));
}

/** The kernel events of step `i`, one describeEvent line each, in order. */
export function eventLines(trace: PageTrace, i: number): string[] {
  if (i >= trace.steps.length) return (trace.stopped?.events ?? []).map((e) => describeEvent(e));
  const step = trace.steps[i];
  return (step?.events ?? []).map((e) => describeEvent(e, step?.names));
}

/** Each thread still blocked when the run deadlocked, with its call; empty otherwise. */
export function blockedThreads(trace: PageTrace): { name: string; call: string }[] {
  if (trace.failure?.kind !== 'blocks-forever' || !trace.stopped) return [];
  return trace.stopped.snapshot.processes.flatMap((p) =>
    p.threads.filter((t) => t.state === 'blocked').map((t) => ({ name: t.name, call: t.call ?? '?' })),
  );
}

/** The cost counters summed over steps 0 … i (what the script has cost the kernel so far). */
export function cumulativeCost(trace: PageTrace, i: number): Record<string, number> {
  const out: Record<string, number> = {};
  const last = Math.min(i, trace.steps.length - 1);
  for (let j = 0; j <= last; j++) {
    for (const [k, v] of Object.entries(trace.steps[j].cost)) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}

/**
 * What the step counter ("<at+1> / <n>") means, for its title: it counts from 1, while the step
 * list (and the scripts' step numbers) count from 0.
 */
export function counterTitle(at: number, n: number): string {
  if (n === 0) return 'no steps';
  return `${at + 1} of ${n} steps; the list numbers steps from 0, so this is step ${at} there`;
}
