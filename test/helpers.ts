// Test helpers: a fresh simulated system per test, closed and leak-checked at the end
// (as epoll-shim's FD_LEAKCHECK): no open file descriptions, wait-queue entries or blocked
// threads may remain once every descriptor is closed.

import assert from 'node:assert/strict';
import type { SysResult } from '../src/api/syscalls.ts';
import { checkKernel, checkNothingLeft } from '../src/kernel/check.ts';
import { Kernel } from '../src/kernel/kernel.ts';
import type { Process } from '../src/kernel/proc.ts';
import { createScriptProcess, SimSyscalls } from '../src/kernel/system.ts';

export interface Sim {
  k: Kernel;
  p: Process;
  /** The main thread's system calls. */
  sys: SimSyscalls;
  /** Another thread's system calls (created on first use). */
  thread(name: string): SimSyscalls;
  /** Wait for a call that may have blocked: run the scheduler and the virtual clock until it returns. */
  wait<T>(call: Promise<T>): Promise<T>;
  /** True if the call has not returned yet (the thread is blocked in it). */
  blocked(call: Promise<unknown>): boolean;
}

export interface SimOptions {
  rlimit?: { soft: number; hard: number };
  /** The script process's fd-table capacity (max_fds); default 1024. */
  fdCapacity?: number;
}

export function newSim(opts: SimOptions = {}): Sim {
  const k = new Kernel();
  const p = createScriptProcess(k, opts);
  const threads = new Map<string, SimSyscalls>();
  const sim: Sim = {
    k,
    p,
    sys: new SimSyscalls(p.thread('main')),
    thread(name) {
      let s = threads.get(name);
      if (!s) threads.set(name, (s = new SimSyscalls(p.thread(name))));
      return s;
    },
    async wait(call) {
      const rec = k.callOf(call);
      if (rec) k.runUntil(() => rec.done);
      return call;
    },
    blocked(call) {
      const rec = k.callOf(call);
      return rec !== undefined && !rec.done;
    },
  };
  return sim;
}

/** Close every descriptor and check that nothing is left behind. */
export function closeAndCheckLeaks(sim: Sim): void {
  const { k, p } = sim;
  assert.deepEqual(checkKernel(k), [], 'kernel invariants');
  p.closeFiles();
  assert.deepEqual(k.blockedThreads(), [], 'no thread may be left blocked');
  assert.equal(
    k.files.size,
    0,
    `open file descriptions left: ${[...k.files].map((f) => f.ops.type).join(', ')}`,
  );
  assert.equal(k.stats.waitEntriesAdded - k.stats.waitEntriesRemoved, 0, 'wait-queue entries left queued');
  assert.deepEqual(checkNothingLeft(k), [], 'nothing left after closing everything');
}

/** Run a test body on a fresh system, then leak-check it. */
export async function withSim(body: (sim: Sim) => Promise<void>, opts?: SimOptions): Promise<void> {
  const sim = newSim(opts);
  await body(sim);
  closeAndCheckLeaks(sim);
}

/** The value of a successful result; fails the test with the errno otherwise. */
export function ok<T extends object>(r: SysResult<T>): { ret: number } & T {
  if ('errno' in r) assert.fail(`expected success, got ${r.errno}`);
  return r as { ret: number } & T;
}

export function errno(r: SysResult<object>): string | undefined {
  return 'errno' in r ? r.errno : undefined;
}

export const u64 = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
};

export const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
export const text = (b: Uint8Array): string => String.fromCharCode(...b);
