// The generator's internet sockets (src/fuzz/generate.ts, features tcp, udp, inet6): the rules
// that keep a script deterministic on Linux, re-derived from the steps alone, and a sample of
// scripts run twice on Linux (each run in a network namespace of its own) that must agree with
// itself. Agreement with the simulated kernel is the differential session's.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Feature } from '../../src/fuzz/features.ts';
import { type Action, buildScript, scriptArbitrary } from '../../src/fuzz/generate.ts';
import { linuxBackend, linuxUnavailableReason } from '../../src/linux/index.ts';
import { diffScript, type JsonObject, parseScript, runScript } from '../../src/script/index.ts';

const SEED = 20261203;

type Step = { call: string; args: unknown[]; thread?: string; bind?: unknown };
const stepsOf = (doc: JsonObject) => doc.steps as Step[];

const INET: Feature[] = ['tcp', 'udp', 'inet6'];
const features: Feature[] = [
  ...INET,
  'epoll',
  'poll',
  'select',
  'shutdown',
  'dup',
  'dup2',
  'fcntl',
  'bad-fds',
];
const sample = (numRuns: number, seed = SEED) => fc.sample(scriptArbitrary({ features }), { seed, numRuns });

const listener = (backlog: number, fam = 0): Action => ({ op: 'tlisten', fam, backlog, opts: 0 });
const client = (via = 0, l = 0): Action => ({ op: 'tclient', listener: l, via, bindFirst: false });
const acceptOn = (l: number): Action => ({ op: 'accept', listener: l, cloexec: false });
const accept = acceptOn(0);

const payloadLength = (p: unknown): number =>
  typeof p === 'string' ? p.length : Number((p as { len?: number }).len ?? 8);

