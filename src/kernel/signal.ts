// Signals (Linux: kernel/signal.c): pending sets, dispositions, sending and dequeueing.
//
// State, as Linux splits it:
//   - per thread (task_struct): `blocked`, `saved_sigmask` with TIF_RESTORE_SIGMASK, the private
//     `pending` queue (tgkill), and TIF_SIGPENDING — "this thread has something to look at on its
//     way back to user space". The flag is the only thing hot paths test (Thread.sigpending).
//   - per process, in signal_struct and sighand_struct (one object here: SignalStruct): the shared
//     pending queue (kill), curr_target (where complete_signal's walk starts), the 64 actions, the
//     signalfd wait queue, and the count of runs of the `catch` handler per signal.
//
// A signal set is a bigint, bit sig − 1 (sigset_t). Standard signals (1 … 31) pend at most once
// (legacy_queue); real-time ones (32 … 64) queue every instance. Not modelled: RLIMIT_SIGPENDING
// (Linux drops a real-time signal with EAGAIN past it; a script never sends that many), siginfo
// beyond signo/code/pid/uid, ptrace, job control beyond what a script's orphaned process group
// sees, sigaltstack.
//
// Sending (send_signal_locked): prepare_signal discards what the target ignores and does the
// SIGCONT / stop-signal flushing; the signal is queued; signalfd readers are woken; complete_signal
// picks a thread that wants it and signal_wake_up sets its TIF_SIGPENDING and wakes it if it
// sleeps interruptibly. Delivery happens on the way back to user space: src/kernel/entry.ts.

import { type DefaultAction, defaultAction, NSIG, SA, SIG, SIG_HOW, SIGRTMIN } from '../abi/signal.ts';
import { ProcessKilled } from '../api/backend.ts';
import type { SigHandler, SysResult } from '../api/syscalls.ts';
import { ERRNO, errWhy, toResult } from './errors.ts';
import type { Kernel } from './kernel.ts';
import type { Process } from './proc.ts';
import { type Thread, wakeThread } from './sched.ts';
import {
  newWaitQueue,
  snapshotWaitQueue,
  type WaitQueueHead,
  type WaitQueueSnapshot,
  waitqueueActive,
  wakeUp,
} from './waitqueue.ts';

// The ABI's numbers (signals, SA_*, SIG_BLOCK …) are data in src/abi/signal.ts, shared with the
// script layer and the Linux backend; re-exported here for the kernel's modules and tests.
export { NSIG, SA, SIG, SIGRTMIN };
export const { SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK } = SIG_HOW;

// Linux: include/uapi/asm-generic/siginfo.h — who sent it: kill (SI_USER), tkill/tgkill (SI_TKILL).
export const SI_USER = 0;
export const SI_TKILL = -6;

/** A signal set (sigset_t): bit sig − 1. */
export type SigSet = bigint;

/** Linux: sigmask(sig). */
export function sigmask(sig: number): SigSet {
  return 1n << BigInt(sig - 1);
}

/** Linux: sigismember. */
export function sigismember(set: SigSet, sig: number): boolean {
  return (set & sigmask(sig)) !== 0n;
}

/** The API's list of signals (ascending) as a sigset. */
export function sigsetOf(list: readonly number[]): SigSet {
  let set = 0n;
  for (const sig of list) set |= sigmask(sig);
  return set;
}

/** A sigset as the API's ascending list. */
export function sigsetList(set: SigSet): number[] {
  const out: number[] = [];
  for (let sig = 1; set !== 0n; sig++, set >>= 1n) if (set & 1n) out.push(sig);
  return out;
}

/** Every signal (Linux: a full sigset_t). */
export const ALL_SIGNALS: SigSet = (1n << BigInt(NSIG)) - 1n;
/** SIGKILL and SIGSTOP: never blocked, caught or ignored (Linux: sig_kernel_only). */
export const KERNEL_ONLY: SigSet = sigmask(SIG.SIGKILL) | sigmask(SIG.SIGSTOP);
// Linux: SIG_KERNEL_STOP_MASK, SIG_KERNEL_IGNORE_MASK, SIG_KERNEL_COREDUMP_MASK (from the ABI's
// default actions: one table), SYNCHRONOUS_MASK.
const standardWith = (action: DefaultAction): SigSet =>
  sigsetOf(Object.values(SIG).filter((sig) => defaultAction(sig) === action));
