// Hostile integers at the syscall boundary (issue 9 §6): a value an argument's C type cannot hold
// is refused with Unsupported naming the argument, on both backends alike, before the call does
// anything; a value a C program can pass is the kernel's to answer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F } from '../../src/abi/constants.ts';
import type { Syscalls } from '../../src/api/syscalls.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import { errno, ok, withSim } from '../helpers.ts';
import { inProcess } from '../linux/helpers.ts';

/** Calls no C program can make, and the argument each must name. */
const HOSTILE: [string, (s: Syscalls) => Promise<unknown>, RegExp][] = [
  ['dup2(0, 1.5)', (s) => s.dup2(0, 1.5), /^dup2: unsupported: newfd 1\.5: not a C int/],
  ['dup2(NaN, 5)', (s) => s.dup2(Number.NaN, 5), /^dup2: unsupported: oldfd NaN/],
  ['dup3(0, 2^40, 0)', (s) => s.dup3(0, 2 ** 40, 0), /^dup3: unsupported: newfd 1099511627776/],
  ['dup3(0, 7, 0.5)', (s) => s.dup3(0, 7, 0.5), /^dup3: unsupported: flags 0\.5/],
  ['fcntl(0, F_DUPFD, NaN)', (s) => s.fcntl(0, F.F_DUPFD, Number.NaN), /^fcntl: unsupported: arg NaN/],
  [
    'fcntl(0, F_DUPFD, 2^53)',
    (s) => s.fcntl(0, F.F_DUPFD, 2 ** 53),
    /^fcntl: unsupported: arg 9007199254740992/,
  ],
  ['fcntl(0.5, F_GETFL, 0)', (s) => s.fcntl(0.5, F.F_GETFL, 0), /^fcntl: unsupported: fd 0\.5/],
  ['dup(2^31)', (s) => s.dup(2 ** 31), /^dup: unsupported: fd 2147483648/],
  ['close(-Infinity)', (s) => s.close(-Infinity), /^close: unsupported: fd -Infinity/],
  ['read(0, 1.5)', (s) => s.read(0, 1.5), /^read: unsupported: count 1\.5/],
  ['read(0, -1)', (s) => s.read(0, -1), /^read: unsupported: count -1/],
  ['eventfd(2^32, 0)', (s) => s.eventfd(2 ** 32, 0), /^eventfd: unsupported: initval 4294967296/],
  ['epoll_create1(NaN)', (s) => s.epoll_create1(Number.NaN), /^epoll_create1: unsupported: flags NaN/],
  ['epoll_wait(3, 1.5, 0)', (s) => s.epoll_wait(3, 1.5, 0), /^epoll_wait: unsupported: maxevents 1\.5/],
  [
    'poll([{fd: 0.5}], 0)',
    (s) => s.poll([{ fd: 0.5, events: 1 }], 0),
    /^poll: unsupported: fds\[0\]\.fd 0\.5/,
  ],
  ['poll([], 2^31)', (s) => s.poll([], 2 ** 31), /^poll: unsupported: timeout 2147483648/],
  ['select(1.5, …)', (s) => s.select(1.5, null, null, null, null), /^select: unsupported: nfds 1\.5/],
  ['pipe2(2^32)', (s) => s.pipe2(2 ** 32), /^pipe2: unsupported: flags 4294967296/],
  ['sleep(0.5)', (s) => s.sleep(0.5), /^sleep: unsupported: ms 0\.5/],
];

async function refused(s: Syscalls, name: string, call: (s: Syscalls) => Promise<unknown>, want: RegExp) {
  let result: unknown;
  try {
    result = await call(s);
  } catch (e) {
    assert.ok(e instanceof Unsupported, `${name}: ${String(e)}`);
    assert.match(e.message, want, name);
    return;
  }
  assert.fail(`${name} returned ${JSON.stringify(result)}`);
}

test('calls_with_values_no_c_type_holds_are_unsupported_on_the_simulated_kernel', async () => {
  await withSim(async ({ sys }) => {
    for (const [name, call, want] of HOSTILE) await refused(sys, name, call, want);
    // Nothing was allocated: the next descriptor is 3.
    assert.equal(ok(await sys.eventfd(0, 0)).ret, 3);
    ok(await sys.close(3));
  });
});

test('calls_with_values_no_c_type_holds_are_unsupported_on_linux', async () => {
  await inProcess(async ({ main, call }) => {
    for (const [name, c, want] of HOSTILE) await refused(main, name, (s) => call(c(s)), want);
    assert.equal(ok(await call(main.eventfd(0, 0))).ret, 3);
    ok(await call(main.close(3)));
  });
});

test('dup2_onto_a_fractional_fd_leaves_the_table_alone', async () => {
  await withSim(async ({ sys, p }) => {
    await refused(sys, 'dup2', (s) => s.dup2(0, 1.5), /newfd 1\.5/);
    await refused(sys, 'fcntl', (s) => s.fcntl(0, F.F_DUPFD, Number.NaN), /arg NaN/);
    await refused(sys, 'fcntl', (s) => s.fcntl(0, F.F_DUPFD, Number.NaN), /arg NaN/);
    assert.deepEqual(p.fdtable.openFds(), [0, 1, 2]);
    assert.equal(ok(await sys.epoll_create1(0)).ret, 3);
    assert.equal(ok(await sys.eventfd(0, 0)).ret, 4);
    ok(await sys.close(3));
    ok(await sys.close(4));
  });
});

test('values_c_converts_are_the_kernels_to_answer', async () => {
  // A negative int for an unsigned int; a flag word written unsigned for an int of flags.
  const cases = async (s: Syscalls, call: <T>(p: Promise<T>) => Promise<T>) => {
    const e = ok(await call(s.eventfd(-1, 0)));
    ok(await call(s.close(e.ret)));
    assert.equal(errno(await call(s.epoll_create1(0x80000000))), 'EINVAL');
    assert.equal(errno(await call(s.epoll_create1(-(2 ** 31)))), 'EINVAL');
    assert.equal(errno(await call(s.eventfd(0, 0x80000000))), 'EINVAL');
    assert.equal(errno(await call(s.dup3(0, 5, -1))), 'EINVAL');
    assert.equal(errno(await call(s.dup2(0, -1))), 'EBADF');
    // fcntl's argument is a long; F_DUPFD takes (int)arg: 2^32 + 5 is 5, 2^31 + 5 negative.
    assert.equal(ok(await call(s.fcntl(0, F.F_DUPFD, 2 ** 32 + 5))).ret, 5);
    ok(await call(s.close(5)));
    assert.equal(errno(await call(s.fcntl(0, F.F_DUPFD, 2 ** 31 + 5))), 'EINVAL');
  };
  await withSim(async ({ sys }) => cases(sys, (p) => p));
  await inProcess(async ({ main, call }) => cases(main, call));
});
