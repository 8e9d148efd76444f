// A process's signal state as the kernel panel draws it (from the snapshot's `signal` objects,
// src/kernel/signal.ts): each thread's mask, private pending queue and TIF_SIGPENDING; the
// process's shared pending queue, the dispositions that are not SIG_DFL, the handler counts,
// and its signalfds with the signals each reads. Signals are named as results name them.

import { SA, signalName } from '../../../src/abi/signal.ts';
import type { KernelSnapshot } from '../../../src/index.ts';

export interface ThreadSignalView {
  /** The thread's id in the snapshot (the `thread:<id>` key's). */
  id: number;
  name: string;
  tid: number;
  blocked: string[];
  /** task_struct.pending, in queue order. */
  pending: string[];
  /** TIF_SIGPENDING. */
  sigpending: boolean;
  /** The mask a p* call in progress will restore, or null. */
  savedSigmask: string[] | null;
}

export interface ProcessSignalView {
  pid: number;
  /** signal_struct.shared_pending, in queue order. */
  sharedPending: string[];
  actions: { sig: string; handler: string; flags: string; mask: string[] }[];
  caught: { sig: string; count: number }[];
  /** Threads sleeping on (or polling) sighand->signalfd_wqh: its entry count. */
  signalfdWaiters: number;
  /** The process's signalfds (by file): the signals each reads, and those queued for it now. */
  signalfds: { file: number; fds: number[]; mask: string[]; queued: string[] }[];
  killed: string | null;
  threads: ThreadSignalView[];
}

const names = (l: readonly number[]) => l.map(signalName);

/** sa_flags by name; SA_RESETHAND is bit 31, hence >>> 0. */
export function saFlagNames(flags: number): string {
  const out = Object.entries(SA)
    .filter(([, v]) => (flags & v) >>> 0 === v)
    .map(([n]) => n);
  return out.join('|');
}

export function signalViews(snap: KernelSnapshot): ProcessSignalView[] {
  return snap.processes.map((p) => {
    const s = p.signal;
    const threads = p.threads.map((t) => ({
      id: t.id,
      name: t.name,
      tid: t.signal.tid,
      blocked: names(t.signal.blocked),
      pending: names(t.signal.pending),
      sigpending: t.signal.sigpending,
      savedSigmask: t.signal.savedSigmask === null ? null : names(t.signal.savedSigmask),
    }));
    // A signalfd reads the caller's private queue and the shared one (Linux: signalfd_dequeue);
    // shown here: what is queued process-wide or on any thread that it reads.
    const anyPending = new Set([...s.sharedPending, ...p.threads.flatMap((t) => t.signal.pending)]);
    const byFile = new Map<number, number[]>();
    for (const e of p.fdtable.fds) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e.fd]);
    const signalfds = snap.files
      .filter((f) => f.type === 'signalfd' && byFile.has(f.id))
      .map((f) => {
        const mask = ((f.detail as { mask?: number[] } | null)?.mask ?? []).slice();
        return {
          file: f.id,
          fds: byFile.get(f.id) ?? [],
          mask: names(mask),
          queued: names(mask.filter((sig) => anyPending.has(sig))),
        };
      });
    return {
      pid: p.pid,
      sharedPending: names(s.sharedPending),
      actions: s.actions.map((a) => ({
        sig: signalName(a.sig),
        handler: a.handler,
        flags: saFlagNames(a.flags),
        mask: names(a.mask),
      })),
      caught: s.caught.map((c) => ({ sig: signalName(c.sig), count: c.count })),
      signalfdWaiters: s.signalfdWqh.entries.length,
      signalfds,
      killed: s.killed === null ? null : `${signalName(s.killed.signal)} (${s.killed.action})`,
      threads,
    };
  });
}
