// One name per kernel object, the script's: a file bound as `ep` on fd 5 is `$ep (fd 5)` wherever
// a trace names it — its eventpoll (`ep #11`), its wait queues (`eventpoll:11.wq`), the epitems
// that watch it. The kernel knows no script names: the table is made from a snapshot and the
// script's bindings (fd → name), and a trace step carries the part of it its events use.

import {
  EPOLL,
  O,
  O_APPEND,
  O_ASYNC,
  O_EXCL,
  O_NOATIME,
  O_NOCTTY,
  O_TRUNC,
  POLLFREE,
} from '../abi/constants.ts';
import { formatMask } from '../abi/flags.ts';
import type { KernelEvent } from '../kernel/events.ts';
import type { KernelSnapshot } from './snapshot.ts';

/**
 * Names by kernel object: `file:<id>`, `ep:<eventpoll id>`, `epi:<epitem id>`,
 * `queue:<wait-queue name>`, `entry:<wait-entry id>` → a readable name in the script's terms.
 */
export type NameTable = Record<string, string>;

/** What a descriptor is called in the script: a bound name, or its number (Bindings.nameOf). */
export type FdNamer = (fd: number) => string | number;

const byFd = (fd: number) => fd;

/** `$ep (fd 5)` for a bound fd, `fd 5` otherwise. */
export function fdLabel(fd: number, nameOf: FdNamer = byFd): string {
  const name = nameOf(fd);
  return typeof name === 'string' ? `$${name} (fd ${fd})` : `fd ${fd}`;
}

/** Names for one snapshot's objects. */
function tableOf(snap: KernelSnapshot, nameOf: FdNamer): NameTable {
  const out: NameTable = {};
  // Files: by the fds that refer to them (a bound one first, then the lowest).
  const fdsOf = new Map<number, number[]>();
  const threadName = new Map<number, string>();
  for (const p of snap.processes) {
    for (const e of p.fdtable.fds) fdsOf.set(e.file, [...(fdsOf.get(e.file) ?? []), e.fd]);
    for (const t of p.threads) threadName.set(t.id, t.name);
  }
  const fileName = new Map<number, string>();
  const fileFd = new Map<number, number>();
  for (const f of snap.files) {
    const fds = fdsOf.get(f.id) ?? [];
    const bound = fds.find((fd) => typeof nameOf(fd) === 'string');
    const fd = bound ?? fds[0];
    const label = fd === undefined ? `file #${f.id}` : fdLabel(fd, nameOf);
    fileName.set(f.id, label);
    if (fd !== undefined) fileFd.set(f.id, fd);
    out[`file:${f.id}`] = label;
  }
  // Objects shared by files (a pipe: both ends), named by their files: `pipe:5` → files.
  const objectFiles = new Map<string, number[]>();
  const addObject = (key: string, file: number) => {
    const l = objectFiles.get(key) ?? [];
    if (!l.includes(file)) l.push(file);
    objectFiles.set(key, l);
  };
  const queues = new Map<string, number>();
  for (const f of snap.files) {
    const id = (f.detail as { id?: unknown } | null)?.id;
    if (typeof id === 'number') addObject(`${f.type}:${id}`, f.id);
    walk(f.detail, (o) => {
      if (typeof o.name === 'string' && Array.isArray(o.entries)) {
        queues.set(o.name, f.id);
        addObject(o.name.slice(0, o.name.indexOf('.')), f.id);
        for (const e of o.entries as { id: number; owner?: { kind: string; id: number } }[])
          if (e.owner?.kind === 'thread' && threadName.has(e.owner.id))
            out[`entry:${e.id}`] = `thread ${threadName.get(e.owner.id)}`;
      }
    });
  }
  const objectName = (key: string): string | undefined => {
    const files = objectFiles.get(key);
    if (!files) return undefined;
    if (files.length === 1) return fileName.get(files[0]);
    const sorted = [...files].sort((a, b) => (fileFd.get(a) ?? 1e9) - (fileFd.get(b) ?? 1e9));
    return `${key.slice(0, key.indexOf(':'))}(${sorted.map((f) => fileName.get(f)).join(', ')})`;
  };
  for (const key of objectFiles.keys()) {
    const name = objectName(key);
    if (name !== undefined) out[`object:${key}`] = name;
  }
  // Queues: `rd_wait of pipe($r (fd 3), $w (fd 4))`, `wq of $ep (fd 5)`; eventpoll's queues are
  // not in its detail, so they are named from its id.
  const queueName = (q: string): string | undefined => {
    const dot = q.indexOf('.');
    if (dot < 0) return undefined;
    const owner = objectName(q.slice(0, dot));
    return owner === undefined ? undefined : `${q.slice(dot + 1)} of ${owner}`;
  };
  for (const q of queues.keys()) {
    const name = queueName(q);
    if (name !== undefined) out[`queue:${q}`] = name;
  }
  // Each process's signalfd queue (sighand->signalfd_wqh).
  for (const p of snap.processes)
    out[`queue:${p.signal.signalfdWqh.name}`] = `signalfd_wqh of process ${p.pid}`;
  // Eventpolls and their epitems.
  for (const f of snap.files) {
    if (f.type !== 'eventpoll' || !f.detail) continue;
    const ep = f.detail as {
      id: number;
      items: { id: number; fd: number; file: number; waitEntries: number[] }[];
    };
    const epName = fileName.get(f.id)!;
    out[`ep:${ep.id}`] = epName;
    for (const q of ['wq', 'poll_wait']) out[`queue:eventpoll:${ep.id}.${q}`] = `${q} of ${epName}`;
    for (const epi of ep.items) {
      // The epitem's key is (file, fd): the fd it was added under, whatever that fd is now.
      const target = fileFd.get(epi.file) === epi.fd ? fileName.get(epi.file)! : fdLabel(epi.fd, nameOf);
      out[`epi:${epi.id}`] = `${target} in ${epName}`;
      for (const w of epi.waitEntries) out[`entry:${w}`] = `the hook of ${target} in ${epName}`;
    }
  }
  return out;
}

