// What the editor completes: call names (the runner's call table and its own calls), every name a
// symbolic argument may use (ANY_NAME), and the names the script binds so far (`$name`).

import { ANY_NAME } from '../../../src/abi/flags.ts';
import { CALLS } from '../../../src/script/calls.ts';

/** Every call a step may name, sorted: the system calls, and the runner's own. */
export const CALL_NAMES: readonly string[] = [...Object.keys(CALLS), 'join', 'blocked', 'caught'].sort();

/**
 * Every name a flag or symbolic argument may use (any name in any argument, format v1.1), sorted:
 * signals too, but of the real-time ones only SIGRTMIN and SIGRTMAX (the 64 "+n"/"-n" forms would
 * bury the rest).
 */
export const FLAG_WORDS: readonly string[] = Object.keys(ANY_NAME)
  .filter((n) => !/^SIGRT(MIN|MAX)[+-]/.test(n))
  .sort();

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
