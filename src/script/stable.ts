// The part of a result that every run of a step gives, on any kernel. Linux's timing leaks into a
// few values; recording them into `expect`, or reporting them as differences between backends,
// would make a script fail at random. script-format.md: "select's remaining timeout is recorded
// only where it is deterministic (the input was zero, or the call timed out)".

import type { Script, Step } from './parse.ts';
import { isObject, type Json, type JsonObject } from './values.ts';

/**
 * `result` without its timing-dependent keys; undefined for a thread start, whose `{blocked}`
 * depends on how long Linux is given (the format does not compare it).
 */
export function stableResult(script: Script, step: Step, result: JsonObject): JsonObject | undefined {
  if (step.shape === 'started') return undefined;
  if ('errno' in result) return result;
  const origin = script.steps[step.origin] ?? step;
  switch (step.shape) {
    case 'select': {
      const input = origin.args[4];
      const given = input?.kind === 'timeval' ? input.value : null;
      // Linux: fs/select.c:poll_select_finish — no write-back for a zero timeout; a timed-out call
      // writes back zero; a null pointer stays null. Anything else depends on elapsed time.
      const deterministic = given === null || (given.sec === 0 && given.usec === 0) || result.ret === 0;
      return deterministic ? result : without(result, 'timeout');
    }
    case 'pselect': {
      // The same rule for pselect6's timespec (Linux: poll_select_finish serves both).
      const input = origin.args[4];
      const given = input?.kind === 'timespec' ? input.value : null;
      const deterministic = given === null || (given.sec === 0 && given.nsec === 0) || result.ret === 0;
      return deterministic ? result : without(result, 'timeout');
    }
    case 'settime':
      return disarmed(result.old) ? result : without(result, 'old');
    case 'gettime':
      // An armed timer's remaining time runs down with the clock; a disarmed one reads all zero.
      return disarmed(result.value) ? result : without(result, 'value');
    default:
      return result;
  }
}

function disarmed(spec: Json | undefined): boolean {
  if (!isObject(spec) || !isObject(spec.value)) return false;
  return spec.value.sec === 0 && spec.value.nsec === 0;
}

function without(result: JsonObject, key: string): JsonObject {
  const copy = { ...result };
  delete copy[key];
  return copy;
}
