// Where JSON text goes wrong, for error messages. JSON.parse does the parsing; on failure its
// message (V8, Node 20) may not say where, and a hand-written script needs a line and column.
// This is a validator only: it walks the grammar (RFC 8259) and reports the first offence.

export interface JsonSyntaxError {
  /** 1-based line and column of the offending character. */
  readonly line: number;
  readonly column: number;
  readonly problem: string;
}

class Stop {
  constructor(
    readonly at: number,
    readonly problem: string,
  ) {}
}

/** The first syntax error in `text`, or undefined if it is valid JSON. */
export function findJsonError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const what = () => (i >= text.length ? 'end of input' : JSON.stringify(text[i]));
  const stop = (expected: string): never => {
    throw new Stop(i, `expected ${expected}, found ${what()}`);
  };
  const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  // The open arrays and objects, innermost last: a loop with its own stack, not recursion, so
  // input nested thousands deep gets its answer rather than a stack overflow.
  const open: ('[' | '{')[] = [];
  const key = (): void => {
    ws();
    if (text[i] !== '"') stop('a key in double quotes');
    string();
    ws();
    if (text[i] !== ':') stop('":"');
    i++;
  };
  const scalar = (): void => {
    if (text[i] === '"') {
      string();
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    stop('a value');
  };
  /** One whole value, from its first character to the end of the last container it opened. */
  const value = (): void => {
    for (;;) {
      ws();
      const c = text[i];
      if (c === '{' || c === '[') {
        i++;
        ws();
        if (text[i] === (c === '{' ? '}' : ']')) i++;
        else {
          open.push(c);
          if (c === '{') key();
          continue;
        }
      } else scalar();
      // A value ended: close what it ends, or go on to the next element.
      for (;;) {
        const top = open.at(-1);
        if (top === undefined) return;
        ws();
        if (text[i] === ',') {
          i++;
          if (top === '{') key();
          break;
        }
        if (text[i] === (top === '{' ? '}' : ']')) {
          i++;
          open.pop();
          continue;
        }
        stop(top === '{' ? '"," or "}"' : '"," or "]"');
      }
    }
  };
  const string = (): void => {
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          stop('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
        }
        continue;
      }
      if (c.charCodeAt(0) < 0x20) stop('a printable character (control characters must be escaped)');
      i++;
    }
    stop("the closing '\"'");
  };
  try {
    value();
    ws();
    if (i < text.length) stop('end of input after the value');
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.at);
    const line = before.split('\n').length;
    return { line, column: e.at - before.lastIndexOf('\n'), problem: e.problem };
  }
}

/**
 * True if `v` (parsed JSON) nests arrays and objects more than `max` deep: `0` is 0 deep, `[0]`
 * 1. A walk with its own stack, so a hostile document costs no recursion.
 */
export function nestedDeeperThan(v: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [x, depth] = top;
    if (x === null || typeof x !== 'object') continue;
    if (depth >= max) return true;
    for (const e of Array.isArray(x) ? x : Object.values(x)) stack.push([e, depth + 1]);
  }
  return false;
}
