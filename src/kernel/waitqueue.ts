// Wait queues, as include/linux/wait.h and kernel/sched/wait.c define them.
//
// A wait queue is the one mechanism by which every blocking call and every multiplexer waits.
// An entry is plain data: its wake function (Linux: func — a module's registered function, never
// a closure per entry), named by a `kind` (default_wake_function, pollwake, ep_poll_callback,
// ...), flags, the key it waits for, and the object it belongs to. Wake functions are registered
// by kind (the modules that own them register them at import), so the core never imports the
// multiplexers, and a snapshot of a queue is just its entries' fields.
//
// Order is observable, so it is Linux's: add_wait_queue puts a non-exclusive entry at the head,
// add_wait_queue_exclusive an exclusive one at the tail, and __wake_up_common walks from the
// head, stopping when nr_exclusive exclusive entries have returned > 0.

import type { Kernel } from './kernel.ts';

// Linux: include/linux/wait.h WQ_FLAG_*
export const WQ_FLAG_EXCLUSIVE = 0x01;

/** The wake functions of this model, named as Linux names them. */
export type WakeFunctionKind =
  | 'default_wake_function'
  | 'autoremove_wake_function'
  | 'pollwake'
  | 'ep_poll_callback'
  | 'ep_autoremove_wake_function'
  | 'receiver_wake_function'
  | 'unix_dgram_peer_wake_relay';

/**
 * What an entry's owner is, by its wake function: the function decides what `private` (or the
 * container_of) reaches. Named explicitly rather than by the owner's class, since a bundler's
 * minifier renames classes and an object literal has none. A new wake function must say here
 * what it owns (the Record makes that a type error otherwise).
 */
export const WAIT_OWNER_KIND = {
  default_wake_function: 'thread',
  autoremove_wake_function: 'thread',
  receiver_wake_function: 'thread',
  ep_autoremove_wake_function: 'thread',
  pollwake: 'poll_wqueues',
  ep_poll_callback: 'eppoll_entry',
  unix_dgram_peer_wake_relay: 'unix_sock',
} as const satisfies Record<WakeFunctionKind, string>;

export type WaitOwnerKind = (typeof WAIT_OWNER_KIND)[WakeFunctionKind];

/** What every owner of a wait entry carries: the kernel id that names it in snapshots. */
export interface WaitOwner {
  readonly id: number;
}

/**
 * Linux: struct wait_queue_entry. `owner` is what `private` (or the container_of) reaches: a
 * thread, a poll_wqueues, the epitem an eppoll_entry hooks (pwq->base), a unix sock
 * (WAIT_OWNER_KIND[kind]).
 *
 * One class for every kind, so the wake loop reads one hidden class. An ep_poll_callback entry
 * is the whole struct eppoll_entry, as Linux embeds its wait_queue_entry: `queue` is its whead,
 * `owner` its base, `pwqNext` its next (epitem.ts); the other kinds leave `pwqNext` null.
 */
export class WaitEntry {
  /** WQ_FLAG_EXCLUSIVE or 0; fixed when the entry is queued. */
  flags = 0;
  /** The queue this entry is on, or null when it is not queued (an eppoll_entry's pwq->whead). */
  queue: WaitQueueHead | null = null;
  /** Linux: entry.prev — the previous entry on `queue`. */
  prev: WaitEntry | null = null;
  /** Linux: entry.next — the next entry on `queue`. */
  next: WaitEntry | null = null;
  /**
   * Linux: pwq->next — for an eppoll_entry, the next (older) hook of the same epitem; null at
   * the end of the epitem's pwqlist and for every other kind.
   */
  pwqNext: WaitEntry | null = null;

  constructor(
    readonly id: number,
    /**
     * Linux: func — the wake function, called directly by the wake loop (no lookup by name per
     * wake-up). Always one registered with defineWakeFunction, so `kind` names it.
     */
    readonly func: WakeFunction,
    readonly owner: WaitOwner,
    /** The events this entry cares about (pollwake's key filter); 0 where unused. */
    public key: number,
  ) {}

  /** The wake function's name (snapshots, traces, checks). */
  get kind(): WakeFunctionKind {
    return wakeFunctionKinds.get(this.func)!;
  }
}

/** Linux: struct wait_queue_head. An intrusive doubly-linked list: O(1) add and remove. */
export class WaitQueueHead {
  first: WaitEntry | null = null;
  last: WaitEntry | null = null;

  constructor(
    readonly id: number,
    /** The owner's kind and the queue's field in it ("pipe.rd_wait"), or the whole name. */
    private readonly where: string,
    /** The owning object's id, or null when `where` is the whole name. */
    private readonly ownerId: number | null,
  ) {}

