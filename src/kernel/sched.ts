// Threads, sleeping and waking, on a deterministic scheduler with a virtual clock.
//
// A system call is a generator: it runs until it must sleep, yields a `Sleep` (an optional
// absolute deadline), and is resumed with the reason it woke ('woken', 'timeout', later
// 'signal'). This is Linux's prepare_to_wait / schedule / finish_wait loop written as code that
// reads the same way: the call itself re-checks its condition after every wake-up, so spurious
// wake-ups and interruption (EINTR, a later issue) need no restructuring.
//
// Scheduling: a woken thread is made runnable (default_wake_function) and queued; the kernel
// resumes runnable threads in wake order at the end of every system call, as if each had a CPU
// of its own. When no thread can run, the virtual clock jumps to the next timer. Same program,
// same results: there is no wall clock and no randomness here.

import type { CallBody } from './entry.ts';
import type { WakeReasonName } from './events.ts';
import type { Kernel } from './kernel.ts';
import type { Process } from './proc.ts';
import { SigPending, type SigSet } from './signal.ts';
import {
  addWaitQueue,
  addWaitQueueExclusive,
  addWaitQueueExclusiveHead,
  addWaitQueueTail,
  defineWakeFunction,
  newWaitEntry,
  removeWaitQueue,
  type WaitEntry,
  type WaitQueueHead,
  type WakeFunctionKind,
} from './waitqueue.ts';

export type WakeReason = WakeReasonName;

/** What a sleeping call yields: when to time out (absolute virtual ns), or never. */
export interface Sleep {
  deadline: number | null;
}

/** A system call's body: yields when it sleeps, returns its result. */
export type SysGen<T> = Generator<Sleep, T, WakeReason>;

/**
 * What a call that may sleep returns: its result, when it ran to the end without sleeping, or,
 * from the point where it must sleep, a generator that sleeps and finishes the call. Most calls
 * never sleep (O_NONBLOCK, a zero timeout, data already there), and those create no generator:
 * a generator costs more than the rest of a non-blocking read. The body is written once: the
 * part after a wait-queue sleep calls the same function again, as Linux's loops go round.
 */
export type MaySleep<T> = T | SysGen<T>;

/** True if a MaySleep call stopped where it must sleep (it returned its continuation). */
export function mustSleep<T>(r: MaySleep<T>): r is SysGen<T> {
  return typeof r === 'object' && r !== null && typeof (r as { next?: unknown }).next === 'function';
}

/** `then` applied to a MaySleep call's result: now if the call did not sleep, else when it returns. */
export function afterSleep<T, U>(r: MaySleep<T>, then: (value: T) => U): MaySleep<U> {
  return mustSleep(r) ? thenAfterSleep(r, then) : then(r);
}

function* thenAfterSleep<T, U>(r: SysGen<T>, then: (value: T) => U): SysGen<U> {
  return then(yield* r);
}

/** A MaySleep call inside a generator: its value now, or after its sleeps (`yield* maySleep(r)`). */
export function* maySleep<T>(r: MaySleep<T>): SysGen<T> {
  return mustSleep(r) ? yield* r : r;
}

/**
 * The rest of a call that had to sleep midway: sleep through `wait`, then run `then` on its
 * result, sleeping again if that must. The call's first pass is a plain function and only this
 * continuation is a generator, so a call that never waits makes no generator at all.
 *
 * A `then` that must wait again returns another continuation; the two are run as one loop
 * (a trampoline), never one inside the other, so a read woken ten thousand times before its
 * data is all there runs at one depth, as Linux's loop does, rather than ten thousand
 * generators deep (each resume walking the whole chain, and the stack running out).
 */
export function continueAfterSleep<T, U>(wait: SysGen<T>, then: (value: T) => MaySleep<U>): SysGen<U> {
  return new Continuation(
    wait as SysGen<unknown>,
    then as (value: unknown) => MaySleep<U>,
  ) as unknown as SysGen<U>;
}

/** A continuation (continueAfterSleep): a generator object whose loop a later continuation joins. */
class Continuation<U> {
  private gen: SysGen<U> | null = null;

  constructor(
    readonly wait: SysGen<unknown>,
    readonly then: (value: unknown) => MaySleep<U>,
  ) {}

  next(reason?: WakeReason): IteratorResult<Sleep, U> {
    this.gen ??= runContinuation(this);
    return reason === undefined ? this.gen.next() : this.gen.next(reason);
  }

  return(value: U): IteratorResult<Sleep, U> {
    // Never started: nothing to unwind. Started: the sleep's finally blocks run.
    if (this.gen === null) return { done: true, value };
    return this.gen.return(value);
  }

  throw(e: unknown): IteratorResult<Sleep, U> {
    this.gen ??= runContinuation(this);
    return this.gen.throw(e);
  }

  [Symbol.iterator](): this {
    return this;
  }
}

function* runContinuation<U>(c: Continuation<U>): SysGen<U> {
  let { wait, then } = c;
  for (;;) {
    const r = then(yield* wait);
    if (!(r instanceof Continuation)) return mustSleep(r) ? yield* r : r;
    // Join the next continuation's loop rather than nest it.
    wait = r.wait;
    then = r.then;
  }
}

