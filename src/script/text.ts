// The text form of syscall scripts (docs/script-format.md, "The text form"): one call per line,
// written as the CLI prints calls, converting to and from the JSON form without loss.
//
//   name: level-triggered epoll reports unread data again
//   [r, w] = pipe2(O_NONBLOCK)
//   ep = epoll_create1(0)
//   epoll_ctl($ep, EPOLL_CTL_ADD, $r, {events: EPOLLIN, data: 7}) -> 0
//   @t1 epoll_wait($ep, 8, -1)
//   write($w, "hello") -> 5  # wakes t1
//   join(t1) -> {ret: 1, events: [{events: EPOLLIN, data: 7}]}
//
// Values are JSON with bare words: a string that reads as a word (`EPOLLIN|EPOLLET`, `$ep`,
// `@name`, `max+1`, `/dev/null`) needs no quotes; every other string keeps them ("0" is the string,
// 0 the integer), so strings, integers, null sets and payload forms come back exactly as written.
// Lossless means: JSON → text → JSON gives a deep-equal document for every document whose steps are
// objects with a `call` that is a word and whose `steps` is a list (anything a runner accepts);
// text → JSON → text gives the same text for text this module wrote. Comment lines (`#` at the
// start) are the one thing JSON has no place for: they are dropped.

import { CALLS, isCallName } from './calls.ts';
import { parseScript, parseScriptText, type Script, ScriptError } from './parse.ts';
import { isObject, type Json, type JsonObject } from './values.ts';

/** A text-form script that cannot be read: where (1-based line and column), and which step. */
export class TextFormError extends ScriptError {
  constructor(
    readonly line: number,
    readonly column: number,
    detail: string,
    step?: number,
    call?: string,
  ) {
    super(detail, step, call);
    this.message = `line ${line}, column ${column}: ${this.message}`;
  }
}

