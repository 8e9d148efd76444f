import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/cli.ts';
import type { KernelEvent } from '../../src/kernel/events.ts';
import type { KernelSnapshot } from '../../src/observe/snapshot.ts';
import {
  describeEvent,
  rebuildSnapshot,
  type StoredState,
  TraceEncoder,
  TraceRecorder,
} from '../../src/observe/trace.ts';
import { parseScriptText } from '../../src/script/parse.ts';
import { runScript } from '../../src/script/run.ts';

const repo = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'iomux-trace-'));

/**
 * The scripts the repository has (the examples and the conformance suite), but for the few long
 * ones (epoll-ctl-path-limit makes a thousand epolls): the kernel is snapshotted at every step.
 */
const scripts = [
  ...readdirSync(join(repo, 'examples')).map((f) => join(repo, 'examples', f)),
  ...readdirSync(join(repo, 'test/conformance')).map((f) => join(repo, 'test/conformance', f)),
]
  .filter((f) => {
    if (!f.endsWith('.json')) return false;
    const doc = JSON.parse(readFileSync(f, 'utf8')) as { steps?: unknown[] };
    return Array.isArray(doc.steps) && doc.steps.length <= 200;
  })
  .sort();

function script(name: string, steps: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ name, steps }));
  return path;
}

/** `iomux trace ARGS`, in-process; the trace command loads no backend. */
async function trace(...argv: string[]): Promise<{ status: number; stdout: string }> {
  let stdout = '';
  const status = await main(['trace', ...argv], {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: () => true },
    env: {},
    readStdin: async () => '',
    loadBackend: async () => {
      throw new Error('trace loads no backend');
    },
  });
  return { status, stdout };
}

interface TraceDoc {
  version: number;
  initial: KernelSnapshot;
  steps: (StoredState & { step: number; call: string; changes: string[] })[];
}

const pipeScript = script('pipe.json', [
  { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
  { call: 'write', args: ['$w', 'hello'] },
  { call: 'read', args: ['$r', 2] },
  { call: 'close', args: ['$w'] },
]);

test('trace_json_initial_is_the_kernel_before_the_first_step', async () => {
  const doc = JSON.parse((await trace(pipeScript, '--json')).stdout) as TraceDoc;
  // Before step 0 there is no pipe: only the script's process with fds 0, 1, 2.
  assert.deepEqual(
    doc.initial.processes[0].fdtable.fds.map((f) => f.fd),
    [0, 1, 2],
  );
  assert.equal(
    doc.initial.files.some((f) => f.type === 'pipe'),
    false,
  );
  assert.notDeepEqual(doc.initial, rebuildSnapshot(doc, doc.steps.length - 1));
});

test('trace_json_is_byte_identical_run_after_run', async () => {
  for (const path of scripts) {
    const first = await trace(path, '--json');
    const second = await trace(path, '--json');
    assert.equal(second.stdout, first.stdout, path);
    JSON.parse(first.stdout);
  }
});

test('trace_json_is_byte_identical_in_two_processes', () => {
  // Ids could depend on module state (a counter shared by kernels): a fresh process must agree
  // with one that has already traced the same script.
  const path = join(repo, 'examples/10-threads-most-recent-waiter.json');
  const run = () =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), 'trace', path, '--json'], {
      cwd: repo,
      encoding: 'utf8',
    });
  const a = run();
  const b = run();
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.stdout, a.stdout);
  return trace(path, '--json').then((inProcess) => assert.equal(inProcess.stdout, a.stdout));
});

