// What changed between two plain-JSON values (two snapshots of the kernel) as a list of
// operations on the tree, and their application. A trace stores a step's snapshot as the
// operations that turn the step before's into it (docs/trace-format.md, "Deltas"), so a long
// run costs what changed, not the whole kernel per step.
//
// Objects are compared key by key. A list whose elements all have an identity (an object's
// numeric `id`, else its `fd`, else its `pid`; a number or string is its own) is compared by identity:
// what was inserted or removed is one splice between the common head and the common tail, and
// the elements kept are compared in place. Any other list of the same length is compared
// position by position; of another length, it is set whole.

/** Where a value sits: object keys and list indices from the root. */
export type DeltaPath = (string | number)[];

/**
 * One change, applied in order: `set` puts a value at the path (replacing or adding it),
 * `delete` removes an object's key, `splice` edits the list at the path as Array.prototype.splice
 * does (indices after earlier operations of the same delta).
 */
export type DeltaOp =
  | { path: DeltaPath; set: unknown }
  | { path: DeltaPath; delete: true }
  | { path: DeltaPath; splice: { start: number; deleteCount: number; items: unknown[] } };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Called for each operation with the values it replaces: for `set` and `delete` the old and new
 * values at the path (undefined where there is none), for `splice` the whole list before and
 * after. The readable change lines of a trace are made from these.
 */
export type OnChange = (op: DeltaOp, before: unknown, after: unknown) => void;

/** The operations that turn `before` into `after` (both plain JSON; neither is modified). */
export function diffJson(before: unknown, after: unknown, onChange?: OnChange): DeltaOp[] {
  const differ = new Differ(onChange);
  differ.value(before, after);
  return differ.ops;
}

/** One walk: `path` is where it is, pushed and popped as it goes down and up (copied into ops). */
class Differ {
  readonly ops: DeltaOp[] = [];
  private readonly path: DeltaPath = [];

  constructor(private readonly onChange: OnChange | undefined) {}

  private emit(op: DeltaOp, a: unknown, b: unknown): void {
    this.ops.push(op);
    this.onChange?.(op, a, b);
  }

  private at(key: string | number, a: unknown, b: unknown): void {
    this.path.push(key);
    this.value(a, b);
    this.path.pop();
  }

  value(a: unknown, b: unknown): void {
    if (a === b) return;
    if (isObject(a) && isObject(b)) {
      for (const key in b) {
        if (!(key in a)) this.emit({ path: [...this.path, key], set: b[key] }, undefined, b[key]);
        else this.at(key, a[key], b[key]);
      }
      for (const key in a)
        if (!(key in b)) this.emit({ path: [...this.path, key], delete: true }, a[key], undefined);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) this.list(a, b);
    else this.emit({ path: [...this.path], set: b }, a, b);
  }

  private list(a: unknown[], b: unknown[]): void {
    const ka = a.map(identity);
    const kb = b.map(identity);
    if (ka.includes(undefined) || kb.includes(undefined)) {
      if (a.length !== b.length) this.emit({ path: [...this.path], set: b }, a, b);
      else for (let i = 0; i < a.length; i++) this.at(i, a[i], b[i]);
      return;
    }
    const min = Math.min(a.length, b.length);
    let head = 0;
    while (head < min && ka[head] === kb[head]) head++;
    let tail = 0;
    while (tail < min - head && ka[a.length - 1 - tail] === kb[b.length - 1 - tail]) tail++;
    const deleteCount = a.length - head - tail;
    const items = b.slice(head, b.length - tail);
    if (deleteCount > 0 || items.length > 0)
      this.emit({ path: [...this.path], splice: { start: head, deleteCount, items } }, a, b);
    for (let i = 0; i < head; i++) this.at(i, a[i], b[i]);
    for (let j = 0; j < tail; j++) this.at(b.length - 1 - j, a[a.length - 1 - j], b[b.length - 1 - j]);
  }
}

/** An element's identity: an object's numeric id (else fd, else pid), a primitive itself; undefined if none. */
function identity(x: unknown): unknown {
  if (isObject(x)) {
    if (typeof x.id === 'number') return x.id;
    if (typeof x.fd === 'number') return x.fd;
    if (typeof x.pid === 'number') return x.pid;
    return undefined;
  }
  return typeof x === 'object' ? undefined : x;
}

/** A deep copy of plain JSON. */
function copy<T>(v: T): T {
  return typeof v === 'object' && v !== null ? (structuredClone(v) as T) : v;
}

/**
 * `value` with the operations applied; `value` is left as it was (what changes is copied), and
 * the result shares nothing with `ops`.
 */
export function applyDelta<T>(value: T, ops: readonly DeltaOp[]): T {
  let root = copy(value) as Json;
  for (const op of ops) {
    if (op.path.length === 0) {
      if (!('set' in op)) throw new Error('a delta can only set the root');
      root = copy(op.set) as Json;
      continue;
    }
    let parent = root as Record<string | number, Json>;
    for (const key of op.path.slice(0, -1)) {
      parent = parent[key] as Record<string | number, Json>;
      if (typeof parent !== 'object' || parent === null)
        throw new Error(`a delta's path ${JSON.stringify(op.path)} does not exist`);
    }
    const last = op.path[op.path.length - 1];
    if ('set' in op) parent[last] = copy(op.set) as Json;
    else if ('delete' in op) delete parent[last];
    else {
      const list = parent[last];
      if (!Array.isArray(list)) throw new Error(`a delta splices ${JSON.stringify(op.path)}, not a list`);
      const { start, deleteCount, items } = op.splice;
      // Not splice(...items): a long list of items would overflow the stack as arguments.
      parent[last] = list.slice(0, start).concat(copy(items) as Json[], list.slice(start + deleteCount));
    }
  }
  return root as T;
}
