// Tracing a run on the simulated kernel: per step, the kernel events inside it, its cost
// counters, a full snapshot after it, and what changed since the step before. The JSON form is
// the trace format (docs/trace-format.md), which the playground renders; `describe*` give the
// readable form `iomux trace` prints.

import type { Backend } from '../api/backend.ts';
import { SimProcessHandle } from '../kernel/backend.ts';
import type { KernelEvent } from '../kernel/events.ts';
import { Kernel } from '../kernel/kernel.ts';
import { diffStats, newStats, type Stats } from '../kernel/stats.ts';
import { createScriptProcess } from '../kernel/system.ts';
import { type KernelSnapshot, snapshot } from './snapshot.ts';

export const TRACE_FORMAT = 'iomux-trace';
export const TRACE_VERSION = 1;

/** What one step did inside the kernel. */
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
 * A simulated-kernel backend that records. Each `take()` returns what happened since the last
 * one; call it after every step.
 */
export class TraceRecorder {
  private kernel: Kernel | null = null;
  private events: KernelEvent[] = [];
  private lastStats: Stats = newStats();
  private lastSnapshot: KernelSnapshot | null = null;

  readonly backend: Backend = {
    name: 'sim',
    createProcess: async () => {
      const k = new Kernel();
      k.attach((e) => this.events.push(e));
      this.kernel = k;
      const p = createScriptProcess(k);
      this.lastStats = { ...k.stats };
      this.lastSnapshot = snapshot(k);
      return new SimProcessHandle(k, p);
    },
  };

  /** The snapshot before the first step. */
  initial(): KernelSnapshot | null {
    return this.lastSnapshot;
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
    default:
      return JSON.stringify(e);
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
  for (const [id, f] of b) {
    const label = `file #${id} (${f.type})`;
    const old = a.get(id);
    if (!old) out.push(`${label}: opened`);
    else diffValue(label, old, f, out);
  }
  for (const [id, f] of a) if (!b.has(id)) out.push(`file #${id} (${f.type}): released`);
  before.processes.forEach((p, i) => {
    const q = after.processes[i];
    if (q) {
      diffValue(`pid ${p.pid} fds`, fdMap(p.fdtable.fds), fdMap(q.fdtable.fds), out);
      diffValue(`pid ${p.pid} threads`, threadMap(p.threads), threadMap(q.threads), out);
    }
  });
  return out;
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
