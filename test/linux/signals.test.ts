// Signals on the real-Linux backend (script-format.md, "Signals"): real handlers and per-thread
// masks in the child, each script thread a real thread, kill's thread choice left to the kernel,
// and a child that a signal ends or stops reported as ProcessKilled and never reused.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EPOLL, EPOLL_CTL, O, POLL } from '../../src/abi/constants.ts';
import { ProcessKilled } from '../../src/api/backend.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import { linuxBackend } from '../../src/linux/index.ts';
import type { LinuxProcess } from '../../src/linux/process.ts';
import { FULL_MASK, processState, readTaskSignals } from '../../src/linux/signals.ts';
import { bytes, inProcess, ok, settledWithin } from './helpers.ts';

// Linux: arch/x86/include/uapi/asm/signal.h and include/uapi/asm-generic/signal-defs.h.
const SIGINT = 2;
const SIGSEGV = 11;
const SIGUSR1 = 10;
const SIGUSR2 = 12;
const SIGTERM = 15;
const SIGSTOP = 19;
const SIGTSTP = 20;
const SIGRTMIN = 32;
const SA_RESTART = 0x10000000;
const SA_RESETHAND = 0x80000000;
const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;
const SFD_NONBLOCK = O.O_NONBLOCK;
/** Linux: include/uapi/linux/signalfd.h — struct signalfd_siginfo is 128 bytes, ssi_signo first. */
const SIGINFO_SIZE = 128;

const create = async () => (await linuxBackend.createProcess()) as LinuxProcess;

test('a_signal_ends_epoll_wait_with_EINTR_even_under_SA_RESTART', async () => {
  // Linux: ep_poll returns -EINTR, never -ERESTARTSYS: epoll_wait is not restarted after a handler.
  await inProcess(async ({ proc, main, call }) => {
    ok(await call(main.sigaction(SIGUSR1, 'catch', SA_RESTART, [])));
    const ep = ok(await call(main.epoll_create1(0))).ret;
    const waiting = proc.thread('t1').epoll_wait(ep, 4, -1);
    await proc.settle();
    assert.equal(await settledWithin(waiting, 0), false, 'epoll_wait sleeps on an empty epoll');
    ok(await call(main.tgkill(await proc.tid('t1'), SIGUSR1)));
    assert.deepEqual(await proc.wait(waiting), { errno: 'EINTR' });
    assert.equal(await proc.caught(SIGUSR1), 1);
  });
});

test('a_blocking_pipe_read_on_a_thread_is_restarted_under_SA_RESTART_and_ends_with_EINTR_without', async () => {
  await inProcess(async ({ proc, main, call }) => {
    const [r, w] = ok(await call(main.pipe())).fds;
    ok(await call(main.sigaction(SIGUSR1, 'catch', SA_RESTART, [])));
    const reading = proc.thread('reader').read(r, 8);
    await proc.settle();
    ok(await call(main.tgkill(await proc.tid('reader'), SIGUSR1)));
    assert.equal(await proc.caught(SIGUSR1), 1, 'the handler ran on the reader');
    assert.equal(await settledWithin(reading, 100), false, 'the read was restarted: it still waits');
    ok(await call(main.write(w, bytes('x'))));
    assert.deepEqual(await proc.wait(reading), { ret: 1, data: bytes('x') });

    // Without SA_RESTART, pipe_read's -ERESTARTSYS becomes EINTR.
    ok(await call(main.sigaction(SIGUSR1, 'catch', 0, [])));
    const again = proc.thread('reader').read(r, 8);
    await proc.settle();
    ok(await call(main.tgkill(await proc.tid('reader'), SIGUSR1)));
    assert.deepEqual(await proc.wait(again), { errno: 'EINTR' });
    assert.equal(await proc.caught(SIGUSR1), 2);
  });
});

