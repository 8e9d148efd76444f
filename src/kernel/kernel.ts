// The simulated kernel's core state: ids, the virtual clock and its timers, the run queue, the
// cost counters and the optional observer. File types and multiplexers build on it.

import { NR_OPEN_DEFAULT, RLIMIT_NOFILE_DEFAULT } from '../abi/constants.ts';
import { BlocksForever } from '../api/backend.ts';
import { type CallBody, exitToUserMode } from './entry.ts';
import { assertUserResult } from './errors.ts';
import type { KernelEvent, Observer } from './events.ts';
import { FdTable } from './fdtable.ts';
import { FileList } from './file.ts';
import { Process, type ProcessOptions } from './proc.ts';
import { type CallRecord, mustSleep, type Sleep, type SysGen, type Thread, wakeThread } from './sched.ts';
import { newStats, type Stats } from './stats.ts';
import { fsSysctl } from './sysctl.ts';

/** A blocked call's arguments as a deadlock report shows them: strings quoted, the rest as is. */
function formatCallArgs(args: readonly unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? JSON.stringify(a) : String(a))).join(', ');
}

/**
 * A system call of the direct table (Kernel.enterDirect): its kernel entry point, called with
 * the thread and up to four arguments (the ones it does not take are undefined), and the
 * arguments a deadlock report shows, asked for only if the call sleeps.
 */
export interface DirectCall<A, B, C, D, T> {
  readonly name: string;
  readonly fn: (t: Thread, a: A, b: B, c: C, d: D) => SysGen<T> | T;
  readonly show: (a: A, b: B, c: C, d: D) => readonly unknown[];
}

/** Where a blocked call's promise carries its record (Kernel.callOf). */
const CALL_RECORD = Symbol('iomux.callRecord');
type CallPromise<T> = Promise<T> & { [CALL_RECORD]?: CallRecord };

/** A pending timer on the virtual clock. */
/**
 * Who set a timer (Linux: the hrtimer's container): a timerfd's (timerfd_ctx.t.tmr, by its id),
 * the timeout of a thread's sleep (schedule_hrtimeout's hrtimer_sleeper), or a TCP sock's SYN
 * retransmit timer.
 */
export type TimerOwner =
  | { kind: 'timerfd'; id: number }
  | { kind: 'sleep'; thread: Thread }
  /** A TCP sock's retransmit timer (icsk_retransmit_timer), by the sock's id. */
  | { kind: 'tcp_retransmit'; id: number };

export interface Timer {
  /** Absolute virtual time, ns. */
  when: number;
  /** Tie-break: timers due at the same instant fire in the order they were set. */
  seq: number;
  /** Who set it (the invariant checks: src/kernel/check.ts). */
  owner: TimerOwner;
  /** What the timer is for, in words (snapshots, deadlock reports). */
  label: string;
  /** False once cancelled; cancelled timers are skipped when they come up (lazy deletion). */
  active: boolean;
  fire(): void;
}

/**
 * State a file type keeps per kernel where Linux has a per-namespace or per-user structure the
 * core does not model (the AF_UNIX namespace, epoll's watch count, the user's pipe pages). The
 * type defines it once with defineKernelState, naming it and saying how to snapshot it; each
 * kernel holds one value per key (Kernel.state) and snapshots show them by name. The core never
 * imports a file type: they register with it.
 */
export interface KernelStateKey<T> {
  /** The key in a snapshot's `state` ("pipe", "unix", ...); unique. */
  readonly name: string;
  /** The state of a kernel that has not used it yet. */
  readonly init: () => T;
  /** The state as plain JSON, ids instead of pointers (src/observe). */
  readonly snapshot: (state: T) => unknown;
}

const kernelStateNames = new Set<string>();

/** Define a kind of per-kernel state; once per name (a file type does it at import). */
export function defineKernelState<T>(
  name: string,
  init: () => T,
  snapshot: (state: T) => unknown,
): KernelStateKey<T> {
  if (kernelStateNames.has(name)) throw new Error(`per-kernel state ${name} is defined twice`);
  kernelStateNames.add(name);
  return { name, init, snapshot };
}

