// The syscall-script module's public surface: parse, run, compare, record, diff, and render.

export { type Arg, CALLS, type CallName, type ResultShape } from './calls.ts';
export { type CompareOptions, matches, mismatchedKeys, sameFd, sameMask } from './compare.ts';
export { compareRuns, type DiffReport, diffScript, type StepDifference, type StepView } from './diff.ts';
export * as output from './output.ts';
export { MAIN_THREAD, parseScript, parseScriptText, type Script, ScriptError, type Step } from './parse.ts';
export { compactData, formatScriptJson, inlineJson, type Recording, recordScript } from './record.ts';
export {
  Bindings,
  exitStatus,
  type FailureKind,
  formatResult,
  type RunFailure,
  type RunOptions,
  type RunReport,
  runScript,
  type StepOutcome,
} from './run.ts';
export { stableResult } from './stable.ts';
export {
  formatScriptTextForm,
  parseScriptSource,
  parseScriptTextForm,
  scriptFormatOf,
  TextFormError,
  textFormStepLines,
} from './text.ts';
export type { FdRef, Json, JsonObject } from './values.ts';
