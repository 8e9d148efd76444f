// The in-process layer (libc.ts, layout.ts, calls.ts) on this machine's kernel, without the child
// process: the raw bindings the benchmarks use, and the struct layouts they rely on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EPOLL, EPOLL_CTL, O } from '../../src/abi/constants.ts';
import { ERRNO, errnoName } from '../../src/abi/errno.ts';
import { LinuxCalls } from '../../src/linux/calls.ts';
import {
  decodeEpollEvents,
  decodeFdSet,
  EPOLL_EVENT,
  encodeAbstractAddress,
  encodeEpollEvent,
  encodeFdSet,
  encodeTimespec,
  fdSetBytes,
  ITIMERSPEC,
  POLLFD,
  SOCKADDR_UN,
  TIMEVAL,
} from '../../src/linux/layout.ts';
import {
  callAsync,
  callSync,
  epollPwait2BySyscall,
  libc,
  libcUnavailableReason,
} from '../../src/linux/libc.ts';

// Not a skip: on another system these tests must fail, loudly.
assert.equal(libcUnavailableReason(), null, 'the real-Linux backend tests run on Linux x86-64 only');

const c = libc();

function pipe(flags = 0): [number, number] {
  const fds = Buffer.alloc(8);
  assert.equal(c.pipe2(fds, flags), 0);
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

test('pipe_write_then_read_round_trips', () => {
  const [r, w] = pipe();
  try {
    assert.equal(c.write(w, Buffer.from('hello'), 5), 5);
    const buf = Buffer.alloc(16);
    assert.equal(c.read(r, buf, 16), 5);
    assert.equal(buf.subarray(0, 5).toString(), 'hello');
  } finally {
    c.close(r);
    c.close(w);
  }
});

test('epoll_event_is_packed_12_bytes', () => {
  assert.deepEqual(EPOLL_EVENT, { size: 12, events: 0, data: 4 });
  const ev = encodeEpollEvent({ events: EPOLL.EPOLLIN, data: 0x0102030405 });
  assert.equal(ev.length, 12);
  assert.equal(ev.readBigUInt64LE(4), 0x0102030405n);
  // The kernel agrees: two ready items fill 24 bytes, the second's mask at offset 12, data at 16.
  const ep = c.epoll_create1(0);
  const [r1, w1] = pipe();
  const [r2, w2] = pipe();
  try {
    assert.equal(
      c.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r1, encodeEpollEvent({ events: EPOLL.EPOLLIN, data: 11 })),
      0,
    );
    assert.equal(
      c.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, w2, encodeEpollEvent({ events: EPOLL.EPOLLOUT, data: 22 })),
      0,
    );
    c.write(w1, Buffer.from('x'), 1);
    const out = Buffer.alloc(3 * 12, 0xee);
    assert.equal(c.epoll_wait(ep, out, 3, 0), 2);
    const seen = decodeEpollEvents(out, 2).sort((a, b) => Number(a.data) - Number(b.data));
    assert.deepEqual(seen, [
      { events: EPOLL.EPOLLIN, data: 11 },
      { events: EPOLL.EPOLLOUT, data: 22 },
    ]);
    assert.equal(out[24], 0xee, 'nothing written past the second 12-byte event');
  } finally {
    for (const fd of [ep, r1, w1, r2, w2]) c.close(fd);
  }
});

test('struct_sizes_are_the_x86_64_ones', () => {
  assert.equal(POLLFD.size, 8);
  assert.equal(TIMEVAL.size, 16);
  assert.equal(ITIMERSPEC.size, 32);
  assert.equal(SOCKADDR_UN.size, 110);
  assert.equal(encodeAbstractAddress(Buffer.from('ab')).len, 2 + 1 + 2);
});

