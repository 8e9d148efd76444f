// The `Syscalls` contract on the real kernel, in this process: each method decodes the API's
// arguments into C ones, makes one system call through libc.ts, and returns the kernel's answer as
// `{ ret, ... }` or `{ errno }`. It runs inside the script's child process (child.ts), where a
// `Confinement` keeps the script to its own descriptors and its private abstract names.
//
// Calls that can block (read, write, connect, accept4, epoll_wait, epoll_pwait2, poll, select,
// sleep) run on the libuv threadpool (`callAsync`, koffi's `.async`), so several may be blocked at
// once, each on its own kernel thread, while the event loop goes on; the others (`callSync`) run on
// the main thread, which they never hold for long. Every call first checks its integers against
// their C types (src/api/cargs.ts, shared with the simulated kernel), so both refuse alike.

import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import {
  AF,
  F,
  F_UNMODELLED,
  FIONREAD,
  MAX_RW_COUNT,
  O,
  O_EXCL,
  VALID_OPEN_FLAGS,
} from '../abi/constants.ts';
import type { Errno } from '../abi/errno.ts';
import { ERRNO, errnoName } from '../abi/errno.ts';
import { nameOf } from '../abi/flags.ts';
import { checkArgs, checkPrivateName } from '../api/cargs.ts';
import type {
  EpollEvent,
  Itimerspec,
  PollFd,
  Pselect6Args,
  Pselect6Result,
  SelectArgs,
  SelectResult,
  SigHandler,
  Sigset,
  Syscalls,
  SysResult,
  Timespec,
} from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import {
  decodeEpollEvents,
  decodeFdSet,
  decodeItimerspec,
  decodeRevents,
  decodeTimeval,
  EPOLL_EVENT,
  encodeAbstractAddress,
  encodeEpollEvent,
  encodeFdSet,
  encodeItimerspec,
  encodePollFds,
  encodeTimespec,
  encodeTimeval,
  fdSetBytes,
  ITIMERSPEC,
  RLIMIT,
  RLIMIT_NOFILE,
} from './layout.ts';
import type { Outcome } from './libc.ts';
import { callAsync, callSync, libc } from './libc.ts';

/** Linux: include/uapi/asm-generic/fcntl.h — O_TMPFILE is __O_TMPFILE | O_DIRECTORY. */
export const O_TMPFILE = 0o20000000 | 0o200000;

/** Linux: fs/eventpoll.c:EP_MAX_EVENTS (INT_MAX / sizeof(struct epoll_event)). */
const EP_MAX_EVENTS = Math.floor(0x7fffffff / EPOLL_EVENT.size);
/** The most events one epoll_wait buffer holds here; more ready at once is Unsupported. */
export const EPOLL_WAIT_BUFFER_EVENTS = 1 << 16;
/** The largest read buffer; a read that could fill it when more was asked is Unsupported. */
export const READ_BUFFER_MAX = 16 << 20;
/** Linux: fs/file.c sysctl_nr_open's ceiling; select never reads past the fd table's size. */
const NR_OPEN_MAX = 1 << 20;

/**
 * What keeps a script inside its own process on a shared host: the descriptors the runner's own
 * process uses (which the script may not touch), the prefix that makes its abstract names private,
 * and the record of which descriptors the script opened (for the leak check at the end).
 */
export interface Confinement {
  /** Descriptors the runner (Node) holds: any call naming one is Unsupported. */
  readonly reserved: ReadonlySet<number>;
  /** Prepended to every abstract name, never shown to the script. */
  readonly abstractPrefix: Buffer;
  /** Descriptors the script holds (0, 1, 2 from the start, then what its calls returned). */
  readonly open: Set<number>;
}

/** No confinement: for in-process use (tests of this layer, benchmarks). */
export function unconfined(): Confinement {
  return { reserved: new Set(), abstractPrefix: Buffer.alloc(0), open: new Set() };
}

function fail(errno: number): { errno: Errno } {
  // A number the ABI table does not name comes back as "E<n>": still the kernel's answer.
  return { errno: errnoName(errno) as Errno };
}

/**
 * The system calls, made in the calling process through koffi (the child's side of the backend),
 * within a `Confinement`.
 */
export class LinuxCalls implements Syscalls {
  private readonly c = libc();

