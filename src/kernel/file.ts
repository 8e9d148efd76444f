// Open file descriptions (Linux: struct file) and the f_op contract.
//
// A File is shared by every descriptor that refers to it (dup, dup2) and carries the status
// flags (O_NONBLOCK is per description, not per fd). It is released when its last reference
// goes: fd slots, select/poll wait entries and in-flight syscalls hold references; epoll
// items do not (that is why eventpoll_release exists, run first in __fput).

import { O, O_ACCMODE } from '../abi/constants.ts';
import type { Kernel } from './kernel.ts';
import type { MaySleep, Thread } from './sched.ts';
import type { WaitQueueHead } from './waitqueue.ts';

// Linux: include/linux/fs.h
export const FMODE_READ = 0x1;
export const FMODE_WRITE = 0x2;

export type FileType =
  | 'pipe'
  | 'unix'
  | 'tcp'
  | 'udp'
  | 'eventfd'
  | 'timerfd'
  | 'regular'
  | 'null'
  | 'eventpoll'
  | 'signalfd';

/**
 * Linux: poll_table. `qproc` registers the caller on one wait queue (NULL: re-polls, which
 * register nothing); `key` is the events the caller wants (poll_requested_events).
 */
export interface PollTable {
  qproc: ((file: File, wq: WaitQueueHead, pt: PollTable) => void) | null;
  key: number;
}

/** Linux: poll_wait — register on `wq` if the table asks for registrations. */
export function pollWait(file: File, wq: WaitQueueHead, pt: PollTable | null): void {
  if (pt?.qproc) pt.qproc(file, wq, pt);
}

/** Linux: poll_requested_events — "all" when there is no table. */
export function pollRequestedEvents(pt: PollTable | null): number {
  return pt ? pt.key : 0xffffffff;
}

/** Linux: struct file_operations — what each file type implements. */
export interface FileOperations {
  readonly type: FileType;
  /** f_op->poll: the full current mask; registers on its queues through pollWait first. Absent: no ->poll. */
  poll?(k: Kernel, file: File, pt: PollTable | null): number;
  /**
   * f_op->read_iter: reads at most `count` bytes into buf[0, count) (buf may be longer: Linux's
   * iov_iter_count), returns bytes or -errno. May sleep (MaySleep: a generator only then).
   */
  read?(t: Thread, file: File, buf: Uint8Array, count: number): MaySleep<number>;
  /** f_op->write_iter: returns bytes written or -errno. May sleep (as read). */
  write?(t: Thread, file: File, data: Uint8Array): MaySleep<number>;
  /** f_op->release: the last reference has gone. */
  release(k: Kernel, file: File): void;
  /**
   * f_op->unlocked_ioctl (with do_vfs_ioctl's FIONREAD for a regular file): the value the command
   * stores, or -errno; -ENOIOCTLCMD for a command the type does not know (vfs_ioctl: ENOTTY).
   * Absent: the type has no ioctl at all (ENOTTY).
   */
  ioctl?(k: Kernel, file: File, cmd: number): number;
  /**
   * Not Linux (the caller's buffer): the most one read can return now, where the type knows it
   * with no side effect, or -1 if the read may sleep and return more after. Sizes a large
   * read's buffer (fs.ts readBuffer), so read(fd, 2^30) allocates no more than that. Absent: -1.
   */
  readMax?(k: Kernel, file: File): number;
  /** The type's private state as plain JSON, for snapshots (src/observe). */
  snapshot?(k: Kernel, file: File): object;
  /** F_SETPIPE_SZ / F_GETPIPE_SZ (pipes only): bytes or -errno. */
  pipeFcntl?(k: Kernel, file: File, cmd: number, arg: number): number;
}

/**
 * Linux: a struct file_operations initialiser — the table has every field, NULL (undefined) where
 * the type lacks the operation. Not Linux in purpose: every table gets one hidden class, so the
 * loads through file->f_op (each fd select and poll look at) stay monomorphic while many file
 * types are in use. Measured: a pipe's poll cost 16 ns per fd alone, 36 once sockets, eventfds
 * and TCP had been polled in the same process, with tables of differing shapes.
 */
export function fileOperations(ops: FileOperations): FileOperations {
  return {
    type: ops.type,
    poll: ops.poll,
    read: ops.read,
    write: ops.write,
    release: ops.release,
    ioctl: ops.ioctl,
    readMax: ops.readMax,
    snapshot: ops.snapshot,
    pipeFcntl: ops.pipeFcntl,
  };
}

