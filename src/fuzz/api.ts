// The API fuzzer: random system calls with hostile arguments through the simulated kernel's public
// `Syscalls` (SimSyscalls), on several threads, with the kernel's invariants checked after every
// call (src/kernel/check.ts). It proves that no input crashes the kernel: every call returns a
// result value or throws `Unsupported`, every invariant holds, and once everything is closed
// nothing is left. Seeded and reproducible; a failure shrinks (fast-check) to a syscall script.
//
// A run is a list of actions, interpreted as a script runner runs a script (so the shrunk actions
// print as one): a call on the main thread waits until it returns (the virtual clock moves to the
// next timer when every thread is blocked; a deadlock ends the run, as it stops a script); a call
// on t1…t7 starts and may stay blocked; a join waits for it. Each run ends by abandoning the
// calls still blocked and closing every descriptor (the runner's `close`), then checks that nothing
// is left. Descriptors are chosen from what is open (any, or of one type), larval, closed before,
// or any 32-bit value; flags from every bit; counts, timeouts and maxevents from the edges.

import fc from 'fast-check';
import { EPOLL, F, O, SOCK } from '../abi/constants.ts';
import { isErrno } from '../abi/errno.ts';
import { BlocksForever } from '../api/backend.ts';
import {
  type EpollEvent,
  type Itimerspec,
  type Syscalls,
  type SysResult,
  type Timespec,
  Unsupported,
} from '../api/syscalls.ts';
import { checkKernel, checkNothingLeft } from '../kernel/check.ts';
import type { File } from '../kernel/file.ts';
import { Kernel } from '../kernel/kernel.ts';
import { unixSockOfFile } from '../kernel/net/unix/af_unix.ts';
import type { Process } from '../kernel/proc.ts';
import type { CallRecord } from '../kernel/sched.ts';
import { createScriptProcess, SimSyscalls } from '../kernel/system.ts';
import { formatScriptJson, type Json, type JsonObject, parseScript } from '../script/index.ts';

// ---- actions ----

/** How an action names a descriptor: resolved against the kernel's state when it runs. */
export type FdChoice =
  | { readonly pick: 'any' | FileKind | 'closed'; readonly i: number }
  | { readonly raw: number };

/**
 * A file of one type; `pollable`: any file with ->poll (epoll can watch it); `unbound`, `bound`
 * and `listener`: an unconnected AF_UNIX socket without a name, or with one, or listening.
 */
type FileKind =
  | 'eventpoll'
  | 'pipe'
  | 'unix'
  | 'eventfd'
  | 'timerfd'
  | 'pollable'
  | 'unbound'
  | 'bound'
  | 'listener';

/** A payload: `len` bytes of `byte`, or one u64 (eventfd). */
export type Payload = { readonly len: number; readonly byte: number } | { readonly u64: bigint };

/** An argument as an action holds it: a descriptor choice, or a value with choices inside. */
type AArg = FdChoice | number | bigint | string | null | Payload | AObj | AArg[];
interface AObj {
  readonly [key: string]: AArg;
}

export interface CallAction {
  readonly op: 'call';
  /** 0 is main; 1…7 are t1…t7 (a busy thread's call goes to the next idle one, or to main). */
  readonly thread: number;
  readonly name: ApiCall;
  readonly args: readonly AArg[];
}
export interface JoinAction {
  readonly op: 'join';
  readonly thread: number;
}
/**
 * A listening AF_UNIX socket in three calls on main (socket, bind, listen): a server that random
 * single calls rarely assemble, so that accept4 (and its larval descriptor) and connect get used.
 */
export interface ServerAction {
  readonly op: 'server';
  readonly type: number;
  readonly address: string;
  readonly backlog: number;
}
export type Action = CallAction | JoinAction | ServerAction;

export type ApiCall = Exclude<keyof Syscalls, 'pipe'> | 'pipe';

const THREADS = ['main', 't1', 't2', 't3', 't4', 't5', 't6', 't7'] as const;
const OTHER_THREADS = THREADS.length - 1;
/** What the script runner prefixes abstract names with on the simulated kernel (run.ts). */
const SIM_NAME_PREFIX = 'iomux-000000000000/';

// ---- arbitraries ----

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const int32 = fc.integer({ min: INT_MIN, max: INT_MAX });
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
/** Values no C int holds: the model must refuse them with Unsupported, never crash. */
const nonInt = fc.constantFrom(Number.NaN, 1.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, Number.POSITIVE_INFINITY);

/** A descriptor choice; `hostile` in 20 is a value no C int holds. */
const fdChoice = (
  prefer: FileKind | 'any' = 'any',
  hostile = 1,
  preferWeight = 10,
): fc.Arbitrary<FdChoice> => {
  const i = fc.nat(63);
  const parts: fc.WeightedArbitrary<FdChoice>[] = [
    { weight: preferWeight, arbitrary: i.map((n) => ({ pick: prefer, i: n })) },
    { weight: 4, arbitrary: i.map((n) => ({ pick: 'any' as const, i: n })) },
    { weight: 2, arbitrary: i.map((n) => ({ pick: 'closed' as const, i: n })) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(-1, 0, 1, 2, 1023, 1024, 1025, 4096, 65536, INT_MAX, INT_MIN)
        .map((raw) => ({ raw })),
    },
    { weight: 1, arbitrary: int32.map((raw) => ({ raw })) },
  ];
  if (hostile > 0) parts.push({ weight: hostile, arbitrary: nonInt.map((raw) => ({ raw })) });
  return fc.oneof(...parts);
};

