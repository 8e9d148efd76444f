// Signals: sending, choosing the thread, default actions, handlers and the restart of
// interrupted calls (Linux: kernel/signal.c, arch/x86/kernel/signal.c). Every test ends with
// the invariant and leak check (withSim).
//
// Checked on this machine's Linux 6.18 with small C programs (setsid, as the Linux backend runs a
// script): the main thread takes a process signal first; with main blocking it, the first other
// thread does, twice in a row; epoll_wait ends with EINTR after a discarded SIGTSTP while poll and
// nanosleep restart and keep their deadline (300 ms in all); a zero-timeout epoll_pwait returns 0
// and leaves the signal pending while pselect6 and ppoll are EINTR; the RT/SA_NODEFER counts (1, 2)
// and the sa_mask case (USR1 run, USR2 left pending) after pselect6; SIGPIPE from pipe and stream
// writes but not seqpacket or dgram ones.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EPOLL, EPOLL_CTL, SOCK } from '../../src/abi/constants.ts';
import { ProcessKilled } from '../../src/api/backend.ts';
import { checkKernel } from '../../src/kernel/check.ts';
import { SA, SIG, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK } from '../../src/kernel/signal.ts';
import { bytes, errno, ok, type Sim, text, withSim } from '../helpers.ts';
import { ev, pipe } from './helpers.ts';

const { SIGUSR1, SIGUSR2, SIGTERM, SIGTSTP, SIGSTOP, SIGCHLD, SIGKILL, SIGQUIT } = SIG;
const { SA_RESTART, SA_RESETHAND, SA_NODEFER } = SA;
const SIGRT1 = 33;
const MS = 1_000_000;

const caught = (sim: Sim, sig: number): number => sim.p.signal.caught[sig];

async function killedBy(call: Promise<unknown>): Promise<ProcessKilled> {
  try {
    await call;
  } catch (e) {
    assert.ok(e instanceof ProcessKilled, `expected ProcessKilled, got ${e}`);
    return e;
  }
  assert.fail('the call returned');
}

// ---- interrupted calls: EINTR or restart ----

test('a caught signal ends a blocked pipe read with EINTR without SA_RESTART', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    const read = sim.thread('t').read(r, 10);
    assert.equal(sim.blocked(read), true);
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGUSR1));
    assert.equal(errno(await sim.wait(read)), 'EINTR');
    assert.equal(caught(sim, SIGUSR1), 1);
  }));

test('a pipe read restarts under SA_RESTART and returns the data written after the signal', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', SA_RESTART, []));
    const read = sim.thread('t').read(r, 10);
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGUSR1));
    assert.equal(caught(sim, SIGUSR1), 1);
    assert.equal(sim.blocked(read), true, 'the restarted read sleeps again');
    ok(await sim.sys.write(w, bytes('hi')));
    assert.equal(text(ok(await sim.wait(read)).data), 'hi');
  }));

test('a pipe write keeps its partial count when a signal interrupts it', () =>
  withSim(async (sim) => {
    const [, w] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', SA_RESTART, []));
    const write = sim.thread('t').write(w, new Uint8Array(65536 + 100));
    assert.equal(sim.blocked(write), true);
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGUSR1));
    assert.equal(ok(await sim.wait(write)).ret, 65536);
  }));

test('a signal ends select with EINTR even under SA_RESTART', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', SA_RESTART, []));
    const sel = sim.thread('t').select(r + 1, [r], null, null, null);
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGUSR1));
    assert.equal(errno(await sim.wait(sel)), 'EINTR');
  }));

test('a signal ends poll with EINTR even under SA_RESTART', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', SA_RESTART, []));
    const p = sim.thread('t').poll([{ fd: r, events: EPOLL.EPOLLIN }], -1);
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGUSR1));
    assert.equal(errno(await sim.wait(p)), 'EINTR');
  }));

