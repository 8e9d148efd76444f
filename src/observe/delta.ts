// What changed between two plain-JSON values (two snapshots of the kernel) as a list of
// operations on the tree, and their application. A trace stores a step's snapshot as the
// operations that turn the step before's into it (docs/trace-format.md, "Deltas"), so a long
// run costs what changed, not the whole kernel per step.
//
// Objects are compared key by key. A list whose elements all have an identity (an object's
// numeric `id`, else its numeric `fd`; a number or string is its own) is compared by identity:
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The operations that turn `before` into `after` (both plain JSON; neither is modified). */
export function diffJson(before: unknown, after: unknown): DeltaOp[] {
  const out: DeltaOp[] = [];
  diffValue([], before, after, out);
  return out;
}

function diffValue(path: DeltaPath, a: unknown, b: unknown, out: DeltaOp[]): void {
  if (a === b) return;
  if (isObject(a) && isObject(b)) {
    for (const key of Object.keys(b)) {
      if (!(key in a)) out.push({ path: [...path, key], set: b[key] });
      else diffValue([...path, key], a[key], b[key], out);
    }
    for (const key of Object.keys(a)) if (!(key in b)) out.push({ path: [...path, key], delete: true });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    diffList(path, a, b, out);
    return;
  }
  out.push({ path, set: b });
}

/** An element's identity: an object's numeric id (else fd), a primitive itself; undefined if none. */
function identity(x: unknown): unknown {
  if (isObject(x)) {
    if (typeof x.id === 'number') return x.id;
    if (typeof x.fd === 'number') return x.fd;
    return undefined;
  }
  return typeof x === 'object' ? undefined : x;
}

function diffList(path: DeltaPath, a: unknown[], b: unknown[], out: DeltaOp[]): void {
  const ka = a.map(identity);
  const kb = b.map(identity);
  if (ka.includes(undefined) || kb.includes(undefined)) {
    if (a.length !== b.length) out.push({ path, set: b });
    else for (let i = 0; i < a.length; i++) diffValue([...path, i], a[i], b[i], out);
    return;
  }
  const min = Math.min(a.length, b.length);
  let head = 0;
  while (head < min && ka[head] === kb[head]) head++;
  let tail = 0;
  while (tail < min - head && ka[a.length - 1 - tail] === kb[b.length - 1 - tail]) tail++;
  const deleteCount = a.length - head - tail;
  const items = b.slice(head, b.length - tail);
  if (deleteCount > 0 || items.length > 0) out.push({ path, splice: { start: head, deleteCount, items } });
  for (let i = 0; i < head; i++) diffValue([...path, i], a[i], b[i], out);
  for (let j = 0; j < tail; j++)
    diffValue([...path, b.length - 1 - j], a[a.length - 1 - j], b[b.length - 1 - j], out);
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
