// A whole simulated system: the kernel with every file type and multiplexer loaded, and the
// process a script runs in. This module sits above the file types (it imports them all); the
// core never imports it.

import { O } from '../abi/constants.ts';
import type { Rlimit } from './fdtable.ts';
import type { Kernel } from './kernel.ts';
import type { Process } from './proc.ts';
import { openDevNull } from './regular.ts';
import { initScriptDispositions } from './signal.ts';
import { SimSyscalls } from './syscalls.ts';
// Loaded for their wake functions and release hooks.
import './eventpoll/eventpoll.ts';
import './select.ts';
import './poll.ts';

/** Options for `createScriptProcess`. */
export interface ScriptProcessOptions {
  /** RLIMIT_NOFILE; the script format says "the runner's own". Default: soft 1024, hard 4096. */
  rlimit?: Rlimit;
  /** The fd table's capacity; the script format fixes it at 1024. */
  fdCapacity?: number;
}

/**
 * A process as the script format describes it: fds 0, 1 and 2 open (here on /dev/null, so they
 * never block and are always ready), a 1024-slot descriptor table, SIGPIPE ignored.
 */
export function createScriptProcess(k: Kernel, opts: ScriptProcessOptions = {}): Process {
  const p = k.createProcess({ fdCapacity: opts.fdCapacity ?? 1024, rlimit: opts.rlimit });
  for (const flags of [O.O_RDONLY, O.O_WRONLY, O.O_WRONLY]) p.fdtable.install(openDevNull(k, flags), false);
  // The script format: every signal at SIG_DFL and unblocked, except SIGPIPE, ignored.
  initScriptDispositions(p);
  return p;
}

/** The system calls of thread `thread` of process `p`. */
export function syscallsOf(p: Process, thread = 'main'): SimSyscalls {
  return new SimSyscalls(p.thread(thread));
}

/**
 * Run threads written as async functions that make system calls. Each runs until it blocks;
 * when every thread is blocked the virtual clock jumps to the next timer; when none can ever
 * run again the blocked calls fail with BlocksForever, naming each blocked thread and its call,
 * and so does this function. Same program, same results.
 */
export async function runThreads(
  k: Kernel,
  p: Process,
  threads: Record<string, (sys: SimSyscalls) => Promise<void>>,
): Promise<void> {
  k.driveWhenIdle = true;
  try {
    // Every thread counts as running before any starts, so the first to block does not find
    // the system idle while the others have not begun.
    const started = Object.entries(threads).map(([name, body]) => {
      const sys = new SimSyscalls(p.thread(name));
      k.driven.add(sys.thread);
      return [sys, body] as const;
    });
    const runs = started.map(([sys, body]) => {
      return body(sys).finally(() => {
        sys.thread.state = 'done';
        k.driven.delete(sys.thread);
        k.onIdle();
      });
    });
    const results = await Promise.allSettled(runs);
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    k.driveWhenIdle = false;
  }
}

export { SimSyscalls };