test('a signal ends epoll_wait with EINTR even under SA_RESTART', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, ev(EPOLL.EPOLLIN, 1)));
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', SA_RESTART, []));
    const w = sim.thread('t').epoll_wait(ep, 4, -1);
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGUSR1));
    assert.equal(errno(await sim.wait(w)), 'EINTR');
  }));

test('a signal with no handler to run restarts poll and select but ends epoll_wait with EINTR', () =>
  withSim(async (sim) => {
    // SIGTSTP at SIG_DFL wakes the thread; get_signal then discards it (orphaned process group).
    const [r, w] = await pipe(sim);
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, ev(EPOLL.EPOLLIN, 1)));
    const p = sim.thread('p').poll([{ fd: r, events: EPOLL.EPOLLIN }], -1);
    const s = sim.thread('s').select(r + 1, [r], null, null, null);
    const e = sim.thread('e').epoll_wait(ep, 4, -1);
    for (const name of ['p', 's', 'e']) ok(await sim.sys.tgkill(await tidOf(sim, name), SIGTSTP));
    assert.equal(errno(await sim.wait(e)), 'EINTR');
    assert.equal(sim.blocked(p), true);
    assert.equal(sim.blocked(s), true);
    ok(await sim.sys.write(w, bytes('x')));
    assert.equal(ok(await sim.wait(p)).ret, 1);
    assert.equal(ok(await sim.wait(s)).ret, 1);
  }));

test('nanosleep restarted without a handler keeps its absolute deadline', () =>
  withSim(async (sim) => {
    const sleep = sim.thread('t').sleep(100);
    ok(await sim.wait(sim.sys.sleep(30)));
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGTSTP));
    assert.equal(sim.blocked(sleep), true);
    ok(await sim.wait(sleep));
    assert.equal(sim.k.now, 100 * MS);
  }));

test('nanosleep interrupted by a handler returns EINTR', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', SA_RESTART, []));
    const sleep = sim.thread('t').sleep(100);
    ok(await sim.wait(sim.sys.sleep(30)));
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGUSR1));
    assert.equal(errno(await sim.wait(sleep)), 'EINTR');
    assert.equal(sim.k.now, 30 * MS);
  }));

test('poll restarted without a handler keeps its absolute deadline', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    const p = sim.thread('t').poll([{ fd: r, events: EPOLL.EPOLLIN }], 100);
    ok(await sim.wait(sim.sys.sleep(30)));
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGTSTP));
    assert.equal(ok(await sim.wait(p)).ret, 0);
    assert.equal(sim.k.now, 100 * MS);
  }));

test('select restarted without a handler waits only for the time it wrote back', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    const s = sim.thread('t').select(r + 1, [r], null, null, { sec: 0, usec: 100_000 });
    ok(await sim.wait(sim.sys.sleep(30)));
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGTSTP));
    const res = ok(await sim.wait(s));
    assert.equal(res.ret, 0);
    assert.deepEqual(res.timeout, { sec: 0, usec: 0 });
    assert.equal(sim.k.now, 100 * MS);
  }));

// ---- sending and choosing a thread ----

test('a process-directed signal goes to the main thread first when it does not block it', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    const a = sim.thread('a').read(r, 1);
    const main = sim.sys.read(r, 1);
    ok(await sim.thread('k').kill(SIGUSR1));
    assert.equal(errno(await sim.wait(main)), 'EINTR');
    assert.equal(sim.blocked(a), true);
    ok(await sim.sys.write(w, bytes('x')));
    ok(await sim.wait(a));
  }));

