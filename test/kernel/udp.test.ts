// UDP on the simulated loopback (src/kernel/net/ipv4/udp.ts, datagram.ts). Every expectation was
// first checked on Linux 6.18 in a private network namespace (`unshare -n`, lo up), with python3's
// socket module and with the same calls run as scripts on both backends (`iomux diff`).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EPOLL, EPOLL_CTL, IPPROTO, IPV6_OPT, MSG, SO, SOCK, SOL } from '../../src/abi/constants.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import { type UdpSock, udpSkbTruesize } from '../../src/kernel/net/ipv4/udp.ts';
import type { Socket } from '../../src/kernel/net/socket.ts';
import { SA, SIG } from '../../src/kernel/signal.ts';
import { bytes, errno, ok, type Sim, text, withSim } from '../helpers.ts';
import { pollMask } from './helpers.ts';

const { AF_INET, AF_INET6 } = AF;
const { SOCK_DGRAM } = SOCK;
const { EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRNORM, EPOLLWRBAND, EPOLLET } =
  EPOLL;
const OUT = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;

async function udp(sim: Sim, family: number = AF_INET, bindTo?: string): Promise<number> {
  const fd = ok(await sim.sys.socket(family, SOCK_DGRAM, 0)).ret;
  if (bindTo !== undefined) ok(await sim.sys.bind(fd, bindTo));
  return fd;
}

const udpSock = (sim: Sim, fd: number): UdpSock => (sim.p.fdtable.get(fd)!.priv as Socket).sk as UdpSock;

test('a datagram keeps its sender address, and an unbound sender is bound to an ephemeral port by its first sendto', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET, '127.0.0.1:9000');
    const s = await udp(sim);
    assert.equal(ok(await sys.getsockname(s)).address, '0.0.0.0:0');
    assert.equal(ok(await sys.sendto(s, bytes('hello'), 0, '127.0.0.1:9000')).ret, 5);
    const port = ok(await sys.getsockname(s)).address.split(':')[1];
    assert.notEqual(port, '0');
    const m = ok(await sys.recvfrom(r, 64, 0));
    assert.deepEqual([m.ret, text(m.data), m.address], [5, 'hello', `127.0.0.1:${port}`]);
  }));

test('a short buffer truncates the datagram and loses its tail; MSG_TRUNC returns the full length; MSG_PEEK leaves it queued', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET, '127.0.0.1:9000');
    const s = await udp(sim);
    ok(await sys.sendto(s, bytes('hello world'), 0, '127.0.0.1:9000'));
    ok(await sys.sendto(s, bytes('second'), 0, '127.0.0.1:9000'));
    assert.equal(ok(await sys.ioctl_fionread(r)).ret, 11);
    assert.equal(text(ok(await sys.recvfrom(r, 4, MSG.MSG_PEEK)).data), 'hell');
    const t = ok(await sys.recvfrom(r, 4, MSG.MSG_TRUNC));
    assert.deepEqual([t.ret, text(t.data)], [11, 'hell']);
    assert.equal(ok(await sys.ioctl_fionread(r)).ret, 6);
    assert.equal(text(ok(await sys.recv(r, 100, 0)).data), 'second');
    assert.equal(ok(await sys.ioctl_fionread(r)).ret, 0);
  }));

test('a zero-length datagram makes the receiver readable though FIONREAD says 0', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET, '127.0.0.1:9000');
    const s = await udp(sim);
    assert.equal(ok(await sys.sendto(s, new Uint8Array(0), 0, '127.0.0.1:9000')).ret, 0);
    assert.equal(pollMask(sim, r), EPOLLIN | EPOLLRDNORM | OUT);
    assert.equal(ok(await sys.ioctl_fionread(r)).ret, 0);
    assert.equal(ok(await sys.recvfrom(r, 10, 0)).ret, 0);
  }));

