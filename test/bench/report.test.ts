// The benchmark report on records made here (no measurement): the layout stays within 120
// columns, spreads come from the repetitions, exponent verdicts are read off the spread, and the
// targets are the (cycle_wake ≤ 0.25×, ≤ 384 B per idle pipe, one process for 10 M).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { defaultOptions, parseBenchArgs } from '../../src/bench/args.ts';
import { makePlan } from '../../src/bench/plan.ts';
import {
  agreement,
  exponents,
  printReport,
  REPORT_WIDTH,
  table,
  targets,
  wrap,
} from '../../src/bench/report.ts';
import { type Facts, runBench } from '../../src/bench/run.ts';
import { bootstrap, logLogSlope, quantile } from '../../src/bench/stats.ts';
import type { BackendName, BenchRecord } from '../../src/bench/types.ts';

function rec(p: Partial<BenchRecord> & { reps: number[] }): BenchRecord {
  const sorted = [...p.reps].sort((a, b) => a - b);
  return {
    suite: 'libevent',
    mechanism: 'select',
    object: 'pipe',
    backend: 'sim',
    n: 16,
    active: 1,
    writes: 100,
    ns_per_iter: sorted.length ? quantile(sorted, 0.5) : null,
    ns_per_event: null,
    calls_per_iter: 1,
    events_per_iter: 101,
    ns_min: sorted.length ? sorted[0] : null,
    counters: null,
    ...p,
  };
}

function factsFor(args: string[]): Facts {
  return { linux: null, fdset: null, memory: [], notes: [], plan: makePlan(parseBenchArgs(args)) };
}

const SIZES = [1024, 4096, 16_384];

/** A series on one backend: time = scale · N^power, each repetition off by the factors in `noise`. */
function series(
  backend: BackendName,
  power: number,
  noise: number[],
  mechanism = 'poll',
  scale = 100,
): BenchRecord[] {
  return SIZES.map((n) => rec({ backend, mechanism, n, reps: noise.map((f) => scale * n ** power * f) }));
}

