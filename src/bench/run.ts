// The benchmark run: for each point, the simulated kernel, the real kernel through koffi and the
// real kernel from C, one after the other (so the three see the same machine), then the report.

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Unsupported } from '../api/syscalls.ts';
import { libcUnavailableReason } from '../linux/libc.ts';
import { buildReference, Reference } from './cref.ts';
import { closeObjects, type Driver } from './driver.ts';
import { KoffiDriver, raiseNofile } from './koffi.ts';
import { measurePoint } from './libevent.ts';
import { type MemoryKind, type MemoryResult, measureMemory } from './memory.ts';
import { runOps } from './ops.ts';
import { fdsPer, makePlan, N_INDEPENDENT_OPS, type Plan, portLimit, simMaxObjects } from './plan.ts';
import { makeProgress, type Progress } from './progress.ts';
import { printReport, REPORT_WIDTH, wrap } from './report.ts';
import { SimDriver } from './sim.ts';
import { median } from './stats.ts';
import { writeCharts } from './svg.ts';
import {
  type BackendName,
  type BenchOptions,
  type BenchRecord,
  type Counters,
  type Mechanism,
  OBJECTS,
  type ObjectKind,
  OPS,
  type OpName,
} from './types.ts';

/** What a run learned besides the records: limits, the fd_set check, memory, what could not run. */
export interface Facts {
  linux: {
    soft: number;
    hard: number;
    fdSetsize: number | null;
    maxObjects: Record<ObjectKind, number>;
  } | null;
  fdset: {
    fd: number;
    nfds: number;
    raw_select_ret: number;
    raw_select_bit: number;
    glibc_fd_set_child: string;
    glibc_fd_set_code: number;
  } | null;
  memory: MemoryResult[];
  /** Backends or parts that could not run, and why. */
  notes: string[];
  plan: Plan;
  /** How long the run took, s (absent in an older facts.json, and until the run ends). */
  seconds?: number;
}

interface CLibevent {
  ns_per_iter: number[];
  calls_per_iter: number;
  events_per_iter: number;
}
interface COp {
  op: OpName;
  k: number;
  ns_per_op: number[];
}

type Emit = (r: BenchRecord) => void;

/**
 * A full garbage collection, run before each in-process point: the previous point's objects (a
 * whole simulated kernel) are collected then, not in the middle of this point's repetitions (in
 * --quick a 2 ms repetition could take 10 ms when a major collection fell in it).
 */
