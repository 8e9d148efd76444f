// The readable report: tables of the measurements (backends side by side, the simulated kernel's
// counters beside its times), the scaling exponents, the targets and the seed claims.

import type { Facts } from './run.ts';
import { fmtBytes, fmtCount, fmtNs, logLogSlope } from './stats.ts';
import type { BackendName, BenchRecord, Mechanism, ObjectKind } from './types.ts';

type Out = (line: string) => void;

/** A fixed-width table: columns right-aligned except the first ones named in `left`. */
type Rec = BenchRecord | undefined;

/** One point's record on each backend: sim, linux (koffi), c. */
function byBackend(at: (b: BackendName) => Rec): [Rec, Rec, Rec] {
  return [at('sim'), at('linux'), at('c')];
}

const TIME_HEADS = ['sim', 'linux', 'c', 'sim/c', 'linux/c'];

/** The time columns every table shares: sim, koffi and C times, then sim/C and koffi/C. */
function timeCells(s: Rec, l: Rec, cc: Rec): string[] {
  return [
    s?.note && s.ns_per_iter === null ? `(${short(s.note)})` : fmtNs(s?.ns_per_iter),
    fmtNs(l?.ns_per_iter),
    fmtNs(cc?.ns_per_iter),
    ratio(s?.ns_per_iter, cc?.ns_per_iter),
    ratio(l?.ns_per_iter, cc?.ns_per_iter),
  ];
}

export function table(head: string[], rows: string[][], left = 1): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i < left ? (c ?? '').padEnd(widths[i]) : (c ?? '').padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(fmt)];
}

const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
  a && b ? `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×` : '—';

function find(
  rs: readonly BenchRecord[],
  q: Partial<Pick<BenchRecord, 'suite' | 'mechanism' | 'object' | 'backend' | 'n' | 'active' | 'writes'>>,
): BenchRecord | undefined {
  return rs.find(
    (r) =>
      r.ns_per_iter !== null &&
      (Object.keys(q) as (keyof typeof q)[]).every((k) => q[k] === undefined || r[k] === q[k]),
  );
}

/** Scaling exponent of ns_per_iter against N (or A) over [lo, hi], for one series. */
export function exponent(
  rs: readonly BenchRecord[],
  series: {
    mechanism: string;
    object: ObjectKind;
    backend: BackendName;
    active?: number;
    writes: number;
    n?: number;
  },
  by: 'n' | 'active',
  lo: number,
  hi: number,
  stat: 'median' | 'min' = 'median',
): number {
  const pts = rs
    .filter(
      (r) =>
        r.suite === 'libevent' &&
        r.ns_per_iter !== null &&
        r.mechanism === series.mechanism &&
        r.object === series.object &&
        r.backend === series.backend &&
        r.writes === series.writes &&
        (series.active === undefined || r.active === series.active) &&
        (series.n === undefined || r.n === series.n) &&
        r[by] >= lo &&
        r[by] <= hi,
    )
    .map((r) => ({ x: r[by], y: stat === 'min' ? (r.ns_min ?? r.ns_per_iter!) : r.ns_per_iter! }));
  return logLogSlope(pts);
}

const fmtExp = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');
const c = (r: BenchRecord | undefined, key: string): number | undefined =>
  r?.counters ? (r.counters as Record<string, number>)[key] : undefined;

function sweepRows(
  rs: readonly BenchRecord[],
  kind: ObjectKind,
  mech: string,
  active: number,
  writes: number,
) {
  const pts = rs.filter(
    (r) =>
      r.suite === 'libevent' &&
      r.object === kind &&
      r.mechanism === mech &&
      r.writes === writes &&
      (active === -1 ? true : r.active === active),
  );
  return pts;
}

