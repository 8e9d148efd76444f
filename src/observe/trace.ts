// Tracing a run on the simulated kernel: per step, the kernel events inside it, its cost
// counters, a snapshot after it, and what changed since the step before. The JSON form is the
// trace format (docs/trace-format.md), which the playground renders: a full snapshot before the
// first step and every KEYFRAME_INTERVAL steps, and between them only what changed (a delta),
// so that a long run stays small and any step can still be rebuilt (rebuildSnapshot), forwards
// or backwards. `describe*` give the readable form `iomux trace` prints.

import type { Backend } from '../api/backend.ts';
import { SimProcessHandle } from '../kernel/backend.ts';
import type { KernelEvent } from '../kernel/events.ts';
import { Kernel } from '../kernel/kernel.ts';
import { diffStats, newStats, type Stats } from '../kernel/stats.ts';
import { createScriptProcess } from '../kernel/system.ts';
import { applyDelta, type DeltaOp, diffJson } from './delta.ts';
import { type KernelSnapshot, snapshot } from './snapshot.ts';

export const TRACE_FORMAT = 'iomux-trace';
export const TRACE_VERSION = 2;
/** A full snapshot every this many steps: rebuilding a step applies at most this many deltas. */
export const KEYFRAME_INTERVAL = 100;

/** What one step did inside the kernel, with the whole kernel after it. */
export interface StepTrace {
  /** Kernel events in the order they happened (calls on other threads woken by this step included). */
  events: KernelEvent[];
  /** Counters that moved during the step (zero ones left out). */
  cost: Partial<Stats>;
  /** The whole kernel after the step. */
  snapshot: KernelSnapshot;
  /** What changed since the previous step's snapshot, one readable line each. */
  changes: string[];
}

/**
 * A step's kernel state as the trace format stores it: a full `snapshot` (a keyframe), or the
 * `delta` that turns the previous step's snapshot (step 0: `initial`) into this one.
 */
export type StoredState = { snapshot: KernelSnapshot } | { delta: DeltaOp[] };

/** What the trace format keeps of a run (docs/trace-format.md), as far as rebuilding needs. */
export interface StoredTrace {
  initial: KernelSnapshot;
  steps: readonly StoredState[];
}

/**
 * A simulated-kernel backend that records. Each `take()` returns what happened since the last
 * one; call it after every step.
 */
export class TraceRecorder {
  private kernel: Kernel | null = null;
  private events: KernelEvent[] = [];
  private lastStats: Stats = newStats();
  private firstSnapshot: KernelSnapshot | null = null;
  private lastSnapshot: KernelSnapshot | null = null;

  readonly backend: Backend = {
    name: 'sim',
    createProcess: async () => {
      const k = new Kernel();
      k.attach((e) => this.events.push(e));
      this.kernel = k;
      const p = createScriptProcess(k);
      this.lastStats = { ...k.stats };
      this.firstSnapshot = this.lastSnapshot = snapshot(k);
      return new SimProcessHandle(k, p);
    },
  };

  /** The snapshot before the first step (null until the traced process is created). */
  initial(): KernelSnapshot | null {
    return this.firstSnapshot;
  }

  take(): StepTrace {
    const k = this.kernel;
    if (!k) throw new Error('the traced process was not created');
    const snap = snapshot(k);
    const cost: Partial<Stats> = {};
    const d = diffStats(k.stats, this.lastStats);
    for (const [key, v] of Object.entries(d) as [keyof Stats, number][]) if (v !== 0) cost[key] = v;
    const changes = this.lastSnapshot ? diffSnapshots(this.lastSnapshot, snap) : [];
    const out: StepTrace = { events: this.events, cost, snapshot: snap, changes };
    this.events = [];
    this.lastStats = { ...k.stats };
    this.lastSnapshot = snap;
    return out;
  }
}

/**
 * Turns the snapshots of a run, in order, into what the trace stores: a keyframe every
 * `interval` steps (steps interval−1, 2·interval−1, ...), a delta otherwise.
 */