  constructor(private readonly confine: Confinement = unconfined()) {}

  // --- confinement -------------------------------------------------------------------------------

  private usable(call: string, fd: number): number {
    if (this.confine.reserved.has(fd)) {
      throw new Unsupported(call, `fd ${fd} belongs to the runner's own process (Node), not to the script`);
    }
    return fd;
  }

  /**
   * Record a descriptor the kernel allocated as the lowest free one at or above `from`. If one of
   * the runner's descriptors lies in [from, fd), the script's process (which has none of them)
   * would have been given a lower number: close it and refuse, rather than report a wrong number.
   */
  private allocated(call: string, fds: number[], from = 0): void {
    for (const fd of fds) {
      for (const r of this.confine.reserved) {
        if (r >= from && r < fd) {
          for (const f of fds) this.c.close(f);
          throw new Unsupported(call, `the script used every descriptor below the runner's own (fd ${r})`);
        }
      }
    }
    for (const fd of fds) this.confine.open.add(fd);
  }

  private address(call: string, address: string): { addr: Buffer; len: number } {
    if (typeof address !== 'string' || !address.startsWith('@')) {
      throw new Unsupported(
        call,
        `address ${JSON.stringify(address)}: only abstract names ("@name") are reachable`,
      );
    }
    const name = Buffer.from(address.slice(1), 'latin1');
    if (name.toString('latin1') !== address.slice(1)) {
      throw new Unsupported(call, `address ${JSON.stringify(address)}: characters beyond U+00FF`);
    }
    checkPrivateName(call, name.length, this.confine.abstractPrefix.length);
    return encodeAbstractAddress(Buffer.concat([this.confine.abstractPrefix, name]));
  }

  /** RLIMIT_NOFILE's soft limit now. */
  private nofile(): number {
    const rl = Buffer.alloc(RLIMIT.size);
    if (this.c.getrlimit(RLIMIT_NOFILE, rl) === -1)
      throw new Error(`getrlimit: ${errnoName(this.c.errno())}`);
    return Number(rl.readBigUInt64LE(RLIMIT.cur));
  }

  // --- descriptors -------------------------------------------------------------------------------

  private async pair(call: string, o: Outcome, buf: Buffer): Promise<SysResult<{ fds: [number, number] }>> {
    if (o.ret === -1) return fail(o.errno);
    const fds: [number, number] = [buf.readInt32LE(0), buf.readInt32LE(4)];
    this.allocated(call, fds);
    return { ret: o.ret, fds };
  }

  private one(call: string, o: Outcome, from = 0): SysResult {
    if (o.ret === -1) return fail(o.errno);
    this.allocated(call, [o.ret], from);
    return { ret: o.ret };
  }

