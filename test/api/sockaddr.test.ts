// The address forms of the script format and the sockaddr each one is (src/api/sockaddr.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF } from '../../src/abi/constants.ts';
import { formatSockaddr, parseSockaddr, trySockaddr } from '../../src/api/sockaddr.ts';

const round = (a: string): string => formatSockaddr(parseSockaddr('t', a));

test('every address form reads back as written', () => {
  for (const a of ['127.0.0.1:8080', '0.0.0.0:0', '[::1]:8080', '[::]:0', '@name', '', 'AF_UNSPEC'])
    assert.equal(round(a), a);
});

test('IPv6 is written as inet_ntop writes it: lower case, the longest zero run as ::, mapped as a dotted quad', () => {
  assert.equal(round('[0:0:0:0:0:0:0:1]:1'), '[::1]:1');
  assert.equal(round('[1:0:0:2:0:0:0:3]:5'), '[1:0:0:2::3]:5');
  assert.equal(round('[1:0:0:2:0:0:3:4]:5'), '[1::2:0:0:3:4]:5');
  assert.equal(round('[FE80::A]:7'), '[fe80::a]:7');
  assert.equal(round('[::ffff:7f00:1]:80'), '[::ffff:127.0.0.1]:80');
  assert.equal(round('[1:2:3:4:5:6:7:8]:9'), '[1:2:3:4:5:6:7:8]:9');
});

test('an IPv4 address is a host-order number; port and family are kept', () => {
  assert.deepEqual(parseSockaddr('t', '127.0.0.1:8080'), {
    family: AF.AF_INET,
    addr: 0x7f000001,
    port: 8080,
  });
  assert.deepEqual(parseSockaddr('t', '@x'), { family: AF.AF_UNIX, name: 'x' });
  assert.deepEqual(parseSockaddr('t', ''), { family: AF.AF_UNIX, name: null });
});

test('malformed addresses are refused with the reason', () => {
  for (const [a, why] of [
    ['1.2.3:4', 'dotted-quad'],
    ['1.2.3.256:4', 'dotted-quad'],
    ['[::1]8', '[addr]:port'],
    ['1.2.3.4:70000', '0 … 65535'],
    ['1.2.3.4:', '0 … 65535'],
    ['[1::2::3]:1', 'not an IPv6 address'],
    ['[1:2:3:4:5:6:7:8:9]:1', 'not an IPv6 address'],
    ['localhost', 'expected'],
  ] as const) {
    const r = trySockaddr(a);
    assert.equal(typeof r, 'string', a);
    assert.match(r as string, new RegExp(why.replace(/[[\]]/g, '\\$&')), a);
  }
  assert.throws(() => parseSockaddr('bind', 'x'), /bind: unsupported: address "x"/);
});
