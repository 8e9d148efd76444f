// `iomux trace SCRIPT`: run a script on the simulated kernel and show, per step, the call, its
// result, the kernel events inside it, its cost counters and what changed in the kernel's
// state; `--json` writes the whole trace in the trace format (docs/trace-format.md).

import {
  describeEvent,
  type StepTrace,
  TRACE_FORMAT,
  TRACE_VERSION,
  TraceRecorder,
} from '../observe/trace.ts';
import * as output from '../script/output.ts';
import type { Script } from '../script/parse.ts';
import { exitStatus, runScript, type StepOutcome } from '../script/run.ts';
import type { Cli } from './cli.ts';

export async function traceScript(cli: Cli, path: string, script: Script, json: boolean): Promise<number> {
  const recorder = new TraceRecorder();
  const steps: (StepOutcome & StepTrace)[] = [];
  const style = cli.style;
  if (!json) cli.out(style.bold(script.name ?? path));
  const report = await runScript(script, recorder.backend, {
    onStep: (outcome, step) => {
      const trace = recorder.take();
      steps.push({ ...outcome, ...trace });
      if (json) return;
      cli.out(output.renderStep(step, outcome, style));
      for (const e of trace.events) cli.out(style.dim(`      ${describeEvent(e)}`));
      const cost = Object.entries(trace.cost).map(([k, v]) => `${k}=${v}`);
      if (cost.length > 0) cli.out(`      cost: ${cost.join(' ')}`);
      for (const c of trace.changes) cli.out(`      ${style.bold('Δ')} ${c}`);
    },
  });
  if (json) {
    cli.out(
      JSON.stringify({
        format: TRACE_FORMAT,
        version: TRACE_VERSION,
        script: { name: script.name ?? null, path },
        backend: 'sim',
        initial: recorder.initial(),
        steps,
        failure: report.failure
          ? { step: report.failure.step, kind: report.failure.kind, message: report.failure.message }
          : null,
      }),
    );
  } else {
    if (report.failure) cli.out(output.renderFailure(script, report.failure, style));
    cli.out(output.renderSummary(report, script, style));
  }
  return exitStatus(report);
}
