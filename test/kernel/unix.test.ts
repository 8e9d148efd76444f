// AF_UNIX sockets (reference §5.2). Every expected value here was observed on the reference kernel
// (Linux 6.18.44) with small C programs: masks are what poll() reports when asked for every event.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EPOLL, F, FD_CLOEXEC, O, SHUT, SOCK } from '../../src/abi/constants.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import type { KernelEvent } from '../../src/kernel/events.ts';
import { unixSockOfFile } from '../../src/kernel/net/unix/af_unix.ts';
import { dgramSkbTruesize } from '../../src/kernel/net/unix/dgram.ts';
import { snapshotUnixSocket } from '../../src/kernel/net/unix/diag.ts';
import { snapshotUnixNamespace } from '../../src/kernel/net/unix/namespace.ts';
import { streamSkbTruesize } from '../../src/kernel/net/unix/stream.ts';
import type { UnixSock } from '../../src/kernel/net/unix/unix_sock.ts';
import type { SimSyscalls } from '../../src/kernel/syscalls.ts';
import { bytes, errno, ok, type Sim, text, withSim } from '../helpers.ts';

const { AF_UNIX } = AF;
const { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_NONBLOCK, SOCK_CLOEXEC } = SOCK;
const { SHUT_RD, SHUT_WR, SHUT_RDWR } = SHUT;
const TYPES = [SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET] as const;
const TYPE_NAME = { [SOCK_STREAM]: 'stream', [SOCK_DGRAM]: 'dgram', [SOCK_SEQPACKET]: 'seqpacket' };

const OUT_KEY = EPOLL.EPOLLOUT | EPOLL.EPOLLWRNORM | EPOLL.EPOLLWRBAND;
const IN_KEY = EPOLL.EPOLLIN | EPOLL.EPOLLPRI | EPOLL.EPOLLRDNORM | EPOLL.EPOLLRDBAND;

async function pair(
  sys: SimSyscalls,
  type: number,
  flags: number = SOCK_NONBLOCK,
): Promise<[number, number]> {
  return ok(await sys.socketpair(AF_UNIX, type | flags, 0)).fds;
}

async function sock(sys: SimSyscalls, type: number, flags: number = SOCK_NONBLOCK): Promise<number> {
  return ok(await sys.socket(AF_UNIX, type | flags, 0)).ret;
}

/** f_op->poll's full mask (what poll() shows when every event is requested). */
function mask(sim: Sim, fd: number, requested: number | null = null): number {
  const file = sim.p.fdtable.get(fd)!;
  return file.ops.poll!(sim.k, file, requested === null ? null : { qproc: null, key: requested });
}

function sk(sim: Sim, fd: number): UnixSock {
  return unixSockOfFile(sim.p.fdtable.get(fd)!)!;
}

/** Record every wake_up from now on (without the waker's name: what is compared is the wake-up). */
function recordWakeUps(sim: Sim): Extract<KernelEvent, { type: 'wake_up' }>[] {
  const out: Extract<KernelEvent, { type: 'wake_up' }>[] = [];
  sim.k.attach((e) => {
    if (e.type === 'wake_up') {
      const { from: _from, ...wake } = e;
      out.push(wake);
    }
  });
  return out;
}

const zeros = (n: number): Uint8Array => new Uint8Array(n);

// ---- creation ----

test('socket_type_and_family_errors_follow_sock_create_order', () =>
  withSim(async ({ sys }) => {
    const cases: [number, number, number, string][] = [
      [AF_UNIX, 0, 0, 'ESOCKTNOSUPPORT'],
      [AF_UNIX, 4, 0, 'ESOCKTNOSUPPORT'],
      [AF_UNIX, 6, 0, 'ESOCKTNOSUPPORT'],
      [AF_UNIX, 10, 0, 'ESOCKTNOSUPPORT'],
      [AF_UNIX, 11, 0, 'EINVAL'],
      [AF_UNIX, 15, 0, 'EINVAL'],
      [AF_UNIX, 0x10 | SOCK_STREAM, 0, 'EINVAL'],
      [AF_UNIX, 0x40000 | SOCK_STREAM, 0, 'EINVAL'],
      [AF_UNIX, SOCK_STREAM, 2, 'EPROTONOSUPPORT'],
      [AF_UNIX, SOCK_STREAM, -1, 'EPROTONOSUPPORT'],
      [AF_UNIX, 4, 5, 'EPROTONOSUPPORT'],
      [AF_UNIX, 11, 5, 'EINVAL'],
      [-1, SOCK_STREAM, 0, 'EAFNOSUPPORT'],
      [46, SOCK_STREAM, 0, 'EAFNOSUPPORT'],
      [46, 11, 0, 'EAFNOSUPPORT'],
      [AF.AF_UNSPEC, SOCK_STREAM, 0, 'EAFNOSUPPORT'],
      [AF.AF_UNSPEC, 11, 0, 'EINVAL'],
    ];
    for (const [family, type, protocol, expected] of cases)
      assert.equal(
        errno(await sys.socket(family, type, protocol)),
        expected,
        `socket(${family}, ${type}, ${protocol})`,
      );
  }));

test('unix_protocol_may_be_0_or_PF_UNIX', () =>
  withSim(async ({ sys }) => {
    ok(await sys.socket(AF_UNIX, SOCK_STREAM, 1));
    ok(await sys.socketpair(AF_UNIX, SOCK_DGRAM, 1));
    assert.equal(errno(await sys.socketpair(AF_UNIX, SOCK_DGRAM, 2)), 'EPROTONOSUPPORT');
  }));

test('other_address_families_are_unsupported', () =>
  withSim(async ({ sys }) => {
    // AF_INET TCP is modelled now; AF_NETLINK (16) is not.
    assert.throws(() => sys.socket(16, SOCK.SOCK_RAW, 0), Unsupported);
    assert.throws(() => sys.socketpair(AF.AF_INET, SOCK.SOCK_RAW, 0), Unsupported);
  }));

test('a_tcp_or_udp_socketpair_is_EOPNOTSUPP_and_an_unknown_family_EAFNOSUPPORT', () =>
  withSim(async ({ sys }) => {
    assert.equal(errno(await sys.socketpair(AF.AF_INET, SOCK_STREAM, 0)), 'EOPNOTSUPP');
    assert.equal(errno(await sys.socketpair(AF.AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 17)), 'EOPNOTSUPP');
    assert.equal(errno(await sys.socketpair(AF.AF_INET, SOCK_STREAM, 263)), 'EINVAL');
    assert.equal(errno(await sys.socket(AF.AF_UNSPEC, SOCK_STREAM, 0)), 'EAFNOSUPPORT');
    assert.equal(errno(await sys.socket(99, SOCK_STREAM, 0)), 'EAFNOSUPPORT');
  }));

test('unix_sock_raw_is_a_datagram_socket', () =>
  withSim(async (sim) => {
    const s = ok(await sim.sys.socket(AF_UNIX, SOCK.SOCK_RAW | SOCK_NONBLOCK, 0)).ret;
    assert.equal(sk(sim, s).type, SOCK_DGRAM);
    assert.equal(mask(sim, s), 0x304);
    assert.equal(errno(await sim.sys.listen(s, 1)), 'EOPNOTSUPP');
  }));

test('socket_files_are_O_RDWR_with_SOCK_NONBLOCK_and_SOCK_CLOEXEC_applied', () =>
  withSim(async ({ sys }) => {
    const [a, b] = await pair(sys, SOCK_STREAM, SOCK_NONBLOCK | SOCK_CLOEXEC);
    assert.equal(ok(await sys.fcntl(a, F.F_GETFL, 0)).ret, 0x802);
    assert.equal(ok(await sys.fcntl(b, F.F_GETFL, 0)).ret, 0x802);
    assert.equal(ok(await sys.fcntl(b, F.F_GETFD, 0)).ret, FD_CLOEXEC);
    const [c] = await pair(sys, SOCK_STREAM, 0);
    assert.equal(ok(await sys.fcntl(c, F.F_GETFL, 0)).ret, O.O_RDWR);
    assert.equal(ok(await sys.fcntl(c, F.F_GETFD, 0)).ret, 0);
  }));

