// The VFS layer of the system calls that work on any descriptor: read, write, close, dup*,
// fcntl, ioctl(FIONREAD). Linux: fs/read_write.c, fs/open.c, fs/file.c, fs/fcntl.c.
// Each function decodes arguments and returns `{ret}` / `{errno}`; file types do the rest.

import {
  F,
  F_UNMODELLED,
  FD_CLOEXEC,
  MAX_RW_COUNT,
  O,
  O_ACCMODE,
  O_APPEND,
  O_ASYNC,
  O_EXCL,
  O_NOATIME,
  O_NOCTTY,
  O_TRUNC,
} from '../abi/constants.ts';
import { formatMask, nameOf } from '../abi/flags.ts';
import type { SysResult } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import { ENOIOCTLCMD, ERRNO, errWhy, failWhy, toResult } from './errors.ts';
import { copyBytes, type File, FMODE_READ, FMODE_WRITE, fput, getFile } from './file.ts';
import type { Kernel } from './kernel.ts';
import {
  continueAfterSleep,
  holdAcrossSleep,
  type MaySleep,
  mustSleep,
  type SysGen,
  type Thread,
} from './sched.ts';

const { EBADF, EINVAL, ENOTTY } = ERRNO;

/**
 * Linux: fdget. Takes a reference for the duration of the call, as the kernel does when the
 * table is shared: a thread blocked in a call keeps its file alive across close() elsewhere.
 */
export function fdget(t: Thread, fd: number): File | null {
  const file = t.proc.fdtable.get(fd);
  return file ? getFile(file) : null;
}

/** Not Linux: fdget without its reference, for calls that cannot sleep (nothing can close the file meanwhile). */
export function fdlookup(t: Thread, fd: number): File | null {
  return t.proc.fdtable.get(fd);
}

/**
 * Linux: get_unused_fd_flags + fd_install — install a new file at the lowest free fd; on EMFILE
 * the file is released. Returns fd or -errno.
 */
export function installFd(k: Kernel, t: Thread, file: File, cloexec: boolean): number {
  const fd = t.proc.fdtable.install(file, cloexec);
  if (fd < 0) {
    errWhy(k, fd, 'alloc_fd', 'no free fd below RLIMIT_NOFILE');
    fput(k, file);
  }
  return fd;
}

/**
 * Not Linux: the most a thread keeps as its read buffer (Thread.readBuffer); a larger read gets
 * a buffer of its own. 64 KiB is a default pipe's capacity.
 */
const READ_BUFFER_MAX = 65536;

/**
 * Not Linux: the most one read of anything but a regular file returns. A pipe holds at most
 * PIPE_MAX_SIZE (1 MiB: the model is unprivileged), a socket what its peer's send buffer let in,
 * an eventfd or timerfd 8 bytes. (The Linux backend's buffer has the same size.)
 */
const READ_RETURN_MAX = 16 << 20;

/**
 * Not Linux (the caller's buffer): room for the bytes a read of `count` can return: the thread's
 * read buffer, grown if need be, or one for this call. A large count gets no more than the file
 * can give now (its readMax: what is left of a regular file, what a pipe holds, 8 bytes of an
 * eventfd), or READ_RETURN_MAX when the read may sleep, so read(fd, 2^31) does not allocate
 * 2 GiB, nor a non-blocking read of an empty pipe 16 MiB. Exported for its test.
 */
export function readBuffer(t: Thread, file: File, count: number): Uint8Array {
  if (count <= t.readBuffer.length) return t.readBuffer;
  if (count > READ_BUFFER_MAX) {
    const most = file.ops.readMax ? file.ops.readMax(t.k, file) : -1;
    return new Uint8Array(Math.min(count, most < 0 ? READ_RETURN_MAX : most));
  }
  let size = 256;
  while (size < count) size *= 2;
  t.readBuffer = new Uint8Array(size);
  return t.readBuffer;
}

/** Linux: fdput — drop the reference fdget took. */
export function fdput(t: Thread, file: File): void {
  fput(t.k, file);
}

/**
 * Linux: fdget … fdput around a call that may sleep: EBADF (with `why`) for a descriptor that is
 * not open, else `body` runs holding the file, released however the call ends (holdAcrossSleep).
 */
