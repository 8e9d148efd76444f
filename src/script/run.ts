// Run a parsed script on any Backend (src/api/backend.ts), as script-format.md describes: one
// fresh process, names bound to descriptors as steps return them, calls on named threads that
// the script goes on past while they block, results written in the format's terms (names for
// descriptors, flag words for masks, Latin-1 strings for bytes) and compared with `expect`.
//
// The runner knows nothing of either kernel: it calls the typed `Syscalls` methods and leaves
// blocking, waking and time to the backend's `wait` and `settle`.

import { AF } from '../abi/constants.ts';
import { FLAG_TABLES, formatMask } from '../abi/flags.ts';
import { SIGNALFD_SIGINFO_SIZE, signalName } from '../abi/signal.ts';
import { type Backend, BlocksForever, type ProcessHandle, ProcessKilled } from '../api/backend.ts';
import { checkPrivateName } from '../api/cargs.ts';
import { formatIn4, formatIn6, trySockaddr } from '../api/sockaddr.ts';
import {
  type EpollData,
  type EpollEvent,
  failed,
  type Itimerspec,
  type Linger,
  type SigHandler,
  type Sigset,
  type SockoptValue,
  type SysResult,
  type Timespec,
  type Timeval,
  Unsupported,
} from '../api/syscalls.ts';
import { type Arg, type ArgReader, argsOf, callDef, type ResultShape } from './calls.ts';
import { mismatchedKeys } from './compare.ts';
import { MAIN_THREAD, type Script, type Step } from './parse.ts';
import { bytesToLatin1, type FdRef, type Json, type JsonObject } from './values.ts';

/** What one step did. */
export interface StepOutcome {
  readonly step: number;
  readonly call: string;
  /** The thread a call was started on (its result is `{blocked}`). */
  readonly thread?: string;
  readonly result: JsonObject;
  /** The step's `expect`, as written, where it has one. */
  readonly expected?: JsonObject;
  /** Whether the result matched `expect`; absent where there is no expect. */
  readonly ok?: boolean;
  /** The keys of `expect` that did not match. */
  readonly mismatched?: readonly string[];
}

/**
 * Why a run stopped before its end:
 * - `blocks-forever`: a call can never return (a deadlock on the simulated kernel, a time-out on Linux);
 * - `unsupported`: the backend does not model something the step needs;
 * - `unbound`: a `$name` whose binding call failed, so it names no descriptor;
 * - `killed`: a signal whose default action ends or stops the process was delivered (the backend
 *   rejected with ProcessKilled; format v1.1, "Signals");
 * - `error`: anything else (a bug in a backend or in the runner).
 */
export type FailureKind = 'blocks-forever' | 'unsupported' | 'unbound' | 'killed' | 'error';

/** Why a run stopped before its last step (or could not create or close its process). */
export interface RunFailure {
  /** The step the run stopped at; null when the process could not be created or closed. */
  readonly step: number | null;
  readonly call: string;
  readonly kind: FailureKind;
  readonly message: string;
  /** For `killed`: the signal, as results name it ("SIGTERM"), and its default action. */
  readonly signal?: string;
  readonly action?: ProcessKilled['action'];
  /** The exception, for a debugging stack trace. */
  readonly cause?: unknown;
}

/** A run of a script: each step's outcome, and why it stopped early if it did. */
export interface RunReport {
  readonly backend: Backend['name'];
  readonly outcomes: readonly StepOutcome[];
  readonly failure?: RunFailure;
}

/** Options for `runScript`. */
export interface RunOptions {
  /** Called as each step completes (for streaming output); the run waits for a promise it returns. */
  /** `names`: the bindings after the step (a trace names descriptors by them). */
  readonly onStep?: (outcome: StepOutcome, step: Step, names: Bindings) => unknown;
  /**
   * The hidden prefix put before every abstract address, so that scripts running at the same
   * time do not share names (script-format.md, "The process a script runs in"). Default: a
   * fixed one on the simulated kernel, a fresh one per run on Linux — of the same length, so an
   * address-length limit falls at the same place on both.
   */
  readonly addressPrefix?: string;
}