export function printReport(rs: readonly BenchRecord[], facts: Facts, out: Out): void {
  const plan = facts.plan;
  const lib = rs.filter((r) => r.suite === 'libevent');
  const objects = [...new Set(lib.map((r) => r.object))];
  const mechs = [...new Set(lib.map((r) => r.mechanism))] as Mechanism[];
  out('');
  out('iomux bench — the simulated kernel (sim), the real kernel through koffi (linux) and from C (c)');
  if (facts.linux)
    out(
      `RLIMIT_NOFILE ${facts.linux.soft} (hard ${facts.linux.hard}); real-kernel N up to ${facts.linux.maxObjects.pipe} pipes, ` +
        `${facts.linux.maxObjects.eventfd} eventfds. Times are medians of ${plan.reps} repetitions.`,
    );

  // ---- the N sweep ----
  for (const kind of objects) {
    const rows: string[][] = [];
    for (const mech of mechs) {
      const pts = sweepRows(lib, kind, mech, plan.nSweepActive, plan.nSweepWrites);
      const ns = [...new Set(pts.map((r) => r.n))].sort((a, b) => a - b);
      for (const n of ns) {
        const [s, l, cc] = byBackend((b) => pts.find((r) => r.n === n && r.backend === b));
        const calls = s?.calls_per_iter ?? cc?.calls_per_iter ?? 1;
        rows.push([
          mech,
          fmtCount(n),
          ...timeCells(s, l, cc),
          fmtNs(s?.ns_per_event),
          fmtNs(cc?.ns_per_event),
          fmtCount(perCall(c(s, 'fdsScanned'), calls)),
          fmtCount(perCall(c(s, 'fopPollCalls'), calls)),
          fmtCount(perCall(c(s, 'bytesCopiedIn'), calls)),
          fmtCount(perCall(c(s, 'waitEntriesAdded'), calls)),
        ]);
      }
    }
    if (rows.length === 0) continue;
    out('');
    out(
      `libevent model, ${kind}s: N watched, A=${plan.nSweepActive} active, W=${plan.nSweepWrites} chained writes; ` +
        'time per iteration (run_once); sim counters per multiplexer call',
    );
    for (const line of table(
      [
        'mechanism',
        'N',
        ...TIME_HEADS,
        'sim/event',
        'c/event',
        'scanned',
        'f_op->poll',
        'bytes in',
        'wait adds',
      ],
      rows,
    ))
      out(line);
  }

  // ---- the A sweep ----
  const aRows: string[][] = [];
  const aKind = objects[0];
  for (const mech of mechs) {
    const pts = lib.filter(
      (r) => r.object === aKind && r.mechanism === mech && r.writes === 0 && r.n === plan.aSweepN,
    );
    for (const a of [...new Set(pts.map((r) => r.active))].sort((x, y) => x - y)) {
      const at = (b: BackendName) => pts.find((r) => r.active === a && r.backend === b);
      const s = at('sim');
      const cc = at('c');
      aRows.push([
        mech,
        fmtCount(a),
        s?.note && s.ns_per_iter === null ? `(${short(s.note)})` : fmtNs(s?.ns_per_iter),
        fmtNs(at('linux')?.ns_per_iter),
        fmtNs(cc?.ns_per_iter),
        ratio(s?.ns_per_iter, cc?.ns_per_iter),
        fmtNs(s?.ns_per_event),
        fmtNs(cc?.ns_per_event),
        fmtCount(c(s, 'fopPollCalls')),
        fmtCount(c(s, 'syscalls')),
      ]);
    }
  }
  if (aRows.length > 0) {
    out('');
    out(
      `libevent model against A: ${aKind}s, N=${fmtCount(plan.aSweepN)}, W=0; time per iteration (A reads)`,
    );
    for (const line of table(
      ['mechanism', 'A', 'sim', 'linux', 'c', 'sim/c', 'sim/event', 'c/event', 'f_op->poll', 'syscalls'],
      aRows,
    ))
      out(line);
  }

  // ---- single operations ----
  const ops = rs.filter((r) => r.suite === 'op');
  if (ops.length > 0) {
    const rows: string[][] = [];
    const keys = [...new Set(ops.map((r) => `${r.mechanism}|${r.object}|${r.n}`))];
    for (const key of keys) {
      const [op, object, nStr] = key.split('|');
      const n = Number(nStr);
      const [s, l, cc] = byBackend((b) =>
        ops.find((r) => r.mechanism === op && r.object === object && r.n === n && r.backend === b),
      );
      rows.push([
        op,
        object,
        fmtCount(n),
        ...timeCells(s, l, cc),
        fmtCount(c(s, 'fdsScanned')),
        fmtCount(c(s, 'fopPollCalls')),
        fmtCount(c(s, 'bytesCopiedIn')),
        fmtCount(c(s, 'bytesCopiedOut')),
        fmtCount(c(s, 'callbacksInvoked')),
        fmtCount(c(s, 'rbtreeCompares')),
      ]);
    }
    out('');
    out('Single operations: time per call; sim counters per call');
    for (const line of table(
      [
        'op',
        'object',
        'N',
        ...TIME_HEADS,
        'scanned',
        'f_op->poll',
        'bytes in',
        'bytes out',
        'callbacks',
        'rb compares',
      ],
      rows,
      2,
    ))
      out(line);
  }

  // ---- memory ----
  const mem = rs.filter((r) => r.suite === 'memory');
  if (mem.length > 0) {
    out('');
    out('Memory of the simulated kernel (heap + external, after gc, in a child process)');
    for (const line of table(
      ['what', 'N', 'bytes each', 'how'],
      mem.map((r) => [r.mechanism, fmtCount(r.n), fmtBytes(r.bytes_per_unit), r.note ?? '']),
    ))
      out(line);
  }

  printExponents(rs, facts, out);
  printTargets(rs, facts, out);
  printClaims(rs, facts, out);
  if (facts.notes.length > 0) {
    out('');
    out('Notes');
    for (const n of facts.notes) out(`- ${n}`);
  }
}