test('socketpair_reserves_both_descriptors_before_creating_sockets', () =>
  withSim(
    async ({ sys }) => {
      // fds 0-2 are open; with one more open, one slot below the limit of 5 is left.
      await sock(sys, SOCK_STREAM);
      assert.equal(errno(await sys.socketpair(AF_UNIX, SOCK_STREAM, 0)), 'EMFILE');
      assert.equal(errno(await sys.socketpair(-1, SOCK_STREAM, 0)), 'EMFILE');
      assert.equal(errno(await sys.socketpair(AF_UNIX, 0, 0)), 'EMFILE');
      assert.equal(errno(await sys.socketpair(AF_UNIX, 0x10 | SOCK_STREAM, 0)), 'EINVAL');
      await sock(sys, SOCK_STREAM);
      // socket() creates the socket first, so its own errors win over EMFILE.
      assert.equal(errno(await sys.socket(AF_UNIX, 0, 0)), 'ESOCKTNOSUPPORT');
      assert.equal(errno(await sys.socket(-1, SOCK_STREAM, 0)), 'EAFNOSUPPORT');
      assert.equal(errno(await sys.socket(AF_UNIX, SOCK_STREAM, 0)), 'EMFILE');
    },
    { rlimit: { soft: 5, hard: 5 } },
  ));

test('socketpair_gives_the_two_lowest_free_descriptors_in_order', () =>
  withSim(async ({ sys }) => {
    assert.deepEqual(await pair(sys, SOCK_DGRAM), [3, 4]);
    const e = ok(await sys.eventfd(0, 0)).ret;
    ok(await sys.close(3));
    assert.deepEqual(await pair(sys, SOCK_SEQPACKET), [3, e + 1]);
  }));

// ---- poll masks ----

test('fresh_socketpairs_poll_OUT_WRNORM_WRBAND_and_IN_RDNORM_with_data', () =>
  withSim(async (sim) => {
    for (const type of TYPES) {
      const [a, b] = await pair(sim.sys, type);
      assert.equal(mask(sim, a), 0x304, TYPE_NAME[type]);
      assert.equal(mask(sim, b), 0x304, TYPE_NAME[type]);
      ok(await sim.sys.write(a, zeros(5)));
      assert.equal(mask(sim, a), 0x304, TYPE_NAME[type]);
      assert.equal(mask(sim, b), 0x345, TYPE_NAME[type]);
    }
  }));

test('unconnected_stream_and_seqpacket_sockets_poll_HUP_0x314_dgram_0x304', () =>
  withSim(async (sim) => {
    assert.equal(mask(sim, await sock(sim.sys, SOCK_STREAM)), 0x314);
    assert.equal(mask(sim, await sock(sim.sys, SOCK_SEQPACKET)), 0x314);
    assert.equal(mask(sim, await sock(sim.sys, SOCK_DGRAM)), 0x304);
  }));

test('shutdown_masks_mirror_to_the_peer_for_stream_and_seqpacket', () =>
  withSim(async (sim) => {
    // [how, self, peer]: SEND shutdown alone sets no bit on its own side.
    const expected: [number, number, number][] = [
      [SHUT_RD, 0x2345, 0x304],
      [SHUT_WR, 0x304, 0x2345],
      [SHUT_RDWR, 0x2355, 0x2355],
    ];
    for (const type of [SOCK_STREAM, SOCK_SEQPACKET])
      for (const [how, self, peer] of expected) {
        const [a, b] = await pair(sim.sys, type);
        ok(await sim.sys.shutdown(a, how));
        assert.equal(mask(sim, a), self, `${TYPE_NAME[type]} how ${how} self`);
        assert.equal(mask(sim, b), peer, `${TYPE_NAME[type]} how ${how} peer`);
      }
  }));

test('dgram_shutdown_affects_only_the_local_socket', () =>
  withSim(async (sim) => {
    const expected: [number, number][] = [
      [SHUT_RD, 0x2345],
      [SHUT_WR, 0x304],
      [SHUT_RDWR, 0x2355],
    ];
    for (const [how, self] of expected) {
      const [a, b] = await pair(sim.sys, SOCK_DGRAM);
      ok(await sim.sys.shutdown(a, how));
      assert.equal(mask(sim, a), self);
      assert.equal(mask(sim, b), 0x304);
    }
  }));

test('stream_shutdown_read_and_write_results', () =>
  withSim(async ({ sys }) => {
    let [a, b] = await pair(sys, SOCK_STREAM);
    ok(await sys.shutdown(a, SHUT_RD));
    assert.equal(ok(await sys.read(a, 10)).ret, 0);
    assert.equal(ok(await sys.write(a, zeros(3))).ret, 3);
    assert.equal(ok(await sys.read(b, 10)).ret, 3);
    assert.equal(errno(await sys.write(b, zeros(3))), 'EPIPE');
    [a, b] = await pair(sys, SOCK_STREAM);
    ok(await sys.shutdown(a, SHUT_WR));
    assert.equal(errno(await sys.read(a, 10)), 'EAGAIN');
    assert.equal(errno(await sys.write(a, zeros(3))), 'EPIPE');
    assert.equal(ok(await sys.read(b, 10)).ret, 0);
    assert.equal(ok(await sys.write(b, zeros(3))).ret, 3);
    assert.equal(ok(await sys.read(a, 10)).ret, 3);
  }));

test('stream_read_after_SHUT_RD_returns_queued_data_first', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM);
    ok(await sim.sys.write(a, zeros(5)));
    ok(await sim.sys.shutdown(b, SHUT_RD));
    assert.equal(mask(sim, b), 0x2345);
    assert.equal(ok(await sim.sys.read(b, 10)).ret, 5);
    assert.equal(ok(await sim.sys.read(b, 10)).ret, 0);
  }));

test('dgram_receive_shutdown_gives_EAGAIN_nonblocking_and_the_sender_EPIPE', () =>
  withSim(async ({ sys }) => {
    const [a, b] = await pair(sys, SOCK_DGRAM);
    ok(await sys.shutdown(a, SHUT_RD));
    assert.equal(errno(await sys.read(a, 10)), 'EAGAIN');
    assert.equal(ok(await sys.write(a, zeros(3))).ret, 3);
    assert.equal(errno(await sys.write(b, zeros(3))), 'EPIPE');
    assert.equal(ok(await sys.read(b, 10)).ret, 3);
  }));

test('blocking_dgram_read_with_receive_shutdown_returns_0', () =>
  withSim(async ({ sys }) => {
    const [a] = await pair(sys, SOCK_DGRAM, 0);
    ok(await sys.shutdown(a, SHUT_RD));
    assert.equal(ok(await sys.read(a, 10)).ret, 0);
  }));

test('shutdown_how_out_of_range_is_EINVAL_and_unconnected_shutdown_succeeds', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    for (const type of TYPES) {
      const s = await sock(sys, type);
      assert.equal(errno(await sys.shutdown(s, 3)), 'EINVAL');
      assert.equal(errno(await sys.shutdown(s, -1)), 'EINVAL');
      ok(await sys.shutdown(s, SHUT_RDWR));
      assert.equal(mask(sim, s), 0x2355);
    }
    const e = ok(await sys.eventfd(0, 0)).ret;
    assert.equal(errno(await sys.shutdown(e, SHUT_RD)), 'ENOTSOCK');
    assert.equal(errno(await sys.shutdown(99, SHUT_RD)), 'EBADF');
    assert.equal(errno(await sys.bind(e, '@x')), 'ENOTSOCK');
    assert.equal(errno(await sys.listen(e, 1)), 'ENOTSOCK');
    assert.equal(errno(await sys.connect(e, '@x')), 'ENOTSOCK');
    assert.equal(errno(await sys.accept4(e, 0)), 'ENOTSOCK');
  }));

// ---- unconnected sockets ----

