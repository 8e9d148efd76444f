// Signals as the real-Linux backend needs them on both sides: the numbers it uses itself, each
// signal's default action (the runner reports a child ended or stopped by one as ProcessKilled),
// and the per-thread signal state /proc shows, which the child checks at the start of every run
// and the runner reads to know when a sent signal has been delivered.

import { readdirSync, readFileSync } from 'node:fs';
import { SIG } from '../abi/signal.ts';

/**
 * A thread's mask with every signal blocked, as the kernel keeps it: SIGKILL and SIGSTOP can never
 * be blocked (kernel/signal.c:set_current_blocked drops them).
 */
export const FULL_MASK =
  ~((1n << BigInt(SIG.SIGKILL - 1)) | (1n << BigInt(SIG.SIGSTOP - 1))) & 0xffff_ffff_ffff_ffffn;

/** One thread's signal state from /proc/<pid>/task/<tid>/status (masks, bit n - 1 for signal n). */
export interface TaskSignals {
  tid: number;
  /** SigPnd: pending for this thread. */
  pending: bigint;
  /** ShdPnd: pending for the whole process (the same in every thread). */
  shared: bigint;
  /** SigBlk: this thread's blocked mask. */
  blocked: bigint;
  /** SigIgn and SigCgt: ignored and caught dispositions (process-wide). */
  ignored: bigint;
  caught: bigint;
}

function field(status: string, name: string): bigint {
  const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status);
  if (!m) throw new Error(`no ${name} in a task's status`);
  return BigInt(`0x${m[1]}`);
}

/** Every thread of process `pid` (a thread that ends while it is read is left out). */
export function readTaskSignals(pid: number | 'self'): TaskSignals[] {
  const out: TaskSignals[] = [];
  for (const name of readdirSync(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${name}/status`, 'latin1');
    } catch {
      continue;
    }
    out.push({
      tid: Number(name),
      pending: field(status, 'SigPnd'),
      shared: field(status, 'ShdPnd'),
      blocked: field(status, 'SigBlk'),
      ignored: field(status, 'SigIgn'),
      caught: field(status, 'SigCgt'),
    });
  }
  return out;
}

/**
 * The signals pending in process `pid` that some thread could take now: a thread's own pending
 * ones it does not block, and the shared ones that not every thread blocks. 0n once delivery is
 * done; null when the process is gone.
 */
export function deliverable(pid: number): bigint | null {
  let tasks: TaskSignals[];
  try {
    tasks = readTaskSignals(pid);
  } catch {
    return null;
  }
  if (tasks.length === 0) return null;
  let all = FULL_MASK | (1n << BigInt(SIG.SIGKILL - 1)) | (1n << BigInt(SIG.SIGSTOP - 1));
  let own = 0n;
  for (const t of tasks) {
    all &= t.blocked;
    own |= t.pending & ~t.blocked;
  }
  return own | (tasks[0].shared & ~all);
}

/** The state letter of process `pid` (/proc/<pid>/stat: R, S, D, T, t, Z, …), or null when gone. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}
