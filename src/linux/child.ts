// The process a script runs in on real Linux: a Node process that makes the script's system calls
// (through calls.ts) on requests from the runner (process.ts), after making itself into the process
// the script format describes (script-format.md, "The process a script runs in").
//
// Node opens about 25 descriptors of its own at start-up (libuv's epoll fd, eventfds, signal pipes,
// the module loader thread's loop, ...), each at the lowest free number, where they would collide
// with the script's. So the runner starts us through a shell (process.ts, WRAPPER) that has first
// filled descriptors 3..fdBase-1 with /dev/null: Node's own land at fdBase and above. Here we
// finish the job before the first script call:
//
//   1. load every module and warm the threadpool, so nothing lazy opens a descriptor later;
//   2. keep a copy of the runner's stderr pipe up high, then point 0, 1, 2 at /dev/null;
//   3. dup2 onto 1023 and close it, so the fd table has grown to 1024 slots (fs/file.c:
//      expand_files; the table never shrinks), while nothing of ours sits at or above 1024; then
//      lower RLIMIT_NOFILE to fdBase (SCRIPT_NOFILE), so the script's EMFILE comes before ours;
//   4. close the placeholders (close_range), then check that only 0, 1, 2 and our own high
//      descriptors are open, read FDSize (fdt->max_fds) from /proc/self/status, and confirm it the
//      way a script sees it: select ignores a bit at 1500 and fails with EBADF on one at 1000.
//
// Before those steps, signals: once the threadpool has started, every thread but Node's main one
// is made to block every signal (`blockOtherThreads`), every disposition goes back to SIG_DFL
// (SIGPIPE: SIG_IGN) with raw rt_sigaction, main's mask is emptied and the catch counters zeroed
// (`resetSignals`), and RLIMIT_CORE is 0, so a signal that dumps core writes nothing. `verify`
// checks all of it in /proc/self/task/*/status at the start of every run.
//
// Threads. "main" is Node's main thread, the thread group's leader, and its calls run there,
// synchronously (a call that blocks holds the event loop: the runner waits for main's result
// anyway). Every other script thread is a thread of the helper library (native.ts), made from
// main when a step first names it; its calls are handed to it and waited for on a threadpool
// thread, so the event loop goes on.
//
// Network. Every run has a network namespace of its own with only loopback up (script-format.md
// v1.1), so fixed ports are private to the run as abstract names are: at start-up and at every
// reset, Node's main thread leaves the namespace it was in for a fresh one (unshare(CLONE_NEWNET);
// the old one, with whatever the last run left in it, TIME_WAIT sockets included, goes with its
// last reference) and brings `lo` up (SIOCSIFFLAGS), which gives it 127.0.0.1/8 and ::1. A
// namespace belongs to a thread, not to a process: main makes main's calls and clones every other
// script thread (which shares its creator's namespaces: kernel/fork.c:copy_namespaces), so every
// script call is made in it, while Node's own threads stay where they were. As root unshare needs
// no more; elsewhere the runner starts us in a user namespace of our own (`unshare -rn`, process.ts),
// where we hold CAP_SYS_ADMIN over new network namespaces; where neither works the run has none,
// and internet sockets stay Unsupported (calls.ts, harmlessFamily) rather than reach the host's
// network.
//
// Each check is reported to the runner in `ready`; a failed one ends the child with its reason.
//
// Reuse. Starting a child costs a third of a second, so a child whose run ended cleanly serves the
// next one: on `reset`, refused while any call has not returned (its thread would carry into the
// next run), the child ends the script's threads, resets the signals as at start-up, closes every
// descriptor the script could hold, points 0, 1, 2 at /dev/null
// again (the script may have closed or replaced them), makes every check of step 4 again (the
// table must still have 1024 slots: a script that opened a descriptor at 1024 or above grew it for
// good, and that child is not reused), and takes the runner's fresh abstract-name prefix, so a name
// bound in one run is out of reach of the next. The runner kills a child whose reset is refused.

import { readdirSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { F, O, O_ACCMODE } from '../abi/constants.ts';
import { errnoName } from '../abi/errno.ts';
import { SIG, SIG_HOW, SIGRTMIN } from '../abi/signal.ts';
import { SCRIPT_NOFILE } from '../api/backend.ts';
import { failed, Unsupported } from '../api/syscalls.ts';
import type { Confinement, Executor } from './calls.ts';
import { LinuxCalls } from './calls.ts';
import { IFREQ, RLIMIT, RLIMIT_NOFILE } from './layout.ts';
import { asyncCallsInFlight, callAsync, libc, NR, sysSync } from './libc.ts';
import { loadNative } from './native.ts';
import type { ChildInfo, FinishReport, FromChild, ToChild } from './protocol.ts';
import { fromWire, isSyscallName, lineReader, toWire } from './protocol.ts';
import { FULL_MASK, readTaskSignals, type TaskSignals } from './signals.ts';

/** The fd table size the format prescribes. */
const CAPACITY = 1024;
/** Linux: include/uapi/asm-generic/resource.h. */
const RLIMIT_CORE = 4;

const [channelArg, baseArg, limitArg, prefixArg, nativeArg, networkArg] = process.argv.slice(2);
/** How the runner started us: as root, in a user namespace of our own, or neither (process.ts). */
const networkMode = networkArg === 'root' || networkArg === 'userns' ? networkArg : 'none';
const channelFd = Number(channelArg);
const fdBase = Number(baseArg);
const fdLimit = Number(limitArg);
const abstractPrefix = Buffer.from(prefixArg ?? '', 'latin1');

const c = libc();
const native = loadNative(nativeArg);
let diagFd = 2;

/** End at once. process.exit would join the libuv threadpool, where a call may block forever. */
function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

const channel = new Socket({ fd: channelFd, readable: true, writable: true });

function send(msg: FromChild): void {
  channel.write(`${JSON.stringify(msg)}\n`);
}

function diag(text: string): void {
  try {
    writeSync(diagFd, `iomux linux child: ${text}\n`);
  } catch {
    // The runner is gone; nothing to tell.
  }
}

process.on('uncaughtException', (err) => {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  diag(message);
  try {
    send({ kind: 'crash', message });
  } finally {
    setTimeout(die, 50);
  }
});

/** The descriptors open now, ascending, confirmed one by one (the listing's own fd drops out). */
function openFds(): number[] {
  const listed = readdirSync('/proc/self/fd').map(Number);
  return listed.filter((fd) => c.fcntl(fd, F.F_GETFD, 0) !== -1).sort((a, b) => a - b);
}

function target(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '?';
  }
}

function must(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(what);
}

function sysOk(ret: number, what: string): number {
  if (ret === -1) throw new Error(`${what}: ${errnoName(c.errno())}`);
  return ret;
}

/** 0, 1 and 2 as the format has them, each a fresh open of /dev/null. */
const STDIO = [
  [0, O.O_RDONLY],
  [1, O.O_WRONLY],
  [2, O.O_WRONLY],
] as const;

/** Point 0, 1, 2 at fresh opens of /dev/null, whatever they were (or whether they were open). */
function restoreStdio(): void {
  for (const [fd, mode] of STDIO) {
    const tmp = sysOk(c.open('/dev/null', mode, 0), 'open /dev/null');
    if (tmp !== fd) {
      sysOk(c.dup2(tmp, fd), `dup2 onto ${fd}`);
      sysOk(c.close(tmp), 'close');
    }
  }
}

/** The thread ids of the script's threads now: main (Node's main thread) and each thread the helper library made. */
const scriptTids = new Set<number>([process.pid]);

/** Sleep this thread (Node's main) for `ms`, for the short waits of setting up. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Block every signal in every thread that is not the script's (V8's workers, libuv's threadpool,
 * the inspector's, any other): a signal sent to the process must find only the script's threads.
 * They run code we do not control, so each is made to block them itself: a handler for SIGRTMIN
 * (which glibc never blocks) fills the interrupted context's mask, and rt_sigreturn installs it
 * (native/iomux.c). Done once at start-up; each run's check confirms every thread still blocks all.
 */
