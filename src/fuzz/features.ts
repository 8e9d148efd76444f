// The features the script generator may use, declared once: each with what it covers and a probe.
// Features map onto calls (and, for sockets, onto socket types). The set is configurable
// (`--calls`, `--without`), and by default it is whatever the simulated kernel supports: each
// probe is a tiny script run on the simulated kernel, and a feature whose probe stops with
// `Unsupported` is left out until its module lands. So a fuzz run tests what exists, and an
// Unsupported call is never reported as a difference.

import type { Backend } from '../api/backend.ts';
import { parseScript } from '../script/parse.ts';
import { runScript } from '../script/run.ts';
import type { JsonObject } from '../script/values.ts';

type Steps = JsonObject[];

interface FeatureDef {
  /** What the generator does with it. */
  readonly help: string;
  /** Steps that exercise it, for `detectFeatures`. */
  readonly probe: Steps;
}

const pipeOf = (flags: string): Steps => [
  { call: 'pipe2', args: [flags], bind: ['r', 'w'] },
  { call: 'write', args: ['$w', 'x'] },
  { call: 'read', args: ['$r', 8] },
  { call: 'close', args: ['$r'] },
];
const pairOf = (type: string): Steps => [
  { call: 'socketpair', args: ['AF_UNIX', `${type}|SOCK_NONBLOCK`, 0], bind: ['a', 'b'] },
  { call: 'write', args: ['$a', 'x'] },
  { call: 'read', args: ['$b', 8] },
  { call: 'close', args: ['$a'] },
];
const listenerOf = (type: string): Steps => [
  { call: 'socket', args: ['AF_UNIX', `${type}|SOCK_NONBLOCK`, 0], bind: 'l' },
  { call: 'bind', args: ['$l', '@probe'] },
  { call: 'listen', args: ['$l', 4] },
  { call: 'socket', args: ['AF_UNIX', `${type}|SOCK_NONBLOCK`, 0], bind: 'c' },
  { call: 'connect', args: ['$c', '@probe'] },
  { call: 'accept4', args: ['$l', 'SOCK_NONBLOCK'], bind: 'a' },
  { call: 'write', args: ['$c', 'x'] },
  { call: 'read', args: ['$a', 8] },
];

