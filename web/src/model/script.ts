// The editor's text as a script: the ONE place that turns the text into the JSON script document
// (`scriptDocOf`), and where in the text a problem is, so the editor can mark it: a syntax error
// at its line and column, a bad step over the step. The editor holds the text form
// (docs/script-format.md, one call per line); text that starts with `{` is read as JSON, so a
// JSON script pasted in, or a link made from one, works too.

import {
  formatScriptTextForm,
  type JsonObject,
  parseScript,
  parseScriptTextForm,
  ScriptError,
  textFormStepLines,
} from '../../../src/index.ts';
import { findJsonError } from '../../../src/script/jsonpos.ts';

/** True when the editor's text is a JSON script rather than the text form. */
export function isJsonText(text: string): boolean {
  return text.trimStart().startsWith('{');
}

/** The script document the text holds; throws ScriptError when it is not one. */
export function scriptDocOf(text: string): unknown {
  if (!isJsonText(text)) return parseScriptTextForm(text);
  try {
    return JSON.parse(text);
  } catch (e) {
    const found = findJsonError(text);
    const where = found ? `line ${found.line}, column ${found.column}: ${found.problem}` : String(e);
    throw new ScriptError(`not valid JSON: ${where}`);
  }
}

/** The text as it shows a script document, in the text form (the inverse of scriptDocOf). */
export function scriptTextOf(doc: unknown): string {
  return formatScriptTextForm(doc as JsonObject);
}

/** The character range of each step: JSON's elements of "steps", or the text form's lines. */
export function stepRangesOf(text: string): { from: number; to: number }[] {
  if (isJsonText(text)) return stepRanges(text);
  let lines: number[];
  try {
    lines = textFormStepLines(text);
  } catch {
    return []; // text being typed that does not parse yet: no step to highlight
  }
  return lines.map((line) => {
    const from = offsetOf(text, line, 1);
    const nl = text.indexOf('\n', from);
    return { from, to: nl < 0 ? text.length : nl };
  });
}

export interface ScriptProblem {
  message: string;
  /** The character range to mark. */
  from: number;
  to: number;
  step?: number;
}

/** Offset of a 1-based line and column. */
function offsetOf(text: string, line: number, column: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  return Math.min(text.length, at + column - 1);
}

/**
 * The character range of each element of the top-level "steps" list of JSON text (valid JSON
 * assumed), by a small scanner: strings skipped whole, nesting counted.
 */
export function stepRanges(text: string): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  let depth = 0;
  let inSteps = false;
  let stepsDepth = -1;
  let lastKey = '';
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = text.slice(i + 1, j);
      if (inSteps && depth === stepsDepth && start < 0) start = i;
      // A key at the top level: remember it for the list that follows.
      if (depth === 1) lastKey = s;
      i = j;
      continue;
    }
    if (c === '{' || c === '[') {
      if (!inSteps && depth === 1 && c === '[' && lastKey === 'steps') {
        inSteps = true;
        stepsDepth = depth + 1;
      } else if (inSteps && depth === stepsDepth && start < 0) start = i;
      depth++;
      continue;
    }
    if (c === '}' || c === ']') {
      depth--;
      if (inSteps && depth === stepsDepth && start >= 0) {
        out.push({ from: start, to: i + 1 });
        start = -1;
      } else if (inSteps && depth === stepsDepth - 1) inSteps = false;
      continue;
    }
    if (inSteps && depth === stepsDepth) {
      if (c === ',') {
        if (start >= 0) out.push({ from: start, to: i });
        start = -1;
      } else if (!' \t\r\n'.includes(c) && start < 0) start = i;
    }
  }
  return out;
}

/** What is wrong with the script text, where; null when it parses. */
export function checkScript(text: string): ScriptProblem | null {
  let doc: unknown;
  try {
    doc = scriptDocOf(text);
    parseScript(doc);
    return null;
  } catch (e) {
    if (!(e instanceof ScriptError)) {
      return { message: String(e), from: 0, to: Math.min(text.length, 1) };
    }
    const m = /line (\d+), column (\d+)/.exec(e.message);
    if (doc === undefined && m) {
      const at = offsetOf(text, Number(m[1]), Number(m[2]));
      return { message: e.message, from: at, to: Math.min(text.length, at + 1) };
    }
    if (e.step !== undefined) {
      const r = stepRangesOf(text)[e.step];
      if (r) return { message: e.message, from: r.from, to: r.to, step: e.step };
    }
    return { message: e.message, from: 0, to: Math.min(text.length, 1) };
  }
}