function perCall(x: number | undefined, calls: number): number | undefined {
  return x === undefined ? undefined : x / calls;
}

function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The N range both the simulator and C measured, from 1024 up (fixed costs dominate below). */
function commonRange(
  rs: readonly BenchRecord[],
  mech: string,
  kind: ObjectKind,
  writes: number,
): [number, number] {
  const ns = (b: BackendName) =>
    new Set(
      rs
        .filter(
          (r) =>
            r.suite === 'libevent' &&
            r.ns_per_iter !== null &&
            r.mechanism === mech &&
            r.object === kind &&
            r.backend === b &&
            r.writes === writes,
        )
        .map((r) => r.n),
    );
  const sim = ns('sim');
  const both = [...ns('c')].filter((n) => sim.has(n)).sort((a, b) => a - b);
  // From N = 1024 up (fixed per-call costs dominate below); at least the two largest points.
  const upper = both.filter((n) => n >= 1024);
  const pts = upper.length >= 2 ? upper : both.slice(-2);
  return pts.length >= 2 ? [pts[0], pts.at(-1)!] : [0, 0];
}

export interface ExponentRow {
  mechanism: string;
  object: ObjectKind;
  range: [number, number];
  sim: number;
  linux: number;
  c: number;
  simFull: number;
  simFullRange: [number, number];
  /** The same from each point's fastest repetition. */
  simMin: number;
  cMin: number;
}

export function exponents(rs: readonly BenchRecord[], facts: Facts): ExponentRow[] {
  const plan = facts.plan;
  const out: ExponentRow[] = [];
  const lib = rs.filter((r) => r.suite === 'libevent' && r.writes === plan.nSweepWrites);
  for (const kind of [...new Set(lib.map((r) => r.object))])
    for (const mech of [...new Set(lib.map((r) => r.mechanism))]) {
      const range = commonRange(rs, mech, kind, plan.nSweepWrites);
      const s = { mechanism: mech, object: kind, writes: plan.nSweepWrites, active: plan.nSweepActive };
      const simNs = lib
        .filter(
          (r) => r.mechanism === mech && r.object === kind && r.backend === 'sim' && r.ns_per_iter !== null,
        )
        .map((r) => r.n);
      const sorted = [...new Set(simNs)].sort((a, b) => a - b);
      const upper = sorted.filter((n) => n >= 1024);
      const span = upper.length >= 2 ? upper : sorted.slice(-2);
      const simFullRange: [number, number] = span.length >= 2 ? [span[0], span.at(-1)!] : [0, 0];
      out.push({
        mechanism: mech,
        object: kind,
        range,
        sim: exponent(rs, { ...s, backend: 'sim' }, 'n', range[0], range[1]),
        linux: exponent(rs, { ...s, backend: 'linux' }, 'n', range[0], range[1]),
        c: exponent(rs, { ...s, backend: 'c' }, 'n', range[0], range[1]),
        simFull: exponent(rs, { ...s, backend: 'sim' }, 'n', simFullRange[0], simFullRange[1]),
        simFullRange,
        simMin: exponent(rs, { ...s, backend: 'sim' }, 'n', range[0], range[1], 'min'),
        cMin: exponent(rs, { ...s, backend: 'c' }, 'n', range[0], range[1], 'min'),
      });
    }
  return out;
}