test('kill_goes_to_main_when_main_takes_the_signal_and_to_another_thread_when_main_blocks_it', async () => {
  // Linux: kernel/signal.c:complete_signal tries the thread group leader first (main), then walks
  // the other threads for one that does not block the signal.
  await inProcess(async ({ proc, main, call }) => {
    const [r] = ok(await call(main.pipe())).fds;
    ok(await call(main.sigaction(SIGUSR1, 'catch', 0, [])));
    const reading = proc.thread('t1').read(r, 8);
    await proc.settle();
    ok(await call(main.kill(SIGUSR1)));
    assert.equal(await proc.caught(SIGUSR1), 1);
    assert.equal(await settledWithin(reading, 100), false, 'main took it: t1 still reads');

    ok(await call(main.sigprocmask(SIG_BLOCK, [SIGUSR1])));
    ok(await call(main.kill(SIGUSR1)));
    assert.deepEqual(await proc.wait(reading), { errno: 'EINTR' }, 'main blocks it: t1 took it');
    assert.equal(await proc.caught(SIGUSR1), 2);
    assert.deepEqual(ok(await call(main.sigpending())).set, [], 'nothing is left pending');
  });
});

test('sigpending_reports_pending_signals_that_the_caller_blocks_and_unblocking_delivers_them', async () => {
  await inProcess(async ({ proc, main, call }) => {
    ok(await call(main.sigaction(SIGUSR2, 'catch', 0, [])));
    assert.deepEqual(await call(main.sigprocmask(SIG_BLOCK, [SIGUSR2])), { ret: 0, old: [] });
    ok(await call(main.kill(SIGUSR2)));
    assert.deepEqual(await call(main.sigpending()), { ret: 0, set: [SIGUSR2] });
    assert.equal(await proc.caught(SIGUSR2), 0);
    // A thread named now starts with main's mask as it is now (pthread_create copies it): it
    // blocks SIGUSR2 too, and sees the process's pending signal as its own pending-and-blocked.
    const t = proc.thread('late');
    assert.deepEqual(await proc.wait(t.sigprocmask(SIG_BLOCK, null)), { ret: 0, old: [SIGUSR2] });
    assert.deepEqual(await proc.wait(t.sigpending()), { ret: 0, set: [SIGUSR2] });
    // Unblocking it on main delivers it there, before sigprocmask returns.
    assert.deepEqual(await call(main.sigprocmask(SIG_UNBLOCK, [SIGUSR2])), { ret: 0, old: [SIGUSR2] });
    assert.equal(await proc.caught(SIGUSR2), 1);
    assert.deepEqual(await call(main.sigpending()), { ret: 0, set: [] });
  });
});

test('a_thread_directed_signal_stays_pending_for_its_thread_alone', async () => {
  await inProcess(async ({ proc, main, call }) => {
    const t = proc.thread('t1');
    ok(await proc.wait(t.sigprocmask(SIG_BLOCK, [SIGUSR1])));
    ok(await call(main.tgkill(await proc.tid('t1'), SIGUSR1)));
    assert.deepEqual(await proc.wait(t.sigpending()), { ret: 0, set: [SIGUSR1] });
    assert.deepEqual(await call(main.sigpending()), { ret: 0, set: [] }, 'not main’s, nor the process’s');
  });
});

test('signalfd_reads_one_128_byte_record_per_pending_signal_lowest_first', async () => {
  await inProcess(async ({ main, call }) => {
    ok(await call(main.sigprocmask(SIG_BLOCK, [SIGUSR1, SIGUSR2])));
    const sfd = ok(await call(main.signalfd(-1, [SIGUSR1, SIGUSR2], SFD_NONBLOCK))).ret;
    assert.deepEqual(await call(main.read(sfd, SIGINFO_SIZE)), { errno: 'EAGAIN' });
    ok(await call(main.kill(SIGUSR2)));
    ok(await call(main.kill(SIGUSR1)));
    assert.deepEqual(ok(await call(main.poll([{ fd: sfd, events: POLL.POLLIN }], 0))).revents, [POLL.POLLIN]);
    const r = ok(await call(main.read(sfd, 4 * SIGINFO_SIZE)));
    assert.equal(r.ret, 2 * SIGINFO_SIZE);
    const view = Buffer.from(r.data);
    assert.deepEqual([view.readUInt32LE(0), view.readUInt32LE(SIGINFO_SIZE)], [SIGUSR1, SIGUSR2]);
    assert.deepEqual(await call(main.read(sfd, SIGINFO_SIZE)), { errno: 'EAGAIN' });
    // Updating the mask returns the same descriptor.
    assert.deepEqual(await call(main.signalfd(sfd, [SIGUSR1], 0)), { ret: sfd });
    assert.deepEqual(await call(main.read(sfd, 8)), { errno: 'EINVAL' }, 'a count below 128 bytes');
  });
});

