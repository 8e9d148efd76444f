// The interest set's red-black tree (src/kernel/eventpoll/rbtree.ts) under random insert/erase
// sequences: after every step the red-black invariants hold, and the in-order walk is the
// sorted set of keys (file first, then fd) that a plain Map model holds.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { epCmpFfd, type RbColour, RbTree, rbEmptyNode } from '../../src/kernel/eventpoll/rbtree.ts';
import { Kernel } from '../../src/kernel/kernel.ts';

/** A node as an epitem embeds it: the links and the (file, fd) key in the object itself. */
class Node {
  rbColour: RbColour = 'red';
  rbLeft: Node | null = null;
  rbRight: Node | null = null;
  rbParent: Node | null = this;
  readonly file: { readonly id: number };
  constructor(
    file: number,
    readonly fd: number,
    readonly id: number,
  ) {
    this.file = { id: file };
  }
}

/** Insert a new node for (file, fd) and return it. */
function insert(tree: RbTree<Node>, file: number, fd: number, id: number): Node {
  const n = new Node(file, fd, id);
  tree.insert(n);
  return n;
}

type Op = { op: 'insert' | 'erase'; file: number; fd: number };

const opArb = fc.record({
  op: fc.constantFrom<'insert' | 'erase'>('insert', 'insert', 'erase'),
  file: fc.integer({ min: 0, max: 15 }),
  fd: fc.integer({ min: 0, max: 15 }),
});

function run(ops: Op[]): void {
  const k = new Kernel();
  const tree = new RbTree<Node>(k, 1);
  const model = new Map<string, Node>();
  let id = 0;
  for (const { op, file, fd } of ops) {
    const key = `${file}:${fd}`;
    const found = tree.find(file, fd);
    assert.equal(found, model.get(key) ?? null);
    if (op === 'insert' && !found) {
      const n = insert(tree, file, fd, ++id);
      assert.equal(rbEmptyNode(n), false);
      model.set(key, n);
    }
    if (op === 'erase' && found) {
      tree.erase(found);
      assert.equal(rbEmptyNode(found), true, 'an erased node is marked out of the tree');
      model.delete(key);
    }
    tree.checkInvariants();
    const inorder = tree.nodes().map((n) => [n.file.id, n.fd]);
    const sorted = [...model.values()]
      .map((n) => [n.file.id, n.fd])
      .sort((a, b) => epCmpFfd(a[0], a[1], b[0], b[1]));
    assert.deepEqual(inorder, sorted);
    assert.deepEqual(
      tree.nodes().map((n) => model.get(`${n.file.id}:${n.fd}`)),
      tree.nodes(),
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
  const tree = new RbTree<Node>(k, 1);
  const n = 1024;
  for (let i = 0; i < n; i++) insert(tree, 1, i, i + 1);
  tree.checkInvariants();
  // A red-black tree's height is at most 2·log2(n+1): each insert compares at most that often.
  assert.ok(k.stats.rbtreeCompares <= n * 2 * Math.log2(n + 1), `${k.stats.rbtreeCompares} compares`);
  assert.ok(k.stats.rbtreeRotations > 0 && k.stats.rbtreeRotations < n);
  const before = k.stats.rbtreeCompares;
  assert.equal(tree.find(1, 777)?.fd, 777);
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
      const tree = new RbTree<Node>(k, 1);
      const byKey = new Map(keys.map((key, i) => [key, insert(tree, key % 7, key, i + 1)]));
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
  const tree = new RbTree<Node>(k, 9);
  const a = insert(tree, 1, 1, 1);
  insert(tree, 1, 2, 2);
  a.rbColour = 'red';
  assert.throws(() => tree.checkInvariants(), /root is red/);
  a.rbColour = 'black';
  a.rbRight!.rbColour = 'red';
  tree.checkInvariants();
  const c = insert(tree, 1, 3, 3);
  c.rbParent!.rbColour = 'red';
  c.rbColour = 'red';
  assert.throws(() => tree.checkInvariants(), /red child|black heights|root is red/);
});