function blockOtherThreads(): void {
  const others = () =>
    readTaskSignals('self').filter((t) => !scriptTids.has(t.tid) && t.blocked !== FULL_MASK);
  const todo = others();
  if (todo.length === 0) return;
  // SIGRTMIN's disposition is the script's between start-up and the end of a run: keep it (the
  // kernel's struct sigaction, whole) and put it back once every thread blocks everything.
  const saved = Buffer.alloc(32);
  const got = sysSync(NR.rt_sigaction, [SIGRTMIN, null, saved, 8]);
  if (got.ret === -1) throw new Error(`rt_sigaction(SIGRTMIN) read: ${errnoName(got.errno)}`);
  const r = native.installBlocker(SIGRTMIN);
  if (r < 0) throw new Error(`rt_sigaction(SIGRTMIN) for the blocker: ${errnoName(-r)}`);
  // (A thread that never blocks everything fails the child's set-up or run: it is not reused.)
  waitBlocked(todo, others);
  const put = sysSync(NR.rt_sigaction, [SIGRTMIN, saved, null, 8]);
  if (put.ret === -1) throw new Error(`rt_sigaction(SIGRTMIN) restore: ${errnoName(put.errno)}`);
}

/** Signal each thread of `todo` (and any that `others` finds later) until none is left. */
function waitBlocked(first: TaskSignals[], others: () => TaskSignals[]): void {
  // A thread Node starts meanwhile (from a thread that does not block everything yet) is found by
  // the next look and signalled too: each pass signals every thread not yet signalled.
  const signalled = new Set<number>();
  for (let waited = 0, todo = first; todo.length > 0; waited++, todo = others()) {
    for (const t of todo)
      if (!signalled.has(t.tid)) {
        signalled.add(t.tid);
        sysSync(NR.tgkill, [process.pid, t.tid, SIGRTMIN]);
      }
    must(
      waited < 2000,
      `threads ${others()
        .map((t) => t.tid)
        .join(' ')} did not block every signal`,
    );
    pause(1);
  }
}

/**
 * The format's signal state: every disposition SIG_DFL but SIGPIPE's (SIG_IGN), main's mask
 * empty, nothing pending, every `catch` counter at zero. Each signal is set to SIG_IGN first: that
 * discards it wherever it is pending (kernel/signal.c:do_sigaction, as POSIX asks). Node and V8's
 * own handlers (SIGSEGV, SIGUSR1, SIGINT, SIGTERM, glibc's 33) go too; raw rt_sigaction, so 32
 * and 33 are reset as well.
 */
function resetSignals(): void {
  const ksa = Buffer.alloc(32);
  const set = (sig: number, kind: number) => {
    native.fillSigaction(ksa, kind, 0, 0n);
    const o = sysSync(NR.rt_sigaction, [sig, ksa, null, 8]);
    if (o.ret === -1) throw new Error(`rt_sigaction(${sig}): ${errnoName(o.errno)}`);
  };
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === SIG.SIGKILL || sig === SIG.SIGSTOP) continue;
    set(sig, 1);
    set(sig, sig === SIG.SIGPIPE ? 1 : 0);
  }
  const o = sysSync(NR.rt_sigprocmask, [SIG_HOW.SIG_SETMASK, Buffer.alloc(8), null, 8]);
  if (o.ret === -1) throw new Error(`rt_sigprocmask: ${errnoName(o.errno)}`);
  native.caughtReset();
}

/** Check the signal state `resetSignals` and `blockOtherThreads` made, from /proc. */
function verifySignals(checks: string[]): void {
  // A thread Node started since the last look (from main, whose mask was the script's) is made
  // to block everything first; the check below then confirms every one does.
  blockOtherThreads();
  const hex = (n: bigint) => n.toString(16).padStart(16, '0');
  const tasks = readTaskSignals('self');
  const main = tasks.find((t) => t.tid === process.pid);
  must(main !== undefined, 'no main thread in /proc/self/task');
  const pipe = 1n << BigInt(SIG.SIGPIPE - 1);
  must(main.ignored === pipe, `SigIgn is ${hex(main.ignored)}, not SIGPIPE alone`);
  must(main.caught === 0n, `SigCgt is ${hex(main.caught)}: a handler is installed`);
  checks.push('every signal at SIG_DFL but SIGPIPE, which is ignored');
  must(main.blocked === 0n, `main's SigBlk is ${hex(main.blocked)}, not empty`);
  for (const t of tasks) {
    must(
      t.pending === 0n && t.shared === 0n,
      `thread ${t.tid} has signals pending: ${hex(t.pending | t.shared)}`,
    );
    if (t.tid !== process.pid)
      must(t.blocked === FULL_MASK, `thread ${t.tid} (not the script's) blocks only ${hex(t.blocked)}`);
  }
  checks.push(
    `main's mask is empty, nothing is pending, and the ${tasks.length - 1} other threads block every signal`,
  );
  for (let sig = 1; sig <= 64; sig++) must(native.caught(sig) === 0, `the catch counter of ${sig} is not 0`);
  checks.push('every catch counter is 0');
}

