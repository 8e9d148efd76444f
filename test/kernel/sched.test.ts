import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AF, EFD, F, O, POLL, SOCK } from '../../src/abi/constants.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import {
  holdAcrossSleep,
  type MaySleep,
  mustSleep,
  type SysGen,
  schedule,
  sleepOn,
  type Thread,
  type WakeReason,
} from '../../src/kernel/sched.ts';
import { createScriptProcess, runThreads, SimSyscalls } from '../../src/kernel/system.ts';
import { newWaitQueue, type WaitQueueHead, waitEntries, wakeUp } from '../../src/kernel/waitqueue.ts';
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

// ---- the one sleep path: schedule, sleepOn, holdAcrossSleep ----

/** A kernel, a process and one thread, for driving sleeping bodies by hand. */
function oneThread(): { k: Kernel; t: Thread } {
  const k = new Kernel();
  const p = createScriptProcess(k);
  return { k, t: p.thread('t') };
}

/** A counter held across a call: `held` is how many holds are outstanding. */
function counter() {
  const c = { held: 0, releases: 0 };
  const take = () => {
    c.held++;
    return c;
  };
  const release = (_t: Thread, h: typeof c) => {
    h.held--;
    h.releases++;
  };
  return { c, take, release };
}

test('hold_across_sleep_of_a_call_that_does_not_sleep_releases_at_once_and_makes_no_generator', () => {
  const { t } = oneThread();
  const { c, take, release } = counter();
  const r = holdAcrossSleep(t, take(), release, (_t, h, arg: number) => (h.held === 1 ? arg + 1 : -1), 41);
  assert.equal(mustSleep(r), false);
  assert.equal(r, 42, 'the body ran with the hold taken');
  assert.deepEqual(c, { held: 0, releases: 1 });
});

test('hold_across_sleep_releases_when_the_body_throws_before_sleeping', () => {
  const { t } = oneThread();
  const { c, take, release } = counter();
  assert.throws(
    () =>
      holdAcrossSleep(
        t,
        take(),
        release,
        () => {
          throw new Error('boom');
        },
        null,
      ),
    /boom/,
  );
  assert.deepEqual(c, { held: 0, releases: 1 });
});

test('hold_across_sleep_holds_across_the_sleep_and_releases_once_when_the_call_returns', async () => {
  const { k, t } = oneThread();
  const q = newWaitQueue(k, 'test.wq');
  const { c, take, release } = counter();
  const seen: number[] = [];
  function* sleeper(t: Thread): SysGen<WakeReason> {
    const reason = yield* sleepOn(t, q, 'exclusive');
    seen.push(c.held);
    return reason;
  }
  const body = (t: Thread): MaySleep<WakeReason> => sleeper(t);
  const call = k.enter(t, 'test', [], () => holdAcrossSleep(t, take(), release, body, null));
  assert.equal(t.state, 'blocked');
  assert.equal(c.held, 1, 'held while asleep');
  assert.equal(waitEntries(q).length, 1);
  wakeUp(k, q, 1, 0);
  k.runRunnable();
  assert.equal(await call, 'woken');
  assert.deepEqual(seen, [1], 'still held when the body resumed');
  assert.deepEqual(c, { held: 0, releases: 1 });
  assert.equal(waitEntries(q).length, 0);
});

test('an_abandoned_sleeper_leaves_no_wait_entry_and_drops_what_it_held', () => {
  const { k, t } = oneThread();
  const q = newWaitQueue(k, 'test.wq');
  const { c, take, release } = counter();
  let after = false;
  function* sleeper(t: Thread): SysGen<number> {
    yield* sleepOn(t, q, 'shared');
    after = true;
    return 0;
  }
  void k.enter(t, 'test', [], () => holdAcrossSleep(t, take(), release, sleeper, null));
  assert.equal(waitEntries(q).length, 1);
  k.abortBlocked(null);
  assert.equal(waitEntries(q).length, 0, 'finish_wait ran on the abandoned path');
  assert.deepEqual(c, { held: 0, releases: 1 });
  assert.equal(after, false, 'the body did not run on after its sleep');
  assert.equal(t.state, 'done');
});

test('an_abandoned_sleeper_with_its_own_wake_function_and_position_leaves_no_wait_entry', () => {
  // The shapes of __skb_wait_for_more_packets and ep_poll, through sleepOn.
  const { k, t } = oneThread();
  const q = newWaitQueue(k, 'test.wq');
  void k.enter(t, 'test', [], () => sleepOn(t, q, 'exclusive_head', null, 'ep_autoremove_wake_function'));
  assert.deepEqual(
    waitEntries(q).map((e) => [e.kind, e.flags]),
    [['ep_autoremove_wake_function', 1]],
  );
  k.abortBlocked(null);
  assert.equal(waitEntries(q).length, 0);
});

test('schedule_with_a_deadline_already_past_times_out_without_sleeping', () => {
  const { k, t } = oneThread();
  k.now = 1000;
  const gen = schedule(t, 1000);
  assert.deepEqual(gen.next(), { done: true, value: 'timeout' });
  const later = schedule(t, 1001);
  assert.deepEqual(later.next(), { done: false, value: { deadline: 1001 } });
  assert.deepEqual(later.next('woken'), { done: true, value: 'woken' });
});

