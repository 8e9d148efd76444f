// The trace explains in the script's own terms: objects by the script's names, masks and flag
// words by Linux's, every errno with the check that failed, every non-event with its reason.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/cli.ts';
import { traceDocument } from '../../src/cli/trace.ts';
import type { KernelEvent } from '../../src/kernel/events.ts';
import {
  fdLabel,
  formatEvents,
  formatOpenFlags,
  type NameTable,
  nameTable,
} from '../../src/observe/names.ts';
import type { KernelSnapshot } from '../../src/observe/snapshot.ts';
import { describeEvent, TraceRecorder } from '../../src/observe/trace.ts';
import { parseScriptText } from '../../src/script/parse.ts';
import { runScript } from '../../src/script/run.ts';

const repo = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'iomux-explain-'));

function script(name: string, steps: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ name, steps }));
  return path;
}

async function trace(...argv: string[]): Promise<string> {
  let stdout = '';
  await main(['trace', ...argv], {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: () => true },
    env: {},
    readStdin: async () => '',
    loadBackend: async () => {
      throw new Error('trace loads no backend');
    },
  });
  return stdout;
}

/** The text trace's lines for step `i` (its call line up to the next step's). */
function stepLines(text: string, i: number): string[] {
  const lines = text.split('\n');
  const at = (n: number) => lines.findIndex((l) => new RegExp(`^ {0,3}${n}  `).test(l));
  const from = at(i);
  assert.ok(from >= 0, `no step ${i} in\n${text}`);
  const to = at(i + 1);
  return lines.slice(from, to < 0 ? undefined : to);
}

const has = (lines: string[], s: string) =>
  assert.ok(
    lines.some((l) => l.includes(s)),
    `expected a line with ${JSON.stringify(s)} in\n${lines.join('\n')}`,
  );