/** Linux: include/uapi/linux/sched.h. */
const CLONE_NEWNET = 0x40000000;
/** Linux: include/uapi/linux/sockios.h; include/uapi/linux/if.h IFF_UP. */
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const IFF_UP = 0x1;

/** The network namespace's inode of Node's main thread (the thread group leader: /proc/self). */
function netnsInode(): string {
  return readlinkSync('/proc/self/ns/net');
}

/**
 * A fresh network namespace for main (and every script thread it will clone) with `lo` up, or
 * undefined where this process may make none. Throws when one was made before and is not now: a
 * run must never share the last one's ports.
 */
function freshNetwork(before: string | undefined, checks: string[]): string | undefined {
  if (networkMode === 'none') {
    checks.push(
      'no network namespace could be made (neither root nor a user namespace): internet sockets refused',
    );
    return undefined;
  }
  const old = netnsInode();
  const o = sysSync(NR.unshare, [CLONE_NEWNET]);
  if (o.ret === -1) {
    if (before !== undefined) throw new Error(`unshare(CLONE_NEWNET): ${errnoName(o.errno)}`);
    checks.push(`unshare(CLONE_NEWNET) failed (${errnoName(o.errno)}): internet sockets refused`);
    return undefined;
  }
  const now = netnsInode();
  must(now !== old, `unshare(CLONE_NEWNET) left main in ${old}`);
  // lo comes up through a socket of the new namespace, closed at once.
  const s = sysOk(c.socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */ | O.O_CLOEXEC, 0), 'socket for SIOCSIFFLAGS');
  try {
    const ifr = Buffer.alloc(IFREQ.size);
    ifr.write('lo', IFREQ.name, 'latin1');
    const got = sysSync(NR.ioctl, [s, SIOCGIFFLAGS, ifr]);
    if (got.ret === -1) throw new Error(`SIOCGIFFLAGS lo: ${errnoName(got.errno)}`);
    ifr.writeInt16LE(ifr.readInt16LE(IFREQ.flags) | IFF_UP, IFREQ.flags);
    const up = sysSync(NR.ioctl, [s, SIOCSIFFLAGS, ifr]);
    if (up.ret === -1) throw new Error(`SIOCSIFFLAGS lo up: ${errnoName(up.errno)}`);
  } finally {
    c.close(s);
  }
  // Only lo, up, with 127.0.0.1/8 and ::1 (the kernel adds both as lo comes up).
  const devs = readFileSync('/proc/self/net/dev', 'latin1')
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0].trim())
    .filter((n) => n !== '');
  must(devs.join() === 'lo', `the new namespace has interfaces ${devs.join(' ')}, not lo alone`);
  must(
    /^00000000000000000000000000000001 /m.test(readFileSync('/proc/self/net/if_inet6', 'latin1')),
    'lo has no ::1',
  );
  const how =
    networkMode === 'root'
      ? 'made with unshare(CLONE_NEWNET) as root'
      : 'made with unshare(CLONE_NEWNET) in a user namespace of our own (unshare -rn)';
  const network = `a network namespace of its own (${now}), ${how}, with only lo up (127.0.0.1/8, ::1)`;
  checks.push(`${network}; the last one (${old}) is left`);
  return network;
}

/**
 * Check that this process is the one the format describes, as a script's first call would find
 * it: only 0, 1, 2 (on /dev/null) and the runner's `reserved` descriptors open, a 1024-slot table,
 * SIGPIPE ignored. Throws the first check that fails; returns the info that opens run `run`.
 */