test('sleep_on_with_a_deadline_times_out_and_unqueues_its_entry', async () => {
  const { k, t } = oneThread();
  const q = newWaitQueue(k, 'test.wq');
  const call = k.enter(t, 'test', [], () => sleepOn(t, q, 'exclusive', 5000));
  assert.equal(waitEntries(q).length, 1);
  k.runUntil(() => t.state !== 'blocked');
  assert.equal(k.now, 5000);
  assert.equal(await call, 'timeout');
  assert.equal(waitEntries(q).length, 0, 'finish_wait after a timeout');
});

test('a_blocked_read_holds_its_file_across_a_close_by_another_thread', () =>
  withSim(async (sim) => {
    const [r, w] = ok(await sim.sys.pipe()).fds;
    const file = sim.p.fdtable.get(r)!;
    const read = sim.thread('reader').read(r, 10);
    assert.equal(sim.blocked(read), true);
    assert.equal(file.count, 2, 'the fd slot and the blocked read');
    ok(await sim.sys.close(r));
    assert.equal(file.count, 1, 'the read keeps the file open');
    assert.equal(sim.k.files.has(file), true);
    ok(await sim.sys.write(w, u64(7n)));
    assert.equal(ok(await sim.wait(read)).ret, 8);
    assert.equal(file.count, 0, 'released when the read returned');
    assert.equal(sim.k.files.has(file), false);
  }));

test('a_blocked_read_abandoned_at_a_deadlock_drops_its_file_and_its_wait_entry', async () => {
  const k = new Kernel();
  const p = createScriptProcess(k);
  const setup = new SimSyscalls(p.thread('setup'));
  const [r, w] = ok(await setup.pipe()).fds;
  const file = p.fdtable.get(r)!;
  const files = k.files.size;
  await assert.rejects(
    runThreads(k, p, {
      async a(sys) {
        await sys.read(r, 10);
      },
    }),
    (e: Error) => e.name === 'BlocksForever',
  );
  assert.equal(file.count, 1, 'only the fd slot is left');
  const pipe = file.priv as { rdWait: WaitQueueHead };
  assert.equal(waitEntries(pipe.rdWait).length, 0);
  ok(await setup.close(r));
  ok(await setup.close(w));
  assert.equal(k.files.size, files - 2);
});

test('a_blocked_dgram_read_abandoned_at_a_deadlock_leaves_no_wait_entry', async () => {
  const k = new Kernel();
  const p = createScriptProcess(k);
  const setup = new SimSyscalls(p.thread('setup'));
  const [a, b] = ok(await setup.socketpair(AF.AF_UNIX, SOCK.SOCK_DGRAM, 0)).fds;
  await assert.rejects(
    runThreads(k, p, {
      async reader(sys) {
        await sys.read(a, 100);
      },
    }),
    (e: Error) => e.name === 'BlocksForever',
  );
  ok(await setup.close(a));
  ok(await setup.close(b));
  // Every entry ever queued has been unqueued.
  assert.equal(k.stats.waitEntriesAdded - k.stats.waitEntriesRemoved, 0);
});

test('every_sleep_in_the_kernel_goes_through_schedule', () => {
  const hits: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && path !== join('src', 'kernel', 'sched.ts')) {
        const lines = readFileSync(path, 'utf8').split('\n');
        lines.forEach((line, i) => {
          // A bare `yield` (not `yield*`) is a sleep of its own, outside the one sleep path.
          if (/\byield(?!\s*\*)\b/.test(line) && !/^\s*(\/\/|\*)/.test(line)) hits.push(`${path}:${i + 1}`);
        });
      }
    }
  };
  walk(join('src', 'kernel'));
  assert.deepEqual(hits, []);
});

// The direct table (syscalls.ts) makes a call's argument list only when it blocks: the report
// must still show each call as it was made.
test('a_deadlock_names_blocked_epoll_wait_poll_and_write_calls_with_their_arguments', async () => {
  const k = new Kernel();
  const p = createScriptProcess(k);
  const setup = new SimSyscalls(p.thread('setup'));
  const [r, w] = ok(await setup.pipe()).fds;
  const ep = ok(await setup.epoll_create1(0)).ret;
  ok(await setup.fcntl(w, F.F_SETFL, O.O_NONBLOCK));
  while (!('errno' in (await setup.write(w, new Uint8Array(4096))))) {}
  ok(await setup.fcntl(w, F.F_SETFL, 0));
  await assert.rejects(
    runThreads(k, p, {
      async a(sys) {
        await sys.epoll_wait(ep, 8, -1);
      },
      async b(sys) {
        await sys.poll([{ fd: ep, events: POLL.POLLIN }], -1);
      },
      async c(sys) {
        await sys.write(w, new Uint8Array(10));
      },
    }),
    (e: Error) =>
      e.name === 'BlocksForever' &&
      e.message.includes(`a in epoll_wait(${ep}, 8, -1)`) &&
      e.message.includes('b in poll(1, -1)') &&
      e.message.includes(`c in write(${w}, 10)`),
  );
  ok(await setup.close(r));
});