const STOP_MASK: SigSet = standardWith('stop');
const IGNORE_MASK: SigSet = standardWith('ign') | standardWith('cont');
const COREDUMP_MASK: SigSet = standardWith('core');
const SYNCHRONOUS_MASK: SigSet = sigsetOf([
  SIG.SIGSEGV,
  SIG.SIGBUS,
  SIG.SIGILL,
  SIG.SIGTRAP,
  SIG.SIGFPE,
  SIG.SIGSYS,
]);

/** Linux: sig_kernel_stop, sig_kernel_ignore, sig_kernel_coredump (standard signals only). */
export function sigKernelStop(sig: number): boolean {
  return sig < SIGRTMIN && sigismember(STOP_MASK, sig);
}
export function sigKernelIgnore(sig: number): boolean {
  return sig < SIGRTMIN && sigismember(IGNORE_MASK, sig);
}
export function sigKernelCoredump(sig: number): boolean {
  return sig < SIGRTMIN && sigismember(COREDUMP_MASK, sig);
}

/** Linux: struct sigqueue's siginfo, the fields the model fills. */
export interface SigQueue {
  readonly signo: number;
  /** SI_USER (kill) or SI_TKILL (tgkill). */
  readonly code: number;
  /** The sender's pid (its thread group id). */
  readonly pid: number;
  /** The sender's real uid: 0, the only user the model has. */
  readonly uid: number;
}

/** Linux: struct sigpending — the queued siginfos in arrival order, and the set of their signals. */
export class SigPending {
  readonly list: SigQueue[] = [];
  /** Linux: .signal. The signals with at least one entry in `list`. */
  signal: SigSet = 0n;
}

/** Linux: struct k_sigaction, the part the model has. */
export interface KSigaction {
  handler: SigHandler;
  /** sa_flags as given (SA_RESTART, SA_NODEFER, SA_RESETHAND act; the rest are kept). */
  flags: number;
  /** sa_mask, without SIGKILL and SIGSTOP. */
  mask: SigSet;
}

/**
 * Linux: signal_struct and sighand_struct together (a process's threads share both; nothing in
 * the model makes them differ).
 */
export class SignalStruct {
  /** Linux: signal_struct.shared_pending — process-directed signals (kill). */
  readonly sharedPending = new SigPending();
  /** Linux: signal_struct.curr_target — where complete_signal's walk for a thread starts. */
  currTarget: Thread | null = null;
  /** Linux: sighand_struct.action[sig − 1], here by sig (index 0 unused). */
  readonly action: KSigaction[] = [];
  /** Linux: sighand_struct.signalfd_wqh — woken on every signal sent (signalfd_notify). */
  readonly signalfdWqh: WaitQueueHead;
  /** Not Linux: the runs of the `catch` handler, by signal (ProcessHandle.caught). */
  readonly caught: number[] = new Array<number>(NSIG + 1).fill(0);
  /**
   * Linux: SIGNAL_GROUP_EXIT with its exit code (or the stop that a script's process cannot come
   * back from): set once, when the process dies or stops; every call rejects with it after.
   */
  killed: ProcessKilled | null = null;

  constructor(k: Kernel, pid: number) {
    for (let sig = 0; sig <= NSIG; sig++) this.action.push({ handler: 'SIG_DFL', flags: 0, mask: 0n });
    this.signalfdWqh = newWaitQueue(k, 'sighand.signalfd_wqh', pid);
  }
}

// ---- the thread's flag ----

/** Linux: PENDING(p, blocked) — something in `pending` not blocked. */
function hasPending(pending: SigPending, blocked: SigSet): boolean {
  return (pending.signal & ~blocked) !== 0n;
}

