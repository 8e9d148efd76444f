// Compare a step's result with its `expect` (script-format.md, "Results"): only the keys `expect`
// lists; masks by value ("EPOLLOUT|EPOLLIN" = "EPOLLIN|EPOLLOUT" = "0x5"); descriptors by what
// they name (a name, or a number, that denotes the same descriptor matches); select's sets as
// sets; epoll events in order, or as a multiset under `unordered`; data byte for byte, whichever
// payload form `expect` uses; epoll `data` by value (7 = "7"); signal sets as sets and
// read_signalfd's signals in order, each by value ("SIGRTMIN" = 32); socket addresses by the
// sockaddr they name ("[0:0::1]:80" = "[::1]:80"), a port `*` matching only a port written `*`.

import { AF } from '../abi/constants.ts';
import { ANY_NAME, FLAG_TABLES, type FlagTable, parseFlags } from '../abi/flags.ts';
import { formatSockaddr, trySockaddr } from '../api/sockaddr.ts';
import type { ResultShape } from './calls.ts';
import { decodePayload, isObject, type Json, type JsonObject } from './values.ts';

/** How `matches` compares: the step's `unordered`, and what descriptor names denote. */
export interface CompareOptions {
  /** Compare epoll's `events` as a multiset (the step's `unordered`). */
  readonly unordered?: boolean;
  /**
   * The descriptor a name is bound to at the time of the comparison. Without it, descriptors
   * compare as written: "r" matches only "r".
   */
  readonly fdOf?: (name: string) => number | undefined;
}

/** The keys of `expect` that `actual` does not match, in `expect`'s order; empty when it matches. */
export function mismatchedKeys(
  expect: JsonObject,
  actual: JsonObject,
  shape: ResultShape,
  opts: CompareOptions = {},
): string[] {
  const bad: string[] = [];
  for (const [key, want] of Object.entries(expect)) {
    const got = actual[key];
    if (got === undefined || !sameValue(key, want, got, shape, opts)) bad.push(key);
  }
  return bad;
}

/** Whether `actual` matches every key `expect` lists (the format's comparison rules). */
export function matches(
  expect: JsonObject,
  actual: JsonObject,
  shape: ResultShape,
  opts: CompareOptions = {},
): boolean {
  return mismatchedKeys(expect, actual, shape, opts).length === 0;
}

function sameValue(key: string, want: Json, got: Json, shape: ResultShape, opts: CompareOptions): boolean {
  switch (key) {
    case 'ret':
      return shape === 'fd' ? sameFd(want, got, opts) : want === got;
    case 'fds':
      return sameList(want, got, (w, g) => sameFd(w, g, opts));
    case 'events':
      return sameEvents(want, got, opts.unordered === true);
    case 'revents':
      return sameList(want, got, (w, g) => sameMask(w, g, FLAG_TABLES.poll));
    case 'readfds':
    case 'writefds':
    case 'exceptfds':
      return sameFdSet(want, got, opts);
    case 'data':
      return sameBytes(want, got);
    case 'old':
      return shape === 'sigmask' ? sameSignals(want, got, true) : sameJson(want, got);
    case 'set':
      return sameSignals(want, got, true);
    case 'signals':
      return sameSignals(want, got, false);
    case 'address':
      return sameAddress(want, got);
    default:
      // ret-less scalars and structures compared as plain JSON: errno, timeout, old, value.
      return sameJson(want, got);
  }
}

/** Two flag words (or numbers) with the same value; false if either does not parse. */
export function sameMask(a: Json, b: Json, table: FlagTable): boolean {
  try {
    return parseFlags(a, table) >>> 0 === parseFlags(b, table) >>> 0;
  } catch {
    return false;
  }
}

/** Two descriptors as written (a name with or without `$`, or a number) that denote the same one. */
export function sameFd(a: Json, b: Json, opts: CompareOptions): boolean {
  const ka = fdKey(a, opts);
  return ka !== undefined && ka === fdKey(b, opts);
}