export class TraceEncoder {
  private count = 0;

  constructor(
    private previous: KernelSnapshot,
    private readonly interval = KEYFRAME_INTERVAL,
  ) {}

  encode(snap: KernelSnapshot): StoredState {
    const before = this.previous;
    this.previous = snap;
    return ++this.count % this.interval === 0 ? { snapshot: snap } : { delta: diffJson(before, snap) };
  }
}

/**
 * The whole kernel after step `step` of a stored trace (−1: before the first step), rebuilt
 * from the last keyframe at or before it. Any order of steps works; the trace is not modified,
 * and the result shares nothing with it.
 */
export function rebuildSnapshot(trace: StoredTrace, step: number): KernelSnapshot {
  if (!Number.isInteger(step) || step < -1 || step >= trace.steps.length)
    throw new RangeError(`step ${step} is not in the trace (0 to ${trace.steps.length - 1}, or -1)`);
  let from = step;
  while (from >= 0 && !('snapshot' in trace.steps[from])) from--;
  const base = from < 0 ? trace.initial : (trace.steps[from] as { snapshot: KernelSnapshot }).snapshot;
  const ops: DeltaOp[] = [];
  for (let i = from + 1; i <= step; i++)
    for (const op of (trace.steps[i] as { delta: DeltaOp[] }).delta) ops.push(op);
  return applyDelta(base, ops);
}

// ---- readable forms ----

/** One line per kernel event. */
export function describeEvent(e: KernelEvent): string {
  const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
  switch (e.type) {
    case 'wake_up':
      return `wake_up(${e.queue}, nr_exclusive=${e.nr_exclusive}, key=${e.key ? hex(e.key) : 'all'})`;
    case 'wait_add':
      return `  + ${e.kind} entry #${e.entry} on ${e.queue} (${e.exclusive ? 'exclusive' : 'shared'}, ${e.at})`;
    case 'wait_remove':
      return `  - entry #${e.entry} off ${e.queue}`;
    case 'thread_block':
      return `thread ${e.thread} sleeps in ${e.call}${e.deadline === null ? '' : ` until ${e.deadline} ns`}`;
    case 'thread_wake':
      return `thread ${e.thread} is woken (${e.reason})`;
    case 'clock_advance':
      return `clock ${e.from} → ${e.to} ns`;
    case 'file_release':
      return `last reference gone: ${e.fileType} file #${e.file} released`;
    case 'ep_poll_callback':
      return `  ep_poll_callback(epitem #${e.epi}, key=${hex(e.key)}) → ${e.result}`;
    case 'rdllist_append':
      return `  ready list of ep #${e.ep} += epitem #${e.epi} (${e.why})`;
    case 'rdllist_remove':
      return `  ready list of ep #${e.ep} -= epitem #${e.epi} (${e.why})`;
    case 'ovflist_push':
      return `  overflow list of ep #${e.ep} += epitem #${e.epi}`;
    case 'rbtree_insert':
      return `  interest tree of ep #${e.ep}: insert epitem #${e.epi}`;
    case 'rbtree_erase':
      return `  interest tree of ep #${e.ep}: erase epitem #${e.epi}`;
    case 'rbtree_rotate':
      return `  interest tree of ep #${e.ep}: rotate ${e.dir} at epitem #${e.epi}`;
    case 'event_delivered':
      return `  deliver epitem #${e.epi} events=${hex(e.events)}`;
    case 'ep_scan':
      return e.phase === 'start'
        ? `  scan of ep #${e.ep} takes the ready list [${e.epis.join(', ')}]`
        : `  scan of ep #${e.ep} done: [${e.epis.join(', ')}] back on the ready list`;
    case 'syscall_enter':
      return `${e.thread} enters ${e.call}`;
    case 'syscall_exit':
      return `${e.thread} leaves ${e.call} → ${e.ret}`;
    default: {
      // A new event type must get a line here (this stops compiling until it does).
      const unknown: never = e;
      return JSON.stringify(unknown);
    }
  }
}

