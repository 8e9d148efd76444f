// fs.nr_open (Linux: fs/file.c sysctl_nr_open) and the RLIMIT_NOFILE rule that depends on it
// (kernel/sys.c do_prlimit).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, SYSCTL_NR_OPEN } from '../../src/abi/constants.ts';
import { ERRNO } from '../../src/abi/errno.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import {
  doPrlimitNofile,
  fsSysctl,
  SYSCTL_NR_OPEN_MAX,
  SYSCTL_NR_OPEN_MIN,
  setNrOpen,
} from '../../src/kernel/sysctl.ts';
import { createScriptProcess, SimSyscalls } from '../../src/kernel/system.ts';
import { errno, ok, withSim } from '../helpers.ts';

test('nr_open_is_1048576_by_default_and_accepts_64_to_INT_MAX_rounded_down_to_64', () =>
  withSim(async (sim) => {
    assert.equal(fsSysctl(sim.k).nrOpen, SYSCTL_NR_OPEN);
    assert.equal(SYSCTL_NR_OPEN_MIN, 64);
    assert.equal(SYSCTL_NR_OPEN_MAX, 2147483584);
    assert.equal(setNrOpen(sim.k, 63), -ERRNO.EINVAL);
    assert.equal(setNrOpen(sim.k, 2147483585), -ERRNO.EINVAL);
    assert.equal(fsSysctl(sim.k).nrOpen, SYSCTL_NR_OPEN, 'a refused write changes nothing');
    assert.equal(setNrOpen(sim.k, 64), 0);
    assert.equal(setNrOpen(sim.k, SYSCTL_NR_OPEN_MAX), 0);
    assert.equal(fsSysctl(sim.k).nrOpen, SYSCTL_NR_OPEN_MAX);
  }));

test('nr_open_is_per_kernel', () =>
  withSim(async (a) =>
    withSim(async (b) => {
      assert.equal(setNrOpen(a.k, 4096), 0);
      assert.equal(fsSysctl(b.k).nrOpen, SYSCTL_NR_OPEN);
    }),
  ));

test('the_table_grows_to_nr_open_rounded_up_to_a_word_and_never_past_it', () =>
  withSim(
    async (sim) => {
      // expand_fdtable(129): 256 slots, capped at ((130 − 1) | 63) + 1 = 192.
      assert.equal(setNrOpen(sim.k, 130), 0);
      assert.equal(ok(await sim.sys.dup2(0, 129)).ret, 129);
      assert.equal(sim.p.fdtable.capacity, 192);
      // expand_files checks nr_open only when the table must grow: fds up to 191 fit.
      assert.equal(ok(await sim.sys.dup2(0, 191)).ret, 191);
      // ksys_dup3: expand_files fails with EMFILE, which dup2 reports as EBADF.
      assert.equal(errno(await sim.sys.dup2(0, 192)), 'EBADF');
      // alloc_fd: the lowest free fd ≥ 191 is 192, which expand_files refuses: EMFILE.
      assert.equal(errno(await sim.sys.fcntl(0, F.F_DUPFD, 191)), 'EMFILE');
      assert.equal(sim.p.fdtable.capacity, 192);
      ok(await sim.sys.close(129));
      ok(await sim.sys.close(191));
    },
    { fdCapacity: 64, rlimit: { soft: 100_000, hard: 100_000 } },
  ));

test('RLIMIT_NOFILE_cannot_be_raised_above_nr_open_even_by_root', () =>
  withSim(async (sim) => {
    const rlimit = sim.p.fdtable.rlimit;
    const was = { ...rlimit };
    assert.equal(doPrlimitNofile(sim.k, rlimit, { soft: 10, hard: 5 }, true), -ERRNO.EINVAL);
    assert.equal(doPrlimitNofile(sim.k, rlimit, { soft: 10, hard: SYSCTL_NR_OPEN + 1 }, true), -ERRNO.EPERM);
    assert.equal(doPrlimitNofile(sim.k, rlimit, { soft: 10, hard: rlimit.hard + 1 }, false), -ERRNO.EPERM);
    assert.deepEqual(rlimit, was, 'refused: unchanged');
    assert.equal(setNrOpen(sim.k, 10_000_000), 0);
    assert.equal(doPrlimitNofile(sim.k, rlimit, { soft: 10_000_000, hard: 10_000_000 }, true), 0);
    assert.deepEqual(rlimit, { soft: 10_000_000, hard: 10_000_000 });
    assert.equal(
      doPrlimitNofile(sim.k, rlimit, { soft: 1024, hard: 4096 }, false),
      0,
      'lowering needs no privilege',
    );
  }));

test('a_process_whose_RLIMIT_NOFILE_passes_nr_open_is_refused_until_nr_open_is_raised', () => {
  const k = new Kernel();
  const big = { soft: 2_000_000, hard: 2_000_000 };
  assert.throws(
    () => createScriptProcess(k, { rlimit: { ...big } }),
    /fs\.nr_open \(1048576; raise it first/,
  );
  assert.throws(() => createScriptProcess(k, { rlimit: { soft: 10, hard: 5 } }), /soft limit must not pass/);
  assert.equal(setNrOpen(k, 2_000_000), 0);
  const p = createScriptProcess(k, { rlimit: { ...big } });
  assert.deepEqual(p.fdtable.rlimit, big);
});

test('select_watches_a_descriptor_above_the_default_nr_open_once_nr_open_is_raised', async () => {
  const k = new Kernel();
  assert.equal(setNrOpen(k, 4_194_304), 0);
  const p = createScriptProcess(k, { rlimit: { soft: 4_194_304, hard: 4_194_304 } });
  const sys = new SimSyscalls(p.thread('main'));
  const fd = 3_000_000; // past 1 048 576, Linux's default nr_open
  assert.equal(ok(await sys.dup2(0, fd)).ret, fd);
  const r = ok(await sys.select(fd + 1, [fd], null, null, { sec: 0, usec: 0 }));
  assert.equal(r.ret, 1);
  assert.deepEqual(r.readfds, [fd]);
});