/** Exit status as the format defines it: 2 a run that could not finish, 1 a mismatch, else 0. */
export function exitStatus(report: RunReport): 0 | 1 | 2 {
  if (report.failure) return 2;
  return report.outcomes.some((o) => o.ok === false) ? 1 : 0;
}

/**
 * Run a script in a fresh process on `backend`, checking every `expect`. Never throws for a
 * backend's problem: a call that blocks forever or is unsupported ends the run with a `failure`.
 */
export async function runScript(script: Script, backend: Backend, opts: RunOptions = {}): Promise<RunReport> {
  const outcomes: StepOutcome[] = [];
  let proc: ProcessHandle;
  try {
    proc = await backend.createProcess();
  } catch (e) {
    return { backend: backend.name, outcomes, failure: describeFailure(e, null, '(create process)') };
  }
  const run = new Run(script, proc, opts.addressPrefix ?? defaultPrefix(backend.name));
  let failure: RunFailure | undefined;
  for (const step of script.steps) {
    try {
      const outcome = await run.step(step);
      outcomes.push(outcome);
      await opts.onStep?.(outcome, step, run.names);
    } catch (e) {
      failure = describeFailure(e, step.index, step.call);
      break;
    }
  }
  try {
    await proc.close();
  } catch (e) {
    failure ??= describeFailure(e, null, '(close process)');
  }
  return failure ? { backend: backend.name, outcomes, failure } : { backend: backend.name, outcomes };
}

/** A problem the runner finds at run time (the parser cannot see which calls will fail). */
class RunError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** A call started on a thread and not yet joined. */
interface Running {
  readonly step: Step;
  readonly call: Promise<SysResult<object>>;
  /** Set once the call has returned (or failed); `blocked` reads it. */
  readonly state: { done: boolean; error?: unknown };
}

class Run {
  readonly names = new Bindings();
  readonly running = new Map<string, Running>();
  /** How results write addresses: the run's abstract-name prefix and the script's own ports. */
  readonly addresses: AddressStyle;

  constructor(
    readonly script: Script,
    readonly proc: ProcessHandle,
    readonly prefix: string,
  ) {
    this.addresses = { prefix, ports: scriptPorts(script) };
  }

  async step(step: Step): Promise<StepOutcome> {
    if (step.call === 'join') {
      const thread = stringArg(step.args[0]);
      const running = this.running.get(thread);
      // The parser guarantees a started call for every join.
      if (!running) throw new Error(`internal: join of ${thread} with no call running`);
      this.running.delete(thread);
      return this.finish(step, running.step, await this.proc.wait(running.call));
    }
    if (step.call === 'blocked') {
      const thread = stringArg(step.args[0]);
      const running = this.running.get(thread);
      // The parser guarantees a started, unjoined call for every blocked.
      if (!running) throw new Error(`internal: blocked of ${thread} with no call running`);
      // The same grace a thread start gets: woken threads run to their return (sim), or get 50 ms (Linux).
      await this.settled();
      return this.finish(step, step, { ret: running.state.done ? 0 : 1 });
    }
    if (step.call === 'caught')
      return this.finish(step, step, { ret: await this.proc.caught(intArg(step.args[0])) });
    const def = callDef(step.call);
    // tgkill's thread becomes its tid before the call is made: the simulated kernel's `wait`
    // knows a call by the very promise the syscall returned, so nothing may wrap it.
    const tids = new Map<number, number>();
    for (const [i, a] of step.args.entries()) {
      if (a.kind === 'string' && argsOf(step.call)[i]?.type.kind === 'tid')
        tids.set(i, await this.proc.tid(a.value));
    }
    const args = new StepArgs(step, this.names, this.prefix, tids);
    if (step.thread === undefined) {
      return this.finish(step, step, await this.proc.wait(def.invoke(this.proc.thread(MAIN_THREAD), args)));
    }
    const call = def.invoke(this.proc.thread(step.thread), args);
    const state: { done: boolean; error?: unknown } = { done: false };
    // Handled at once, so a call that fails while nobody awaits it is not an unhandled rejection;
    // the join awaits `call` itself, which rejects again there.
    call.then(
      () => {
        state.done = true;
      },
      (e: unknown) => {
        state.done = true;
        state.error = e;
      },
    );
    await this.settled();
    if (state.error !== undefined) throw state.error;
    this.running.set(step.thread, { step, call, state });
    return { step: step.index, call: step.call, thread: step.thread, result: { blocked: !state.done } };
  }