test('complete_signal walks from curr_target to the first thread that wants the signal and stays there', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    // a and b are made unblocked: the main thread's mask is copied when a thread is made.
    ok(await sim.thread('a').sigprocmask(SIG_UNBLOCK, [SIGUSR1]));
    ok(await sim.thread('b').sigprocmask(SIG_UNBLOCK, [SIGUSR1]));
    const a = sim.thread('a').read(r, 1);
    const b = sim.thread('b').read(r, 1);
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(errno(await sim.wait(a)), 'EINTR');
    assert.equal(sim.blocked(b), true);
    assert.equal(sim.p.signal.currTarget?.name, 'a');
    const a2 = sim.thread('a').read(r, 1);
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(errno(await sim.wait(a2)), 'EINTR');
    assert.equal(sim.blocked(b), true);
    ok(await sim.sys.write(w, bytes('x')));
    ok(await sim.wait(b));
  }));

test('a new thread starts with the main thread mask as it is when the thread is made', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    assert.deepEqual(ok(await sim.thread('a').sigprocmask(SIG_BLOCK, null)).old, [SIGUSR1]);
    ok(await sim.sys.sigprocmask(SIG_SETMASK, [SIGUSR2]));
    assert.deepEqual(ok(await sim.thread('a').sigprocmask(SIG_BLOCK, null)).old, [SIGUSR1]);
    assert.deepEqual(ok(await sim.thread('b').sigprocmask(SIG_BLOCK, null)).old, [SIGUSR2]);
  }));

test('a kill to oneself runs the handler before kill returns', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(caught(sim, SIGUSR1), 1);
  }));

test('a thread idle in user code takes a signal right after the call that sent it', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    ok(await sim.thread('a').gettid());
    ok(await sim.sys.tgkill(await tidOf(sim, 'a'), SIGUSR1));
    assert.equal(caught(sim, SIGUSR1), 1);
    assert.deepEqual(ok(await sim.thread('a').sigpending()).set, []);
  }));

test('sigprocmask that unblocks a pending signal delivers it before returning', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(caught(sim, SIGUSR1), 0);
    assert.deepEqual(ok(await sim.sys.sigpending()).set, [SIGUSR1]);
    assert.deepEqual(ok(await sim.sys.sigprocmask(SIG_UNBLOCK, [SIGUSR1])).old, [SIGUSR1]);
    assert.equal(caught(sim, SIGUSR1), 1);
    assert.deepEqual(ok(await sim.sys.sigpending()).set, []);
  }));

test('sigpending is the blocked part of the thread and process pending sets', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1, SIGUSR2, SIGTERM]));
    ok(await sim.sys.kill(SIGUSR1));
    ok(await sim.sys.tgkill(await tidOf(sim, 'main'), SIGUSR2));
    ok(await sim.thread('a').sigprocmask(SIG_BLOCK, [SIGTERM]));
    ok(await sim.sys.tgkill(await tidOf(sim, 'a'), SIGTERM));
    assert.deepEqual(ok(await sim.sys.sigpending()).set, [SIGUSR1, SIGUSR2]);
    assert.deepEqual(ok(await sim.thread('a').sigpending()).set, [SIGUSR1, SIGTERM]);
    // Unblocking it, a takes the process's SIGUSR1 at SIG_DFL: the process ends.
    const e = await killedBy(sim.thread('a').sigprocmask(SIG_UNBLOCK, [SIGUSR1]));
    assert.equal(e.signal, SIGUSR1);
  }));

test('standard signals pend once and real-time signals queue every instance', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    ok(await sim.sys.sigaction(SIGRT1, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1, SIGRT1]));
    for (let i = 0; i < 3; i++) {
      ok(await sim.sys.kill(SIGUSR1));
      ok(await sim.sys.kill(SIGRT1));
    }
    ok(await sim.sys.sigprocmask(SIG_SETMASK, []));
    assert.equal(caught(sim, SIGUSR1), 1);
    assert.equal(caught(sim, SIGRT1), 3);
  }));

