// The interest set of an epoll instance: a red-black tree (Linux: lib/rbtree.c, used by
// fs/eventpoll.c as ep->rbr, an rb_root_cached).
//
// Keyed as ep_cmp_ffd keys it: by the open file description first, then by the fd number. Linux
// compares `struct file *` pointers; the model compares the File's stable id instead (Not Linux:
// determinism — ids are given in creation order, pointers are wherever the slab put them). So the
// same open file description under two fd numbers (dup) is two neighbouring keys, and the same fd
// number pointing at a different file is a different key: that is the whole of §4.6's lifetime
// rules.
//
// The algorithm is lib/rbtree.c's: insertion recolours up the tree while the uncle is red, then
// at most two rotations (__rb_insert cases 1–3); erasure replaces a node that has two children by
// its in-order successor and, when a black node left the tree without a red child to take its
// colour, rebalances from the parent (____rb_erase_color cases 1–4, at most three rotations).
// Nodes are plain data — colour, left, right, parent — so the playground can draw the tree as it
// is, and `checkInvariants()` verifies the red-black rules after any step.
//
// Every key comparison counts in `stats.rbtreeCompares` and every rotation in
// `stats.rbtreeRotations`: an ADD or a lookup costs O(log N) of them, which is the part of
// epoll_ctl that grows with the interest set.

import type { Kernel } from '../kernel.ts';

export type RbColour = 'red' | 'black';

/** Linux: struct rb_node embedded in struct epitem as `rbn`, with the epoll_filefd key beside it. */
export interface RbNode<T> {
  /** Linux: epi->ffd.file — here the open file description's id (the key's first half). */
  readonly file: number;
  /** Linux: epi->ffd.fd — the fd number the item was added under (the key's second half). */
  readonly fd: number;
  /** The epitem's id (traces and snapshots). */
  readonly id: number;
  /** What the node belongs to (Linux reaches it with rb_entry/container_of). */
  readonly value: T;
  /** Linux: the colour bit of __rb_parent_color. Changed only by insert/erase rebalancing. */
  colour: RbColour;
  /** Linux: rb_left. Keys smaller than this node's. */
  left: RbNode<T> | null;
  /** Linux: rb_right. Keys larger than this node's. */
  right: RbNode<T> | null;
  /** Linux: the parent half of __rb_parent_color; null for the root. */
  parent: RbNode<T> | null;
}

/** Linux: fs/eventpoll.c:ep_cmp_ffd — file first, then fd. */
export function epCmpFfd(aFile: number, aFd: number, bFile: number, bFd: number): number {
  return aFile > bFile ? 1 : aFile < bFile ? -1 : aFd - bFd;
}

/** A node drawn for the playground: plain JSON, children nested. */
export interface RbNodeSnapshot {
  epi: number;
  file: number;
  fd: number;
  colour: RbColour;
  left: RbNodeSnapshot | null;
  right: RbNodeSnapshot | null;
}

/** Linux: struct rb_root_cached. */
export class RbTree<T> {
  /** Linux: rb_root.rb_node. */
  root: RbNode<T> | null = null;
  /** Linux: rb_leftmost — the smallest key, kept so rb_first_cached is O(1). */
  leftmost: RbNode<T> | null = null;
  /** Number of nodes (Linux keeps no count; snapshots and checks use it). */
  size = 0;

  constructor(
    private readonly k: Kernel,
    /** The eventpoll this tree belongs to (events name it). */
    readonly ep: number,
  ) {}

  /** Linux: ep_find — walk down comparing keys; null if absent. */
  find(file: number, fd: number): RbNode<T> | null {
    let n = this.root;
    while (n) {
      this.k.stats.rbtreeCompares++;
      const c = epCmpFfd(file, fd, n.file, n.fd);
      if (c > 0) n = n.right;
      else if (c < 0) n = n.left;
      else return n;
    }
    return null;
  }