  /**
   * What the queue belongs to, for snapshots and traces: "pipe:3.rd_wait". Not Linux: made when
   * asked, since a string per queue would be a sixth of an idle pipe's memory.
   */
  get name(): string {
    if (this.ownerId === null) return this.where;
    const dot = this.where.indexOf('.');
    return `${this.where.slice(0, dot)}:${this.ownerId}${this.where.slice(dot)}`;
  }

  /** Entries queued (snapshots and tests): counted by a walk, so the queue keeps one field less. */
  get length(): number {
    let n = 0;
    for (let e = this.first; e; e = e.next) n++;
    return n;
  }
}

/** A wake function: > 0 woke something (counts against nr_exclusive), 0 did not, < 0 stops the walk. */
export type WakeFunction = (k: Kernel, entry: WaitEntry, key: number) => number;

const wakeFunctions = new Map<WakeFunctionKind, WakeFunction>();
/** The name each registered function was registered under (WaitEntry.kind). */
const wakeFunctionKinds = new Map<WakeFunction, WakeFunctionKind>();
/** How a snapshot names an entry's owner, where that is not `owner.id` (see defineWakeFunction). */
const ownerIds = new Map<WakeFunctionKind, (e: WaitEntry) => number>();

/**
 * Register the wake function for a kind; each module that owns one registers it once. `ownerId`
 * names the owner in snapshots when the owner object is not the thing WAIT_OWNER_KIND names
 * (an eppoll_entry: its owner field is the epitem, the struct is the entry itself).
 */
export function defineWakeFunction(
  kind: WakeFunctionKind,
  fn: WakeFunction,
  ownerId?: (e: WaitEntry) => number,
): void {
  wakeFunctions.set(kind, fn);
  wakeFunctionKinds.set(fn, kind);
  if (lastKind === kind) lastFunc = fn;
  if (ownerId) ownerIds.set(kind, ownerId);
}

/**
 * Linux: init_waitqueue_head. A queue named after its owner: newWaitQueue(k, 'pipe.rd_wait', 3) is "pipe:3.rd_wait", the
 * rd_wait of pipe 3. Without an owner id, `where` is the whole name.
 */
export function newWaitQueue(k: Kernel, where: string, ownerId: number | null = null): WaitQueueHead {
  return new WaitQueueHead(k.nextId(), where, ownerId);
}

// The kind newWaitEntry last looked up, and its function: entries come in runs of one kind (a
// select or poll registers one per fd), so most creations skip the Map. A cache of the registry
// above, module-wide as the registry is (wake functions are code, the same for every kernel).
let lastKind: WakeFunctionKind | null = null;
let lastFunc: WakeFunction | null = null;

// Linux: init_waitqueue_func_entry (the wake function by kind, registered by now).
export function newWaitEntry(k: Kernel, kind: WakeFunctionKind, owner: WaitOwner, key = 0): WaitEntry {
  if (kind !== lastKind) {
    const func = wakeFunctions.get(kind);
    if (!func) throw new Error(`no wake function registered for ${kind}`);
    lastKind = kind;
    lastFunc = func;
  }
  return new WaitEntry(k.nextId(), lastFunc!, owner, key);
}

/** Linux: waitqueue_active. */
export function waitqueueActive(q: WaitQueueHead): boolean {
  return q.first !== null;
}

// Linux: list_add (__add_wait_queue).
function linkHead(q: WaitQueueHead, e: WaitEntry): void {
  e.queue = q;
  e.prev = null;
  e.next = q.first;
  if (q.first) q.first.prev = e;
  else q.last = e;
  q.first = e;
}

// Linux: list_add_tail (__add_wait_queue_entry_tail).
function linkTail(q: WaitQueueHead, e: WaitEntry): void {
  e.queue = q;
  e.next = null;
  e.prev = q.last;
  if (q.last) q.last.next = e;
  else q.first = e;
  q.last = e;
}

/** Linux: add_wait_queue — non-exclusive, at the head. */
export function addWaitQueue(k: Kernel, q: WaitQueueHead, e: WaitEntry): void {
  e.flags &= ~WQ_FLAG_EXCLUSIVE;
  linkHead(q, e);
  k.stats.waitEntriesAdded++;
  k.emit?.({ type: 'wait_add', queue: q.name, entry: e.id, kind: e.kind, exclusive: false, at: 'head' });
}

/** Linux: add_wait_queue_exclusive / prepare_to_wait_exclusive — exclusive, at the tail. */
export function addWaitQueueExclusive(k: Kernel, q: WaitQueueHead, e: WaitEntry): void {
  e.flags |= WQ_FLAG_EXCLUSIVE;
  linkTail(q, e);
  k.stats.waitEntriesAdded++;
  k.emit?.({ type: 'wait_add', queue: q.name, entry: e.id, kind: e.kind, exclusive: true, at: 'tail' });
}