  /** Let started and woken threads reach their blocking point (or return). */
  private async settled(): Promise<void> {
    await this.proc.settle();
    // Settling may resolve a call in the backend's last microtask; one macrotask lets every
    // pending reaction run, so `done` is exact rather than racy.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }

  /** Bind what the call returned, write its result, compare with the step's expect. */
  private finish(step: Step, origin: Step, raw: SysResult<object>): StepOutcome {
    const shape = step.shape as ResultShape;
    this.bindResult(origin, shape, raw);
    const result = formatResult(shape, raw, this.names, this.addresses);
    if (!step.expect) return { step: step.index, call: step.call, result };
    const mismatched = mismatchedKeys(step.expect, result, shape, {
      unordered: step.unordered,
      fdOf: (name) => this.names.fdOf(name),
    });
    return {
      step: step.index,
      call: step.call,
      result,
      expected: step.expect,
      ok: mismatched.length === 0,
      mismatched,
    };
  }

  private bindResult(origin: Step, shape: ResultShape, raw: SysResult<object>): void {
    if (origin.bind.length === 0) return;
    if (failed(raw)) {
      // As `x = socket(...)` leaves x == -1 in C: the name no longer denotes its old descriptor.
      for (const name of origin.bind)
        this.names.unbind(name, `step ${origin.index} (${origin.call}) failed with ${raw.errno}`);
      return;
    }
    const fds = shape === 'pair' ? pairOf(raw) : [(raw as { ret: number }).ret];
    origin.bind.forEach((name, i) => {
      this.names.bind(name, fds[i]);
    });
  }
}

/** Names and the descriptors they denote, as bound so far in one run. */
export class Bindings {
  private readonly byName = new Map<string, { fd: number; seq: number }>();
  /** Names whose binding call failed, with why (for the message when one is used). */
  private readonly lost = new Map<string, string>();
  private seq = 0;

  bind(name: string, fd: number): void {
    this.byName.set(name, { fd, seq: this.seq++ });
    this.lost.delete(name);
  }

  unbind(name: string, why: string): void {
    this.byName.delete(name);
    this.lost.set(name, why);
  }

  fdOf(name: string): number | undefined {
    return this.byName.get(name)?.fd;
  }

  /** Why `name` denotes nothing, when a failed call unbound it. */
  whyUnbound(name: string): string | undefined {
    return this.lost.get(name);
  }

  /**
   * A descriptor as results write it: the most recently bound name that still denotes it (a name
   * rebound elsewhere no longer does), or its number.
   */
  nameOf(fd: number): FdRef {
    let best: { name: string; seq: number } | undefined;
    for (const [name, b] of this.byName) {
      if (b.fd === fd && (!best || b.seq > best.seq)) best = { name, seq: b.seq };
    }
    return best?.name ?? fd;
  }
}

/** Resolves one step's parsed arguments against the bindings of this moment. */
class StepArgs implements ArgReader {
  constructor(
    readonly s: Step,
    readonly names: Bindings,
    readonly prefix: string,
    /** tgkill's threads as tids, by argument index, asked of the backend before the call. */
    readonly tids: ReadonlyMap<number, number> = new Map(),
  ) {}

  private get(i: number): Arg {
    const a = this.s.args[i];
    if (!a) throw new Error(`internal: step ${this.s.index} has no argument ${i}`);
    return a;
  }

  private resolve(ref: FdRef): number {
    if (typeof ref === 'number') return ref;
    const fd = this.names.fdOf(ref);
    if (fd !== undefined) return fd;
    const why = this.names.whyUnbound(ref);
    throw new RunError('unbound', `$${ref} denotes no descriptor${why ? `: ${why}` : ''}`);
  }