test('fd_set_bits_are_little_endian_words_of_64', () => {
  assert.equal(fdSetBytes(1), 8);
  assert.equal(fdSetBytes(64), 8);
  assert.equal(fdSetBytes(65), 16);
  assert.equal(fdSetBytes(2000), 256);
  const set = encodeFdSet([0, 9, 63, 64, 1500], fdSetBytes(1501));
  assert.equal(set[1], 0b10);
  assert.equal(set[7], 0x80);
  assert.equal(set[8], 1);
  assert.deepEqual(decodeFdSet(set), [0, 9, 63, 64, 1500]);
});

test('errno_is_read_after_a_failed_call_and_named', () => {
  const o = callSync(c.close, -1);
  assert.deepEqual(o, { ret: -1, errno: ERRNO.EBADF });
  assert.equal(errnoName(o.errno), 'EBADF');
  assert.equal(errnoName(11), 'EAGAIN');
  assert.equal(errnoName(95), 'EOPNOTSUPP');
});

test('errno_of_an_async_call_is_the_one_its_thread_saw', async () => {
  callSync(c.close, -1); // this thread's errno: EBADF
  const [r, w] = pipe(O.O_NONBLOCK);
  try {
    const o = await callAsync(c.read, r, Buffer.alloc(4), 4);
    assert.deepEqual(o, { ret: -1, errno: ERRNO.EAGAIN });
  } finally {
    c.close(r);
    c.close(w);
  }
});

test('raw_select_reads_bitmaps_sized_from_nfds_beyond_1024_bits', () => {
  // glibc's 128-byte fd_set could not say this; the raw call reads FDS_BYTES(nfds) per set.
  const [r, w] = pipe();
  try {
    c.write(w, Buffer.from('x'), 1);
    const set = encodeFdSet([r], fdSetBytes(4096));
    const tv = Buffer.alloc(16);
    assert.equal(c.select(4096, set, null, null, tv), 1);
    assert.deepEqual(decodeFdSet(set), [r]);
  } finally {
    c.close(r);
    c.close(w);
  }
});

test('in_process_calls_give_results_and_errnos', async () => {
  const sys = new LinuxCalls();
  const p = await sys.pipe2(O.O_NONBLOCK);
  assert.ok('fds' in p);
  const [r, w] = p.fds;
  assert.deepEqual(await sys.read(r, 8), { errno: 'EAGAIN' });
  assert.deepEqual(await sys.write(w, new Uint8Array([1, 2, 3])), { ret: 3 });
  assert.deepEqual(await sys.ioctl_fionread(r), { ret: 3 });
  assert.deepEqual(await sys.read(r, 8), { ret: 3, data: new Uint8Array([1, 2, 3]) });
  assert.deepEqual(await sys.close(r), { ret: 0 });
  assert.deepEqual(await sys.close(w), { ret: 0 });
  assert.deepEqual(await sys.close(w), { errno: 'EBADF' });
});

test('epoll_pwait2_by_raw_syscall_441_matches_the_glibc_wrapper', async () => {
  for (const pwait2 of [c.epoll_pwait2, epollPwait2BySyscall()]) {
    const ep = c.epoll_create1(0);
    const [r, w] = pipe();
    try {
      const out = Buffer.alloc(12);
      const started = Date.now();
      assert.deepEqual(
        await callAsync(pwait2, ep, out, 1, encodeTimespec({ sec: 0, nsec: 50_000_000 }), null),
        {
          ret: 0,
          errno: 0,
        },
      );
      assert.ok(Date.now() - started >= 45);
      const bad = encodeTimespec({ sec: 0, nsec: 1_000_000_000 });
      assert.deepEqual(callSync(pwait2, ep, out, 1, bad, null), { ret: -1, errno: ERRNO.EINVAL });
      c.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, encodeEpollEvent({ events: EPOLL.EPOLLIN, data: 9 }));
      c.write(w, Buffer.from('x'), 1);
      assert.equal(callSync(pwait2, ep, out, 1, null, null).ret, 1);
      assert.deepEqual(decodeEpollEvents(out, 1), [{ events: EPOLL.EPOLLIN, data: 9 }]);
    } finally {
      for (const fd of [ep, r, w]) c.close(fd);
    }
  }
});