/** Options for a new `Kernel`. */
export interface KernelOptions {
  /** The virtual clock's start, ns (CLOCK_MONOTONIC). */
  startTime?: number;
}

/**
 * A simulated kernel: its processes, open files, run queue, timers and virtual clock. Pure and
 * deterministic: the same calls give the same results and the same events.
 */
export class Kernel {
  /** CLOCK_MONOTONIC, virtual, in ns. Moves only when no thread can run. */
  now: number;
  readonly stats: Stats = newStats();
  /** Set by attach(); undefined when nobody observes, so emitting costs nothing. */
  emit: Observer | undefined = undefined;
  /** Every open file description that is not yet released (leak checks, snapshots). */
  readonly files = new FileList();
  readonly processes: Process[] = [];
  /** Runnable threads, in wake order. */
  runQueue: Thread[] = [];
  private readonly timers: Timer[] = [];
  /** The file types' per-kernel state (defineKernelState), made on first use. */
  private readonly states = new Map<KernelStateKey<unknown>, unknown>();
  private idCounter = 0;
  private timerSeq = 0;
  private pidCounter = 100;
  /**
   * Linux: the task on this CPU (current) — the thread whose call (or way back to user space)
   * runs now, or null between calls. wants_signal's task_curr and signalfd_poll read it.
   */
  current: Thread | null = null;
  /**
   * Threads idle in user code that a signal was sent to during the current call: they take it on
   * their way back to user space right after the call (entry.ts), as an idle thread of the Linux
   * backend does within its settle.
   */
  signalIdle: Thread[] = [];

  constructor(opts: KernelOptions = {}) {
    this.now = opts.startTime ?? 0;
  }

  /** A pid for a new process or thread (Linux: alloc_pid). */
  allocPid(): number {
    return this.pidCounter++;
  }

  /** Stable ids for every kernel object, in creation order. */
  nextId(): number {
    return ++this.idCounter;
  }

  /** This kernel's value of a file type's per-kernel state, made on first use. */
  state<T>(key: KernelStateKey<T>): T {
    let value = this.states.get(key as KernelStateKey<unknown>) as T | undefined;
    if (value === undefined) {
      value = key.init();
      this.states.set(key as KernelStateKey<unknown>, value);
    }
    return value;
  }

  /** Every per-kernel state this kernel has made, as plain JSON by name, names sorted. */
  snapshotStates(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = [...this.states.keys()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const key of keys) out[key.name] = key.snapshot(this.states.get(key));
    return out;
  }

  attach(observer: Observer | undefined): void {
    this.emit = observer;
  }

  createProcess(opts: ProcessOptions = {}): Process {
    const rlimit = opts.rlimit ?? { ...RLIMIT_NOFILE_DEFAULT };
    // Linux: no process's RLIMIT_NOFILE exceeds fs.nr_open (do_prlimit refuses it with EPERM).
    const nrOpen = fsSysctl(this).nrOpen;
    if (rlimit.hard > nrOpen || rlimit.soft > rlimit.hard)
      throw new RangeError(
        `RLIMIT_NOFILE {soft ${rlimit.soft}, hard ${rlimit.hard}}: the soft limit must not pass the hard one, ` +
          `nor the hard one fs.nr_open (${nrOpen}; raise it first with setNrOpen, as sysctl -w fs.nr_open=N)`,
      );
    const p = new Process(
      this,
      this.pidCounter++,
      new FdTable(rlimit, opts.fdCapacity ?? NR_OPEN_DEFAULT, fsSysctl(this)),
    );
    this.processes.push(p);
    return p;
  }

  // ---- timers ----

  addTimer(when: number, owner: TimerOwner, label: string, fire: () => void): Timer {
    const timer: Timer = { when, seq: this.timerSeq++, owner, label, active: true, fire };
    heapPush(this.timers, timer);
    return timer;
  }

  /** Timers not yet fired or cancelled, soonest first. */
  pendingTimers(): Timer[] {
    return this.timers.filter((t) => t.active).sort(timerOrder);
  }

