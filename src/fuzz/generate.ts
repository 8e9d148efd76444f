// Random syscall scripts for differential testing (script-format.md), as fast-check arbitraries.
//
// How a script is made. fast-check generates a list of *actions* — plain records of small
// integers and choices ("write to the 3rd live descriptor that can be written, size choice 7") —
// and `buildScript` interprets them, in order, into steps. The interpreter keeps a model of the
// script's own names: which names are bound, which are still open, which file each denotes.
// That model serves only to build a valid script: a write goes to a name that exists, an accept
// that binds a name is only emitted when a connection is surely queued (a binding call that
// fails would leave its name unbound and stop the run). It never predicts a result: the backends
// decide results, and the property compares them. Because any list of actions builds a valid
// script, fast-check can shrink the list freely (drop actions, shrink choices) and every shrunk
// candidate is still a script the runner accepts.
//
// Never blocking. Every descriptor the main thread uses is non-blocking (O_NONBLOCK,
// SOCK_NONBLOCK, EFD_NONBLOCK), epoll_wait/poll/select have timeout 0, and writes to a blocking
// file happen only where they surely fit. The only blocking calls are the ones started
// deliberately on a thread (a *thread group*):
//   - the group's files are private: no other action touches them while the group waits, so
//     nothing wakes a thread early and nothing races with a woken thread;
//   - the group is woken by one designated step (a write, a connect, a read that makes room)
//     that releases every thread of the group whatever order Linux wakes them in, and its joins
//     follow at once; groups still waiting when the actions run out are woken at the end;
//   - after the joins, blocking files get O_NONBLOCK (fcntl_setfl) and join the public pool.
// Descriptor numbers are reused, so a closed name may denote a private file: while a group
// waits, closed names and raw small numbers appear only where they cannot change anything
// (poll lists, select sets, epoll_ctl's target), and never as close's argument.
//
// What the generator avoids on purpose (timing, and the model's declared approximations) is
// listed in src/fuzz/README.md; each place has a comment starting "Avoided:".

import fc from 'fast-check';
import { SCRIPT_NOFILE } from '../api/backend.ts';
import { parseScript } from '../script/parse.ts';
import type { Json, JsonObject } from '../script/values.ts';
import { ALL_FEATURES, type Feature } from './features.ts';

// ---- actions ----

/**
 * A descriptor choice: `live` a name of the wanted kind (any live name if there is none),
 * `any` any live name (wrong kinds give EINVAL, ENOTSOCK, EBADF...), `closed` a name whose
 * descriptor was closed (its number may have been reused), `raw` a number from RAW_FDS.
 */
export interface Pick {
  readonly from: 'live' | 'any' | 'closed' | 'raw';
  readonly i: number;
}

export type SockType = 'SOCK_STREAM' | 'SOCK_DGRAM' | 'SOCK_SEQPACKET';
export type ThreadKind =
  | 'read'
  | 'epoll'
  | 'exclusive'
  | 'accept'
  | 'poll'
  | 'select'
  | 'write'
  | 'connect'
  | 'send'
  | 'recv';

export type Action =
  | { readonly op: 'pipe'; readonly direct: boolean; readonly cloexec: boolean }
  | { readonly op: 'socketpair'; readonly type: SockType; readonly cloexec: boolean }
  | { readonly op: 'socket'; readonly type: SockType }
  | { readonly op: 'listener'; readonly type: SockType; readonly backlog: number }
  | { readonly op: 'client'; readonly listener: number }
  | { readonly op: 'accept'; readonly listener: number; readonly cloexec: boolean }
  | { readonly op: 'bind'; readonly fd: Pick; readonly addr: number }
  | { readonly op: 'listen'; readonly fd: Pick; readonly backlog: number }
  | { readonly op: 'connect'; readonly fd: Pick; readonly addr: number }
  | { readonly op: 'acceptAny'; readonly fd: Pick; readonly flags: string }
  | { readonly op: 'eventfd'; readonly init: number; readonly semaphore: boolean }
  | { readonly op: 'epoll'; readonly how: number }
  | { readonly op: 'open'; readonly path: '/dev/null' | 'tmpfile'; readonly mode: string }
  | { readonly op: 'dup'; readonly fd: Pick }
  /** pipe(): blocking ends, made non-blocking at once (fcntl_setfl) before anything else uses them. */
  | { readonly op: 'pipe0' }
  /**
   * dup2 or dup3 (with `flags`) of `fd` onto a target chosen by `to`: a live name, `fd` itself,
   * a slot of the high region, a descriptor 0-2, or a number that is never valid.
   */
  | {
      readonly op: 'dup2';
      readonly fd: Pick;
      readonly to: number;
      readonly call: 'dup2' | 'dup3';
      readonly flags: string | number;
    }
  /** `times` fcntl(F_DUPFD or F_DUPFD_CLOEXEC) from `start`: up to RLIMIT_NOFILE's EMFILE. */
  | {
      readonly op: 'dupfd';
      readonly fd: Pick;
      readonly start: number;
      readonly cloexec: boolean;
      readonly times: number;
    }
  /** fcntl F_GETFD, F_SETFD (FD_CLOEXEC or 0) or F_GETFL: what dup, dup2, dup3 installed. */
  | {
      readonly op: 'fdflags';
      readonly fd: Pick;
      readonly cmd: 'F_GETFD' | 'F_SETFD' | 'F_GETFL';
      readonly on: boolean;
    }
  /** fcntl F_SETPIPE_SZ (size choice) or F_GETPIPE_SZ. */
  | { readonly op: 'pipesz'; readonly fd: Pick; readonly size: number; readonly get: boolean }
  /** At the script's end, fill the whole descriptor table, then try every call that opens one. */
  | { readonly op: 'exhaust' }
  // Signals (feature `signals`, opt-in): see "Signals" below.
  | {
      readonly op: 'sigaction';
      readonly sig: number;
      readonly handler: number;
      readonly flags: readonly string[];
      readonly mask: number;
    }
  | { readonly op: 'sigprocmask'; readonly how: number; readonly set: number }
  /** kill (process), tgkill main, or tgkill a waiting thread group's thread. */
  | { readonly op: 'kill'; readonly sig: number; readonly target: number; readonly group: number }
  | { readonly op: 'sigpending' }
  | { readonly op: 'caught'; readonly sig: number }
  /** signalfd: a new one, or (`update`) a new mask for a live one. */
  | {
      readonly op: 'signalfd';
      readonly mask: number;
      readonly cloexec: boolean;
      readonly update: Pick | null;
    }
  | { readonly op: 'close'; readonly fd: Pick }
  | { readonly op: 'setfl'; readonly fd: Pick }
  | { readonly op: 'write'; readonly fd: Pick; readonly size: number; readonly times: number }
  | { readonly op: 'read'; readonly fd: Pick; readonly size: number }
  | { readonly op: 'shutdown'; readonly fd: Pick; readonly how: string | number }
  | {
      readonly op: 'ctl';
      readonly ep: Pick;
      readonly fd: Pick;
      readonly ctl: string | number;
      readonly bits: readonly string[];
      readonly nullEvent: boolean;
    }
  | {
      readonly op: 'wait';
      readonly ep: Pick;
      readonly max: number;
      readonly timeout: number;
      readonly pmask?: number;
    }
  | {
      readonly op: 'poll';
      readonly entries: readonly { readonly fd: Pick; readonly bits: readonly string[] }[];
      readonly pmask?: number;
    }
  | {
      readonly op: 'select';
      readonly nfds: number | 'max+1';
      readonly sets: readonly (readonly Pick[] | null)[];
      readonly timeout: number;
    }
  | {
      readonly op: 'thread';
      readonly kind: ThreadKind;
      /** Which file the group blocks on (an index into the kinds available). */
      readonly variant: number;
      /** Threads in the group (epoll_wait only; the others have one). */
      readonly n: number;
      /** Count or size choice for the blocking call or the waking write. */
      readonly size: number;
      readonly bits: readonly string[];
      /** Also register the group's file in a public epoll (an outside observer). */
      readonly observe: { readonly ep: number; readonly bits: readonly string[] } | null;
      /** epoll groups: the trigger sits in an inner epoll nested in the waited one. */
      readonly nest: boolean;
      readonly order: number;
      /** Signals only: the sigmask choice for ppoll, pselect6 or epoll_pwait instead of the plain call. */
      readonly pmask?: number;
    }
  | { readonly op: 'wake'; readonly group: number }
  // Internet sockets on loopback (features tcp, udp, inet6): see "internet sockets" below.
  /** A TCP listener on a fresh fixed port, of family choice `fam`, with options `opts` (bits). */
  | { readonly op: 'tlisten'; readonly fam: number; readonly backlog: number; readonly opts: number }
  /** A non-blocking TCP client of a listener (only while its queue surely has room). */
  | { readonly op: 'tclient'; readonly listener: number; readonly via: number; readonly bindFirst: boolean }
  /** A non-blocking TCP connect to a port nobody listens on (ECONNREFUSED through SO_ERROR). */
  | { readonly op: 'trefused'; readonly fam: number }
  /** A UDP socket: bound to a fresh fixed port, to port 0, or not bound. */
  | { readonly op: 'usocket'; readonly fam: number; readonly how: number }
  | {
      readonly op: 'usendto';
      readonly fd: Pick;
      readonly dest: number;
      readonly size: number;
      readonly flags: number;
    }
  | { readonly op: 'uconnect'; readonly fd: Pick; readonly dest: number }
  /** bind of an internet socket: a listener's own address (EADDRINUSE), a fresh port, port 0, the wrong family. */
  | { readonly op: 'ibind'; readonly fd: Pick; readonly addr: number }
  | { readonly op: 'isend'; readonly fd: Pick; readonly size: number; readonly flags: number }
  | {
      readonly op: 'irecv';
      readonly fd: Pick;
      readonly size: number;
      readonly flags: number;
      readonly from: boolean;
    }
  | {
      readonly op: 'sockopt';
      readonly fd: Pick;
      readonly opt: number;
      readonly set: boolean;
      readonly value: number;
    }
  | { readonly op: 'sockname'; readonly fd: Pick; readonly peer: boolean }
  | { readonly op: 'iioctl'; readonly fd: Pick; readonly atmark: boolean };

// Raw descriptor numbers: 9999 and -1 are never valid; 1023 is an unopened slot of the
// 1024-slot table; 1024 is past it (select ignores it, the rest say EBADF); 0, 1, 2 are the
// process's /dev/null (script-format.md).
const RAW_FDS = [9999, -1, 1023, 1024, 0, 1, 2] as const;

const EPOLL_BITS = [
  'EPOLLIN',
  'EPOLLIN',
  'EPOLLOUT',
  'EPOLLET',
  'EPOLLIN',
  'EPOLLRDHUP',
  'EPOLLONESHOT',
  'EPOLLOUT',
  'EPOLLET',
  'EPOLLEXCLUSIVE',
  'EPOLLPRI',
  'EPOLLERR',
  'EPOLLHUP',
  'EPOLLRDNORM',
  'EPOLLWRNORM',
  'EPOLLRDBAND',
  'EPOLLWRBAND',
  'EPOLLMSG',
  'EPOLLWAKEUP',
  'EPOLLNVAL',
  '0x800',
] as const;

const POLL_BITS = [
  'POLLIN',
  'POLLOUT',
  'POLLIN',
  'POLLRDHUP',
  'POLLPRI',
  'POLLERR',
  'POLLHUP',
  'POLLNVAL',
  'POLLRDNORM',
  'POLLWRNORM',
  'POLLRDBAND',
  'POLLWRBAND',
  'POLLMSG',
] as const;

// Sizes, by the kind of file written. The first entry is what shrinking reaches for.
const PIPE_SIZES = [1, 5, 100, 4095, 4096, 4097, 8192, 65535, 65536, 70000, 0, 16, 3000] as const;
// Avoided: stream writes whose skbs are not one linear head of at most 3776 bytes, other than
// the 4000- and 8000-byte chunks whose truesize was measured on 6.18 (reference §5.2); a larger
// stream write is cut into chunks whose truesize the model only approximates.
const STREAM_SIZES = [1, 5, 100, 1000, 3000, 3776, 4000, 8000, 0, 64, 2048] as const;
// Avoided: datagrams larger than one linear skb head (3776 bytes), and sizes near sk_sndbuf
// (EMSGSIZE and the send-buffer limit depend on truesize).
const DGRAM_SIZES = [1, 5, 100, 1000, 3000, 3776, 0, 64, 2048] as const;
/** Bytes for files of no particular kind (an alias, a file, an epoll): small and kind-neutral. */
const SMALL_SIZES = [1, 5, 100, 0, 64] as const;

const EFD_WRITES: readonly Json[] = [
  { u64: 1 },
  { u64: 2 },
  { u64: 0 },
  { u64: '18446744073709551614' },
  { u64: '18446744073709551615' },
  { u64: '9223372036854775808' },
  'abcd',
  'abcdefghi',
];

const PIPE_READS = [1, 3, 100, 4096, 65536, 70000, 0, 8] as const;
const SOCK_READS = [1, 3, 100, 4096, 65536, 0, 8] as const;
const EFD_READS = [8, 16, 4, 0] as const;
const SMALL_READS = [1, 100, 0, 8] as const;

/** Sizes a waking write uses: it must fit in the empty private file at once (it is blocking). */
const WAKE_PIPE_SIZES = [1, 5, 100, 4096, 8192] as const;
const WAKE_SOCK_SIZES = [1, 5, 100, 3776] as const;
const THREAD_READ_COUNTS = [8, 1, 3, 100, 4096, 65536] as const;
/** T5 (blocking write): how much the thread writes into the full pipe; at most one pipe's worth. */
const THREAD_WRITE_SIZES = [1, 100, 4096, 5000, 65536] as const;

/**
 * The high region: descriptors from HIGH_BASE up to RLIMIT_NOFILE (900, SCRIPT_NOFILE). Only
 * dup2, dup3 and F_DUPFD with a high start reach it (every other call takes the lowest free
 * descriptor, and no script holds 860), so the generator knows which of its slots are open: it
 * binds a name only where the call cannot fail, and F_DUPFD runs into EMFILE with a few dozen
 * calls instead of 900.
 */
const HIGH_BASE = 860;
const HIGH_SLOTS = [899, 898, 880, 895, 860, 870, 890] as const;
/** F_DUPFD starts: high ones (the region), low ones (always succeed), and 900 and up (EINVAL). */
const DUPFD_STARTS = [895, 899, 880, 0, 860, 900, 3, 1023] as const;
const DUPFD_TIMES = [1, 1, 2, 6, 12, 24, 41] as const;
/** Numbers dup2 and dup3 can never install at: at or above RLIMIT_NOFILE, or negative (EBADF). */
const NEVER_FDS = [900, 1023, -1, 9999] as const;
/** dup3's flags: 0 and O_CLOEXEC, and bits it refuses (O_NONBLOCK's 2048, 1, all of them). */
const DUP3_FLAGS = ['O_CLOEXEC', 0, 'O_CLOEXEC', 0, 2048, 1, -1] as const;
/**
 * F_SETPIPE_SZ sizes: below a page, sizes that round up to a power-of-two number of pages,
 * pipe-max-size (1 MiB) and just above it (EPERM: the Linux backend lacks CAP_SYS_RESOURCE), 2^31
 * (EPERM) and above it (rounds to 0: EINVAL), and -1 (an unsigned int: EINVAL). Shrinking below
 * what a pipe holds is EBUSY.
 */
