// Log-log line charts as small hand-written SVG files: cost against N per mechanism and backend.
// Colour names the mechanism, the dash pattern the backend.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Facts } from './run.ts';
import { type BackendName, type BenchRecord, OBJECT_PLURAL } from './types.ts';

export interface Series {
  name: string;
  color: string;
  dash: string;
  points: { x: number; y: number }[];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const COLORS: Record<string, string> = {
  select: '#d62728',
  poll: '#ff7f0e',
  'epoll-lt': '#1f77b4',
  'epoll-et': '#2ca02c',
  'epoll-oneshot': '#9467bd',
  select0: '#d62728',
  poll0: '#ff7f0e',
  epoll_wait0: '#1f77b4',
  epoll_wait1: '#2ca02c',
  ctl_add: '#9467bd',
  ctl_mod: '#8c564b',
  ctl_del: '#e377c2',
  cycle: '#17becf',
};
const DASH: Record<BackendName, string> = { sim: '', linux: '2 3', c: '8 4' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function tickLabel(v: number, unit: 'ns' | 'count'): string {
  if (unit === 'ns') {
    if (v >= 1e9) return `${v / 1e9} s`;
    if (v >= 1e6) return `${v / 1e6} ms`;
    if (v >= 1e3) return `${v / 1e3} µs`;
    return `${v} ns`;
  }
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

/** One log-log chart. */
export function renderChart(chart: Chart, yUnit: 'ns' | 'count' = 'ns'): string {
  const W = 760;
  const H = 480;
  const m = { l: 70, r: 190, t: 40, b: 50 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = chart.series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - m.r / 2}" y="20" text-anchor="middle" font-size="14">${esc(chart.title)}</text>`,
  ];
  if (all.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`);
    return parts.join('\n');
  }
  const x0 = 10 ** Math.floor(Math.log10(Math.min(...all.map((p) => p.x))));
  const x1 = 10 ** Math.ceil(Math.log10(Math.max(...all.map((p) => p.x))));
  const y0 = 10 ** Math.floor(Math.log10(Math.min(...all.map((p) => p.y))));
  const y1 = 10 ** Math.ceil(Math.log10(Math.max(...all.map((p) => p.y))));
  const X = (x: number) =>
    m.l + ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0) || 1)) * pw;
  const Y = (y: number) =>
    m.t + ph - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0) || 1)) * ph;
  // Grid and decade ticks.
  for (let v = x0; v <= x1 * 1.0001; v *= 10) {
    parts.push(`<line x1="${X(v)}" y1="${m.t}" x2="${X(v)}" y2="${m.t + ph}" stroke="#ddd"/>`);
    parts.push(`<text x="${X(v)}" y="${m.t + ph + 16}" text-anchor="middle">${tickLabel(v, 'count')}</text>`);
  }
  for (let v = y0; v <= y1 * 1.0001; v *= 10) {
    parts.push(`<line x1="${m.l}" y1="${Y(v)}" x2="${m.l + pw}" y2="${Y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 6}" y="${Y(v) + 4}" text-anchor="end">${tickLabel(v, yUnit)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const pts = s.points.filter((p) => p.x > 0 && p.y > 0).sort((a, b) => a.x - b.x);
    if (pts.length === 0) return;
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ');
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const p of pts)
      parts.push(`<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    const ly = m.t + 8 + i * 16;
    parts.push(
      `<line x1="${m.l + pw + 12}" y1="${ly}" x2="${m.l + pw + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${m.l + pw + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function seriesOf(
  rs: readonly BenchRecord[],
  keyOf: (r: BenchRecord) => { mech: string; backend: BackendName } | null,
  x: (r: BenchRecord) => number,
  y: (r: BenchRecord) => number | null,
): Series[] {
  const map = new Map<string, Series>();
  for (const r of rs) {
    const k = keyOf(r);
    const yv = y(r);
    if (!k || yv === null) continue;
    const name = `${k.mech} (${k.backend})`;
    let s = map.get(name);
    if (!s) {
      s = { name, color: COLORS[k.mech] ?? '#555', dash: DASH[k.backend], points: [] };
      map.set(name, s);
    }
    s.points.push({ x: x(r), y: yv });
  }
  return [...map.values()];
}

/** Write every chart of a run into `dir`; returns the files written. */
export function writeCharts(rs: readonly BenchRecord[], facts: Facts, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const plan = facts.plan;
  const files: string[] = [];
  const write = (name: string, svg: string) => {
    const path = join(dir, name);
    writeFileSync(path, svg);
    files.push(path);
  };
  const lib = rs.filter((r) => r.suite === 'libevent' && r.ns_per_iter !== null);
  for (const kind of [...new Set(lib.map((r) => r.object))]) {
    const pts = lib.filter(
      (r) => r.object === kind && r.writes === plan.nSweepWrites && r.active === plan.nSweepActive,
    );
    write(
      `libevent-${kind}-n.svg`,
      renderChart({
        title: `libevent model, ${OBJECT_PLURAL[kind]}: A=${plan.nSweepActive}, W=${plan.nSweepWrites}`,
        xLabel: 'N watched',
        yLabel: 'time per iteration',
        series: seriesOf(
          pts,
          (r) => ({ mech: r.mechanism, backend: r.backend }),
          (r) => r.n,
          (r) => r.ns_per_iter,
        ),
      }),
    );
    // The counters, per multiplexer call: the claims without timing noise.
    const sim = pts.filter((r) => r.backend === 'sim' && r.counters);
    for (const [counter, label] of [
      ['fdsScanned', 'fds scanned per call'],
      ['fopPollCalls', 'f_op->poll calls per call'],
      ['bytesCopiedIn', 'bytes copied in per call'],
    ] as const) {
      write(
        `counters-${kind}-${counter}.svg`,
        renderChart(
          {
            title: `simulated kernel, ${OBJECT_PLURAL[kind]}: ${label}`,
            xLabel: 'N watched',
            yLabel: label,
            series: seriesOf(
              sim,
              (r) => ({ mech: r.mechanism, backend: 'sim' }),
              (r) => r.n,
              (r) => {
                const v = (r.counters as Record<string, number>)[counter];
                return v ? v / (r.calls_per_iter ?? 1) : null;
              },
            ),
          },
          'count',
        ),
      );
    }
  }
  const aPts = lib.filter((r) => r.writes === 0 && r.n === plan.aSweepN);
  if (aPts.length > 0)
    write(
      'libevent-active.svg',
      renderChart({
        title: `libevent model against A: N=${plan.aSweepN}, W=0`,
        xLabel: 'A active',
        yLabel: 'time per iteration',
        series: seriesOf(
          aPts,
          (r) => ({ mech: r.mechanism, backend: r.backend }),
          (r) => r.active,
          (r) => r.ns_per_iter,
        ),
      }),
    );
  const ops = rs.filter((r) => r.suite === 'op' && r.ns_per_iter !== null);
  if (ops.length > 0)
    write(
      'ops-n.svg',
      renderChart({
        title: 'single calls among N watched (timeout 0)',
        xLabel: 'N watched',
        yLabel: 'time per call',
        series: seriesOf(
          ops.filter((r) =>
            ['select0', 'poll0', 'epoll_wait0', 'epoll_wait1', 'ctl_add', 'cycle'].includes(r.mechanism),
          ),
          (r) => ({ mech: r.mechanism, backend: r.backend }),
          (r) => r.n,
          (r) => r.ns_per_iter,
        ),
      }),
    );
  writeFileSync(join(dir, 'records.json'), `${JSON.stringify(rs, null, 1)}\n`);
  files.push(join(dir, 'records.json'));
  return files;
}
