// The descriptor table and the calls on it (Linux fs/file.c, fs/fcntl.c; reference §1.1, §1.2).
// Every errno path here was checked on Linux 6.18.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFD, F, FD_CLOEXEC, O } from '../../src/abi/constants.ts';
import { bytes, errno, ok, withSim } from '../helpers.ts';

test('descriptors_are_allocated_lowest_free_first', () =>
  withSim(async (sim) => {
    const [r, w] = ok(await sim.sys.pipe()).fds;
    const e = ok(await sim.sys.eventfd(0, 0)).ret;
    assert.deepEqual([r, w, e], [3, 4, 5]);
    // Reference §9 item 1: close(p[0]); dup(0) returns p[0]'s number.
    ok(await sim.sys.close(r));
    assert.equal(ok(await sim.sys.dup(0)).ret, r);
    ok(await sim.sys.close(w));
    ok(await sim.sys.close(3));
    assert.equal(ok(await sim.sys.eventfd(0, 0)).ret, 3);
    assert.equal(ok(await sim.sys.eventfd(0, 0)).ret, 4);
    assert.equal(ok(await sim.sys.eventfd(0, 0)).ret, 6);
  }));

test('close_of_minus_1_or_of_a_descriptor_not_open_is_EBADF', () =>
  withSim(async (sim) => {
    assert.equal(errno(await sim.sys.close(-1)), 'EBADF');
    assert.equal(errno(await sim.sys.close(100)), 'EBADF');
    assert.equal(errno(await sim.sys.close(5000)), 'EBADF', 'beyond the capacity');
    const fd = ok(await sim.sys.eventfd(0, 0)).ret;
    ok(await sim.sys.close(fd));
    assert.equal(errno(await sim.sys.close(fd)), 'EBADF', 'a second close');
  }));

test('dup_of_a_descriptor_not_open_is_EBADF', () =>
  withSim(async (sim) => {
    assert.equal(errno(await sim.sys.dup(-1)), 'EBADF');
    assert.equal(errno(await sim.sys.dup(77)), 'EBADF');
  }));

test('dup2_onto_itself_returns_it_if_open_else_EBADF', () =>
  withSim(async (sim) => {
    assert.equal(ok(await sim.sys.dup2(0, 0)).ret, 0);
    assert.equal(errno(await sim.sys.dup2(77, 77)), 'EBADF');
  }));

test('dup2_with_newfd_negative_or_at_RLIMIT_NOFILE_is_EBADF', () =>
  withSim(async (sim) => {
    assert.equal(errno(await sim.sys.dup2(0, -1)), 'EBADF');
    assert.equal(errno(await sim.sys.dup2(0, 1024)), 'EBADF');
    assert.equal(ok(await sim.sys.dup2(0, 1023)).ret, 1023);
  }));

test('dup3_checks_flags_then_old_equals_new_then_the_limit_then_oldfd', () =>
  withSim(async (sim) => {
    assert.equal(errno(await sim.sys.dup3(0, 5, O.O_NONBLOCK)), 'EINVAL');
    assert.equal(errno(await sim.sys.dup3(77, 5, O.O_NONBLOCK)), 'EINVAL', 'flags before EBADF');
    assert.equal(errno(await sim.sys.dup3(0, 1024, O.O_NONBLOCK)), 'EINVAL');
    assert.equal(errno(await sim.sys.dup3(0, 0, 0)), 'EINVAL', 'dup3 onto itself, unlike dup2');
    assert.equal(errno(await sim.sys.dup3(77, 77, 0)), 'EINVAL', 'old == new before EBADF');
    assert.equal(errno(await sim.sys.dup3(0, 1024, 0)), 'EBADF');
    assert.equal(errno(await sim.sys.dup3(77, 5, 0)), 'EBADF');
    assert.equal(ok(await sim.sys.dup3(0, 5, 0)).ret, 5);
  }));

