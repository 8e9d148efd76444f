// The runner's side of a script process on real Linux: a `ProcessHandle` whose system calls run in a
// child process (child.ts) made to the script format's rules. This process never makes a script's
// system call itself: the script's descriptors, threads and blocked calls all live in the child.
//
// Threads. Each script thread is a real thread of the child: "main" is its thread group leader
// (Node's main thread, which makes main's calls synchronously), every other one a thread the
// helper library made (native/iomux.c) from main on the step that first names it, so it starts with
// main's mask then. A call started on any script thread is sent to the child at once and made
// there, raw, on that thread, so two threads can sit in epoll_wait on the same epoll and the
// kernel decides who is woken. The runner gives a started call 50 ms to reach its blocking point
// (`settle`), which orders the waiters as the steps are. Node's own threads block every signal
// (child.ts), so a signal sent to the process finds only the script's threads, as complete_signal
// chooses among them.
//
// Signals. After kill or tgkill the runner waits until the signal has been delivered (`deliver`:
// nothing pending in /proc/<pid>/task/*/status that some thread does not block), then 50 ms more,
// so `caught`, `sigpending` and the threads' results read settled state. A child that a signal
// ended (its shell exits with 128 + n) or stopped (/proc/<pid>/stat says T) rejects every call
// in flight and every later one with ProcessKilled, and is killed and never reused. The child runs
// in a session of its own (spawn's `detached`: setsid), so its process group is orphaned: the
// kernel discards SIGTSTP, SIGTTIN and SIGTTOU at SIG_DFL, and only SIGSTOP can stop it.
//
// Time limits. A call on Linux that never returns just never answers, so `wait` races it against a
// limit: the call's own timeout plus 2 s, or 2 s for a call without one. Past it the call blocks
// forever (`BlocksForever`); its thread cannot be got back, so the child is killed and the process
// is over.
//
// Reuse. Starting a child (a shell, then Node with koffi, and tsx when run from the sources) takes about 0.4 s, far more than
// most scripts' runs, so one child serves many runs in turn: a `ScriptChild` is the child, a
// `LinuxProcess` one run on it. When a run closes cleanly — no call left unreturned, the leak check
// clean — the child is reset (child.ts: every descriptor closed, 0, 1, 2 back on /dev/null, every
// start-up check made again, a fresh abstract-name prefix) and waits in a small idle pool for the
// next `start`. Every other ending (a call that blocked forever or was still blocked at close, a
// crash, a time-out, a refused reset) kills the child, as a run always did before reuse. Idle
// children hold no reference on the runner's event loop, and die with the runner: their channel
// closes when it exits, and the child ends itself then.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defaultAction, SIG } from '../abi/signal.ts';
import type { ProcessHandle } from '../api/backend.ts';
import { BlocksForever, ProcessKilled, SCRIPT_NOFILE } from '../api/backend.ts';
import { checkArgs } from '../api/cargs.ts';
import type {
  Address,
  EpollEvent,
  Itimerspec,
  Linger,
  PollFd,
  Pselect6Args,
  Pselect6Result,
  SelectArgs,
  SelectResult,
  SigHandler,
  Sigset,
  SockoptValue,
  SyscallName,
  Syscalls,
  SysResult,
  Timespec,
  Timeval,
} from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import { buildNative } from './native.ts';
import type { ChildInfo, FinishReport, FromChild, ToChild } from './protocol.ts';
import { fromWire, lineReader, toWire } from './protocol.ts';
import { deliverable, processState } from './signals.ts';

/**
 * The first descriptor of the runner's own (Node's) in the child; the script has 3..FD_BASE-1, and
 * its RLIMIT_NOFILE is FD_BASE, so the kernel answers EMFILE before any of ours.
 */
export const FD_BASE = SCRIPT_NOFILE;
/** Node's descriptors must stay below this, so 1000 stays unopened and the table at 1024 slots. */
export const FD_LIMIT = 1000;
/** The limit for a call without a timeout of its own, and the grace added to one with. */
export const BLOCK_LIMIT_MS = 2000;
/** The format's rule: a started call gets 50 ms to reach its blocking point. */
export const SETTLE_MS = 50;
/** How long a sent signal may stay deliverable (pending, unblocked somewhere) before the run goes on. */
export const DELIVERY_LIMIT_MS = 1000;
/** The most children kept idle for reuse; one more returned ends the one idle longest. */
export const IDLE_MAX = 2;
/** Start-up includes Node, tsx and koffi loading: generous. */
const START_LIMIT_MS = 30_000;
const FINISH_LIMIT_MS = 5_000;
const RESET_LIMIT_MS = 5_000;
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