/** Linux: recalc_sigpending_tsk — set TIF_SIGPENDING if something is deliverable (never clears). */
function recalcSigpendingTsk(t: Thread): boolean {
  if (hasPending(t.pending, t.blocked) || hasPending(t.proc.signal.sharedPending, t.blocked)) {
    t.sigpending = true;
    return true;
  }
  return false;
}

/** Linux: recalc_sigpending — for the current thread: set or clear TIF_SIGPENDING. */
export function recalcSigpending(t: Thread): void {
  if (!recalcSigpendingTsk(t)) t.sigpending = false;
}

/**
 * Linux: signal_wake_up_state — set TIF_SIGPENDING and wake the thread if it sleeps
 * interruptibly (every sleep of the model is). A thread idle in user code takes the signal on
 * its next way back to user space: the kernel queues it to do so right after the current call.
 */
export function signalWakeUp(t: Thread): void {
  t.sigpending = true;
  if (t.state === 'blocked') wakeThread(t.k, t, 'signal');
  else if (t.call === null && t.k.current !== t && t.state === 'running') t.k.signalIdle.push(t);
}

// ---- sending ----

/** Linux: sig_handler_ignored — SIG_IGN, or SIG_DFL of a signal whose default is to ignore. */
function sigHandlerIgnored(handler: SigHandler, sig: number): boolean {
  return handler === 'SIG_IGN' || (handler === 'SIG_DFL' && sigKernelIgnore(sig));
}

/**
 * Linux: sig_ignored — a signal the target would ignore is dropped at once, unless the target
 * thread blocks it (it may change the disposition before unblocking). For a process-directed
 * signal the target is the thread kill found (the leader).
 */
function sigIgnored(t: Thread, sig: number): boolean {
  if (sigismember(t.blocked, sig)) return false;
  return sigHandlerIgnored(t.proc.signal.action[sig].handler, sig);
}

/** Linux: flush_sigqueue_mask — remove every signal of `mask` from `pending`. */
function flushSigqueueMask(mask: SigSet, pending: SigPending): void {
  if ((pending.signal & mask) === 0n) return;
  pending.signal &= ~mask;
  const kept = pending.list.filter((q) => !sigismember(mask, q.signo));
  pending.list.length = 0;
  pending.list.push(...kept);
}

/** Every thread of the process that has not ended, in creation order (Linux: for_each_thread). */
function liveThreads(p: Process): Thread[] {
  return [...p.threads.values()].filter((t) => t.state !== 'done');
}

/**
 * Linux: prepare_signal — a stop signal flushes pending SIGCONTs, SIGCONT flushes pending stop
 * signals (and would resume a stopped process: the model's stop is final); then false if the
 * signal is to be dropped as ignored.
 */
function prepareSignal(sig: number, p: Process, t: Thread): boolean {
  const signal = p.signal;
  if (sigKernelStop(sig)) {
    const flush = sigmask(SIG.SIGCONT);
    flushSigqueueMask(flush, signal.sharedPending);
    for (const th of liveThreads(p)) flushSigqueueMask(flush, th.pending);
  } else if (sig === SIG.SIGCONT) {
    flushSigqueueMask(STOP_MASK, signal.sharedPending);
    for (const th of liveThreads(p)) flushSigqueueMask(STOP_MASK, th.pending);
  }
  return !sigIgnored(t, sig);
}

/**
 * Linux: wants_signal — the thread does not block it, is not exiting, and is either on a CPU
 * (task_curr: here, the thread making the current call) or has no signal pending already.
 */
function wantsSignal(sig: number, t: Thread): boolean {
  if (sigismember(t.blocked, sig)) return false;
  if (t.state === 'done') return false;
  if (sig === SIG.SIGKILL) return true;
  return t.k.current === t || !t.sigpending;
}

/** Linux: sig_fatal — the default action kills (not ignore, not stop) and the handler is SIG_DFL. */
function sigFatal(p: Process, sig: number): boolean {
  return !sigKernelIgnore(sig) && !sigKernelStop(sig) && p.signal.action[sig].handler === 'SIG_DFL';
}

