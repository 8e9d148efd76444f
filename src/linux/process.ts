// The runner's side of a script process on real Linux: a `ProcessHandle` whose system calls run in a
// child process (child.ts) made to the script format's rules. This process never makes a script's
// system call itself: the script's descriptors, threads and blocked calls all live in the child.
//
// Threads. A call started on any script thread is sent to the child at once; there it runs on its
// own libuv threadpool thread when it can block, so two threads can sit in epoll_wait on the same
// epoll, each a real kernel thread, and the kernel decides who is woken. The runner gives a started
// call 50 ms to reach its blocking point (`settle`), which orders the waiters as the steps are.
//
// Time limits. A call on Linux that never returns just never answers, so `wait` races it against a
// limit: the call's own timeout plus 2 s, or 2 s for a call without one. Past it the call blocks
// forever (`BlocksForever`); its thread cannot be got back, so the child is killed and the process
// is over.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ProcessHandle } from '../api/backend.ts';
import { BlocksForever } from '../api/backend.ts';
import type {
  EpollEvent,
  FdSet,
  Itimerspec,
  PollFd,
  SelectResult,
  SyscallName,
  Syscalls,
  SysResult,
  Timespec,
  Timeval,
} from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import type { ChildInfo, FinishReport, FromChild, ToChild } from './protocol.ts';
import { fromWire, lineReader, toWire } from './protocol.ts';

/** The first descriptor of the runner's own (Node's) in the child; the script has 3..FD_BASE-1. */
export const FD_BASE = 900;
/** Node's descriptors must stay below this, so 1000 stays unopened and the table at 1024 slots. */
export const FD_LIMIT = 1000;
/** The limit for a call without a timeout of its own, and the grace added to one with. */
export const BLOCK_LIMIT_MS = 2000;
/** The format's rule: a started call gets 50 ms to reach its blocking point. */
export const SETTLE_MS = 50;
/** Start-up includes Node, tsx and koffi loading: generous. */
const START_LIMIT_MS = 30_000;
const FINISH_LIMIT_MS = 5_000;
/** libuv's threadpool runs the calls that can block: room for many blocked threads at once. */
const THREADPOOL_SIZE = 64;

/**
 * The shell that starts the child. It moves the channel (fd 3) to fd $base, closes every other
 * descriptor it inherited, fills 3..base-1 with /dev/null so that Node's own descriptors land at
 * base and above, and then starts Node as a *forked* child rather than exec'ing it: fork sizes the
 * new fd table from the highest open descriptor (fs/file.c:dup_fd, sane_fdtable_size), so a large
 * table inherited from the runner does not carry over. `eval` because `exec N<...` needs a literal N.
 */
const WRAPPER = `
base=$1; shift
eval "exec $base<&3"; exec 3<&-
for p in /proc/$$/fd/*; do
  n=\${p##*/}
  if [ "$n" -gt 2 ] && [ "$n" != "$base" ]; then eval "exec $n<&-"; fi
done
i=3
while [ "$i" -lt "$base" ]; do eval "exec $i</dev/null"; i=$((i+1)); done
"$@"
exit $?
`;