  /** Jump the clock to the next active timer and fire it. False if there is none. */
  fireNextTimer(): boolean {
    for (;;) {
      const timer = heapPop(this.timers);
      if (!timer) return false;
      if (!timer.active) continue;
      timer.active = false;
      if (timer.when > this.now) {
        this.emit?.({ type: 'clock_advance', from: this.now, to: timer.when });
        this.now = timer.when;
      }
      timer.fire();
      return true;
    }
  }

  // ---- running system calls ----

  /**
   * Run a system call on thread t: `call` makes its body (after checkEnter, the one check of a
   * call's entry), which runs now until it returns or sleeps; then every thread it woke runs
   * until it blocks. The promise settles when the call returns.
   */
  enter<T>(t: Thread, name: string, args: readonly unknown[], call: () => SysGen<T> | T): Promise<T> {
    // Linux: a process that died (or stopped for good) makes no more calls.
    const killed = t.proc.signal.killed;
    if (killed !== null) return Promise.reject(killed);
    // Checked before the body is made: a call that cannot sleep runs as it is made (MaySleep).
    this.checkEnter(t);
    this.current = t;
    return this.run(t, name, args, call, call());
  }

  /**
   * As enter, for a call of the direct table (SimSyscalls): its kernel function is called with
   * the thread and its arguments as they are, so a call that neither sleeps nor meets a pending
   * signal makes no closure and no argument array (measured: the API's read and write 185 →
   * 150 ns). A call that does sleep, or is restarted, gets them then.
   */
  enterDirect<A, B, C, D, T>(t: Thread, e: DirectCall<A, B, C, D, T>, a: A, b: B, c: C, d: D): Promise<T> {
    const killed = t.proc.signal.killed;
    if (killed !== null) return Promise.reject(killed);
    this.checkEnter(t);
    this.current = t;
    const body = e.fn(t, a, b, c, d);
    if (!t.sigpending && !mustSleep(body)) {
      this.stats.syscalls++;
      this.afterCall();
      assertUserResult(e.name, body);
      return Promise.resolve(body);
    }
    return this.run(t, e.name, e.show(a, b, c, d), () => e.fn(t, a, b, c, d), body);
  }

  /** The rest of enter once the body is made: the way back to user space, or the sleep. */
  private run<T>(
    t: Thread,
    name: string,
    args: readonly unknown[],
    call: () => SysGen<T> | T,
    first: SysGen<T> | T,
  ): Promise<T> {
    let body = first;
    this.stats.syscalls++;
    // A call that did not sleep, and the restarts of one that a signal interrupted.
    while (!mustSleep(body)) {
      if (!t.sigpending) {
        this.afterCall();
        assertUserResult(name, body);
        return Promise.resolve(body);
      }
      const out = exitToUserMode(t, body, call as CallBody);
      if (out.kind === 'return') {
        this.afterCall();
        assertUserResult(name, out.value);
        return Promise.resolve(out.value as T);
      }
      if (out.kind === 'killed') {
        this.afterCall();
        return Promise.reject(out.error);
      }
      this.current = t;
      body = out.body() as SysGen<T> | T;
    }
    const rec: CallRecord = {
      name,
      // Formatted only here, for a call that sleeps: what a deadlock report shows.
      args: formatCallArgs(args),
      gen: body,
      call: call as CallBody,
      done: false,
      result: undefined,
      error: undefined,
      resolve: null,
      reject: null,
    };
    t.call = rec;
    this.step(t, 'woken', true);
    if (rec.done) {
      this.afterCall();
      return rec.error !== undefined ? Promise.reject(rec.error) : Promise.resolve(rec.result as T);
    }
    const promise = new Promise<T>((resolve, reject) => {
      rec.resolve = resolve as (v: unknown) => void;
      rec.reject = reject;
    });
    (promise as CallPromise<T>)[CALL_RECORD] = rec;
    this.afterCall();
    if (this.driveWhenIdle) this.onIdle();
    return promise;
  }

