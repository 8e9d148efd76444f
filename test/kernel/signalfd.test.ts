// signalfd (Linux: fs/signalfd.c): records, errors, blocking reads, and readiness that follows
// the calling thread (checked on Linux 6.18 with a C program: a tgkill to another thread leaves
// main's epoll_wait on the signalfd at 0; one to main makes it 1; read(100) is EINVAL; the
// record carries signo 10, code SI_TKILL (-6) and the pid). Every test ends with the invariant
// and leak check (withSim).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EPOLL, EPOLL_CTL } from '../../src/abi/constants.ts';
import { SFD } from '../../src/abi/signal.ts';
import { SI_TKILL, SI_USER, SIG, SIG_BLOCK } from '../../src/kernel/signal.ts';

import { errno, ok, type Sim, withSim } from '../helpers.ts';
import { datas, ev, pipe } from './helpers.ts';

const { SFD_NONBLOCK } = SFD;
const { SIGUSR1, SIGUSR2, SIGKILL } = SIG;

/** The records of a signalfd read: [signo, code, pid] of each. */
function records(data: Uint8Array): [number, number, number][] {
  const v = new DataView(data.buffer, data.byteOffset, data.length);
  const out: [number, number, number][] = [];
  for (let at = 0; at < data.length; at += 128)
    out.push([v.getUint32(at, true), v.getInt32(at + 8, true), v.getUint32(at + 12, true)]);
  return out;
}

const tidOf = (sim: Sim, name: string): number => sim.p.thread(name).tid;

test('a signalfd read takes the pending signals of its mask as 128-byte records', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1, SIGUSR2]));
    const sfd = ok(await sim.sys.signalfd(-1, [SIGUSR1, SIGUSR2], SFD_NONBLOCK)).ret;
    ok(await sim.sys.kill(SIGUSR2));
    ok(await sim.sys.tgkill(tidOf(sim, 'main'), SIGUSR1));
    const r = ok(await sim.sys.read(sfd, 1000));
    assert.equal(r.ret, 256);
    // The thread's own first, then the process's.
    assert.deepEqual(records(r.data), [
      [SIGUSR1, SI_TKILL, sim.p.pid],
      [SIGUSR2, SI_USER, sim.p.pid],
    ]);
    assert.deepEqual(ok(await sim.sys.sigpending()).set, []);
    assert.equal(errno(await sim.sys.read(sfd, 1000)), 'EAGAIN');
    assert.equal(errno(await sim.sys.read(sfd, 100)), 'EINVAL');
    ok(await sim.sys.close(sfd));
  }));

test('signalfd refuses a null mask with EFAULT before its flags, and a non-signalfd with EINVAL', () =>
  withSim(async (sim) => {
    assert.equal(errno(await sim.sys.signalfd(-1, null, 0xdead)), 'EFAULT');
    assert.equal(errno(await sim.sys.signalfd(-1, [], 0xdead)), 'EINVAL');
    assert.equal(errno(await sim.sys.signalfd(0, [SIGUSR1], 0)), 'EINVAL');
    assert.equal(errno(await sim.sys.signalfd(77, [SIGUSR1], 0)), 'EBADF');
    const sfd = ok(await sim.sys.signalfd(-1, [SIGUSR1], 0)).ret;
    assert.equal(ok(await sim.sys.signalfd(sfd, [SIGUSR2, SIGKILL], 0)).ret, sfd);
    ok(await sim.sys.close(sfd));
  }));

test('a blocking signalfd read sleeps until a signal of its mask is sent', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    const sfd = ok(await sim.sys.signalfd(-1, [SIGUSR1], 0)).ret;
    const read = sim.thread('t').read(sfd, 128);
    assert.equal(sim.blocked(read), true);
    ok(await sim.sys.kill(SIGUSR1));
    assert.deepEqual(records(ok(await sim.wait(read)).data), [[SIGUSR1, SI_USER, sim.p.pid]]);
    ok(await sim.sys.close(sfd));
  }));

test('a blocking signalfd read is interrupted by a signal outside its mask', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigaction(SIGUSR2, 'catch', 0, []));
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    const sfd = ok(await sim.sys.signalfd(-1, [SIGUSR1], 0)).ret;
    const read = sim.thread('t').read(sfd, 128);
    ok(await sim.sys.tgkill(tidOf(sim, 't'), SIGUSR2));
    assert.equal(errno(await sim.wait(read)), 'EINTR');
    ok(await sim.sys.close(sfd));
  }));

test('a signalfd in epoll is polled for the thread calling epoll_wait, so another thread drops the item', () =>
  withSim(async (sim) => {
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    const sfd = ok(await sim.sys.signalfd(-1, [SIGUSR1], SFD_NONBLOCK)).ret;
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, sfd, ev(EPOLL.EPOLLIN, 7)));
    ok(await sim.sys.tgkill(tidOf(sim, 'a'), SIGUSR1));
    // Checked on Linux 6.18: a sees it (1), main's re-poll finds nothing and drops the LT item
    // (0), and a's next epoll_wait finds an empty ready list (0) though the signal is pending.
    assert.deepEqual(datas(ok(await sim.thread('a').epoll_wait(ep, 4, 0))), [7]);
    assert.equal(ok(await sim.sys.epoll_wait(ep, 4, 0)).ret, 0);
    assert.equal(ok(await sim.thread('a').epoll_wait(ep, 4, 0)).ret, 0);
    assert.equal(ok(await sim.thread('a').read(sfd, 128)).ret, 128);
    ok(await sim.sys.close(ep));
    ok(await sim.sys.close(sfd));
  }));

test('a signal sent to the process wakes an epoll_wait on a signalfd', () =>
  withSim(async (sim) => {
    const [r] = await pipe(sim);
    ok(await sim.sys.sigprocmask(SIG_BLOCK, [SIGUSR1]));
    const sfd = ok(await sim.sys.signalfd(-1, [SIGUSR1], SFD_NONBLOCK)).ret;
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, sfd, ev(EPOLL.EPOLLIN, 7)));
    ok(await sim.sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, ev(EPOLL.EPOLLIN, 8)));
    const w = sim.thread('t').epoll_wait(ep, 4, -1);
    assert.equal(sim.blocked(w), true);
    ok(await sim.sys.kill(SIGUSR1));
    assert.deepEqual(datas(ok(await sim.wait(w))), [7]);
    ok(await sim.sys.close(ep));
    ok(await sim.sys.close(sfd));
  }));
