// The format v1.1 signal calls in scripts: how each step maps onto `Syscalls` (signals by the
// kernel's numbers, sets, optional masks, tgkill's thread as a tid), how results name signals, how
// expects compare them, what is malformed, and a run ended by ProcessKilled.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { O } from '../../src/abi/constants.ts';
import { SA, SIGNALFD_SIGINFO_SIZE } from '../../src/abi/signal.ts';
import { ProcessKilled } from '../../src/api/backend.ts';
import { Unsupported } from '../../src/api/syscalls.ts';
import { compareRuns } from '../../src/script/diff.ts';
import { failureJson, renderFailure } from '../../src/script/output.ts';
import { parseScript, ScriptError } from '../../src/script/parse.ts';
import { exitStatus, runScript } from '../../src/script/run.ts';
import { stableResult } from '../../src/script/stable.ts';
import { formatScriptTextForm, parseScriptTextForm } from '../../src/script/text.ts';
import type { Json, JsonObject } from '../../src/script/values.ts';
import { type Recorded, RecordingBackend } from './recording-backend.ts';

/** 128-byte signalfd_siginfo records with these ssi_signo values. */
function siginfos(...signos: number[]): Uint8Array {
  const out = new Uint8Array(signos.length * SIGNALFD_SIGINFO_SIZE);
  const view = new DataView(out.buffer);
  signos.forEach((n, i) => {
    view.setUint32(i * SIGNALFD_SIGINFO_SIZE, n, true);
    // Other fields hold data too: only the first u32 of each record is the signal.
    view.setUint32(i * SIGNALFD_SIGINFO_SIZE + 4, 0xdeadbeef, true);
  });
  return out;
}

/** Answers for the mapping test: what a kernel might say, chosen so every shape is exercised. */
function answer(c: Recorded) {
  switch (c.call) {
    case 'epoll_create1':
      return { ret: 3 };
    case 'signalfd':
      return { ret: 7 };
    case 'sigprocmask':
      return { ret: 0, old: [64, 10, 32, 35, 49] };
    case 'sigpending':
      return { ret: 0, set: [15, 10] };
    case 'read':
      return { ret: 256, data: siginfos(10, 34) };
    case 'pselect6':
      return { ret: 1, readfds: [7], writefds: null, exceptfds: null, timeout: { sec: 0, nsec: 0 } };
    case 'ppoll':
      return { ret: 1, revents: [1] };
    case 'epoll_wait':
    case 'epoll_pwait':
    case 'epoll_pwait2':
      return { ret: 0, events: [] };
    default:
      return { ret: 0 };
  }
}

async function run(steps: unknown[], backend = new RecordingBackend(answer)) {
  const report = await runScript(parseScript({ steps }), backend);
  return { report, backend, results: report.outcomes.map((o) => o.result) };
}

function malformed(steps: unknown[]): ScriptError {
  try {
    parseScript({ steps });
  } catch (e) {
    if (e instanceof ScriptError) return e;
    throw e;
  }
  assert.fail('the script parsed');
}

const ep = { call: 'epoll_create1', args: [0], bind: 'ep' };
const sfd = { call: 'signalfd', args: [-1, ['SIGUSR1'], 'SFD_NONBLOCK|SFD_CLOEXEC'], bind: 'sfd' };