const PIPE_SZ = [
  4096, 1, 0, 4095, 4097, 8192, 12288, 65536, 65537, 131072, 1048576, 1048577, 2147483648, 2147483649, -1,
] as const;
/**
 * Avoided: growing many pipes. The model accounts pipe-user-pages-soft (16384 pages) as for an
 * unprivileged user; the Linux backend keeps CAP_SYS_ADMIN, which exempts it. A script makes at
 * most this many resizes above 64 KiB (each at most 256 pages), which keeps it far below.
 */
const MAX_BIG_RESIZES = 8;
/** The most descriptors any script can hold: what the exhaust flood opens to reach EMFILE. */
const FLOOD = SCRIPT_NOFILE - 3;
/**
 * Blocking stream send: writes of 8000 bytes fill a socketpair's 212992-byte send buffer after 24
 * (truesize measured on 6.18, reference §5.2): 25 writes make the 25th surely fail with EAGAIN.
 * A drain reads at most the 192000 bytes surely queued, so it never reaches the woken writer's
 * bytes whatever the timing, and at least 160000, which brings the charge under a quarter of the
 * buffer (unix_writable) so the writer is woken.
 */
const STREAM_FILL_WRITES = 25;
const STREAM_DRAIN_READS = [160000, 192000, 176000] as const;
/** What a blocked sender writes once woken: it fits at once (stream: one skb; dgram: small). */
const BLOCKED_SEND_SIZES = [1, 100, 3776, 4000, 8000] as const;
/** Linux: /proc/sys/net/unix/max_dgram_qlen (10): a receiver's queue is full past it. */
const MAX_DGRAM_QLEN = 10;

// ---- signals (feature `signals`, opt-in until both backends implement them) ----
//
// Every signal the generator sends is delivered at a time the script fixes, so the two kernels
// can agree on when each handler ran:
//   - to the main thread (tgkill main, or kill while main does not block it: complete_signal
//     gives a process-directed signal to the target thread when it wants it, and main is the one
//     running kill), where the handler runs as kill returns;
//   - to a waiting thread of a thread group (tgkill), followed by `blocked`, whose 50 ms grace
//     lets it run its handler and either return (EINTR) or restart and wait again;
//   - kill while every thread blocks it: it stays pending for the process until one thread
//     unblocks it, synchronously (sigprocmask on main, a p-call's mask as it starts). A kill that
//     an idle thread could take would run its handler on that thread at a moment no step fixes.
// No signal whose default action ends the process (SIGUSR1, SIGUSR2, SIGRTMIN+1) is sent before
// a handler or SIG_IGN is installed for it, and none is ever set back to SIG_DFL; SA_RESETHAND
// is used only on signals whose default is to ignore them (SIGCHLD, SIGURG, SIGWINCH).
// A signalfd is read only with read_signalfd (a plain read's bytes carry the sender's pid and uid,
// which differ between the kernels), so numbers of closed names, which a signalfd may reuse, are
// used from then on only where nothing is read.

const SIGNALS = ['SIGUSR1', 'SIGUSR2', 'SIGRTMIN+1', 'SIGCHLD', 'SIGURG', 'SIGWINCH'] as const;
type Sig = (typeof SIGNALS)[number];
/** Linux: sig_kernel_ignore — at SIG_DFL these are discarded, never fatal. */
const DEFAULT_IGNORED: ReadonlySet<Sig> = new Set<Sig>(['SIGCHLD', 'SIGURG', 'SIGWINCH']);
const SIGSETS: readonly (readonly Sig[])[] = [
  [],
  ['SIGUSR1'],
  ['SIGUSR1', 'SIGUSR2'],
  ['SIGUSR2'],
  ['SIGRTMIN+1', 'SIGCHLD'],
  [...SIGNALS],
  ['SIGCHLD'],
];
const HANDLERS = ['catch', 'SIG_IGN', 'SIG_DFL'] as const;
const SA_FLAGS = ['SA_RESTART', 'SA_NODEFER', 'SA_RESETHAND'] as const;
/** read_signalfd counts: whole records (128 bytes each), and too small (EINVAL). */
const SIGFD_READS = [128, 256, 1280, 100, 0, 4096] as const;
/** A sigmask choice for a p-call: a set, or (the last choice) null, the thread's own mask. */
const pSigmask = (i: number): readonly Sig[] | null => (i % 8 === 7 ? null : SIGSETS[i % SIGSETS.length]);
const sigmaskArg = (set: readonly Sig[] | null): Json => (set ? [...set] : null);

// ---- internet sockets (features tcp, udp, inet6) ----
//
// Every run has a network namespace of its own (script-format.md, "Internet sockets"), so fixed
// ports are safe: TCP listeners take 5000 + n, UDP sockets 6000 + n (each port once per script),
// and nobody ever binds REFUSED_TCP_PORT or REFUSED_UDP_PORT. Every internet socket is
// non-blocking (SOCK_NONBLOCK; accept4 with SOCK_NONBLOCK) and every TCP socket has TCP_NODELAY
// (set on listeners and clients; accepted sockets inherit it, checked on 6.18), so a send leaves
// at once. On loopback a connect, a segment, a RST and an ICMP error are all delivered before the
// call that sent them returns (checked on 6.18: 2000 connects, each writable and accepted at
// once), so no step waits for the network.
// Avoided: connecting to a full accept queue. Linux keeps backlog + 1 connections
// (sk_acceptq_is_full); a SYN dropped on a full queue is retransmitted after 1 s of real time,
// which the simulated clock would not follow. A client connects only while the listener's queue
// surely has room (pendingMax <= backlog), and only to a listener the model still follows.
// Avoided: filling buffers. A TCP socket sends at most TCP_BUDGET bytes in at most TCP_SENDS
// calls (far below the 131072-byte receive buffer, so the window and the receive queue's
// truesize never matter), and a script sends at most UDP_SENDS datagrams of at most 1000 bytes
// (far below a UDP socket's 212992-byte receive buffer).
// Avoided: SIOCOUTQ on TCP (whether the peer's ACK has come back depends on delayed-ACK timers),
// SO_LINGER with a nonzero time (close then waits for the FIN's ACK), MSG_MORE and TCP_CORK
// (a corked segment leaves on a 200 ms timer), sleeps, TIME_WAIT expiry, SO_RCVBUF/SO_SNDBUF set
// above 212992 (the host's rmem_max/wmem_max: Unsupported on both backends), and blocking
// internet calls (every main-thread socket is non-blocking; no thread group uses them yet).

const TCP_BASE_PORT = 5000;
const UDP_BASE_PORT = 6000;
const REFUSED_TCP_PORT = 5999;
const REFUSED_UDP_PORT = 6999;
const TCP_BUDGET = 6144;
const TCP_SENDS = 24;
const UDP_SENDS = 40;
const TCP_SIZES = [1, 5, 100, 1000, 0, 64, 2048] as const;
const UDP_SIZES = [1, 5, 100, 1000, 0, 64, 512] as const;
const SEND_FLAGS = [
  'MSG_DONTWAIT',
  0,
  'MSG_NOSIGNAL',
  'MSG_OOB',
  'MSG_DONTWAIT|MSG_NOSIGNAL',
  'MSG_OOB|MSG_DONTWAIT',
] as const;
const RECV_FLAGS = [
  'MSG_DONTWAIT',
  0,
  'MSG_PEEK',
  'MSG_WAITALL',
  'MSG_TRUNC',
  'MSG_OOB',
  'MSG_PEEK|MSG_DONTWAIT',
  'MSG_TRUNC|MSG_DONTWAIT',
  'MSG_OOB|MSG_PEEK',
  'MSG_TRUNC|MSG_PEEK',
] as const;
const INET_READS = [100, 1, 3, 4096, 65536, 0, 8, 1000] as const;
/** getsockopt's options, as [level, option]. */
const GET_OPTS = [
  ['SOL_SOCKET', 'SO_ERROR'],
  ['SOL_SOCKET', 'SO_TYPE'],
  ['SOL_SOCKET', 'SO_ACCEPTCONN'],
  ['SOL_SOCKET', 'SO_RCVBUF'],
  ['SOL_SOCKET', 'SO_SNDBUF'],
  ['IPPROTO_TCP', 'TCP_NODELAY'],
  ['IPPROTO_IPV6', 'IPV6_V6ONLY'],
  ['SOL_SOCKET', 'SO_OOBINLINE'],
  ['SOL_SOCKET', 'SO_RCVLOWAT'],
  ['SOL_SOCKET', 'SO_KEEPALIVE'],
  ['SOL_SOCKET', 'SO_REUSEADDR'],
  ['SOL_SOCKET', 'SO_LINGER'],
] as const;
/** setsockopt's options, as [level, option, values]. */
const SET_OPTS: readonly (readonly [string, string, readonly Json[]])[] = [
  ['SOL_SOCKET', 'SO_RCVLOWAT', [1, 2, 10, 100, 0]],
  ['SOL_SOCKET', 'SO_OOBINLINE', [1, 0]],
  ['SOL_SOCKET', 'SO_KEEPALIVE', [1, 0]],
  ['SOL_SOCKET', 'SO_REUSEADDR', [1, 0]],
  [
    'SOL_SOCKET',
    'SO_LINGER',
    [
      { onoff: 1, linger: 0 },
      { onoff: 0, linger: 0 },
    ],
  ],
  ['IPPROTO_IPV6', 'IPV6_V6ONLY', [1, 0]],
  ['IPPROTO_TCP', 'TCP_NODELAY', [1]],
];
/** An internet family choice: v4, and with inet6 also v6 ([::1]), dual-stack ([::]) and v6-only ([::], IPV6_V6ONLY). */
type InetFam = 'v4' | 'v6' | 'dual' | 'v6only';

const pickArb: fc.Arbitrary<Pick> = fc
  .tuple(fc.nat({ max: 99 }), fc.nat({ max: 63 }))
  .map(([w, i]): Pick => ({ from: w < 82 ? 'live' : w < 90 ? 'any' : w < 95 ? 'closed' : 'raw', i }));

const small = fc.nat({ max: 63 });
/** An epoll mask: mostly IN, OUT or both, plus up to three random bits (valid or not together). */
const epollBits = fc
  .tuple(
    fc.constantFrom(['EPOLLIN'], ['EPOLLOUT'], ['EPOLLIN', 'EPOLLOUT'], []),
    fc.array(fc.constantFrom(...EPOLL_BITS), { maxLength: 3 }),
  )
  .map(([base, extra]) => [...base, ...extra]);
const bitsOf = (table: readonly string[], max: number) =>
  fc.array(fc.constantFrom(...table), { maxLength: max });
/** A weighted boolean that shrinks to false. */
const chance = (percent: number) => fc.nat({ max: 99 }).map((x) => x >= 100 - percent);

export interface GenOptions {
  /** The features the generator may use (see features.ts). Default: all of them. */
  readonly features?: Iterable<Feature>;
  /** The most actions in one script (each makes one or a few steps). Default 40. */
  readonly maxActions?: number;
}

function featureSet(opts: GenOptions): ReadonlySet<Feature> {
  return new Set(opts.features ?? ALL_FEATURES);
}