test('unconnected_stream_read_is_EINVAL_and_write_is_ENOTCONN', () =>
  withSim(async ({ sys }) => {
    const s = await sock(sys, SOCK_STREAM);
    assert.equal(errno(await sys.read(s, 10)), 'EINVAL');
    assert.equal(errno(await sys.write(s, zeros(10))), 'ENOTCONN');
    assert.equal(errno(await sys.write(s, zeros(0))), 'ENOTCONN');
    assert.equal(ok(await sys.read(s, 0)).ret, 0);
    assert.equal(ok(await sys.ioctl_fionread(s)).ret, 0);
    ok(await sys.shutdown(s, SHUT_WR));
    assert.equal(errno(await sys.write(s, zeros(1))), 'ENOTCONN');
  }));

test('unconnected_seqpacket_read_and_write_are_ENOTCONN', () =>
  withSim(async ({ sys }) => {
    const s = await sock(sys, SOCK_SEQPACKET);
    assert.equal(errno(await sys.read(s, 10)), 'ENOTCONN');
    assert.equal(errno(await sys.write(s, zeros(10))), 'ENOTCONN');
  }));

test('unconnected_dgram_write_is_ENOTCONN_unless_shut_down_for_writing', () =>
  withSim(async ({ sys }) => {
    const s = await sock(sys, SOCK_DGRAM);
    assert.equal(errno(await sys.read(s, 10)), 'EAGAIN');
    assert.equal(errno(await sys.write(s, zeros(10))), 'ENOTCONN');
    ok(await sys.shutdown(s, SHUT_WR));
    assert.equal(errno(await sys.write(s, zeros(10))), 'EPIPE');
  }));

// ---- close ----

test('stream_peer_close_gives_SHUTDOWN_MASK_reads_drain_then_EOF_writes_EPIPE', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const [a, b] = await pair(sys, SOCK_STREAM);
    ok(await sys.write(a, bytes('hello!!')));
    ok(await sys.close(a));
    assert.equal(mask(sim, b), 0x2355);
    assert.equal(text(ok(await sys.read(b, 100)).data), 'hello!!');
    assert.equal(ok(await sys.read(b, 100)).ret, 0);
    assert.equal(errno(await sys.write(b, zeros(3))), 'EPIPE');
    assert.equal(sk(sim, b).state, 'TCP_ESTABLISHED');
  }));

test('stream_close_with_unread_data_gives_the_peer_ECONNRESET_once_after_its_data', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const [a, b] = await pair(sys, SOCK_STREAM);
    ok(await sys.write(b, zeros(4)));
    ok(await sys.write(a, zeros(7)));
    ok(await sys.close(a));
    assert.equal(mask(sim, b), 0x235d);
    assert.equal(ok(await sys.read(b, 100)).ret, 7);
    assert.equal(mask(sim, b), 0x235d);
    assert.equal(errno(await sys.read(b, 100)), 'ECONNRESET');
    assert.equal(mask(sim, b), 0x2355);
    assert.equal(ok(await sys.read(b, 100)).ret, 0);
  }));

test('stream_write_after_reset_is_EPIPE_and_leaves_the_error_for_read', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const [a, b] = await pair(sys, SOCK_STREAM);
    ok(await sys.write(b, zeros(4)));
    ok(await sys.close(a));
    assert.equal(errno(await sys.write(b, zeros(3))), 'EPIPE');
    assert.equal(mask(sim, b), 0x235d);
    assert.equal(errno(await sys.read(b, 10)), 'ECONNRESET');
    assert.equal(ok(await sys.read(b, 10)).ret, 0);
  }));

test('seqpacket_peer_close_masks_like_stream', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_SEQPACKET);
    ok(await sim.sys.write(a, zeros(7)));
    ok(await sim.sys.close(a));
    assert.equal(mask(sim, b), 0x2355);
    assert.equal(ok(await sim.sys.read(b, 100)).ret, 7);
    assert.equal(ok(await sim.sys.read(b, 100)).ret, 0);
    assert.equal(errno(await sim.sys.write(b, zeros(3))), 'EPIPE');
  }));

test('seqpacket_reset_is_reported_before_queued_data', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const [a, b] = await pair(sys, SOCK_SEQPACKET);
    ok(await sys.write(b, zeros(4)));
    ok(await sys.write(a, zeros(7)));
    ok(await sys.close(a));
    assert.equal(mask(sim, b), 0x235d);
    assert.equal(errno(await sys.read(b, 100)), 'ECONNRESET');
    assert.equal(mask(sim, b), 0x2355);
    assert.equal(ok(await sys.read(b, 100)).ret, 7);
    assert.equal(ok(await sys.read(b, 100)).ret, 0);
  }));

test('seqpacket_write_consumes_a_pending_reset_then_gets_EPIPE', () =>
  withSim(async ({ sys }) => {
    const [a, b] = await pair(sys, SOCK_SEQPACKET);
    ok(await sys.write(b, zeros(4)));
    ok(await sys.close(a));
    assert.equal(errno(await sys.write(b, zeros(3))), 'ECONNRESET');
    assert.equal(errno(await sys.write(b, zeros(3))), 'EPIPE');
    assert.equal(ok(await sys.read(b, 10)).ret, 0);
  }));

test('dgram_pair_survivor_sees_no_hangup_and_gets_ECONNREFUSED_then_ENOTCONN', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const [a, b] = await pair(sys, SOCK_DGRAM);
    ok(await sys.write(a, zeros(7)));
    ok(await sys.close(a));
    assert.equal(mask(sim, b), 0x345);
    assert.equal(ok(await sys.read(b, 100)).ret, 7);
    assert.equal(mask(sim, b), 0x304);
    assert.equal(errno(await sys.write(b, zeros(3))), 'ECONNREFUSED');
    assert.equal(errno(await sys.write(b, zeros(3))), 'ENOTCONN');
    assert.equal(mask(sim, b), 0x304);
    assert.equal(sk(sim, b).state, 'TCP_CLOSE');
  }));

test('dgram_ECONNREFUSED_drops_what_the_survivor_had_not_read', () =>
  withSim(async ({ sys }) => {
    const [a, b] = await pair(sys, SOCK_DGRAM);
    ok(await sys.write(a, zeros(5)));
    ok(await sys.close(a));
    assert.equal(ok(await sys.ioctl_fionread(b)).ret, 5);
    assert.equal(errno(await sys.write(b, zeros(3))), 'ECONNREFUSED');
    assert.equal(errno(await sys.read(b, 10)), 'EAGAIN');
  }));

test('blocking_dgram_read_on_a_closed_pair_waits_forever', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_DGRAM, 0);
    ok(await sim.sys.close(a));
    const r = sim.thread('t1').read(b, 10);
    await assert.rejects(sim.wait(r), /deadlock.*t1 in read/);
    // Unblock it for the leak check: a shutdown wakes it with 0.
    ok(await sim.sys.shutdown(b, SHUT_RD));
    assert.equal(ok(await sim.wait(r)).ret, 0);
  }));

// ---- message boundaries and FIONREAD ----

test('zero_length_writes_send_nothing_on_stream_and_an_empty_message_otherwise', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const [a, b] = await pair(sys, SOCK_STREAM);
    assert.equal(ok(await sys.write(a, zeros(0))).ret, 0);
    assert.equal(mask(sim, b), 0x304);
    assert.equal(errno(await sys.read(b, 10)), 'EAGAIN');
    for (const type of [SOCK_DGRAM, SOCK_SEQPACKET]) {
      const [c, d] = await pair(sys, type);
      assert.equal(ok(await sys.write(c, zeros(0))).ret, 0);
      assert.equal(mask(sim, d), 0x345);
      assert.equal(ok(await sys.ioctl_fionread(d)).ret, 0);
      assert.equal(ok(await sys.read(d, 10)).ret, 0);
      assert.equal(errno(await sys.read(d, 10)), 'EAGAIN');
    }
  }));

test('short_datagram_read_truncates_and_discards_the_rest', () =>
  withSim(async ({ sys }) => {
    for (const type of [SOCK_DGRAM, SOCK_SEQPACKET]) {
      const [a, b] = await pair(sys, type);
      ok(await sys.write(a, bytes('0123456789')));
      ok(await sys.write(a, bytes('abc')));
      assert.equal(text(ok(await sys.read(b, 3)).data), '012');
      assert.equal(text(ok(await sys.read(b, 100)).data), 'abc');
      assert.equal(errno(await sys.read(b, 100)), 'EAGAIN');
    }
  }));

