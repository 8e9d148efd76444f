// Facts about Linux's select, poll, epoll, eventfd and errnos, observed through the real-Linux
// backend in a script process. The simulated kernel must match each one.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EFD, EPOLL, EPOLL_CTL, F, O, POLL, SHUT, SOCK } from '../../src/abi/constants.ts';
import { bytes, inProcess, ok } from './helpers.ts';

const EP_MAX_EVENTS = 178956970; // Linux: INT_MAX / sizeof(struct epoll_event), 12 on x86-64

test('select_writes_back_the_remaining_timeout', async () => {
  await inProcess(async ({ proc, main, call }) => {
    const [r, w] = ok(await call(main.pipe())).fds;
    // Zero in, zero out; a timeout that expires leaves zero (fs/select.c:poll_select_finish).
    assert.deepEqual(ok(await call(main.select(r + 1, [r], null, null, { sec: 0, usec: 0 }))).timeout, {
      sec: 0,
      usec: 0,
    });
    const expired = ok(await call(main.select(r + 1, [r], null, null, { sec: 0, usec: 30_000 })));
    assert.deepEqual(expired, {
      ret: 0,
      readfds: [],
      writefds: null,
      exceptfds: null,
      timeout: { sec: 0, usec: 0 },
    });
    // Woken early: what was left of the time.
    const waiting = proc.thread('t').select(r + 1, [r], null, null, { sec: 5, usec: 0 });
    await proc.settle();
    ok(await call(main.write(w, bytes('x'))));
    const woken = ok(await proc.wait(waiting));
    assert.equal(woken.ret, 1);
    assert.deepEqual(woken.readfds, [r]);
    const left = woken.timeout!.sec * 1e6 + woken.timeout!.usec;
    assert.ok(left > 4_000_000 && left < 5_000_000, `remaining ${JSON.stringify(woken.timeout)}`);
    // A null timeout stays null.
    assert.equal(ok(await call(main.select(r + 1, [r], null, null, null))).timeout, null);
  });
});

test('select_clears_bits_at_or_above_nfds_in_the_words_it_writes_back', async () => {
  // fs/select.c:core_sys_select copies FDS_BYTES(n) bytes (whole 64-bit words) back out of a result
  // set that only ever has bits below n: bits n..63 of the last word come back cleared; bits in
  // later words are never written and come back as they went in.
  await inProcess(async ({ main, call }) => {
    const [r, w] = ok(await call(main.pipe())).fds;
    ok(await call(main.write(w, bytes('x'))));
    assert.equal(r, 3);
    const res = ok(await call(main.select(3, [r, 60, 64, 100], null, null, { sec: 0, usec: 0 })));
    assert.equal(res.ret, 0);
    assert.deepEqual(res.readfds, [64, 100]);
    const res4 = ok(await call(main.select(4, [r, 60], null, null, { sec: 0, usec: 0 })));
    assert.deepEqual([res4.ret, res4.readfds], [1, [r]]);
  });
});

test('select_errors_are_EINVAL_for_negative_nfds_and_EBADF_for_a_closed_fd', async () => {
  await inProcess(async ({ main, call }) => {
    assert.deepEqual(await call(main.select(-1, null, null, null, { sec: 0, usec: 0 })), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.select(10, [9], null, null, { sec: 0, usec: 0 })), { errno: 'EBADF' });
    assert.deepEqual(await call(main.select(1, null, null, null, { sec: -1, usec: 0 })), { errno: 'EINVAL' });
  });
});

test('poll_revents_report_readiness_hangup_and_invalid_descriptors', async () => {
  await inProcess(async ({ main, call }) => {
    const [r, w] = ok(await call(main.pipe())).fds;
    const IN = POLL.POLLIN;
    const OUT = POLL.POLLOUT;
    let res = ok(
      await call(
        main.poll(
          [
            { fd: r, events: IN | OUT },
            { fd: w, events: IN | OUT },
            { fd: 500, events: IN },
            { fd: -1, events: IN },
          ],
          0,
        ),
      ),
    );
    // A closed fd is POLLNVAL and counts; a negative one is skipped (revents 0, not counted).
    assert.deepEqual(res, { ret: 2, revents: [0, OUT, POLL.POLLNVAL, 0] });
    ok(await call(main.write(w, bytes('x'))));
    ok(await call(main.close(w)));
    // POLLHUP is reported whether asked for or not; the unread byte still gives POLLIN.
    res = ok(await call(main.poll([{ fd: r, events: 0 }], 0)));
    assert.deepEqual(res, { ret: 1, revents: [POLL.POLLHUP] });
    res = ok(await call(main.poll([{ fd: r, events: IN | POLL.POLLRDNORM }], 0)));
    assert.deepEqual(res.revents, [IN | POLL.POLLRDNORM | POLL.POLLHUP]);
  });
});

