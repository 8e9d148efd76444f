// What changed between two snapshots, as the keys of the things the page draws, so each can be
// highlighted: `file:7`, `fd:100:3`, `thread:4`, `wq:12` (a wait queue by id), `epi:14`,
// `ready:10` / `tree:10` / `ovf:10` (an eventpoll's ready list, tree, overflow list, by its id),
// `tsig:4` (a thread's mask and pending set), `sig:100` (a process's shared signal state).

import type { EventpollSnapshot, KernelSnapshot } from '../../../src/index.ts';
import { isEventpoll, waitQueues } from './kernel.ts';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function byKey<T>(list: readonly T[], key: (t: T) => string): Map<string, T> {
  return new Map(list.map((t) => [key(t), t]));
}

/** The keys whose drawing differs between `before` and `after` (new objects included). */
export function changedKeys(before: KernelSnapshot | null, after: KernelSnapshot): Set<string> {
  const out = new Set<string>();
  if (!before) return out;
  const diff = <T>(prefix: string, a: readonly T[], b: readonly T[], key: (t: T) => string) => {
    const was = byKey(a, key);
    for (const x of b) {
      const k = key(x);
      if (!same(was.get(k), x)) out.add(`${prefix}:${k}`);
    }
  };
  const threads = (s: KernelSnapshot) => s.processes.flatMap((p) => p.threads);
  diff('thread', threads(before), threads(after), (t) => String(t.id));
  // A thread's signal state apart (`tsig:<thread id>`), and a process's (`sig:<pid>`).
  const tsigs = (s: KernelSnapshot) => threads(s).map((t) => ({ id: t.id, ...t.signal }));
  diff('tsig', tsigs(before), tsigs(after), (t) => String(t.id));
  const psigs = (s: KernelSnapshot) => s.processes.map((p) => ({ pid: p.pid, ...p.signal }));
  diff('sig', psigs(before), psigs(after), (p) => String(p.pid));
  const fds = (s: KernelSnapshot) =>
    s.processes.flatMap((p) => p.fdtable.fds.map((e) => ({ pid: p.pid, ...e })));
  diff('fd', fds(before), fds(after), (e) => `${e.pid}:${e.fd}`);
  // A file is changed when its own fields change; its eventpoll's parts are keyed apart below.
  const own = (s: KernelSnapshot) =>
    s.files.map((f) => (isEventpoll(f) ? { ...f, detail: (f.detail as EventpollSnapshot).refcount } : f));
  diff('file', own(before), own(after), (f) => String(f.id));
  diff('wq', waitQueues(before), waitQueues(after), (q) => String(q.id));
  const eps = (s: KernelSnapshot) => s.files.filter(isEventpoll).map((f) => f.detail as EventpollSnapshot);
  const was = byKey(eps(before), (e) => String(e.id));
  for (const ep of eps(after)) {
    const old = was.get(String(ep.id));
    if (!same(old?.rdllist, ep.rdllist) || !same(old?.scanBatch, ep.scanBatch)) out.add(`ready:${ep.id}`);
    if (!same(old?.tree, ep.tree)) out.add(`tree:${ep.id}`);
    if (!same(old?.ovflist, ep.ovflist)) out.add(`ovf:${ep.id}`);
    if (!same(old?.waiters, ep.waiters)) out.add(`waiters:${ep.id}`);
    diff('epi', old?.items ?? [], ep.items, (i) => String(i.id));
  }
  return out;
}
