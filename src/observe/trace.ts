// Tracing a run on the simulated kernel: per step, the kernel events inside it, its cost
// counters, a snapshot after it, and what changed since the step before. The JSON form is the
// trace format (docs/trace-format.md), which the playground renders: a full snapshot before the
// first step and every KEYFRAME_INTERVAL steps, and between them only what changed (a delta),
// so that a long run stays small and any step can still be rebuilt (rebuildSnapshot), forwards
// or backwards. `describe*` give the readable form `iomux trace` prints, in the script's words
// when given its names (names.ts): `$ep (fd 5)`, not `file #14` / `ep #11`.

import { SA, signalName } from '../abi/signal.ts';
import type { Backend } from '../api/backend.ts';
import { SimProcessHandle } from '../kernel/backend.ts';
import type { KernelEvent } from '../kernel/events.ts';
import { Kernel } from '../kernel/kernel.ts';
import { diffStats, newStats, type Stats } from '../kernel/stats.ts';
import { createScriptProcess } from '../kernel/system.ts';
import { applyDelta, type DeltaOp, diffJson, isObject } from './delta.ts';
import {
  type FdNamer,
  fdLabel,
  formatEvents,
  formatOpenFlags,
  type NameTable,
  namesFor,
  nameTable,
} from './names.ts';
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
  /** The same, as the operations that turn the previous snapshot into this one. */
  delta: DeltaOp[];
  /** The script's names of the objects the events refer to (describeEvent's `names`). */
  names: NameTable;
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

  /** `nameOf`: the script's name of a descriptor (its bindings), so the step names objects as the script does. */
  take(nameOf?: FdNamer): StepTrace {
    const k = this.kernel;
    if (!k) throw new Error('the traced process was not created');
    const snap = snapshot(k);
    const cost: Partial<Stats> = {};
    const d = diffStats(k.stats, this.lastStats);
    for (const [key, v] of Object.entries(d) as [keyof Stats, number][]) if (v !== 0) cost[key] = v;
    const table = nameTable([this.lastSnapshot!, snap], nameOf);
    const { delta, changes } = diffSnapshots(this.lastSnapshot!, snap, nameOf && table, nameOf);
    const names = namesFor(table, this.events);
    const out: StepTrace = { events: this.events, cost, snapshot: snap, changes, delta, names };
    this.events = [];
    this.lastStats = { ...k.stats };
    this.lastSnapshot = snap;
    return out;
  }
}

/**
 * Turns the steps of a run, in order, into what the trace stores: a keyframe every `interval`
 * steps (steps interval−1, 2·interval−1, ...), the step's delta otherwise.
 */
export class TraceEncoder {
  private count = 0;

  constructor(private readonly interval = KEYFRAME_INTERVAL) {}