test('sendto checks its address as Linux does: EDESTADDRREQ, EINVAL for port 0 or a 2-byte address, EAFNOSUPPORT for IPv6, EMSGSIZE above 65507', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const u = await udp(sim);
    assert.equal(errno(await sys.send(u, bytes('x'), 0)), 'EDESTADDRREQ');
    // Linux: inet_send_prepare autobinds before udp_sendmsg checks anything.
    assert.notEqual(ok(await sys.getsockname(u)).address, '0.0.0.0:0');
    assert.equal(errno(await sys.sendto(u, bytes('x'), 0, '127.0.0.1:0')), 'EINVAL');
    assert.equal(errno(await sys.sendto(u, bytes('x'), 0, 'AF_UNSPEC')), 'EINVAL');
    assert.equal(errno(await sys.sendto(u, bytes('x'), 0, '')), 'EINVAL');
    assert.equal(errno(await sys.sendto(u, bytes('x'), 0, '[::1]:5')), 'EAFNOSUPPORT');
    assert.equal(errno(await sys.sendto(u, bytes('x'), MSG.MSG_OOB, '127.0.0.1:9')), 'EOPNOTSUPP');
    assert.equal(ok(await sys.sendto(u, new Uint8Array(65507), 0, '127.0.0.1:9')).ret, 65507);
    assert.equal(errno(await sys.sendto(u, new Uint8Array(65508), 0, '127.0.0.1:9')), 'EMSGSIZE');
    assert.throws(() => sys.sendto(u, bytes('x'), 0, '10.0.0.1:9'), Unsupported);
    assert.throws(() => sys.sendto(u, bytes('x'), MSG.MSG_MORE, '127.0.0.1:9'), Unsupported);
  }));

test('sendto 0.0.0.0 reaches the loopback, and a send to 127.0.0.2 comes from 127.0.0.1', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET, '127.0.0.1:9000');
    const r2 = await udp(sim, AF_INET, '127.0.0.2:9000');
    const s = await udp(sim, AF_INET, '0.0.0.0:9100');
    ok(await sys.sendto(s, bytes('zero'), 0, '0.0.0.0:9000'));
    assert.equal(ok(await sys.recvfrom(r, 10, 0)).address, '127.0.0.1:9100');
    ok(await sys.sendto(s, bytes('two'), 0, '127.0.0.2:9000'));
    assert.equal(ok(await sys.recvfrom(r2, 10, 0)).address, '127.0.0.1:9100');
  }));

test('a connected sender to a closed port gets ECONNREFUSED once, as POLLERR and then from the next call; an unconnected one hears nothing', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const c = await udp(sim);
    ok(await sys.connect(c, '127.0.0.1:9001'));
    assert.equal(pollMask(sim, c), OUT);
    assert.equal(ok(await sys.send(c, bytes('x'), 0)).ret, 1);
    assert.equal(pollMask(sim, c), OUT | EPOLLERR);
    assert.equal(errno(await sys.send(c, bytes('x'), 0)), 'ECONNREFUSED');
    assert.equal(pollMask(sim, c), OUT);
    assert.equal(ok(await sys.send(c, bytes('x'), 0)).ret, 1);
    assert.equal(errno(await sys.recv(c, 10, MSG.MSG_DONTWAIT)), 'ECONNREFUSED');
    assert.equal(errno(await sys.recv(c, 10, MSG.MSG_DONTWAIT)), 'EAGAIN');
    const u = await udp(sim);
    assert.equal(ok(await sys.sendto(u, bytes('x'), 0, '127.0.0.1:9001')).ret, 1);
    assert.equal(pollMask(sim, u), OUT);
    assert.equal(ok(await sys.getsockopt(u, SOL.SOL_SOCKET, SO.SO_ERROR)).value, 0);
  }));

test('a blocked receiver wakes with ECONNREFUSED when its own connected send is refused', () =>
  withSim(async (sim) => {
    const c = await udp(sim);
    ok(await sim.sys.connect(c, '127.0.0.1:9001'));
    const reader = sim.thread('t').recvfrom(c, 64, 0);
    assert.ok(sim.blocked(reader));
    ok(await sim.sys.send(c, bytes('x'), 0));
    assert.equal(errno(await sim.wait(reader)), 'ECONNREFUSED');
  }));

test('a blocked receiver is woken by a datagram, and by SHUT_RD with 0', () =>
  withSim(async (sim) => {
    const r = await udp(sim, AF_INET, '127.0.0.1:9000');
    const s = await udp(sim);
    const first = sim.thread('t').recvfrom(r, 64, 0);
    assert.ok(sim.blocked(first));
    ok(await sim.sys.sendto(s, bytes('wake'), 0, '127.0.0.1:9000'));
    assert.equal(text(ok(await sim.wait(first)).data), 'wake');
    const second = sim.thread('t').recvfrom(r, 64, 0);
    assert.ok(sim.blocked(second));
    assert.equal(errno(await sim.sys.shutdown(r, 0)), 'ENOTCONN');
    assert.equal(ok(await sim.wait(second)).ret, 0);
  }));