test('stream_read_joins_writes_and_a_partial_read_leaves_the_rest', () =>
  withSim(async ({ sys }) => {
    const [a, b] = await pair(sys, SOCK_STREAM);
    ok(await sys.write(a, bytes('0123456789')));
    ok(await sys.write(a, bytes('abc')));
    assert.equal(text(ok(await sys.read(b, 3)).data), '012');
    assert.equal(text(ok(await sys.read(b, 100)).data), '3456789abc');
  }));

test('fionread_counts_unread_stream_bytes_all_seqpacket_bytes_and_the_first_datagram', () =>
  withSim(async ({ sys }) => {
    const [a, b] = await pair(sys, SOCK_STREAM);
    ok(await sys.write(a, zeros(10)));
    ok(await sys.write(a, zeros(20)));
    assert.equal(ok(await sys.ioctl_fionread(b)).ret, 30);
    ok(await sys.read(b, 3));
    assert.equal(ok(await sys.ioctl_fionread(b)).ret, 27);
    ok(await sys.read(b, 10));
    assert.equal(ok(await sys.ioctl_fionread(b)).ret, 17);
    const [c, d] = await pair(sys, SOCK_SEQPACKET);
    ok(await sys.write(c, zeros(10)));
    ok(await sys.write(c, zeros(20)));
    assert.equal(ok(await sys.ioctl_fionread(d)).ret, 30);
    ok(await sys.read(d, 3));
    assert.equal(ok(await sys.ioctl_fionread(d)).ret, 20);
    const [e, f] = await pair(sys, SOCK_DGRAM);
    ok(await sys.write(e, zeros(10)));
    ok(await sys.write(e, zeros(20)));
    assert.equal(ok(await sys.ioctl_fionread(f)).ret, 10);
    ok(await sys.read(f, 3));
    assert.equal(ok(await sys.ioctl_fionread(f)).ret, 20);
  }));

// ---- flow control: truesize, writability, EAGAIN ----

test('skb_truesize_matches_SIOCOUTQ_on_the_reference_kernel', () => {
  // [bytes written, stream sk_wmem_alloc − 1, dgram/seqpacket sk_wmem_alloc − 1], from SIOCOUTQ.
  const observed: [number, number, number][] = [
    [0, 0, 768],
    [1, 768, 768],
    [192, 768, 768],
    [1000, 2304, 2304],
    [1728, 2304, 2304],
    [1729, 4352, 4352],
    [3776, 4352, 4352],
    [3777, 4864, 8448],
    [4096, 4864, 8448],
    [5000, 6400, 8448],
    [7872, 8448, 8448],
    [7873, 8960, 16640],
    [12000, 13056, 16640],
    [16064, 16640, 16640],
    [16065, 17152, 20736],
    [20000, 20736, 20736],
    [32768, 33536, 37120],
    [36544, 37120, 37120],
    [36545, 37888, 41216],
    [40000, 41472, 41216],
    [73088, 74240, 73984],
    [100000, 103168, 102656],
    [106432, 108288, 135424],
    [150000, 153344, 200960],
    [212960, 216576, 332032],
  ];
  return withSim(async (sim) => {
    for (const [n, stream, dgram] of observed) {
      for (const [type, expected] of [
        [SOCK_STREAM, stream],
        [SOCK_DGRAM, dgram],
        [SOCK_SEQPACKET, dgram],
      ] as const) {
        const [a, b] = await pair(sim.sys, type);
        assert.equal(ok(await sim.sys.write(a, zeros(n))).ret, n);
        assert.equal(sk(sim, a).wmemAlloc - 1, expected, `${TYPE_NAME[type]} write of ${n}`);
        ok(await sim.sys.close(a));
        ok(await sim.sys.close(b));
      }
    }
    assert.equal(streamSkbTruesize(36544), 37120);
    assert.equal(dgramSkbTruesize(0), 768);
  });
});

/** Write `size` bytes until EAGAIN; count successes and the write after which POLLOUT went. */
async function fillUntilEagain(
  sim: Sim,
  fd: number,
  size: number,
): Promise<{ ok: number; lostAfter: number }> {
  let n = 0;
  let lostAfter = -1;
  for (;;) {
    const r = await sim.sys.write(fd, zeros(size));
    if ('errno' in r) {
      assert.equal(r.errno, 'EAGAIN');
      return { ok: n, lostAfter };
    }
    assert.equal(r.ret, size);
    n++;
    if (lostAfter < 0 && (mask(sim, fd) & EPOLL.EPOLLOUT) === 0) lostAfter = n;
  }
}

/** Read `size` at a time until POLLOUT comes back on the writer; return how many reads that took. */
async function readsUntilWritable(sim: Sim, reader: number, writer: number, size: number): Promise<number> {
  let reads = 0;
  while ((mask(sim, writer) & EPOLL.EPOLLOUT) === 0) {
    ok(await sim.sys.read(reader, size));
    reads++;
  }
  return reads;
}

for (const type of TYPES)
  test(`${TYPE_NAME[type]}_1_byte_writes_278_succeed_and_POLLOUT_goes_after_the_70th`, () =>
    withSim(async (sim) => {
      const [a, b] = await pair(sim.sys, type);
      assert.deepEqual(await fillUntilEagain(sim, a, 1), { ok: 278, lostAfter: 70 });
      assert.equal(sk(sim, a).wmemAlloc - 1, 213504);
      // OUT returns when 69 skbs (52 992 B of truesize) are left: a quarter of sk_sndbuf.
      assert.equal(await readsUntilWritable(sim, b, a, 1), 209);
      assert.equal(sk(sim, a).wmemAlloc - 1, 52992);
    }));

for (const type of TYPES)
  test(`${TYPE_NAME[type]}_1000_byte_writes_93_succeed_and_POLLOUT_goes_after_the_24th`, () =>
    withSim(async (sim) => {
      const [a, b] = await pair(sim.sys, type);
      assert.deepEqual(await fillUntilEagain(sim, a, 1000), { ok: 93, lostAfter: 24 });
      assert.equal(await readsUntilWritable(sim, b, a, 1000), 70);
    }));

test('writability_thresholds_for_other_sizes_match_the_reference_kernel', () =>
  withSim(async (sim) => {
    // [type, size, successes, POLLOUT lost after, reads until POLLOUT returns]
    const observed: [number, number, number, number, number][] = [
      [SOCK_STREAM, 3000, 49, 13, 37],
      [SOCK_STREAM, 4000, 44, 11, 34],
      [SOCK_STREAM, 8000, 24, 6, 19],
      [SOCK_DGRAM, 4000, 26, 7, 20],
      [SOCK_DGRAM, 8000, 13, 4, 10],
      [SOCK_SEQPACKET, 50000, 4, 1, 4],
    ];
    for (const [type, size, n, lost, reads] of observed) {
      const [a, b] = await pair(sim.sys, type);
      assert.deepEqual(await fillUntilEagain(sim, a, size), { ok: n, lostAfter: lost }, `${type}/${size}`);
      assert.equal(await readsUntilWritable(sim, b, a, size), reads, `${type}/${size}`);
    }
  }));

test('nonblocking_stream_write_past_the_send_buffer_is_partial', () =>
  withSim(async (sim) => {
    const [a] = await pair(sim.sys, SOCK_STREAM);
    for (let i = 0; i < 4; i++) assert.equal(ok(await sim.sys.write(a, zeros(50000))).ret, 50000);
    // The first 36 544-byte chunk still fits (the check is before each skb), the next does not.
    assert.equal(ok(await sim.sys.write(a, zeros(50000))).ret, 36544);
    assert.equal(sk(sim, a).wmemAlloc - 1, 243968);
    assert.equal(errno(await sim.sys.write(a, zeros(1))), 'EAGAIN');
  }));