function aExponents(rs: readonly BenchRecord[], facts: Facts) {
  const plan = facts.plan;
  const lib = rs.filter((r) => r.suite === 'libevent' && r.writes === 0 && r.n === plan.aSweepN);
  const lo = Math.min(16, plan.aSweepN);
  return [...new Set(lib.map((r) => r.mechanism))].map((mech) => {
    const kind = lib.find((r) => r.mechanism === mech)!.object;
    const s = { mechanism: mech, object: kind, writes: 0, n: plan.aSweepN };
    return {
      mechanism: mech,
      range: [lo, plan.aSweepN] as [number, number],
      sim: exponent(rs, { ...s, backend: 'sim' }, 'active', lo, plan.aSweepN),
      linux: exponent(rs, { ...s, backend: 'linux' }, 'active', lo, plan.aSweepN),
      c: exponent(rs, { ...s, backend: 'c' }, 'active', lo, plan.aSweepN),
    };
  });
}

function printExponents(rs: readonly BenchRecord[], facts: Facts, out: Out): void {
  const ex = exponents(rs, facts);
  if (ex.length === 0) return;
  out('');
  out('Scaling exponents: slope of log(time per iteration) against log N (A=1, W=100)');
  for (const line of table(
    ['mechanism', 'object', 'N range', 'sim', 'linux', 'c', 'sim − c', 'min: sim, c', 'sim, its whole range'],
    ex.map((e) => [
      e.mechanism,
      e.object,
      `${fmtCount(e.range[0])}–${fmtCount(e.range[1])}`,
      fmtExp(e.sim),
      fmtExp(e.linux),
      fmtExp(e.c),
      Number.isFinite(e.sim - e.c) ? (e.sim - e.c).toFixed(2) : '—',
      `${fmtExp(e.simMin)}, ${fmtExp(e.cMin)}`,
      `${fmtExp(e.simFull)} (${fmtCount(e.simFullRange[0])}–${fmtCount(e.simFullRange[1])})`,
    ]),
    2,
  ))
    out(line);
  const ax = aExponents(rs, facts);
  if (ax.length === 0) return;
  out('');
  out(`Scaling exponents against A (N=${fmtCount(facts.plan.aSweepN)}, W=0)`);
  for (const line of table(
    ['mechanism', 'A range', 'sim', 'linux', 'c', 'sim − c'],
    ax.map((e) => [
      e.mechanism,
      `${fmtCount(e.range[0])}–${fmtCount(e.range[1])}`,
      fmtExp(e.sim),
      fmtExp(e.linux),
      fmtExp(e.c),
      Number.isFinite(e.sim - e.c) ? (e.sim - e.c).toFixed(2) : '—',
    ]),
  ))
    out(line);
}

type Verdict = 'met' | 'missed' | 'not measured';
const verdict = (ok: boolean | null): Verdict => (ok === null ? 'not measured' : ok ? 'met' : 'missed');

/** The largest N at which both sim and c measured an op, and both records. */
function opPair(rs: readonly BenchRecord[], op: string, pick: 'min' | 'max') {
  const ops = rs.filter((r) => r.suite === 'op' && r.mechanism === op && r.ns_per_iter !== null);
  const ns = ops
    .filter((r) => r.backend === 'sim')
    .map((r) => r.n)
    .filter((n) => ops.some((r) => r.backend === 'c' && r.n === n));
  if (ns.length === 0) return null;
  const n = pick === 'max' ? Math.max(...ns) : Math.min(...ns);
  const at = (b: BackendName) => ops.find((r) => r.backend === b && r.n === n);
  return { n, sim: at('sim')!, c: at('c')!, linux: at('linux') };
}

/** " (fastest runs: 0.42×)": the ratio of the two fastest repetitions. */
function minRatio(a: BenchRecord, b: BenchRecord): string {
  return a.ns_min && b.ns_min ? ` (fastest runs: ${(a.ns_min / b.ns_min).toFixed(2)}×)` : '';
}

export interface TargetRow {
  target: string;
  measured: string;
  verdict: Verdict;
}

