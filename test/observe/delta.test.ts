import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seeded as rng } from '../../src/bench/stats.ts';
import { applyDelta, diffJson } from '../../src/observe/delta.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A random JSON value like a snapshot's: objects, lists with and without ids, primitives. */
function value(r: () => number, depth: number, ids: { next: number }): Json {
  const pick = Math.floor(r() * (depth > 3 ? 4 : 7));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor(r() * 5);
    case 3:
      return ['a', 'b', 'c'][Math.floor(r() * 3)];
    case 4: {
      const o: Record<string, Json> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[`k${Math.floor(r() * 5)}`] = value(r, depth + 1, ids);
      return o;
    }
    case 5:
      // A list of things with ids (files, queue entries).
      return Array.from({ length: Math.floor(r() * 5) }, () => ({
        id: ids.next++,
        v: value(r, depth + 1, ids),
      }));
    default:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1, ids));
  }
}

/** `v` changed at random places: values replaced, keys added and removed, list elements moved. */
function mutate(r: () => number, v: Json, ids: { next: number }): Json {
  if (r() < 0.15) return value(r, 2, ids);
  if (Array.isArray(v)) {
    const out = v.map((x) => (r() < 0.5 ? mutate(r, x, ids) : x));
    const withIds = out.length > 0 && out.every((x) => typeof x === 'object' && x !== null && 'id' in x);
    if (r() < 0.3 && out.length > 0) out.splice(Math.floor(r() * out.length), 1);
    if (r() < 0.3) out.splice(Math.floor(r() * (out.length + 1)), 0, withIds ? { id: ids.next++, v: 1 } : 7);
    if (r() < 0.2 && out.length > 1) out.push(out.shift() as Json);
    return out;
  }
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) if (r() > 0.15) out[k] = r() < 0.5 ? mutate(r, x, ids) : x;
    if (r() < 0.3) out[`n${Math.floor(r() * 3)}`] = value(r, 2, ids);
    return out;
  }
  return r() < 0.5 ? v : value(r, 3, ids);
}

test('applying_the_diff_of_two_values_gives_the_second_and_leaves_the_first', () => {
  const r = rng(9);
  for (let n = 0; n < 3000; n++) {
    const ids = { next: 1 };
    const a = { root: value(r, 0, ids), files: value(r, 3, ids) } as Json;
    let b = a;
    for (let i = Math.floor(r() * 3) + 1; i > 0; i--) b = mutate(r, b, ids);
    const before = JSON.stringify(a);
    const ops = JSON.parse(JSON.stringify(diffJson(a, b)));
    assert.deepEqual(applyDelta(a, ops), b, `case ${n}: ${before} → ${JSON.stringify(b)}`);
    assert.equal(JSON.stringify(a), before, 'the diffed value is not modified');
    if (JSON.stringify(a) === JSON.stringify(b)) assert.deepEqual(ops, []);
  }
});

test('a_list_with_ids_changes_by_one_splice_and_in_place_edits', () => {
  const a = { files: [1, 2, 3, 4].map((id) => ({ id, n: 0 })) };
  const b = { files: [1, 2, 9, 3, 4].map((id) => ({ id, n: id === 4 ? 1 : 0 })) };
  assert.deepEqual(diffJson(a, b), [
    { path: ['files'], splice: { start: 2, deleteCount: 0, items: [{ id: 9, n: 0 }] } },
    { path: ['files', 4, 'n'], set: 1 },
  ]);
});