describe('signal calls', () => {
  test('each signal step maps onto Syscalls with the kernel numbers of its signals', async () => {
    const { report, backend } = await run([
      { call: 'sigaction', args: ['SIGUSR1', 'catch', 'SA_RESTART|SA_NODEFER', ['SIGUSR2', 'SIGRTMIN+1']] },
      { call: 'sigaction', args: ['SIGTERM', 'SIG_IGN', 0] },
      { call: 'sigprocmask', args: ['SIG_BLOCK', ['SIGRTMIN', 'SIGRTMAX-1', 64]] },
      { call: 'sigprocmask', args: ['SIG_SETMASK', null] },
      { call: 'sigpending' },
      { call: 'kill', args: ['SIGUSR1'] },
      { call: 'kill', args: [0] },
      ep,
      { call: 'epoll_wait', args: ['$ep', 1, 0], thread: 't1' },
      { call: 'join', args: ['t1'] },
      { call: 'tgkill', args: ['t1', 'SIGUSR2'] },
      { call: 'tgkill', args: ['main', 'SIGRTMAX'] },
      sfd,
      { call: 'read_signalfd', args: ['$sfd', 256] },
      { call: 'pselect6', args: ['max+1', ['$sfd'], null, null, { sec: 0, nsec: 0 }, ['SIGUSR1']] },
      { call: 'ppoll', args: [[{ fd: '$sfd', events: 'POLLIN' }], null, null] },
      { call: 'epoll_pwait', args: ['$ep', 4, 0, []] },
      { call: 'epoll_pwait2', args: ['$ep', 4, null] },
      { call: 'epoll_pwait2', args: ['$ep', 4, { sec: 1, nsec: 0 }, ['SIGINT']] },
      { call: 'signalfd', args: ['$sfd', ['SIGUSR2'], 0] },
    ]);
    assert.equal(report.failure, undefined);
    assert.deepEqual(
      backend.calls.map((c) => [c.thread, c.call, ...c.args]),
      [
        ['main', 'sigaction', 10, 'catch', SA.SA_RESTART | SA.SA_NODEFER, [12, 33]],
        // The mask left out is the empty set.
        ['main', 'sigaction', 15, 'SIG_IGN', 0, []],
        ['main', 'sigprocmask', 0, [32, 63, 64]],
        ['main', 'sigprocmask', 2, null],
        ['main', 'sigpending'],
        ['main', 'kill', 10],
        ['main', 'kill', 0],
        ['main', 'epoll_create1', 0],
        ['t1', 'epoll_wait', 3, 1, 0],
        ['main', 'tgkill', 4001, 12],
        ['main', 'tgkill', 4000, 64],
        ['main', 'signalfd', -1, [10], O.O_NONBLOCK | O.O_CLOEXEC],
        ['main', 'read', 7, 256],
        ['main', 'pselect6', 8, [7], null, null, { sec: 0, nsec: 0 }, [10]],
        ['main', 'ppoll', [{ fd: 7, events: 1 }], null, null],
        ['main', 'epoll_pwait', 3, 4, 0, []],
        // epoll_pwait2's sigmask left out is no mask (null).
        ['main', 'epoll_pwait2', 3, 4, null, null],
        ['main', 'epoll_pwait2', 3, 4, { sec: 1, nsec: 0 }, [2]],
        ['main', 'signalfd', 7, [12], 0],
      ],
    );
    // tgkill asked the backend for the tids, t1's before the call was made.
    assert.deepEqual(backend.asked, ['tid t1', 'tid main']);
  });

  test('results name signals as the kernel numbers them, sets ascending', async () => {
    const { results, report } = await run([
      { call: 'sigprocmask', args: ['SIG_BLOCK', null] },
      { call: 'sigpending' },
      sfd,
      { call: 'read_signalfd', args: ['$sfd', 256] },
      { call: 'pselect6', args: ['max+1', ['$sfd'], null, null, { sec: 0, nsec: 0 }, null] },
      { call: 'signalfd', args: ['$sfd', ['SIGUSR2'], 0] },
    ]);
    assert.equal(report.failure, undefined);
    assert.deepEqual(results, [
      { ret: 0, old: ['SIGUSR1', 'SIGRTMIN', 'SIGRTMIN+3', 'SIGRTMAX-15', 'SIGRTMAX'] },
      { ret: 0, set: ['SIGUSR1', 'SIGTERM'] },
      { ret: 'sfd' },
      { ret: 256, signals: ['SIGUSR1', 'SIGRTMIN+2'] },
      { ret: 1, readfds: ['sfd'], writefds: null, exceptfds: null, timeout: { sec: 0, nsec: 0 } },
      // Updating a signalfd returns that descriptor, written as its name.
      { ret: 'sfd' },
    ]);
  });

  test('expects compare signal sets as sets and by value, read_signalfd signals in order', async () => {
    const { report } = await run([
      {
        call: 'sigprocmask',
        args: ['SIG_BLOCK', null],
        expect: { old: [64, 'SIGRTMAX-15', 35, 32, 'SIGUSR1'] },
      },
      { call: 'sigpending', expect: { ret: 0, set: ['SIGTERM', 10] } },
      sfd,
      { call: 'read_signalfd', args: ['$sfd', 256], expect: { signals: ['SIGUSR1', 34] } },
      { call: 'read_signalfd', args: ['$sfd', 256], expect: { signals: ['SIGRTMIN+2', 'SIGUSR1'] } },
      { call: 'sigpending', expect: { set: ['SIGTERM'] } },
      {
        call: 'pselect6',
        args: ['max+1', ['$sfd'], null, null, { sec: 0, nsec: 0 }, null],
        expect: { timeout: { sec: 0, nsec: 0 } },
      },
    ]);
    assert.deepEqual(
      report.outcomes.map((o) => o.ok),
      [true, true, undefined, true, false, false, true],
    );
    assert.deepEqual(report.outcomes[4].mismatched, ['signals']);
    assert.equal(exitStatus(report), 1);
  });

  test('caught reads the handler counter through the backend, not a system call', async () => {
    const backend = new RecordingBackend(answer);
    backend.caughtCounts.set(10, 3);
    const { results } = await run(
      [
        { call: 'caught', args: ['SIGUSR1'], expect: { ret: 3 } },
        { call: 'caught', args: ['SIGRTMIN+1'] },
      ],
      backend,
    );
    assert.deepEqual(results, [{ ret: 3 }, { ret: 0 }]);
    assert.deepEqual(backend.calls, []);
    assert.deepEqual(backend.asked, ['caught 10', 'caught 33']);
  });

  test('a signal step on a thread runs there, and tgkill may name a thread once a step has used it', async () => {
    const { backend, report } = await run([
      { call: 'sigprocmask', args: ['SIG_BLOCK', ['SIGUSR1']], thread: 't2' },
      { call: 'tgkill', args: ['t2', 'SIGUSR1'] },
      {
        call: 'join',
        args: ['t2'],
        expect: { ret: 0, old: ['SIGUSR1', 'SIGRTMIN', 'SIGRTMIN+3', 'SIGRTMAX-15', 'SIGRTMAX'] },
      },
    ]);
    assert.equal(exitStatus(report), 0);
    assert.deepEqual(
      backend.calls.map((c) => [c.thread, c.call]),
      [
        ['t2', 'sigprocmask'],
        ['main', 'tgkill'],
      ],
    );
  });
});

