// Any name in any symbolic argument (format v1.1, "Arguments"): the kernel receives only bits, so
// a name from any table, or raw bits, is a question for the kernel; only a name no table knows is
// malformed. Names mean one value across tables; results still use their own kind's names.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AF, EPOLL, O, SOCK } from '../../src/abi/constants.ts';
import { ANY_NAME, NAME_TABLES } from '../../src/abi/flags.ts';
import { SIG, SIGRTMAX, SIGRTMIN, signalName, signalNumber } from '../../src/abi/signal.ts';
import type { Backend } from '../../src/api/backend.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { linuxBackend, linuxUnavailableReason } from '../../src/linux/index.ts';
import { parseScript } from '../../src/script/parse.ts';
import { runScript } from '../../src/script/run.ts';
import { RecordingBackend } from './recording-backend.ts';

describe('names across tables', () => {
  test('every name means one value in every table that has it', () => {
    let names = 0;
    for (const [kind, table] of Object.entries(NAME_TABLES)) {
      for (const [name, value] of Object.entries(table)) {
        assert.equal(ANY_NAME[name] >>> 0, value >>> 0, `${name} in ${kind}`);
        names++;
      }
    }
    // Shared names really are shared (O_NONBLOCK is in open, pipe and fcntl), so the check bites.
    assert.ok(names > Object.keys(ANY_NAME).length);
    assert.equal(ANY_NAME.SOCK_NONBLOCK, O.O_NONBLOCK);
    assert.equal(ANY_NAME.SFD_CLOEXEC, O.O_CLOEXEC);
  });

  test('no name is a property every object has', () => {
    assert.equal(Object.hasOwn(ANY_NAME, 'constructor'), false);
    assert.match(
      (() => {
        try {
          parseScript({ steps: [{ call: 'pipe2', args: ['constructor'] }] });
          return 'parsed';
        } catch (e) {
          return (e as Error).message;
        }
      })(),
      /unknown flag "constructor"/,
    );
  });

  test('signal names and numbers agree both ways, real-time ones counted from the nearer end', () => {
    for (let sig = 1; sig <= SIGRTMAX; sig++) {
      const name = signalName(sig);
      assert.equal(signalNumber(name), sig, name);
      assert.equal(ANY_NAME[name], sig, name);
    }
    assert.equal(signalName(SIGRTMIN + 16), 'SIGRTMIN+16');
    assert.equal(signalName(SIGRTMIN + 17), 'SIGRTMAX-15');
    assert.equal(signalNumber('SIGRTMIN+32'), 64);
    assert.equal(signalNumber('SIGRTMAX-32'), 32);
    assert.equal(signalNumber('SIGIOT'), SIG.SIGABRT);
    assert.equal(signalNumber('SIGRTMIN+33'), undefined);
    assert.equal(signalNumber('SIGRTMIN+01'), 33);
    assert.equal(signalName(0), '0');
  });
});

describe('any name in any argument', () => {
  test('a name from another table, or raw bits, reaches the call as its bits', async () => {
    const backend = new RecordingBackend((c) =>
      c.call === 'socketpair' || c.call === 'pipe2'
        ? { ret: 0, fds: [3, 4] }
        : c.call === 'sigprocmask'
          ? { ret: 0, old: [] }
          : { ret: 3 },
    );
    const report = await runScript(
      parseScript({
        steps: [
          { call: 'epoll_create1', args: ['O_NONBLOCK'] },
          { call: 'eventfd', args: [0, 'O_RDWR'] },
          { call: 'socketpair', args: ['AF_INET', 'SOCK_STREAM', 0] },
          { call: 'socket', args: ['SIGINT', 'EPOLLIN', 'SHUT_RDWR'] },
          { call: 'pipe2', args: ['0x80000|EPOLLET'] },
          { call: 'kill', args: ['EPOLL_CTL_MOD'] },
          { call: 'sigprocmask', args: ['SHUT_WR', ['POLLIN', 'EPOLL_CTL_MOD']] },
          { call: 'fcntl', args: [0, 'F_GETLK', 'SA_RESTART'] },
        ],
      }),
      backend,
    );
    assert.equal(report.failure, undefined, report.failure?.message);
    assert.deepEqual(
      backend.calls.map((c) => [c.call, ...c.args]),
      [
        ['epoll_create1', O.O_NONBLOCK],
        ['eventfd', 0, O.O_RDWR],
        ['socketpair', AF.AF_INET, SOCK.SOCK_STREAM, 0],
        ['socket', 2, EPOLL.EPOLLIN, 2],
        ['pipe2', (0x80000 | EPOLL.EPOLLET) >>> 0],
        ['kill', 3],
        ['sigprocmask', 1, [1, 3]],
        ['fcntl', 0, 5, 0x10000000],
      ],
    );
  });

  const backends: [string, () => Backend, string | undefined][] = [
    ['the simulated kernel', () => simBackend, undefined],
    ['linux', () => linuxBackend, linuxUnavailableReason() ?? undefined],
  ];
  for (const [name, backend, skip] of backends) {
    test(`the kernel answers a name from another table (${name})`, { skip }, async () => {
      const report = await runScript(
        parseScript({
          steps: [
            // Linux: do_epoll_create takes only EPOLL_CLOEXEC; eventfd2 only EFD_* bits.
            { call: 'epoll_create1', args: ['O_NONBLOCK'], expect: { errno: 'EINVAL' } },
            { call: 'eventfd', args: [0, 'O_RDWR'], expect: { errno: 'EINVAL' } },
            // EPOLL_CLOEXEC is O_CLOEXEC: a pipe2 flag under another name.
            { call: 'pipe2', args: ['EPOLL_CLOEXEC'], bind: ['r', 'w'], expect: { ret: 0 } },
            { call: 'fcntl', args: ['$r', 'F_GETFD', 0], expect: { ret: 1 } },
          ],
        }),
        backend(),
      );
      assert.equal(report.failure, undefined, report.failure?.message);
      assert.deepEqual(
        report.outcomes.map((o) => o.ok),
        [true, true, true, true],
        JSON.stringify(report.outcomes.map((o) => o.result)),
      );
    });
  }

  test("results render each mask with its own kind's names", async () => {
    const report = await runScript(
      parseScript({
        steps: [
          { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
          { call: 'epoll_create1', args: [0], bind: 'ep' },
          // POLLOUT's bits in an epoll event: the result still says EPOLLOUT.
          { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$w', { events: 'POLLOUT', data: 1 }] },
          { call: 'epoll_wait', args: ['$ep', 1, 0] },
          { call: 'poll', args: [[{ fd: '$w', events: 'EPOLLOUT' }], 0] },
        ],
      }),
      simBackend,
    );
    assert.deepEqual(report.outcomes[3].result, { ret: 1, events: [{ events: 'EPOLLOUT', data: 1 }] });
    assert.deepEqual(report.outcomes[4].result, { ret: 1, revents: ['POLLOUT'] });
  });

  test("an expected mask still takes only its own kind's names", () => {
    assert.throws(
      () =>
        parseScript({
          steps: [
            { call: 'pipe2', args: [0], bind: ['r', 'w'] },
            { call: 'poll', args: [[{ fd: '$w', events: 'POLLOUT' }], 0], expect: { revents: ['EPOLLOUT'] } },
          ],
        }),
      /expect\.revents: unknown flag "EPOLLOUT"/,
    );
  });
});