/** The action arbitraries the features allow, with their weights. */
function actionArbs(f: ReadonlySet<Feature>): fc.WeightedArbitrary<Action>[] {
  const arbs: fc.WeightedArbitrary<Action>[] = [];
  const add = (weight: number, arbitrary: fc.Arbitrary<Action>) => arbs.push({ weight, arbitrary });
  const types = socketTypes(f);
  const listenTypes = types.filter((t) => t !== 'SOCK_DGRAM' && f.has(listenFeature(t)));
  const pairTypes = types.filter((t) => f.has(pairFeature(t)));
  const anySocket = types.length > 0;

  if (f.has('pipe')) {
    add(
      8,
      fc.record({
        op: fc.constant('pipe'),
        direct: f.has('pipe-direct') ? chance(30) : fc.constant(false),
        cloexec: chance(20),
      }),
    );
  }
  if (pairTypes.length) {
    add(
      6,
      fc.record({ op: fc.constant('socketpair'), type: fc.constantFrom(...pairTypes), cloexec: chance(20) }),
    );
  }
  if (anySocket) {
    add(2, fc.record({ op: fc.constant('socket'), type: fc.constantFrom(...types) }));
    add(2, fc.record({ op: fc.constant('bind'), fd: pickArb, addr: small }));
    add(2, fc.record({ op: fc.constant('connect'), fd: pickArb, addr: small }));
  }
  if (listenTypes.length) {
    add(
      4,
      fc.record({
        op: fc.constant('listener'),
        type: fc.constantFrom(...listenTypes),
        backlog: fc.constantFrom(1, 2, 0, 8, -1),
      }),
    );
    add(5, fc.record({ op: fc.constant('client'), listener: small }));
    add(4, fc.record({ op: fc.constant('accept'), listener: small, cloexec: chance(20) }));
    add(1, fc.record({ op: fc.constant('listen'), fd: pickArb, backlog: fc.constantFrom(1, 0, 4, -1) }));
    add(
      1,
      fc.record({
        op: fc.constant('acceptAny'),
        fd: pickArb,
        flags: fc.constantFrom('SOCK_NONBLOCK', 'SOCK_NONBLOCK|SOCK_CLOEXEC', 'SOCK_NONBLOCK|SOCK_STREAM'),
      }),
    );
  }
  if (f.has('shutdown')) {
    add(
      anySocket ? 4 : 1,
      fc.record({
        op: fc.constant('shutdown'),
        fd: pickArb,
        how: fc.constantFrom('SHUT_WR', 'SHUT_RD', 'SHUT_RDWR', 3),
      }),
    );
  }
  if (f.has('eventfd')) {
    add(
      5,
      fc.record({
        op: fc.constant('eventfd'),
        init: fc.constantFrom(0, 1, 2, 4294967295),
        semaphore: chance(30),
      }),
    );
  }
  if (f.has('epoll')) {
    add(6, fc.record({ op: fc.constant('epoll'), how: fc.constantFrom(0, 0, 0, 1, 2, 3) }));
    add(
      22,
      fc.record({
        op: fc.constant('ctl'),
        ep: pickArb,
        fd: pickArb,
        ctl: fc.constantFrom<string | number>(
          'EPOLL_CTL_ADD',
          'EPOLL_CTL_ADD',
          'EPOLL_CTL_MOD',
          'EPOLL_CTL_ADD',
          'EPOLL_CTL_DEL',
          'EPOLL_CTL_ADD',
          'EPOLL_CTL_MOD',
          'EPOLL_CTL_DEL',
          'EPOLL_CTL_ADD',
          4,
        ),
        bits: epollBits,
        nullEvent: chance(5),
      }),
    );
    add(
      16,
      fc.record({
        op: fc.constant('wait'),
        ep: pickArb,
        max: fc.constantFrom(8, 1, 2, 3, 64, 8, 1, 2, 0, -1),
        timeout: fc.constantFrom(0, 0, 0, 0, 1),
        ...pmaskArb(f),
      }),
    );
  }
  if (f.has('open')) {
    add(
      2,
      fc.record({
        op: fc.constant('open'),
        path: fc.constantFrom('/dev/null' as const, 'tmpfile' as const),
        mode: fc.constantFrom('O_RDWR', 'O_RDONLY', 'O_WRONLY', 'O_RDWR|O_NONBLOCK'),
      }),
    );
  }
  if (f.has('dup')) add(3, fc.record({ op: fc.constant('dup'), fd: pickArb }));
  add(4, fc.record({ op: fc.constant('close'), fd: pickArb }));
  if (f.has('pipe-call') && f.has('fcntl')) add(3, fc.record({ op: fc.constant('pipe0') }));
  if (f.has('dup2')) {
    add(
      6,
      fc.record({
        op: fc.constant('dup2'),
        fd: pickArb,
        to: small,
        call: fc.constantFrom('dup2' as const, 'dup3' as const),
        flags: fc.constantFrom<string | number>(...DUP3_FLAGS),
      }),
    );
  }
  if (f.has('dup2')) {
    add(
      3,
      fc.record({
        op: fc.constant('fdflags'),
        fd: pickArb,
        cmd: fc.constantFrom('F_GETFD' as const, 'F_GETFL' as const, 'F_SETFD' as const),
        on: chance(50),
      }),
    );
  }
  if (f.has('emfile')) {
    add(
      3,
      fc.record({
        op: fc.constant('dupfd'),
        fd: pickArb,
        start: small,
        cloexec: chance(30),
        times: fc.constantFrom(...DUPFD_TIMES),
      }),
    );
    add(1, fc.record({ op: fc.constant('exhaust') }));
  }
  if (f.has('pipe-size')) {
    add(5, fc.record({ op: fc.constant('pipesz'), fd: pickArb, size: small, get: chance(25) }));
  }
  if (f.has('signals')) {
    add(
      4,
      fc.record({
        op: fc.constant('sigaction'),
        sig: small,
        handler: fc.nat({ max: 2 }),
        flags: fc.subarray([...SA_FLAGS]),
        mask: small,
      }),
    );
    add(4, fc.record({ op: fc.constant('sigprocmask'), how: fc.nat({ max: 2 }), set: small }));
    add(8, fc.record({ op: fc.constant('kill'), sig: small, target: fc.nat({ max: 9 }), group: small }));
    add(2, fc.record({ op: fc.constant('sigpending') }));
    add(2, fc.record({ op: fc.constant('caught'), sig: small }));
    add(
      2,
      fc.record({
        op: fc.constant('signalfd'),
        mask: small,
        cloexec: chance(30),
        update: fc.option(pickArb, { freq: 3, nil: null }),
      }),
    );
  }

  const tcp = f.has('tcp');
  const udp = f.has('udp');
  if (tcp) {
    add(
      4,
      fc.record({
        op: fc.constant('tlisten'),
        fam: small,
        backlog: fc.constantFrom(1, 2, 0, 4, 8, -1),
        opts: small,
      }),
    );
    add(6, fc.record({ op: fc.constant('tclient'), listener: small, via: small, bindFirst: chance(15) }));
    add(5, fc.record({ op: fc.constant('accept'), listener: small, cloexec: chance(20) }));
    add(1, fc.record({ op: fc.constant('trefused'), fam: small }));
    if (!listenTypes.length) {
      add(1, fc.record({ op: fc.constant('listen'), fd: pickArb, backlog: fc.constantFrom(1, 0, 4, -1) }));
    }
  }
  if (udp) {
    add(4, fc.record({ op: fc.constant('usocket'), fam: small, how: small }));
    add(
      6,
      fc.record({
        op: fc.constant('usendto'),
        fd: pickArb,
        dest: small,
        size: small,
        flags: fc.nat({ max: SEND_FLAGS.length - 1 }),
      }),
    );
    add(2, fc.record({ op: fc.constant('uconnect'), fd: pickArb, dest: small }));
  }
  if (tcp || udp) {
    add(2, fc.record({ op: fc.constant('ibind'), fd: pickArb, addr: small }));
    add(8, fc.record({ op: fc.constant('isend'), fd: pickArb, size: small, flags: small }));
    add(8, fc.record({ op: fc.constant('irecv'), fd: pickArb, size: small, flags: small, from: chance(40) }));
    add(6, fc.record({ op: fc.constant('sockopt'), fd: pickArb, opt: small, set: chance(40), value: small }));
    add(3, fc.record({ op: fc.constant('sockname'), fd: pickArb, peer: chance(50) }));
    add(3, fc.record({ op: fc.constant('iioctl'), fd: pickArb, atmark: chance(40) }));
    if (!f.has('shutdown')) {
      add(
        2,
        fc.record({
          op: fc.constant('shutdown'),
          fd: pickArb,
          how: fc.constantFrom('SHUT_WR', 'SHUT_RD', 'SHUT_RDWR'),
        }),
      );
    }
  }
  if (f.has('fcntl')) add(1, fc.record({ op: fc.constant('setfl'), fd: pickArb }));
  add(
    16,
    fc.record({
      op: fc.constant('write'),
      fd: pickArb,
      size: small,
      times: fc.constantFrom(1, 1, 1, 1, 1, 2, 3, 6, 11, 12),
    }),
  );
  add(12, fc.record({ op: fc.constant('read'), fd: pickArb, size: small }));
  if (f.has('poll')) {
    add(
      8,
      fc.record({
        op: fc.constant('poll'),
        entries: fc.array(fc.record({ fd: pickArb, bits: bitsOf(POLL_BITS, 3) }), { maxLength: 6 }),
        ...pmaskArb(f),
      }),
    );
  }
  if (f.has('select')) {
    const set = fc.option(fc.array(pickArb, { maxLength: 5 }), { freq: 4, nil: null });
    add(
      8,
      fc.record({
        op: fc.constant('select'),
        nfds: fc.constantFrom<number | 'max+1'>('max+1', 'max+1', 'max+1', 'max+1', 0, 4, 8, 1024, 2000, -1),
        sets: fc.tuple(set, set, set),
        timeout: fc.constantFrom(0, 0, 0, 0, 0, 1000, -1),
      }),
    );
  }
  const kinds = threadKinds(f);
  if (kinds.length) {
    add(
      7,
      fc.record({
        op: fc.constant('thread'),
        kind: fc.constantFrom(...kinds),
        variant: small,
        n: fc.constantFrom(1, 1, 2, 3),
        size: small,
        bits: bitsOf(EPOLL_BITS, 3),
        observe: fc.option(fc.record({ ep: small, bits: epollBits }), { freq: 3, nil: null }),
        nest: chance(30),
        order: small,
        ...pmaskArb(f),
      }),
    );
    add(5, fc.record({ op: fc.constant('wake'), group: small }));
  }
  return arbs;
}

/** With signals, a sigmask choice that turns poll, select and epoll_wait into their p-calls. */
function pmaskArb(f: ReadonlySet<Feature>): { pmask?: fc.Arbitrary<number | undefined> } {
  return f.has('signals') ? { pmask: fc.option(small, { freq: 2, nil: undefined }) } : {};
}

/** The action lists for scripts with these features. */
export function actionsArbitrary(opts: GenOptions = {}): fc.Arbitrary<Action[]> {
  const arbs = actionArbs(featureSet(opts));
  return fc.array(fc.oneof(...arbs), { minLength: 1, maxLength: opts.maxActions ?? 40, size: 'max' });
}

/** Random valid scripts (JSON documents in the script format) with these features. */
export function scriptArbitrary(opts: GenOptions = {}): fc.Arbitrary<JsonObject> {
  return actionsArbitrary(opts).map((actions) => buildScript(actions, opts));
}

// ---- the model: names and files ----

type Kind =
  | 'pipe-r'
  | 'pipe-w'
  | 'stream'
  | 'dgram'
  | 'seqpacket'
  | 'efd'
  | 'epoll'
  | 'file'
  | 'sigfd'
  | 'tcp'
  | 'udp';

const SOCKET_KINDS: readonly Kind[] = ['stream', 'dgram', 'seqpacket', 'tcp', 'udp'];
const INET_KINDS: readonly Kind[] = ['tcp', 'udp'];

/** A listening socket the script made whole (socket, bind to a fresh name, listen). */
interface Listen {
  readonly address: string;
  backlog: number;
  /** Connections surely queued, and at most queued (connects whose success is unknown). */
  pendingMin: number;
  pendingMax: number;
  /** Something may have changed it in a way the model does not follow (shutdown, listen again). */
  tainted: boolean;
  /** A TCP listener: the (domain, address) pairs a client may connect to. */
  readonly inet?: readonly (readonly [string, string])[];
}

/** An open file description, as far as the generator needs it. */
interface Obj {
  readonly kind: Kind;
  /** The names open on it. */
  readonly names: Set<string>;
  listen?: Listen;
  /** An internet socket: its domain, and what it has sent (the budgets above). */
  inet?: { readonly domain: 'AF_INET' | 'AF_INET6'; bytes: number; sends: number };
}

/** A group of threads blocked on private files, with the steps that wake and join them. */
interface Group {
  readonly wake: JsonObject[];
  readonly threads: readonly string[];
  readonly order: number;
  /** Private names that are blocking: fcntl_setfl O_NONBLOCK after the joins. */
  readonly blocking: readonly string[];
  /** Private names and their files, public after the joins. */
  readonly publish: readonly [string, Obj][];
  /** Ask `blocked` of each thread before the waking step (both kernels must say 1). */
  readonly probe?: boolean;
  /** The listener whose queue the group fills (connect groups): public after the joins. */
  readonly listener?: Obj;
  /** A signal was sent to one of its threads: its call may have ended early (EINTR). */
  signalled?: boolean;
}

class Builder {
  readonly steps: JsonObject[] = [];
  private seq = 0;
  private dataSeq = 0;
  private writeSeq = 0;
  /** Live (open, public) names, in the order they were bound, and their files. */
  private readonly live = new Map<string, Obj>();
  private readonly closed: string[] = [];
  /** Abstract addresses the script has used, in order. */
  private readonly addresses: string[] = [];
  private readonly listeners: Obj[] = [];
  private readonly groups: Group[] = [];
  /** Blocking private files never made public (when fcntl is not available). */
  private leftovers = 0;
  /** The high region's open slots (see HIGH_BASE), and the name each holds. */
  private readonly high = new Map<number, string>();
  /** F_SETPIPE_SZ calls above 64 KiB so far (MAX_BIG_RESIZES). */
  private bigResizes = 0;
  /** An exhaust action was seen: the flood ends the script (finish). */
  private exhaust = false;
  /** Signals: each one's disposition (absent: SIG_DFL), as the script's sigactions set them. */
  private readonly disp = new Map<Sig, 'catch' | 'SIG_IGN' | 'SIG_DFL'>();
  /** The main thread's blocked mask. */
  private readonly mainMask = new Set<Sig>();
  /** Each script thread's own mask: main's at the step that first named it. */
  private readonly threadMasks = new Map<string, ReadonlySet<Sig>>();
  /** The mask a waiting thread's p-call put in force, until its join. */
  private readonly callMasks = new Map<string, ReadonlySet<Sig>>();
  /** A signalfd was made: closed names' numbers may denote one (see "signals"). */
  private signalfds = false;
  /** Internet sockets: ports handed out so far (TCP listeners, UDP sockets, other binds). */
  private tcpPorts = 0;
  private udpPorts = 0;
  private freePorts = 0;
  /** UDP addresses that a bound socket holds or held, as [domain, address]. */
  private readonly udpTargets: (readonly [string, string])[] = [];
  /** UDP addresses nobody holds besides REFUSED_UDP_PORT (a v6-only socket's IPv4 side). */
  private readonly udpRefused: (readonly [string, string])[] = [];
  /** TCP addresses nobody listens on besides REFUSED_TCP_PORT (a v6-only listener's IPv4 side). */
  private readonly tcpRefused: (readonly [string, string])[] = [];
  /** Datagrams sent so far (UDP_SENDS). */
  private udpSends = 0;
  /** An internet socket was made: a closed name's number may denote one (see "act" picks). */
  private inetSockets = false;

  constructor(readonly f: ReadonlySet<Feature>) {}

  private next(): number {
    return this.seq++;
  }

  private emit(step: JsonObject): void {
    const t = step.thread;
    // A new thread starts with the main thread's mask (script-format.md, "Signals").
    if (typeof t === 'string' && !this.threadMasks.has(t)) this.threadMasks.set(t, new Set(this.mainMask));
    this.steps.push(step);
  }

  private open(name: string, kind: Kind): Obj {
    const obj: Obj = { kind, names: new Set([name]) };
    this.live.set(name, obj);
    return obj;
  }

  private share(name: string, obj: Obj): void {
    obj.names.add(name);
    this.live.set(name, obj);
  }

  /** Whether a reused descriptor number might denote a private file right now. */
  private get unsafeAliases(): boolean {
    // An internet socket behind a closed name would escape the send budgets (TCP_BUDGET).
    return this.groups.length > 0 || this.leftovers > 0 || this.signalfds || this.inetSockets;
  }

  /**
   * A descriptor argument for `p`: `want` says which files suit the call. `pos` says what the
   * call may do with it: `observe` (poll, select, epoll_ctl's target: changes no file),
   * `act` (anything else), `close` (closes it: only live names and never-valid numbers),
   * `set` (an fd set: no negative numbers).
   */
  private pick(
    p: Pick,
    want: (o: Obj) => boolean,
    pos: 'observe' | 'act' | 'close' | 'set' = 'act',
  ): Picked | null {
    const bad = this.f.has('bad-fds');
    const safeRaw = (i: number): number =>
      pos === 'set' ? [9999, 1023, 1024][i % 3] : [9999, -1, 1023, 1024][i % 4];
    const from = !bad && (p.from === 'closed' || p.from === 'raw') ? 'live' : p.from;
    if (from === 'raw') {
      const v = RAW_FDS[p.i % RAW_FDS.length];
      if (pos === 'set' && v < 0) return { arg: 1023 };
      // 0, 1 and 2 are never closed, so they stay the process's /dev/null for good.
      if (pos === 'close' && v >= 0 && v <= 2) return { arg: safeRaw(p.i) };
      return { arg: v };
    }
    if (from === 'closed' && this.closed.length > 0) {
      if (pos === 'close' || (pos === 'act' && this.unsafeAliases)) return { arg: safeRaw(p.i) };
      return { arg: `$${this.closed[p.i % this.closed.length]}` };
    }
    const all = [...this.live.entries()];
    const suited = from === 'any' ? all : all.filter(([, o]) => want(o));
    const pool = suited.length ? suited : all;
    // Nothing open yet: the action makes no step (a later one will find something).
    if (pool.length === 0) return null;
    const [name, obj] = pool[p.i % pool.length];
    return { arg: `$${name}`, obj, name };
  }

  /** An epoll for `p`: a live one, or (a `live` choice when none is open) a new one. */
  private pickEpoll(p: Pick): Picked | null {
    const isEpoll = (o: Obj) => o.kind === 'epoll';
    if (p.from === 'live' && ![...this.live.values()].some(isEpoll)) {
      const name = `ep${this.next()}`;
      this.emit({ call: 'epoll_create1', args: [0], bind: name });
      this.open(name, 'epoll');
    }
    // Registrations and waits meet on the newest epoll more often than chance would have them.
    const eps = [...this.live.entries()].filter(([, o]) => isEpoll(o));
    if (p.from === 'live' && eps.length > 1 && p.i % 5 < 3) {
      const [name, obj] = eps[eps.length - 1];
      return { arg: `$${name}`, obj, name };
    }
    return this.pick(p, isEpoll);
  }

  private address(i: number): string {
    // The last choice (and any beyond the known ones) is a fresh name: nobody bound it.
    if (i % (this.addresses.length + 1) === this.addresses.length) return `@a${this.next()}`;
    return this.addresses[i % (this.addresses.length + 1)];
  }