  /**
   * Linux: ep_rbtree_insert — descend to a leaf (equal keys go left, as Linux does; epoll_ctl
   * looks the key up first so it never inserts a duplicate), link a red node, then rebalance.
   */
  insert(file: number, fd: number, id: number, value: T): RbNode<T> {
    const node: RbNode<T> = { file, fd, id, value, colour: 'red', left: null, right: null, parent: null };
    let parent: RbNode<T> | null = null;
    let p = this.root;
    let goRight = false;
    let leftmost = true;
    while (p) {
      parent = p;
      this.k.stats.rbtreeCompares++;
      goRight = epCmpFfd(file, fd, p.file, p.fd) > 0;
      if (goRight) {
        leftmost = false;
        p = p.right;
      } else p = p.left;
    }
    // Linux: rb_link_node.
    node.parent = parent;
    if (!parent) this.root = node;
    else if (goRight) parent.right = node;
    else parent.left = node;
    if (leftmost) this.leftmost = node;
    this.size++;
    this.k.emit?.({ type: 'rbtree_insert', ep: this.ep, epi: id });
    this.insertColour(node);
    return node;
  }

  // Linux: __rb_insert. `node` is red; fix a red parent by recolouring (uncle red) or rotating.
  private insertColour(node: RbNode<T>): void {
    let parent = node.parent;
    for (;;) {
      if (!parent) {
        // The root is always black.
        node.colour = 'black';
        return;
      }
      if (parent.colour === 'black') return;
      // A red parent is never the root, so the grandparent exists.
      const gparent = parent.parent!;
      if (parent === gparent.left) {
        const uncle = gparent.right;
        if (uncle && uncle.colour === 'red') {
          // Case 1: the uncle is red — flip colours and continue from the grandparent.
          uncle.colour = 'black';
          parent.colour = 'black';
          gparent.colour = 'red';
          node = gparent;
          parent = node.parent;
          continue;
        }
        if (node === parent.right) {
          // Case 2: the node is an inner child — rotate it outward at the parent.
          this.rotateLeft(parent);
          node = parent;
          parent = node.parent!;
        }
        // Case 3: rotate the grandparent toward the uncle; the parent takes its place, black.
        this.rotateRight(gparent);
        parent.colour = 'black';
        gparent.colour = 'red';
        return;
      }
      const uncle = gparent.left;
      if (uncle && uncle.colour === 'red') {
        uncle.colour = 'black';
        parent.colour = 'black';
        gparent.colour = 'red';
        node = gparent;
        parent = node.parent;
        continue;
      }
      if (node === parent.left) {
        this.rotateRight(parent);
        node = parent;
        parent = node.parent!;
      }
      this.rotateLeft(gparent);
      parent.colour = 'black';
      gparent.colour = 'red';
      return;
    }
  }

  /** Linux: rb_erase_cached — unlink `node`, then rebalance if a black node left the tree. */
  erase(node: RbNode<T>): void {
    if (this.leftmost === node) this.leftmost = this.next(node);
    let rebalance: RbNode<T> | null = null;
    let needRebalance = false;
    const child = node.right;
    const tmp = node.left;
    if (!tmp) {
      // At most one child (the right one): it must be red with no children; it takes the
      // node's place and colour. With no child, a black node leaves a hole to rebalance.
      this.changeChild(node, child, node.parent);
      if (child) {
        child.parent = node.parent;
        child.colour = node.colour;
      } else if (node.colour === 'black') {
        rebalance = node.parent;
        needRebalance = rebalance !== null;
      }
    } else if (!child) {
      // Only a left child: red, childless; it takes the node's place and colour.
      tmp.parent = node.parent;
      tmp.colour = node.colour;
      this.changeChild(node, tmp, node.parent);
    } else {
      // Two children: the in-order successor (leftmost of the right subtree) takes the
      // node's place and colour; the hole is where the successor was.
      let successor = child;
      let parent: RbNode<T>;
      let child2 = successor.right;
      if (!successor.left) {
        // The right child is the successor.
        parent = successor;
      } else {
        let s: RbNode<T> | null = successor.left;
        do {
          parent = successor;
          successor = s;
          s = s.left;
        } while (s);
        child2 = successor.right;
        parent.left = child2;
        successor.right = child;
        child.parent = successor;
      }
      successor.left = tmp;
      tmp.parent = successor;
      this.changeChild(node, successor, node.parent);
      const successorWasBlack = successor.colour === 'black';
      successor.parent = node.parent;
      successor.colour = node.colour;
      if (child2) {
        child2.parent = parent;
        child2.colour = 'black';
      } else if (successorWasBlack) {
        rebalance = parent;
        needRebalance = true;
      }
    }
    node.left = node.right = node.parent = null;
    this.size--;
    this.k.emit?.({ type: 'rbtree_erase', ep: this.ep, epi: node.id });
    if (needRebalance && rebalance) this.eraseColour(rebalance);
  }