test('shutdown of an unconnected socket is ENOTCONN but sets the bits: SHUT_RD gives IN|RDHUP, both give HUP, a send then EPIPE', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const u = await udp(sim);
    assert.equal(errno(await sys.shutdown(u, 0)), 'ENOTCONN');
    assert.equal(pollMask(sim, u), EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | OUT);
    assert.equal(errno(await sys.shutdown(u, 1)), 'ENOTCONN');
    assert.equal(pollMask(sim, u), EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLHUP | OUT);
    assert.equal(errno(await sys.sendto(u, bytes('x'), 0, '127.0.0.1:9')), 'EPIPE');
    assert.equal(errno(await sys.recv(u, 10, MSG.MSG_DONTWAIT)), 'EAGAIN');
    assert.equal(ok(await sys.recv(u, 10, 0)).ret, 0);
    const c = await udp(sim);
    ok(await sys.connect(c, '127.0.0.1:9000'));
    assert.equal(ok(await sys.shutdown(c, 1)).ret, 0);
  }));

test('a connected socket receives only from its peer and gets it over a wildcard socket on the same port', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const peer = await udp(sim, AF_INET, '127.0.0.1:9100');
    const other = await udp(sim, AF_INET, '127.0.0.1:9101');
    const wild = await udp(sim);
    ok(await sys.setsockopt(wild, SOL.SOL_SOCKET, SO.SO_REUSEADDR, 1));
    ok(await sys.bind(wild, '0.0.0.0:9000'));
    const conn = await udp(sim);
    ok(await sys.setsockopt(conn, SOL.SOL_SOCKET, SO.SO_REUSEADDR, 1));
    ok(await sys.bind(conn, '0.0.0.0:9000'));
    ok(await sys.connect(conn, '127.0.0.1:9100'));
    // Linux: the connect picked the source address and rehashed the socket under it.
    assert.equal(ok(await sys.getsockname(conn)).address, '127.0.0.1:9000');
    ok(await sys.sendto(peer, bytes('p'), 0, '127.0.0.1:9000'));
    ok(await sys.sendto(other, bytes('o'), 0, '127.0.0.1:9000'));
    assert.equal(text(ok(await sys.recv(conn, 10, MSG.MSG_DONTWAIT)).data), 'p');
    assert.equal(errno(await sys.recv(conn, 10, MSG.MSG_DONTWAIT)), 'EAGAIN');
    assert.equal(text(ok(await sys.recv(wild, 10, MSG.MSG_DONTWAIT)).data), 'o');
  }));

test('with SO_REUSEADDR the most recently bound of equal sockets receives; a bind without it is EADDRINUSE', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const fds: number[] = [];
    for (let i = 0; i < 2; i++) {
      const fd = await udp(sim);
      ok(await sys.setsockopt(fd, SOL.SOL_SOCKET, SO.SO_REUSEADDR, 1));
      ok(await sys.bind(fd, '127.0.0.1:9000'));
      fds.push(fd);
    }
    const late = await udp(sim);
    assert.equal(errno(await sys.bind(late, '127.0.0.1:9000')), 'EADDRINUSE');
    const s = await udp(sim);
    ok(await sys.sendto(s, bytes('x'), 0, '127.0.0.1:9000'));
    assert.deepEqual(
      [ok(await sys.ioctl_fionread(fds[0]!)).ret, ok(await sys.ioctl_fionread(fds[1]!)).ret],
      [0, 1],
    );
  }));

test('delivery among several SO_REUSEPORT sockets is Unsupported', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    for (let i = 0; i < 2; i++) {
      const fd = await udp(sim);
      ok(await sys.setsockopt(fd, SOL.SOL_SOCKET, SO.SO_REUSEPORT, 1));
      ok(await sys.bind(fd, '127.0.0.1:9000'));
    }
    const s = await udp(sim);
    assert.throws(() => sys.sendto(s, bytes('x'), 0, '127.0.0.1:9000'), Unsupported);
  }));

