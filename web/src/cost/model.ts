// The cost view's model: one workload — N watched pipes, A of them active — run under select,
// poll and epoll on the simulated kernel, and the kernel's cost counters (src/kernel/stats.ts)
// read across the calls, so that select's and poll's O(N) and epoll's O(ready) are seen as
// lines, not read. Pure: the public API only (a Kernel, createScriptProcess, runThreads and
// `k.stats`), no DOM, no clock; the page runs it a point at a time (CostView.tsx) and the unit
// tests run it under Node (test/web/cost.test.ts).
//
// Each point is one fresh kernel and process with N non-blocking pipes (their read ends watched),
// A of them, spread evenly, holding a byte. epoll's set is built first (epoll_ctl ADD per fd: its
// one-time cost, kept apart as `setup`). Then two calls are measured:
// - `ready`: the wait call made while A fds are ready (an event loop under load): select with
//   every read fd in readfds, poll with a pollfd per fd, epoll_wait; timeout infinite, so the
//   call does not sleep but returns the A ready fds. (Linux registers wait entries on the first
//   pass only until a ready fd is found: fs/select.c, do_select/do_poll.)
// - `idle`: the same call with none ready and a 1 ms timeout (an idle loop): it sleeps, so
//   select and poll put a wait entry on every fd's queue and take them all off again, where
//   epoll_wait adds one, its own, to the eventpoll's queue.

import {
  createScriptProcess,
  diffStats,
  EPOLL,
  EPOLL_CTL,
  failed,
  Kernel,
  O,
  POLL,
  type PollFd,
  runThreads,
  type SimSyscalls,
  type Stats,
  type SysResult,
} from '../../../src/index.ts';

export type Mechanism = 'select' | 'poll' | 'epoll';
export const MECHANISMS: readonly Mechanism[] = ['select', 'poll', 'epoll'];

/** The Ns the view measures by default (the largest: 8 195 descriptors, still well under a second). */
export const DEFAULT_NS: readonly number[] = [16, 256, 512, 1024, 2048, 3072, 4096];
/** The largest N the view offers. */
export const MAX_N = 4096;

/** What one point measured, each counter as moved by the call (or by the setup). */
export interface CostPoint {
  readonly mechanism: Mechanism;
  readonly n: number;
  readonly active: number;
  /** The wait call with A fds ready. */
  readonly ready: Stats;
  /** The wait call with none ready, sleeping until its 1 ms timeout. */
  readonly idle: Stats;
  /** Building the watched set once (epoll_ctl ADD per fd; nothing for select and poll). */
  readonly setup: Stats;
  /** How many fds the ready call reported. */
  readonly reported: number;
}

/** The counters charted, each from the call it tells about. */
export interface CounterSpec {
  readonly key: 'fdsScanned' | 'fopPollCalls' | 'bytesCopiedIn' | 'waitEntriesAdded';
  readonly from: 'ready' | 'idle';
  readonly title: string;
  /** What Linux does that the counter counts. */
  readonly linux: string;
}

export const COUNTERS: readonly CounterSpec[] = [
  {
    key: 'fdsScanned',
    from: 'ready',
    title: 'fds scanned per call',
    linux:
      'select and poll walk every fd they are given (do_select, do_poll); epoll_wait walks its ready list only',
  },
  {
    key: 'fopPollCalls',
    from: 'ready',
    title: 'f_op->poll calls per call',
    linux:
      "vfs_poll on each file: all N for select and poll, the ready items' re-poll for epoll (ep_item_poll)",
  },
  {
    key: 'bytesCopiedIn',
    from: 'ready',
    title: 'bytes copied in per call',
    linux:
      'the fd_set bitmaps (select) or the pollfd array (poll) copied from user space on every call; epoll copies nothing in',
  },
  {
    key: 'waitEntriesAdded',
    from: 'idle',
    title: 'wait entries added per sleep',
    linux:
      'a sleeping select or poll hooks an entry on every file (__pollwait) and unhooks them all; epoll_wait adds one, to ep->wq',
  },
];

const ONE_BYTE = new Uint8Array([0x78]);
/** Far past 2·N + 3 descriptors for the largest N. */
const RLIMIT = { soft: 1 << 16, hard: 1 << 16 };

