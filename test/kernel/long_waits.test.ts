// A call that waits many times before it is done — a MSG_WAITALL read fed a byte at a time, a
// large write drained a little at a time — runs its waits as one loop (sched.ts
// continueAfterSleep), as Linux's loops do. Each wait once nested one more generator in the
// last, and such calls died of a stack overflow after a few thousand wake-ups.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, MSG, SO, SOCK, SOL } from '../../src/abi/constants.ts';
import { closeAndCheckLeaks, newSim, ok, type Sim } from '../helpers.ts';

const WAKEUPS = 10_000;

async function tcpPair(sim: Sim): Promise<[number, number]> {
  const s = sim.sys;
  const l = ok(await s.socket(AF.AF_INET, SOCK.SOCK_STREAM, 0)).ret;
  ok(await s.bind(l, '127.0.0.1:8080'));
  ok(await s.listen(l, 8));
  const c = ok(await s.socket(AF.AF_INET, SOCK.SOCK_STREAM, 0)).ret;
  ok(await s.connect(c, '127.0.0.1:8080'));
  const a = ok(await s.accept4(l, 0)).ret;
  ok(await s.close(l));
  return [a, c];
}

for (const family of ['AF_UNIX', 'TCP'] as const) {
  test(`a_${family}_MSG_WAITALL_read_woken_${WAKEUPS}_times_returns_every_byte`, async () => {
    const sim = newSim();
    const [r, w] =
      family === 'TCP'
        ? await tcpPair(sim)
        : ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).fds;
    const reader = sim.thread('reader').recv(r, WAKEUPS, MSG.MSG_WAITALL);
    for (let i = 0; i < WAKEUPS; i++) ok(await sim.sys.write(w, new Uint8Array([i & 0xff])));
    const got = ok(await sim.wait(reader));
    assert.equal(got.ret, WAKEUPS);
    assert.equal(got.data[WAKEUPS - 1], (WAKEUPS - 1) & 0xff);
    ok(await sim.sys.close(r));
    ok(await sim.sys.close(w));
    closeAndCheckLeaks(sim);
  });

  test(`a_${family}_write_that_waits_for_room_thousands_of_times_sends_every_byte`, async () => {
    const sim = newSim();
    const [r, w] =
      family === 'TCP'
        ? await tcpPair(sim)
        : ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).fds;
    // Fill the way, then a blocked write that frees a little room per read of the other end.
    const size = family === 'TCP' ? 16 << 20 : 4 << 20;
    const writer = sim.thread('writer').write(w, new Uint8Array(size));
    let read = 0;
    let reads = 0;
    while (sim.blocked(writer)) {
      read += ok(await sim.sys.read(r, 512)).ret;
      reads++;
    }
    assert.equal(ok(await sim.wait(writer)).ret, size);
    for (;;) {
      const n = ok(await sim.sys.recv(r, 1 << 20, MSG.MSG_DONTWAIT)).ret;
      read += n;
      if (read >= size) break;
    }
    assert.equal(read, size);
    assert.ok(reads >= 5000, `the writer waited through ${reads} reads`);
    ok(await sim.sys.close(r));
    ok(await sim.sys.close(w));
    closeAndCheckLeaks(sim);
  });
}

// Checked on Linux 6.18 (Python, two threads): the reader asleep with SO_RCVLOWAT 10 keeps
// waiting after SO_RCVLOWAT is set to 1 and 5 bytes arrive, and returns 10 bytes after 5 more.
test('an_AF_UNIX_stream_read_keeps_the_SO_RCVLOWAT_target_it_started_with_across_its_waits', async () => {
  const sim = newSim();
  const [a, b] = ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).fds;
  ok(await sim.sys.setsockopt(a, SOL.SOL_SOCKET, SO.SO_RCVLOWAT, 10));
  const reader = sim.thread('reader').recv(a, 100, 0);
  assert.ok(sim.blocked(reader));
  ok(await sim.sys.setsockopt(a, SOL.SOL_SOCKET, SO.SO_RCVLOWAT, 1));
  ok(await sim.sys.write(b, new TextEncoder().encode('12345')));
  assert.ok(sim.blocked(reader), 'still below the target it started with');
  ok(await sim.sys.write(b, new TextEncoder().encode('67890')));
  const got = ok(await sim.wait(reader));
  assert.equal(new TextDecoder().decode(got.data), '1234567890');
  ok(await sim.sys.close(a));
  ok(await sim.sys.close(b));
  closeAndCheckLeaks(sim);
});