  private freshAddress(): string {
    const a = `@a${this.next()}`;
    this.addresses.push(a);
    return a;
  }

  private data(): number {
    return ++this.dataSeq;
  }

  /** Bytes to write to a file of kind `kind` (undefined: unknown), size choice `i`. */
  private payload(kind: Kind | undefined, i: number, sizes?: readonly number[]): Json {
    if (kind === 'efd' && !sizes) return EFD_WRITES[i % EFD_WRITES.length];
    const table =
      sizes ??
      (kind === 'tcp'
        ? TCP_SIZES
        : kind === 'udp'
          ? UDP_SIZES
          : kind === 'pipe-w' || kind === 'file'
            ? PIPE_SIZES
            : kind === 'stream'
              ? STREAM_SIZES
              : kind === 'dgram' || kind === 'seqpacket'
                ? DGRAM_SIZES
                : SMALL_SIZES);
    const len = table[i % table.length];
    const fill = String.fromCharCode(97 + (this.writeSeq++ % 26));
    return len <= 16 ? fill.repeat(len) : { fill, len };
  }

  private readCount(kind: Kind | undefined, i: number): number {
    const table =
      kind === 'pipe-r' || kind === 'file'
        ? PIPE_READS
        : kind === 'efd'
          ? EFD_READS
          : kind && SOCKET_KINDS.includes(kind)
            ? SOCK_READS
            : SMALL_READS;
    return table[i % table.length];
  }

  // ---- actions ----

  apply(a: Action): void {
    switch (a.op) {
      case 'pipe': {
        const n = this.next();
        const flags = ['O_NONBLOCK', a.direct ? 'O_DIRECT' : '', a.cloexec ? 'O_CLOEXEC' : ''].filter(
          Boolean,
        );
        this.emit({ call: 'pipe2', args: [flags.join('|')], bind: [`r${n}`, `w${n}`] });
        this.open(`r${n}`, 'pipe-r');
        this.open(`w${n}`, 'pipe-w');
        return;
      }
      case 'socketpair': {
        const n = this.next();
        const flags = [a.type, 'SOCK_NONBLOCK', a.cloexec ? 'SOCK_CLOEXEC' : ''].filter(Boolean);
        this.emit({ call: 'socketpair', args: ['AF_UNIX', flags.join('|'), 0], bind: [`s${n}a`, `s${n}b`] });
        this.open(`s${n}a`, sockKind(a.type));
        this.open(`s${n}b`, sockKind(a.type));
        return;
      }
      case 'socket': {
        const name = `k${this.next()}`;
        this.emit({ call: 'socket', args: ['AF_UNIX', `${a.type}|SOCK_NONBLOCK`, 0], bind: name });
        this.open(name, sockKind(a.type));
        return;
      }
      case 'listener': {
        const name = `l${this.next()}`;
        const address = this.freshAddress();
        this.emit({ call: 'socket', args: ['AF_UNIX', `${a.type}|SOCK_NONBLOCK`, 0], bind: name });
        this.emit({ call: 'bind', args: [`$${name}`, address] });
        this.emit({ call: 'listen', args: [`$${name}`, a.backlog] });
        const obj = this.open(name, sockKind(a.type));
        obj.listen = {
          address,
          backlog: listenBacklog(a.backlog),
          pendingMin: 0,
          pendingMax: 0,
          tainted: false,
        };
        this.listeners.push(obj);
        return;
      }
      case 'client': {
        const l = this.pristineListener(a.listener, false);
        if (!l?.listen) return;
        const name = `c${this.next()}`;
        this.emit({ call: 'socket', args: ['AF_UNIX', `${sockType(l.kind)}|SOCK_NONBLOCK`, 0], bind: name });
        this.emit({ call: 'connect', args: [`$${name}`, l.listen.address] });
        this.open(name, l.kind);
        // Linux: unix_stream_connect — EAGAIN once the queue holds more than the backlog.
        if (l.listen.pendingMax <= l.listen.backlog) l.listen.pendingMin++;
        l.listen.pendingMax++;
        return;
      }
      case 'accept': {
        const l = this.pristineListener(a.listener);
        if (!l?.listen) return;
        const [lname] = l.names;
        const flags = a.cloexec ? 'SOCK_NONBLOCK|SOCK_CLOEXEC' : 'SOCK_NONBLOCK';
        if (l.listen.pendingMin > 0) {
          // A connection is surely queued: the accepted socket gets a name.
          const name = `a${this.next()}`;
          this.emit({ call: 'accept4', args: [`$${lname}`, flags], bind: name });
          const obj = this.open(name, l.kind);
          if (l.inet) obj.inet = { domain: l.inet.domain, bytes: 0, sends: 0 };
          l.listen.pendingMin--;
        } else {
          this.emit({ call: 'accept4', args: [`$${lname}`, flags] });
        }
        l.listen.pendingMax = Math.max(0, l.listen.pendingMax - 1);
        return;
      }
      case 'bind': {
        const r = this.pick(a.fd, isUnixSocket);
        // Avoided: an AF_UNIX name given to an internet socket (the model stops there with
        // Unsupported: the name's hidden prefix makes its sockaddr backend-specific).
        if (!r || r.obj?.inet) return;
        this.emit({ call: 'bind', args: [r.arg, this.bindAddress(a.addr)] });
        return;
      }
      case 'listen': {
        const r = this.pick(a.fd, (o) => o.kind === 'stream' || o.kind === 'seqpacket' || o.kind === 'tcp');
        if (!r) return;
        this.emit({ call: 'listen', args: [r.arg, a.backlog] });
        this.taint(r.obj);
        return;
      }
      case 'connect': {
        const r = this.pick(a.fd, isUnixSocket);
        if (!r || r.obj?.inet) return; // Avoided: as for bind
        const address = this.address(a.addr);
        this.emit({ call: 'connect', args: [r.arg, address] });
        const l = this.listeners.find((o) => o.listen?.address === address);
        if (l?.listen) l.listen.pendingMax++;
        return;
      }
      case 'acceptAny': {
        const r = this.pick(a.fd, (o) => o.listen !== undefined);
        if (!r) return;
        this.emit({ call: 'accept4', args: [r.arg, a.flags] });
        const l = r.obj?.listen;
        // accept4 refuses SOCK_STREAM among its flags (EINVAL) and dequeues nothing then.
        if (l && !a.flags.includes('SOCK_STREAM')) {
          l.pendingMin = Math.max(0, l.pendingMin - 1);
          l.pendingMax = Math.max(0, l.pendingMax - 1);
        }
        return;
      }
      case 'eventfd': {
        const name = `e${this.next()}`;
        this.emit({
          call: 'eventfd',
          args: [a.init, a.semaphore ? 'EFD_NONBLOCK|EFD_SEMAPHORE' : 'EFD_NONBLOCK'],
          bind: name,
        });
        this.open(name, 'efd');
        return;
      }
      case 'epoll': {
        const name = `ep${this.next()}`;
        // epoll_create(0) fails (EINVAL): no name for it.
        const how = a.how % 4;
        if (how === 3) {
          this.emit({ call: 'epoll_create', args: [0] });
          return;
        }
        this.emit(
          how === 2
            ? { call: 'epoll_create', args: [1], bind: name }
            : { call: 'epoll_create1', args: [how === 1 ? 'EPOLL_CLOEXEC' : 0], bind: name },
        );
        this.open(name, 'epoll');
        return;
      }
      case 'open': {
        const name = `f${this.next()}`;
        this.emit({ call: 'open', args: [a.path, a.mode], bind: name });
        this.open(name, 'file');
        return;
      }
      case 'dup': {
        const r = this.pick(a.fd, () => true);
        if (!r) return;
        if (r.obj) {
          const name = `d${this.next()}`;
          this.emit({ call: 'dup', args: [r.arg], bind: name });
          this.share(name, r.obj);
        } else {
          this.emit({ call: 'dup', args: [r.arg] });
        }
        return;
      }
      case 'close': {
        const r = this.pick(a.fd, () => true, 'close');
        if (!r) return;
        this.emit({ call: 'close', args: [r.arg] });
        if (r.name && r.obj) {
          this.live.delete(r.name);
          r.obj.names.delete(r.name);
          this.closed.push(r.name);
          for (const [slot, name] of this.high) if (name === r.name) this.high.delete(slot);
        }
        return;
      }
      case 'pipe0': {
        // Its ends are blocking: they become non-blocking before any other step can use them.
        const n = this.next();
        const [r, w] = [`r${n}`, `w${n}`];
        this.emit({ call: 'pipe', args: [], bind: [r, w] });
        this.emit({ call: 'fcntl_setfl', args: [`$${r}`, 'O_NONBLOCK'] });
        this.emit({ call: 'fcntl_setfl', args: [`$${w}`, 'O_NONBLOCK'] });
        this.open(r, 'pipe-r');
        this.open(w, 'pipe-w');
        return;
      }
      case 'dup2':
        this.dup2(a);
        return;
      case 'dupfd':
        this.dupfd(a);
        return;
      case 'fdflags': {
        // F_SETFD changes only the descriptor's close-on-exec flag: harmless on any number.
        const r = this.pick(a.fd, () => true);
        if (!r) return;
        const arg = a.cmd === 'F_SETFD' && a.on ? 'FD_CLOEXEC' : 0;
        this.emit({ call: 'fcntl', args: [r.arg, a.cmd, arg] });
        return;
      }
      case 'pipesz': {
        const isPipe = (o: Obj) => o.kind === 'pipe-r' || o.kind === 'pipe-w';
        if (a.fd.from === 'live' && ![...this.live.values()].some(isPipe) && this.f.has('pipe')) {
          // No pipe yet: make one, as pickEpoll makes an epoll (any other file is only EBADF).
          const n = this.next();
          this.emit({ call: 'pipe2', args: ['O_NONBLOCK'], bind: [`r${n}`, `w${n}`] });
          this.open(`r${n}`, 'pipe-r');
          this.open(`w${n}`, 'pipe-w');
        }
        const r = this.pick(a.fd, isPipe);
        if (!r) return;
        if (a.get) {
          this.emit({ call: 'fcntl', args: [r.arg, 'F_GETPIPE_SZ', 0] });
          return;
        }
        let size: number = PIPE_SZ[a.size % PIPE_SZ.length];
        if (size > 65536 && size <= 1048576 && this.bigResizes++ >= MAX_BIG_RESIZES) size = 4096;
        // Sometimes bytes go in first through the write end, so a shrink may find them (EBUSY).
        if (r.obj?.kind === 'pipe-w' && size <= 8192 && a.size % 3 === 0)
          this.emit({ call: 'write', args: [r.arg, this.payload('pipe-w', 0, [12289])] });
        this.emit({ call: 'fcntl', args: [r.arg, 'F_SETPIPE_SZ', size] });
        return;
      }
      case 'exhaust':
        this.exhaust = true;
        return;
      case 'sigaction':
      case 'sigprocmask':
      case 'kill':
      case 'sigpending':
      case 'caught':
      case 'signalfd':
        if (this.f.has('signals')) this.signal(a);
        return;
      case 'setfl': {
        const r = this.pick(a.fd, () => true);
        if (!r) return;
        this.emit({ call: 'fcntl_setfl', args: [r.arg, 'O_NONBLOCK'] });
        return;
      }
      case 'write': {
        const r = this.pick(a.fd, (o) => o.kind !== 'pipe-r' && o.kind !== 'epoll' && !o.listen);
        if (!r) return;
        const payload = this.payload(r.obj?.kind, a.size);
        // Bursts (to fill a pipe, a socket's send buffer, a datagram queue) only to live names.
        const valid = r.obj?.kind !== 'efd' || a.size % EFD_WRITES.length < 4;
        let times = r.obj && valid ? a.times : 1;
        if (r.obj?.inet) times = this.spend(r.obj, payloadLength(payload), times);
        for (let i = 0; i < times; i++) this.emit({ call: 'write', args: [r.arg, payload] });
        return;
      }
      case 'read': {
        const r = this.pick(a.fd, (o) => o.kind !== 'pipe-w' && o.kind !== 'epoll' && !o.listen);
        if (!r) return;
        if (r.obj?.kind === 'sigfd') {
          this.emit({ call: 'read_signalfd', args: [r.arg, SIGFD_READS[a.size % SIGFD_READS.length]] });
          return;
        }
        this.emit({ call: 'read', args: [r.arg, this.readCount(r.obj?.kind, a.size)] });
        return;
      }
      case 'shutdown': {
        const r = this.pick(a.fd, isSocket);
        if (!r) return;
        this.emit({ call: 'shutdown', args: [r.arg, a.how] });
        this.taint(r.obj);
        return;
      }
      case 'ctl': {
        const ep = this.pickEpoll(a.ep);
        const fd = this.pick(a.fd, (o) => o.kind !== 'epoll' || a.fd.i % 4 === 0, 'observe');
        if (!ep || !fd) return;
        const event = a.nullEvent ? null : { events: mask(a.bits), data: this.data() };
        this.emit({ call: 'epoll_ctl', args: [ep.arg, a.ctl, fd.arg, event] });
        return;
      }
      case 'wait': {
        const ep = this.pickEpoll(a.ep);
        if (!ep) return;
        if (a.pmask !== undefined && this.f.has('signals')) {
          this.emit({ call: 'epoll_pwait', args: [ep.arg, a.max, a.timeout, sigmaskArg(pSigmask(a.pmask))] });
          return;
        }
        this.emit({ call: 'epoll_wait', args: [ep.arg, a.max, a.timeout] });
        return;
      }
      case 'poll': {
        const list = a.entries.flatMap((e) => {
          const r = this.pick(e.fd, () => true, 'observe');
          return r ? [{ fd: r.arg, events: pollMask(e.bits) }] : [];
        });
        if (a.pmask !== undefined && this.f.has('signals')) {
          this.emit({ call: 'ppoll', args: [list, { sec: 0, nsec: 0 }, sigmaskArg(pSigmask(a.pmask))] });
          return;
        }
        this.emit({ call: 'poll', args: [list, 0] });
        return;
      }
      case 'select': {
        const sets = a.sets.map((s) =>
          s === null ? null : s.flatMap((p) => this.pick(p, () => true, 'set')?.arg ?? []),
        );
        // Avoided: a select that can wait and then return early (its remaining timeout depends
        // on timing). With 1 ms it may only time out, since nothing else runs meanwhile.
        const timeout = a.timeout < 0 ? { sec: -1, usec: 0 } : { sec: 0, usec: a.timeout };
        this.emit({ call: 'select', args: [a.nfds, sets[0], sets[1], sets[2], timeout] });
        return;
      }
      case 'thread':
        this.startGroup(a);
        return;
      case 'wake':
        if (this.groups.length) this.wakeGroup(a.group % this.groups.length);
        return;
      case 'tlisten':
        this.tcpListener(a);
        return;
      case 'tclient':
        this.tcpClient(a);
        return;
      case 'trefused':
        this.tcpRefusedConnect(a);
        return;
      case 'usocket':
        this.udpSocket(a);
        return;
      case 'usendto':
      case 'uconnect':
      case 'ibind':
      case 'isend':
      case 'irecv':
      case 'sockopt':
      case 'sockname':
      case 'iioctl':
        this.inetCall(a);
        return;
    }
  }

  /** A listener the model still follows (alive, untainted), or undefined. */
  private pristineListener(i: number, inet?: boolean): Obj | undefined {
    const ok = this.listeners.filter(
      (o) =>
        o.names.size > 0 &&
        o.listen &&
        !o.listen.tainted &&
        (inet === undefined || (o.listen.inet !== undefined) === inet),
    );
    return ok.length ? ok[i % ok.length] : undefined;
  }

