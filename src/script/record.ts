// Record: run a script (on Linux) and write every step's `expect` from the results it gave, so a
// conformance case states what the reference kernel does, not what someone remembered it does.

import type { Backend } from '../api/backend.ts';
import type { Script } from './parse.ts';
import { type RunOptions, type RunReport, runScript } from './run.ts';
import { stableResult } from './stable.ts';
import type { Json, JsonObject } from './values.ts';

/** A recorded script, and the run it was recorded from. */
export interface Recording {
  /** The script with every step's `expect` filled in; undefined when the run did not finish. */
  readonly document: JsonObject | undefined;
  readonly report: RunReport;
}

/** Run a script on `backend` and fill every step's `expect` from the results. */
export async function recordScript(
  script: Script,
  backend: Backend,
  opts: RunOptions = {},
): Promise<Recording> {
  const report = await runScript(script, backend, opts);
  if (report.failure) return { document: undefined, report };
  const steps = script.steps.map((step, i) => {
    const outcome = report.outcomes[i];
    const { expect: _old, ...rest } = step.source;
    const expect = outcome && stableResult(script, step, outcome.result);
    // A thread start has no result to compare: it gets no expect (its join does).
    if (!expect) return rest;
    // Replacing in place keeps the author's key order; a new expect goes last.
    return 'expect' in step.source
      ? { ...step.source, expect: compactResult(expect) }
      : { ...rest, expect: compactResult(expect) };
  });
  return { document: { ...script.source, steps }, report };
}

/** Long reads of one repeated pattern are written as `{"fill", "len"}` (compared as bytes). */
function compactResult(result: JsonObject): JsonObject {
  const data = result.data;
  if (typeof data !== 'string') return result;
  return { ...result, data: compactData(data) };
}

const FILL_FROM = 64;
const FILL_PERIOD_MAX = 16;

export function compactData(s: string): Json {
  if (s.length < FILL_FROM) return s;
  for (let p = 1; p <= FILL_PERIOD_MAX; p++) {
    let periodic = true;
    for (let i = p; i < s.length && periodic; i++) periodic = s.charCodeAt(i) === s.charCodeAt(i - p);
    if (periodic) return { fill: s.slice(0, p), len: s.length };
  }
  return s;
}

/**
 * A script as JSON for people and diffs: 2-space indent, one step per line, keys in the
 * order they came.
 */
export function formatScriptJson(doc: JsonObject): string {
  const entries = Object.entries(doc).map(([key, value]) => {
    if (key === 'steps' && Array.isArray(value)) {
      const body =
        value.length === 0 ? '[]' : `[\n${value.map((s) => `    ${inlineJson(s)}`).join(',\n')}\n  ]`;
      return `  ${JSON.stringify(key)}: ${body}`;
    }
    return `  ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replaceAll('\n', '\n  ')}`;
  });
  return `{\n${entries.join(',\n')}\n}\n`;
}

/** JSON on one line, spaced as the format's examples are: `{"call": "pipe", "args": []}`. */
export function inlineJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(inlineJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${inlineJson(x)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(v);
}