/** Flags: the usual ones, one bit of any 32, or any 32-bit value. */
const flagsOf = (...usual: number[]): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.subarray(usual).map((bits) => bits.reduce((a, b) => a | b, 0)) },
    { weight: 2, arbitrary: fc.nat(31).map((b) => 1 << b) },
    { weight: 1, arbitrary: int32 },
  );

const count = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(0, 1, 7, 8, 9, 16, 100, 4096, 4097, 65536, 65537) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 70_000 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(-1, INT_MIN, 2 ** 20, INT_MAX, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 1.5, Number.NaN),
  },
);

const timeoutMs = fc.oneof(
  { weight: 24, arbitrary: fc.constantFrom(0, 0, 0, 1, 10, 100, -1) },
  { weight: 8, arbitrary: fc.constantFrom(1000, INT_MAX, INT_MIN, -2) },
  { weight: 4, arbitrary: int32 },
  { weight: 1, arbitrary: nonInt },
);

const maxevents = fc.oneof(
  { weight: 24, arbitrary: fc.constantFrom(1, 2, 8, 64) },
  { weight: 8, arbitrary: fc.constantFrom(0, -1, 178956970, 178956971, INT_MAX, INT_MIN) },
  { weight: 4, arbitrary: int32 },
  { weight: 1, arbitrary: nonInt },
);

const epollEvents = fc.oneof(
  {
    weight: 24,
    arbitrary: fc
      .tuple(
        fc.subarray([EPOLL.EPOLLIN, EPOLL.EPOLLOUT, EPOLL.EPOLLRDHUP, EPOLL.EPOLLPRI, EPOLL.EPOLLET]),
        // The private bits, each now and then (EXCLUSIVE is EINVAL with most others).
        fc.constantFrom<number>(0, 0, 0, 0, 0, EPOLL.EPOLLONESHOT, EPOLL.EPOLLEXCLUSIVE, EPOLL.EPOLLWAKEUP),
      )
      .map(([bits, extra]) => bits.reduce((a, b) => (a | b) >>> 0, extra)),
  },
  { weight: 6, arbitrary: fc.nat(31).map((b) => (1 << b) >>> 0) },
  { weight: 3, arbitrary: uint32 },
  // Outside a u32 (Unsupported).
  { weight: 1, arbitrary: fc.constantFrom(-1, 2 ** 32, 1.5) },
);

const epollEvent: fc.Arbitrary<AArg> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record({
      events: epollEvents,
      data: fc.oneof(
        { weight: 20, arbitrary: fc.nat(9) },
        { weight: 1, arbitrary: fc.constantFrom(2 ** 53 - 1, -1, 2 ** 53) },
        // epoll_data_t's upper range (EpollData: a bigint from 2^53), a small bigint the backends
        // normalise to a number, and 2^64, which no u64 holds (Unsupported).
        { weight: 2, arbitrary: fc.constantFrom(2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 7n, 2n ** 64n) },
      ),
    }) as fc.Arbitrary<AArg>,
  },
  { weight: 1, arbitrary: fc.constant(null) },
);

const payload: fc.Arbitrary<Payload> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      len: fc.oneof(
        fc.constantFrom(0, 1, 7, 8, 9, 100, 3776, 4000, 4096, 4097, 8000, 65536, 70000, 212992),
        fc.nat(5000),
      ),
      byte: fc.constantFrom(0x61, 0, 0xff),
    }),
  },
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.constantFrom(0n, 1n, 2n ** 64n - 2n, 2n ** 64n - 1n, 2n ** 63n),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      )
      .map((u64) => ({ u64 })),
  },
);

const address = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('@a', '@b', '@c') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('@', `@${'x'.repeat(87)}`, `@${'x'.repeat(88)}`, `@${'y'.repeat(200)}`),
  },
  // Not modelled (Unsupported): a path name, a character above U+00FF.
  { weight: 1, arbitrary: fc.constantFrom('/tmp/sock', '@\u0100') },
);

const timeval = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 6, arbitrary: fc.constantFrom({ sec: 0, usec: 0 }, { sec: 0, usec: 1000 }, { sec: 1, usec: 0 }) },
  {
    weight: 2,
    arbitrary: fc.record({
      sec: fc.oneof(int32, fc.constantFrom(-1, 2 ** 53 - 1, 2 ** 62, 1.5)),
      usec: fc.oneof(int32, fc.constantFrom(-1, 999_999, 1_000_000, 2_000_000)),
    }),
  },
);

const timespec = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  {
    weight: 6,
    arbitrary: fc.constantFrom({ sec: 0, nsec: 0 }, { sec: 0, nsec: 1_000_000 }, { sec: 1, nsec: 0 }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      sec: fc.oneof(int32, fc.constantFrom(-1, 2 ** 53 - 1, 2 ** 40, Number.NaN)),
      nsec: fc.oneof(int32, fc.constantFrom(-1, 999_999_999, 1_000_000_000)),
    }),
  },
);

