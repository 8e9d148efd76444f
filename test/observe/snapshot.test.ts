import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AF, EFD, EPOLL, EPOLL_CTL, SOCK } from '../../src/abi/constants.ts';
import { snapshot } from '../../src/observe/snapshot.ts';
import { ok, withSim } from '../helpers.ts';

test('a_snapshot_is_plain_json_with_stable_ids', () =>
  withSim(async (sim) => {
    const fd = ok(await sim.sys.eventfd(2, EFD.EFD_NONBLOCK)).ret;
    const pending = sim.thread('reader').read(ok(await sim.sys.eventfd(0, 0)).ret, 8);
    const snap = snapshot(sim.k);
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
    const table = snap.processes[0].fdtable;
    assert.equal(table.capacity, 1024);
    assert.deepEqual(
      table.fds.map((f) => f.fd),
      [0, 1, 2, fd, fd + 1],
    );
    const reader = snap.processes[0].threads.find((t) => t.name === 'reader');
    assert.deepEqual(reader && { state: reader.state, call: reader.call }, {
      state: 'blocked',
      call: `read(${fd + 1}, 8)`,
    });
    const efd = snap.files.find((f) => f.id === table.fds[3].file);
    assert.equal(efd?.type, 'eventfd');
    assert.equal((efd?.detail as { count: string } | undefined)?.count, '2');
    const blockedOn = snap.files.find((f) => f.id === table.fds[4].file)?.detail as {
      wqh: { entries: { kind: string; exclusive: boolean; owner: unknown }[] };
    };
    assert.deepEqual(
      blockedOn.wqh.entries.map((e) => [e.kind, e.exclusive, e.owner]),
      [['autoremove_wake_function', false, { kind: 'thread', id: reader?.id }]],
    );
    // Same program, same snapshot.
    assert.deepEqual(snapshot(sim.k), snap);
    ok(await sim.sys.write(fd + 1, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])));
    ok(await sim.wait(pending));
  }));

test('a_snapshot_shows_the_per_kernel_state_of_pipes_and_select', () =>
  withSim(async (sim) => {
    const [fd] = [ok(await sim.sys.eventfd(0, 0)).ret];
    ok(await sim.sys.pipe2(0));
    const p = sim.thread('t1').select(fd + 1, [fd], null, null, null);
    const during = snapshot(sim.k);
    const pollwait = during.state.pollwait as { owner: string; task: string; entries: { file: number }[] }[];
    assert.deepEqual(
      pollwait.map((c) => [c.owner, c.task, c.entries.length]),
      [['select', 't1', 1]],
    );
    assert.deepEqual(during.state.pipe, { userPipeBufs: 16, pipeUserPagesSoft: 16384 });
    // The select's wait entry is owned by its poll_wqueues, by id.
    const efd = during.files.find((f) => f.id === sim.p.fdtable.get(fd)!.id)?.detail as {
      wqh: { entries: { kind: string; owner: unknown }[] };
    };
    assert.deepEqual(
      efd.wqh.entries.map((e) => [e.kind, e.owner]),
      [['pollwake', { kind: 'poll_wqueues', id: (pollwait[0] as unknown as { id: number }).id }]],
    );
    ok(await sim.sys.write(fd, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])));
    ok(await sim.wait(p));
    assert.deepEqual(snapshot(sim.k).state.pollwait, []);
  }));

test('every_wait_entry_owner_is_a_kind_and_an_id_never_a_class_name', async () => {
  // Every script of the repository, every step: each entry's owner is {kind, id}, the kind one
  // the wake function names, and a thread owner is a thread of the snapshot.
  const { TraceRecorder } = await import('../../src/observe/trace.ts');
  const { runScript } = await import('../../src/script/run.ts');
  const { parseScriptText } = await import('../../src/script/parse.ts');
  const { WAIT_OWNER_KIND } = await import('../../src/kernel/waitqueue.ts');
  const { readdirSync, readFileSync } = await import('node:fs');
  const files = ['examples/', 'test/conformance/'].flatMap((d) => {
    const dir = new URL(`../../${d}`, import.meta.url).pathname;
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => dir + f);
  });
  const seen = new Set<string>();
  for (const file of files) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { steps?: unknown[] };
    if (!Array.isArray(doc.steps) || doc.steps.length > 200) continue;
    const recorder = new TraceRecorder();
    await runScript(parseScriptText(readFileSync(file, 'utf8')), recorder.backend, {
      onStep: () => {
        const snap = recorder.take().snapshot;
        const threads = new Set(snap.processes.flatMap((p) => p.threads.map((t) => t.id)));
        const walk = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(walk);
          else if (typeof v === 'object' && v !== null) {
            const e = v as { kind?: keyof typeof WAIT_OWNER_KIND; owner?: { kind: string; id: number } };
            if (e.kind && e.owner && typeof e.owner === 'object') {
              assert.deepEqual(Object.keys(e.owner), ['kind', 'id'], file);
              assert.equal(e.owner.kind, WAIT_OWNER_KIND[e.kind], file);
              assert.equal(typeof e.owner.id, 'number', file);
              if (e.owner.kind === 'thread') assert.ok(threads.has(e.owner.id), file);
              seen.add(e.owner.kind);
            }
            Object.values(v).forEach(walk);
          }
        };
        walk(snap);
      },
    });
  }
  for (const kind of ['eppoll_entry', 'poll_wqueues', 'thread']) assert.ok(seen.has(kind), kind);
});

test('a_snapshot_shows_the_unix_namespace_and_the_epoll_watch_count', () =>
  withSim(async (sim) => {
    const s = ok(await sim.sys.socket(AF.AF_UNIX, SOCK.SOCK_STREAM, 0)).ret;
    ok(await sim.sys.bind(s, '@name'));
    const ep = ok(await sim.sys.epoll_create1(0)).ret;
    ok(await sim.sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, s, { events: EPOLL.EPOLLIN, data: 0 }));
    const snap = snapshot(sim.k);
    const file = snap.files.find((f) => f.id === sim.p.fdtable.get(s)!.id)!;
    const sock = (file.detail as { sk: { id: number } }).sk;
    assert.deepEqual(snap.state.unix, [{ name: '@name', type: SOCK.SOCK_STREAM, sock: sock.id }]);
    assert.equal((snap.state.epoll as { userWatches: number }).userWatches, 1);
  }));
