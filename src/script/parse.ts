// Parse and validate a syscall script (script-format.md) into typed steps, before anything runs.
//
// Everything a script can get wrong statically is caught here, with the step index and the
// problem: an unknown call, the wrong number of arguments, a flag word with an unknown name, a
// bad payload, a `$name` used before any step binds it (names bound on a thread count only from
// its join), a thread started again before its call was joined, an `expect` key the call's
// result does not have. What can only go wrong at run time (a binding call that failed, so its
// name never got a descriptor) is the runner's to report.

import { isErrno } from '../abi/errno.ts';
import { ANY_NAME, FLAG_TABLES, FlagError, type FlagTable, parseFlags } from '../abi/flags.ts';
import { NSIG } from '../abi/signal.ts';
import { trySockaddr } from '../api/sockaddr.ts';
import type { EpollData, Linger } from '../api/syscalls.ts';
import {
  type Arg,
  type ArgSpec,
  argsOf,
  bindCount,
  CALLS,
  type CallName,
  fcntlArgTable,
  isCallName,
  type ResultShape,
  type RunnerCall,
  SHAPE_KEYS,
  shapeOf,
} from './calls.ts';
import { findJsonError, nestedDeeperThan } from './jsonpos.ts';
import { decodePayload, type FdRef, isObject, type JsonObject, show } from './values.ts';

/** A script that cannot run as written. `step` is the index of the offending step, if any. */
export class ScriptError extends Error {
  override name = 'ScriptError';
  constructor(
    /** The problem, without the step prefix. */
    readonly detail: string,
    readonly step?: number,
    readonly call?: string,
  ) {
    super(step === undefined ? detail : `step ${step}${call ? ` (${call})` : ''}: ${detail}`);
  }
}

/** One step of a parsed script, checked and typed. */
export interface Step {
  /** Position in `steps`, from 0. */
  readonly index: number;
  /**
   * The call; `join` collects the result of a call started on a thread, `blocked` asks whether
   * that call is still waiting (both are the runner's, not system calls).
   */
  readonly call: CallName | RunnerCall;
  readonly args: readonly Arg[];
  /** The names this step's call binds, in result order; empty when none. */
  readonly bind: readonly string[];
  /** The thread a call is started on; undefined for calls made on the main thread, and for join. */
  readonly thread: string | undefined;
  /** The step whose call this step's result comes from: itself, or for a join the thread's step. */
  readonly origin: number;
  /** The shape of the result; 'started' for a thread start, whose result is `{blocked}`. */
  readonly shape: ResultShape | 'started';
  readonly expect: JsonObject | undefined;
  /** Compare epoll `events` as a multiset. */
  readonly unordered: boolean;
  /** The step as written (record rewrites only its `expect`). */
  readonly source: JsonObject;
}

/** A parsed script: every step checked before anything runs. */
export interface Script {
  readonly name: string | undefined;
  readonly steps: readonly Step[];
  /** The document as written, other top-level keys included. */
  readonly source: JsonObject;
}

/** Step keys the format defines, and free-text keys a runner ignores. */
const STEP_KEYS = new Set(['call', 'args', 'bind', 'thread', 'expect', 'unordered']);
const STEP_NOTE_KEYS = new Set(['note', 'notes', 'comment']);

/** A name, as bound by `bind` and referred to as `$name`; a thread's name follows the same rule. */
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The thread a script's own calls run on (ProcessHandle.thread's first thread). */
export const MAIN_THREAD = 'main';

/** An argument problem: the step parser prefixes where it is. */
class ArgError extends Error {}

/** Parse a script from its JSON text; throws `ScriptError` (with line and column for bad JSON). */
export function parseScriptText(text: string): Script {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ScriptError(`not valid JSON: ${jsonErrorWhere(text, e)}`);
  }
  return parseScript(doc);
}

/** Parse a script from a JSON value; throws `ScriptError` naming the step and the problem. */
export function parseScript(doc: unknown): Script {
  if (!isObject(doc)) throw new ScriptError(`a script is a JSON object with "steps", got ${show(doc)}`);
  for (const [key, v] of Object.entries(doc)) {
    if (key !== 'steps' && nestedDeeperThan(v, NESTING_MAX)) throw new ScriptError(nestedTooDeep(key));
  }
  if (doc.name !== undefined && typeof doc.name !== 'string') {
    throw new ScriptError(`"name" must be a string, got ${show(doc.name)}`);
  }
  if (!Array.isArray(doc.steps))
    throw new ScriptError(`"steps" must be a list of steps, got ${show(doc.steps)}`);
  const scope = new Scope();
  const steps = doc.steps.map((raw, index) => parseStep(raw, index, scope));
  return { name: doc.name, steps, source: doc as JsonObject };
}