  int(i: number): number {
    const a = this.get(i);
    if (a.kind === 'int') return a.value;
    throw kindError(this.s, i, 'an integer', a);
  }
  fd(i: number): number {
    const a = this.get(i);
    if (a.kind === 'fd') return this.resolve(a.ref);
    throw kindError(this.s, i, 'a descriptor', a);
  }
  bytes(i: number): Uint8Array {
    const a = this.get(i);
    if (a.kind === 'bytes') return a.value;
    throw kindError(this.s, i, 'a payload', a);
  }
  string(i: number): string {
    return stringArg(this.get(i));
  }
  address(i: number): string {
    const a = this.destination(i);
    if (a === null) throw new Error(`internal: step ${this.s.index} argument ${i} is a null address`);
    return a;
  }
  destination(i: number): string | null {
    const a = this.get(i);
    if (a.kind !== 'address') throw kindError(this.s, i, 'an address', a);
    if (a.value === null || !a.value.startsWith('@')) return a.value;
    // "@name" stays abstract; the prefix goes after the '@' (the leading NUL on Linux). A name
    // that fits only without it is refused as the Linux backend refuses it behind its own prefix.
    const name = a.value.slice(1);
    checkPrivateName(this.s.call, name.length, this.prefix.length);
    return `@${this.prefix}${name}`;
  }
  optval(i: number): number | Linger {
    const a = this.get(i);
    if (a.kind === 'optval') return typeof a.value === 'number' ? a.value : { ...a.value };
    throw kindError(this.s, i, 'an option value', a);
  }
  event(i: number): EpollEvent | null {
    const a = this.get(i);
    if (a.kind === 'event') return a.value && { ...a.value };
    throw kindError(this.s, i, 'an epoll event', a);
  }
  pollfds(i: number): { fd: number; events: number }[] {
    const a = this.get(i);
    if (a.kind === 'pollfds') return a.value.map((p) => ({ fd: this.resolve(p.fd), events: p.events }));
    throw kindError(this.s, i, 'a poll list', a);
  }
  fdset(i: number): number[] | null {
    const a = this.get(i);
    if (a.kind !== 'fdset') throw kindError(this.s, i, 'an fd set', a);
    if (a.value === null) return null;
    // An fd_set is a bitmap: ascending, each descriptor once, as the FdSet type says.
    return [...new Set(a.value.map((r) => this.resolve(r)))].sort((x, y) => x - y);
  }
  timeval(i: number): Timeval | null {
    const a = this.get(i);
    if (a.kind === 'timeval') return a.value && { ...a.value };
    throw kindError(this.s, i, 'a timeval', a);
  }
  timespec(i: number) {
    const a = this.get(i);
    if (a.kind === 'timespec') return a.value && { ...a.value };
    throw kindError(this.s, i, 'a timespec', a);
  }
  itimerspec(i: number): Itimerspec {
    const a = this.get(i);
    if (a.kind === 'itimerspec') return { interval: { ...a.value.interval }, value: { ...a.value.value } };
    throw kindError(this.s, i, 'an itimerspec', a);
  }
  nfds(i: number): number | 'max+1' {
    const a = this.get(i);
    if (a.kind === 'nfds') return a.value;
    throw kindError(this.s, i, 'nfds', a);
  }
  sigset(i: number): Sigset | null {
    const a = this.get(i);
    if (a.kind === 'sigset') return a.value && [...a.value];
    throw kindError(this.s, i, 'a signal set', a);
  }
  handler(i: number): SigHandler {
    // The parser admits only the three handlers.
    return this.string(i) as SigHandler;
  }
  tid(i: number): number {
    const tid = this.tids.get(i);
    if (tid === undefined) throw new Error(`internal: step ${this.s.index} argument ${i} has no tid`);
    return tid;
  }
}

function intArg(a: Arg | undefined): number {
  if (a?.kind === 'int') return a.value;
  throw new Error(`internal: expected an integer argument, got ${a?.kind}`);
}

function stringArg(a: Arg | undefined): string {
  if (a?.kind === 'string') return a.value;
  throw new Error(`internal: expected a string argument, got ${a?.kind}`);
}

function kindError(s: Step, i: number, want: string, got: Arg): Error {
  // The parser builds arguments from the same table the calls read them by: this is a bug.
  return new Error(`internal: step ${s.index} (${s.call}) argument ${i}: expected ${want}, got ${got.kind}`);
}

// ---- results ----

/**
 * How results write socket addresses (script-format.md v1.1): abstract names without the run's
 * hidden prefix, and a port as its number when it is 0 or one of the script's own ports (those in
 * its address arguments), else as `*`, since a port the kernel chose differs from run to run.
 */
export interface AddressStyle {
  /** The hidden prefix the runner put after '@' (empty where the backend hides its own). */
  readonly prefix: string;
  readonly ports: ReadonlySet<number>;
}

/** The ports a script names in its address arguments (bind, connect, sendto). */
export function scriptPorts(script: Script): Set<number> {
  const ports = new Set<number>();
  for (const step of script.steps)
    for (const a of step.args) {
      if (a.kind !== 'address' || a.value === null) continue;
      const sa = trySockaddr(a.value);
      if (typeof sa !== 'string' && (sa.family === AF.AF_INET || sa.family === AF.AF_INET6))
        ports.add(sa.port);
    }
  return ports;
}

/** An address a backend returned, as results write it (`AddressStyle`). */
export function addressJson(address: string | null, style: AddressStyle): string | null {
  if (address === null) return null;
  if (address.startsWith('@')) {
    const hidden = `@${style.prefix}`;
    return style.prefix !== '' && address.startsWith(hidden) ? `@${address.slice(hidden.length)}` : address;
  }
  const sa = trySockaddr(address);
  if (typeof sa === 'string') return address;
  if (sa.family !== AF.AF_INET && sa.family !== AF.AF_INET6) return address;
  const port = sa.port === 0 || style.ports.has(sa.port) ? String(sa.port) : '*';
  return sa.family === AF.AF_INET ? `${formatIn4(sa.addr)}:${port}` : `[${formatIn6(sa.addr)}]:${port}`;
}

/** getsockopt's value as results write it: an int, an errno name, or `{onoff, linger}`. */
function optvalJson(v: SockoptValue): Json {
  return typeof v === 'object' ? { onoff: v.onoff, linger: v.linger } : v;
}

const NO_ADDRESSES: AddressStyle = { prefix: '', ports: new Set() };

/** A result in the format's terms (script-format.md, "Results"). */
export function formatResult(
  shape: ResultShape,
  raw: SysResult<object>,
  names: Bindings,
  addresses: AddressStyle = NO_ADDRESSES,
): JsonObject {
  if (failed(raw)) return { errno: raw.errno };
  const r = raw as { ret: number } & Record<string, unknown>;
  switch (shape) {
    case 'ret':
      return { ret: r.ret };
    case 'fd':
      return { ret: names.nameOf(r.ret) };
    case 'pair':
      return { ret: r.ret, fds: pairOf(raw).map((fd) => names.nameOf(fd)) };
    case 'events':
      return {
        ret: r.ret,
        events: field<EpollEvent[]>(r, 'events').map((e) => ({
          events: formatMask(e.events, FLAG_TABLES.epoll),
          data: dataJson(e.data),
        })),
      };
    case 'revents':
      return {
        ret: r.ret,
        revents: field<number[]>(r, 'revents').map((m) => formatMask(m, FLAG_TABLES.poll)),
      };
    case 'select':
    case 'pselect': {
      const set = (key: string): Json => {
        const fds = field<number[] | null>(r, key);
        return fds === null ? null : [...fds].sort((a, b) => a - b).map((fd) => names.nameOf(fd));
      };
      const t = field<(Timeval & Timespec) | null>(r, 'timeout');
      const timeout: Json =
        t === null ? null : shape === 'select' ? { sec: t.sec, usec: t.usec } : { sec: t.sec, nsec: t.nsec };
      return {
        ret: r.ret,
        readfds: set('readfds'),
        writefds: set('writefds'),
        exceptfds: set('exceptfds'),
        timeout,
      };
    }
    case 'sigmask':
      return { ret: r.ret, old: signalsJson(field<number[]>(r, 'old')) };
    case 'sigpending':
      return { ret: r.ret, set: signalsJson(field<number[]>(r, 'set')) };
    case 'signals':
      return { ret: r.ret, signals: siginfoSignals(field<Uint8Array>(r, 'data')) };
    case 'read':
      return { ret: r.ret, data: bytesToLatin1(field<Uint8Array>(r, 'data')) };
    case 'settime':
      return { ret: r.ret, old: itimerspecJson(field<Itimerspec>(r, 'old')) };
    case 'gettime':
      return { ret: r.ret, value: itimerspecJson(field<Itimerspec>(r, 'value')) };
    case 'address':
      return { ret: r.ret, address: addressJson(field<string>(r, 'address'), addresses) };
    case 'sockopt':
      return { ret: r.ret, value: optvalJson(field<SockoptValue>(r, 'value')) };
    case 'recvfrom':
      return {
        ret: r.ret,
        data: bytesToLatin1(field<Uint8Array>(r, 'data')),
        address: addressJson(field<string | null>(r, 'address'), addresses),
      };
  }
}

/** epoll_data_t as results write it: an integer below 2^53, a decimal string from 2^53 up. */
export function dataJson(data: EpollData): number | string {
  return typeof data === 'bigint' ? String(data) : data;
}

/** A signal set as results write it: names, ascending by number, each once. */
function signalsJson(set: readonly number[]): string[] {
  return [...new Set(set)].sort((a, b) => a - b).map(signalName);
}

/**
 * read_signalfd's `signals`: the ssi_signo of each whole struct signalfd_siginfo read (Linux:
 * include/uapi/linux/signalfd.h — a u32 at offset 0 of each 128-byte record, little-endian on x86-64).
 */
function siginfoSignals(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  for (let at = 0; at + SIGNALFD_SIGINFO_SIZE <= bytes.length; at += SIGNALFD_SIGINFO_SIZE)
    out.push(signalName(view.getUint32(at, true)));
  return out;
}

function itimerspecJson(t: Itimerspec): JsonObject {
  return {
    interval: { sec: t.interval.sec, nsec: t.interval.nsec },
    value: { sec: t.value.sec, nsec: t.value.nsec },
  };
}

function pairOf(raw: SysResult<object>): [number, number] {
  return field<[number, number]>(raw as Record<string, unknown>, 'fds');
}

/** A field the Syscalls contract promises on success; its absence is a backend bug, said plainly. */
function field<T>(r: Record<string, unknown>, key: string): T {
  if (!(key in r)) throw new Error(`backend returned a successful result without "${key}"`);
  return r[key] as T;
}

// ---- failures ----

function describeFailure(e: unknown, step: number | null, call: string): RunFailure {
  if (e instanceof BlocksForever) {
    const who = e.blocked.map((b) => `${b.thread} in ${b.call}`).join(', ');
    return {
      step,
      call,
      kind: 'blocks-forever',
      // The sim's message already lists the blocked threads; Linux's does not.
      message: `blocks forever: ${e.message}${who && !e.message.includes(who) ? ` (${who})` : ''}`,
      cause: e,
    };
  }
  if (e instanceof Unsupported) return { step, call, kind: 'unsupported', message: e.message, cause: e };
  if (e instanceof ProcessKilled) {
    const signal = signalName(e.signal);
    const how = e.action === 'stop' ? 'stopped' : 'killed';
    // "step 4: the process was killed by SIGTERM": the step is in the message too, as the run's
    // last word (the process is gone, so no later step ran).
    const where = step === null ? '' : `step ${step}: `;
    const message = `${where}the process was ${how} by ${signal}`;
    return { step, call, kind: 'killed', message, signal, action: e.action, cause: e };
  }
  if (e instanceof RunError) return { step, call, kind: e.kind, message: e.message, cause: e };
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { step, call, kind: 'error', message, cause: e };
}

function defaultPrefix(backend: Backend['name']): string {
  // The Linux backend makes abstract names private itself, with a per-run prefix of 19
  // characters ("iomux-" + 12 hex digits + "/"). On the simulated kernel, names are private to
  // its own fresh kernel already; a fixed prefix of the same length makes the 107-byte
  // address limit fall at the same name length on both.
  return backend === 'sim' ? 'iomux-000000000000/' : '';
}