test('the_p_calls_let_a_pending_signal_in_for_the_call_and_restore_the_mask_after', async () => {
  // Linux: set_user_sigmask installs the call's mask; the pending SIGUSR1 interrupts at once, the
  // handler runs with that mask, and restore_saved_sigmask_unless puts the old one back.
  await inProcess(async ({ proc, main, call }) => {
    const ep = ok(await call(main.epoll_create1(0))).ret;
    ok(await call(main.sigaction(SIGUSR1, 'catch', SA_RESTART, [])));
    ok(await call(main.sigprocmask(SIG_BLOCK, [SIGUSR1])));
    const second = { sec: 1, nsec: 0 };
    const calls: [string, () => Promise<unknown>][] = [
      ['pselect6', () => main.pselect6(0, null, null, null, second, [])],
      ['ppoll', () => main.ppoll([], second, [])],
      ['epoll_pwait', () => main.epoll_pwait(ep, 1, 1000, [])],
      ['epoll_pwait2', () => main.epoll_pwait2(ep, 1, second, [])],
    ];
    let n = 0;
    for (const [name, make] of calls) {
      ok(await call(main.kill(SIGUSR1)));
      assert.deepEqual(await call(main.sigpending()), { ret: 0, set: [SIGUSR1] }, name);
      assert.deepEqual(await call(make() as Promise<object>), { errno: 'EINTR' }, name);
      assert.equal(await proc.caught(SIGUSR1), ++n, `${name}: the handler ran`);
      assert.deepEqual(await call(main.sigprocmask(SIG_BLOCK, null)), { ret: 0, old: [SIGUSR1] }, name);
    }
    // With a mask that keeps it blocked, the call times out and the signal stays pending.
    ok(await call(main.kill(SIGUSR1)));
    const short = { sec: 0, nsec: 20_000_000 };
    assert.deepEqual(await call(main.pselect6(0, null, null, null, short, [SIGUSR1])), {
      ret: 0,
      readfds: null,
      writefds: null,
      exceptfds: null,
      timeout: { sec: 0, nsec: 0 },
    });
    assert.deepEqual(await call(main.ppoll([], short, null)), { ret: 0, revents: [] });
    assert.deepEqual(await call(main.sigpending()), { ret: 0, set: [SIGUSR1] });
  });
});

test('sigaction_takes_signals_32_and_33_that_glibc_refuses', async () => {
  await inProcess(async ({ proc, main, call }) => {
    for (const sig of [SIGRTMIN, SIGRTMIN + 1]) {
      ok(await call(main.sigaction(sig, 'catch', 0, [])));
      ok(await call(main.kill(sig)));
      assert.equal(await proc.caught(sig), 1, `signal ${sig}`);
    }
    assert.deepEqual(await call(main.sigaction(SIGSTOP, 'catch', 0, [])), { errno: 'EINVAL' });
    assert.deepEqual(await call(main.sigaction(65, 'SIG_DFL', 0, [])), { errno: 'EINVAL' });
  });
});

test('SA_RESETHAND_puts_the_default_back_after_one_run', async () => {
  await inProcess(async ({ proc, main, call }) => {
    ok(await call(main.sigaction(SIGINT, 'catch', SA_RESETHAND, [])));
    ok(await call(main.kill(SIGINT)));
    assert.equal(await proc.caught(SIGINT), 1);
    await assert.rejects(call(main.kill(SIGINT)), (e) => e instanceof ProcessKilled && e.signal === SIGINT);
  });
});