test('datagrams_longer_than_sndbuf_minus_32_are_EMSGSIZE', () =>
  withSim(async ({ sys }) => {
    for (const type of [SOCK_DGRAM, SOCK_SEQPACKET]) {
      const [a, b] = await pair(sys, type);
      assert.equal(errno(await sys.write(a, zeros(212961))), 'EMSGSIZE');
      assert.equal(ok(await sys.write(a, zeros(212960))).ret, 212960);
      assert.equal(ok(await sys.read(b, 300000)).ret, 212960);
    }
  }));

test('a_partial_stream_read_does_not_free_the_skb', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM);
    ok(await sim.sys.write(a, zeros(1000)));
    assert.equal(sk(sim, a).wmemAlloc, 1 + 2304);
    ok(await sim.sys.read(b, 999));
    assert.equal(sk(sim, a).wmemAlloc, 1 + 2304);
    ok(await sim.sys.read(b, 1));
    assert.equal(sk(sim, a).wmemAlloc, 1);
  }));

test('write_space_wakes_the_writer_only_once_it_is_writable', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM, 0);
    for (let i = 0; i < 278; i++) ok(await sim.sys.write(a, zeros(1)));
    const blocked = sim.thread('writer').write(a, bytes('x'));
    assert.equal(sim.blocked(blocked), true);
    const wakes = recordWakeUps(sim);
    const aq = sk(sim, a).wq.name;
    for (let i = 0; i < 208; i++) ok(await sim.sys.read(b, 1));
    assert.equal(sim.blocked(blocked), true);
    assert.deepEqual(
      wakes.filter((w) => w.queue === aq),
      [],
    );
    ok(await sim.sys.read(b, 1));
    assert.deepEqual(
      wakes.filter((w) => w.queue === aq),
      [{ type: 'wake_up', queue: aq, nr_exclusive: 1, key: OUT_KEY }],
    );
    assert.equal(ok(await sim.wait(blocked)).ret, 1);
  }));

test('blocking_stream_write_sends_what_fits_and_waits_for_the_rest', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM, 0);
    const big = new Uint8Array(300000).map((_, i) => i * 7);
    const w = sim.thread('writer').write(a, big);
    assert.equal(sim.blocked(w), true);
    const got: Uint8Array[] = [];
    let total = 0;
    while (total < big.length) {
      const r = ok(await sim.sys.read(b, 65536));
      got.push(r.data);
      total += r.ret;
    }
    assert.equal(ok(await sim.wait(w)).ret, 300000);
    assert.deepEqual(Buffer.concat(got), Buffer.from(big));
  }));

test('peer_close_wakes_a_blocked_writer_with_its_partial_count_and_it_consumes_the_reset', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM, 0);
    ok(await sim.sys.write(b, zeros(4)));
    const w = sim.thread('writer').write(a, zeros(300000));
    assert.equal(sim.blocked(w), true);
    // b dies with a's data unread: a gets SHUTDOWN_MASK and ECONNRESET. The writer wakes, and
    // sock_alloc_send_pskb's sock_error takes the ECONNRESET: it returns its 6 chunks sent.
    ok(await sim.sys.close(b));
    assert.equal(ok(await sim.wait(w)).ret, 6 * 36544);
    assert.equal(mask(sim, a), 0x2355);
    assert.equal(ok(await sim.sys.read(a, 10)).ret, 4);
    assert.equal(ok(await sim.sys.read(a, 10)).ret, 0);
    assert.equal(errno(await sim.sys.write(a, zeros(1))), 'EPIPE');
  }));

// ---- wake-ups: queues, keys and budgets ----

test('each_socket_has_one_wait_queue_for_data_space_state_and_errors', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM, 0);
    const r = sim.thread('reader').read(b, 10);
    assert.equal(sim.blocked(r), true);
    assert.equal(sk(sim, b).wq.length, 1);
    const wakes = recordWakeUps(sim);
    ok(await sim.sys.write(a, zeros(3)));
    assert.deepEqual(wakes, [{ type: 'wake_up', queue: sk(sim, b).wq.name, nr_exclusive: 1, key: IN_KEY }]);
    assert.equal(ok(await sim.wait(r)).ret, 3);
  }));

test('a_write_with_nobody_waiting_wakes_nothing', () =>
  withSim(async (sim) => {
    const [a] = await pair(sim.sys, SOCK_STREAM);
    const wakes = recordWakeUps(sim);
    ok(await sim.sys.write(a, zeros(3)));
    assert.deepEqual(wakes, []);
  }));

test('stream_shutdown_runs_state_change_on_both_queues_with_key_0_and_no_budget', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM, 0);
    const ra = sim.thread('ra').read(a, 10);
    const rb = sim.thread('rb').read(b, 10);
    const wakes = recordWakeUps(sim);
    ok(await sim.sys.shutdown(a, SHUT_RDWR));
    assert.deepEqual(wakes, [
      { type: 'wake_up', queue: sk(sim, a).wq.name, nr_exclusive: 0, key: 0 },
      { type: 'wake_up', queue: sk(sim, b).wq.name, nr_exclusive: 0, key: 0 },
    ]);
    assert.equal(ok(await sim.wait(ra)).ret, 0);
    assert.equal(ok(await sim.wait(rb)).ret, 0);
  }));

test('dgram_shutdown_wakes_only_its_own_queue', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_DGRAM, 0);
    const ra = sim.thread('ra').read(a, 10);
    const rb = sim.thread('rb').read(b, 10);
    const wakes = recordWakeUps(sim);
    ok(await sim.sys.shutdown(a, SHUT_RDWR));
    assert.deepEqual(wakes, [{ type: 'wake_up', queue: sk(sim, a).wq.name, nr_exclusive: 0, key: 0 }]);
    assert.equal(ok(await sim.wait(ra)).ret, 0);
    assert.equal(sim.blocked(rb), true);
    ok(await sim.sys.shutdown(b, SHUT_RD));
    assert.equal(ok(await sim.wait(rb)).ret, 0);
  }));

test('close_wakes_the_peer_with_state_change_then_frees_its_unread_skbs', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM, 0);
    ok(await sim.sys.write(b, zeros(4)));
    const rb = sim.thread('rb').read(b, 10);
    const wakes = recordWakeUps(sim);
    ok(await sim.sys.close(a));
    const bq = sk(sim, b).wq.name;
    // The state change (all), then unix_write_space for b's skb that a never read. The reader
    // was already woken (and unlinked) by the first, so the second finds the queue empty.
    assert.deepEqual(
      wakes.filter((w) => w.queue === bq),
      [{ type: 'wake_up', queue: bq, nr_exclusive: 0, key: 0 }],
    );
    assert.equal(errno(await sim.wait(rb)), 'ECONNRESET');
  }));

test('dgram_receivers_sleep_exclusively_and_ignore_OUT_wakeups', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_DGRAM, 0);
    ok(await sim.sys.write(b, zeros(4)));
    const r1 = sim.thread('r1').read(b, 10);
    const r2 = sim.thread('r2').read(b, 10);
    const before = sim.k.stats.tasksWoken;
    // a reads b's datagram: b's skb is freed and unix_write_space wakes b's queue with OUT.
    ok(await sim.sys.read(a, 10));
    assert.equal(sim.k.stats.tasksWoken, before);
    assert.equal(sim.blocked(r1), true);
    // One datagram wakes one receiver (nr_exclusive 1), the first to have queued.
    ok(await sim.sys.write(a, zeros(1)));
    assert.equal(sim.blocked(r1), false);
    assert.equal(sim.blocked(r2), true);
    ok(await sim.sys.write(a, zeros(2)));
    assert.equal(ok(await sim.wait(r1)).ret, 1);
    assert.equal(ok(await sim.wait(r2)).ret, 2);
  }));

test('stream_readers_sleep_non_exclusively_at_the_head_and_all_wake_on_data', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM, 0);
    const r1 = sim.thread('r1').read(b, 10);
    const r2 = sim.thread('r2').read(b, 10);
    const before = sim.k.stats.tasksWoken;
    ok(await sim.sys.write(a, zeros(3)));
    // Both woke (non-exclusive entries use no budget); r2's entry was at the head, so r2 ran
    // first and took the data, and r1 went back to sleep.
    assert.equal(sim.k.stats.tasksWoken, before + 2);
    assert.equal(ok(await sim.wait(r2)).ret, 3);
    assert.equal(sim.blocked(r1), true);
    ok(await sim.sys.write(a, zeros(2)));
    assert.equal(ok(await sim.wait(r1)).ret, 2);
  }));

