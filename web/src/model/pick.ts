// The object the inspector shows, found again by its key in another step's view: the inspector
// follows the step (fresh fields) and closes when the object is gone.

import type { KernelView } from './kernel.ts';

/** An object of the kernel view: what the inspector shows. */
export interface Picked {
  kind: string;
  key: string;
  title: string;
  fields: unknown;
}

/** The object under `key` in `view`, or null when that step has no such object. */
export function pickIn(view: KernelView, key: string): Picked | null {
  const [what, ...rest] = key.split(':');
  const id = Number(rest[rest.length - 1]);
  switch (what) {
    case 'thread': {
      const t = view.threads.find((x) => x.id === id);
      return t ? { kind: 'thread', key, title: `thread ${t.name} (#${t.id})`, fields: t } : null;
    }
    case 'tsig': {
      for (const p of view.signals) {
        const t = p.threads.find((x) => x.id === id);
        if (t)
          return {
            kind: 'thread-signals',
            key,
            title: `signals of thread ${t.name} (tid ${t.tid})`,
            fields: t,
          };
      }
      return null;
    }
    case 'sig': {
      const p = view.signals.find((x) => x.pid === id);
      return p ? { kind: 'process-signals', key, title: `signals of pid ${p.pid}`, fields: p } : null;
    }
    case 'fd': {
      const pid = Number(rest[0]);
      const e = view.fds.find((x) => x.pid === pid && x.fd === id);
      return e ? { kind: 'fd', key, title: `pid ${e.pid} fd ${e.fd}`, fields: e } : null;
    }
    case 'file': {
      const f = view.files.find((x) => x.id === id);
      return f ? { kind: f.type, key, title: `file #${f.id} (${f.type})`, fields: f } : null;
    }
    case 'epi': {
      for (const ep of view.eventpolls) {
        const it = ep.items.find((x) => x.id === id);
        if (it) return { kind: 'epitem', key, title: `epitem #${it.id} (fd ${it.fd})`, fields: it };
      }
      return null;
    }
    case 'wq': {
      const q = view.waitQueues.find((x) => x.id === id);
      return q ? { kind: 'waitqueue', key, title: q.name, fields: q } : null;
    }
    case 'we': {
      for (const q of view.waitQueues) {
        const e = q.entries.find((x) => x.id === id);
        if (e) return { kind: 'wait-entry', key, title: `wait entry #${e.id}`, fields: e };
      }
      return null;
    }
    default:
      return null;
  }
}