const osSignals: Partial<Record<string, number>> = constants.signals;

/**
 * How a child gets the network namespaces of its runs (child.ts, "Network"): as root it makes them
 * itself; otherwise it starts inside a user namespace of its own where it is root (`unshare -rn`,
 * util-linux: its uid mapped to 0 there, and a first network namespace that nothing uses), when
 * this system allows unprivileged user namespaces; where neither works, none, and internet
 * sockets stay Unsupported. Found once.
 */
export interface NetworkMode {
  mode: 'root' | 'userns' | 'none';
  /** The command the child's shell is started under. */
  wrap: string[];
}

let networkFound: NetworkMode | undefined;

export function network(): NetworkMode {
  if (networkFound) return networkFound;
  if (process.getuid?.() === 0) networkFound = { mode: 'root', wrap: [] };
  else if (spawnSync('unshare', ['-rn', 'true']).status === 0)
    networkFound = { mode: 'userns', wrap: ['unshare', '-rn', '--'] };
  else networkFound = { mode: 'none', wrap: [] };
  return networkFound;
}

/** Private abstract names: a hidden prefix per run (script-format.md). */
function freshPrefix(): string {
  return `iomux-${randomBytes(6).toString('hex')}/`;
}

/** What a child's messages and its end are delivered to: the run it serves now. */
interface Owner {
  receive(msg: FromChild): void;
  lost(why: Error): void;
}

/**
 * One child process — the shell and the Node process it started — and the channel to it, over all
 * the runs it serves. Between runs it has no owner and waits in `idle`.
 */
