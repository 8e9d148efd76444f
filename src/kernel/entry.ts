// The way back to user space after a system call (Linux: kernel/entry/common.c
// exit_to_user_mode_loop → arch/x86/kernel/signal.c arch_do_signal_or_restart → kernel/signal.c
// get_signal, then handle_signal / signal_delivered, and the handler's rt_sigreturn).
//
// It runs after every call of a thread whose TIF_SIGPENDING is set (the only test the hot path
// pays), and for a thread idle in user code right after the call that signalled it. While the
// flag is set it dequeues a signal (get_signal: private before shared, synchronous first, then
// the lowest number); an ignored one is dropped; a default action ends or stops the process;
// a handler is "run": its counter goes up, its frame saves the mask to restore (saved_sigmask
// after a p* call, else blocked), and blocked |= sa_mask | sig (unless SA_NODEFER) while it runs.
// Handlers nest as Linux's frames do: every signal deliverable under the current mask gets a
// frame before any handler runs; then the innermost returns (rt_sigreturn restores its frame's
// mask), which may make another signal deliverable, and so on until no frame is left.
//
// The first decision about the interrupted call is made by the first signal handled or, if none
// is, by the "no handler" path (arch_do_signal_or_restart):
//   with a handler: ERESTARTNOHAND, ERESTART_RESTARTBLOCK → EINTR; ERESTARTSYS → restart under
//   SA_RESTART, else EINTR; ERESTARTNOINTR → restart.
//   without one: every ERESTART* restarts (ERESTART_RESTARTBLOCK through the thread's restart
//   block, which keeps nanosleep's and poll's absolute deadline), then restore_saved_sigmask.
// "Restart" runs the call's body again from its start, with the arguments as they are in user
// memory then (select reads back the timeout it wrote). The internal codes never reach the API.

import { signalName } from '../abi/signal.ts';
import type { ProcessKilled } from '../api/backend.ts';
import type { SysResult } from '../api/syscalls.ts';
import { ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS } from './errors.ts';
import type { MaySleep, Thread } from './sched.ts';
import {
  dequeueSignal,
  doGroupExit,
  type KSigaction,
  restoreSavedSigmask,
  SA,
  SIG,
  type SigSet,
  setCurrentBlocked,
  setCurrentBlockedUser,
  sigKernelIgnore,
  sigKernelStop,
  sigmask,
} from './signal.ts';

/** A body that makes the call again (the call's own, or its restart block). */
export type CallBody = () => MaySleep<unknown>;

/** What the way back to user space made of a call. */
export type ExitOutcome =
  | { readonly kind: 'return'; readonly value: unknown }
  | { readonly kind: 'restart'; readonly body: CallBody }
  | { readonly kind: 'killed'; readonly error: ProcessKilled };

/**
 * Linux: is_current_pgrp_orphaned. The Linux backend runs a script's process in a session of its
 * own (setsid), so its process group has no parent in another group of the session: orphaned.
 * get_signal then discards SIGTSTP, SIGTTIN and SIGTTOU at SIG_DFL instead of stopping.
 */
const CURRENT_PGRP_ORPHANED = true;

/** A signal get_signal picked for a handler, with the action as it was when dequeued. */
interface KSignal {
  readonly sig: number;
  readonly ka: KSigaction;
}

/**
 * Linux: get_signal — dequeue until a signal to run a handler for; null when none is left (or
 * the process died or stopped: its default action was taken here).
 */
