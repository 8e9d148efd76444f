// The generator's newer calls (src/fuzz/generate.ts): pipe, dup2 and dup3, F_DUPFD up to EMFILE
// and the end-of-script flood, F_SETPIPE_SZ / F_GETPIPE_SZ, blocking connects and blocking sends.
// Run on the simulated kernel only: the scripts are valid, never block the main thread, bind names
// only to calls that cannot fail, and the thread groups block and are released where they should.
// (Their agreement with Linux is the differential session's: test/differential/fuzz.test.ts.)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Feature } from '../../src/fuzz/features.ts';
import { type Action, buildScript, scriptArbitrary } from '../../src/fuzz/generate.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { type JsonObject, parseScript, type RunReport, runScript } from '../../src/script/index.ts';

const SEED = 20261202;

type Step = { call: string; args: unknown[]; thread?: string; bind?: unknown };
const stepsOf = (doc: JsonObject) => doc.steps as Step[];
const run = (doc: JsonObject): Promise<RunReport> => runScript(parseScript(doc), simBackend);
const resultAt = (r: RunReport, i: number) => r.outcomes[i]?.result;

const NEW: Feature[] = ['pipe-call', 'dup2', 'pipe-size', 'emfile', 'connect-blocking', 'send-blocking'];
const BASE: Feature[] = [
  'pipe',
  'socketpair-stream',
  'listen-stream',
  'listen-seqpacket',
  'socket-dgram',
  'eventfd',
  'dup',
  'fcntl',
  'epoll',
  'threads',
  'bad-fds',
];
const features = [...BASE, ...NEW];

const thread = (kind: 'connect' | 'send', variant: number, size: number, order: number): Action => ({
  op: 'thread',
  kind,
  variant,
  n: 1,
  size,
  bits: [],
  observe: null,
  nest: false,
  order,
});

