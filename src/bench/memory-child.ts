// Run in a child process with a raised heap limit and --expose-gc (memory.ts starts it): build N
// idle objects, or N epoll watches, in the simulated kernel and print the heap they take as one
// JSON line. All of a kernel's objects are in one simulated process: fs.nr_open is raised to hold
// them and RLIMIT_NOFILE to match, as root would (sysctl -w fs.nr_open=N; setrlimit), and so is
// fs.epoll.max_user_watches (Linux's default here is 5 491 511). Only past Linux's largest
// nr_open (2^31 − 64 descriptors) would the objects go to a second kernel and its process.
//
//   node --expose-gc --max-old-space-size=M --import tsx src/bench/memory-child.ts KIND N
//   KIND: idle-pipe | idle-eventfd | epoll-watch

import { EFD, EPOLL, EPOLL_CTL, O, RLIMIT_NOFILE_DEFAULT } from '../abi/constants.ts';
import type { SysResult } from '../api/syscalls.ts';
import { sys_eventfd2 } from '../kernel/eventfd.ts';
import { sys_epoll_create1, sys_epoll_ctl } from '../kernel/eventpoll/sys_epoll.ts';
import { epollSysctl } from '../kernel/eventpoll/sysctl.ts';
import { Kernel } from '../kernel/kernel.ts';
import { sys_pipe2 } from '../kernel/pipe.ts';
import type { Thread } from '../kernel/sched.ts';
import { doPrlimitNofile, fsSysctl, SYSCTL_NR_OPEN_MAX, setNrOpen } from '../kernel/sysctl.ts';
import { createScriptProcess } from '../kernel/system.ts';

const [kind, nArg] = process.argv.slice(2);
const n = Number(nArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
if (!['idle-pipe', 'idle-eventfd', 'epoll-watch'].includes(kind) || !Number.isInteger(n) || n <= 0)
  throw new Error('usage: memory-child.ts idle-pipe|idle-eventfd|epoll-watch N');

function heap(): { used: number; external: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { used: m.heapUsed, external: m.external };
}

function ok(call: string, r: SysResult): number {
  if ('errno' in r) throw new Error(`${call}: ${r.errno}`);
  return r.ret;
}

/** Most descriptors one process holds: the largest fs.nr_open Linux accepts. */
const FILES_PER_KERNEL = SYSCTL_NR_OPEN_MAX;
const fdsPerUnit = kind === 'idle-pipe' ? 2 : 1;
// Room for fds 0-2 and the epoll fd in each process.
const FDS_EXTRA = 8;
const perProcess = Math.floor((FILES_PER_KERNEL - FDS_EXTRA) / fdsPerUnit);
const kernels: Kernel[] = [];

/**
 * A new kernel and its one process, made to hold `m` objects: fs.nr_open and RLIMIT_NOFILE raised
 * as root raises them, and fs.epoll.max_user_watches.
 */
function processFor(m: number): Thread {
  const k = new Kernel();
  kernels.push(k);
  const fds = m * fdsPerUnit + FDS_EXTRA;
  const nrOpen = Math.max(fsSysctl(k).nrOpen, fds);
  if (setNrOpen(k, nrOpen) !== 0) throw new Error(`sysctl fs.nr_open=${nrOpen} refused`);
  epollSysctl(k).maxUserWatches = Math.max(epollSysctl(k).maxUserWatches, m);
  const p = createScriptProcess(k, { rlimit: { ...RLIMIT_NOFILE_DEFAULT }, fdCapacity: 1024 });
  if (doPrlimitNofile(k, p.fdtable.rlimit, { soft: nrOpen, hard: nrOpen }, true) !== 0)
    throw new Error(`setrlimit RLIMIT_NOFILE ${nrOpen} refused`);
  return p.thread('main');
}

const threads: Thread[] = [];
const epfds: number[] = [];
const started = process.hrtime.bigint();

// For epoll-watch the eventfds (and the epoll instances) exist before the first measurement: the
// difference is the watches alone.
if (kind === 'epoll-watch') {
  for (let left = n; left > 0; left -= perProcess) {
    const m = Math.min(left, perProcess);
    const t = processFor(m);
    const k = t.k;
    threads.push(t);
    epfds.push(ok('epoll_create1', k.enterSync(t, 'epoll_create1', sys_epoll_create1(t, 0))));
    for (let i = 0; i < m; i++)
      ok('eventfd', k.enterSync(t, 'eventfd2', sys_eventfd2(t, 0, EFD.EFD_NONBLOCK)));
  }
}

const h0 = heap();
let made = 0;
if (kind === 'epoll-watch') {
  const ev = { events: EPOLL.EPOLLIN, data: 0 };
  for (let p = 0; p < threads.length; p++) {
    const t = threads[p];
    const k = t.k;
    const m = Math.min(n - p * perProcess, perProcess);
    const first = 4; // fds 0-2, the epoll fd at 3, the eventfds from 4
    for (let i = 0; i < m; i++) {
      ev.data = made++;
      ok(
        'epoll_ctl',
        k.enterSync(t, 'epoll_ctl', sys_epoll_ctl(t, epfds[p], EPOLL_CTL.EPOLL_CTL_ADD, first + i, ev)),
      );
    }
  }
} else {
  for (let left = n; left > 0; left -= perProcess) {
    const m = Math.min(left, perProcess);
    const t = processFor(m);
    const k = t.k;
    threads.push(t);
    for (let i = 0; i < m; i++) {
      if (kind === 'idle-pipe') ok('pipe2', k.enterSync(t, 'pipe2', sys_pipe2(t, O.O_NONBLOCK)));
      else ok('eventfd', k.enterSync(t, 'eventfd2', sys_eventfd2(t, 0, EFD.EFD_NONBLOCK)));
      made++;
    }
  }
}
const h1 = heap();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const heapBytes = h1.used - h0.used;
const externalBytes = h1.external - h0.external;
process.stdout.write(
  `${JSON.stringify({
    kind,
    n: made,
    processes: threads.length,
    kernels: kernels.length,
    heapBytes,
    externalBytes,
    bytesPerUnit: (heapBytes + externalBytes) / made,
    seconds,
    // Keep the kernels alive until after the measurement.
    files: kernels.reduce((a, k) => a + k.files.size, 0),
    // fs.nr_open and the fd table's size (max_fds) of the first process.
    nrOpen: fsSysctl(kernels[0]).nrOpen,
    maxFds: threads[0].proc.fdtable.capacity,
  })}\n`,
);
