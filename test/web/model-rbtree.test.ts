// The interest tree as the page lays it out: in key order left to right, depth top to bottom,
// each node coloured as the snapshot says, for a tree of N epitems.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventpollSnapshot, RbNodeSnapshot } from '../../src/index.ts';
import { kernelView } from '../../web/src/model/kernel.ts';
import { layoutTree } from '../../web/src/model/rbtree.ts';
import { snapshotAt } from '../../web/src/model/steps.ts';
import { traceOf } from './model-helpers.ts';

function epollWith(n: number) {
  const steps: unknown[] = [{ call: 'epoll_create1', args: [0], bind: 'ep' }];
  for (let i = 0; i < n; i++) {
    steps.push({ call: 'pipe2', args: ['O_NONBLOCK'], bind: [`r${i}`, `w${i}`] });
    steps.push({
      call: 'epoll_ctl',
      args: ['$ep', 'EPOLL_CTL_ADD', `$r${i}`, { events: 'EPOLLIN', data: i }],
    });
  }
  return { name: `epoll watching ${n} pipes`, steps };
}

test('the_layout_of_an_empty_tree_has_no_nodes', () => {
  assert.deepEqual(layoutTree(null), { nodes: [], edges: [], cols: 0, rows: 0 });
});

for (const n of [1, 2, 7, 40]) {
  test(`a_tree_of_${n}_epitems_is_laid_out_in_key_order_with_the_snapshots_colours`, async () => {
    const trace = await traceOf(epollWith(n));
    const snap = snapshotAt(trace, trace.steps.length - 1);
    const ep = kernelView(snap).eventpolls[0];
    const raw = snap.files.find((f) => f.type === 'eventpoll')!.detail as EventpollSnapshot;
    const { tree } = ep;
    assert.equal(tree.nodes.length, n);
    // Columns follow the interest set's key order.
    assert.deepEqual(
      tree.nodes.map((x) => x.epi),
      raw.inorder.map((x) => x.epi),
    );
    assert.deepEqual(
      tree.nodes.map((x) => x.col),
      tree.nodes.map((_, i) => i),
    );
    // Colours and depths are the snapshot's.
    const colour = new Map<number, string>();
    const depth = new Map<number, number>();
    const walk = (x: RbNodeSnapshot | null, d: number) => {
      if (!x) return;
      colour.set(x.epi, x.colour);
      depth.set(x.epi, d);
      walk(x.left, d + 1);
      walk(x.right, d + 1);
    };
    walk(raw.tree, 0);
    for (const x of tree.nodes) {
      assert.equal(x.colour, colour.get(x.epi));
      assert.equal(x.row, depth.get(x.epi));
    }
    // Every edge goes one row down, to the left or right as the side says; a red node's children are black.
    const at = new Map(tree.nodes.map((x) => [x.epi, x]));
    assert.equal(tree.edges.length, n - 1);
    for (const e of tree.edges) {
      const [p, c] = [at.get(e.from)!, at.get(e.to)!];
      assert.equal(c.row, p.row + 1);
      assert.equal(e.side === 'left', c.col < p.col);
      assert.ok(!(p.colour === 'red' && c.colour === 'red'), 'no red node has a red child');
    }
    assert.ok(tree.rows <= 2 * Math.log2(n + 1), `height ${tree.rows} is a red-black tree's`);
  });
}