/**
 * Not the format's: how deep a step's values (or a top-level key's) may nest lists and objects.
 * The format's own need at most 3 (a poll list's entries); deeper is a mistake, and a value nested
 * thousands deep would overflow the stack of whatever walks it later (record, trace, output).
 */
const NESTING_MAX = 64;

function nestedTooDeep(key: string): string {
  return `"${key}" nests lists and objects more than ${NESTING_MAX} deep`;
}

/** What is known, statically, at a point in the script: names bound so far, calls on threads. */
class Scope {
  /** Names bound so far, and the step that (last) bound each. */
  readonly bound = new Map<string, number>();
  /** Names a thread's call will bind at its join: name → the thread step. */
  readonly pendingNames = new Map<string, number>();
  /** Threads with a call started and not yet joined: thread → its step. */
  readonly running = new Map<string, Step>();
  /** Threads that ran a call at some point (for "join of an unknown thread"). */
  readonly known = new Set<string>();
}

function parseStep(raw: unknown, index: number, scope: Scope): Step {
  if (!isObject(raw)) throw new ScriptError(`a step must be an object, got ${show(raw)}`, index);
  const call = raw.call;
  if (typeof call !== 'string') throw new ScriptError(`"call" must be a string, got ${show(call)}`, index);
  if (!isRunnerCall(call) && !isCallName(call)) {
    const near = closest(call, [...Object.keys(CALLS), ...RUNNER_CALLS]);
    throw new ScriptError(`unknown call "${call}"${near ? ` (did you mean "${near}"?)` : ''}`, index);
  }
  const fail: (detail: string) => never = (detail) => {
    throw new ScriptError(detail, index, call);
  };
  for (const [key, v] of Object.entries(raw)) if (nestedDeeperThan(v, NESTING_MAX)) fail(nestedTooDeep(key));
  for (const key of Object.keys(raw)) {
    if (STEP_KEYS.has(key) || STEP_NOTE_KEYS.has(key)) continue;
    const near = closest(key, [...STEP_KEYS]);
    fail(`unknown step key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`);
  }
  if (raw.unordered !== undefined && typeof raw.unordered !== 'boolean') {
    fail(`"unordered" must be true or false, got ${show(raw.unordered)}`);
  }
  const unordered = raw.unordered === true;
  const rawArgs = raw.args === undefined ? [] : raw.args;
  if (!Array.isArray(rawArgs)) fail(`"args" must be a list, got ${show(rawArgs)}`);
  const argv = rawArgs as unknown[];
  const specs = argsOf(call);
  const required = specs.filter((s) => !('omitted' in s)).length;
  if (argv.length < required || argv.length > specs.length) {
    const names = specs.map((s) => ('omitted' in s ? `[${s.name}]` : s.name)).join(', ');
    const n = required === specs.length ? `${specs.length}` : `${required} to ${specs.length}`;
    fail(
      `${call} takes ${n} argument${specs.length === 1 ? '' : 's'}` +
        `${specs.length ? ` (${names})` : ''}, got ${argv.length}`,
    );
  }
  const args: Arg[] = [];
  for (const [i, spec] of specs.entries()) {
    try {
      args.push(parseArg(spec, i < argv.length ? argv[i] : spec.omitted, args, scope));
    } catch (e) {
      if (e instanceof ArgError) fail(`args[${i}] (${spec.name}): ${e.message}`);
      throw e;
    }
  }

  if (call === 'join') return parseJoin(raw, index, args, unordered, scope, fail);
  if (call === 'blocked') return parseBlocked(raw, index, args, unordered, scope, fail);
  if (call === 'caught') return parseCaught(raw, index, args, unordered, scope, fail);

  const shape = shapeOf(call, args);
  const bind = parseBind(raw.bind, call, shape, fail);
  let thread: string | undefined;
  if (raw.thread !== undefined) {
    thread = threadName(raw.thread, fail);
    const running = scope.running.get(thread);
    if (running) {
      fail(
        `thread "${thread}" is still in ${running.call} from step ${running.index}: ` +
          `join it before starting another call on it`,
      );
    }
    if (raw.expect !== undefined) {
      fail(`a call started on a thread has no result to compare yet: put "expect" on its join step`);
    }
    if (unordered) fail(`"unordered" belongs on the join step, where the result is compared`);
  }
  if (unordered && shape !== 'events') fail(`"unordered" applies only to epoll's events, not to ${call}`);

  const step: Step = {
    index,
    call,
    args,
    bind,
    thread,
    origin: index,
    shape: thread === undefined ? shape : 'started',
    expect: undefined,
    unordered,
    source: raw as JsonObject,
  };
  if (thread !== undefined) {
    scope.running.set(thread, step);
    scope.known.add(thread);
    for (const name of bind) scope.pendingNames.set(name, index);
    return step;
  }
  for (const name of bind) scope.bound.set(name, index);
  const expect = raw.expect === undefined ? undefined : parseExpect(raw.expect, shape, scope, fail);
  return { ...step, expect };
}

