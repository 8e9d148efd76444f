import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { EPOLL } from '../../src/abi/constants.ts';
import { FLAG_TABLES, formatMask } from '../../src/abi/flags.ts';
import { type CompareOptions, matches, mismatchedKeys, sameMask } from '../../src/script/compare.ts';

const names: Record<string, number> = { r: 3, w: 4, ep: 5, alias: 3 };
const fdOf = (n: string) => names[n];
const withNames: CompareOptions = { fdOf };

describe('compare', () => {
  test('only_the_keys_expect_lists_are_compared', () => {
    const actual = { ret: 1, events: [{ events: 'EPOLLIN', data: 7 }] };
    assert.ok(matches({ ret: 1 }, actual, 'events'));
    assert.ok(matches({}, actual, 'events'));
    assert.deepEqual(mismatchedKeys({ ret: 2, events: [] }, actual, 'events'), ['ret', 'events']);
  });

  test('masks_compare_by_value', () => {
    const actual = { ret: 1, events: [{ events: 'EPOLLIN|EPOLLOUT', data: 0 }] };
    for (const written of [
      'EPOLLOUT|EPOLLIN',
      'EPOLLIN|EPOLLOUT',
      '0x5',
      5,
      'EPOLLIN|0x4',
      ' EPOLLIN | EPOLLOUT ',
    ]) {
      assert.ok(matches({ events: [{ events: written, data: 0 }] }, actual, 'events'), String(written));
    }
    assert.ok(!matches({ events: [{ events: 'EPOLLIN', data: 0 }] }, actual, 'events'));
    assert.ok(
      matches({ revents: ['POLLOUT|POLLIN', '0'] }, { ret: 1, revents: ['POLLIN|POLLOUT', '0'] }, 'revents'),
    );
    assert.ok(!matches({ revents: ['POLLIN'] }, { ret: 1, revents: ['POLLIN', '0'] }, 'revents'));
  });

  test('mask_names_come_from_the_right_table', () => {
    // EPOLLIN and POLLIN are both 1, but a word parses only against its own table.
    assert.ok(!sameMask('EPOLLIN', 'POLLIN', FLAG_TABLES.poll));
    assert.ok(sameMask('POLLIN', 1, FLAG_TABLES.poll));
    assert.ok(!sameMask('NOT_A_FLAG', 'NOT_A_FLAG', FLAG_TABLES.poll));
  });

  test('any_epoll_mask_formats_to_a_word_that_compares_equal', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (m, other) => {
          const word = formatMask(m, FLAG_TABLES.epoll);
          assert.ok(sameMask(word, m, FLAG_TABLES.epoll));
          assert.equal(sameMask(word, other, FLAG_TABLES.epoll), m >>> 0 === other >>> 0);
        },
      ),
    );
  });

  test('unordered_compares_events_as_multiset', () => {
    const actual = {
      ret: 3,
      events: [
        { events: 'EPOLLIN', data: 1 },
        { events: 'EPOLLOUT', data: 2 },
        { events: 'EPOLLIN', data: 1 },
      ],
    };
    const permuted = {
      events: [
        { events: 'EPOLLOUT', data: 2 },
        { events: 'EPOLLIN', data: 1 },
        { events: '0x1', data: 1 },
      ],
    };
    assert.ok(matches(permuted, actual, 'events', { unordered: true }));
    assert.ok(!matches(permuted, actual, 'events'), 'order matters without unordered');
    // Multiset, not set: the duplicate must appear as often in both.
    const collapsed = {
      events: [
        { events: 'EPOLLOUT', data: 2 },
        { events: 'EPOLLOUT', data: 2 },
        { events: 'EPOLLIN', data: 1 },
      ],
    };
    assert.ok(!matches(collapsed, actual, 'events', { unordered: true }));
    assert.ok(!matches({ events: permuted.events.slice(1) }, actual, 'events', { unordered: true }));
  });

  test('event_data_must_match', () => {
    const actual = { ret: 1, events: [{ events: 'EPOLLIN', data: 7 }] };
    assert.ok(!matches({ events: [{ events: 'EPOLLIN', data: 8 }] }, actual, 'events'));
    assert.ok(!matches({ events: [{ events: 'EPOLLIN', data: 8 }] }, actual, 'events', { unordered: true }));
  });

  test('descriptors_compare_by_name', () => {
    assert.ok(matches({ ret: 'ep' }, { ret: 'ep' }, 'fd'));
    assert.ok(matches({ ret: '$ep' }, { ret: 'ep' }, 'fd'));
    assert.ok(!matches({ ret: 'r' }, { ret: 'ep' }, 'fd'));
    assert.ok(matches({ ret: 7 }, { ret: 7 }, 'fd'));
    assert.ok(!matches({ ret: 7 }, { ret: 'ep' }, 'fd'), 'a number and a name differ without bindings');
  });

  test('a_name_and_a_number_for_the_same_descriptor_match', () => {
    assert.ok(matches({ ret: 5 }, { ret: 'ep' }, 'fd', withNames));
    assert.ok(matches({ ret: 'alias' }, { ret: 'r' }, 'fd', withNames));
    assert.ok(!matches({ ret: 4 }, { ret: 'ep' }, 'fd', withNames));
    assert.ok(matches({ fds: ['r', 4] }, { ret: 0, fds: ['r', 'w'] }, 'pair', withNames));
  });

  test('ret_of_a_plain_call_compares_as_a_number', () => {
    assert.ok(matches({ ret: 5 }, { ret: 5 }, 'ret'));
    assert.ok(!matches({ ret: 'ep' }, { ret: 5 }, 'ret', withNames), 'a plain ret is not a descriptor');
  });

  test('errno_compares_by_name_and_fails_against_success', () => {
    assert.ok(matches({ errno: 'EBADF' }, { errno: 'EBADF' }, 'ret'));
    assert.ok(!matches({ errno: 'EBADF' }, { errno: 'EINVAL' }, 'ret'));
    assert.ok(!matches({ errno: 'EAGAIN' }, { ret: 0 }, 'ret'));
    assert.deepEqual(mismatchedKeys({ ret: 0 }, { errno: 'EAGAIN' }, 'ret'), ['ret']);
  });

  test('select_sets_compare_as_sets_and_null_only_equals_null', () => {
    const actual = { ret: 2, readfds: ['r', 'w'], writefds: [], exceptfds: null, timeout: null };
    assert.ok(matches({ readfds: ['w', 'r'] }, actual, 'select'));
    assert.ok(matches({ readfds: [4, 3] }, actual, 'select', withNames));
    assert.ok(!matches({ readfds: ['r'] }, actual, 'select'));
    assert.ok(matches({ writefds: [] }, actual, 'select'));
    assert.ok(!matches({ writefds: null }, actual, 'select'));
    assert.ok(!matches({ exceptfds: [] }, actual, 'select'));
    assert.ok(matches({ exceptfds: null }, actual, 'select'));
  });

  test('select_timeout_is_compared_only_where_given', () => {
    const actual = {
      ret: 0,
      readfds: [],
      writefds: null,
      exceptfds: null,
      timeout: { sec: 1, usec: 999_000 },
    };
    assert.ok(matches({ ret: 0, readfds: [] }, actual, 'select'));
    assert.ok(matches({ timeout: { sec: 1, usec: 999_000 } }, actual, 'select'));
    assert.ok(!matches({ timeout: { sec: 2, usec: 0 } }, actual, 'select'));
    assert.ok(!matches({ timeout: null }, actual, 'select'));
  });

  test('data_compares_as_bytes_in_any_payload_form', () => {
    const actual = { ret: 3, data: 'xxx' };
    assert.ok(matches({ data: 'xxx' }, actual, 'read'));
    assert.ok(matches({ data: { fill: 'x', len: 3 } }, actual, 'read'));
    assert.ok(matches({ data: { hex: '787878' } }, actual, 'read'));
    assert.ok(!matches({ data: { fill: 'x', len: 4 } }, actual, 'read'));
    assert.ok(matches({ data: { u64: 1 } }, { ret: 8, data: '\u0001\0\0\0\0\0\0\0' }, 'read'));
  });

  test('timer_values_compare_as_structures', () => {
    const zero = { sec: 0, nsec: 0 };
    const actual = { ret: 0, value: { interval: zero, value: zero } };
    assert.ok(matches({ value: { interval: zero, value: zero } }, actual, 'gettime'));
    assert.ok(!matches({ value: { interval: zero, value: { sec: 1, nsec: 0 } } }, actual, 'gettime'));
  });

  test('a_missing_actual_key_is_a_mismatch', () => {
    assert.deepEqual(mismatchedKeys({ events: [] }, { ret: 0 }, 'events'), ['events']);
  });

  test('epollet_high_bit_compares_unsigned', () => {
    const et = formatMask(EPOLL.EPOLLIN | EPOLL.EPOLLET, FLAG_TABLES.epoll);
    assert.equal(et, 'EPOLLIN|EPOLLET');
    assert.ok(sameMask(et, '0x80000001', FLAG_TABLES.epoll));
    assert.ok(sameMask(et, EPOLL.EPOLLIN | EPOLL.EPOLLET | 0, FLAG_TABLES.epoll));
  });
});