export function withFile<A, R extends object>(
  t: Thread,
  fd: number,
  fn: string,
  body: (t: Thread, file: File, arg: A) => MaySleep<SysResult<R>>,
  arg: A,
  why = 'fd {fd} is not open',
): MaySleep<SysResult<R>> {
  const file = fdget(t, fd);
  if (!file) return failWhy(t.k, 'EBADF', fn, why, undefined, fd);
  return holdAcrossSleep(t, file, fdput, body, arg);
}

/** Linux: ksys_read → vfs_read. The bytes come back in an array of exactly their number. */
export function sys_read(t: Thread, fd: number, count: number): MaySleep<SysResult<{ data: Uint8Array }>> {
  // Linux: vfs_read — a count above MAX_RW_COUNT reads MAX_RW_COUNT.
  return withFile(t, fd, 'fdget', vfsReadResult, Math.min(count, MAX_RW_COUNT));
}

/** The API's read: into the thread's buffer, then a result array of exactly the bytes read. */
function vfsReadResult(t: Thread, file: File, count: number): MaySleep<SysResult<{ data: Uint8Array }>> {
  const buf = readBuffer(t, file, count);
  const n = vfsRead(t, file, buf, Math.min(count, buf.length));
  return mustSleep(n) ? readAfterSleep(t, buf, n) : readResult(t, buf, n);
}

/**
 * Linux: ksys_read — read into the caller's buffer (copy_to_user into user memory): the bytes
 * read, or −errno. The API's read (sys_read) returns a fresh array instead; this is the call as
 * a C program makes it, which the benchmark's driver uses, as bench.c does, so that neither
 * side pays for an allocation the other does not make.
 */
export function ksys_read(t: Thread, fd: number, buf: Uint8Array): MaySleep<number> {
  const file = fdget(t, fd);
  if (!file) return errWhy(t.k, -EBADF, 'fdget', 'fd {fd} is not open', undefined, fd);
  return holdAcrossSleep(t, file, fdput, vfsReadCount, buf);
}

function vfsReadCount(t: Thread, file: File, buf: Uint8Array): MaySleep<number> {
  const n = vfsRead(t, file, buf, Math.min(buf.length, MAX_RW_COUNT));
  return mustSleep(n) ? continueAfterSleep(n, (v) => countCopiedOut(t, v)) : countCopiedOut(t, n);
}

function countCopiedOut(t: Thread, n: number): number {
  if (n > 0) t.k.stats.bytesCopiedOut += n;
  return n;
}

// Linux: vfs_read — the file's ->read, holding the file (fdget) until it returns.
function vfsRead(t: Thread, file: File, buf: Uint8Array, count: number): MaySleep<number> {
  if ((file.mode & FMODE_READ) === 0)
    return errWhy(t.k, -EBADF, 'vfs_read', '{file} is not open for reading (no FMODE_READ)', file.id);
  if (!file.ops.read) return errWhy(t.k, -EINVAL, 'vfs_read', '{file} has no ->read', file.id);
  return file.ops.read(t, file, buf, count);
}

function* readAfterSleep(
  t: Thread,
  buf: Uint8Array,
  read: SysGen<number>,
): SysGen<SysResult<{ data: Uint8Array }>> {
  return readResult(t, buf, yield* read);
}

/** Linux: copy_to_user of the n bytes read (the model's result array). */
function readResult(t: Thread, buf: Uint8Array, n: number): SysResult<{ data: Uint8Array }> {
  if (n < 0) return toResult(n) as SysResult<{ data: Uint8Array }>;
  t.k.stats.bytesCopiedOut += n;
  const data = new Uint8Array(n);
  copyBytes(data, 0, buf, 0, n);
  return { ret: n, data };
}

/** Linux: ksys_write → vfs_write. */
export function sys_write(t: Thread, fd: number, data: Uint8Array): MaySleep<SysResult> {
  const n = ksys_write(t, fd, data);
  return mustSleep(n) ? continueAfterSleep(n, toResult) : toResult(n);
}

/** Linux: ksys_write — the bytes written, or −errno (sys_write makes the API's result of it). */
export function ksys_write(t: Thread, fd: number, data: Uint8Array): MaySleep<number> {
  const file = fdget(t, fd);
  if (!file) return errWhy(t.k, -EBADF, 'fdget', 'fd {fd} is not open', undefined, fd);
  return holdAcrossSleep(t, file, fdput, vfsWrite, data);
}