test('trace_text_prints_a_pipe_change_once_not_once_per_file', async () => {
  const { stdout } = await trace(pipeScript);
  const write = stdout.slice(stdout.indexOf('write('), stdout.indexOf('read('));
  const occupancy = write.split('\n').filter((l) => l.includes('Δ') && l.includes('.occupancy:'));
  assert.equal(occupancy.length, 1, write);
  assert.match(
    occupancy[0],
    /pipe\(\$r \(fd 3\), \$w \(fd 4\)\)\.occupancy: 0 → 1 {2}\[pipe #\d+ \(files #\d+, #\d+\)\]/,
  );
  for (const step of (JSON.parse((await trace(pipeScript, '--json')).stdout) as TraceDoc).steps)
    assert.equal(new Set(step.changes).size, step.changes.length);
});

test('trace_text_renders_every_event_kind_readably', async () => {
  const one: { [T in KernelEvent['type']]: Extract<KernelEvent, { type: T }> } = {
    syscall_enter: { type: 'syscall_enter', thread: 'main', call: 'read(3, 1)' },
    syscall_exit: { type: 'syscall_exit', thread: 'main', call: 'read(3, 1)', ret: 1 },
    wait_add: {
      type: 'wait_add',
      queue: 'pipe:3.rd_wait',
      entry: 9,
      kind: 'pollwake',
      exclusive: false,
      at: 'head',
    },
    wait_remove: { type: 'wait_remove', queue: 'pipe:3.rd_wait', entry: 9 },
    wake_up: { type: 'wake_up', queue: 'pipe:3.rd_wait', nr_exclusive: 1, key: 1 },
    thread_block: { type: 'thread_block', thread: 'main', call: 'read', deadline: null },
    thread_wake: { type: 'thread_wake', thread: 'main', reason: 'woken' },
    clock_advance: { type: 'clock_advance', from: 0, to: 5 },
    file_release: { type: 'file_release', file: 4, fileType: 'pipe' },
    ep_poll_callback: { type: 'ep_poll_callback', epi: 7, key: 1, result: 'queued' },
    rdllist_append: { type: 'rdllist_append', ep: 6, epi: 7, why: 'callback' },
    rdllist_remove: { type: 'rdllist_remove', ep: 6, epi: 7, why: 'delivered' },
    ovflist_push: { type: 'ovflist_push', ep: 6, epi: 7 },
    rbtree_insert: { type: 'rbtree_insert', ep: 6, epi: 7 },
    rbtree_erase: { type: 'rbtree_erase', ep: 6, epi: 7 },
    rbtree_rotate: { type: 'rbtree_rotate', ep: 6, epi: 7, dir: 'left' },
    event_delivered: { type: 'event_delivered', ep: 6, epi: 7, events: 1 },
    ep_scan: { type: 'ep_scan', ep: 6, phase: 'start', epis: [7, 8] },
    wake_up_done: {
      type: 'wake_up_done',
      queue: 'pipe:3.rd_wait',
      woken: 1,
      walked: 1,
      skipped: [10, 11],
      stop: 'exclusive',
    },
    wake_skipped: { type: 'wake_skipped', queue: 'eventfd:3.wqh', from: 'eventfd_write', why: 'no waiter' },
    errno: {
      type: 'errno',
      errno: 'ENOENT',
      fn: 'do_epoll_ctl',
      why: 'no epitem for {file}',
      file: 9,
      fd: 3,
    },
    ep_wait_none: { type: 'ep_wait_none', ep: 6, why: 'dropped', dropped: [7] },
    eventfd_read: { type: 'eventfd_read', file: 4, value: '3', count: '0' },
    signal_generate: {
      type: 'signal_generate',
      sig: 10,
      from: 'main',
      to: 'loop',
      shared: false,
      result: 'queued',
    },
    complete_signal: { type: 'complete_signal', sig: 10, thread: 'loop', why: 'target' },
    signal_wake_up: { type: 'signal_wake_up', thread: 'loop', state: 'sleeping' },
    signal_deliver: {
      type: 'signal_deliver',
      thread: 'loop',
      sig: 10,
      action: 'handler',
      blocked: [10],
      restore: [],
      resethand: true,
    },
    signal_restart: {
      type: 'signal_restart',
      thread: 'loop',
      fn: 'arch_do_signal_or_restart',
      sig: null,
      code: 'ERESTART_RESTARTBLOCK',
      decision: 'restart_block',
    },
    sigmask_set: { type: 'sigmask_set', thread: 'main', mask: [], saved: [10] },
    sigmask_restore: { type: 'sigmask_restore', thread: 'main', mask: [10], fn: 'restore_saved_sigmask' },
    group_exit: { type: 'group_exit', pid: 100, sig: 15, action: 'term' },
  };
  for (const e of Object.values(one)) {
    const line = describeEvent(e);
    assert.doesNotMatch(line, /[{}"]/, `${e.type}: ${line}`);
  }
  assert.equal(describeEvent(one.ep_scan), '  scan of ep #6 takes the ready list [epitem #7, epitem #8]');
  // And in real traces: no event is left as raw JSON.
  for (const path of scripts) assert.doesNotMatch((await trace(path)).stdout, /\{"type"/, path);
});

/** Run a script with a recorder; the full snapshot of every step, and what the trace stores. */
async function record(path: string, interval: number) {
  const recorder = new TraceRecorder();
  const full: KernelSnapshot[] = [];
  const stored: StoredState[] = [];
  let encoder: TraceEncoder | null = null;
  await runScript(parseScriptText(readFileSync(path, 'utf8')), recorder.backend, {
    onStep: () => {
      const step = recorder.take();
      encoder ??= new TraceEncoder(interval);
      full.push(JSON.parse(JSON.stringify(step.snapshot)));
      stored.push(JSON.parse(JSON.stringify(encoder.encode(step))));
    },
  });
  return { initial: recorder.initial()!, full, stored };
}

test('every_step_rebuilds_from_the_compact_trace_forwards_and_backwards', async () => {
  for (const path of scripts)
    for (const interval of [1, 3, 100]) {
      const { initial, full, stored } = await record(path, interval);
      const doc = { initial, steps: stored };
      const frozen = JSON.stringify(doc);
      assert.deepEqual(rebuildSnapshot(doc, -1), initial);
      for (let i = full.length - 1; i >= 0; i--)
        assert.deepEqual(rebuildSnapshot(doc, i), full[i], `${path} step ${i}`);
      for (let i = 0; i < full.length; i++)
        assert.deepEqual(rebuildSnapshot(doc, i), full[i], `${path} step ${i}`);
      assert.equal(JSON.stringify(doc), frozen, 'rebuilding leaves the trace as it was');
      if (interval === 100) assert.ok(stored.every((s) => 'delta' in s) || full.length >= 100);
    }
});

test('a_long_trace_stores_changes_not_the_whole_kernel_per_step', async () => {
  // 600 steps on one of 20 pipes: keyframes every 100 steps, deltas of a few operations between.
  const steps: unknown[] = [];
  for (let i = 0; i < 19; i++) steps.push({ call: 'pipe' });
  steps.push({ call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] });
  for (let i = 0; i < 290; i++)
    steps.push({ call: 'write', args: ['$w', 'ab'] }, { call: 'read', args: ['$r', 2] });
  const { stdout } = await trace(script('long.json', steps), '--json');
  const doc = JSON.parse(stdout) as TraceDoc;
  assert.equal(doc.version, 2);
  assert.equal(doc.steps.filter((s) => 'snapshot' in s).length, 6);
  // What the steps store of the kernel is a tenth of what a full snapshot per step would be.
  let stored = 0;
  let full = 0;
  doc.steps.forEach((s, i) => {
    stored += JSON.stringify('snapshot' in s ? s.snapshot : s.delta).length;
    full += JSON.stringify(rebuildSnapshot(doc, i)).length;
  });
  assert.ok(stored < full / 10, `${stored} bytes stored for ${full}`);
});