test('an ignored signal is discarded when sent unless the target thread blocks it', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'SIG_IGN', 0, []));
    ok(await sim.sys.kill(SIGUSR1));
    ok(await sim.sys.kill(SIGCHLD));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1, SIGCHLD]));
    assert.deepEqual(ok(await sim.sys.sigpending()).set, []);
    ok(await sim.sys.kill(SIGUSR1));
    ok(await sim.sys.kill(SIGCHLD));
    assert.deepEqual(ok(await sim.sys.sigpending()).set, [SIGUSR1, SIGCHLD]);
    // Setting an ignoring disposition flushes what is pending.
    ok(await sim.sys.sigaction(SIGUSR1, 'SIG_IGN', 0, []));
    assert.deepEqual(ok(await sim.sys.sigpending()).set, [SIGCHLD]);
  }));

test('SIGPIPE starts ignored in a script process', () =>
  withSim(async (sim) => {
    ok(await sim.sys.kill(SIG.SIGPIPE));
    assert.equal(sim.p.signal.killed, null);
  }));

// ---- handlers: SA_RESETHAND, SA_NODEFER, sa_mask and nesting ----

test('SA_RESETHAND runs the handler once, then the default action kills the process', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', SA_RESETHAND, []));
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(caught(sim, SIGUSR1), 1);
    const e = await killedBy(sim.sys.kill(SIGUSR1));
    assert.equal(e.signal, SIGUSR1);
    assert.equal(e.action, 'term');
  }));

test('without SA_NODEFER a queued real-time signal waits for the handler frame mask, with it it nests', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    for (const [flags, expect] of [
      [0, 1],
      [SA_NODEFER, 2],
    ] as const) {
      ok(await sim.sys.sigaction(SIGRT1, 'catch', flags, []));
      ok(await sim.sys.sigprocmask(SIG_SETMASK, [SIGRT1]));
      const before = caught(sim, SIGRT1);
      ok(await sim.sys.kill(SIGRT1));
      ok(await sim.sys.kill(SIGRT1));
      // pselect6 unblocks it; the frame's mask is the saved one, which blocks it again.
      assert.equal(errno(await sim.sys.pselect6(r + 1, [r], null, null, null, [])), 'EINTR');
      assert.equal(caught(sim, SIGRT1) - before, expect);
      ok(await sim.sys.sigaction(SIGRT1, 'SIG_IGN', 0, []));
    }
  }));

test('a signal blocked by sa_mask but not by the restored mask is delivered after the handler', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, [SIGUSR2]));
    ok(await sim.sys.sigaction(SIGUSR2, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1, SIGUSR2]));
    ok(await sim.sys.kill(SIGUSR1));
    ok(await sim.sys.kill(SIGUSR2));
    ok(await sim.sys.sigprocmask(SIG_SETMASK, []));
    assert.equal(caught(sim, SIGUSR1), 1);
    assert.equal(caught(sim, SIGUSR2), 1);
  }));

test('after an interrupted pselect6 a signal blocked again by the restored mask stays pending', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, [SIGUSR2]));
    ok(await sim.sys.sigaction(SIGUSR2, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1, SIGUSR2]));
    ok(await sim.sys.kill(SIGUSR1));
    ok(await sim.sys.kill(SIGUSR2));
    assert.equal(errno(await sim.sys.pselect6(r + 1, [r], null, null, null, [])), 'EINTR');
    assert.equal(caught(sim, SIGUSR1), 1);
    assert.equal(caught(sim, SIGUSR2), 0);
    assert.deepEqual(ok(await sim.sys.sigpending()).set, [SIGUSR2]);
    assert.deepEqual(ok(await sim.sys.sigprocmask(SIG_BLOCK, null)).old, [SIGUSR1, SIGUSR2]);
  }));

// ---- the p* calls' masks ----

test('pselect6 closes the race: a signal blocked before the call interrupts it at once', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(errno(await sim.sys.pselect6(r + 1, [r], null, null, null, [])), 'EINTR');
    assert.equal(caught(sim, SIGUSR1), 1);
    assert.deepEqual(ok(await sim.sys.sigprocmask(SIG_BLOCK, null)).old, [SIGUSR1]);
  }));

