// The script layer for internet sockets (script-format.md v1.1, "Internet sockets on loopback"):
// address arguments and their errors, the new calls' results, the port rule, the comparison of
// addresses, and the text form.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { linuxBackend } from '../../src/linux/index.ts';
import { mismatchedKeys, sameAddress } from '../../src/script/compare.ts';
import { parseScript, ScriptError } from '../../src/script/parse.ts';
import { addressJson, exitStatus, runScript, scriptPorts } from '../../src/script/run.ts';
import { formatScriptTextForm, parseScriptTextForm } from '../../src/script/text.ts';
import type { JsonObject } from '../../src/script/values.ts';

/** The parser's message for a one-step script (after a socket bound as "s"). */
function problem(step: object): string {
  const steps = [{ call: 'socket', args: ['AF_INET', 'SOCK_DGRAM', 0], bind: 's' }, step];
  try {
    parseScript({ steps });
  } catch (e) {
    assert.ok(e instanceof ScriptError);
    return e.message;
  }
  assert.fail('the script parsed');
}

describe('address arguments', () => {
  test('every address form parses, and AF_UNSPEC only where it dissolves an association', () => {
    for (const address of ['@name', '', '127.0.0.1:8080', '0.0.0.0:0', '[::1]:8080', '[::ffff:127.0.0.1]:80'])
      parseScript({
        steps: [
          { call: 'socket', args: ['AF_INET', 'SOCK_DGRAM', 0], bind: 's' },
          { call: 'bind', args: ['$s', address] },
          { call: 'connect', args: ['$s', address] },
          { call: 'sendto', args: ['$s', 'x', 0, address] },
        ],
      });
    parseScript({ steps: [{ call: 'connect', args: [3, 'AF_UNSPEC'] }] });
    parseScript({ steps: [{ call: 'sendto', args: [3, 'x', 'MSG_DONTWAIT', 'AF_UNSPEC'] }] });
    parseScript({ steps: [{ call: 'sendto', args: [3, 'x', 0, null] }] });
    assert.match(
      problem({ call: 'bind', args: ['$s', 'AF_UNSPEC'] }),
      /args\[1\] \(addr\): "AF_UNSPEC" is for connect and sendto/,
    );
  });

  test('a_malformed_address_names_the_step_the_argument_and_the_problem', () => {
    assert.equal(
      problem({ call: 'bind', args: ['$s', '127.0.0.1:65536'] }),
      'step 1 (bind): args[1] (addr): "127.0.0.1:65536" is not an address: the port is not a number 0 … 65535',
    );
    assert.equal(
      problem({ call: 'connect', args: ['$s', '127.0.0:80'] }),
      'step 1 (connect): args[1] (addr): "127.0.0:80" is not an address: "127.0.0" is not a dotted-quad IPv4 address',
    );
    assert.equal(
      problem({ call: 'connect', args: ['$s', '[::1:80'] }),
      'step 1 (connect): args[1] (addr): "[::1:80" is not an address: an IPv6 address is written "[addr]:port"',
    );
    assert.equal(
      problem({ call: 'sendto', args: ['$s', 'x', 0, '[1::2::3]:80'] }),
      'step 1 (sendto): args[3] (dest_addr): "[1::2::3]:80" is not an address: "1::2::3" is not an IPv6 address',
    );
    assert.match(
      problem({ call: 'bind', args: ['$s', 'localhost'] }),
      /"localhost" is not an address: expected/,
    );
    assert.match(
      problem({ call: 'bind', args: ['$s', null] }),
      /expected an address \("@name", "", .*got null/,
    );
    assert.match(problem({ call: 'bind', args: ['$s', '@'] }), /at least one character after "@"/);
  });

  test('getsockopt_and_setsockopt_take_any_name_and_linger_as_an_object', () => {
    parseScript({
      steps: [
        {
          call: 'getsockopt',
          args: [3, 'SOL_SOCKET', 'SO_ERROR'],
          expect: { ret: 0, value: 'ECONNREFUSED' },
        },
        { call: 'getsockopt', args: [3, 'IPPROTO_TCP', 'TCP_NODELAY'], expect: { value: 1 } },
        {
          call: 'getsockopt',
          args: [3, 'SOL_SOCKET', 'SO_LINGER'],
          expect: { value: { onoff: 1, linger: 0 } },
        },
        { call: 'setsockopt', args: [3, 'SOL_SOCKET', 'SO_LINGER', { onoff: 1, linger: 0 }] },
        // Any name in any argument: the kernel gets only numbers.
        { call: 'setsockopt', args: [3, 'IPPROTO_IPV6', 'IPV6_V6ONLY', 1] },
        { call: 'recv', args: [3, 10, 'MSG_PEEK|MSG_DONTWAIT'], expect: { ret: 0, data: '' } },
        { call: 'recvfrom', args: [3, 10, 0], expect: { address: null } },
        { call: 'getsockname', args: [3], expect: { address: '127.0.0.1:*' } },
      ],
    });
    assert.match(
      problem({ call: 'setsockopt', args: ['$s', 'SOL_SOCKET', 'SO_LINGER', { onoff: 1 }] }),
      /args\[3\] \(optval\): missing "linger"/,
    );
    assert.match(
      problem({ call: 'getsockopt', args: ['$s', 'SOL_SOCKET', 'SO_EROR'] }),
      /unknown flag "SO_EROR" \(did you mean "SO_ERROR"\?\)/,
    );
    assert.match(
      problem({
        call: 'getsockopt',
        args: ['$s', 'SOL_SOCKET', 'SO_ERROR'],
        expect: { value: 'ECONNREFUSE' },
      }),
      /expect\.value: expected an integer, an errno name/,
    );
    assert.match(
      problem({ call: 'getsockname', args: ['$s'], expect: { address: '127.0.0.1:port' } }),
      /expect\.address: "127\.0\.0\.1:port" is not an address/,
    );
    assert.match(
      problem({ call: 'getsockname', args: ['$s'], expect: { address: null } }),
      /expect\.address/,
    );
  });
});

describe('addresses in results', () => {
  const style = { prefix: 'iomux-000000000000/', ports: new Set([8080]) };

  test('a_port_is_its_number_when_0_or_the_scripts_own_and_a_star_otherwise', () => {
    assert.equal(addressJson('127.0.0.1:8080', style), '127.0.0.1:8080');
    assert.equal(addressJson('127.0.0.1:0', style), '127.0.0.1:0');
    assert.equal(addressJson('127.0.0.1:43122', style), '127.0.0.1:*');
    assert.equal(addressJson('[::ffff:127.0.0.1]:51000', style), '[::ffff:127.0.0.1]:*');
    assert.equal(addressJson('@iomux-000000000000/srv', style), '@srv');
    assert.equal(addressJson('', style), '');
    assert.equal(addressJson(null, style), null);
  });

  test('the_scripts_own_ports_are_those_of_its_address_arguments', () => {
    const script = parseScript({
      steps: [
        { call: 'bind', args: [3, '127.0.0.1:8080'] },
        { call: 'connect', args: [3, '[::1]:9000'] },
        { call: 'sendto', args: [3, 'x', 0, '0.0.0.0:7'] },
        { call: 'sendto', args: [3, 'x', 0, null] },
        { call: 'bind', args: [3, '@x'] },
      ],
    });
    assert.deepEqual(
      [...scriptPorts(script)].sort((a, b) => a - b),
      [7, 8080, 9000],
    );
  });

  test('addresses_compare_by_the_sockaddr_and_a_star_matches_only_a_star', () => {
    assert.ok(sameAddress('[0:0::1]:80', '[::1]:80'));
    assert.ok(sameAddress('127.0.0.1:*', '127.0.0.1:*'));
    assert.ok(!sameAddress('127.0.0.1:*', '127.0.0.1:8080'));
    assert.ok(!sameAddress('127.0.0.1:8080', '127.0.0.1:*'));
    assert.ok(!sameAddress('127.0.0.1:*', '[::1]:*'));
    assert.ok(sameAddress(null, null));
    assert.ok(!sameAddress(null, ''));
    assert.ok(sameAddress('@a', '@a'));
    assert.deepEqual(
      mismatchedKeys(
        { ret: 0, data: 'hi', address: '[::1]:*' },
        { ret: 0, data: 'hi', address: '[::1]:*' },
        'recvfrom',
      ),
      [],
    );
    assert.deepEqual(
      mismatchedKeys(
        { value: { onoff: 1, linger: 0 } },
        { ret: 0, value: { onoff: 1, linger: 5 } },
        'sockopt',
      ),
      ['value'],
    );
  });
});

describe('the text form', () => {
  test('the_new_calls_round_trip_through_the_text_form', () => {
    const doc: JsonObject = {
      steps: [
        { call: 'socket', args: ['AF_INET6', 'SOCK_DGRAM', 'IPPROTO_UDP'], bind: 'u' },
        { call: 'bind', args: ['$u', '[::1]:9000'], expect: { ret: 0 } },
        { call: 'sendto', args: ['$u', 'ping', 'MSG_DONTWAIT', '[::1]:9000'], expect: { ret: 4 } },
        { call: 'recvfrom', args: ['$u', 8, 0], expect: { ret: 4, data: 'ping', address: '[::1]:9000' } },
        { call: 'sendto', args: ['$u', 'x', 0, null], expect: { errno: 'EDESTADDRREQ' } },
        { call: 'connect', args: ['$u', 'AF_UNSPEC'] },
        { call: 'setsockopt', args: ['$u', 'SOL_SOCKET', 'SO_LINGER', { onoff: 1, linger: 0 }] },
        { call: 'getsockopt', args: ['$u', 'SOL_SOCKET', 'SO_ERROR'], expect: { ret: 0, value: 0 } },
        { call: 'getsockname', args: ['$u'], expect: { ret: 0, address: '[::1]:*' } },
        { call: 'bind', args: ['$u', ''] },
      ],
    };
    const text = formatScriptTextForm(doc);
    assert.match(text, /recvfrom\(\$u, 8, 0\) -> \{ret: 4, data: "ping", address: "\[::1\]:9000"\}/);
    assert.deepEqual(parseScriptTextForm(text), doc);
  });
});

describe('the inet conformance scripts', () => {
  test('each_round_trips_through_the_text_form', () => {
    const dir = 'test/conformance';
    const files = readdirSync(dir).filter((f) => /^(tcp|udp|inet6)-.*\.json$/.test(f));
    assert.ok(files.length > 0);
    for (const f of files) {
      const doc = JSON.parse(readFileSync(join(dir, f), 'utf8')) as JsonObject;
      assert.deepEqual(parseScriptTextForm(formatScriptTextForm(doc)), doc, f);
      parseScript(doc);
    }
  });
});

describe('on Linux', () => {
  test('a_run_writes_addresses_by_the_port_rule_and_matches_its_expects', async () => {
    const script = parseScript({
      steps: [
        { call: 'socket', args: ['AF_INET', 'SOCK_DGRAM', 0], bind: 'r' },
        { call: 'bind', args: ['$r', '127.0.0.1:9000'] },
        { call: 'socket', args: ['AF_INET', 'SOCK_DGRAM', 0], bind: 's' },
        { call: 'sendto', args: ['$s', 'hello', 0, '127.0.0.1:9000'], expect: { ret: 5 } },
        { call: 'getsockname', args: ['$s'], expect: { ret: 0, address: '0.0.0.0:*' } },
        {
          call: 'recvfrom',
          args: ['$r', 3, 'MSG_TRUNC'],
          expect: { ret: 5, data: 'hel', address: '127.0.0.1:*' },
        },
        { call: 'getsockname', args: ['$r'], expect: { ret: 0, address: '127.0.0.1:9000' } },
        { call: 'socket', args: ['AF_UNIX', 'SOCK_DGRAM', 0], bind: 'x' },
        { call: 'bind', args: ['$x', '@srv'] },
        { call: 'getsockname', args: ['$x'], expect: { ret: 0, address: '@srv' } },
      ],
    });
    const report = await runScript(script, linuxBackend);
    assert.equal(report.failure, undefined);
    assert.equal(exitStatus(report), 0, JSON.stringify(report.outcomes.filter((o) => o.ok === false)));
    assert.deepEqual(report.outcomes[5]?.result, { ret: 5, data: 'hel', address: '127.0.0.1:*' });
  });
});