/** Which form a script file is in: by its extension (`.iomux`, `.json`), else by its first character. */
export function scriptFormatOf(fileName: string, text: string): 'json' | 'text' {
  if (/\.iomux$/i.test(fileName)) return 'text';
  if (/\.json$/i.test(fileName)) return 'json';
  return /^\s*\{/.test(text) ? 'json' : 'text';
}

/** Parse the text form into the JSON document it stands for; throws `TextFormError`. */
export function parseScriptTextForm(text: string): JsonObject {
  return new Reader(text).document().doc;
}

/**
 * Parse a script in either form (`scriptFormatOf`) and check it. For the text form a problem the
 * checker finds in a step is reported at the argument or expectation it names, else at the step.
 */
export function parseScriptSource(fileName: string, text: string): Script {
  if (scriptFormatOf(fileName, text) === 'json') {
    return parseScriptText(text);
  }
  const reader = new Reader(text);
  const { doc } = reader.document();
  try {
    return parseScript(doc);
  } catch (e) {
    const where = e instanceof ScriptError && e.step !== undefined ? reader.where[e.step] : undefined;
    if (!where) throw e;
    const err = e as ScriptError;
    // At the argument or the expectation the problem is in, else at the step's start.
    const arg = /^args\[(\d+)\]/.exec(err.detail);
    const at =
      (arg ? where.args[Number(arg[1])] : undefined) ??
      (/^expect\.|^"expect"/.test(err.detail) ? where.expect : undefined) ??
      where.start;
    const { line, column } = reader.position(at);
    throw new TextFormError(line, column, err.detail, err.step, err.call);
  }
}

/** The line (1-based) each step starts on, for an editor that marks steps. */
export function textFormStepLines(text: string): number[] {
  return new Reader(text).document().stepLines;
}

// ---- writing ----

/** Bare words: read back as the same string. */
const BARE = /^(?:[A-Za-z_$@/][A-Za-z0-9_$@|.+/-]*|0x[0-9A-Fa-f]+)$/;
const KEYWORDS = new Set(['null', 'true', 'false']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Thread and bound names (parse.ts's NAME). */
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const HEADER_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ERRNO = /^E[A-Z0-9]+$/;
const WIDTH = 100;

/** Write a script document in the text form; throws an Error for a document it cannot hold. */
export function formatScriptTextForm(doc: JsonObject): string {
  if (!isObject(doc)) throw new Error('a script is an object');
  const steps = doc.steps;
  if (!Array.isArray(steps)) throw new Error('the text form needs "steps" to be a list');
  const lines: string[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'steps') continue;
    const k = HEADER_KEY.test(key) ? key : JSON.stringify(key);
    if (typeof value === 'string' && plainText(value)) lines.push(...wrapHeader(`${k}:`, value));
    else lines.push(`${k}:: ${formatValue(value)}`);
  }
  if (lines.length > 0 && steps.length > 0) lines.push('');
  steps.forEach((step, i) => {
    lines.push(formatStep(step, i));
  });
  return `${lines.join('\n')}\n`;
}

/** A string a `key: text` header (or a `# note`) holds exactly. */
function plainText(s: string): boolean {
  return s.length > 0 && s === s.trim() && !/[\r\n\u2028\u2029]/.test(s);
}

/** `key: text`, broken at single spaces into indented continuation lines. */
function wrapHeader(head: string, text: string): string[] {
  const out: string[] = [];
  let line = head;
  let rest = text;
  while (line.length + 1 + rest.length > WIDTH) {
    // The last single space (between two non-spaces) that keeps the line within WIDTH.
    const room = WIDTH - line.length - 1;
    let at = -1;
    for (let i = Math.min(room, rest.length - 1); i > 0; i--) {
      if (rest[i] === ' ' && /\S/.test(rest[i - 1]) && /\S/.test(rest[i + 1] ?? '')) {
        at = i;
        break;
      }
    }
    if (at < 0) break;
    out.push(`${line} ${rest.slice(0, at)}`);
    line = ' ';
    rest = rest.slice(at + 1);
  }
  out.push(`${line} ${rest}`);
  return out;
}

function formatStep(step: Json, i: number): string {
  if (!isObject(step)) throw new Error(`step ${i}: the text form needs each step to be an object`);
  const call = step.call;
  if (typeof call !== 'string' || !IDENT.test(call))
    throw new Error(`step ${i}: the text form needs "call" to be a word, got ${JSON.stringify(call)}`);
  let head = '';
  const attrs: string[] = [];
  const done = new Set(['call']);
  if (typeof step.thread === 'string' && NAME.test(step.thread)) {
    head += `@${step.thread} `;
    done.add('thread');
  }
  const bind = step.bind;
  if (typeof bind === 'string' && NAME.test(bind) && !KEYWORDS.has(bind)) {
    head += `${bind} = `;
    done.add('bind');
  } else if (
    Array.isArray(bind) &&
    bind.length > 0 &&
    bind.every((n) => typeof n === 'string' && NAME.test(n) && !KEYWORDS.has(n))
  ) {
    head += `[${bind.join(', ')}] = `;
    done.add('bind');
  }
  head += call;
  if (Array.isArray(step.args)) {
    const specs = isCallName(call) ? CALLS[call].args : [];
    const args = step.args.map((a, j) => formatValue(a, specs[j]?.type.kind === 'payload'));
    head += `(${args.join(', ')})`;
    done.add('args');
  }
  if ('expect' in step) {
    const shown = expectShorthand(step.expect);
    if (shown !== undefined) {
      attrs.push(`-> ${shown}`);
      done.add('expect');
    }
  }
  if (step.unordered === true) {
    attrs.push('unordered');
    done.add('unordered');
  }
  let note = '';
  if (typeof step.note === 'string' && plainText(step.note)) {
    note = `  # ${step.note}`;
    done.add('note');
  }
  for (const [key, value] of Object.entries(step)) {
    if (done.has(key)) continue;
    attrs.push(`${IDENT.test(key) ? key : JSON.stringify(key)}=${formatValue(value)}`);
  }
  return `${[head, ...attrs].join(' ')}${note}`;
}

/** `-> EAGAIN` for `{errno}`, `-> 5` for `{ret: 5}`, else the object; undefined: not an object. */
function expectShorthand(v: Json): string | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'errno' && typeof v.errno === 'string' && ERRNO.test(v.errno))
    return v.errno;
  if (keys.length === 1 && keys[0] === 'ret' && Number.isInteger(v.ret) && !Object.is(v.ret, -0))
    return String(v.ret);
  return formatValue(v);
}

