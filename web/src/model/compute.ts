// A script's trace, computed through the public API only: parseScript, then runScript on the
// trace recorder's simulated kernel, encoding each step as the trace format stores it. Runs in
// the page's Web Worker (worker.ts); pure enough to run under Node's test runner too.

import {
  KEYFRAME_INTERVAL,
  type KernelEvent,
  type KernelSnapshot,
  parseScript,
  runScript,
  TRACE_FORMAT,
  TRACE_VERSION,
  TraceEncoder,
  TraceRecorder,
} from '../../../src/index.ts';
import type { PageTrace, TraceStep } from './trace.ts';

/** Run the script document; throws ScriptError if it does not parse. */
export async function computeTrace(doc: unknown, path = 'playground'): Promise<PageTrace> {
  const script = parseScript(doc);
  const recorder = new TraceRecorder();
  const encoder = new TraceEncoder(KEYFRAME_INTERVAL);
  const steps: TraceStep[] = [];
  let stopped: { snapshot: KernelSnapshot; events: KernelEvent[] } | null = null;
  // The recorder's backend, with the process's close() first taking the kernel as it is: when a
  // run stops early, the runner closes the process before returning, and the page wants the
  // state that stopped it (each blocked thread and its call).
  let ran = 0;
  const backend = {
    name: 'sim' as const,
    createProcess: async () => {
      const handle = await recorder.backend.createProcess();
      return {
        thread: (name: string) => handle.thread(name),
        wait: <T>(call: Promise<T>) => handle.wait(call),
        settle: () => handle.settle(),
        tid: (name: string) => handle.tid(name),
        caught: (sig: number) => handle.caught(sig),
        close: async () => {
          if (ran < script.steps.length) {
            const t = recorder.take();
            stopped = { snapshot: t.snapshot, events: t.events };
          }
          await handle.close();
        },
      };
    },
  };
  const report = await runScript(script, backend, {
    onStep: (outcome, _step, bindings) => {
      ran++;
      // Objects named as the script names them ($ep (fd 5)), as `iomux trace` does.
      const t = recorder.take((fd) => bindings.nameOf(fd));
      const stored = encoder.encode(t);
      steps.push({
        ...(outcome as unknown as TraceStep),
        events: t.events,
        cost: t.cost as Record<string, number>,
        changes: t.changes,
        names: t.names,
        ...stored,
      });
    },
  });
  const initial = recorder.initial();
  if (!initial) throw new Error(report.failure?.message ?? 'the process could not be created');
  const f = report.failure;
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    script: { name: script.name ?? null, path },
    backend: 'sim',
    keyframeInterval: KEYFRAME_INTERVAL,
    initial,
    steps,
    failure: f ? { step: f.step, kind: f.kind, message: f.message } : null,
    stopped: f && f.step !== null ? stopped : null,
  };
}