// Linux: vfs_write — the file's ->write, holding the file (fdget) until it returns.
function vfsWrite(t: Thread, file: File, data: Uint8Array): MaySleep<number> {
  if ((file.mode & FMODE_WRITE) === 0)
    return errWhy(t.k, -EBADF, 'vfs_write', '{file} is not open for writing (no FMODE_WRITE)', file.id);
  if (!file.ops.write) return errWhy(t.k, -EINVAL, 'vfs_write', '{file} has no ->write', file.id);
  const n = file.ops.write(t, file, data);
  return mustSleep(n) ? continueAfterSleep(n, (v) => countCopiedIn(t, v)) : countCopiedIn(t, n);
}

function countCopiedIn(t: Thread, n: number): number {
  if (n > 0) t.k.stats.bytesCopiedIn += n;
  return n;
}

/** Linux: close_fd. The registration of an epoll item survives while another reference exists. */
export function sys_close(t: Thread, fd: number): SysResult {
  const file = t.proc.fdtable.detach(fd);
  if (!file) return failWhy(t.k, 'EBADF', 'close_fd', 'fd {fd} is not open', undefined, fd);
  fput(t.k, file);
  return { ret: 0 };
}

export function sys_dup(t: Thread, fd: number): SysResult {
  const file = fdlookup(t, fd);
  if (!file) return failWhy(t.k, 'EBADF', 'dup', 'fd {fd} is not open', undefined, fd);
  const newfd = t.proc.fdtable.install(getFile(file), false);
  if (newfd < 0) fput(t.k, file);
  return toResult(newfd);
}

/** Linux: ksys_dup3 (dup2 with old != new goes here with flags 0). */
export function sys_dup3(t: Thread, oldfd: number, newfd: number, flags: number): SysResult {
  if ((flags & ~O.O_CLOEXEC) !== 0) return failWhy(t.k, 'EINVAL', 'ksys_dup3', 'flags other than O_CLOEXEC');
  if (oldfd === newfd) return failWhy(t.k, 'EINVAL', 'ksys_dup3', 'oldfd == newfd', undefined, oldfd);
  return doDup2(t, oldfd, newfd, (flags & O.O_CLOEXEC) !== 0);
}

export function sys_dup2(t: Thread, oldfd: number, newfd: number): SysResult {
  if (oldfd === newfd)
    return fdlookup(t, oldfd)
      ? { ret: newfd }
      : failWhy(t.k, 'EBADF', 'dup2', 'fd {fd} is not open', undefined, oldfd);
  return doDup2(t, oldfd, newfd, false);
}

// Linux: fs/file.c:do_dup2, with ksys_dup3's checks before it.
function doDup2(t: Thread, oldfd: number, newfd: number, cloexec: boolean): SysResult {
  const table = t.proc.fdtable;
  // Linux: ksys_dup3 — newfd beyond RLIMIT_NOFILE, or a table that cannot grow, is EBADF.
  if (newfd < 0 || newfd >= table.rlimit.soft)
    return failWhy(t.k, 'EBADF', 'ksys_dup3', 'newfd {fd} is beyond RLIMIT_NOFILE', undefined, newfd);
  if (!table.expand(newfd))
    return failWhy(t.k, 'EBADF', 'expand_files', 'the fd table cannot grow to {fd}', undefined, newfd);
  const file = table.get(oldfd);
  if (!file) return failWhy(t.k, 'EBADF', 'ksys_dup3', 'fd {fd} is not open', undefined, oldfd);
  // Linux: do_dup2 — a reserved, not yet installed fd (another thread's accept4) is busy.
  if (table.larval.has(newfd))
    return failWhy(
      t.k,
      'EBUSY',
      'do_dup2',
      'newfd {fd} is reserved but not yet installed (another thread)',
      undefined,
      newfd,
    );
  const old = table.replace(newfd, getFile(file), cloexec);
  // Linux: do_dup2 — the file that was at newfd is closed silently, after the install.
  if (old) fput(t.k, old);
  return { ret: newfd };
}

// Linux: fs/fcntl.c SETFL_MASK. The model keeps O_NONBLOCK and O_DIRECT (pipes' packet mode).
const SETFL_MODELLED = O.O_NONBLOCK | O.O_DIRECT;
// Bits F_SETFL ignores (access mode and creation flags).
const SETFL_IGNORED = O_ACCMODE | O.O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O.O_CLOEXEC;

