import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFD } from '../../src/abi/constants.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { createScriptProcess, runThreads, SimSyscalls } from '../../src/kernel/system.ts';
import { closeAndCheckLeaks, ok, u64, withSim } from '../helpers.ts';

test('sleep_advances_the_virtual_clock_only', () =>
  withSim(async (sim) => {
    const before = sim.k.now;
    ok(await sim.wait(sim.sys.sleep(1500)));
    assert.equal(sim.k.now - before, 1_500_000_000);
  }));

test('timers_due_at_the_same_instant_fire_in_the_order_they_were_set', () =>
  withSim(async (sim) => {
    const order: string[] = [];
    const a = sim
      .thread('a')
      .sleep(10)
      .then(() => order.push('a'));
    const b = sim
      .thread('b')
      .sleep(5)
      .then(() => order.push('b'));
    const c = sim
      .thread('c')
      .sleep(10)
      .then(() => order.push('c'));
    await sim.wait(sim.thread('d').sleep(20));
    await Promise.all([a, b, c]);
    assert.deepEqual(order, ['b', 'a', 'c']);
  }));

async function pingPong(): Promise<string[]> {
  const k = new Kernel();
  const p = createScriptProcess(k);
  const log: string[] = [];
  const setup = new SimSyscalls(p.thread('setup'));
  const ping = ok(await setup.eventfd(0, 0)).ret;
  const pong = ok(await setup.eventfd(0, 0)).ret;
  await runThreads(k, p, {
    async server(sys) {
      for (let i = 0; i < 3; i++) {
        ok(await sys.read(ping, 8));
        log.push(`server got ping ${i} at ${k.now}`);
        await sys.sleep(1);
        ok(await sys.write(pong, u64(1n)));
      }
    },
    async client(sys) {
      for (let i = 0; i < 3; i++) {
        ok(await sys.write(ping, u64(1n)));
        ok(await sys.read(pong, 8));
        log.push(`client got pong ${i} at ${k.now}`);
      }
    },
  });
  closeAndCheckLeaks({ k, p } as never);
  return log;
}

test('threads_as_async_functions_block_and_wake_deterministically', async () => {
  const first = await pingPong();
  const second = await pingPong();
  assert.deepEqual(first, second);
  assert.deepEqual(first.slice(-2), ['server got ping 2 at 2000000', 'client got pong 2 at 3000000']);
  assert.equal(first.length, 6);
});

test('a_deadlock_names_each_blocked_thread_and_its_call', async () => {
  const k = new Kernel();
  const p = createScriptProcess(k);
  const fd = p.fdtable.openCount; // 3: the next descriptor
  await assert.rejects(
    runThreads(k, p, {
      async a(sys) {
        ok(await sys.eventfd(0, EFD.EFD_SEMAPHORE));
        await sys.read(fd, 8);
      },
      async b(sys) {
        await sys.sleep(5);
        await sys.read(fd, 8);
      },
    }),
    (e: Error) => e.name === 'BlocksForever' && /a in read\(3, 8\).*b in read\(3, 8\)/.test(e.message),
  );
  assert.equal(k.now, 5_000_000);
});

test('a_call_that_throws_unsupported_leaves_its_thread_free_for_the_next_call', () =>
  withSim(async (sim) => {
    assert.throws(() => sim.sys.select(1.5, null, null, null, null), /Unsupported|unsupported/);
    assert.throws(() => sim.sys.connect(0, 'relative/path'), /nsupported/);
    assert.throws(() => sim.sys.read(0, -1), /nsupported/);
    ok(await sim.sys.eventfd(0, 0));
  }));