/** Linux: __add_wait_queue_exclusive — exclusive, at the head (epoll_wait's waiters). */
export function addWaitQueueExclusiveHead(k: Kernel, q: WaitQueueHead, e: WaitEntry): void {
  e.flags |= WQ_FLAG_EXCLUSIVE;
  linkHead(q, e);
  k.stats.waitEntriesAdded++;
  k.emit?.({ type: 'wait_add', queue: q.name, entry: e.id, kind: e.kind, exclusive: true, at: 'head' });
}

/** Linux: add_wait_queue_entry_tail (non-exclusive at the tail: eventfd's blocked readers/writers). */
export function addWaitQueueTail(k: Kernel, q: WaitQueueHead, e: WaitEntry): void {
  e.flags &= ~WQ_FLAG_EXCLUSIVE;
  linkTail(q, e);
  k.stats.waitEntriesAdded++;
  k.emit?.({ type: 'wait_add', queue: q.name, entry: e.id, kind: e.kind, exclusive: false, at: 'tail' });
}

/** Linux: remove_wait_queue / list_del_init. Removing an unqueued entry does nothing. */
export function removeWaitQueue(k: Kernel, e: WaitEntry): void {
  const q = e.queue;
  if (!q) return;
  if (e.prev) e.prev.next = e.next;
  else q.first = e.next;
  if (e.next) e.next.prev = e.prev;
  else q.last = e.prev;
  e.prev = e.next = null;
  e.queue = null;
  k.stats.waitEntriesRemoved++;
  k.emit?.({ type: 'wait_remove', queue: q.name, entry: e.id });
}

/**
 * Linux: __wake_up / __wake_up_common. Walk from the head; each entry's function runs; an
 * exclusive entry that returns > 0 uses one unit of nr_exclusive, and the walk stops when it
 * reaches 0 (nr_exclusive 0 means no limit). key 0 means "unknown: everything".
 */
export function wakeUp(k: Kernel, q: WaitQueueHead, nrExclusive: number, key: number, from?: string): void {
  k.stats.wakeUpCalls++;
  k.emit?.({ type: 'wake_up', queue: q.name, nr_exclusive: nrExclusive, key, from });
  let e = q.first;
  let woken = 0;
  let walked = 0;
  let stop: 'exclusive' | 'callback' | null = null;
  while (e) {
    // The function may unlink `e` (autoremove): remember the next one first (list_for_each_entry_safe).
    const next = e.next;
    k.stats.callbacksInvoked++;
    walked++;
    const ret = e.func(k, e, key);
    if (ret < 0) {
      stop = 'callback';
      e = next;
      break;
    }
    if (ret > 0) woken++;
    if (ret > 0 && (e.flags & WQ_FLAG_EXCLUSIVE) !== 0 && --nrExclusive === 0) {
      stop = 'exclusive';
      e = next;
      break;
    }
    e = next;
  }
  if (k.emit) {
    // Not Linux: what the walk did not reach, for the trace (why an exclusive wake-up woke no more).
    const skipped: number[] = [];
    for (let s = stop ? e : null; s; s = s.next) skipped.push(s.id);
    k.emit({ type: 'wake_up_done', queue: q.name, woken, walked, skipped, stop });
  }
}

/**
 * Not Linux: tell an observer that a waker did not call wake_up (a waitqueue_active check found
 * nobody waiting, or the state needs no wake-up). Call as `k.emit && wakeSkipped(...)`.
 */
export function wakeSkipped(k: Kernel, q: WaitQueueHead, from: string, why: string): void {
  k.emit?.({ type: 'wake_skipped', queue: q.name, from, why });
}

/** The entries of a queue, head first (for snapshots and tests). */
export function waitEntries(q: WaitQueueHead): WaitEntry[] {
  const out: WaitEntry[] = [];
  for (let e = q.first; e; e = e.next) out.push(e);
  return out;
}

/** A queue as plain JSON (snapshots): entries head first, the order a wake-up walks them. */
export interface WaitQueueSnapshot {
  id: number;
  name: string;
  entries: {
    id: number;
    kind: WakeFunctionKind;
    exclusive: boolean;
    key: number;
    /** What the entry belongs to, by kind and kernel id: {kind: 'thread', id: 4}. */
    owner: { kind: WaitOwnerKind; id: number };
  }[];
}

export function snapshotWaitQueue(q: WaitQueueHead): WaitQueueSnapshot {
  return {
    id: q.id,
    name: q.name,
    entries: waitEntries(q).map((e) => ({
      id: e.id,
      kind: e.kind,
      exclusive: (e.flags & WQ_FLAG_EXCLUSIVE) !== 0,
      key: e.key,
      owner: { kind: WAIT_OWNER_KIND[e.kind], id: ownerIds.get(e.kind)?.(e) ?? e.owner.id },
    })),
  };
}
