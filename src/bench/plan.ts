// What a run measures: the sizes, repetitions and time budgets of the full run and of --quick.

import { IP_LOCAL_PORT_RANGE, SYSCTL_NR_OPEN } from '../abi/constants.ts';
import type { BenchOptions, ObjectKind, OpName } from './types.ts';

export interface Plan {
  /** The --quick plan: few points and repetitions, so the report marks every verdict indicative. */
  quick: boolean;
  /** N for the sweep against N (before each backend's limit is applied). */
  nSweep: number[];
  /** Active writers (A) and chained writes (W) of the N sweep: libevent's defaults. */
  nSweepActive: number;
  nSweepWrites: number;
  /** The sweep against A: fixed N, W = 0, A up to N (every object active). */
  aSweepN: number;
  aSweep: number[];
  reps: number;
  /**
   * Untimed warm-up before each point is measured, ns (at least one iteration or repetition), on
   * every backend: the JIT has compiled the loop and the caches hold the objects before anything
   * is timed (without it the first point of a series measured the compiler: select A=1 86 µs
   * against A=32 42 µs).
   */
  warmupNs: number;
  /** Time one repetition should take (iterations are calibrated), ns. */
  targetRepNs: number;
  /** Cap on one point's timed work, ns (fewer repetitions, never under 3). */
  budgetNs: number;
  /** A backend stops growing N for a mechanism once one iteration takes longer than this, ns. */
  maxIterNs: number;
  /** Sizes of the single-operation suite; read/write/poll1 run at the first only. */
  opSizes: number[];
  /** Calls per repetition of an operation, and objects added/modified/deleted per ctl repetition. */
  opK: number;
  ctlK: number;
  memorySizes: number[];
  /** Add each backend's largest N (RLIMIT_NOFILE on Linux, sysctl_nr_open on the simulator). */
  includeLimits: boolean;
}

export function makePlan(o: BenchOptions): Plan {
  const quick: Plan = {
    quick: true,
    nSweep: [16, 256, 2048],
    nSweepActive: 1,
    nSweepWrites: 100,
    aSweepN: 1024,
    aSweep: [1, 32, 1024],
    // Five: a median of three is one descheduled repetition away from a wrong figure.
    reps: 5,
    warmupNs: 2e7,
    targetRepNs: 5e6,
    budgetNs: 5e7,
    maxIterNs: 5e7,
    opSizes: [16, 1024],
    opK: 2000,
    ctlK: 256,
    // The memory targets are read at 100 000 (a few seconds in a child process).
    memorySizes: [100_000],
    includeLimits: false,
  };
  const full: Plan = {
    quick: false,
    nSweep: [16, 64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_000_000],
    nSweepActive: 1,
    nSweepWrites: 100,
    aSweepN: 4096,
    aSweep: [1, 4, 16, 64, 256, 1024, 4096],
    reps: 7,
    warmupNs: 2e8,
    targetRepNs: 3e7,
    budgetNs: 1.5e9,
    maxIterNs: 1.5e9,
    opSizes: [16, 1024, 8192, 65_536, 1_000_000],
    opK: 20_000,
    ctlK: 1000,
    memorySizes: [1_000_000, 10_000_000],
    includeLimits: true,
  };
  const plan = o.quick ? quick : full;
  if (o.sizes) {
    plan.nSweep = [...o.sizes].sort((a, b) => a - b);
    plan.opSizes = plan.nSweep.filter((n) => n <= plan.nSweep[0] * 64 || n === plan.nSweep.at(-1));
    plan.aSweepN = plan.nSweep.at(-1)!;
    plan.aSweep = [1, Math.max(1, Math.round(Math.sqrt(plan.aSweepN))), plan.aSweepN];
    plan.includeLimits = false;
    // Sizes asked for are all measured, however long they take.
    plan.maxIterNs = Number.POSITIVE_INFINITY;
  }
  if (o.reps !== null) plan.reps = o.reps;
  if (o.memorySizes.length > 0 || o.sizes) plan.memorySizes = o.memorySizes;
  return plan;
}

/** Descriptors one object takes. */
export function fdsPer(kind: ObjectKind): number {
  return kind === 'eventfd' ? 1 : 2;
}

/**
 * The most objects one simulated process holds: sysctl_nr_open descriptors (the fd table's
 * ceiling, Linux's default 1 048 576), less 0-2, the epoll fd and a margin.
 */
export function simMaxObjects(kind: ObjectKind): number {
  return Math.min(Math.floor((SYSCTL_NR_OPEN - 16) / fdsPer(kind)), portLimit(kind));
}

/**
 * TCP connections to one listener each take an ephemeral port (net.ipv4.ip_local_port_range,
 * 28 232 ports), on both kernels; the margin leaves room for ports other sockets hold.
 */
export function portLimit(kind: ObjectKind): number {
  return kind === 'tcp'
    ? IP_LOCAL_PORT_RANGE.high - IP_LOCAL_PORT_RANGE.low + 1 - 1024
    : Number.POSITIVE_INFINITY;
}

/** Ops that do not depend on N: measured at the first op size only. */
export const N_INDEPENDENT_OPS: readonly OpName[] = ['read', 'write', 'poll1', 'cycle_wake'];
