// Internet sockets on the real-Linux backend (script-format.md v1.1, "Internet sockets on
// loopback"): each run's network namespace, and the ten calls the format added, on the kernel.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { AF, IPPROTO, IPV6_OPT, MSG, SHUT, SO, SOCK, SOL, TCP_OPT } from '../../src/abi/constants.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import { linuxBackend } from '../../src/linux/index.ts';
import { decodeSockaddr, encodeSockaddrIn, encodeSockaddrIn6 } from '../../src/linux/layout.ts';
import type { LinuxProcess } from '../../src/linux/process.ts';
import { bytes, inProcess, ok } from './helpers.ts';

const { SOCK_STREAM, SOCK_DGRAM, SOCK_NONBLOCK } = SOCK;

test('each_run_has_a_network_namespace_of_its_own_with_lo_up', async () => {
  await inProcess(async ({ proc, main, call }) => {
    assert.match(proc.info.network ?? '', /network namespace of its own \(net:\[\d+\]\).*only lo up/);
    const s = ok(await call(main.socket(AF.AF_INET6, SOCK_DGRAM, 0))).ret;
    assert.deepEqual(await call(main.bind(s, '[::1]:0')), { ret: 0 });
    assert.match(ok(await call(main.getsockname(s))).address, /^\[::1\]:\d+$/);
  });
});

test('two_runs_at_once_both_bind_127_0_0_1_8080', async () => {
  const a = (await linuxBackend.createProcess()) as LinuxProcess;
  const b = (await linuxBackend.createProcess()) as LinuxProcess;
  try {
    assert.notEqual(a.info.network, b.info.network);
    for (const p of [a, b]) {
      const main = p.thread('main');
      const s = ok(await p.wait(main.socket(AF.AF_INET, SOCK_STREAM, 0))).ret;
      assert.deepEqual(await p.wait(main.bind(s, '127.0.0.1:8080')), { ret: 0 });
      assert.deepEqual(await p.wait(main.listen(s, 1)), { ret: 0 });
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test('the_hosts_listeners_are_out_of_reach_a_connect_is_refused', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    await inProcess(async ({ main, call }) => {
      const s = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM, 0))).ret;
      assert.deepEqual(await call(main.connect(s, `127.0.0.1:${port}`)), { errno: 'ECONNREFUSED' });
    });
  } finally {
    server.close();
  }
});

test('a_port_bound_in_one_run_is_free_in_the_next', async () => {
  // TIME_WAIT included: the namespace with the closed connection is gone.
  for (let i = 0; i < 2; i++) {
    await inProcess(async ({ main, call }) => {
      const l = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM, 0))).ret;
      assert.deepEqual(await call(main.bind(l, '127.0.0.1:8081')), { ret: 0 });
      ok(await call(main.listen(l, 1)));
      const c = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM, 0))).ret;
      ok(await call(main.connect(c, '127.0.0.1:8081')));
      const a = ok(await call(main.accept4(l, 0))).ret;
      // The side that closes first holds TIME_WAIT on 127.0.0.1:8081.
      ok(await call(main.close(a)));
    });
  }
});

test('tcp_connect_accept_and_the_names_each_end_reports', async () => {
  await inProcess(async ({ main, call }) => {
    const l = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM, IPPROTO.IPPROTO_TCP))).ret;
    ok(await call(main.bind(l, '127.0.0.1:8080')));
    ok(await call(main.listen(l, 4)));
    assert.deepEqual(await call(main.getsockname(l)), { ret: 0, address: '127.0.0.1:8080' });
    assert.deepEqual(await call(main.getpeername(l)), { errno: 'ENOTCONN' });
    const c = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM, 0))).ret;
    assert.deepEqual(await call(main.connect(c, '127.0.0.1:8080')), { ret: 0 });
    const a = ok(await call(main.accept4(l, 0))).ret;
    const local = ok(await call(main.getsockname(c))).address;
    assert.match(local, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(await call(main.getpeername(a)), { ret: 0, address: local });
    assert.deepEqual(await call(main.getpeername(c)), { ret: 0, address: '127.0.0.1:8080' });
    assert.deepEqual(await call(main.send(c, bytes('hello'), 0)), { ret: 5 });
    assert.deepEqual(await call(main.recv(a, 2, MSG.MSG_PEEK)), { ret: 2, data: bytes('he') });
    // TCP writes no address: recvfrom's is null (msg_namelen 0).
    assert.deepEqual(await call(main.recvfrom(a, 10, 0)), { ret: 5, data: bytes('hello'), address: null });
    ok(await call(main.shutdown(c, SHUT.SHUT_WR)));
    assert.deepEqual(await call(main.recv(a, 10, 0)), { ret: 0, data: new Uint8Array() });
  });
});

