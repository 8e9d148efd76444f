import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { parseScriptText } from '../../src/script/parse.ts';
import { cli, repo, scriptDir } from './helpers.ts';

const script = scriptDir();
const dir = dirname(script('empty.json', []));

const pipe = { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] };
const good = script('good.json', [
  pipe,
  { call: 'write', args: ['$w', 'hello'], expect: { ret: 5 } },
  { call: 'read', args: ['$r', 2], expect: { ret: 2, data: 'he' } },
]);
const mismatch = script('mismatch.json', [
  pipe,
  { call: 'write', args: ['$w', 'hello'], expect: { ret: 4 } },
]);
const malformed = script('malformed.json', [pipe, { call: 'write', args: ['$w', 'x', 'y'] }]);
const forever = script('forever.json', [
  { call: 'pipe', bind: ['r', 'w'] },
  { call: 'read', args: ['$r', 1] },
]);
const epoll = script('epoll.json', [
  pipe,
  { call: 'epoll_create1', args: [0], bind: 'ep' },
  { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$w', { events: 'EPOLLOUT', data: 1 }] },
  { call: 'epoll_wait', args: ['$ep', 8, 0] },
  { call: 'read', thread: 't', args: ['$r', 1] },
  { call: 'join', args: ['t'] },
]);

const jsonLines = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('cli', () => {
  test('help_lists_every_command', async () => {
    const r = await cli(['--help']);
    assert.equal(r.status, 0);
    for (const c of ['run', 'diff', 'record', 'version', 'help'])
      assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
  });

  test('command_help_is_drawn_from_its_option_table', async () => {
    const r = await cli(['run', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: iomux run SCRIPT\.\.\. \[options\]/);
    assert.match(r.stdout, /--backend NAME +the kernel to run on.*\(default: sim\)/);
    assert.match(r.stdout, /--json +one JSON object per line and step/);
    assert.match(r.stdout, /-h, --help +show this help/);
    assert.equal((await cli(['help', 'run'])).stdout, r.stdout);
    assert.match((await cli(['record', '-h'])).stdout, /-o, --out DIR\|FILE +where to write .*\(required\)/);
  });

  test('no_command_prints_help_and_exits_2', async () => {
    const r = await cli([]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Usage: iomux COMMAND/);
  });

  test('unknown_command_or_option_exits_2_with_a_message', async () => {
    const cases: [string[], RegExp][] = [
      [['frob'], /^iomux: unknown command "frob" \(commands: run, diff/],
      [['run', '--frob', good], /^iomux: run: Unknown option '--frob'/],
      [['--frob'], /^iomux: unknown option "--frob"/],
      [['run'], /^iomux: run: give at least one SCRIPT/],
      [['run', '--backend', 'bsd', good], /^iomux: run: --backend must be one of sim, linux, not "bsd"/],
      [['record', good], /^iomux: record: --out DIR\|FILE is required/],
      [['version', 'x'], /^iomux: version: unexpected argument "x"/],
      [['help', 'frob'], /^iomux: unknown command "frob"/],
      [['help', 'toString'], /^iomux: unknown command "toString"/],
      [['run', join(dir, 'absent.json')], /^iomux: cannot read .*absent\.json: ENOENT/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      assert.equal(r.status, 2, argv.join(' '));
      assert.match(r.stderr, message, argv.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  test('version_prints_the_package_version', async () => {
    const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    assert.equal((await cli(['version'])).stdout, `iomux ${version}\n`);
    assert.equal((await cli(['--version'])).stdout, `iomux ${version}\n`);
  });

  test('run_prints_a_line_per_step_and_exits_0_when_all_matched', async () => {
    const r = await cli(['run', good]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], good);
    assert.equal(lines[1], '   0  pipe2(O_NONBLOCK) → {ret: 0, fds: [r, w]}');
    assert.equal(lines[2], '   1  write($w, "hello") → {ret: 5}  ✓');
    assert.equal(lines[3], '   2  read($r, 2) → {ret: 2, data: "he"}  ✓');
    assert.equal(lines[4], 'sim: 3 steps, 2 expects: all matched');
    assert.deepEqual(r.loaded, ['sim'], 'Linux is not loaded for a sim run');
  });

  test('a_mismatch_shows_the_expected_value_and_exits_1', async () => {
    const r = await cli(['run', mismatch]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^ {3}1 {2}write\(\$w, "hello"\) → \{ret: 5\} {2}✗ expected \{ret: 4\}$/m);
    assert.match(r.stdout, /1 of 1 expects did not match \(step 1\)/);
  });

  test('colour_only_on_a_tty', async () => {
    const ESC = '\x1b[';
    const out = async (env: Record<string, string>, tty: boolean) =>
      (await cli(['run', mismatch], { env, tty })).stdout;
    assert.ok(!(await out({}, false)).includes(ESC));
    assert.ok((await out({}, true)).includes(`${ESC}31m✗`));
    assert.ok(!(await out({ NO_COLOR: '1' }, true)).includes(ESC));
    assert.ok((await out({ FORCE_COLOR: '1' }, false)).includes(ESC));
  });

  test('json_output_is_one_object_per_step', async () => {
    const r = await cli(['run', '--json', good]);
    assert.equal(r.status, 0);
    assert.deepEqual(jsonLines(r.stdout), [
      { step: 0, call: 'pipe2', result: { ret: 0, fds: ['r', 'w'] } },
      { step: 1, call: 'write', result: { ret: 5 } },
      { step: 2, call: 'read', result: { ret: 2, data: 'he' } },
    ]);
  });

  test('json_output_adds_expected_and_ok_false_on_a_mismatch', async () => {
    const r = await cli(['run', '--json', mismatch]);
    assert.equal(r.status, 1);
    assert.deepEqual(jsonLines(r.stdout)[1], {
      step: 1,
      call: 'write',
      result: { ret: 5 },
      expected: { ret: 4 },
      ok: false,
    });
  });

  test('json_output_marks_thread_starts', async () => {
    const lines = jsonLines((await cli(['run', '--json', epoll])).stdout);
    assert.deepEqual(lines[4], { step: 4, call: 'read', thread: 't', result: { blocked: false } });
    assert.deepEqual(lines[5], { step: 5, call: 'join', result: { errno: 'EAGAIN' } });
  });

  test('exit_status_is_2_for_a_malformed_script', async () => {
    const r = await cli(['run', malformed]);
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      `malformed ${malformed}: step 1 (write): write takes 2 arguments (fd, buf), got 3\n`,
    );
    assert.deepEqual(r.loaded, [], 'nothing runs, no backend is loaded');
  });

  test('a_malformed_script_in_json_mode_is_also_a_json_line', async () => {
    const r = await cli(['run', '--json', malformed]);
    assert.equal(r.status, 2);
    assert.deepEqual(jsonLines(r.stdout), [
      {
        step: 1,
        error: { kind: 'malformed', message: 'step 1 (write): write takes 2 arguments (fd, buf), got 3' },
      },
    ]);
  });

  test('exit_status_is_2_when_a_call_blocks_forever', async () => {
    const r = await cli(['run', forever]);
    assert.equal(r.status, 2);
    assert.match(
      r.stdout,
      /^ {3}1 {2}read\(\$r, 1\) → blocks forever: fake: no thread can run \(main in read\)$/m,
    );
    assert.match(r.stdout, /^sim: stopped at step 1 \(blocks-forever\)$/m);
    const j = await cli(['run', '--json', forever]);
    assert.deepEqual(jsonLines(j.stdout)[1], {
      step: 1,
      call: 'read',
      error: { kind: 'blocks-forever', message: 'blocks forever: fake: no thread can run (main in read)' },
    });
    assert.match(j.stderr, /step 1 \(read\): blocks forever/);
  });

  test('several_scripts_run_in_turn_and_the_worst_status_wins', async () => {
    const r = await cli(['run', '--json', good, malformed, mismatch]);
    assert.equal(r.status, 2);
    const lines = jsonLines(r.stdout);
    assert.ok(
      lines.every((l) => typeof l.script === 'string'),
      'each line names its script',
    );
    assert.deepEqual(
      lines.map((l) => [l.script, l.step]),
      [
        [malformed, 1],
        [good, 0],
        [good, 1],
        [good, 2],
        [mismatch, 0],
        [mismatch, 1],
      ],
    );
    assert.equal((await cli(['run', good, mismatch])).status, 1);
  });

  test('a_script_can_come_from_standard_input', async () => {
    const r = await cli(['run', '--json', '-'], { stdin: readFileSync(good, 'utf8') });
    assert.equal(r.status, 0);
    assert.equal(jsonLines(r.stdout).length, 3);
  });

  test('run_on_linux_loads_only_linux', async () => {
    const r = await cli(['run', '--backend', 'linux', good]);
    assert.equal(r.status, 0);
    assert.deepEqual(r.loaded, ['linux']);
    assert.match(r.stdout, /^linux: 3 steps/m);
  });

  test('diff_exits_0_when_both_backends_agree', async () => {
    const r = await cli(['diff', epoll, good]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, `${epoll}: identical on sim and linux\n${good}: identical on sim and linux\n`);
    assert.deepEqual(r.loaded.sort(), ['linux', 'sim']);
  });

  test('diff_prints_the_steps_that_differ_and_exits_1', async () => {
    const backends = { linux: { epollExtra: 0x100 } };
    const r = await cli(['diff', epoll], { backends });
    assert.equal(r.status, 1);
    assert.equal(
      r.stdout,
      [
        `${epoll}: 1 step differs`,
        '   3  epoll_wait($ep, 8, 0)',
        '        sim    {ret: 1, events: [{events: EPOLLOUT, data: 1}]}',
        '        linux  {ret: 1, events: [{events: EPOLLOUT|EPOLLWRNORM, data: 1}]}',
        '',
      ].join('\n'),
    );
    const j = await cli(['diff', '--json', epoll], { backends });
    assert.deepEqual(jsonLines(j.stdout), [
      {
        step: 3,
        call: 'epoll_wait',
        sim: { result: { ret: 1, events: [{ events: 'EPOLLOUT', data: 1 }] } },
        linux: { result: { ret: 1, events: [{ events: 'EPOLLOUT|EPOLLWRNORM', data: 1 }] } },
      },
    ]);
  });

  test('diff_says_once_which_steps_a_stopped_run_did_not_reach_and_exits_2', async () => {
    const r = await cli(['diff', epoll], { backends: { sim: { failCreate: true } } });
    assert.equal(r.status, 2, 'a backend that cannot run');
    assert.equal(
      r.stdout,
      [
        `${epoll}: 7 steps differ`,
        ' 0–5  not reached on sim (6 steps)',
        '      (create process)',
        '        sim    stopped: Error: fake: cannot create a process',
        '        linux  {}',
        '',
      ].join('\n'),
    );
  });

  test('diff_of_a_malformed_script_exits_2', async () => {
    assert.equal((await cli(['diff', malformed])).status, 2);
  });

  test('record_writes_the_script_with_expects_from_linux', async () => {
    const out = join(dir, 'recorded.json');
    const r = await cli(['record', epoll, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.loaded, ['linux']);
    assert.match(r.stdout, /^recorded .*epoll\.json → .*recorded\.json \(6 steps, 5 expects\)$/m);
    const text = readFileSync(out, 'utf8');
    const recorded = parseScriptText(text);
    assert.deepEqual(recorded.steps[3].expect, { ret: 1, events: [{ events: 'EPOLLOUT', data: 1 }] });
    assert.equal(recorded.steps[4].expect, undefined, 'a thread start gets no expect');
    assert.equal(text.split('\n').filter((l) => l.startsWith('    {"call"')).length, 6, 'one step per line');
    // What record wrote passes when run again.
    assert.equal((await cli(['run', '--backend', 'linux', out])).status, 0);
  });

  test('record_of_several_scripts_writes_into_a_directory', async () => {
    const out = join(dir, 'recorded-dir');
    const r = await cli(['record', good, mismatch, '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(parseScriptText(readFileSync(join(out, 'mismatch.json'), 'utf8')).steps[1].expect, {
      ret: 5,
    });
    assert.ok(readFileSync(join(out, 'good.json'), 'utf8'));
  });

  test('record_writes_nothing_for_a_call_that_blocks_forever', async () => {
    const out = join(dir, 'never.json');
    const r = await cli(['record', forever, '--out', out]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not recorded .*forever\.json: step 1 \(read\): blocks forever/);
    assert.throws(() => readFileSync(out));
  });
});

describe('cli as a process', () => {
  const iomux = (...args: string[]) =>
    spawnSync(process.execPath, [join(repo, 'bin/iomux.js'), ...args], { cwd: repo, encoding: 'utf8' });

  test('demo_runs_every_example_on_the_simulated_kernel_and_all_match', () => {
    const r = iomux('demo', '--json');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = jsonLines(r.stdout) as { script?: string; ok?: boolean }[];
    const examples = readdirSync(join(repo, 'examples')).filter((f) => f.endsWith('.json'));
    assert.equal(new Set(lines.map((l) => l.script)).size, examples.length);
    assert.ok(lines.every((l) => l.ok !== false));
  });

  test('the_launcher_runs_help', () => {
    const r = iomux('--help');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: iomux COMMAND \[options\]$/m);
  });

  test('the_launcher_prints_the_version', () => {
    const r = iomux('version');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^iomux \d+\.\d+\.\d+\n$/);
  });

  test('exit_status_is_2_for_a_malformed_script_without_a_stack_trace', () => {
    const r = iomux('run', malformed);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /step 1 \(write\): write takes 2 arguments/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    const bad = script('notjson.json', []);
    writeFileSync(bad, '{"steps": [}');
    const j = iomux('run', bad);
    assert.equal(j.status, 2);
    assert.match(j.stderr, /not valid JSON: line 1, column 12: expected a value, found "}"/);
  });

  test('unknown_command_exits_2', () => {
    const r = iomux('frobnicate');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});
