// A reader abandoned while it sleeps (at a deadlock, or at teardown) must leave no wait entry
// behind, whatever the socket type (issue 9 §1 and §6: the datagram receiver's sleep unqueued
// without a finally, so its entry stayed on the socket's queue after every fd was closed).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, SOCK } from '../../src/abi/constants.ts';
import { runThreads } from '../../src/kernel/system.ts';
import { closeAndCheckLeaks, newSim, ok } from '../helpers.ts';

const TYPES = { stream: SOCK.SOCK_STREAM, dgram: SOCK.SOCK_DGRAM, seqpacket: SOCK.SOCK_SEQPACKET };

for (const [name, type] of Object.entries(TYPES)) {
  test(`${name}_read_abandoned_at_a_deadlock_leaves_no_wait_entry_queued`, async () => {
    const sim = newSim();
    await assert.rejects(
      runThreads(sim.k, sim.p, {
        async main(sys) {
          const [a] = ok(await sys.socketpair(AF.AF_UNIX, type, 0)).fds;
          await sys.read(a, 100);
        },
      }),
      (e: Error) => e.name === 'BlocksForever' && /main in read\(3, 100\)/.test(e.message),
    );
    closeAndCheckLeaks(sim);
  });

  test(`${name}_read_abandoned_at_teardown_leaves_no_wait_entry_queued`, async () => {
    const sim = newSim();
    const [a] = ok(await sim.sys.socketpair(AF.AF_UNIX, type, 0)).fds;
    const pending = sim.thread('t1').read(a, 100);
    assert.equal(sim.blocked(pending), true);
    sim.k.abortBlocked(null);
    closeAndCheckLeaks(sim);
  });
}