/**
 * Linux: complete_signal — choose the thread to wake: the target itself if it wants the signal;
 * for a process-directed signal, else the first thread that wants it walking from curr_target
 * (which then points there). A fatal signal that is not a core dump kills the process now.
 */
function completeSignal(sig: number, p: Process, target: Thread, shared: boolean): void {
  const signal = p.signal;
  let t: Thread;
  if (wantsSignal(sig, target)) t = target;
  else if (!shared) return;
  else {
    const threads = liveThreads(p);
    if (threads.length <= 1) return;
    let i = Math.max(0, threads.indexOf(signal.currTarget ?? target));
    const start = i;
    while (!wantsSignal(sig, threads[i])) {
      i = (i + 1) % threads.length;
      if (i === start) return;
    }
    t = threads[i];
    signal.currTarget = t;
  }
  // Linux: a fatal signal starts the group exit at once, unless it dumps core (the dump is taken
  // by the thread that dequeues it, in get_signal).
  if (sigFatal(p, sig) && signal.killed === null && !sigKernelCoredump(sig)) {
    doGroupExit(p, sig);
    return;
  }
  signalWakeUp(t);
}

/** Linux: legacy_queue — a standard signal already pending is not queued again. */
function legacyQueue(pending: SigPending, sig: number): boolean {
  return sig < SIGRTMIN && sigismember(pending.signal, sig);
}

/**
 * Linux: send_signal_locked / __send_signal_locked — process-directed (`shared`: kill; `t` is
 * then the leader) or to one thread (tgkill). The sender is always a thread of the same process
 * as `t`.
 */
export function sendSignal(
  sig: number,
  t: Thread,
  shared: boolean,
  sender: Thread,
  code: number = shared ? SI_USER : SI_TKILL,
): void {
  const p = t.proc;
  if (p.signal.killed !== null) return;
  if (!prepareSignal(sig, p, t)) return;
  const pending = shared ? p.signal.sharedPending : t.pending;
  if (legacyQueue(pending, sig)) return;
  // Not Linux: no RLIMIT_SIGPENDING, so a real-time signal is always queued.
  pending.list.push({ signo: sig, code, pid: sender.proc.pid, uid: 0 });
  pending.signal |= sigmask(sig);
  signalfdNotify(p);
  completeSignal(sig, p, t, shared);
}

/**
 * Linux: send_sig(sig, current, 0) — a signal the kernel sends the calling thread (SIGPIPE from
 * a write to a pipe or stream socket nobody reads), thread-directed, with SI_USER.
 */
export function sendSigToCurrent(sig: number, t: Thread): void {
  sendSignal(sig, t, false, t, SI_USER);
}

/** Linux: signalfd_notify — wake every signalfd reader and poller of process `p`. */
function signalfdNotify(p: Process): void {
  const q = p.signal.signalfdWqh;
  if (waitqueueActive(q)) wakeUp(p.k, q, 1, 0, 'signalfd_notify');
}

/**
 * Linux: do_group_exit for a fatal signal (and, not Linux, the end of a script's process on a
 * stop: nothing can continue it). Every thread's call is abandoned and rejects with
 * ProcessKilled, as every later call will; the files are closed (exit_files).
 */
export function doGroupExit(p: Process, sig: number, action?: 'term' | 'core' | 'stop'): void {
  const signal = p.signal;
  if (signal.killed !== null) return;
  const why = action ?? (sigKernelCoredump(sig) ? 'core' : 'term');
  const killed = new ProcessKilled(sig, why);
  signal.killed = killed;
  for (const t of p.threads.values()) {
    // Linux: SIGKILL made pending on every thread, each woken: the caller sees it on its way out.
    t.sigpending = true;
    const rec = t.call;
    if (rec === null) continue;
    t.call = null;
    t.state = 'done';
    rec.done = true;
    // Unwinds the body: its finally blocks unqueue its wait entries and drop its references.
    rec.gen.return(undefined);
    rec.reject?.(killed);
  }
  p.closeFiles();
}