async function verify(
  reserved: ReadonlySet<number>,
  run: number,
  checks: string[],
  network: string | undefined,
): Promise<ChildInfo> {
  const open = openFds();
  must(open[0] === 0 && open[1] === 1 && open[2] === 2, `0, 1, 2 not all open: ${open.join(' ')}`);
  for (const [fd, mode] of STDIO) {
    const flags = c.fcntl(fd, F.F_GETFL, 0);
    must(
      target(fd) === '/dev/null' && flags !== -1 && (flags & O_ACCMODE) === mode,
      `fd ${fd} is ${target(fd)} (flags ${flags}), not /dev/null opened ${mode === O.O_RDONLY ? 'O_RDONLY' : 'O_WRONLY'}`,
    );
  }
  checks.push('0 is /dev/null (O_RDONLY); 1 and 2 are /dev/null (O_WRONLY)');
  const others = open.filter((fd) => fd > 2);
  for (const fd of others) {
    must(reserved.has(fd), `fd ${fd} (${target(fd)}) is open and is not the runner's`);
    must(
      fd >= fdBase && fd < fdLimit,
      `Node's fd ${fd} (${target(fd)}) is outside ${fdBase}..${fdLimit - 1}`,
    );
  }
  must(
    others.length === reserved.size,
    `the runner's descriptors changed: ${[...reserved].join(' ')} became ${others.join(' ')}`,
  );
  checks.push(
    `only 0, 1, 2 and the runner's ${reserved.size} descriptors in ${fdBase}..${fdLimit - 1} are open`,
  );

  verifySignals(checks);

  const fdSize = Number(/^FDSize:\s*(\d+)$/m.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]);
  must(fdSize === CAPACITY, `FDSize is ${fdSize}, not ${CAPACITY}`);
  const probe = new LinuxCalls();
  const zero = { sec: 0, usec: 0 };
  const beyond = await probe.select(2000, [1500], null, null, zero);
  must(
    !failed(beyond) && beyond.ret === 0 && beyond.readfds?.join() === '1500',
    `select(2000, {1500}) gave ${JSON.stringify(beyond)}, not 0 with the bit left alone`,
  );
  const inside = await probe.select(2000, [1000], null, null, zero);
  must(
    failed(inside) && inside.errno === 'EBADF',
    `select(2000, {1000}) gave ${JSON.stringify(inside)}, not EBADF`,
  );
  checks.push(
    `the fd table has ${CAPACITY} slots (FDSize; select ignores fd 1500, fails on unopened fd 1000)`,
  );

  const rl = Buffer.alloc(RLIMIT.size);
  sysOk(c.getrlimit(RLIMIT_NOFILE, rl), 'getrlimit');
  // RLIMIT_NOFILE is never RLIM_INFINITY: Linux caps it at fs.nr_open (kernel/sys.c:do_prlimit).
  const limit = (at: number) => Number(rl.readBigUInt64LE(at));
  must(
    limit(RLIMIT.cur) === SCRIPT_NOFILE && fdBase === SCRIPT_NOFILE,
    `RLIMIT_NOFILE is ${limit(RLIMIT.cur)} and our descriptors start at ${fdBase}, not both ${SCRIPT_NOFILE}`,
  );
  checks.push(`RLIMIT_NOFILE is ${SCRIPT_NOFILE}, where the runner's descriptors begin`);
  return {
    pid: process.pid,
    run,
    reserved: [...reserved],
    fdBase,
    fdLimit,
    capacity: fdSize,
    rlimitNofile: { soft: limit(RLIMIT.cur), hard: limit(RLIMIT.max) },
    network: network ?? null,
    checks,
  };
}