const itimerspec = fc.record({
  interval: fc.oneof(
    fc.constantFrom({ sec: 0, nsec: 0 }, { sec: 0, nsec: 1_000_000 }),
    timespec.filter((t) => t !== null),
  ),
  value: fc.oneof(
    fc.constantFrom({ sec: 0, nsec: 0 }, { sec: 0, nsec: 1_000_000 }, { sec: 0, nsec: 5_000_000 }),
    timespec.filter((t) => t !== null),
  ),
}) as fc.Arbitrary<AArg>;

const sockType = flagsOf(SOCK.SOCK_NONBLOCK, SOCK.SOCK_CLOEXEC).chain((flags) =>
  fc
    .oneof(
      { weight: 8, arbitrary: fc.constantFrom(SOCK.SOCK_STREAM, SOCK.SOCK_DGRAM, SOCK.SOCK_SEQPACKET) },
      { weight: 1, arbitrary: fc.constantFrom(0, SOCK.SOCK_RAW, 4, 15) },
    )
    .map((type) => type | flags),
);

const domain = fc.oneof(
  { weight: 9, arbitrary: fc.constant(1) },
  { weight: 1, arbitrary: fc.constantFrom(0, 2, 10, -1, 46) },
);

const dupFd = fdChoice('any');

const fcntlCall = fc
  .tuple(
    dupFd,
    fc.oneof(
      {
        weight: 8,
        arbitrary: fc.constantFrom(
          F.F_GETFL,
          F.F_SETFL,
          F.F_GETFD,
          F.F_SETFD,
          F.F_DUPFD,
          F.F_DUPFD_CLOEXEC,
          F.F_SETPIPE_SZ,
          F.F_GETPIPE_SZ,
        ),
      },
      { weight: 1, arbitrary: int32 },
    ),
    fc.oneof(
      flagsOf(O.O_NONBLOCK, O.O_DIRECT, 1),
      fc.constantFrom(0, 3, 10, 1023, 1024, 4096, 65536, 1 << 20, (1 << 20) + 1, -1, INT_MAX),
    ),
  )
  .map(([f, cmd, arg]) => [f, cmd, arg] as AArg[]);

/** Each call with its argument generators, and how often it is made. */
const CALL_ARBS: [ApiCall, number, fc.Arbitrary<AArg[]>][] = [
  ['pipe', 1, fc.constant([])],
  ['pipe2', 4, fc.tuple(flagsOf(O.O_NONBLOCK, O.O_CLOEXEC, O.O_DIRECT))],
  ['socketpair', 4, fc.tuple(domain, sockType, fc.constantFrom(0, 0, 1, 2))],
  ['socket', 4, fc.tuple(domain, sockType, fc.constantFrom(0, 0, 1, 2))],
  ['bind', 3, fc.tuple(fdChoice('unbound', 1, 40), address)],
  ['listen', 2, fc.tuple(fdChoice('bound', 1, 40), fc.constantFrom(0, 1, 2, -1, 4096, 5000, INT_MAX))],
  ['connect', 3, fc.tuple(fdChoice('unbound', 1, 40), address)],
  ['accept4', 3, fc.tuple(fdChoice('listener', 1, 40), flagsOf(SOCK.SOCK_NONBLOCK, SOCK.SOCK_CLOEXEC))],
  ['shutdown', 1, fc.tuple(fdChoice('unix'), fc.constantFrom(0, 1, 2, 3, -1))],
  [
    'eventfd',
    3,
    fc.tuple(
      fc.oneof(fc.constantFrom(0, 1, 2, 2 ** 32 - 1), uint32, fc.constantFrom(-1, 1.5)),
      flagsOf(1, O.O_NONBLOCK, O.O_CLOEXEC),
    ),
  ],
  [
    'open',
    2,
    fc.tuple(
      fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom('/dev/null', 'tmpfile') },
        { weight: 1, arbitrary: fc.constant('/etc/passwd') },
      ),
      flagsOf(O.O_RDONLY, O.O_WRONLY, O.O_RDWR, O.O_NONBLOCK),
    ),
  ],
  ['read', 10, fc.tuple(fdChoice('any'), count)],
  ['write', 10, fc.tuple(fdChoice('any'), payload)],
  ['close', 5, fc.tuple(fdChoice('any'))],
  ['dup', 2, fc.tuple(fdChoice('any'))],
  ['dup2', 2, fc.tuple(dupFd, dupFd)],
  ['dup3', 1, fc.tuple(dupFd, dupFd, flagsOf(O.O_CLOEXEC))],
  ['fcntl', 3, fcntlCall],
  ['ioctl_fionread', 1, fc.tuple(fdChoice('any'))],
  ['epoll_create', 1, fc.tuple(fc.constantFrom(1, 0, -1, INT_MAX))],
  ['epoll_create1', 6, fc.tuple(flagsOf(O.O_CLOEXEC))],
  [
    'epoll_ctl',
    12,
    fc.tuple(
      fdChoice('eventpoll', 1, 40),
      fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(1, 1, 2, 3) },
        { weight: 1, arbitrary: fc.constantFrom(0, 4, -1) },
      ),
      fc.oneof(
        { weight: 4, arbitrary: fdChoice('pollable', 1, 40) },
        { weight: 1, arbitrary: fdChoice('eventpoll') },
      ),
      epollEvent,
    ),
  ],
  ['epoll_wait', 8, fc.tuple(fdChoice('eventpoll', 1, 40), maxevents, timeoutMs)],
  ['epoll_pwait2', 2, fc.tuple(fdChoice('eventpoll', 1, 40), maxevents, timespec)],
  [
    'poll',
    5,
    fc.tuple(
      fc.array(
        fc.record({
          fd: fc.oneof(
            { weight: 3, arbitrary: fdChoice('pollable', 0) },
            { weight: 2, arbitrary: fdChoice('any', 0) },
            { weight: 1, arbitrary: fdChoice('any', 1) },
          ),
          events: fc.oneof(
            { weight: 10, arbitrary: fc.constantFrom(1, 4, 5, 0x2000, 0xffff, 0) },
            { weight: 10, arbitrary: fc.nat(0xffff) },
            // Outside a short (Unsupported).
            { weight: 1, arbitrary: fc.constantFrom(-1, 0x10000) },
          ),
        }),
        { maxLength: 6 },
      ),
      timeoutMs,
    ),
  ],
  [
    'select',
    4,
    fc.tuple(
      fc.oneof(fc.constantFrom(0, 1, 4, 8, 64, 65, 1024, 1025, -1, INT_MAX), int32),
      ...[0, 1, 2].map(() =>
        fc.oneof(
          { weight: 1, arbitrary: fc.constant(null) },
          { weight: 3, arbitrary: fc.array(fdChoice('any', 0), { maxLength: 4 }) },
        ),
      ),
      timeval,
    ) as fc.Arbitrary<AArg[]>,
  ],
  [
    'timerfd_create',
    2,
    fc.tuple(
      fc.oneof({ weight: 9, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 7, -1) }),
      flagsOf(O.O_NONBLOCK, O.O_CLOEXEC),
    ),
  ],
  [
    'timerfd_settime',
    3,
    fc.tuple(
      fdChoice('timerfd'),
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(0, 0, 1, 2, 3) },
        { weight: 1, arbitrary: flagsOf(1, 2) },
      ),
      itimerspec,
    ),
  ],
  ['timerfd_gettime', 1, fc.tuple(fdChoice('timerfd'))],
  [
    'sleep',
    1,
    fc.tuple(fc.oneof(fc.constantFrom(0, 1, 5, 100, 1000, 100_000), fc.constantFrom(-1, 1.5, Number.NaN))),
  ],
];