function parseJoin(
  raw: Record<string, unknown>,
  index: number,
  args: Arg[],
  unordered: boolean,
  scope: Scope,
  fail: (detail: string) => never,
): Step {
  if (raw.thread !== undefined) fail(`join runs on the main thread: it takes no "thread"`);
  if (raw.bind !== undefined) fail(`join binds nothing itself: put "bind" on the step that starts the call`);
  const thread = (args[0] as { value: string }).value;
  const started = scope.running.get(thread);
  if (!started) {
    fail(
      scope.known.has(thread)
        ? `thread "${thread}" has no call to join (its last call was already joined)`
        : `join of an unknown thread "${thread}" (no step started a call on it)`,
    );
  }
  const from = started as Step;
  scope.running.delete(thread);
  for (const name of from.bind) {
    scope.pendingNames.delete(name);
    scope.bound.set(name, index);
  }
  const shape = shapeOf(from.call as CallName, from.args);
  if (unordered && shape !== 'events')
    fail(`"unordered" applies only to epoll's events, not to ${from.call}`);
  return {
    index,
    call: 'join',
    args,
    bind: [],
    thread: undefined,
    origin: from.index,
    shape,
    expect: raw.expect === undefined ? undefined : parseExpect(raw.expect, shape, scope, fail),
    unordered,
    source: raw as JsonObject,
  };
}

/** `blocked`: on the main thread, about a thread whose call was started and not yet joined. */
function parseBlocked(
  raw: Record<string, unknown>,
  index: number,
  args: Arg[],
  unordered: boolean,
  scope: Scope,
  fail: (detail: string) => never,
): Step {
  if (raw.thread !== undefined) fail(`blocked runs on the main thread: it takes no "thread"`);
  if (raw.bind !== undefined) fail(`blocked returns no descriptor to bind`);
  if (unordered) fail(`"unordered" applies only to epoll's events, not to blocked`);
  const thread = (args[0] as { value: string }).value;
  if (!scope.running.has(thread)) {
    fail(
      scope.known.has(thread)
        ? `thread "${thread}" has no call to ask about (its last call was already joined)`
        : `blocked asks about an unknown thread "${thread}" (no step started a call on it)`,
    );
  }
  return {
    index,
    call: 'blocked',
    args,
    bind: [],
    thread: undefined,
    origin: index,
    shape: 'ret',
    expect: raw.expect === undefined ? undefined : parseExpect(raw.expect, 'ret', scope, fail),
    unordered: false,
    source: raw as JsonObject,
  };
}

/** `caught`: on the main thread, a read of the handler's counter for one signal (`ret: n`). */
function parseCaught(
  raw: Record<string, unknown>,
  index: number,
  args: Arg[],
  unordered: boolean,
  scope: Scope,
  fail: (detail: string) => never,
): Step {
  if (raw.thread !== undefined) fail(`caught is the runner's, not a system call: it takes no "thread"`);
  if (raw.bind !== undefined) fail(`caught returns no descriptor to bind`);
  if (unordered) fail(`"unordered" applies only to epoll's events, not to caught`);
  // A handler's counter exists for signals 1 … 64 only; no kernel answers for another.
  const sig = args[0];
  if (sig?.kind === 'int' && (sig.value < 1 || sig.value > NSIG))
    fail(`caught: signal ${sig.value} has no handler counter (signals are 1 … ${NSIG})`);
  return {
    index,
    call: 'caught',
    args,
    bind: [],
    thread: undefined,
    origin: index,
    shape: 'ret',
    expect: raw.expect === undefined ? undefined : parseExpect(raw.expect, 'ret', scope, fail),
    unordered: false,
    source: raw as JsonObject,
  };
}