test('dup2_onto_an_open_descriptor_closes_its_file_silently', () =>
  withSim(async (sim) => {
    const [r, w] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
    const files = sim.k.files.size;
    // Replacing the only write end releases it: the reader sees EOF.
    assert.equal(ok(await sim.sys.dup2(0, w)).ret, w);
    assert.equal(sim.k.files.size, files - 1);
    assert.equal(ok(await sim.sys.read(r, 1)).ret, 0);
  }));

test('close_on_exec_is_per_descriptor_dup3_sets_it_dup2_and_dup_clear_it', () =>
  withSim(async (sim) => {
    assert.equal(ok(await sim.sys.dup3(0, 5, O.O_CLOEXEC)).ret, 5);
    assert.equal(ok(await sim.sys.fcntl(5, F.F_GETFD, 0)).ret, FD_CLOEXEC);
    assert.equal(ok(await sim.sys.fcntl(0, F.F_GETFD, 0)).ret, 0, 'the original is untouched');
    const d = ok(await sim.sys.dup(5)).ret;
    assert.equal(ok(await sim.sys.fcntl(d, F.F_GETFD, 0)).ret, 0, 'dup never copies it');
    assert.equal(ok(await sim.sys.dup2(0, 5)).ret, 5);
    assert.equal(ok(await sim.sys.fcntl(5, F.F_GETFD, 0)).ret, 0, 'dup2 over it clears it');
  }));

test('F_SETFD_keeps_only_FD_CLOEXEC_and_F_GETFD_of_a_bad_fd_is_EBADF', () =>
  withSim(async (sim) => {
    ok(await sim.sys.fcntl(0, F.F_SETFD, 3));
    assert.equal(ok(await sim.sys.fcntl(0, F.F_GETFD, 0)).ret, FD_CLOEXEC);
    ok(await sim.sys.fcntl(0, F.F_SETFD, 2));
    assert.equal(ok(await sim.sys.fcntl(0, F.F_GETFD, 0)).ret, 0);
    assert.equal(errno(await sim.sys.fcntl(77, F.F_GETFD, 0)), 'EBADF');
    assert.equal(errno(await sim.sys.fcntl(77, F.F_SETFD, 1)), 'EBADF');
  }));

test('allocation_at_RLIMIT_NOFILE_is_EMFILE', () =>
  withSim(
    async (sim) => {
      const got: number[] = [];
      for (;;) {
        const r = await sim.sys.dup(0);
        if ('errno' in r) {
          assert.equal(r.errno, 'EMFILE');
          break;
        }
        got.push(r.ret);
      }
      assert.deepEqual(got, [3, 4, 5, 6, 7]);
      assert.equal(errno(await sim.sys.eventfd(0, 0)), 'EMFILE');
      assert.equal(sim.k.files.size, 3, 'the eventfd that found no descriptor was released');
      ok(await sim.sys.close(5));
      assert.equal(ok(await sim.sys.eventfd(0, 0)).ret, 5);
    },
    { rlimit: { soft: 8, hard: 8 } },
  ));

test('F_DUPFD_at_or_above_RLIMIT_NOFILE_is_EINVAL_and_a_full_range_is_EMFILE', () =>
  withSim(async (sim) => {
    assert.equal(errno(await sim.sys.fcntl(0, F.F_DUPFD, 1024)), 'EINVAL');
    assert.equal(errno(await sim.sys.fcntl(0, F.F_DUPFD, -1)), 'EINVAL');
    assert.equal(
      errno(await sim.sys.fcntl(77, F.F_DUPFD, 1024)),
      'EBADF',
      'the descriptor is looked up first',
    );
    assert.equal(ok(await sim.sys.fcntl(0, F.F_DUPFD, 1023)).ret, 1023);
    assert.equal(errno(await sim.sys.fcntl(0, F.F_DUPFD, 1023)), 'EMFILE');
  }));

