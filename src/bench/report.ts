// The readable report, for someone who runs `iomux bench` once and reads it top to bottom: a
// short summary first (each seed claim, its verdict and the spread of the evidence behind it),
// then the tables (backends side by side, medians and the fastest repetitions, the simulated
// kernel's counters apart), the scaling exponents with their spread, and the notes. The project's
// own targets for the simulator come only with --targets.
//
// Every verdict that rests on timings reads its spread, never one number: an exponent or a ratio
// is given as the median of a bootstrap over the repetitions with its 5th–95th percentile, and
// where that interval reaches across the line drawn the verdict says so ("within noise" for an
// exponent against C's ±0.1, "unclear (noise)" for a claim or a target). A --quick run
// (three sizes, five repetitions) marks every verdict "indicative". No line passes 120 columns.

import type { Facts } from './run.ts';
import {
  against,
  bootstrap,
  fmtBytes,
  fmtCount,
  fmtNs,
  fmtSpread,
  logLogSlope,
  NBSP,
  RESAMPLES,
  type Spread,
} from './stats.ts';
import {
  type BackendName,
  type BenchRecord,
  type Mechanism,
  OBJECT_PLURAL,
  OBJECTS,
  type ObjectKind,
} from './types.ts';

type Out = (line: string) => void;
type Rec = BenchRecord | undefined;

/** The widest line the report prints (a test holds every line of a --quick report to it). */
export const REPORT_WIDTH = 120;

export interface ReportOptions {
  /** Add the project's targets for the simulated kernel (ratios against C). */
  targets: boolean;
}

// ---- layout -------------------------------------------------------------------------------------

/** Words of `text` in lines of at most `width` columns; continuation lines start with `indent`. */
export function wrap(text: string, width = REPORT_WIDTH, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  // Split at ordinary spaces only: a no-break space (in a spread) holds its words together.
  for (let word of text.split(/[ \t\n]+/).filter(Boolean)) {
    for (;;) {
      const prefix = line ? `${line} ` : lines.length > 0 ? indent : '';
      if ((prefix + word).length <= width) {
        line = prefix + word;
        break;
      }
      if (line) {
        lines.push(line);
        line = '';
        continue;
      }
      // A word longer than a whole line (a long path in a note) is cut.
      const room = width - prefix.length;
      lines.push(prefix + word.slice(0, room));
      word = word.slice(room);
      if (!word) break;
    }
  }
  if (line) lines.push(line);
  return lines.length > 0 ? lines : [''];
}

export interface TableOptions {
  /** The first `left` columns are left-aligned, the others right-aligned. */
  left?: number;
  /** A column whose text wraps so the table fits in `width` (its continuation lines under it). */
  wrap?: number;
  width?: number;
}

/** A fixed-width table, header and rule first. */
export function table(head: string[], rows: string[][], opts: TableOptions = {}): string[] {
  const left = opts.left ?? 1;
  const width = opts.width ?? REPORT_WIDTH;
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  if (opts.wrap !== undefined) {
    const others = widths.reduce((a, w, i) => (i === opts.wrap ? a : a + w), 0) + 2 * (head.length - 1);
    widths[opts.wrap] = Math.max(head[opts.wrap].length, Math.min(widths[opts.wrap], width - others, width));
  }
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i < left ? (c ?? '').padEnd(widths[i]) : (c ?? '').padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const lines = [fmt(head), widths.map((w) => '─'.repeat(w)).join('  ')];
  for (const r of rows) {
    if (opts.wrap === undefined) {
      lines.push(fmt(r));
      continue;
    }
    const parts = wrap(r[opts.wrap] ?? '', widths[opts.wrap], '  ');
    lines.push(fmt(r.map((c, i) => (i === opts.wrap ? parts[0] : c))));
    for (const p of parts.slice(1)) lines.push(fmt(r.map((_, i) => (i === opts.wrap ? p : ''))));
  }
  return lines;
}

/** A titled table after a blank line. */
function section(out: Out, title: string, head: string[], rows: string[][], opts: TableOptions = {}): void {
  if (rows.length === 0) return;
  out('');
  for (const l of wrap(title)) out(l);
  for (const l of table(head, rows, opts)) out(l);
}

const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
  a && b ? `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×` : '—';

/** One point's record on each backend: sim, linux (koffi), c. */
function byBackend(at: (b: BackendName) => Rec): [Rec, Rec, Rec] {
  return [at('sim'), at('linux'), at('c')];
}

const TIME_HEADS = ['sim', 'sim min', 'linux', 'c', 'c min', 'sim/c', 'sim/c min', 'linux/c'];

/** The time columns every table shares: medians and fastest repetitions, and their ratios to C. */
function timeCells(s: Rec, l: Rec, cc: Rec): string[] {
  return [
    s?.note && s.ns_per_iter === null ? '(failed)' : fmtNs(s?.ns_per_iter),
    fmtNs(s?.ns_min),
    fmtNs(l?.ns_per_iter),
    fmtNs(cc?.ns_per_iter),
    fmtNs(cc?.ns_min),
    ratio(s?.ns_per_iter, cc?.ns_per_iter),
    ratio(s?.ns_min, cc?.ns_min),
    ratio(l?.ns_per_iter, cc?.ns_per_iter),
  ];
}