/** Linux: check_kill_permission's valid_signal: 0 … 64 (0 only checks). */
function validSignal(sig: number): boolean {
  return sig >= 0 && sig <= NSIG;
}

const { EINVAL, ESRCH } = ERRNO;

/** Linux: kill(getpid(), sig) → kill_pid_info → group_send_sig_info to the leader. */
export function kernKill(t: Thread, sig: number): number {
  if (!validSignal(sig))
    return errWhy(t.k, -EINVAL, 'check_kill_permission', `signal ${sig} is not 0 … ${NSIG}`);
  if (sig === 0) return 0;
  sendSignal(sig, t.proc.leader(), true, t);
  return 0;
}

/** Linux: tgkill(getpid(), tid, sig) → do_tkill → do_send_specific. */
export function kernTgkill(t: Thread, tid: number, sig: number): number {
  if (tid <= 0) return errWhy(t.k, -EINVAL, 'do_tkill', `tid ${tid} is not positive`);
  const target = [...t.proc.threads.values()].find((th) => th.tid === tid && th.state !== 'done');
  if (target === undefined)
    return errWhy(t.k, -ESRCH, 'do_send_specific', `no thread ${tid} in this thread group`);
  if (!validSignal(sig))
    return errWhy(t.k, -EINVAL, 'check_kill_permission', `signal ${sig} is not 0 … ${NSIG}`);
  if (sig === 0) return 0;
  sendSignal(sig, target, false, t);
  return 0;
}

// ---- dequeueing ----

/** Linux: next_signal — synchronous signals first, then the lowest number. */
function nextSignal(pending: SigPending, mask: SigSet): number {
  let x = pending.signal & ~mask;
  if (x === 0n) return 0;
  if ((x & SYNCHRONOUS_MASK) !== 0n) x &= SYNCHRONOUS_MASK;
  let sig = 1;
  while ((x & 1n) === 0n) {
    x >>= 1n;
    sig++;
  }
  return sig;
}

/** Linux: __dequeue_signal / collect_signal — take the first entry of the next signal. */
function dequeueFrom(pending: SigPending, mask: SigSet): SigQueue | null {
  const sig = nextSignal(pending, mask);
  if (sig === 0) return null;
  const i = pending.list.findIndex((q) => q.signo === sig);
  const [info] = pending.list.splice(i, 1);
  // Linux: collect_signal — the bit stays while another instance (real-time) is queued.
  if (!pending.list.some((q) => q.signo === sig)) pending.signal &= ~sigmask(sig);
  return info;
}

/**
 * Linux: dequeue_signal — the next signal not in `mask`: the thread's own first, then the
 * process's; recalc_sigpending after. Also signalfd's read, with its own mask.
 */
export function dequeueSignal(t: Thread, mask: SigSet): SigQueue | null {
  const info = dequeueFrom(t.pending, mask) ?? dequeueFrom(t.proc.signal.sharedPending, mask);
  recalcSigpending(t);
  return info;
}

// ---- the mask ----

/**
 * Linux: retarget_shared_pending — shared signals the current thread has just blocked go to
 * another thread that does not block them (woken if it had nothing pending). Rarely reached in
 * the model: a thread that does not block a shared signal has mostly taken it already, since
 * every thread runs its way back to user space within the call that made a signal deliverable
 * (no test reaches it; it follows the source).
 */
function retargetSharedPending(t: Thread, which: SigSet): void {
  let retarget = t.proc.signal.sharedPending.signal & which;
  if (retarget === 0n) return;
  const threads = liveThreads(t.proc);
  const me = threads.indexOf(t);
  for (let n = 1; n < threads.length; n++) {
    const other = threads[(me + n) % threads.length];
    if ((retarget & ~other.blocked) === 0n) continue;
    retarget &= other.blocked;
    if (!other.sigpending) signalWakeUp(other);
    if (retarget === 0n) break;
  }
}

/** Linux: __set_current_blocked (its caller removes SIGKILL and SIGSTOP). */
export function setCurrentBlocked(t: Thread, newset: SigSet): void {
  if (t.sigpending && t.proc.threads.size > 1) retargetSharedPending(t, newset & ~t.blocked);
  t.blocked = newset;
  recalcSigpending(t);
}

