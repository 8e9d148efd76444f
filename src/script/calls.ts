// The calls a script may make, declared once: each call's arguments (their names and how they are
// written), the shape of its result, and how it maps onto the typed `Syscalls` interface. The
// parser validates against this table; the runner invokes through it; the comparator and the
// output read result shapes from it. Script-format.md's table, plus additions that only add calls.

import {
  AF,
  CLOCK,
  F,
  FD_CLOEXEC,
  IPPROTO,
  IPV6_OPT,
  SO,
  SOL,
  TCP_OPT,
  TFD_TIMER,
} from '../abi/constants.ts';
import { FLAG_TABLES, type FlagTable } from '../abi/flags.ts';
import { SA, SFD, SIG_HOW } from '../abi/signal.ts';
import type {
  EpollEvent,
  Itimerspec,
  Linger,
  SigHandler,
  Sigset,
  Syscalls,
  SysResult,
  Timespec,
  Timeval,
} from '../api/syscalls.ts';
import type { FdRef } from './values.ts';

/** How an argument is written in a script. */
export type ArgKind =
  /** `"$name"` or an integer (used as is, so -1 and 9999 are invalid descriptors). */
  | { kind: 'fd' }
  /** Any 32-bit signed integer (timeouts, maxevents, sizes the kernel range-checks itself). */
  | { kind: 'int' }
  /** A non-negative integer below 2^31 (byte counts, milliseconds). */
  | { kind: 'count' }
  /** An unsigned 32-bit integer (eventfd's initial value). */
  | { kind: 'uint32' }
  /** A flag word over `table`, or an integer. */
  | { kind: 'flags'; table: FlagTable }
  /** fcntl's third argument: a flag word whose table depends on the command (F_SETFL: O_*). */
  | { kind: 'fcntl_arg' }
  | { kind: 'payload' }
  /** `{events, data}` or null. */
  | { kind: 'event' }
  | { kind: 'pollfds' }
  /** A list of descriptors, or null for a null set. */
  | { kind: 'fdset' }
  /** `{sec, usec}` or null. */
  | { kind: 'timeval' }
  /** `{sec, nsec}` or null. */
  | { kind: 'timespec' }
  /** `{interval: {sec, nsec}, value: {sec, nsec}}`. */
  | { kind: 'itimerspec' }
  /** An integer, or "max+1": the highest descriptor in select's sets plus one. */
  | { kind: 'nfds' }
  /**
   * A socket address (src/api/sockaddr.ts): "@name" (abstract AF_UNIX, private to the run), ""
   * (unnamed AF_UNIX), "a.b.c.d:port", "[v6]:port"; with `unspec`, also "AF_UNSPEC" (connect,
   * sendto); with `nullable`, also null (sendto: no address).
   */
  | { kind: 'address'; unspec?: boolean; nullable?: boolean }
  /** setsockopt's value: an int, or `{"onoff", "linger"}` (struct linger, for SO_LINGER). */
  | { kind: 'optval' }
  /** "/dev/null" or "tmpfile". */
  | { kind: 'path' }
  /** A thread name (join's argument). */
  | { kind: 'thread' }
  /** A signal: a name (`"SIGUSR1"`, `"SIGRTMIN+3"`, or any name any table knows) or an integer. */
  | { kind: 'signal' }
  /** A signal set: a list of signals (1 … 64), or null for a null pointer. */
  | { kind: 'sigset' }
  /** sigaction's handler: "SIG_DFL", "SIG_IGN" or "catch". */
  | { kind: 'handler' }
  /** tgkill's thread: "main", or a thread an earlier step started a call on (its tid at run time). */
  | { kind: 'tid' };

export interface ArgSpec {
  /** The argument's name in the man page, used in error messages. */
  readonly name: string;
  readonly type: ArgKind;
  /**
   * Set for a trailing argument a script may leave out: the value it then stands for, as a
   * script would write it (sigaction's mask `[]`, epoll_pwait2's sigmask `null`).
   */
  readonly omitted?: unknown;
}

