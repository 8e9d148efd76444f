// Differential run: one script on two backends (the simulated kernel and Linux), step by step.
// Results are compared in the format's terms, without their timing-dependent parts (stable.ts);
// a run that stops early is compared by where and why it stopped.

import type { Backend } from '../api/backend.ts';
import { sameJson } from './compare.ts';
import type { Script } from './parse.ts';
import { type FailureKind, type RunOptions, type RunReport, runScript } from './run.ts';
import { stableResult } from './stable.ts';
import type { JsonObject } from './values.ts';

/** What one backend did at one step. */
export type StepView =
  | { readonly result: JsonObject }
  /** A thread start: nothing comparable (`blocked` depends on Linux's timing). */
  | { readonly started: true }
  | { readonly stopped: FailureKind; readonly message: string }
  /** The run had stopped at an earlier step. */
  | { readonly notReached: true };

/** One step at which two runs of a script differ. */
export interface StepDifference {
  /** The step index; `steps.length` for a difference in closing the process. */
  readonly step: number;
  readonly call: string;
  readonly a: StepView;
  readonly b: StepView;
}

/** Two runs of one script (`a`, `b`) and the steps where they differ. */
export interface DiffReport {
  readonly a: RunReport;
  readonly b: RunReport;
  readonly differences: readonly StepDifference[];
}

/** Run a script on two backends in turn and compare the runs step by step. */
export async function diffScript(
  script: Script,
  a: Backend,
  b: Backend,
  opts: { a?: RunOptions; b?: RunOptions } = {},
): Promise<DiffReport> {
  const ra = await runScript(script, a, opts.a);
  const rb = await runScript(script, b, opts.b);
  return { a: ra, b: rb, differences: compareRuns(script, ra, rb) };
}

/** The steps where two runs of `script` differ, timing-dependent parts left out. */
export function compareRuns(script: Script, ra: RunReport, rb: RunReport): StepDifference[] {
  const differences: StepDifference[] = [];
  for (const step of script.steps) {
    const va = view(script, ra, step.index);
    const vb = view(script, rb, step.index);
    if ('notReached' in va && 'notReached' in vb) break;
    if (!sameView(va, vb)) differences.push({ step: step.index, call: step.call, a: va, b: vb });
  }
  // A failure outside any step (creating or closing the process) is a difference of its own.
  const ea = outsideSteps(ra);
  const eb = outsideSteps(rb);
  if (ea || eb) {
    const none: StepView = { result: {} };
    const va = ea ?? none;
    const vb = eb ?? none;
    if (!sameView(va, vb)) {
      differences.push({
        step: script.steps.length,
        call: ra.failure?.call ?? rb.failure?.call ?? '',
        a: va,
        b: vb,
      });
    }
  }
  return differences;
}

function view(script: Script, r: RunReport, index: number): StepView {
  const outcome = r.outcomes[index];
  if (outcome) {
    const stable = stableResult(script, script.steps[index], outcome.result);
    return stable ? { result: stable } : { started: true };
  }
  if (r.failure?.step === index) return { stopped: r.failure.kind, message: r.failure.message };
  return { notReached: true };
}

function outsideSteps(r: RunReport): StepView | undefined {
  return r.failure && r.failure.step === null
    ? { stopped: r.failure.kind, message: r.failure.message }
    : undefined;
}

/**
 * Failures compare by kind: each backend words its own messages. A `killed` message is the
 * runner's ("step 4: the process was killed by SIGTERM"), so there the signal must agree too.
 */
function sameView(x: StepView, y: StepView): boolean {
  if ('result' in x) return 'result' in y && sameJson(x.result, y.result);
  if ('stopped' in x)
    return 'stopped' in y && x.stopped === y.stopped && (x.stopped !== 'killed' || x.message === y.message);
  if ('started' in x) return 'started' in y;
  return 'notReached' in y;
}
