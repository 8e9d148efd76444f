// What an object points to, for the page to mark when it is picked (the arrows, drawn
// as highlights): fd → file; epitem → its file and the queues it hooks; wait entry → its owner
// (a thread, or the epitem whose hook it is); file → the epitems watching it; thread → the
// queues it sleeps on and its signal state; a process's signal state → its signalfds.

import type { KernelView } from './kernel.ts';

/** The keys (as changes.ts names them) of the objects `key` refers to. */
export function relatedKeys(key: string, view: KernelView): Set<string> {
  const out = new Set<string>();
  const [kind, ...rest] = key.split(':');
  const id = Number(rest.at(-1));
  const queueKey = (name: string) => {
    const q = view.waitQueues.find((x) => x.name === name);
    if (q) out.add(`wq:${q.id}`);
  };
  const epitems = view.eventpolls.flatMap((ep) => ep.items);
  switch (kind) {
    case 'fd': {
      const e = view.fds.find((x) => `${x.pid}:${x.fd}` === rest.join(':'));
      if (e) out.add(`file:${e.file}`);
      break;
    }
    case 'epi': {
      const it = epitems.find((x) => x.id === id);
      if (it) {
        out.add(`file:${it.file}`);
        for (const q of it.queues) queueKey(q);
        for (const w of it.waitEntries) out.add(`we:${w}`);
      }
      break;
    }
    case 'we': {
      for (const q of view.waitQueues)
        for (const e of q.entries) {
          if (e.id !== id) continue;
          if (e.owner.kind === 'thread') out.add(`thread:${e.owner.id}`);
          if (e.owner.kind === 'eppoll_entry')
            for (const it of epitems) if (it.waitEntries.includes(e.id)) out.add(`epi:${it.id}`);
        }
      break;
    }
    case 'file': {
      const f = view.files.find((x) => x.id === id);
      for (const epi of f?.watchedBy ?? []) out.add(`epi:${epi}`);
      for (const e of view.fds) if (e.file === id) out.add(`fd:${e.pid}:${e.fd}`);
      break;
    }
    case 'thread': {
      const t = view.threads.find((x) => x.id === id);
      for (const q of t?.sleepsOn ?? []) queueKey(q);
      if (t) out.add(`tsig:${t.id}`);
      break;
    }
    case 'tsig':
      out.add(`thread:${id}`);
      break;
    case 'sig': {
      // The process's signalfds: they read its pending sets.
      for (const f of view.signals.find((p) => p.pid === id)?.signalfds ?? []) out.add(`file:${f.file}`);
      break;
    }
  }
  return out;
}