  private bindAddress(i: number): string {
    // Mostly fresh names; sometimes one in use (EADDRINUSE) or once used.
    if (i % 3 !== 0 || this.addresses.length === 0) return this.freshAddress();
    return this.addresses[i % this.addresses.length];
  }

  private taint(obj: Obj | undefined): void {
    if (obj?.listen) obj.listen.tainted = true;
  }

  /**
   * Name `name` now denotes `obj`'s file (a dup2 or dup3 installed it at that name's number):
   * the file it denoted loses the name, as Linux's do_dup2 closes it silently.
   */
  private rebind(name: string, obj: Obj): void {
    const before = this.live.get(name);
    before?.names.delete(name);
    obj.names.add(name);
    this.live.set(name, obj);
  }

  /**
   * dup2 / dup3. The target is a live name (its file is closed silently and the name now
   * denotes the source's file), the source itself (dup2 returns it, dup3 says EINVAL), a slot of
   * the high region, 0-2 (the process's /dev/null, replaced as a shell's redirection would), or
   * a number that is never valid (EBADF). A source the model does not know (raw, closed) only
   * meets itself or a never-valid number: installing it anywhere else could put an unknown file
   * (even a thread group's private blocking one) behind a public name.
   */
  private dup2(a: Extract<Action, { op: 'dup2' }>): void {
    const src = this.pick(a.fd, () => true);
    if (!src) return;
    const emit = (to: Json, bind?: string) => {
      const args = a.call === 'dup2' ? [src.arg, to] : [src.arg, to, a.flags];
      this.emit(bind ? { call: a.call, args, bind } : { call: a.call, args });
    };
    // dup3's flags: anything but 0 and O_CLOEXEC is EINVAL, and then nothing changes.
    const valid = a.call === 'dup2' || a.flags === 0 || a.flags === 'O_CLOEXEC';
    const never = NEVER_FDS[(a.to >> 3) % NEVER_FDS.length];
    const choice = src.obj ? a.to % 8 : a.to % 2 === 0 ? 2 : 5;
    switch (choice) {
      case 0:
      case 1: {
        const dst = this.pick({ from: 'live', i: a.to >> 3 }, () => true, 'close');
        if (!dst?.name || !src.obj) return;
        emit(dst.arg);
        if (valid && dst.name !== src.name) this.rebind(dst.name, src.obj);
        return;
      }
      case 2:
        emit(src.arg);
        return;
      case 3:
      case 4:
      case 7: {
        const slot = HIGH_SLOTS[(a.to >> 3) % HIGH_SLOTS.length];
        const holder = this.high.get(slot);
        if (!src.obj || !valid) {
          emit(slot);
        } else if (holder) {
          emit(slot);
          this.rebind(holder, src.obj);
        } else {
          const name = `h${this.next()}`;
          emit(slot, name);
          this.share(name, src.obj);
          this.high.set(slot, name);
        }
        return;
      }
      case 6:
        // Only live sources reach here; 0-2 stay some public, non-blocking file for good (never a
        // signalfd, which raw reads of 0-2 would read; never an internet socket, whose raw
        // writes would escape the send budgets, TCP_BUDGET and UDP_SENDS).
        emit(src.obj?.kind === 'sigfd' || src.obj?.inet ? never : (a.to >> 3) % 3);
        return;
      default:
        emit(never);
        return;
    }
  }

  /**
   * fcntl F_DUPFD / F_DUPFD_CLOEXEC, `times` over: from a low start it always succeeds; from a
   * high one it takes the region's lowest free slot at or above the start, and says EMFILE when
   * none is left; from 900 up it is EINVAL.
   */
  private dupfd(a: Extract<Action, { op: 'dupfd' }>): void {
    const src = this.pick(a.fd, () => true);
    if (!src) return;
    const start = DUPFD_STARTS[a.start % DUPFD_STARTS.length];
    const cmd = a.cloexec ? 'F_DUPFD_CLOEXEC' : 'F_DUPFD';
    // An unknown source could land an unknown file in the region: only never-valid starts.
    const from = src.obj ? start : start < SCRIPT_NOFILE ? SCRIPT_NOFILE : start;
    for (let i = 0; i < a.times; i++) {
      const step: JsonObject = { call: 'fcntl', args: [src.arg, cmd, from] };
      if (src.obj && from < SCRIPT_NOFILE) {
        let slot: number | undefined;
        if (from >= HIGH_BASE) {
          for (let n = from; n < SCRIPT_NOFILE; n++) {
            if (!this.high.has(n)) {
              slot = n;
              break;
            }
          }
          if (slot === undefined) {
            this.emit(step); // EMFILE
            continue;
          }
        }
        const name = `h${this.next()}`;
        step.bind = name;
        this.share(name, src.obj);
        if (slot !== undefined) this.high.set(slot, name);
      }
      this.emit(step);
    }
  }

  /**
   * The exhaust flood, last in a script: F_DUPFD of 0 until every descriptor below
   * RLIMIT_NOFILE is open (the calls past that point say EMFILE), then every call that opens
   * descriptors (EMFILE), then one descriptor freed: pipe2 and socketpair still fail for want of a
   * second one, and accept4 (the connection is still queued) or F_DUPFD takes it. Nothing is bound: the generator does not know where the table
   * fills up, and nothing comes after.
   */
  private flood(): void {
    for (let i = 0; i < FLOOD; i++) this.emit({ call: 'fcntl', args: [0, 'F_DUPFD', 0] });
    const opens: JsonObject[] = [];
    const f = this.f;
    if (f.has('pipe')) opens.push({ call: 'pipe2', args: ['O_NONBLOCK'] });
    if (f.has('pipe-call')) opens.push({ call: 'pipe', args: [] });
    const pairType = (['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_SEQPACKET'] as const).find((t) =>
      f.has(pairFeature(t)),
    );
    if (pairType) opens.push({ call: 'socketpair', args: ['AF_UNIX', `${pairType}|SOCK_NONBLOCK`, 0] });
    const types = socketTypes(f);
    if (types.length) opens.push({ call: 'socket', args: ['AF_UNIX', `${types[0]}|SOCK_NONBLOCK`, 0] });
    if (f.has('eventfd')) opens.push({ call: 'eventfd', args: [0, 'EFD_NONBLOCK'] });
    if (f.has('epoll')) opens.push({ call: 'epoll_create1', args: [0] });
    if (f.has('open')) opens.push({ call: 'open', args: ['/dev/null', 'O_RDWR'] });
    if (f.has('dup')) opens.push({ call: 'dup', args: [0] });
    // Linux: do_accept reserves the descriptor first: EMFILE, and the connection stays queued.
    const l = this.pristineListener(0);
    if (l?.listen) opens.push({ call: 'accept4', args: [`$${[...l.names][0]}`, 'SOCK_NONBLOCK'] });
    for (const s of opens) this.emit(s);
    // 899 is surely open now: the flood filled every slot the high region left.
    this.emit({ call: 'close', args: [SCRIPT_NOFILE - 1] });
    for (const s of opens) if (s.call === 'pipe2' || s.call === 'socketpair') this.emit(s);
    // The connection the EMFILE accept4 left queued takes the freed descriptor (or EAGAIN).
    for (const s of opens) if (s.call === 'accept4') this.emit(s);
    this.emit({ call: 'fcntl', args: [0, 'F_DUPFD', 0] });
    this.emit({ call: 'fcntl', args: [0, 'F_DUPFD', 0] });
  }

  // ---- internet sockets (see the constants above) ----

  private inetFam(i: number): InetFam {
    if (!this.f.has('inet6')) return 'v4';
    return (['v4', 'dual', 'v6', 'v6only', 'v4'] as const)[i % 5];
  }

  private inetSocket(name: string, kind: 'tcp' | 'udp', domain: 'AF_INET' | 'AF_INET6', proto: boolean): Obj {
    const type = kind === 'tcp' ? 'SOCK_STREAM|SOCK_NONBLOCK' : 'SOCK_DGRAM|SOCK_NONBLOCK';
    const protocol = proto ? (kind === 'tcp' ? 'IPPROTO_TCP' : 'IPPROTO_UDP') : 0;
    this.emit({ call: 'socket', args: [domain, type, protocol], bind: name });
    // Avoided: Nagle's algorithm (a small segment waits for the ACK of the previous one).
    if (kind === 'tcp')
      this.emit({ call: 'setsockopt', args: [`$${name}`, 'IPPROTO_TCP', 'TCP_NODELAY', 1] });
    const obj = this.open(name, kind);
    obj.inet = { domain, bytes: 0, sends: 0 };
    this.inetSockets = true;
    return obj;
  }

  /**
   * How many of `times` sends of `len` bytes `obj` may still make (TCP_BUDGET, TCP_SENDS,
   * UDP_SENDS), and spend them.
   */
  private spend(obj: Obj | undefined, len: number, times: number): number {
    const inet = obj?.inet;
    if (!inet) return times;
    let n = 0;
    while (n < times) {
      if (obj.kind === 'udp') {
        if (this.udpSends >= UDP_SENDS) break;
        this.udpSends++;
      } else {
        if (inet.sends >= TCP_SENDS || inet.bytes + len > TCP_BUDGET) break;
        inet.sends++;
        inet.bytes += len;
      }
      n++;
    }
    return n;
  }

  /**
   * A live internet socket for `p` (closed names and raw numbers pass through; a live name of
   * another kind gives null: the simulated kernel's AF_UNIX send/recv/sockopt are not what
   * these actions test).
   */
  private pickInet(p: Pick, want: (o: Obj) => boolean = (o) => INET_KINDS.includes(o.kind)): Picked | null {
    // A raw 0-2 may be an AF_UNIX socket that dup2 put there, and so may a closed name's number
    // before any internet socket exists (after, pick maps closed names itself): only the
    // never-valid raw numbers then.
    const q: Pick =
      p.from === 'any'
        ? { from: 'live', i: p.i }
        : p.from === 'raw' || (p.from === 'closed' && !this.inetSockets)
          ? { from: 'raw', i: p.i % 4 }
          : p;
    const r = this.pick(q, want);
    if (r?.obj && !r.obj.inet) return null;
    return r;
  }

  private tcpListener(a: Extract<Action, { op: 'tlisten' }>): void {
    const fam = this.inetFam(a.fam);
    const port = TCP_BASE_PORT + this.tcpPorts++;
    const name = `tl${this.next()}`;
    const domain = fam === 'v4' ? 'AF_INET' : 'AF_INET6';
    const obj = this.inetSocket(name, 'tcp', domain, (a.opts & 1) !== 0);
    if (a.opts & 2) this.emit({ call: 'setsockopt', args: [`$${name}`, 'SOL_SOCKET', 'SO_REUSEADDR', 1] });
    if (fam === 'v6only' || (fam === 'dual' && a.opts & 4)) {
      this.emit({
        call: 'setsockopt',
        args: [`$${name}`, 'IPPROTO_IPV6', 'IPV6_V6ONLY', fam === 'v6only' ? 1 : 0],
      });
    }
    const host = fam === 'v4' ? (a.opts & 8 ? '0.0.0.0' : '127.0.0.1') : fam === 'v6' ? '[::1]' : '[::]';
    const address = `${host}:${port}`;
    this.emit({ call: 'bind', args: [`$${name}`, address] });
    this.emit({ call: 'listen', args: [`$${name}`, a.backlog] });
    const v4 = ['AF_INET', `127.0.0.1:${port}`] as const;
    const v6 = ['AF_INET6', `[::1]:${port}`] as const;
    const mapped = ['AF_INET6', `[::ffff:127.0.0.1]:${port}`] as const;
    const inet6 = this.f.has('inet6');
    const targets =
      fam === 'v4'
        ? inet6
          ? [v4, mapped]
          : [v4]
        : fam === 'v6'
          ? [v6]
          : fam === 'dual'
            ? [v4, v6, mapped]
            : [v6];
    if (fam === 'v6only') this.tcpRefused.push(v4);
    obj.listen = {
      address,
      backlog: listenBacklog(a.backlog),
      pendingMin: 0,
      pendingMax: 0,
      tainted: false,
      inet: targets,
    };
    this.listeners.push(obj);
  }

  private tcpClient(a: Extract<Action, { op: 'tclient' }>): void {
    const l = this.pristineListener(a.listener, true);
    const targets = l?.listen?.inet;
    if (!l?.listen || !targets) return;
    // Avoided: a connect to a full queue (see the constants above).
    if (l.listen.pendingMax > l.listen.backlog) return;
    const [domain, address] = targets[a.via % targets.length];
    const name = `tc${this.next()}`;
    this.inetSocket(name, 'tcp', domain as 'AF_INET' | 'AF_INET6', false);
    // A client bound first to port 0 of its own loopback (a v4-mapped peer needs no bind).
    if (a.bindFirst && !address.includes('ffff')) {
      this.emit({ call: 'bind', args: [`$${name}`, domain === 'AF_INET' ? '127.0.0.1:0' : '[::1]:0'] });
    }
    this.emit({ call: 'connect', args: [`$${name}`, address] });
    l.listen.pendingMin++;
    l.listen.pendingMax++;
  }

  private tcpRefusedConnect(a: Extract<Action, { op: 'trefused' }>): void {
    // Nobody listens there: REFUSED_TCP_PORT, a v6-only listener's IPv4 side, a closed listener's port.
    const closed = this.listeners.flatMap((o) => (o.names.size === 0 && o.listen?.inet ? o.listen.inet : []));
    const choices: (readonly [string, string])[] = [
      ['AF_INET', `127.0.0.1:${REFUSED_TCP_PORT}`],
      ...(this.f.has('inet6') ? [['AF_INET6', `[::1]:${REFUSED_TCP_PORT}`] as const] : []),
      ...this.tcpRefused,
      ...closed,
    ];
    const [domain, address] = choices[a.fam % choices.length];
    const name = `tr${this.next()}`;
    this.inetSocket(name, 'tcp', domain as 'AF_INET' | 'AF_INET6', false);
    this.emit({ call: 'connect', args: [`$${name}`, address] });
  }

  private udpSocket(a: Extract<Action, { op: 'usocket' }>): void {
    const fam = this.inetFam(a.fam);
    const domain = fam === 'v4' ? 'AF_INET' : 'AF_INET6';
    const name = `u${this.next()}`;
    const how = a.how % 6;
    this.inetSocket(name, 'udp', domain, how === 1);
    if (fam === 'v6only')
      this.emit({ call: 'setsockopt', args: [`$${name}`, 'IPPROTO_IPV6', 'IPV6_V6ONLY', 1] });
    if (how === 5) return; // not bound: its first send or connect picks a port
    const host = fam === 'v4' ? (how === 3 ? '0.0.0.0' : '127.0.0.1') : fam === 'v6' ? '[::1]' : '[::]';
    if (how === 4) {
      this.emit({ call: 'bind', args: [`$${name}`, `${host}:0`] });
      return;
    }
    const port = UDP_BASE_PORT + this.udpPorts++;
    this.emit({ call: 'bind', args: [`$${name}`, `${host}:${port}`] });
    const v4 = ['AF_INET', `127.0.0.1:${port}`] as const;
    const v6 = ['AF_INET6', `[::1]:${port}`] as const;
    const mapped = ['AF_INET6', `[::ffff:127.0.0.1]:${port}`] as const;
    const inet6 = this.f.has('inet6');
    if (fam === 'v4') this.udpTargets.push(v4, ...(inet6 ? [mapped] : []));
    else if (fam === 'v6') this.udpTargets.push(v6);
    else if (fam === 'dual') this.udpTargets.push(v4, v6, mapped);
    else {
      this.udpTargets.push(v6);
      this.udpRefused.push(v4);
    }
  }