interface Pending {
  thread: string;
  call: SyscallName | 'finish';
  limitMs: number;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** The limit for one call: its own timeout (when it has one) plus the grace, else the default. */
export function callLimitMs(call: SyscallName, args: readonly unknown[]): number {
  const plus = (ms: number) => (Number.isFinite(ms) && ms >= 0 ? ms + BLOCK_LIMIT_MS : BLOCK_LIMIT_MS);
  switch (call) {
    case 'epoll_wait':
      return plus(args[2] as number);
    case 'poll':
      return plus(args[1] as number);
    case 'sleep':
      return plus(args[0] as number);
    case 'epoll_pwait2': {
      const t = args[2] as Timespec | null;
      return t === null ? BLOCK_LIMIT_MS : plus(t.sec * 1000 + t.nsec / 1e6);
    }
    case 'select': {
      const t = args[4] as Timeval | null;
      return t === null ? BLOCK_LIMIT_MS : plus(t.sec * 1000 + t.usec / 1000);
    }
    default:
      return BLOCK_LIMIT_MS;
  }
}

export class LinuxProcess implements ProcessHandle {
  private readonly pending = new Map<number, Pending>();
  private readonly promiseIds = new WeakMap<Promise<unknown>, number>();
  private readonly threads = new Map<string, ThreadCalls>();
  private readonly busy = new Set<string>();
  private nextId = 1;
  /** Set once the child is gone: why calls can no longer be made. */
  private over: Error | null = null;
  private exited: Promise<void>;
  private stderrTail = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly channel: Socket,
    readonly info: ChildInfo,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    channel.on(
      'data',
      lineReader((line) => this.receive(JSON.parse(line) as FromChild)),
    );
    child.once('exit', (code, signal) => {
      this.end(new Error(`the script's process ended (${signal ?? `exit ${code}`})${this.tail()}`));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    this.updateRef();
  }

  /** Start a child process and wait until it has set itself up as the format's process. */
  static async start(): Promise<LinuxProcess> {
    const childPath = fileURLToPath(new URL('./child.ts', import.meta.url));
    const tsx = import.meta.resolve('tsx');
    // Private abstract names: a hidden prefix per run (script-format.md).
    const prefix = `iomux-${randomBytes(6).toString('hex')}/`;
    const env: NodeJS.ProcessEnv = { ...process.env, UV_THREADPOOL_SIZE: String(THREADPOOL_SIZE) };
    for (const k of [
      'NODE_OPTIONS',
      'NODE_TEST_CONTEXT',
      'NODE_CHANNEL_FD',
      'NODE_CHANNEL_SERIALIZATION_MODE',
    ]) {
      delete env[k];
    }
    const node = [
      process.execPath,
      '--import',
      tsx,
      childPath,
      String(FD_BASE),
      String(FD_BASE),
      String(FD_LIMIT),
    ];
    const child = spawn('bash', ['-c', WRAPPER, 'iomux-linux', String(FD_BASE), ...node, prefix], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      // Its own process group, so killing the group ends the shell, Node and anything Node started.
      detached: true,
      env,
    });
    const channel = child.stdio[3] as Socket;
    let stderr = '';
    const onStderr = (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    };
    child.stderr?.on('data', onStderr);
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const first = await new Promise<FromChild>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the script's process did not start in ${START_LIMIT_MS} ms`)),
        START_LIMIT_MS,
      );
      const read = lineReader((line) => {
        clearTimeout(timer);
        channel.off('data', read);
        resolve(JSON.parse(line) as FromChild);
      });
      channel.on('data', read);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the script's process ended while starting (${signal ?? `exit ${code}`})`));
      });
    }).catch((err: Error) => {
      killGroup();
      throw new Error(`${err.message}${stderr ? `\n${stderr}` : ''}`);
    });
    if (first.kind !== 'ready') {
      killGroup();
      const why = first.kind === 'setup-failed' || first.kind === 'crash' ? first.message : first.kind;
      throw new Error(`the script's process could not be set up: ${why}${stderr ? `\n${stderr}` : ''}`);
    }
    child.stderr?.off('data', onStderr);
    const proc = new LinuxProcess(child, channel, first.info);
    proc.stderrTail = stderr;
    return proc;
  }

  thread(name: string): Syscalls {
    let t = this.threads.get(name);
    if (!t) {
      t = new ThreadCalls(this, name);
      this.threads.set(name, t);
    }
    return t;
  }

  /** Send one call to the child; the promise settles with its result. */
  invoke(thread: string, call: SyscallName, args: readonly unknown[]): Promise<unknown> {
    let resolve!: (value: unknown) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A thread's call may be left unjoined when the process ends; its rejection is not an error.
    promise.catch(() => {});
    if (this.over) {
      reject(this.over);
      return promise;
    }
    if (this.busy.has(thread)) {
      reject(new Error(`thread ${thread}: a call was started while its previous call had not returned`));
      return promise;
    }
    const id = this.nextId++;
    this.busy.add(thread);
    const done = () => {
      this.busy.delete(thread);
      this.pending.delete(id);
      this.updateRef();
    };
    this.pending.set(id, {
      thread,
      call,
      limitMs: callLimitMs(call, args),
      resolve: (v) => {
        done();
        resolve(v);
      },
      reject: (e) => {
        done();
        reject(e);
      },
    });
    this.promiseIds.set(promise, id);
    this.updateRef();
    this.send({ kind: 'call', id, thread, call, args: args.map(toWire) });
    return promise;
  }

  async wait<T>(call: Promise<T>): Promise<T> {
    const id = this.promiseIds.get(call);
    const own = id === undefined ? undefined : this.pending.get(id);
    if (id !== undefined && own === undefined) return call; // already settled
    // A promise we did not make (the runner wrapped one of ours): allow the longest call in flight.
    const limitMs =
      own?.limitMs ?? Math.max(BLOCK_LIMIT_MS, ...[...this.pending.values()].map((p) => p.limitMs));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const blocked = [...this.pending.values()]
          .filter((p) => p.call !== 'finish')
          .map((p) => ({ thread: p.thread, call: p.call }));
        const what = own ? `${own.call} on thread ${own.thread}` : 'a call';
        const err = new BlocksForever(`${what} did not return within ${limitMs} ms`, blocked);
        this.end(err);
        this.kill();
        reject(err);
      }, limitMs);
    });
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  settle(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  }

  /**
   * End the run: the child closes every descriptor the script still holds and checks that nothing
   * else is left open, then the child is killed (a thread may still be blocked in a call). Throws
   * when that check found a descriptor no one accounts for.
   */
  async close(): Promise<void> {
    let report: FinishReport | null = null;
    if (!this.over) {
      const id = this.nextId++;
      const finished = new Promise<unknown>((resolve, reject) => {
        this.pending.set(id, { thread: 'runner', call: 'finish', limitMs: FINISH_LIMIT_MS, resolve, reject });
      });
      finished.catch(() => {});
      this.updateRef();
      this.send({ kind: 'finish', id });
      let timer: NodeJS.Timeout | undefined;
      try {
        report = (await Promise.race([
          finished,
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('the script process did not finish')), FINISH_LIMIT_MS);
          }),
        ])) as FinishReport;
      } finally {
        clearTimeout(timer);
        this.pending.delete(id);
      }
    }
    this.end(new Error('the process is closed'));
    this.kill();
    this.child.ref(); // keep the runner alive until the child is reaped
    await this.exited;
    if (report && report.leaked.length > 0) {
      const list = report.leaked.map((l) => `${l.fd} (${l.target})`).join(', ');
      throw new Error(`leak check: descriptors open that the script did not open: ${list}`);
    }
  }

  /** Whether the child is still there to make calls. */
  get alive(): boolean {
    return this.over === null;
  }

  private send(msg: ToChild): void {
    this.channel.write(`${JSON.stringify(msg)}\n`);
  }

  private receive(msg: FromChild): void {
    if (msg.kind === 'crash') {
      this.end(new Error(`the script's process crashed: ${msg.message}`));
      return;
    }
    if (msg.kind === 'ready' || msg.kind === 'setup-failed') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.kind === 'result') p.resolve(fromWire(msg.result));
    else if (msg.kind === 'finished') p.resolve(msg.report);
    else if (msg.kind === 'unsupported') p.reject(new Unsupported(msg.call, msg.what));
    else p.reject(new Error(`${p.call} on thread ${p.thread}: ${msg.message}`));
  }

  /** No more calls: reject those in flight with `why`. */
  private end(why: Error): void {
    if (this.over) return;
    this.over = why;
    for (const p of [...this.pending.values()]) p.reject(why);
    this.pending.clear();
    this.updateRef();
  }

  /**
   * End the child: SIGKILL Node first, so the shell that waits for it reaps it and exits (killing
   * both at once would orphan Node to PID 1), then the whole group once the shell is gone, for
   * anything left in it.
   */
  private kill(): void {
    const signal = (pid: number) => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    signal(this.info.pid);
    const group = this.child.pid;
    if (group !== undefined) {
      const fallback = setTimeout(() => signal(-group), 1000);
      fallback.unref();
      void this.exited.then(() => {
        clearTimeout(fallback);
        signal(-group);
      });
    }
    this.channel.destroy();
  }

  /**
   * Keep the runner alive only while it waits for the child: a run that is never closed must not
   * hold its process open (the child ends itself when the channel closes).
   */
  private updateRef(): void {
    const waiting = this.pending.size > 0;
    if (waiting) {
      this.channel.ref();
      this.child.ref();
    } else {
      this.channel.unref();
      this.child.unref();
      (this.child.stderr as Socket | null)?.unref();
    }
  }

  private tail(): string {
    return this.stderrTail ? `\n${this.stderrTail}` : '';
  }
}