test('dgram_disconnect_with_unread_data_reports_ECONNRESET_with_an_ERR_wakeup', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = await sock(sys, SOCK_DGRAM, 0);
    const c = await sock(sys, SOCK_DGRAM, 0);
    const d = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(a, '@A'));
    ok(await sys.bind(c, '@C'));
    ok(await sys.bind(d, '@D'));
    ok(await sys.connect(a, '@C'));
    ok(await sys.connect(c, '@A'));
    ok(await sys.write(c, zeros(5)));
    const rc = sim.thread('rc').read(c, 10);
    const wakes = recordWakeUps(sim);
    ok(await sys.connect(a, '@D'));
    // Purging a's queue frees c's skb (unix_write_space: OUT, which the receiver ignores), then
    // sk_error_report wakes c with ERR.
    const cq = sk(sim, c).wq.name;
    assert.deepEqual(
      wakes.filter((w) => w.queue === cq),
      [
        { type: 'wake_up', queue: cq, nr_exclusive: 1, key: OUT_KEY },
        { type: 'wake_up', queue: cq, nr_exclusive: 1, key: EPOLL.EPOLLERR },
      ],
    );
    assert.equal(errno(await sim.wait(rc)), 'ECONNRESET');
    assert.equal(ok(await sys.ioctl_fionread(a)).ret, 0);
    assert.equal(errno(await sys.write(c, zeros(1))), 'EPERM');
  }));

// ---- bind, listen, connect, accept ----

test('bind_errors_and_per_type_abstract_namespace', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = await sock(sys, SOCK_STREAM);
    const b = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(a, '@x'));
    assert.equal(errno(await sys.bind(a, '@y')), 'EINVAL');
    assert.equal(errno(await sys.bind(a, '@x')), 'EINVAL');
    assert.equal(errno(await sys.bind(b, '@x')), 'EADDRINUSE');
    // Linux hashes the type into the name's bucket: other types may hold the same name.
    ok(await sys.bind(await sock(sys, SOCK_DGRAM), '@x'));
    ok(await sys.bind(await sock(sys, SOCK_SEQPACKET), '@x'));
    ok(await sys.bind(b, '@'));
    assert.equal(errno(await sys.bind(await sock(sys, SOCK_STREAM), `@${'n'.repeat(108)}`)), 'EINVAL');
    ok(await sys.bind(await sock(sys, SOCK_STREAM), `@${'n'.repeat(107)}`));
    assert.deepEqual(
      snapshotUnixNamespace(sim.k).map((e) => [e.name.slice(0, 3), e.type]),
      [
        ['@', 1],
        ['@nn', 1],
        ['@x', 1],
        ['@x', 2],
        ['@x', 5],
      ],
    );
    ok(await sys.close(a));
    ok(await sys.bind(await sock(sys, SOCK_STREAM), '@x'));
    assert.throws(() => sys.bind(b, '/tmp/sock'), Unsupported);
    assert.throws(() => sys.connect(b, 'relative'), Unsupported);
  }));

test('a_socketpair_member_may_be_bound_but_not_listen', () =>
  withSim(async ({ sys }) => {
    const [a] = await pair(sys, SOCK_STREAM);
    ok(await sys.bind(a, '@bp'));
    assert.equal(errno(await sys.listen(a, 1)), 'EINVAL');
  }));

test('listen_needs_a_bound_stream_or_seqpacket_socket', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    assert.equal(errno(await sys.listen(await sock(sys, SOCK_STREAM), 5)), 'EINVAL');
    const d = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(d, '@d'));
    assert.equal(errno(await sys.listen(d, 5)), 'EOPNOTSUPP');
    const l = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 1));
    ok(await sys.listen(l, 1));
    assert.equal(mask(sim, l), 0);
    assert.equal(errno(await sys.ioctl_fionread(l)), 'EINVAL');
    assert.equal(errno(await sys.read(l, 10)), 'EINVAL');
    assert.equal(errno(await sys.write(l, zeros(1))), 'ENOTCONN');
    ok(await sys.shutdown(l, SHUT_RDWR));
    assert.equal(mask(sim, l), 0x2051);
  }));

test('connect_errors_come_in_unix_stream_connect_order', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const c = await sock(sys, SOCK_STREAM);
    assert.equal(errno(await sys.connect(c, '@nosuch')), 'ECONNREFUSED');
    const e = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(e, '@e'));
    assert.equal(errno(await sys.connect(c, '@e')), 'ECONNREFUSED');
    const d = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(d, '@d'));
    assert.equal(errno(await sys.connect(c, '@d')), 'ECONNREFUSED');
    const l = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 1));
    assert.equal(errno(await sys.connect(await sock(sys, SOCK_SEQPACKET), '@l')), 'ECONNREFUSED');
    ok(await sys.connect(c, '@l'));
    assert.equal(mask(sim, c), 0x304);
    assert.equal(mask(sim, l), 0x41);
    ok(await sys.connect(await sock(sys, SOCK_STREAM), '@l'));
    // Queue full (2 > backlog 1): EAGAIN wins over EISCONN, ECONNREFUSED over both.
    assert.equal(errno(await sys.connect(await sock(sys, SOCK_STREAM), '@l')), 'EAGAIN');
    assert.equal(errno(await sys.connect(c, '@l')), 'EAGAIN');
    assert.equal(errno(await sys.connect(c, '@nosuch')), 'ECONNREFUSED');
    ok(await sys.accept4(l, 0));
    assert.equal(errno(await sys.connect(c, '@l')), 'EISCONN');
    assert.equal(errno(await sys.connect(l, '@l')), 'EINVAL');
  }));

test('backlog_0_admits_one_connection_and_a_larger_backlog_admits_more', () =>
  withSim(async ({ sys }) => {
    const l = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 0));
    ok(await sys.connect(await sock(sys, SOCK_STREAM), '@l'));
    const c = await sock(sys, SOCK_STREAM);
    assert.equal(errno(await sys.connect(c, '@l')), 'EAGAIN');
    // A negative backlog is capped at somaxconn, like any too large one.
    ok(await sys.listen(l, -1));
    ok(await sys.connect(c, '@l'));
  }));

test('blocking_connect_waits_on_the_listeners_peer_wait_until_accept', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const l = await sock(sys, SOCK_STREAM, 0);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 0));
    ok(await sys.connect(await sock(sys, SOCK_STREAM, 0), '@l'));
    const c = await sock(sys, SOCK_STREAM, 0);
    const pending = sim.thread('t1').connect(c, '@l');
    assert.equal(sim.blocked(pending), true);
    assert.equal(sk(sim, l).peerWait.length, 1);
    const wakes = recordWakeUps(sim);
    const n = ok(await sys.accept4(l, 0)).ret;
    assert.deepEqual(wakes[0], { type: 'wake_up', queue: sk(sim, l).peerWait.name, nr_exclusive: 1, key: 0 });
    ok(await sim.wait(pending));
    assert.equal(mask(sim, c), 0x304);
    assert.equal(mask(sim, l), 0x41);
    ok(await sys.write(c, bytes('hi')));
    ok(await sys.close(n));
  }));

test('listen_with_a_larger_backlog_wakes_waiting_connectors', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const l = await sock(sys, SOCK_STREAM, 0);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 0));
    ok(await sys.connect(await sock(sys, SOCK_STREAM, 0), '@l'));
    const pending = sim.thread('t1').connect(await sock(sys, SOCK_STREAM, 0), '@l');
    assert.equal(sim.blocked(pending), true);
    ok(await sys.listen(l, 0));
    assert.equal(sim.blocked(pending), true);
    ok(await sys.listen(l, 5));
    ok(await sim.wait(pending));
  }));

