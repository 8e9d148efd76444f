// Small statistics: medians of repeated runs, scaling exponents (least-squares slope of log cost
// against log size), and their spread over the repetitions (a bootstrap), so that a difference can
// be told from the noise of a shared machine.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The scaling exponent: the slope of log(y) against log(x) by least squares. NaN with fewer
 * than two distinct x, or any non-positive value.
 */
export function logLogSlope(points: readonly { x: number; y: number }[]): number {
  const ps = points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.y));
  if (new Set(ps.map((p) => p.x)).size < 2) return Number.NaN;
  const lx = ps.map((p) => Math.log(p.x));
  const ly = ps.map((p) => Math.log(p.y));
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

/** The q-quantile (0..1) of ascending values, linearly interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * (pos - i) : sorted[i];
}

/**
 * A small seeded generator (mulberry32): the bootstrap draws the same resamples every time, so a
 * report re-printed from its records (`--report DIR`) reads the same.
 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A statistic with its spread: the median of the bootstrap values and its 5th–95th percentiles. */
export interface Spread {
  median: number;
  lo: number;
  hi: number;
}

/** Bootstrap resamples per statistic. */
export const RESAMPLES = 1000;

/**
 * The spread of a statistic of several points' medians over their repetitions: each resample
 * draws every point's repetitions again, with replacement, and takes their median; the statistic
 * of those medians is one value. Null when no resample gives a finite value. A point measured
 * once has no spread of its own (every resample takes its one value).
 */
export function bootstrap(
  groups: readonly (readonly number[])[],
  stat: (medians: readonly number[]) => number,
  resamples = RESAMPLES,
  seed = 13,
): Spread | null {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) return null;
  const rnd = seeded(seed);
  const values: number[] = [];
  const meds = new Array<number>(groups.length);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      const draw = new Array<number>(g.length);
      for (let j = 0; j < g.length; j++) draw[j] = g[Math.floor(rnd() * g.length)];
      meds[i] = median(draw);
    }
    const v = stat(meds);
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return { median: quantile(values, 0.5), lo: quantile(values, 0.05), hi: quantile(values, 0.95) };
}

/**
 * Where a spread lies against an interval [lower, upper]: wholly inside, wholly outside, or
 * across a bound (the noise does not tell).
 */
export function against(s: Spread, lower: number, upper: number): 'inside' | 'outside' | 'across' {
  if (s.lo >= lower && s.hi <= upper) return 'inside';
  if (s.hi < lower || s.lo > upper) return 'outside';
  return 'across';
}

/** No-break space: a spread is never split over two lines of the report. */
export const NBSP = '\u00a0';

/** A spread, short: "1.02 [0.95, 1.10]" (its spaces no-break). */
export function fmtSpread(s: Spread | null | undefined, digits = 2): string {
  if (!s) return '—';
  const f = (x: number) => (Object.is(Math.round(x * 10 ** digits), -0) ? 0 : x).toFixed(digits);
  return `${f(s.median)}${NBSP}[${f(s.lo)},${NBSP}${f(s.hi)}]`;
}

/** A nanosecond count, short: 512 ns, 3.2 µs, 41 ms, 2.1 s. */
export function fmtNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return '—';
  if (ns < 1e3) return `${ns.toFixed(ns < 10 ? 1 : 0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** A count with thousands separators, or as-is when not an integer. */
export function fmtCount(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  return x.toFixed(digits);
}

/** Bytes, short: 184 B, 1.2 KiB, 3.4 MiB. */
export function fmtBytes(b: number | null | undefined): string {
  if (b === null || b === undefined || !Number.isFinite(b)) return '—';
  if (b < 1024) return `${b.toFixed(0)} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MiB`;
  return `${(b / 1024 ** 3).toFixed(2)} GiB`;
}