const RUNNER_CALLS: readonly RunnerCall[] = ['join', 'blocked', 'caught'];

function isRunnerCall(name: string): name is RunnerCall {
  return (RUNNER_CALLS as readonly string[]).includes(name);
}

function parseBind(raw: unknown, call: string, shape: ResultShape, fail: (d: string) => never): string[] {
  if (raw === undefined) return [];
  const want = bindCount(shape);
  if (want === 0) fail(`${call} returns no descriptor to bind`);
  const names = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(names) || names.length !== want || !names.every((n) => typeof n === 'string')) {
    fail(
      want === 1
        ? `"bind" must be a name (or a list of one name), got ${show(raw)}`
        : `"bind" must be a list of ${want} names (${call} returns two descriptors), got ${show(raw)}`,
    );
  }
  for (const name of names as string[]) {
    if (!NAME.test(name))
      fail(`"bind": ${show(name)} is not a name (a letter or _, then letters, digits, _ . -)`);
  }
  if (want === 2 && names[0] === names[1]) fail(`"bind" names both descriptors "${names[0]}"`);
  return names as string[];
}

function threadName(raw: unknown, fail: (d: string) => never): string {
  if (typeof raw !== 'string' || !NAME.test(raw)) fail(`"thread" must be a thread name, got ${show(raw)}`);
  if (raw === MAIN_THREAD) fail(`"thread": "main" is the script's own thread; name another`);
  return raw as string;
}

// ---- arguments ----

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function parseArg(spec: ArgSpec, v: unknown, prev: readonly Arg[], scope: Scope): Arg {
  const t = spec.type;
  switch (t.kind) {
    case 'fd':
      return { kind: 'fd', ref: fdRef(v, scope) };
    case 'int':
      return { kind: 'int', value: integer(v, INT32_MIN, INT32_MAX) };
    case 'count':
      return { kind: 'int', value: integer(v, 0, INT32_MAX) };
    case 'uint32':
      return { kind: 'int', value: integer(v, 0, 2 ** 32 - 1) };
    case 'flags':
      return { kind: 'int', value: flagWord(v, t.table) };
    case 'fcntl_arg': {
      const cmd = prev[1]?.kind === 'int' ? prev[1].value : -1;
      return { kind: 'int', value: flagWord(v, fcntlArgTable(cmd)) };
    }
    case 'payload':
      try {
        return { kind: 'bytes', value: decodePayload(v) };
      } catch (e) {
        throw new ArgError((e as Error).message);
      }
    case 'event':
      return { kind: 'event', value: epollEvent(v) };
    case 'pollfds':
      return { kind: 'pollfds', value: pollList(v, scope) };
    case 'fdset':
      return { kind: 'fdset', value: fdSet(v, scope) };
    case 'timeval':
      return { kind: 'timeval', value: v === null ? null : timePair(v, 'usec') };
    case 'timespec':
      return { kind: 'timespec', value: v === null ? null : timePair(v, 'nsec') };
    case 'itimerspec':
      return { kind: 'itimerspec', value: itimerspec(v) };
    case 'nfds':
      return {
        kind: 'nfds',
        value: v === 'max+1' ? 'max+1' : integer(v, INT32_MIN, INT32_MAX, ' or "max+1"'),
      };
    case 'address':
      return { kind: 'address', value: socketAddress(v, t.unspec === true, t.nullable === true) };
    case 'optval':
      return { kind: 'optval', value: optval(v) };
    case 'path':
      if (v !== '/dev/null' && v !== 'tmpfile')
        throw new ArgError(`expected "/dev/null" or "tmpfile", got ${show(v)}`);
      return { kind: 'string', value: v };
    case 'thread':
      if (typeof v !== 'string' || !NAME.test(v))
        throw new ArgError(`expected a thread name, got ${show(v)}`);
      return { kind: 'string', value: v };
    case 'signal':
      // Any name any table knows, or an integer: kill(0) and kill(65) are the kernel's to answer.
      return { kind: 'int', value: oneSignal(v) };
    case 'sigset':
      if (v === null && spec.name === 'sa_mask')
        throw new ArgError(`sa_mask is a field of struct sigaction, not a pointer: write [] for none`);
      return { kind: 'sigset', value: signalSet(v) };
    case 'handler':
      if (v !== 'SIG_DFL' && v !== 'SIG_IGN' && v !== 'catch')
        throw new ArgError(`expected "SIG_DFL", "SIG_IGN" or "catch", got ${show(v)}`);
      return { kind: 'string', value: v };
    case 'tid':
      if (typeof v !== 'string' || !NAME.test(v))
        throw new ArgError(
          `expected a thread name ("main" or a thread an earlier step used), got ${show(v)}`,
        );
      if (v !== MAIN_THREAD && !scope.known.has(v))
        throw new ArgError(`thread "${v}" is neither "main" nor a thread an earlier step started a call on`);
      return { kind: 'string', value: v };
  }
}

