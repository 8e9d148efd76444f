// The interest tree of an eventpoll laid out for drawing: each node's column is its place in key
// order (an in-order walk), its row its depth, so the tree reads left to right as the keys do.

import type { RbNodeSnapshot } from '../../../src/index.ts';

export interface TreeNode {
  epi: number;
  fd: number;
  file: number;
  colour: 'red' | 'black';
  /** Column (0-based, key order) and row (depth, the root 0). */
  col: number;
  row: number;
}

export interface TreeLayout {
  nodes: TreeNode[];
  /** Parent → child, by epitem id. */
  edges: { from: number; to: number; side: 'left' | 'right' }[];
  cols: number;
  rows: number;
}

export function layoutTree(root: RbNodeSnapshot | null): TreeLayout {
  const nodes: TreeNode[] = [];
  const edges: TreeLayout['edges'] = [];
  let rows = 0;
  // Iterative in-order walk: deep trees do not grow the stack.
  const stack: { n: RbNodeSnapshot; row: number }[] = [];
  let cur: RbNodeSnapshot | null = root;
  let row = 0;
  while (cur || stack.length > 0) {
    while (cur) {
      stack.push({ n: cur, row });
      if (cur.left) edges.push({ from: cur.epi, to: cur.left.epi, side: 'left' });
      if (cur.right) edges.push({ from: cur.epi, to: cur.right.epi, side: 'right' });
      cur = cur.left;
      row++;
    }
    const top = stack.pop()!;
    const n = top.n;
    nodes.push({ epi: n.epi, fd: n.fd, file: n.file, colour: n.colour, col: nodes.length, row: top.row });
    rows = Math.max(rows, top.row + 1);
    cur = n.right;
    row = top.row + 1;
  }
  return { nodes, edges, cols: nodes.length, rows };
}