/** One script thread's view of the calls: each method sends the call to the child. */
class ThreadCalls implements Syscalls {
  constructor(
    private readonly proc: LinuxProcess,
    private readonly name: string,
  ) {}

  // Each method returns the very promise `invoke` made, so `wait` can find the call's limit.
  private call<R>(call: SyscallName, ...args: unknown[]): Promise<R> {
    return this.proc.invoke(this.name, call, args) as Promise<R>;
  }

  pipe(): Promise<SysResult<{ fds: [number, number] }>> {
    return this.call('pipe');
  }
  pipe2(flags: number): Promise<SysResult<{ fds: [number, number] }>> {
    return this.call('pipe2', flags);
  }
  socketpair(domain: number, type: number, protocol: number): Promise<SysResult<{ fds: [number, number] }>> {
    return this.call('socketpair', domain, type, protocol);
  }
  socket(domain: number, type: number, protocol: number): Promise<SysResult> {
    return this.call('socket', domain, type, protocol);
  }
  bind(fd: number, address: string): Promise<SysResult> {
    return this.call('bind', fd, address);
  }
  listen(fd: number, backlog: number): Promise<SysResult> {
    return this.call('listen', fd, backlog);
  }
  connect(fd: number, address: string): Promise<SysResult> {
    return this.call('connect', fd, address);
  }
  accept4(fd: number, flags: number): Promise<SysResult> {
    return this.call('accept4', fd, flags);
  }
  shutdown(fd: number, how: number): Promise<SysResult> {
    return this.call('shutdown', fd, how);
  }
  eventfd(initval: number, flags: number): Promise<SysResult> {
    return this.call('eventfd', initval, flags);
  }
  open(path: string, flags: number): Promise<SysResult> {
    return this.call('open', path, flags);
  }
  read(fd: number, count: number): Promise<SysResult<{ data: Uint8Array }>> {
    return this.call('read', fd, count);
  }
  write(fd: number, data: Uint8Array): Promise<SysResult> {
    return this.call('write', fd, data);
  }
  close(fd: number): Promise<SysResult> {
    return this.call('close', fd);
  }
  dup(fd: number): Promise<SysResult> {
    return this.call('dup', fd);
  }
  dup2(oldfd: number, newfd: number): Promise<SysResult> {
    return this.call('dup2', oldfd, newfd);
  }
  dup3(oldfd: number, newfd: number, flags: number): Promise<SysResult> {
    return this.call('dup3', oldfd, newfd, flags);
  }
  fcntl(fd: number, cmd: number, arg: number): Promise<SysResult> {
    return this.call('fcntl', fd, cmd, arg);
  }
  ioctl_fionread(fd: number): Promise<SysResult> {
    return this.call('ioctl_fionread', fd);
  }
  epoll_create(size: number): Promise<SysResult> {
    return this.call('epoll_create', size);
  }
  epoll_create1(flags: number): Promise<SysResult> {
    return this.call('epoll_create1', flags);
  }
  epoll_ctl(epfd: number, op: number, fd: number, event: EpollEvent | null): Promise<SysResult> {
    return this.call('epoll_ctl', epfd, op, fd, event);
  }
  epoll_wait(epfd: number, maxevents: number, timeout: number): Promise<SysResult<{ events: EpollEvent[] }>> {
    return this.call('epoll_wait', epfd, maxevents, timeout);
  }
  epoll_pwait2(
    epfd: number,
    maxevents: number,
    timeout: Timespec | null,
  ): Promise<SysResult<{ events: EpollEvent[] }>> {
    return this.call('epoll_pwait2', epfd, maxevents, timeout);
  }
  poll(fds: readonly PollFd[], timeout: number): Promise<SysResult<{ revents: number[] }>> {
    return this.call('poll', fds, timeout);
  }
  select(
    nfds: number,
    readfds: FdSet,
    writefds: FdSet,
    exceptfds: FdSet,
    timeout: Timeval | null,
  ): Promise<SysResult<SelectResult>> {
    return this.call('select', nfds, readfds, writefds, exceptfds, timeout);
  }
  timerfd_create(clockid: number, flags: number): Promise<SysResult> {
    return this.call('timerfd_create', clockid, flags);
  }
  timerfd_settime(fd: number, flags: number, value: Itimerspec): Promise<SysResult<{ old: Itimerspec }>> {
    return this.call('timerfd_settime', fd, flags, value);
  }
  timerfd_gettime(fd: number): Promise<SysResult<{ value: Itimerspec }>> {
    return this.call('timerfd_gettime', fd);
  }
  sleep(ms: number): Promise<SysResult> {
    return this.call('sleep', ms);
  }
}