test('eventfd_writes_exactly_8_bytes_and_reads_at_least_8', async () => {
  // fs/eventfd.c: eventfd_write returns EINVAL unless count == 8 (a strict check since Linux 6.9;
  // earlier kernels took count >= 8), eventfd_read EINVAL for a count below 8 and reads 8 of a
  // longer one; a write of ULLONG_MAX is EINVAL.
  await inProcess(async ({ main, call }) => {
    const efd = ok(await call(main.eventfd(0, EFD.EFD_NONBLOCK))).ret;
    assert.deepEqual(await call(main.write(efd, new Uint8Array(4))), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.read(efd, 4)), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.write(efd, new Uint8Array(8).fill(0xff))), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.read(efd, 8)), { errno: 'EAGAIN' });
    const five = new Uint8Array(8);
    five[0] = 5;
    assert.deepEqual(await call(main.write(efd, five)), { ret: 8 });
    assert.deepEqual(await call(main.write(efd, new Uint8Array(16).fill(1, 0, 1))), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.write(efd, new Uint8Array(9))), { errno: 'EINVAL' });
    const got = ok(await call(main.read(efd, 16)));
    assert.equal(got.ret, 8);
    assert.equal(Buffer.from(got.data).readBigUInt64LE(0), 5n);
    const sem = ok(await call(main.eventfd(3, EFD.EFD_SEMAPHORE))).ret;
    assert.equal(Buffer.from(ok(await call(main.read(sem, 8))).data).readBigUInt64LE(0), 1n);
  });
});

test('errno_names_are_the_kernels_spelling', async () => {
  await inProcess(async ({ main, call }) => {
    const [r, w] = ok(await call(main.pipe2(O.O_NONBLOCK))).fds;
    assert.deepEqual(await call(main.read(r, 1)), { errno: 'EAGAIN' });
    assert.deepEqual(await call(main.close(9999)), { errno: 'EBADF' });
    assert.deepEqual(await call(main.write(r, bytes('x'))), { errno: 'EBADF' });
    const ep = ok(await call(main.epoll_create1(0))).ret;
    const ev = { events: EPOLL.EPOLLIN, data: 0 };
    assert.deepEqual(await call(main.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_MOD, r, ev)), { errno: 'ENOENT' });
    assert.deepEqual(await call(main.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, ev)), { ret: 0 });
    assert.deepEqual(await call(main.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, ev)), { errno: 'EEXIST' });
    assert.deepEqual(await call(main.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, ep, ev)), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, w, null)), { errno: 'EFAULT' });
    const file = ok(await call(main.open('tmpfile', O.O_RDWR))).ret;
    assert.deepEqual(await call(main.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, file, ev)), { errno: 'EPERM' });
    assert.deepEqual(await call(main.listen(r, 1)), { errno: 'ENOTSOCK' });
    const dgram = ok(await call(main.socket(AF.AF_UNIX, SOCK.SOCK_DGRAM, 0))).ret;
    assert.deepEqual(await call(main.listen(dgram, 1)), { errno: 'EOPNOTSUPP' });
    const stream = ok(await call(main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
    assert.deepEqual(await call(main.write(stream, bytes('x'))), { errno: 'ENOTCONN' });
    assert.deepEqual(await call(main.epoll_wait(r, 1, 0)), { errno: 'EINVAL' });
  });
});