/** A descriptor's identity: its number where known, otherwise its name. */
function fdKey(v: Json, opts: CompareOptions): string | undefined {
  if (typeof v === 'number') return `#${v}`;
  if (typeof v !== 'string') return undefined;
  const name = v.startsWith('$') ? v.slice(1) : v;
  const n = opts.fdOf?.(name);
  return n === undefined ? `$${name}` : `#${n}`;
}

function sameList(want: Json, got: Json, same: (w: Json, g: Json) => boolean): boolean {
  if (!Array.isArray(want) || !Array.isArray(got) || want.length !== got.length) return false;
  return want.every((w, i) => same(w, got[i]));
}

/** select's sets: null only equals null; otherwise the same descriptors, in any order. */
function sameFdSet(want: Json, got: Json, opts: CompareOptions): boolean {
  if (want === null || got === null) return want === got;
  if (!Array.isArray(want) || !Array.isArray(got)) return false;
  const keys = (list: Json[]) => [...new Set(list.map((v) => fdKey(v, opts) ?? '?'))].sort();
  return sameJson(keys(want), keys(got));
}

function sameEvent(want: Json, got: Json): boolean {
  return (
    isObject(want) &&
    isObject(got) &&
    sameData(want.data as Json, got.data as Json) &&
    sameMask(want.events as Json, got.events as Json, FLAG_TABLES.epoll)
  );
}

function sameEvents(want: Json, got: Json, unordered: boolean): boolean {
  if (!unordered) return sameList(want, got, sameEvent);
  if (!Array.isArray(want) || !Array.isArray(got) || want.length !== got.length) return false;
  // A multiset match: each expected event takes one equal actual event not yet taken.
  const left = [...got];
  for (const w of want) {
    const i = left.findIndex((g) => sameEvent(w, g));
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return true;
}

/** epoll_data_t by value: an integer and the decimal string of the same value are equal. */
export function sameData(a: Json, b: Json): boolean {
  const x = u64Of(a);
  return x !== undefined && x === u64Of(b);
}

function u64Of(v: Json): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
  return typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : undefined;
}

/** Signals written as names or numbers; a set compares as a set, read_signalfd's list in order. */
function sameSignals(want: Json, got: Json, asSet: boolean): boolean {
  const numbers = (v: Json): number[] | undefined => {
    if (!Array.isArray(v)) return undefined;
    const out: number[] = [];
    for (const x of v) {
      if (typeof x !== 'number' && typeof x !== 'string') return undefined;
      try {
        out.push(parseFlags(x, ANY_NAME));
      } catch {
        return undefined;
      }
    }
    return asSet ? [...new Set(out)].sort((a, b) => a - b) : out;
  };
  const a = numbers(want);
  const b = numbers(got);
  return a !== undefined && b !== undefined && sameJson(a, b);
}

/**
 * Two addresses that name the same sockaddr. Results write a port the kernel chose as `*`
 * (run.ts, addressJson), so an expected `*` matches exactly that and a number only that number.
 */
export function sameAddress(want: Json, got: Json): boolean {
  if (want === null || got === null) return want === got;
  const key = (v: Json): string | undefined => {
    if (typeof v !== 'string') return undefined;
    const star = /:\*$/.test(v);
    const sa = trySockaddr(star ? v.replace(/:\*$/, ':0') : v);
    if (typeof sa === 'string') return undefined;
    const text = formatSockaddr(sa);
    return star && (sa.family === AF.AF_INET || sa.family === AF.AF_INET6) ? text.replace(/:0$/, ':*') : text;
  };
  const a = key(want);
  return a !== undefined && a === key(got);
}

/** `data` compares as bytes, so `{"fill": "x", "len": 3}` equals "xxx". */
function sameBytes(want: Json, got: Json): boolean {
  let a: Uint8Array;
  let b: Uint8Array;
  try {
    a = decodePayload(want);
    b = decodePayload(got);
  } catch {
    return false;
  }
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameJson(a[k], b[k] as Json));
  }
  return false;
}