  /** A UDP destination for a socket of `domain`: mostly a bound socket's address of its family. */
  private udpDest(domain: string | undefined, i: number, unspec: Json): Json {
    const k = i % 8;
    if (k === 7) return unspec;
    const refused: (readonly [string, string])[] = [
      ['AF_INET', `127.0.0.1:${REFUSED_UDP_PORT}`],
      ...(this.f.has('inet6') ? [['AF_INET6', `[::1]:${REFUSED_UDP_PORT}`] as const] : []),
      ...this.udpRefused,
    ];
    const same = (xs: readonly (readonly [string, string])[]) => {
      const ok = xs.filter(([d]) => d === domain);
      return ok.length ? ok : xs;
    };
    // k 6: a port nobody holds (ICMP port unreachable); k 5: any family (EAFNOSUPPORT, or IPv4 from AF_INET6).
    const pool =
      k === 6 || this.udpTargets.length === 0
        ? same(refused)
        : k === 5
          ? this.udpTargets
          : same(this.udpTargets);
    return pool[(i >> 3) % pool.length][1];
  }

  private inetCall(
    a: Extract<
      Action,
      { op: 'usendto' | 'uconnect' | 'ibind' | 'isend' | 'irecv' | 'sockopt' | 'sockname' | 'iioctl' }
    >,
  ): void {
    switch (a.op) {
      case 'usendto': {
        const r = this.pickInet(a.fd, (o) => o.kind === 'udp');
        if (!r) return;
        const payload = this.payload('udp', a.size);
        if (this.spend(r.obj, payloadLength(payload), 1) === 0) return;
        const dest = this.udpDest(r.obj?.inet?.domain, a.dest, a.dest % 16 === 7 ? null : 'AF_UNSPEC');
        this.emit({ call: 'sendto', args: [r.arg, payload, SEND_FLAGS[a.flags % SEND_FLAGS.length], dest] });
        return;
      }
      case 'uconnect': {
        const r = this.pickInet(a.fd, (o) => o.kind === 'udp');
        if (!r) return;
        this.emit({ call: 'connect', args: [r.arg, this.udpDest(r.obj?.inet?.domain, a.dest, 'AF_UNSPEC')] });
        // connect(AF_UNSPEC) on a TCP listener is tcp_disconnect: it stops listening.
        this.taint(r.obj);
        return;
      }
      case 'ibind': {
        const r = this.pickInet(a.fd);
        if (!r) return;
        const v6 = r.obj?.inet?.domain === 'AF_INET6';
        const k = a.addr % 4;
        // A live TCP listener's own address: EADDRINUSE whatever the options (it is listening).
        const live = this.listeners.filter((o) => o.names.size > 0 && o.listen?.inet);
        let address: string;
        if (k === 0 && r.obj?.kind === 'tcp' && live.length) {
          address = live[a.addr % live.length].listen?.address ?? '127.0.0.1:0';
        } else if (k === 1) {
          address = v6 ? '[::1]:0' : '127.0.0.1:0';
        } else if (k === 2) {
          // The other family's address: EINVAL or EAFNOSUPPORT.
          address = v6 ? `127.0.0.1:${7000 + this.freePorts++}` : `[::1]:${7000 + this.freePorts++}`;
        } else {
          // A fresh port nobody connects or sends to (7000 + n).
          address = v6 ? `[::1]:${7000 + this.freePorts++}` : `127.0.0.1:${7000 + this.freePorts++}`;
        }
        this.emit({ call: 'bind', args: [r.arg, address] });
        return;
      }
      case 'isend': {
        const r = this.pickInet(a.fd);
        if (!r) return;
        const payload = this.payload(r.obj?.kind ?? 'tcp', a.size);
        if (this.spend(r.obj, payloadLength(payload), 1) === 0) return;
        this.emit({ call: 'send', args: [r.arg, payload, SEND_FLAGS[a.flags % SEND_FLAGS.length]] });
        return;
      }
      case 'irecv': {
        const r = this.pickInet(a.fd);
        if (!r) return;
        const count = INET_READS[a.size % INET_READS.length];
        const flags = RECV_FLAGS[a.flags % RECV_FLAGS.length];
        this.emit({ call: a.from ? 'recvfrom' : 'recv', args: [r.arg, count, flags] });
        return;
      }
      case 'sockopt': {
        const r = this.pickInet(a.fd);
        if (!r) return;
        if (!a.set) {
          const [level, opt] = GET_OPTS[a.opt % GET_OPTS.length];
          this.emit({ call: 'getsockopt', args: [r.arg, level, opt] });
          return;
        }
        const [level, opt, values] = SET_OPTS[a.opt % SET_OPTS.length];
        this.emit({ call: 'setsockopt', args: [r.arg, level, opt, values[a.value % values.length]] });
        return;
      }
      case 'sockname': {
        const r = this.pickInet(a.fd);
        if (!r) return;
        this.emit({ call: a.peer ? 'getpeername' : 'getsockname', args: [r.arg] });
        return;
      }
      case 'iioctl': {
        // Any file: the ioctls on pipes, epolls, eventfds... are answers too (ENOTTY, EINVAL).
        const r = this.pick(a.fd, (o) => INET_KINDS.includes(o.kind));
        if (!r) return;
        this.emit({ call: a.atmark ? 'ioctl_siocatmark' : 'ioctl_fionread', args: [r.arg] });
        return;
      }
    }
  }

  // ---- signals ----

  /** Whether delivering `sig` now could never end the process (see "signals" above). */
  private deliverable(sig: Sig): boolean {
    return DEFAULT_IGNORED.has(sig) || (this.disp.get(sig) ?? 'SIG_DFL') !== 'SIG_DFL';
  }

  /** Whether every script thread blocks `sig` (a waiting one both with its own and its call's mask). */
  private everyThreadBlocks(sig: Sig): boolean {
    for (const [t, m] of this.threadMasks) {
      if (!m.has(sig)) return false;
      const call = this.callMasks.get(t);
      if (call && !call.has(sig)) return false;
    }
    return true;
  }

  private signal(
    a: Extract<Action, { op: 'sigaction' | 'sigprocmask' | 'kill' | 'sigpending' | 'caught' | 'signalfd' }>,
  ): void {
    switch (a.op) {
      case 'sigaction': {
        const sig = SIGNALS[a.sig % SIGNALS.length];
        let handler: (typeof HANDLERS)[number] = HANDLERS[a.handler % HANDLERS.length];
        // Never back to SIG_DFL for a signal whose default ends the process; SA_RESETHAND does
        // that too, so it is kept for the signals whose default is to ignore them.
        if (handler === 'SIG_DFL' && !DEFAULT_IGNORED.has(sig)) handler = 'catch';
        const flags = a.flags.filter((x) => x !== 'SA_RESETHAND' || DEFAULT_IGNORED.has(sig));
        const args: Json[] = [sig, handler, mask(flags)];
        if (a.mask % 3) args.push([...SIGSETS[a.mask % SIGSETS.length]]);
        this.emit({ call: 'sigaction', args });
        this.disp.set(sig, handler);
        return;
      }
      case 'sigprocmask': {
        const how = (['SIG_BLOCK', 'SIG_UNBLOCK', 'SIG_SETMASK'] as const)[a.how % 3];
        const set = pSigmask(a.set);
        this.emit({ call: 'sigprocmask', args: [how, set ? [...set] : null] });
        if (set === null) return;
        if (how === 'SIG_SETMASK') this.mainMask.clear();
        for (const sig of set) {
          if (how === 'SIG_UNBLOCK') this.mainMask.delete(sig);
          else this.mainMask.add(sig);
        }
        return;
      }
      case 'kill': {
        const sig = SIGNALS[a.sig % SIGNALS.length];
        const target = a.target % 10;
        if (!this.deliverable(sig)) {
          // A handler first (with or without SA_RESTART), rather than no signal at all.
          this.emit({ call: 'sigaction', args: [sig, 'catch', target % 2 ? 'SA_RESTART' : 0] });
          this.disp.set(sig, 'catch');
        }
        if (target >= 4 && this.groups.length) {
          const group = this.groups[a.group % this.groups.length];
          const t = group.threads[a.group % group.threads.length];
          this.emit({ call: 'tgkill', args: [t, sig] });
          this.emit({ call: 'blocked', args: [t] });
          group.signalled = true;
          return;
        }
        if (target < 3 && (!this.mainMask.has(sig) || this.everyThreadBlocks(sig))) {
          this.emit({ call: 'kill', args: [sig] });
          return;
        }
        this.emit({ call: 'tgkill', args: ['main', sig] });
        return;
      }
      case 'sigpending':
        this.emit({ call: 'sigpending', args: [] });
        return;
      case 'caught':
        this.emit({ call: 'caught', args: [SIGNALS[a.sig % SIGNALS.length]] });
        return;
      case 'signalfd': {
        const set = [...SIGSETS[a.mask % SIGSETS.length]];
        const flags = a.cloexec ? 'SFD_NONBLOCK|SFD_CLOEXEC' : 'SFD_NONBLOCK';
        const old = a.update && this.pick(a.update, (o) => o.kind === 'sigfd');
        if (old) {
          // A new mask for a signalfd returns that descriptor; for any other file, EINVAL.
          this.emit({ call: 'signalfd', args: [old.arg, set, flags] });
          return;
        }
        const name = `sf${this.next()}`;
        this.emit({ call: 'signalfd', args: [-1, set, flags], bind: name });
        this.open(name, 'sigfd');
        this.signalfds = true;
        return;
      }
    }
  }

  /**
   * A thread group's p-call mask (undefined: the plain call), recorded until the join. The
   * thread's own mask is main's now (the p-call step is the one that first names it).
   */
  private pcallMaskAfterNaming(
    a: Extract<Action, { op: 'thread' }>,
    t: string,
  ): readonly Sig[] | null | undefined {
    if (a.pmask === undefined || !this.f.has('signals')) return undefined;
    const set = pSigmask(a.pmask);
    if (!this.threadMasks.has(t)) this.threadMasks.set(t, new Set(this.mainMask));
    if (set) this.callMasks.set(t, new Set(set));
    return set;
  }

  // ---- thread groups ----

  private startGroup(a: Extract<Action, { op: 'thread' }>): void {
    if (this.groups.length >= 3) return;
    const g = `g${this.next()}`;
    switch (a.kind) {
      case 'read':
        this.readGroup(g, a);
        return;
      case 'epoll':
        this.epollGroup(g, a);
        return;
      case 'exclusive':
        this.exclusiveGroup(g, a);
        return;
      case 'accept':
        this.acceptGroup(g, a);
        return;
      case 'poll':
      case 'select':
        this.pollGroup(g, a);
        return;
      case 'write':
        this.writeGroup(g, a);
        return;
      case 'connect':
        this.connectGroup(g, a);
        return;
      case 'send':
        this.sendGroup(g, a);
        return;
      case 'recv':
        this.tcpRecvGroup(g, a);
        return;
    }
  }

  /** The private files a thread can block reading: what the features allow. */
  private privateKinds(): PrivateKind[] {
    const f = this.f;
    const out: PrivateKind[] = [];
    if (f.has('pipe')) out.push('pipe');
    if (f.has('pipe') && f.has('pipe-direct')) out.push('pipe-direct');
    if (f.has('socketpair-stream')) out.push('stream');
    if (f.has('socketpair-dgram')) out.push('dgram');
    if (f.has('socketpair-seqpacket')) out.push('seqpacket');
    if (f.has('eventfd')) out.push('efd', 'efd-sem');
    return out;
  }

  /**
   * Create a private file pair: `r` is what a thread waits on, `w` what wakes it (the same
   * name for an eventfd). Blocking unless `nonblock`.
   */
  private privateFile(
    g: string,
    kind: PrivateKind,
    nonblock: boolean,
  ): { r: string; w: string; rObj: Obj; wObj: Obj; names: string[] } {
    const nb = (flag: string) => (nonblock ? flag : '');
    const join = (...xs: string[]) => xs.filter(Boolean).join('|') || 0;
    if (kind === 'pipe' && !nonblock && this.f.has('pipe-call') && this.next() % 2) {
      // pipe(): the same blocking pair as pipe2(0).
      const [r, w] = [`${g}r`, `${g}w`];
      this.emit({ call: 'pipe', args: [], bind: [r, w] });
      return { r, w, rObj: newObj(r, 'pipe-r'), wObj: newObj(w, 'pipe-w'), names: [r, w] };
    }
    if (kind === 'pipe' || kind === 'pipe-direct') {
      const [r, w] = [`${g}r`, `${g}w`];
      this.emit({
        call: 'pipe2',
        args: [join(nb('O_NONBLOCK'), kind === 'pipe-direct' ? 'O_DIRECT' : '')],
        bind: [r, w],
      });
      const rObj = newObj(r, 'pipe-r');
      const wObj = newObj(w, 'pipe-w');
      return { r, w, rObj, wObj, names: [r, w] };
    }
    if (kind === 'efd' || kind === 'efd-sem') {
      const e = `${g}e`;
      this.emit({
        call: 'eventfd',
        args: [0, join(nb('EFD_NONBLOCK'), kind === 'efd-sem' ? 'EFD_SEMAPHORE' : '')],
        bind: e,
      });
      const obj = newObj(e, 'efd');
      return { r: e, w: e, rObj: obj, wObj: obj, names: [e] };
    }
    const [r, w] = [`${g}a`, `${g}b`];
    const type = sockType(kind);
    this.emit({ call: 'socketpair', args: ['AF_UNIX', join(type, nb('SOCK_NONBLOCK')), 0], bind: [r, w] });
    return { r, w, rObj: newObj(r, kind), wObj: newObj(w, kind), names: [r, w] };
  }

  /** A write that wakes a thread waiting to read `kind`; it fits at once in the empty file. */
  private wakeWrite(kind: PrivateKind, w: string, i: number, several = false): JsonObject {
    if (kind === 'efd' || kind === 'efd-sem') {
      // Any value from 1 up fits in a count of 0; several writes must all fit, so they add 1.
      const values = [{ u64: 1 }, { u64: 3 }, { u64: '18446744073709551614' }];
      return { call: 'write', args: [`$${w}`, several ? { u64: 1 } : values[i % 3]] };
    }
    const sizes = kind === 'pipe' || kind === 'pipe-direct' ? WAKE_PIPE_SIZES : WAKE_SOCK_SIZES;
    return { call: 'write', args: [`$${w}`, this.payload(undefined, i, sizes)] };
  }

  /** Register a group's file in a public epoll, as an outside observer (any mask; may fail). */
  private observe(a: Extract<Action, { op: 'thread' }>, name: string): void {
    if (!a.observe || !this.f.has('epoll')) return;
    const eps = [...this.live.entries()].filter(([, o]) => o.kind === 'epoll');
    if (!eps.length) return;
    const [ep] = eps[a.observe.ep % eps.length];
    this.emit({
      call: 'epoll_ctl',
      args: [`$${ep}`, 'EPOLL_CTL_ADD', `$${name}`, { events: mask(a.observe.bits), data: this.data() }],
    });
  }

  private threadName(g: string, k = 0): string {
    return `t${g.slice(1)}x${k}`;
  }

