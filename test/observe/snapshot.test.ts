import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EFD } from '../../src/abi/constants.ts';
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
