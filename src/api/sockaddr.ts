// Socket addresses as the API and the script format write them, and the struct sockaddr each one
// is: "@name" (an abstract AF_UNIX name), "" (an unnamed AF_UNIX socket), "127.0.0.1:8080"
// (sockaddr_in), "[::1]:8080" (sockaddr_in6) and "AF_UNSPEC" (a sockaddr with sa_family 0, which
// connect(2) reads as "dissolve the association"). Both backends parse with `parseSockaddr` and
// write with `formatSockaddr`, so an address means the same bytes on each.
//
// IPv6 is written as RFC 5952 writes it (lower case, the longest run of two or more zero groups
// as "::", the first such run on a tie) and a v4-mapped address as "::ffff:127.0.0.1", which is
// what inet_ntop gives. Scope ids and flow labels are outside the format: always 0.

import { AF } from '../abi/constants.ts';
import { Unsupported } from './syscalls.ts';

/** sockaddr_un with an abstract name, or with none (an unnamed socket: `name` null). */
export interface SockaddrUn {
  readonly family: typeof AF.AF_UNIX;
  /** The abstract name after its leading NUL, one byte per character; null: unnamed. */
  readonly name: string | null;
}

/** sockaddr_in. */
export interface SockaddrIn {
  readonly family: typeof AF.AF_INET;
  /** sin_addr as an unsigned 32-bit number in host order (127.0.0.1 is 0x7f000001). */
  readonly addr: number;
  /** sin_port in host order. */
  readonly port: number;
}

/** sockaddr_in6. */
export interface SockaddrIn6 {
  readonly family: typeof AF.AF_INET6;
  /** sin6_addr: 16 bytes in network order. */
  readonly addr: Uint8Array;
  readonly port: number;
}

/** A sockaddr whose sa_family is AF_UNSPEC (connect's "disconnect"). */
export interface SockaddrUnspec {
  readonly family: typeof AF.AF_UNSPEC;
}

export type Sockaddr = SockaddrUn | SockaddrIn | SockaddrIn6 | SockaddrUnspec;

/** Linux: INADDR_ANY, INADDR_LOOPBACK. */
export const INADDR_ANY = 0;
export const INADDR_LOOPBACK = 0x7f000001;

/**
 * The sockaddr an address string names, or throws Unsupported naming the call: a string that is
 * none of the forms above is not a question a program can ask (a path name for AF_UNIX is not
 * modelled).
 */
export function parseSockaddr(call: string, address: string): Sockaddr {
  const sa = trySockaddr(address);
  if (typeof sa === 'string') throw new Unsupported(call, `address ${JSON.stringify(address)}: ${sa}`);
  return sa;
}

/** The sockaddr, or why the string is not one (for the script parser's own message). */
export function trySockaddr(address: string): Sockaddr | string {
  if (address === 'AF_UNSPEC') return { family: AF.AF_UNSPEC };
  if (address === '') return { family: AF.AF_UNIX, name: null };
  if (address.startsWith('@')) {
    const name = address.slice(1);
    for (let i = 0; i < name.length; i++)
      if (name.charCodeAt(i) > 0xff) return 'an abstract name is bytes: characters up to U+00FF';
    return { family: AF.AF_UNIX, name };
  }
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0 || address[close + 1] !== ':') return 'an IPv6 address is written "[addr]:port"';
    const addr = parseIn6(address.slice(1, close));
    if (!addr) return `"${address.slice(1, close)}" is not an IPv6 address`;
    const port = parsePort(address.slice(close + 2));
    if (port < 0) return 'the port is not a number 0 … 65535';
    return { family: AF.AF_INET6, addr, port };
  }
  const colon = address.lastIndexOf(':');
  if (colon < 0) return 'expected "@name", "", "a.b.c.d:port", "[v6]:port" or "AF_UNSPEC"';
  const addr = parseIn4(address.slice(0, colon));
  if (addr < 0) return `"${address.slice(0, colon)}" is not a dotted-quad IPv4 address`;
  const port = parsePort(address.slice(colon + 1));
  if (port < 0) return 'the port is not a number 0 … 65535';
  return { family: AF.AF_INET, addr, port };
}

/** The address as the format writes it. */
export function formatSockaddr(sa: Sockaddr): string {
  switch (sa.family) {
    case AF.AF_UNSPEC:
      return 'AF_UNSPEC';
    case AF.AF_UNIX:
      return sa.name === null ? '' : `@${sa.name}`;
    case AF.AF_INET:
      return `${formatIn4(sa.addr)}:${sa.port}`;
    case AF.AF_INET6:
      return `[${formatIn6(sa.addr)}]:${sa.port}`;
  }
}

function parsePort(s: string): number {
  if (!/^\d{1,5}$/.test(s)) return -1;
  const port = Number(s);
  return port <= 0xffff ? port : -1;
}

/** A dotted quad as a host-order u32, or −1. */
export function parseIn4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return -1;
    v = v * 256 + Number(p);
  }
  return v;
}

export function formatIn4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** An IPv6 address in text (with "::" and a trailing dotted quad allowed) as 16 bytes, or null. */
export function parseIn6(s: string): Uint8Array | null {
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    // A trailing dotted quad is the last two groups.
    const v4 = parseIn4(s.slice(lastColon + 1));
    if (v4 < 0 || lastColon < 0) return null;
    text = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return null;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...rest];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Whether an IPv6 address is v4-mapped (::ffff:a.b.c.d). */
export function isV4Mapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** The IPv4 address inside a v4-mapped IPv6 one, host order. */
export function v4FromMapped(a: Uint8Array): number {
  return ((a[12] << 24) | (a[13] << 16) | (a[14] << 8) | a[15]) >>> 0;
}

/** ::ffff:a.b.c.d for an IPv4 address. */
export function mappedFromV4(v4: number): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out[12] = v4 >>> 24;
  out[13] = (v4 >>> 16) & 0xff;
  out[14] = (v4 >>> 8) & 0xff;
  out[15] = v4 & 0xff;
  return out;
}

/** RFC 5952 text, as inet_ntop writes it (v4-mapped with a dotted quad). */
export function formatIn6(a: Uint8Array): string {
  if (isV4Mapped(a)) return `::ffff:${formatIn4(v4FromMapped(a))}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((a[2 * i] << 8) | a[2 * i + 1]);
  // The longest run of zero groups, two or more long, the first on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (x: number[]): string => x.map((v) => v.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
