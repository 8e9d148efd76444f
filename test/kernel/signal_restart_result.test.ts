// A call restarted after a signal (SA_RESTART) runs again from the start, fd lookup included; when
// the restart returns at once, its own result is the call's. The model used to hand back the
// interrupted call's ERESTARTSYS instead (found by the differential fuzzer with signals; checked on
// Linux 6.18: test/conformance/signal-restart-fd-replaced.json).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SA, SIG } from '../../src/kernel/signal.ts';
import { errno, ok, type Sim, withSim } from '../helpers.ts';
import { pipe } from './helpers.ts';

const tid = (sim: Sim, name: string): number => sim.p.thread(name).tid;

test('a restarted read whose descriptor dup2 replaced with a write end returns EBADF', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    ok(await sim.sys.sigaction(SIG.SIGUSR1, 'catch', SA.SA_RESTART, []));
    const read = sim.thread('t').read(r, 8);
    ok(await sim.sys.dup2(w, r));
    assert.equal(sim.blocked(read), true, 'the read keeps its own reference and still waits');
    ok(await sim.sys.tgkill(tid(sim, 't'), SIG.SIGUSR1));
    assert.equal(errno(await sim.wait(read)), 'EBADF');
    assert.equal(sim.p.signal.caught[SIG.SIGUSR1], 1);
    // The old read end went with the first read: no reader is left.
    assert.equal(errno(await sim.sys.write(w, Uint8Array.of(1))), 'EPIPE');
  }));

test('a restarted read that finds data at once returns it, not the interrupted ERESTARTSYS', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    const e = ok(await sim.sys.eventfd(5, 0)).ret;
    ok(await sim.sys.sigaction(SIG.SIGUSR1, 'catch', SA.SA_RESTART, []));
    const read = sim.thread('t').read(r, 8);
    ok(await sim.sys.dup2(e, r));
    ok(await sim.sys.tgkill(tid(sim, 't'), SIG.SIGUSR1));
    assert.deepEqual(ok(await sim.wait(read)), { ret: 8, data: Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0) });
  }));
