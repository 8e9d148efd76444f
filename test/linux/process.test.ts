// The process a script runs in on real Linux (script-format.md, "The process a script runs in" and
// "Threads"): its descriptors, its fd table, its threads, its time limits and its hygiene.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EPOLL, EPOLL_CTL, F, O, POLL, SOCK } from '../../src/abi/constants.ts';
import { BlocksForever, SCRIPT_NOFILE } from '../../src/api/backend.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import { linuxBackend, linuxBackendAvailable } from '../../src/linux/index.ts';
import { BLOCK_LIMIT_MS, FD_BASE, FD_LIMIT, type LinuxProcess } from '../../src/linux/process.ts';
import { bytes, inProcess, ok, settledWithin, text } from './helpers.ts';

test('script_process_starts_with_only_0_1_2', async () => {
  await inProcess(async ({ proc, main, call }) => {
    // Every descriptor the script could name below the runner's own is closed: poll says POLLNVAL.
    const fds = Array.from({ length: FD_BASE }, (_, fd) => ({ fd, events: POLL.POLLIN }));
    const r = ok(await call(main.poll(fds, 0)));
    assert.deepEqual(
      r.revents.slice(0, 3).map((m) => m & POLL.POLLNVAL),
      [0, 0, 0],
    );
    assert.ok(r.revents.slice(3).every((m) => m === POLL.POLLNVAL));
    // So the first descriptors a script gets are 3 and 4.
    assert.deepEqual(ok(await call(main.pipe())).fds, [3, 4]);
    assert.ok(proc.info.reserved.every((fd) => fd >= FD_BASE && fd < FD_LIMIT));
  });
});

test('descriptors_0_1_2_are_dev_null_read_write_write', async () => {
  await inProcess(async ({ main, call }) => {
    // Linux: /dev/null has no ->poll, so vfs_poll gives DEFAULT_POLLMASK (IN|OUT|RDNORM|WRNORM).
    const all = POLL.POLLIN | POLL.POLLOUT | POLL.POLLRDNORM | POLL.POLLWRNORM;
    const r = ok(
      await call(
        main.poll(
          [0, 1, 2].map((fd) => ({ fd, events: all })),
          0,
        ),
      ),
    );
    assert.deepEqual(r.revents, [all, all, all]);
    assert.deepEqual(await call(main.read(0, 4)), { ret: 0, data: new Uint8Array() });
    assert.deepEqual(await call(main.write(0, bytes('x'))), { errno: 'EBADF' });
    assert.deepEqual(await call(main.write(1, bytes('x'))), { ret: 1 });
    assert.deepEqual(await call(main.read(2, 1)), { errno: 'EBADF' });
  });
});

test('fd_table_capacity_is_1024', async () => {
  await inProcess(async ({ proc, main, call }) => {
    assert.equal(proc.info.capacity, 1024);
    const zero = { sec: 0, usec: 0 };
    // fs/select.c:core_sys_select caps nfds at fdt->max_fds: a bit at 1500 is not looked at (and
    // comes back as it went in), an unopened one below 1024 is EBADF.
    assert.deepEqual(await call(main.select(2000, [1500], null, null, zero)), {
      ret: 0,
      readfds: [1500],
      writefds: null,
      exceptfds: null,
      timeout: zero,
    });
    assert.deepEqual(await call(main.select(2000, [1000], null, null, zero)), { errno: 'EBADF' });
    assert.deepEqual(await call(main.select(2000, [1023], null, null, zero)), { errno: 'EBADF' });
    // The script's descriptors end below RLIMIT_NOFILE (SCRIPT_NOFILE): dup2 onto 1023 is EBADF.
    assert.deepEqual(await call(main.dup2(1, 1023)), { errno: 'EBADF' });
    // An fd opened at the top is looked at even though nfds is far above the table.
    assert.deepEqual(await call(main.dup2(1, SCRIPT_NOFILE - 1)), { ret: SCRIPT_NOFILE - 1 });
    assert.equal(ok(await call(main.select(2000, null, [SCRIPT_NOFILE - 1, 1500], null, zero))).ret, 1);
    assert.deepEqual(await call(main.close(SCRIPT_NOFILE - 1)), { ret: 0 });
  });
});