const c = (r: Rec, key: string): number | undefined =>
  r?.counters ? (r.counters as Record<string, number>)[key] : undefined;

/** Every repetition of a record (an older record without them: its median alone). */
const repsOf = (r: BenchRecord): number[] =>
  r.reps.length > 0 ? r.reps : r.ns_per_iter !== null ? [r.ns_per_iter] : [];

const fmtRange = (lo: number, hi: number) => `${fmtCount(lo)}–${fmtCount(hi)}`;

/** 42 s, 12 min, 1 h 05 min. */
function fmtDuration(s: number): string {
  if (s < 120) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${(s / 60).toFixed(0)} min`;
  return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** " (indicative)" on a --quick run's verdicts. */
function mark(facts: Facts): string {
  return facts.plan.quick ? ' (indicative)' : '';
}

// ---- the report ---------------------------------------------------------------------------------

export function printReport(
  rs: readonly BenchRecord[],
  facts: Facts,
  out: Out,
  opts: ReportOptions = { targets: false },
): void {
  const plan = facts.plan;
  const para = (text: string, indent = '') => {
    for (const l of wrap(text, REPORT_WIDTH, indent)) out(l);
  };
  out('');
  para('iomux bench — the simulated kernel (sim), the real kernel through koffi (linux) and from C (c)');
  if (facts.linux)
    para(
      `RLIMIT_NOFILE ${facts.linux.soft} (hard ${facts.linux.hard}); real-kernel N up to ` +
        `${fmtCount(facts.linux.maxObjects.pipe)} pipes, ${fmtCount(facts.linux.maxObjects.eventfd)} eventfds.`,
    );
  para(
    `Times: the median of ${plan.reps} repetitions ("min": the fastest), each point after ` +
      (plan.warmupNs === undefined ? 'one untimed iteration' : `${fmtNs(plan.warmupNs)} of untimed warm-up`) +
      (facts.seconds === undefined ? '' : `; the run took ${fmtDuration(facts.seconds)}`) +
      `. [a, b]: the 5th–95th percentile of ` +
      `${RESAMPLES} bootstrap resamples of the repetitions.` +
      (plan.quick
        ? ` A --quick run: ${plan.nSweep.length} sizes and ${plan.reps} repetitions a point, so every verdict is ` +
          'indicative only.'
        : ''),
  );

  printSummary(rs, facts, out);
  if (opts.targets) printTargets(rs, facts, out);
  else {
    out('');
    para("The project's own targets for the simulated kernel (ratios against C): add --targets.");
  }
  printLibevent(rs, facts, out);
  printOps(rs, out);
  printMemory(rs, out);
  printExponents(rs, facts, out);
  if (facts.notes.length > 0) {
    out('');
    out('Notes');
    for (const n of facts.notes) para(`- ${n}`, '  ');
  }
}

// ---- the tables ---------------------------------------------------------------------------------

function printLibevent(rs: readonly BenchRecord[], facts: Facts, out: Out): void {
  const plan = facts.plan;
  const lib = rs.filter((r) => r.suite === 'libevent');
  const objects = [...new Set(lib.map((r) => r.object))];
  const mechs = [...new Set(lib.map((r) => r.mechanism))] as Mechanism[];
  const failed: string[] = [];
  const counterRows: string[][] = [];
  for (const kind of objects) {
    const rows: string[][] = [];
    for (const mech of mechs) {
      const pts = lib.filter(
        (r) =>
          r.object === kind &&
          r.mechanism === mech &&
          r.writes === plan.nSweepWrites &&
          r.active === plan.nSweepActive,
      );
      for (const n of [...new Set(pts.map((r) => r.n))].sort((a, b) => a - b)) {
        const [s, l, cc] = byBackend((b) => pts.find((r) => r.n === n && r.backend === b));
        rows.push([mech, fmtCount(n), ...timeCells(s, l, cc)]);
        for (const r of [s, l, cc])
          if (r?.note && r.ns_per_iter === null)
            failed.push(`${mech} ${kind} N=${fmtCount(n)} ${r.backend}: ${r.note}`);
        if (s?.counters) {
          const calls = s.calls_per_iter ?? 1;
          const per = (key: string) => fmtCount(perCall(c(s, key), calls));
          counterRows.push([
            kind,
            mech,
            fmtCount(n),
            fmtCount(s.calls_per_iter, 2),
            per('fdsScanned'),
            per('fopPollCalls'),
            per('bytesCopiedIn'),
            per('bytesCopiedOut'),
            per('waitEntriesAdded'),
          ]);
        }
      }
    }
    section(
      out,
      `libevent model, ${OBJECT_PLURAL[kind]}: N watched, A=${plan.nSweepActive} active, W=${plan.nSweepWrites} chained writes; ` +
        'time per iteration (run_once)',
      ['mechanism', 'N', ...TIME_HEADS],
      rows,
    );
  }
  section(
    out,
    'The simulated kernel in the libevent model: calls per iteration, counters per multiplexer call',
    ['object', 'mechanism', 'N', 'calls', 'scanned', 'f_op->poll', 'bytes in', 'bytes out', 'wait adds'],
    counterRows,
    { left: 2 },
  );

  // ---- the A sweep ----
  const aKind = objects[0];
  const aRows: string[][] = [];
  const aCounters: string[][] = [];
  for (const mech of mechs) {
    const pts = lib.filter(
      (r) => r.object === aKind && r.mechanism === mech && r.writes === 0 && r.n === plan.aSweepN,
    );
    for (const a of [...new Set(pts.map((r) => r.active))].sort((x, y) => x - y)) {
      const [s, l, cc] = byBackend((b) => pts.find((r) => r.active === a && r.backend === b));
      aRows.push([mech, fmtCount(a), ...timeCells(s, l, cc)]);
      for (const r of [s, l, cc])
        if (r?.note && r.ns_per_iter === null)
          failed.push(`${mech} ${aKind} A=${fmtCount(a)} ${r.backend}: ${r.note}`);
      if (s?.counters)
        aCounters.push([
          mech,
          fmtCount(a),
          fmtCount(s.calls_per_iter, 2),
          fmtCount(c(s, 'fopPollCalls')),
          fmtCount(c(s, 'syscalls')),
          fmtNs(s.ns_per_event),
          fmtNs(cc?.ns_per_event),
        ]);
    }
  }
  section(
    out,
    `libevent model against A: ${OBJECT_PLURAL[aKind]}, N=${fmtCount(plan.aSweepN)}, W=0; time per iteration (A reads)`,
    ['mechanism', 'A', ...TIME_HEADS],
    aRows,
  );
  section(
    out,
    'The same: the simulated kernel per iteration (multiplexer calls, f_op->poll calls, system calls), time per read',
    ['mechanism', 'A', 'calls', 'f_op->poll', 'syscalls', 'sim/event', 'c/event'],
    aCounters,
  );
  if (failed.length > 0) {
    out('');
    out('Points that could not be measured');
    for (const f of failed) for (const l of wrap(`- ${f}`, REPORT_WIDTH, '  ')) out(l);
  }
}

function printOps(rs: readonly BenchRecord[], out: Out): void {
  const ops = rs.filter((r) => r.suite === 'op');
  const rows: string[][] = [];
  const counters: string[][] = [];
  for (const key of [...new Set(ops.map((r) => `${r.mechanism}|${r.object}|${r.n}`))]) {
    const [op, object, nStr] = key.split('|');
    const n = Number(nStr);
    const [s, l, cc] = byBackend((b) =>
      ops.find((r) => r.mechanism === op && r.object === object && r.n === n && r.backend === b),
    );
    rows.push([op, object, fmtCount(n), ...timeCells(s, l, cc)]);
    if (s?.counters)
      counters.push([
        op,
        object,
        fmtCount(n),
        fmtCount(c(s, 'fdsScanned')),
        fmtCount(c(s, 'fopPollCalls')),
        fmtCount(c(s, 'bytesCopiedIn')),
        fmtCount(c(s, 'bytesCopiedOut')),
        fmtCount(c(s, 'callbacksInvoked')),
        fmtCount(c(s, 'rbtreeCompares')),
      ]);
  }
  section(out, 'Single operations: time per call', ['op', 'object', 'N', ...TIME_HEADS], rows, { left: 2 });
  section(
    out,
    'Single operations: the simulated kernel per call',
    ['op', 'object', 'N', 'scanned', 'f_op->poll', 'bytes in', 'bytes out', 'callbacks', 'rb compares'],
    counters,
    { left: 2 },
  );
}

function printMemory(rs: readonly BenchRecord[], out: Out): void {
  const mem = rs.filter((r) => r.suite === 'memory');
  section(
    out,
    'Memory of the simulated kernel (heap + external, after gc, in a child process)',
    ['what', 'N', 'bytes each', 'how'],
    mem.map((r) => [r.mechanism, fmtCount(r.n), fmtBytes(r.bytes_per_unit), r.note ?? '']),
    { wrap: 3 },
  );
}

function perCall(x: number | undefined, calls: number): number | undefined {
  return x === undefined ? undefined : x / calls;
}

// ---- scaling exponents --------------------------------------------------------------------------

/** How a simulated exponent stands against C's: the spread of their difference against ±0.1. */
export type Agreement = 'within ±0.1' | 'within noise' | 'differs' | 'not measured';

export interface ExponentRow {
  mechanism: string;
  object: ObjectKind;
  /** Against N (A fixed, W chained writes) or against A (N fixed, W = 0). */
  by: 'n' | 'active';
  range: [number, number];
  sim: Spread | null;
  linux: Spread | null;
  c: Spread | null;
  /** sim − c, each resample drawing both again. */
  diff: Spread | null;
  agreement: Agreement;
}

interface Series {
  mechanism: string;
  object: ObjectKind;
  backend: BackendName;
  writes: number;
  active?: number;
  n?: number;
}

/** A measured libevent record of the series `s` (its mechanism, object, W and A) on backend `b`. */
function inSeries(r: BenchRecord, s: Omit<Series, 'backend'>, b: BackendName): boolean {
  return (
    r.suite === 'libevent' &&
    r.ns_per_iter !== null &&
    r.mechanism === s.mechanism &&
    r.object === s.object &&
    r.backend === b &&
    r.writes === s.writes &&
    (s.active === undefined || r.active === s.active)
  );
}

/** The points of one series with x in [lo, hi]: x and every repetition. */
function seriesPoints(
  rs: readonly BenchRecord[],
  s: Series,
  by: 'n' | 'active',
  lo: number,
  hi: number,
): { x: number; reps: number[] }[] {
  return rs
    .filter(
      (r) => inSeries(r, s, s.backend) && (s.n === undefined || r.n === s.n) && r[by] >= lo && r[by] <= hi,
    )
    .map((r) => ({ x: r[by], reps: repsOf(r) }))
    .sort((a, b) => a.x - b.x);
}

const slopeOf = (xs: readonly number[]) => (meds: readonly number[]) =>
  logLogSlope(xs.map((x, i) => ({ x, y: meds[i] })));

/** The scaling exponent of a series over [lo, hi] (slope of log time against log x), with its spread. */
export function exponentSpread(
  rs: readonly BenchRecord[],
  s: Series,
  by: 'n' | 'active',
  lo: number,
  hi: number,
): Spread | null {
  const pts = seriesPoints(rs, s, by, lo, hi);
  if (new Set(pts.map((p) => p.x)).size < 2) return null;
  return bootstrap(
    pts.map((p) => p.reps),
    slopeOf(pts.map((p) => p.x)),
  );
}

/** The spread of exponent(a) − exponent(b), both series resampled together. */
function diffSpread(
  rs: readonly BenchRecord[],
  a: Series,
  b: Series,
  by: 'n' | 'active',
  lo: number,
  hi: number,
): Spread | null {
  const pa = seriesPoints(rs, a, by, lo, hi);
  const pb = seriesPoints(rs, b, by, lo, hi);
  if (new Set(pa.map((p) => p.x)).size < 2 || new Set(pb.map((p) => p.x)).size < 2) return null;
  const sa = slopeOf(pa.map((p) => p.x));
  const sb = slopeOf(pb.map((p) => p.x));
  return bootstrap(
    [...pa, ...pb].map((p) => p.reps),
    (meds) => sa(meds.slice(0, pa.length)) - sb(meds.slice(pa.length)),
  );
}

export function agreement(diff: Spread | null): Agreement {
  if (!diff) return 'not measured';
  const where = against(diff, -0.1, 0.1);
  return where === 'inside' ? 'within ±0.1' : where === 'outside' ? 'differs' : 'within noise';
}

/** The sizes a backend measured for a series. */
function sizesOf(rs: readonly BenchRecord[], s: Omit<Series, 'backend'>, b: BackendName): number[] {
  return [...new Set(rs.filter((r) => inSeries(r, s, b)).map((r) => r.n))].sort((a, b2) => a - b2);
}

/** From N = 1024 up (fixed per-call costs dominate below); at least the two largest points. */
function upperRange(ns: readonly number[]): [number, number] | null {
  const upper = ns.filter((n) => n >= 1024);
  const pts = upper.length >= 2 ? upper : ns.slice(-2);
  return pts.length >= 2 ? [pts[0], pts.at(-1)!] : null;
}

/** Exponents against N over the range both the simulator and C measured. */
export function exponents(rs: readonly BenchRecord[], facts: Facts): ExponentRow[] {
  const plan = facts.plan;
  const out: ExponentRow[] = [];
  const lib = rs.filter(
    (r) => r.suite === 'libevent' && r.writes === plan.nSweepWrites && r.active === plan.nSweepActive,
  );
  for (const object of [...new Set(lib.map((r) => r.object))])
    for (const mechanism of [...new Set(lib.map((r) => r.mechanism))]) {
      const base = { mechanism, object, writes: plan.nSweepWrites, active: plan.nSweepActive };
      const sim = new Set(sizesOf(rs, base, 'sim'));
      const range = upperRange(sizesOf(rs, base, 'c').filter((n) => sim.has(n)));
      if (!range) continue;
      out.push(exponentRow(rs, base, 'n', range));
    }
  return out;
}

/** One series' exponents on every backend over `range`, and the simulator's difference from C's. */
function exponentRow(
  rs: readonly BenchRecord[],
  base: Omit<Series, 'backend'>,
  by: 'n' | 'active',
  range: [number, number],
): ExponentRow {
  const at = (backend: BackendName) => exponentSpread(rs, { ...base, backend }, by, ...range);
  const diff = diffSpread(rs, { ...base, backend: 'sim' }, { ...base, backend: 'c' }, by, ...range);
  return {
    mechanism: base.mechanism,
    object: base.object,
    by,
    range,
    sim: at('sim'),
    linux: at('linux'),
    c: at('c'),
    diff,
    agreement: agreement(diff),
  };
}

/** Exponents against A (N fixed, W = 0), from A = 16 up. */
export function aExponents(rs: readonly BenchRecord[], facts: Facts): ExponentRow[] {
  const plan = facts.plan;
  const lib = rs.filter((r) => r.suite === 'libevent' && r.writes === 0 && r.n === plan.aSweepN);
  const lo = Math.min(16, plan.aSweepN);
  const range: [number, number] = [lo, plan.aSweepN];
  return [...new Set(lib.map((r) => r.mechanism))].map((mechanism) => {
    const object = lib.find((r) => r.mechanism === mechanism)!.object;
    return exponentRow(rs, { mechanism, object, writes: 0, n: plan.aSweepN }, 'active', range);
  });
}

function printExponents(rs: readonly BenchRecord[], facts: Facts, out: Out): void {
  const plan = facts.plan;
  const row = (e: ExponentRow, first: string[]) => [
    ...first,
    fmtSpread(e.sim),
    fmtSpread(e.c),
    fmtSpread(e.diff),
    e.agreement,
  ];
  // A --quick run's verdicts are marked in the column's head (each row would pass 120 columns).
  const verdictHead = `verdict${mark(facts)}`;
  const ex = exponents(rs, facts);
  section(
    out,
    `Scaling exponents: slope of log(time per iteration) against log N (A=${plan.nSweepActive}, ` +
      `W=${plan.nSweepWrites}), over the sizes both sim and c measured; sim − c against ±0.1`,
    ['mechanism', 'object', 'N range', 'sim', 'c', 'sim − c', verdictHead],
    ex.map((e) => row(e, [e.mechanism, e.object, fmtRange(...e.range)])),
    { left: 3 },
  );
  // Where the simulator alone reaches further (to 1 000 000 in a full run).
  const further: string[][] = [];
  for (const e of ex) {
    const base = {
      mechanism: e.mechanism,
      object: e.object,
      writes: plan.nSweepWrites,
      active: plan.nSweepActive,
    };
    const range = upperRange(sizesOf(rs, base, 'sim'));
    if (!range || range[1] <= e.range[1]) continue;
    further.push([
      e.mechanism,
      e.object,
      fmtRange(...range),
      fmtSpread(exponentSpread(rs, { ...base, backend: 'sim' }, 'n', ...range)),
    ]);
  }
  section(
    out,
    'The simulator alone, over its whole range from N = 1,024',
    ['mechanism', 'object', 'N range', 'sim'],
    further,
    { left: 3 },
  );
  const ax = aExponents(rs, facts);
  section(
    out,
    `Scaling exponents against A (N=${fmtCount(plan.aSweepN)}, W=0)`,
    ['mechanism', 'A range', 'sim', 'c', 'sim − c', verdictHead],
    ax.map((e) => row(e, [e.mechanism, fmtRange(...e.range)])),
  );
}

// ---- the seed claims: the summary ---------------------------------------------------------------

export type ClaimVerdict = 'holds' | 'partly' | 'contradicted' | 'unclear (noise)' | 'not measured';

export interface ClaimRow {
  claim: string;
  verdict: ClaimVerdict;
  /** The evidence, with the spread of each timed figure. */
  evidence: string;
}

/** A verdict from several tests, each inside (the claim's side), outside, or across a line. */
function combine(parts: readonly ('inside' | 'outside' | 'across')[]): ClaimVerdict {
  if (parts.length === 0) return 'not measured';
  if (parts.every((p) => p === 'inside')) return 'holds';
  if (parts.every((p) => p === 'outside')) return 'contradicted';
  if (parts.some((p) => p === 'outside')) return 'partly';
  return 'unclear (noise)';
}

/** The spread of a ratio of two records' medians. */
function ratioSpread(a: BenchRecord, b: BenchRecord): Spread | null {
  return bootstrap([repsOf(a), repsOf(b)], ([x, y]) => x / y);
}

export function claims(rs: readonly BenchRecord[], facts: Facts): ClaimRow[] {
  const plan = facts.plan;
  const ex = exponents(rs, facts);
  const ax = aExponents(rs, facts);
  const rows: ClaimRow[] = [];
  // The claims are about one object kind: pipes where measured, else the first measured.
  const kinds = [...new Set(ex.map((x) => x.object))];
  const kind: ObjectKind | undefined = kinds.includes('pipe') ? 'pipe' : kinds[0];
  const e = (mech: string) => ex.find((x) => x.mechanism === mech && x.object === kind);
  const exps = (xs: ExponentRow[], key: 'c' | 'sim') =>
    xs.map((x) => `${x.mechanism} ${fmtSpread(x[key])}`).join(', ');

  // 1. select and poll: linear in N.
  const linear = ['select', 'poll'].map(e).filter((x) => x?.c) as ExponentRow[];
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
  const linParts = linear.map((x) => against(x.c!, 0.8, Number.POSITIVE_INFINITY));
  rows.push({
    claim: 'select and poll cost grows linearly with the number of watched fds',
    verdict: scanOk ? combine(linParts) : linParts.length ? 'partly' : 'not measured',
    evidence: linear.length
      ? `exponent against N (${OBJECT_PLURAL[kind!]}, N ${fmtRange(...linear[0].range)}), c: ${exps(linear, 'c')}; ` +
        `sim: ${exps(linear, 'sim')}; the simulator scans ${scanOk ? 'exactly N' : 'not N'} fds per call`
      : '—',
  });

  // 2. epoll: flat in N, growing with A.
  const ep = ['epoll-lt', 'epoll-et'].map(e).filter((x) => x?.c) as ExponentRow[];
  const epA = ax.filter((x) => (x.mechanism === 'epoll-lt' || x.mechanism === 'epoll-et') && x.c);
  rows.push({
    claim: "epoll's cost is independent of the total number of fds and grows with the active ones",
    verdict: combine([
      ...ep.map((x) => against(x.c!, -0.2, 0.2)),
      ...epA.map((x) => against(x.c!, 0.5, Number.POSITIVE_INFINITY)),
    ]),
    evidence: ep.length
      ? `exponent against N (${OBJECT_PLURAL[kind!]}, N ${fmtRange(...ep[0].range)}), c: ${exps(ep, 'c')}; sim: ${exps(ep, 'sim')}` +
        (epA.length
          ? `; against A (N=${fmtCount(plan.aSweepN)}, A ${fmtRange(...epA[0].range)}), c: ${exps(epA, 'c')}; ` +
            `sim: ${exps(epA, 'sim')}`
          : '')
      : '—',
  });

  // 3. every fd active: epoll no better than poll, epoll_ctl worse.
  const allN = plan.aSweepN;
  const at = (mech: string, b: BackendName) =>
    rs.find(
      (r) =>
        r.suite === 'libevent' &&
        r.ns_per_iter !== null &&
        r.mechanism === mech &&
        r.backend === b &&
        r.n === allN &&
        r.active === allN &&
        r.writes === 0,
    );
  const pollAll = at('poll', 'c');
  const ltAll = at('epoll-lt', 'c');
  const osAll = at('epoll-oneshot', 'c');
  const lt = pollAll && ltAll ? ratioSpread(ltAll, pollAll) : null;
  const os = pollAll && osAll ? ratioSpread(osAll, pollAll) : null;
  const simLt =
    at('poll', 'sim') && at('epoll-lt', 'sim')
      ? ratioSpread(at('epoll-lt', 'sim')!, at('poll', 'sim')!)
      : null;
  rows.push({
    claim: 'when every fd is active epoll is no better than poll, and epoll_ctl makes it worse',
    verdict: lt
      ? combine([
          against(lt, 0.8, Number.POSITIVE_INFINITY),
          ...(os ? [against(os, 1, Number.POSITIVE_INFINITY)] : []),
        ])
      : 'not measured',
    evidence: lt
      ? `N = A = ${fmtCount(allN)}, time of epoll-lt / poll on c: ${fmtSpread(lt)}` +
        (os ? `; epoll with an epoll_ctl re-arm per event (oneshot) / poll: ${fmtSpread(os)}` : '') +
        (simLt ? `; sim: epoll-lt / poll ${fmtSpread(simLt)}` : '')
      : '—',
  });

  // 4. select and FD_SETSIZE: a fact of the C program, no timing.
  const fd = facts.fdset;
  const big = (b: BackendName) =>
    rs.find(
      (r) =>
        r.backend === b &&
        r.ns_per_iter !== null &&
        r.n > 1024 &&
        (r.mechanism === 'select' || r.mechanism === 'select0'),
    );
  const cBig = big('c');
  const simBig = big('sim');
  rows.push({
    claim: 'select is limited to 1024 fds',
    verdict: fd
      ? fd.raw_select_ret === 1 && fd.raw_select_bit === 1
        ? 'contradicted'
        : 'holds'
      : 'not measured',
    evidence:
      (fd
        ? `the raw system call select(nfds=${fd.nfds}) finds fd ${fd.fd} ready (ret ${fd.raw_select_ret}); ` +
          `the limit is glibc's 1024-bit fd_set: FD_SET(${fd.fd}) ${
            fd.glibc_fd_set_child === 'killed'
              ? `kills the child (signal ${fd.glibc_fd_set_code}, _FORTIFY_SOURCE)`
              : `lets the child exit ${fd.glibc_fd_set_code}`
          }`
        : 'no C check') +
      (cBig ? `; c selects over ${fmtCount(cBig.n)} ${OBJECT_PLURAL[cBig.object]}` : '') +
      (simBig ? `, sim over ${fmtCount(simBig.n)}` : ''),
  });

  // 5. argument copies: the simulator's counters, no timing.
  const copy = (op: string) =>
    rs.find(
      (r) =>
        r.suite === 'op' && r.mechanism === op && r.backend === 'sim' && r.counters !== null && r.n >= 1024,
    );
  const s0 = copy('select0');
  const p0 = copy('poll0');
  const w0 = copy('epoll_wait0');
  const bytes = (r: BenchRecord, key: string) => fmtCount(c(r, key) ?? 0);
  rows.push({
    claim: 'select and poll copy their arguments into the kernel on every call; epoll does not',
    verdict:
      s0 && p0 && w0
        ? (c(s0, 'bytesCopiedIn') ?? 0) >= Math.ceil(s0.n / 64) * 8 &&
          (c(p0, 'bytesCopiedIn') ?? 0) >= 8 * p0.n &&
          (c(w0, 'bytesCopiedIn') ?? 0) === 0
          ? 'holds'
          : 'partly'
        : 'not measured',
    evidence:
      [
        s0 &&
          `select N=${fmtCount(s0.n)}: ${bytes(s0, 'bytesCopiedIn')} B in, ${bytes(s0, 'bytesCopiedOut')} B out per call`,
        p0 && `poll: ${bytes(p0, 'bytesCopiedIn')} B in, ${bytes(p0, 'bytesCopiedOut')} B out`,
        w0 && `epoll_wait: ${bytes(w0, 'bytesCopiedIn')} B in (the simulator's counters)`,
      ]
        .filter(Boolean)
        .join('; ') || '—',
  });
  return rows;
}