  /**
   * The end of a call: threads idle in user code that it signalled take their signals (their way
   * back to user space), then every thread it woke runs.
   */
  private afterCall(): void {
    this.current = null;
    if (this.signalIdle.length > 0) this.deliverToIdle();
    this.runRunnable();
  }

  /** Linux: exit_to_user_mode for threads in user code that a signal was sent to. */
  private deliverToIdle(): void {
    while (this.signalIdle.length > 0) {
      const t = this.signalIdle.shift()!;
      if (t.call !== null || t.state !== 'running' || !t.sigpending) continue;
      this.current = t;
      exitToUserMode(t, undefined, null);
      this.current = null;
    }
  }

  /**
   * Throw if thread t cannot make a system call now: it is in one already, or has ended. A call
   * that cannot sleep does its work when its body is made (MaySleep), so enter makes the body
   * after this check, which keeps such a call from running at all.
   */
  checkEnter(t: Thread): void {
    if (t.call) throw new Error(`thread ${t.name} is already in ${t.call.name}: one call at a time`);
    if (t.state === 'done') throw new Error(`thread ${t.name} has ended`);
  }

  /**
   * Set by runThreads: when no thread is left running user code, the kernel itself moves the
   * clock (and reports a deadlock), since no outside driver will.
   */
  driveWhenIdle = false;
  /** The threads runThreads is running (the others are driven from outside, by runUntil). */
  readonly driven = new Set<Thread>();

  /** If every thread is blocked or done, fire timers until one runs, or fail the blocked calls. */
  onIdle(): void {
    for (;;) {
      this.runRunnable();
      for (const t of this.driven) if (t.state === 'running') return;
      if (this.fireNextTimer()) continue;
      const blocked = this.blockedThreads();
      if (blocked.length === 0) return;
      const list = blocked.map((b) => `${b.thread} in ${b.call}`).join(', ');
      const error = new BlocksForever(
        `deadlock: no thread can run and no timer is pending (${list})`,
        blocked,
      );
      this.abortBlocked(error);
      return;
    }
  }

  /**
   * Abandon every blocked call: unwind its body (its finally blocks unqueue its wait entries and
   * drop its file references) and reject its promise with `error`. Used on deadlock and at
   * teardown.
   */
  abortBlocked(error: Error | null): void {
    for (const p of this.processes)
      for (const t of p.threads.values()) {
        if ((t.state !== 'blocked' && t.state !== 'runnable') || !t.call) continue;
        const rec = t.call;
        t.state = 'done';
        t.call = null;
        rec.gen.return(undefined);
        // At teardown (error null) nobody awaits the call any more: leave its promise pending
        // rather than raise an unhandled rejection.
        if (error) rec.reject?.(error);
      }
  }

  /**
   * As enter, but returns the result itself; for callers that never block (benchmarks measure
   * the kernel, not promise machinery). A call that would sleep is a programming error.
   */
  enterSync<T>(t: Thread, name: string, body: SysGen<T> | T): T {
    this.stats.syscalls++;
    if (!mustSleep(body)) {
      if (this.runQueue.length > 0) this.runRunnable();
      return body;
    }
    const r = body.next();
    if (!r.done) {
      body.return(undefined as never);
      throw new Error(`${name} on ${t.name} would block: use the asynchronous calls`);
    }
    if (this.runQueue.length > 0) this.runRunnable();
    return r.value;
  }

  /**
   * The record of a call that blocked, from the promise its caller holds (ProcessHandle.wait
   * looks it up); undefined for a call that returned without sleeping. The record rides on the
   * promise itself: a WeakMap from promises to records made every blocking call an ephemeron
   * for the garbage collector, which cost more than the rest of the call (measured: a cycle
   * with a sleeping epoll_wait took 5× as long).
   */
  callOf(call: Promise<unknown>): CallRecord | undefined {
    return (call as CallPromise<unknown>)[CALL_RECORD];
  }

