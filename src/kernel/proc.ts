// A process: an fd table shared by its threads (Linux: files_struct, shared under CLONE_FILES).

import type { FdTable, Rlimit } from './fdtable.ts';
import { fput } from './file.ts';
import type { Kernel } from './kernel.ts';
import { Thread } from './sched.ts';
import { SignalStruct } from './signal.ts';

/** A simulated process: its fd table and its threads (`Process.thread(name)`). */
export class Process {
  /** In creation order; the first is the leader (its tid is the pid). */
  readonly threads = new Map<string, Thread>();
  /** Linux: signal_struct and sighand_struct — shared pending signals, actions, signalfd queue. */
  readonly signal: SignalStruct;

  constructor(
    readonly k: Kernel,
    readonly pid: number,
    readonly fdtable: FdTable,
  ) {
    this.signal = new SignalStruct(k, pid);
  }

  /**
   * The thread named `name`, created on first use. Its signal mask is the main thread's as it is
   * now (pthread_create copies its creator's; a script's threads are made from the main one).
   */
  thread(name: string): Thread {
    let t = this.threads.get(name);
    if (!t) {
      const first = this.threads.size === 0;
      t = new Thread(this.k, this, name, first ? this.pid : this.k.allocPid());
      const main = this.threads.get('main') ?? this.leaderOrNull();
      if (main) t.blocked = main.blocked;
      this.threads.set(name, t);
    }
    return t;
  }

  private leaderOrNull(): Thread | null {
    for (const t of this.threads.values()) return t;
    return null;
  }

  /** Linux: thread_group_leader — the first thread (made on demand as "main" if there is none). */
  leader(): Thread {
    return this.leaderOrNull() ?? this.thread('main');
  }

  /** Linux: kernel/exit.c:close_files (exit_files) — close every descriptor, as at exit. */
  closeFiles(): void {
    const table = this.fdtable;
    for (const fd of table.openFds()) {
      const file = table.detach(fd);
      if (file) fput(this.k, file);
    }
  }
}

export interface ProcessOptions {
  /** Initial fd-table capacity (max_fds). Scripts fix it at 1024; Linux starts at 64. */
  fdCapacity?: number;
  rlimit?: Rlimit;
}