test('an_ignored_signal_is_discarded_when_sent_unless_the_target_blocks_it', async () => {
  // Linux: kernel/signal.c:sig_ignored — a blocked signal is never ignored at send time (the
  // disposition may change before it is unblocked); it is discarded when it would be delivered.
  await inProcess(async ({ main, call }) => {
    ok(await call(main.sigaction(SIGUSR1, 'SIG_IGN', 0, [])));
    ok(await call(main.kill(SIGUSR1)));
    ok(await call(main.gettid())); // SIGUSR1's default would have ended the process
    ok(await call(main.sigprocmask(SIG_BLOCK, [SIGUSR1])));
    ok(await call(main.kill(SIGUSR1)));
    assert.deepEqual(await call(main.sigpending()), { ret: 0, set: [SIGUSR1] });
    ok(await call(main.sigprocmask(SIG_UNBLOCK, [SIGUSR1])));
    assert.deepEqual(await call(main.sigpending()), { ret: 0, set: [] });
  });
});

test('a_fatal_default_signal_rejects_every_call_with_ProcessKilled_and_the_child_is_not_reused', async () => {
  const proc = await create();
  const main = proc.thread('main');
  const [r] = ok(await proc.wait(main.pipe())).fds;
  const reading = proc.thread('t1').read(r, 8);
  await proc.settle();
  const killed = (sig: number, action: string) => (e: unknown) =>
    e instanceof ProcessKilled && e.signal === sig && e.action === action;
  await assert.rejects(proc.wait(main.kill(SIGTERM)), killed(SIGTERM, 'term'));
  await assert.rejects(reading, killed(SIGTERM, 'term'), 'the blocked thread’s call too');
  await assert.rejects(proc.wait(main.gettid()), killed(SIGTERM, 'term'), 'and every later call');
  await proc.close();
  assert.notEqual(proc.fate, 'reused');
  assert.equal(processState(proc.info.pid), null, 'the child is gone');
});

test('a_signal_that_dumps_core_is_reported_as_core_and_sent_from_a_thread', async () => {
  const proc = await create();
  try {
    const t = proc.thread('t1');
    await assert.rejects(
      proc.wait(t.kill(SIGSEGV)),
      (e) => e instanceof ProcessKilled && e.signal === SIGSEGV && e.action === 'core',
    );
  } finally {
    await proc.close();
  }
  assert.notEqual(proc.fate, 'reused');
});

test('SIGSTOP_stops_the_child_which_is_reported_and_killed_while_SIGTSTP_is_discarded', async () => {
  const proc = await create();
  const main = proc.thread('main');
  try {
    // The child runs in a session of its own: its process group is orphaned, so the kernel
    // discards SIGTSTP at SIG_DFL (kernel/signal.c:get_signal, is_current_pgrp_orphaned).
    ok(await proc.wait(main.kill(SIGTSTP)));
    assert.notEqual(processState(proc.info.pid), 'T');
    assert.deepEqual(await proc.wait(main.gettid()), { ret: proc.info.pid });
    await assert.rejects(
      proc.wait(main.kill(SIGSTOP)),
      (e) => e instanceof ProcessKilled && e.signal === SIGSTOP && e.action === 'stop',
    );
    await assert.rejects(proc.wait(main.gettid()), ProcessKilled);
  } finally {
    await proc.close();
  }
  assert.notEqual(proc.fate, 'reused');
  assert.equal(processState(proc.info.pid), null, 'the stopped child was killed and reaped');
});

