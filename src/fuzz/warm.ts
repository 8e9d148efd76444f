// A Backend that hands out processes started ahead of time. A fresh real-Linux script process
// costs about 0.3 s (Node, tsx and koffi in a new child); since the Linux backend now resets and
// reuses cleanly finished children, that cost is paid mostly after a run that blocked forever,
// and a spare mainly hides it then. Keeping `spares` processes starting in the background while the current script
// runs lets the start-up use the machine's other core: each createProcess takes a ready one and
// starts its replacement. A process is the same whether it waited or not (its descriptor table,
// its private address prefix), so results do not change.

import type { Backend, ProcessHandle } from '../api/backend.ts';

export interface WarmBackend extends Backend {
  /** Close the spares that were never used. */
  dispose(): Promise<void>;
}

export function warmBackend(inner: Backend, spares = 1): WarmBackend {
  const ready: Promise<ProcessHandle>[] = [];
  let disposed = false;
  const start = (): void => {
    const p = inner.createProcess();
    // A spare that fails to start reports when it is taken; until then the rejection is handled.
    p.catch(() => {});
    ready.push(p);
  };
  return {
    name: inner.name,
    async createProcess() {
      if (disposed) throw new Error('warm backend: used after dispose');
      if (ready.length === 0) start();
      const next = ready.shift() as Promise<ProcessHandle>;
      while (ready.length < spares) start();
      return next;
    },
    async dispose() {
      disposed = true;
      const left = ready.splice(0);
      await Promise.all(
        left.map(async (p) => {
          try {
            await (await p).close();
          } catch {
            // A spare that never started has nothing to close.
          }
        }),
      );
    },
  };
}