function printSummary(rs: readonly BenchRecord[], facts: Facts, out: Out): void {
  out('');
  out(
    `Summary: the seed claims, as this run measured them${facts.plan.quick ? ' (indicative: a --quick run)' : ''}`,
  );
  for (const [i, x] of claims(rs, facts).entries()) {
    const verdict = x.verdict.toUpperCase() + (x.verdict === 'not measured' ? '' : mark(facts));
    for (const l of wrap(`${i + 1}. ${x.claim}: ${verdict}`, REPORT_WIDTH, '   ')) out(l);
    for (const l of wrap(x.evidence, REPORT_WIDTH - 3, '')) out(`   ${l}`);
  }
}

// ---- the project's targets (--targets) ----------------------------------------------------------

type Verdict = 'met' | 'missed' | 'unclear (noise)' | 'not measured';

export interface TargetRow {
  target: string;
  measured: string;
  verdict: Verdict;
}

/** An op measured by both sim and c at the smallest or largest N they share. */
function opPair(rs: readonly BenchRecord[], op: string, pick: 'min' | 'max') {
  const ops = rs.filter((r) => r.suite === 'op' && r.mechanism === op && r.ns_per_iter !== null);
  const ns = ops
    .filter((r) => r.backend === 'sim')
    .map((r) => r.n)
    .filter((n) => ops.some((r) => r.backend === 'c' && r.n === n));
  if (ns.length === 0) return null;
  const n = pick === 'max' ? Math.max(...ns) : Math.min(...ns);
  const at = (b: BackendName) => ops.find((r) => r.backend === b && r.n === n);
  return { n, sim: at('sim')!, c: at('c')! };
}