export function targets(rs: readonly BenchRecord[], facts: Facts): TargetRow[] {
  const rows: TargetRow[] = [];
  const cyc = opPair(rs, 'cycle', 'min');
  const cr = cyc ? cyc.sim.ns_per_iter! / cyc.c.ns_per_iter! : null;
  rows.push({
    target: 'epoll cycle (write → epoll_wait → read, one thread) ≤ 0.1× the real kernel',
    measured: cyc
      ? `sim ${fmtNs(cyc.sim.ns_per_iter)}, c ${fmtNs(cyc.c.ns_per_iter)}: ${cr!.toFixed(2)}×${minRatio(cyc.sim, cyc.c)} (N=${cyc.n})`
      : '—',
    verdict: verdict(cr === null ? null : cr <= 0.1),
  });
  const wake = opPair(rs, 'cycle_wake', 'min');
  const wr = wake ? wake.sim.ns_per_iter! / wake.c.ns_per_iter! : null;
  rows.push({
    target: 'epoll cycle with a thread asleep in epoll_wait (cycle_wake) ≤ 0.1× the real kernel',
    measured: wake
      ? `sim ${fmtNs(wake.sim.ns_per_iter)}, c ${fmtNs(wake.c.ns_per_iter)}: ${wr!.toFixed(2)}×${minRatio(wake.sim, wake.c)}`
      : '—',
    verdict: verdict(wr === null ? null : wr <= 0.1),
  });
  for (const op of ['select0', 'poll0']) {
    const p = opPair(rs, op, 'max');
    const r = p ? p.sim.ns_per_iter! / p.c.ns_per_iter! : null;
    rows.push({
      target: `${op === 'select0' ? 'select' : 'poll'} cost per watched fd ≤ 0.25× the real kernel`,
      measured: p
        ? `sim ${(p.sim.ns_per_iter! / p.n).toFixed(1)} ns/fd, c ${(p.c.ns_per_iter! / p.n).toFixed(1)} ns/fd: ${r!.toFixed(2)}×${minRatio(p.sim, p.c)} (N=${fmtCount(p.n)})`
        : '—',
      verdict: verdict(r === null ? null : r <= 0.25),
    });
  }
  const ex = exponents(rs, facts).filter((e) => Number.isFinite(e.sim) && Number.isFinite(e.c));
  const worst = ex.reduce<(typeof ex)[number] | null>(
    (w, e) => (w === null || Math.abs(e.sim - e.c) > Math.abs(w.sim - w.c) ? e : w),
    null,
  );
  rows.push({
    target: 'scaling exponents within ±0.1 of Linux (c)',
    measured: worst
      ? `${ex.filter((e) => Math.abs(e.sim - e.c) <= 0.1).length} of ${ex.length} within; worst ${worst.mechanism} ${worst.object}: sim ${fmtExp(worst.sim)} vs c ${fmtExp(worst.c)}`
      : '—',
    verdict: verdict(worst === null ? null : Math.abs(worst.sim - worst.c) <= 0.1),
  });
  const mem = (what: string) => rs.filter((r) => r.suite === 'memory' && r.mechanism === what);
  const memRow = (what: string, label: string, limit: number) => {
    const ms = mem(what).filter((r) => r.bytes_per_unit !== undefined);
    const worstB = ms.length ? Math.max(...ms.map((r) => r.bytes_per_unit!)) : null;
    rows.push({
      target: `≤ ${limit} bytes per ${label}`,
      measured: ms.length
        ? ms.map((r) => `${fmtBytes(r.bytes_per_unit)} at N=${fmtCount(r.n)}`).join(', ')
        : '—',
      verdict: verdict(worstB === null ? null : worstB <= limit),
    });
  };
  memRow('epoll-watch', 'watched fd (epoll item)', 256);
  memRow('idle-pipe', 'idle pipe', 512);
  const tenM = mem('epoll-watch').find((r) => r.n >= 10_000_000);
  rows.push({
    target: '10 million watched fds in one process',
    measured: tenM
      ? tenM.bytes_per_unit !== undefined
        ? `${fmtCount(tenM.n)} watches: ${tenM.note}`
        : `failed: ${tenM.note}`
      : '—',
    verdict: verdict(tenM ? tenM.bytes_per_unit !== undefined : null),
  });
  for (const [op, label] of [
    ['epoll_wait0', 'epoll_wait'],
    ['ctl_mod', 'epoll_ctl (MOD)'],
    ['read', 'read'],
    ['write', 'write'],
    ['poll1', 'poll'],
  ]) {
    const ops = rs.filter((r) => r.suite === 'op' && r.mechanism === op && r.ns_per_iter !== null);
    const n = Math.min(...ops.filter((r) => r.backend === 'linux').map((r) => r.n));
    const l = ops.find((r) => r.backend === 'linux' && r.n === n);
    const cc = ops.find((r) => r.backend === 'c' && r.n === n);
    const r = l && cc ? l.ns_per_iter! / cc.ns_per_iter! : null;
    rows.push({
      target: `koffi layer ${label} ≤ 1.3× C per call`,
      measured:
        l && cc ? `koffi ${fmtNs(l.ns_per_iter)}, c ${fmtNs(cc.ns_per_iter)}: ${r!.toFixed(2)}×` : '—',
      verdict: verdict(r === null ? null : r <= 1.3),
    });
  }
  return rows;
}

