// A child process reused across runs (process.ts, "Reuse"): a run on a reused child starts as the
// format's process does, as a run on a fresh one — only 0, 1, 2 open, on /dev/null, a 1024-slot
// table, names of its own — and a child whose run did not end cleanly is never reused.
//
// Each test file runs in a process of its own, so the pool here starts empty. Reuse is asserted on
// the child's identity (its pid and run number), never on times.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AF, F, O, POLL, SOCK } from '../../src/abi/constants.ts';
import { BlocksForever } from '../../src/api/backend.ts';
import { linuxBackend } from '../../src/linux/index.ts';
import { FD_BASE, FD_LIMIT, LinuxProcess } from '../../src/linux/process.ts';
import { bytes, ok } from './helpers.ts';

const create = async () => (await linuxBackend.createProcess()) as LinuxProcess;

/** Whether process `pid` exists (signal 0 checks without sending). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** A run on one child, closed, and the run after it, which must be on the same child. */
async function twoRuns(
  first: (proc: LinuxProcess) => Promise<void>,
  second: (proc: LinuxProcess) => Promise<void>,
): Promise<void> {
  const a = await create();
  try {
    await first(a);
  } finally {
    await a.close();
  }
  assert.equal(a.fate, 'reused', 'the first run ended cleanly: its child goes back to the pool');
  const b = await create();
  try {
    assert.equal(b.info.pid, a.info.pid, 'the second run is on the first run’s child');
    assert.equal(b.info.run, a.info.run + 1);
    await second(b);
  } finally {
    await b.close();
  }
}

test('a_reused_child_starts_with_only_0_1_2', async () => {
  await twoRuns(
    async (proc) => {
      // Leave the process as untidy as a script can: descriptors everywhere it may put them, 0, 1
      // and 2 closed or replaced, a flag set on the file 0 was.
      const main = proc.thread('main');
      const call = <T>(p: Promise<T>) => proc.wait(p);
      const [r, w] = ok(await call(main.pipe())).fds;
      ok(await call(main.eventfd(0, 0)));
      ok(await call(main.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)));
      ok(await call(main.epoll_create1(0)));
      ok(await call(main.fcntl(0, F.F_SETFL, O.O_NONBLOCK)));
      assert.deepEqual(await call(main.dup2(w, 0)), { ret: 0 });
      assert.deepEqual(await call(main.close(1)), { ret: 0 });
      assert.deepEqual(await call(main.dup2(r, 2)), { ret: 2 });
      assert.deepEqual(await call(main.dup2(r, FD_BASE - 1)), { ret: FD_BASE - 1 });
      const free = Array.from({ length: FD_LIMIT - FD_BASE }, (_, i) => FD_BASE + i).find(
        (fd) => !proc.info.reserved.includes(fd),
      );
      assert.ok(free !== undefined);
      // At or above RLIMIT_NOFILE (FD_BASE) the script can put nothing.
      assert.deepEqual(await call(main.dup2(r, free)), { errno: 'EBADF' });
      assert.deepEqual(await call(main.dup2(r, 1023)), { errno: 'EBADF' });
      assert.equal(ok(await call(main.pipe())).fds[0], 1, 'the closed 1 is the lowest free');
    },
    async (proc) => {
      const main = proc.thread('main');
      const call = <T>(p: Promise<T>) => proc.wait(p);
      // Every descriptor the script may hold (below RLIMIT_NOFILE, FD_BASE) is closed but 0, 1, 2:
      // poll says POLLNVAL.
      const names = Array.from({ length: FD_BASE }, (_, fd) => fd).filter(
        (fd) => !proc.info.reserved.includes(fd),
      );
      const r = ok(
        await call(
          main.poll(
            names.map((fd) => ({ fd, events: POLL.POLLIN })),
            0,
          ),
        ),
      );
      assert.deepEqual(
        r.revents.slice(0, 3).map((m) => m & POLL.POLLNVAL),
        [0, 0, 0],
      );
      const open = names.filter((fd, i) => fd > 2 && r.revents[i] !== POLL.POLLNVAL);
      assert.deepEqual(open, [], 'descriptors left open from the last run');
      // 0, 1, 2 are fresh opens of /dev/null: read, write, write, without the last run's flag.
      const all = POLL.POLLIN | POLL.POLLOUT | POLL.POLLRDNORM | POLL.POLLWRNORM;
      const std = ok(
        await call(
          main.poll(
            [0, 1, 2].map((fd) => ({ fd, events: all })),
            0,
          ),
        ),
      );
      assert.deepEqual(std.revents, [all, all, all]);
      assert.deepEqual(await call(main.read(0, 4)), { ret: 0, data: new Uint8Array() });
      assert.deepEqual(await call(main.write(0, bytes('x'))), { errno: 'EBADF' });
      assert.deepEqual(await call(main.write(1, bytes('x'))), { ret: 1 });
      assert.deepEqual(await call(main.read(2, 1)), { errno: 'EBADF' });
      assert.equal(ok(await call(main.fcntl(0, F.F_GETFL, 0))).ret & O.O_NONBLOCK, 0);
      // The table still has 1024 slots.
      assert.equal(proc.info.capacity, 1024);
      const zero = { sec: 0, usec: 0 };
      assert.equal(ok(await call(main.select(2000, [1500], null, null, zero))).ret, 0);
      assert.deepEqual(await call(main.select(2000, [1000], null, null, zero)), { errno: 'EBADF' });
      // So the first descriptors this run gets are 3 and 4.
      assert.deepEqual(ok(await call(main.pipe())).fds, [3, 4]);
    },
  );
});