const callAction: fc.Arbitrary<Action> = fc
  .tuple(
    fc.oneof(
      { weight: 1, arbitrary: fc.constant(0) },
      { weight: 4, arbitrary: fc.integer({ min: 1, max: OTHER_THREADS }) },
    ),
    fc.oneof(
      ...CALL_ARBS.map(([name, weight, args]) => ({
        weight,
        arbitrary: args.map((a) => ({ name, args: a as AArg[] })),
      })),
    ),
  )
  .map(([thread, c]) => ({ op: 'call', thread, name: c.name, args: c.args }));

const serverAction: fc.Arbitrary<Action> = fc.record({
  op: fc.constant('server' as const),
  type: fc.constantFrom(SOCK.SOCK_STREAM, SOCK.SOCK_SEQPACKET, SOCK.SOCK_STREAM | SOCK.SOCK_NONBLOCK),
  address: fc.constantFrom('@a', '@b', '@c'),
  backlog: fc.constantFrom(0, 1, 2, 8),
});

export const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  { weight: 20, arbitrary: callAction },
  { weight: 1, arbitrary: serverAction },
  {
    weight: 4,
    arbitrary: fc.integer({ min: 1, max: OTHER_THREADS }).map((thread): Action => ({ op: 'join', thread })),
  },
);

export const actionsArbitrary = (maxActions: number): fc.Arbitrary<Action[]> =>
  fc.array(actionArbitrary, { minLength: 1, maxLength: maxActions, size: 'max' });

// ---- running actions ----

/** A value after resolution: descriptors as numbers (kept apart so a script names them). */
class FdNum {
  constructor(readonly fd: number) {}
}
type CArg = FdNum | number | bigint | string | null | Payload | { readonly [key: string]: CArg } | CArg[];

/** One run's outcome. */
export interface RunOutcome {
  /** System calls made. */
  calls: number;
  /** The first failure: what went wrong, at which action. */
  failure: { action: number; message: string } | null;
  /** With `record`: the run as a syscall script. */
  script?: JsonObject;
}

interface Running {
  readonly step: number;
  readonly call: Promise<SysResult<object>>;
  readonly name: ApiCall;
  readonly args: CArg[];
  rec: CallRecord | undefined;
  state: { done: boolean; result?: SysResult<object>; error?: unknown };
  /** The script step that started it (bind is added at its join). */
  readonly scriptStep: JsonObject | null;
}

class Failure extends Error {}