/** A value: JSON with bare words; `quote` keeps strings quoted (payloads and `data` are text). */
export function formatValue(v: Json, quote = false): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : JSON.stringify(v);
  if (typeof v === 'string') return !quote && BARE.test(v) && !KEYWORDS.has(v) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, quote)).join(', ')}]`;
  const entries = Object.entries(v).map(
    ([k, x]) => `${IDENT.test(k) ? k : JSON.stringify(k)}: ${formatValue(x, quote || k === 'data')}`,
  );
  return `{${entries.join(', ')}}`;
}

// ---- reading ----

/** Deeper than any script needs (parse.ts allows 64); keeps a hostile input off the stack's end. */
const DEPTH_MAX = 100;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z0-9_$@|.+/-]+/y;
const STRING = /"(?:[^"\\\n\r]|\\.)*"/y;
const HEADER = /([A-Za-z_][A-Za-z0-9_.-]*|"(?:[^"\\\n\r]|\\.)*")(::?)(?=[ \t\r\n]|$)/y;

class Reader {
  private pos = 0;
  private readonly lineStarts: number[] = [0];
  /** The step being read (its index and, once known, its call), for messages. */
  private step: number | undefined;
  private call: string | undefined;
  /** Where each step's parts start (offsets), for the checker's messages. */
  readonly where: StepWhere[] = [];

  constructor(private readonly src: string) {
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') this.lineStarts.push(i + 1);
  }

  document(): { doc: JsonObject; stepLines: number[] } {
    const doc: JsonObject = {};
    const steps: Json[] = [];
    const stepLines: number[] = [];
    const src = this.src;
    while (this.pos < src.length) {
      this.skipInline();
      const c = src[this.pos];
      if (c === undefined) break;
      if (c === '\n') {
        this.pos++;
        continue;
      }
      if (c === '#') {
        this.skipToEol();
        continue;
      }
      HEADER.lastIndex = this.pos;
      const h = HEADER.exec(src);
      if (h) {
        this.step = undefined;
        this.call = undefined;
        const keyAt = this.pos;
        const key = h[1].startsWith('"') ? this.jsonString(h[1], keyAt) : h[1];
        if (key === 'steps') this.fail('"steps" is not a header: write the steps as lines', keyAt);
        if (Object.hasOwn(doc, key)) this.fail(`header "${key}" is given twice`, keyAt);
        this.pos += h[0].length;
        const value = h[2] === '::' ? this.valueHeader() : this.textHeader();
        setKey(doc, key, value);
        continue;
      }
      this.step = steps.length;
      this.call = undefined;
      stepLines.push(this.lineOf(this.pos));
      this.where.push({ start: this.pos, args: [] });
      steps.push(this.stepLine(this.where[this.where.length - 1]));
    }
    setKey(doc, 'steps', steps);
    return { doc, stepLines };
  }

  // ---- headers ----

  private textHeader(): string {
    const parts = [this.restOfLine().trim()];
    // Continuation lines: the next lines that start with a space or tab and are not blank.
    while (this.pos < this.src.length) {
      const end = this.eol(this.pos);
      const line = this.src.slice(this.pos, end);
      if (!/^[ \t]/.test(line) || line.trim() === '') break;
      parts.push(line.trim());
      this.pos = Math.min(end + 1, this.src.length);
    }
    return parts.join(' ');
  }

  private valueHeader(): Json {
    this.skipInline();
    const v = this.value(0, false);
    this.endOfLine();
    return v;
  }

  // ---- steps ----

  private stepLine(where: StepWhere): JsonObject {
    const step: JsonObject = {};
    let thread: string | undefined;
    let bind: Json | undefined;
    if (this.src[this.pos] === '@') {
      const at = this.pos;
      this.pos++;
      const w = this.word();
      if (w === undefined || !NAME.test(w)) this.fail('expected a thread name after "@"', at + 1);
      thread = w;
      this.skipInline();
    }
    if (this.src[this.pos] === '[') {
      bind = this.value(0, false);
      this.skipInline();
      if (this.src[this.pos] !== '=') this.fail('expected "=" after the names to bind');
      this.pos++;
      this.skipInline();
    }
    const callAt = this.pos;
    let name = this.word();
    if (name === undefined) this.fail('expected a call (or a binding, "name = call(...)")');
    this.skipInline();
    if (bind === undefined && this.src[this.pos] === '=') {
      if (!NAME.test(name)) this.fail(`"${name}" is not a name to bind`, callAt);
      bind = name;
      this.pos++;
      this.skipInline();
      const at = this.pos;
      name = this.word();
      if (name === undefined) this.fail('expected a call after "="', at);
      this.skipInline();
    }
    if (!IDENT.test(name)) this.fail(`"${name}" is not a call name`, callAt);
    this.call = name;
    step.call = name;
    if (this.src[this.pos] === '(') {
      this.pos++;
      step.args = this.items(')', 0, name, where.args);
      this.skipInline();
    }
    if (bind !== undefined) step.bind = bind;
    if (thread !== undefined) step.thread = thread;
    const seen = new Set(Object.keys(step));
    const once = (key: string, at: number) => {
      if (seen.has(key)) this.fail(`"${key}" is given twice`, at);
      seen.add(key);
    };
    // After the call: `-> expect`, `unordered`, `key=value`, `# note`, in any order, then the line's end.
    for (;;) {
      this.skipInline();
      const at = this.pos;
      const c = this.src[at];
      if (c === undefined || c === '\n') break;
      if (c === '#') {
        once('note', at);
        this.pos++;
        step.note = this.restOfLine().trim();
        break;
      }
      if (this.src.startsWith('->', at)) {
        once('expect', at);
        this.pos += 2;
        this.skipInline();
        where.expect = this.pos;
        step.expect = this.expectation();
        continue;
      }
      let key: string | undefined;
      if (c === '"') key = this.stringToken();
      else key = this.word();
      if (key === undefined)
        this.fail('expected "->", "unordered", key=value, "# note" or the end of the line');
      if (this.src[this.pos] !== '=') {
        if (key === 'unordered' && c !== '"') {
          once('unordered', at);
          step.unordered = true;
          continue;
        }
        this.fail(`unexpected "${key}" (after the call: "->", "unordered", key=value or "# note")`, at);
      }
      if (key === 'call') this.fail('"call" is the word before the arguments', at);
      once(key, at);
      this.pos++;
      setKey(step, key, this.value(0, false));
    }
    return step;
  }

  private expectation(): Json {
    const at = this.pos;
    const v = this.value(0, false);
    if (typeof v === 'string' && ERRNO.test(v)) return { errno: v };
    if (typeof v === 'number' && Number.isInteger(v)) return { ret: v };
    if (isObject(v)) return v;
    return this.fail(
      `expected a result after "->": an errno name (EAGAIN), a ret integer, or {ret: ..., ...}`,
      at,
    );
  }

  // ---- values ----

  /** Values separated by commas up to `close`; newlines and comments may come between them. */
  private items(close: string, depth: number, what: string, starts?: number[]): Json[] {
    const open = this.pos - 1;
    const out: Json[] = [];
    this.skipAll();
    if (this.src[this.pos] === close) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipAll();
      starts?.push(this.pos);
      out.push(this.value(depth, true));
      const end = this.pos;
      this.skipAll();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipAll();
        continue;
      }
      if (c === close) {
        this.pos++;
        return out;
      }
      this.unclosed(end, open, `expected "," or "${close}" in ${what}`);
    }
  }

  /**
   * A list or object that goes on past its line without its closing bracket was most likely left
   * open: say so where its line ends, not at the next step's first character.
   */
  private unclosed(end: number, open: number, detail: string): never {
    if (!this.src.slice(end, this.pos).includes('\n')) this.fail(detail);
    const line = this.lineOf(open);
    const column = open - this.lineStarts[line - 1] + 1;
    return this.fail(`${detail} ("${this.src[open]}" at line ${line}, column ${column} is not closed)`, end);
  }

  private value(depth: number, multiline: boolean): Json {
    if (depth > DEPTH_MAX) this.fail(`values nest more than ${DEPTH_MAX} deep`);
    if (multiline) this.skipAll();
    const at = this.pos;
    const c = this.src[at];
    if (c === '[') {
      this.pos++;
      return this.items(']', depth + 1, 'a list');
    }
    if (c === '{') {
      this.pos++;
      return this.object(depth + 1);
    }
    if (c === '"') return this.stringToken();
    NUMBER.lastIndex = at;
    const n = NUMBER.exec(this.src);
    WORD.lastIndex = at;
    const w = WORD.exec(this.src);
    if (n && (!w || w[0].length === n[0].length)) {
      this.pos += n[0].length;
      return Number(n[0]);
    }
    if (w) {
      this.pos += w[0].length;
      const word = w[0];
      if (word === 'null') return null;
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (/^[0-9-]/.test(word) && !/^0x[0-9A-Fa-f]+$/.test(word))
        this.fail(`"${word}" is neither a number nor a word: quote it ("${word}")`, at);
      return word;
    }
    return this.fail(
      c === undefined || c === '\n' ? 'expected a value before the end of the line' : `unexpected "${c}"`,
    );
  }

  private object(depth: number): JsonObject {
    const open = this.pos - 1;
    const out: JsonObject = {};
    this.skipAll();
    if (this.src[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const at = this.pos;
      const key = this.src[at] === '"' ? this.stringToken() : this.word();
      if (key === undefined) this.fail('expected a key');
      if (Object.hasOwn(out, key)) this.fail(`key "${key}" is given twice`, at);
      this.skipAll();
      if (this.src[this.pos] !== ':') this.fail(`expected ":" after the key "${key}"`);
      this.pos++;
      setKey(out, key, this.value(depth, true));
      const end = this.pos;
      this.skipAll();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipAll();
        continue;
      }
      if (c === '}') {
        this.pos++;
        return out;
      }
      this.unclosed(end, open, 'expected "," or "}" in an object');
    }
  }

  private word(): string | undefined {
    WORD.lastIndex = this.pos;
    const w = WORD.exec(this.src);
    if (!w) return undefined;
    this.pos += w[0].length;
    return w[0];
  }

  private stringToken(): string {
    const at = this.pos;
    STRING.lastIndex = at;
    const m = STRING.exec(this.src);
    if (!m) this.fail('a string is not closed on its line', at);
    this.pos += m[0].length;
    return this.jsonString(m[0], at);
  }

  private jsonString(literal: string, at: number): string {
    try {
      return JSON.parse(literal) as string;
    } catch {
      return this.fail(`not a valid string (JSON escapes: \\n, \\", \\\\, \\u00e9)`, at);
    }
  }

  // ---- positions ----

  /** Spaces and tabs (and a CR before a newline). */
  private skipInline(): void {
    while (this.pos < this.src.length && ' \t\r'.includes(this.src[this.pos])) this.pos++;
  }

  /** Whitespace, newlines and `#` comments: inside brackets a step may go on over several lines. */
  private skipAll(): void {
    for (;;) {
      this.skipInline();
      const c = this.src[this.pos];
      if (c === '\n') this.pos++;
      else if (c === '#') this.skipToEol();
      else return;
    }
  }

  private skipToEol(): void {
    this.pos = this.eol(this.pos);
  }

  private eol(from: number): number {
    const i = this.src.indexOf('\n', from);
    return i < 0 ? this.src.length : i;
  }

  private restOfLine(): string {
    const end = this.eol(this.pos);
    const s = this.src.slice(this.pos, end).replace(/\r$/, '');
    this.pos = Math.min(end + 1, this.src.length);
    return s;
  }

  private endOfLine(): void {
    this.skipInline();
    const c = this.src[this.pos];
    if (c === '#') this.skipToEol();
    else if (c !== undefined && c !== '\n') this.fail(`unexpected "${c}" after the value`);
  }

  private lineOf(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** 1-based line and column of an offset. */
  position(at: number): { line: number; column: number } {
    const line = this.lineOf(at);
    return { line, column: at - this.lineStarts[line - 1] + 1 };
  }

  private fail(detail: string, at = this.pos): never {
    const { line, column } = this.position(at);
    throw new TextFormError(line, column, detail, this.step, this.call);
  }
}

/** Where a step's parts start in the text (offsets). */
interface StepWhere {
  readonly start: number;
  readonly args: number[];
  expect?: number;
}

/** Set a key as JSON.parse would, `__proto__` included (an own property, not the prototype). */
function setKey(o: JsonObject, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}
