// Flag words: "EPOLLIN|EPOLLET" <-> numbers, in the script format's spelling (reference: script-format.md).

import { EFD, EPOLL, EPOLL_CREATE, EPOLL_CTL, O, POLL, SHUT, SOCK, TFD } from './constants.ts';

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
} as const satisfies Record<string, FlagTable>;

export type FlagTableName = keyof typeof FLAG_TABLES;

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
    const bit = table[word];
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