export type ThreadState = 'running' | 'runnable' | 'blocked' | 'done';

/** The call a thread is in, with the promise its caller awaits. */
export interface CallRecord {
  readonly name: string;
  readonly args: string;
  /** The body running now: the call's, or a restart's (src/kernel/entry.ts). */
  gen: SysGen<unknown>;
  /** Makes the call's body again, from its start: a restart after a signal. */
  readonly call: CallBody;
  done: boolean;
  result: unknown;
  /** Set when the call ended by its process's death (ProcessKilled), which its promise rejects with. */
  error: unknown;
  resolve: ((value: unknown) => void) | null;
  reject: ((error: unknown) => void) | null;
}

/** Linux: task_struct, the little of it the model needs. */
export class Thread {
  readonly id: number;
  /** 'running': in user code (or the caller's JS); 'runnable': woken, queued to resume. */
  state: ThreadState = 'running';
  /** The system call in progress, or null. */
  call: CallRecord | null = null;
  /** Why the thread was last woken; read when it resumes. */
  wakeReason: WakeReason = 'woken';
  /** Incremented on every sleep, so a stale timer can tell it no longer applies. */
  sleepSeq = 0;
  /**
   * Not Linux: where this thread's read() puts its bytes (the caller's buffer in Linux) until
   * they are copied to a result of exactly that length. A thread is in one call at a time, so
   * its reads can share it; it grows to the largest count read, up to READ_BUFFER_MAX.
   */
  readBuffer: Uint8Array = new Uint8Array(0);

  // ---- signals (src/kernel/signal.ts) ----
  /** Linux: task_struct.blocked. Changed by sigprocmask, p* calls and handler frames. */
  blocked: SigSet = 0n;
  /** Linux: saved_sigmask — the mask a p* call replaced; meaningful while restoreSigmask. */
  savedSigmask: SigSet = 0n;
  /** Linux: TIF_RESTORE_SIGMASK — savedSigmask goes back on the way to user space. */
  restoreSigmask = false;
  /** Linux: task_struct.pending — signals sent to this thread (tgkill). */
  readonly pending = new SigPending();
  /**
   * Linux: TIF_SIGPENDING — a signal may be deliverable: interruptible sleeps end and the way
   * back to user space looks. Set by signal_wake_up and recalc_sigpending; cleared only by the
   * thread itself (recalc_sigpending after a dequeue or a mask change). The one field hot paths test.
   */
  sigpending = false;
  /**
   * Linux: restart_block.fn — what a call that returned -ERESTART_RESTARTBLOCK runs when it is
   * restarted (nanosleep and poll: the same absolute deadline).
   */
  restartBlock: CallBody | null = null;

  constructor(
    readonly k: Kernel,
    readonly proc: Process,
    readonly name: string,
    /** Linux: task_struct.pid, what gettid returns (the main thread's is the process's pid). */
    readonly tid: number,
  ) {
    this.id = k.nextId();
  }
}

/**
 * Linux: try_to_wake_up — make a blocked thread runnable. Returns 1 if it changed the thread's
 * state (default_wake_function's result).
 */
export function wakeThread(k: Kernel, t: Thread, reason: WakeReason): number {
  if (t.state !== 'blocked') return 0;
  t.state = 'runnable';
  t.wakeReason = reason;
  k.runQueue.push(t);
  k.stats.tasksWoken++;
  k.emit?.({ type: 'thread_wake', thread: t.name, reason });
  return 1;
}

// Linux: default_wake_function — wake the task; the entry stays queued.
defineWakeFunction('default_wake_function', (k, e) => wakeThread(k, e.owner as Thread, 'woken'));

// Linux: autoremove_wake_function — as above, and unlink the entry if it woke the task.
defineWakeFunction('autoremove_wake_function', (k, e) => {
  const ret = wakeThread(k, e.owner as Thread, 'woken');
  if (ret) removeWaitQueue(k, e);
  return ret;
});

/** How a sleeping call queues itself: Linux's helpers differ only in flag and position. */
export type WaitMode =
  /** prepare_to_wait_exclusive / wait_event_*_exclusive: exclusive, tail (pipe readers/writers). */
  | 'exclusive'
  /** __add_wait_queue_exclusive: exclusive, head (epoll_wait's waiters: the newest is woken first). */
  | 'exclusive_head'
  /** prepare_to_wait / wait_event_*: non-exclusive, head (AF_UNIX stream readers, wmem waiters). */
  | 'shared'
  /** wait_event_interruptible_locked_irq: non-exclusive, tail (eventfd's readers/writers). */
  | 'shared_tail';