test('shutdown_of_an_unconnected_unix_socket_succeeds', async () => {
  // net/unix/af_unix.c:unix_shutdown only records the direction (no ENOTCONN as TCP gives).
  await inProcess(async ({ main, call }) => {
    const stream = ok(await call(main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
    assert.deepEqual(await call(main.shutdown(stream, SHUT.SHUT_WR)), { ret: 0 });
    assert.deepEqual(await call(main.write(stream, bytes('x'))), { errno: 'ENOTCONN' });
    const dgram = ok(await call(main.socket(AF.AF_UNIX, SOCK.SOCK_DGRAM, 0))).ret;
    assert.deepEqual(await call(main.shutdown(dgram, SHUT.SHUT_RDWR)), { ret: 0 });
    assert.deepEqual(await call(main.shutdown(dgram, 3)), { errno: 'EINVAL' });
  });
});

test('epoll_wait_maxevents_must_be_1_to_EP_MAX_EVENTS', async () => {
  await inProcess(async ({ main, call }) => {
    const ep = ok(await call(main.epoll_create(1))).ret;
    assert.deepEqual(await call(main.epoll_create(0)), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.epoll_wait(ep, 0, 0)), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.epoll_wait(ep, -1, 0)), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.epoll_wait(ep, EP_MAX_EVENTS + 1, 0)), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.epoll_wait(ep, EP_MAX_EVENTS, 0)), { ret: 0, events: [] });
  });
});

test('epoll_pwait2_waits_for_its_timespec', async () => {
  await inProcess(async ({ main, call }) => {
    const ep = ok(await call(main.epoll_create1(0))).ret;
    const started = Date.now();
    assert.deepEqual(await call(main.epoll_pwait2(ep, 4, { sec: 0, nsec: 100_000_000 })), {
      ret: 0,
      events: [],
    });
    assert.ok(Date.now() - started >= 95);
    assert.deepEqual(await call(main.epoll_pwait2(ep, 4, { sec: 0, nsec: 1_000_000_000 })), {
      errno: 'EINVAL',
    });
  });
});

test('timerfd_expiry_is_read_as_an_8_byte_count', async () => {
  await inProcess(async ({ main, call }) => {
    const tfd = ok(await call(main.timerfd_create(1 /* CLOCK_MONOTONIC */, 0))).ret;
    const zero = { sec: 0, nsec: 0 };
    ok(await call(main.timerfd_settime(tfd, 0, { interval: zero, value: { sec: 0, nsec: 20_000_000 } })));
    const cur = ok(await call(main.timerfd_gettime(tfd))).value;
    assert.ok(cur.value.sec === 0 && cur.value.nsec > 0 && cur.value.nsec <= 20_000_000);
    const got = ok(await call(main.read(tfd, 8)));
    assert.equal(Buffer.from(got.data).readBigUInt64LE(0), 1n);
    assert.deepEqual(await call(main.read(tfd, 4)), { errno: 'EINVAL' });
  });
});

test('descriptors_are_allocated_lowest_first', async () => {
  await inProcess(async ({ main, call }) => {
    const [r, w] = ok(await call(main.pipe())).fds;
    assert.deepEqual([r, w], [3, 4]);
    ok(await call(main.close(r)));
    assert.deepEqual(await call(main.dup(w)), { ret: 3 });
    assert.deepEqual(await call(main.fcntl(w, F.F_DUPFD, 10)), { ret: 10 });
    assert.deepEqual(await call(main.eventfd(0, 0)), { ret: 5 });
  });
});

test('fcntl_setfl_o_nonblock_turns_a_blocking_read_into_EAGAIN', async () => {
  await inProcess(async ({ main, call }) => {
    const [r] = ok(await call(main.pipe())).fds;
    assert.deepEqual(await call(main.fcntl(r, F.F_GETFL, 0)), { ret: O.O_RDONLY });
    ok(await call(main.fcntl(r, F.F_SETFL, O.O_NONBLOCK)));
    assert.deepEqual(await call(main.fcntl(r, F.F_GETFL, 0)), { ret: O.O_NONBLOCK });
    assert.deepEqual(await call(main.read(r, 1)), { errno: 'EAGAIN' });
    assert.deepEqual(await call(main.fcntl(r, F.F_GETPIPE_SZ, 0)), { ret: 65536 });
  });
});

test('fionread_counts_unread_bytes', async () => {
  await inProcess(async ({ main, call }) => {
    const [a, b] = ok(await call(main.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).fds;
    ok(await call(main.write(a, bytes('hello'))));
    assert.deepEqual(await call(main.ioctl_fionread(b)), { ret: 5 });
    assert.deepEqual(await call(main.ioctl_fionread(a)), { ret: 0 });
  });
});

test('sleep_sleeps', async () => {
  await inProcess(async ({ main, call }) => {
    const started = Date.now();
    assert.deepEqual(await call(main.sleep(100)), { ret: 0 });
    assert.ok(Date.now() - started >= 95);
  });
});
