// The Cost tab: one workload — N watched pipes, A of them active — under select, poll and epoll
// on the simulated kernel (model.ts), each counter charted against N, so select's and poll's
// O(N) and epoll's O(ready) are lines to see. Plain SVG (no chart library): four small line
// charts with linear axes, coloured per mechanism in light and dark, each point's value in its
// tooltip and the numbers in a table below. The runs take a few hundred milliseconds in all (the
// largest point, 4 096 pipes, some tens): they run on the page a point at a time, yielding to it
// between points, so it never freezes; no Worker is needed.

import { useEffect, useState } from 'preact/hooks';
import {
  COUNTERS,
  type CostPoint,
  type CounterSpec,
  DEFAULT_NS,
  MECHANISMS,
  type Mechanism,
  runWorkload,
  series,
} from './model.ts';
import './cost.css';

const ACTIVE_CHOICES = [1, 8, 64];
const MAX_N_CHOICES = [1024, 4096];

class Cancelled extends Error {}

export function CostView() {
  const [active, setActive] = useState(8);
  const [maxN, setMaxN] = useState(4096);
  const [points, setPoints] = useState<CostPoint[]>([]);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    const ns = DEFAULT_NS.filter((n) => n <= maxN);
    const got: CostPoint[] = [];
    setPoints([]);
    setError(null);
    setProgress({ done: 0, total: ns.length * MECHANISMS.length });
    runWorkload(ns, active, async (p, done, total) => {
      if (cancelled) throw new Cancelled();
      got.push(p);
      setPoints([...got]);
      setProgress({ done, total });
      // Let the page draw (and stay responsive) between points.
      await new Promise((resolve) => setTimeout(resolve, 0));
    })
      .then(() => {
        if (!cancelled) setProgress(null);
      })
      .catch((e: unknown) => {
        if (!cancelled && !(e instanceof Cancelled)) setError((e as Error).message);
      });
    return () => {
      cancelled = true;
    };
  }, [active, maxN]);

  const largest = points.filter((p) => p.mechanism === 'epoll').sort((a, b) => b.n - a.n)[0];

  return (
    <section class="cost-view" data-testid="cost-view" aria-label="Cost: select, poll and epoll against N">
      <p class="cost-intro">
        One workload: <strong>N</strong> pipes watched for reading, <strong>A</strong> of them with data
        waiting. Each point is a fresh simulated kernel; the charts show what the kernel's cost counters moved
        during one call. select and poll pay for every watched fd on every call; epoll_wait pays for the ready
        ones.
      </p>
      <div class="cost-controls">
        <label>
          A (active fds){' '}
          <select
            data-testid="cost-active"
            value={String(active)}
            onChange={(e) => setActive(Number((e.currentTarget as HTMLSelectElement).value))}
          >
            {ACTIVE_CHOICES.map((a) => (
              <option key={a} value={String(a)}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          N up to{' '}
          <select
            data-testid="cost-max-n"
            value={String(maxN)}
            onChange={(e) => setMaxN(Number((e.currentTarget as HTMLSelectElement).value))}
          >
            {MAX_N_CHOICES.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <span class="cost-legend" aria-hidden="true">
          {MECHANISMS.map((m) => (
            <span key={m} class={`cost-key cost-${m}`}>
              {m}
            </span>
          ))}
        </span>
        <span class="cost-status" role="status" data-testid="cost-status">
          {error
            ? `the run failed: ${error}`
            : progress
              ? `measuring… ${progress.done} / ${progress.total}`
              : `${points.length} points`}
        </span>
      </div>
      <div class="cost-charts">
        {COUNTERS.map((c) => (
          <Chart key={c.key} counter={c} points={points} maxN={maxN} />
        ))}
      </div>
      {largest && (
        <p class="cost-note">
          epoll's N is paid once, when the set is built: at N = {largest.n}, its {largest.n} epoll_ctl ADD
          calls hooked {largest.setup.waitEntriesAdded} wait entries and made {largest.setup.fopPollCalls}{' '}
          f_op-&gt;poll calls — select and poll pay that on every call that sleeps.
        </p>
      )}
      <details class="cost-table">
        <summary>The numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">N</th>
              <th scope="col">call</th>
              {COUNTERS.map((c) => (
                <th key={c.key} scope="col">
                  {c.title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={`${p.n}-${p.mechanism}`}>
                <td>{p.n}</td>
                <td>{p.mechanism}</td>
                {COUNTERS.map((c) => (
                  <td key={c.key}>{p[c.from][c.key]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

const W = 320;
const H = 200;
// Right padding: the last x label ("4,096") is centred on the axis's end and needs half its width.
const PAD = { left: 52, right: 24, top: 10, bottom: 30 };

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `v`. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function Chart({ counter, points, maxN }: { counter: CounterSpec; points: CostPoint[]; maxN: number }) {
  const lines = series(points, counter);
  const yMax = niceMax(Math.max(0, ...MECHANISMS.flatMap((m) => lines[m].map(([, y]) => y))));
  const x = (n: number) => PAD.left + (n / maxN) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const xTicks = [0, maxN / 2, maxN];
  const yTicks = [0, yMax / 2, yMax];
  return (
    <figure class="cost-chart" data-testid="cost-chart" data-counter={counter.key}>
      <figcaption>
        <strong>{counter.title}</strong>
        <span class="cost-why">{counter.linux}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${counter.title} against N`}>
        {yTicks.map((t) => (
          <g key={`y${t}`} class="cost-grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
            <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {t.toLocaleString('en')}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={`x${t}`} class="cost-axis" x={x(t)} y={H - PAD.bottom + 16} text-anchor="middle">
            {t.toLocaleString('en')}
          </text>
        ))}
        <text class="cost-axis" x={W - PAD.right} y={H - 6} text-anchor="end">
          N (watched fds)
        </text>
        {MECHANISMS.map((m: Mechanism) => (
          <g key={m} class={`cost-line cost-${m}`} data-mechanism={m}>
            <polyline points={lines[m].map(([n, v]) => `${x(n)},${y(v)}`).join(' ')} />
            {lines[m].map(([n, v]) => (
              <circle key={n} cx={x(n)} cy={y(v)} r={3}>
                <title>{`${m}, N = ${n}: ${v.toLocaleString('en')}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
    </figure>
  );
}
