// Single operations on a Driver, each timed over K calls among N watched objects (an epoll
// instance watching all N, level-triggered); the same as bench/c/bench.c's time_op.

import { EPOLL, EPOLL_CTL } from '../abi/constants.ts';
import { Unsupported } from '../api/syscalls.ts';
import { diffStats } from '../kernel/stats.ts';
import { closeObjects, type Driver, type Mux, type Objects } from './driver.ts';
import { perUnit } from './libevent.ts';
import type { Counters, ObjectKind, OpName } from './types.ts';

export interface OpResult {
  op: OpName;
  k: number;
  /** Why the operation has no values here (the driver cannot do it). */
  note?: string;
  /** ns per call, one value per repetition. */
  reps: number[];
  /** Counters per call (simulated kernel). */
  counters: Counters | null;
}

/** K for an operation: select0/poll0 scan N descriptors per call, so fewer calls as N grows. */
export function opCalls(op: OpName, n: number, k: number): number {
  if (op === 'select0' || op === 'poll0')
    return Math.max(3, Math.min(k, Math.floor(2_000_000 / Math.max(n, 1))));
  return k;
}

/**
 * Run `ops` over one set-up of N objects of `kind`; K calls per repetition, after untimed
 * repetitions that fill `warmupNs` (at least one).
 */