/** Run one list of actions on a fresh kernel, checking after each call. */
export async function runActions(
  actions: readonly Action[],
  record = false,
  tally?: Map<string, number>,
): Promise<RunOutcome> {
  const r = new Runner(record, tally);
  let i = 0;
  try {
    for (; i < actions.length; i++) if (!(await r.act(actions[i]))) break;
    await r.teardown();
    return { calls: r.calls, failure: null, script: r.scriptDoc() };
  } catch (e) {
    const message = e instanceof Failure ? e.message : `exception: ${describe(e)}`;
    return {
      calls: r.calls,
      failure: { action: Math.min(i, actions.length), message },
      script: r.scriptDoc(),
    };
  }
}

function describe(e: unknown): string {
  return e instanceof Error
    ? `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`
    : String(e);
}

/** Calls that keep an fdget reference on their descriptor's file while they sleep. */
const HOLDS_FILE = new Set<ApiCall>(['read', 'write', 'epoll_wait', 'epoll_pwait2', 'connect', 'accept4']);

class Runner {
  readonly k = new Kernel();
  readonly p: Process = createScriptProcess(this.k);
  readonly sys = THREADS.map((name) => new SimSyscalls(this.p.thread(name)));
  readonly running = new Map<number, Running>();
  /** Files held by calls asleep, by the call (checkKernel's heldByCalls). */
  readonly held = new Map<CallRecord, File>();
  /** Descriptors closed at some point (for 'closed' choices). */
  readonly closedFds: number[] = [];
  calls = 0;
  /** The last returned call's ret, or -1 (the server action's socket). */
  lastRet = -1;
  readonly steps: JsonObject[] | null;
  /** The script's names: fdN is bound to N. */
  readonly bound = new Set<number>();

  constructor(
    record: boolean,
    /** Outcomes by call ("read EAGAIN", "epoll_wait blocked", "deadlock"), when asked for. */
    readonly tally?: Map<string, number>,
  ) {
    this.steps = record ? [] : null;
  }

  private count(what: string): void {
    if (this.tally) this.tally.set(what, (this.tally.get(what) ?? 0) + 1);
  }

  /** Run one action; false when the run has ended (a deadlock). */
  async act(a: Action): Promise<boolean> {
    if (a.op === 'server') {
      if (!(await this.act({ op: 'call', thread: 0, name: 'socket', args: [1, a.type, 0] }))) return false;
      const fd = this.lastRet;
      if (fd < 0) return true;
      if (!(await this.act({ op: 'call', thread: 0, name: 'bind', args: [{ raw: fd }, a.address] })))
        return false;
      return this.act({ op: 'call', thread: 0, name: 'listen', args: [{ raw: fd }, a.backlog] });
    }
    if (a.op === 'join') {
      const run = this.running.get(a.thread);
      if (!run) return true;
      this.running.delete(a.thread);
      this.steps?.push({ call: 'join', args: [THREADS[a.thread]] });
      const ended = await this.waitFor(a.thread, run);
      if (!ended) {
        this.count('deadlock at a join');
        return false;
      }
      this.finished(run);
      this.check(`after join of ${THREADS[a.thread]}`);
      return true;
    }
    // A busy thread's call goes to the next idle thread, or to main.
    let thread = a.thread;
    for (let n = 0; thread !== 0 && this.running.has(thread) && n < OTHER_THREADS; n++)
      thread = (thread % OTHER_THREADS) + 1;
    if (this.running.has(thread)) thread = 0;
    const args = a.args.map((x) => this.resolve(x));
    const sys = this.sys[thread];
    // Closed descriptors worth naming again: numbers a descriptor can have.
    if (a.name === 'close' && args[0] instanceof FdNum && Number.isInteger(args[0].fd) && args[0].fd >= 0)
      this.closedFds.push(args[0].fd);
    const heldFile = HOLDS_FILE.has(a.name) ? this.fileAt(args[0]) : null;
    this.calls++;
    let call: Promise<SysResult<object>>;
    const step = this.scriptStep(a.name, args, thread);
    try {
      call = invoke(sys, a.name, args);
    } catch (e) {
      this.thrown(a.name, args, e);
      this.check(`after ${a.name}(${formatArgs(args)}) threw Unsupported`);
      // A script stops at Unsupported: a step that broke nothing is left out.
      if (step) this.steps!.pop();
      return true;
    }
    const rec = this.k.callOf(call as Promise<unknown>);
    if (rec && heldFile) this.held.set(rec, heldFile);
    const run: Running = {
      step: this.calls,
      call,
      name: a.name,
      args,
      rec,
      state: { done: false },
      scriptStep: step,
    };
    call.then(
      (v) => {
        run.state.done = true;
        run.state.result = v;
      },
      (e: unknown) => {
        run.state.done = true;
        run.state.error = e;
      },
    );
    if (thread === 0) {
      if (run.rec) this.count(`${a.name} blocked on main`);
      if (!(await this.waitFor(0, run))) {
        this.count('deadlock on main');
        return false;
      }
      this.finished(run);
    } else {
      this.running.set(thread, run);
      if (run.rec) this.count(`${a.name} blocked on a thread`);
    }
    this.check(`after ${a.name}(${formatArgs(args)}) on ${THREADS[thread]}`);
    return true;
  }

