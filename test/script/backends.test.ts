// The runner on the real backends: the contract (wait, settle, the promise a call returns) as the
// simulated kernel and the Linux backend implement it, not as the fake does.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend } from '../../src/api/backend.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { linuxBackend, linuxUnavailableReason } from '../../src/linux/index.ts';
import { parseScript } from '../../src/script/parse.ts';
import { exitStatus, runScript } from '../../src/script/run.ts';

const example = parseScript({
  steps: [
    { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
    { call: 'epoll_create1', args: [0], bind: 'ep' },
    {
      call: 'epoll_ctl',
      args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN', data: 7 }],
      expect: { ret: 0 },
    },
    { call: 'write', args: ['$w', 'hello'], expect: { ret: 5 } },
    { call: 'epoll_wait', args: ['$ep', 8, 0], expect: { ret: 1, events: [{ events: 'EPOLLIN', data: 7 }] } },
    { call: 'epoll_wait', args: ['$ep', 8, 0], expect: { ret: 1, events: [{ events: 'EPOLLIN', data: 7 }] } },
  ],
});

const threads = parseScript({
  steps: [
    { call: 'pipe', bind: ['r', 'w'] },
    { call: 'read', thread: 't1', args: ['$r', 10] },
    { call: 'write', args: ['$w', 'ping'], expect: { ret: 4 } },
    { call: 'join', args: ['t1'], expect: { ret: 4, data: 'ping' } },
    { call: 'write', args: ['$w', 'x'], expect: { ret: 1 } },
    { call: 'read', thread: 't1', args: ['$r', 10] },
    { call: 'join', args: ['t1'], expect: { ret: 1, data: 'x' } },
  ],
});

const blocksForever = parseScript({
  steps: [
    { call: 'pipe', bind: ['r', 'w'] },
    { call: 'read', args: ['$r', 1] },
  ],
});

const linuxSkip = linuxUnavailableReason() ?? false;

for (const [backend, skip] of [
  [simBackend, false],
  [linuxBackend, linuxSkip],
] as [Backend, string | false][]) {
  describe(`runner on ${backend.name}`, { skip }, () => {
    test('the_format_example_matches_every_expect', async () => {
      const report = await runScript(example, backend);
      assert.equal(report.failure, undefined);
      assert.equal(exitStatus(report), 0);
    });

    test('a_blocked_thread_call_is_reported_blocked_and_joined', async () => {
      const report = await runScript(threads, backend);
      assert.equal(report.failure, undefined, report.failure?.message);
      assert.deepEqual(report.outcomes[1].result, { blocked: true });
      assert.deepEqual(report.outcomes[5].result, { blocked: false }, 'data was waiting: the read returned');
      assert.equal(exitStatus(report), 0);
    });

    test('a_call_that_can_never_return_stops_the_run', async () => {
      const report = await runScript(blocksForever, backend);
      assert.equal(report.failure?.step, 1);
      assert.equal(report.failure?.kind, 'blocks-forever');
    });
  });
}
