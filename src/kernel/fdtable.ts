// The per-process descriptor table (Linux: struct files_struct / struct fdtable, fs/file.c).
//
// Laid out as Linux lays it out: `files` is the fd array (fdt->fd, a plain array of pointers),
// and three bitmaps beside it say which slots are taken without touching the array: open_fds (an
// fd is installed or reserved), close_on_exec, and full_fds_bits (one bit per open_fds word,
// set when that word is full, so allocation skips full words 32 fds at a time). The bitmaps are
// Uint32Arrays: the model's word is 32 bits (JavaScript's bit operations), Linux's 64; nothing
// observable depends on the word size.
//
// `capacity` is max_fds: it starts at NR_OPEN_DEFAULT (64), grows as expand_fdtable grows it (a
// power of two times 128 slots, capped at fs.nr_open) and never shrinks. select caps nfds at
// it, so it is observable. Allocation always gives the lowest free descriptor at or above
// `start` (POSIX), with `nextFd` as Linux's next_fd hint: no free descriptor below it. Every
// operation is O(1) but allocation after a close far below the top (O(capacity / 1024) words of
// full_fds_bits) and growth (amortised: the table doubles).

import { NR_OPEN_DEFAULT, SYSCTL_NR_OPEN } from '../abi/constants.ts';
import { ERRNO } from '../abi/errno.ts';
import type { File } from './file.ts';
import type { FsSysctl } from './sysctl.ts';

const { EMFILE } = ERRNO;

/** Bits per bitmap word in the model (a Uint32Array element). */
const BITS = 32;
// Linux: fs/file.c expand_fdtable grows in units of 1024 / sizeof(struct file *) slots.
const FDTABLE_UNIT = 1024 / 8;
// Linux: BITS_PER_LONG, the unit nr_open's cap is rounded to.
const BITS_PER_LONG = 64;

export interface Rlimit {
  soft: number;
  hard: number;
}

/**
 * A bitmap of descriptors (Linux: an fdtable bitmap, unsigned long[]), 32 per word, with the
 * Set operations its readers use (has, add, delete, iteration in ascending order).
 */
export class FdBitmap {
  /** The words; bit fd & 31 of word fd >>> 5. Replaced (grown) by FdTable.expand only. */
  words: Uint32Array;

  constructor(capacity: number) {
    this.words = new Uint32Array(Math.ceil(capacity / BITS));
  }

  has(fd: number): boolean {
    const w = fd >>> 5;
    return fd >= 0 && w < this.words.length && (this.words[w] & (1 << (fd & 31))) !== 0;
  }

  /** Linux: __set_bit. fd is below the table's capacity. */
  add(fd: number): void {
    this.words[fd >>> 5] |= 1 << (fd & 31);
  }

  /** Linux: __clear_bit. */
  delete(fd: number): void {
    const w = fd >>> 5;
    if (w < this.words.length) this.words[w] &= ~(1 << (fd & 31));
  }

  /** The set descriptors, ascending. */
  toArray(): number[] {
    const out: number[] = [];
    const words = this.words;
    for (let w = 0; w < words.length; w++)
      for (let bits = words[w]; bits !== 0; bits &= bits - 1)
        out.push(w * BITS + 31 - Math.clz32(bits & -bits));
    return out;
  }

  /** The set descriptors, ascending (as a Set iterates; not a generator: only sleeps are). */
  [Symbol.iterator](): IterableIterator<number> {
    return this.toArray()[Symbol.iterator]();
  }

  /** Copy into a larger bitmap (Linux: copy_fd_bitmaps, the rest cleared). */
  grow(capacity: number): void {
    const next = new Uint32Array(Math.ceil(capacity / BITS));
    next.set(this.words);
    this.words = next;
  }
}

/** Linux: find_next_zero_bit — the first clear bit at or above `from`, or `size` if none below it. */
function findNextZeroBit(words: Uint32Array, size: number, from: number): number {
  for (let w = from >>> 5; w * BITS < size; w++) {
    // The clear bits of this word at or above `from`.
    let free = ~words[w];
    if (w === from >>> 5) free &= -1 << (from & 31);
    if (free !== 0) {
      const bit = w * BITS + 31 - Math.clz32(free & -free);
      return bit < size ? bit : size;
    }
  }
  return size;
}