  /** Wait until a call returns (the runner's `wait`); false on a deadlock, which ends the run. */
  private async waitFor(thread: number, run: Running): Promise<boolean> {
    const rec = run.rec;
    const t = this.sys[thread].thread;
    if (rec) {
      try {
        this.k.runUntil(() => rec.done || t.call !== rec);
      } catch (e) {
        if (e instanceof BlocksForever) return false;
        throw e;
      }
    }
    try {
      await run.call;
    } catch {
      // Recorded by the handler.
    }
    return true;
  }

  /** Check a returned call's result (or its exception), and keep the script's names. */
  private finished(run: Running, joined = true): void {
    if (run.rec) this.held.delete(run.rec);
    const { result, error } = run.state;
    if (error !== undefined) {
      this.thrown(run.name, run.args, error);
      return;
    }
    const why = badResult(run.name, run.args, result);
    if (why) throw new Failure(`${run.name}(${formatArgs(run.args)}) returned ${safeJson(result)}: ${why}`);
    const r = result as SysResult<object>;
    this.lastRet = 'ret' in r ? r.ret : -1;
    this.count(`${run.name} ${'errno' in r ? r.errno : 'ok'}`);
    if (!('ret' in r)) return;
    const fds = resultFds(run.name, run.args, r);
    // A thread's names are bound at its join (never, if it is not joined).
    if (joined && run.scriptStep && fds.length > 0) {
      run.scriptStep.bind = fds.length === 1 ? `fd${fds[0]}` : fds.map((fd) => `fd${fd}`);
      for (const fd of fds) this.bound.add(fd);
    }
  }

  private thrown(name: ApiCall, args: CArg[], e: unknown): void {
    if (e instanceof Unsupported) {
      this.count(`${name} Unsupported`);
      return;
    }
    throw new Failure(`${name}(${formatArgs(args)}) threw ${describe(e)}`);
  }

  /** Every invariant, or a Failure naming the first broken ones. */
  private check(when: string): void {
    const heldByCalls = new Map<File, number>();
    for (const t of this.p.threads.values()) {
      const f = t.call ? this.held.get(t.call) : undefined;
      if (f) heldByCalls.set(f, (heldByCalls.get(f) ?? 0) + 1);
    }
    const broken = checkKernel(this.k, { heldByCalls });
    if (broken.length > 0) throw new Failure(`${when}: ${broken.slice(0, 5).join('; ')}`);
  }

  /** The runner's close: abandon blocked calls, close every descriptor; then nothing may be left. */
  async teardown(): Promise<void> {
    this.k.abortBlocked(null);
    this.p.closeFiles();
    // Results of calls that returned on threads nobody joined still need checking.
    await new Promise((resolve) => setImmediate(resolve));
    for (const run of this.running.values()) if (run.state.done) this.finished(run, false);
    const left = checkNothingLeft(this.k);
    if (left.length > 0) throw new Failure(`after closing everything: ${left.slice(0, 5).join('; ')}`);
  }

  // ---- descriptors ----

  private resolve(x: AArg): CArg {
    if (x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map((y) => this.resolve(y));
    if ('pick' in x && typeof x.i === 'number')
      return new FdNum(this.pick(x as unknown as { pick: 'any' | FileKind | 'closed'; i: number }));
    if ('raw' in x && Object.keys(x).length === 1) return new FdNum((x as { raw: number }).raw);
    if ('len' in x || 'u64' in x) return x as Payload;
    const out: Record<string, CArg> = {};
    for (const [key, v] of Object.entries(x)) out[key] = this.resolve(v as AArg);
    return out;
  }

  private pick(c: { pick: 'any' | FileKind | 'closed'; i: number }): number {
    const table = this.p.fdtable;
    if (c.pick === 'closed') {
      const closed = this.closedFds.filter((fd) => !table.isAllocated(fd));
      if (closed.length > 0) return closed[c.i % closed.length];
      return 3 + (c.i % 8);
    }
    const all: number[] = [];
    const ofKind: number[] = [];
    for (let fd = 0; fd < table.files.length; fd++) {
      const f = table.files[fd];
      if (f) {
        all.push(fd);
        if (isKind(f, c.pick)) ofKind.push(fd);
      } else if (table.larval.has(fd)) all.push(fd);
    }
    let list = ofKind.length > 0 ? ofKind : all;
    // No socket with a name or listening: any socket will do.
    if (ofKind.length === 0 && (c.pick === 'unbound' || c.pick === 'bound' || c.pick === 'listener')) {
      const socks = all.filter((fd) => table.files[fd]?.ops.type === 'unix');
      if (socks.length > 0) list = socks;
    }
    return list[c.i % list.length];
  }

  private fileAt(a: CArg): File | null {
    if (!(a instanceof FdNum) || !Number.isInteger(a.fd)) return null;
    return this.p.fdtable.get(a.fd);
  }

  // ---- the script ----

  private scriptStep(name: ApiCall, args: CArg[], thread: number): JsonObject | null {
    if (!this.steps) return null;
    const step: JsonObject = { call: name, args: args.map((a) => this.json(a)) };
    if (thread !== 0) step.thread = THREADS[thread];
    this.steps.push(step);
    return step;
  }

  private json(a: CArg): Json {
    if (a instanceof FdNum) return this.bound.has(a.fd) ? `$fd${a.fd}` : a.fd;
    // epoll data as a script writes a u64: a decimal string.
    if (typeof a === 'bigint') return String(a);
    if (a === null || typeof a !== 'object') return Number.isNaN(a) ? 'NaN' : (a as Json);
    if (Array.isArray(a)) return a.map((x) => this.json(x));
    if ('u64' in a) return { u64: (a.u64 as bigint).toString() };
    if ('len' in a && 'byte' in a && Object.keys(a).length === 2)
      return { fill: String.fromCharCode(a.byte as number), len: a.len as number };
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(a)) out[key] = this.json(v as CArg);
    return out;
  }

