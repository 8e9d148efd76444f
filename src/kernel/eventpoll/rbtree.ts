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
// The node is embedded, as Linux embeds struct rb_node in struct epitem: the tree links the
// epitems themselves through their rbColour/rbLeft/rbRight/rbParent fields, and the key is the
// epitem's own ffd (file, fd) — no node object, no key copy. Nodes are plain data, so the
// playground can draw the tree as it is, and `checkInvariants()` verifies the red-black rules
// after any step.
//
// Every key comparison counts in `stats.rbtreeCompares` and every rotation in
// `stats.rbtreeRotations`: an ADD or a lookup costs O(log N) of them, which is the part of
// epoll_ctl that grows with the interest set.

import type { Kernel } from '../kernel.ts';

export type RbColour = 'red' | 'black';

/**
 * Linux: struct rb_node, embedded in the object it orders (struct epitem's rbn), with the
 * epoll_filefd key beside it. `this`-typed links: a tree of epitems links epitems.
 */
export interface RbNode {
  /** The epitem's id (traces and snapshots). */
  readonly id: number;
  /** Linux: epi->ffd.file — the key's first half, compared by the open file description's id. */
  readonly file: { readonly id: number };
  /** Linux: epi->ffd.fd — the key's second half: the fd number the item was added under. */
  readonly fd: number;
  /** Linux: rb_color(&epi->rbn) — the colour bit of __rb_parent_color. Changed only by rebalancing. */
  rbColour: RbColour;
  /** Linux: epi->rbn.rb_left. Keys smaller than this node's. */
  rbLeft: this | null;
  /** Linux: epi->rbn.rb_right. Keys larger than this node's. */
  rbRight: this | null;
  /** Linux: rb_parent(&epi->rbn); null for the root, the node itself when it is in no tree (RB_CLEAR_NODE). */
  rbParent: this | null;
}

/** Linux: include/linux/rbtree.h:RB_CLEAR_NODE — mark a node as in no tree (its parent is itself). */
export function rbClearNode<N extends RbNode>(n: N): void {
  n.rbParent = n;
}

