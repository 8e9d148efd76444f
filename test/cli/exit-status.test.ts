// Every command exits with each status its help names, and with no other: the help's
// "Exit status:" line is the contract, and each status it lists has a case here that gives it.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Backend, ProcessHandle } from '../../src/api/backend.ts';
import { failed } from '../../src/api/syscalls.ts';
import { COMMANDS } from '../../src/cli/cli.ts';
import { simBackend } from '../../src/kernel/index.ts';
import { linuxBackend, linuxBackendAvailable } from '../../src/linux/index.ts';
import { FakeBackend } from '../script/fake-backend.ts';
import { type CliOptions, cli, refusing, scriptDir } from './helpers.ts';

const script = scriptDir();
const pipe = { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] };
const good = script('good.json', [pipe, { call: 'write', args: ['$w', 'hi'], expect: { ret: 2 } }]);
const mismatch = script('mismatch.json', [pipe, { call: 'write', args: ['$w', 'hi'], expect: { ret: 3 } }]);
const malformed = script('malformed.json', [{ call: 'frob' }]);
const forever = script('forever.json', [
  { call: 'pipe', bind: ['r', 'w'] },
  { call: 'read', args: ['$r', 1] },
]);
const closes = script('closes.json', [pipe, { call: 'close', args: ['$w'], expect: { ret: 0 } }]);
const epoll = script('epoll.json', [
  pipe,
  { call: 'epoll_create1', args: [0], bind: 'ep' },
  { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$w', { events: 'EPOLLOUT', data: 1 }] },
  { call: 'epoll_wait', args: ['$ep', 8, 0] },
]);
const clock = script('clock.json', [{ call: 'timerfd_create', args: ['CLOCK_REALTIME', 0] }]);
const out = (name: string) => join(script('x.json', []), '..', name);

/** The fake, refusing close (Unsupported): a call the kernel does not model. */
const refusesClose = (name: 'sim' | 'linux') => refusing(new FakeBackend({ name }), 'close');
/** The simulated kernel, except that a close that succeeds returns 7: the examples' expects fail. */
const closeReturns7: Backend = {
  name: 'sim',
  async createProcess(): Promise<ProcessHandle> {
    const p = await simBackend.createProcess();
    return {
      tid: (name) => p.tid(name),
      caught: (sig) => p.caught(sig),
      thread: (name) => {
        const sys = p.thread(name);
        const close = async (fd: number) => {
          const r = await sys.close(fd);
          return failed(r) ? r : { ret: 7 };
        };
        return Object.assign(Object.create(sys), { close });
      },
      wait: (c) => p.wait(c),
      settle: () => p.settle(),
      close: () => p.close(),
    };
  },
};

type Case = [status: number, argv: string[], opts?: CliOptions];
const sim: CliOptions = { backends: { sim: simBackend } };

const CASES: Record<string, Case[]> = {
  run: [
    [0, ['run', good]],
    [1, ['run', mismatch]],
    [2, ['run', malformed]],
    [2, ['run', forever]],
    [2, ['run', closes], { backends: { sim: refusesClose('sim') } }],
    [2, ['run', good], { backends: { sim: { failCreate: true } } }],
    [2, ['run', '--frob', good]],
  ],
  diff: [
    [0, ['diff', good]],
    [1, ['diff', epoll], { backends: { linux: { epollExtra: 0x100 } } }],
    [2, ['diff', malformed]],
    [2, ['diff', forever], {}], // both kernels stop at the same step: identical, not finished
    [2, ['diff', closes], { backends: { sim: refusesClose('sim') } }],
    [2, ['diff', good], { backends: { linux: { failCreate: true } } }],
    [2, ['diff']],
  ],
  record: [
    [0, ['record', good, '--out', out('recorded.json')]],
    [2, ['record', malformed, '--out', out('never1.json')]],
    [2, ['record', forever, '--out', out('never2.json')]],
    [2, ['record', closes, '--out', out('never3.json')], { backends: { linux: refusesClose('linux') } }],
    [2, ['record', good]],
  ],
  fmt: [
    [0, ['fmt', good]],
    [2, ['fmt', malformed]],
    [2, ['fmt', good, good]],
  ],
  trace: [
    [0, ['trace', good]],
    [1, ['trace', mismatch]],
    [2, ['trace', malformed]],
    [2, ['trace', forever]],
    [2, ['trace', clock]],
    [2, ['trace', good, good]],
  ],
  play: [
    [0, ['play', '--help']],
    [2, ['play', '--port', 'x']],
    [2, ['play', '--root', '/nonexistent/iomux-web']],
  ],
  demo: [
    [0, ['demo', '--json'], sim],
    [1, ['demo', '--json'], { backends: { sim: closeReturns7 } }],
    [2, ['demo'], { backends: { sim: { failCreate: true } } }],
    [2, ['demo', 'x']],
  ],
  bench: [
    [0, ['bench', '--help']],
    [2, ['bench', '--frob']],
  ],
  version: [
    [0, ['version']],
    [2, ['version', 'x']],
  ],
  help: [
    [0, ['help', 'run']],
    [2, ['help', 'frob']],
  ],
};

/** The statuses a help text's "Exit status:" line names. */
function documented(help: string): number[] {
  const at = help.indexOf('Exit status:');
  assert.ok(at >= 0, `no "Exit status:" in\n${help}`);
  const text = help.slice(at).split('\n\n')[0];
  return [...text.matchAll(/(?:Exit status:|,) ([0-2]) /g)].map((m) => Number(m[1]));
}

describe('exit statuses', () => {
  test('every_command_has_cases', () => {
    assert.deepEqual(Object.keys(CASES).sort(), Object.keys(COMMANDS).sort());
  });

  for (const [name, cases] of Object.entries(CASES)) {
    test(`${name}_exits_with_each_status_its_help_names_and_no_other`, async () => {
      const help = (await cli(['help', name])).stdout;
      const given = [...new Set(cases.map(([status]) => status))].sort();
      assert.deepEqual(given, documented(help), `${name}: the cases cover exactly the statuses in its help`);
      for (const [status, argv, opts] of cases) {
        const r = await cli(argv, opts);
        assert.equal(r.status, status, `${argv.join(' ')}\n${r.stdout}${r.stderr}`);
      }
    });
  }

  test('no_command_prints_help_and_exits_2', async () => {
    assert.equal((await cli([])).status, 2);
  });

  test('diff_says_when_both_kernels_stopped_and_why', async () => {
    const r = await cli(['diff', forever]);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /: identical on sim and linux until both stopped\n/);
    assert.match(r.stdout, /both stopped at step 1: blocks-forever/);
    const j = await cli(['diff', '--json', forever]);
    assert.equal(j.status, 2);
    assert.equal(j.stdout, '', 'no step differs');
    assert.match(j.stderr, /forever\.json: sim: step 1 \(read\): blocks forever/);
    assert.match(j.stderr, /forever\.json: linux: step 1 \(read\): blocks forever/);
  });
});

// The two cases, on the real kernels.
describe('exit statuses on the real kernels', {
  skip: !linuxBackendAvailable() && 'no Linux backend',
}, () => {
  const real: CliOptions = { backends: { sim: simBackend, linux: linuxBackend } };

  test('diff_of_a_call_the_model_does_not_implement_exits_2', async () => {
    const r = await cli(['diff', clock], real);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /sim {4}stopped: timerfd_create: unsupported: clock CLOCK_REALTIME/);
  });

  test('diff_of_a_script_that_deadlocks_on_both_kernels_exits_2_as_run_does', async () => {
    const r = await cli(['diff', forever], real);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal((await cli(['run', forever], real)).status, 2);
  });
});