  scriptDoc(): JsonObject | undefined {
    if (!this.steps) return undefined;
    return { name: 'api fuzzer counterexample', source: 'src/fuzz/api.ts', steps: this.steps };
  }
}

function isKind(f: File, kind: FileKind | 'any'): boolean {
  switch (kind) {
    case 'any':
      return true;
    case 'pollable':
      return f.ops.poll !== undefined;
    case 'unbound':
      return (
        f.ops.type === 'unix' && unixSockOfFile(f)!.addr === null && unixSockOfFile(f)!.state === 'TCP_CLOSE'
      );
    case 'bound':
      return (
        f.ops.type === 'unix' && unixSockOfFile(f)!.addr !== null && unixSockOfFile(f)!.state === 'TCP_CLOSE'
      );
    case 'listener':
      return f.ops.type === 'unix' && unixSockOfFile(f)!.state === 'TCP_LISTEN';
    default:
      return f.ops.type === kind;
  }
}

// ---- invoking and checking results ----

const unwrap = (a: CArg): unknown => {
  if (a instanceof FdNum) return a.fd;
  if (a === null || typeof a !== 'object') return a;
  if (Array.isArray(a)) return a.map(unwrap);
  if ('u64' in a || ('len' in a && 'byte' in a)) return payloadBytes(a as Payload);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(a)) out[key] = unwrap(v as CArg);
  return out;
};

function payloadBytes(p: Payload): Uint8Array {
  if ('u64' in p) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, p.u64, true);
    return b;
  }
  return new Uint8Array(p.len).fill(p.byte);
}

function invoke(sys: Syscalls, name: ApiCall, args: CArg[]): Promise<SysResult<object>> {
  const a = args.map(unwrap) as unknown[];
  // As the script runner does on the simulated kernel: an abstract name gets the hidden prefix.
  if ((name === 'bind' || name === 'connect') && typeof a[1] === 'string' && a[1].startsWith('@'))
    a[1] = `@${SIM_NAME_PREFIX}${a[1].slice(1)}`;
  const fn = sys[name] as (...x: never[]) => Promise<SysResult<object>>;
  return fn.apply(sys, a as never[]);
}

const FD_RESULT = new Set<ApiCall>([
  'socket',
  'accept4',
  'eventfd',
  'open',
  'dup',
  'dup2',
  'dup3',
  'epoll_create',
  'epoll_create1',
  'timerfd_create',
]);
const PAIR_RESULT = new Set<ApiCall>(['pipe', 'pipe2', 'socketpair']);

function resultFds(name: ApiCall, args: CArg[], r: { ret: number }): number[] {
  if (PAIR_RESULT.has(name)) return [...(r as unknown as { fds: [number, number] }).fds];
  if (FD_RESULT.has(name)) return [r.ret];
  if (name === 'fcntl' && (args[1] === F.F_DUPFD || args[1] === F.F_DUPFD_CLOEXEC)) return [r.ret];
  return [];
}

/** Why a result is not a valid result of this call, or null. */
export function badResult(name: ApiCall, args: CArg[], r: unknown): string | null {
  if (typeof r !== 'object' || r === null) return 'not an object';
  if ('errno' in r) {
    const e = (r as { errno: unknown }).errno;
    if (typeof e !== 'string' || !isErrno(e)) return `errno ${String(e)} is not an errno name`;
    if ('ret' in r) return 'both ret and errno';
    return null;
  }
  if (!('ret' in r)) return 'neither ret nor errno';
  const ret = (r as { ret: unknown }).ret;
  if (typeof ret !== 'number' || !Number.isSafeInteger(ret) || ret < 0) return `ret ${String(ret)}`;
  const x = r as Record<string, unknown>;
  const n = (i: number) => unwrap(args[i]) as number;
  switch (name) {
    case 'pipe':
    case 'pipe2':
    case 'socketpair': {
      const fds = x.fds as number[];
      if (ret !== 0 || !Array.isArray(fds) || fds.length !== 2 || fds[0] === fds[1])
        return 'not a pair of new fds';
      if (!fds.every((fd) => Number.isInteger(fd) && fd >= 0 && fd < 1024)) return 'fds out of the table';
      return null;
    }
    case 'read': {
      const data = x.data;
      if (!(data instanceof Uint8Array) || data.length !== ret) return 'data does not hold ret bytes';
      return ret <= n(1) ? null : 'more bytes than asked for';
    }
    case 'write': {
      const p = args[1] as Payload;
      return ret <= ('u64' in p ? 8 : p.len) ? null : 'more bytes written than given';
    }
    case 'epoll_wait':
    case 'epoll_pwait2': {
      const events = x.events as EpollEvent[];
      if (!Array.isArray(events) || events.length !== ret) return 'events do not number ret';
      if (ret > n(1)) return 'more events than maxevents';
      for (const ev of events)
        if (!Number.isInteger(ev.events) || ev.events <= 0 || ev.events > 0xffffffff)
          return `event mask ${ev.events}`;
      return null;
    }
    case 'poll': {
      const revents = x.revents as number[];
      const fds = args[0] as CArg[];
      if (!Array.isArray(revents) || revents.length !== fds.length) return 'revents do not match the entries';
      if (revents.filter((v) => v !== 0).length !== ret) return 'ret is not the count of non-zero revents';
      return null;
    }
    case 'select':
      return ['readfds', 'writefds', 'exceptfds'].every((k) => k in x) ? null : 'sets missing';
    case 'timerfd_settime':
      return isItimerspec(x.old) ? null : 'old is not an itimerspec';
    case 'timerfd_gettime':
      return isItimerspec(x.value) ? null : 'value is not an itimerspec';
    default:
      if (FD_RESULT.has(name) && ret >= 1024) return `fd ${ret} past the table`;
      return null;
  }
}

