// Signals as data (x86-64): numbers and names, sigaction flags, sigprocmask's `how`, signalfd
// flags, default actions, and the name spelling scripts and results use ("SIGRTMIN+3").
// Source: arch/x86/include/uapi/asm/signal.h, include/uapi/asm-generic/signal-defs.h,
// include/uapi/linux/signalfd.h, kernel/signal.c (sig_kernel_* masks), signal(7).

import { O } from './constants.ts';

/** The classic signals, numbered as x86-64 numbers them (Linux: arch/x86/include/uapi/asm/signal.h). */
export const SIG = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

export type SignalName = keyof typeof SIG;

/**
 * The first real-time signal as the kernel numbers it (Linux: SIGRTMIN). glibc reserves 32 and 33
 * for itself and reports SIGRTMIN as 34; scripts and the API use the kernel's numbering.
 */
export const SIGRTMIN = 32;
/** The last signal (Linux: SIGRTMAX = _NSIG = 64 on x86-64). */
export const SIGRTMAX = 64;
/** The most signals a sigset_t holds (Linux: _NSIG). */
export const NSIG = 64;

/** sigaction's sa_flags (Linux: include/uapi/asm-generic/signal-defs.h, x86's SA_RESTORER). */
export const SA = {
  SA_NOCLDSTOP: 0x00000001,
  SA_NOCLDWAIT: 0x00000002,
  SA_SIGINFO: 0x00000004,
  SA_UNSUPPORTED: 0x00000400,
  SA_EXPOSE_TAGBITS: 0x00000800,
  SA_RESTORER: 0x04000000,
  SA_ONSTACK: 0x08000000,
  SA_RESTART: 0x10000000,
  SA_NODEFER: 0x40000000,
  SA_RESETHAND: 0x80000000,
} as const;

/** rt_sigprocmask's `how` (Linux: include/uapi/asm-generic/signal-defs.h). */
export const SIG_HOW = { SIG_BLOCK: 0, SIG_UNBLOCK: 1, SIG_SETMASK: 2 } as const;

/** signalfd4's flags (Linux: include/uapi/linux/signalfd.h): the O_ bits of the same meaning. */
export const SFD = { SFD_NONBLOCK: O.O_NONBLOCK, SFD_CLOEXEC: O.O_CLOEXEC } as const;

/** Linux: include/uapi/linux/signalfd.h — sizeof(struct signalfd_siginfo). */
export const SIGNALFD_SIGINFO_SIZE = 128;

/** What a signal does at SIG_DFL, as signal(7) names it. */
export type DefaultAction = 'term' | 'core' | 'ign' | 'stop' | 'cont';

// Linux: kernel/signal.c SIG_KERNEL_{COREDUMP,IGNORE,STOP}_MASK; every other signal below
// SIGRTMIN terminates, and so does every real-time signal.
const CORE: readonly number[] = [
  SIG.SIGQUIT,
  SIG.SIGILL,
  SIG.SIGTRAP,
  SIG.SIGABRT,
  SIG.SIGBUS,
  SIG.SIGFPE,
  SIG.SIGSEGV,
  SIG.SIGXCPU,
  SIG.SIGXFSZ,
  SIG.SIGSYS,
];
const IGNORE: readonly number[] = [SIG.SIGCHLD, SIG.SIGURG, SIG.SIGWINCH, SIG.SIGCONT];
const STOP: readonly number[] = [SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU];

/**
 * Linux: sig_kernel_coredump / sig_kernel_ignore / sig_kernel_stop — the default action of `sig`
 * (1 … 64). SIGCONT is 'cont': it resumes a stopped process and is otherwise ignored (the kernel's
 * SIG_KERNEL_IGNORE_MASK holds it).
 */
export function defaultAction(sig: number): DefaultAction {
  if (sig === SIG.SIGCONT) return 'cont';
  if (CORE.includes(sig)) return 'core';
  if (IGNORE.includes(sig)) return 'ign';
  if (STOP.includes(sig)) return 'stop';
  return 'term';
}

/** Linux: sig_kernel_only — SIGKILL and SIGSTOP cannot be caught, ignored or blocked. */
export function sigKernelOnly(sig: number): boolean {
  return sig === SIG.SIGKILL || sig === SIG.SIGSTOP;
}

/** Linux: valid_signal — 1 … _NSIG (0 is "no signal": kill(pid, 0) only checks). */
export function validSignal(sig: number): boolean {
  return Number.isInteger(sig) && sig >= 1 && sig <= NSIG;
}

const NAME_OF = new Map<number, string>(Object.entries(SIG).map(([name, n]) => [n, name]));

/**
 * The name results give signal `sig`: "SIGTERM", "SIGRTMIN", "SIGRTMIN+n" (n ≤ 16), "SIGRTMAX-n"
 * (n < 16), "SIGRTMAX"; the number as a string outside 1 … 64. Real-time names count from the
 * nearer end (SIGRTMIN+16 is 48, SIGRTMAX-15 is 49): the project's choice, in the kernel's
 * numbering. glibc's names (kill -l) count from its own SIGRTMIN, 34, so they differ.
 */
export function signalName(sig: number): string {
  const classic = NAME_OF.get(sig);
  if (classic !== undefined) return classic;
  if (!Number.isInteger(sig) || sig < SIGRTMIN || sig > SIGRTMAX) return String(sig);
  if (sig === SIGRTMIN) return 'SIGRTMIN';
  if (sig === SIGRTMAX) return 'SIGRTMAX';
  const fromMin = sig - SIGRTMIN;
  return fromMin <= (SIGRTMAX - SIGRTMIN) / 2 ? `SIGRTMIN+${fromMin}` : `SIGRTMAX-${SIGRTMAX - sig}`;
}

/**
 * The number a signal name stands for: a classic name (SIGIOT and SIGPOLL as their aliases),
 * "SIGRTMIN", "SIGRTMIN+n", "SIGRTMAX", "SIGRTMAX-n" within 32 … 64; undefined for any other.
 */
export function signalNumber(name: string): number | undefined {
  if (Object.hasOwn(SIG, name)) return SIG[name as SignalName];
  if (name === 'SIGIOT') return SIG.SIGABRT;
  if (name === 'SIGPOLL') return SIG.SIGIO;
  const m = /^SIGRT(MIN|MAX)(?:([+-])(\d{1,2}))?$/.exec(name);
  if (m === null) return undefined;
  const base = m[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
  if (m[2] === undefined) return base;
  // SIGRTMIN counts up, SIGRTMAX down: "SIGRTMIN-1" and "SIGRTMAX+1" name no real-time signal.
  if ((m[1] === 'MIN') !== (m[2] === '+')) return undefined;
  const n = base + (m[2] === '+' ? 1 : -1) * Number(m[3]);
  return n >= SIGRTMIN && n <= SIGRTMAX ? n : undefined;
}

/** Every classic signal name and its aliases, with values: the table flag words may name. */
export const SIGNAL_NAMES: Readonly<Record<string, number>> = {
  ...SIG,
  SIGIOT: SIG.SIGABRT,
  SIGPOLL: SIG.SIGIO,
  SIGRTMIN,
  SIGRTMAX,
};
