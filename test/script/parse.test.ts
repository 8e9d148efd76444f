import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EPOLL, O } from '../../src/abi/constants.ts';
import { parseScript, parseScriptText, ScriptError } from '../../src/script/parse.ts';

/** The ScriptError a script gives; fails the test if it parses. */
function malformed(steps: unknown[], extra: object = {}): ScriptError {
  try {
    parseScript({ steps, ...extra });
  } catch (e) {
    if (e instanceof ScriptError) return e;
    throw e;
  }
  assert.fail('the script parsed');
}

const pipe = { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] };
const ep = { call: 'epoll_create1', args: [0], bind: 'ep' };

describe('parse', () => {
  test('well_formed_script_gives_typed_steps', () => {
    const s = parseScript({
      name: 'x',
      notes: 'ignored',
      steps: [
        pipe,
        ep,
        { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN|EPOLLET', data: 7 }] },
        { call: 'write', args: ['$w', { hex: '00ff' }], expect: { ret: 2 } },
      ],
    });
    assert.equal(s.name, 'x');
    assert.equal(s.steps.length, 4);
    assert.deepEqual(s.steps[0].args, [{ kind: 'int', value: O.O_NONBLOCK }]);
    assert.deepEqual(s.steps[0].bind, ['r', 'w']);
    assert.equal(s.steps[0].shape, 'pair');
    assert.deepEqual(s.steps[1].bind, ['ep']);
    assert.deepEqual(s.steps[2].args[3], {
      kind: 'event',
      value: { events: (EPOLL.EPOLLIN | EPOLL.EPOLLET) >>> 0, data: 7 },
    });
    assert.deepEqual(s.steps[2].args[0], { kind: 'fd', ref: 'ep' });
    assert.deepEqual(s.steps[3].args[1], { kind: 'bytes', value: Uint8Array.of(0, 255) });
    assert.deepEqual(s.steps[3].expect, { ret: 2 });
  });

  test('malformed_step_names_its_index', () => {
    const e = malformed([pipe, { call: 'write', args: ['$w'] }]);
    assert.equal(e.step, 1);
    assert.match(e.message, /^step 1 \(write\): write takes 2 arguments \(fd, buf\), got 1$/);
  });

  test('unknown_call_is_named_with_a_suggestion', () => {
    const e = malformed([{ call: 'epoll_wiat', args: [] }]);
    assert.equal(e.step, 0);
    assert.match(e.message, /unknown call "epoll_wiat" \(did you mean "epoll_wait"\?\)/);
  });

  test('bad_flag_word_names_the_argument_and_the_flag', () => {
    const e = malformed([
      pipe,
      ep,
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN|EPOLLFOO' }] },
    ]);
    assert.equal(e.step, 2);
    assert.match(e.message, /args\[3\] \(event\): unknown flag "EPOLLFOO"/);
  });

  test("a flag word takes a name from any table: O_NONBLOCK in epoll_create1 is the kernel's to refuse", () => {
    // Format v1.1, "Arguments": the kernel receives only bits.
    const s = parseScript({ steps: [{ call: 'epoll_create1', args: ['O_NONBLOCK'] }] });
    assert.deepEqual(s.steps[0].args, [{ kind: 'int', value: O.O_NONBLOCK }]);
    const e = malformed([{ call: 'epoll_create1', args: ['O_NONBLOCKK'] }]);
    assert.match(
      e.message,
      /args\[0\] \(flags\): unknown flag "O_NONBLOCKK" \(did you mean "O_NONBLOCK"\?\)/,
    );
  });

  test('fcntl_argument_table_depends_on_the_command', () => {
    const s = parseScript({
      steps: [
        pipe,
        { call: 'fcntl', args: ['$r', 'F_SETFL', 'O_NONBLOCK'] },
        { call: 'fcntl', args: ['$r', 'F_SETFD', 'FD_CLOEXEC'] },
        { call: 'fcntl', args: ['$r', 'F_DUPFD', 10], bind: 'd' },
      ],
    });
    assert.equal(s.steps[1].shape, 'ret');
    assert.equal(s.steps[3].shape, 'fd');
    assert.match(
      malformed([pipe, { call: 'fcntl', args: ['$r', 'F_SETFD', 'FD_CLOEXECC'] }]).message,
      /unknown flag "FD_CLOEXECC" \(did you mean "FD_CLOEXEC"\?\)/,
    );
    assert.match(
      malformed([pipe, { call: 'fcntl', args: ['$r', 'F_GETFL', 0], bind: 'x' }]).message,
      /no descriptor to bind/,
    );
  });

  test('unbound_name_is_malformed', () => {
    const e = malformed([pipe, { call: 'close', args: ['$nope'] }]);
    assert.equal(e.step, 1);
    assert.match(e.message, /args\[0\] \(fd\): \$nope is not bound by any earlier step/);
  });

  test('name_used_before_its_binding_step_is_malformed', () => {
    const e = malformed([{ call: 'close', args: ['$r'] }, pipe]);
    assert.equal(e.step, 0);
  });

  test('descriptor_without_dollar_gets_a_hint', () => {
    assert.match(malformed([pipe, { call: 'close', args: ['r'] }]).message, /did you mean "\$r"\?/);
  });

  test('bad_payload_is_malformed', () => {
    assert.match(
      malformed([pipe, { call: 'write', args: ['$w', 'h€llo'] }]).message,
      /U\+20AC at position 1 is not a byte/,
    );
    assert.match(
      malformed([pipe, { call: 'write', args: ['$w', { hex: 'abc' }] }]).message,
      /hex digit pairs/,
    );
    assert.match(
      malformed([pipe, { call: 'write', args: ['$w', { u64: 2 ** 60 }] }]).message,
      /decimal string/,
    );
    assert.match(
      malformed([pipe, { call: 'write', args: ['$w', { u64: '18446744073709551616' }] }]).message,
      /does not fit in 64 bits/,
    );
    assert.match(
      malformed([pipe, { call: 'write', args: ['$w', { fill: '', len: 3 }] }]).message,
      /non-empty/,
    );
    assert.match(
      malformed([pipe, { call: 'write', args: ['$w', { bytes: 'x' }] }]).message,
      /unknown payload form/,
    );
  });

  test('payload_forms_decode_to_bytes', () => {
    const s = parseScript({
      steps: [
        pipe,
        { call: 'write', args: ['$w', { u64: '18446744073709551614' }] },
        { call: 'write', args: ['$w', { u64: 1 }] },
        { call: 'write', args: ['$w', { fill: 'ab', len: 5 }] },
        { call: 'write', args: ['$w', '\u00ffA'] },
      ],
    });
    const bytes = s.steps.slice(1).map((st) => Array.from((st.args[1] as { value: Uint8Array }).value));
    assert.deepEqual(bytes, [
      [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      [1, 0, 0, 0, 0, 0, 0, 0],
      [97, 98, 97, 98, 97],
      [255, 65],
    ]);
  });

  test('bind_count_must_match_the_call', () => {
    assert.match(malformed([{ call: 'pipe', bind: 'p' }]).message, /list of 2 names/);
    assert.match(malformed([{ call: 'epoll_create1', args: [0], bind: ['a', 'b'] }]).message, /a name/);
    assert.match(
      malformed([pipe, { call: 'write', args: ['$w', 'x'], bind: 'n' }]).message,
      /write returns no descriptor/,
    );
    assert.match(malformed([{ call: 'pipe', bind: ['a', 'a'] }]).message, /names both descriptors "a"/);
    assert.match(malformed([{ call: 'pipe', bind: ['a', '1x'] }]).message, /is not a name/);
  });

  test('join_of_an_unknown_thread_is_malformed', () => {
    const e = malformed([pipe, { call: 'join', args: ['t1'] }]);
    assert.equal(e.step, 1);
    assert.match(e.message, /join of an unknown thread "t1"/);
  });

  test('second_join_of_a_thread_is_malformed', () => {
    const e = malformed([
      pipe,
      { call: 'read', thread: 't1', args: ['$r', 1] },
      { call: 'join', args: ['t1'] },
      { call: 'join', args: ['t1'] },
    ]);
    assert.equal(e.step, 3);
    assert.match(e.message, /no call to join/);
  });

  test('starting_a_call_on_a_thread_not_joined_is_malformed', () => {
    const e = malformed([
      pipe,
      { call: 'read', thread: 't1', args: ['$r', 1] },
      { call: 'read', thread: 't1', args: ['$r', 1] },
    ]);
    assert.equal(e.step, 2);
    assert.match(e.message, /thread "t1" is still in read from step 1: join it/);
  });

  test('names_bound_on_a_thread_count_from_its_join', () => {
    const steps = [
      { call: 'socket', args: ['AF_UNIX', 'SOCK_STREAM', 0], bind: 'l' },
      { call: 'accept4', thread: 't1', args: ['$l', 0], bind: 'c' },
      { call: 'close', args: ['$c'] },
    ];
    const e = malformed(steps);
    assert.equal(e.step, 2);
    assert.match(e.message, /bound by the call started at step 1, but only once that thread is joined/);
    const ok = parseScript({
      steps: [...steps.slice(0, 2), { call: 'join', args: ['t1'], expect: { ret: 'c' } }, steps[2]],
    });
    assert.equal(ok.steps[2].origin, 1);
    assert.equal(ok.steps[2].shape, 'fd');
    assert.equal(ok.steps[1].shape, 'started');
  });

  test('thread_keys_are_checked', () => {
    assert.match(
      malformed([pipe, { call: 'read', thread: 'main', args: ['$r', 1] }]).message,
      /"main" is the script's own/,
    );
    assert.match(
      malformed([pipe, { call: 'read', thread: 't', args: ['$r', 1], expect: { ret: 1 } }]).message,
      /put "expect" on its join step/,
    );
    assert.match(
      malformed([
        pipe,
        { call: 'read', thread: 't', args: ['$r', 1] },
        { call: 'join', thread: 'u', args: ['t'] },
      ]).message,
      /join runs on the main thread/,
    );
    assert.match(
      malformed([
        pipe,
        { call: 'read', thread: 't', args: ['$r', 1] },
        { call: 'join', args: ['t'], bind: 'x' },
      ]).message,
      /put "bind" on the step that starts the call/,
    );
  });

  test('expect_keys_must_belong_to_the_result', () => {
    const e = malformed([
      pipe,
      ep,
      { call: 'epoll_wait', args: ['$ep', 1, 0], expect: { ret: 0, event: [] } },
    ]);
    assert.equal(e.step, 2);
    assert.match(e.message, /expect\.event: not part of this call's result/);
    assert.match(
      malformed([{ call: 'pipe', expect: { errno: 'EWOULDBLOCK' } }]).message,
      /unknown errno "EWOULDBLOCK"/,
    );
    assert.match(
      malformed([{ call: 'pipe', expect: { errno: 'EMFILE', ret: 0 } }]).message,
      /only its errno/,
    );
    assert.match(
      malformed([
        pipe,
        { call: 'poll', args: [[{ fd: '$r', events: 'POLLIN' }], 0], expect: { revents: ['EPOLLIN'] } },
      ]).message,
      /expect\.revents: unknown flag "EPOLLIN"/,
    );
    assert.match(
      malformed([pipe, { call: 'dup', args: ['$r'], expect: { ret: 'zz' } }]).message,
      /"zz" is not a name/,
    );
  });

  test('expect_may_name_the_descriptor_the_step_binds', () => {
    const s = parseScript({
      steps: [{ call: 'epoll_create1', args: [0], bind: 'ep', expect: { ret: 'ep' } }],
    });
    assert.deepEqual(s.steps[0].expect, { ret: 'ep' });
  });

  test('unordered_applies_only_to_epoll_events', () => {
    assert.match(
      malformed([pipe, { call: 'read', args: ['$r', 1], unordered: true }]).message,
      /only to epoll's events/,
    );
    parseScript({ steps: [pipe, ep, { call: 'epoll_wait', args: ['$ep', 2, 0], unordered: true }] });
  });

  test('unknown_step_key_is_malformed_with_a_suggestion', () => {
    assert.match(
      malformed([{ call: 'pipe', expected: { ret: 0 } }]).message,
      /unknown step key "expected" \(did you mean "expect"\?\)/,
    );
    parseScript({ steps: [{ call: 'pipe', note: 'free text' }] });
  });

  test('select_arguments_parse', () => {
    const s = parseScript({
      steps: [pipe, { call: 'select', args: ['max+1', ['$r', 5000], null, [], { sec: 0, usec: -1 }] }],
    });
    assert.deepEqual(s.steps[1].args, [
      { kind: 'nfds', value: 'max+1' },
      { kind: 'fdset', value: ['r', 5000] },
      { kind: 'fdset', value: null },
      { kind: 'fdset', value: [] },
      { kind: 'timeval', value: { sec: 0, usec: -1 } },
    ]);
    assert.match(
      malformed([{ call: 'select', args: [1, [-1], null, null, null] }]).message,
      /\[0\]: -1 is out of range/,
    );
    assert.match(
      malformed([{ call: 'select', args: [1, null, null, null, { sec: 1 }] }]).message,
      /"usec" must be an integer/,
    );
  });

  test('integers_are_range_checked', () => {
    assert.match(malformed([pipe, { call: 'read', args: ['$r', -1] }]).message, /-1 is out of range/);
    assert.match(
      malformed([pipe, { call: 'read', args: ['$r', 1.5] }]).message,
      /expected an integer, got 1.5/,
    );
    assert.match(
      malformed([{ call: 'open', args: ['/etc/passwd', 'O_RDONLY'] }]).message,
      /"\/dev\/null" or "tmpfile"/,
    );
    assert.match(
      malformed([{ call: 'socket', args: ['AF_INETT', 'SOCK_STREAM', 0] }]).message,
      /unknown flag "AF_INETT"/,
    );
  });

  test('invalid_json_names_line_and_column', () => {
    assert.throws(
      () => parseScriptText('{\n  "steps": [,]\n}'),
      (e: unknown) => {
        assert.ok(e instanceof ScriptError);
        assert.equal(e.message, 'not valid JSON: line 2, column 13: expected a value, found ","');
        return true;
      },
    );
  });

  test('json_error_locator_finds_the_first_offence', () => {
    const cases: [string, string][] = [
      ['{"a": 1,}', 'line 1, column 9: expected a key in double quotes, found "}"'],
      ['{"a" 1}', 'line 1, column 6: expected ":", found "1"'],
      ['[1 2]', 'line 1, column 4: expected "," or "]", found "2"'],
      ['{"steps": [\n  {"call": "pipe"}\n', 'line 3, column 1: expected "," or "]", found end of input'],
      [
        '"a\\x"',
        'line 1, column 4: expected an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found "x"',
      ],
      ['{} x', 'line 1, column 4: expected end of input after the value, found "x"'],
      ["{'a': 1}", 'line 1, column 2: expected a key in double quotes, found "\'"'],
    ];
    for (const [text, where] of cases) {
      assert.throws(
        () => parseScriptText(text),
        (e: unknown) => e instanceof ScriptError && e.message === `not valid JSON: ${where}`,
        text,
      );
    }
  });

  test('top_level_shape_is_checked', () => {
    assert.throws(() => parseScript([]), /a script is a JSON object with "steps"/);
    assert.throws(() => parseScript({ steps: {} }), /"steps" must be a list/);
    assert.throws(() => parseScript({ name: 3, steps: [] }), /"name" must be a string/);
    assert.match(malformed(['pipe']).message, /^step 0: a step must be an object/);
  });

  test('every_call_in_the_format_table_parses', () => {
    const s = parseScript({
      steps: [
        { call: 'pipe', bind: ['r', 'w'] },
        { call: 'pipe2', args: ['O_NONBLOCK|O_CLOEXEC'], bind: ['r2', 'w2'] },
        { call: 'socketpair', args: ['AF_UNIX', 'SOCK_STREAM|SOCK_NONBLOCK', 0], bind: ['a', 'b'] },
        { call: 'socket', args: ['AF_UNIX', 'SOCK_SEQPACKET', 0], bind: 's' },
        { call: 'bind', args: ['$s', '@x'] },
        { call: 'listen', args: ['$s', 5] },
        { call: 'connect', args: ['$a', '@x'] },
        { call: 'accept4', args: ['$s', 'SOCK_CLOEXEC'], bind: 'c' },
        { call: 'eventfd', args: [1, 'EFD_NONBLOCK|EFD_SEMAPHORE'], bind: 'e' },
        { call: 'open', args: ['tmpfile', 'O_RDWR'], bind: 'f' },
        { call: 'epoll_create', args: [1], bind: 'ep' },
        { call: 'epoll_create1', args: ['EPOLL_CLOEXEC'], bind: 'ep1' },
        { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_DEL', '$r', null] },
        { call: 'epoll_wait', args: ['$ep', 8, -1] },
        {
          call: 'poll',
          args: [
            [
              { fd: '$r', events: 'POLLIN' },
              { fd: -1, events: 0 },
            ],
            10,
          ],
        },
        { call: 'select', args: [4, ['$r'], ['$w'], null, null] },
        { call: 'read', args: ['$r', 10] },
        { call: 'write', args: ['$w', 'x'] },
        { call: 'shutdown', args: ['$a', 'SHUT_WR'] },
        { call: 'fcntl_setfl', args: ['$r', 'O_NONBLOCK'] },
        { call: 'dup', args: ['$r'], bind: 'd' },
        { call: 'close', args: ['$d'] },
        { call: 'sleep', args: [10] },
        { call: 'dup2', args: ['$r', 100], bind: 'd2' },
        { call: 'dup3', args: ['$r', '$d2', 'O_CLOEXEC'] },
        { call: 'ioctl_fionread', args: ['$r'] },
        { call: 'epoll_pwait2', args: ['$ep', 1, { sec: 0, nsec: 5 }] },
        { call: 'timerfd_create', args: ['CLOCK_MONOTONIC', 'TFD_NONBLOCK'], bind: 't' },
        {
          call: 'timerfd_settime',
          args: ['$t', 0, { interval: { sec: 0, nsec: 0 }, value: { sec: 1, nsec: 0 } }],
          expect: { ret: 0, old: { interval: { sec: 0, nsec: 0 }, value: { sec: 0, nsec: 0 } } },
        },
        { call: 'timerfd_gettime', args: ['$t'] },
      ],
    });
    assert.equal(s.steps.length, 30);
  });
});