test('ppoll and epoll_pwait with an unblocking mask are interrupted by a pending signal', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(errno(await sim.sys.ppoll([{ fd: r, events: EPOLL.EPOLLIN }], null, [])), 'EINTR');
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(errno(await sim.sys.epoll_pwait(ep, 1, -1, [])), 'EINTR');
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(errno(await sim.sys.epoll_pwait2(ep, 1, null, [])), 'EINTR');
    assert.equal(caught(sim, SIGUSR1), 3);
    assert.deepEqual(ok(await sim.sys.sigprocmask(SIG_BLOCK, null)).old, [SIGUSR1]);
  }));

test('a p* call that is not interrupted restores the mask and writes back the time left', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    const res = ok(
      await sim.wait(sim.sys.pselect6(r + 1, [r], null, null, { sec: 0, nsec: 5 * MS }, [SIGUSR2])),
    );
    assert.equal(res.ret, 0);
    assert.deepEqual(res.timeout, { sec: 0, nsec: 0 });
    assert.deepEqual(ok(await sim.sys.sigprocmask(SIG_BLOCK, null)).old, [SIGUSR1]);
  }));

test('with a signal pending under its mask a zero-timeout pselect6 is EINTR but epoll_pwait returns 0 and leaves it pending', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    ok(await sim.sys.kill(SIGUSR1));
    // ep_poll returns 0 before it looks at signals; the call restores the mask, which blocks it again.
    assert.equal(ok(await sim.sys.epoll_pwait(ep, 1, 0, [])).ret, 0);
    assert.equal(caught(sim, SIGUSR1), 0);
    assert.deepEqual(ok(await sim.sys.sigpending()).set, [SIGUSR1]);
    // do_select checks signal_pending after its one pass: ERESTARTNOHAND, EINTR with a handler.
    assert.equal(errno(await sim.sys.pselect6(r + 1, [r], null, null, { sec: 0, nsec: 0 }, [])), 'EINTR');
    assert.equal(caught(sim, SIGUSR1), 1);
  }));

// ---- default actions ----

test('a fatal default action kills the process: every call rejects and the files are closed', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    const blockedRead = sim.thread('a').read(r, 1);
    const e = await killedBy(sim.sys.kill(SIGTERM));
    assert.equal(e.signal, SIGTERM);
    assert.equal(e.action, 'term');
    assert.equal((await killedBy(blockedRead)).signal, SIGTERM);
    assert.equal(sim.k.files.size, 0);
    assert.equal((await killedBy(sim.thread('b').gettid())).signal, SIGTERM);
  }));

test('a core-dumping default action is taken by the thread that dequeues it', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGQUIT]));
    ok(await sim.sys.kill(SIGQUIT));
    assert.equal(sim.p.signal.killed, null);
    const e = await killedBy(sim.sys.sigprocmask(SIG_UNBLOCK, [SIGQUIT]));
    assert.equal(e.action, 'core');
  }));

test('SIGTSTP at SIG_DFL is discarded in an orphaned process group, SIGSTOP stops the process', () =>
  withSim(async (sim) => {
    ok(await sim.sys.kill(SIGTSTP));
    assert.equal(sim.p.signal.killed, null);
    const e = await killedBy(sim.sys.kill(SIGSTOP));
    assert.equal(e.signal, SIGSTOP);
    assert.equal(e.action, 'stop');
  }));

// ---- argument errors ----