test('connect(AF_UNSPEC) forgets the peer, and the address and port the socket did not bind itself', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = await udp(sim);
    ok(await sys.connect(a, '127.0.0.1:9000'));
    assert.match(ok(await sys.getsockname(a)).address, /^127\.0\.0\.1:\d+$/);
    ok(await sys.connect(a, 'AF_UNSPEC'));
    assert.equal(ok(await sys.getsockname(a)).address, '0.0.0.0:0');
    assert.equal(errno(await sys.getpeername(a)), 'ENOTCONN');
    const b = await udp(sim, AF_INET, '127.0.0.1:0');
    ok(await sys.connect(b, '127.0.0.1:9000'));
    ok(await sys.connect(b, 'AF_UNSPEC'));
    assert.equal(ok(await sys.getsockname(b)).address, '127.0.0.1:0');
    const c = await udp(sim, AF_INET, '0.0.0.0:9005');
    ok(await sys.connect(c, '127.0.0.1:9000'));
    ok(await sys.connect(c, 'AF_UNSPEC'));
    assert.equal(ok(await sys.getsockname(c)).address, '0.0.0.0:9005');
    // Checked on Linux: a socket bound to port 0 loses its port even if it never connected.
    const d = await udp(sim, AF_INET, '0.0.0.0:0');
    ok(await sys.connect(d, 'AF_UNSPEC'));
    assert.equal(ok(await sys.getsockname(d)).address, '0.0.0.0:0');
  }));

test('connect to port 0 succeeds but leaves no peer; to 0.0.0.0 it connects to 127.0.0.1; to an IPv6 address it is EAFNOSUPPORT', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const a = await udp(sim);
    ok(await sys.connect(a, '127.0.0.1:0'));
    assert.equal(errno(await sys.getpeername(a)), 'ENOTCONN');
    const b = await udp(sim);
    ok(await sys.connect(b, '0.0.0.0:9000'));
    assert.equal(ok(await sys.getpeername(b)).address, '127.0.0.1:9000');
    const c = await udp(sim);
    assert.equal(errno(await sys.connect(c, '[::1]:9000')), 'EAFNOSUPPORT');
    assert.notEqual(ok(await sys.getsockname(c)).address, '0.0.0.0:0');
    assert.equal(errno(await sys.listen(c, 1)), 'EOPNOTSUPP');
  }));

test('a dual-stack socket on [::] receives IPv4 as ::ffff:a.b.c.d; an IPV6_V6ONLY one cannot send to a mapped address', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET6, '[::]:9000');
    const s4 = await udp(sim, AF_INET, '127.0.0.1:9100');
    ok(await sys.sendto(s4, bytes('v4'), 0, '127.0.0.1:9000'));
    assert.equal(ok(await sys.recvfrom(r, 10, 0)).address, '[::ffff:127.0.0.1]:9100');
    const s6 = await udp(sim, AF_INET6, '[::]:9101');
    ok(await sys.sendto(s6, bytes('v6'), 0, '[::1]:9000'));
    assert.equal(ok(await sys.recvfrom(r, 10, 0)).address, '[::1]:9101');
    ok(await sys.sendto(s6, bytes('m'), 0, '[::ffff:127.0.0.1]:9000'));
    assert.equal(ok(await sys.recvfrom(r, 10, 0)).address, '[::ffff:127.0.0.1]:9101');
    ok(await sys.sendto(s6, bytes('af'), 0, '127.0.0.1:9000'));
    assert.equal(ok(await sys.recvfrom(r, 10, 0)).address, '[::ffff:127.0.0.1]:9101');
    const o = await udp(sim, AF_INET6);
    ok(await sys.setsockopt(o, IPPROTO.IPPROTO_IPV6, IPV6_OPT.IPV6_V6ONLY, 1));
    assert.equal(errno(await sys.sendto(o, bytes('x'), 0, '[::ffff:127.0.0.1]:9000')), 'ENETUNREACH');
    assert.equal(errno(await sys.sendto(o, bytes('x'), 0, '127.0.0.1:9000')), 'ENETUNREACH');
    assert.equal(errno(await sys.connect(o, '[::ffff:127.0.0.1]:9000')), 'ENETUNREACH');
    assert.equal(errno(await sys.sendto(s6, bytes('x'), 0, 'AF_UNSPEC')), 'EDESTADDRREQ');
    assert.equal(ok(await sys.sendto(s6, new Uint8Array(65527), 0, '[::1]:9000')).ret, 65527);
    assert.equal(errno(await sys.sendto(s6, new Uint8Array(65528), 0, '[::1]:9000')), 'EMSGSIZE');
    assert.equal(
      errno(await sys.sendto(s6, new Uint8Array(65508), 0, '[::ffff:127.0.0.1]:9000')),
      'EMSGSIZE',
    );
  }));