/** The address forms, for messages. */
const ADDRESS_FORMS = '"@name", "", "a.b.c.d:port" or "[v6]:port"';

/**
 * A socket address argument (src/api/sockaddr.ts's forms): malformed ones are refused with the
 * problem, so a typo in an address is the script's error, not the kernel's EINVAL.
 */
function socketAddress(v: unknown, unspec: boolean, nullable: boolean): string | null {
  if (v === null && nullable) return null;
  const forms = `${ADDRESS_FORMS}${unspec ? ', or "AF_UNSPEC"' : ''}${nullable ? ', or null for none' : ''}`;
  if (typeof v !== 'string') throw new ArgError(`expected an address (${forms}), got ${show(v)}`);
  if (v === 'AF_UNSPEC' && !unspec)
    throw new ArgError(`"AF_UNSPEC" is for connect and sendto (it dissolves an association), not here`);
  if (v === '@') throw new ArgError(`an abstract name needs at least one character after "@"`);
  const sa = trySockaddr(v);
  if (typeof sa === 'string') throw new ArgError(`${show(v)} is not an address: ${sa}`);
  return v;
}

/** An address in an expected result: as an argument's, with `*` allowed for a port. */
function expectedAddress(v: unknown, nullable: boolean): void {
  if (v === null && nullable) return;
  if (typeof v !== 'string')
    throw new ArgError(
      `expected an address (${ADDRESS_FORMS}, a port may be "*")${nullable ? ' or null' : ''}, got ${show(v)}`,
    );
  const sa = trySockaddr(v.replace(/:\*$/, ':0'));
  if (typeof sa === 'string') throw new ArgError(`${show(v)} is not an address: ${sa}`);
  if (v === 'AF_UNSPEC') throw new ArgError(`"AF_UNSPEC" is no call's result`);
}

/** setsockopt's value: an int, or struct linger as `{"onoff", "linger"}`. */
function optval(v: unknown): number | Linger {
  if (typeof v === 'number') return integer(v, INT32_MIN, INT32_MAX);
  if (!isObject(v)) throw new ArgError(`expected an integer or {"onoff", "linger"}, got ${show(v)}`);
  onlyKeys(v, ['onoff', 'linger']);
  const field = (key: 'onoff' | 'linger'): number => {
    if (v[key] === undefined) throw new ArgError(`missing "${key}"`);
    try {
      return integer(v[key], INT32_MIN, INT32_MAX);
    } catch (e) {
      if (e instanceof ArgError) throw new ArgError(`"${key}": ${e.message}`);
      throw e;
    }
  };
  return { onoff: field('onoff'), linger: field('linger') };
}

/** getsockopt's expected value: an integer, an errno name (SO_ERROR), or `{"onoff", "linger"}`. */
function expectedOptval(v: unknown): void {
  if (typeof v === 'string') {
    if (!isErrno(v))
      throw new ArgError(`expected an integer, an errno name or {"onoff", "linger"}, got ${show(v)}`);
    return;
  }
  optval(v);
}

/** The table signal arguments are read with: every name (ANY_NAME holds the signal names too). */
const SIGNALS: FlagTable = ANY_NAME;

/**
 * One signal: a name or a number, not names joined by "|" — a signal is a number, not a mask, and
 * "SIGUSR1|SIGUSR2" would send neither (10|12 is SIGALRM).
 */
function oneSignal(v: unknown): number {
  if (typeof v === 'string' && v.includes('|'))
    throw new ArgError(`a signal is one name or number, not a flag word: ${show(v)}`);
  return flagWord(v, SIGNALS);
}

/**
 * A sigset_t: a list of signals, or null (a null pointer). Each is 1 … 64: sigaddset refuses any
 * other, so no C program can put one in a set, and a script that tries is malformed.
 */