  private step(t: Thread, reason: Thread['wakeReason'], first: boolean): void {
    const rec = t.call!;
    let r: IteratorResult<Sleep, unknown>;
    this.current = t;
    try {
      r = first ? rec.gen.next() : rec.gen.next(reason);
    } catch (e) {
      // Unsupported (or a bug) inside the call: the thread leaves it, and the caller hears of it.
      this.current = null;
      t.call = null;
      t.state = 'running';
      if (first) throw e;
      rec.reject?.(e);
      return;
    }
    // The call returned: the way back to user space, and the restarts a signal may ask for.
    let value = r.value;
    while (r.done && t.sigpending) {
      const out = exitToUserMode(t, value, rec.call);
      if (out.kind === 'killed') {
        // doGroupExit has ended the call; a call still being entered sees it here.
        this.current = null;
        rec.done = true;
        rec.error = out.error;
        t.call = null;
        return;
      }
      if (out.kind === 'return') {
        value = out.value;
        break;
      }
      this.current = t;
      const body = out.body();
      // A restart that returns at once (the descriptor it looks up again is no longer readable:
      // EBADF) has its own result: the interrupted one's must not come back in its place.
      if (!mustSleep(body)) {
        value = body;
        continue;
      }
      rec.gen = body;
      r = body.next();
      if (!r.done) break;
      value = r.value;
    }
    this.current = null;
    if (r.done) {
      assertUserResult(rec.name, value);
      rec.done = true;
      rec.result = value;
      t.call = null;
      t.state = 'running';
      rec.resolve?.(value);
      return;
    }
    this.block(t, r.value);
  }

  private block(t: Thread, sleep: Sleep): void {
    t.state = 'blocked';
    const seq = ++t.sleepSeq;
    this.stats.sleeps++;
    this.emit?.({ type: 'thread_block', thread: t.name, call: t.call!.name, deadline: sleep.deadline });
    if (sleep.deadline !== null) {
      const owner: TimerOwner = { kind: 'sleep', thread: t };
      this.addTimer(sleep.deadline, owner, `timeout of ${t.name} in ${t.call!.name}`, () => {
        if (t.state === 'blocked' && t.sleepSeq === seq) {
          this.stats.timeouts++;
          wakeThread(this, t, 'timeout');
        }
      });
    }
  }

  /** Resume every runnable thread, in wake order, until none is left. */
  runRunnable(): void {
    while (this.runQueue.length > 0) {
      const queue = this.runQueue;
      this.runQueue = [];
      for (const t of queue) if (t.state === 'runnable') this.step(t, t.wakeReason, false);
    }
  }

  /**
   * Drive the system until `done()` holds: run what can run, then move the clock to the next
   * timer. If nothing can ever run again, throw BlocksForever naming each blocked thread.
   */
  runUntil(done: () => boolean): void {
    for (;;) {
      this.runRunnable();
      if (done()) return;
      if (!this.fireNextTimer()) {
        const blocked = this.blockedThreads();
        const list = blocked.map((b) => `${b.thread} in ${b.call}`).join(', ');
        throw new BlocksForever(
          `deadlock: no thread can run and no timer is pending (${list || 'none'})`,
          blocked,
        );
      }
    }
  }

  blockedThreads(): { thread: string; call: string }[] {
    const out: { thread: string; call: string }[] = [];
    for (const p of this.processes)
      for (const t of p.threads.values())
        if (t.state === 'blocked' && t.call)
          out.push({ thread: t.name, call: `${t.call.name}(${t.call.args})` });
    return out;
  }
}

export type { KernelEvent };

function timerOrder(a: Timer, b: Timer): number {
  return a.when - b.when || a.seq - b.seq;
}

function heapPush(h: Timer[], x: Timer): void {
  h.push(x);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (timerOrder(h[p], h[i]) <= 0) break;
    [h[p], h[i]] = [h[i], h[p]];
    i = p;
  }
}

function heapPop(h: Timer[]): Timer | undefined {
  if (h.length === 0) return undefined;
  const top = h[0];
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && timerOrder(h[l], h[m]) < 0) m = l;
      if (r < h.length && timerOrder(h[r], h[m]) < 0) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
  }
  return top;
}
