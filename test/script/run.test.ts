import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseScript } from '../../src/script/parse.ts';
import { exitStatus, type RunReport, runScript, type StepOutcome } from '../../src/script/run.ts';
import { FakeBackend, type FakeProcess } from './fake-backend.ts';

/** Run steps on a fresh fake; the report, the fake's process, and the results by step. */
async function run(steps: unknown[], backend = new FakeBackend()) {
  const report = await runScript(parseScript({ steps }), backend);
  const proc = backend.processes[0] as FakeProcess;
  return { report, proc, results: report.outcomes.map((o) => o.result) };
}

const pipe = { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] };
const blockingPipe = { call: 'pipe', bind: ['r', 'w'] };
const ep = { call: 'epoll_create1', args: [0], bind: 'ep' };

/** Every run ends with its process closed, whatever happened: the runner's leak check. */
function closedAfter(r: { report: RunReport; proc: FakeProcess }): RunReport {
  assert.ok(r.proc.closed, 'the process was closed');
  return r.report;
}

describe('run', () => {
  test('pair_calls_bind_both_names_and_report_them', async () => {
    const { results } = await run([pipe]);
    assert.deepEqual(results, [{ ret: 0, fds: ['r', 'w'] }]);
  });

  test('a_call_that_binds_one_descriptor_returns_its_name', async () => {
    const { results } = await run([pipe, ep, { call: 'dup', args: ['$r'] }]);
    assert.deepEqual(results.slice(1), [{ ret: 'ep' }, { ret: 6 }]);
  });

  test('descriptors_are_written_as_their_most_recently_bound_name', async () => {
    const { results } = await run([
      pipe,
      { call: 'dup', args: ['$r'], bind: 'd' },
      { call: 'close', args: ['$r'] },
      // fd 3 is free again: dup returns it, and "r" is still the name bound to 3.
      { call: 'dup', args: ['$w'] },
      { call: 'dup', args: ['$w'], bind: 'r' },
      // "r" now denotes 6; fd 3 has no name left, so it is written as its number.
      { call: 'select', args: ['max+1', null, [3, '$r', '$w'], null, null] },
    ]);
    assert.deepEqual(results[1], { ret: 'd' });
    assert.deepEqual(results[3], { ret: 'r' });
    assert.deepEqual(results[4], { ret: 'r' });
    assert.deepEqual(results[5], {
      ret: 3,
      readfds: null,
      writefds: [3, 'w', 'r'],
      exceptfds: null,
      timeout: null,
    });
  });

  test('epoll_events_are_flag_words_with_their_data', async () => {
    const { results } = await run([
      pipe,
      ep,
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN|EPOLLRDNORM', data: 7 }] },
      { call: 'epoll_wait', args: ['$ep', 8, 0] },
      { call: 'write', args: ['$w', 'hello'] },
      { call: 'epoll_wait', args: ['$ep', 8, 0] },
    ]);
    assert.deepEqual(results[3], { ret: 0, events: [] });
    assert.deepEqual(results[5], { ret: 1, events: [{ events: 'EPOLLIN|EPOLLRDNORM', data: 7 }] });
  });

  test('unknown_mask_bits_are_written_in_hex', async () => {
    const backend = new FakeBackend({ epollExtra: 0x8000 });
    const { results } = await run(
      [
        pipe,
        ep,
        { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$w', { events: 'EPOLLOUT', data: 1 }] },
        { call: 'epoll_wait', args: ['$ep', 8, 0] },
      ],
      backend,
    );
    assert.deepEqual(results[3], { ret: 1, events: [{ events: 'EPOLLOUT|0x8000', data: 1 }] });
  });

  test('poll_revents_are_poll_words_one_per_entry', async () => {
    const { results } = await run([
      pipe,
      { call: 'write', args: ['$w', 'x'] },
      {
        call: 'poll',
        args: [
          [
            { fd: '$r', events: 'POLLIN|POLLRDNORM' },
            { fd: '$w', events: 0 },
            { fd: 99, events: 'POLLIN' },
            { fd: -1, events: 'POLLIN' },
          ],
          0,
        ],
      },
    ]);
    assert.deepEqual(results[2], { ret: 2, revents: ['POLLIN|POLLRDNORM', '0', 'POLLNVAL', '0'] });
  });

  test('select_sets_are_names_ascending_by_number', async () => {
    const { results } = await run([
      pipe,
      { call: 'write', args: ['$w', 'x'] },
      { call: 'select', args: [5, ['$r'], ['$w', '$r', 0], [], { sec: 0, usec: 0 }] },
    ]);
    assert.deepEqual(results[2], {
      ret: 3,
      readfds: ['r'],
      writefds: [0, 'w'],
      exceptfds: [],
      timeout: { sec: 0, usec: 0 },
    });
  });

  test('select_max_plus_one_is_the_highest_descriptor_plus_one', async () => {
    // With nfds = 4, w (fd 4) would be outside the sets the kernel reads.
    const { results } = await run([pipe, { call: 'select', args: ['max+1', null, ['$w'], null, null] }]);
    assert.deepEqual(results[1], { ret: 1, readfds: null, writefds: ['w'], exceptfds: null, timeout: null });
  });

  test('read_data_is_one_character_per_byte', async () => {
    const { results } = await run([
      pipe,
      { call: 'write', args: ['$w', { hex: '00ff41' }] },
      { call: 'read', args: ['$r', 10] },
      { call: 'read', args: ['$r', 10] },
    ]);
    assert.deepEqual(results[2], { ret: 3, data: '\u0000\u00ffA' });
    assert.deepEqual(results[3], { errno: 'EAGAIN' });
  });

  test('expects_are_compared_and_mismatches_named', async () => {
    const { report } = await run([
      pipe,
      { call: 'write', args: ['$w', 'hello'], expect: { ret: 5 } },
      { call: 'read', args: ['$r', 2], expect: { ret: 2, data: 'hx' } },
      { call: 'read', args: ['$r', 9], expect: { errno: 'EAGAIN' } },
    ]);
    const [, write, read, again] = report.outcomes;
    assert.equal(write.ok, true);
    assert.equal(read.ok, false);
    assert.deepEqual(read.mismatched, ['data']);
    assert.deepEqual(read.expected, { ret: 2, data: 'hx' });
    assert.equal(again.ok, false, 'the pipe still holds "llo"');
    assert.equal(report.outcomes[0].ok, undefined, 'no expect, no verdict');
    assert.equal(exitStatus(report), 1);
  });

  test('exit_status_is_0_when_every_expect_matched', async () => {
    const { report } = await run([pipe, { call: 'write', args: ['$w', 'hi'], expect: { ret: 2 } }]);
    assert.equal(exitStatus(report), 0);
  });

  test('a_thread_call_that_blocks_returns_at_once_and_join_collects_it', async () => {
    const r = await run([
      blockingPipe,
      { call: 'read', thread: 't1', args: ['$r', 10] },
      { call: 'write', args: ['$w', 'ping'], expect: { ret: 4 } },
      { call: 'join', args: ['t1'], expect: { ret: 4, data: 'ping' } },
    ]);
    assert.deepEqual(r.results, [
      { ret: 0, fds: ['r', 'w'] },
      { blocked: true },
      { ret: 4 },
      { ret: 4, data: 'ping' },
    ]);
    assert.equal(r.report.outcomes[1].thread, 't1');
    assert.equal(exitStatus(r.report), 0);
    assert.deepEqual(r.proc.log, ['main:pipe2', 't1:read', 'main:write']);
  });

  test('a_thread_call_that_completes_reports_not_blocked', async () => {
    const { results } = await run([
      pipe,
      { call: 'read', thread: 't1', args: ['$r', 10] },
      { call: 'join', args: ['t1'], expect: { errno: 'EAGAIN' } },
    ]);
    assert.deepEqual(results.slice(1), [{ blocked: false }, { errno: 'EAGAIN' }]);
  });

  test('names_bound_by_a_thread_call_are_bound_at_its_join', async () => {
    const { results, report } = await run([
      pipe,
      { call: 'dup', thread: 't1', args: ['$r'], bind: 'd' },
      { call: 'join', args: ['t1'], expect: { ret: 'd' } },
      { call: 'close', args: ['$d'], expect: { ret: 0 } },
    ]);
    assert.deepEqual(results.slice(1), [{ blocked: false }, { ret: 'd' }, { ret: 0 }]);
    assert.equal(exitStatus(report), 0);
  });

  test('unordered_on_a_join_compares_the_threads_events_as_a_multiset', async () => {
    const { report } = await run([
      pipe,
      ep,
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$w', { events: 'EPOLLOUT', data: 1 }] },
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN', data: 2 }] },
      { call: 'epoll_wait', thread: 't', args: ['$ep', 8, -1] },
      { call: 'join', args: ['t'] },
      { call: 'write', args: ['$w', 'x'] },
      { call: 'epoll_wait', thread: 't', args: ['$ep', 8, -1] },
      {
        call: 'join',
        args: ['t'],
        unordered: true,
        expect: {
          ret: 2,
          events: [
            { events: 'EPOLLIN', data: 2 },
            { events: 'EPOLLOUT', data: 1 },
          ],
        },
      },
    ]);
    assert.deepEqual(report.outcomes[5].result, { ret: 1, events: [{ events: 'EPOLLOUT', data: 1 }] });
    assert.equal(report.outcomes[8].ok, true);
  });

  test('a_timeout_lets_a_blocked_wait_return_zero', async () => {
    const { results } = await run([
      pipe,
      ep,
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN' }] },
      { call: 'epoll_wait', args: ['$ep', 1, 10] },
    ]);
    assert.deepEqual(results[3], { ret: 0, events: [] });
  });

  test('blocks_forever_stops_the_run_naming_the_step', async () => {
    const r = await run([blockingPipe, { call: 'read', args: ['$r', 1] }, { call: 'close', args: ['$r'] }]);
    const report = closedAfter(r);
    assert.equal(report.outcomes.length, 1);
    assert.equal(report.failure?.step, 1);
    assert.equal(report.failure?.call, 'read');
    assert.equal(report.failure?.kind, 'blocks-forever');
    assert.match(report.failure?.message ?? '', /blocks forever: fake: no thread can run \(main in read\)/);
    assert.equal(exitStatus(report), 2);
  });

  test('a_join_that_can_never_return_blocks_forever', async () => {
    const r = await run([
      blockingPipe,
      { call: 'read', thread: 't1', args: ['$r', 1] },
      { call: 'join', args: ['t1'] },
    ]);
    const report = closedAfter(r);
    assert.equal(report.failure?.step, 2);
    assert.equal(report.failure?.kind, 'blocks-forever');
    assert.match(report.failure?.message ?? '', /t1 in read/);
  });

  test('unsupported_stops_the_run_with_status_2', async () => {
    const r = await run([pipe, { call: 'eventfd', args: [0, 0] }]);
    const report = closedAfter(r);
    assert.deepEqual(
      { step: report.failure?.step, kind: report.failure?.kind },
      { step: 1, kind: 'unsupported' },
    );
    assert.match(report.failure?.message ?? '', /eventfd: unsupported/);
    assert.equal(exitStatus(report), 2);
  });

  test('unsupported_on_a_thread_is_reported_at_its_start', async () => {
    const report = closedAfter(await run([{ call: 'eventfd', thread: 't', args: [0, 0] }]));
    assert.equal(report.failure?.step, 0);
    assert.equal(report.failure?.kind, 'unsupported');
  });

  test('a_name_whose_binding_call_failed_denotes_nothing', async () => {
    const r = await run([
      { call: 'epoll_create', args: [1], bind: 'ep' },
      { call: 'epoll_create', args: [0], bind: 'ep', expect: { errno: 'EINVAL' } },
      { call: 'close', args: ['$ep'] },
    ]);
    const report = closedAfter(r);
    assert.equal(report.outcomes[1].ok, true);
    assert.equal(report.failure?.step, 2);
    assert.equal(report.failure?.kind, 'unbound');
    assert.equal(
      report.failure?.message,
      '$ep denotes no descriptor: step 1 (epoll_create) failed with EINVAL',
    );
  });

  test('a_backend_that_cannot_create_a_process_is_a_failure_not_a_throw', async () => {
    const report = await runScript(parseScript({ steps: [pipe] }), new FakeBackend({ failCreate: true }));
    assert.equal(report.failure?.step, null);
    assert.equal(report.failure?.kind, 'error');
    assert.equal(exitStatus(report), 2);
  });

  test('abstract_addresses_get_a_prefix_as_long_as_the_linux_backends', async () => {
    const steps = [pipe, { call: 'bind', args: ['$r', '@x'] }];
    const sim = await run(steps, new FakeBackend({ name: 'sim' }));
    // The Linux backend adds its own per-run prefix, "iomux-" + 12 hex digits + "/" (src/linux).
    assert.deepEqual(sim.proc.addresses, ['@iomux-000000000000/x']);
    const linux = await run(steps, new FakeBackend({ name: 'linux' }));
    assert.deepEqual(linux.proc.addresses, ['@x']);
    const fixed = await runScript(parseScript({ steps }), new FakeBackend(), { addressPrefix: 'p.' });
    assert.equal(fixed.outcomes.length, 2);
  });

  test('every_step_is_reported_as_it_completes', async () => {
    const seen: StepOutcome[] = [];
    const report = await runScript(parseScript({ steps: [pipe, ep] }), new FakeBackend(), {
      onStep: (o) => seen.push(o),
    });
    assert.deepEqual(seen, report.outcomes);
  });

  test('join_reports_the_call_as_join', async () => {
    const { report } = await run([
      pipe,
      { call: 'read', thread: 't', args: ['$r', 1] },
      { call: 'join', args: ['t'] },
    ]);
    assert.deepEqual(
      report.outcomes.map((o) => [o.step, o.call, o.thread]),
      [
        [0, 'pipe2', undefined],
        [1, 'read', 't'],
        [2, 'join', undefined],
      ],
    );
  });
});
