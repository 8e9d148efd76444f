// The interest set's red-black tree (src/kernel/eventpoll/rbtree.ts) under random insert/erase
// sequences: after every step the red-black invariants hold, and the in-order walk is the
// sorted set of keys (file first, then fd) that a plain Map model holds.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { epCmpFfd, type RbNode, RbTree } from '../../src/kernel/eventpoll/rbtree.ts';
import { Kernel } from '../../src/kernel/kernel.ts';

type Op = { op: 'insert' | 'erase'; file: number; fd: number };

const opArb = fc.record({
  op: fc.constantFrom<'insert' | 'erase'>('insert', 'insert', 'erase'),
  file: fc.integer({ min: 0, max: 15 }),
  fd: fc.integer({ min: 0, max: 15 }),
});

function run(ops: Op[]): void {
  const k = new Kernel();
  const tree = new RbTree<string>(k, 1);
  const model = new Map<string, RbNode<string>>();
  let id = 0;
  for (const { op, file, fd } of ops) {
    const key = `${file}:${fd}`;
    const found = tree.find(file, fd);
    assert.equal(found, model.get(key) ?? null);
    if (op === 'insert' && !found) model.set(key, tree.insert(file, fd, ++id, key));
    if (op === 'erase' && found) {
      tree.erase(found);
      model.delete(key);
    }
    tree.checkInvariants();
    const inorder = tree.nodes().map((n) => [n.file, n.fd]);
    const sorted = [...model.values()]
      .map((n) => [n.file, n.fd])
      .sort((a, b) => epCmpFfd(a[0], a[1], b[0], b[1]));
    assert.deepEqual(inorder, sorted);
    assert.deepEqual(
      tree.values(),
      sorted.map(([f, d]) => `${f}:${d}`),
    );
  }
}

test('random_insert_erase_sequences_keep_the_red_black_invariants_and_sorted_order', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 20, maxLength: 400 }), (ops) => run(ops)),
    { numRuns: 200 },
  );
});

test('ascending_inserts_of_n_keys_cost_O_log_n_compares_each', () => {
  const k = new Kernel();
  const tree = new RbTree<number>(k, 1);
  const n = 1024;
  for (let i = 0; i < n; i++) tree.insert(1, i, i + 1, i);
  tree.checkInvariants();
  // A red-black tree's height is at most 2·log2(n+1): each insert compares at most that often.
  assert.ok(k.stats.rbtreeCompares <= n * 2 * Math.log2(n + 1), `${k.stats.rbtreeCompares} compares`);
  assert.ok(k.stats.rbtreeRotations > 0 && k.stats.rbtreeRotations < n);
  const before = k.stats.rbtreeCompares;
  assert.equal(tree.find(1, 777)?.value, 777);
  assert.ok(k.stats.rbtreeCompares - before <= 2 * Math.log2(n + 1));
});

test('erasing_every_node_in_random_order_leaves_an_empty_valid_tree', () => {
  const keysAndOrder = fc
    .uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 150 })
    .chain((keys) =>
      fc.tuple(
        fc.constant(keys),
        fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length }),
      ),
    );
  fc.assert(
    fc.property(keysAndOrder, ([keys, order]) => {
      const k = new Kernel();
      const tree = new RbTree<number>(k, 1);
      const byKey = new Map(keys.map((key, i) => [key, tree.insert(key % 7, key, i + 1, key)]));
      tree.checkInvariants();
      const events: string[] = [];
      k.attach((e) => {
        if (e.type === 'rbtree_erase') events.push(`erase ${e.epi}`);
      });
      for (const key of order) {
        tree.erase(byKey.get(key)!);
        tree.checkInvariants();
      }
      assert.equal(tree.root, null);
      assert.equal(tree.first(), null);
      assert.equal(tree.size, 0);
      assert.equal(events.length, keys.length);
    }),
    { numRuns: 200 },
  );
});

test('check_invariants_catches_a_red_root_and_a_red_red_edge', () => {
  const k = new Kernel();
  const tree = new RbTree<number>(k, 9);
  const a = tree.insert(1, 1, 1, 1);
  tree.insert(1, 2, 2, 2);
  a.colour = 'red';
  assert.throws(() => tree.checkInvariants(), /root is red/);
  a.colour = 'black';
  a.right!.colour = 'red';
  tree.checkInvariants();
  const c = tree.insert(1, 3, 3, 3);
  c.parent!.colour = 'red';
  c.colour = 'red';
  assert.throws(() => tree.checkInvariants(), /red child|black heights|root is red/);
});