  /**
   * T1: one thread blocks in read on a private blocking file; a write to its peer wakes it.
   * With `nest` (and dup2), the read's descriptor is replaced while it waits.
   */
  private readGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    const kinds = this.privateKinds();
    if (!kinds.length) return;
    const kind = kinds[a.variant % kinds.length];
    const p = this.privateFile(g, kind, false);
    this.observe(a, p.r);
    const t = this.threadName(g);
    const count =
      kind === 'efd' || kind === 'efd-sem'
        ? [8, 16, 8][a.size % 3]
        : THREAD_READ_COUNTS[a.size % THREAD_READ_COUNTS.length];
    this.emit({ call: 'read', args: [`$${p.r}`, count], thread: t });
    // The descriptor a thread is blocked on, replaced under it: dup2 puts the peer's file at the
    // read end's number. The blocked read keeps its own reference (fdget in a process with
    // several threads takes one), so it still waits and the write still wakes it; the read
    // end's file goes when the read returns (its epoll registrations with it).
    const replace = this.f.has('dup2') && a.nest && p.r !== p.w;
    if (replace) this.emit({ call: 'dup2', args: [`$${p.w}`, `$${p.r}`] });
    if (replace) p.wObj.names.add(p.r);
    this.groups.push({
      wake: [this.wakeWrite(kind, p.w, a.size)],
      threads: [t],
      order: a.order,
      blocking: p.names,
      publish: replace ? [...p.wObj.names].map((n): [string, Obj] => [n, p.wObj]) : pairs(p),
      probe: replace,
    });
  }

  /**
   * T2: n threads in epoll_wait(-1) on a private epoll whose only item is a private trigger
   * (optionally through an inner epoll). One write to the trigger releases them all: with
   * several threads every registration on the way is level-triggered without ONESHOT, so each
   * thread that harvests re-queues the item and ep_done_scan wakes the next (reference §4.11).
   * Avoided: ET or ONESHOT with several waiters (whether the second waiter finds the event
   * depends on when the first harvests).
   */
  private epollGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    if (!this.f.has('epoll')) return;
    const kinds = this.privateKinds();
    if (!kinds.length) return;
    const kind = kinds[a.variant % kinds.length];
    const p = this.privateFile(g, kind, true);
    const ep = `${g}ep`;
    this.emit({ call: 'epoll_create1', args: [0], bind: ep });
    const publish: [string, Obj][] = [...pairs(p), [ep, newObj(ep, 'epoll')]];
    const triggerMask = validTriggerMask(a.bits, a.n > 1);
    let holder = ep;
    if (a.nest) {
      const inner = `${g}in`;
      this.emit({ call: 'epoll_create1', args: [0], bind: inner });
      const innerMask = a.n > 1 || !a.bits.includes('EPOLLET') ? 'EPOLLIN' : 'EPOLLIN|EPOLLET';
      this.emit({
        call: 'epoll_ctl',
        args: [`$${ep}`, 'EPOLL_CTL_ADD', `$${inner}`, { events: innerMask, data: this.data() }],
      });
      publish.push([inner, newObj(inner, 'epoll')]);
      holder = inner;
    }
    this.emit({
      call: 'epoll_ctl',
      args: [`$${holder}`, 'EPOLL_CTL_ADD', `$${p.r}`, { events: triggerMask, data: this.data() }],
    });
    this.observe(a, ep);
    const n = Math.max(1, Math.min(3, a.n));
    const threads: string[] = [];
    for (let k = 0; k < n; k++) {
      const t = this.threadName(g, k);
      threads.push(t);
      const max = [8, 1, 2][(a.size + k) % 3];
      const pm = this.pcallMaskAfterNaming(a, t);
      this.emit(
        pm === undefined
          ? { call: 'epoll_wait', args: [`$${ep}`, max, -1], thread: t }
          : { call: 'epoll_pwait', args: [`$${ep}`, max, -1, sigmaskArg(pm)], thread: t },
      );
    }
    this.groups.push({
      wake: [this.wakeWrite(kind, p.w, a.size)],
      threads,
      order: a.order,
      blocking: [],
      publish,
    });
  }

  /**
   * T2x: k private epolls (k = 2 or 3), one thread waiting in each, and one private trigger
   * registered in all of them with EPOLLEXCLUSIVE. A wake-up of the trigger's queue (nr 1) runs
   * the exclusive entries in order until one whose epoll has a waiter takes it (reference §4.10),
   * so each write releases exactly one more thread, whichever it is: k writes release them all.
   */
  private exclusiveGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    if (!this.f.has('epoll')) return;
    const kinds = this.privateKinds();
    if (!kinds.length) return;
    const kind = kinds[a.variant % kinds.length];
    const p = this.privateFile(g, kind, true);
    const k = a.n > 2 ? 3 : 2;
    const publish: [string, Obj][] = [...pairs(p)];
    const et = a.bits.includes('EPOLLET') ? '|EPOLLET' : '';
    const eps: string[] = [];
    for (let i = 0; i < k; i++) {
      const ep = `${g}ep${i}`;
      eps.push(ep);
      this.emit({ call: 'epoll_create1', args: [0], bind: ep });
      this.emit({
        call: 'epoll_ctl',
        args: [
          `$${ep}`,
          'EPOLL_CTL_ADD',
          `$${p.r}`,
          { events: `EPOLLIN|EPOLLEXCLUSIVE${et}`, data: this.data() },
        ],
      });
      publish.push([ep, newObj(ep, 'epoll')]);
    }
    this.observe(a, p.r);
    const threads = eps.map((ep, i) => {
      const t = this.threadName(g, i);
      this.emit({ call: 'epoll_wait', args: [`$${ep}`, 4, -1], thread: t });
      return t;
    });
    const wakes = eps.map((_, i) => this.wakeWrite(kind, p.w, a.size + i, true));
    this.groups.push({ wake: wakes, threads, order: a.order, blocking: [], publish });
  }

  /**
   * T3: a thread blocks in accept4 on a private blocking listener; a connect wakes it.
   * The client socket is made first and the group is woken at once: nothing runs between the
   * accept and its connect. (Linux reserves the accepted descriptor before it waits; the model
   * does too now — test/conformance/unix-accept-larval.json — so widening this is safe.)
   */
  private acceptGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    const types = (['SOCK_STREAM', 'SOCK_SEQPACKET'] as const).filter((t) => this.f.has(listenFeature(t)));
    if (this.f.has('tcp') && (!types.length || (a.size >> 2) % 2 === 1)) {
      this.tcpAcceptGroup(g, a);
      return;
    }
    if (!types.length) return;
    const type = types[a.variant % types.length];
    const [l, c, acc] = [`${g}l`, `${g}c`, `${g}acc`];
    const address = this.freshAddress();
    this.emit({ call: 'socket', args: ['AF_UNIX', `${type}|SOCK_NONBLOCK`, 0], bind: c });
    this.emit({ call: 'socket', args: ['AF_UNIX', type, 0], bind: l });
    this.emit({ call: 'bind', args: [`$${l}`, address] });
    const backlog = [1, 4, 0][a.size % 3];
    this.emit({ call: 'listen', args: [`$${l}`, backlog] });
    this.observe(a, l);
    const t = this.threadName(g);
    const flags = ['SOCK_NONBLOCK', 0, 'SOCK_CLOEXEC'][a.variant % 3];
    this.emit({ call: 'accept4', args: [`$${l}`, flags], thread: t, bind: acc });
    const kind = sockKind(type);
    const lObj = newObj(l, kind);
    lObj.listen = { address, backlog, pendingMin: 0, pendingMax: 0, tainted: false };
    this.groups.push({
      wake: [{ call: 'connect', args: [`$${c}`, address] }],
      threads: [t],
      order: a.order,
      blocking: flags === 'SOCK_NONBLOCK' ? [l] : [l, acc],
      publish: [
        [l, lObj],
        [c, newObj(c, kind)],
        [acc, newObj(acc, kind)],
      ],
    });
    this.wakeGroup(this.groups.length - 1);
  }

  /** A fresh port for a thread group's private listener, on 127.0.0.1 or [::1]. */
  private privateTcpAddress(variant: number): { domain: 'AF_INET' | 'AF_INET6'; address: string } {
    const v4 = this.inetFam(variant) === 'v4';
    const port = TCP_BASE_PORT + this.tcpPorts++;
    return { domain: v4 ? 'AF_INET' : 'AF_INET6', address: v4 ? `127.0.0.1:${port}` : `[::1]:${port}` };
  }

  /** socket(domain, type) bound to `name`, then TCP_NODELAY (Avoided: Nagle's timing). */
  private tcpSocket(name: string, domain: string, type: string): void {
    this.emit({ call: 'socket', args: [domain, type, 0], bind: name });
    this.emit({ call: 'setsockopt', args: [`$${name}`, 'IPPROTO_TCP', 'TCP_NODELAY', 1] });
  }

  /** A thread group's private listener as the model keeps it: no connection queued. */
  private privateListenerObj(
    l: string,
    domain: 'AF_INET' | 'AF_INET6',
    address: string,
    backlog: number,
  ): Obj {
    this.inetSockets = true;
    const obj: Obj = { kind: 'tcp', names: new Set([l]), inet: { domain, bytes: 0, sends: 0 } };
    obj.listen = {
      address,
      backlog,
      pendingMin: 0,
      pendingMax: 0,
      tainted: false,
      inet: [[domain, address]],
    };
    return obj;
  }

  /**
   * A TCP listener (blocking, private, on a fresh port) whose accept4 blocks on a thread; a
   * non-blocking client's connect wakes it (on loopback the handshake completes inside connect),
   * at once, as for the AF_UNIX accept group.
   */
  private tcpAcceptGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    const { domain, address } = this.privateTcpAddress(a.variant);
    const [l, c, acc] = [`${g}l`, `${g}c`, `${g}acc`];
    this.tcpSocket(c, domain, 'SOCK_STREAM|SOCK_NONBLOCK');
    this.tcpSocket(l, domain, 'SOCK_STREAM');
    this.emit({ call: 'bind', args: [`$${l}`, address] });
    const backlog = [1, 4, 0][a.size % 3];
    this.emit({ call: 'listen', args: [`$${l}`, backlog] });
    this.observe(a, l);
    const t = this.threadName(g);
    const flags = ['SOCK_NONBLOCK', 0, 'SOCK_NONBLOCK|SOCK_CLOEXEC'][a.variant % 3];
    this.emit({ call: 'accept4', args: [`$${l}`, flags], thread: t, bind: acc });
    const inet = () => ({ domain, bytes: 0, sends: 0 }) as const;
    const lObj = this.privateListenerObj(l, domain, address, backlog);
    this.groups.push({
      wake: [{ call: 'connect', args: [`$${c}`, address] }],
      threads: [t],
      order: a.order,
      probe: true,
      blocking: flags === 0 ? [l, acc] : [l],
      publish: [
        [l, lObj],
        [c, { kind: 'tcp', names: new Set([c]), inet: inet() }],
        [acc, { kind: 'tcp', names: new Set([acc]), inet: inet() }],
      ],
    });
    this.wakeGroup(this.groups.length - 1);
  }

  /**
   * A private TCP connection whose accepted end is blocking: a thread blocks in recv on it (flags
   * 0 or MSG_PEEK, or MSG_WAITALL for no more than the waking send carries); the client's send
   * wakes it.
   */
  private tcpRecvGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    const { domain, address } = this.privateTcpAddress(a.variant);
    const [l, c, acc] = [`${g}l`, `${g}c`, `${g}acc`];
    this.tcpSocket(l, domain, 'SOCK_STREAM|SOCK_NONBLOCK');
    this.emit({ call: 'bind', args: [`$${l}`, address] });
    this.emit({ call: 'listen', args: [`$${l}`, 1] });
    this.tcpSocket(c, domain, 'SOCK_STREAM|SOCK_NONBLOCK');
    this.emit({ call: 'connect', args: [`$${c}`, address] });
    // A fresh listener with one connection queued: the accept surely succeeds.
    this.emit({ call: 'accept4', args: [`$${l}`, 0], bind: acc });
    this.observe(a, acc);
    const sizes = [1, 5, 100, 1000] as const;
    const len = sizes[a.size % sizes.length];
    const flags = (['0', 'MSG_PEEK', 'MSG_WAITALL'] as const)[(a.size >> 2) % 3];
    const count = flags === 'MSG_WAITALL' ? len : [100, 1, 4096][a.variant % 3];
    const t = this.threadName(g);
    this.emit({ call: 'recv', args: [`$${acc}`, count, flags === '0' ? 0 : flags], thread: t });
    const inet = () => ({ domain, bytes: len, sends: 1 }) as const;
    // Its one connection was accepted: the queue is empty, and nobody else knows the port.
    const lObj = this.privateListenerObj(l, domain, address, 1);
    const fill = String.fromCharCode(97 + (this.writeSeq++ % 26));
    this.groups.push({
      wake: [{ call: 'send', args: [`$${c}`, len <= 16 ? fill.repeat(len) : { fill, len }, 0] }],
      threads: [t],
      order: a.order,
      probe: true,
      blocking: [acc],
      publish: [
        [l, lObj],
        [c, { kind: 'tcp', names: new Set([c]), inet: inet() }],
        [acc, { kind: 'tcp', names: new Set([acc]), inet: { domain, bytes: 0, sends: 0 } }],
      ],
    });
  }

  /** T4: a thread blocks in poll(-1) or select(NULL timeout) on a private file; a write wakes it. */
  private pollGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    if (!this.f.has(a.kind === 'poll' ? 'poll' : 'select')) return;
    const kinds = this.privateKinds();
    if (!kinds.length) return;
    const kind = kinds[a.variant % kinds.length];
    const p = this.privateFile(g, kind, true);
    this.observe(a, p.r);
    const t = this.threadName(g);
    // The thread is named (and takes main's mask) before its p-call's mask is recorded.
    const pm = this.pcallMaskAfterNaming(a, t);
    if (a.kind === 'poll') {
      const extra = pollMask(a.bits.map((b) => b.replace('EPOLL', 'POLL')).filter((b) => b in POLL_NAMES));
      const events = extra === '0' ? 'POLLIN' : `POLLIN|${extra}`;
      const list = [{ fd: `$${p.r}`, events }];
      this.emit(
        pm === undefined
          ? { call: 'poll', args: [list, -1], thread: t }
          : { call: 'ppoll', args: [list, null, sigmaskArg(pm)], thread: t },
      );
    } else {
      const except = a.variant % 2 ? [`$${p.r}`] : null;
      const sets = [[`$${p.r}`], null, except];
      this.emit(
        pm === undefined
          ? { call: 'select', args: ['max+1', ...sets, null], thread: t }
          : { call: 'pselect6', args: ['max+1', ...sets, null, sigmaskArg(pm)], thread: t },
      );
    }
    this.groups.push({
      wake: [this.wakeWrite(kind, p.w, a.size)],
      threads: [t],
      order: a.order,
      blocking: [],
      publish: pairs(p),
    });
  }

  /**
   * T5: the main thread fills a private blocking pipe (65536 bytes fit an empty one exactly),
   * a thread blocks writing more; a read of the whole pipe makes room and wakes it, or
   * F_SETPIPE_SZ does.
   */
  private writeGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    if (!this.f.has('pipe')) return;
    const p = this.privateFile(g, 'pipe', false);
    this.observe(a, p.w);
    this.emit({ call: 'write', args: [`$${p.w}`, { fill: 'f', len: 65536 }] });
    const t = this.threadName(g);
    const size = THREAD_WRITE_SIZES[a.size % THREAD_WRITE_SIZES.length];
    this.emit({ call: 'write', args: [`$${p.w}`, { fill: 'g', len: size }], thread: t });
    // Or growing the pipe makes room: pipe_resize_ring wakes its writers, and 16 new slots
    // take any of THREAD_WRITE_SIZES at once.
    const grow = this.f.has('pipe-size') && a.variant % 3 === 2 && this.bigResizes++ < MAX_BIG_RESIZES;
    this.groups.push({
      wake: [
        grow
          ? { call: 'fcntl', args: [`$${p.w}`, 'F_SETPIPE_SZ', 131072] }
          : { call: 'read', args: [`$${p.r}`, 65536] },
      ],
      threads: [t],
      order: a.order,
      blocking: p.names,
      publish: pairs(p),
      probe: grow,
    });
  }

  /**
   * T6: a blocking connect to a private listener whose backlog is full (backlog + 1 connections
   * queued: Linux's unix_recvq_full is `>`); an accept4 on the main thread takes one connection
   * and wakes it (unix_accept wakes peer_wait), or the listener's close does (ECONNREFUSED).
   * One blocked connect per listener: several would race for the one freed place.
   */
  private connectGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    const types = (['SOCK_STREAM', 'SOCK_SEQPACKET'] as const).filter((t) => this.f.has(listenFeature(t)));
    if (!types.length) return;
    const type = types[a.variant % types.length];
    const kind = sockKind(type);
    const l = `${g}l`;
    const address = this.freshAddress();
    this.emit({ call: 'socket', args: ['AF_UNIX', `${type}|SOCK_NONBLOCK`, 0], bind: l });
    this.emit({ call: 'bind', args: [`$${l}`, address] });
    const backlog = [0, 1, 2][a.size % 3];
    this.emit({ call: 'listen', args: [`$${l}`, backlog] });
    const publish: [string, Obj][] = [];
    for (let i = 0; i <= backlog; i++) {
      const c = `${g}c${i}`;
      this.emit({ call: 'socket', args: ['AF_UNIX', `${type}|SOCK_NONBLOCK`, 0], bind: c });
      this.emit({ call: 'connect', args: [`$${c}`, address] });
      publish.push([c, newObj(c, kind)]);
    }
    if (a.variant % 2) {
      // One more non-blocking connect: the queue is full, EAGAIN.
      const c = `${g}cx`;
      this.emit({ call: 'socket', args: ['AF_UNIX', `${type}|SOCK_NONBLOCK`, 0], bind: c });
      this.emit({ call: 'connect', args: [`$${c}`, address] });
      publish.push([c, newObj(c, kind)]);
    }
    const kb = `${g}kb`;
    this.emit({ call: 'socket', args: ['AF_UNIX', type, 0], bind: kb });
    publish.push([kb, newObj(kb, kind)]);
    this.observe(a, l);
    const t = this.threadName(g);
    this.emit({ call: 'connect', args: [`$${kb}`, address], thread: t });
    const lObj = newObj(l, kind);
    let wake: JsonObject;
    if (a.order % 4 === 3) {
      wake = { call: 'close', args: [`$${l}`] };
      this.closed.push(l);
    } else {
      const acc = `${g}acc`;
      wake = { call: 'accept4', args: [`$${l}`, 'SOCK_NONBLOCK'], bind: acc };
      publish.push([acc, newObj(acc, kind)], [l, lObj]);
      // backlog + 1 queued, one accepted, the woken connect's queued: backlog + 1 again.
      lObj.listen = { address, backlog, pendingMin: backlog + 1, pendingMax: backlog + 1, tainted: false };
    }
    this.groups.push({
      wake: [wake],
      threads: [t],
      order: a.order,
      blocking: [kb],
      publish,
      probe: true,
      listener: lObj.listen ? lObj : undefined,
    });
  }

  /**
   * T7: a blocking send on a full AF_UNIX socket, released by the peer.
   * - datagram (to a bound server not connected back): MAX_DGRAM_QLEN + 1 datagrams fill the
   *   server's queue (a send waits while it holds more than max_dgram_qlen); the server's read
   *   of one wakes the sender (unix_dgram_recvmsg wakes peer_wait), whose datagram goes last,
   *   or the server's close does;
   * - stream (a socketpair): STREAM_FILL_WRITES writes of 8000 bytes fill the send buffer while
   *   the end is non-blocking, then it is made blocking and a thread writes; the peer reads
   *   STREAM_DRAIN_READS bytes in one read (see there), or closes (ECONNRESET: data was unread).
   */
  private sendGroup(g: string, a: Extract<Action, { op: 'thread' }>): void {
    const variants: ('dgram' | 'stream')[] = [];
    if (this.f.has('socket-dgram')) variants.push('dgram');
    if (this.f.has('socketpair-stream') && this.f.has('fcntl')) variants.push('stream');
    if (!variants.length) return;
    const t = this.threadName(g);
    const size = BLOCKED_SEND_SIZES[a.size % BLOCKED_SEND_SIZES.length];
    if (variants[a.variant % variants.length] === 'dgram') {
      const [srv, c] = [`${g}srv`, `${g}c`];
      const address = this.freshAddress();
      this.emit({ call: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM|SOCK_NONBLOCK', 0], bind: srv });
      this.emit({ call: 'bind', args: [`$${srv}`, address] });
      this.emit({ call: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM', 0], bind: c });
      this.emit({ call: 'connect', args: [`$${c}`, address] });
      // These fit: the queue holds at most max_dgram_qlen before each, and they are small.
      for (let i = 0; i <= MAX_DGRAM_QLEN; i++)
        this.emit({
          call: 'write',
          args: [`$${c}`, this.payload('dgram', a.order + i, DGRAM_SIZES.slice(0, 4))],
        });
      this.observe(a, c);
      this.emit({
        call: 'write',
        args: [`$${c}`, this.payload(undefined, 0, [Math.min(size, 3776)])],
        thread: t,
      });
      // A read of 0 bytes returns at once without dequeuing (sock_read_iter): never 0 here.
      const count = [100, 1, 4096, 8][a.order % 4];
      const publish: [string, Obj][] = [[c, newObj(c, 'dgram')]];
      let wake: JsonObject;
      if (a.order % 4 === 3) {
        // The server's close wakes the sender too (unix_release_sock wakes peer_wait).
        wake = { call: 'close', args: [`$${srv}`] };
        this.closed.push(srv);
      } else {
        wake = { call: 'read', args: [`$${srv}`, count] };
        publish.push([srv, newObj(srv, 'dgram')]);
      }
      this.groups.push({ wake: [wake], threads: [t], order: a.order, blocking: [c], publish, probe: true });
      return;
    }
    const [w, r] = [`${g}a`, `${g}b`];
    this.emit({ call: 'socketpair', args: ['AF_UNIX', 'SOCK_STREAM|SOCK_NONBLOCK', 0], bind: [w, r] });
    for (let i = 0; i < STREAM_FILL_WRITES; i++)
      this.emit({ call: 'write', args: [`$${w}`, this.payload(undefined, 0, [8000])] });
    this.emit({ call: 'fcntl_setfl', args: [`$${w}`, 0] });
    this.observe(a, w);
    this.emit({ call: 'write', args: [`$${w}`, this.payload(undefined, 0, [size])], thread: t });
    const publish: [string, Obj][] = [[w, newObj(w, 'stream')]];
    let wake: JsonObject;
    if (a.order % 4 === 3) {
      wake = { call: 'close', args: [`$${r}`] };
      this.closed.push(r);
    } else {
      wake = { call: 'read', args: [`$${r}`, STREAM_DRAIN_READS[a.order % STREAM_DRAIN_READS.length]] };
      publish.push([r, newObj(r, 'stream')]);
    }
    this.groups.push({ wake: [wake], threads: [t], order: a.order, blocking: [w], publish, probe: true });
  }

  private wakeGroup(i: number): void {
    const [group] = this.groups.splice(i, 1);
    // A connect a signal ended (EINTR) queued nothing: one connection fewer is sure.
    const l = group.listener?.listen;
    if (group.signalled && l) l.pendingMin = l.backlog;
    for (const t of group.threads) this.callMasks.delete(t);
    if (group.probe) for (const t of group.threads) this.emit({ call: 'blocked', args: [t] });
    for (const s of group.wake) this.emit(s);
    const threads = rotate(group.threads, group.order);
    for (const t of threads) this.emit({ call: 'join', args: [t] });
    const canUnblock = this.f.has('fcntl');
    if (canUnblock) {
      for (const name of group.blocking) this.emit({ call: 'fcntl_setfl', args: [`$${name}`, 'O_NONBLOCK'] });
    }
    for (const [name, obj] of group.publish) {
      if (group.blocking.includes(name) && !canUnblock) {
        this.leftovers++;
        continue;
      }
      this.live.set(name, obj);
      if (obj.listen) this.listeners.push(obj);
    }
  }

  finish(): void {
    while (this.groups.length) this.wakeGroup(0);
    if (this.exhaust) this.flood();
  }
}

interface Picked {
  readonly arg: Json;
  /** The file and name, when the choice is a live name. */
  readonly obj?: Obj;
  readonly name?: string;
}

type PrivateKind = 'pipe' | 'pipe-direct' | 'stream' | 'dgram' | 'seqpacket' | 'efd' | 'efd-sem';

const POLL_NAMES: Readonly<Record<string, true>> = Object.fromEntries(POLL_BITS.map((b) => [b, true]));

/** The bytes a payload (as `payload` makes them) holds. */
function payloadLength(p: Json): number {
  if (typeof p === 'string') return p.length;
  const len = (p as JsonObject | null)?.len;
  return typeof len === 'number' ? len : 8;
}

function newObj(name: string, kind: Kind): Obj {
  return { kind, names: new Set([name]) };
}

function pairs(p: { r: string; w: string; rObj: Obj; wObj: Obj }): [string, Obj][] {
  return p.r === p.w
    ? [[p.r, p.rObj]]
    : [
        [p.r, p.rObj],
        [p.w, p.wObj],
      ];
}

function rotate<T>(xs: readonly T[], k: number): T[] {
  const n = xs.length;
  return xs.map((_, i) => xs[(i + k) % n]);
}

function isUnixSocket(o: Obj): boolean {
  return isSocket(o) && !o.inet;
}

function isSocket(o: Obj): boolean {
  return SOCKET_KINDS.includes(o.kind);
}

function sockKind(type: SockType | PrivateKind): Kind {
  return type === 'SOCK_STREAM' || type === 'stream'
    ? 'stream'
    : type === 'SOCK_DGRAM' || type === 'dgram'
      ? 'dgram'
      : 'seqpacket';
}

function sockType(kind: Kind | PrivateKind): SockType {
  return kind === 'stream' ? 'SOCK_STREAM' : kind === 'dgram' ? 'SOCK_DGRAM' : 'SOCK_SEQPACKET';
}

/** Linux: __sys_listen caps the backlog at somaxconn, as an unsigned value (so -1 is the cap). */
function listenBacklog(b: number): number {
  const somaxconn = 4096;
  return b < 0 || b > somaxconn ? somaxconn : b;
}

function socketTypes(f: ReadonlySet<Feature>): SockType[] {
  const out: SockType[] = [];
  if (f.has('socketpair-stream') || f.has('listen-stream')) out.push('SOCK_STREAM');
  if (f.has('socketpair-dgram') || f.has('socket-dgram')) out.push('SOCK_DGRAM');
  if (f.has('socketpair-seqpacket') || f.has('listen-seqpacket')) out.push('SOCK_SEQPACKET');
  // socket() on its own (bind, connect on unbound sockets) needs the socket module.
  return out.filter((t) => f.has(listenFeature(t)) || (t === 'SOCK_DGRAM' && f.has('socket-dgram')));
}

function listenFeature(t: SockType): Feature {
  return t === 'SOCK_STREAM' ? 'listen-stream' : t === 'SOCK_SEQPACKET' ? 'listen-seqpacket' : 'socket-dgram';
}

function pairFeature(t: SockType): Feature {
  return t === 'SOCK_STREAM'
    ? 'socketpair-stream'
    : t === 'SOCK_DGRAM'
      ? 'socketpair-dgram'
      : 'socketpair-seqpacket';
}

function threadKinds(f: ReadonlySet<Feature>): ThreadKind[] {
  if (!f.has('threads')) return [];
  const files = ['pipe', 'socketpair-stream', 'socketpair-dgram', 'socketpair-seqpacket', 'eventfd'] as const;
  const anyFile = files.some((x) => f.has(x));
  const out: ThreadKind[] = [];
  if (anyFile) out.push('read');
  if (anyFile && f.has('epoll')) out.push('epoll', 'exclusive');
  if (f.has('listen-stream') || f.has('listen-seqpacket') || f.has('tcp')) out.push('accept');
  if (f.has('tcp')) out.push('recv');
  if (anyFile && f.has('poll')) out.push('poll');
  if (anyFile && f.has('select')) out.push('select');
  if (f.has('pipe')) out.push('write');
  if (f.has('connect-blocking') && (f.has('listen-stream') || f.has('listen-seqpacket'))) out.push('connect');
  if (f.has('send-blocking') && (f.has('socket-dgram') || (f.has('socketpair-stream') && f.has('fcntl'))))
    out.push('send');
  return out;
}

/** A flag word from a list of names ("0" for none), each once, in list order. */
function mask(bits: readonly string[]): string {
  const unique = [...new Set(bits)];
  return unique.length ? unique.join('|') : '0';
}

function pollMask(bits: readonly string[]): string {
  return mask(bits);
}

/**
 * The trigger's registration in a thread group's epoll: EPOLLIN plus extras, always valid (an
 * invalid one would leave the threads waiting forever). EPOLLEXCLUSIVE takes only
 * IN|OUT|ERR|HUP|WAKEUP|ET and no ONESHOT (Linux: fs/eventpoll.c:EPOLLEXCLUSIVE_OK_BITS); with several
 * waiters, no ET and no ONESHOT (see epollGroup).
 */
function validTriggerMask(bits: readonly string[], several: boolean): string {
  let extra = bits.filter((b) => b !== 'EPOLLIN' && !b.startsWith('0x'));
  if (several) extra = extra.filter((b) => b !== 'EPOLLET' && b !== 'EPOLLONESHOT');
  if (extra.includes('EPOLLEXCLUSIVE')) {
    const ok = new Set(['EPOLLOUT', 'EPOLLERR', 'EPOLLHUP', 'EPOLLWAKEUP', 'EPOLLET', 'EPOLLEXCLUSIVE']);
    extra = extra.filter((b) => ok.has(b));
  }
  return mask(['EPOLLIN', ...extra]);
}

/**
 * Interpret actions into a script document. Throws if the result is not a valid script (a bug
 * in the generator, never in the script's author).
 */
export function buildScript(actions: readonly Action[], opts: GenOptions = {}, name = 'fuzz'): JsonObject {
  const doc = buildSteps(actions, opts, name);
  parseScript(doc);
  return doc;
}

/**
 * Interpret actions into a script document without validating it: for checking the generator's
 * rules on calls the script runner does not parse yet (signals, opt-in).
 */
export function buildSteps(actions: readonly Action[], opts: GenOptions = {}, name = 'fuzz'): JsonObject {
  const b = new Builder(featureSet(opts));
  for (const a of actions) b.apply(a);
  b.finish();
  return { name, steps: b.steps };
}
