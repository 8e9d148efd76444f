// ksys_read, ksys_write (fs.ts) and ksys_epoll_wait: the calls as a C program makes them — into the
// caller's buffer, answering a byte count or −errno — which the benchmark's driver uses. They
// must do what the API's read and write do, byte for byte and errno for errno.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFD, EPOLL, EPOLL_CTL, O } from '../../src/abi/constants.ts';
import { ERRNO } from '../../src/kernel/errors.ts';
import { ksys_epoll_wait } from '../../src/kernel/eventpoll/sys_epoll.ts';
import { ksys_read, ksys_write } from '../../src/kernel/fs.ts';
import { closeAndCheckLeaks, newSim, ok } from '../helpers.ts';

test('ksys_read_copies_into_the_callers_buffer_and_returns_the_count_and_ksys_write_the_bytes_written', async () => {
  const sim = newSim();
  const t = sim.sys.thread;
  const [r, w] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
  assert.equal(sim.k.enterSync(t, 'write', ksys_write(t, w, new Uint8Array([1, 2, 3]))), 3);
  const buf = new Uint8Array(8).fill(9);
  assert.equal(sim.k.enterSync(t, 'read', ksys_read(t, r, buf)), 3);
  assert.deepEqual([...buf], [1, 2, 3, 9, 9, 9, 9, 9]);
  assert.equal(sim.k.enterSync(t, 'read', ksys_read(t, r, buf)), -ERRNO.EAGAIN);
  assert.equal(sim.k.stats.bytesCopiedIn, 3);
  assert.equal(sim.k.stats.bytesCopiedOut, 3);
  closeAndCheckLeaks(sim);
});

test('ksys_read_and_ksys_write_answer_EBADF_for_a_closed_fd_and_the_wrong_direction', async () => {
  const sim = newSim();
  const t = sim.sys.thread;
  const [r, w] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
  assert.equal(sim.k.enterSync(t, 'read', ksys_read(t, 99, new Uint8Array(1))), -ERRNO.EBADF);
  assert.equal(sim.k.enterSync(t, 'write', ksys_write(t, 99, new Uint8Array(1))), -ERRNO.EBADF);
  assert.equal(sim.k.enterSync(t, 'read', ksys_read(t, w, new Uint8Array(1))), -ERRNO.EBADF);
  assert.equal(sim.k.enterSync(t, 'write', ksys_write(t, r, new Uint8Array(1))), -ERRNO.EBADF);
  closeAndCheckLeaks(sim);
});

test('ksys_read_of_an_eventfd_writes_the_u64_little_endian_into_the_callers_buffer', async () => {
  const sim = newSim();
  const t = sim.sys.thread;
  const fd = ok(await sim.sys.eventfd(0xfffffffe, EFD.EFD_NONBLOCK)).ret;
  ok(await sim.sys.write(fd, new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0]))); // a carry into the high half
  const buf = new Uint8Array(8);
  assert.equal(sim.k.enterSync(t, 'read', ksys_read(t, fd, buf)), 8);
  assert.equal(new DataView(buf.buffer).getBigUint64(0, true), 0x1_0000_0001n);
  closeAndCheckLeaks(sim);
});

test('ksys_epoll_wait_overwrites_the_callers_events_in_place_and_answers_the_count_EBADF_EINVAL_or_EFAULT', async () => {
  const sim = newSim();
  const t = sim.sys.thread;
  const [r, w] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
  const ep = ok(await sim.sys.epoll_create1(0)).ret;
  ok(await sim.sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, { events: EPOLL.EPOLLIN, data: 42 }));
  ok(await sim.sys.write(w, new Uint8Array([1])));
  const events = [
    { events: 0, data: 0 },
    { events: 0, data: 0 },
  ];
  const first = events[0];
  assert.equal(sim.k.enterSync(t, 'epoll_wait', ksys_epoll_wait(t, ep, events, 2, 0)), 1);
  assert.equal(events[0], first, 'the same object, written in place');
  assert.deepEqual(events, [
    { events: EPOLL.EPOLLIN, data: 42 },
    { events: 0, data: 0 },
  ]);
  assert.equal(sim.k.enterSync(t, 'epoll_wait', ksys_epoll_wait(t, 99, events, 2, 0)), -ERRNO.EBADF);
  assert.equal(sim.k.enterSync(t, 'epoll_wait', ksys_epoll_wait(t, ep, events, 0, 0)), -ERRNO.EINVAL);
  assert.equal(sim.k.enterSync(t, 'epoll_wait', ksys_epoll_wait(t, ep, events, 3, 0)), -ERRNO.EFAULT);
  assert.equal(sim.k.enterSync(t, 'epoll_wait', ksys_epoll_wait(t, r, events, 2, 0)), -ERRNO.EINVAL);
  closeAndCheckLeaks(sim);
});