/** An argument after parsing: everything decoded except names, which bind only at run time. */
export type Arg =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'fd'; readonly ref: FdRef }
  | { readonly kind: 'bytes'; readonly value: Uint8Array }
  | { readonly kind: 'string'; readonly value: string }
  /** A socket address as written (null: sendto's none); abstract names get their prefix at run time. */
  | { readonly kind: 'address'; readonly value: string | null }
  | { readonly kind: 'optval'; readonly value: number | Linger }
  | { readonly kind: 'event'; readonly value: EpollEvent | null }
  | { readonly kind: 'sigset'; readonly value: Sigset | null }
  | { readonly kind: 'pollfds'; readonly value: readonly { fd: FdRef; events: number }[] }
  | { readonly kind: 'fdset'; readonly value: readonly FdRef[] | null }
  | { readonly kind: 'timeval'; readonly value: Timeval | null }
  | { readonly kind: 'timespec'; readonly value: Timespec | null }
  | { readonly kind: 'itimerspec'; readonly value: Itimerspec }
  | { readonly kind: 'nfds'; readonly value: number | 'max+1' };

/**
 * What a successful call's result holds beyond `ret`, and how `ret` is written:
 * - `ret`: a plain integer;
 * - `fd`: `ret` is a descriptor (written as its name), and the call may bind it;
 * - `pair`: `ret` is 0 and `fds` the two new descriptors (pipe, socketpair), which it may bind;
 * - `events`: epoll_wait's `events`; `revents`: poll's; `select`: the three sets and `timeout`;
 * - `read`: `data`; `settime`: timerfd_settime's `old`; `gettime`: timerfd_gettime's `value`;
 * - `pselect`: as `select`, with a timespec `timeout`; `sigmask`: sigprocmask's `old` (a signal
 *   set); `sigpending`: `set`; `signals`: read_signalfd's `signals` (ssi_signo of each record);
 * - `address`: getsockname's and getpeername's `address`; `sockopt`: getsockopt's `value`;
 *   `recvfrom`: `data` and the sender's `address` (null where Linux gives none).
 */
export type ResultShape =
  | 'ret'
  | 'fd'
  | 'pair'
  | 'events'
  | 'revents'
  | 'select'
  | 'pselect'
  | 'read'
  | 'settime'
  | 'gettime'
  | 'sigmask'
  | 'sigpending'
  | 'signals'
  | 'address'
  | 'sockopt'
  | 'recvfrom';

/** The keys a successful result of each shape has (besides `ret`). */
export const SHAPE_KEYS: Readonly<Record<ResultShape, readonly string[]>> = {
  ret: [],
  fd: [],
  pair: ['fds'],
  events: ['events'],
  revents: ['revents'],
  select: ['readfds', 'writefds', 'exceptfds', 'timeout'],
  read: ['data'],
  settime: ['old'],
  gettime: ['value'],
  pselect: ['readfds', 'writefds', 'exceptfds', 'timeout'],
  sigmask: ['old'],
  sigpending: ['set'],
  signals: ['signals'],
  address: ['address'],
  sockopt: ['value'],
  recvfrom: ['data', 'address'],
};

/** Resolves parsed arguments against the run's bindings (names → numbers, addresses → private). */
export interface ArgReader {
  int(i: number): number;
  fd(i: number): number;
  bytes(i: number): Uint8Array;
  string(i: number): string;
  /** A socket address; an abstract one with the run's hidden prefix. */
  address(i: number): string;
  /** sendto's address: as `address`, or null for none. */
  destination(i: number): string | null;
  /** setsockopt's value. */
  optval(i: number): number | Linger;
  event(i: number): EpollEvent | null;
  sigset(i: number): Sigset | null;
  /** sigaction's handler. */
  handler(i: number): SigHandler;
  /** tgkill's thread as its tid (the runner asks the backend before the call is made). */
  tid(i: number): number;
  pollfds(i: number): { fd: number; events: number }[];
  fdset(i: number): number[] | null;
  timeval(i: number): Timeval | null;
  timespec(i: number): Timespec | null;
  itimerspec(i: number): Itimerspec;
  nfds(i: number): number | 'max+1';
}

export interface CallDef {
  readonly args: readonly ArgSpec[];
  /** The result's shape; a function where it depends on the arguments (fcntl's F_DUPFD). */
  readonly shape: ResultShape | ((args: readonly Arg[]) => ResultShape);
  readonly invoke: (sys: Syscalls, a: ArgReader) => Promise<SysResult<object>>;
}

