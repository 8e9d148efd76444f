// The cost view's model (web/src/cost/model.ts): select and poll cost O(N) per call, epoll_wait
// O(ready), as the kernel's counters say; the lines the charts draw come from those counters.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  activeIndices,
  COUNTERS,
  DEFAULT_NS,
  MAX_N,
  MECHANISMS,
  measure,
  runWorkload,
  series,
} from '../../web/src/cost/model.ts';

describe('the cost model', () => {
  test('select_and_poll_scan_and_poll_every_fd_epoll_only_the_ready_ones', async () => {
    for (const n of [8, 100, 1000]) {
      for (const active of [1, 5]) {
        const [select, poll, epoll] = await Promise.all(MECHANISMS.map((m) => measure(m, n, active)));
        for (const p of [select, poll, epoll]) assert.equal(p.reported, active, `${p.mechanism} reports A`);
        for (const p of [select, poll]) {
          assert.equal(p.ready.fdsScanned, n, `${p.mechanism} N=${n}`);
          assert.equal(p.ready.fopPollCalls, n, `${p.mechanism} N=${n}`);
        }
        assert.equal(epoll.ready.fdsScanned, 0);
        assert.equal(epoll.ready.fopPollCalls, active, 'epoll re-polls each ready item once');
        // Copied in: select's one bitmap of ceil(nfds / 64) words; poll's 8-byte pollfds; epoll nothing.
        const nfds = 3 + 2 * n;
        assert.equal(select.ready.bytesCopiedIn, Math.ceil(nfds / 64) * 8);
        assert.equal(poll.ready.bytesCopiedIn, 8 * n);
        assert.equal(epoll.ready.bytesCopiedIn, 0);
      }
    }
  });

  test('a_sleeping_select_or_poll_hooks_every_file_epoll_one_entry', async () => {
    for (const n of [10, 300]) {
      const [select, poll, epoll] = await Promise.all(MECHANISMS.map((m) => measure(m, n, 3)));
      for (const p of [select, poll]) {
        assert.equal(p.idle.waitEntriesAdded, n, p.mechanism);
        assert.equal(p.idle.waitEntriesRemoved, n, p.mechanism);
        assert.equal(p.idle.sleeps, 1, p.mechanism);
        assert.equal(p.idle.timeouts, 1, p.mechanism);
        // The first pass and the pass after the timeout.
        assert.equal(p.idle.fdsScanned, 2 * n, p.mechanism);
        assert.equal(p.setup.waitEntriesAdded, 0, p.mechanism);
      }
      assert.equal(epoll.idle.waitEntriesAdded, 1);
      assert.equal(epoll.idle.fdsScanned, 0);
      assert.equal(epoll.idle.sleeps, 1);
      // epoll paid its N once, when the set was built.
      assert.equal(epoll.setup.waitEntriesAdded, n);
      assert.equal(epoll.setup.fopPollCalls, n);
    }
  });

  test('the_charts_lines_grow_with_n_for_select_and_poll_and_stay_flat_for_epoll', async () => {
    const ns = [16, 64, 256];
    const seen: number[] = [];
    const points = await runWorkload(ns, 4, (_p, done) => {
      seen.push(done);
    });
    assert.equal(points.length, ns.length * 3);
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(COUNTERS.length, 4);
    for (const counter of COUNTERS) {
      const lines = series(points, counter);
      for (const m of MECHANISMS)
        assert.deepEqual(
          lines[m].map(([n]) => n),
          ns,
          `${counter.key} ${m}`,
        );
      for (const m of ['select', 'poll'] as const) {
        const ys = lines[m].map(([, y]) => y);
        assert.ok(ys[0] < ys[1] && ys[1] < ys[2], `${counter.key}: ${m} grows with N (${ys})`);
      }
      const flat = new Set(lines.epoll.map(([, y]) => y));
      assert.equal(flat.size, 1, `${counter.key}: epoll is flat (${[...flat]})`);
    }
  });

  test('the_active_fds_are_spread_and_distinct', () => {
    assert.deepEqual(activeIndices(10, 2), [2, 7]);
    assert.deepEqual(activeIndices(4, 9), [0, 1, 2, 3]);
    assert.deepEqual(activeIndices(5, 0), []);
    const many = activeIndices(4096, 64);
    assert.equal(new Set(many).size, 64);
    assert.ok(many.every((i) => i >= 0 && i < 4096));
  });

  test('n_out_of_range_is_refused', async () => {
    await assert.rejects(measure('poll', 0, 1), RangeError);
    await assert.rejects(measure('poll', MAX_N + 1, 1), RangeError);
  });

  test('the_default_run_up_to_4096_stays_small', async (t) => {
    const started = process.hrtime.bigint();
    let slowest = 0;
    let last = started;
    await runWorkload(DEFAULT_NS, 8, () => {
      const now = process.hrtime.bigint();
      slowest = Math.max(slowest, Number(now - last) / 1e6);
      last = now;
    });
    const total = Number(process.hrtime.bigint() - started) / 1e6;
    t.diagnostic(`default run: ${total.toFixed(0)} ms in all, slowest point ${slowest.toFixed(0)} ms`);
    // The page runs a point between frames: each must stay short (bounds loose for a busy CI).
    assert.ok(slowest < 2000, `slowest point ${slowest} ms`);
  });
});
