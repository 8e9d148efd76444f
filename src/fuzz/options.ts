// The fuzzers' command-line options: each fuzzer declares one table that drives both parsing and
// --help (differential: main.ts; API: api-main.ts).

import { parseArgs } from 'node:util';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in help, for string options. */
  readonly value?: string;
  readonly default?: string;
  readonly help: string;
}

/** Parse `argv` against `options`; `opt(name)` is an option's value or its default. */
export function parseOptions<O extends Record<string, OptionSpec>>(
  argv: string[],
  options: O,
): { values: Record<string, string | boolean | undefined>; opt: (name: keyof O) => string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.entries(options).map(([k, s]) => [k, { type: s.type }])),
    strict: true,
    allowPositionals: false,
  });
  const opt = (name: keyof O): string | undefined => {
    const v = values[name as string];
    return typeof v === 'string' ? v : options[name].default;
  };
  return { values, opt };
}

/** One help line per option: `  --name VALUE   help (default D)`, the flags padded to `width`. */
export function optionHelp(options: Record<string, OptionSpec>, width: number): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const flag = `--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return `  ${flag.padEnd(width)} ${spec.help}${spec.default ? ` (default ${spec.default})` : ''}`;
  });
}

/** A problem with the command line (exit status 2). */
export class UsageError extends Error {}

/** A count option's value: a non-negative integer. */
export function count(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${name}: expected a non-negative integer, got "${v}"`);
  return n;
}