const fd = (name: string): ArgSpec => ({ name, type: { kind: 'fd' } });
const int = (name: string): ArgSpec => ({ name, type: { kind: 'int' } });
const count = (name: string): ArgSpec => ({ name, type: { kind: 'count' } });
const flags = (name: string, table: FlagTable): ArgSpec => ({ name, type: { kind: 'flags', table } });
const arg = (name: string, kind: Exclude<ArgKind['kind'], 'flags'>, omitted?: unknown): ArgSpec => ({
  name,
  type: { kind } as ArgKind,
  ...(omitted === undefined ? {} : { omitted }),
});
const sigset = (name: string, omitted?: unknown): ArgSpec => arg(name, 'sigset', omitted);
const signal = (name: string): ArgSpec => arg(name, 'signal');

/** Tables the ABI module does not group as flag tables; local because they serve only scripts. */
export const SCRIPT_TABLES = {
  /** dup3 accepts only O_CLOEXEC (Linux: fs/file.c:ksys_dup3). */
  dup3: { O_CLOEXEC: FLAG_TABLES.open.O_CLOEXEC },
  fcntlCmd: F,
  /** F_SETFD's argument (Linux: include/uapi/asm-generic/fcntl.h). */
  fdFlags: { FD_CLOEXEC },
  clock: CLOCK,
  timerSet: TFD_TIMER,
  sigHow: SIG_HOW,
  sa: SA,
  sfd: SFD,
  /** socket's domain and protocol, getsockopt's level and option names (hints; any name holds). */
  domain: AF,
  protocol: IPPROTO,
  level: SOL,
  optname: { ...SO, ...TCP_OPT, ...IPV6_OPT },
  /** Numbers only: commands whose argument is a count or a descriptor number. */
  none: {},
} as const satisfies Record<string, FlagTable>;

/** fcntl's argument table for a command: F_SETFL takes O_* flags, F_SETFD takes FD_CLOEXEC. */
export function fcntlArgTable(cmd: number): FlagTable {
  if (cmd === F.F_SETFL) return FLAG_TABLES.open;
  if (cmd === F.F_SETFD) return SCRIPT_TABLES.fdFlags;
  return SCRIPT_TABLES.none;
}