function walk(v: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(v)) for (const x of v) walk(x, visit);
  else if (typeof v === 'object' && v !== null) {
    visit(v as Record<string, unknown>);
    for (const x of Object.values(v)) walk(x, visit);
  }
}

/**
 * The names of every object in the snapshots, the script's (`nameOf`: its bindings). A later
 * snapshot's name wins, unless it lost the script's word for the object (a closed fd): so the
 * step's `before` and `after` together name what its events touched, closed files included.
 */
export function nameTable(snapshots: readonly KernelSnapshot[], nameOf: FdNamer = byFd): NameTable {
  const out: NameTable = {};
  for (const snap of snapshots) {
    for (const [key, name] of Object.entries(tableOf(snap, nameOf))) {
      const old = out[key];
      if (old === undefined || old === name || !(hasName(old) && !hasName(name))) out[key] = name;
    }
  }
  return out;
}

const hasName = (s: string) => s.includes('(fd ') || s.includes('$');

/** The keys of a NameTable an event refers to (what a step's `names` must hold to describe it). */
export function eventRefs(e: KernelEvent): string[] {
  switch (e.type) {
    case 'wait_add':
      return [`queue:${e.queue}`, `entry:${e.entry}`];
    case 'wait_remove':
      return [`queue:${e.queue}`, `entry:${e.entry}`];
    case 'wake_up':
    case 'wake_skipped':
      return [`queue:${e.queue}`];
    case 'wake_up_done':
      return [`queue:${e.queue}`, ...e.skipped.map((id) => `entry:${id}`)];
    case 'file_release':
      return [`file:${e.file}`];
    case 'ep_poll_callback':
      return [`epi:${e.epi}`];
    case 'rdllist_append':
    case 'rdllist_remove':
    case 'ovflist_push':
    case 'rbtree_insert':
    case 'rbtree_erase':
    case 'rbtree_rotate':
    case 'event_delivered':
      return [`ep:${e.ep}`, `epi:${e.epi}`];
    case 'ep_scan':
      return [`ep:${e.ep}`, ...e.epis.map((id) => `epi:${id}`)];
    case 'ep_wait_none':
      return [`ep:${e.ep}`, ...e.dropped.map((id) => `epi:${id}`)];
    case 'errno':
      return e.file === undefined ? [] : [`file:${e.file}`];
    case 'eventfd_read':
      return [`file:${e.file}`];
    default:
      return [];
  }
}

/** The part of `table` that `events` use, keys sorted (a trace step's `names`). */
export function namesFor(table: NameTable, events: readonly KernelEvent[]): NameTable {
  const keys = new Set<string>();
  for (const e of events) for (const k of eventRefs(e)) if (table[k] !== undefined) keys.add(k);
  const out: NameTable = {};
  for (const k of [...keys].sort()) out[k] = table[k];
  return out;
}

// ---- masks and flag words ----

const EVENT_BITS = { ...EPOLL, POLLFREE };

/** An epoll/poll event mask (or a wake-up key) as Linux names it: `EPOLLIN|EPOLLRDNORM`; 0 is `0`. */
export function formatEvents(mask: number): string {
  return formatMask(mask, EVENT_BITS);
}

const OPEN_BITS = {
  O_CREAT: O.O_CREAT,
  O_EXCL,
  O_NOCTTY,
  O_TRUNC,
  O_APPEND,
  O_NONBLOCK: O.O_NONBLOCK,
  O_ASYNC,
  O_DIRECT: O.O_DIRECT,
  O_LARGEFILE: 0o100000,
  O_NOATIME,
  O_CLOEXEC: O.O_CLOEXEC,
};

/** A file's f_flags as Linux names them: the access mode, then the flags (`O_RDONLY|O_NONBLOCK`). */
export function formatOpenFlags(flags: number): string {
  const acc = flags & 3;
  const mode = acc === 0 ? 'O_RDONLY' : acc === 1 ? 'O_WRONLY' : acc === 2 ? 'O_RDWR' : '0x3';
  const rest = flags & ~3;
  return rest === 0 ? mode : `${mode}|${formatMask(rest, OPEN_BITS)}`;
}