export function runOps(
  d: Driver,
  kind: ObjectKind,
  n: number,
  ops: readonly OpName[],
  reps: number,
  k: number,
  ctlK: number,
  warmupNs: number,
): OpResult[] {
  const o = d.open(kind, n);
  const extra = ops.some((op) => op.startsWith('ctl_')) ? d.open(kind, ctlK) : null;
  const ep = d.epollCreate();
  const muxes: Mux[] = [];
  try {
    for (let i = 0; i < n; i++) d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_ADD, o.rfd[i], EPOLL.EPOLLIN, i);
    const first: Objects = { ...o, n: 1, rfd: o.rfd.subarray(0, 1), wfd: o.wfd.subarray(0, 1) };
    const lazy = <T>(make: () => T) => {
      let v: T | undefined;
      return () => (v ??= make());
    };
    const selectN = lazy(() => track(d.mux('select', o)));
    const pollN = lazy(() => track(d.mux('poll', o)));
    const poll1 = lazy(() => track(d.mux('poll', first)));
    function track(m: Mux): Mux {
      muxes.push(m);
      return m;
    }
    const i0 = n >> 1;
    const once = (op: OpName, kk: number): number => {
      let t0 = process.hrtime.bigint();
      switch (op) {
        case 'epoll_wait0':
        case 'epoll_wait1':
          for (let i = 0; i < kk; i++) d.epollWait(ep, 64);
          break;
        case 'ctl_add':
        case 'ctl_mod':
        case 'ctl_del': {
          const ex = extra!;
          const times: Record<string, bigint> = {};
          for (let i = 0; i < kk; i++) d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_ADD, ex.rfd[i], EPOLL.EPOLLIN, i);
          times.ctl_add = process.hrtime.bigint() - t0;
          t0 = process.hrtime.bigint();
          for (let i = 0; i < kk; i++)
            d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_MOD, ex.rfd[i], EPOLL.EPOLLIN | EPOLL.EPOLLET, i);
          times.ctl_mod = process.hrtime.bigint() - t0;
          t0 = process.hrtime.bigint();
          for (let i = 0; i < kk; i++) d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_DEL, ex.rfd[i], 0, 0);
          times.ctl_del = process.hrtime.bigint() - t0;
          return Number(times[op]) / kk;
        }
        case 'cycle':
          for (let i = 0; i < kk; i++) {
            d.write(o, i0);
            if (d.epollWait(ep, 64) !== 1)
              throw new Error('cycle: epoll_wait did not return the one ready fd');
            if (!d.readOne(o, i0)) throw new Error('cycle: read found nothing');
          }
          break;
        case 'cycle_wake':
          if (!d.cycleWake) throw new Unsupported('cycle_wake', `the ${d.name} driver runs on one thread`);
          return d.cycleWake(o, i0, ep, kk);
        case 'write':
        case 'read': {
          for (let i = 0; i < kk; i++) d.write(o, i0);
          const tw = process.hrtime.bigint() - t0;
          t0 = process.hrtime.bigint();
          for (let i = 0; i < kk; i++) d.readOne(o, i0);
          const tr = process.hrtime.bigint() - t0;
          return Number(op === 'write' ? tw : tr) / kk;
        }
        case 'poll1': {
          const m = poll1();
          for (let i = 0; i < kk; i++) m.call();
          break;
        }
        case 'poll0': {
          const m = pollN();
          for (let i = 0; i < kk; i++) m.call();
          break;
        }
        case 'select0': {
          const m = selectN();
          for (let i = 0; i < kk; i++) m.call();
          break;
        }
      }
      return Number(process.hrtime.bigint() - t0) / kk;
    };
    // The counters of exactly one call of `op` (its set-up and clean-up outside the difference).
    const countOne = (op: OpName): Counters => {
      const ex = extra;
      const pre = () => {
        if (op === 'ctl_mod' || op === 'ctl_del')
          d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_ADD, ex!.rfd[0], EPOLL.EPOLLIN, 0);
        if (op === 'read') d.write(o, i0);
      };
      const post = () => {
        if (op === 'ctl_add' || op === 'ctl_mod') d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_DEL, ex!.rfd[0], 0, 0);
        if (op === 'write') d.readOne(o, i0);
      };
      pre();
      const before = d.stats()!;
      switch (op) {
        case 'ctl_add':
          d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_ADD, ex!.rfd[0], EPOLL.EPOLLIN, 0);
          break;
        case 'ctl_mod':
          d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_MOD, ex!.rfd[0], EPOLL.EPOLLIN | EPOLL.EPOLLET, 0);
          break;
        case 'ctl_del':
          d.epollCtl(ep, EPOLL_CTL.EPOLL_CTL_DEL, ex!.rfd[0], 0, 0);
          break;
        case 'write':
          d.write(o, i0);
          break;
        case 'cycle_wake': {
          // One cycle's own counters: two cycles less one (set-up and clean-up cancel out).
          d.cycleWake!(o, i0, ep, 1);
          const one = d.stats()!;
          d.cycleWake!(o, i0, ep, 2);
          const two = d.stats()!;
          post();
          const a = diffStats(one, before);
          return perUnit(diffStats(diffStats(two, one), a), 1);
        }
        case 'read':
          d.readOne(o, i0);
          break;
        default:
          once(op, 1);
      }
      const after = d.stats()!;
      post();
      return perUnit(diffStats(after, before), 1);
    };
    const results: OpResult[] = [];
    for (const op of ops) {
      if (op === 'cycle_wake' && !d.cycleWake) {
        results.push({ op, k: 0, reps: [], counters: null, note: `the ${d.name} driver runs on one thread` });
        continue;
      }
      if (op === 'epoll_wait1') d.write(o, i0);
      const kk = opCalls(
        op,
        n,
        op.startsWith('ctl_') ? ctlK : op === 'read' || op === 'write' ? Math.min(k, 4096) : k,
      );
      // Warm-up, untimed (the first also builds the op's multiplexer).
      const w0 = process.hrtime.bigint();
      do once(op, kk);
      while (Number(process.hrtime.bigint() - w0) < warmupNs);
      const counters = d.stats() ? countOne(op) : null;
      const values: number[] = [];
      for (let r = 0; r < reps; r++) values.push(once(op, kk));
      results.push({ op, k: kk, reps: values, counters });
      if (op === 'epoll_wait1') d.read(o, i0);
    }
    return results;
  } finally {
    for (const m of muxes) m.close();
    d.closeFd(ep);
    if (extra) closeObjects(d, extra);
    closeObjects(d, o);
  }
}