export const CALLS = {
  pipe: { args: [], shape: 'pair', invoke: (s) => s.pipe() },
  pipe2: { args: [flags('flags', FLAG_TABLES.pipe)], shape: 'pair', invoke: (s, a) => s.pipe2(a.int(0)) },
  socketpair: {
    args: [
      flags('domain', FLAG_TABLES.af),
      flags('type', FLAG_TABLES.sock),
      flags('protocol', SCRIPT_TABLES.protocol),
    ],
    shape: 'pair',
    invoke: (s, a) => s.socketpair(a.int(0), a.int(1), a.int(2)),
  },
  socket: {
    args: [
      flags('domain', SCRIPT_TABLES.domain),
      flags('type', FLAG_TABLES.sock),
      flags('protocol', SCRIPT_TABLES.protocol),
    ],
    shape: 'fd',
    invoke: (s, a) => s.socket(a.int(0), a.int(1), a.int(2)),
  },
  bind: {
    args: [fd('fd'), arg('addr', 'address')],
    shape: 'ret',
    invoke: (s, a) => s.bind(a.fd(0), a.address(1)),
  },
  listen: { args: [fd('fd'), int('backlog')], shape: 'ret', invoke: (s, a) => s.listen(a.fd(0), a.int(1)) },
  connect: {
    args: [fd('fd'), { name: 'addr', type: { kind: 'address', unspec: true } }],
    shape: 'ret',
    invoke: (s, a) => s.connect(a.fd(0), a.address(1)),
  },
  getsockname: { args: [fd('sockfd')], shape: 'address', invoke: (s, a) => s.getsockname(a.fd(0)) },
  getpeername: { args: [fd('sockfd')], shape: 'address', invoke: (s, a) => s.getpeername(a.fd(0)) },
  getsockopt: {
    args: [fd('sockfd'), flags('level', SCRIPT_TABLES.level), flags('optname', SCRIPT_TABLES.optname)],
    shape: 'sockopt',
    invoke: (s, a) => s.getsockopt(a.fd(0), a.int(1), a.int(2)),
  },
  setsockopt: {
    args: [
      fd('sockfd'),
      flags('level', SCRIPT_TABLES.level),
      flags('optname', SCRIPT_TABLES.optname),
      arg('optval', 'optval'),
    ],
    shape: 'ret',
    invoke: (s, a) => s.setsockopt(a.fd(0), a.int(1), a.int(2), a.optval(3)),
  },
  send: {
    args: [fd('sockfd'), arg('buf', 'payload'), flags('flags', FLAG_TABLES.msg)],
    shape: 'ret',
    invoke: (s, a) => s.send(a.fd(0), a.bytes(1), a.int(2)),
  },
  recv: {
    args: [fd('sockfd'), count('len'), flags('flags', FLAG_TABLES.msg)],
    shape: 'read',
    invoke: (s, a) => s.recv(a.fd(0), a.int(1), a.int(2)),
  },
  sendto: {
    args: [
      fd('sockfd'),
      arg('buf', 'payload'),
      flags('flags', FLAG_TABLES.msg),
      { name: 'dest_addr', type: { kind: 'address', unspec: true, nullable: true } },
    ],
    shape: 'ret',
    invoke: (s, a) => s.sendto(a.fd(0), a.bytes(1), a.int(2), a.destination(3)),
  },
  recvfrom: {
    args: [fd('sockfd'), count('len'), flags('flags', FLAG_TABLES.msg)],
    shape: 'recvfrom',
    invoke: (s, a) => s.recvfrom(a.fd(0), a.int(1), a.int(2)),
  },
  ioctl_siocoutq: { args: [fd('fd')], shape: 'ret', invoke: (s, a) => s.ioctl_siocoutq(a.fd(0)) },
  ioctl_siocatmark: { args: [fd('fd')], shape: 'ret', invoke: (s, a) => s.ioctl_siocatmark(a.fd(0)) },
  accept4: {
    args: [fd('fd'), flags('flags', FLAG_TABLES.sock)],
    shape: 'fd',
    invoke: (s, a) => s.accept4(a.fd(0), a.int(1)),
  },
  shutdown: {
    args: [fd('fd'), flags('how', FLAG_TABLES.shut)],
    shape: 'ret',
    invoke: (s, a) => s.shutdown(a.fd(0), a.int(1)),
  },
  eventfd: {
    args: [arg('initval', 'uint32'), flags('flags', FLAG_TABLES.efd)],
    shape: 'fd',
    invoke: (s, a) => s.eventfd(a.int(0), a.int(1)),
  },
  open: {
    args: [arg('pathname', 'path'), flags('flags', FLAG_TABLES.open)],
    shape: 'fd',
    invoke: (s, a) => s.open(a.string(0), a.int(1)),
  },
  read: { args: [fd('fd'), count('count')], shape: 'read', invoke: (s, a) => s.read(a.fd(0), a.int(1)) },
  write: {
    args: [fd('fd'), arg('buf', 'payload')],
    shape: 'ret',
    invoke: (s, a) => s.write(a.fd(0), a.bytes(1)),
  },
  close: { args: [fd('fd')], shape: 'ret', invoke: (s, a) => s.close(a.fd(0)) },
  dup: { args: [fd('oldfd')], shape: 'fd', invoke: (s, a) => s.dup(a.fd(0)) },
  dup2: { args: [fd('oldfd'), fd('newfd')], shape: 'fd', invoke: (s, a) => s.dup2(a.fd(0), a.fd(1)) },
  dup3: {
    args: [fd('oldfd'), fd('newfd'), flags('flags', SCRIPT_TABLES.dup3)],
    shape: 'fd',
    invoke: (s, a) => s.dup3(a.fd(0), a.fd(1), a.int(2)),
  },
  fcntl: {
    args: [fd('fd'), flags('cmd', SCRIPT_TABLES.fcntlCmd), arg('arg', 'fcntl_arg')],
    // Linux: fs/fcntl.c:do_fcntl — only the F_DUPFD commands return a new descriptor.
    shape: (args) => {
      const cmd = args[1]?.kind === 'int' ? args[1].value : -1;
      return cmd === F.F_DUPFD || cmd === F.F_DUPFD_CLOEXEC ? 'fd' : 'ret';
    },
    invoke: (s, a) => s.fcntl(a.fd(0), a.int(1), a.int(2)),
  },
  fcntl_setfl: {
    args: [fd('fd'), flags('flags', FLAG_TABLES.fcntl)],
    shape: 'ret',
    invoke: (s, a) => s.fcntl(a.fd(0), F.F_SETFL, a.int(1)),
  },
  ioctl_fionread: { args: [fd('fd')], shape: 'ret', invoke: (s, a) => s.ioctl_fionread(a.fd(0)) },
  epoll_create: { args: [int('size')], shape: 'fd', invoke: (s, a) => s.epoll_create(a.int(0)) },
  epoll_create1: {
    args: [flags('flags', FLAG_TABLES.epollCreate)],
    shape: 'fd',
    invoke: (s, a) => s.epoll_create1(a.int(0)),
  },
  epoll_ctl: {
    args: [fd('epfd'), flags('op', FLAG_TABLES.ctl), fd('fd'), arg('event', 'event')],
    shape: 'ret',
    invoke: (s, a) => s.epoll_ctl(a.fd(0), a.int(1), a.fd(2), a.event(3)),
  },
  epoll_wait: {
    args: [fd('epfd'), int('maxevents'), int('timeout')],
    shape: 'events',
    invoke: (s, a) => s.epoll_wait(a.fd(0), a.int(1), a.int(2)),
  },
  epoll_pwait: {
    args: [fd('epfd'), int('maxevents'), int('timeout'), sigset('sigmask')],
    shape: 'events',
    invoke: (s, a) => s.epoll_pwait(a.fd(0), a.int(1), a.int(2), a.sigset(3)),
  },
  epoll_pwait2: {
    args: [fd('epfd'), int('maxevents'), arg('timeout', 'timespec'), sigset('sigmask', null)],
    shape: 'events',
    invoke: (s, a) => s.epoll_pwait2(a.fd(0), a.int(1), a.timespec(2), a.sigset(3)),
  },
  ppoll: {
    args: [arg('fds', 'pollfds'), arg('tmo_p', 'timespec'), sigset('sigmask')],
    shape: 'revents',
    invoke: (s, a) => s.ppoll(a.pollfds(0), a.timespec(1), a.sigset(2)),
  },
  pselect6: {
    args: [
      arg('nfds', 'nfds'),
      arg('readfds', 'fdset'),
      arg('writefds', 'fdset'),
      arg('exceptfds', 'fdset'),
      arg('timeout', 'timespec'),
      sigset('sigmask'),
    ],
    shape: 'pselect',
    invoke: (s, a) => {
      const sets = [a.fdset(1), a.fdset(2), a.fdset(3)] as const;
      const n = a.nfds(0);
      const nfds = n === 'max+1' ? maxPlusOne(sets) : n;
      return s.pselect6(nfds, sets[0], sets[1], sets[2], a.timespec(4), a.sigset(5));
    },
  },
  poll: {
    args: [arg('fds', 'pollfds'), int('timeout')],
    shape: 'revents',
    invoke: (s, a) => s.poll(a.pollfds(0), a.int(1)),
  },
  select: {
    args: [
      arg('nfds', 'nfds'),
      arg('readfds', 'fdset'),
      arg('writefds', 'fdset'),
      arg('exceptfds', 'fdset'),
      arg('timeout', 'timeval'),
    ],
    shape: 'select',
    invoke: (s, a) => {
      const sets = [a.fdset(1), a.fdset(2), a.fdset(3)] as const;
      const n = a.nfds(0);
      return s.select(n === 'max+1' ? maxPlusOne(sets) : n, sets[0], sets[1], sets[2], a.timeval(4));
    },
  },
  timerfd_create: {
    args: [flags('clockid', SCRIPT_TABLES.clock), flags('flags', FLAG_TABLES.tfd)],
    shape: 'fd',
    invoke: (s, a) => s.timerfd_create(a.int(0), a.int(1)),
  },
  timerfd_settime: {
    args: [fd('fd'), flags('flags', SCRIPT_TABLES.timerSet), arg('new_value', 'itimerspec')],
    shape: 'settime',
    invoke: (s, a) => s.timerfd_settime(a.fd(0), a.int(1), a.itimerspec(2)),
  },
  timerfd_gettime: { args: [fd('fd')], shape: 'gettime', invoke: (s, a) => s.timerfd_gettime(a.fd(0)) },
  sleep: { args: [count('ms')], shape: 'ret', invoke: (s, a) => s.sleep(a.int(0)) },
  sigaction: {
    args: [
      signal('signum'),
      arg('handler', 'handler'),
      flags('sa_flags', SCRIPT_TABLES.sa),
      sigset('sa_mask', []),
    ],
    shape: 'ret',
    // A null mask is refused by the parser (sa_mask is a field, not a pointer): `?? []` only types it.
    invoke: (s, a) => s.sigaction(a.int(0), a.handler(1), a.int(2), a.sigset(3) ?? []),
  },
  sigprocmask: {
    args: [flags('how', SCRIPT_TABLES.sigHow), sigset('set')],
    shape: 'sigmask',
    invoke: (s, a) => s.sigprocmask(a.int(0), a.sigset(1)),
  },
  sigpending: { args: [], shape: 'sigpending', invoke: (s) => s.sigpending() },
  kill: { args: [signal('sig')], shape: 'ret', invoke: (s, a) => s.kill(a.int(0)) },
  tgkill: {
    args: [arg('thread', 'tid'), signal('sig')],
    shape: 'ret',
    invoke: (s, a) => s.tgkill(a.tid(0), a.int(1)),
  },
  signalfd: {
    args: [fd('fd'), sigset('mask'), flags('flags', SCRIPT_TABLES.sfd)],
    shape: 'fd',
    invoke: (s, a) => s.signalfd(a.fd(0), a.sigset(1), a.int(2)),
  },
  read_signalfd: {
    args: [fd('fd'), count('count')],
    shape: 'signals',
    invoke: (s, a) => s.read(a.fd(0), a.int(1)),
  },
} as const satisfies Record<string, CallDef>;

