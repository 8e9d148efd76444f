// From one snapshot (docs/trace-format.md) to what the kernel panel draws: processes and their
// threads (with the queue each sleeps on), fd tables, open files by type, every wait queue with
// its entries, and each eventpoll (tree, ready list, overflow list, waiters). Pure functions.

import {
  type EpitemSnapshot,
  type EventpollSnapshot,
  type FileSnapshot,
  FLAG_TABLES,
  formatMask,
  type KernelSnapshot,
  type WaitQueueSnapshot,
} from '../../../src/index.ts';
import { layoutTree, type TreeLayout } from './rbtree.ts';
import { type ProcessSignalView, signalViews } from './signals.ts';

export interface ThreadView {
  pid: number;
  id: number;
  name: string;
  state: string;
  call: string | null;
  /** The wait queues the thread has an entry on (where it sleeps). */
  sleepsOn: string[];
}

export interface FdView {
  pid: number;
  fd: number;
  file: number;
  cloexec: boolean;
}

export interface WaitQueueView extends WaitQueueSnapshot {
  /** The files whose state holds this queue (a pipe's queue belongs to both its ends). */
  files: number[];
}

export interface ReadyItem {
  epi: number;
  fd: number;
  file: number;
  events: string;
}

export interface EventpollView {
  /** The eventpoll's own id and its file. */
  id: number;
  file: number;
  tree: TreeLayout;
  items: EpitemSnapshot[];
  ready: ReadyItem[];
  /** The scan batch while epoll_wait's scan runs, else null. */
  scanBatch: ReadyItem[] | null;
  /** The overflow list while a scan runs (newest first); null outside a scan. */
  ovflist: ReadyItem[] | null;
  waiters: string[];
}

export interface KernelView {
  clock: number;
  threads: ThreadView[];
  fds: FdView[];
  files: FileSnapshot[];
  waitQueues: WaitQueueView[];
  eventpolls: EventpollView[];
  /** Each process's signal state (masks, pending sets, dispositions, signalfds). */
  signals: ProcessSignalView[];
  state: Record<string, unknown>;
}

function isWaitQueue(v: unknown): v is WaitQueueSnapshot {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.id === 'number' && typeof o.name === 'string' && Array.isArray(o.entries);
}

/** Every wait queue under `v`, in the order met (depth first). */
function collectQueues(v: unknown, out: WaitQueueSnapshot[]): void {
  if (isWaitQueue(v)) {
    out.push(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectQueues(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) collectQueues(x, out);
}

/** Every wait queue of the kernel once (by id), with the files that hold it, in id order. */
export function waitQueues(snap: KernelSnapshot): WaitQueueView[] {
  const byId = new Map<number, WaitQueueView>();
  for (const f of snap.files) {
    const found: WaitQueueSnapshot[] = [];
    collectQueues(f.detail, found);
    for (const q of found) {
      const have = byId.get(q.id);
      if (have) {
        if (!have.files.includes(f.id)) have.files.push(f.id);
      } else byId.set(q.id, { ...q, files: [f.id] });
    }
  }
  const rest: WaitQueueSnapshot[] = [];
  // A process's own queues (sighand->signalfd_wqh: signalfd readers and pollers sleep there).
  for (const p of snap.processes) collectQueues(p.signal, rest);
  collectQueues(snap.state, rest);
  for (const q of rest) if (!byId.has(q.id)) byId.set(q.id, { ...q, files: [] });
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function isEventpoll(f: FileSnapshot): boolean {
  return f.type === 'eventpoll' && f.detail !== null;
}

function readyItems(ids: readonly number[], items: Map<number, EpitemSnapshot>): ReadyItem[] {
  return ids.map((epi) => {
    const it = items.get(epi);
    return {
      epi,
      fd: it?.fd ?? -1,
      file: it?.file ?? -1,
      events: it ? formatMask(it.events, FLAG_TABLES.epoll) : '?',
    };
  });
}

export function eventpollView(ep: EventpollSnapshot): EventpollView {
  const items = new Map(ep.items.map((i) => [i.id, i]));
  return {
    id: ep.id,
    file: ep.file,
    tree: layoutTree(ep.tree),
    items: ep.items,
    ready: readyItems(ep.rdllist, items),
    scanBatch: ep.scanBatch ? readyItems(ep.scanBatch, items) : null,
    ovflist: Array.isArray(ep.ovflist) ? readyItems(ep.ovflist, items) : null,
    waiters: ep.waiters,
  };
}

export function kernelView(snap: KernelSnapshot): KernelView {
  const queues = waitQueues(snap);
  const sleeps = new Map<number, string[]>();
  for (const q of queues)
    for (const e of q.entries)
      if (e.owner.kind === 'thread') sleeps.set(e.owner.id, [...(sleeps.get(e.owner.id) ?? []), q.name]);
  const threads: ThreadView[] = [];
  const fds: FdView[] = [];
  for (const p of snap.processes) {
    for (const t of p.threads) threads.push({ pid: p.pid, ...t, sleepsOn: sleeps.get(t.id) ?? [] });
    for (const e of p.fdtable.fds) fds.push({ pid: p.pid, ...e });
  }
  const eventpolls = snap.files.filter(isEventpoll).map((f) => eventpollView(f.detail as EventpollSnapshot));
  // The snapshot gives an eventpoll's own queue (ep->wq) as its waiters' names: a thread named
  // there sleeps on it (unless the queue is drawn with its entries already).
  for (const ep of eventpolls) {
    const wq = `eventpoll:${ep.id}.wq`;
    for (const name of ep.waiters)
      for (const t of threads) if (t.name === name && !t.sleepsOn.includes(wq)) t.sleepsOn.push(wq);
  }
  return {
    clock: snap.clock,
    threads,
    fds,
    files: snap.files,
    waitQueues: queues,
    eventpolls,
    signals: signalViews(snap),
    state: snap.state,
  };
}

/** The fd numbers (pid:fd) that refer to each file id, for labels ("fd 3"). */
export function fdsByFile(view: KernelView): Map<number, FdView[]> {
  const out = new Map<number, FdView[]>();
  for (const e of view.fds) out.set(e.file, [...(out.get(e.file) ?? []), e]);
  return out;
}

/** Linux: include/uapi/asm-generic/fcntl.h — O_LARGEFILE, which the kernel sets on 64-bit opens. */
const O_LARGEFILE = 0o100000;

/** f_flags as Linux names (O_RDONLY is 0: shown when no access bit is set). */
export function fileFlags(flags: number): string {
  const access = flags & 3;
  const rest = formatMask(flags & ~3, { ...FLAG_TABLES.open, O_LARGEFILE });
  const acc = access === 0 ? 'O_RDONLY' : access === 1 ? 'O_WRONLY' : 'O_RDWR';
  return rest === '0' ? acc : `${acc}|${rest}`;
}