test('kill, tgkill, sigaction and sigprocmask refuse what Linux refuses', () =>
  withSim(async (sim) => {
    assert.equal(errno(await sim.sys.kill(65)), 'EINVAL');
    assert.equal(ok(await sim.sys.kill(0)).ret, 0);
    assert.equal(errno(await sim.sys.tgkill(0, SIGUSR1)), 'EINVAL');
    assert.equal(errno(await sim.sys.tgkill(99999, SIGUSR1)), 'ESRCH');
    assert.equal(errno(await sim.sys.tgkill(99999, 65)), 'ESRCH');
    const tid = ok(await sim.sys.gettid()).ret;
    assert.equal(tid, sim.p.pid);
    assert.equal(errno(await sim.sys.tgkill(tid, 65)), 'EINVAL');
    assert.equal(ok(await sim.sys.tgkill(tid, 0)).ret, 0);
    assert.equal(errno(await sim.sys.sigaction(SIGKILL, 'catch', 0, [])), 'EINVAL');
    assert.equal(errno(await sim.sys.sigaction(SIGSTOP, 'SIG_IGN', 0, [])), 'EINVAL');
    assert.equal(errno(await sim.sys.sigaction(0, 'catch', 0, [])), 'EINVAL');
    assert.equal(errno(await sim.sys.sigprocmask(7, [])), 'EINVAL');
    assert.equal(ok(await sim.sys.sigprocmask(7, null)).ret, 0);
    // SIGKILL and SIGSTOP are silently left out of the mask.
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGKILL, SIGSTOP, SIGUSR1]));
    assert.deepEqual(ok(await sim.sys.sigprocmask(SIG_BLOCK, null)).old, [SIGUSR1]);
  }));

async function tidOf(sim: Sim, name: string): Promise<number> {
  return name === 'main' ? sim.p.leader().tid : sim.p.thread(name).tid;
}

// ---- SIGPIPE (checked on Linux 6.18: pipe and stream writes send it, seqpacket and dgram do not) ----

test('a write to a pipe with no reader sends SIGPIPE to the writing thread, and EPIPE', () =>
  withSim(async (sim) => {
    const [r, w] = await pipe(sim);
    ok(await sim.sys.close(r));
    assert.equal(errno(await sim.sys.write(w, bytes('x'))), 'EPIPE');
    assert.equal(caught(sim, SIG.SIGPIPE), 0, 'ignored by default in a script process');
    ok(await sim.sys.sigaction(SIG.SIGPIPE, 'catch', 0, []));
    assert.equal(errno(await sim.sys.write(w, bytes('x'))), 'EPIPE');
    assert.equal(caught(sim, SIG.SIGPIPE), 1);
    ok(await sim.sys.sigaction(SIG.SIGPIPE, 'SIG_DFL', 0, []));
    assert.equal((await killedBy(sim.sys.write(w, bytes('x')))).signal, SIG.SIGPIPE);
  }));

test('a stream socket write to a closed peer sends SIGPIPE, a seqpacket one does not', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIG.SIGPIPE, 'catch', 0, []));
    const [s0, s1] = ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).fds;
    ok(await sim.sys.close(s1));
    assert.equal(errno(await sim.sys.write(s0, bytes('x'))), 'EPIPE');
    assert.equal(caught(sim, SIG.SIGPIPE), 1);
    const [q0, q1] = ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_SEQPACKET, 0)).fds;
    ok(await sim.sys.close(q1));
    assert.equal(errno(await sim.sys.write(q0, bytes('x'))), 'EPIPE');
    assert.equal(caught(sim, SIG.SIGPIPE), 1);
    ok(await sim.sys.close(s0));
    ok(await sim.sys.close(q0));
  }));

test('SIGCONT flushes pending stop signals and a stop signal flushes a pending SIGCONT', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGTSTP, SIG.SIGCONT, SIG.SIGTTIN]));
    ok(await sim.sys.kill(SIGTSTP));
    ok(await sim.sys.kill(SIG.SIGTTIN));
    assert.deepEqual(ok(await sim.sys.sigpending()).set, [SIGTSTP, SIG.SIGTTIN]);
    ok(await sim.sys.kill(SIG.SIGCONT));
    assert.deepEqual(ok(await sim.sys.sigpending()).set, [SIG.SIGCONT]);
    ok(await sim.sys.tgkill(await tidOf(sim, 'main'), SIGTSTP));
    assert.deepEqual(ok(await sim.sys.sigpending()).set, [SIGTSTP]);
  }));

