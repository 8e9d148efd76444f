// A script's limits are the same on both backends (issue 9 §6): RLIMIT_NOFILE is SCRIPT_NOFILE,
// so EMFILE, poll's EINVAL for nfds, dup2's EBADF and F_DUPFD's EINVAL fall at the same
// descriptor; and a poll list of a million entries is the kernel's EINVAL, not a time-out.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F } from '../../src/abi/constants.ts';
import { type Backend, SCRIPT_NOFILE } from '../../src/api/backend.ts';
import { failed } from '../../src/api/syscalls.ts';
import { simBackend } from '../../src/kernel/backend.ts';
import { linuxBackend } from '../../src/linux/index.ts';
import { ok } from '../helpers.ts';

async function limits(backend: Backend): Promise<void> {
  const proc = await backend.createProcess();
  try {
    const main = proc.thread('main');
    const call = <T>(p: Promise<T>) => proc.wait(p);
    // Descriptors until EMFILE: the last one is SCRIPT_NOFILE - 1.
    let last = -1;
    for (;;) {
      const r = await call(main.eventfd(0, 0));
      if (failed(r)) {
        assert.equal(r.errno, 'EMFILE', backend.name);
        break;
      }
      last = r.ret;
    }
    assert.equal(last, SCRIPT_NOFILE - 1, backend.name);
    assert.deepEqual(await call(main.close(last)), { ret: 0 });
    assert.deepEqual(await call(main.fcntl(0, F.F_DUPFD, SCRIPT_NOFILE - 1)), { ret: SCRIPT_NOFILE - 1 });
    assert.deepEqual(await call(main.fcntl(0, F.F_DUPFD, SCRIPT_NOFILE - 1)), { errno: 'EMFILE' });
    assert.deepEqual(await call(main.fcntl(0, F.F_DUPFD, SCRIPT_NOFILE)), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.dup2(0, SCRIPT_NOFILE)), { errno: 'EBADF' });
    const entries = (n: number) => Array.from({ length: n }, () => ({ fd: 0, events: 1 }));
    assert.equal(ok(await call(main.poll(entries(SCRIPT_NOFILE), 0))).ret, SCRIPT_NOFILE, backend.name);
    assert.deepEqual(await call(main.poll(entries(SCRIPT_NOFILE + 1), 0)), { errno: 'EINVAL' });
    const started = Date.now();
    assert.deepEqual(await call(main.poll(entries(1_000_000), 0)), { errno: 'EINVAL' });
    assert.ok(
      Date.now() - started < 1000,
      `${backend.name}: poll of 10^6 entries took ${Date.now() - started} ms`,
    );
  } finally {
    await proc.close();
  }
}

test('a_scripts_descriptor_limits_on_the_simulated_kernel', () => limits(simBackend));
test('a_scripts_descriptor_limits_on_linux', () => limits(linuxBackend));