function signalSet(v: unknown): number[] | null {
  if (v === null) return null;
  if (!Array.isArray(v)) throw new ArgError(`expected a list of signals or null, got ${show(v)}`);
  return v.map((entry, i) => {
    try {
      if (typeof entry !== 'number' && typeof entry !== 'string')
        throw new ArgError(`expected a signal (a name or a number), got ${show(entry)}`);
      const sig = oneSignal(entry);
      if (!Number.isInteger(sig) || sig < 1 || sig > NSIG)
        throw new ArgError(`${show(entry)} is ${sig}, not a signal a sigset_t holds (1 … ${NSIG})`);
      return sig;
    } catch (e) {
      if (e instanceof ArgError) throw new ArgError(`[${i}]: ${e.message}`);
      throw e;
    }
  });
}

function integer(v: unknown, min: number, max: number, alt = ''): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ArgError(`expected an integer${alt}, got ${show(v)}`);
  if (v < min || v > max) throw new ArgError(`${v} is out of range (${min} to ${max})`);
  return v;
}

/**
 * A flag word in an argument: names from any table (ANY_NAME), or raw bits. The kernel receives
 * only bits, so `epoll_create1("O_NONBLOCK")` is a question for the kernel (script-format.md,
 * "Arguments"); only a name no table knows is malformed. `table`, the argument's own names, only
 * ranks the "did you mean" and the list in the message.
 */
function flagWord(v: unknown, table: FlagTable): number {
  return flagWordIn(v, ANY_NAME, table);
}

/** A flag word in an expected result: only that kind's names (EPOLL* in events), as results write them. */
function expectedMask(v: unknown, table: FlagTable): number {
  return flagWordIn(v, table, table);
}

function flagWordIn(v: unknown, names: FlagTable, own: FlagTable): number {
  // Said here, with show(): a value nested thousands deep must not reach JSON.stringify.
  if (typeof v !== 'number' && typeof v !== 'string')
    throw new ArgError(`expected a flag word, got ${show(v)}`);
  try {
    return parseFlags(v, names);
  } catch (e) {
    if (e instanceof FlagError) throw new ArgError(flagHint(v, names, own) ?? e.message);
    throw e;
  }
}

/**
 * For a flag word with a name `names` lacks: the name, and the one it is closest to (as for
 * calls), looked for first among the argument's own names, then among all; else the own names.
 */
function flagHint(v: unknown, names: FlagTable, own: FlagTable): string | undefined {
  if (typeof v !== 'string') return undefined;
  for (const word of v.split('|').map((w) => w.trim())) {
    if (word === '' || Object.hasOwn(names, word) || /^(0x[0-9a-f]+|\d+)$/i.test(word)) continue;
    const upper = word.toUpperCase();
    const near = Object.hasOwn(names, upper)
      ? upper
      : (closest(word, Object.keys(own)) ?? (names === own ? undefined : closest(word, Object.keys(names))));
    if (near) return `unknown flag "${word}" (did you mean "${near}"?)`;
    const ownNames = Object.keys(own);
    return ownNames.length
      ? `unknown flag "${word}" (no table knows it; this argument's names: ${ownNames.join(', ')})`
      : `unknown flag "${word}" (no table knows it)`;
  }
  return undefined;
}

/** A descriptor argument: `"$name"` bound earlier, or an integer used as is. */
function fdRef(v: unknown, scope: Scope): FdRef {
  if (typeof v === 'number') return integer(v, INT32_MIN, INT32_MAX);
  if (typeof v !== 'string')
    throw new ArgError(`expected a descriptor ("$name" or an integer), got ${show(v)}`);
  if (!v.startsWith('$')) {
    const hint = NAME.test(v) ? ` (did you mean "$${v}"?)` : '';
    throw new ArgError(`expected a descriptor ("$name" or an integer), got ${show(v)}${hint}`);
  }
  const name = v.slice(1);
  if (!scope.bound.has(name)) {
    const pending = scope.pendingNames.get(name);
    throw new ArgError(
      pending === undefined
        ? `$${name} is not bound by any earlier step`
        : `$${name} is bound by the call started at step ${pending}, but only once that thread is joined`,
    );
  }
  return name;
}

function epollEvent(v: unknown): { events: number; data: EpollData } | null {
  if (v === null) return null;
  if (!isObject(v)) throw new ArgError(`expected {"events": FLAGS, "data": INTEGER} or null, got ${show(v)}`);
  onlyKeys(v, ['events', 'data']);
  if (v.events === undefined) throw new ArgError(`missing "events"`);
  return { events: flagWord(v.events, FLAG_TABLES.epoll), data: v.data === undefined ? 0 : userData(v.data) };
}