test('udp_sendto_and_recvfrom_carry_addresses_and_msg_trunc_copies_what_fits', async () => {
  await inProcess(async ({ main, call }) => {
    const r = ok(await call(main.socket(AF.AF_INET, SOCK_DGRAM, 0))).ret;
    ok(await call(main.bind(r, '127.0.0.1:9000')));
    const s = ok(await call(main.socket(AF.AF_INET, SOCK_DGRAM, IPPROTO.IPPROTO_UDP))).ret;
    ok(await call(main.bind(s, '127.0.0.1:9001')));
    assert.deepEqual(await call(main.sendto(s, bytes('datagram'), 0, '127.0.0.1:9000')), { ret: 8 });
    assert.deepEqual(await call(main.recvfrom(r, 4, MSG.MSG_TRUNC)), {
      ret: 8,
      data: bytes('data'),
      address: '127.0.0.1:9001',
    });
    // Without an address on an unconnected UDP socket: no destination.
    assert.deepEqual(await call(main.send(s, bytes('x'), 0)), { errno: 'EDESTADDRREQ' });
    ok(await call(main.connect(s, '127.0.0.1:9000')));
    assert.deepEqual(await call(main.send(s, bytes('x'), 0)), { ret: 1 });
    assert.deepEqual(await call(main.recv(r, 8, 0)), { ret: 1, data: bytes('x') });
    assert.deepEqual(await call(main.connect(s, 'AF_UNSPEC')), { ret: 0 });
    assert.deepEqual(await call(main.getpeername(s)), { errno: 'ENOTCONN' });
  });
});

test('tcp_msg_trunc_discards_and_copies_nothing', async () => {
  await inProcess(async ({ main, call }) => {
    const l = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM, 0))).ret;
    ok(await call(main.bind(l, '127.0.0.1:8080')));
    ok(await call(main.listen(l, 1)));
    const c = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM, 0))).ret;
    ok(await call(main.connect(c, '127.0.0.1:8080')));
    const a = ok(await call(main.accept4(l, 0))).ret;
    ok(await call(main.send(c, bytes('abcdef'), 0)));
    assert.deepEqual(await call(main.recv(a, 4, MSG.MSG_TRUNC)), { ret: 4, data: new Uint8Array() });
    assert.deepEqual(await call(main.recv(a, 8, 0)), { ret: 2, data: bytes('ef') });
  });
});

test('so_error_after_a_refused_nonblocking_connect_is_read_then_cleared', async () => {
  await inProcess(async ({ main, call }) => {
    const c = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0))).ret;
    assert.deepEqual(await call(main.connect(c, '127.0.0.1:8082')), { errno: 'EINPROGRESS' });
    await call(main.sleep(50));
    assert.deepEqual(await call(main.getsockopt(c, SOL.SOL_SOCKET, SO.SO_ERROR)), {
      ret: 0,
      value: 'ECONNREFUSED',
    });
    assert.deepEqual(await call(main.getsockopt(c, SOL.SOL_SOCKET, SO.SO_ERROR)), { ret: 0, value: 0 });
  });
});

test('so_linger_and_int_options_round_trip', async () => {
  await inProcess(async ({ main, call }) => {
    const s = ok(await call(main.socket(AF.AF_INET6, SOCK_STREAM, 0))).ret;
    assert.deepEqual(await call(main.getsockopt(s, SOL.SOL_SOCKET, SO.SO_LINGER)), {
      ret: 0,
      value: { onoff: 0, linger: 0 },
    });
    ok(await call(main.setsockopt(s, SOL.SOL_SOCKET, SO.SO_LINGER, { onoff: 1, linger: 7 })));
    assert.deepEqual(await call(main.getsockopt(s, SOL.SOL_SOCKET, SO.SO_LINGER)), {
      ret: 0,
      value: { onoff: 1, linger: 7 },
    });
    ok(await call(main.setsockopt(s, IPPROTO.IPPROTO_TCP, TCP_OPT.TCP_NODELAY, 1)));
    assert.deepEqual(await call(main.getsockopt(s, IPPROTO.IPPROTO_TCP, TCP_OPT.TCP_NODELAY)), {
      ret: 0,
      value: 1,
    });
    assert.deepEqual(await call(main.getsockopt(s, SOL.SOL_SOCKET, SO.SO_TYPE)), {
      ret: 0,
      value: SOCK_STREAM,
    });
    ok(await call(main.setsockopt(s, IPPROTO.IPPROTO_IPV6, IPV6_OPT.IPV6_V6ONLY, 1)));
    assert.deepEqual(await call(main.getsockopt(s, IPPROTO.IPPROTO_IPV6, IPV6_OPT.IPV6_V6ONLY)), {
      ret: 0,
      value: 1,
    });
    // SO_LINGER given an int is short: sk_setsockopt wants a whole struct linger.
    assert.deepEqual(await call(main.setsockopt(s, SOL.SOL_SOCKET, SO.SO_LINGER, 1)), { errno: 'EINVAL' });
    await assert.rejects(main.getsockopt(s, SOL.SOL_SOCKET, SO.SO_RCVTIMEO), Unsupported);
    await assert.rejects(main.getsockopt(s, IPPROTO.IPPROTO_TCP, TCP_OPT.TCP_INFO), Unsupported);
  });
});

