// The signal state as snapshots show it, and the invariant checker's view of it: plain JSON, and
// a broken flag is reported (so the checks that every other test ends with can fail).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkKernel } from '../../src/kernel/check.ts';
import { SA, SIG, SIG_BLOCK } from '../../src/kernel/signal.ts';
import { snapshot as snapshotKernel } from '../../src/observe/snapshot.ts';
import { errno, ok, withSim } from '../helpers.ts';
import { pipe } from './helpers.ts';

const { SIGUSR1, SIGUSR2, SIGPIPE } = SIG;

test('a snapshot shows masks, pending signals, dispositions and handler counts as plain JSON', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', SA.SA_RESTART, [SIGUSR2]));
    ok(await sim.sys.kill(SIGUSR1));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR2]));
    ok(await sim.sys.kill(SIGUSR2));
    ok(await sim.thread('a').sigprocmask(SIG_BLOCK, [SIGUSR1]));
    ok(await sim.sys.tgkill(sim.p.thread('a').tid, SIGUSR1));
    const snap = snapshotKernel(sim.k);
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap, 'plain JSON');
    const proc = snap.processes[0];
    assert.deepEqual(proc.signal.sharedPending, [SIGUSR2]);
    assert.deepEqual(proc.signal.actions, [
      { sig: SIGUSR1, handler: 'catch', flags: SA.SA_RESTART, mask: [SIGUSR2] },
      { sig: SIGPIPE, handler: 'SIG_IGN', flags: 0, mask: [] },
    ]);
    assert.deepEqual(proc.signal.caught, [{ sig: SIGUSR1, count: 1 }]);
    assert.equal(proc.signal.killed, null);
    const [main, a] = proc.threads;
    assert.deepEqual(main.signal, {
      tid: sim.p.pid,
      blocked: [SIGUSR2],
      pending: [],
      sigpending: false,
      savedSigmask: null,
    });
    assert.deepEqual(a.signal.blocked, [SIGUSR1, SIGUSR2]);
    assert.deepEqual(a.signal.pending, [SIGUSR1]);
  }));

test('a snapshot taken during a pselect6 shows the mask it will restore', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    const call = sim.thread('t').pselect6(r + 1, [r], null, null, null, [SIGUSR2]);
    const t = snapshotKernel(sim.k).processes[0].threads.find((th) => th.name === 't')!;
    assert.deepEqual(t.signal.blocked, [SIGUSR2]);
    assert.deepEqual(t.signal.savedSigmask, [SIGUSR1]);
    ok(await sim.sys.write(w, new Uint8Array(1)));
    assert.equal(ok(await sim.wait(call)).ret, 1);
    assert.deepEqual(ok(await sim.thread('t').sigprocmask(SIG_BLOCK, null)).old, [SIGUSR1]);
  }));

test('the invariant checker reports a thread in user code left with TIF_SIGPENDING and a queue that disagrees with its set', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    ok(await sim.sys.kill(SIGUSR1));
    assert.deepEqual(checkKernel(sim.k), []);
    const main = sim.p.thread('main');
    main.sigpending = true;
    sim.p.signal.sharedPending.signal = 0n;
    assert.deepEqual(checkKernel(sim.k), [
      `process ${sim.p.pid} shared_pending: its set does not match its queue`,
      'thread main is in user code with TIF_SIGPENDING set',
    ]);
    main.sigpending = false;
    sim.p.signal.sharedPending.signal = 1n << BigInt(SIGUSR1 - 1);
    assert.equal(errno(await sim.sys.tgkill(0, SIGUSR1)), 'EINVAL');
  }));