test('SIGKILL cannot be blocked and kills the process at once', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigprocmask(SIG_SETMASK, [SIGKILL, SIGUSR1]));
    const e = await killedBy(sim.sys.kill(SIGKILL));
    assert.equal(e.signal, SIGKILL);
    assert.equal(e.action, 'term');
  }));

test('a fatal signal abandons calls asleep in every kind of wait and leaks nothing', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    const [, w] = await pipe(sim);
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, ev(EPOLL.EPOLLIN, 1)));
    const efd = ok(await sim.sys.eventfd(0, 0)).ret;
    const [s0] = ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).fds;
    const calls = [
      sim.thread('select').select(r + 1, [r], null, null, null),
      sim.thread('poll').poll([{ fd: r, events: EPOLL.EPOLLIN }], 1000),
      sim.thread('epoll').epoll_wait(ep, 4, -1),
      sim.thread('eventfd').read(efd, 8),
      sim.thread('recv').read(s0, 8),
      sim.thread('sleep').sleep(1000),
      sim.thread('write').write(w, new Uint8Array(70_000)),
    ];
    for (const c of calls) assert.equal(sim.blocked(c), true);
    await killedBy(sim.sys.kill(SIGTERM));
    for (const c of calls) assert.equal((await killedBy(c)).signal, SIGTERM);
    assert.deepEqual(sim.k.blockedThreads(), []);
    assert.equal(sim.k.files.size, 0);
  }));

test('a process signal goes to the one thread that does not block it, and waits while every thread blocks it', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', 0, [SIGUSR2]));
    ok(await sim.sys.sigaction(SIGUSR2, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1, SIGUSR2]));
    // a and b start with main's mask; b unblocks both and sleeps in a read.
    ok(await sim.thread('a').gettid());
    ok(await sim.thread('b').sigprocmask(SIG_SETMASK, []));
    const read = sim.thread('b').read(r, 1);
    ok(await sim.sys.kill(SIGUSR1));
    assert.equal(errno(await sim.wait(read)), 'EINTR');
    assert.equal(caught(sim, SIGUSR1), 1);
    // Now every thread blocks them: they stay pending for the process, visible to each thread.
    ok(await sim.thread('b').sigprocmask(SIG_SETMASK, [SIGUSR1, SIGUSR2]));
    ok(await sim.sys.kill(SIGUSR1));
    ok(await sim.sys.kill(SIGUSR2));
    assert.deepEqual(ok(await sim.thread('a').sigpending()).set, [SIGUSR1, SIGUSR2]);
    assert.deepEqual(checkKernel(sim.k), []);
    // The first thread to unblock them takes both: SIGUSR1's handler blocks SIGUSR2 (sa_mask),
    // which comes once the handler returns.
    ok(await sim.thread('a').sigprocmask(SIG_SETMASK, []));
    assert.equal(caught(sim, SIGUSR1), 2);
    assert.equal(caught(sim, SIGUSR2), 1);
    assert.deepEqual(ok(await sim.thread('b').sigpending()).set, []);
  }));

test('a stream socket write interrupted after sending part returns that count, even under SA_RESTART', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR1, 'catch', SA_RESTART, []));
    const [s0, s1] = ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).fds;
    const write = sim.thread('t').write(s0, new Uint8Array(4 << 20));
    assert.equal(sim.blocked(write), true);
    ok(await sim.sys.tgkill(await tidOf(sim, 't'), SIGUSR1));
    const sent = ok(await sim.wait(write)).ret;
    assert.ok(sent > 0 && sent < 4 << 20, `sent ${sent}`);
    assert.equal(ok(await sim.sys.ioctl_fionread(s1)).ret, sent);
    ok(await sim.sys.close(s0));
    ok(await sim.sys.close(s1));
  }));
