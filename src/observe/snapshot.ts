// A snapshot of the whole simulated kernel as plain JSON with stable ids (as Python Tutor's
// traces): processes and their fd tables, open file descriptions with their type's private
// state (buffers, counters, refcounts, wait queues), each eventpoll's interest tree, ready list
// and overflow list, threads and what each is blocked on, timers and the clock, and the state
// the file types keep per kernel (the AF_UNIX namespace, epoll's watch count, the user's pipe
// pages, the select/poll calls in progress). A renderer only draws it, so any step can be shown
// forwards or backwards. Each process and thread carries its signal state (masks, pending sets,
// dispositions, handler counts). No pointers and no class names: every object is named by a kind and
// its id, so a bundled, minified consumer reads the same snapshot.

import { watchedBy } from '../kernel/eventpoll/epitem.ts';
import type { File } from '../kernel/file.ts';
import type { Kernel } from '../kernel/kernel.ts';
import {
  type ProcessSignalSnapshot,
  snapshotSignal,
  snapshotThreadSignal,
  type ThreadSignalSnapshot,
} from '../kernel/signal.ts';
import type { Stats } from '../kernel/stats.ts';

export { snapshotWaitQueue, type WaitQueueSnapshot } from '../kernel/waitqueue.ts';

export const SNAPSHOT_VERSION = 2;

export interface FileSnapshot {
  id: number;
  type: string;
  /** f_count: fd slots, select/poll entries and in-flight calls that hold it. */
  refcount: number;
  flags: number;
  mode: number;
  /** Ids of the epoll items watching this file (f_ep). */
  watchedBy: number[];
  /** The file type's own state (pipe ring, socket queues, eventfd counter, eventpoll...). */
  detail: object | null;
}

export interface KernelSnapshot {
  version: typeof SNAPSHOT_VERSION;
  /** Virtual CLOCK_MONOTONIC, ns. */
  clock: number;
  processes: {
    pid: number;
    fdtable: {
      capacity: number;
      rlimit: { soft: number; hard: number };
      fds: { fd: number; file: number; cloexec: boolean }[];
    };
    threads: {
      id: number;
      name: string;
      state: string;
      call: string | null;
      /** Its mask, private pending signals and flags (src/kernel/signal.ts). */
      signal: ThreadSignalSnapshot;
    }[];
    /** Shared pending signals, dispositions, handler counts, the signalfd queue. */
    signal: ProcessSignalSnapshot;
  }[];
  files: FileSnapshot[];
  timers: { when: number; label: string }[];
  /**
   * The state file types keep per kernel (defineKernelState), by name, each as its type
   * snapshots it: `pipe` (the user's pipe pages), `pollwait` (the poll_wqueues of select/poll
   * calls in progress), `unix` (the abstract namespace), `epoll` (watches and limits). A name
   * appears once the kernel has used that state.
   */
  state: Record<string, unknown>;
  stats: Stats;
}

function snapshotFile(k: Kernel, f: File): FileSnapshot {
  return {
    id: f.id,
    type: f.ops.type,
    refcount: f.count,
    flags: f.flags,
    mode: f.mode,
    watchedBy: watchedBy(f),
    detail: f.ops.snapshot ? f.ops.snapshot(k, f) : null,
  };
}

export function snapshot(k: Kernel): KernelSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    clock: k.now,
    processes: k.processes.map((p) => ({
      pid: p.pid,
      fdtable: {
        capacity: p.fdtable.capacity,
        rlimit: { ...p.fdtable.rlimit },
        fds: p.fdtable.openFds().map((fd) => ({
          fd,
          file: p.fdtable.get(fd)!.id,
          cloexec: p.fdtable.cloexec.has(fd),
        })),
      },
      threads: [...p.threads.values()].map((t) => ({
        id: t.id,
        name: t.name,
        state: t.state,
        call: t.call ? `${t.call.name}(${t.call.args})` : null,
        signal: snapshotThreadSignal(t),
      })),
      signal: snapshotSignal(p),
    })),
    files: [...k.files].sort((a, b) => a.id - b.id).map((f) => snapshotFile(k, f)),
    timers: k.pendingTimers().map((t) => ({ when: t.when, label: t.label })),
    state: k.snapshotStates(),
    stats: { ...k.stats },
  };
}
