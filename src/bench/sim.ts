// The benchmark driver on the simulated kernel: synchronous system calls (Kernel.enterSync, which
// runs a call's body to its end and refuses one that would sleep) on one thread of a process whose
// RLIMIT_NOFILE is raised far past Linux's default, so N can reach the fd table's ceiling
// (sysctl_nr_open, 1 048 576 descriptors, as on Linux).

import { AF, EFD, EPOLL, EPOLL_CTL, IPPROTO, O, POLL, TCP_OPT } from '../abi/constants.ts';
import type { EpollEvent, PollFd, SysResult, Timeval } from '../api/syscalls.ts';
import { failed, Unsupported } from '../api/syscalls.ts';
import { sys_eventfd2 } from '../kernel/eventfd.ts';
import {
  ksys_epoll_wait,
  sys_epoll_create1,
  sys_epoll_ctl,
  sys_epoll_wait,
} from '../kernel/eventpoll/sys_epoll.ts';
import { ksys_read, ksys_write, sys_close } from '../kernel/fs.ts';
import { Kernel } from '../kernel/kernel.ts';
import {
  sys_accept4,
  sys_bind,
  sys_connect,
  sys_getname,
  sys_listen,
  sys_setsockopt,
  sys_socket,
  sys_socketpair,
} from '../kernel/net/sys_socket.ts';
import { sys_pipe2 } from '../kernel/pipe.ts';
import { sys_poll } from '../kernel/poll.ts';
import type { Process } from '../kernel/proc.ts';
import type { Thread } from '../kernel/sched.ts';
import { sys_select } from '../kernel/select.ts';
import type { Stats } from '../kernel/stats.ts';
import { setNrOpen } from '../kernel/sysctl.ts';
import { createScriptProcess } from '../kernel/system.ts';
import { buildFd2idx, type Driver, type Mux, type Objects, watchAll } from './driver.ts';
import type { Mechanism, ObjectKind } from './types.ts';

/** RLIMIT_NOFILE of the benchmark's simulated process: no limit below the fd table's own. */
export const SIM_RLIMIT = { soft: 20_000_000, hard: 20_000_000 };

const ONE_BYTE = new Uint8Array([0x65]);
// The driver's read buffers: its reads copy into them (ksys_read), as bench.c's do into its own.
const READ_BUF = new Uint8Array(256);
const READ_1 = READ_BUF.subarray(0, 1);
const READ_8 = READ_BUF.subarray(0, 8);
const READ_DV = new DataView(READ_BUF.buffer, 0, 8);
const EVENTFD_ONE = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);
const ZERO_TIMEOUT: Timeval = { sec: 0, usec: 0 };
const AF_UNIX = 1;
const SOCK_STREAM = 1;

/** A user buffer of n struct epoll_event, for ksys_epoll_wait to write into. */
function userEvents(n: number): EpollEvent[] {
  return Array.from({ length: n }, () => ({ events: 0, data: 0 }));
}

function ok<E extends object>(call: string, r: SysResult<E>): { ret: number } & E {
  if ('errno' in r) throw new Error(`simulated ${call} failed: ${r.errno}`);
  return r;
}

export class SimDriver implements Driver {
  readonly name = 'sim' as const;
  readonly k = new Kernel();
  readonly p: Process;
  readonly t: Thread;

  constructor() {
    // As root would: sysctl -w fs.nr_open, then the raised RLIMIT_NOFILE.
    if (setNrOpen(this.k, SIM_RLIMIT.hard) !== 0) throw new Error('sysctl fs.nr_open refused');
    this.p = createScriptProcess(this.k, { rlimit: { ...SIM_RLIMIT }, fdCapacity: 1024 });
    this.t = this.p.thread('main');
  }

  open(kind: ObjectKind, n: number): Objects {
    const { k, t } = this;
    const rfd = new Int32Array(n);
    const wfd = new Int32Array(n);
    let maxfd = 0;
    let listener: { fd: number; address: string } | undefined;
    for (let i = 0; i < n; i++) {
      let r: number;
      let w: number;
      if (kind === 'eventfd') {
        r = w = ok('eventfd2', k.enterSync(t, 'eventfd2', sys_eventfd2(t, 0, EFD.EFD_NONBLOCK))).ret;
      } else if (kind === 'tcp') {
        [r, w] = this.tcpPair((listener ??= this.tcpListener()));
      } else {
        const res =
          kind === 'pipe'
            ? k.enterSync(t, 'pipe2', sys_pipe2(t, O.O_NONBLOCK))
            : k.enterSync(t, 'socketpair', sys_socketpair(t, AF_UNIX, SOCK_STREAM | O.O_NONBLOCK, 0));
        [r, w] = ok(kind, res).fds;
      }
      rfd[i] = r;
      wfd[i] = w;
      if (r > maxfd) maxfd = r;
      if (w > maxfd) maxfd = w;
    }
    if (listener) this.closeFd(listener.fd);
    return { kind, n, rfd, wfd, maxfd, fd2idx: buildFd2idx(rfd, maxfd) };
  }

