// The messages between a LinuxProcess (the runner's side, process.ts) and the script's child process
// (child.ts): one JSON object per line over a socketpair that sits among the child's high, runner-
// owned descriptors. Byte strings travel as `{ "$bytes": base64 }`, bigints (epoll data from 2^53
// up) as `{ "$u64": decimal }`.
//
// A child serves one run at a time, and may serve several in turn: `ready` opens its first run;
// `finish` ends a run (the leak check); `reset` makes the child into a fresh script process again
// for the next run (refused while a call has not returned), answered by `reset-done`, which opens
// that run, or `reset-refused`, after which the runner kills the child.

import { StringDecoder } from 'node:string_decoder';
import type { SyscallName } from '../api/syscalls.ts';

/** Every method of `Syscalls`, at run time (the child dispatches only these). */
export const SYSCALL_NAMES = [
  'pipe',
  'pipe2',
  'socketpair',
  'socket',
  'bind',
  'listen',
  'connect',
  'accept4',
  'shutdown',
  'eventfd',
  'open',
  'read',
  'write',
  'close',
  'dup',
  'dup2',
  'dup3',
  'fcntl',
  'ioctl_fionread',
  'epoll_create',
  'epoll_create1',
  'epoll_ctl',
  'epoll_wait',
  'epoll_pwait2',
  'poll',
  'select',
  'timerfd_create',
  'timerfd_settime',
  'timerfd_gettime',
  'sleep',
  'epoll_pwait',
  'ppoll',
  'pselect6',
  'sigaction',
  'sigprocmask',
  'sigpending',
  'kill',
  'tgkill',
  'gettid',
  'signalfd',
  'getsockname',
  'getpeername',
  'getsockopt',
  'setsockopt',
  'send',
  'recv',
  'sendto',
  'recvfrom',
  'ioctl_siocoutq',
  'ioctl_siocatmark',
] as const satisfies readonly SyscallName[];

// The list above is complete: a method added to Syscalls and not here fails to type-check.
type Missing = Exclude<SyscallName, (typeof SYSCALL_NAMES)[number]>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;

export function isSyscallName(name: string): name is SyscallName {
  return (SYSCALL_NAMES as readonly string[]).includes(name);
}

export type Wire = null | boolean | number | string | Wire[] | { [key: string]: Wire };

/** Encode a value for the channel: Uint8Array becomes `{ $bytes }`, the rest is JSON as is. */
export function toWire(value: unknown): Wire {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (typeof value === 'bigint') return { $u64: value.toString() };
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Wire } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  if (value === undefined) return null;
  return value as Wire;
}

export function fromWire(wire: Wire): unknown {
  if (Array.isArray(wire)) return wire.map(fromWire);
  if (wire !== null && typeof wire === 'object') {
    const bytes = wire.$bytes;
    if (typeof bytes === 'string' && Object.keys(wire).length === 1) {
      return new Uint8Array(Buffer.from(bytes, 'base64'));
    }
    const u64 = wire.$u64;
    if (typeof u64 === 'string' && Object.keys(wire).length === 1) return BigInt(u64);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(wire)) out[k] = fromWire(v);
    return out;
  }
  return wire;
}

/** What the child found when it set itself up for a run: in `ready`, then in each `reset-done`. */
export interface ChildInfo {
  pid: number;
  /** Which run of this child the info opens: 1 after start-up, n + 1 after the nth reset. */
  run: number;
  /** The runner's descriptors (Node's own, the channel) in the child: all in [fdBase, fdLimit). */
  reserved: number[];
  fdBase: number;
  fdLimit: number;
  /** The fd table's size, fdt->max_fds, as established and verified with select. */
  capacity: number;
  rlimitNofile: { soft: number; hard: number };
  /**
   * The network namespace the run's calls make their sockets in, described, when it is the run's
   * own with only loopback up (internet sockets allowed); null when the child could make none
   * (internet sockets refused).
   */
  network: string | null;
  /** Each check the child made on itself, in words. */
  checks: string[];
}

/** What the child found at the end of a run. */
export interface FinishReport {
  /** Descriptors the script still held, now closed. */
  closed: number[];
  /** Descriptors open that neither the script nor the runner accounts for. */
  leaked: { fd: number; target: string }[];
}

export type ToChild =
  | { kind: 'call'; id: number; thread: string; call: SyscallName; args: Wire[] }
  /** The thread id of script thread `thread`, made now if it does not exist yet. */
  | { kind: 'tid'; id: number; thread: string }
  /** How many times the catch handler has run for `sig` (a read of its counter). */
  | { kind: 'caught'; id: number; sig: number }
  | { kind: 'finish'; id: number }
  /** Start the next run: close every descriptor, check the process again, take `prefix` for names. */
  | { kind: 'reset'; id: number; prefix: string };

export type FromChild =
  | { kind: 'ready'; info: ChildInfo }
  | { kind: 'setup-failed'; message: string }
  | { kind: 'result'; id: number; result: Wire }
  | { kind: 'unsupported'; id: number; call: string; what: string }
  | { kind: 'error'; id: number; message: string }
  | { kind: 'finished'; id: number; report: FinishReport }
  | { kind: 'reset-done'; id: number; info: ChildInfo }
  /** The child cannot serve another run (a call has not returned, or a check failed): why. */
  | { kind: 'reset-refused'; id: number; message: string }
  | { kind: 'crash'; message: string };

/** Split a stream of bytes into lines, calling `onLine` for each complete one. */
export function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending = '';
  const decoder = new StringDecoder('utf8'); // a character may straddle two chunks
  return (chunk) => {
    pending += decoder.write(chunk);
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.length > 0) onLine(line);
      nl = pending.indexOf('\n');
    }
  };
}