describe('malformed signal steps', () => {
  const cases: [string, unknown[], RegExp][] = [
    [
      'an unknown signal name',
      [{ call: 'kill', args: ['SIGFOO'] }],
      /args\[0\] \(sig\): unknown flag "SIGFOO"/,
    ],
    [
      'a misspelt one',
      [{ call: 'kill', args: ['SIGUSR3'] }],
      /unknown flag "SIGUSR3" \(did you mean "SIGUSR1"\?\)/,
    ],
    [
      'two signals joined as a flag word',
      [{ call: 'kill', args: ['SIGUSR1|SIGUSR2'] }],
      /a signal is one name or number/,
    ],
    ['SIGRTMIN counting down', [{ call: 'kill', args: ['SIGRTMIN-1'] }], /unknown flag "SIGRTMIN-1"/],
    ['caught of signal 65', [{ call: 'caught', args: [65] }], /signal 65 has no handler counter/],
    ['caught of signal 0', [{ call: 'caught', args: [0] }], /signal 0 has no handler counter/],
    ['SIGRTMAX counting up', [{ call: 'kill', args: ['SIGRTMAX+1'] }], /unknown flag "SIGRTMAX\+1"/],
    [
      'a signal 65 in a set',
      [{ call: 'sigprocmask', args: ['SIG_BLOCK', [10, 65]] }],
      /args\[1\] \(set\): \[1\]: 65 is 65, not a signal a sigset_t holds \(1 … 64\)/,
    ],
    [
      'signal 0 in a set',
      [{ call: 'sigprocmask', args: ['SIG_BLOCK', [0]] }],
      /not a signal a sigset_t holds/,
    ],
    [
      'a set that is no list',
      [{ call: 'sigprocmask', args: ['SIG_BLOCK', 'SIGUSR1'] }],
      /expected a list of signals or null/,
    ],
    [
      'a null sa_mask',
      [{ call: 'sigaction', args: ['SIGUSR1', 'catch', 0, null] }],
      /sa_mask is a field of struct sigaction, not a pointer/,
    ],
    [
      'an unknown handler',
      [{ call: 'sigaction', args: ['SIGUSR1', 'SIG_CATCH', 0] }],
      /"SIG_DFL", "SIG_IGN" or "catch"/,
    ],
    [
      'too few sigaction arguments',
      [{ call: 'sigaction', args: ['SIGUSR1', 'catch'] }],
      /sigaction takes 3 to 4 arguments/,
    ],
    [
      'tgkill of a thread no step has used',
      [{ call: 'tgkill', args: ['t1', 'SIGUSR1'] }],
      /thread "t1" is neither "main" nor a thread an earlier step started a call on/,
    ],
    ['caught on a thread', [{ call: 'caught', args: ['SIGUSR1'], thread: 't1' }], /caught is the runner's/],
    [
      'an expected set with a bad signal',
      [{ call: 'sigpending', expect: { set: ['SIGUSR9'] } }],
      /expect\.set: \[0\]: unknown flag "SIGUSR9"/,
    ],
    [
      'sigprocmask expecting "set"',
      [{ call: 'sigprocmask', args: ['SIG_BLOCK', null], expect: { set: [] } }],
      /expect\.set: not part of this call's result \(it has "ret", "old", or "errno"\)/,
    ],
    [
      'pselect6 expecting a timeval',
      [
        {
          call: 'pselect6',
          args: [0, null, null, null, null, null],
          expect: { timeout: { sec: 0, usec: 0 } },
        },
      ],
      /expect\.timeout: unknown key "usec"/,
    ],
  ];
  for (const [what, steps, want] of cases) {
    test(`${what} is malformed`, () => {
      assert.match(malformed(steps).message, want);
    });
  }

  test('a tgkill thread counts from the step that first started a call on it', () => {
    const steps = [
      { call: 'sleep', args: [1], thread: 't1' },
      { call: 'tgkill', args: ['t1', 'SIGUSR1'] },
      { call: 'join', args: ['t1'] },
      { call: 'tgkill', args: ['t1', 'SIGUSR1'] },
    ];
    assert.equal(parseScript({ steps }).steps.length, 4);
  });
});

describe('a run the process does not survive', () => {
  const killing = (sig: number, action: 'term' | 'core' | 'stop') => (c: Recorded) => {
    if (c.call === 'kill') throw new ProcessKilled(sig, action);
    return answer(c);
  };

  test('ProcessKilled stops the run with exit status 2, naming the step and the signal', async () => {
    const { report, backend, results } = await run(
      [
        { call: 'sigaction', args: ['SIGTERM', 'SIG_DFL', 0] },
        { call: 'sigprocmask', args: ['SIG_UNBLOCK', ['SIGTERM']] },
        { call: 'sigpending' },
        ep,
        { call: 'kill', args: ['SIGTERM'] },
        { call: 'sigpending' },
      ],
      new RecordingBackend(killing(15, 'term')),
    );
    assert.equal(results.length, 4, 'the steps before the kill ran');
    assert.equal(exitStatus(report), 2);
    assert.deepEqual(
      { ...report.failure, cause: undefined },
      {
        step: 4,
        call: 'kill',
        kind: 'killed',
        message: 'step 4: the process was killed by SIGTERM',
        signal: 'SIGTERM',
        action: 'term',
        cause: undefined,
      },
    );
    assert.ok(backend.closed, 'the process was still closed');
    const failure = report.failure as NonNullable<typeof report.failure>;
    assert.deepEqual(JSON.parse(failureJson(failure)), {
      step: 4,
      call: 'kill',
      error: {
        kind: 'killed',
        message: 'step 4: the process was killed by SIGTERM',
        signal: 'SIGTERM',
        action: 'term',
      },
    });
    const same = (s: string) => s;
    const plain = { ok: same, bad: same, dim: same, bold: same };
    assert.match(
      renderFailure(
        parseScript({ steps: [{ call: 'kill', args: ['SIGTERM'] }] }),
        { ...failure, step: 0 },
        plain,
      ),
      /kill\(SIGTERM\) → step 4: the process was killed by SIGTERM$/,
    );
  });

  test('a stopping signal is reported as stopping the process, a real-time one by its name', async () => {
    const stopped = await run(
      [{ call: 'kill', args: ['SIGTSTP'] }],
      new RecordingBackend(killing(20, 'stop')),
    );
    assert.equal(stopped.report.failure?.message, 'step 0: the process was stopped by SIGTSTP');
    const rt = await run([{ call: 'kill', args: ['SIGRTMIN+4'] }], new RecordingBackend(killing(36, 'term')));
    assert.equal(rt.report.failure?.message, 'step 0: the process was killed by SIGRTMIN+4');
    assert.equal(rt.report.failure?.signal, 'SIGRTMIN+4');
  });

  test('a call on a thread killed at its start stops the run at that step', async () => {
    const { report } = await run(
      [ep, { call: 'epoll_wait', args: ['$ep', 1, -1], thread: 't1' }, { call: 'join', args: ['t1'] }],
      new RecordingBackend((c) => {
        if (c.call === 'epoll_wait') throw new ProcessKilled(2, 'term');
        return answer(c);
      }),
    );
    assert.equal(report.failure?.kind, 'killed');
    assert.equal(report.failure?.message, 'step 1: the process was killed by SIGINT');
  });

  test('a backend without signals stops the run as unsupported, not as killed', async () => {
    const { report } = await run(
      [{ call: 'kill', args: ['SIGUSR1'] }],
      new RecordingBackend(() => {
        throw new Unsupported('kill', 'signals are not modelled yet');
      }),
    );
    assert.equal(report.failure?.kind, 'unsupported');
    assert.equal(exitStatus(report), 2);
  });
});

describe('signal steps in the text form', () => {
  test('signal steps round-trip through the text form, signal names bare', () => {
    const doc: JsonObject = {
      steps: [
        { call: 'sigaction', args: ['SIGUSR1', 'catch', 'SA_RESTART', ['SIGRTMIN+3']] },
        { call: 'sigprocmask', args: ['SIG_BLOCK', ['SIGUSR1', 'SIGRTMAX-2']], expect: { ret: 0, old: [] } },
        { call: 'sleep', args: [1], thread: 't1' },
        { call: 'tgkill', args: ['t1', 'SIGUSR2'] },
        { call: 'join', args: ['t1'] },
        { call: 'kill', args: [34] },
        { call: 'sigpending', expect: { ret: 0, set: ['SIGUSR1', 'SIGRTMIN+2'] } },
        { call: 'signalfd', args: [-1, ['SIGUSR1'], 'SFD_NONBLOCK'], bind: 'sfd' },
        { call: 'read_signalfd', args: ['$sfd', 128], expect: { ret: 128, signals: ['SIGUSR1'] } },
        { call: 'caught', args: ['SIGUSR1'], expect: { ret: 0 } },
        { call: 'epoll_pwait2', args: [3, 1, null] },
      ],
    };
    const text = formatScriptTextForm(doc);
    assert.match(text, /^sigaction\(SIGUSR1, catch, SA_RESTART, \[SIGRTMIN\+3\]\)$/m);
    assert.match(text, /^tgkill\(t1, SIGUSR2\)$/m);
    assert.match(text, /^caught\(SIGUSR1\) -> 0$/m);
    assert.deepEqual(parseScriptTextForm(text), doc);
    assert.equal(parseScript(parseScriptTextForm(text)).steps.length, 11);
  });
});

describe('pselect6 timeout', () => {
  test('pselect6 keeps its written-back timespec only where it is deterministic', () => {
    const script = parseScript({
      steps: [
        { call: 'pselect6', args: [0, null, null, null, { sec: 5, nsec: 0 }, null] },
        { call: 'pselect6', args: [0, null, null, null, { sec: 0, nsec: 0 }, null] },
        { call: 'pselect6', args: [0, null, null, null, null, null] },
      ],
    });
    const ready = (timeout: Json) => ({ ret: 1, readfds: [], writefds: null, exceptfds: null, timeout });
    // Woken with time left: how much depends on the clock.
    assert.deepEqual(stableResult(script, script.steps[0], ready({ sec: 4, nsec: 999 })), {
      ret: 1,
      readfds: [],
      writefds: null,
      exceptfds: null,
    });
    // Timed out: zero, on every kernel.
    const timedOut = { ...ready({ sec: 0, nsec: 0 }), ret: 0 };
    assert.deepEqual(stableResult(script, script.steps[0], timedOut), timedOut);
    assert.deepEqual(
      stableResult(script, script.steps[1], ready({ sec: 0, nsec: 0 })),
      ready({ sec: 0, nsec: 0 }),
    );
    assert.deepEqual(stableResult(script, script.steps[2], ready(null)), ready(null));
  });
});

describe('diff of killed runs', () => {
  const killedBy = (sig: number) =>
    new RecordingBackend((c) => {
      if (c.call === 'kill') throw new ProcessKilled(sig, 'term');
      return answer(c);
    });

  test('two runs killed by the same signal agree, by different signals differ', async () => {
    const script = parseScript({ steps: [{ call: 'sigpending' }, { call: 'kill', args: ['SIGTERM'] }] });
    const term = await runScript(script, killedBy(15));
    const term2 = await runScript(script, killedBy(15));
    const int = await runScript(script, killedBy(2));
    assert.deepEqual(compareRuns(script, term, term2), []);
    const diff = compareRuns(script, term, int);
    assert.equal(diff.length, 1);
    assert.equal(diff[0].step, 1);
  });
});