  /** A listener on 127.0.0.1, port chosen by the kernel (as bench.c's tcp_listener). */
  private tcpListener(): { fd: number; address: string } {
    const { k, t } = this;
    const fd = ok('socket', k.enterSync(t, 'socket', sys_socket(t, AF.AF_INET, SOCK_STREAM, 0))).ret;
    ok('bind', k.enterSync(t, 'bind', sys_bind(t, fd, '127.0.0.1:0')));
    ok('listen', k.enterSync(t, 'listen', sys_listen(t, fd, 128)));
    return {
      fd,
      address: ok('getsockname', k.enterSync(t, 'getsockname', sys_getname(t, fd, false))).address,
    };
  }

  /** A TCP connection over loopback: the accepted end, then the connecting end (TCP_NODELAY on both). */
  private tcpPair(l: { fd: number; address: string }): [number, number] {
    const { k, t } = this;
    const c = ok(
      'socket',
      k.enterSync(t, 'socket', sys_socket(t, AF.AF_INET, SOCK_STREAM | O.O_NONBLOCK, 0)),
    ).ret;
    const r = k.enterSync(t, 'connect', sys_connect(t, c, l.address));
    if (failed(r) && r.errno !== 'EINPROGRESS') ok('connect', r);
    const a = ok('accept4', k.enterSync(t, 'accept4', sys_accept4(t, l.fd, O.O_NONBLOCK))).ret;
    for (const fd of [c, a])
      ok(
        'setsockopt',
        k.enterSync(t, 'setsockopt', sys_setsockopt(t, fd, IPPROTO.IPPROTO_TCP, TCP_OPT.TCP_NODELAY, 1)),
      );
    return [a, c];
  }

  closeFd(fd: number): void {
    ok('close', this.k.enterSync(this.t, 'close', sys_close(this.t, fd)));
  }

  write(o: Objects, i: number): void {
    const data = o.kind === 'eventfd' ? EVENTFD_ONE : ONE_BYTE;
    const n = this.k.enterSync(this.t, 'write', ksys_write(this.t, o.wfd[i], data));
    if (n !== data.length) throw new Error(`simulated write failed: ${n}`);
  }

  read(o: Objects, i: number): number {
    const { k, t } = this;
    const fd = o.rfd[i];
    if (o.kind === 'eventfd') {
      const n = k.enterSync(t, 'read', ksys_read(t, fd, READ_8));
      return n === 8 ? Number(READ_DV.getBigUint64(0, true)) : 0;
    }
    let total = 0;
    for (;;) {
      const n = k.enterSync(t, 'read', ksys_read(t, fd, READ_BUF));
      if (n <= 0) break;
      total += n;
      if (n < READ_BUF.length) break;
    }
    return total;
  }

  readOne(o: Objects, i: number): boolean {
    const n = this.k.enterSync(
      this.t,
      'read',
      ksys_read(this.t, o.rfd[i], o.kind === 'eventfd' ? READ_8 : READ_1),
    );
    return n > 0;
  }

  mux(mech: Mechanism, o: Objects): Mux {
    const { k, t } = this;
    if (mech === 'select') {
      const readfds = [...o.rfd].sort((a, b) => a - b);
      const nfds = o.maxfd + 1;
      const call = () =>
        ok('select', k.enterSync(t, 'select', sys_select(t, nfds, readfds, null, null, ZERO_TIMEOUT)));
      return {
        dispatch(onReady) {
          const r = call();
          for (const fd of r.readfds ?? []) onReady(o.fd2idx[fd]);
        },
        call,
        close() {},
      };
    }
    if (mech === 'poll') {
      const fds: PollFd[] = [...o.rfd].map((fd) => ({ fd, events: POLL.POLLIN }));
      const call = () => ok('poll', k.enterSync(t, 'poll', sys_poll(t, fds, 0)));
      return {
        dispatch(onReady) {
          const r = call();
          const rev = r.revents;
          for (let i = 0; i < rev.length; i++) if (rev[i] & POLL.POLLIN) onReady(i);
        },
        call,
        close() {},
      };
    }
    const { ep, max, oneshot } = watchAll(this, mech, o);
    // The user's struct epoll_event array, written by every call (bench.c's is on its stack).
    const evs = userEvents(max);
    const call = () => {
      const n = k.enterSync(t, 'epoll_wait', ksys_epoll_wait(t, ep, evs, max, 0));
      if (n < 0) throw new Error(`simulated epoll_wait failed: ${n}`);
      return n;
    };
    const rearm: EpollEvent = { events: EPOLL.EPOLLIN | EPOLL.EPOLLONESHOT, data: 0 };
    return {
      dispatch(onReady) {
        const n = call();
        for (let i = 0; i < n; i++) {
          const idx = evs[i].data as number; // registered below as an index, so a number
          onReady(idx);
          if (oneshot) {
            rearm.data = idx;
            ok(
              'epoll_ctl',
              k.enterSync(t, 'epoll_ctl', sys_epoll_ctl(t, ep, EPOLL_CTL.EPOLL_CTL_MOD, o.rfd[idx], rearm)),
            );
          }
        }
      },
      call,
      close: () => this.closeFd(ep),
    };
  }