/**
 * epoll_data_t as a script writes it: an integer 0 … 2^53−1, or a decimal string 0 … 2^64−1; the
 * API's one representation (a number below 2^53, a bigint from there). A JSON integer at or above
 * 2^53 is malformed: JSON.parse has already rounded it (9007199254740993 reads as …992), which
 * Number.isSafeInteger detects.
 */
function userData(v: unknown): EpollData {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    if (Number.isInteger(v) && v > 0)
      throw new ArgError(
        `"data" ${v} is at or above 2^53, which JSON readers cannot keep exact: write it as a decimal string`,
      );
  } else if (typeof v === 'string' && /^(0|[1-9]\d{0,19})$/.test(v)) {
    const n = BigInt(v);
    if (n <= U64_MAX) return n < 2n ** 53n ? Number(n) : n;
    throw new ArgError(`"data" ${v} does not fit in 64 bits (the most is 2^64-1, 18446744073709551615)`);
  }
  throw new ArgError(
    `"data" must be an integer from 0 to 2^53-1 or a decimal string up to 2^64-1, got ${show(v)}`,
  );
}

const U64_MAX = 2n ** 64n - 1n;

function pollList(v: unknown, scope: Scope): { fd: FdRef; events: number }[] {
  if (!Array.isArray(v)) throw new ArgError(`expected a list of {"fd", "events"}, got ${show(v)}`);
  return v.map((entry, i) => {
    try {
      if (!isObject(entry)) throw new ArgError(`expected {"fd", "events"}, got ${show(entry)}`);
      onlyKeys(entry, ['fd', 'events']);
      if (entry.events === undefined) throw new ArgError(`missing "events"`);
      return { fd: fdRef(entry.fd, scope), events: flagWord(entry.events, FLAG_TABLES.poll) };
    } catch (e) {
      if (e instanceof ArgError) throw new ArgError(`[${i}]: ${e.message}`);
      throw e;
    }
  });
}

/** fd_set bits go up to nfds, itself capped at the table size; 2^20 is Linux's NR_OPEN ceiling. */
const FD_SET_LIMIT = 1 << 20;

function fdSet(v: unknown, scope: Scope): FdRef[] | null {
  if (v === null) return null;
  if (!Array.isArray(v)) throw new ArgError(`expected a list of descriptors or null, got ${show(v)}`);
  return v.map((entry, i) => {
    try {
      return typeof entry === 'number' ? integer(entry, 0, FD_SET_LIMIT - 1) : fdRef(entry, scope);
    } catch (e) {
      if (e instanceof ArgError) throw new ArgError(`[${i}]: ${e.message}`);
      throw e;
    }
  });
}

function timePair<K extends 'usec' | 'nsec'>(v: unknown, sub: K): { sec: number } & Record<K, number> {
  if (!isObject(v)) throw new ArgError(`expected {"sec", "${sub}"}, got ${show(v)}`);
  onlyKeys(v, ['sec', sub]);
  const num = (x: unknown, key: string): number => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x))
      throw new ArgError(`"${key}" must be an integer, got ${show(x)}`);
    return x;
  };
  return { sec: num(v.sec, 'sec'), [sub]: num(v[sub], sub) } as { sec: number } & Record<K, number>;
}

function itimerspec(v: unknown): {
  interval: { sec: number; nsec: number };
  value: { sec: number; nsec: number };
} {
  if (!isObject(v))
    throw new ArgError(`expected {"interval": {"sec", "nsec"}, "value": {"sec", "nsec"}}, got ${show(v)}`);
  onlyKeys(v, ['interval', 'value']);
  return { interval: timePair(v.interval, 'nsec'), value: timePair(v.value, 'nsec') };
}

function onlyKeys(v: Record<string, unknown>, keys: readonly string[]): void {
  for (const k of Object.keys(v)) {
    if (!keys.includes(k))
      throw new ArgError(`unknown key "${k}" (expected ${keys.map((x) => `"${x}"`).join(', ')})`);
  }
}

// ---- expect ----

/**
 * Validate an `expect` against the shape of the call's result, so a typo in an expected key or
 * mask fails before the run rather than as a puzzling mismatch after it.
 */