test('F_DUPFD_returns_the_lowest_free_fd_at_or_above_arg_and_F_DUPFD_CLOEXEC_sets_cloexec', () =>
  withSim(async (sim) => {
    assert.equal(ok(await sim.sys.fcntl(0, F.F_DUPFD, 10)).ret, 10);
    assert.equal(ok(await sim.sys.fcntl(0, F.F_DUPFD, 10)).ret, 11);
    assert.equal(ok(await sim.sys.fcntl(0, F.F_DUPFD_CLOEXEC, 10)).ret, 12);
    assert.equal(ok(await sim.sys.fcntl(12, F.F_GETFD, 0)).ret, FD_CLOEXEC);
    assert.equal(ok(await sim.sys.fcntl(11, F.F_GETFD, 0)).ret, 0);
    assert.equal(ok(await sim.sys.fcntl(0, F.F_DUPFD, 0)).ret, 3, 'the lowest free at or above 0');
  }));

test('fcntl_with_an_unknown_command_is_EINVAL', () =>
  withSim(async (sim) => {
    assert.equal(errno(await sim.sys.fcntl(0, 9999, 0)), 'EINVAL');
  }));

test('O_NONBLOCK_belongs_to_the_open_file_description_and_is_shared_through_dup', () =>
  withSim(async (sim) => {
    const [r, w] = ok(await sim.sys.pipe()).fds;
    const d = ok(await sim.sys.dup(r)).ret;
    const d2 = ok(await sim.sys.dup2(r, 20)).ret;
    ok(await sim.sys.fcntl(r, F.F_SETFL, O.O_NONBLOCK));
    assert.equal(ok(await sim.sys.fcntl(d, F.F_GETFL, 0)).ret, O.O_NONBLOCK);
    assert.equal(ok(await sim.sys.fcntl(d2, F.F_GETFL, 0)).ret, O.O_NONBLOCK);
    assert.equal(errno(await sim.sys.read(d, 1)), 'EAGAIN', 'the dup does not block');
    assert.equal(
      ok(await sim.sys.fcntl(w, F.F_GETFL, 0)).ret,
      O.O_WRONLY,
      'the other end is another description',
    );
    ok(await sim.sys.fcntl(d, F.F_SETFL, 0));
    assert.equal(ok(await sim.sys.fcntl(r, F.F_GETFL, 0)).ret, 0);
  }));

test('last_close_releases_the_file_and_a_dup_keeps_it_alive', () =>
  withSim(async (sim) => {
    const [r, w] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
    const file = sim.p.fdtable.get(w)!;
    const d = ok(await sim.sys.dup(w)).ret;
    assert.equal(file.count, 2, 'one reference per descriptor');
    ok(await sim.sys.close(w));
    assert.equal(sim.k.files.has(file), true);
    assert.equal(errno(await sim.sys.read(r, 1)), 'EAGAIN', 'still a writer: no EOF');
    ok(await sim.sys.write(d, bytes('x')));
    ok(await sim.sys.close(d));
    assert.equal(sim.k.files.has(file), false, 'released at the last close');
    assert.equal(file.count, 0);
    assert.equal(ok(await sim.sys.read(r, 10)).ret, 1);
    assert.equal(ok(await sim.sys.read(r, 10)).ret, 0, 'then EOF');
  }));

test('a_thread_blocked_in_read_keeps_the_file_alive_across_close', () =>
  withSim(async (sim) => {
    const e = ok(await sim.sys.eventfd(0, 0)).ret;
    const file = sim.p.fdtable.get(e)!;
    const pending = sim.thread('t1').read(e, 8);
    assert.equal(file.count, 2, 'the descriptor and the call in progress');
    ok(await sim.sys.close(e));
    assert.equal(sim.blocked(pending), true, 'close neither wakes nor releases it');
    assert.equal(sim.k.files.has(file), true);
    // Nobody can write to it any more; unwind the call so the leak check can pass.
    sim.k.abortBlocked(null);
    assert.equal(sim.k.files.has(file), false, 'the call’s reference was the last one');
  }));

