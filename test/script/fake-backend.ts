// A small in-memory backend for the runner's tests: pipes, a level-triggered epoll, poll, select,
// blocking reads and epoll_waits, threads. It is not a model of Linux (src/kernel is); it is just
// enough kernel to show that the runner binds, waits, formats and compares correctly, on a
// backend whose every answer the test can predict. Anything else throws Unsupported.

import { EPOLL, EPOLL_CTL, F, O, POLL } from '../../src/abi/constants.ts';
import { type Backend, BlocksForever, type ProcessHandle } from '../../src/api/backend.ts';
import {
  type EpollEvent,
  type FdSet,
  type PollFd,
  type SelectResult,
  type Syscalls,
  type SysResult,
  type Timeval,
  Unsupported,
} from '../../src/api/syscalls.ts';

export interface FakeOptions {
  readonly name?: 'sim' | 'linux';
  /** Bits added to every epoll event reported, so that two fakes can disagree on purpose. */
  readonly epollExtra?: number;
  /** Make createProcess fail (a backend that cannot start). */
  readonly failCreate?: boolean;
}

interface Pipe {
  readonly buf: number[];
}
type File =
  | { readonly kind: 'tty' }
  | { readonly kind: 'pipe'; readonly end: 'r' | 'w'; readonly pipe: Pipe; nonblock: boolean }
  | { readonly kind: 'epoll'; readonly interest: Map<number, EpollEvent> };

interface Waiter {
  readonly thread: string;
  readonly call: string;
  /** Try again; true once the call completed. */
  readonly retry: () => boolean;
  /** Present for a call with a finite timeout: complete it as timed out. */
  readonly expire?: () => void;
}