describe('generator: TCP and UDP on loopback', () => {
  test('a_tcp_client_connects_only_while_the_listener_queue_surely_has_room', () => {
    // Backlog 1: Linux keeps two connections, so of four clients only two connect; an accept
    // makes room for one more.
    const doc = buildScript(
      [listener(1), client(), client(), client(), client(), accept, client(), client()],
      {
        features: ['tcp'],
      },
    );
    const steps = stepsOf(doc);
    const connects = steps.filter((s) => s.call === 'connect');
    assert.equal(connects.length, 3);
    assert.ok(connects.every((s) => s.args[1] === '127.0.0.1:5000'));
    // The accept binds a name: a connection is surely queued.
    assert.ok(steps.some((s) => s.call === 'accept4' && s.bind));
  });

  test('an_accept_binds_a_name_only_when_a_connection_is_surely_queued', () => {
    const doc = buildScript([listener(2), accept, client(), accept, accept], { features: ['tcp'] });
    const accepts = stepsOf(doc).filter((s) => s.call === 'accept4');
    assert.deepEqual(
      accepts.map((s) => s.bind !== undefined),
      [false, true, false],
    );
  });

  test('a_listener_that_connect_af_unspec_stopped_gets_no_more_clients', () => {
    const unspec: Action = { op: 'uconnect', fd: { from: 'live', i: 0 }, dest: 7 };
    const doc = buildScript([listener(4), unspec, client(), accept], { features: ['tcp', 'udp'] });
    const steps = stepsOf(doc);
    assert.deepEqual(
      steps.filter((s) => s.call === 'connect').map((s) => s.args[1]),
      ['AF_UNSPEC'],
    );
    assert.ok(!steps.some((s) => s.call === 'accept4'));
  });

  test('every_tcp_socket_gets_tcp_nodelay_and_every_internet_socket_is_non_blocking', () => {
    let tcp = 0;
    for (const doc of sample(300)) {
      const steps = stepsOf(doc);
      steps.forEach((s, i) => {
        if (s.call === 'accept4') assert.match(String(s.args[1]), /SOCK_NONBLOCK/);
        if (s.call !== 'socket' || s.args[0] === 'AF_UNIX') return;
        assert.match(String(s.args[1]), /SOCK_NONBLOCK/);
        if (!String(s.args[1]).startsWith('SOCK_STREAM')) return;
        tcp++;
        assert.deepEqual(steps[i + 1], {
          call: 'setsockopt',
          args: [`$${s.bind}`, 'IPPROTO_TCP', 'TCP_NODELAY', 1],
        });
      });
    }
    assert.ok(tcp > 150, `only ${tcp} TCP sockets in 300 scripts`);
  });

  test('each_tcp_socket_sends_a_few_kib_at_most_and_a_script_a_few_dozen_datagrams', () => {
    for (const doc of sample(300, SEED + 1)) {
      const kind = new Map<string, 'tcp' | 'udp'>();
      const sent = new Map<string, number>();
      let datagrams = 0;
      for (const s of stepsOf(doc)) {
        if (s.call === 'socket' && s.args[0] !== 'AF_UNIX')
          kind.set(String(s.bind), String(s.args[1]).startsWith('SOCK_STREAM') ? 'tcp' : 'udp');
        if (s.call === 'accept4' && s.bind && kind.get(String(s.args[0]).slice(1)) === 'tcp')
          kind.set(String(s.bind), 'tcp');
        if (s.call !== 'write' && s.call !== 'send' && s.call !== 'sendto') continue;
        const name = String(s.args[0]).slice(1);
        if (kind.get(name) === 'udp') datagrams++;
        if (kind.get(name) === 'tcp') sent.set(name, (sent.get(name) ?? 0) + payloadLength(s.args[1]));
      }
      for (const [name, n] of sent) assert.ok(n <= 6144, `${name} sends ${n} bytes`);
      assert.ok(datagrams <= 40, `${datagrams} datagrams`);
    }
  });

  test('fixed_ports_are_bound_once_and_the_refused_ports_never', () => {
    let listeners = 0;
    for (const doc of sample(300, SEED + 2)) {
      const bound = new Set<string>();
      const steps = stepsOf(doc);
      steps.forEach((s, i) => {
        if (s.call !== 'bind' || typeof s.args[1] !== 'string' || s.args[1].startsWith('@')) return;
        const port = Number(s.args[1].slice(s.args[1].lastIndexOf(':') + 1));
        assert.ok(port !== 5999 && port !== 6999, `bind to refused port: ${s.args[1]}`);
        // A listener's port, bound just before its listen: each one fresh (other binds may
        // repeat a live listener's address on purpose, for EADDRINUSE).
        const next = steps[i + 1];
        if (port !== 0 && next?.call === 'listen' && next.args[0] === s.args[0]) {
          assert.ok(!bound.has(String(port)), `port ${port} bound twice`);
          bound.add(String(port));
          listeners++;
        }
      });
    }
    assert.ok(listeners > 100);
  });

  test('tcp_and_udp_scripts_give_the_same_results_twice_on_linux', {
    skip: linuxUnavailableReason() ?? false,
  }, async () => {
    const failures: string[] = [];
    const seen = new Set<string>();
    for (const doc of sample(40, SEED + 3)) {
      for (const s of stepsOf(doc)) seen.add(s.call);
      const r = await diffScript(parseScript(doc), linuxBackend, linuxBackend);
      for (const f of [r.a.failure, r.b.failure])
        if (f) failures.push(`${f.kind} at ${f.step}: ${f.message}`);
      for (const d of r.differences) failures.push(`step ${d.step} ${d.call}: ${JSON.stringify([d.a, d.b])}`);
    }
    assert.deepEqual(failures, []);
    for (const call of [
      'accept4',
      'send',
      'recv',
      'sendto',
      'recvfrom',
      'getsockopt',
      'setsockopt',
      'getpeername',
    ])
      assert.ok(seen.has(call), `no ${call} in 40 scripts`);
  });

  test('on_linux_every_client_is_established_at_once_and_every_named_accept_succeeds', {
    skip: linuxUnavailableReason() ?? false,
  }, async () => {
    // Each family choice (with inet6: v4, dual-stack, v6, v6-only) and each way to reach it.
    const actions: Action[] = [];
    for (let fam = 0; fam < 4; fam++) {
      actions.push(
        listener(2, fam),
        client(0, fam),
        client(1, fam),
        client(2, fam),
        acceptOn(fam),
        acceptOn(fam),
      );
    }
    const doc = buildScript(actions, { features: INET });
    const steps = stepsOf(doc);
    const r = await runScript(parseScript(doc), linuxBackend);
    assert.equal(r.failure, undefined);
    steps.forEach((s, i) => {
      const res = r.outcomes[i]?.result;
      if (s.call === 'connect') assert.deepEqual(res, { errno: 'EINPROGRESS' }, `step ${i}`);
      if (s.call === 'accept4' && s.bind) assert.deepEqual(res, { ret: s.bind }, `step ${i}`);
    });
  });

  test('on_linux_a_thread_blocked_in_tcp_accept_or_recv_waits_until_the_connect_or_send', {
    skip: linuxUnavailableReason() ?? false,
  }, async () => {
    const group = (kind: 'accept' | 'recv', variant: number, size: number): Action => ({
      op: 'thread',
      kind,
      variant,
      n: 1,
      size,
      bits: [],
      observe: null,
      nest: false,
      order: 0,
    });
    // accept: size 4 picks the TCP listener; recv: size 3 is 1000 bytes, 3 >> 2 = 0 is flags 0.
    const doc = buildScript([group('accept', 0, 4), group('recv', 0, 3)], {
      features: ['tcp', 'threads', 'fcntl'],
    });
    const steps = stepsOf(doc);
    const r = await runScript(parseScript(doc), linuxBackend);
    assert.equal(r.failure, undefined);
    const at = (call: string, k = 0) =>
      steps.map((s, i) => [s, i] as const).filter(([s]) => s.call === call)[k][1];
    assert.deepEqual(r.outcomes[at('blocked', 0)]?.result, { ret: 1 }, 'accept4 waits');
    assert.deepEqual(r.outcomes[at('join', 0)]?.result, { ret: steps[at('accept4', 0)].bind });
    assert.deepEqual(r.outcomes[at('blocked', 1)]?.result, { ret: 1 }, 'recv waits');
    assert.equal(steps[at('send', 0)].args[0], steps[at('connect', 1)].args[0], 'the client sends');
    assert.equal(
      (r.outcomes[at('join', 1)]?.result as { ret?: unknown } | undefined)?.ret,
      100,
      'recv(100) of 1000 bytes',
    );
  });
});