test('blocked_epoll_wait_returns_when_another_thread_writes', async () => {
  await inProcess(async ({ proc, main, call }) => {
    const [r, w] = ok(await call(main.pipe2(0))).fds;
    const ep = ok(await call(main.epoll_create1(0))).ret;
    ok(await call(main.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, { events: EPOLL.EPOLLIN, data: 7 })));
    const waiting = proc.thread('t1').epoll_wait(ep, 8, -1);
    await proc.settle();
    assert.equal(await settledWithin(waiting, 0), false, 'epoll_wait blocks while the pipe is empty');
    assert.deepEqual(await call(main.write(w, bytes('hi'))), { ret: 2 });
    assert.deepEqual(await proc.wait(waiting), { ret: 1, events: [{ events: EPOLL.EPOLLIN, data: 7 }] });
  });
});

test('most_recent_epoll_waiter_wakes_first', async () => {
  // Linux: ep_poll queues each waiter with __add_wait_queue_exclusive at the head of ep->wq, and an
  // edge-triggered event wakes one exclusive waiter: the last to arrive.
  await inProcess(async ({ proc, main, call }) => {
    const [r, w] = ok(await call(main.pipe2(0))).fds;
    const ep = ok(await call(main.epoll_create1(0))).ret;
    const ev = { events: EPOLL.EPOLLIN | EPOLL.EPOLLET, data: 1 };
    ok(await call(main.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, ev)));
    const first = proc.thread('first').epoll_wait(ep, 8, -1);
    await proc.settle();
    const second = proc.thread('second').epoll_wait(ep, 8, -1);
    await proc.settle();
    ok(await call(main.write(w, bytes('a'))));
    const got = { ret: 1, events: [{ events: EPOLL.EPOLLIN, data: 1 }] };
    assert.deepEqual(await proc.wait(second), got);
    assert.equal(await settledWithin(first, 200), false, 'the first waiter is still asleep');
    ok(await call(main.write(w, bytes('b'))));
    assert.deepEqual(await proc.wait(first), got);
  });
});

test('level_triggered_event_wakes_every_epoll_waiter', async () => {
  // Linux: ep_poll -> ep_send_events puts a level-triggered item back on the ready list, and
  // ep_done_scan wakes the next waiter when the list is not empty: one write, both threads return.
  await inProcess(async ({ proc, main, call }) => {
    const [r, w] = ok(await call(main.pipe2(0))).fds;
    const ep = ok(await call(main.epoll_create1(0))).ret;
    const ev = { events: EPOLL.EPOLLIN, data: 3 };
    ok(await call(main.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, ev)));
    const a = proc.thread('a').epoll_wait(ep, 8, -1);
    await proc.settle();
    const b = proc.thread('b').epoll_wait(ep, 8, -1);
    await proc.settle();
    ok(await call(main.write(w, bytes('x'))));
    assert.deepEqual(await proc.wait(b), { ret: 1, events: [ev] });
    assert.deepEqual(await proc.wait(a), { ret: 1, events: [ev] });
  });
});

test('blocked_read_returns_eof_when_the_last_writer_closes', async () => {
  await inProcess(async ({ proc, main, call }) => {
    const [r, w] = ok(await call(main.pipe())).fds;
    const reading = proc.thread('reader').read(r, 16);
    await proc.settle();
    ok(await call(main.close(w)));
    assert.deepEqual(await proc.wait(reading), { ret: 0, data: new Uint8Array() });
  });
});

