// The page's trace: the trace format (docs/trace-format.md) as the worker sends it, plus, when a
// run stopped early, the kernel as it was when it stopped (so a deadlock shows who is blocked).
// Everything the page draws comes from here.

import type { KernelEvent, KernelSnapshot, NameTable, StoredState } from '../../../src/index.ts';

/** One step as the trace stores it: the runner's line, events, cost, changes, and its state. */
export type TraceStep = {
  step: number;
  call: string;
  thread?: string;
  result: Record<string, unknown>;
  expected?: Record<string, unknown>;
  ok?: boolean;
  mismatched?: readonly string[];
  events: KernelEvent[];
  cost: Record<string, number>;
  changes: string[];
  /** The script's names for the objects this step's events mention (trace format 2.1). */
  names?: NameTable;
} & StoredState;

export interface TraceFailure {
  step: number | null;
  kind: 'blocks-forever' | 'unsupported' | 'unbound' | 'killed' | 'error';
  message: string;
}

export interface PageTrace {
  format: 'iomux-trace';
  version: number;
  script: { name: string | null; path: string };
  backend: 'sim';
  keyframeInterval: number;
  initial: KernelSnapshot;
  steps: TraceStep[];
  failure: TraceFailure | null;
  /**
   * Not in the trace format: the kernel when the run stopped early (before the process was
   * closed), with the events of the step that stopped it. Null when the run finished.
   */
  stopped: { snapshot: KernelSnapshot; events: KernelEvent[] } | null;
}