  cycleWake(o: Objects, i: number, epfd: number, k: number): number {
    const { k: kern, t } = this;
    const w = this.p.thread('waiter');
    const data = o.kind === 'eventfd' ? EVENTFD_ONE : ONE_BYTE;
    // The waiter's read buffer, and the first thread's (its read sleeps while the waiter reads).
    const unitBuf = new Uint8Array(data.length);
    const ANSWER = new Uint8Array(1);
    // The answer pipe: blocking, so the first thread sleeps in read until the waiter answers.
    const [br, bw] = ok('pipe2', kern.enterSync(t, 'pipe2', sys_pipe2(t, 0))).fds;
    // A call that slept and was woken has its record done; one that never slept has none.
    const returned = (p: Promise<unknown>, what: string) => {
      const rec = kern.callOf(p);
      if (rec && !rec.done) throw new Error(`cycle_wake: ${what} did not return`);
      return rec;
    };
    const sleepInWait = () => {
      const p = kern.enter(w, 'epoll_wait', [], () => sys_epoll_wait(w, epfd, 1, -1));
      if (!kern.callOf(p)) throw new Error('cycle_wake: epoll_wait did not sleep');
      return p;
    };
    let waiting = sleepInWait();
    const t0 = process.hrtime.bigint();
    for (let c = 0; c < k; c++) {
      kern.enterSync(t, 'write', ksys_write(t, o.wfd[i], data)); // wakes the waiter, which returns
      returned(waiting, 'epoll_wait');
      const answer = kern.enter(t, 'read', [], () => ksys_read(t, br, ANSWER)); // sleeps
      kern.enterSync(w, 'read', ksys_read(w, o.rfd[i], unitBuf));
      kern.enterSync(w, 'write', ksys_write(w, bw, ONE_BYTE)); // wakes this thread's read
      returned(answer, 'read');
      waiting = sleepInWait();
    }
    const ns = Number(process.hrtime.bigint() - t0) / k;
    // Release the waiter, then drop the answer pipe.
    kern.enterSync(t, 'write', ksys_write(t, o.wfd[i], data));
    returned(waiting, 'epoll_wait');
    kern.enterSync(w, 'read', ksys_read(w, o.rfd[i], unitBuf));
    this.closeFd(br);
    this.closeFd(bw);
    return ns;
  }

  /** epollWait's event array (grown to the largest maxevents asked for). */
  private waitEvents: EpollEvent[] = [];

  epollCreate(): number {
    return ok('epoll_create1', this.k.enterSync(this.t, 'epoll_create1', sys_epoll_create1(this.t, 0))).ret;
  }

  epollCtl(epfd: number, op: number, fd: number, events: number, data: number): void {
    const ev = op === EPOLL_CTL.EPOLL_CTL_DEL ? null : { events, data };
    ok('epoll_ctl', this.k.enterSync(this.t, 'epoll_ctl', sys_epoll_ctl(this.t, epfd, op, fd, ev)));
  }

  epollWait(epfd: number, max: number): number {
    if (this.waitEvents.length < max) this.waitEvents = userEvents(max);
    const n = this.k.enterSync(this.t, 'epoll_wait', ksys_epoll_wait(this.t, epfd, this.waitEvents, max, 0));
    if (n < 0) throw new Error(`simulated epoll_wait failed: ${n}`);
    return n;
  }

  stats(): Stats {
    return { ...this.k.stats };
  }

  dispose(): void {}
}

/** Whether the simulated kernel models a call yet (a stub throws Unsupported). */
export function simSupports(what: () => void): string | null {
  try {
    what();
    return null;
  } catch (e) {
    if (e instanceof Unsupported) return e.message;
    throw e;
  }
}