test('a_reused_child_starts_with_default_dispositions_an_empty_mask_and_nothing_pending', async () => {
  const a = await create();
  const main = a.thread('main');
  ok(await a.wait(main.sigaction(SIGUSR1, 'catch', 0, [])));
  ok(await a.wait(main.sigaction(SIGUSR2, 'SIG_IGN', 0, [])));
  ok(await a.wait(main.sigaction(SIGTERM, 'catch', 0, [])));
  ok(await a.wait(main.kill(SIGUSR1)));
  ok(await a.wait(main.sigprocmask(SIG_BLOCK, [SIGTERM, SIGRTMIN])));
  ok(await a.wait(main.kill(SIGTERM)));
  ok(await a.wait(main.kill(SIGRTMIN)));
  const t = a.thread('t1');
  ok(await a.wait(t.sigprocmask(SIG_BLOCK, [SIGUSR1])));
  ok(await a.wait(main.tgkill(await a.tid('t1'), SIGUSR1)));
  const oldTid = await a.tid('t1');
  await a.close();
  assert.equal(a.fate, 'reused');

  const b = await create();
  try {
    assert.equal(b.info.pid, a.info.pid, 'the same child');
    assert.ok(b.info.checks.some((c) => c.includes('every signal at SIG_DFL but SIGPIPE')));
    const m = b.thread('main');
    assert.deepEqual(await b.wait(m.sigprocmask(SIG_BLOCK, null)), { ret: 0, old: [] });
    assert.deepEqual(await b.wait(m.sigpending()), { ret: 0, set: [] });
    assert.equal(await b.caught(SIGUSR1), 0);
    assert.ok(!readTaskSignals(b.info.pid).some((task) => task.tid === oldTid), 'the old thread ended');
    // SIGTERM is at SIG_DFL again: it ends the process.
    await assert.rejects(b.wait(m.kill(SIGTERM)), ProcessKilled);
  } finally {
    await b.close();
  }
});

test('every_thread_of_the_child_but_the_scripts_blocks_every_signal', async () => {
  await inProcess(async ({ proc, main, call }) => {
    ok(await call(proc.thread('t1').gettid()));
    const script = new Set([proc.info.pid, await proc.tid('t1')]);
    const tasks = readTaskSignals(proc.info.pid);
    assert.ok(tasks.length > 5, 'Node has threads of its own');
    for (const t of tasks) {
      if (script.has(t.tid)) assert.equal(t.blocked, 0n, `script thread ${t.tid}`);
      else assert.equal(t.blocked, FULL_MASK, `Node's thread ${t.tid}`);
    }
    // So a signal to the process lands on a script thread, whichever the kernel tries.
    ok(await call(main.sigaction(SIGUSR1, 'catch', 0, [])));
    for (let i = 0; i < 5; i++) ok(await call(main.kill(SIGUSR1)));
    assert.equal(await proc.caught(SIGUSR1), 5);
    // And tgkill cannot name one of Node's threads.
    const node = tasks.find((t) => !script.has(t.tid));
    assert.ok(node);
    await assert.rejects(call(main.tgkill(node.tid, SIGUSR1)), Unsupported);
  });
});

test('thread_ids_are_the_kernels_and_main_is_the_process_leader', async () => {
  await inProcess(async ({ proc, main, call }) => {
    assert.equal(await proc.tid('main'), proc.info.pid);
    assert.deepEqual(await call(main.gettid()), { ret: proc.info.pid });
    const tid = await proc.tid('worker');
    assert.notEqual(tid, proc.info.pid);
    assert.deepEqual(await proc.wait(proc.thread('worker').gettid()), { ret: tid });
    const status = readFileSync(`/proc/${proc.info.pid}/task/${tid}/status`, 'latin1');
    assert.match(status, new RegExp(`^Tgid:\\s*${proc.info.pid}$`, 'm'));
  });
});

test('the_child_runs_in_a_session_of_its_own', async () => {
  await inProcess(async ({ proc }) => {
    const field = (pid: number | 'self', n: number) => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3]);
    };
    // Fields 5 and 6 of /proc/<pid>/stat: pgrp and session.
    assert.notEqual(field(proc.info.pid, 6), field('self', 6), 'not the runner’s session');
    assert.equal(field(proc.info.pid, 5), field(proc.info.pid, 6), 'its group leads its session');
  });
});