test('call_that_blocks_forever_reports_BlocksForever', async () => {
  const proc = (await linuxBackend.createProcess()) as LinuxProcess;
  try {
    const main = proc.thread('main');
    const [r] = ok(await proc.wait(main.pipe())).fds;
    const started = Date.now();
    const err = await proc.wait(main.read(r, 1)).then(
      () => assert.fail('read of an empty pipe with a writer returned'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BlocksForever, String(err));
    assert.deepEqual(err.blocked, [{ thread: 'main', call: 'read' }]);
    assert.ok(Date.now() - started >= BLOCK_LIMIT_MS - 50);
    assert.equal(proc.alive, false, 'the process is over: its blocked thread cannot be got back');
    await assert.rejects(main.close(r), /read on thread main did not return/);
  } finally {
    await proc.close();
  }
});

test('a_call_with_a_timeout_gets_its_timeout_plus_the_grace', async () => {
  await inProcess(async ({ main, call }) => {
    // 2.5 s is past the 2 s default limit, but the call's own timeout extends it.
    const started = Date.now();
    assert.deepEqual(await call(main.poll([], 2500)), { ret: 0, revents: [] });
    assert.ok(Date.now() - started >= 2500);
  });
});

test('a_thread_cannot_start_a_call_before_its_previous_one_returned', async () => {
  await inProcess(async ({ proc, call, main }) => {
    const [r, w] = ok(await call(main.pipe())).fds;
    const t = proc.thread('t');
    const reading = t.read(r, 1);
    await assert.rejects(t.read(r, 1), /previous call had not returned/);
    ok(await call(main.write(w, bytes('z'))));
    assert.equal(text(ok(await proc.wait(reading)).data), 'z');
  });
});

test('abstract_names_are_private_to_a_run', async () => {
  await inProcess(async (a) => {
    await inProcess(async (b) => {
      const listenerA = ok(await a.call(a.main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
      ok(await a.call(a.main.bind(listenerA, '@x')));
      ok(await a.call(a.main.listen(listenerA, 4)));
      // Run B cannot reach run A's listener, and the name is free in run B.
      const clientB = ok(await b.call(b.main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
      assert.deepEqual(await b.call(b.main.connect(clientB, '@x')), { errno: 'ECONNREFUSED' });
      const listenerB = ok(await b.call(b.main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
      assert.deepEqual(await b.call(b.main.bind(listenerB, '@x')), { ret: 0 });
      // Within a run, names behave as Linux's.
      const again = ok(await a.call(a.main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
      assert.deepEqual(await a.call(a.main.bind(again, '@x')), { errno: 'EADDRINUSE' });
      assert.deepEqual(await a.call(a.main.connect(again, '@x')), { ret: 0 });
      const accepted = ok(await a.call(a.main.accept4(listenerA, 0))).ret;
      ok(await a.call(a.main.write(again, bytes('ping'))));
      assert.equal(text(ok(await a.call(a.main.read(accepted, 8))).data), 'ping');
    });
  });
});

test('writing_to_a_pipe_without_a_reader_gives_EPIPE', async () => {
  // SIGPIPE is ignored in the script's process (Node ignores it), so the write fails with EPIPE.
  await inProcess(async ({ main, call }) => {
    const [r, w] = ok(await call(main.pipe())).fds;
    ok(await call(main.close(r)));
    assert.deepEqual(await call(main.write(w, bytes('x'))), { errno: 'EPIPE' });
    const [s1, s2] = ok(await call(main.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).fds;
    ok(await call(main.close(s2)));
    assert.deepEqual(await call(main.write(s1, bytes('x'))), { errno: 'EPIPE' });
  });
});

test('the_script_reaches_no_host_file_and_no_other_family', async () => {
  await inProcess(async ({ main }) => {
    await assert.rejects(main.open('/etc/passwd', O.O_RDONLY), Unsupported);
    // Internet sockets are the run's own namespace's (inet.test.ts); netlink and packet are not.
    await assert.rejects(main.socket(16 /* AF_NETLINK */, SOCK.SOCK_DGRAM, 0), Unsupported);
    await assert.rejects(main.socket(17 /* AF_PACKET */, SOCK.SOCK_DGRAM, 0), Unsupported);
    await assert.rejects(main.socketpair(16 /* AF_NETLINK */, SOCK.SOCK_DGRAM, 0), Unsupported);
    const s = ok(await main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).ret;
    await assert.rejects(main.bind(s, '/tmp/iomux-socket'), Unsupported);
    await assert.rejects(main.fcntl(s, 5 /* F_GETLK: a pointer argument */, 0), Unsupported);
  });
});

test('the_runners_own_descriptors_are_out_of_the_scripts_reach', async () => {
  await inProcess(async ({ proc, main, call }) => {
    const node = proc.info.reserved[0];
    await assert.rejects(main.close(node), Unsupported);
    await assert.rejects(main.dup2(node, 0), Unsupported);
    // ...but as a newfd, one at or above RLIMIT_NOFILE is the kernel's EBADF (ksys_dup3).
    assert.deepEqual(await call(main.dup2(0, node)), { errno: 'EBADF' });
    await assert.rejects(main.poll([{ fd: node, events: POLL.POLLIN }], 0), Unsupported);
    // ...and an unopened descriptor above them is the script's to name: EBADF.
    assert.deepEqual(await call(main.close(FD_LIMIT)), { errno: 'EBADF' });
  });
});

test('a_script_meets_EMFILE_where_the_runners_descriptors_begin', async () => {
  // The script owns 3..FD_BASE-1 and its RLIMIT_NOFILE is FD_BASE: once it holds all of them, the
  // kernel itself says EMFILE, as the simulated kernel does, before any of the runner's.
  await inProcess(async ({ main, call }) => {
    for (let fd = 3; fd < FD_BASE; fd++) assert.deepEqual(await call(main.dup(0)), { ret: fd });
    assert.deepEqual(await call(main.dup(0)), { errno: 'EMFILE' });
    assert.deepEqual(await call(main.pipe()), { errno: 'EMFILE' });
    ok(await call(main.close(500)));
    assert.deepEqual(await call(main.eventfd(0, 0)), { ret: 500 });
  });
});

test('the_backend_is_named_linux_and_available_here', () => {
  assert.equal(linuxBackend.name, 'linux');
  assert.equal(linuxBackendAvailable(), true);
});

test('tmpfile_is_a_fresh_regular_file_opened_with_the_scripts_flags', async () => {
  await inProcess(async ({ main, call }) => {
    const rw = ok(await call(main.open('tmpfile', O.O_RDWR))).ret;
    assert.equal(rw, 3, 'the number a single open would give');
    assert.deepEqual(await call(main.write(rw, bytes('abc'))), { ret: 3 });
    // Linux: on 64-bit, open adds O_LARGEFILE (fs/open.c:build_open_flags via force_o_largefile).
    const O_LARGEFILE = 0o100000;
    assert.deepEqual(await call(main.fcntl(rw, F.F_GETFL, 0)), { ret: O.O_RDWR | O_LARGEFILE });
    const ro = ok(await call(main.open('tmpfile', O.O_RDONLY | O.O_CLOEXEC))).ret;
    assert.equal(ro, 4);
    assert.deepEqual(await call(main.write(ro, bytes('x'))), { errno: 'EBADF' });
    assert.deepEqual(await call(main.read(ro, 4)), { ret: 0, data: new Uint8Array() });
    assert.deepEqual(await call(main.fcntl(ro, F.F_GETFD, 0)), { ret: 1 /* FD_CLOEXEC */ });
    // A regular file is always ready (fs/select.c: no ->poll means DEFAULT_POLLMASK).
    const r = ok(await call(main.poll([{ fd: rw, events: POLL.POLLIN | POLL.POLLOUT }], 0)));
    assert.deepEqual(r.revents, [POLL.POLLIN | POLL.POLLOUT]);
  });
});

test('close_ends_the_run_cleanly_with_descriptors_and_blocked_threads_left', async () => {
  const proc = (await linuxBackend.createProcess()) as LinuxProcess;
  const main = proc.thread('main');
  ok(await proc.wait(main.pipe()));
  const ep = ok(await proc.wait(main.epoll_create1(0))).ret;
  ok(await proc.wait(main.eventfd(0, 0)));
  // Closing an epoll fd does not wake a thread waiting on it: this one stays blocked to the end.
  const blocked = proc.thread('t').epoll_wait(ep, 1, -1);
  await proc.settle();
  await proc.close(); // the leak check passes: every open descriptor was the script's
  await assert.rejects(blocked, /closed/);
  assert.equal(proc.alive, false);
});