describe('the benchmark report', () => {
  test('wrap_never_passes_the_width_and_keeps_every_word', () => {
    const text = `${'a long sentence of words '.repeat(20)} /a/path/${'x'.repeat(300)}`;
    const lines = wrap(text, 50, '  ');
    for (const l of lines) assert.ok(l.length <= 50, l);
    assert.equal(lines.join('').replace(/\s+/g, ''), text.replace(/\s+/g, ''));
    assert.ok(lines.slice(1).every((l) => l.startsWith('  ')));
  });

  test('a_wrapping_column_keeps_the_table_within_the_width', () => {
    const rows = [['idle-pipe', '100,000', 'word '.repeat(60)]];
    const lines = table(['what', 'N', 'how'], rows, { wrap: 2 });
    assert.ok(lines.length > 3);
    for (const l of lines) assert.ok([...l].length <= REPORT_WIDTH, l);
  });

  test('the_bootstrap_is_deterministic_and_one_repetition_has_no_spread', () => {
    const groups = [
      [1, 2, 3, 10],
      [4, 5, 6, 7],
    ];
    const stat = (m: readonly number[]) => m[0] / m[1];
    assert.deepEqual(bootstrap(groups, stat), bootstrap(groups, stat));
    const one = bootstrap([[3], [6]], stat)!;
    assert.deepEqual([one.median, one.lo, one.hi], [0.5, 0.5, 0.5]);
    const s = bootstrap(groups, stat)!;
    assert.ok(s.lo < s.median && s.median < s.hi, JSON.stringify(s));
    assert.equal(bootstrap([[], [1]], stat), null);
  });

  test('an_exact_power_law_has_its_power_as_exponent_with_no_spread', () => {
    const rs = [...series('sim', 1, [1, 1, 1]), ...series('c', 1, [1, 1, 1])];
    const [e] = exponents(rs, factsFor(['--sizes', SIZES.join(',')]));
    assert.equal(e.mechanism, 'poll');
    assert.deepEqual(e.range, [1024, 16_384]);
    assert.ok(Math.abs(e.sim!.median - 1) < 1e-9 && e.sim!.lo === e.sim!.hi);
    assert.equal(e.agreement, 'within ±0.1');
    assert.ok(Math.abs(logLogSlope(SIZES.map((x) => ({ x, y: x ** 0.5 }))) - 0.5) < 1e-9);
  });

  test('an_exponent_differs_only_when_its_whole_spread_lies_past_0_1', () => {
    const facts = factsFor(['--sizes', SIZES.join(',')]);
    const steady = [0.99, 1, 1.01, 1, 1];
    // sim 1.0 against c 0.5 with 1 % noise: the difference is told from the noise.
    const far = exponents([...series('sim', 1, steady), ...series('c', 0.5, steady)], facts)[0];
    assert.equal(far.agreement, 'differs');
    // 0.15 apart, but each repetition off by up to 3×: the noise does not tell.
    const noisy = [0.4, 1, 3, 0.5, 2];
    const near = exponents([...series('sim', 1, noisy), ...series('c', 0.85, noisy.toReversed())], facts)[0];
    assert.equal(near.agreement, 'within noise', JSON.stringify(near.diff));
    assert.equal(agreement(null), 'not measured');
    assert.equal(agreement({ median: 0.05, lo: -0.02, hi: 0.09 }), 'within ±0.1');
    assert.equal(agreement({ median: -0.3, lo: -0.4, hi: -0.11 }), 'differs');
  });

  test('the_cycle_with_a_sleeping_waiter_is_held_to_a_quarter_of_c', () => {
    const facts = factsFor(['--sizes', SIZES.join(',')]);
    const op = (backend: BackendName, ns: number) =>
      rec({ suite: 'op', mechanism: 'cycle_wake', backend, n: 16, reps: [ns, ns * 1.01, ns * 0.99] });
    const row = (simNs: number) =>
      targets([op('sim', simNs), op('c', 10_000)], facts).find((t) => t.target.includes('cycle_wake'))!;
    assert.match(row(2000).target, /≤ 0\.25× c/);
    assert.equal(row(2000).verdict, 'met');
    assert.equal(row(3000).verdict, 'missed');
  });

  test('memory_targets_are_256_bytes_a_watch_384_an_idle_pipe_and_10m_watches_in_one_process', () => {
    const facts = factsFor(['--sizes', SIZES.join(',')]);
    const mem = (mechanism: string, n: number, bytes: number, processes: number) =>
      rec({
        suite: 'memory',
        mechanism,
        n,
        reps: [],
        bytes_per_unit: bytes,
        processes,
        note: `${processes} processes`,
      });
    const verdicts = (rs: BenchRecord[]) =>
      Object.fromEntries(targets(rs, facts).map((t) => [t.target, t.verdict] as const));
    const a = verdicts([mem('idle-pipe', 100_000, 400, 1), mem('epoll-watch', 10_000_000, 250, 10)]);
    assert.equal(a['≤ 384 bytes per idle pipe'], 'missed');
    assert.equal(a['≤ 256 bytes per epoll watch'], 'met');
    assert.equal(a['10 million watched fds in one process'], 'missed');
    const b = verdicts([mem('idle-pipe', 100_000, 380, 1), mem('epoll-watch', 10_000_000, 250, 1)]);
    assert.equal(b['≤ 384 bytes per idle pipe'], 'met');
    assert.equal(b['10 million watched fds in one process'], 'met');
  });

  test('each_object_kind_has_a_libevent_target_naming_its_worst_point', () => {
    const facts = factsFor(['--sizes', SIZES.join(',')]);
    const rs = [
      ...series('sim', 1, [1, 1, 1], 'poll', 40),
      ...series('c', 1, [1, 1, 1], 'poll', 100),
      rec({ backend: 'sim', mechanism: 'epoll-lt', n: 4096, reps: [90, 90, 90] }),
      rec({ backend: 'c', mechanism: 'epoll-lt', n: 4096, reps: [100, 100, 100] }),
      // Below N = 256: not a target point, however slow.
      rec({ backend: 'sim', mechanism: 'epoll-lt', n: 16, reps: [900, 900, 900] }),
      rec({ backend: 'c', mechanism: 'epoll-lt', n: 16, reps: [100, 100, 100] }),
    ];
    const rows = targets(rs, facts).filter((t) => t.target.startsWith('every libevent point'));
    assert.deepEqual(
      rows.map((t) => t.target.replace(/.*N ≥ 256, (.*): .*/, '$1')),
      ['pipes', 'socketpairs', 'eventfds', 'TCP connections'],
    );
    assert.equal(rows[0].verdict, 'missed');
    assert.match(rows[0].measured, /worst epoll-lt N=4,096 A=1 W=100: 0\.90×/);
    assert.match(rows[0].measured, /of 4 points 3 met, 0 unclear, 1 missed/);
    assert.equal(rows[1].verdict, 'not measured');
  });

  test('report_dir_reprints_the_summary_and_the_targets_on_request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iomux-report-'));
    try {
      const rs = [...series('sim', 1, [1, 1.1, 0.9]), ...series('c', 1, [1, 1.05, 0.95])];
      writeFileSync(join(dir, 'records.jsonl'), rs.map((r) => `${JSON.stringify(r)}\n`).join(''));
      writeFileSync(join(dir, 'facts.json'), JSON.stringify(factsFor(['--sizes', SIZES.join(',')])));
      const read = async (targetsToo: boolean) => {
        const lines: string[] = [];
        await runBench({ ...defaultOptions(), reportFrom: dir, targets: targetsToo }, (l) => lines.push(l));
        return lines;
      };
      const plain = await read(false);
      assert.ok(plain.some((l) => l.startsWith('Summary: the seed claims')));
      assert.ok(
        plain.some((l) => /^1\. select and poll cost grows linearly.*: (HOLDS|UNCLEAR \(NOISE\))$/.test(l)),
      );
      assert.ok(!plain.some((l) => l.includes('(indicative)')), 'a full run is not marked indicative');
      assert.ok(!plain.some((l) => l.startsWith('- epoll cycle')));
      const withTargets = await read(true);
      assert.ok(withTargets.some((l) => l.startsWith('- epoll cycle')));
      for (const l of withTargets) assert.ok([...l].length <= REPORT_WIDTH, l);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the_summary_of_a_quick_run_marks_its_verdicts_indicative', () => {
    const lines: string[] = [];
    const rs = [...series('sim', 1, [1, 1, 1], 'select'), ...series('c', 1, [1, 1, 1], 'select')];
    printReport(rs, factsFor(['--quick', '--sizes', SIZES.join(',')]), (l) => lines.push(l));
    assert.ok(
      lines.some((l) => /^1\. .*: HOLDS \(indicative\)$/.test(l)),
      lines.join('\n'),
    );
  });
});
