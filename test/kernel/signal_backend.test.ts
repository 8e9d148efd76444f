// Signals through the backend contract (simBackend.createProcess): tid, caught, a blocked call
// that a signal ends, and ProcessKilled for every call once the process has died.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProcessKilled } from '../../src/api/backend.ts';
import { failed, ok } from '../../src/api/syscalls.ts';
import type { SimProcessHandle } from '../../src/kernel/backend.ts';
import { simBackend } from '../../src/kernel/backend.ts';
import { checkKernel } from '../../src/kernel/check.ts';
import { SIG } from '../../src/kernel/signal.ts';

test('through the backend a tgkill by tid ends a blocked read and caught counts the handler run', async () => {
  const p = (await simBackend.createProcess()) as SimProcessHandle;
  const main = p.thread('main');
  const { fds } = ok(await main.pipe());
  ok(await main.sigaction(SIG.SIGUSR1, 'catch', 0, []));
  const tid = await p.tid('reader');
  assert.notEqual(tid, await p.tid('main'));
  assert.equal(ok(await p.thread('reader').gettid()).ret, tid);
  const read = p.thread('reader').read(fds[0], 1);
  await p.settle();
  ok(await main.tgkill(tid, SIG.SIGUSR1));
  const r = await p.wait(read);
  assert.ok(failed(r) && r.errno === 'EINTR');
  assert.equal(await p.caught(SIG.SIGUSR1), 1);
  assert.equal(await p.caught(SIG.SIGUSR2), 0);
  assert.deepEqual(checkKernel(p.kernel), []);
  await p.close();
});

test('through the backend a fatal signal rejects the waiting call and every later one with ProcessKilled', async () => {
  const p = (await simBackend.createProcess()) as SimProcessHandle;
  const main = p.thread('main');
  const { fds } = ok(await main.pipe());
  const read = p.thread('reader').read(fds[0], 1);
  await assert.rejects(main.kill(SIG.SIGINT), (e) => e instanceof ProcessKilled && e.signal === SIG.SIGINT);
  await assert.rejects(p.wait(read), ProcessKilled);
  await assert.rejects(p.thread('other').pipe(), ProcessKilled);
  await p.close();
  assert.equal(p.kernel.files.size, 0);
});