function parseExpect(v: unknown, shape: ResultShape, scope: Scope, fail: (d: string) => never): JsonObject {
  if (!isObject(v)) return fail(`"expect" must be an object, got ${show(v)}`);
  const at = (key: string, check: () => void): void => {
    try {
      check();
    } catch (e) {
      if (e instanceof ArgError) fail(`expect.${key}: ${e.message}`);
      throw e;
    }
  };
  if ('errno' in v) {
    const extra = Object.keys(v).filter((k) => k !== 'errno');
    if (extra.length) fail(`"expect" has "errno" and ${show(extra)}: a failed call reports only its errno`);
    if (typeof v.errno !== 'string' || !isErrno(v.errno))
      fail(`expect.errno: unknown errno ${show(v.errno)}`);
    return v as JsonObject;
  }
  const allowed = ['ret', ...SHAPE_KEYS[shape]];
  for (const [key, value] of Object.entries(v)) {
    if (!allowed.includes(key)) {
      fail(
        `expect.${key}: not part of this call's result (it has ${allowed.map((k) => `"${k}"`).join(', ')}, or "errno")`,
      );
    }
    at(key, () => checkExpected(key, value, shape, scope));
  }
  return v as JsonObject;
}

function checkExpected(key: string, v: unknown, shape: ResultShape, scope: Scope): void {
  switch (key) {
    case 'ret':
      if (shape === 'fd') expectedFd(v, scope);
      else integer(v, INT32_MIN, 2 ** 53);
      return;
    case 'fds':
      if (!Array.isArray(v) || v.length !== 2)
        throw new ArgError(`expected a list of two descriptors, got ${show(v)}`);
      for (const x of v) expectedFd(x, scope);
      return;
    case 'events':
      if (!Array.isArray(v)) throw new ArgError(`expected a list of {"events", "data"}, got ${show(v)}`);
      v.forEach((e, i) => {
        if (!isObject(e) || e.events === undefined || e.data === undefined) {
          throw new ArgError(`[${i}]: expected {"events": FLAGS, "data": INTEGER}, got ${show(e)}`);
        }
        onlyKeys(e, ['events', 'data']);
        expectedMask(e.events, FLAG_TABLES.epoll);
        userData(e.data);
      });
      return;
    case 'revents':
      if (!Array.isArray(v)) throw new ArgError(`expected a list of POLL* flag words, got ${show(v)}`);
      for (const m of v) expectedMask(m, FLAG_TABLES.poll);
      return;
    case 'readfds':
    case 'writefds':
    case 'exceptfds':
      if (v === null) return;
      if (!Array.isArray(v)) throw new ArgError(`expected a list of descriptors or null, got ${show(v)}`);
      for (const x of v) expectedFd(x, scope);
      return;
    case 'timeout':
      if (v !== null) timePair(v, shape === 'pselect' ? 'nsec' : 'usec');
      return;
    case 'set':
      expectedSignals(v, true);
      return;
    case 'signals':
      expectedSignals(v, false);
      return;
    case 'data':
      try {
        decodePayload(v);
      } catch (e) {
        throw new ArgError((e as Error).message);
      }
      return;
    case 'old':
      if (shape === 'sigmask') expectedSignals(v, true);
      else itimerspec(v);
      return;
    case 'value':
      if (shape === 'sockopt') expectedOptval(v);
      else itimerspec(v);
      return;
    case 'address':
      expectedAddress(v, shape === 'recvfrom');
      return;
  }
}

/** Signals in an expected result (a set, or read_signalfd's list): names or numbers 1 … 64. */
function expectedSignals(v: unknown, set: boolean): void {
  if (!Array.isArray(v))
    throw new ArgError(`expected a list of signals${set ? ' (a signal set)' : ''}, got ${show(v)}`);
  signalSet(v);
}

/** A descriptor in an expected result: a name bound by now (with or without `$`), or a number. */
function expectedFd(v: unknown, scope: Scope): void {
  if (typeof v === 'number' && Number.isInteger(v)) return;
  if (typeof v !== 'string') throw new ArgError(`expected a descriptor (a name or a number), got ${show(v)}`);
  const name = v.startsWith('$') ? v.slice(1) : v;
  if (!scope.bound.has(name))
    throw new ArgError(`"${name}" is not a name bound by this step or an earlier one`);
}

// ---- messages ----

/** Where JSON.parse stopped, as line and column, with what was expected there. */
function jsonErrorWhere(text: string, e: unknown): string {
  const found = findJsonError(text);
  if (found) return `line ${found.line}, column ${found.column}: ${found.problem}`;
  return e instanceof Error ? e.message : String(e);
}

/** The candidate within edit distance 2 of `word`, for "did you mean". */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}