test('msg_oob_marks_the_stream_siocatmark_and_siocoutq_report_it', async () => {
  await inProcess(async ({ main, call }) => {
    const l = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM, 0))).ret;
    ok(await call(main.bind(l, '127.0.0.1:8080')));
    ok(await call(main.listen(l, 1)));
    const c = ok(await call(main.socket(AF.AF_INET, SOCK_STREAM, 0))).ret;
    ok(await call(main.setsockopt(c, IPPROTO.IPPROTO_TCP, TCP_OPT.TCP_NODELAY, 1)));
    ok(await call(main.connect(c, '127.0.0.1:8080')));
    const a = ok(await call(main.accept4(l, 0))).ret;
    ok(await call(main.send(c, bytes('ab'), 0)));
    ok(await call(main.send(c, bytes('!'), MSG.MSG_OOB)));
    await call(main.sleep(50));
    // Everything sent was acknowledged on loopback by now.
    assert.deepEqual(await call(main.ioctl_siocoutq(c)), { ret: 0 });
    assert.deepEqual(await call(main.ioctl_siocatmark(a)), { ret: 0 });
    assert.deepEqual(await call(main.recv(a, 1, MSG.MSG_OOB)), { ret: 1, data: bytes('!') });
    assert.deepEqual(await call(main.recv(a, 8, 0)), { ret: 2, data: bytes('ab') });
    assert.deepEqual(await call(main.ioctl_siocatmark(a)), { ret: 1 });
    assert.deepEqual(await call(main.ioctl_fionread(a)), { ret: 0 });
  });
});

test('af_unix_names_lose_the_private_prefix_and_unnamed_is_empty', async () => {
  await inProcess(async ({ main, call }) => {
    const [p, q] = ok(await call(main.socketpair(AF.AF_UNIX, SOCK_DGRAM, 0))).fds;
    assert.deepEqual(await call(main.getsockname(p)), { ret: 0, address: '' });
    const r = ok(await call(main.socket(AF.AF_UNIX, SOCK_DGRAM, 0))).ret;
    ok(await call(main.bind(r, '@server')));
    assert.deepEqual(await call(main.getsockname(r)), { ret: 0, address: '@server' });
    assert.deepEqual(await call(main.sendto(q, bytes('hi'), 0, '@server')), { ret: 2 });
    // An unnamed sender: Linux writes no address at all (unix_copy_addr leaves msg_namelen 0).
    assert.deepEqual(await call(main.recvfrom(r, 8, 0)), { ret: 2, data: bytes('hi'), address: null });
    ok(await call(main.sendto(r, bytes('back'), 0, '@server')));
    assert.deepEqual(await call(main.recvfrom(r, 8, 0)), { ret: 4, data: bytes('back'), address: '@server' });
    assert.deepEqual(await call(main.recv(p, 1, MSG.MSG_DONTWAIT)), { errno: 'EAGAIN' });
  });
});

test('sockaddr_in_and_in6_are_encoded_in_network_order_and_decoded_back', () => {
  const in4 = encodeSockaddrIn(0x7f000001, 8080);
  assert.equal(in4.toString('hex'), '02001f907f0000010000000000000000');
  assert.deepEqual(decodeSockaddr(in4, 16), { family: 'inet', addr: 0x7f000001, port: 8080 });
  const loop6 = new Uint8Array(16);
  loop6[15] = 1;
  const in6 = encodeSockaddrIn6(loop6, 443);
  assert.equal(in6.length, 28);
  assert.equal(in6.subarray(0, 8).toString('hex'), '0a0001bb00000000');
  assert.deepEqual(decodeSockaddr(in6, 28), { family: 'inet6', addr: loop6, port: 443 });
  // AF_UNIX: sa_family alone is unnamed; a leading NUL is abstract, its length from addrlen.
  const un = Buffer.alloc(110);
  un.writeUInt16LE(1, 0);
  assert.deepEqual(decodeSockaddr(un, 2), { family: 'unix', kind: 'unnamed' });
  un.write('\0ab', 2, 'latin1');
  assert.deepEqual(decodeSockaddr(un, 5), { family: 'unix', kind: 'abstract', name: Buffer.from('ab') });
  assert.deepEqual(decodeSockaddr(un, 0), { family: 'none' });
});