test('a V6ONLY socket on [::] gets no IPv4 datagram, and an AF_INET6 socket connects to a mapped peer as IPv4', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const v = await udp(sim, AF_INET6);
    ok(await sys.setsockopt(v, IPPROTO.IPPROTO_IPV6, IPV6_OPT.IPV6_V6ONLY, 1));
    ok(await sys.bind(v, '[::]:9000'));
    const s4 = await udp(sim);
    ok(await sys.sendto(s4, bytes('v4'), 0, '127.0.0.1:9000'));
    assert.equal(errno(await sys.recv(v, 10, MSG.MSG_DONTWAIT)), 'EAGAIN');
    const r4 = await udp(sim, AF_INET, '127.0.0.1:9001');
    const d = await udp(sim, AF_INET6);
    ok(await sys.connect(d, '[::ffff:127.0.0.1]:9001'));
    assert.match(ok(await sys.getsockname(d)).address, /^\[::ffff:127\.0\.0\.1\]:\d+$/);
    assert.equal(ok(await sys.getpeername(d)).address, '[::ffff:127.0.0.1]:9001');
    ok(await sys.send(d, bytes('cm'), 0));
    assert.equal(text(ok(await sys.recv(r4, 10, 0)).data), 'cm');
    const bound6 = await udp(sim, AF_INET6, '[::1]:0');
    assert.equal(errno(await sys.sendto(bound6, bytes('x'), 0, '[::ffff:127.0.0.1]:9001')), 'ENETUNREACH');
    const boundMapped = await udp(sim, AF_INET6, '[::ffff:127.0.0.1]:0');
    assert.equal(errno(await sys.sendto(boundMapped, bytes('x'), 0, '[::1]:9000')), 'EAFNOSUPPORT');
  }));

test('truesize follows ip_append_data on loopback: 832 up to 197 bytes (IPv4) or 184 (IPv6), linear to 16004 / 15991, then 832 + len', () => {
  // Measured on Linux 6.18 as /proc/net/udp's rx_queue with one datagram queued.
  const v4: [number, number][] = [
    [0, 832],
    [197, 832],
    [198, 1280],
    [1000, 2304],
    [4000, 8448],
    [16004, 16640],
    [16005, 16837],
    [32000, 32832],
    [65507, 66339],
  ];
  const v6: [number, number][] = [
    [184, 832],
    [185, 1280],
    [15991, 16640],
    [15992, 16824],
    [32000, 32832],
  ];
  for (const [len, ts] of v4) assert.equal(udpSkbTruesize(len, false), ts, `IPv4 ${len}`);
  for (const [len, ts] of v6) assert.equal(udpSkbTruesize(len, true), ts, `IPv6 ${len}`);
});

test('256 small datagrams fill the default receive buffer; reading 63 frees nothing, the 64th read frees 64 (a quarter of sk_rcvbuf)', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET, '127.0.0.1:9000');
    const s = await udp(sim);
    for (let i = 0; i < 258; i++) ok(await sys.sendto(s, bytes(`d${i}`), 0, '127.0.0.1:9000'));
    assert.equal(udpSock(sim, r).drops, 2);
    assert.equal(udpSock(sim, r).rmemAlloc, 212992);
    for (let i = 0; i < 63; i++) ok(await sys.recv(r, 10, MSG.MSG_DONTWAIT));
    ok(await sys.sendto(s, bytes('late'), 0, '127.0.0.1:9000'));
    assert.equal(udpSock(sim, r).drops, 3);
    ok(await sys.recv(r, 10, MSG.MSG_DONTWAIT));
    for (let i = 0; i < 65; i++) ok(await sys.sendto(s, bytes(`n${i}`), 0, '127.0.0.1:9000'));
    assert.equal(udpSock(sim, r).drops, 4);
    const got: string[] = [];
    for (;;) {
      const m = await sys.recv(r, 10, MSG.MSG_DONTWAIT);
      if (errno(m) === 'EAGAIN') break;
      got.push(text(ok(m).data));
    }
    assert.equal(got.length, 192 + 64);
    assert.deepEqual([got[0], got[191], got[192], got[255]], ['d64', 'd255', 'n0', 'n63']);
    assert.equal(udpSock(sim, r).rmemAlloc, 0);
  }));

