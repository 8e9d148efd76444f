// The socket calls beyond read and write on AF_UNIX (send, recv, sendto, recvfrom, getsockname,
// getpeername, getsockopt, setsockopt, SIOCOUTQ, SIOCATMARK). Each expectation was checked on
// Linux 6.18 (python3's socket module; the differential suite runs the same calls on both backends).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, MSG, SO, SOCK, SOL } from '../../src/abi/constants.ts';
import { errno, ok, withSim } from '../helpers.ts';

const { AF_UNIX } = AF;
const { SOCK_STREAM, SOCK_DGRAM } = SOCK;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

test('getsockname writes "" for an unnamed AF_UNIX socket and the name once bound; getpeername the peer', () =>
  withSim(async ({ sys }) => {
    const l = ok(await sys.socket(AF_UNIX, SOCK_STREAM, 0)).ret;
    assert.equal(ok(await sys.getsockname(l)).address, '');
    assert.equal(errno(await sys.getpeername(l)), 'ENOTCONN');
    ok(await sys.bind(l, '@srv'));
    ok(await sys.listen(l, 1));
    assert.equal(ok(await sys.getsockname(l)).address, '@srv');
    const c = ok(await sys.socket(AF_UNIX, SOCK_STREAM, 0)).ret;
    ok(await sys.connect(c, '@srv'));
    assert.equal(ok(await sys.getpeername(c)).address, '@srv');
    const a = ok(await sys.accept4(l, 0)).ret;
    assert.equal(ok(await sys.getsockname(a)).address, '@srv');
    assert.equal(ok(await sys.getpeername(a)).address, '');
  }));

test('recv with MSG_TRUNC on a stream copies as a plain read; on a datagram socket it returns the whole length', () =>
  withSim(async ({ sys }) => {
    const [a, b] = ok(await sys.socketpair(AF_UNIX, SOCK_STREAM, 0)).fds;
    ok(await sys.send(a, bytes('hello world'), 0));
    const r = ok(await sys.recv(b, 4, MSG.MSG_TRUNC));
    assert.deepEqual([r.ret, text(r.data)], [4, 'hell']);
    const [c, d] = ok(await sys.socketpair(AF_UNIX, SOCK_DGRAM, 0)).fds;
    ok(await sys.send(c, bytes('hello world'), 0));
    const t = ok(await sys.recv(d, 4, MSG.MSG_TRUNC));
    assert.deepEqual([t.ret, text(t.data)], [11, 'hell']);
  }));

test('recvfrom gives no address for an unnamed sender and the name of a bound one', () =>
  withSim(async ({ sys }) => {
    const [a, b] = ok(await sys.socketpair(AF_UNIX, SOCK_DGRAM, 0)).fds;
    ok(await sys.send(a, bytes('x'), 0));
    assert.equal(ok(await sys.recvfrom(b, 8, 0)).address, null);
    ok(await sys.bind(a, '@me'));
    ok(await sys.send(a, bytes('y'), 0));
    assert.equal(ok(await sys.recvfrom(b, 8, 0)).address, '@me');
  }));

test('sendto with an address on a connected stream socket is EISCONN', () =>
  withSim(async ({ sys }) => {
    const [a] = ok(await sys.socketpair(AF_UNIX, SOCK_STREAM, 0)).fds;
    assert.equal(errno(await sys.sendto(a, bytes('x'), 0, '@nope')), 'EISCONN');
  }));

test('MSG_NOSIGNAL turns a write to a shut-down stream into EPIPE without SIGPIPE', () =>
  withSim(async ({ sys }) => {
    const [a] = ok(await sys.socketpair(AF_UNIX, SOCK_STREAM, 0)).fds;
    ok(await sys.shutdown(a, 1));
    assert.equal(errno(await sys.send(a, bytes('x'), MSG.MSG_NOSIGNAL)), 'EPIPE');
    assert.deepEqual(ok(await sys.sigpending()).set, []);
  }));

test('SO_RCVBUF and SO_SNDBUF double what is set, with minimums 2304 and 4608', () =>
  withSim(async ({ sys }) => {
    const s = ok(await sys.socket(AF_UNIX, SOCK_STREAM, 0)).ret;
    assert.equal(ok(await sys.getsockopt(s, SOL.SOL_SOCKET, SO.SO_RCVBUF)).value, 212992);
    ok(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_RCVBUF, 1));
    ok(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_SNDBUF, 1));
    assert.equal(ok(await sys.getsockopt(s, SOL.SOL_SOCKET, SO.SO_RCVBUF)).value, 2304);
    assert.equal(ok(await sys.getsockopt(s, SOL.SOL_SOCKET, SO.SO_SNDBUF)).value, 4608);
    ok(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_SNDBUF, 5000));
    assert.equal(ok(await sys.getsockopt(s, SOL.SOL_SOCKET, SO.SO_SNDBUF)).value, 10000);
  }));

test('SO_RCVLOWAT 0 reads back 1, SO_SNDLOWAT cannot be set, SO_REUSEPORT is for internet sockets', () =>
  withSim(async ({ sys }) => {
    const s = ok(await sys.socket(AF_UNIX, SOCK_STREAM, 0)).ret;
    ok(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_RCVLOWAT, 0));
    assert.equal(ok(await sys.getsockopt(s, SOL.SOL_SOCKET, SO.SO_RCVLOWAT)).value, 1);
    assert.equal(errno(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_SNDLOWAT, 5)), 'ENOPROTOOPT');
    assert.equal(errno(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_REUSEPORT, 1)), 'EOPNOTSUPP');
    assert.equal(errno(await sys.setsockopt(s, SOL.SOL_SOCKET, 999, 1)), 'ENOPROTOOPT');
  }));

test('SO_LINGER needs a struct linger and reads back its seconds, kept when turned off', () =>
  withSim(async ({ sys }) => {
    const s = ok(await sys.socket(AF_UNIX, SOCK_STREAM, 0)).ret;
    assert.equal(errno(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_LINGER, 1)), 'EINVAL');
    ok(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_LINGER, { onoff: 1, linger: 7 }));
    assert.deepEqual(ok(await sys.getsockopt(s, SOL.SOL_SOCKET, SO.SO_LINGER)).value, {
      onoff: 1,
      linger: 7,
    });
    ok(await sys.setsockopt(s, SOL.SOL_SOCKET, SO.SO_LINGER, { onoff: 0, linger: 0 }));
    assert.deepEqual(ok(await sys.getsockopt(s, SOL.SOL_SOCKET, SO.SO_LINGER)).value, {
      onoff: 0,
      linger: 7,
    });
  }));

test('SIOCOUTQ counts the truesize of unread skbs; a pipe has no SIOCOUTQ', () =>
  withSim(async ({ sys }) => {
    const [a] = ok(await sys.socketpair(AF_UNIX, SOCK_STREAM, 0)).fds;
    assert.equal(ok(await sys.ioctl_siocoutq(a)).ret, 0);
    ok(await sys.send(a, bytes('x'), 0));
    assert.ok(ok(await sys.ioctl_siocoutq(a)).ret > 1);
    const [r] = ok(await sys.pipe()).fds;
    assert.equal(errno(await sys.ioctl_siocoutq(r)), 'ENOTTY');
    assert.equal(ok(await sys.getsockopt(a, SOL.SOL_SOCKET, SO.SO_TYPE)).value, SOCK_STREAM);
    assert.equal(errno(await sys.getsockopt(r, SOL.SOL_SOCKET, SO.SO_TYPE)), 'ENOTSOCK');
  }));