test('closing_the_listener_refuses_a_waiting_connector', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const l = await sock(sys, SOCK_STREAM, 0);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 0));
    ok(await sys.connect(await sock(sys, SOCK_STREAM, 0), '@l'));
    const pending = sim.thread('t1').connect(await sock(sys, SOCK_STREAM, 0), '@l');
    ok(await sys.close(l));
    assert.equal(errno(await sim.wait(pending)), 'ECONNREFUSED');
  }));

test('accept4_flag_type_state_and_empty_queue_errors', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const l = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 1));
    assert.equal(errno(await sys.accept4(l, 0x1)), 'EINVAL');
    assert.equal(errno(await sys.accept4(await sock(sys, SOCK_DGRAM), 0)), 'EOPNOTSUPP');
    assert.equal(errno(await sys.accept4(await sock(sys, SOCK_STREAM), 0)), 'EINVAL');
    assert.equal(errno(await sys.accept4(l, 0)), 'EAGAIN');
    assert.equal(errno(await sys.accept4(99, 0)), 'EBADF');
  }));

test('accepted_socket_gets_accept4_flags_and_the_data_sent_before_accept', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const l = await sock(sys, SOCK_STREAM, 0);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 1));
    const c = await sock(sys, SOCK_STREAM);
    ok(await sys.connect(c, '@l'));
    ok(await sys.write(c, bytes('0123456789')));
    assert.equal(mask(sim, c), 0x304);
    const n = ok(await sys.accept4(l, SOCK_NONBLOCK | SOCK_CLOEXEC)).ret;
    assert.equal(ok(await sys.fcntl(n, F.F_GETFL, 0)).ret, 0x802);
    assert.equal(ok(await sys.fcntl(n, F.F_GETFD, 0)).ret, FD_CLOEXEC);
    assert.equal(mask(sim, n), 0x345);
    assert.equal(mask(sim, l), 0);
    assert.equal(ok(await sys.ioctl_fionread(n)).ret, 10);
    assert.equal(text(ok(await sys.read(n, 100)).data), '0123456789');
    assert.equal(errno(await sys.read(n, 100)), 'EAGAIN');
    // An accepted socket shares the listener's address: it cannot be bound again.
    assert.equal(errno(await sys.bind(n, '@other')), 'EINVAL');
    assert.equal(errno(await sys.listen(n, 1)), 'EINVAL');
  }));

test('blocking_accept_is_woken_by_connect', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const l = await sock(sys, SOCK_SEQPACKET, 0);
    ok(await sys.bind(l, '@q'));
    ok(await sys.listen(l, 3));
    const pending = sim.thread('acceptor').accept4(l, 0);
    assert.equal(sim.blocked(pending), true);
    const c = await sock(sys, SOCK_SEQPACKET);
    ok(await sys.connect(c, '@q'));
    const n = ok(await sim.wait(pending)).ret;
    assert.equal(ok(await sys.fcntl(n, F.F_GETFL, 0)).ret, O.O_RDWR);
    ok(await sys.write(c, zeros(4)));
    assert.equal(ok(await sys.read(n, 10)).ret, 4);
    assert.equal(errno(await sys.read(l, 10)), 'ENOTCONN');
    assert.equal(errno(await sys.write(l, zeros(1))), 'ENOTCONN');
    ok(await sys.close(c));
    assert.equal(mask(sim, n), 0x2355);
  }));

test('a_client_closed_before_accept_leaves_a_hung_up_connection_to_accept', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const l = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 1));
    const c = await sock(sys, SOCK_STREAM);
    ok(await sys.connect(c, '@l'));
    ok(await sys.write(c, zeros(3)));
    ok(await sys.close(c));
    const n = ok(await sys.accept4(l, SOCK_NONBLOCK)).ret;
    assert.equal(mask(sim, n), 0x2355);
    assert.equal(ok(await sys.read(n, 10)).ret, 3);
    assert.equal(ok(await sys.read(n, 10)).ret, 0);
    assert.equal(errno(await sys.write(n, zeros(1))), 'EPIPE');
  }));

test('closing_a_listener_resets_its_unaccepted_connections', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const l = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 1));
    const c = await sock(sys, SOCK_STREAM);
    ok(await sys.connect(c, '@l'));
    ok(await sys.write(c, zeros(3)));
    assert.equal(sk(sim, c).wmemAlloc, 1 + 768);
    ok(await sys.close(l));
    assert.equal(mask(sim, c), 0x235d);
    assert.equal(sk(sim, c).wmemAlloc, 1);
    assert.equal(errno(await sys.read(c, 10)), 'ECONNRESET');
    assert.equal(ok(await sys.read(c, 10)).ret, 0);
    assert.equal(errno(await sys.write(c, zeros(1))), 'EPIPE');
  }));

test('a_listener_shut_for_reading_refuses_connections_but_keeps_its_queue', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const l = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(l, '@l'));
    ok(await sys.listen(l, 5));
    ok(await sys.connect(await sock(sys, SOCK_STREAM), '@l'));
    ok(await sys.shutdown(l, SHUT_RD));
    assert.equal(mask(sim, l), 0x2041);
    ok(await sys.accept4(l, 0));
    assert.equal(errno(await sys.accept4(l, 0)), 'EAGAIN');
    assert.equal(errno(await sys.connect(await sock(sys, SOCK_STREAM), '@l')), 'ECONNREFUSED');
    // Blocking, an empty queue with receive shutdown is EINVAL.
    ok(await sys.fcntl(l, F.F_SETFL, 0));
    assert.equal(errno(await sys.accept4(l, 0)), 'EINVAL');
    const l2 = await sock(sys, SOCK_STREAM);
    ok(await sys.bind(l2, '@l2'));
    ok(await sys.listen(l2, 5));
    ok(await sys.shutdown(l2, SHUT_WR));
    assert.equal(mask(sim, l2), 0);
    ok(await sys.connect(await sock(sys, SOCK_STREAM), '@l2'));
  }));

test('accept4_with_no_free_descriptor_is_EMFILE', () =>
  withSim(
    async ({ sys }) => {
      const l = await sock(sys, SOCK_STREAM);
      ok(await sys.bind(l, '@l'));
      ok(await sys.listen(l, 1));
      await sock(sys, SOCK_STREAM);
      assert.equal(errno(await sys.accept4(l, 0)), 'EMFILE');
      assert.equal(errno(await sys.accept4(l, 0x4)), 'EINVAL');
    },
    { rlimit: { soft: 5, hard: 5 } },
  ));

// ---- datagram connect, one-way flow control ----

test('one_way_dgram_sender_is_limited_to_max_dgram_qlen_plus_one_messages', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(a, '@A'));
    const b = await sock(sys, SOCK_DGRAM);
    ok(await sys.connect(b, '@A'));
    assert.equal(mask(sim, a), 0x304);
    assert.equal(mask(sim, b), 0x304);
    for (let i = 0; i < 11; i++) ok(await sys.write(b, zeros(5)));
    assert.equal(errno(await sys.write(b, zeros(5))), 'EAGAIN');
    // The EAGAIN left b's relay entry on a's peer_wait.
    assert.equal(sk(sim, b).peerWakeTarget, sk(sim, a));
    assert.equal(mask(sim, b, EPOLL.EPOLLOUT), 0);
    assert.equal(mask(sim, b, EPOLL.EPOLLIN), 0);
    assert.equal(mask(sim, b), 0);
    assert.equal(mask(sim, a), 0x345);
    const wakes = recordWakeUps(sim);
    assert.equal(ok(await sys.read(a, 100)).ret, 5);
    // a's dequeue wakes its peer_wait; b's relay entry unlinks itself and passes OUT to b's queue.
    assert.deepEqual(wakes[0], {
      type: 'wake_up',
      queue: sk(sim, a).peerWait.name,
      nr_exclusive: 1,
      key: OUT_KEY,
    });
    assert.deepEqual(wakes[1], { type: 'wake_up', queue: sk(sim, b).wq.name, nr_exclusive: 1, key: OUT_KEY });
    assert.equal(sk(sim, b).peerWakeTarget, null);
    assert.equal(mask(sim, b), 0x304);
    ok(await sys.write(b, zeros(5)));
    assert.equal(errno(await sys.write(b, zeros(5))), 'EAGAIN');
  }));