// ---- the one sleep path ----
//
// Linux sleeps in one shape:
//
//     prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);   // queue the entry (once)
//     if (!condition) schedule();                        // sleep until a wake-up or the timer
//     finish_wait(wq, &wait);                            // unqueue if still queued
//
// wait_event_interruptible is that in a loop, returning -ERESTARTSYS when a signal ends it.
// The model has the same three steps: prepareToWait, schedule (the ONLY yield of a sleeping
// call in the whole kernel) and finishWait, and sleepOn, one turn of the loop. Two things C does
// not have need saying. A call's generator can be abandoned in its sleep (Kernel.abortBlocked,
// at a deadlock or at teardown): schedule then unqueues the entry it was given, so an abandoned
// sleeper leaves nothing behind. And what a call holds across its sleeps (its file reference:
// fdget … fdput; its poll table: poll_initwait … poll_freewait) is released by holdAcrossSleep,
// on every path, without a generator for calls that do not sleep.
//
// Signals come in at schedule: an interruptible sleep (every sleep of the model is one) with a
// signal pending does not sleep, and a sleep ended by signal_wake_up returns 'signal'; the
// callers turn that into -ERESTARTSYS, -ERESTARTNOHAND or -EINTR as Linux's do, and the way back
// to user space (entry.ts) decides restart or EINTR.

/** Linux: prepare_to_wait, prepare_to_wait_exclusive, __add_wait_queue_exclusive, add_wait_queue_entry_tail. */
export function prepareToWait(t: Thread, q: WaitQueueHead, e: WaitEntry, mode: WaitMode): void {
  const k = t.k;
  if (mode === 'exclusive') addWaitQueueExclusive(k, q, e);
  else if (mode === 'exclusive_head') addWaitQueueExclusiveHead(k, q, e);
  else if (mode === 'shared') addWaitQueue(k, q, e);
  else addWaitQueueTail(k, q, e);
}

/** Linux: finish_wait — unqueue the entry if a wake-up has not already (autoremove). */
export function finishWait(t: Thread, e: WaitEntry): void {
  removeWaitQueue(t.k, e);
}

/**
 * Linux: schedule / schedule_hrtimeout_range(HRTIMER_MODE_ABS) — the one place a system call
 * sleeps: until a wake-up, or the absolute deadline (virtual ns; null: none). Returns why it
 * woke. A deadline already past does not sleep: 'timeout' at once (an absolute hrtimer in the
 * past fires at once). `queued` is the entry the caller prepared (or null): if the call is
 * abandoned here, it is unqueued (finish_wait), since the caller will never run again.
 */
export function* schedule(
  t: Thread,
  deadline: number | null,
  queued: WaitEntry | null = null,
): SysGen<WakeReason> {
  if (deadline !== null && !(deadline > t.k.now)) return 'timeout';
  // Linux: __schedule's signal_pending_state — an interruptible sleeper with a signal pending
  // does not sleep.
  if (t.sigpending) return 'signal';
  let reason: WakeReason | undefined;
  try {
    reason = yield { deadline };
  } finally {
    // Abandoned (Kernel.abortBlocked unwinds the generator from the yield): clean up here.
    if (reason === undefined && queued !== null) finishWait(t, queued);
  }
  return reason;
}

/**
 * One turn of wait_event_interruptible*: prepare_to_wait on `q`, schedule, finish_wait. The
 * caller loops and re-checks its condition, as Linux's wait_event does. The entry's wake
 * function is autoremove_wake_function unless the caller's object has its own
 * (receiver_wake_function, ep_autoremove_wake_function).
 */
export function* sleepOn(
  t: Thread,
  q: WaitQueueHead,
  mode: WaitMode,
  deadline: number | null = null,
  kind: WakeFunctionKind = 'autoremove_wake_function',
): SysGen<WakeReason> {
  const e = newWaitEntry(t.k, kind, t);
  prepareToWait(t, q, e, mode);
  const reason = yield* schedule(t, deadline, e);
  finishWait(t, e);
  return reason;
}

/** Sleep with no queue at all until the deadline (Linux: hrtimer_nanosleep's do_nanosleep). */
export function* sleepUntil(t: Thread, deadline: number): SysGen<WakeReason> {
  return yield* schedule(t, deadline);
}

/**
 * Not Linux (C calls always return): hold `held` across a call that may sleep and release it
 * when the call ends, however it ends — Linux's fdget … fdput, poll_initwait … poll_freewait.
 * Runs body(t, held, arg); if it finishes without sleeping (or throws), releases now and
 * returns (or rethrows); if it must sleep, returns a continuation that releases when it
 * returns, throws or is abandoned (Kernel.abortBlocked: deadlock, teardown). A call that does
 * not sleep creates no generator and, with a module-level body and release, no closure.
 */
export function holdAcrossSleep<H, A, T>(
  t: Thread,
  held: H,
  release: (t: Thread, held: H) => void,
  body: (t: Thread, held: H, arg: A) => MaySleep<T>,
  arg: A,
): MaySleep<T> {
  let r: MaySleep<T>;
  try {
    r = body(t, held, arg);
  } catch (e) {
    release(t, held);
    throw e;
  }
  if (mustSleep(r)) return releaseAfterSleep(t, held, release, r);
  release(t, held);
  return r;
}

function* releaseAfterSleep<H, T>(
  t: Thread,
  held: H,
  release: (t: Thread, held: H) => void,
  r: SysGen<T>,
): SysGen<T> {
  try {
    return yield* r;
  } finally {
    release(t, held);
  }
}