test('the_table_capacity_grows_to_a_power_of_two_and_never_shrinks', () =>
  withSim(
    async (sim) => {
      const table = sim.p.fdtable;
      assert.equal(table.capacity, 64, 'NR_OPEN_DEFAULT');
      assert.equal(ok(await sim.sys.dup2(0, 64)).ret, 64);
      assert.equal(table.capacity, 128);
      assert.equal(ok(await sim.sys.fcntl(0, F.F_DUPFD, 200)).ret, 200);
      assert.equal(table.capacity, 256);
      ok(await sim.sys.close(64));
      ok(await sim.sys.close(200));
      assert.equal(table.capacity, 256, 'closing does not shrink it');
      assert.equal(ok(await sim.sys.dup2(0, 513)).ret, 513);
      assert.equal(table.capacity, 1024);
      ok(await sim.sys.close(513));
      assert.equal(table.capacity, 1024);
    },
    { fdCapacity: 64 },
  ));

test('dup2_with_a_bad_oldfd_still_grows_the_table', () =>
  withSim(
    async (sim) => {
      // Linux: ksys_dup3 expands the table before it looks oldfd up (select then sees the
      // larger capacity: checked on 6.18).
      assert.equal(errno(await sim.sys.dup2(999, 500)), 'EBADF');
      assert.equal(sim.p.fdtable.capacity, 512);
      assert.equal(errno(await sim.sys.dup3(999, 700, 0)), 'EBADF');
      assert.equal(sim.p.fdtable.capacity, 1024);
    },
    { fdCapacity: 64 },
  ));

test('F_SETFL_ignores_the_access_mode_and_changes_only_status_flags', () =>
  withSim(async (sim) => {
    const e = ok(await sim.sys.eventfd(0, EFD.EFD_NONBLOCK)).ret;
    assert.equal(ok(await sim.sys.fcntl(e, F.F_GETFL, 0)).ret, O.O_RDWR | O.O_NONBLOCK);
    ok(await sim.sys.fcntl(e, F.F_SETFL, O.O_WRONLY));
    assert.equal(ok(await sim.sys.fcntl(e, F.F_GETFL, 0)).ret, O.O_RDWR, 'O_NONBLOCK cleared, O_RDWR kept');
    assert.equal(errno(await sim.sys.fcntl(e, F.F_SETFL, O.O_DIRECT)), 'EINVAL', 'no O_DIRECT on an eventfd');
  }));

test('the_lowest_free_fd_is_found_past_full_bitmap_words', () =>
  withSim(async (sim) => {
    // 3 … 202 open: words 0 … 5 of open_fds full; closing 40 and 170 frees one bit in two words.
    const fds: number[] = [];
    for (let i = 0; i < 200; i++) fds.push(ok(await sim.sys.eventfd(0, 0)).ret);
    assert.equal(fds.at(-1), 202);
    ok(await sim.sys.close(170));
    ok(await sim.sys.close(40));
    assert.equal(ok(await sim.sys.dup(0)).ret, 40);
    assert.equal(ok(await sim.sys.dup(0)).ret, 170);
    assert.equal(ok(await sim.sys.dup(0)).ret, 203);
    assert.equal(ok(await sim.sys.fcntl(0, F.F_DUPFD, 64)).ret, 204, 'F_DUPFD skips the full words from 64');
  }));

test('close_on_exec_bits_follow_the_table_as_it_grows', () =>
  withSim(
    async (sim) => {
      const fd = ok(await sim.sys.eventfd(0, EFD.EFD_CLOEXEC)).ret;
      assert.equal(ok(await sim.sys.dup3(fd, 300, O.O_CLOEXEC)).ret, 300);
      assert.equal(sim.p.fdtable.capacity, 512);
      assert.equal(ok(await sim.sys.fcntl(fd, F.F_GETFD, 0)).ret, FD_CLOEXEC, 'kept across the growth');
      assert.equal(ok(await sim.sys.fcntl(300, F.F_GETFD, 0)).ret, FD_CLOEXEC);
      assert.deepEqual([...sim.p.fdtable.cloexec], [fd, 300]);
    },
    { fdCapacity: 64 },
  ));
