// The per-process descriptor table (Linux: struct files_struct / struct fdtable, fs/file.c).
//
// `capacity` is max_fds: it starts at NR_OPEN_DEFAULT (64), grows to the next power of two
// that holds a new fd, and never shrinks. select caps nfds at it, so it is observable.
// Allocation always gives the lowest free descriptor at or above `start` (POSIX), with
// `nextFd` as Linux's next_fd hint: no free descriptor below it.

import { NR_OPEN_DEFAULT, SYSCTL_NR_OPEN } from '../abi/constants.ts';
import { ERRNO } from '../abi/errno.ts';
import type { File } from './file.ts';

const { EMFILE } = ERRNO;

export interface Rlimit {
  soft: number;
  hard: number;
}

/** Linux: struct fdtable. Plain data: the snapshot reads it directly. */
export class FdTable {
  /** fd → open file description; null = free. Length = capacity. */
  files: (File | null)[];
  /** Linux: close_on_exec bitmap (a set: few fds have it). */
  readonly cloexec = new Set<number>();
  /** Linux: next_fd — no free fd below this. */
  nextFd = 0;
  /**
   * Descriptors allocated but not yet installed (Linux: set in open_fds, NULL in fd[]): the
   * "larval" state of get_unused_fd_flags before fd_install. accept4 and socketpair hold them.
   * close() of one is EBADF, dup2 onto one EBUSY, and select counts it as open.
   */
  readonly larval = new Set<number>();
  /** Number of open descriptors (for snapshots and leak checks). */
  openCount = 0;

  constructor(
    /** RLIMIT_NOFILE; alloc_fd fails with EMFILE at or above the soft limit. */
    readonly rlimit: Rlimit,
    capacity = NR_OPEN_DEFAULT,
  ) {
    this.files = new Array<File | null>(capacity).fill(null);
  }

  /** Linux: fdt->max_fds. */
  get capacity(): number {
    return this.files.length;
  }

  get(fd: number): File | null {
    return fd >= 0 && fd < this.files.length ? this.files[fd] : null;
  }

  /** Linux: expand_files — grow to roundup_pow_of_two(fd + 1); false past sysctl_nr_open. */
  expand(fd: number): boolean {
    if (fd < this.files.length) return true;
    if (fd >= SYSCTL_NR_OPEN) return false;
    let size = this.files.length;
    while (size <= fd) size *= 2;
    const old = this.files.length;
    this.files.length = size;
    this.files.fill(null, old);
    return true;
  }

  /**
   * Linux: alloc_fd + fd_install in one step, for calls that cannot sleep or fail between them.
   * Returns the fd or -EMFILE.
   */
  install(file: File, cloexec: boolean, start = 0): number {
    const fd = this.reserve(cloexec, start);
    if (fd >= 0) this.installReserved(fd, file);
    return fd;
  }

  /** Linux: alloc_fd (get_unused_fd_flags) — the lowest free fd ≥ start, larval; or -EMFILE. */
  reserve(cloexec: boolean, start = 0): number {
    let fd = Math.max(start, this.nextFd);
    const files = this.files;
    const larval = this.larval;
    while (fd < files.length && (files[fd] !== null || (larval.size > 0 && larval.has(fd)))) fd++;
    if (fd >= this.rlimit.soft) return -EMFILE;
    if (!this.expand(fd)) return -EMFILE;
    if (start <= this.nextFd) this.nextFd = fd + 1;
    larval.add(fd);
    if (cloexec) this.cloexec.add(fd);
    else this.cloexec.delete(fd);
    return fd;
  }

  /** Linux: fd_install — a reserved fd now refers to `file`. */
  installReserved(fd: number, file: File): void {
    this.larval.delete(fd);
    this.files[fd] = file;
    this.openCount++;
  }

  /** Linux: put_unused_fd — give a reserved fd back. */
  unreserve(fd: number): void {
    this.larval.delete(fd);
    this.cloexec.delete(fd);
    if (fd < this.nextFd) this.nextFd = fd;
  }

  /** Linux: the fd's bit in open_fds — installed or larval. */
  isAllocated(fd: number): boolean {
    return this.get(fd) !== null || this.larval.has(fd);
  }

  /** Linux: file_close_fd — detach the slot; the caller drops the reference. */
  detach(fd: number): File | null {
    const file = this.get(fd);
    if (!file) return null;
    this.files[fd] = null;
    this.openCount--;
    this.cloexec.delete(fd);
    if (fd < this.nextFd) this.nextFd = fd;
    return file;
  }

  /** Linux: do_dup2's install step: put `file` at `fd` (already expanded), return what was there. */
  replace(fd: number, file: File, cloexec: boolean): File | null {
    const old = this.files[fd];
    this.files[fd] = file;
    if (!old) this.openCount++;
    if (cloexec) this.cloexec.add(fd);
    else this.cloexec.delete(fd);
    return old;
  }

  /** Open descriptors, ascending. */
  openFds(): number[] {
    const out: number[] = [];
    for (let fd = 0; fd < this.files.length; fd++) if (this.files[fd]) out.push(fd);
    return out;
  }
}