export function sys_fcntl(t: Thread, fd: number, cmd: number, arg: number): SysResult {
  const file = fdlookup(t, fd);
  if (!file) return failWhy(t.k, 'EBADF', 'fdget_raw', 'fd {fd} is not open', undefined, fd);
  const table = t.proc.fdtable;
  switch (cmd) {
    case F.F_GETFL:
      return { ret: file.flags };
    case F.F_SETFL: {
      const bits = arg & ~SETFL_IGNORED;
      if ((bits & (O_APPEND | O_ASYNC | O_NOATIME)) !== 0)
        throw new Unsupported('fcntl', `F_SETFL ${formatMask(bits, { ...O, O_APPEND, O_ASYNC, O_NOATIME })}`);
      // Linux: setfl — "Pipe packetized mode is controlled by O_DIRECT flag"; any other file
      // needs FMODE_CAN_ODIRECT: EINVAL for eventfd, timerfd, epoll, sockets, /dev/null
      // (checked on 6.18). A regular file's answer depends on its filesystem.
      if ((bits & O.O_DIRECT) !== 0 && file.ops.type !== 'pipe') {
        if (file.ops.type === 'regular') throw new Unsupported('fcntl', 'F_SETFL O_DIRECT on a regular file');
        return failWhy(t.k, 'EINVAL', 'setfl', 'O_DIRECT on a file without FMODE_CAN_ODIRECT', file.id);
      }
      // Linux: setfl changes only SETFL_MASK bits; any other bit is silently ignored.
      file.flags = (file.flags & ~SETFL_MODELLED) | (bits & SETFL_MODELLED);
      return { ret: 0 };
    }
    case F.F_GETFD:
      return { ret: table.cloexec.has(fd) ? FD_CLOEXEC : 0 };
    case F.F_SETFD:
      if (arg & FD_CLOEXEC) table.cloexec.add(fd);
      else table.cloexec.delete(fd);
      return { ret: 0 };
    case F.F_DUPFD:
    case F.F_DUPFD_CLOEXEC: {
      // Linux: do_fcntl passes (int)arg to f_dupfd(unsigned int from): from at or above
      // RLIMIT_NOFILE (a negative int among them) is EINVAL.
      const from = arg | 0;
      if (from < 0 || from >= table.rlimit.soft)
        return failWhy(t.k, 'EINVAL', 'f_dupfd', 'the lowest fd asked for is at or above RLIMIT_NOFILE');
      const newfd = table.install(getFile(file), cmd === F.F_DUPFD_CLOEXEC, from);
      if (newfd < 0) fput(t.k, file);
      return toResult(newfd);
    }
    case F.F_SETPIPE_SZ:
    case F.F_GETPIPE_SZ:
      // Linux: pipe_fcntl — not a pipe: EBADF.
      if (!file.ops.pipeFcntl) return failWhy(t.k, 'EBADF', 'pipe_fcntl', '{file} is not a pipe', file.id);
      return toResult(file.ops.pipeFcntl(t.k, file, cmd, arg));
    default:
      if ((cmd >= 0 && cmd <= 48) || (cmd >= 1024 && cmd <= 1050))
        throw new Unsupported('fcntl', `command ${nameOf(cmd, F_UNMODELLED)}`);
      return toResult(errWhy(t.k, -EINVAL, 'do_fcntl', 'unknown command'));
  }
}

/**
 * Linux: ioctl → vfs_ioctl — the file's unlocked_ioctl for FIONREAD, SIOCOUTQ or SIOCATMARK (the
 * commands the API has); a type with none, or one that does not know the command
 * (-ENOIOCTLCMD), is ENOTTY.
 */
export function sys_ioctl(t: Thread, fd: number, cmd: number): SysResult {
  const file = fdlookup(t, fd);
  if (!file) return toResult(errWhy(t.k, -EBADF, 'fdget', 'fd {fd} is not open', undefined, fd));
  const r = file.ops.ioctl ? file.ops.ioctl(t.k, file, cmd) : -ENOIOCTLCMD;
  if (r === -ENOIOCTLCMD)
    return toResult(errWhy(t.k, -ENOTTY, 'vfs_ioctl', '{file} has no such ioctl', file.id));
  return toResult(r);
}