/** Linux: struct file. */
export class File {
  /** Stable id for snapshots and traces; also the interest-tree key's first half (not a pointer). */
  readonly id: number;
  /** Linux: f_count. Fd slots + select/poll entries + in-flight calls. 0 = released. */
  count = 1;
  /** Linux: f_flags: O_ACCMODE | O_NONBLOCK | O_DIRECT ... (fcntl F_SETFL changes O_NONBLOCK). */
  flags: number;
  /**
   * Linux: f_ep. The newest epoll item watching this file, the head of the list the items link
   * through their fllink (owned by eventpoll; the core only checks it for emptiness at
   * release). Null when no epoll watches the file.
   */
  ep: object | null = null;
  /** Kernel.files' links (FileList): the files opened just before and after this one. */
  fuPrev: File | null = null;
  fuNext: File | null = null;
  /**
   * Not Linux: ops.poll, read once at open. vfs_poll calls it for every watched fd of every
   * select and poll: one load from the File rather than two through its ops (measured a little
   * faster than the ops load even with every table of one shape, fileOperations).
   * Null: no ->poll.
   */
  readonly fopPoll: ((k: Kernel, file: File, pt: PollTable | null) => number) | null;

  constructor(
    k: Kernel,
    readonly ops: FileOperations,
    flags: number,
    /** Linux: private_data — the pipe, socket, eventfd context, eventpoll ... */
    readonly priv: unknown,
  ) {
    this.id = k.nextId();
    this.flags = flags;
    this.fopPoll = ops.poll ?? null;
    k.files.add(this);
  }

  /**
   * Linux: f_mode, FMODE_READ | FMODE_WRITE, from the access mode it was opened with. Not Linux:
   * computed rather than stored (the access mode in f_flags never changes after open: F_SETFL
   * ignores it), so a File is no larger for carrying fopPoll.
   */
  get mode(): number {
    // Linux: OPEN_FMODE — (flags + 1) & O_ACCMODE maps O_RDONLY, O_WRONLY, O_RDWR to READ, WRITE,
    // READ|WRITE; the model has always read an access mode of 3 as O_RDWR.
    return (this.flags + 1) & O_ACCMODE || FMODE_READ | FMODE_WRITE;
  }

  get nonblock(): boolean {
    return (this.flags & O.O_NONBLOCK) !== 0;
  }
}

/**
 * Linux: the memcpy under copy_page_to_iter / copy_page_from_iter — n bytes from src[from…] to
 * dst[at…]. Short copies go byte by byte: a subarray view costs more than it saves.
 */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n <= COPY_BY_BYTE_MAX) for (let i = 0; i < n; i++) dst[at + i] = src[from + i];
  else dst.set(src.subarray(from, from + n), at);
}

/** Up to this many bytes a loop is faster than a view and set() (measured on Node 20: equal near 80). */
const COPY_BY_BYTE_MAX = 64;

/** Linux: file_can_poll. */
export function fileCanPoll(file: File): boolean {
  return file.ops.poll !== undefined;
}

/** Hooks the core calls into higher layers (Linux calls eventpoll_release from __fput). */
export const fileHooks: { eventpollRelease: ((k: Kernel, file: File) => void) | null } = {
  eventpollRelease: null,
};

/** Linux: get_file. */
export function getFile(file: File): File {
  file.count++;
  return file;
}

/**
 * Every open file description of a kernel, linked through the files themselves (Linux before
 * 3.13: sb->s_files, through file->f_u.fu_list). Not Linux today, which keeps no list of all
 * files: the model walks it for snapshots and for its invariant checks. Intrusive, so a file
 * costs two fields rather than a hash-set entry (26 bytes a file, measured) and there is no
 * limit on the count (a Set holds 2^24 entries). Opening order, as a Set iterates.
 */
export class FileList implements Iterable<File> {
  private first: File | null = null;
  private last: File | null = null;
  size = 0;

  add(file: File): void {
    file.fuPrev = this.last;
    file.fuNext = null;
    if (this.last) this.last.fuNext = file;
    else this.first = file;
    this.last = file;
    this.size++;
  }

  has(file: File): boolean {
    return file.fuPrev !== null || this.first === file;
  }

  delete(file: File): void {
    if (!this.has(file)) return;
    if (file.fuPrev) file.fuPrev.fuNext = file.fuNext;
    else this.first = file.fuNext;
    if (file.fuNext) file.fuNext.fuPrev = file.fuPrev;
    else this.last = file.fuPrev;
    file.fuPrev = file.fuNext = null;
    this.size--;
  }

  [Symbol.iterator](): Iterator<File> {
    // A plain iterator: the kernel's only generators are its sleeps (sched.ts).
    let f = this.first;
    return {
      next(): IteratorResult<File> {
        if (f === null) return { done: true, value: undefined };
        const value = f;
        f = f.fuNext; // taken before the caller may release `value`
        return { done: false, value };
      },
    };
  }
}

/** Linux: fput → __fput when the count reaches 0. */
export function fput(k: Kernel, file: File): void {
  if (file.count <= 0) throw new Error(`fput of released file ${file.id}`);
  if (--file.count > 0) return;
  // Linux: __fput — eventpoll_release first (no event), then f_op->release.
  if (file.ep !== null) fileHooks.eventpollRelease?.(k, file);
  file.ops.release(k, file);
  k.files.delete(file);
  k.emit?.({ type: 'file_release', file: file.id, fileType: file.ops.type });
}
