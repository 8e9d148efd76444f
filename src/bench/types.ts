// The benchmark's vocabulary: what is measured (suites, mechanisms, objects), on what (backends),
// and the one record every measurement produces (`--json` prints them as they are).

import type { Stats } from '../kernel/stats.ts';

/** The multiplexing mechanisms of the libevent model. */
export const MECHANISMS = ['select', 'poll', 'epoll-lt', 'epoll-et', 'epoll-oneshot'] as const;
export type Mechanism = (typeof MECHANISMS)[number];

/**
 * The watched objects: a pipe (read end watched), an AF_UNIX stream socketpair, an eventfd, a TCP
 * connection over loopback (the accepted end watched, TCP_NODELAY on both ends).
 */
export const OBJECTS = ['pipe', 'socketpair', 'eventfd', 'tcp'] as const;
export type ObjectKind = (typeof OBJECTS)[number];

/** The objects as the report and the charts name them, in the plural. */
export const OBJECT_PLURAL: Record<ObjectKind, string> = {
  pipe: 'pipes',
  socketpair: 'socketpairs',
  eventfd: 'eventfds',
  tcp: 'TCP connections',
};

/**
 * Where a measurement ran: `sim` the simulated kernel (synchronous calls), `linux` the real kernel
 * through koffi in this Node process (src/linux/libc.ts), `c` the real kernel from the C reference
 * program (bench/c/bench.c) — the real kernel's own cost, with no runtime in between.
 */
export const BACKENDS = ['sim', 'linux', 'c'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * Single operations, each timed over K calls among N watched objects:
 * `epoll_wait0` none ready, `epoll_wait1` one ready (level-triggered, never drained),
 * `ctl_add`/`ctl_mod`/`ctl_del` epoll_ctl on objects outside the N, `cycle` write one unit →
 * epoll_wait → read it (one thread: the write's wake-up finds nobody asleep), `cycle_wake` the
 * same with a second thread asleep in epoll_wait(-1) that the write wakes, which reads and answers
 * on a blocking pipe the first thread sleeps on (two wake-ups per cycle), `read`/`write` one byte
 * on a pipe, `poll1` poll on one idle fd,
 * `select0`/`poll0` select/poll over N idle fds (timeout 0).
 */
export const OPS = [
  'epoll_wait0',
  'epoll_wait1',
  'ctl_add',
  'ctl_mod',
  'ctl_del',
  'cycle',
  'cycle_wake',
  'read',
  'write',
  'poll1',
  'select0',
  'poll0',
] as const;
export type OpName = (typeof OPS)[number];

export type Suite = 'libevent' | 'op' | 'memory';

/** Cost counters of the simulated kernel, per iteration (libevent) or per operation (op). */
export type Counters = Partial<Record<keyof Stats, number>>;

/** One measurement. */
export interface BenchRecord {
  suite: Suite;
  /** libevent: the mechanism; op: the operation; memory: what was measured ("epoll-watch", "idle-pipe"). */
  mechanism: string;
  object: ObjectKind;
  backend: BackendName;
  /** Watched objects. */
  n: number;
  /** Active writers (libevent); 0 elsewhere. */
  active: number;
  /** Chained writes per iteration (libevent); 0 elsewhere. */
  writes: number;
  /** Median over the repetitions: ns per iteration (libevent), per call (op); null for memory. */
  ns_per_iter: number | null;
  /** ns per delivered event (libevent), null where no events are delivered. */
  ns_per_event: number | null;
  /** Multiplexer calls per iteration (libevent: select/poll/epoll_wait calls). */
  calls_per_iter: number | null;
  /** Events handled per iteration (libevent). */
  events_per_iter: number | null;
  /** Every repetition's value (ns per iteration or per call), in run order. */
  reps: number[];
  /**
   * The fastest repetition: on a shared machine the median carries other processes' load, the
   * minimum much less (the report gives both where it compares backends).
   */
  ns_min: number | null;
  /** The simulated kernel's cost counters per iteration / per call (nonzero ones); null off the simulator. */
  counters: Counters | null;
  /** memory: bytes per unit (per watched fd, per idle pipe). */
  bytes_per_unit?: number;
  /** memory: the simulated processes the N objects were spread over (1: all in one process). */
  processes?: number;
  /** Why a point has no value (the backend does not model it yet, a limit was reached). */
  note?: string;
}

/** What to run. */
export interface BenchOptions {
  /** The smoke-test plan: small sizes, few repetitions, under a minute. */
  quick: boolean;
  /** Print one JSON record per line instead of the table. */
  json: boolean;
  /** Write SVG charts (and records.json) into this directory. */
  outDir: string | null;
  backends: BackendName[];
  objects: ObjectKind[];
  mechanisms: Mechanism[];
  /** Suites to run: libevent (N and A sweeps), op, memory, limits. */
  suites: ('libevent' | 'op' | 'memory' | 'limits')[];
  /** Override the N sweep (watched objects). */
  sizes: number[] | null;
  /** Repetitions per point (median taken); null: the plan's default. */
  reps: number | null;
  /** Sizes for the memory part (idle pipes and watched fds in the simulated kernel). */
  memorySizes: number[];
  /** Progress on stderr (only when it is a TTY). */
  progress: boolean;
  /** Measure nothing: re-print the report of an earlier `--out` directory (records.jsonl, facts.json). */
  reportFrom: string | null;
  /** Add the project's own targets for the simulated kernel to the report (the claims are always there). */
  targets: boolean;
}