// fds: r 3, w 4, ep 5.
const epollScript = script('epoll.json', [
  { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
  { call: 'epoll_create1', args: [0], bind: 'ep' },
  { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_DEL', '$r', null], expect: { errno: 'ENOENT' } },
  { call: 'epoll_ctl', args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN', data: 1 }] },
  {
    call: 'epoll_ctl',
    args: ['$ep', 'EPOLL_CTL_ADD', '$r', { events: 'EPOLLIN', data: 1 }],
    expect: { errno: 'EEXIST' },
  },
  { call: 'epoll_wait', args: ['$ep', 8, 0], expect: { ret: 0 } },
  { call: 'epoll_wait', args: ['$ep', 8, 10], expect: { ret: 0 } },
  { call: 'close', args: [9], expect: { errno: 'EBADF' } },
  {
    call: 'epoll_ctl',
    args: ['$r', 'EPOLL_CTL_ADD', '$w', { events: 'EPOLLOUT', data: 2 }],
    expect: { errno: 'EINVAL' },
  },
  {
    call: 'epoll_ctl',
    args: ['$ep', 'EPOLL_CTL_ADD', 0, { events: 'EPOLLIN', data: 3 }],
    expect: { errno: 'EPERM' },
  },
  { call: 'read', args: ['$r', 1], expect: { errno: 'EAGAIN' } },
  { call: 'close', args: ['$ep'] },
]);

test('an_epoll_is_named_as_the_script_binds_it_with_its_kernel_ids_after_the_line', async () => {
  const text = await trace(epollScript);
  const add = stepLines(text, 3);
  has(add, 'interest tree of $ep (fd 5): insert $r (fd 3)  [ep #');
  has(add, 'on rd_wait of pipe($r (fd 3), $w (fd 4)) (shared, head)  [pipe:');
  has(add, 'Δ $ep (fd 5).items: [] → [$r (fd 3)]  [file #');
  has(stepLines(text, 1), 'Δ pid 100 $ep (fd 5): file #');
  // No event line names the epoll by a kernel id alone.
  for (const l of text.split('\n'))
    assert.doesNotMatch(l.replace(/\s+\[[^\]]*\]$/, ''), /\bep #\d|eventpoll:\d/, l);
});

test('every_errno_says_which_check_failed', async () => {
  const text = await trace(epollScript);
  has(
    stepLines(text, 2),
    'do_epoll_ctl: EPOLL_CTL_DEL: no epitem for $r (fd 3) in the interest tree → ENOENT',
  );
  has(
    stepLines(text, 4),
    'do_epoll_ctl: EPOLL_CTL_ADD: (file, fd) of $r (fd 3) already in the interest tree → EEXIST',
  );
  has(stepLines(text, 7), 'close_fd: fd 9 is not open → EBADF');
  has(stepLines(text, 8), 'do_epoll_ctl: epfd 3 is not an epoll file (is_file_epoll) → EINVAL');
  has(stepLines(text, 9), 'do_epoll_ctl: fd 0 has no ->poll (a null file: file_can_poll) → EPERM');
  has(stepLines(text, 10), 'pipe_read: the pipe is empty, has writers, and $r (fd 3) is O_NONBLOCK → EAGAIN');
});

test('an_epoll_wait_that_returns_0_says_why', async () => {
  const text = await trace(epollScript);
  has(stepLines(text, 5), 'epoll_wait returns 0: the ready list of $ep (fd 5) is empty');
  has(stepLines(text, 6), 'epoll_wait returns 0: the timeout expired with nothing ready on $ep (fd 5)');
  // Items re-polled and dropped: the LT item after its data was read (example 04, step 16).
  const lt = await trace(join(repo, 'examples/04-lt-vs-et-partial-read.json'));
  has(
    stepLines(lt, 16),
    'epoll_wait returns 0: every item on the ready list of $ep (fd 7) was re-polled, found not ready and dropped: $lt_r (fd 3)',
  );
});

test('a_wake_up_names_its_waker_and_a_write_that_wakes_nobody_says_so', async () => {
  const path = script('nowaiter.json', [
    { call: 'pipe2', args: ['O_NONBLOCK'], bind: ['r', 'w'] },
    { call: 'write', args: ['$w', 'a'] },
    { call: 'write', args: ['$w', 'b'] },
    { call: 'eventfd', args: [3, 0], bind: 'e' },
    { call: 'read', args: ['$e', 8] },
  ]);
  const text = await trace(path);
  has(
    stepLines(text, 1),
    'pipe_write: wake_up(rd_wait of pipe($r (fd 3), $w (fd 4)), nr_exclusive=1, key=EPOLLIN|EPOLLRDNORM)',
  );
  has(stepLines(text, 1), 'nobody woken: no waiter on rd_wait of pipe($r (fd 3), $w (fd 4))');
  has(
    stepLines(text, 2),
    'pipe_write: no wake_up of rd_wait of pipe($r (fd 3), $w (fd 4)): the pipe was not empty',
  );
  // eventfd reads: the u64 beside its bytes; and no waiter to tell.
  has(
    stepLines(text, 4),
    'eventfd_read of $e (fd 5): the u64 3 (bytes 03 00 00 00 00 00 00 00), counter now 0',
  );
  has(
    stepLines(text, 4),
    'eventfd_read: no wake_up of wqh of $e (fd 5): no waiter on the queue (waitqueue_active)',
  );
});

test('an_exclusive_wake_up_lists_the_entries_it_did_not_reach', async () => {
  const text = await trace(join(repo, 'examples/11-epollexclusive-two-epolls.json'));
  const write = stepLines(text, 7);
  has(write, 'ep_poll_callback: wake_up(wq of $ep1 (fd 5), nr_exclusive=1, key=all)');
  const skipped = write.find((l) => l.includes('nr_exclusive ran out'));
  assert.ok(skipped, write.join('\n'));
  assert.match(
    skipped,
    /wake_up\(rd_wait of pipe\(\$r \(fd 3\), \$w \(fd 4\)\)\) woke 1 of the 1 entry it called; nr_exclusive ran out, not reached: entry #\d+ \(the hook of \$r \(fd 3\) in \$ep2 \(fd 6\)\)/,
  );
});

test('the_json_trace_carries_the_names_its_events_use_and_the_reasons', async () => {
  const doc = JSON.parse(await trace(epollScript, '--json')) as {
    version: number;
    steps: { events: KernelEvent[]; names: NameTable; changes: string[] }[];
  };
  const del = doc.steps[2];
  const errno = del.events.find((e) => e.type === 'errno');
  assert.deepEqual(
    { ...errno, file: typeof (errno as { file?: unknown }).file },
    {
      type: 'errno',
      errno: 'ENOENT',
      fn: 'do_epoll_ctl',
      why: 'EPOLL_CTL_DEL: no epitem for {file} in the interest tree',
      file: 'number',
      fd: 3,
    },
  );
  assert.equal(Object.values(del.names).includes('$r (fd 3)'), true);
  // The page renders a step's events with describeEvent(e, step.names): the same lines as the text.
  const text = await trace(epollScript);
  for (const [i, step] of doc.steps.entries())
    for (const e of step.events) has(stepLines(text, i), describeEvent(e, step.names));
  // Only what the events use is kept, in key order.
  const add = doc.steps[3];
  assert.deepEqual(Object.keys(add.names), Object.keys(add.names).sort());
  assert.ok(Object.keys(add.names).every((k) => /^(ep|epi|queue|entry|file|object):/.test(k)));
});

test('name_table_maps_files_eventpolls_queues_and_epitems_to_the_script_names', async () => {
  const recorder = new TraceRecorder();
  let snap: KernelSnapshot | null = null;
  let namer: ((fd: number) => string | number) | null = null;
  const src = readFileSync(epollScript, 'utf8');
  await runScript(parseScriptText(src), recorder.backend, {
    onStep: (_o, step, bindings) => {
      const t = recorder.take();
      if (step.index === 3) {
        snap = t.snapshot;
        namer = (fd) => bindings.nameOf(fd);
      }
    },
  });
  const s = snap as unknown as KernelSnapshot;
  const table = nameTable([s], namer!);
  const epFile = s.files.find((f) => f.type === 'eventpoll')!;
  const ep = epFile.detail as { id: number; items: { id: number }[] };
  assert.equal(table[`file:${epFile.id}`], '$ep (fd 5)');
  assert.equal(table[`ep:${ep.id}`], '$ep (fd 5)');
  assert.equal(table[`queue:eventpoll:${ep.id}.wq`], 'wq of $ep (fd 5)');
  assert.equal(table[`epi:${ep.items[0].id}`], '$r (fd 3) in $ep (fd 5)');
  const pipeFile = s.files.find((f) => f.type === 'pipe')!;
  const pipeId = (pipeFile.detail as { id: number }).id;
  assert.equal(table[`object:pipe:${pipeId}`], 'pipe($r (fd 3), $w (fd 4))');
  assert.equal(table[`queue:pipe:${pipeId}.rd_wait`], 'rd_wait of pipe($r (fd 3), $w (fd 4))');
  // Without bindings, fds by number; a file no fd refers to, by its id.
  const bare = nameTable([s]);
  assert.equal(bare[`file:${epFile.id}`], 'fd 5');
  assert.equal(
    fdLabel(7, (fd) => (fd === 7 ? 'x' : fd)),
    '$x (fd 7)',
  );
  assert.equal(fdLabel(8), 'fd 8');
  // A closed fd keeps the name the step before gave it.
  const closed: KernelSnapshot = {
    ...s,
    processes: s.processes.map((p) => ({
      ...p,
      fdtable: { ...p.fdtable, fds: p.fdtable.fds.filter((e) => e.fd !== 5) },
    })),
  };
  assert.equal(nameTable([s, closed], namer!)[`file:${epFile.id}`], '$ep (fd 5)');
  assert.equal(nameTable([closed], namer!)[`file:${epFile.id}`], `file #${epFile.id}`);
});

test('masks_and_flag_words_decode_to_linux_names', () => {
  assert.equal(formatEvents(0xc3), 'EPOLLIN|EPOLLPRI|EPOLLRDNORM|EPOLLRDBAND');
  assert.equal(formatEvents(25), 'EPOLLIN|EPOLLERR|EPOLLHUP');
  assert.equal(formatEvents(0x80000001), 'EPOLLIN|EPOLLET');
  assert.equal(formatEvents(0x4000), 'POLLFREE');
  assert.equal(formatEvents(0), '0');
  assert.equal(formatOpenFlags(2049), 'O_WRONLY|O_NONBLOCK');
  assert.equal(formatOpenFlags(2), 'O_RDWR');
  assert.equal(formatOpenFlags(0o100000), 'O_RDONLY|O_LARGEFILE');
  assert.equal(formatOpenFlags(0o2004002), 'O_RDWR|O_NONBLOCK|O_CLOEXEC');
  // In a trace: wake-up keys, delivered events, and F_GETFL's word.
  const e: KernelEvent = { type: 'wake_up', queue: 'pipe:3.rd_wait', nr_exclusive: 1, key: 0xc3 };
  assert.match(describeEvent(e), /key=EPOLLIN\|EPOLLPRI\|EPOLLRDNORM\|EPOLLRDBAND/);
});

test('f_getfl_and_f_setfl_are_decoded_in_the_text_trace', async () => {
  const path = script('getfl.json', [
    { call: 'pipe2', args: [0], bind: ['r', 'w'] },
    { call: 'fcntl', args: ['$w', 'F_SETFL', 'O_NONBLOCK'] },
    { call: 'fcntl', args: ['$w', 'F_GETFL', 0] },
  ]);
  const text = await trace(path);
  has(stepLines(text, 1), 'Δ $w (fd 4).flags: O_WRONLY → O_WRONLY|O_NONBLOCK');
  has(stepLines(text, 2), 'F_GETFL: O_WRONLY|O_NONBLOCK');
});

test('every_failing_call_of_the_examples_and_conformance_scripts_has_its_reason', async () => {
  const files = ['examples', 'test/conformance'].flatMap((d) =>
    readdirSync(join(repo, d))
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(repo, d, f)),
  );
  const missing: string[] = [];
  let failing = 0;
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    const doc = JSON.parse(src) as { steps?: unknown[] };
    if (!Array.isArray(doc.steps) || doc.steps.length > 300) continue;
    const recorder = new TraceRecorder();
    await runScript(parseScriptText(src), recorder.backend, {
      onStep: (o) => {
        const events = recorder.take().events;
        const err = (o.result as { errno?: string }).errno;
        // A join's errno came from a step before it, when the thread's call ended.
        if (err === undefined || o.call === 'join') return;
        failing++;
        const reason = events.find((e) => e.type === 'errno');
        if (reason?.type !== 'errno' || reason.errno !== err)
          missing.push(`${f} step ${o.step}: ${o.call} ${err}`);
      },
    });
  }
  assert.ok(failing > 300, `${failing}`);
  assert.deepEqual(missing, []);
});

test('trace_document_is_what_trace_json_writes', async () => {
  for (const path of [epollScript, join(repo, 'examples/11-epollexclusive-two-epolls.json')]) {
    const doc = await traceDocument(parseScriptText(readFileSync(path, 'utf8')), path);
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), JSON.parse(await trace(path, '--json')));
  }
});

test('an_interest_tree_change_is_one_line_with_the_tree_in_order', async () => {
  const text = await trace(join(repo, 'examples/08-interest-tree-and-ready-list.json'));
  const tree = text.split('\n').filter((l) => l.includes('.tree'));
  assert.ok(
    tree.some((l) =>
      l.includes(
        'Δ $ep (fd 9).tree: $a_r (fd 3):black ($b_r (fd 5):red) → ($a_r (fd 3):red) $b_r (fd 5):black ($c_r (fd 7):red)',
      ),
    ),
    tree.join('\n'),
  );
  // Not one line per field a rotation moved.
  assert.equal(
    tree.some((l) => /\.tree\.(epi|file|fd|left|right)/.test(l)),
    false,
    tree.join('\n'),
  );
});