export const FEATURES = {
  pipe: {
    help: 'pipe2 with O_NONBLOCK (and O_CLOEXEC), reads and writes up to a full pipe',
    probe: pipeOf('O_NONBLOCK'),
  },
  'pipe-direct': { help: 'pipe2 with O_DIRECT (packet mode)', probe: pipeOf('O_NONBLOCK|O_DIRECT') },
  'socketpair-stream': { help: 'socketpair(AF_UNIX, SOCK_STREAM)', probe: pairOf('SOCK_STREAM') },
  'socketpair-dgram': { help: 'socketpair(AF_UNIX, SOCK_DGRAM)', probe: pairOf('SOCK_DGRAM') },
  'socketpair-seqpacket': { help: 'socketpair(AF_UNIX, SOCK_SEQPACKET)', probe: pairOf('SOCK_SEQPACKET') },
  'listen-stream': {
    help: 'socket, bind "@name", listen, connect, accept4 on SOCK_STREAM',
    probe: listenerOf('SOCK_STREAM'),
  },
  'listen-seqpacket': {
    help: 'socket, bind, listen, connect, accept4 on SOCK_SEQPACKET',
    probe: listenerOf('SOCK_SEQPACKET'),
  },
  'socket-dgram': {
    help: 'socket, bind, connect on SOCK_DGRAM (sender and receiver not a pair)',
    probe: [
      { call: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM|SOCK_NONBLOCK', 0], bind: 's' },
      { call: 'bind', args: ['$s', '@probe'] },
      { call: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM|SOCK_NONBLOCK', 0], bind: 'c' },
      { call: 'connect', args: ['$c', '@probe'] },
      { call: 'write', args: ['$c', 'x'] },
      { call: 'read', args: ['$s', 8] },
    ],
  },
  shutdown: {
    help: 'shutdown (on sockets, and on other files for ENOTSOCK)',
    probe: [
      { call: 'eventfd', args: [0, 'EFD_NONBLOCK'], bind: 'e' },
      { call: 'shutdown', args: ['$e', 'SHUT_WR'] },
    ],
  },
  eventfd: {
    help: 'eventfd with EFD_NONBLOCK, EFD_SEMAPHORE; 8-byte reads and writes',
    probe: [
      { call: 'eventfd', args: [1, 'EFD_NONBLOCK|EFD_SEMAPHORE'], bind: 'e' },
      { call: 'write', args: ['$e', { u64: 2 }] },
      { call: 'read', args: ['$e', 8] },
    ],
  },
  open: {
    help: 'open "/dev/null" and "tmpfile" (files without poll: EPERM from epoll_ctl)',
    probe: [
      { call: 'open', args: ['/dev/null', 'O_RDWR'], bind: 'n' },
      { call: 'open', args: ['tmpfile', 'O_RDWR'], bind: 'f' },
      { call: 'write', args: ['$f', 'x'] },
      { call: 'read', args: ['$n', 8] },
    ],
  },
  dup: {
    help: 'dup',
    probe: [
      { call: 'dup', args: [0], bind: 'd' },
      { call: 'close', args: ['$d'] },
    ],
  },
  'pipe-call': {
    help: 'pipe (blocking ends: non-blocking at once for the main thread, or a thread group’s private pipe)',
    probe: [
      { call: 'pipe', args: [], bind: ['r', 'w'] },
      { call: 'fcntl_setfl', args: ['$r', 'O_NONBLOCK'] },
      { call: 'read', args: ['$r', 8] },
    ],
  },
  dup2: {
    help: 'dup2 and dup3 (O_CLOEXEC, invalid flags, oldfd == newfd) onto live names, 0-2, high and invalid numbers; F_GETFD, F_SETFD, F_GETFL',
    probe: [
      { call: 'dup2', args: [0, 899], bind: 'h' },
      { call: 'dup3', args: [0, '$h', 'O_CLOEXEC'] },
      { call: 'dup3', args: ['$h', '$h', 0] },
      { call: 'fcntl', args: ['$h', 'F_GETFD', 0] },
      { call: 'fcntl', args: ['$h', 'F_GETFL', 0] },
    ],
  },
  'pipe-size': {
    help: 'fcntl F_SETPIPE_SZ (rounding, below a page, past pipe-max-size, EBUSY) and F_GETPIPE_SZ',
    probe: [
      { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
      { call: 'fcntl', args: ['$w', 'F_SETPIPE_SZ', 5000] },
      { call: 'fcntl', args: ['$r', 'F_GETPIPE_SZ', 0] },
    ],
  },
  emfile: {
    help: 'RLIMIT_NOFILE (900): F_DUPFD into the top descriptors up to EMFILE; a flood that fills the table, at the end',
    probe: [
      { call: 'fcntl', args: [0, 'F_DUPFD', 899], bind: 'top' },
      { call: 'fcntl', args: [0, 'F_DUPFD', 899] },
    ],
  },
  'connect-blocking': {
    help: 'a blocking connect on a thread to a listener whose backlog is full, woken by accept4 or close',
    probe: [
      { call: 'socket', args: ['AF_UNIX', 'SOCK_STREAM|SOCK_NONBLOCK', 0], bind: 'l' },
      { call: 'bind', args: ['$l', '@probe'] },
      { call: 'listen', args: ['$l', 0] },
      { call: 'socket', args: ['AF_UNIX', 'SOCK_STREAM|SOCK_NONBLOCK', 0], bind: 'c' },
      { call: 'connect', args: ['$c', '@probe'] },
      { call: 'socket', args: ['AF_UNIX', 'SOCK_STREAM', 0], bind: 'k' },
      { call: 'connect', args: ['$k', '@probe'], thread: 't' },
      { call: 'accept4', args: ['$l', 'SOCK_NONBLOCK'] },
      { call: 'join', args: ['t'] },
    ],
  },
  'send-blocking': {
    help: 'a blocking send on a thread into a full AF_UNIX socket (a datagram queue, a stream send buffer), released by the peer',
    probe: [
      { call: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM|SOCK_NONBLOCK', 0], bind: 's' },
      { call: 'bind', args: ['$s', '@probe'] },
      { call: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM', 0], bind: 'c' },
      { call: 'connect', args: ['$c', '@probe'] },
      ...Array.from({ length: 11 }, () => ({ call: 'write', args: ['$c', 'x'] })),
      { call: 'write', args: ['$c', 'y'], thread: 't' },
      { call: 'read', args: ['$s', 8] },
      { call: 'join', args: ['t'] },
    ],
  },
  fcntl: {
    help: 'fcntl_setfl O_NONBLOCK (also how a thread’s blocking files become non-blocking after it)',
    probe: [{ call: 'fcntl_setfl', args: [0, 'O_NONBLOCK'] }],
  },
  epoll: {
    help: 'epoll_create1, epoll_create, epoll_ctl (ADD, MOD, DEL, any mask), epoll_wait with timeout 0',
    probe: [
      { call: 'epoll_create1', args: [0], bind: 'ep' },
      { call: 'epoll_create', args: [1], bind: 'ep2' },
      { call: 'eventfd', args: [0, 'EFD_NONBLOCK'], bind: 'e' },
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$e', { events: 'EPOLLIN|EPOLLET', data: 1 }] },
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_MOD', '$e', { events: 'EPOLLOUT', data: 2 }] },
      { call: 'epoll_ctl', args: ['$ep2', 'EPOLL_CTL_ADD', '$ep', { events: 'EPOLLIN', data: 3 }] },
      { call: 'epoll_wait', args: ['$ep2', 4, 0] },
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_DEL', '$e', null] },
    ],
  },
  poll: {
    help: 'poll over random lists with timeout 0',
    probe: [{ call: 'poll', args: [[{ fd: 0, events: 'POLLIN' }], 0] }],
  },
  select: {
    help: 'select over random sets with a zero timeval',
    probe: [{ call: 'select', args: ['max+1', [0], [1], null, { sec: 0, usec: 0 }] }],
  },
  threads: {
    help: 'a blocking call on a thread (read, accept4, write, poll, select, epoll_wait -1), woken by a write, then joined',
    probe: [
      { call: 'pipe2', args: [0], bind: ['r', 'w'] },
      { call: 'read', args: ['$r', 8], thread: 't' },
      { call: 'write', args: ['$w', 'x'] },
      { call: 'join', args: ['t'] },
    ],
  },
  signals: {
    help: 'signals: sigaction, sigprocmask, kill, tgkill to main and to waiting threads, sigpending, caught, signalfd, ppoll/pselect6/epoll_pwait masks',
    probe: [
      { call: 'sigaction', args: ['SIGUSR1', 'catch', 'SA_RESTART'] },
      { call: 'sigprocmask', args: ['SIG_BLOCK', ['SIGUSR2']] },
      { call: 'sigaction', args: ['SIGUSR2', 'catch', 0] },
      { call: 'kill', args: ['SIGUSR1'] },
      { call: 'tgkill', args: ['main', 'SIGUSR2'] },
      { call: 'sigpending', args: [] },
      { call: 'caught', args: ['SIGUSR1'] },
      { call: 'signalfd', args: [-1, ['SIGUSR2'], 'SFD_NONBLOCK'], bind: 's' },
      { call: 'read_signalfd', args: ['$s', 128] },
      { call: 'pipe2', args: [0], bind: ['r', 'w'] },
      { call: 'ppoll', args: [[{ fd: '$r', events: 'POLLIN' }], null, []], thread: 't' },
      { call: 'tgkill', args: ['t', 'SIGUSR1'] },
      { call: 'join', args: ['t'] },
    ],
  },
  tcp: {
    help: 'TCP on loopback: listeners on fixed ports, non-blocking clients (EINPROGRESS), refused connects, accept4, send/recv flags, sockopts, FIONREAD, SIOCATMARK',
    probe: [
      { call: 'socket', args: ['AF_INET', 'SOCK_STREAM|SOCK_NONBLOCK', 0], bind: 'l' },
      { call: 'setsockopt', args: ['$l', 'IPPROTO_TCP', 'TCP_NODELAY', 1] },
      { call: 'bind', args: ['$l', '127.0.0.1:5000'] },
      { call: 'listen', args: ['$l', 1] },
      { call: 'socket', args: ['AF_INET', 'SOCK_STREAM|SOCK_NONBLOCK', 0], bind: 'c' },
      { call: 'setsockopt', args: ['$c', 'IPPROTO_TCP', 'TCP_NODELAY', 1] },
      { call: 'connect', args: ['$c', '127.0.0.1:5000'] },
      { call: 'accept4', args: ['$l', 'SOCK_NONBLOCK'], bind: 'a' },
      { call: 'send', args: ['$c', 'x', 'MSG_DONTWAIT'] },
      { call: 'recv', args: ['$a', 8, 'MSG_PEEK'] },
      { call: 'ioctl_fionread', args: ['$a'] },
      { call: 'getsockopt', args: ['$c', 'SOL_SOCKET', 'SO_ERROR'] },
      { call: 'getpeername', args: ['$a'] },
      { call: 'close', args: ['$a'] },
    ],
  },
  udp: {
    help: 'UDP on loopback: sockets on fixed ports and port 0, sendto (also to a port nobody holds), connect and AF_UNSPEC, recvfrom flags',
    probe: [
      { call: 'socket', args: ['AF_INET', 'SOCK_DGRAM|SOCK_NONBLOCK', 0], bind: 's' },
      { call: 'bind', args: ['$s', '127.0.0.1:6000'] },
      { call: 'socket', args: ['AF_INET', 'SOCK_DGRAM|SOCK_NONBLOCK', 0], bind: 'c' },
      { call: 'sendto', args: ['$c', 'x', 0, '127.0.0.1:6000'] },
      { call: 'recvfrom', args: ['$s', 8, 'MSG_DONTWAIT'] },
      { call: 'connect', args: ['$c', '127.0.0.1:6999'] },
      { call: 'send', args: ['$c', 'y', 0] },
      { call: 'getsockopt', args: ['$c', 'SOL_SOCKET', 'SO_ERROR'] },
      { call: 'connect', args: ['$c', 'AF_UNSPEC'] },
    ],
  },
  inet6: {
    // Its probe is UDP's: IPv6 UDP can run while TCP is still missing (a TCP script that meets an
    // unmodelled IPv6 case stops as Unsupported, which is never a difference).
    help: 'IPv6 and dual-stack sockets mixed into tcp and udp: [::1], [::] (v4-mapped peers), IPV6_V6ONLY',
    probe: [
      { call: 'socket', args: ['AF_INET6', 'SOCK_DGRAM|SOCK_NONBLOCK', 0], bind: 'd' },
      { call: 'bind', args: ['$d', '[::]:6000'] },
      { call: 'socket', args: ['AF_INET', 'SOCK_DGRAM|SOCK_NONBLOCK', 0], bind: 'c' },
      { call: 'sendto', args: ['$c', 'x', 0, '127.0.0.1:6000'] },
      { call: 'recvfrom', args: ['$d', 8, 0] },
      { call: 'socket', args: ['AF_INET6', 'SOCK_DGRAM|SOCK_NONBLOCK', 0], bind: 'u' },
      { call: 'setsockopt', args: ['$u', 'IPPROTO_IPV6', 'IPV6_V6ONLY', 1] },
      { call: 'bind', args: ['$u', '[::1]:6001'] },
      { call: 'sendto', args: ['$u', 'x', 0, '[::1]:6001'] },
      { call: 'recvfrom', args: ['$u', 8, 0] },
    ],
  },
  'bad-fds': {
    help: 'invalid descriptors: 9999, -1, 1023, 1024, closed names',
    probe: [{ call: 'close', args: [9999] }],
  },
} as const satisfies Record<string, FeatureDef>;

export type Feature = keyof typeof FEATURES;

/**
 * Features a session uses only when `--calls` names them: one whose calls a backend does not
 * implement yet (the simulated kernel's probe passing is not enough: the Linux backend must do
 * them too). Drop a feature from here once both do. Signals were here until issue 10 landed on
 * both backends; they left it after 2 500 differential scripts with signals agreed (seed 7003).
 */
export const OPT_IN: ReadonlySet<Feature> = new Set<Feature>([]);

/** Every feature a session may use by default: all but the OPT_IN ones. */
export const ALL_FEATURES: readonly Feature[] = (Object.keys(FEATURES) as Feature[]).filter(
  (f) => !OPT_IN.has(f),
);

/** Every feature, the OPT_IN ones last: what --list and --help show and detectFeatures probes. */
export const EVERY_FEATURE: readonly Feature[] = [...ALL_FEATURES, ...OPT_IN];

export function isFeature(name: string): name is Feature {
  return Object.hasOwn(FEATURES, name);
}

/** Parse a comma-separated feature list; throws on an unknown name, listing the known ones. */
export function parseFeatureList(text: string): Feature[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const n of names) {
    if (!isFeature(n)) throw new Error(`unknown feature "${n}" (known: ${EVERY_FEATURE.join(', ')})`);
  }
  return names as Feature[];
}

export interface Detection {
  /** The features whose probe ran to its end, but for OPT_IN ones: a session's default set. */
  readonly supported: ReadonlySet<Feature>;
  /** OPT_IN features whose probe ran to its end: used when `--calls` names them. */
  readonly optIn: ReadonlySet<Feature>;
  /** The others, with why (the Unsupported message, a call the script runner does not know, or another stop). */
  readonly missing: ReadonlyMap<Feature, string>;
}

/**
 * Which features `backend` (the simulated kernel) supports: each probe runs once; a probe that
 * stops (Unsupported, or anything else) takes its feature out.
 */
export async function detectFeatures(backend: Backend): Promise<Detection> {
  const supported = new Set<Feature>();
  const optIn = new Set<Feature>();
  const missing = new Map<Feature, string>();
  for (const f of EVERY_FEATURE) {
    const def: FeatureDef = FEATURES[f];
    let script: ReturnType<typeof parseScript>;
    try {
      script = parseScript({ steps: def.probe });
    } catch (e) {
      // A call the script runner does not know yet (signals, before format v1.1's lands).
      missing.set(f, `malformed: ${(e as Error).message}`);
      continue;
    }
    const report = await runScript(script, backend);
    if (report.failure) missing.set(f, `${report.failure.kind}: ${report.failure.message}`);
    else (OPT_IN.has(f) ? optIn : supported).add(f);
  }
  return { supported, optIn, missing };
}
