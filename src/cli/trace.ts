// `iomux trace SCRIPT`: run a script on the simulated kernel and show, per step, the call, its
// result, the kernel events inside it, its cost counters and what changed in the kernel's
// state; `--json` writes the whole trace in the trace format (docs/trace-format.md), a step at
// a time as it runs, so that a long script never sits in memory whole.

import { formatOpenFlags, type NameTable } from '../observe/names.ts';
import type { KernelSnapshot } from '../observe/snapshot.ts';
import {
  describeEvent,
  KEYFRAME_INTERVAL,
  type StepTrace,
  type StoredState,
  TRACE_FORMAT,
  TRACE_VERSION,
  TraceEncoder,
  TraceRecorder,
} from '../observe/trace.ts';
import * as output from '../script/output.ts';
import type { Script, Step } from '../script/parse.ts';
import { exitStatus, runScript, type StepOutcome } from '../script/run.ts';
import type { Cli } from './commands.ts';

export async function traceScript(cli: Cli, path: string, script: Script, json: boolean): Promise<number> {
  const recorder = new TraceRecorder();
  const style = cli.style;
  const write = (s: string) => cli.io.stdout.write(s);
  // JSON: the document's head once the initial snapshot exists (at the first step, or at the
  // end if no step ran), then each step as it ends, then the tail.
  let encoder: TraceEncoder | null = null;
  let steps = 0;
  const head = () =>
    `{"format":${JSON.stringify(TRACE_FORMAT)},"version":${TRACE_VERSION},` +
    `"script":${JSON.stringify({ name: script.name ?? null, path })},"backend":"sim",` +
    `"keyframeInterval":${KEYFRAME_INTERVAL},"initial":${JSON.stringify(recorder.initial())},"steps":[`;
  if (!json) cli.out(style.bold(script.name ?? path));
  const report = await runScript(script, recorder.backend, {
    onStep: (outcome, step, bindings) => {
      const trace = recorder.take((fd) => bindings.nameOf(fd));
      if (json) {
        if (!encoder) {
          write(head());
          encoder = new TraceEncoder();
        }
        const { events, names, cost, changes } = trace;
        const stored = encoder.encode(trace);
        write(
          `${steps++ === 0 ? '' : ','}\n${JSON.stringify({ ...outcome, events, names, cost, changes, ...stored })}`,
        );
        // Let a pipe's reader catch up: the run itself never yields to the event loop.
        return cli.io.stdout.drained?.();
      }
      cli.out(output.renderStep(step, outcome, style));
      const flags = getflResult(step, outcome.result);
      if (flags !== null) cli.out(style.dim(`      F_GETFL: ${formatOpenFlags(flags)}`));
      for (const e of trace.events) cli.out(style.dim(`      ${describeEvent(e, trace.names)}`));
      const cost = Object.entries(trace.cost).map(([k, v]) => `${k}=${v}`);
      if (cost.length > 0) cli.out(`      cost: ${cost.join(' ')}`);
      for (const c of trace.changes) cli.out(`      ${style.bold('Δ')} ${c}`);
    },
  });
  if (json) {
    if (!encoder) write(head());
    const failure = report.failure
      ? { step: report.failure.step, kind: report.failure.kind, message: report.failure.message }
      : null;
    write(`\n],"failure":${JSON.stringify(failure)}}\n`);
  } else {
    if (report.failure) cli.out(output.renderFailure(script, report.failure, style));
    cli.out(output.renderSummary(report, script, style));
  }
  return exitStatus(report);
}

/** The flag word an fcntl(F_GETFL) step returned, or null for any other step. */
function getflResult(step: Step, result: unknown): number | null {
  const src = step.source as { call?: unknown; args?: unknown[] };
  if (src.call !== 'fcntl' || !Array.isArray(src.args) || src.args[1] !== 'F_GETFL') return null;
  const ret = (result as { ret?: unknown } | null)?.ret;
  return typeof ret === 'number' ? ret : null;
}

// ---- the whole trace in memory ----

/** One step of a trace document: the runner's outcome, then what the kernel did. */
export type TraceDocumentStep = StepOutcome &
  Pick<StepTrace, 'events' | 'cost' | 'changes'> & { names: NameTable } & StoredState;

/** The trace format's document (docs/trace-format.md). */
export interface TraceDocument {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  script: { name: string | null; path: string | null };
  backend: 'sim';
  keyframeInterval: number;
  initial: KernelSnapshot | null;
  steps: TraceDocumentStep[];
  failure: { step: number | null; kind: string; message: string } | null;
}

/**
 * Run `script` on a fresh simulated kernel and return its trace, as `iomux trace --json` would
 * write it (the same object once both are plain JSON).
 */
export async function traceDocument(script: Script, path: string | null = null): Promise<TraceDocument> {
  const recorder = new TraceRecorder();
  const encoder = new TraceEncoder(KEYFRAME_INTERVAL);
  const steps: TraceDocumentStep[] = [];
  const report = await runScript(script, recorder.backend, {
    onStep: (outcome, _step, bindings) => {
      const trace = recorder.take((fd) => bindings.nameOf(fd));
      const { events, names, cost, changes } = trace;
      steps.push({ ...outcome, events, names, cost, changes, ...encoder.encode(trace) });
    },
  });
  const f = report.failure;
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    script: { name: script.name ?? null, path },
    backend: 'sim',
    keyframeInterval: KEYFRAME_INTERVAL,
    initial: recorder.initial(),
    steps,
    failure: f ? { step: f.step, kind: f.kind, message: f.message } : null,
  };
}