/** Linux: include/linux/rbtree.h:RB_EMPTY_NODE — the node is in no tree. */
export function rbEmptyNode(n: RbNode): boolean {
  return n.rbParent === n;
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
export class RbTree<N extends RbNode> {
  /** Linux: rb_root.rb_node. */
  root: N | null = null;
  /** Linux: rb_leftmost — the smallest key, kept so rb_first_cached is O(1). */
  leftmost: N | null = null;
  /** Number of nodes (Linux keeps no count; snapshots and checks use it). */
  size = 0;

  constructor(
    private readonly k: Kernel,
    /** The eventpoll this tree belongs to (events name it). */
    readonly ep: number,
  ) {}

  /** Linux: ep_find — walk down comparing keys; null if absent. */
  find(file: number, fd: number): N | null {
    let n = this.root;
    while (n) {
      this.k.stats.rbtreeCompares++;
      const c = epCmpFfd(file, fd, n.file.id, n.fd);
      if (c > 0) n = n.rbRight;
      else if (c < 0) n = n.rbLeft;
      else return n;
    }
    return null;
  }

  /**
   * Linux: ep_rbtree_insert — descend to a leaf (equal keys go left, as Linux does; epoll_ctl
   * looks the key up first so it never inserts a duplicate), link `node` red, then rebalance.
   */
  insert(node: N): void {
    const file = node.file.id;
    const fd = node.fd;
    let parent: N | null = null;
    let p = this.root;
    let goRight = false;
    let leftmost = true;
    while (p) {
      parent = p;
      this.k.stats.rbtreeCompares++;
      goRight = epCmpFfd(file, fd, p.file.id, p.fd) > 0;
      if (goRight) {
        leftmost = false;
        p = p.rbRight;
      } else p = p.rbLeft;
    }
    // Linux: rb_link_node.
    node.rbColour = 'red';
    node.rbLeft = node.rbRight = null;
    node.rbParent = parent;
    if (!parent) this.root = node;
    else if (goRight) parent.rbRight = node;
    else parent.rbLeft = node;
    if (leftmost) this.leftmost = node;
    this.size++;
    this.k.emit?.({ type: 'rbtree_insert', ep: this.ep, epi: node.id });
    this.insertColour(node);
  }

  // Linux: __rb_insert. `node` is red; fix a red parent by recolouring (uncle red) or rotating.
  private insertColour(node: N): void {
    let parent = node.rbParent;
    for (;;) {
      if (!parent) {
        // The root is always black.
        node.rbColour = 'black';
        return;
      }
      if (parent.rbColour === 'black') return;
      // A red parent is never the root, so the grandparent exists.
      const gparent = parent.rbParent!;
      if (parent === gparent.rbLeft) {
        const uncle = gparent.rbRight;
        if (uncle && uncle.rbColour === 'red') {
          // Case 1: the uncle is red — flip colours and continue from the grandparent.
          uncle.rbColour = 'black';
          parent.rbColour = 'black';
          gparent.rbColour = 'red';
          node = gparent;
          parent = node.rbParent;
          continue;
        }
        if (node === parent.rbRight) {
          // Case 2: the node is an inner child — rotate it outward at the parent.
          this.rotateLeft(parent);
          node = parent;
          parent = node.rbParent!;
        }
        // Case 3: rotate the grandparent toward the uncle; the parent takes its place, black.
        this.rotateRight(gparent);
        parent.rbColour = 'black';
        gparent.rbColour = 'red';
        return;
      }
      const uncle = gparent.rbLeft;
      if (uncle && uncle.rbColour === 'red') {
        uncle.rbColour = 'black';
        parent.rbColour = 'black';
        gparent.rbColour = 'red';
        node = gparent;
        parent = node.rbParent;
        continue;
      }
      if (node === parent.rbLeft) {
        this.rotateRight(parent);
        node = parent;
        parent = node.rbParent!;
      }
      this.rotateLeft(gparent);
      parent.rbColour = 'black';
      gparent.rbColour = 'red';
      return;
    }
  }

  /** Linux: rb_erase_cached — unlink `node`, then rebalance if a black node left the tree. */
  erase(node: N): void {
    if (this.leftmost === node) this.leftmost = this.next(node);
    let rebalance: N | null = null;
    let needRebalance = false;
    const child = node.rbRight;
    const tmp = node.rbLeft;
    if (!tmp) {
      // At most one child (the right one): it must be red with no children; it takes the
      // node's place and colour. With no child, a black node leaves a hole to rebalance.
      this.changeChild(node, child, node.rbParent);
      if (child) {
        child.rbParent = node.rbParent;
        child.rbColour = node.rbColour;
      } else if (node.rbColour === 'black') {
        rebalance = node.rbParent;
        needRebalance = rebalance !== null;
      }
    } else if (!child) {
      // Only a left child: red, childless; it takes the node's place and colour.
      tmp.rbParent = node.rbParent;
      tmp.rbColour = node.rbColour;
      this.changeChild(node, tmp, node.rbParent);
    } else {
      // Two children: the in-order successor (leftmost of the right subtree) takes the
      // node's place and colour; the hole is where the successor was.
      let successor = child;
      let parent: N;
      let child2 = successor.rbRight;
      if (!successor.rbLeft) {
        // The right child is the successor.
        parent = successor;
      } else {
        let s: N | null = successor.rbLeft;
        do {
          parent = successor;
          successor = s;
          s = s.rbLeft;
        } while (s);
        child2 = successor.rbRight;
        parent.rbLeft = child2;
        successor.rbRight = child;
        child.rbParent = successor;
      }
      successor.rbLeft = tmp;
      tmp.rbParent = successor;
      this.changeChild(node, successor, node.rbParent);
      const successorWasBlack = successor.rbColour === 'black';
      successor.rbParent = node.rbParent;
      successor.rbColour = node.rbColour;
      if (child2) {
        child2.rbParent = parent;
        child2.rbColour = 'black';
      } else if (successorWasBlack) {
        rebalance = parent;
        needRebalance = true;
      }
    }
    // Not Linux: ep_remove frees the epitem; the model keeps it, so it is marked out of the tree.
    node.rbLeft = node.rbRight = null;
    rbClearNode(node);
    this.size--;
    this.k.emit?.({ type: 'rbtree_erase', ep: this.ep, epi: node.id });
    if (needRebalance && rebalance) this.eraseColour(rebalance);
  }

  // Linux: ____rb_erase_color. Every path through `parent` and its (missing or black) child
  // `node` is one black short; fix it by borrowing from the sibling's side.
  private eraseColour(parent: N): void {
    let node: N | null = null;
    for (;;) {
      let sibling = parent.rbRight;
      if (node !== sibling) {
        // node is parent's left child (or the hole on the left).
        if (sibling!.rbColour === 'red') {
          // Case 1: a red sibling — rotate it up, so the new sibling is black.
          this.rotateLeft(parent);
          sibling!.rbColour = 'black';
          parent.rbColour = 'red';
          sibling = parent.rbRight;
        }
        const s = sibling!;
        const farRed = s.rbRight !== null && s.rbRight.rbColour === 'red';
        const nearRed = s.rbLeft !== null && s.rbLeft.rbColour === 'red';
        if (!farRed && !nearRed) {
          // Case 2: a black sibling with black children — recolour it red and move the
          // shortage up (or absorb it in a red parent).
          s.rbColour = 'red';
          if (parent.rbColour === 'red') parent.rbColour = 'black';
          else {
            node = parent;
            const up = node.rbParent;
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
          sib.rbColour = 'red';
          sib = parent.rbRight!;
          sib.rbColour = 'black';
        }
        // Case 4: the far nephew is red — rotate the parent down toward the hole.
        this.rotateLeft(parent);
        sib.rbColour = parent.rbColour;
        parent.rbColour = 'black';
        sib.rbRight!.rbColour = 'black';
        return;
      }
      // Mirror: node is parent's right child.
      sibling = parent.rbLeft;
      if (sibling!.rbColour === 'red') {
        this.rotateRight(parent);
        sibling!.rbColour = 'black';
        parent.rbColour = 'red';
        sibling = parent.rbLeft;
      }
      const s = sibling!;
      const farRed = s.rbLeft !== null && s.rbLeft.rbColour === 'red';
      const nearRed = s.rbRight !== null && s.rbRight.rbColour === 'red';
      if (!farRed && !nearRed) {
        s.rbColour = 'red';
        if (parent.rbColour === 'red') parent.rbColour = 'black';
        else {
          node = parent;
          const up = node.rbParent;
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
        sib.rbColour = 'red';
        sib = parent.rbLeft!;
        sib.rbColour = 'black';
      }
      this.rotateRight(parent);
      sib.rbColour = parent.rbColour;
      parent.rbColour = 'black';
      sib.rbLeft!.rbColour = 'black';
      return;
    }
  }

  // Linux: __rb_change_child.
  private changeChild(old: N, next: N | null, parent: N | null): void {
    if (!parent) this.root = next;
    else if (parent.rbLeft === old) parent.rbLeft = next;
    else parent.rbRight = next;
  }

  /** Rotate `x` down to the left: its right child takes its place. */
  private rotateLeft(x: N): void {
    const y = x.rbRight!;
    x.rbRight = y.rbLeft;
    if (y.rbLeft) y.rbLeft.rbParent = x;
    this.changeChild(x, y, x.rbParent);
    y.rbParent = x.rbParent;
    y.rbLeft = x;
    x.rbParent = y;
    this.k.stats.rbtreeRotations++;
    this.k.emit?.({ type: 'rbtree_rotate', ep: this.ep, epi: x.id, dir: 'left' });
  }

  /** Rotate `x` down to the right: its left child takes its place. */
  private rotateRight(x: N): void {
    const y = x.rbLeft!;
    x.rbLeft = y.rbRight;
    if (y.rbRight) y.rbRight.rbParent = x;
    this.changeChild(x, y, x.rbParent);
    y.rbParent = x.rbParent;
    y.rbRight = x;
    x.rbParent = y;
    this.k.stats.rbtreeRotations++;
    this.k.emit?.({ type: 'rbtree_rotate', ep: this.ep, epi: x.id, dir: 'right' });
  }

  /** Linux: rb_first_cached. */
  first(): N | null {
    return this.leftmost;
  }

  /** Linux: rb_next — the in-order successor. */
  next(node: N): N | null {
    if (node.rbRight) {
      let n = node.rbRight;
      while (n.rbLeft) n = n.rbLeft;
      return n;
    }
    let n = node;
    let p = n.rbParent;
    while (p && n === p.rbRight) {
      n = p;
      p = p.rbParent;
    }
    return p;
  }

  /** The nodes (epitems) in key order (rb_first … rb_next). */
  nodes(): N[] {
    const out: N[] = [];
    for (let n = this.first(); n; n = this.next(n)) out.push(n);
    return out;
  }

  /** The tree as nested plain data, with colours. */
  snapshot(): RbNodeSnapshot | null {
    const draw = (n: N | null): RbNodeSnapshot | null =>
      n
        ? {
            epi: n.id,
            file: n.file.id,
            fd: n.fd,
            colour: n.rbColour,
            left: draw(n.rbLeft),
            right: draw(n.rbRight),
          }
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
      if (this.root.rbParent !== null) fail('the root has a parent');
      if (this.root.rbColour !== 'black') fail('the root is red');
    }
    let count = 0;
    let prev: N | null = null;
    const walk = (n: N | null): number => {
      if (!n) return 1;
      for (const c of [n.rbLeft, n.rbRight]) {
        if (c && c.rbParent !== n) fail(`node ${n.id}'s child ${c.id} does not point back to it`);
        if (c && n.rbColour === 'red' && c.rbColour === 'red')
          fail(`red node ${n.id} has a red child ${c.id}`);
      }
      const lh = walk(n.rbLeft);
      // In order: after the left subtree, before the right one.
      if (prev && epCmpFfd(prev.file.id, prev.fd, n.file.id, n.fd) >= 0)
        fail(`keys out of order at node ${n.id} (${n.file.id}, ${n.fd})`);
      prev = n;
      count++;
      const rh = walk(n.rbRight);
      if (lh !== rh) fail(`black heights differ below node ${n.id}: ${lh} vs ${rh}`);
      return lh + (n.rbColour === 'black' ? 1 : 0);
    };
    walk(this.root);
    if (count !== this.size) fail(`size is ${this.size} but the tree holds ${count} nodes`);
    let min = this.root;
    while (min?.rbLeft) min = min.rbLeft;
    if (min !== this.leftmost) fail('the cached leftmost node is not the smallest');
  }
}