  // Linux: ____rb_erase_color. Every path through `parent` and its (missing or black) child
  // `node` is one black short; fix it by borrowing from the sibling's side.
  private eraseColour(parent: RbNode<T>): void {
    let node: RbNode<T> | null = null;
    for (;;) {
      let sibling = parent.right;
      if (node !== sibling) {
        // node is parent's left child (or the hole on the left).
        if (sibling!.colour === 'red') {
          // Case 1: a red sibling — rotate it up, so the new sibling is black.
          this.rotateLeft(parent);
          sibling!.colour = 'black';
          parent.colour = 'red';
          sibling = parent.right;
        }
        const s = sibling!;
        const farRed = s.right !== null && s.right.colour === 'red';
        const nearRed = s.left !== null && s.left.colour === 'red';
        if (!farRed && !nearRed) {
          // Case 2: a black sibling with black children — recolour it red and move the
          // shortage up (or absorb it in a red parent).
          s.colour = 'red';
          if (parent.colour === 'red') parent.colour = 'black';
          else {
            node = parent;
            const up = node.parent;
            if (up) {
              parent = up;
              continue;
            }
          }
          return;
        }
        let sib = s;
        if (!farRed) {
          // Case 3: only the near nephew is red — rotate it up at the sibling.
          this.rotateRight(sib);
          sib.colour = 'red';
          sib = parent.right!;
          sib.colour = 'black';
        }
        // Case 4: the far nephew is red — rotate the parent down toward the hole.
        this.rotateLeft(parent);
        sib.colour = parent.colour;
        parent.colour = 'black';
        sib.right!.colour = 'black';
        return;
      }
      // Mirror: node is parent's right child.
      sibling = parent.left;
      if (sibling!.colour === 'red') {
        this.rotateRight(parent);
        sibling!.colour = 'black';
        parent.colour = 'red';
        sibling = parent.left;
      }
      const s = sibling!;
      const farRed = s.left !== null && s.left.colour === 'red';
      const nearRed = s.right !== null && s.right.colour === 'red';
      if (!farRed && !nearRed) {
        s.colour = 'red';
        if (parent.colour === 'red') parent.colour = 'black';
        else {
          node = parent;
          const up = node.parent;
          if (up) {
            parent = up;
            continue;
          }
        }
        return;
      }
      let sib = s;
      if (!farRed) {
        this.rotateLeft(sib);
        sib.colour = 'red';
        sib = parent.left!;
        sib.colour = 'black';
      }
      this.rotateRight(parent);
      sib.colour = parent.colour;
      parent.colour = 'black';
      sib.left!.colour = 'black';
      return;
    }
  }

  // Linux: __rb_change_child.
  private changeChild(old: RbNode<T>, next: RbNode<T> | null, parent: RbNode<T> | null): void {
    if (!parent) this.root = next;
    else if (parent.left === old) parent.left = next;
    else parent.right = next;
  }