export type CallName = keyof typeof CALLS;

/** `join` is not a system call: it collects a thread's result, so it has no entry in CALLS. */
export const JOIN_ARGS: readonly ArgSpec[] = [arg('thread', 'thread')];

/**
 * `blocked` (format v1.1, "Runner calls") is not a system call either: it asks whether the call
 * started on a thread is still waiting (`ret: 1`) or has returned (`ret: 0`).
 */
export const BLOCKED_ARGS: readonly ArgSpec[] = [arg('thread', 'thread')];

/**
 * `caught` (format v1.1, "Signals") is the runner's too: how many times the `catch` handler has
 * run for a signal, read from the handler's counter (`ProcessHandle.caught`).
 */
export const CAUGHT_ARGS: readonly ArgSpec[] = [signal('sig')];

/** The calls that are the runner's, not system calls. */
export type RunnerCall = 'join' | 'blocked' | 'caught';

/** The arguments of any call a script may make: a system call's, or a runner call's. */
export function argsOf(call: CallName | RunnerCall): readonly ArgSpec[] {
  return call === 'join'
    ? JOIN_ARGS
    : call === 'blocked'
      ? BLOCKED_ARGS
      : call === 'caught'
        ? CAUGHT_ARGS
        : CALLS[call].args;
}

export function isCallName(name: string): name is CallName {
  return Object.hasOwn(CALLS, name);
}

export function callDef(name: CallName): CallDef {
  return CALLS[name];
}

/** The shape of a call's result given its parsed arguments. */
export function shapeOf(name: CallName, args: readonly Arg[]): ResultShape {
  const shape = callDef(name).shape;
  return typeof shape === 'function' ? shape(args) : shape;
}

/** How many descriptors a successful result of this shape can bind. */
export function bindCount(shape: ResultShape): 0 | 1 | 2 {
  return shape === 'fd' ? 1 : shape === 'pair' ? 2 : 0;
}

/** select's "max+1": the highest descriptor in the three sets plus one (0 when all are empty). */
function maxPlusOne(sets: readonly (readonly number[] | null)[]): number {
  let max = -1;
  for (const set of sets) for (const n of set ?? []) max = Math.max(max, n);
  return max + 1;
}