function printTargets(rs: readonly BenchRecord[], facts: Facts, out: Out): void {
  const rows = targets(rs, facts).map((t) => [t.target, t.measured, t.verdict]);
  printSection(
    out,
    'Targets (read off this run; never asserted in a timed test)',
    ['target', 'measured', 'verdict'],
    rows,
    2,
  );
}

/** A titled table after a blank line; the first `left` columns are left-aligned. */
function printSection(out: Out, title: string, head: string[], rows: string[][], left: number): void {
  out('');
  out(title);
  for (const line of table(head, rows, left)) out(line);
}

export interface ClaimRow {
  claim: string;
  evidence: string;
  verdict: 'holds' | 'contradicted' | 'partly' | 'not measured';
}

export function claims(rs: readonly BenchRecord[], facts: Facts): ClaimRow[] {
  const plan = facts.plan;
  const ex = exponents(rs, facts);
  const ax = aExponents(rs, facts);
  const rows: ClaimRow[] = [];
  const e = (mech: string, kind?: ObjectKind) =>
    ex.find((x) => x.mechanism === mech && (kind === undefined || x.object === kind));
  const linear = ['select', 'poll'].map((m) => e(m)).filter((x) => x !== undefined);
  const scanOk = ['select', 'poll'].every((m) => {
    const r = rs.find(
      (x) =>
        x.suite === 'op' &&
        x.mechanism === `${m}0` &&
        x.backend === 'sim' &&
        x.counters &&
        x.ns_per_iter !== null,
    );
    return r ? c(r, 'fdsScanned') === r.n : true;
  });
  rows.push({
    claim: 'select and poll cost grows linearly with the number of watched fds',
    evidence: linear.length
      ? `${linear
          .map(
            (x) =>
              `${x.mechanism} ${x.object}: exponent c ${fmtExp(x.c)}, sim ${fmtExp(x.sim)} (N ${fmtCount(x.range[0])}–${fmtCount(x.range[1])})`,
          )
          .join('; ')}; sim fdsScanned per call = N: ${scanOk ? 'yes' : 'no'}`
      : '—',
    verdict:
      linear.length === 0 ? 'not measured' : linear.every((x) => x.c > 0.8) && scanOk ? 'holds' : 'partly',
  });
  const ep = ['epoll-lt', 'epoll-et'].map((m) => e(m)).filter((x) => x !== undefined);
  const epA = ax.filter((x) => x.mechanism === 'epoll-lt' || x.mechanism === 'epoll-et');
  rows.push({
    claim: "epoll's cost is independent of the total and grows with the number of active fds",
    evidence: ep.length
      ? `against N: ${ep.map((x) => `${x.mechanism} c ${fmtExp(x.c)}, sim ${fmtExp(x.sim)}`).join('; ')}; against A: ${epA
          .map((x) => `${x.mechanism} c ${fmtExp(x.c)}, sim ${fmtExp(x.sim)}`)
          .join('; ')}`
      : '—',
    verdict:
      ep.length === 0
        ? 'not measured'
        : ep.every((x) => Math.abs(x.c) < 0.2) && epA.every((x) => x.c > 0.5)
          ? 'holds'
          : 'partly',
  });
  const allN = plan.aSweepN;
  const at = (mech: string, b: BackendName) =>
    find(rs, { suite: 'libevent', mechanism: mech, backend: b, n: allN, active: allN, writes: 0 });
  const pollAll = at('poll', 'c');
  const ltAll = at('epoll-lt', 'c');
  const osAll = at('epoll-oneshot', 'c');
  rows.push({
    claim: 'when every fd is active epoll is no better than poll (epoll_ctl makes it worse)',
    evidence:
      pollAll && ltAll
        ? `N=A=${fmtCount(allN)} on c: epoll-lt/poll ${ratio(ltAll.ns_per_iter, pollAll.ns_per_iter)}` +
          (osAll
            ? `, epoll with an epoll_ctl re-arm per event/poll ${ratio(osAll.ns_per_iter, pollAll.ns_per_iter)}`
            : '') +
          (at('poll', 'sim') && at('epoll-lt', 'sim')
            ? `; sim: epoll-lt/poll ${ratio(at('epoll-lt', 'sim')!.ns_per_iter, at('poll', 'sim')!.ns_per_iter)}`
            : '')
        : '—',
    verdict:
      pollAll && ltAll
        ? ltAll.ns_per_iter! >= 0.8 * pollAll.ns_per_iter! &&
          (!osAll || osAll.ns_per_iter! > pollAll.ns_per_iter!)
          ? 'holds'
          : 'partly'
        : 'not measured',
  });
  const fd = facts.fdset;
  const simBig = rs.find(
    (r) =>
      r.backend === 'sim' &&
      r.ns_per_iter !== null &&
      r.n > 1024 &&
      (r.mechanism === 'select' || r.mechanism === 'select0'),
  );
  const cBig = rs.find(
    (r) => r.backend === 'c' && r.ns_per_iter !== null && r.n > 1024 && r.mechanism === 'select',
  );
  rows.push({
    claim: 'select is limited to 1024 fds',
    evidence:
      (fd
        ? `raw select(nfds=${fd.nfds}) found fd ${fd.fd} ready (ret ${fd.raw_select_ret}); glibc FD_SET(${fd.fd}) on its 1024-bit fd_set: child ${fd.glibc_fd_set_child} (${fd.glibc_fd_set_child === 'killed' ? `signal ${fd.glibc_fd_set_code}, fortify abort` : `exit ${fd.glibc_fd_set_code}`})`
        : 'no C check') +
      (cBig ? `; c select over ${fmtCount(cBig.n)} ${cBig.object}s` : '') +
      (simBig ? `; sim select over ${fmtCount(simBig.n)} ${simBig.object}s` : ''),
    verdict: fd
      ? fd.raw_select_ret === 1 && fd.raw_select_bit === 1
        ? 'contradicted'
        : 'holds'
      : 'not measured',
  });
  const copy = (op: string) =>
    rs.find(
      (r) =>
        r.suite === 'op' && r.mechanism === op && r.backend === 'sim' && r.counters !== null && r.n >= 1024,
    );
  const s0 = copy('select0');
  const p0 = copy('poll0');
  const w0 = copy('epoll_wait0');
  rows.push({
    claim: 'select and poll copy their arguments into the kernel on every call; epoll does not',
    evidence:
      s0 || p0 || w0
        ? [
            s0 &&
              `select N=${fmtCount(s0.n)}: ${fmtCount(c(s0, 'bytesCopiedIn') ?? 0)} B in, ${fmtCount(c(s0, 'bytesCopiedOut') ?? 0)} B out per call`,
            p0 &&
              `poll N=${fmtCount(p0.n)}: ${fmtCount(c(p0, 'bytesCopiedIn') ?? 0)} B in, ${fmtCount(c(p0, 'bytesCopiedOut') ?? 0)} B out`,
            w0 && `epoll_wait N=${fmtCount(w0.n)}: ${fmtCount(c(w0, 'bytesCopiedIn') ?? 0)} B in`,
          ]
            .filter(Boolean)
            .join('; ')
        : '—',
    verdict:
      s0 && p0 && w0
        ? (c(s0, 'bytesCopiedIn') ?? 0) >= Math.ceil(s0.n / 64) * 8 &&
          (c(p0, 'bytesCopiedIn') ?? 0) >= 8 * p0.n &&
          (c(w0, 'bytesCopiedIn') ?? 0) === 0
          ? 'holds'
          : 'partly'
        : 'not measured',
  });
  return rows;
}

function printClaims(rs: readonly BenchRecord[], facts: Facts, out: Out): void {
  const rows = claims(rs, facts).map((x) => [x.claim, x.verdict, x.evidence]);
  printSection(out, 'Seed claims', ['claim', 'verdict', 'evidence'], rows, 3);
}