/** Linux: struct fdtable. Plain data: the snapshot reads it directly. */
export class FdTable {
  /** Linux: fdt->fd. fd → open file description; null = free or reserved. Length = capacity. */
  files: (File | null)[];
  /** Linux: fdt->open_fds. Set iff the fd is installed or reserved (larval). */
  readonly openFdsBits: FdBitmap;
  /** Linux: fdt->close_on_exec. Set only on allocated fds. */
  readonly cloexec: FdBitmap;
  /**
   * Linux: fdt->full_fds_bits. Bit w set iff word w of open_fds is all ones (one bit per model
   * word). Kept by every change of open_fds; read by allocation only.
   */
  fullFdsBits: Uint32Array;
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
    /** The kernel's fs.nr_open (sysctl.ts), shared by its tables; Linux's default without one. */
    readonly sysctl: FsSysctl = { nrOpen: SYSCTL_NR_OPEN },
  ) {
    this.files = new Array<File | null>(capacity).fill(null);
    this.openFdsBits = new FdBitmap(capacity);
    this.cloexec = new FdBitmap(capacity);
    this.fullFdsBits = new Uint32Array(Math.ceil(capacity / BITS / BITS));
  }

  /** Linux: fdt->max_fds. */
  get capacity(): number {
    return this.files.length;
  }

  /** Linux: files_lookup_fd_raw (fdget without the reference): the file at fd, or null. */
  get(fd: number): File | null {
    return fd >= 0 && fd < this.files.length ? this.files[fd] : null;
  }

  /** Linux: expand_files — grow to hold fd; false at or past sysctl_nr_open. */
  expand(fd: number): boolean {
    if (fd < this.files.length) return true;
    const nrOpen = this.sysctl.nrOpen;
    if (fd >= nrOpen) return false;
    // Linux: expand_fdtable — a power of two of 1 KiB units of pointers, capped at nr_open
    // rounded up to a whole word.
    let size = FDTABLE_UNIT * 2 ** Math.ceil(Math.log2(Math.floor(fd / FDTABLE_UNIT) + 1));
    if (size > nrOpen) size = ((nrOpen - 1) | (BITS_PER_LONG - 1)) + 1;
    const old = this.files.length;
    this.files.length = size;
    this.files.fill(null, old);
    this.openFdsBits.grow(size);
    this.cloexec.grow(size);
    const full = new Uint32Array(Math.ceil(size / BITS / BITS));
    full.set(this.fullFdsBits);
    this.fullFdsBits = full;
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

  /** Linux: find_next_fd — the lowest fd ≥ start free in open_fds, or capacity if none. */
  private findNextFd(start: number): number {
    const maxfd = this.files.length;
    const bitbit = findNextZeroBit(this.fullFdsBits, Math.ceil(maxfd / BITS), start >>> 5) * BITS;
    if (bitbit >= maxfd) return maxfd;
    return findNextZeroBit(this.openFdsBits.words, maxfd, bitbit > start ? bitbit : start);
  }

  /** Linux: __set_open_fd — and full_fds_bits when its word fills. */
  private setOpenFd(fd: number): void {
    const words = this.openFdsBits.words;
    const w = fd >>> 5;
    words[w] |= 1 << (fd & 31);
    if (words[w] === 0xffffffff) this.fullFdsBits[w >>> 5] |= 1 << (w & 31);
  }

  /** Linux: __clear_open_fd. */
  private clearOpenFd(fd: number): void {
    const w = fd >>> 5;
    this.openFdsBits.words[w] &= ~(1 << (fd & 31));
    this.fullFdsBits[w >>> 5] &= ~(1 << (w & 31));
  }

  /** Linux: alloc_fd (get_unused_fd_flags) — the lowest free fd ≥ start, larval; or -EMFILE. */
  reserve(cloexec: boolean, start = 0): number {
    let fd = Math.max(start, this.nextFd);
    // Linux: alloc_fd searches only within the table; past it, the fd asked for is free.
    if (fd < this.files.length) fd = this.findNextFd(fd);
    if (fd >= this.rlimit.soft) return -EMFILE;
    if (!this.expand(fd)) return -EMFILE;
    if (start <= this.nextFd) this.nextFd = fd + 1;
    this.setOpenFd(fd);
    this.larval.add(fd);
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
    this.clearOpenFd(fd);
    this.cloexec.delete(fd);
    if (fd < this.nextFd) this.nextFd = fd;
  }

  /** Linux: the fd's bit in open_fds — installed or larval. */
  isAllocated(fd: number): boolean {
    return this.openFdsBits.has(fd);
  }

  /** Linux: file_close_fd — detach the slot; the caller drops the reference. */
  detach(fd: number): File | null {
    const file = this.get(fd);
    if (!file) return null;
    this.files[fd] = null;
    this.openCount--;
    this.clearOpenFd(fd);
    this.cloexec.delete(fd);
    if (fd < this.nextFd) this.nextFd = fd;
    return file;
  }

  /** Linux: do_dup2's install step: put `file` at `fd` (already expanded), return what was there. */
  replace(fd: number, file: File, cloexec: boolean): File | null {
    const old = this.files[fd];
    this.files[fd] = file;
    if (!old) {
      this.openCount++;
      this.setOpenFd(fd);
    }
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