/** A target on a ratio: met / missed from the spread; unclear where it reaches across the limit. */
function ratioVerdict(s: Spread | null, limit: number): Verdict {
  if (!s) return 'not measured';
  const w = against(s, 0, limit);
  return w === 'inside' ? 'met' : w === 'outside' ? 'missed' : 'unclear (noise)';
}

const fmtRatio = (s: Spread | null) =>
  s ? `${s.median.toFixed(2)}×${NBSP}[${s.lo.toFixed(2)},${NBSP}${s.hi.toFixed(2)}]` : '—';

/** The simulated processes a memory record spread its objects over (an older record: from its note). */
function processesOf(r: BenchRecord): number {
  return r.processes ?? Number(/^(\d+) simulated process/.exec(r.note ?? '')?.[1] ?? 1);
}

export function targets(rs: readonly BenchRecord[], facts: Facts): TargetRow[] {
  const rows: TargetRow[] = [];
  const opRatio = (op: string, pick: 'min' | 'max', limit: number, what: string, perFd: boolean) => {
    const p = opPair(rs, op, pick);
    const s = p ? ratioSpread(p.sim, p.c) : null;
    const per = (r: BenchRecord, x: number | null) =>
      perFd ? `${((x ?? 0) / r.n).toFixed(1)} ns/fd` : fmtNs(x);
    rows.push({
      target: `${what} ≤ ${limit}× c`,
      measured: p
        ? `sim ${per(p.sim, p.sim.ns_per_iter)}, c ${per(p.c, p.c.ns_per_iter)}: ${fmtRatio(s)}; ` +
          `fastest runs ${ratio(p.sim.ns_min, p.c.ns_min)} (${OBJECT_PLURAL[p.sim.object]}, N=${fmtCount(p.n)})`
        : '—',
      verdict: ratioVerdict(s, limit),
    });
  };
  opRatio('cycle', 'min', 0.1, 'epoll cycle (write, epoll_wait, read; one thread)', false);
  opRatio('cycle_wake', 'min', 0.25, 'the cycle with a thread asleep in epoll_wait (cycle_wake)', false);
  opRatio('select0', 'max', 0.25, 'select cost per watched fd', true);
  opRatio('poll0', 'max', 0.25, 'poll cost per watched fd', true);

  // Every libevent point at N ≥ 256, per object kind: its worst point.
  for (const kind of OBJECTS) {
    const pts = rs.filter(
      (r) =>
        r.suite === 'libevent' &&
        r.backend === 'sim' &&
        r.object === kind &&
        r.ns_per_iter !== null &&
        r.n >= 256,
    );
    const pairs = pts
      .map((s) => ({
        s,
        c: rs.find(
          (r) =>
            r.suite === 'libevent' &&
            r.backend === 'c' &&
            r.ns_per_iter !== null &&
            r.object === kind &&
            r.mechanism === s.mechanism &&
            r.n === s.n &&
            r.active === s.active &&
            r.writes === s.writes,
        ),
      }))
      .filter((p): p is { s: BenchRecord; c: BenchRecord } => p.c !== undefined)
      .map((p) => ({ ...p, r: p.s.ns_per_iter! / p.c.ns_per_iter!, spread: ratioSpread(p.s, p.c) }));
    const worst = pairs.reduce<(typeof pairs)[number] | null>((w, p) => (!w || p.r > w.r ? p : w), null);
    const verdicts = pairs.map((p) => ratioVerdict(p.spread, 0.5));
    rows.push({
      target: `every libevent point at N ≥ 256, ${OBJECT_PLURAL[kind]}: sim ≤ 0.5× c`,
      measured: worst
        ? `worst ${worst.s.mechanism} N=${fmtCount(worst.s.n)} A=${fmtCount(worst.s.active)} ` +
          `W=${worst.s.writes}: ${fmtRatio(worst.spread)}; of ${pairs.length} points ` +
          `${verdicts.filter((v) => v === 'met').length} met, ` +
          `${verdicts.filter((v) => v === 'unclear (noise)').length} unclear, ` +
          `${verdicts.filter((v) => v === 'missed').length} missed`
        : '—',
      verdict: !worst
        ? 'not measured'
        : verdicts.includes('missed')
          ? 'missed'
          : verdicts.includes('unclear (noise)')
            ? 'unclear (noise)'
            : 'met',
    });
  }

  const mem = (what: string) => rs.filter((r) => r.suite === 'memory' && r.mechanism === what);
  const memRow = (what: string, label: string, limit: number) => {
    const ms = mem(what).filter((r) => r.bytes_per_unit !== undefined);
    const worstB = ms.length ? Math.max(...ms.map((r) => r.bytes_per_unit!)) : null;
    rows.push({
      target: `≤ ${limit} bytes per ${label}`,
      measured: ms.length
        ? ms.map((r) => `${fmtBytes(r.bytes_per_unit)} at N=${fmtCount(r.n)}`).join(', ')
        : '—',
      verdict: worstB === null ? 'not measured' : worstB <= limit ? 'met' : 'missed',
    });
  };
  memRow('epoll-watch', 'epoll watch', 256);
  memRow('idle-pipe', 'idle pipe', 384);
  const tenM = mem('epoll-watch').find((r) => r.n >= 10_000_000);
  rows.push({
    target: '10 million watched fds in one process',
    measured: tenM
      ? tenM.bytes_per_unit !== undefined
        ? `${fmtCount(tenM.n)} watches: ${tenM.note}`
        : `failed: ${tenM.note}`
      : '—',
    verdict: !tenM
      ? 'not measured'
      : tenM.bytes_per_unit !== undefined && processesOf(tenM) === 1
        ? 'met'
        : 'missed',
  });

  const ex = [...exponents(rs, facts), ...aExponents(rs, facts)].filter(
    (x) => x.agreement !== 'not measured',
  );
  const count = (a: Agreement) => ex.filter((x) => x.agreement === a).length;
  const worst = ex
    .filter((x) => x.agreement === 'differs')
    .reduce<ExponentRow | null>(
      (w, x) => (!w || Math.abs(x.diff!.median) > Math.abs(w.diff!.median) ? x : w),
      null,
    );
  rows.push({
    target: 'scaling exponents within ±0.1 of c where the noise allows',
    measured: ex.length
      ? `${count('within ±0.1')} within ±0.1, ${count('within noise')} within noise, ${count('differs')} differ of ${ex.length}` +
        (worst
          ? `; furthest ${worst.mechanism} ${worst.object} against ${worst.by === 'n' ? 'N' : 'A'}: ` +
            `sim − c ${fmtSpread(worst.diff)}`
          : '')
      : '—',
    // Where the noise allows: an exponent whose spread reaches ±0.1 is no miss.
    verdict: ex.length === 0 ? 'not measured' : count('differs') > 0 ? 'missed' : 'met',
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
    const s = l && cc ? ratioSpread(l, cc) : null;
    rows.push({
      target: `koffi layer: ${label} ≤ 1.3× c per call`,
      measured: l && cc ? `koffi ${fmtNs(l.ns_per_iter)}, c ${fmtNs(cc.ns_per_iter)}: ${fmtRatio(s)}` : '—',
      verdict: ratioVerdict(s, 1.3),
    });
  }
  return rows;
}

function printTargets(rs: readonly BenchRecord[], facts: Facts, out: Out): void {
  out('');
  for (const l of wrap(
    "The project's targets for the simulated kernel: read off this run, ratios against c measured in the " +
      'same run, [a, b] their spread; never asserted in a timed test',
  ))
    out(l);
  for (const t of targets(rs, facts)) {
    const verdict = t.verdict.toUpperCase() + (t.verdict === 'not measured' ? '' : mark(facts));
    for (const l of wrap(`- ${t.target}: ${verdict}`, REPORT_WIDTH, '  ')) out(l);
    for (const l of wrap(t.measured, REPORT_WIDTH - 4)) out(`    ${l}`);
  }
}