test('an empty socket takes one datagram larger than its receive buffer, and no second one', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim);
    ok(await sys.setsockopt(r, SOL.SOL_SOCKET, SO.SO_RCVBUF, 1));
    ok(await sys.bind(r, '127.0.0.1:9000'));
    const s = await udp(sim);
    ok(await sys.sendto(s, new Uint8Array(4000), 0, '127.0.0.1:9000'));
    ok(await sys.sendto(s, bytes('b'), 0, '127.0.0.1:9000'));
    assert.equal(ok(await sys.recv(r, 5000, 0)).ret, 4000);
    assert.equal(errno(await sys.recv(r, 10, MSG.MSG_DONTWAIT)), 'EAGAIN');
    for (const d of ['a', 'b', 'c']) ok(await sys.sendto(s, bytes(d), 0, '127.0.0.1:9000'));
    // 2 × 832 fit in 2304; the third would pass it while the socket holds something.
    assert.equal(udpSock(sim, r).drops, 2);
  }));

test('SIOCOUTQ is 0 right after a send (loopback frees the skb at once), and every send re-arms an edge-triggered EPOLLOUT', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET, '127.0.0.1:9000');
    const s = await udp(sim);
    const ep = ok(await sys.epoll_create1(0)).ret;
    ok(await sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, s, { events: EPOLLOUT | EPOLLET, data: 1 }));
    ok(await sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, { events: EPOLLIN | EPOLLET, data: 2 }));
    assert.equal(ok(await sys.epoll_wait(ep, 8, 0)).ret, 1);
    assert.equal(ok(await sys.epoll_wait(ep, 8, 0)).ret, 0);
    ok(await sys.sendto(s, bytes('a'), 0, '127.0.0.1:9000'));
    assert.equal(ok(await sys.ioctl_siocoutq(s)).ret, 0);
    assert.deepEqual(
      ok(await sys.epoll_wait(ep, 8, 0)).events.map((e) => e.data),
      [1, 2],
    );
    ok(await sys.sendto(s, bytes('b'), 0, '127.0.0.1:9000'));
    assert.deepEqual(
      ok(await sys.epoll_wait(ep, 8, 0)).events.map((e) => e.data),
      [1, 2],
    );
    assert.equal(errno(await sys.ioctl_siocatmark(s)), 'ENOTTY');
  }));

test('EPIPE from a UDP send after SHUT_WR raises no SIGPIPE', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const u = await udp(sim);
    assert.equal(errno(await sys.shutdown(u, 1)), 'ENOTCONN');
    assert.equal(errno(await sys.sendto(u, bytes('x'), 0, '127.0.0.1:9')), 'EPIPE');
    assert.deepEqual(ok(await sys.sigpending()).set, []);
  }));

test('an AF_INET6 socket disconnected from a v4-mapped peer keeps it as sk_v6_daddr and so receives no IPv6 datagram', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET6, '[::]:9000');
    ok(await sys.connect(r, '[::ffff:127.0.0.1]:9001'));
    ok(await sys.connect(r, 'AF_UNSPEC'));
    assert.equal(ok(await sys.getsockname(r)).address, '[::]:9000');
    const s = await udp(sim, AF_INET6);
    ok(await sys.sendto(s, bytes('v6'), 0, '[::1]:9000'));
    assert.equal(errno(await sys.recv(r, 10, MSG.MSG_DONTWAIT)), 'EAGAIN');
    ok(await sys.sendto(s, bytes('m'), 0, '[::ffff:127.0.0.1]:9000'));
    assert.equal(text(ok(await sys.recv(r, 10, MSG.MSG_DONTWAIT)).data), 'm');
  }));

test('a read with a huge count returns the whole largest datagram', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET6, '[::1]:9000');
    const s = await udp(sim, AF_INET6);
    const big = new Uint8Array(65527).map((_, i) => i & 0xff);
    ok(await sys.sendto(s, big, 0, '[::1]:9000'));
    const m = ok(await sys.recvfrom(r, 1 << 30, 0));
    assert.equal(m.ret, 65527);
    assert.deepEqual(m.data, big);
  }));