  /** Rotate `x` down to the left: its right child takes its place. */
  private rotateLeft(x: RbNode<T>): void {
    const y = x.right!;
    x.right = y.left;
    if (y.left) y.left.parent = x;
    this.changeChild(x, y, x.parent);
    y.parent = x.parent;
    y.left = x;
    x.parent = y;
    this.k.stats.rbtreeRotations++;
    this.k.emit?.({ type: 'rbtree_rotate', ep: this.ep, epi: x.id, dir: 'left' });
  }

  /** Rotate `x` down to the right: its left child takes its place. */
  private rotateRight(x: RbNode<T>): void {
    const y = x.left!;
    x.left = y.right;
    if (y.right) y.right.parent = x;
    this.changeChild(x, y, x.parent);
    y.parent = x.parent;
    y.right = x;
    x.parent = y;
    this.k.stats.rbtreeRotations++;
    this.k.emit?.({ type: 'rbtree_rotate', ep: this.ep, epi: x.id, dir: 'right' });
  }

  /** Linux: rb_first_cached. */
  first(): RbNode<T> | null {
    return this.leftmost;
  }

  /** Linux: rb_next — the in-order successor. */
  next(node: RbNode<T>): RbNode<T> | null {
    if (node.right) {
      let n = node.right;
      while (n.left) n = n.left;
      return n;
    }
    let n = node;
    let p = n.parent;
    while (p && n === p.right) {
      n = p;
      p = p.parent;
    }
    return p;
  }

  /** The nodes in key order (rb_first … rb_next). */
  nodes(): RbNode<T>[] {
    const out: RbNode<T>[] = [];
    for (let n = this.first(); n; n = this.next(n)) out.push(n);
    return out;
  }

  /** The values in key order. */
  values(): T[] {
    return this.nodes().map((n) => n.value);
  }

  /** The tree as nested plain data, with colours. */
  snapshot(): RbNodeSnapshot | null {
    const draw = (n: RbNode<T> | null): RbNodeSnapshot | null =>
      n
        ? { epi: n.id, file: n.file, fd: n.fd, colour: n.colour, left: draw(n.left), right: draw(n.right) }
        : null;
    return draw(this.root);
  }

  /**
   * Check every red-black and bookkeeping invariant; throw naming the first one broken:
   * the root is black; a red node has no red child; every root-to-leaf path has the same number
   * of black nodes; parent links mirror child links; keys strictly increase in order; `size`
   * and `leftmost` are right.
   */
  checkInvariants(): void {
    const fail = (why: string): never => {
      throw new Error(`rbtree of ep ${this.ep}: ${why}`);
    };
    if (this.root) {
      if (this.root.parent !== null) fail('the root has a parent');
      if (this.root.colour !== 'black') fail('the root is red');
    }
    let count = 0;
    let prev: RbNode<T> | null = null;
    const walk = (n: RbNode<T> | null): number => {
      if (!n) return 1;
      for (const c of [n.left, n.right]) {
        if (c && c.parent !== n) fail(`node ${n.id}'s child ${c.id} does not point back to it`);
        if (c && n.colour === 'red' && c.colour === 'red') fail(`red node ${n.id} has a red child ${c.id}`);
      }
      const lh = walk(n.left);
      // In order: after the left subtree, before the right one.
      if (prev && epCmpFfd(prev.file, prev.fd, n.file, n.fd) >= 0)
        fail(`keys out of order at node ${n.id} (${n.file}, ${n.fd})`);
      prev = n;
      count++;
      const rh = walk(n.right);
      if (lh !== rh) fail(`black heights differ below node ${n.id}: ${lh} vs ${rh}`);
      return lh + (n.colour === 'black' ? 1 : 0);
    };
    walk(this.root);
    if (count !== this.size) fail(`size is ${this.size} but the tree holds ${count} nodes`);
    let min = this.root;
    while (min?.left) min = min.left;
    if (min !== this.leftmost) fail('the cached leftmost node is not the smallest');
  }
}