async function setUp(): Promise<{ info: ChildInfo; reserved: Set<number>; network: string | undefined }> {
  must(Number.isInteger(channelFd) && channelFd >= fdBase && channelFd < fdLimit, `channel fd ${channelArg}`);

  // 1. Warm up: the first async call starts the libuv threadpool (threads, no descriptors). Then
  // every thread but this one blocks every signal, and the signals are as the format has them. A
  // signal that dumps core ends the process without writing a core file anywhere.
  await callAsync(c.getpid);
  // Main may block in a script's call for good: a thread of its own ends us when the runner goes.
  const watching = native.watchChannel(channelFd);
  if (watching < 0) throw new Error(`the channel's watchdog: ${errnoName(-watching)}`);
  blockOtherThreads();
  resetSignals();
  const core = Buffer.alloc(RLIMIT.size);
  sysOk(c.setrlimit(RLIMIT_CORE, core), 'setrlimit RLIMIT_CORE 0');
  // RLIMIT_CORE does not stop a core_pattern that pipes to a crash handler (fs/coredump.c gives a
  // pipe RLIM_INFINITY); a process that is not dumpable makes no core at all (do_coredump stops at
  // __get_dumpable). /proc/<pid>/status and stat, which the runner reads, stay readable.
  const PR_SET_DUMPABLE = 4;
  const dumpable = sysSync(NR.prctl, [PR_SET_DUMPABLE, 0, 0, 0, 0]);
  if (dumpable.ret === -1) throw new Error(`prctl(PR_SET_DUMPABLE, 0): ${errnoName(dumpable.errno)}`);

  // 2. A copy of the runner's stderr for our own diagnostics, then 0, 1, 2 on /dev/null.
  diagFd = sysOk(c.fcntl(2, F.F_DUPFD_CLOEXEC, fdBase), 'F_DUPFD_CLOEXEC of stderr');
  restoreStdio();

  // 3. Grow the table to 1024 slots, then lower RLIMIT_NOFILE to where our descriptors begin: the
  // script's EMFILE comes from the kernel, at the same descriptor as on the simulated kernel.
  must(sysOk(c.dup2(0, CAPACITY - 1), `dup2 onto ${CAPACITY - 1}`) === CAPACITY - 1, 'dup2 onto 1023');
  sysOk(c.close(CAPACITY - 1), `close ${CAPACITY - 1}`);
  const rl = Buffer.alloc(RLIMIT.size);
  sysOk(c.getrlimit(RLIMIT_NOFILE, rl), 'getrlimit');
  rl.writeBigUInt64LE(BigInt(SCRIPT_NOFILE), RLIMIT.cur);
  sysOk(c.setrlimit(RLIMIT_NOFILE, rl), `setrlimit RLIMIT_NOFILE ${SCRIPT_NOFILE}`);

  // 4. Free the script's descriptors: what is left above 2 is ours. Then check the whole process.
  sysOk(c.close_range(3, fdBase - 1, 0), 'close_range');
  const reserved = new Set(openFds().filter((fd) => fd > 2));
  const checks: string[] = [];
  const network = freshNetwork(undefined, checks);
  const info = await verify(reserved, 1, checks, network);
  return { info, reserved, network };
}

/** A run's confinement: the runner's descriptors, the run's own prefix, only 0, 1, 2 open. */
function confinement(
  reserved: ReadonlySet<number>,
  prefix: Buffer,
  network: string | undefined,
): Confinement {
  const confine: Confinement = {
    reserved,
    abstractPrefix: prefix,
    open: new Set([0, 1, 2]),
    threads: scriptTids,
  };
  return network === undefined ? confine : { ...confine, network };
}

/** "main" makes its calls here, on Node's main thread (the thread group's leader), synchronously. */
const onMain: Executor = { run: (nr, args) => sysSync(nr, args) };

/** A script thread of this run: its thread in the helper library (index 0: Node's main thread), its tid, its calls. */
interface ScriptThread {
  index: number;
  tid: number;
  calls: LinuxCalls;
}

