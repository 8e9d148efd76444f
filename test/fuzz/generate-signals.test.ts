// The generator's signal part (src/fuzz/generate.ts, "signals"). These tests check its rules on
// the steps it makes, without running them: every rule that keeps a generated script
// deterministic on both kernels is re-derived here from the steps alone. (That the scripts agree
// on both kernels is the differential session's: test/differential/fuzz.test.ts.)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ALL_FEATURES, detectFeatures, type Feature, OPT_IN } from '../../src/fuzz/features.ts';
import { actionsArbitrary, buildSteps, scriptArbitrary } from '../../src/fuzz/generate.ts';
import { simBackend } from '../../src/kernel/index.ts';
import type { JsonObject } from '../../src/script/index.ts';

const SEED = 20261205;
type Step = { call: string; args: unknown[]; thread?: string; bind?: unknown };
const stepsOf = (doc: JsonObject) => doc.steps as Step[];
const SIGNAL_CALLS = new Set([
  'sigaction',
  'sigprocmask',
  'kill',
  'tgkill',
  'sigpending',
  'caught',
  'signalfd',
]);
const FATAL_BY_DEFAULT = new Set(['SIGUSR1', 'SIGUSR2', 'SIGRTMIN+1']);

/** Scripts with signals (and everything else), built without parsing. */
function samples(seed: number, numRuns: number): Step[][] {
  const opts = { features: ALL_FEATURES };
  return fc.sample(actionsArbitrary(opts), { seed, numRuns }).map((a) => stepsOf(buildSteps(a, opts)));
}

describe('generator: signals', () => {
  test('signals_are_in_a_default_session_now_that_both_backends_implement_them', async () => {
    assert.ok(!OPT_IN.has('signals'));
    const d = await detectFeatures(simBackend);
    assert.ok(d.supported.has('signals'), d.missing.get('signals'));
    const defaults = [...d.supported] as Feature[];
    const seen = new Set<string>();
    for (const doc of fc.sample(scriptArbitrary({ features: defaults }), { seed: SEED, numRuns: 200 }))
      for (const s of stepsOf(doc)) if (SIGNAL_CALLS.has(s.call)) seen.add(s.call);
    assert.deepEqual([...seen].sort(), [...SIGNAL_CALLS].sort());
  });

  test('no_signal_whose_default_ends_the_process_is_sent_before_a_handler_or_sig_ign_is_installed', () => {
    let sent = 0;
    for (const steps of samples(SEED + 1, 300)) {
      const handled = new Set<string>();
      for (const s of steps) {
        if (s.call === 'sigaction') {
          const [sig, handler, flags] = s.args as [string, string, string | number];
          assert.ok(!(FATAL_BY_DEFAULT.has(sig) && handler === 'SIG_DFL'), 'never back to SIG_DFL');
          assert.ok(!(FATAL_BY_DEFAULT.has(sig) && String(flags).includes('SA_RESETHAND')));
          handled.add(sig);
        }
        const sig = s.call === 'kill' ? s.args[0] : s.call === 'tgkill' ? s.args[1] : undefined;
        if (typeof sig === 'string' && FATAL_BY_DEFAULT.has(sig)) {
          assert.ok(handled.has(sig), `${sig} sent at SIG_DFL`);
          sent++;
        }
      }
    }
    assert.ok(sent > 50, `only ${sent} such signals sent`);
  });

  test('a_process_directed_kill_goes_where_main_takes_it_or_where_every_thread_blocks_it', () => {
    let kills = 0;
    let pending = 0;
    for (const steps of samples(SEED + 2, 300)) {
      const main = new Set<string>();
      const own = new Map<string, Set<string>>();
      const during = new Map<string, Set<string>>();
      for (const s of steps) {
        if (s.thread && !own.has(s.thread)) own.set(s.thread, new Set(main));
        if (s.thread && ['ppoll', 'pselect6', 'epoll_pwait'].includes(s.call)) {
          const m = s.args.at(-1);
          if (Array.isArray(m)) during.set(s.thread, new Set(m as string[]));
        }
        if (s.call === 'join') during.delete(String(s.args[0]));
        if (s.call === 'sigprocmask' && !s.thread && Array.isArray(s.args[1])) {
          const set = s.args[1] as string[];
          if (s.args[0] === 'SIG_SETMASK') main.clear();
          for (const x of set) s.args[0] === 'SIG_UNBLOCK' ? main.delete(x) : main.add(x);
        }
        if (s.call === 'kill') {
          const sig = String(s.args[0]);
          kills++;
          if (!main.has(sig)) continue;
          pending++;
          for (const [t, m] of own) {
            assert.ok(m.has(sig), `${t} could take ${sig}`);
            assert.ok(during.get(t)?.has(sig) ?? true, `${t}'s p-call could take ${sig}`);
          }
        }
      }
    }
    assert.ok(kills > 30 && pending > 0, `${kills} kills, ${pending} left pending`);
  });

  test('a_signal_to_a_waiting_thread_is_followed_by_blocked_before_anything_else', () => {
    let n = 0;
    // 600 scripts: the internet features' actions dilute the signal ones.
    for (const steps of samples(SEED + 3, 600)) {
      const waiting = new Set<string>();
      steps.forEach((s, i) => {
        if (s.thread) waiting.add(s.thread);
        if (s.call === 'join') waiting.delete(String(s.args[0]));
        if (s.call === 'tgkill' && s.args[0] !== 'main') {
          assert.ok(waiting.has(String(s.args[0])), 'only threads whose call was not joined');
          assert.deepEqual(steps[i + 1], { call: 'blocked', args: [s.args[0]] });
          n++;
        }
      });
    }
    assert.ok(n > 30, `${n} signals to waiting threads`);
  });

  test('a_signalfd_is_read_only_with_read_signalfd', () => {
    let reads = 0;
    for (const steps of samples(SEED + 4, 300)) {
      const names = new Set<string>();
      for (const s of steps) {
        if (s.call === 'signalfd' && typeof s.bind === 'string') names.add(s.bind);
        if (s.call === 'read')
          assert.ok(!names.has(String(s.args[0]).slice(1)), 'a plain read of a signalfd');
        if (s.call === 'read_signalfd') reads++;
      }
    }
    assert.ok(reads > 0);
  });
});
