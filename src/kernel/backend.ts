// The simulated kernel as a Backend (src/api/backend.ts) for the script runner.

import { RLIMIT_NOFILE_DEFAULT } from '../abi/constants.ts';
import { type Backend, type ProcessHandle, SCRIPT_NOFILE } from '../api/backend.ts';
import { type Syscalls, Unsupported } from '../api/syscalls.ts';
import { Kernel } from './kernel.ts';
import type { Process } from './proc.ts';
import { NSIG } from './signal.ts';
import { createScriptProcess, type ScriptProcessOptions, SimSyscalls } from './system.ts';

/** A script's process on the simulated kernel (`simBackend.createProcess()`). */
export class SimProcessHandle implements ProcessHandle {
  private readonly syscalls = new Map<string, SimSyscalls>();

  constructor(
    readonly kernel: Kernel,
    readonly proc: Process,
  ) {}

  thread(name: string): Syscalls {
    let s = this.syscalls.get(name);
    if (!s) {
      s = new SimSyscalls(this.proc.thread(name));
      this.syscalls.set(name, s);
    }
    return s;
  }

  async wait<T>(call: Promise<T>): Promise<T> {
    const rec = this.kernel.callOf(call);
    if (rec) this.kernel.runUntil(() => rec.done);
    return call;
  }

  async settle(): Promise<void> {
    this.kernel.runRunnable();
  }

  async tid(name: string): Promise<number> {
    return this.proc.thread(name).tid;
  }

  async caught(sig: number): Promise<number> {
    if (!Number.isInteger(sig) || sig < 1 || sig > NSIG)
      throw new Unsupported('caught', `signal ${sig} is not in 1 … ${NSIG}`);
    return this.proc.signal.caught[sig];
  }

  async close(): Promise<void> {
    // Threads still blocked (a call that blocks forever was reported) are unwound first, so
    // their references and wait entries go before the descriptors are closed.
    this.kernel.abortBlocked(null);
    this.proc.closeFiles();
  }
}

/** The simulated kernel as a backend, with its processes made to `opts`. */
export function createSimBackend(opts: ScriptProcessOptions = {}): Backend {
  return {
    name: 'sim',
    async createProcess() {
      const k = new Kernel();
      const rlimit = opts.rlimit ?? { soft: SCRIPT_NOFILE, hard: RLIMIT_NOFILE_DEFAULT.hard };
      return new SimProcessHandle(k, createScriptProcess(k, { ...opts, rlimit }));
    },
  };
}

/** The simulated kernel, one fresh kernel per script run. */
export const simBackend: Backend = createSimBackend();