/**
 * What changed between two snapshots, one line per changed value, with files and entries matched
 * by id: `file #7 (pipe).detail.occupancy: 0 → 1`. Counters and the clock are left out (the
 * trace shows them separately).
 */
export function diffSnapshots(before: KernelSnapshot, after: KernelSnapshot): string[] {
  const out: string[] = [];
  const files = (s: KernelSnapshot) => new Map(s.files.map((f) => [f.id, f]));
  const a = files(before);
  const b = files(after);
  // Files that share their type's object (both ends of a pipe) show its changes once, under
  // the object's name: `pipe #5 (files #7, #8).occupancy: 0 → 1`.
  const sharers = new Map<string, number[]>();
  for (const f of after.files) {
    const key = sharedKey(f);
    if (key !== null) sharers.set(key, [...(sharers.get(key) ?? []), f.id]);
  }
  const shown = new Set<string>();
  for (const [id, f] of b) {
    const label = `file #${id} (${f.type})`;
    const old = a.get(id);
    if (!old) {
      out.push(`${label}: opened`);
      continue;
    }
    const { detail: oldDetail, ...oldRest } = old;
    const { detail, ...rest } = f;
    diffValue(label, oldRest, rest, out);
    const key = sharedKey(f);
    const ids = key === null ? [] : (sharers.get(key) ?? []);
    if (key === null || ids.length < 2) diffValue(`${label}.detail`, oldDetail, detail, out);
    else if (!shown.has(key)) {
      shown.add(key);
      const name = `${f.type} #${(detail as { id: number }).id} (files ${ids.map((i) => `#${i}`).join(', ')})`;
      diffValue(name, oldDetail, detail, out);
    }
  }
  for (const [id, f] of a) if (!b.has(id)) out.push(`file #${id} (${f.type}): released`);
  before.processes.forEach((p, i) => {
    const q = after.processes[i];
    if (q) {
      diffValue(`pid ${p.pid} fds`, fdMap(p.fdtable.fds), fdMap(q.fdtable.fds), out);
      diffValue(`pid ${p.pid} threads`, threadMap(p.threads), threadMap(q.threads), out);
    }
  });
  diffValue('state', before.state, after.state, out);
  return out;
}

/** The object a file's detail describes, if it has an id of its own ("pipe:5"); else null. */
function sharedKey(f: KernelSnapshot['files'][number]): string | null {
  const id = (f.detail as { id?: unknown } | null)?.id;
  return typeof id === 'number' ? `${f.type}:${id}` : null;
}

function fdMap(fds: { fd: number; file: number; cloexec: boolean }[]): Record<string, string> {
  return Object.fromEntries(fds.map((f) => [String(f.fd), `file #${f.file}${f.cloexec ? ' cloexec' : ''}`]));
}

function threadMap(ts: { name: string; state: string; call: string | null }[]): Record<string, string> {
  return Object.fromEntries(ts.map((t) => [t.name, t.call ? `${t.state} in ${t.call}` : t.state]));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'none' : s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function diffValue(path: string, a: unknown, b: unknown, out: string[]): void {
  if (Object.is(a, b)) return;
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
      diffValue(`${path}.${key}`, a[key], b[key], out);
    return;
  }
  // Lists of things with ids (queue entries, epitems): compare as lists of ids, then each by id.
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].every((x) => isObject(x) && 'id' in x)) {
    const ids = (l: unknown[]) => l.map((x) => (x as { id: unknown }).id);
    if (short(ids(a)) !== short(ids(b))) out.push(`${path}: [${ids(a).join(', ')}] → [${ids(b).join(', ')}]`);
    const byId = new Map(a.map((x) => [(x as { id: unknown }).id, x]));
    for (const x of b) {
      const old = byId.get((x as { id: unknown }).id);
      if (old !== undefined) diffValue(`${path}[#${(x as { id: unknown }).id}]`, old, x, out);
    }
    return;
  }
  if (short(a) !== short(b)) out.push(`${path}: ${short(a)} → ${short(b)}`);
}
