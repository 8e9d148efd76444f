// A connect or accept4 abandoned while it sleeps (at a deadlock, or at teardown) must leave no
// file reference, no reserved descriptor and no wait entry behind: both hold the socket's file
// (and accept4 a reserved fd) through holdAcrossSleep, which releases them however the call ends.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, SOCK } from '../../src/abi/constants.ts';
import { runThreads } from '../../src/kernel/system.ts';
import { closeAndCheckLeaks, newSim, ok } from '../helpers.ts';

const STREAM = SOCK.SOCK_STREAM;

test('accept4_abandoned_at_a_deadlock_leaves_no_reference_fd_or_wait_entry', async () => {
  const sim = newSim();
  await assert.rejects(
    runThreads(sim.k, sim.p, {
      async main(sys) {
        const l = ok(await sys.socket(AF.AF_UNIX, STREAM, 0)).ret;
        ok(await sys.bind(l, '@l'));
        ok(await sys.listen(l, 1));
        await sys.accept4(l, 0);
      },
    }),
    (e: Error) => e.name === 'BlocksForever' && /main in accept4\(3, 0\)/.test(e.message),
  );
  // The reserved descriptor went back: the next file gets fd 4.
  assert.equal(ok(await sim.thread('after').eventfd(0, 0)).ret, 4);
  closeAndCheckLeaks(sim);
});

test('accept4_abandoned_at_teardown_leaves_no_reference_fd_or_wait_entry', async () => {
  const sim = newSim();
  const l = ok(await sim.sys.socket(AF.AF_UNIX, STREAM, 0)).ret;
  ok(await sim.sys.bind(l, '@l'));
  ok(await sim.sys.listen(l, 1));
  const pending = sim.thread('t1').accept4(l, 0);
  assert.equal(sim.blocked(pending), true);
  sim.k.abortBlocked(null);
  assert.equal(ok(await sim.sys.eventfd(0, 0)).ret, l + 1);
  closeAndCheckLeaks(sim);
});

test('connect_abandoned_at_teardown_on_a_full_backlog_leaves_no_reference_or_wait_entry', async () => {
  const sim = newSim();
  const sys = sim.sys;
  const l = ok(await sys.socket(AF.AF_UNIX, STREAM, 0)).ret;
  ok(await sys.bind(l, '@l'));
  ok(await sys.listen(l, 1));
  for (let i = 0; i < 2; i++) ok(await sys.connect(ok(await sys.socket(AF.AF_UNIX, STREAM, 0)).ret, '@l'));
  const c = ok(await sys.socket(AF.AF_UNIX, STREAM, 0)).ret;
  const pending = sim.thread('t1').connect(c, '@l');
  assert.equal(sim.blocked(pending), true);
  sim.k.abortBlocked(null);
  closeAndCheckLeaks(sim);
});

test('connect_abandoned_at_a_deadlock_on_a_full_backlog_leaves_no_reference_or_wait_entry', async () => {
  const sim = newSim();
  await assert.rejects(
    runThreads(sim.k, sim.p, {
      async main(sys) {
        const l = ok(await sys.socket(AF.AF_UNIX, STREAM, 0)).ret;
        ok(await sys.bind(l, '@l'));
        ok(await sys.listen(l, 1));
        for (let i = 0; i < 2; i++)
          ok(await sys.connect(ok(await sys.socket(AF.AF_UNIX, STREAM, 0)).ret, '@l'));
        const c = ok(await sys.socket(AF.AF_UNIX, STREAM, 0)).ret;
        await sys.connect(c, '@l');
      },
    }),
    (e: Error) => e.name === 'BlocksForever' && /main in connect\(6, "?@l"?\)/.test(e.message),
  );
  closeAndCheckLeaks(sim);
});