/** Linux: set_current_blocked — without SIGKILL and SIGSTOP. */
export function setCurrentBlockedUser(t: Thread, newset: SigSet): void {
  setCurrentBlocked(t, newset & ~KERNEL_ONLY & ALL_SIGNALS);
}

/**
 * Linux: set_user_sigmask — a p* call's mask: the thread's own is saved (saved_sigmask,
 * TIF_RESTORE_SIGMASK) and the given one is in force until the call returns (or, if a signal
 * interrupted it, until that signal's delivery: restoreSavedSigmaskUnless).
 */
export function setUserSigmask(t: Thread, mask: readonly number[] | null): void {
  if (mask === null) return;
  t.restoreSigmask = true;
  t.savedSigmask = t.blocked;
  setCurrentBlockedUser(t, sigsetOf(mask));
}

/** Linux: restore_saved_sigmask. */
export function restoreSavedSigmask(t: Thread): void {
  if (t.restoreSigmask) {
    t.restoreSigmask = false;
    setCurrentBlocked(t, t.savedSigmask);
  }
}

/**
 * Linux: restore_saved_sigmask_unless — an interrupted p* call leaves its mask in force: the
 * signal is delivered under it, and the saved mask comes back with the handler's frame
 * (sigreturn) or, without a handler, at the end of the delivery.
 */
export function restoreSavedSigmaskUnless(t: Thread, interrupted: boolean): void {
  if (!interrupted) restoreSavedSigmask(t);
}

// ---- the calls ----

/** Linux: do_sigaction (rt_sigaction with an act and no oldact). */
export function kernSigaction(
  t: Thread,
  sig: number,
  handler: SigHandler,
  flags: number,
  mask: SigSet,
): number {
  if (sig < 1 || sig > NSIG) return errWhy(t.k, -EINVAL, 'do_sigaction', `signal ${sig} is not 1 … ${NSIG}`);
  if (sigismember(KERNEL_ONLY, sig))
    return errWhy(
      t.k,
      -EINVAL,
      'do_sigaction',
      `signal ${sig} (SIGKILL or SIGSTOP) cannot be caught or ignored`,
    );
  const p = t.proc;
  p.signal.action[sig] = { handler, flags: flags >>> 0, mask: mask & ~KERNEL_ONLY };
  // Linux: POSIX 3.3.1.3 — setting an ignoring disposition discards what is pending.
  if (sigHandlerIgnored(handler, sig)) {
    const m = sigmask(sig);
    flushSigqueueMask(m, p.signal.sharedPending);
    for (const th of liveThreads(p)) flushSigqueueMask(m, th.pending);
  }
  return 0;
}

/** Linux: rt_sigprocmask → sigprocmask. Returns the old mask or −errno. */
export function kernSigprocmask(t: Thread, how: number, set: SigSet | null): { ret: number; old: SigSet } {
  const old = t.blocked;
  if (set !== null) {
    const nset = set & ~KERNEL_ONLY;
    let newset: SigSet;
    if (how === SIG_BLOCK) newset = old | nset;
    else if (how === SIG_UNBLOCK) newset = old & ~nset;
    else if (how === SIG_SETMASK) newset = nset;
    else
      return {
        ret: errWhy(t.k, -EINVAL, 'sigprocmask', `how ${how} is not SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK`),
        old,
      };
    setCurrentBlocked(t, newset);
  }
  return { ret: 0, old };
}

/** Linux: do_sigpending — (private ∪ shared) ∩ blocked. */
export function kernSigpending(t: Thread): SigSet {
  return (t.pending.signal | t.proc.signal.sharedPending.signal) & t.blocked;
}

/** rt_sigaction(2) with an act (the old one is not asked for). */
export function sys_rt_sigaction(
  t: Thread,
  sig: number,
  handler: SigHandler,
  flags: number,
  mask: readonly number[],
): SysResult {
  return toResult(kernSigaction(t, sig, handler, flags, sigsetOf(mask)));
}

