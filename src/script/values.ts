// Plain values of the script format (script-format.md): JSON, descriptors as scripts write them,
// payloads and their byte encodings. Shared by the parser, the runner, the comparator and record.

/** A JSON value, as scripts and results are written. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** A descriptor as a script writes it: a bound name (without its `$`) or a number. */
export type FdRef = string | number;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Bytes as the format writes them: one character per byte, U+0000–U+00FF (Latin-1). */
export function bytesToLatin1(bytes: Uint8Array): string {
  let s = '';
  // Chunked: String.fromCharCode(...bytes) overflows the argument limit on large reads.
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** The inverse of bytesToLatin1; null when a character is above U+00FF. */
export function latin1ToBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return null;
    out[i] = c;
  }
  return out;
}

const U64_LIMIT = 1n << 64n;

/**
 * Decode a payload (`write`'s argument, or an expected `data`): a Latin-1 string, `{hex}`,
 * `{u64}` (8 bytes little-endian) or `{fill, len}`. Throws an Error naming the problem.
 */
export function decodePayload(v: unknown): Uint8Array {
  if (typeof v === 'string') {
    const bytes = latin1ToBytes(v);
    if (bytes === null) {
      const at = [...v].findIndex((ch) => (ch.codePointAt(0) ?? 0) > 0xff);
      const cp = (v.codePointAt(at) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      throw new Error(`character U+${cp} at position ${at} is not a byte (payload strings are Latin-1)`);
    }
    return bytes;
  }
  if (!isObject(v)) {
    throw new Error(`expected a payload (a string, {"hex"}, {"u64"} or {"fill", "len"}), got ${show(v)}`);
  }
  const keys = Object.keys(v).sort().join(',');
  if (keys === 'hex') {
    const hex = v.hex;
    if (typeof hex !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(hex)) {
      throw new Error(`"hex" must be a string of hex digit pairs, got ${show(hex)}`);
    }
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  if (keys === 'u64') {
    const raw = v.u64;
    let n: bigint;
    if (typeof raw === 'string' && /^\d+$/.test(raw)) n = BigInt(raw);
    else if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) n = BigInt(raw);
    else if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) {
      throw new Error(`"u64" ${raw} is above 2^53 and lost precision in JSON: write it as a decimal string`);
    } else throw new Error(`"u64" must be a non-negative integer or a decimal string, got ${show(raw)}`);
    if (n >= U64_LIMIT) throw new Error(`"u64" ${n} does not fit in 64 bits`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, n, true);
    return out;
  }
  if (keys === 'fill,len') {
    const { fill, len } = v;
    if (typeof fill !== 'string' || fill.length === 0) {
      throw new Error(`"fill" must be a non-empty string, got ${show(fill)}`);
    }
    const unit = latin1ToBytes(fill);
    if (unit === null) throw new Error(`"fill" ${show(fill)} has a character above U+00FF`);
    if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 0 || len > MAX_PAYLOAD) {
      throw new Error(`"len" must be an integer from 0 to ${MAX_PAYLOAD}, got ${show(len)}`);
    }
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = unit[i % unit.length];
    return out;
  }
  throw new Error(`unknown payload form with keys {${keys}} (expected "hex", "u64", or "fill" and "len")`);
}

/** A generous bound: the largest pipe is 1 MiB; a bigger payload is a typo, not a test. */
const MAX_PAYLOAD = 64 * 1024 * 1024;

const SHOW_MAX = 60;

/** A value for an error message: JSON, cut short. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = jsonPrefix(v, SHOW_MAX);
  return s.length > SHOW_MAX ? `${s.slice(0, SHOW_MAX - 3)}...` : s;
}

/**
 * JSON.stringify(v), or its first `max` characters and a few more: the walk stops once it has
 * that many, so a value nested thousands deep (a hostile script) costs a few frames, not the stack.
 */
function jsonPrefix(v: unknown, max: number): string {
  let out = '';
  const walk = (x: unknown, inArray: boolean): void => {
    if (out.length > max) return;
    if (Array.isArray(x)) {
      out += '[';
      for (let i = 0; i < x.length && out.length <= max; i++) {
        if (i > 0) out += ',';
        walk(x[i], true);
      }
      out += ']';
    } else if (x !== null && typeof x === 'object') {
      out += '{';
      let first = true;
      for (const [k, e] of Object.entries(x)) {
        if (out.length > max) break;
        if (e === undefined || typeof e === 'function' || typeof e === 'symbol') continue;
        out += `${first ? '' : ','}${JSON.stringify(k)}:`;
        first = false;
        walk(e, false);
      }
      out += '}';
    } else if (x === undefined || typeof x === 'function' || typeof x === 'symbol') {
      out += inArray ? 'null' : String(x);
    } else out += typeof x === 'bigint' ? String(x) : JSON.stringify(x);
  };
  walk(v, false);
  return out;
}