function check<E extends object>(what: string, r: SysResult<E>): { readonly ret: number } & E {
  if (failed(r)) throw new Error(`${what} failed: ${r.errno}`);
  return r;
}

/** The fds (indices into the N pipes) that are active: A of them, spread evenly. */
export function activeIndices(n: number, active: number): number[] {
  const a = Math.max(0, Math.min(active, n));
  const out: number[] = [];
  for (let i = 0; i < a; i++) out.push(Math.floor(((i + 0.5) * n) / a));
  return out;
}

/** Measure one point: a fresh kernel, N pipes, A active, one mechanism. */
export async function measure(mechanism: Mechanism, n: number, active: number): Promise<CostPoint> {
  if (!Number.isInteger(n) || n < 1 || n > MAX_N) throw new RangeError(`N must be 1 … ${MAX_N}, not ${n}`);
  const k = new Kernel();
  const p = createScriptProcess(k, { rlimit: RLIMIT });
  let point: CostPoint | undefined;
  await runThreads(k, p, {
    main: async (sys: SimSyscalls) => {
      const reads: number[] = [];
      const writes: number[] = [];
      for (let i = 0; i < n; i++) {
        const [r, w] = check('pipe2', await sys.pipe2(O.O_NONBLOCK)).fds;
        reads.push(r);
        writes.push(w);
      }
      const nfds = Math.max(...reads) + 1;
      const pollfds: PollFd[] = reads.map((fd) => ({ fd, events: POLL.POLLIN }));
      let epfd = -1;
      const s0 = { ...k.stats };
      if (mechanism === 'epoll') {
        epfd = check('epoll_create1', await sys.epoll_create1(0)).ret;
        for (const [i, fd] of reads.entries()) {
          check(
            'epoll_ctl',
            await sys.epoll_ctl(epfd, EPOLL_CTL.EPOLL_CTL_ADD, fd, { events: EPOLL.EPOLLIN, data: i }),
          );
        }
      }
      const setup = diffStats(k.stats, s0);
      // The wait call, as each mechanism makes it; timeout in ms, -1 for none.
      const wait = async (timeoutMs: number): Promise<number> => {
        if (mechanism === 'select') {
          const tv = timeoutMs < 0 ? null : { sec: 0, usec: timeoutMs * 1000 };
          const r = check('select', await sys.select(nfds, reads, null, null, tv));
          return r.readfds?.length ?? 0;
        }
        if (mechanism === 'poll') {
          const r = check('poll', await sys.poll(pollfds, timeoutMs));
          return r.revents.filter((x) => x !== 0).length;
        }
        return check('epoll_wait', await sys.epoll_wait(epfd, Math.max(1, active), timeoutMs)).events.length;
      };
      // Idle: nothing ready, the call sleeps until its timeout.
      const s1 = { ...k.stats };
      await wait(1);
      const idle = diffStats(k.stats, s1);
      // A active: a byte in each, then the call, which returns at once.
      for (const i of activeIndices(n, active)) check('write', await sys.write(writes[i], ONE_BYTE));
      const s2 = { ...k.stats };
      const reported = active > 0 ? await wait(-1) : 0;
      const ready = diffStats(k.stats, s2);
      point = { mechanism, n, active, ready, idle, setup, reported };
    },
  });
  if (!point) throw new Error('the workload did not finish');
  return point;
}

/** One chart's lines: per mechanism, [N, value] in N order. */
export function series(
  points: readonly CostPoint[],
  counter: CounterSpec,
): Record<Mechanism, [number, number][]> {
  const out: Record<Mechanism, [number, number][]> = { select: [], poll: [], epoll: [] };
  for (const p of points) out[p.mechanism].push([p.n, p[counter.from][counter.key]]);
  for (const m of MECHANISMS) out[m].sort((a, b) => a[0] - b[0]);
  return out;
}

/** Every point of a run of the workload, in order (N, then mechanism); `onPoint` may yield between. */
export async function runWorkload(
  ns: readonly number[],
  active: number,
  onPoint?: (p: CostPoint, done: number, total: number) => unknown,
): Promise<CostPoint[]> {
  const points: CostPoint[] = [];
  const total = ns.length * MECHANISMS.length;
  for (const n of ns) {
    for (const m of MECHANISMS) {
      const p = await measure(m, n, Math.min(active, n));
      points.push(p);
      await onPoint?.(p, points.length, total);
    }
  }
  return points;
}