class ScriptChild {
  /** The run this child serves; null while it is idle. Set by `LinuxProcess`. */
  owner: Owner | null = null;
  /** Set when the process has exited. */
  gone = false;
  /** How this child's process ends; resolves when the shell has exited (Node reaped by it). */
  readonly exited: Promise<void>;
  /** The last of its stderr, for error messages. */
  private stderrTail: string;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly channel: Socket,
    /** What the child found when it set itself up for its current (or next) run. */
    public info: ChildInfo,
    stderr: string,
  ) {
    this.stderrTail = stderr;
    this.exited = new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    channel.on(
      'data',
      lineReader((line) => this.owner?.receive(JSON.parse(line) as FromChild)),
    );
    // A child that died while idle may be taken before its exit is seen: the write fails, and the
    // run is over as when the child ends.
    channel.on('error', (err) => {
      this.owner?.lost(new Error(`the channel to the script's process failed: ${err.message}${this.tail()}`));
    });
    proc.once('exit', (code, signal) => {
      this.gone = true;
      dropIdle(this);
      this.owner?.lost(
        killedBy(code, signal) ??
          new Error(`the script's process ended (${signal ?? `exit ${code}`})${this.tail()}`),
      );
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
  }

  /** Start a child process and wait until it has set itself up as the format's process. */
  static async spawn(): Promise<ScriptChild> {
    // From the sources (tests, a clone) the child is child.ts run through tsx; built (dist/, the
    // package) it is child.js, and plain Node runs it.
    const built = import.meta.url.endsWith('.js');
    const childPath = fileURLToPath(new URL(built ? './child.js' : './child.ts', import.meta.url));
    const loader = built ? [] : ['--import', import.meta.resolve('tsx')];
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
      ...loader,
      childPath,
      String(FD_BASE),
      String(FD_BASE),
      String(FD_LIMIT),
      freshPrefix(),
      buildNative(),
      network().mode,
    ];
    const shell = ['bash', '-c', WRAPPER, 'iomux-linux', String(FD_BASE), ...node];
    const [cmd, ...args] = [...network().wrap, ...shell];
    const child = spawn(cmd, args, {
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
    started++;
    return new ScriptChild(child, channel, first.info, stderr);
  }

  send(msg: ToChild): void {
    this.channel.write(`${JSON.stringify(msg)}\n`);
  }

  /** Keep the runner alive (while it waits for an answer) or not (otherwise). */
  ref(on: boolean): void {
    if (on) {
      this.channel.ref();
      this.proc.ref();
    } else {
      this.channel.unref();
      this.proc.unref();
      (this.proc.stderr as Socket | null)?.unref();
    }
  }

  /**
   * End the child: SIGKILL Node first, so the shell that waits for it reaps it and exits (killing
   * both at once would orphan Node to PID 1), then the whole group once the shell is gone, for
   * anything left in it.
   */
  kill(): void {
    signal(this.info.pid);
    const group = this.proc.pid;
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

  tail(): string {
    return this.stderrTail ? `\n${this.stderrTail}` : '';
  }
}

/**
 * The signal that ended the child, from its shell's exit: bash exits with 128 + n when the Node it
 * waits for was killed by signal n (a signal sent to the shell itself comes as `signal`).
 */
function killedBy(code: number | null, signal: NodeJS.Signals | null): ProcessKilled | null {
  const n =
    signal !== null ? osSignals[signal] : code !== null && code > 128 && code <= 128 + 64 ? code - 128 : null;
  if (n === null || n === undefined) return null;
  const action = defaultAction(n);
  return new ProcessKilled(n, action === 'core' ? 'core' : 'term');
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

// --- the idle pool ---------------------------------------------------------------------------------

/** Children reset and waiting for a run, the most recently returned last. */
const idle: ScriptChild[] = [];
/** Children started, and runs that went to a reused child: for `LinuxProcess.pool()`. */
let started = 0;
let reused = 0;
let exitHook = false;

/** The idle child returned last, if one is still alive (one may die while idle, as any process). */
function takeIdle(): ScriptChild | undefined {
  for (let child = idle.pop(); child !== undefined; child = idle.pop()) {
    if (!child.gone && running(child.info.pid)) return child;
    child.kill();
  }
  return undefined;
}

/** Whether process `pid` is there (signal 0 only checks). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function giveIdle(child: ScriptChild): void {
  child.owner = null;
  child.ref(false);
  idle.push(child);
  while (idle.length > IDLE_MAX) idle.shift()?.kill();
  if (!exitHook) {
    // An idle child ends itself when its channel closes at the runner's exit; this makes sure.
    exitHook = true;
    process.once('exit', () => {
      for (const c of idle) signal(c.info.pid);
    });
  }
}

function dropIdle(child: ScriptChild): void {
  const at = idle.indexOf(child);
  if (at >= 0) idle.splice(at, 1);
}

// --- one run ---------------------------------------------------------------------------------------

interface Pending {
  thread: string;
  call: SyscallName | 'finish' | 'reset' | 'tid' | 'caught';
  /** kill and tgkill: the result, held back until the signal has been delivered. */
  held?: { value: unknown };
  limitMs: number;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** The limit for one call: its own timeout (when it has one) plus the grace, else the default. */
export function callLimitMs(call: SyscallName, args: readonly unknown[]): number {
  const plus = (ms: number) => (Number.isFinite(ms) && ms >= 0 ? ms + BLOCK_LIMIT_MS : BLOCK_LIMIT_MS);
  switch (call) {
    case 'epoll_wait':
    case 'epoll_pwait':
      return plus(args[2] as number);
    case 'poll':
      return plus(args[1] as number);
    case 'sleep':
      return plus(args[0] as number);
    case 'epoll_pwait2': {
      const t = args[2] as Timespec | null;
      return t === null ? BLOCK_LIMIT_MS : plus(t.sec * 1000 + t.nsec / 1e6);
    }
    case 'ppoll': {
      const t = args[1] as Timespec | null;
      return t === null ? BLOCK_LIMIT_MS : plus(t.sec * 1000 + t.nsec / 1e6);
    }
    case 'pselect6': {
      const t = args[4] as Timespec | null;
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

/** One script's run on real Linux, in a child process (reused when a run ends cleanly: see Reuse above). */
export class LinuxProcess implements ProcessHandle {
  private readonly pending = new Map<number, Pending>();
  private readonly promiseIds = new WeakMap<Promise<unknown>, number>();
  private readonly threads = new Map<string, ThreadCalls>();
  private readonly busy = new Set<string>();
  private nextId = 1;
  /** Set once the run is over (closed, or its child gone): why calls can no longer be made. */
  private over: Error | null = null;
  /** Whether the child is still this run's (false once it is handed back to the pool). */
  private owns = true;
  private closing: Promise<void> | null = null;
  /** What became of the child at close: 'reused', or why it was killed. */
  private childFate: string | null = null;

  private constructor(
    private readonly child: ScriptChild,
    /** What the child found when it set itself up for this run. */
    readonly info: ChildInfo,
  ) {
    child.owner = { receive: (msg) => this.receive(msg), lost: (why) => this.end(why) };
    this.updateRef();
  }

  /**
   * A process for one run: an idle child reset after a clean run when there is one, else a child
   * started now, which sets itself up as the format's process first.
   */
  static async start(): Promise<LinuxProcess> {
    const child = takeIdle();
    if (child) {
      reused++;
      return new LinuxProcess(child, child.info);
    }
    const fresh = await ScriptChild.spawn();
    return new LinuxProcess(fresh, fresh.info);
  }

  /** For tests and diagnostics: children started and runs given a reused one, and the idle pids. */
  static pool(): { started: number; reused: number; idle: number[] } {
    return { started, reused, idle: idle.map((c) => c.info.pid) };
  }

  /**
   * For tests and diagnostics: after close, 'reused' when the child went back to the pool, else
   * why it was killed; null before close.
   */
  get fate(): string | null {
    return this.childFate;
  }

  /** The tid of script thread `name` ("main": the child's pid); the child makes the thread now if it is new. */
  async tid(name: string): Promise<number> {
    if (this.over) throw this.over;
    return (await this.request({ kind: 'tid', thread: name }, BLOCK_LIMIT_MS)) as number;
  }

  /** How many times the catch handler has run for `sig`: the child reads its counter. */
  async caught(sig: number): Promise<number> {
    if (this.over) throw this.over;
    return (await this.request({ kind: 'caught', sig }, BLOCK_LIMIT_MS)) as number;
  }

  /**
   * After kill or tgkill (call `id`, signal `sig`): let the signal be delivered before the run
   * goes on, so `caught`, `sigpending` and blocked threads read settled state. Waits for the
   * call's result and for no signal to be pending where a thread of the child does not block it
   * (/proc/<pid>/task/<tid>/status), then the format's 50 ms; meanwhile a child that stopped is
   * killed and reported, and one that died is reported by its exit (ProcessKilled).
   */
  private async deliver(id: number, sig: number): Promise<void> {
    const pid = this.info.pid;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const started = Date.now();
    /** Whether the run is over (stopped or gone); reports it. */
    const ended = async (): Promise<boolean> => {
      if (this.over) return true;
      const state = processState(pid);
      if (state === 'T' || state === 't') {
        // Only SIGSTOP stops this child: its process group is orphaned (it runs in a session of
        // its own), so the kernel discards SIGTSTP, SIGTTIN and SIGTTOU at SIG_DFL.
        const stopSig = defaultAction(sig) === 'stop' ? sig : SIG.SIGSTOP;
        this.end(new ProcessKilled(stopSig, 'stop'));
        this.kill();
        return true;
      }
      if (state === null || state === 'Z' || state === 'X') {
        await Promise.race([this.child.exited, sleep(BLOCK_LIMIT_MS)]);
        this.end(new Error(`the script's process ended after signal ${sig}${this.child.tail()}`));
        return true;
      }
      return false;
    };
    for (;;) {
      if (await ended()) return;
      const p = this.pending.get(id);
      if (!p) return;
      if (p.held && deliverable(pid) === 0n) break;
      if (Date.now() - started > DELIVERY_LIMIT_MS) {
        if (p.held) break;
        if (Date.now() - started > BLOCK_LIMIT_MS) return; // wait() reports the call
      }
      await sleep(1);
    }
    await sleep(SETTLE_MS);
    if (await ended()) return;
    const p = this.pending.get(id);
    if (p?.held) p.resolve(p.held.value);
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
    try {
      // Here as well as in the child: a value JSON cannot carry (NaN, Infinity) is refused as the
      // child would refuse it, not sent as null.
      (checkArgs[call] as (...a: readonly unknown[]) => void)(...args);
    } catch (e) {
      reject(e as Error);
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
    this.child.send({ kind: 'call', id, thread, call, args: args.map(toWire) });
    if (call === 'kill' || call === 'tgkill') void this.deliver(id, args[args.length - 1] as number);
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
        const state = processState(this.info.pid);
        if (state === 'T' || state === 't') {
          // Stopped (only SIGSTOP can stop it: see `deliver`), by a thread that sent it and never
          // got to answer.
          const err = new ProcessKilled(SIG.SIGSTOP, 'stop');
          this.end(err);
          this.kill();
          reject(err);
          return;
        }
        const blocked = [...this.pending.values()]
          .filter((p) => p.call !== 'finish' && p.call !== 'reset' && p.call !== 'tid' && p.call !== 'caught')
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
   * else is left open. A child whose run ended cleanly is then reset and kept for the next run;
   * any other is killed (a thread may still be blocked in a call). Throws when the check found a
   * descriptor no one accounts for. Closing again does nothing more.
   */
  close(): Promise<void> {
    this.closing ??= this.retire();
    return this.closing;
  }

  private async retire(): Promise<void> {
    const lost = this.over;
    const unreturned = [...this.pending.values()].map((p) => `${p.call} on thread ${p.thread}`);
    // No more calls; those still in flight are abandoned (their threads may be blocked for good).
    this.end(new Error('the process is closed'));
    let report: FinishReport | null = null;
    let finishError: Error | null = null;
    if (lost === null) {
      try {
        report = (await this.request({ kind: 'finish' }, FINISH_LIMIT_MS)) as FinishReport;
      } catch (err) {
        finishError = err as Error;
      }
    }
    let why: string | null = null;
    if (lost) why = lost.message;
    else if (finishError) why = finishError.message;
    else if (unreturned.length > 0) why = `calls had not returned: ${unreturned.join(', ')}`;
    else if (report && report.leaked.length > 0) why = 'the leak check found descriptors open';
    if (why === null) {
      try {
        const info = (await this.request(
          { kind: 'reset', prefix: freshPrefix() },
          RESET_LIMIT_MS,
        )) as ChildInfo;
        this.child.info = info;
        this.owns = false;
        this.childFate = 'reused';
        giveIdle(this.child);
      } catch (err) {
        why = `reset refused: ${(err as Error).message}`;
      }
    }
    if (why !== null) {
      this.childFate = why;
      this.kill();
      this.child.ref(true); // keep the runner alive until the child is reaped
      await this.child.exited;
    }
    if (finishError) throw finishError;
    if (report && report.leaked.length > 0) {
      const list = report.leaked.map((l) => `${l.fd} (${l.target})`).join(', ');
      throw new Error(`leak check: descriptors open that the script did not open: ${list}`);
    }
  }

  /** Send a request of the runner's own (`finish`, `reset`) and wait up to `limitMs` for its answer. */
  private async request(
    msg:
      | { kind: 'finish' }
      | { kind: 'reset'; prefix: string }
      | { kind: 'tid'; thread: string }
      | { kind: 'caught'; sig: number },
    limitMs: number,
  ): Promise<unknown> {
    const id = this.nextId++;
    const answered = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, {
        thread: msg.kind === 'tid' ? msg.thread : 'runner',
        call: msg.kind,
        limitMs,
        resolve,
        reject,
      });
    });
    answered.catch(() => {});
    this.updateRef();
    this.child.send({ ...msg, id });
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        answered,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the script process did not answer ${msg.kind} within ${limitMs} ms`)),
            limitMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
      this.updateRef();
    }
  }

  /** Whether the child is still there to make calls. */
  get alive(): boolean {
    return this.over === null;
  }

  private receive(msg: FromChild): void {
    if (msg.kind === 'crash') {
      this.end(new Error(`the script's process crashed: ${msg.message}`));
      return;
    }
    if (msg.kind === 'ready' || msg.kind === 'setup-failed') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.kind === 'result' && (p.call === 'kill' || p.call === 'tgkill')) {
      const value = fromWire(msg.result);
      // A failed send delivers nothing; a sent one is answered once it is delivered (`deliver`).
      if (value !== null && typeof value === 'object' && 'errno' in value) p.resolve(value);
      else p.held = { value };
    } else if (msg.kind === 'result') p.resolve(fromWire(msg.result));
    else if (msg.kind === 'finished') p.resolve(msg.report);
    else if (msg.kind === 'reset-done') p.resolve(msg.info);
    else if (msg.kind === 'reset-refused') p.reject(new Error(msg.message));
    else if (msg.kind === 'unsupported') p.reject(new Unsupported(msg.call, msg.what));
    else p.reject(new Error(`${p.call} on thread ${p.thread}: ${msg.message}`));
  }

  /**
   * No more calls: reject what is in flight with `why`. The first reason stays the run's; a later
   * one (the child gone while the runner waits on `finish`) still rejects what was sent since.
   */
  private end(why: Error): void {
    this.over ??= why;
    for (const p of [...this.pending.values()]) p.reject(why);
    this.pending.clear();
    this.updateRef();
  }

  /** Kill the child, while it is still this run's. */
  private kill(): void {
    if (this.owns) this.child.kill();
  }

  /**
   * Keep the runner alive only while it waits for the child: a run that is never closed must not
   * hold its process open (the child ends itself when the channel closes).
   */
  private updateRef(): void {
    if (this.owns) this.child.ref(this.pending.size > 0);
  }
}

/** One script thread's view of the calls: each method sends the call to the child. */
/** Whether a call's arguments pass checkArgs (when they do not, `invoke` refuses the call). */
function argsHold(call: SyscallName, args: readonly unknown[]): boolean {
  try {
    (checkArgs[call] as (...a: readonly unknown[]) => void)(...args);
    return true;
  } catch {
    return false;
  }
}

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
  getsockname(fd: number): Promise<SysResult<{ address: Address }>> {
    return this.call('getsockname', fd);
  }
  getpeername(fd: number): Promise<SysResult<{ address: Address }>> {
    return this.call('getpeername', fd);
  }
  getsockopt(fd: number, level: number, name: number): Promise<SysResult<{ value: SockoptValue }>> {
    return this.call('getsockopt', fd, level, name);
  }
  setsockopt(fd: number, level: number, name: number, value: number | Linger): Promise<SysResult> {
    return this.call('setsockopt', fd, level, name, value);
  }
  send(fd: number, data: Uint8Array, flags: number): Promise<SysResult> {
    return this.call('send', fd, data, flags);
  }
  recv(fd: number, count: number, flags: number): Promise<SysResult<{ data: Uint8Array }>> {
    return this.call('recv', fd, count, flags);
  }
  sendto(fd: number, data: Uint8Array, flags: number, address: Address | null): Promise<SysResult> {
    return this.call('sendto', fd, data, flags, address);
  }
  recvfrom(
    fd: number,
    count: number,
    flags: number,
  ): Promise<SysResult<{ data: Uint8Array; address: Address | null }>> {
    return this.call('recvfrom', fd, count, flags);
  }
  ioctl_siocoutq(fd: number): Promise<SysResult> {
    return this.call('ioctl_siocoutq', fd);
  }
  ioctl_siocatmark(fd: number): Promise<SysResult> {
    return this.call('ioctl_siocatmark', fd);
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
    sigmask: Sigset | null = null,
  ): Promise<SysResult<{ events: EpollEvent[] }>> {
    return this.call('epoll_pwait2', epfd, maxevents, timeout, sigmask);
  }
  poll(fds: readonly PollFd[], timeout: number): Promise<SysResult<{ revents: number[] }>> {
    // Linux: do_sys_poll fails nfds above RLIMIT_NOFILE with EINVAL before it reads the array, and
    // the child's limit is SCRIPT_NOFILE: one entry past it gives the kernel's answer for a list
    // of any length, without a million entries copied to the child (past the time limit).
    if (fds.length > SCRIPT_NOFILE + 1 && argsHold('poll', [fds, timeout]))
      return this.call('poll', fds.slice(0, SCRIPT_NOFILE + 1), timeout);
    return this.call('poll', fds, timeout);
  }
  select(...args: SelectArgs): Promise<SysResult<SelectResult>> {
    return this.call('select', ...args);
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
  epoll_pwait(
    epfd: number,
    maxevents: number,
    timeout: number,
    sigmask: Sigset | null,
  ): Promise<SysResult<{ events: EpollEvent[] }>> {
    return this.call('epoll_pwait', epfd, maxevents, timeout, sigmask);
  }
  ppoll(
    fds: readonly PollFd[],
    timeout: Timespec | null,
    sigmask: Sigset | null,
  ): Promise<SysResult<{ revents: number[] }>> {
    return this.call('ppoll', fds, timeout, sigmask);
  }
  pselect6(...args: Pselect6Args): Promise<SysResult<Pselect6Result>> {
    return this.call('pselect6', ...args);
  }
  sigaction(sig: number, handler: SigHandler, flags: number, mask: Sigset): Promise<SysResult> {
    return this.call('sigaction', sig, handler, flags, mask);
  }
  sigprocmask(how: number, set: Sigset | null): Promise<SysResult<{ old: number[] }>> {
    return this.call('sigprocmask', how, set);
  }
  sigpending(): Promise<SysResult<{ set: number[] }>> {
    return this.call('sigpending');
  }
  kill(sig: number): Promise<SysResult> {
    return this.call('kill', sig);
  }
  tgkill(tid: number, sig: number): Promise<SysResult> {
    return this.call('tgkill', tid, sig);
  }
  gettid(): Promise<SysResult> {
    return this.call('gettid');
  }
  signalfd(fd: number, mask: Sigset | null, flags: number): Promise<SysResult> {
    return this.call('signalfd', fd, mask, flags);
  }
}
