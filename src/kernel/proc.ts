// A process: an fd table shared by its threads (Linux: files_struct, shared under CLONE_FILES).

import type { FdTable, Rlimit } from './fdtable.ts';
import { fput } from './file.ts';
import type { Kernel } from './kernel.ts';
import { Thread } from './sched.ts';

/** A simulated process: its fd table and its threads (`Process.thread(name)`). */
export class Process {
  readonly threads = new Map<string, Thread>();

  constructor(
    readonly k: Kernel,
    readonly pid: number,
    readonly fdtable: FdTable,
  ) {}

  /** The thread named `name`, created on first use. */
  thread(name: string): Thread {
    let t = this.threads.get(name);
    if (!t) {
      t = new Thread(this.k, this, name);
      this.threads.set(name, t);
    }
    return t;
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
