// What the editor completes: call names (the runner's call table), flag words (the ABI's flag
// tables and the script's own), and the names the script binds so far (`$name`).

import { FLAG_TABLES } from '../../../src/index.ts';
import { CALLS, SCRIPT_TABLES } from '../../../src/script/calls.ts';

/** Every call a step may name, sorted. */
export const CALL_NAMES: readonly string[] = [...Object.keys(CALLS), 'join'].sort();

/** Every flag word a flag argument may use, sorted, once each. */
export const FLAG_WORDS: readonly string[] = [
  ...new Set([...Object.values(FLAG_TABLES), ...Object.values(SCRIPT_TABLES)].flatMap((t) => Object.keys(t))),
].sort();

/** The names bound by `"bind"` in the text (a name or a list of names), each as `$name`, once. */
export function boundNames(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/"bind"\s*:\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\])/g)) {
    for (const n of m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)) if (n[1] !== '') out.add(`$${n[1]}`);
  }
  // The text form: `name = call(...)`, `[a, b] = call(...)`, after an optional `@thread`.
  for (const m of text.matchAll(/^[ \t]*(?:@\w+[ \t]+)?(\[[^\]\n]*\]|[A-Za-z_]\w*)[ \t]*=[ \t]*\w+\(/gm)) {
    for (const n of m[1].matchAll(/[A-Za-z_]\w*/g)) out.add(`$${n[0]}`);
  }
  return [...out].sort();
}
