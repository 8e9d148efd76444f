// Flag words: "EPOLLIN|EPOLLET" <-> numbers, in the script format's spelling (reference: script-format.md).

import {
  AF,
  CLOCK,
  EFD,
  EPOLL,
  EPOLL_CREATE,
  EPOLL_CTL,
  F,
  F_UNMODELLED,
  FD_CLOEXEC,
  IPPROTO,
  IPV6_OPT,
  MSG,
  O,
  POLL,
  SHUT,
  SO,
  SOCK,
  SOL,
  TCP_OPT,
  TFD,
  TFD_TIMER,
} from './constants.ts';
import { NSIG, SA, SFD, SIG_HOW, SIGNAL_NAMES, SIGRTMAX, SIGRTMIN } from './signal.ts';

/** The names a flag word may use, and their values. */
export type FlagTable = Readonly<Record<string, number>>;

/** The flag tables by argument kind, as the script format spells flag words. */
export const FLAG_TABLES = {
  epoll: EPOLL,
  poll: POLL,
  open: O,
  pipe: { O_NONBLOCK: O.O_NONBLOCK, O_CLOEXEC: O.O_CLOEXEC, O_DIRECT: O.O_DIRECT },
  sock: SOCK,
  efd: EFD,
  tfd: TFD,
  epollCreate: EPOLL_CREATE,
  ctl: EPOLL_CTL,
  shut: SHUT,
  af: { AF_UNIX: 1 },
  fcntl: { O_NONBLOCK: O.O_NONBLOCK },
  msg: MSG,
} as const satisfies Record<string, FlagTable>;

export type FlagTableName = keyof typeof FLAG_TABLES;

/**
 * Every table of Linux names the runner knows, for `ANY_NAME`: flag words, socket domains and
 * types, `how`, epoll ops, fcntl commands and their arguments, clock ids, timerfd flags, signals,
 * sigprocmask's `how`, SA_* and SFD_*. A new table of names belongs here.
 */
export const NAME_TABLES: Readonly<Record<string, FlagTable>> = {
  ...FLAG_TABLES,
  af: AF,
  clock: CLOCK,
  timerSet: TFD_TIMER,
  fcntlCmd: F,
  fcntlUnmodelled: F_UNMODELLED,
  fdFlags: { FD_CLOEXEC },
  signal: SIGNAL_NAMES,
  signalRt: realtimeSignalNames(),
  sa: SA,
  sigHow: SIG_HOW,
  sfd: SFD,
  ipproto: IPPROTO,
  sol: SOL,
  so: SO,
  tcp: TCP_OPT,
  ipv6: IPV6_OPT,
};

/**
 * Every name any table knows, with its value. The kernel receives only bits, so a script may put
 * any of them in any symbolic argument (script-format.md, "Arguments"): `epoll_create1("O_NONBLOCK")`
 * is a question the kernel answers (EINVAL), not a malformed script. A name means one value in
 * every table it is in; building the table throws if two disagree.
 */
export const ANY_NAME: FlagTable = mergeTables(NAME_TABLES);

/** "SIGRTMIN", "SIGRTMIN+1" … "SIGRTMIN+32" and "SIGRTMAX-32" … "SIGRTMAX" (kernel numbering). */
function realtimeSignalNames(): Record<string, number> {
  const out: Record<string, number> = {};
  for (let n = 0; n <= SIGRTMAX - SIGRTMIN; n++) {
    out[n === 0 ? 'SIGRTMIN' : `SIGRTMIN+${n}`] = SIGRTMIN + n;
    out[n === 0 ? 'SIGRTMAX' : `SIGRTMAX-${n}`] = NSIG - n;
  }
  return out;
}

function mergeTables(tables: Readonly<Record<string, FlagTable>>): FlagTable {
  const out: Record<string, number> = {};
  const from: Record<string, string> = {};
  for (const [kind, table] of Object.entries(tables)) {
    for (const [name, value] of Object.entries(table)) {
      if (Object.hasOwn(out, name) && out[name] >>> 0 !== value >>> 0)
        throw new Error(`${name} is ${out[name]} in table ${from[name]} but ${value} in table ${kind}`);
      out[name] = value;
      from[name] = kind;
    }
  }
  return out;
}

export class FlagError extends Error {
  override name = 'FlagError';
}

/** Parse a flag word: a number, "0", or names joined by "|" (hex "0x4000" also accepted). */
export function parseFlags(value: unknown, table: FlagTable): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new FlagError(`not an integer: ${value}`);
    return value;
  }
  if (typeof value !== 'string') throw new FlagError(`expected a flag word, got ${JSON.stringify(value)}`);
  let result = 0;
  for (const raw of value.split('|')) {
    const word = raw.trim();
    if (word === '') throw new FlagError(`empty name in flag word "${value}"`);
    if (/^(0x[0-9a-f]+|\d+)$/i.test(word)) {
      result = (result | Number(word)) >>> 0;
      continue;
    }
    // hasOwn: "constructor" or "toString" is no flag, whatever Object.prototype holds.
    const bit = Object.hasOwn(table, word) ? table[word] : undefined;
    if (bit === undefined) {
      throw new FlagError(`unknown flag "${word}" (expected one of ${Object.keys(table).join(', ')})`);
    }
    result = (result | bit) >>> 0;
  }
  return result;
}

/**
 * Format a mask as a flag word in ascending bit order: "EPOLLIN|EPOLLOUT", "0" when empty,
 * and a bit with no name in hex ("0x4000").
 */
export function formatMask(mask: number, table: FlagTable): string {
  mask >>>= 0;
  if (mask === 0) return '0';
  const names: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    const v = (2 ** bit) >>> 0;
    if ((mask & v) === 0) continue;
    const name = nameOfBit(table, v);
    names.push(name ?? `0x${v.toString(16)}`);
  }
  return names.join('|');
}

/** The name `table` gives `value` (`CLOCK_REALTIME` for 0 in CLOCK), or the number when none does. */
export function nameOf(value: number, table: FlagTable): string {
  for (const [name, v] of Object.entries(table)) if (v === value) return name;
  return String(value);
}

function nameOfBit(table: FlagTable, v: number): string | undefined {
  for (const [name, value] of Object.entries(table)) if (value >>> 0 === v) return name;
  return undefined;
}