let gc: (() => void) | null = null;
function collectGarbage(): void {
  if (!gc) {
    // V8's own collector, reached without starting node with --expose-gc.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** What every suite of one run shares: the plan, the backends that could start, and the output. */
interface Run {
  o: BenchOptions;
  plan: Plan;
  backends: BackendName[];
  limitOf: LimitOf;
  koffi: KoffiDriver | null;
  ref: Reference | null;
  emit: Emit;
  progress: Progress;
  facts: Facts;
}

export async function runBench(options: BenchOptions, out: (line: string) => void): Promise<BenchRecord[]> {
  if (options.reportFrom) {
    // Re-print the report (and charts) of an earlier run from its --out directory.
    const dir = options.reportFrom;
    const records = readRecords(dir);
    const facts = JSON.parse(readFileSync(join(dir, 'facts.json'), 'utf8')) as Facts;
    if (options.json) for (const r of records) out(JSON.stringify(r));
    else printReport(records, facts, out, { targets: options.targets });
    if (options.outDir) writeCharts(records, facts, options.outDir);
    return records;
  }
  const { records, facts } = await collect(options, out);
  if (!options.json) printReport(records, facts, out, { targets: options.targets });
  if (options.outDir) {
    const files = writeCharts(records, facts, options.outDir);
    if (!options.json) for (const line of wrap(`Charts: ${files.join(', ')}`, REPORT_WIDTH, '  ')) out(line);
  }
  return records;
}

/**
 * The records of an --out directory: records.jsonl (appended as measured, so an interrupted run
 * has one), else records.json (written at the end; the one docs/bench keeps).
 */
function readRecords(dir: string): BenchRecord[] {
  const jsonl = join(dir, 'records.jsonl');
  if (existsSync(jsonl))
    return readFileSync(jsonl, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as BenchRecord);
  return JSON.parse(readFileSync(join(dir, 'records.json'), 'utf8')) as BenchRecord[];
}

/** Run the plan; records in the order measured (streamed as JSON lines with --json). */
export async function collect(
  options: BenchOptions,
  out: (line: string) => void,
): Promise<{ records: BenchRecord[]; facts: Facts }> {
  const plan = makePlan(options);
  const started = process.hrtime.bigint();
  const records: BenchRecord[] = [];
  const facts: Facts = { linux: null, fdset: null, memory: [], notes: [], plan };
  // With --out, every record is also appended to DIR/records.jsonl as it is measured, so a long
  // run that stops early keeps what it measured.
  let log: string | null = null;
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    log = join(options.outDir, 'records.jsonl');
    writeFileSync(log, '');
  }
  const emit: Emit = (r) => {
    records.push(r);
    if (options.json) out(JSON.stringify(r));
    if (log) appendFileSync(log, `${JSON.stringify(r)}\n`);
  };

  // ---- backends ----
  const want = new Set(options.backends);
  let koffi: KoffiDriver | null = null;
  let ref: Reference | null = null;
  if (want.has('linux') || want.has('c')) {
    const reason = libcUnavailableReason();
    if (reason) {
      facts.notes.push(`real kernel: ${reason}`);
    } else {
      const lim = raiseNofile();
      // The fds this process already uses (Node's own), plus a margin, are not the benchmark's.
      const used = readdirSync('/proc/self/fd').length + 32;
      const maxObjects = {} as Record<ObjectKind, number>;
      for (const kind of OBJECTS)
        maxObjects[kind] = Math.min(
          Math.floor((Math.min(lim.soft, 1 << 20) - used) / fdsPer(kind)),
          portLimit(kind),
        );
      facts.linux = { soft: lim.soft, hard: lim.hard, fdSetsize: null, maxObjects };
      if (want.has('linux')) koffi = new KoffiDriver();
      if (want.has('c')) {
        const built = buildReference();
        if ('error' in built) facts.notes.push(`C reference: ${built.error}`);
        else ref = new Reference(built.path);
      }
    }
  }
  const backends = options.backends.filter((b) => b === 'sim' || (b === 'linux' ? koffi : ref));
  const saveFacts = () => {
    if (options.outDir)
      writeFileSync(join(options.outDir, 'facts.json'), `${JSON.stringify(facts, null, 1)}\n`);
  };
  saveFacts();
  const limitOf = (backend: BackendName, kind: ObjectKind): number =>
    backend === 'sim' ? simMaxObjects(kind) : (facts.linux?.maxObjects[kind] ?? 0);

  const suites = new Set(options.suites);
  const progress = makeProgress(options.progress, estimateSteps(options, plan, backends.length));
  const run: Run = { o: options, plan, backends, limitOf, koffi, ref, emit, progress, facts };
  try {
    if (suites.has('limits') && ref) {
      progress.step('limits: RLIMIT_NOFILE, select past FD_SETSIZE');
      const [lim] = await ref.run<{ soft: number; hard: number; fd_setsize: number }>('limits');
      if (facts.linux) facts.linux.fdSetsize = lim.fd_setsize;
      const [fdset] = await ref.run<NonNullable<Facts['fdset']>>('fdset');
      facts.fdset = fdset;
      saveFacts();
    }
    if (suites.has('libevent')) {
      await sweepN(run);
      await sweepA(run);
    }
    if (suites.has('op')) await opSuite(run);
    if (suites.has('memory') && backends.includes('sim')) await memorySuite(plan, emit, progress, facts);
  } finally {
    progress.done();
    ref?.close();
    koffi?.dispose();
    facts.seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (options.outDir)
      writeFileSync(join(options.outDir, 'facts.json'), `${JSON.stringify(facts, null, 1)}\n`);
  }
  return { records, facts };
}

function estimateSteps(o: BenchOptions, plan: Plan, nBackends: number): number {
  const ev = o.suites.includes('libevent')
    ? o.objects.length *
      nBackends *
      (o.mechanisms.filter((m) => m !== 'epoll-oneshot').length * (plan.nSweep.length + 1))
    : 0;
  const a = o.suites.includes('libevent') ? nBackends * o.mechanisms.length * plan.aSweep.length : 0;
  const ops = o.suites.includes('op') ? nBackends * (plan.opSizes.length + 1) : 0;
  return ev + a + ops + plan.memorySizes.length * 2 + 1;
}

type LimitOf = (backend: BackendName, kind: ObjectKind) => number;

function baseRecord(
  suite: BenchRecord['suite'],
  mechanism: string,
  object: ObjectKind,
  backend: BackendName,
  n: number,
): BenchRecord {
  return {
    suite,
    mechanism,
    object,
    backend,
    n,
    active: 0,
    writes: 0,
    ns_per_iter: null,
    ns_per_event: null,
    calls_per_iter: null,
    events_per_iter: null,
    reps: [],
    ns_min: null,
    counters: null,
  };
}

/** One libevent point on one backend. */
async function libeventPoint(
  backend: BackendName,
  mech: Mechanism,
  kind: ObjectKind,
  n: number,
  active: number,
  writes: number,
  plan: Plan,
  koffi: KoffiDriver | null,
  ref: Reference | null,
): Promise<{ record: BenchRecord; firstNs: number }> {
  const rec = baseRecord('libevent', mech, kind, backend, n);
  rec.active = active;
  rec.writes = writes;
  if (backend === 'c') {
    const [r] = await ref!.run<CLibevent>(
      `libevent ${mech} ${kind} ${n} ${active} ${writes} ${plan.reps} ${Math.round(plan.targetRepNs / 1e3)} ${Math.round(plan.warmupNs / 1e3)}`,
    );
    rec.reps = r.ns_per_iter;
    rec.calls_per_iter = r.calls_per_iter;
    rec.events_per_iter = r.events_per_iter;
  } else {
    collectGarbage();
    const d: Driver = backend === 'sim' ? new SimDriver() : koffi!;
    const o = d.open(kind, n);
    try {
      const mux = d.mux(mech, o);
      try {
        const p = measurePoint(d, o, mux, active, writes, plan);
        rec.reps = p.reps;
        rec.calls_per_iter = p.callsPerIter;
        rec.events_per_iter = p.eventsPerIter;
        rec.counters = p.counters;
      } finally {
        mux.close();
      }
    } finally {
      // The simulated kernel is dropped whole; real descriptors are closed.
      if (backend !== 'sim') closeObjects(d, o);
      d.dispose();
    }
  }
  rec.ns_per_iter = median(rec.reps);
  rec.ns_min = Math.min(...rec.reps);
  rec.ns_per_event = rec.events_per_iter ? rec.ns_per_iter / rec.events_per_iter : null;
  return { record: rec, firstNs: Math.min(...rec.reps) };
}

/** A point that could not run: a stub of the simulated kernel, a resource limit. */
function failedPoint(rec: BenchRecord, e: unknown): BenchRecord {
  rec.note = e instanceof Unsupported ? e.message : `${(e as Error).name}: ${(e as Error).message}`;
  return rec;
}

async function sweepN(run: Run): Promise<void> {
  const { o, plan, backends, limitOf, koffi, ref, emit, progress, facts } = run;
  const mechs = o.mechanisms.filter((m) => m !== 'epoll-oneshot');
  for (const kind of o.objects) {
    const sizes = new Set(plan.nSweep);
    if (plan.includeLimits) {
      for (const b of backends) sizes.add(limitOf(b, kind));
      // The simulator's own largest N, when below 1 000 000 (pipes and socketpairs: two fds each).
    }
    const ns = [...sizes].filter((n) => n >= 2).sort((a, b) => a - b);
    for (const mech of mechs) {
      const stopped = new Map<BackendName, string>();
      for (const n of ns) {
        for (const backend of backends) {
          if (n > limitOf(backend, kind)) continue;
          if (stopped.has(backend)) continue;
          progress.step(
            `libevent ${mech} ${kind} N=${n} A=${plan.nSweepActive} W=${plan.nSweepWrites} ${backend}`,
          );
          try {
            const { record, firstNs } = await libeventPoint(
              backend,
              mech,
              kind,
              n,
              plan.nSweepActive,
              plan.nSweepWrites,
              plan,
              koffi,
              ref,
            );
            emit(record);
            // Stop before a point whose iteration would pass the limit, predicted linear in N.
            const next = ns.find((x) => x > n && x <= limitOf(backend, kind));
            if (next !== undefined && (firstNs * next) / n > plan.maxIterNs)
              stopped.set(
                backend,
                `one iteration took ${(firstNs / 1e9).toFixed(2)} s at N=${n}; N=${next} would take about ${((firstNs * next) / n / 1e9).toFixed(1)} s`,
              );
          } catch (e) {
            const rec = failedPoint(baseRecord('libevent', mech, kind, backend, n), e);
            rec.active = plan.nSweepActive;
            rec.writes = plan.nSweepWrites;
            emit(rec);
            stopped.set(backend, rec.note!);
          }
        }
      }
      for (const [b, why] of stopped)
        facts.notes.push(`libevent ${mech} ${kind} on ${b}: stopped growing N (${why})`);
    }
  }
}

async function sweepA(run: Run): Promise<void> {
  const { o, plan, backends, limitOf, koffi, ref, emit, progress, facts } = run;
  const kind = o.objects[0];
  const n = plan.aSweepN;
  for (const mech of o.mechanisms) {
    const stopped = new Set<BackendName>();
    for (const a of plan.aSweep.filter((x) => x <= n)) {
      for (const backend of backends) {
        if (n > limitOf(backend, kind) || stopped.has(backend)) continue;
        progress.step(`libevent ${mech} ${kind} N=${n} A=${a} W=0 ${backend}`);
        try {
          const { record } = await libeventPoint(backend, mech, kind, n, a, 0, plan, koffi, ref);
          emit(record);
        } catch (e) {
          const rec = failedPoint(baseRecord('libevent', mech, kind, backend, n), e);
          rec.active = a;
          emit(rec);
          stopped.add(backend);
          facts.notes.push(`libevent ${mech} ${kind} N=${n} A=${a} on ${backend}: ${rec.note}`);
        }
      }
    }
  }
}

async function opSuite(run: Run): Promise<void> {
  const { o, plan, backends, limitOf, koffi, ref, emit, progress, facts } = run;
  const kind: ObjectKind = o.objects.includes('pipe') ? 'pipe' : o.objects[0];
  const k = plan.opK;
  for (const [i, n0] of plan.opSizes.entries()) {
    const ops = OPS.filter((op) => i === 0 || !N_INDEPENDENT_OPS.includes(op));
    for (const backend of backends) {
      // Sizes only the simulator reaches are measured on eventfds (one descriptor each, so N can
      // reach 1 000 000 within sysctl_nr_open); the others on `kind`, the same on every backend.
      const linuxRoom = facts.linux ? facts.linux.maxObjects[kind] - plan.ctlK - 1 : 0;
      const objKind: ObjectKind = n0 > linuxRoom ? 'eventfd' : kind;
      const n = n0;
      // Room for the ctl objects beside the N watched ones.
      if (n > limitOf(backend, objKind) - plan.ctlK - 1) continue;
      progress.step(`ops ${objKind} N=${n} ${backend}`);
      let results: { op: OpName; k: number; reps: number[]; counters: Counters | null; note?: string }[] = [];
      try {
        if (backend === 'c') {
          const lines = await ref!.run<COp>(
            `op ${ops.join(',')} ${objKind} ${n} ${plan.reps} ${k} ${plan.ctlK} ${Math.round(plan.warmupNs / 1e3)}`,
          );
          results = lines.map((l) => ({ op: l.op, k: l.k, reps: l.ns_per_op, counters: null }));
        } else {
          collectGarbage();
          const d: Driver = backend === 'sim' ? new SimDriver() : koffi!;
          try {
            results = runOps(d, objKind, n, ops, plan.reps, k, plan.ctlK, plan.warmupNs);
          } finally {
            d.dispose();
          }
        }
      } catch (e) {
        // Where one operation is not modelled yet, measure the others one by one.
        if (backend !== 'sim' || !(e instanceof Unsupported)) {
          for (const op of ops) emit(failedPoint(baseRecord('op', op, objKind, backend, n), e));
          facts.notes.push(`ops ${objKind} N=${n} on ${backend}: ${(e as Error).message}`);
          continue;
        }
        for (const op of ops) {
          try {
            const d = new SimDriver();
            results.push(...runOps(d, objKind, n, [op], plan.reps, k, plan.ctlK, plan.warmupNs));
          } catch (e2) {
            emit(failedPoint(baseRecord('op', op, objKind, backend, n), e2));
            facts.notes.push(`op ${op} on ${backend}: ${(e2 as Error).message}`);
          }
        }
      }
      for (const r of results) {
        const rec = baseRecord('op', r.op, objKind, backend, n);
        if (r.note) {
          rec.note = r.note;
        } else {
          rec.reps = r.reps;
          rec.ns_per_iter = median(r.reps);
          rec.ns_min = Math.min(...r.reps);
          rec.counters = r.counters;
        }
        emit(rec);
      }
    }
  }
}

async function memorySuite(plan: Plan, emit: Emit, progress: Progress, facts: Facts): Promise<void> {
  const kinds: [MemoryKind, ObjectKind, string][] = [
    ['idle-pipe', 'pipe', 'idle-pipe'],
    ['epoll-watch', 'eventfd', 'epoll-watch'],
  ];
  for (const n of plan.memorySizes) {
    for (const [kind, object, mechanism] of kinds) {
      progress.step(`memory ${kind} N=${n} (child process)`);
      const rec = baseRecord('memory', mechanism, object, 'sim', n);
      try {
        const m = await measureMemory(kind, n);
        facts.memory.push(m);
        rec.bytes_per_unit = m.bytesPerUnit;
        rec.processes = m.processes;
        rec.note =
          `${m.processes} simulated process${m.processes > 1 ? 'es' : ''}` +
          (m.kernels > 1 ? ` in ${m.kernels} kernels (past fs.nr_open's largest value)` : '') +
          `, built in ${m.seconds.toFixed(1)} s`;
      } catch (e) {
        rec.note = (e as Error).message;
        facts.notes.push(`memory ${kind} N=${n}: ${rec.note}`);
      }
      emit(rec);
    }
  }
}