  encode(step: Pick<StepTrace, 'snapshot' | 'delta'>): StoredState {
    return ++this.count % this.interval === 0 ? { snapshot: step.snapshot } : { delta: step.delta };
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

/**
 * One line per kernel event. With `names` (a step's `names`: nameTable/namesFor), objects are
 * called as the script calls them (`$ep (fd 5)`) and the kernel ids the line replaced follow in
 * brackets; without, by kernel id. Masks and flag words are decoded to Linux names.
 */
export function describeEvent(e: KernelEvent, names?: NameTable): string {
  const ids: string[] = [];
  const name = (key: string, kernel: string): string => {
    const n = names?.[key];
    if (n === undefined) return kernel;
    if (!ids.includes(kernel)) ids.push(kernel);
    return n;
  };
  const line = describe(e, name, (key) => names?.[key]);
  return ids.length > 0 ? `${line}  [${ids.join(', ')}]` : line;
}

type Namer = (key: string, kernel: string) => string;

function describe(e: KernelEvent, name: Namer, peek: (key: string) => string | undefined): string {
  const ev = formatEvents;
  const ep = (id: number) => name(`ep:${id}`, `ep #${id}`);
  const epi = (id: number) => name(`epi:${id}`, `epitem #${id}`);
  // An epitem on a line that names its epoll already: `$r (fd 3)`, not `$r (fd 3) in $ep (fd 5)`.
  const item = (epId: number, id: number) => {
    const n = epi(id);
    const suffix = ` in ${ep(epId)}`;
    return n.endsWith(suffix) ? n.slice(0, -suffix.length) : n;
  };
  const queue = (q: string) => name(`queue:${q}`, q);
  const entry = (id: number) => {
    const owner = peek(`entry:${id}`);
    return owner === undefined ? `entry #${id}` : `entry #${id} (${owner})`;
  };
  switch (e.type) {
    case 'wake_up':
      return `${e.from ? `${e.from}: ` : ''}wake_up(${queue(e.queue)}, nr_exclusive=${e.nr_exclusive}, key=${e.key ? ev(e.key) : 'all'})`;
    case 'wake_up_done': {
      if (e.walked === 0) return `  nobody woken: no waiter on ${queue(e.queue)}`;
      const woke = `  wake_up(${queue(e.queue)}) woke ${e.woken} of the ${e.walked} ${e.walked === 1 ? 'entry' : 'entries'} it called`;
      if (e.skipped.length === 0) return woke;
      const why = e.stop === 'exclusive' ? 'nr_exclusive ran out' : 'a wake function stopped the walk';
      return `${woke}; ${why}, not reached: ${e.skipped.map(entry).join(', ')}`;
    }
    case 'wake_skipped':
      return `${e.from}: no wake_up of ${queue(e.queue)}: ${e.why}`;
    case 'wait_add':
      return `  + ${e.kind} ${entry(e.entry)} on ${queue(e.queue)} (${e.exclusive ? 'exclusive' : 'shared'}, ${e.at})`;
    case 'wait_remove':
      return `  - ${entry(e.entry)} off ${queue(e.queue)}`;
    case 'thread_block':
      return `thread ${e.thread} sleeps in ${e.call}${e.deadline === null ? '' : ` until ${e.deadline} ns`}`;
    case 'thread_wake':
      return `thread ${e.thread} is woken (${e.reason})`;
    case 'clock_advance':
      return `clock ${e.from} → ${e.to} ns`;
    case 'file_release':
      return `last reference gone: ${e.fileType} ${name(`file:${e.file}`, `file #${e.file}`)} released`;
    case 'ep_poll_callback':
      return `  ep_poll_callback(${epi(e.epi)}, key=${e.key ? ev(e.key) : 'all'}) → ${e.result}`;
    case 'rdllist_append':
      return `  ready list of ${ep(e.ep)} += ${item(e.ep, e.epi)} (${e.why})`;
    case 'rdllist_remove':
      return `  ready list of ${ep(e.ep)} -= ${item(e.ep, e.epi)} (${e.why})`;
    case 'ovflist_push':
      return `  overflow list of ${ep(e.ep)} += ${item(e.ep, e.epi)}`;
    case 'rbtree_insert':
      return `  interest tree of ${ep(e.ep)}: insert ${item(e.ep, e.epi)}`;
    case 'rbtree_erase':
      return `  interest tree of ${ep(e.ep)}: erase ${item(e.ep, e.epi)}`;
    case 'rbtree_rotate':
      return `  interest tree of ${ep(e.ep)}: rotate ${e.dir} at ${item(e.ep, e.epi)}`;
    case 'event_delivered':
      return `  deliver ${epi(e.epi)} events=${ev(e.events)}`;
    case 'ep_scan':
      return e.phase === 'start'
        ? `  scan of ${ep(e.ep)} takes the ready list [${e.epis.map((i) => item(e.ep, i)).join(', ')}]`
        : `  scan of ${ep(e.ep)} done: [${e.epis.map((i) => item(e.ep, i)).join(', ')}] back on the ready list`;
    case 'ep_wait_none':
      return e.why === 'empty'
        ? `  epoll_wait returns 0: the ready list of ${ep(e.ep)} is empty`
        : e.why === 'timeout'
          ? `  epoll_wait returns 0: the timeout expired with nothing ready on ${ep(e.ep)}`
          : `  epoll_wait returns 0: every item on the ready list of ${ep(e.ep)} was re-polled, found not ready and dropped: ${e.dropped.map((i) => item(e.ep, i)).join(', ')}`;
    case 'errno': {
      const file =
        e.file !== undefined
          ? name(`file:${e.file}`, e.fd === undefined ? `file #${e.file}` : `(file #${e.file}, fd ${e.fd})`)
          : e.fd !== undefined
            ? `fd ${e.fd}`
            : 'the file';
      const why = e.why.replaceAll('{file}', file).replaceAll('{fd}', String(e.fd));
      return `  ${e.fn}: ${why} → ${e.errno}`;
    }
    case 'eventfd_read': {
      const bytes = [...u64le(BigInt(e.value))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      return `  eventfd_read of ${name(`file:${e.file}`, `file #${e.file}`)}: the u64 ${e.value} (bytes ${bytes}), counter now ${e.count}`;
    }
    case 'signal_generate': {
      const to = e.shared ? 'the process' : e.from === e.to ? 'itself' : `thread ${e.to}`;
      const head = `${e.from} sends ${signalName(e.sig)} to ${to}`;
      switch (e.result) {
        case 'queued':
          return `${head}: send_signal_locked queues it on ${e.shared ? 'the shared pending set (shared_pending)' : `${e.to}'s pending set`}`;
        case 'ignored':
          return `${head}: prepare_signal drops it: it would be ignored and ${e.to} does not block it`;
        case 'pending':
          return `${head}: not queued again, it is pending already (legacy_queue: a standard signal pends once)`;
        case 'exiting':
          return `${head}: dropped, the process is exiting`;
      }
      break;
    }
    case 'complete_signal':
      switch (e.why) {
        case 'target':
          return `  complete_signal: thread ${e.thread} takes ${signalName(e.sig)} (it does not block it)`;
        case 'walk':
          return `  complete_signal: thread ${e.thread} takes ${signalName(e.sig)}, the first that wants it walking from curr_target`;
        case 'none':
          return `  complete_signal: no thread wants ${signalName(e.sig)} now (each blocks it or has a signal pending): it stays pending`;
        case 'fatal':
          return `  complete_signal: ${signalName(e.sig)} is fatal (SIG_DFL terminates): the whole process exits now`;
      }
      break;
    case 'signal_wake_up':
      return e.state === 'sleeping'
        ? `  signal_wake_up: TIF_SIGPENDING set on ${e.thread}, asleep interruptibly: woken`
        : e.state === 'idle'
          ? `  signal_wake_up: TIF_SIGPENDING set on ${e.thread}, idle in user code: it takes the signal after this call`
          : `  signal_wake_up: TIF_SIGPENDING set on ${e.thread}: it looks on its way back to user space`;
    case 'signal_deliver': {
      const head = `${e.thread} on its way to user space: get_signal dequeues ${signalName(e.sig)}`;
      switch (e.action) {
        case 'handler':
          return `${head}; handle_signal runs its handler with ${sigs(e.blocked ?? [])} blocked (its frame will restore ${sigs(e.restore ?? [])})${e.resethand ? '; SA_RESETHAND: the disposition is SIG_DFL again' : ''}`;
        case 'ignored':
          return `${head} and drops it (SIG_IGN)`;
        case 'default_ignore':
          return `${head} and drops it (SIG_DFL, and its default action is to ignore)`;
        case 'term':
          return `${head}; its default action terminates the process`;
        case 'core':
          return `${head}; its default action dumps core and terminates the process`;
        case 'stop':
          return `${head}; its default action stops the process`;
      }
      break;
    }
    case 'signal_restart': {
      const code = `-${e.code}`;
      if (e.fn === 'arch_do_signal_or_restart')
        return e.decision === 'restart_block'
          ? `  arch_do_signal_or_restart: no handler ran: ${code}, so the call's restart block runs (same deadline)`
          : `  arch_do_signal_or_restart: no handler ran: ${code}, so the call is restarted`;
      const sig = e.sig === null ? 'a signal' : signalName(e.sig);
      return `  handle_signal: a handler ran for ${sig}: ${code}${e.code === 'ERESTARTSYS' ? ' under SA_RESTART' : ''}, so the call is restarted`;
    }
    case 'sigmask_set':
      return `  set_user_sigmask: ${e.thread} waits with ${sigs(e.mask)} blocked (saved_sigmask ${sigs(e.saved)})`;
    case 'sigmask_restore':
      return e.fn === 'sigreturn'
        ? `${e.thread}'s handler returns: rt_sigreturn restores blocked = ${sigs(e.mask)}`
        : `  restore_saved_sigmask: ${e.thread}'s blocked = ${sigs(e.mask)} again`;
    case 'group_exit':
      return `do_group_exit: pid ${e.pid} ${e.action === 'stop' ? 'stops' : e.action === 'core' ? 'dumps core and ends' : 'ends'} (${signalName(e.sig)})`;
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

/** The keys of a snapshot's signal state that hold signal sets or queues (ascending numbers). */
const SIGNAL_LISTS = new Set(['blocked', 'pending', 'sharedPending', 'savedSigmask', 'mask']);

/** SA_* flags by name (sa_flags as given). */
function saFlags(flags: number): string {
  // >>> 0: SA_RESETHAND is bit 31, negative in JavaScript's 32-bit operators.
  const names = Object.entries(SA)
    .filter(([, v]) => (flags & v) >>> 0 === v)
    .map(([n]) => n);
  const rest = (flags & ~Object.values(SA).reduce((m: number, v) => m | v, 0)) >>> 0;
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.length > 0 ? names.join('|') : '0';
}

/** A change to a process's or thread's signal state, with signals and SA flags named. */
function signalChange(a: unknown, b: unknown, path: readonly (string | number)[]): string {
  const last = String(path[path.length - 1]);
  const nums = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');
  const one = (v: unknown): string => {
    if (v === undefined) return 'none';
    if (v === null) return 'null';
    if (SIGNAL_LISTS.has(last) && nums(v)) return sigs(v);
    if (last === 'sig' && typeof v === 'number') return signalName(v);
    if (last === 'flags' && typeof v === 'number') return saFlags(v);
    if (last === 'actions' && Array.isArray(v))
      return `[${(v as { sig: number; handler: string; flags: number; mask: number[] }[])
        .map(
          (x) =>
            `${signalName(x.sig)}: ${x.handler}${x.flags ? ` ${saFlags(x.flags)}` : ''}${x.mask.length ? ` mask ${sigs(x.mask)}` : ''}`,
        )
        .join(', ')}]`;
    if (last === 'caught' && Array.isArray(v))
      return `[${(v as { sig: number; count: number }[]).map((x) => `${signalName(x.sig)} × ${x.count}`).join(', ')}]`;
    return short(v);
  };
  return `${one(a)} → ${one(b)}`;
}

/** A signal set as Linux names its members: `[SIGINT, SIGUSR1]`, `[]` for none. */
function sigs(list: readonly number[]): string {
  return `[${list.map(signalName).join(', ')}]`;
}

/** A u64 as the 8 little-endian bytes read() gives. */
function u64le(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return out;
}

/**
 * What changed between two snapshots: the delta (delta.ts), and one readable line per changed
 * value, objects named by kind and id: `file #7 (pipe).refcount: 1 → 2`, `pid 100 fd 3: file
 * #7`, `pipe #5 (files #7, #8).occupancy: 0 → 1` (a change to what several files share is one
 * line). Counters, the clock and timers are left out of the lines (the trace shows them
 * separately).
 */
export function diffSnapshots(
  before: KernelSnapshot,
  after: KernelSnapshot,
  names?: NameTable,
  nameOf?: FdNamer,
): { delta: DeltaOp[]; changes: string[] } {
  const changes: string[] = [];
  const seen = new Set<string>();
  const line = (s: string) => {
    if (!seen.has(s)) {
      seen.add(s);
      changes.push(s);
    }
  };
  const fdName = (fd: number) => (nameOf ? fdLabel(fd, nameOf) : `fd ${fd}`);
  let sharers: Map<string, number[]> | null = null;
  const shared = (f: FileSnapshot): string | null => {
    const key = sharedKey(f);
    if (key === null) return null;
    if (!sharers) {
      sharers = new Map();
      for (const g of after.files) {
        const k = sharedKey(g);
        if (k !== null) sharers.set(k, [...(sharers.get(k) ?? []), g.id]);
      }
    }
    const ids = sharers.get(key) ?? [];
    if (ids.length < 2) return null;
    const kernel = `${key.replace(':', ' #')} (files ${ids.map((i) => `#${i}`).join(', ')})`;
    const named = names?.[`object:${key}`];
    return named ? `${named}\u0000${kernel}` : kernel;
  };
  // A file as the script calls it, its kernel id after the line; else by kernel id.
  const fileLabel = (f: FileSnapshot): string => {
    const kernel = `file #${f.id} (${f.type})`;
    const named = names?.[`file:${f.id}`];
    return named && named !== `file #${f.id}` ? `${named}\u0000${kernel}` : kernel;
  };
  // Lists of epitem ids (an eventpoll's ready list and items, a file's watchedBy) by what they watch.
  const epitems = (f: FileSnapshot): ((id: number) => string) | undefined => {
    if (!names) return undefined;
    const epName = f.type === 'eventpoll' ? names[`file:${f.id}`] : undefined;
    return (id) => {
      const n = names[`epi:${id}`];
      if (n === undefined) return String(id);
      return epName && n.endsWith(` in ${epName}`) ? n.slice(0, -` in ${epName}`.length) : n;
    };
  };
  // `label\0kernel` + rest → `label rest  [kernel]`.
  const withIds = (label: string, rest: string) => {
    const nul = label.indexOf('\u0000');
    return nul < 0 ? `${label}${rest}` : `${label.slice(0, nul)}${rest}  [${label.slice(nul + 1)}]`;
  };
  const delta = diffJson(before, after, (op, a, b) => {
    const [top, index, ...rest] = op.path;
    if (top === 'stats' || top === 'clock' || top === 'timers') return;
    if (top === 'files' && index === undefined) {
      // A file opened or released: a splice of the list.
      const ids = new Set((b as FileSnapshot[]).map((f) => f.id));
      const old = new Set((a as FileSnapshot[]).map((f) => f.id));
      for (const f of b as FileSnapshot[]) if (!old.has(f.id)) line(withIds(fileLabel(f), ': opened'));
      for (const f of a as FileSnapshot[]) if (!ids.has(f.id)) line(withIds(fileLabel(f), ': released'));
      return;
    }
    if (top === 'files') {
      const f = after.files[index as number];
      const owner = rest[0] === 'detail' ? shared(f) : null;
      const label = owner ?? fileLabel(f);
      if (names && f.type === 'eventpoll' && rest[0] === 'detail' && rest[1] === 'tree') {
        // Any change inside the interest tree (an insert, a rotation): the whole tree, once.
        const was = before.files.find((g) => g.id === f.id)?.detail as { tree?: unknown } | undefined;
        const now = f.detail as { tree?: unknown };
        line(withIds(label, `.tree: ${valueChange(was?.tree ?? null, now.tree, ['tree'], epitems(f))}`));
        return;
      }
      // A named file's detail is the file's own state: `$ep (fd 5).rdllist`.
      const tail = owner || (label.includes('\u0000') && rest[0] === 'detail') ? rest.slice(1) : rest;
      line(
        withIds(
          label,
          `${pathText(tail, tail !== rest ? f.detail : f)}: ${valueChange(a, b, op.path, epitems(f))}`,
        ),
      );
      return;
    }
    if (top === 'processes' && index !== undefined) {
      const p = after.processes[index as number];
      if (rest[0] === 'fdtable' && rest[1] === 'fds') {
        if (rest.length === 2) {
          const fds = (l: unknown) => new Map((l as FdSnapshot[]).map((e) => [e.fd, e]));
          const [was, now] = [fds(a), fds(b)];
          for (const [fd, e] of now)
            if (!sameFd(was.get(fd), e)) line(`pid ${p.pid} ${fdName(fd)}: ${fdText(e)}`);
          for (const fd of was.keys()) if (!now.has(fd)) line(`pid ${p.pid} ${fdName(fd)}: closed`);
        } else {
          const e = p.fdtable.fds[rest[2] as number];
          line(`pid ${p.pid} ${fdName(e.fd)}: ${fdText(e)}`);
        }
        return;
      }
      if (rest[0] === 'threads' && rest[2] === 'signal') {
        // A thread's mask or pending set: `pid 100 thread main.signal.blocked: [] → [SIGUSR1]`.
        const t = p.threads[rest[1] as number];
        line(
          `pid ${p.pid} thread ${t.name}.signal${pathText(rest.slice(3), t.signal)}: ${signalChange(a, b, op.path)}`,
        );
        return;
      }
      if (rest[0] === 'signal') {
        line(`pid ${p.pid}.signal${pathText(rest.slice(1), p.signal)}: ${signalChange(a, b, op.path)}`);
        return;
      }
      if (rest[0] === 'threads' && rest.length > 1) {
        const t = p.threads[rest[1] as number];
        line(`pid ${p.pid} thread ${t.name}: ${t.call ? `${t.state} in ${t.call}` : t.state}`);
        return;
      }
      line(`pid ${p.pid}${pathText(rest, p)}: ${valueChange(a, b, op.path)}`);
      return;
    }
    line(
      `${top}${pathText(op.path.slice(1), (after as unknown as Record<string, unknown>)[top])}: ${valueChange(a, b, op.path)}`,
    );
  });
  return { delta, changes };
}

type FileSnapshot = KernelSnapshot['files'][number];
type FdSnapshot = KernelSnapshot['processes'][number]['fdtable']['fds'][number];

const fdText = (e: FdSnapshot) => `file #${e.file}${e.cloexec ? ' cloexec' : ''}`;
const sameFd = (x: FdSnapshot | undefined, y: FdSnapshot) =>
  x !== undefined && x.file === y.file && x.cloexec === y.cloexec;

/** The object a file's detail describes, if it has an id of its own ("pipe:5"); else null. */
function sharedKey(f: FileSnapshot): string | null {
  const id = (f.detail as { id?: unknown } | null)?.id;
  return typeof id === 'number' ? `${f.type}:${id}` : null;
}

/** A path below `root` as text: `.key`, and `[#id]` for an element with an id, else `[i]`. */
function pathText(path: readonly (string | number)[], root: unknown): string {
  let out = '';
  let node = root;
  for (const key of path) {
    const next = (node as Record<string | number, unknown> | null | undefined)?.[key];
    const id = (next as { id?: unknown } | null | undefined)?.id;
    out += typeof key === 'number' ? (typeof id === 'number' ? `[#${id}]` : `[${key}]`) : `.${key}`;
    node = next;
  }
  return out;
}

/** The keys whose lists hold epitem ids. */
const EPITEM_LISTS = new Set(['rdllist', 'scanBatch', 'ovflist', 'items', 'watchedBy', 'inorder']);

function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'none' : s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * `old → new`; lists of things with ids (queue entries, epitems) as their ids; a file's `flags`
 * as open flags and an event mask (`events`, `key`, `revents`) as Linux names them.
 */
function valueChange(
  a: unknown,
  b: unknown,
  path: readonly (string | number)[],
  epitem?: (id: number) => string,
): string {
  const last = path[path.length - 1];
  if (epitem && EPITEM_LISTS.has(String(last))) {
    const list = (l: unknown) =>
      Array.isArray(l)
        ? `[${l.map((x) => (typeof x === 'number' ? epitem(x) : isObject(x) && typeof (x.id ?? x.epi) === 'number' ? epitem((x.id ?? x.epi) as number) : short(x))).join(', ')}]`
        : short(l);
    if (Array.isArray(a) || Array.isArray(b)) return `${list(a)} → ${list(b)}`;
  }
  if (epitem && (last === 'tree' || last === 'left' || last === 'right')) {
    // A red-black (sub)tree in order: `(left) item:colour (right)`.
    const tree = (n: unknown): string => {
      if (!isObject(n) || typeof n.epi !== 'number') return short(n);
      const left = n.left ? `(${tree(n.left)}) ` : '';
      const right = n.right ? ` (${tree(n.right)})` : '';
      return `${left}${epitem(n.epi)}:${n.colour}${right}`;
    };
    return `${tree(a)} → ${tree(b)}`;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    if (last === 'flags' && path[0] === 'files' && path.length === 3)
      return `${formatOpenFlags(a)} → ${formatOpenFlags(b)}`;
    if (last === 'events' || last === 'key' || last === 'revents')
      return `${formatEvents(a)} → ${formatEvents(b)}`;
  }
  const ids = (l: unknown) =>
    Array.isArray(l) && l.every((x) => isObject(x) && 'id' in x)
      ? `[${l.map((x) => x.id).join(', ')}]`
      : null;
  const [ia, ib] = [ids(a), ids(b)];
  if (ia !== null && ib !== null) return `${ia} → ${ib}`;
  return `${short(a)} → ${short(b)}`;
}
