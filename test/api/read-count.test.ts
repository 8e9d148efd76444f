// read's count is a size_t (issue 9 §6): Linux clamps it to MAX_RW_COUNT (fs/read_write.c:
// vfs_read), so any count a buffer can have returns what is there. Both backends agree.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RW_COUNT } from '../../src/abi/constants.ts';
import type { Syscalls } from '../../src/api/syscalls.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import { bytes, ok, withSim } from '../helpers.ts';
import { inProcess } from '../linux/helpers.ts';

const COUNTS = [2 ** 31 - 1, MAX_RW_COUNT, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40, 2 ** 47 - 1];

async function readsWhatIsThere(s: Syscalls, call: <T>(p: Promise<T>) => Promise<T>): Promise<void> {
  const [r, w] = ok(await call(s.pipe())).fds;
  for (const count of COUNTS) {
    ok(await call(s.write(w, bytes('abc'))));
    const got = ok(await call(s.read(r, count)));
    assert.equal(got.ret, 3, `read(r, ${count})`);
    assert.deepEqual([...got.data], [97, 98, 99], `read(r, ${count})`);
  }
  // No process has a buffer larger than its address space (x86-64: 2^47 bytes).
  await assert.rejects(
    async () => call(s.read(r, 2 ** 48)),
    (e) => e instanceof Unsupported && /count 281474976710656/.test(e.message),
  );
  ok(await call(s.close(r)));
  ok(await call(s.close(w)));
}

test('read_with_a_count_above_MAX_RW_COUNT_returns_what_is_there_on_the_simulated_kernel', () =>
  withSim(async ({ sys }) => readsWhatIsThere(sys, (p) => p)));

test('read_with_a_count_above_MAX_RW_COUNT_returns_what_is_there_on_linux', () =>
  inProcess(async ({ main, call }) => readsWhatIsThere(main, call)));

test('a_blocked_read_of_2_31_bytes_holds_no_2_GiB_buffer_on_the_simulated_kernel', () =>
  withSim(async ({ sys, thread, wait, blocked }) => {
    const [r, w] = ok(await sys.pipe()).fds;
    const before = process.memoryUsage().arrayBuffers;
    const reading = thread('t').read(r, 2 ** 31);
    assert.ok(blocked(reading));
    const held = process.memoryUsage().arrayBuffers - before;
    assert.ok(held < 64 << 20, `the blocked read holds ${held} bytes`);
    ok(await sys.write(w, bytes('xyz')));
    assert.equal(ok(await wait(reading)).ret, 3);
    ok(await sys.close(r));
    ok(await sys.close(w));
  }));
