// An Unsupported message names what it refuses as Linux does (CLOCK_REALTIME, not "clock 0"),
// wherever src/abi has the name, on both backends; a number stays a number when no name exists.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOCK, F, O, SOCK } from '../../src/abi/constants.ts';
import { nameOf } from '../../src/abi/flags.ts';
import type { Backend } from '../../src/api/backend.ts';
import type { Syscalls } from '../../src/api/syscalls.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { linuxBackend } from '../../src/linux/index.ts';

/** The message `call` is refused with on `backend`. */
async function refusal(backend: Backend, call: (sys: Syscalls) => Promise<unknown>): Promise<string> {
  const p = await backend.createProcess();
  try {
    await p.wait(call(p.thread('main')));
  } catch (e) {
    return (e as Error).message;
  } finally {
    await p.close();
  }
  assert.fail('the call was not refused');
}

test('name_of_gives_the_linux_name_or_the_number', () => {
  assert.equal(nameOf(0, CLOCK), 'CLOCK_REALTIME');
  assert.equal(nameOf(7, CLOCK), '7');
});

test('sim_names_an_unmodelled_clock', async () => {
  const m = await refusal(simBackend, (s) => s.timerfd_create(CLOCK.CLOCK_REALTIME, 0));
  assert.equal(m, 'timerfd_create: unsupported: clock CLOCK_REALTIME');
});

test('sim_names_unmodelled_open_flags', async () => {
  // O_CREAT changes nothing on /dev/null (Linux drops it from f_flags); O_DIRECT is not modelled.
  const m = await refusal(simBackend, (s) => s.open('/dev/null', O.O_CREAT | O.O_DIRECT));
  assert.equal(m, 'open: unsupported: flags O_DIRECT');
});

test('sim_names_unmodelled_setfl_flags', async () => {
  const m = await refusal(simBackend, (s) => s.fcntl(0, F.F_SETFL, 0o2000 | O.O_NONBLOCK));
  assert.equal(m, 'fcntl: unsupported: F_SETFL O_APPEND|O_NONBLOCK');
});

test('both_backends_name_an_unmodelled_fcntl_command', async () => {
  for (const backend of [simBackend, linuxBackend]) {
    assert.equal(await refusal(backend, (s) => s.fcntl(0, 5, 0)), 'fcntl: unsupported: command F_GETLK');
    assert.equal(await refusal(backend, (s) => s.fcntl(0, 1039, 0)), 'fcntl: unsupported: command 1039');
  }
});

test('linux_names_an_unmodelled_address_family', async () => {
  // AF_NETLINK (16) talks to the host's kernel, not to the run's private network.
  const m = await refusal(linuxBackend, (s) => s.socket(16, SOCK.SOCK_DGRAM, 0));
  assert.equal(m, 'socket: unsupported: domain 16 (only AF_UNIX, AF_INET and AF_INET6)');
});

test('sim_names_an_unmodelled_address_family', async () => {
  // AF_NETLINK (16): a family Linux has and the model has not.
  const m = await refusal(simBackend, (s) => s.socket(16, SOCK.SOCK_DGRAM, 0));
  assert.equal(m, 'socket: unsupported: address family 16 (only AF_UNIX, AF_INET, AF_INET6 are modelled)');
});
