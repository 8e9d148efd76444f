// A misspelt flag gets a "did you mean", as a misspelt call name does.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScript, ScriptError } from '../../src/script/parse.ts';

function message(steps: unknown[]): string {
  try {
    parseScript({ steps });
  } catch (e) {
    if (e instanceof ScriptError) return e.message;
    throw e;
  }
  assert.fail('the script parsed');
}

const pipe = { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] };
const ep = { call: 'epoll_create1', args: [0], bind: 'ep' };

test('a_flag_one_typo_away_is_suggested', () => {
  assert.equal(
    message([
      pipe,
      ep,
      { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN|EPOLLETT' }] },
    ]),
    'step 2 (epoll_ctl): args[3] (event): unknown flag "EPOLLETT" (did you mean "EPOLLET"?)',
  );
  assert.equal(
    message([{ call: 'pipe2', args: ['O_NONBLOK'] }]),
    'step 0 (pipe2): args[0] (flags): unknown flag "O_NONBLOK" (did you mean "O_NONBLOCK"?)',
  );
  assert.equal(
    message([{ call: 'epoll_ctl', args: [3, 'EPOLL_CTL_ADDD', 4, null] }]),
    'step 0 (epoll_ctl): args[1] (op): unknown flag "EPOLL_CTL_ADDD" (did you mean "EPOLL_CTL_ADD"?)',
  );
});

test('a_flag_in_the_wrong_case_is_suggested_in_linux_case', () => {
  assert.match(
    message([{ call: 'pipe2', args: ['o_cloexec'] }]),
    /unknown flag "o_cloexec" \(did you mean "O_CLOEXEC"\?\)/,
  );
});

test('a_flag_in_an_expect_is_suggested_too', () => {
  assert.match(
    message([
      pipe,
      { call: 'poll', args: [[{ fd: '$r', events: 'POLLIN' }], 0], expect: { revents: ['POLLINN'] } },
    ]),
    /unknown flag "POLLINN" \(did you mean "POLLIN"\?\)/,
  );
});

test('a_flag_far_from_every_name_lists_the_argument_s_own_names', () => {
  assert.match(
    message([{ call: 'epoll_create1', args: ['NONBLOCKING_PLEASE'] }]),
    /unknown flag "NONBLOCKING_PLEASE" \(no table knows it; this argument's names: EPOLL_CLOEXEC\)$/,
  );
});
