// How runs are shown: a human line per step, or one JSON object per line and step
// (script-format.md, "Runner output"). Rendering only: the runner decides, this module draws.

import { argsOf } from './calls.ts';
import type { StepView } from './diff.ts';
import type { Script, Step } from './parse.ts';
import type { RunFailure, RunReport, StepOutcome } from './run.ts';
import type { Json, JsonObject } from './values.ts';

export interface Style {
  ok(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const ansi = (code: number) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;

/** ANSI colours when `color`, plain text otherwise. */
export function makeStyle(color: boolean): Style {
  if (!color) {
    const same = (s: string) => s;
    return { ok: same, bad: same, dim: same, bold: same };
  }
  return { ok: ansi(32), bad: ansi(31), dim: ansi(2), bold: ansi(1) };
}

// ---- JSON lines ----

/** The `--json` line for a step: `{"step", "call", "result"}`, plus `expected` and `ok: false` on a mismatch. */
export function outcomeJson(o: StepOutcome, extra: JsonObject = {}): string {
  const line: JsonObject = { ...extra, step: o.step, call: o.call };
  if (o.thread !== undefined) line.thread = o.thread;
  line.result = o.result;
  if (o.ok === false && o.expected) {
    line.expected = o.expected;
    line.ok = false;
  }
  return JSON.stringify(line);
}

/** The `--json` line for a run that stopped: where, what kind of stop, and why. */
export function failureJson(f: RunFailure, extra: JsonObject = {}): string {
  return JSON.stringify({
    ...extra,
    step: f.step,
    call: f.call,
    error: {
      kind: f.kind,
      message: f.message,
      ...(f.signal === undefined ? {} : { signal: f.signal }),
      ...(f.action === undefined ? {} : { action: f.action }),
    },
  });
}

// ---- human ----

/** `epoll_ctl($ep, EPOLL_CTL_ADD, $r, {events: EPOLLIN, data: 7})`, with the thread it runs on. */
export function renderCall(step: Step): string {
  const specs = argsOf(step.call);
  const raw = Array.isArray(step.source.args) ? step.source.args : [];
  const args = raw.map((a, i) => compact(a, specs[i]?.type.kind === 'payload'));
  const on = step.thread === undefined ? '' : `[${step.thread}] `;
  return `${on}${step.call}(${args.join(', ')})`;
}

export function renderStep(step: Step, o: StepOutcome, style: Style): string {
  const head = `${style.dim(String(o.step).padStart(4))}  ${renderCall(step)}`;
  if (o.thread !== undefined) {
    return `${head} ${style.dim('→')} ${o.result.blocked === true ? 'blocked' : 'returned'}`;
  }
  const line = `${head} ${style.dim('→')} ${compact(o.result)}`;
  if (o.ok === undefined) return line;
  if (o.ok) return `${line}  ${style.ok('✓')}`;
  const expected = o.expected ?? {};
  const shown: JsonObject = {};
  for (const key of o.mismatched ?? Object.keys(expected)) shown[key] = expected[key] ?? null;
  return `${line}  ${style.bad(`✗ expected ${compact(shown)}`)}`;
}

export function renderFailure(script: Script, f: RunFailure, style: Style): string {
  const step = f.step === null ? undefined : script.steps[f.step];
  const head = step
    ? `${style.dim(String(f.step).padStart(4))}  ${renderCall(step)} ${style.dim('→')} `
    : '      ';
  // Blocks-forever, unsupported and killed messages already say what happened; the others get their kind.
  const says = f.kind === 'blocks-forever' || f.kind === 'unsupported' || f.kind === 'killed';
  return `${head}${style.bad(says ? f.message : `${f.kind}: ${f.message}`)}`;
}

/** `sim: 8 steps, 5 expects, all matched`, or what did not. */
export function renderSummary(report: RunReport, script: Script, style: Style): string {
  const checked = report.outcomes.filter((o) => o.ok !== undefined);
  const bad = checked.filter((o) => o.ok === false);
  const total = script.steps.filter((s) => s.expect !== undefined).length;
  const name = `${report.backend}:`;
  if (report.failure) {
    const where = report.failure.step === null ? '' : ` at step ${report.failure.step}`;
    const mismatches = bad.length
      ? `; ${bad.length} expect${bad.length === 1 ? '' : 's'} did not match before that`
      : '';
    return `${name} ${style.bad(`stopped${where}`)} (${report.failure.kind})${mismatches}`;
  }
  const steps = `${report.outcomes.length} step${report.outcomes.length === 1 ? '' : 's'}`;
  if (total === 0) return `${name} ${steps}, no expects`;
  if (bad.length === 0)
    return `${name} ${steps}, ${total} expect${total === 1 ? '' : 's'}: ${style.ok('all matched')}`;
  const which = bad.map((o) => o.step).join(', ');
  return `${name} ${steps}, ${style.bad(`${bad.length} of ${total} expects did not match`)} (step${bad.length === 1 ? '' : 's'} ${which})`;
}

export function renderView(v: StepView): string {
  if ('result' in v) return compact(v.result);
  if ('started' in v) return '(thread started)';
  if ('stopped' in v) return `stopped: ${v.message}`;
  return '(not reached)';
}

/**
 * JSON with bare words where they read as the format's words — flag words, names, `$name`s —
 * and quotes where the value is text: payloads and `data`, cut short when long.
 */
export function compact(v: Json | undefined, quote = false): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return quote || !BARE.test(v) ? quoteText(v) : v;
  if (Array.isArray(v)) return `[${v.map((x) => compact(x, quote)).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${compact(x, quote || k === 'data')}`)
      .join(', ')}}`;
  }
  return String(v);
}

const BARE = /^[A-Za-z0-9_$@|.+/-]+$/;
const TEXT_MAX = 40;

function quoteText(s: string): string {
  if (s.length <= TEXT_MAX) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, TEXT_MAX - 8))}… (${s.length} bytes)`;
}
