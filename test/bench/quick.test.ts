// The benchmark's smoke test: the quick plan at tiny sizes, in-process. It asserts that the
// records are well-formed and that the simulated kernel's counters show the seed claims —
// counters only, never times (times are read off the benchmark, not asserted).

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { parseBenchArgs } from '../../src/bench/args.ts';
import { makePlan } from '../../src/bench/plan.ts';
import { printReport, REPORT_WIDTH } from '../../src/bench/report.ts';
import { collect, type Facts } from '../../src/bench/run.ts';
import { BACKENDS, type BenchRecord } from '../../src/bench/types.ts';

const SIZES = [16, 64, 256];

let records: BenchRecord[] = [];
let facts: Facts;
/** What --json printed: one record per line. */
const jsonLines: string[] = [];

const perCall = (r: BenchRecord, key: string): number =>
  ((r.counters as Record<string, number>)[key] ?? 0) / (r.calls_per_iter ?? 1);

const sim = (suite: string, mechanism: string, object = 'pipe') =>
  records.filter(
    (r) =>
      r.suite === suite &&
      r.mechanism === mechanism &&
      r.object === object &&
      r.backend === 'sim' &&
      (suite !== 'libevent' || r.writes === 100),
  );

describe('iomux bench --quick', () => {
  before(async () => {
    // The memory part at 100 000, as --quick runs it (the sizes are smaller than --quick's).
    const options = parseBenchArgs([
      '--quick',
      '--json',
      '--sizes',
      SIZES.join(','),
      '--reps',
      '2',
      '--memory',
      '100000',
      '--no-progress',
    ]);
    ({ records, facts } = await collect(options, (l) => jsonLines.push(l)));
  });

  test('quick_runs_the_memory_part_at_100000_and_every_operation_the_targets_read', () => {
    const plan = makePlan(parseBenchArgs(['--quick']));
    assert.deepEqual(plan.memorySizes, [100_000]);
    assert.ok(parseBenchArgs(['--quick']).suites.includes('memory'));
    assert.ok(parseBenchArgs(['--quick']).suites.includes('op'));
    assert.ok(plan.quick);
    assert.ok(plan.warmupNs > 0, 'every point is warmed up');
  });

  test('quick_json_carries_the_records_the_targets_are_computed_from', () => {
    const json = jsonLines.map((l) => JSON.parse(l) as BenchRecord);
    assert.equal(json.length, records.length, 'one line per record');
    const has = (q: Partial<BenchRecord>, timed = true) =>
      json.some(
        (r) =>
          (Object.keys(q) as (keyof BenchRecord)[]).every((k) => r[k] === q[k]) &&
          (!timed || (r.ns_per_iter !== null && r.ns_per_iter > 0 && r.reps.length === 2)),
      );
    for (const op of ['cycle', 'cycle_wake', 'select0', 'poll0'])
      for (const backend of ['sim', 'c'] as const)
        assert.ok(has({ suite: 'op', mechanism: op, backend }), `${op} on ${backend}`);
    // select0 and poll0 at one N on both backends: the cost per watched fd.
    const n = Math.max(...json.filter((r) => r.suite === 'op' && r.mechanism === 'select0').map((r) => r.n));
    for (const op of ['select0', 'poll0'])
      for (const backend of ['sim', 'c'] as const) assert.ok(has({ suite: 'op', mechanism: op, backend, n }));
    for (const what of ['epoll-watch', 'idle-pipe']) {
      const m = json.find((r) => r.suite === 'memory' && r.mechanism === what && r.n === 100_000);
      assert.ok(m, `${what} at 100 000`);
      assert.ok(m.bytes_per_unit! > 0 && m.bytes_per_unit! < 10_000, `${what}: ${m.bytes_per_unit} B`);
      assert.ok(m.processes! >= 1);
    }
  });

  test('the_quick_report_fits_in_120_columns_and_marks_every_verdict_indicative', () => {
    const lines: string[] = [];
    printReport(records, facts, (l) => lines.push(l), { targets: true });
    const text = lines.join('\n');
    for (const l of lines) assert.ok([...l].length <= REPORT_WIDTH, `${[...l].length} columns: ${l}`);
    assert.match(lines.find((l) => l.trim())!, /^iomux bench/);
    // The summary leads: its five claims come before the first table.
    const summary = lines.findIndex((l) => l.startsWith('Summary'));
    const firstTable = lines.findIndex((l) => l.startsWith('libevent model'));
    assert.ok(summary > 0 && summary < firstTable);
    const claims = lines.filter((l) => /^[1-5]\. /.test(l));
    assert.equal(claims.length, 5);
    for (const l of claims) assert.match(l, /(\(indicative\)|NOT MEASURED)$/, l);
    const targets = lines.filter((l) => /^- .*: [A-Z ()]+?( \(indicative\))?$/.test(l));
    assert.ok(targets.length >= 10, text);
    for (const l of targets) assert.match(l, /(\(indicative\)|NOT MEASURED)$/, l);
    assert.match(text, /verdict \(indicative\)/);
  });

  test('the_targets_appear_only_when_asked_for', () => {
    const lines: string[] = [];
    printReport(records, facts, (l) => lines.push(l));
    assert.ok(!lines.some((l) => l.includes('every libevent point at N ≥ 256')));
    assert.ok(lines.some((l) => l.includes('--targets')));
    assert.ok(lines.some((l) => l.startsWith('Summary')));
  });

  test('every_record_is_well_formed', () => {
    assert.ok(records.length > 0);
    for (const r of records) {
      assert.ok(['libevent', 'op', 'memory'].includes(r.suite), r.suite);
      assert.ok((BACKENDS as readonly string[]).includes(r.backend), r.backend);
      assert.ok(Number.isInteger(r.n) && r.n > 0);
      if (r.ns_per_iter === null) {
        assert.ok(r.note, `a record without a time says why: ${JSON.stringify(r)}`);
        continue;
      }
      assert.ok(Number.isFinite(r.ns_per_iter) && r.ns_per_iter > 0);
      assert.ok(r.reps.length >= 1 && r.reps.every((x) => x > 0));
      assert.equal(r.ns_min, Math.min(...r.reps), 'the fastest repetition is reported beside the median');
      assert.equal(r.counters === null, r.backend !== 'sim', 'counters exactly on the simulated kernel');
      if (r.suite === 'libevent') {
        assert.ok(r.calls_per_iter! >= 1);
        assert.equal(r.events_per_iter, r.active + r.writes, 'one event per unit written');
        assert.ok(r.ns_per_event! > 0);
      }
    }
  });

  test('every_mechanism_ran_on_the_simulated_kernel_at_every_size', () => {
    for (const mech of ['select', 'poll', 'epoll-lt', 'epoll-et'])
      for (const object of ['pipe', 'eventfd'])
        assert.deepEqual(
          sim('libevent', mech, object)
            .filter((r) => r.ns_per_iter !== null)
            .map((r) => r.n),
          SIZES,
          `${mech} ${object}`,
        );
  });

  test('select_and_poll_scan_every_watched_fd_on_every_call', () => {
    for (const mech of ['select', 'poll'])
      for (const object of ['pipe', 'eventfd'])
        for (const r of sim('libevent', mech, object)) {
          assert.equal(perCall(r, 'fdsScanned'), r.n, `${mech} ${object} N=${r.n}`);
          assert.equal(perCall(r, 'fopPollCalls'), r.n, `${mech} ${object} N=${r.n}`);
        }
  });

  test('select_and_poll_copy_their_arguments_in_on_every_call', () => {
    for (const r of sim('op', 'poll0')) assert.equal(r.counters!.bytesCopiedIn, 8 * r.n);
    // select: FDS_BYTES(nfds) for the read set (nfds > N: pipes' write ends lie between) + the timeval.
    for (const r of sim('op', 'select0'))
      assert.ok(r.counters!.bytesCopiedIn! >= Math.ceil(r.n / 64) * 8 + 16);
    for (const r of sim('op', 'epoll_wait0')) assert.equal(r.counters!.bytesCopiedIn ?? 0, 0);
  });

  test('epoll_wait_work_per_call_is_independent_of_n', () => {
    for (const mech of ['epoll-lt', 'epoll-et'])
      for (const object of ['pipe', 'eventfd']) {
        const polls = sim('libevent', mech, object).map((r) => perCall(r, 'fopPollCalls'));
        assert.equal(polls.length, SIZES.length);
        assert.ok(
          polls.every((p) => p === polls[0]),
          `${mech} ${object}: f_op->poll per call ${polls}`,
        );
        for (const r of sim('libevent', mech, object)) assert.equal(perCall(r, 'fdsScanned'), 0);
      }
    const idle = sim('op', 'epoll_wait0');
    assert.ok(idle.length >= 2);
    for (const r of idle)
      assert.equal(r.counters!.fopPollCalls ?? 0, 0, `epoll_wait with none ready, N=${r.n}`);
    for (const r of sim('op', 'epoll_wait1'))
      assert.equal(r.counters!.fopPollCalls, 1, `one ready, N=${r.n}`);
  });

  test('epoll_ctl_mod_rearm_adds_a_syscall_and_a_poll_per_event', () => {
    const all = records.filter(
      (r) => r.suite === 'libevent' && r.backend === 'sim' && r.writes === 0 && r.active === r.n,
    );
    const lt = all.find((r) => r.mechanism === 'epoll-lt')!;
    const os = all.find((r) => r.mechanism === 'epoll-oneshot')!;
    assert.ok(lt && os);
    assert.equal(os.counters!.syscalls! - lt.counters!.syscalls!, os.n, 'one epoll_ctl per event');
  });

  test('the_kernel_takes_select_past_fd_setsize_and_glibc_does_not', () => {
    assert.ok(facts.fdset, `the C reference ran: ${facts.notes.join('; ')}`);
    assert.ok(facts.fdset.nfds > 1024);
    assert.equal(facts.fdset.raw_select_ret, 1);
    assert.equal(facts.fdset.raw_select_bit, 1);
    assert.equal(facts.fdset.glibc_fd_set_child, 'killed');
  });
});