/** rt_sigprocmask(2): the old mask always comes back (oset). */
export function sys_rt_sigprocmask(
  t: Thread,
  how: number,
  set: readonly number[] | null,
): SysResult<{ old: number[] }> {
  const r = kernSigprocmask(t, how, set === null ? null : sigsetOf(set));
  if (r.ret < 0) return toResult(r.ret) as SysResult<{ old: number[] }>;
  return { ret: 0, old: sigsetList(r.old) };
}

/** rt_sigpending(2). */
export function sys_rt_sigpending(t: Thread): SysResult<{ set: number[] }> {
  return { ret: 0, set: sigsetList(kernSigpending(t)) };
}

/** kill(2) to the caller's own process, kill(getpid(), sig). */
export function sys_kill(t: Thread, sig: number): SysResult {
  return toResult(kernKill(t, sig));
}

/** tgkill(2) within the caller's own process, tgkill(getpid(), tid, sig). */
export function sys_tgkill(t: Thread, tid: number, sig: number): SysResult {
  return toResult(kernTgkill(t, tid, sig));
}

/** The dispositions a script's process starts with: SIGPIPE ignored, the rest SIG_DFL. */
export function initScriptDispositions(p: Process): void {
  p.signal.action[SIG.SIGPIPE] = { handler: 'SIG_IGN', flags: 0, mask: 0n };
}

/** A process's signal state as plain JSON (snapshots): signals as numbers, threads by name. */
export interface ProcessSignalSnapshot {
  /** Linux: shared_pending, in queue order (a real-time signal once per instance). */
  sharedPending: number[];
  /** Linux: curr_target, by name (null until complete_signal first walks). */
  currTarget: string | null;
  /** The dispositions that are not SIG_DFL with no flags and no mask. */
  actions: { sig: number; handler: SigHandler; flags: number; mask: number[] }[];
  /** Runs of the `catch` handler, for the signals that have any. */
  caught: { sig: number; count: number }[];
  /** Linux: sighand->signalfd_wqh. */
  signalfdWqh: WaitQueueSnapshot;
  /** How the process ended or stopped, or null. */
  killed: { signal: number; action: 'term' | 'core' | 'stop' } | null;
}

/** A thread's signal state as plain JSON (snapshots). */
export interface ThreadSignalSnapshot {
  tid: number;
  blocked: number[];
  /** Linux: task_struct.pending, in queue order. */
  pending: number[];
  /** TIF_SIGPENDING. */
  sigpending: boolean;
  /** The mask a p* call in progress will restore (TIF_RESTORE_SIGMASK), or null. */
  savedSigmask: number[] | null;
}

export function snapshotSignal(p: Process): ProcessSignalSnapshot {
  const s = p.signal;
  const actions: ProcessSignalSnapshot['actions'] = [];
  for (let sig = 1; sig <= NSIG; sig++) {
    const a = s.action[sig];
    if (a.handler !== 'SIG_DFL' || a.flags !== 0 || a.mask !== 0n)
      actions.push({ sig, handler: a.handler, flags: a.flags, mask: sigsetList(a.mask) });
  }
  const caught: ProcessSignalSnapshot['caught'] = [];
  for (let sig = 1; sig <= NSIG; sig++) if (s.caught[sig] > 0) caught.push({ sig, count: s.caught[sig] });
  return {
    sharedPending: s.sharedPending.list.map((q) => q.signo),
    currTarget: s.currTarget?.name ?? null,
    actions,
    caught,
    signalfdWqh: snapshotWaitQueue(s.signalfdWqh),
    killed: s.killed === null ? null : { signal: s.killed.signal, action: s.killed.action },
  };
}

export function snapshotThreadSignal(t: Thread): ThreadSignalSnapshot {
  return {
    tid: t.tid,
    blocked: sigsetList(t.blocked),
    pending: t.pending.list.map((q) => q.signo),
    sigpending: t.sigpending,
    savedSigmask: t.restoreSigmask ? sigsetList(t.savedSigmask) : null,
  };
}