describe('generator: pipe, dup2/dup3, EMFILE, F_SETPIPE_SZ, blocking connects and sends', () => {
  test('scripts_with_the_new_calls_run_to_their_end_on_the_simulated_kernel', async () => {
    const failures: string[] = [];
    const seen = new Set<string>();
    for (const doc of fc.sample(scriptArbitrary({ features }), { seed: SEED, numRuns: 300 })) {
      for (const s of stepsOf(doc)) seen.add(s.call === 'fcntl' ? String(s.args[1]) : s.call);
      const report = await run(doc);
      if (report.failure)
        failures.push(`${report.failure.kind} at ${report.failure.step}: ${report.failure.message}`);
    }
    // An unbound name would mean a name bound to a call that failed; a deadlock, a thread
    // group that nothing released.
    assert.deepEqual(failures, []);
    for (const call of ['pipe', 'dup2', 'dup3', 'F_DUPFD', 'F_SETPIPE_SZ', 'F_GETPIPE_SZ', 'blocked'])
      assert.ok(seen.has(call), `no ${call} in 300 scripts`);
  });

  test('a_pipe_call_s_ends_are_made_non_blocking_by_the_next_two_steps', () => {
    for (const doc of fc.sample(scriptArbitrary({ features }), { seed: SEED + 1, numRuns: 300 })) {
      const steps = stepsOf(doc);
      steps.forEach((s, i) => {
        const [r, w] = (s.bind as string[] | undefined) ?? [];
        // Not: a thread group's private pipe (g…), or the flood's (unbound: it fails).
        if (s.call !== 'pipe' || !r || r.startsWith('g')) return;
        assert.deepEqual(steps[i + 1], { call: 'fcntl_setfl', args: [`$${r}`, 'O_NONBLOCK'] });
        assert.deepEqual(steps[i + 2], { call: 'fcntl_setfl', args: [`$${w}`, 'O_NONBLOCK'] });
      });
    }
  });

  test('dup2_from_an_unknown_source_lands_only_on_itself_or_a_never_valid_number', () => {
    for (let to = 0; to < 64; to++) {
      const doc = buildScript([{ op: 'dup2', fd: { from: 'raw', i: 0 }, to, call: 'dup2', flags: 0 }], {
        features,
      });
      const [step] = stepsOf(doc);
      assert.ok(
        step.args[1] === step.args[0] || [900, 1023, -1, 9999].includes(step.args[1] as number),
        JSON.stringify(step),
      );
      assert.equal(step.bind, undefined);
    }
  });

  test('dup2_onto_a_live_name_makes_that_name_denote_the_source_file', async () => {
    const doc = buildScript(
      [
        { op: 'eventfd', init: 3, semaphore: false },
        { op: 'pipe', direct: false, cloexec: false },
        // to 0: a live name; i = 0 >> 3 = 0: the eventfd. The source is the pipe's read end.
        { op: 'dup2', fd: { from: 'live', i: 1 }, to: 0, call: 'dup2', flags: 0 },
        // A read "of the eventfd" now reads the empty pipe: EAGAIN, not the count 3.
        { op: 'read', fd: { from: 'live', i: 0 }, size: 0 },
      ],
      { features },
    );
    const steps = stepsOf(doc);
    assert.deepEqual(
      steps.map((s) => [s.call, s.args]),
      [
        ['eventfd', [3, 'EFD_NONBLOCK']],
        ['pipe2', ['O_NONBLOCK']],
        ['dup2', ['$r1', '$e0']],
        ['read', ['$e0', 1]],
      ],
    );
    const r = await run(doc);
    assert.deepEqual(resultAt(r, 2), { ret: 'e0' });
    assert.deepEqual(resultAt(r, 3), { errno: 'EAGAIN' });
  });

  test('f_dupfd_from_895_binds_five_descriptors_then_says_emfile', async () => {
    const doc = buildScript(
      [{ op: 'dupfd', fd: { from: 'raw', i: 4 }, start: 0, cloexec: false, times: 1 }],
      {
        features,
      },
    );
    // Descriptor 0 is not a name the model knows: from an unknown source only EINVAL starts.
    assert.deepEqual(stepsOf(doc)[0].args, [0, 'F_DUPFD', 900]);
    const doc2 = buildScript(
      [
        { op: 'eventfd', init: 0, semaphore: false },
        { op: 'dupfd', fd: { from: 'live', i: 0 }, start: 0, cloexec: false, times: 6 },
      ],
      { features },
    );
    const steps = stepsOf(doc2);
    assert.equal(steps.filter((s) => s.bind).length, 6); // eventfd + five in 895..899
    const r = await run(doc2);
    assert.equal(r.failure, undefined);
    assert.deepEqual(
      r.outcomes.slice(1).map((o) => ('errno' in o.result ? o.result.errno : typeof o.result.ret)),
      ['string', 'string', 'string', 'string', 'string', 'EMFILE'],
    );
  });

  test('the_flood_ends_the_script_and_every_open_after_it_says_emfile_until_one_is_closed', async () => {
    const doc = buildScript(
      [{ op: 'exhaust' }, { op: 'listener', type: 'SOCK_STREAM', backlog: 1 }, { op: 'client', listener: 0 }],
      { features },
    );
    const steps = stepsOf(doc);
    const flood = steps.findIndex((s) => s.call === 'fcntl' && s.args[0] === 0 && s.args[2] === 0);
    assert.ok(flood > 0 && steps.slice(flood).every((s) => !s.bind), 'nothing binds after the flood begins');
    const r = await run(doc);
    assert.equal(r.failure, undefined);
    const after = r.outcomes.slice(flood + 897);
    const close = after.findIndex((o) => o.call === 'close');
    assert.ok(close > 0);
    for (const o of after.slice(0, close)) assert.deepEqual(o.result, { errno: 'EMFILE' }, o.call);
    // One free slot: pipe2 and socketpair need two; the connection that accept4's EMFILE left
    // queued takes it; F_DUPFD finds none.
    assert.deepEqual(
      after.slice(close + 1).map((o) => [o.call, o.result]),
      [
        ['pipe2', { errno: 'EMFILE' }],
        ['socketpair', { errno: 'EMFILE' }],
        ['accept4', { ret: 899 }],
        ['fcntl', { errno: 'EMFILE' }],
        ['fcntl', { errno: 'EMFILE' }],
      ],
    );
    assert.ok(
      after.some((o) => o.call === 'accept4'),
      'the queued connection is tried',
    );
  });

  test('f_setpipe_sz_past_pipe_max_size_is_eperm_and_at_most_eight_big_resizes_are_made', async () => {
    const acts: Action[] = [{ op: 'pipe', direct: false, cloexec: false }];
    // Size choice 10 is 1 MiB, 11 just above it.
    for (let i = 0; i < 10; i++)
      acts.push({ op: 'pipesz', fd: { from: 'live', i: 1 }, size: 10, get: false });
    acts.push({ op: 'pipesz', fd: { from: 'live', i: 1 }, size: 11, get: false });
    acts.push({ op: 'pipesz', fd: { from: 'live', i: 0 }, size: 0, get: true });
    const doc = buildScript(acts, { features });
    const sizes = stepsOf(doc)
      .filter((s) => s.args[1] === 'F_SETPIPE_SZ')
      .map((s) => s.args[2]);
    assert.deepEqual(sizes, [...Array(8).fill(1048576), 4096, 4096, 1048577]);
    const r = await run(doc);
    assert.deepEqual(resultAt(r, 11), { errno: 'EPERM' });
    assert.deepEqual(resultAt(r, 12), { ret: 4096 });
  });

  test('a_blocking_connect_waits_on_a_full_backlog_until_an_accept_and_fails_when_the_listener_closes', async () => {
    for (const [order, want] of [
      [0, { ret: 0 }],
      [3, { errno: 'ECONNREFUSED' }],
    ] as const) {
      const doc = buildScript([thread('connect', 0, 1, order)], { features });
      const steps = stepsOf(doc);
      const r = await run(doc);
      assert.equal(r.failure, undefined);
      const blocked = steps.findIndex((s) => s.call === 'blocked');
      assert.deepEqual(resultAt(r, blocked), { ret: 1 }, 'the connect waits');
      const join = steps.findIndex((s) => s.call === 'join');
      assert.deepEqual(resultAt(r, join), want);
      // Backlog 1: two connections fit, the third (the variant's extra) would be EAGAIN.
      const connects = steps.filter((s) => s.call === 'connect' && !s.thread).length;
      assert.equal(connects, 2);
    }
  });

  test('a_blocking_send_waits_on_a_full_socket_until_the_peer_reads_or_closes', async () => {
    // variant 0: a datagram server's queue (max_dgram_qlen); 1: a stream send buffer.
    for (const [variant, order, want] of [
      [0, 0, { ret: 1 }],
      [1, 0, { ret: 1 }],
      [1, 3, { errno: 'ECONNRESET' }],
    ] as const) {
      const doc = buildScript([thread('send', variant, 0, order)], { features });
      const steps = stepsOf(doc);
      const r = await run(doc);
      assert.equal(r.failure, undefined);
      const blocked = steps.findIndex((s) => s.call === 'blocked');
      assert.deepEqual(resultAt(r, blocked), { ret: 1 }, `variant ${variant}: the send waits`);
      assert.deepEqual(
        resultAt(
          r,
          steps.findIndex((s) => s.call === 'join'),
        ),
        want,
        `variant ${variant}`,
      );
      // The main thread's writes all went through (dgram) or stopped at EAGAIN (stream).
      const mainWrites = r.outcomes.filter((o) => o.call === 'write' && !o.thread).map((o) => o.result);
      if (variant === 0) assert.ok(mainWrites.every((w) => 'ret' in w));
      else assert.deepEqual(mainWrites.at(-1), { errno: 'EAGAIN' });
    }
  });

  test('a_writer_blocked_on_a_full_pipe_is_released_by_f_setpipe_sz_growing_it', async () => {
    const doc = buildScript(
      [
        {
          op: 'thread',
          kind: 'write',
          variant: 2,
          n: 1,
          size: 4,
          bits: [],
          observe: null,
          nest: false,
          order: 0,
        },
      ],
      {
        features,
      },
    );
    const steps = stepsOf(doc);
    const grow = steps.findIndex((s) => s.args[1] === 'F_SETPIPE_SZ');
    assert.ok(grow > 0);
    const r = await run(doc);
    assert.equal(r.failure, undefined);
    assert.deepEqual(resultAt(r, grow - 1), { ret: 1 }, 'the writer waits');
    assert.deepEqual(resultAt(r, grow), { ret: 131072 });
    assert.deepEqual(resultAt(r, grow + 1), { ret: 65536 }, 'and then writes all of its 65536 bytes');
  });

  test('a_read_whose_descriptor_dup2_replaces_still_waits_and_is_woken_and_the_name_denotes_the_peer', async () => {
    // variant 0: a pipe; `nest` asks for the replacement.
    const doc = buildScript(
      [
        {
          op: 'thread',
          kind: 'read',
          variant: 0,
          n: 1,
          size: 0,
          bits: [],
          observe: null,
          nest: true,
          order: 0,
        },
        { op: 'wake', group: 0 },
        // The read end's name now denotes the write end: a write through it goes in, and with
        // no reader left (the read end's file went when the read returned) it is EPIPE.
        { op: 'write', fd: { from: 'live', i: 0 }, size: 0, times: 1 },
      ],
      { features },
    );
    const steps = stepsOf(doc);
    const r = await run(doc);
    assert.equal(r.failure, undefined);
    const at = (call: string) =>
      resultAt(
        r,
        steps.findIndex((s) => s.call === call),
      );
    assert.deepEqual(at('dup2'), { ret: steps[0].bind ? (steps[0].bind as string[])[0] : '' });
    assert.deepEqual(at('blocked'), { ret: 1 });
    assert.deepEqual(at('join'), { ret: 1, data: 'a' });
    assert.deepEqual(resultAt(r, steps.length - 1), { errno: 'EPIPE' });
  });
});