test('epoll_reports_a_signalfd_ready_for_the_thread_that_waits', async () => {
  // Linux: signalfd_poll looks at current's pending signals: the waiter's, not the creator's.
  await inProcess(async ({ proc, main, call }) => {
    ok(await call(main.sigprocmask(SIG_BLOCK, [SIGUSR1])));
    const t = proc.thread('t1'); // blocks SIGUSR1 too, from main
    const sfd = ok(await call(main.signalfd(-1, [SIGUSR1], SFD_NONBLOCK))).ret;
    const ep = ok(await call(main.epoll_create1(0)));
    ok(await call(main.epoll_ctl(ep.ret, EPOLL_CTL.EPOLL_CTL_ADD, sfd, { events: EPOLL.EPOLLIN, data: 5 })));
    ok(await call(main.tgkill(await proc.tid('t1'), SIGUSR1)));
    const ready = { ret: 1, events: [{ events: EPOLL.EPOLLIN, data: 5 }] };
    assert.deepEqual(await proc.wait(t.epoll_wait(ep.ret, 1, 0)), ready, 'ready for t1');
    assert.deepEqual(await call(main.epoll_wait(ep.ret, 1, 0)), { ret: 0, events: [] }, 'not for main');
    assert.deepEqual(await call(main.read(sfd, SIGINFO_SIZE)), { errno: 'EAGAIN' }, 'not main’s to read');
    const r = ok(await proc.wait(t.read(sfd, SIGINFO_SIZE)));
    assert.equal(Buffer.from(r.data).readUInt32LE(0), SIGUSR1, 't1 reads its own');
  });
});

test('unblocking_a_pending_fatal_signal_ends_the_process_in_that_call', async () => {
  const proc = await create();
  try {
    const main = proc.thread('main');
    ok(await proc.wait(main.sigprocmask(SIG_BLOCK, [SIGUSR2])));
    ok(await proc.wait(main.kill(SIGUSR2)));
    assert.deepEqual(await proc.wait(main.sigpending()), { ret: 0, set: [SIGUSR2] });
    await assert.rejects(
      proc.wait(main.sigprocmask(SIG_UNBLOCK, [SIGUSR2])),
      (e) => e instanceof ProcessKilled && e.signal === SIGUSR2 && e.action === 'term',
    );
  } finally {
    await proc.close();
  }
  assert.notEqual(proc.fate, 'reused');
});

test('a_child_whose_main_is_blocked_for_good_ends_with_its_runner', async () => {
  // Main's calls run on Node's main thread, which cannot see its channel close while it is blocked
  // in read: the helper library's watchdog thread ends the child then.
  const index = fileURLToPath(new URL('../../src/linux/index.ts', import.meta.url));
  const code = `
    const { linuxBackend } = await import(${JSON.stringify(index)});
    const p = await linuxBackend.createProcess();
    const main = p.thread('main');
    const { fds } = await p.wait(main.pipe());
    void main.read(fds[0], 1);
    console.log(JSON.stringify({ pid: p.info.pid }));
  `;
  const runner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = '';
    runner.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('\n')) resolve((JSON.parse(out) as { pid: number }).pid);
    });
    runner.once('exit', () => reject(new Error(`the runner exited first: ${out}`)));
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(processState(pid), 'S', 'main sleeps in read');
  runner.kill('SIGKILL');
  const deadline = Date.now() + 5000;
  while (processState(pid) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const left = processState(pid);
  if (left !== null) process.kill(pid, 'SIGKILL'); // not left behind when the test fails
  assert.equal(left, null, 'the child ended with its runner');
});

test('a_new_thread_starts_with_mains_mask_exactly_signal_32_included', async () => {
  // glibc's pthread_create unblocks SIGCANCEL (32) in every thread it makes; a script thread is a
  // raw clone, which copies its creator's mask as the kernel keeps it (kernel/fork.c).
  await inProcess(async ({ proc, main, call }) => {
    ok(await call(main.sigprocmask(SIG_BLOCK, [SIGRTMIN, SIGRTMIN + 1])));
    ok(await call(main.kill(SIGRTMIN))); // pending, and fatal wherever it is unblocked
    const t = proc.thread('t1');
    assert.deepEqual(await proc.wait(t.sigprocmask(SIG_BLOCK, null)), {
      ret: 0,
      old: [SIGRTMIN, SIGRTMIN + 1],
    });
    assert.deepEqual(await proc.wait(t.sigpending()), { ret: 0, set: [SIGRTMIN] });
    // Discard it, so the run ends cleanly.
    ok(await call(main.sigaction(SIGRTMIN, 'SIG_IGN', 0, [])));
    assert.deepEqual(await call(main.sigpending()), { ret: 0, set: [] });
  });
});