function isItimerspec(v: unknown): v is Itimerspec {
  const ok = (t: Timespec | undefined) =>
    t !== undefined &&
    Number.isSafeInteger(t.sec) &&
    t.sec >= 0 &&
    Number.isInteger(t.nsec) &&
    t.nsec >= 0 &&
    t.nsec < 1e9;
  const x = v as Itimerspec | undefined;
  return x !== undefined && ok(x.interval) && ok(x.value);
}

function formatArgs(args: CArg[]): string {
  return args.map((a) => safeJson(unwrap(a))).join(', ');
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) =>
      typeof x === 'bigint'
        ? `${x}n`
        : x instanceof Uint8Array
          ? `<${x.length} bytes>`
          : Number.isNaN(x)
            ? 'NaN'
            : x,
    );
  } catch {
    return String(v);
  }
}

// ---- sessions ----

export interface ApiFuzzOptions {
  seed: number;
  /** Stop once this many calls are made. */
  calls: number;
  /** Actions per run, at most (default 120). */
  maxActions?: number;
  /** Stop after this many failures (default 5). */
  maxFailures?: number;
  onBatch?: (p: { calls: number; runs: number; failures: number }) => void;
}

export interface ApiFailure {
  /** The batch's seed: `--seed` of a session that repeats it first. */
  seed: number;
  message: string;
  /** The shrunk actions. */
  actions: Action[];
  /** The shrunk run as a syscall script, and why the parser refuses it, if it does. */
  script: JsonObject;
  scriptProblem: string | null;
}

export interface ApiFuzzSummary {
  calls: number;
  runs: number;
  failures: ApiFailure[];
}

/** Runs per batch: each batch is one fast-check session with seed + batch number. */
const RUNS_PER_BATCH = 100;

/**
 * Fuzz until `calls` calls have been made: batches of fast-check runs, batch b seeded
 * seed + b. A failing batch is shrunk, kept, and the session goes on with the next batch.
 */
export async function fuzzApi(opts: ApiFuzzOptions): Promise<ApiFuzzSummary> {
  const maxActions = opts.maxActions ?? 120;
  const maxFailures = opts.maxFailures ?? 5;
  const summary: ApiFuzzSummary = { calls: 0, runs: 0, failures: [] };
  for (let batch = 0; summary.calls < opts.calls && summary.failures.length < maxFailures; batch++) {
    const seed = (opts.seed + batch) | 0;
    let shrinking = false;
    const property = fc.asyncProperty(actionsArbitrary(maxActions), async (actions) => {
      if (!shrinking && summary.calls >= opts.calls) return true;
      const out = await runActions(actions);
      if (!shrinking) {
        summary.calls += out.calls;
        summary.runs++;
      }
      if (out.failure) {
        shrinking = true;
        throw new Error(out.failure.message);
      }
      return true;
    });
    const details = await fc.check(property, { seed, numRuns: RUNS_PER_BATCH, endOnFailure: false });
    if (details.failed && details.counterexample) {
      const actions = details.counterexample[0];
      const replay = await runActions(actions, true);
      const script = replay.script!;
      let scriptProblem: string | null = null;
      try {
        parseScript(script);
      } catch (e) {
        scriptProblem = (e as Error).message;
      }
      summary.failures.push({
        seed,
        message: replay.failure?.message ?? String(details.errorInstance),
        actions,
        script,
        scriptProblem,
      });
    }
    opts.onBatch?.({ calls: summary.calls, runs: summary.runs, failures: summary.failures.length });
  }
  return summary;
}

/** A failure as text: the message, then the shrunk script (with why it is not valid, if so). */
export function formatFailure(f: ApiFailure): string {
  const lines = [`failure (batch seed ${f.seed}): ${f.message}`];
  if (f.scriptProblem) lines.push(`(the script is outside the format: ${f.scriptProblem})`);
  lines.push(formatScriptJson(f.script));
  return lines.join('\n');
}