function getSignal(t: Thread): KSignal | null {
  const signal = t.proc.signal;
  for (;;) {
    if (signal.killed !== null) return null;
    const info = dequeueSignal(t, t.blocked);
    if (info === null) return null;
    const sig = info.signo;
    const ka = signal.action[sig];
    if (ka.handler === 'SIG_IGN') continue;
    if (ka.handler !== 'SIG_DFL') {
      const taken = { ...ka };
      // Linux: SA_ONESHOT (SA_RESETHAND) — the handler runs once, then the default is back.
      if (ka.flags & SA.SA_RESETHAND) signal.action[sig] = { ...ka, handler: 'SIG_DFL' };
      return { sig, ka: taken };
    }
    // The default action.
    if (sigKernelIgnore(sig)) continue;
    if (sigKernelStop(sig)) {
      if (sig !== SIG.SIGSTOP && CURRENT_PGRP_ORPHANED) continue;
      doGroupExit(t.proc, sig, 'stop');
      return null;
    }
    // Linux: do_coredump (for the core signals), then do_group_exit.
    doGroupExit(t.proc, sig);
    return null;
  }
}

/** The internal restart code a call's result carries, or 0. */
function restartCode(value: unknown): number {
  if (typeof value !== 'object' || value === null || !('errno' in value)) return 0;
  switch ((value as { errno: string }).errno) {
    case 'ERESTARTSYS':
      return ERESTARTSYS;
    case 'ERESTARTNOINTR':
      return ERESTARTNOINTR;
    case 'ERESTARTNOHAND':
      return ERESTARTNOHAND;
    case 'ERESTART_RESTARTBLOCK':
      return ERESTART_RESTARTBLOCK;
    default:
      return 0;
  }
}

const EINTR_RESULT: SysResult = { errno: 'EINTR' };

/**
 * Linux: exit_to_user_mode_loop's signal work, for a thread returning from a call (`value` its
 * result, `call` the body that made it) or idle in user code (`call` null).
 */
export function exitToUserMode(t: Thread, value: unknown, call: CallBody | null): ExitOutcome {
  const signal = t.proc.signal;
  // The interrupted call's fate: 0 once decided (or none), else the internal code to decide on.
  let code = call === null ? 0 : restartCode(value);
  let restart: CallBody | null = null;
  // The masks the handlers' frames will restore, outermost first (Linux: uc_mcontext's sigmask).
  const frames: SigSet[] = [];
  for (;;) {
    while (t.sigpending && signal.killed === null) {
      const ksig = getSignal(t);
      if (ksig !== null) {
        // Linux: handle_signal — the restart decision with a handler.
        if (code !== 0) {
          if (code === ERESTARTNOINTR || (code === ERESTARTSYS && ksig.ka.flags & SA.SA_RESTART))
            restart = call;
          else {
            value = EINTR_RESULT;
            t.k.emit?.({
              type: 'errno',
              errno: 'EINTR',
              fn: 'handle_signal',
              why: `a handler ran for ${signalName(ksig.sig)}: ${code === ERESTARTSYS ? '-ERESTARTSYS without SA_RESTART' : code === ERESTARTNOHAND ? '-ERESTARTNOHAND' : '-ERESTART_RESTARTBLOCK'} becomes EINTR`,
            });
          }
          code = 0;
        }
        // Linux: setup_rt_frame's sigmask_to_save, then signal_delivered (clear_restore_sigmask).
        frames.push(t.restoreSigmask ? t.savedSigmask : t.blocked);
        t.restoreSigmask = false;
        signal.caught[ksig.sig]++;
        let blocked = t.blocked | ksig.ka.mask;
        if (!(ksig.ka.flags & SA.SA_NODEFER)) blocked |= sigmask(ksig.sig);
        setCurrentBlocked(t, blocked);
      } else {
        // Linux: arch_do_signal_or_restart with no handler to run: restart, and the saved mask back.
        if (code !== 0) {
          restart = code === ERESTART_RESTARTBLOCK ? t.restartBlock : call;
          code = 0;
        }
        restoreSavedSigmask(t);
      }
    }
    if (signal.killed !== null) return { kind: 'killed', error: signal.killed };
    const frame = frames.pop();
    if (frame === undefined) break;
    // The innermost handler returns. Linux: rt_sigreturn → restore_sigcontext (orig_ax = -1:
    // no restart of its own) → set_current_blocked.
    setCurrentBlockedUser(t, frame);
  }
  if (restart !== null) return { kind: 'restart', body: restart };
  return { kind: 'return', value };
}
