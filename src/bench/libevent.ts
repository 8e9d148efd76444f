// The libevent bench model (libevent's test/bench.c), on a Driver: N watched objects, A of them
// written before each iteration, and W more writes chained from the read callbacks (each read of
// object i writes object i+1 while writes remain). An iteration is libevent's run_once: the A
// writes (not timed), then dispatch with timeout 0 until every unit written has been read (timed).
// Same loop as bench/c/bench.c's, so the three backends do the same calls.

import { diffStats, type Stats } from '../kernel/stats.ts';
import { type Driver, type Mux, NoProgress, type Objects } from './driver.ts';
import type { Counters } from './types.ts';

export interface LoopState {
  count: number;
  fired: number;
  writes: number;
  calls: number;
  events: number;
}

/** One run_once; returns its timed part in ns. */
export function iteration(
  d: Driver,
  o: Objects,
  mux: Mux,
  active: number,
  writes: number,
  s: LoopState,
): number {
  const n = o.n;
  const space = Math.floor(n / active);
  for (let i = 0; i < active; i++) d.write(o, i * space);
  s.fired = active;
  s.count = 0;
  s.writes = writes;
  const onReady = (idx: number) => {
    s.events++;
    s.count += d.read(o, idx);
    if (s.writes > 0) {
      let widx = idx + 1;
      if (widx >= n) widx -= n;
      d.write(o, widx);
      s.writes--;
      s.fired++;
    }
  };
  // A multiplexer that loses events would loop for ever: every call must deliver something.
  const limit = s.calls + 2 * (active + writes) + 8;
  const t0 = process.hrtime.bigint();
  do {
    mux.dispatch(onReady);
    if (++s.calls > limit) throw new NoProgress(`no progress: ${s.count} of ${s.fired} units read`);
  } while (s.count !== s.fired);
  return Number(process.hrtime.bigint() - t0);
}

export interface PointResult {
  /** ns per iteration, one value per repetition. */
  reps: number[];
  callsPerIter: number;
  eventsPerIter: number;
  /** Counters per iteration (simulated kernel), nonzero fields only. */
  counters: Counters | null;
  /** The timed part of one warm iteration, ns. */
  firstNs: number;
}

export interface PointPlan {
  reps: number;
  /** Untimed warm-up iterations fill this much time first, ns (at least one iteration). */
  warmupNs: number;
  /** Time one repetition should take, ns (iterations are calibrated on a warm one). */
  targetRepNs: number;
  /** Cap on the whole point's timed work, ns: fewer repetitions (never under 3) past it. */
  budgetNs: number;
}

/** Measure one point of the model on an open set of objects and its multiplexer. */
export function measurePoint(
  d: Driver,
  o: Objects,
  mux: Mux,
  active: number,
  writes: number,
  plan: PointPlan,
): PointResult {
  const s: LoopState = { count: 0, fired: 0, writes: 0, calls: 0, events: 0 };
  // Warm-up, untimed: the JIT compiles the loop and the kernel's code before anything is timed.
  const w0 = process.hrtime.bigint();
  do iteration(d, o, mux, active, writes, s);
  while (Number(process.hrtime.bigint() - w0) < plan.warmupNs);
  // Counters of one iteration, untimed (they are deterministic).
  const before = d.stats();
  s.calls = s.events = 0;
  const firstNs = iteration(d, o, mux, active, writes, s);
  const after = d.stats();
  const callsPerIter = s.calls;
  const eventsPerIter = s.events;
  const counters = before && after ? perUnit(diffStats(after, before), 1) : null;
  const iters = Math.max(1, Math.min(100_000, Math.round(plan.targetRepNs / Math.max(firstNs, 1))));
  const reps = Math.max(1, Math.min(plan.reps, Math.max(3, Math.floor(plan.budgetNs / (firstNs * iters)))));
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    let total = 0;
    for (let i = 0; i < iters; i++) total += iteration(d, o, mux, active, writes, s);
    out.push(total / iters);
  }
  return { reps: out, callsPerIter, eventsPerIter, counters, firstNs };
}

/** A counter difference divided by `units`, keeping the nonzero fields. */
export function perUnit(diff: Stats, units: number): Counters {
  const out: Counters = {};
  for (const [key, v] of Object.entries(diff) as [keyof Stats, number][]) if (v !== 0) out[key] = v / units;
  return out;
}