async function serve(reserved: Set<number>, firstNetwork: string | undefined): Promise<void> {
  let run = 1;
  let network = firstNetwork;
  let confine = confinement(reserved, abstractPrefix, network);
  let threads = new Map<string, ScriptThread>();
  /** Calls received and not yet answered, on any thread. */
  let outstanding = 0;

  /**
   * The script thread `name`, made on first use: a thread cloned from Node's main thread, so it
   * starts with main's mask as it is now (the format's rule), and makes its calls itself.
   */
  const thread = (name: string): ScriptThread => {
    let t = threads.get(name);
    if (t) return t;
    if (name === 'main') {
      t = { index: 0, tid: process.pid, calls: new LinuxCalls(confine, onMain) };
    } else {
      const index = native.threadNew();
      if (index < 0) throw new Error(`clone for thread ${name}: ${errnoName(-index)}`);
      const tid = native.threadTid(index);
      scriptTids.add(tid);
      const exec: Executor = { run: (nr, args) => native.call(index, nr, args) };
      t = { index, tid, calls: new LinuxCalls(confine, exec) };
    }
    threads.set(name, t);
    return t;
  };

  const call = async (msg: Extract<ToChild, { kind: 'call' }>): Promise<void> => {
    outstanding++;
    try {
      if (!isSyscallName(msg.call)) throw new Error(`no such call: ${msg.call}`);
      const calls = thread(msg.thread).calls;
      // A thread Node started since the last look (from main, whose mask is the script's) could
      // take a process-directed signal: every thread but the script's blocks all before a kill.
      if (msg.call === 'kill') blockOtherThreads();
      const method = calls[msg.call] as (...args: unknown[]) => Promise<unknown>;
      const result = await method.apply(calls, msg.args.map(fromWire));
      send({ kind: 'result', id: msg.id, result: toWire(result) });
    } catch (err) {
      if (err instanceof Unsupported)
        send({ kind: 'unsupported', id: msg.id, call: err.call, what: err.what });
      else
        send({
          kind: 'error',
          id: msg.id,
          message: err instanceof Error ? (err.stack ?? err.message) : String(err),
        });
    } finally {
      outstanding--;
    }
  };

  /** Answer a question the runner asks of the process (not a system call): at once, on main. */
  const answer = (id: number, what: () => number): void => {
    try {
      send({ kind: 'result', id, result: what() });
    } catch (err) {
      send({ kind: 'error', id, message: err instanceof Error ? err.message : String(err) });
    }
  };

  /** End every script thread but main (each is idle: no call is outstanding). */
  const endThreads = (): void => {
    for (const [name, t] of threads) {
      if (t.index === 0) continue;
      const r = native.threadEnd(t.index);
      if (r < 0) throw new Error(`thread ${name} could not be ended: ${errnoName(-r)}`);
      scriptTids.delete(t.tid);
    }
    threads = new Map();
  };

  const finish = (id: number): void => {
    const closed = [...confine.open].filter((fd) => fd > 2).sort((a, b) => a - b);
    for (const fd of closed) c.close(fd);
    for (const fd of closed) confine.open.delete(fd);
    const leaked = openFds()
      .filter((fd) => fd > 2 && !reserved.has(fd))
      .map((fd) => ({ fd, target: target(fd) }));
    const report: FinishReport = { closed, leaked };
    send({ kind: 'finished', id, report });
  };

  const reset = async (id: number, prefix: string): Promise<void> => {
    try {
      // A call that has not returned holds a threadpool thread, and may yet change the process.
      must(outstanding === 0, `${outstanding} call(s) have not returned`);
      must(asyncCallsInFlight() === 0, `${asyncCallsInFlight()} threadpool call(s) have not returned`);
      const checks: string[] = [];
      // The script's threads end with its run; then the signals are as at start-up again.
      endThreads();
      blockOtherThreads();
      resetSignals();
      checks.push("ended the script threads; reset every disposition, main's mask and the counters");
      // What the script still holds above the runner's descriptors (below them, close_range).
      for (const fd of confine.open) if (fd >= fdBase) c.close(fd);
      sysOk(c.close_range(3, fdBase - 1, 0), 'close_range');
      restoreStdio();
      checks.push(`closed 3..${fdBase - 1} and every descriptor the last run held; 0, 1, 2 reopened`);
      // The script's threads have ended: the next ones are cloned into the new namespace.
      const fresh = freshNetwork(network, checks);
      const info = await verify(reserved, run + 1, checks, fresh);
      run++;
      network = fresh;
      confine = confinement(reserved, Buffer.from(prefix, 'latin1'), network);
      send({ kind: 'reset-done', id, info });
    } catch (err) {
      send({ kind: 'reset-refused', id, message: err instanceof Error ? err.message : String(err) });
    }
  };

  channel.on(
    'data',
    lineReader((line) => {
      const msg = JSON.parse(line) as ToChild;
      if (msg.kind === 'call') void call(msg);
      else if (msg.kind === 'tid') answer(msg.id, () => thread(msg.thread).tid);
      else if (msg.kind === 'caught') answer(msg.id, () => native.caught(msg.sig));
      else if (msg.kind === 'finish') finish(msg.id);
      else if (msg.kind === 'reset') void reset(msg.id, msg.prefix);
    }),
  );
}

// The runner gone means the run is over: end, whatever threads are blocked.
channel.on('end', die);
channel.on('close', die);
channel.on('error', die);

try {
  const { info, reserved, network } = await setUp();
  await serve(reserved, network);
  send({ kind: 'ready', info });
} catch (err) {
  const message = `setup: ${err instanceof Error ? err.message : String(err)}`;
  diag(message);
  send({ kind: 'setup-failed', message });
  setTimeout(die, 50);
}
