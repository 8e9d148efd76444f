// The backend contract, written once (as mio's sys/mod.rs): what a script runner needs from a
// backend. The simulated kernel and the real-Linux backend both implement it.

import type { Syscalls } from './syscalls.ts';

/**
 * RLIMIT_NOFILE (soft) of a script's process, the same on both backends, so a script meets EMFILE,
 * poll's EINVAL for nfds and dup2's EBADF at the same descriptor everywhere. Not the format's
 * "the runner's own", which depends on the host: on Linux the runner's own descriptors sit at 900
 * and above in the script's process (src/linux/process.ts, FD_BASE), so a script can have 0 … 899
 * and the kernel itself answers EMFILE at 900.
 */
export const SCRIPT_NOFILE = 900;

/**
 * A fresh process as the script format describes it: fds 0, 1, 2 open, a 1024-slot fd table,
 * RLIMIT_NOFILE at SCRIPT_NOFILE.
 */
export interface ProcessHandle {
  /** The syscalls made from thread `name` ("main" is the process's first thread). */
  thread(name: string): Syscalls;
  /**
   * Wait for a call started on some thread to return. The simulated kernel runs its scheduler
   * (advancing the virtual clock) and throws `BlocksForever` on a deadlock; Linux waits up to a
   * time limit and throws `BlocksForever` after it.
   */
  wait<T>(call: Promise<T>): Promise<T>;
  /**
   * Let threads that were started or woken reach their blocking point (the simulated kernel:
   * run every runnable thread until it blocks; Linux: wait 50 ms).
   */
  settle(): Promise<void>;
  /** The thread id (gettid) of thread `name`; the thread is made if it does not exist yet. */
  tid(name: string): Promise<number>;
  /**
   * How many times the `catch` handler (sigaction's SigHandler 'catch') has run for `sig` in this
   * process: a read of the handler's counter, not a system call.
   */
  caught(sig: number): Promise<number>;
  /** Close every descriptor the process opened and end its threads. */
  close(): Promise<void>;
}

/** A kernel to run on: the simulated one (`simBackend`) or this machine's (`linuxBackend` from 'iomux/linux'). */
export interface Backend {
  readonly name: 'sim' | 'linux';
  createProcess(): Promise<ProcessHandle>;
}

/** A call that can never return: a deadlock on the simulated kernel, a time-out on Linux. */
export class BlocksForever extends Error {
  override name = 'BlocksForever';
  constructor(
    message: string,
    /** Each blocked thread and the call it is blocked in. */
    readonly blocked: readonly { thread: string; call: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * The process ended or stopped: a signal whose default action terminates, dumps core or stops
 * was delivered to it unblocked at SIG_DFL. Every call of the process that had not returned, and
 * every later one, rejects with this.
 */
export class ProcessKilled extends Error {
  override name = 'ProcessKilled';
  constructor(
    /** The signal's number. */
    readonly signal: number,
    /** Its default action, as signal(7) names it. */
    readonly action: 'term' | 'core' | 'stop',
  ) {
    super(`the process was ${action === 'stop' ? 'stopped' : 'killed'} by signal ${signal}`);
  }
}
