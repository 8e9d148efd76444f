// What a benchmark needs from a kernel, written once: the simulated kernel (sim.ts) and the real
// kernel through koffi (koffi.ts) implement it; the C reference program (bench/c/bench.c) does the
// same things in C. Every descriptor is non-blocking and every wait has timeout 0, so a call never
// sleeps: the simulated kernel runs its calls synchronously, and the loop below is the same code
// on both.

import { EPOLL, EPOLL_CTL } from '../abi/constants.ts';
import type { Stats } from '../kernel/stats.ts';
import type { BackendName, Mechanism, ObjectKind } from './types.ts';

/** N watched objects: the descriptor to watch and read, and the one to write. */
export interface Objects {
  readonly kind: ObjectKind;
  readonly n: number;
  /** The end a multiplexer watches and the loop reads (the eventfd itself). */
  readonly rfd: Int32Array;
  /** The end the loop writes (the eventfd itself). */
  readonly wfd: Int32Array;
  /** The highest descriptor among them. */
  readonly maxfd: number;
  /** Read descriptor → object index, -1 elsewhere. */
  readonly fd2idx: Int32Array;
}

/** One multiplexer watching the N read ends: select/poll sets or an epoll instance. */
export interface Mux {
  /** One call with timeout 0; the ready objects are handed to `onReady` by index. */
  dispatch(onReady: (idx: number) => void): void;
  /** The call alone, its result not looked at (select0/poll0: the kernel's cost per watched fd). */
  call(): void;
  close(): void;
}

export interface Driver {
  readonly name: Exclude<BackendName, 'c'>;
  /** N objects of a kind, non-blocking. Throws Unsupported where the backend does not model it. */
  open(kind: ObjectKind, n: number): Objects;
  /** Write one unit (1 byte; 8 for an eventfd: the value 1). */
  write(o: Objects, i: number): void;
  /** Read what is there (up to 256 bytes per read, until a short read); units consumed. */
  read(o: Objects, i: number): number;
  /** Read one unit; false when there was none (EAGAIN). */
  readOne(o: Objects, i: number): boolean;
  mux(mech: Mechanism, o: Objects): Mux;
  epollCreate(): number;
  /** epoll_ctl; throws on failure (the benchmark never expects one). */
  epollCtl(epfd: number, op: number, fd: number, events: number, data: number): void;
  /** epoll_wait(epfd, buffer of `max`, `max`, 0): the number of events. */
  epollWait(epfd: number, max: number): number;
  closeFd(fd: number): void;
  /**
   * `cycle_wake`, `k` times: a second thread sleeps in epoll_wait(epfd, 1, -1); this thread writes
   * object `i`, the other wakes, reads it and writes a blocking answer pipe this thread sleeps on
   * in read. ns per cycle. Absent where the driver has one thread.
   */
  cycleWake?(o: Objects, i: number, epfd: number, k: number): number;
  /** The simulated kernel's cumulative counters (a copy), or null. */
  stats(): Stats | null;
  /** Release everything (the simulated kernel is dropped; Linux descriptors are closed by closeObjects()). */
  dispose(): void;
}

/** The most events one epoll_wait asks for (libevent grows its buffer to 4096; 1024 here). */
export const MAX_EVENTS = 1024;

/** Thrown when the loop stops making progress (a multiplexer that misses events). */
export class NoProgress extends Error {
  override name = 'NoProgress';
}

/** The libevent model's epoll: one instance watching every object's read end, data = its index. */
export function watchAll(
  d: Driver,
  mech: Mechanism,
  o: Objects,
): { ep: number; max: number; oneshot: boolean } {
  const oneshot = mech === 'epoll-oneshot';
  const flags = mech === 'epoll-et' ? EPOLL.EPOLLET : oneshot ? EPOLL.EPOLLONESHOT : 0;
  const ep = d.epollCreate();
  for (let i = 0; i < o.n; i++) d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_ADD, o.rfd[i], EPOLL.EPOLLIN | flags, i);
  return { ep, max: Math.min(o.n, MAX_EVENTS), oneshot };
}

/** Close every descriptor of `o` (an eventfd's read and write fds are one). */
export function closeObjects(d: Driver, o: Objects): void {
  for (let i = 0; i < o.n; i++) {
    d.closeFd(o.rfd[i]);
    if (o.wfd[i] !== o.rfd[i]) d.closeFd(o.wfd[i]);
  }
}

export function buildFd2idx(rfd: Int32Array, maxfd: number): Int32Array {
  const map = new Int32Array(maxfd + 1).fill(-1);
  for (let i = 0; i < rfd.length; i++) map[rfd[i]] = i;
  return map;
}
