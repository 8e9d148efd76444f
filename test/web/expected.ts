// What the page must show, computed here from the trace (docs/trace-format.md) with the public
// API and rebuildSnapshot: the interest trees, the ready lists and the wait queues at a step.

import { parseScriptText, type RunReport, runScript } from '../../src/index.ts';
import type { KernelSnapshot } from '../../src/observe/snapshot.ts';
import {
  rebuildSnapshot,
  type StoredState,
  type StoredTrace,
  TraceEncoder,
  TraceRecorder,
} from '../../src/observe/trace.ts';

export interface Traced {
  readonly trace: StoredTrace;
  readonly report: RunReport;
  /** The script's step count. */
  readonly steps: number;
}

/** Run a script (JSON text) on the simulated kernel, recording its trace as the format stores it. */
export async function traceOf(text: string): Promise<Traced> {
  const script = parseScriptText(text);
  const recorder = new TraceRecorder();
  const encoder = new TraceEncoder();
  const stored: StoredState[] = [];
  const report = await runScript(script, recorder.backend, {
    onStep: () => {
      stored.push(encoder.encode(recorder.take()));
    },
  });
  const initial = recorder.initial();
  if (!initial) throw new Error('the traced process was not created');
  return { trace: { initial, steps: stored }, report, steps: script.steps.length };
}

/** What the structures on the page must be at a step (each normalised so drawing order is free). */
export interface View {
  /** Every epitem of every interest tree, "fd:colour", sorted. */
  readonly epitems: string[];
  /** Each non-empty ready list as its fds in list order, the lists sorted. */
  readonly ready: string[];
  /** Each non-empty wait queue by name: its entries' wake functions, head first. */
  readonly queues: Record<string, string[]>;
}

interface RbNode {
  fd: number;
  colour: string;
  left: RbNode | null;
  right: RbNode | null;
}

interface EventpollDetail {
  tree: RbNode | null;
  rdllist: number[];
  items: { id: number; fd: number }[];
}

/** The view of a snapshot. */
export function viewOf(snap: KernelSnapshot): View {
  const epitems: string[] = [];
  const ready: string[] = [];
  for (const f of snap.files) {
    if (f.type !== 'eventpoll' || !f.detail) continue;
    const ep = f.detail as EventpollDetail;
    const walk = (n: RbNode | null): void => {
      if (!n) return;
      walk(n.left);
      epitems.push(`${n.fd}:${n.colour}`);
      walk(n.right);
    };
    walk(ep.tree);
    const fds = ep.rdllist.map((id) => {
      const item = ep.items.find((e) => e.id === id);
      if (!item) throw new Error(`ready-list item ${id} is not in the tree`);
      return item.fd;
    });
    if (fds.length > 0) ready.push(fds.join(','));
  }
  const queues: Record<string, string[]> = {};
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (typeof o.name === 'string' && Array.isArray(o.entries)) {
      const kinds = (o.entries as { kind: string }[]).map((e) => e.kind);
      if (kinds.length > 0) queues[o.name] = kinds;
    }
    for (const x of Object.values(o)) visit(x);
  };
  visit(snap);
  return { epitems: epitems.sort(), ready: ready.sort(), queues };
}

/** The view at step `i` of a trace (−1: before the first step). */
export function viewAt(traced: Traced, i: number): View {
  return viewOf(rebuildSnapshot(traced.trace, i));
}

/** What `READ_PAGE` gives: the step index's text and the same `View`, read from the page. */
export interface PageView {
  readonly index: string | null;
  readonly view: View;
}

/** An expression for page.evaluate that reads a `PageView` (browser code: tsconfig has no DOM). */
export const READ_PAGE = `(() => {
  const all = (root, id) => [...root.querySelectorAll('[data-testid=' + id + ']')];
  const epitems = all(document, 'rbtree')
    .flatMap((t) => all(t, 'epitem'))
    .map((e) => e.dataset.fd + ':' + e.dataset.color)
    .sort();
  const ready = all(document, 'ready-list')
    .map((l) => all(l, 'ready-item').map((e) => e.dataset.fd).join(','))
    .filter((s) => s !== '')
    .sort();
  const queues = {};
  for (const q of all(document, 'waitqueue')) {
    const name = q.dataset.name ?? '';
    const kinds = all(q, 'wait-entry').map((e) => e.dataset.kind ?? '');
    if (kinds.length > 0 && !(name in queues)) queues[name] = kinds;
  }
  const el = document.querySelector('[data-testid=step-index]');
  return { index: el ? el.textContent.trim() : null, view: { epitems, ready, queues } };
})()`;