test('one datagram wakes one of two blocked readers, the first to block; an epoll watcher then sees nothing left', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET, '127.0.0.1:9000');
    const s = await udp(sim);
    const t1 = sim.thread('t1').recvfrom(r, 10, 0);
    const t2 = sim.thread('t2').recvfrom(r, 10, 0);
    const ep = ok(await sys.epoll_create1(0)).ret;
    ok(await sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, { events: EPOLLIN, data: 5 }));
    ok(await sys.sendto(s, bytes('one'), 0, '127.0.0.1:9000'));
    assert.equal(text(ok(await sim.wait(t1)).data), 'one');
    assert.ok(sim.blocked(t2));
    assert.equal(ok(await sys.epoll_wait(ep, 4, 0)).ret, 0);
    ok(await sys.sendto(s, bytes('two'), 0, '127.0.0.1:9000'));
    assert.equal(text(ok(await sim.wait(t2)).data), 'two');
  }));

test('the loopback broadcast address needs SO_BROADCAST: EACCES for sendto and connect without it', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const s = await udp(sim);
    assert.equal(errno(await sys.sendto(s, bytes('x'), 0, '127.255.255.255:9000')), 'EACCES');
    assert.equal(errno(await sys.connect(s, '127.255.255.255:9000')), 'EACCES');
    const t = await udp(sim, AF_INET6);
    assert.equal(errno(await sys.sendto(t, bytes('x'), 0, '[::ffff:127.255.255.255]:9000')), 'EACCES');
    ok(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_BROADCAST, 1));
    assert.throws(() => sys.sendto(s, bytes('x'), 0, '127.255.255.255:9000'), Unsupported);
  }));

test('a poll of a blocking socket refills the reader queue, so reading those datagrams gives their memory back at once', async () => {
  // 10 datagrams, then 240 more: reading the first 10 frees their 8320 bytes only if they were
  // alone in the reader queue (the poll put them there); otherwise the release waits.
  for (const [withPoll, fit] of [
    [true, 16],
    [false, 6],
  ] as const)
    await withSim(async (sim) => {
      const { sys } = sim;
      const r = await udp(sim, AF_INET, '127.0.0.1:9000');
      const s = await udp(sim);
      for (let i = 0; i < 10; i++) ok(await sys.sendto(s, bytes(`a${i}`), 0, '127.0.0.1:9000'));
      if (withPoll) assert.equal(ok(await sys.poll([{ fd: r, events: EPOLLIN }], 0)).ret, 1);
      for (let i = 0; i < 240; i++) ok(await sys.sendto(s, bytes(`b${i}`), 0, '127.0.0.1:9000'));
      for (let i = 0; i < 10; i++) ok(await sys.recv(r, 10, 0));
      const before = udpSock(sim, r).drops;
      for (let i = 0; i < 20; i++) ok(await sys.sendto(s, bytes(`c${i}`), 0, '127.0.0.1:9000'));
      assert.equal(20 - (udpSock(sim, r).drops - before), fit, withPoll ? 'after a poll' : 'without a poll');
    });
});

test('a caught signal ends a blocked UDP receive with EINTR, and under SA_RESTART the receive sleeps again', () =>
  withSim(async (sim) => {
    const { sys } = sim;
    const r = await udp(sim, AF_INET, '127.0.0.1:9000');
    const s = await udp(sim);
    const tid = sim.p.thread('t').tid;
    ok(await sys.sigaction(SIG.SIGUSR1, 'catch', 0, []));
    const first = sim.thread('t').recvfrom(r, 10, 0);
    ok(await sys.tgkill(tid, SIG.SIGUSR1));
    assert.equal(errno(await sim.wait(first)), 'EINTR');
    ok(await sys.sigaction(SIG.SIGUSR2, 'catch', SA.SA_RESTART, []));
    const second = sim.thread('t').recvfrom(r, 10, 0);
    ok(await sys.tgkill(tid, SIG.SIGUSR2));
    assert.ok(sim.blocked(second));
    ok(await sys.sendto(s, bytes('after'), 0, '127.0.0.1:9000'));
    assert.equal(text(ok(await sim.wait(second)).data), 'after');
  }));