  private plain(o: Outcome): SysResult {
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret };
  }

  async pipe(): Promise<SysResult<{ fds: [number, number] }>> {
    const buf = Buffer.alloc(8);
    const ret = this.c.pipe(buf);
    return this.pair('pipe', { ret, errno: ret === -1 ? this.c.errno() : 0 }, buf);
  }

  async pipe2(flags: number): Promise<SysResult<{ fds: [number, number] }>> {
    checkArgs.pipe2(flags);
    const buf = Buffer.alloc(8);
    return this.pair('pipe2', callSync(this.c.pipe2, buf, flags | 0), buf);
  }

  async socketpair(
    domain: number,
    type: number,
    protocol: number,
  ): Promise<SysResult<{ fds: [number, number] }>> {
    checkArgs.socketpair(domain, type, protocol);
    // Hygiene: only AF_UNIX. Other families (netlink, packet) could reach the host's network as root.
    if (domain !== AF.AF_UNIX)
      throw new Unsupported('socketpair', `domain ${nameOf(domain, AF)} (only AF_UNIX)`);
    const buf = Buffer.alloc(8);
    return this.pair('socketpair', callSync(this.c.socketpair, domain, type | 0, protocol, buf), buf);
  }

  async socket(domain: number, type: number, protocol: number): Promise<SysResult> {
    checkArgs.socket(domain, type, protocol);
    if (domain !== AF.AF_UNIX) throw new Unsupported('socket', `domain ${nameOf(domain, AF)} (only AF_UNIX)`);
    return this.one('socket', callSync(this.c.socket, domain, type | 0, protocol));
  }

  async bind(fd: number, address: string): Promise<SysResult> {
    checkArgs.bind(fd, address);
    const { addr, len } = this.address('bind', address);
    return this.plain(callSync(this.c.bind, this.usable('bind', fd), addr, len));
  }

  async listen(fd: number, backlog: number): Promise<SysResult> {
    checkArgs.listen(fd, backlog);
    return this.plain(callSync(this.c.listen, this.usable('listen', fd), backlog));
  }

  async connect(fd: number, address: string): Promise<SysResult> {
    checkArgs.connect(fd, address);
    const { addr, len } = this.address('connect', address);
    // A blocking stream connect waits while the listener's backlog is full.
    return this.plain(await callAsync(this.c.connect, this.usable('connect', fd), addr, len));
  }

  async accept4(fd: number, flags: number): Promise<SysResult> {
    checkArgs.accept4(fd, flags);
    const f = flags | 0;
    return this.one('accept4', await callAsync(this.c.accept4, this.usable('accept4', fd), null, null, f));
  }

  async shutdown(fd: number, how: number): Promise<SysResult> {
    checkArgs.shutdown(fd, how);
    return this.plain(callSync(this.c.shutdown, this.usable('shutdown', fd), how));
  }

  async eventfd(initval: number, flags: number): Promise<SysResult> {
    checkArgs.eventfd(initval, flags);
    const v = initval >>> 0;
    return this.one('eventfd', callSync(this.c.eventfd, v, flags | 0));
  }

  async open(path: string, flags: number): Promise<SysResult> {
    checkArgs.open(path, flags);
    // What the kernel would ignore is not passed on (Linux: build_open_how), so a bit a later
    // kernel gives a meaning never reaches the host's /dev/null.
    const f = flags & VALID_OPEN_FLAGS;
    if (path === '/dev/null') return this.one('open', callSync(this.c.open, '/dev/null', f, 0));
    if (path === 'tmpfile') return this.openTmpfile(f);
    // Hygiene: the script reaches no host file but /dev/null and its own unlinked tmpfiles.
    throw new Unsupported('open', `path ${JSON.stringify(path)} (only "/dev/null" and "tmpfile")`);
  }

  /**
   * The format's "tmpfile": a fresh regular file, created, opened with the script's flags, and
   * unlinked. It is made nameless from the start with O_TMPFILE (so no other process can see it),
   * then reopened through /proc/self/fd with the script's own flags (O_TMPFILE itself refuses
   * O_RDONLY), and the reopened file is moved onto the first descriptor, so the number is the one a
   * single open would have returned.
   */
  private openTmpfile(flags: number): SysResult {
    let first = callSync(this.c.open, '/tmp', O_TMPFILE | O.O_RDWR, 0o600);
    if (first.ret === -1 && (first.errno === ERRNO.EOPNOTSUPP || first.errno === ERRNO.EISDIR)) {
      // A /tmp without O_TMPFILE support: a name no one can guess, unlinked at once.
      const path = `/tmp/iomux-${randomBytes(12).toString('hex')}`;
      first = callSync(this.c.open, path, O.O_RDWR | O.O_CREAT | O_EXCL, 0o600);
      if (first.ret !== -1) unlinkSync(path);
    }
    if (first.ret === -1) throw new Error(`tmpfile: open in /tmp: ${errnoName(first.errno)}`);
    // O_CREAT and O_EXCL were for the creation, which has happened; the rest applies to the open.
    const reopenFlags = flags & ~(O.O_CREAT | O_EXCL | O.O_CLOEXEC);
    const second = callSync(this.c.open, `/proc/self/fd/${first.ret}`, reopenFlags, 0);
    if (second.ret === -1) {
      this.c.close(first.ret);
      return fail(second.errno);
    }
    const moved = callSync(this.c.dup3, second.ret, first.ret, flags & O.O_CLOEXEC);
    this.c.close(second.ret);
    if (moved.ret === -1) {
      this.c.close(first.ret);
      throw new Error(`tmpfile: dup3: ${errnoName(moved.errno)}`);
    }
    return this.one('open', { ret: first.ret, errno: 0 });
  }

  async read(fd: number, count: number): Promise<SysResult<{ data: Uint8Array }>> {
    checkArgs.read(fd, count);
    // Linux: vfs_read reads at most MAX_RW_COUNT; we pass at most our buffer's size, which differs
    // only when the read fills it, and that case is refused after the call.
    const asked = Math.min(count, MAX_RW_COUNT);
    const size = Math.min(asked, READ_BUFFER_MAX);
    const buf = Buffer.alloc(Math.max(1, size));
    const o = await callAsync(this.c.read, this.usable('read', fd), buf, size);
    if (o.ret === -1) return fail(o.errno);
    if (o.ret === size && asked > size)
      throw new Unsupported('read', `count ${count}: ${size} bytes or more ready at once`);
    return { ret: o.ret, data: new Uint8Array(buf.subarray(0, o.ret)) };
  }

  async write(fd: number, data: Uint8Array): Promise<SysResult> {
    checkArgs.write(fd, data);
    // A copy the caller cannot change while a threadpool thread is in write(2).
    const buf = Buffer.from(data);
    return this.plain(
      await callAsync(this.c.write, this.usable('write', fd), buf.length ? buf : null, buf.length),
    );
  }

  async close(fd: number): Promise<SysResult> {
    checkArgs.close(fd);
    const n = this.usable('close', fd);
    const o = callSync(this.c.close, n);
    // Linux: close releases the descriptor even when it returns an error other than EBADF.
    this.confine.open.delete(n);
    return this.plain(o);
  }

  async dup(fd: number): Promise<SysResult> {
    checkArgs.dup(fd);
    return this.one('dup', callSync(this.c.dup, this.usable('dup', fd)));
  }

  async dup2(oldfd: number, newfd: number): Promise<SysResult> {
    checkArgs.dup2(oldfd, newfd);
    const o = callSync(this.c.dup2, this.usable('dup2', oldfd), this.newfd('dup2', oldfd, newfd));
    if (o.ret !== -1) this.confine.open.add(o.ret);
    return this.plain(o);
  }

  async dup3(oldfd: number, newfd: number, flags: number): Promise<SysResult> {
    checkArgs.dup3(oldfd, newfd, flags);
    const o = callSync(this.c.dup3, this.usable('dup3', oldfd), this.newfd('dup3', oldfd, newfd), flags | 0);
    if (o.ret !== -1) this.confine.open.add(o.ret);
    return this.plain(o);
  }

  /**
   * dup2/dup3's newfd. Linux: ksys_dup3 fails a newfd at or above RLIMIT_NOFILE with EBADF before
   * it looks at the slot, so one of the runner's descriptors there is no matter: the kernel's
   * answer is the script's.
   */
  private newfd(call: string, oldfd: number, newfd: number): number {
    if (newfd !== oldfd && this.confine.reserved.has(newfd) && newfd >= this.nofile()) return newfd;
    return this.usable(call, newfd);
  }

  async fcntl(fd: number, cmd: number, arg: number): Promise<SysResult> {
    checkArgs.fcntl(fd, cmd, arg);
    const n = this.usable('fcntl', fd);
    // As an int argument reaches it: the kernel's argi = (int)arg.
    const argi = arg | 0;
    // Only the commands whose third argument is an integer: a pointer command given an integer
    // would let the kernel read or write an arbitrary address of this process.
    switch (cmd) {
      case F.F_DUPFD:
      case F.F_DUPFD_CLOEXEC: {
        return this.one('fcntl', callSync(this.c.fcntl, n, cmd, argi), argi);
      }
      case F.F_GETFD:
      case F.F_SETFD:
      case F.F_GETFL:
      case F.F_SETFL:
      case F.F_SETPIPE_SZ:
      case F.F_GETPIPE_SZ:
        return this.plain(callSync(this.c.fcntl, n, cmd, argi));
      default:
        throw new Unsupported('fcntl', `command ${nameOf(cmd, F_UNMODELLED)}`);
    }
  }

  async ioctl_fionread(fd: number): Promise<SysResult> {
    checkArgs.ioctl_fionread(fd);
    const out = Buffer.alloc(4);
    const o = callSync(this.c.ioctl, this.usable('ioctl', fd), FIONREAD, out);
    return o.ret === -1 ? fail(o.errno) : { ret: out.readInt32LE(0) };
  }

  async epoll_create(size: number): Promise<SysResult> {
    checkArgs.epoll_create(size);
    return this.one('epoll_create', callSync(this.c.epoll_create, size));
  }

  async epoll_create1(flags: number): Promise<SysResult> {
    checkArgs.epoll_create1(flags);
    return this.one('epoll_create1', callSync(this.c.epoll_create1, flags | 0));
  }

  async epoll_ctl(epfd: number, op: number, fd: number, event: EpollEvent | null): Promise<SysResult> {
    checkArgs.epoll_ctl(epfd, op, fd, event);
    const ev = event === null ? null : encodeEpollEvent(event);
    const o = callSync(
      this.c.epoll_ctl,
      this.usable('epoll_ctl', epfd),
      op,
      this.usable('epoll_ctl', fd),
      ev,
    );
    return this.plain(o);
  }

  /**
   * The events buffer for `maxevents`. Linux rejects maxevents <= 0 or > EP_MAX_EVENTS before it
   * touches the buffer (fs/eventpoll.c:do_epoll_wait), so those pass as given with a small one; a
   * valid count above our buffer passes as the buffer's size, which differs only when more events
   * than that are ready, and that case is refused after the call.
   */
  private eventsBuffer(maxevents: number): { buf: Buffer; max: number } {
    const m = maxevents | 0;
    if (m <= 0 || m > EP_MAX_EVENTS) return { buf: Buffer.alloc(EPOLL_EVENT.size), max: m };
    const max = Math.min(m, EPOLL_WAIT_BUFFER_EVENTS);
    return { buf: Buffer.alloc(max * EPOLL_EVENT.size), max };
  }

  private events(
    call: string,
    o: Outcome,
    buf: Buffer,
    max: number,
    asked: number,
  ): SysResult<{ events: EpollEvent[] }> {
    if (o.ret === -1) return fail(o.errno);
    if (o.ret === max && asked > max) throw new Unsupported(call, `more than ${max} events ready at once`);
    return { ret: o.ret, events: decodeEpollEvents(buf, o.ret) };
  }

  async epoll_wait(
    epfd: number,
    maxevents: number,
    timeout: number,
  ): Promise<SysResult<{ events: EpollEvent[] }>> {
    checkArgs.epoll_wait(epfd, maxevents, timeout);
    const { buf, max } = this.eventsBuffer(maxevents);
    const o = await callAsync(this.c.epoll_wait, this.usable('epoll_wait', epfd), buf, max, timeout);
    return this.events('epoll_wait', o, buf, max, maxevents);
  }

  async epoll_pwait2(
    epfd: number,
    maxevents: number,
    timeout: Timespec | null,
  ): Promise<SysResult<{ events: EpollEvent[] }>> {
    checkArgs.epoll_pwait2(epfd, maxevents, timeout);
    const { buf, max } = this.eventsBuffer(maxevents);
    const ts = timeout === null ? null : encodeTimespec(timeout);
    const o = await callAsync(this.c.epoll_pwait2, this.usable('epoll_pwait2', epfd), buf, max, ts, null);
    return this.events('epoll_pwait2', o, buf, max, maxevents);
  }

  async poll(fds: readonly PollFd[], timeout: number): Promise<SysResult<{ revents: number[] }>> {
    checkArgs.poll(fds, timeout);
    // Linux: do_sys_poll refuses nfds above RLIMIT_NOFILE before it reads an entry; only a list
    // the kernel will read may not name the runner's descriptors.
    if (this.confine.reserved.size > 0 && fds.length <= this.nofile())
      for (const p of fds) this.usable('poll', p.fd);
    const buf = encodePollFds(fds);
    const o = await callAsync(this.c.poll, buf, fds.length, timeout);
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret, revents: decodeRevents(buf, fds.length) };
  }

  /**
   * select through the raw system call. Each bitmap covers both what the kernel reads, the
   * FDS_BYTES of nfds capped at the fd table's size (fs/select.c:core_sys_select caps n at
   * fdt->max_fds), and every bit the caller set, so the bits the kernel leaves alone come back as
   * they went in.
   */
  async select(...args: SelectArgs): Promise<SysResult<SelectResult>> {
    const [nfds, readfds, writefds, exceptfds, timeout] = args;
    checkArgs.select(...args);
    let top = 0;
    for (const set of [readfds, writefds, exceptfds]) {
      for (const fd of set ?? []) {
        this.usable('select', fd);
        top = Math.max(top, fd + 1);
      }
    }
    const bytes = Math.max(fdSetBytes(Math.min(Math.max(nfds, 0), NR_OPEN_MAX)), fdSetBytes(top));
    const sets = [readfds, writefds, exceptfds].map((s) => (s === null ? null : encodeFdSet(s, bytes)));
    const tv = timeout === null ? null : encodeTimeval(timeout);
    const o = await callAsync(this.c.select, nfds, sets[0], sets[1], sets[2], tv);
    if (o.ret === -1) return fail(o.errno);
    const out = sets.map((s) => (s === null ? null : decodeFdSet(s)));
    return {
      ret: o.ret,
      readfds: out[0],
      writefds: out[1],
      exceptfds: out[2],
      timeout: tv === null ? null : decodeTimeval(tv),
    };
  }

  async timerfd_create(clockid: number, flags: number): Promise<SysResult> {
    checkArgs.timerfd_create(clockid, flags);
    return this.one('timerfd_create', callSync(this.c.timerfd_create, clockid, flags | 0));
  }

  async timerfd_settime(
    fd: number,
    flags: number,
    value: Itimerspec,
  ): Promise<SysResult<{ old: Itimerspec }>> {
    checkArgs.timerfd_settime(fd, flags, value);
    const old = Buffer.alloc(ITIMERSPEC.size);
    const f = flags | 0;
    const o = callSync(
      this.c.timerfd_settime,
      this.usable('timerfd_settime', fd),
      f,
      encodeItimerspec(value),
      old,
    );
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret, old: decodeItimerspec(old) };
  }

  async timerfd_gettime(fd: number): Promise<SysResult<{ value: Itimerspec }>> {
    checkArgs.timerfd_gettime(fd);
    const cur = Buffer.alloc(ITIMERSPEC.size);
    const o = callSync(this.c.timerfd_gettime, this.usable('timerfd_gettime', fd), cur);
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret, value: decodeItimerspec(cur) };
  }

  async sleep(ms: number): Promise<SysResult> {
    checkArgs.sleep(ms);
    const sec = Math.floor(ms / 1000);
    const req = encodeTimespec({ sec, nsec: (ms - sec * 1000) * 1e6 });
    return this.plain(await callAsync(this.c.nanosleep, req, null));
  }

  // ---- signals (issue 10): not yet implemented on this backend ----
  async epoll_pwait(
    _epfd: number,
    _maxevents: number,
    _timeout: number,
    _sigmask: Sigset | null,
  ): Promise<SysResult<{ events: EpollEvent[] }>> {
    throw new Unsupported('epoll_pwait', 'signals are not modelled yet');
  }
  async ppoll(
    _fds: readonly PollFd[],
    _timeout: Timespec | null,
    _sigmask: Sigset | null,
  ): Promise<SysResult<{ revents: number[] }>> {
    throw new Unsupported('ppoll', 'signals are not modelled yet');
  }
  async pselect6(..._args: Pselect6Args): Promise<SysResult<Pselect6Result>> {
    throw new Unsupported('pselect6', 'signals are not modelled yet');
  }
  async sigaction(_sig: number, _handler: SigHandler, _flags: number, _mask: Sigset): Promise<SysResult> {
    throw new Unsupported('sigaction', 'signals are not modelled yet');
  }
  async sigprocmask(_how: number, _set: Sigset | null): Promise<SysResult<{ old: number[] }>> {
    throw new Unsupported('sigprocmask', 'signals are not modelled yet');
  }
  async sigpending(): Promise<SysResult<{ set: number[] }>> {
    throw new Unsupported('sigpending', 'signals are not modelled yet');
  }
  async kill(_sig: number): Promise<SysResult> {
    throw new Unsupported('kill', 'signals are not modelled yet');
  }
  async tgkill(_tid: number, _sig: number): Promise<SysResult> {
    throw new Unsupported('tgkill', 'signals are not modelled yet');
  }
  async gettid(): Promise<SysResult> {
    throw new Unsupported('gettid', 'signals are not modelled yet');
  }
  async signalfd(_fd: number, _mask: Sigset | null, _flags: number): Promise<SysResult> {
    throw new Unsupported('signalfd', 'signals are not modelled yet');
  }
}
