// A backend that records every call with its arguments and answers from a function the test gives:
// for the runner's mapping of script steps onto `Syscalls` (signals, sets, optional arguments),
// independent of either kernel. It is no model of anything; `respond` decides every answer.

import type { Backend, ProcessHandle } from '../../src/api/backend.ts';
import type { Syscalls, SysResult } from '../../src/api/syscalls.ts';

/** One call as the backend received it. */
export interface Recorded {
  readonly thread: string;
  readonly call: string;
  readonly args: readonly unknown[];
}

/** The answer to a call: a result, or a throw (Unsupported, ProcessKilled) that rejects the call. */
export type Respond = (call: Recorded) => SysResult<object>;

export class RecordingBackend implements Backend {
  readonly name = 'sim' as const;
  /** Every system call made, in order. */
  readonly calls: Recorded[] = [];
  /** Every `tid` and `caught` the runner asked, in order ("tid t1", "caught 10"). */
  readonly asked: string[] = [];
  /** The catch handler's counters `caught` reads, by signal. */
  readonly caughtCounts = new Map<number, number>();
  closed = false;

  constructor(readonly respond: Respond = () => ({ ret: 0 })) {}

  async createProcess(): Promise<ProcessHandle> {
    const tids = new Map<string, number>([['main', 4000]]);
    const syscalls = (thread: string): Syscalls =>
      new Proxy({} as Syscalls, {
        get: (_target, call) => {
          if (typeof call !== 'string') return undefined;
          return (...args: unknown[]) => {
            const rec = { thread, call, args };
            this.calls.push(rec);
            // A promise either way, as a backend's call is: a throw becomes its rejection.
            return Promise.resolve().then(() => this.respond(rec));
          };
        },
      });
    return {
      thread: syscalls,
      wait: (call) => call,
      settle: () => new Promise((resolve) => setTimeout(resolve, 0)),
      tid: async (name) => {
        this.asked.push(`tid ${name}`);
        if (!tids.has(name)) tids.set(name, 4000 + tids.size);
        return tids.get(name) as number;
      },
      caught: async (sig) => {
        this.asked.push(`caught ${sig}`);
        return this.caughtCounts.get(sig) ?? 0;
      },
      close: async () => {
        this.closed = true;
      },
    };
  }
}