test('a_poll_that_asks_no_OUT_skips_the_one_way_queue_test', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(a, '@A'));
    const b = await sock(sys, SOCK_DGRAM);
    ok(await sys.connect(b, '@A'));
    for (let i = 0; i < 11; i++) ok(await sys.write(b, zeros(5)));
    assert.equal(mask(sim, b, EPOLL.EPOLLIN), 0);
    assert.equal(sk(sim, b).peerWakeTarget, null);
    assert.equal(mask(sim, b, EPOLL.EPOLLOUT), 0);
    assert.equal(sk(sim, b).peerWakeTarget, sk(sim, a));
  }));

test('blocking_one_way_dgram_sender_waits_for_the_receiver_to_dequeue', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(a, '@A'));
    const b = await sock(sys, SOCK_DGRAM, 0);
    ok(await sys.connect(b, '@A'));
    for (let i = 0; i < 11; i++) ok(await sys.write(b, zeros(5)));
    const pending = sim.thread('t1').write(b, zeros(6));
    assert.equal(sim.blocked(pending), true);
    assert.equal(sk(sim, a).peerWait.length, 1);
    ok(await sys.read(a, 100));
    assert.equal(ok(await sim.wait(pending)).ret, 6);
    assert.equal(ok(await sys.ioctl_fionread(a)).ret, 5);
  }));

test('mutually_connected_dgram_sockets_ignore_the_queue_limit', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = await sock(sys, SOCK_DGRAM);
    const c = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(a, '@A'));
    ok(await sys.bind(c, '@C'));
    ok(await sys.connect(a, '@C'));
    ok(await sys.connect(c, '@A'));
    assert.deepEqual(await fillUntilEagain(sim, c, 5), { ok: 278, lostAfter: 70 });
  }));

test('dgram_connect_to_a_socket_connected_elsewhere_is_EPERM', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = await sock(sys, SOCK_DGRAM);
    const b = await sock(sys, SOCK_DGRAM);
    const c = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(a, '@A'));
    ok(await sys.bind(c, '@C'));
    ok(await sys.connect(b, '@A'));
    ok(await sys.write(b, zeros(5)));
    ok(await sys.connect(a, '@C'));
    assert.equal(errno(await sys.write(b, zeros(1))), 'EPERM');
    assert.equal(errno(await sys.connect(await sock(sys, SOCK_DGRAM), '@A')), 'EPERM');
    assert.equal(errno(await sys.connect(b, '@nosuch')), 'ECONNREFUSED');
    // a kept b's datagram: a was not connected back to b, so nothing was dropped or reset.
    assert.equal(ok(await sys.ioctl_fionread(a)).ret, 5);
    assert.equal(mask(sim, b), 0x304);
  }));

test('connecting_a_dgram_pair_member_elsewhere_makes_its_old_peer_EPERM', () =>
  withSim(async (sim) => {
    const [p, q] = await pair(sim.sys, SOCK_DGRAM);
    const z = await sock(sim.sys, SOCK_DGRAM);
    ok(await sim.sys.bind(z, '@Z'));
    ok(await sim.sys.connect(p, '@Z'));
    assert.equal(errno(await sim.sys.write(q, zeros(1))), 'EPERM');
    assert.equal(mask(sim, q), 0x304);
  }));

test('dgram_reconnect_to_the_same_peer_keeps_the_queue', () =>
  withSim(async ({ sys }) => {
    const s = await sock(sys, SOCK_DGRAM);
    const c = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(s, '@S'));
    ok(await sys.bind(c, '@C'));
    ok(await sys.connect(c, '@S'));
    ok(await sys.connect(s, '@C'));
    ok(await sys.write(s, zeros(3)));
    ok(await sys.connect(c, '@S'));
    assert.equal(ok(await sys.ioctl_fionread(c)).ret, 3);
  }));

test('dgram_socket_may_connect_to_itself', () =>
  withSim(async (sim) => {
    const s = await sock(sim.sys, SOCK_DGRAM);
    ok(await sim.sys.bind(s, '@S'));
    ok(await sim.sys.connect(s, '@S'));
    ok(await sim.sys.write(s, bytes('abc')));
    assert.equal(mask(sim, s), 0x345);
    assert.equal(text(ok(await sim.sys.read(s, 10)).data), 'abc');
    assert.deepEqual(await fillUntilEagain(sim, s, 5), { ok: 278, lostAfter: 70 });
  }));

test('one_way_dgram_sender_gets_ECONNREFUSED_when_the_receiver_closes', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const s = await sock(sys, SOCK_DGRAM);
    ok(await sys.bind(s, '@S'));
    const c = await sock(sys, SOCK_DGRAM, 0);
    ok(await sys.connect(c, '@S'));
    for (let i = 0; i < 11; i++) ok(await sys.write(c, zeros(3)));
    const pending = sim.thread('t1').write(c, zeros(3));
    assert.equal(sim.blocked(pending), true);
    ok(await sys.close(s));
    assert.equal(errno(await sim.wait(pending)), 'ECONNREFUSED');
    assert.equal(mask(sim, c), 0x304);
    assert.equal(sk(sim, c).wmemAlloc, 1);
    assert.equal(errno(await sys.write(c, zeros(1))), 'ENOTCONN');
  }));

test('a_receiver_keeps_datagrams_from_a_closed_one_way_sender', () =>
  withSim(async (sim) => {
    const s = await sock(sim.sys, SOCK_DGRAM);
    ok(await sim.sys.bind(s, '@S'));
    const c = await sock(sim.sys, SOCK_DGRAM);
    ok(await sim.sys.connect(c, '@S'));
    ok(await sim.sys.write(c, zeros(3)));
    ok(await sim.sys.close(c));
    assert.equal(mask(sim, s), 0x345);
    assert.equal(ok(await sim.sys.read(s, 10)).ret, 3);
    assert.equal(errno(await sim.sys.read(s, 10)), 'EAGAIN');
  }));

// ---- blocking readers ----

test('blocking_stream_reader_wakes_with_EOF_on_peer_close', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM, 0);
    const r = sim.thread('t1').read(b, 10);
    assert.equal(sim.blocked(r), true);
    ok(await sim.sys.close(a));
    assert.equal(ok(await sim.wait(r)).ret, 0);
  }));

test('blocking_seqpacket_reader_wakes_with_EOF_on_peer_shutdown', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_SEQPACKET, 0);
    const r = sim.thread('t1').read(b, 10);
    assert.equal(sim.blocked(r), true);
    ok(await sim.sys.shutdown(a, SHUT_WR));
    assert.equal(ok(await sim.wait(r)).ret, 0);
  }));

test('a_nonblocking_seqpacket_read_after_peer_shutdown_is_EOF_not_EAGAIN', () =>
  withSim(async ({ sys }) => {
    const [a, b] = await pair(sys, SOCK_SEQPACKET);
    ok(await sys.shutdown(a, SHUT_WR));
    assert.equal(ok(await sys.read(b, 10)).ret, 0);
  }));

// ---- snapshot ----

test('snapshot_is_plain_json_with_ids_and_lengths', () =>
  withSim(async (sim) => {
    const [a, b] = await pair(sim.sys, SOCK_STREAM);
    ok(await sim.sys.write(a, zeros(10)));
    ok(await sim.sys.read(b, 4));
    const snap = snapshotUnixSocket(sk(sim, b));
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
    assert.equal(snap.type, 'SOCK_STREAM');
    assert.equal(snap.state, 'TCP_ESTABLISHED');
    assert.equal(snap.peer, sk(sim, a).id);
    assert.deepEqual(
      snap.receiveQueue.map((s) => [s.len, s.consumed, s.truesize, s.owner]),
      [[10, 4, 768, sk(sim, a).id]],
    );
    assert.equal(snapshotUnixSocket(sk(sim, a)).wmemAlloc, 769);
    assert.equal(snapshotUnixSocket(sk(sim, a)).writable, true);
  }));