test('names_bound_in_one_run_are_gone_in_the_next', async () => {
  await twoRuns(
    async (proc) => {
      const main = proc.thread('main');
      const listener = ok(await proc.wait(main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
      ok(await proc.wait(main.bind(listener, '@x')));
      ok(await proc.wait(main.listen(listener, 4)));
      const dgram = ok(await proc.wait(main.socket(AF.AF_UNIX, SOCK.SOCK_DGRAM, 0))).ret;
      ok(await proc.wait(main.bind(dgram, '@y')));
      // Within the run, the names are taken.
      const again = ok(await proc.wait(main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
      assert.deepEqual(await proc.wait(main.bind(again, '@x')), { errno: 'EADDRINUSE' });
    },
    async (proc) => {
      const main = proc.thread('main');
      const client = ok(await proc.wait(main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
      assert.deepEqual(await proc.wait(main.connect(client, '@x')), { errno: 'ECONNREFUSED' });
      const listener = ok(await proc.wait(main.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0))).ret;
      assert.deepEqual(await proc.wait(main.bind(listener, '@x')), { ret: 0 });
      const dgram = ok(await proc.wait(main.socket(AF.AF_UNIX, SOCK.SOCK_DGRAM, 0))).ret;
      assert.deepEqual(await proc.wait(main.bind(dgram, '@y')), { ret: 0 });
    },
  );
});

test('a_child_whose_call_blocked_forever_is_not_reused', async () => {
  const proc = await create();
  const main = proc.thread('main');
  try {
    const [r] = ok(await proc.wait(main.pipe())).fds;
    const err = await proc.wait(main.read(r, 1)).then(
      () => assert.fail('read of an empty pipe with a writer returned'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BlocksForever, String(err));
  } finally {
    await proc.close();
  }
  assert.match(proc.fate ?? '', /did not return/);
  assert.equal(exists(proc.info.pid), false, 'the child was killed');
  assert.ok(!LinuxProcess.pool().idle.includes(proc.info.pid));
  const next = await create();
  try {
    assert.notEqual(next.info.pid, proc.info.pid);
  } finally {
    await next.close();
  }
});

test('a_child_closed_while_a_thread_is_blocked_is_not_reused', async () => {
  const proc = await create();
  const [r] = ok(await proc.wait(proc.thread('main').pipe())).fds;
  const blocked = proc.thread('t').read(r, 1);
  await proc.settle();
  await proc.close();
  await assert.rejects(blocked, /closed/);
  assert.match(proc.fate ?? '', /calls had not returned: read on thread t/);
  assert.equal(exists(proc.info.pid), false, 'the child was killed');
});

test('a_run_whose_threads_all_returned_hands_its_child_back', async () => {
  await twoRuns(
    async (proc) => {
      const main = proc.thread('main');
      const [r, w] = ok(await proc.wait(main.pipe())).fds;
      const readers = ['t1', 't2'].map((t) => proc.thread(t).read(r, 1));
      await proc.settle();
      ok(await proc.wait(main.write(w, bytes('ab'))));
      for (const reading of readers) assert.equal(ok(await proc.wait(reading)).ret, 1);
    },
    async () => {},
  );
});

test('a_child_whose_fd_table_grew_past_1024_is_not_reused', async () => {
  // The table never shrinks (fs/file.c:expand_files), so a run that opened a descriptor at 1024 or
  // above leaves a process with more slots than the format's: the reset check refuses it.
  const proc = await create();
  try {
    const grew = await proc.wait(proc.thread('main').dup2(0, 1500));
    if (proc.info.rlimitNofile.soft <= 1500) {
      assert.deepEqual(grew, { errno: 'EBADF' }, 'RLIMIT_NOFILE stops the table growing');
      return;
    }
    assert.deepEqual(grew, { ret: 1500 });
  } finally {
    await proc.close();
  }
  if (proc.info.rlimitNofile.soft > 1500) {
    assert.match(proc.fate ?? '', /reset refused: FDSize is 2048, not 1024/);
    assert.equal(exists(proc.info.pid), false, 'the child was killed');
  } else {
    assert.equal(proc.fate, 'reused');
  }
});

test('an_idle_child_that_died_is_not_handed_out', async () => {
  const a = await create();
  await a.close();
  assert.equal(a.fate, 'reused');
  process.kill(a.info.pid, 'SIGKILL');
  while (exists(a.info.pid)) await new Promise((r) => setTimeout(r, 5));
  const b = await create();
  try {
    assert.notEqual(b.info.pid, a.info.pid);
    assert.deepEqual(ok(await b.wait(b.thread('main').pipe())).fds, [3, 4]);
  } finally {
    await b.close();
  }
});

test('a_reset_is_refused_while_a_call_has_not_returned', async () => {
  // The runner never asks while one is in flight (close kills such a child); the child refuses on
  // its own too, and stays as it was: the run goes on, and ends cleanly.
  const proc = await create();
  const main = proc.thread('main');
  const [r, w] = ok(await proc.wait(main.pipe())).fds;
  const reading = proc.thread('t').read(r, 1);
  await proc.settle();
  const internal = proc as unknown as {
    request(msg: { kind: 'reset'; prefix: string }, limitMs: number): Promise<unknown>;
  };
  await assert.rejects(
    internal.request({ kind: 'reset', prefix: 'iomux-test/' }, 5000),
    /1 call\(s\) have not returned/,
  );
  ok(await proc.wait(main.write(w, bytes('z'))));
  assert.equal(ok(await proc.wait(reading)).ret, 1);
  assert.deepEqual(ok(await proc.wait(main.pipe())).fds, [5, 6], 'the run’s descriptors are still there');
  await proc.close();
  assert.equal(proc.fate, 'reused');
});

test('reuse_is_faster_than_a_fresh_start', async (t) => {
  // Timed for the record only: the assertion is that the run went to the idle child.
  let started = performance.now();
  const a = await create();
  const first = performance.now() - started;
  await a.close();
  const before = LinuxProcess.pool();
  assert.ok(before.idle.includes(a.info.pid), 'the closed run’s child is idle');
  started = performance.now();
  const b = await create();
  const second = performance.now() - started;
  try {
    assert.equal(b.info.pid, a.info.pid);
    assert.equal(LinuxProcess.pool().reused, before.reused + 1);
    assert.equal(LinuxProcess.pool().started, before.started, 'no child was started');
  } finally {
    await b.close();
  }
  t.diagnostic(`first create: ${first.toFixed(1)} ms; create on the reused child: ${second.toFixed(1)} ms`);
});

test('idle_children_keep_no_runner_alive_and_end_with_it', async () => {
  // A runner that leaves a child idle exits on its own, and the idle child ends with it.
  const index = fileURLToPath(new URL('../../src/linux/index.ts', import.meta.url));
  const code = `
    const { linuxBackend, LinuxProcess } = await import(${JSON.stringify(index)});
    const p = await linuxBackend.createProcess();
    await p.close();
    console.log(JSON.stringify({ fate: p.fate, idle: LinuxProcess.pool().idle }));
  `;
  const runner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  runner.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const exit = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      runner.kill('SIGKILL');
      reject(new Error('the runner did not exit on its own within 20 s'));
    }, 20_000);
    runner.once('exit', (status) => {
      clearTimeout(timer);
      resolve(status);
    });
  });
  assert.equal(exit, 0);
  const { fate, idle } = JSON.parse(out) as { fate: string; idle: number[] };
  assert.equal(fate, 'reused');
  assert.equal(idle.length, 1);
  const deadline = Date.now() + 5000;
  while (exists(idle[0]) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(exists(idle[0]), false, 'the idle child ended with its runner');
});
