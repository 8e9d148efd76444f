// A read's buffer (fs.ts readBuffer) is no bigger than what the file can return now, where its
// type knows it (readMax): a non-blocking read(fd, 2^30) of an empty pipe allocates nothing
// worth the name, and a large read still returns everything there is.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EFD, F, O, SOCK } from '../../src/abi/constants.ts';
import { readBuffer } from '../../src/kernel/fs.ts';
import { closeAndCheckLeaks, errno, newSim, ok, type Sim } from '../helpers.ts';

const HUGE = 1 << 30;

function bufferFor(sim: Sim, fd: number, count: number): number {
  const t = sim.sys.thread;
  const file = t.proc.fdtable.get(fd);
  assert.ok(file);
  return readBuffer(t, file, count).length;
}

test('read_of_2_30_bytes_from_an_empty_nonblocking_pipe_allocates_at_most_a_byte_and_is_EAGAIN', async () => {
  const sim = newSim();
  const [r] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
  assert.ok(bufferFor(sim, r, HUGE) <= 1);
  assert.equal(errno(await sim.sys.read(r, HUGE)), 'EAGAIN');
  closeAndCheckLeaks(sim);
});

test('read_of_2_30_bytes_from_a_pipe_with_a_1_MiB_buffer_returns_every_byte_in_a_buffer_of_their_size', async () => {
  const sim = newSim();
  const [r, w] = ok(await sim.sys.pipe2(O.O_NONBLOCK)).fds;
  ok(await sim.sys.fcntl(w, F.F_SETPIPE_SZ, 1 << 20));
  const data = new Uint8Array(300_000).map((_, i) => i * 7);
  assert.equal(ok(await sim.sys.write(w, data)).ret, data.length);
  assert.equal(bufferFor(sim, r, HUGE), data.length);
  const got = ok(await sim.sys.read(r, HUGE));
  assert.equal(got.ret, data.length);
  assert.deepEqual(got.data, data);
  ok(await sim.sys.close(w));
  assert.ok(bufferFor(sim, r, HUGE) <= 1);
  assert.equal(ok(await sim.sys.read(r, HUGE)).ret, 0);
  closeAndCheckLeaks(sim);
});

test('read_of_2_30_bytes_from_an_eventfd_uses_an_8_byte_buffer_and_returns_the_counter', async () => {
  const sim = newSim();
  const fd = ok(await sim.sys.eventfd(5, EFD.EFD_NONBLOCK)).ret;
  assert.equal(bufferFor(sim, fd, HUGE), 8);
  const got = ok(await sim.sys.read(fd, HUGE));
  assert.equal(got.ret, 8);
  assert.equal(new DataView(got.data.buffer).getBigUint64(0, true), 5n);
  assert.equal(errno(await sim.sys.read(fd, HUGE)), 'EAGAIN');
  closeAndCheckLeaks(sim);
});

test('a_blocking_read_of_2_30_bytes_from_an_empty_pipe_still_gets_what_is_written_while_it_sleeps', async () => {
  const sim = newSim();
  const [r, w] = ok(await sim.sys.pipe2(0)).fds;
  const pending = sim.thread('reader').read(r, HUGE);
  assert.equal(sim.blocked(pending), true);
  const data = new Uint8Array(65536).fill(9);
  assert.equal(ok(await sim.sys.write(w, data)).ret, data.length);
  const got = ok(await pending);
  assert.equal(got.ret, data.length);
  assert.deepEqual(got.data, data);
  closeAndCheckLeaks(sim);
});

test('read_of_2_30_bytes_from_an_empty_nonblocking_stream_socket_allocates_at_most_a_byte_then_returns_all_queued', async () => {
  const sim = newSim();
  const [a, b] = ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_STREAM | SOCK.SOCK_NONBLOCK, 0)).fds;
  assert.ok(bufferFor(sim, a, HUGE) <= 1);
  assert.equal(errno(await sim.sys.read(a, HUGE)), 'EAGAIN');
  const chunk = new Uint8Array(50_000).map((_, i) => i * 3);
  const written: number[] = [];
  for (let i = 0; i < 3; i++) written.push(...chunk.subarray(0, ok(await sim.sys.write(b, chunk)).ret));
  assert.ok(written.length > 65536);
  assert.equal(bufferFor(sim, a, HUGE), written.length);
  const got = ok(await sim.sys.read(a, HUGE));
  assert.deepEqual(got.data, Uint8Array.from(written));
  closeAndCheckLeaks(sim);
});

test('read_of_2_30_bytes_from_a_datagram_socket_is_sized_by_the_first_datagram_and_truncates_nothing', async () => {
  const sim = newSim();
  const [a, b] = ok(await sim.sys.socketpair(AF.AF_UNIX, SOCK.SOCK_DGRAM | SOCK.SOCK_NONBLOCK, 0)).fds;
  assert.ok(bufferFor(sim, a, HUGE) <= 1);
  ok(await sim.sys.write(b, new Uint8Array(100_000).fill(1)));
  ok(await sim.sys.write(b, new Uint8Array(150_000).fill(2)));
  assert.equal(bufferFor(sim, a, HUGE), 100_000);
  const first = ok(await sim.sys.read(a, HUGE));
  assert.deepEqual(first.data, new Uint8Array(100_000).fill(1));
  const second = ok(await sim.sys.read(a, HUGE));
  assert.deepEqual(second.data, new Uint8Array(150_000).fill(2));
  assert.equal(errno(await sim.sys.read(a, HUGE)), 'EAGAIN');
  closeAndCheckLeaks(sim);
});