export class FakeBackend implements Backend {
  readonly name: 'sim' | 'linux';
  readonly processes: FakeProcess[] = [];
  constructor(readonly opts: FakeOptions = {}) {
    this.name = opts.name ?? 'sim';
  }
  async createProcess(): Promise<FakeProcess> {
    if (this.opts.failCreate) throw new Error('fake: cannot create a process');
    const p = new FakeProcess(this.opts);
    this.processes.push(p);
    return p;
  }
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class FakeProcess implements ProcessHandle {
  readonly fds = new Map<number, File>([
    [0, { kind: 'tty' }],
    [1, { kind: 'tty' }],
    [2, { kind: 'tty' }],
  ]);
  waiters: Waiter[] = [];
  /** Every call made, as "thread:call", in order. */
  readonly log: string[] = [];
  /** Every address given to bind, as the backend received it. */
  readonly addresses: string[] = [];
  closed = false;

  constructor(readonly opts: FakeOptions) {}

  thread(name: string): Syscalls {
    return new FakeSyscalls(this, name);
  }

  async tid(): Promise<number> {
    throw new Unsupported('gettid', 'the fake backend has no signals');
  }

  async caught(): Promise<number> {
    throw new Unsupported('caught', 'the fake backend has no signals');
  }

  async settle(): Promise<void> {
    await tick();
  }

  async wait<T>(call: Promise<T>): Promise<T> {
    let done = false;
    call.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    for (;;) {
      await tick();
      if (done) return call;
      // No thread can run: let time pass to the first finite timeout, or give up as a deadlock.
      const timed = this.waiters.find((w) => w.expire);
      if (!timed) {
        throw new BlocksForever(
          'fake: no thread can run',
          this.waiters.map((w) => ({ thread: w.thread, call: w.call })),
        );
      }
      this.waiters = this.waiters.filter((w) => w !== timed);
      timed.expire?.();
      this.kick();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fds.clear();
    this.waiters = [];
  }

  /** Retry blocked calls until none makes progress (any change may unblock any call). */
  kick(): void {
    for (let progress = true; progress; ) {
      progress = false;
      for (const w of [...this.waiters]) {
        if (w.retry()) {
          this.waiters = this.waiters.filter((x) => x !== w);
          progress = true;
        }
      }
    }
  }

  block<T>(
    thread: string,
    call: string,
    attempt: () => T | undefined,
    timeoutMs: number,
    onTimeout: () => T,
  ): Promise<T> {
    const first = attempt();
    if (first !== undefined) return Promise.resolve(first);
    if (timeoutMs === 0) return Promise.resolve(onTimeout());
    return new Promise<T>((resolve) => {
      this.waiters.push({
        thread,
        call,
        retry: () => {
          const r = attempt();
          if (r === undefined) return false;
          resolve(r);
          return true;
        },
        expire: timeoutMs > 0 ? () => resolve(onTimeout()) : undefined,
      });
    });
  }

  lowestFree(): number {
    let fd = 0;
    while (this.fds.has(fd)) fd++;
    return fd;
  }

  install(f: File): number {
    const fd = this.lowestFree();
    this.fds.set(fd, f);
    return fd;
  }

  /** How many descriptors hold each end of a pipe open. */
  ends(pipe: Pipe): { readers: number; writers: number } {
    let readers = 0;
    let writers = 0;
    for (const f of this.fds.values()) {
      if (f.kind === 'pipe' && f.pipe === pipe) f.end === 'r' ? readers++ : writers++;
    }
    return { readers, writers };
  }

  /** POLL* readiness of a descriptor. */
  mask(fd: number): number {
    const f = this.fds.get(fd);
    if (!f) return POLL.POLLNVAL;
    if (f.kind === 'tty') return POLL.POLLOUT;
    if (f.kind === 'epoll') return this.ready(f.interest).length ? POLL.POLLIN : 0;
    const { readers, writers } = this.ends(f.pipe);
    if (f.end === 'r')
      return (f.pipe.buf.length ? POLL.POLLIN | POLL.POLLRDNORM : 0) | (writers ? 0 : POLL.POLLHUP);
    return POLL.POLLOUT | POLL.POLLWRNORM | (readers ? 0 : POLL.POLLERR);
  }

  ready(interest: Map<number, EpollEvent>): EpollEvent[] {
    const out: EpollEvent[] = [];
    for (const [fd, ev] of interest) {
      if (!this.fds.has(fd)) continue;
      const m = this.mask(fd) & (ev.events | EPOLL.EPOLLERR | EPOLL.EPOLLHUP);
      if (m) out.push({ events: m | (this.opts.epollExtra ?? 0), data: ev.data });
    }
    return out;
  }
}

const ok = <T extends object>(ret: number, extra: T = {} as T) => ({ ret, ...extra });
const err = (errno: 'EBADF' | 'EAGAIN' | 'EINVAL' | 'EPIPE' | 'EEXIST' | 'ENOENT') => ({ errno }) as const;

class FakeSyscalls implements Syscalls {
  constructor(
    readonly p: FakeProcess,
    readonly thread: string,
  ) {}

  private note(call: string): void {
    this.p.log.push(`${this.thread}:${call}`);
  }

  async pipe() {
    return this.pipe2(0);
  }
  async pipe2(flags: number): Promise<SysResult<{ fds: [number, number] }>> {
    this.note('pipe2');
    const pipe: Pipe = { buf: [] };
    const nonblock = (flags & O.O_NONBLOCK) !== 0;
    const r = this.p.install({ kind: 'pipe', end: 'r', pipe, nonblock });
    const w = this.p.install({ kind: 'pipe', end: 'w', pipe, nonblock });
    return ok(0, { fds: [r, w] as [number, number] });
  }
  read(fd: number, count: number): Promise<SysResult<{ data: Uint8Array }>> {
    this.note('read');
    const f = this.p.fds.get(fd);
    if (f?.kind !== 'pipe' || f.end !== 'r') return Promise.resolve(err('EBADF'));
    const attempt = () => {
      if (f.pipe.buf.length) {
        const data = Uint8Array.from(f.pipe.buf.splice(0, count));
        this.p.kick();
        return ok(data.length, { data });
      }
      if (this.p.ends(f.pipe).writers === 0) return ok(0, { data: new Uint8Array() });
      if (f.nonblock) return err('EAGAIN');
      return undefined;
    };
    return this.p.block(this.thread, 'read', attempt, -1, () => err('EAGAIN'));
  }
  async write(fd: number, data: Uint8Array) {
    this.note('write');
    const f = this.p.fds.get(fd);
    if (f?.kind !== 'pipe' || f.end !== 'w') return err('EBADF');
    if (this.p.ends(f.pipe).readers === 0) return err('EPIPE');
    f.pipe.buf.push(...data);
    this.p.kick();
    return ok(data.length);
  }
  async close(fd: number) {
    this.note('close');
    if (!this.p.fds.delete(fd)) return err('EBADF');
    this.p.kick();
    return ok(0);
  }
  async dup(fd: number) {
    this.note('dup');
    const f = this.p.fds.get(fd);
    if (!f) return err('EBADF');
    return ok(this.p.install(f));
  }
  async fcntl(fd: number, cmd: number, arg: number) {
    this.note('fcntl');
    const f = this.p.fds.get(fd);
    if (!f) return err('EBADF');
    if (cmd === F.F_SETFL && f.kind === 'pipe') {
      f.nonblock = (arg & O.O_NONBLOCK) !== 0;
      return ok(0);
    }
    if (cmd === F.F_GETFL && f.kind === 'pipe')
      return ok((f.end === 'r' ? 0 : O.O_WRONLY) | (f.nonblock ? O.O_NONBLOCK : 0));
    throw new Unsupported('fcntl', `command ${cmd} on the fake`);
  }
  async epoll_create(size: number) {
    return size <= 0 ? err('EINVAL') : this.epoll_create1(0);
  }
  async epoll_create1(_flags: number) {
    this.note('epoll_create1');
    return ok(this.p.install({ kind: 'epoll', interest: new Map() }));
  }
  async epoll_ctl(epfd: number, op: number, fd: number, event: EpollEvent | null) {
    this.note('epoll_ctl');
    const ep = this.p.fds.get(epfd);
    if (!ep || !this.p.fds.has(fd)) return err('EBADF');
    if (ep.kind !== 'epoll') return err('EINVAL');
    if (op === EPOLL_CTL.EPOLL_CTL_ADD) {
      if (ep.interest.has(fd)) return err('EEXIST');
      ep.interest.set(fd, { ...(event ?? { events: 0, data: 0 }) });
    } else if (op === EPOLL_CTL.EPOLL_CTL_DEL) {
      if (!ep.interest.delete(fd)) return err('ENOENT');
    } else if (op === EPOLL_CTL.EPOLL_CTL_MOD) {
      if (!ep.interest.has(fd)) return err('ENOENT');
      ep.interest.set(fd, { ...(event ?? { events: 0, data: 0 }) });
    } else return err('EINVAL');
    this.p.kick();
    return ok(0);
  }
  epoll_wait(epfd: number, maxevents: number, timeout: number): Promise<SysResult<{ events: EpollEvent[] }>> {
    this.note('epoll_wait');
    const ep = this.p.fds.get(epfd);
    if (!ep) return Promise.resolve(err('EBADF'));
    if (ep.kind !== 'epoll' || maxevents <= 0) return Promise.resolve(err('EINVAL'));
    const attempt = () => {
      const events = this.p.ready(ep.interest).slice(0, maxevents);
      return events.length ? ok(events.length, { events }) : undefined;
    };
    return this.p.block(this.thread, 'epoll_wait', attempt, timeout, () =>
      ok(0, { events: [] as EpollEvent[] }),
    );
  }
  poll(fds: readonly PollFd[], timeout: number): Promise<SysResult<{ revents: number[] }>> {
    this.note('poll');
    const attempt = () => {
      const revents = fds.map((p) =>
        p.fd < 0 ? 0 : this.p.mask(p.fd) & (p.events | POLL.POLLERR | POLL.POLLHUP | POLL.POLLNVAL),
      );
      const n = revents.filter((r) => r !== 0).length;
      return n ? ok(n, { revents }) : undefined;
    };
    return this.p.block(this.thread, 'poll', attempt, timeout, () => ok(0, { revents: fds.map(() => 0) }));
  }
  async select(nfds: number, readfds: FdSet, writefds: FdSet, exceptfds: FdSet, timeout: Timeval | null) {
    this.note('select');
    if (nfds < 0) return err('EINVAL');
    const pick = (set: FdSet, bits: number) =>
      set === null ? null : set.filter((fd) => fd < nfds && (this.p.mask(fd) & bits) !== 0);
    const result: SelectResult = {
      readfds: pick(readfds, POLL.POLLIN | POLL.POLLHUP),
      writefds: pick(writefds, POLL.POLLOUT),
      exceptfds: pick(exceptfds, POLL.POLLPRI),
      timeout: null,
    };
    const n =
      (result.readfds?.length ?? 0) + (result.writefds?.length ?? 0) + (result.exceptfds?.length ?? 0);
    // As Linux writes it back: zero after a time-out, otherwise (here, no time passes) unchanged.
    result.timeout = timeout && (n === 0 ? { sec: 0, usec: 0 } : { ...timeout });
    return ok(n, result);
  }
  async sleep(_ms: number) {
    this.note('sleep');
    return ok(0);
  }

  private unsupported(call: string): never {
    throw new Unsupported(call, 'not in the fake backend');
  }
  async socketpair(): Promise<SysResult<{ fds: [number, number] }>> {
    return this.unsupported('socketpair');
  }
  async socket(): Promise<SysResult> {
    return this.unsupported('socket');
  }
  async bind(fd: number, address: string): Promise<SysResult> {
    this.note('bind');
    if (!this.p.fds.has(fd)) return err('EBADF');
    this.p.addresses.push(address);
    return ok(0);
  }
  async listen(): Promise<SysResult> {
    return this.unsupported('listen');
  }
  async connect(): Promise<SysResult> {
    return this.unsupported('connect');
  }
  async accept4(): Promise<SysResult> {
    return this.unsupported('accept4');
  }
  async shutdown(): Promise<SysResult> {
    return this.unsupported('shutdown');
  }
  async getsockname(): Promise<never> {
    return this.unsupported('getsockname');
  }
  async getpeername(): Promise<never> {
    return this.unsupported('getpeername');
  }
  async getsockopt(): Promise<never> {
    return this.unsupported('getsockopt');
  }
  async setsockopt(): Promise<never> {
    return this.unsupported('setsockopt');
  }
  async send(): Promise<never> {
    return this.unsupported('send');
  }
  async recv(): Promise<never> {
    return this.unsupported('recv');
  }
  async sendto(): Promise<never> {
    return this.unsupported('sendto');
  }
  async recvfrom(): Promise<never> {
    return this.unsupported('recvfrom');
  }
  async ioctl_siocoutq(): Promise<never> {
    return this.unsupported('ioctl_siocoutq');
  }
  async ioctl_siocatmark(): Promise<never> {
    return this.unsupported('ioctl_siocatmark');
  }
  async eventfd(): Promise<SysResult> {
    return this.unsupported('eventfd');
  }
  async open(): Promise<SysResult> {
    return this.unsupported('open');
  }
  async dup2(): Promise<SysResult> {
    return this.unsupported('dup2');
  }
  async dup3(): Promise<SysResult> {
    return this.unsupported('dup3');
  }
  async ioctl_fionread(): Promise<SysResult> {
    return this.unsupported('ioctl_fionread');
  }
  async epoll_pwait2(): Promise<SysResult<{ events: EpollEvent[] }>> {
    return this.unsupported('epoll_pwait2');
  }
  async timerfd_create(): Promise<SysResult> {
    return this.unsupported('timerfd_create');
  }
  async timerfd_settime(): Promise<SysResult<{ old: never }>> {
    return this.unsupported('timerfd_settime');
  }
  async timerfd_gettime(): Promise<SysResult<{ value: never }>> {
    return this.unsupported('timerfd_gettime');
  }
  async epoll_pwait(): Promise<SysResult<{ events: EpollEvent[] }>> {
    return this.unsupported('epoll_pwait');
  }
  async ppoll(): Promise<SysResult<{ revents: number[] }>> {
    return this.unsupported('ppoll');
  }
  async pselect6(): Promise<SysResult<never>> {
    return this.unsupported('pselect6');
  }
  async sigaction(): Promise<SysResult> {
    return this.unsupported('sigaction');
  }
  async sigprocmask(): Promise<SysResult<{ old: number[] }>> {
    return this.unsupported('sigprocmask');
  }
  async sigpending(): Promise<SysResult<{ set: number[] }>> {
    return this.unsupported('sigpending');
  }
  async kill(): Promise<SysResult> {
    return this.unsupported('kill');
  }
  async tgkill(): Promise<SysResult> {
    return this.unsupported('tgkill');
  }
  async gettid(): Promise<SysResult> {
    return this.unsupported('gettid');
  }
  async signalfd(): Promise<SysResult> {
    return this.unsupported('signalfd');
  }
}
