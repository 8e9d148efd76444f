// The kernel's invariants, checked from the outside (the API fuzzer calls this after every
// system call; tests may too). Not Linux: Linux has lockdep and CONFIG_DEBUG_LIST; the model has
// one function that walks every live object and says what does not add up.
//
// What it checks, between system calls (no scan in progress, no thread runnable):
//   - references: every open file description's count equals the references that exist: fd
//     slots, select/poll registrations (poll_table_entry.filp), and the fdget references that
//     calls asleep in read, write, epoll_wait, connect and accept4 hold (the kernel does not
//     record those; the caller says which, `heldByCalls`);
//   - wait queues: every queued entry is on a queue of a live object (a live file's pipe,
//     socket, eventfd, timerfd or eventpoll, or an embryo socket on a live listener), its links
//     are consistent, and its owner is alive: a thread still in its call, a select/poll call in
//     progress, an epitem still in its tree, a socket not released;
//   - epoll: each interest tree is a red-black tree (RbTree.checkInvariants); every ready item is
//     in the tree; items, f_ep lists, refcounts and the per-user watch count agree; no scan is
//     left open;
//   - signals: pending sets match their queues, masks never hold SIGKILL/SIGSTOP, a thread in user
//     code has taken what it can, a deliverable signal has a flagged thread;
//   - pipes (reader/writer/file counts), AF_UNIX sockets (sk_wmem_alloc equals the truesize of
//     the skbs still queued; names belong to live sockets), timerfd timers, fd tables;
//   - after everything is closed (`checkNothingLeft`): no file, wait entry, registration,
//     epoll watch, pipe page, name, reserved descriptor, armed timer or call in progress is left.
//
// Each check reads the kernel's own fields; where another module's structure changes, only the
// accessor functions at the bottom need to follow.

import { EP_PRIVATE_BITS } from '../abi/constants.ts';
import type { EventfdCtx } from './eventfd.ts';
import { Epitem, fileEpitems } from './eventpoll/epitem.ts';
import type { Eventpoll } from './eventpoll/eventpoll.ts';
import { rbEmptyNode } from './eventpoll/rbtree.ts';
import { EP_UNACTIVE_PTR, listEmpty, type RdlLink } from './eventpoll/readylist.ts';
import { epollSysctl } from './eventpoll/sysctl.ts';
import { type File, type FileList, FMODE_READ, FMODE_WRITE } from './file.ts';
import type { Kernel } from './kernel.ts';
import { portOwners } from './net/ipv4/inet_hashtables.ts';
import type { UdpSock } from './net/ipv4/udp.ts';
import type { Sock } from './net/sock.ts';
import { type Socket, sockFromFile } from './net/socket.ts';
import { unixSockOfFile } from './net/unix/af_unix.ts';
import { snapshotUnixNamespace } from './net/unix/namespace.ts';
import type { UnixSock } from './net/unix/unix_sock.ts';
import { type Pipe, pipeUserPages } from './pipe.ts';
import { livePollWqueues, type PollWqueues } from './pollwait.ts';
import type { Process } from './proc.ts';
import { Thread } from './sched.ts';
import { KERNEL_ONLY, SIGRTMIN, type SigPending, sigismember, sigmask, sigsetList } from './signal.ts';
import type { TimerfdCtx } from './timerfd.ts';
import type { WaitEntry, WaitQueueHead } from './waitqueue.ts';

export interface CheckOptions {
  /**
   * References held by calls asleep (fdget across a sleep), by file: the kernel keeps them in
   * the call's generator, where no walk can see them. Without it, a file may have up to one
   * unexplained reference per thread in a call.
   */
  heldByCalls?: ReadonlyMap<File, number>;
}

/** Every broken invariant, as a sentence naming the object; empty when all hold. */
export function checkKernel(k: Kernel, opts: CheckOptions = {}): string[] {
  const out: string[] = [];
  const threadsInCall = threadsInACall(k);
  const live = k.files;

  // ---- references and fd tables ----
  const refs = new Map<File, number>();
  const addRef = (f: File, where: string): void => {
    refs.set(f, (refs.get(f) ?? 0) + 1);
    if (!live.has(f)) out.push(`${where} refers to released file ${f.id} (${f.ops.type})`);
  };
  for (const p of k.processes) {
    const table = p.fdtable;
    let open = 0;
    for (let fd = 0; fd < table.files.length; fd++) {
      const f = table.files[fd];
      if (f) {
        open++;
        addRef(f, `fd ${fd} of process ${p.pid}`);
        if (table.larval.has(fd)) out.push(`fd ${fd} of process ${p.pid} is both installed and reserved`);
      } else if (fd < table.nextFd && !table.larval.has(fd))
        out.push(`fd ${fd} of process ${p.pid} is free below next_fd ${table.nextFd}`);
      if (table.openFdsBits.has(fd) !== (f !== null || table.larval.has(fd)))
        out.push(`fd ${fd} of process ${p.pid}: its open_fds bit disagrees with the table`);
    }
    const words = table.openFdsBits.words;
    for (let w = 0; w < words.length; w++)
      if (((table.fullFdsBits[w >>> 5] >>> (w & 31)) & 1) !== (words[w] === 0xffffffff ? 1 : 0))
        out.push(`process ${p.pid}: full_fds_bits of word ${w} disagrees with open_fds`);
    if (open !== table.openCount)
      out.push(`process ${p.pid}: openCount ${table.openCount}, ${open} fds open`);
    for (const fd of table.cloexec)
      if (!table.isAllocated(fd)) out.push(`process ${p.pid}: close-on-exec set on free fd ${fd}`);
    if (table.larval.size > threadsInCall.size)
      out.push(
        `process ${p.pid}: ${table.larval.size} reserved fds, ${threadsInCall.size} calls in progress`,
      );
  }
  const pwqs = livePollWqueues(k);
  const livePwqs = new Set<PollWqueues>(pwqs);
  const pwqWaits = new Set<WaitEntry>();
  for (const pwq of pwqs) {
    if (!threadsInCall.has(pwq.task)) out.push(`${pwq.owner} poll_wqueues ${pwq.id} outlived its call`);
    for (const e of pwq.entries) {
      addRef(e.file, `${pwq.owner} poll_wqueues ${pwq.id}`);
      pwqWaits.add(e.wait);
      if (e.wait.queue !== e.waitAddress)
        out.push(`${pwq.owner} entry ${e.wait.id} is not on its wait_address`);
    }
  }
  let unexplained = 0;
  for (const f of live) {
    const expected = (refs.get(f) ?? 0) + (opts.heldByCalls?.get(f) ?? 0);
    if (f.count <= 0) out.push(`live file ${f.id} (${f.ops.type}) has count ${f.count}`);
    if (opts.heldByCalls) {
      if (f.count !== expected)
        out.push(`file ${f.id} (${f.ops.type}) has count ${f.count}, ${expected} references exist`);
    } else if (f.count < expected)
      out.push(`file ${f.id} (${f.ops.type}) has count ${f.count}, ${expected} references exist`);
    else unexplained += f.count - expected;
  }
  if (!opts.heldByCalls && unexplained > threadsInCall.size)
    out.push(`${unexplained} file references unexplained, ${threadsInCall.size} calls in progress`);
  for (const [f, n] of opts.heldByCalls ?? []) if (!live.has(f) && n > 0) addRef(f, 'a call in progress');

  // ---- wait queues ----
  const queues = new Map<WaitQueueHead, string>();
  for (const f of live) for (const [q, what] of queuesOfFile(f)) queues.set(q, what);
  // The process's signalfd queue (sighand->signalfd_wqh): signalfd readers and pollers.
  for (const p of k.processes) queues.set(p.signal.signalfdWqh, `process ${p.pid} signalfd_wqh`);
  const socks = reachableSocks(live);
  let queued = 0;
  for (const [q, what] of queues) {
    let prev: WaitEntry | null = null;
    let n = 0;
    for (let e = q.first; e; e = e.next) {
      if (++n > 100_000) {
        out.push(`${what}: a cycle in its entries`);
        break;
      }
      if (e.queue !== q) out.push(`${what}: entry ${e.id} (${e.kind}) names another queue`);
      if (e.prev !== prev) out.push(`${what}: entry ${e.id}'s prev link is wrong`);
      const why = deadOwner(k, e, q, threadsInCall, livePwqs, pwqWaits, socks);
      if (why) out.push(`${what}: entry ${e.id} (${e.kind}) ${why}`);
      prev = e;
    }
    if (q.last !== prev) out.push(`${what}: its last link is wrong`);
    queued += n;
  }
  const inQueues = k.stats.waitEntriesAdded - k.stats.waitEntriesRemoved;
  if (inQueues !== queued)
    out.push(`${inQueues} wait entries are queued, ${queued} of them on queues of live objects`);

  // ---- epoll ----
  let watches = 0;
  for (const f of live) {
    if (f.ops.type !== 'eventpoll') continue;
    const ep = f.priv as Eventpoll;
    watches += ep.rbr.size;
    checkEventpoll(ep, f, live, queues, out);
  }
  for (const f of live)
    for (const epi of fileEpitems(f)) {
      if (epi.file !== f) out.push(`file ${f.id}'s f_ep holds epitem ${epi.id} of file ${epi.file.id}`);
      if (!live.has(epi.ep.file)) out.push(`file ${f.id}'s f_ep holds epitem ${epi.id} of a released epoll`);
      if (rbEmptyNode(epi)) out.push(`file ${f.id}'s f_ep holds epitem ${epi.id}, removed from its tree`);
    }
  const sysctl = epollSysctl(k);
  if (sysctl.userWatches !== watches)
    out.push(`epoll_watches is ${sysctl.userWatches}, ${watches} epitems exist`);

  // ---- pipes ----
  const pipes = new Map<Pipe, { files: number; readers: number; writers: number }>();
  for (const f of live) {
    if (f.ops.type !== 'pipe') continue;
    const pipe = f.priv as Pipe;
    let c = pipes.get(pipe);
    if (!c) pipes.set(pipe, (c = { files: 0, readers: 0, writers: 0 }));
    c.files++;
    if (f.mode & FMODE_READ) c.readers++;
    if (f.mode & FMODE_WRITE) c.writers++;
  }
  for (const [pipe, c] of pipes) {
    if (pipe.files !== c.files || pipe.readers !== c.readers || pipe.writers !== c.writers)
      out.push(
        `pipe ${pipe.id}: files/readers/writers ${pipe.files}/${pipe.readers}/${pipe.writers}, ` +
          `${c.files}/${c.readers}/${c.writers} open`,
      );
    const used = pipe.head - pipe.tail;
    if (used < 0 || used > pipe.ringSize) out.push(`pipe ${pipe.id}: head ${pipe.head}, tail ${pipe.tail}`);
  }

  // ---- AF_UNIX ----
  checkUnix(socks, k, out);
  checkUdp(live, k, out);

  // ---- timers ----
  const timerfds = new Map<number, TimerfdCtx>();
  for (const f of live) {
    if (f.ops.type !== 'timerfd') continue;
    const ctx = f.priv as TimerfdCtx;
    timerfds.set(ctx.id, ctx);
    if (ctx.timer && !ctx.timer.active) out.push(`timerfd ${ctx.id} holds a timer that is not active`);
  }
  for (const timer of k.pendingTimers()) {
    const { owner } = timer;
    if (owner.kind === 'timerfd' && timerfds.get(owner.id)?.timer !== timer)
      out.push(`a timer of released timerfd ${owner.id} is armed`);
  }

  // ---- threads ----
  if (k.runQueue.some((t) => t.state === 'runnable')) out.push('a thread is runnable between system calls');
  for (const p of k.processes)
    for (const t of p.threads.values())
      if (t.state === 'blocked' && !t.call) out.push(`thread ${t.name} is blocked outside a call`);

  // ---- signals ----
  for (const p of k.processes) checkSignals(p, out);
  return out;
}

/**
 * A process's signal state: pending sets agree with their queues (a standard signal queued once);
 * no mask holds SIGKILL or SIGSTOP; a thread in user code has taken every signal it can (no
 * TIF_SIGPENDING, no saved p* mask); a deliverable private signal has its thread flagged, and a
 * shared one some thread that does not block it.
 */
function checkSignals(p: Process, out: string[]): void {
  const s = p.signal;
  if (s.killed !== null) return;
  const kernelOnly = KERNEL_ONLY;
  const checkPending = (pending: SigPending, what: string): void => {
    let set = 0n;
    const seen = new Set<number>();
    for (const q of pending.list) {
      if (q.signo < SIGRTMIN && seen.has(q.signo))
        out.push(`${what}: standard signal ${q.signo} queued twice`);
      seen.add(q.signo);
      set |= sigmask(q.signo);
    }
    if (set !== pending.signal) out.push(`${what}: its set does not match its queue`);
  };
  checkPending(s.sharedPending, `process ${p.pid} shared_pending`);
  const threads = [...p.threads.values()].filter((t) => t.state !== 'done');
  for (const t of threads) {
    const what = `thread ${t.name}`;
    checkPending(t.pending, `${what} pending`);
    if (t.blocked & kernelOnly) out.push(`${what} blocks SIGKILL or SIGSTOP`);
    if (t.call === null && t.state === 'running') {
      if (t.sigpending) out.push(`${what} is in user code with TIF_SIGPENDING set`);
      if (t.restoreSigmask) out.push(`${what} is in user code with TIF_RESTORE_SIGMASK set`);
    }
    if ((t.pending.signal & ~t.blocked) !== 0n && !t.sigpending)
      out.push(`${what} has a deliverable signal pending without TIF_SIGPENDING`);
  }
  for (const sig of sigsetList(s.sharedPending.signal)) {
    const wanting = threads.filter((t) => !sigismember(t.blocked, sig));
    if (wanting.length > 0 && !wanting.some((t) => t.sigpending))
      out.push(
        `process ${p.pid}: shared signal ${sig} is deliverable but no thread that takes it is flagged`,
      );
  }
  if (s.currTarget !== null && s.currTarget.proc !== p)
    out.push(`process ${p.pid}: curr_target is not its thread`);
}

/**
 * After every call has returned or been abandoned and every descriptor is closed: nothing is
 * left. Pending timers may remain only as the stale timeouts of sleeps that have ended (they
 * fire into nothing: no thread is blocked).
 */
export function checkNothingLeft(k: Kernel): string[] {
  const out: string[] = [];
  if (k.files.size > 0)
    out.push(`open file descriptions left: ${[...k.files].map((f) => `${f.id} (${f.ops.type})`).join(', ')}`);
  const queued = k.stats.waitEntriesAdded - k.stats.waitEntriesRemoved;
  if (queued !== 0) out.push(`${queued} wait entries left queued`);
  for (const p of k.processes) {
    if (p.fdtable.openCount !== 0) out.push(`process ${p.pid}: ${p.fdtable.openCount} fds open`);
    if (p.fdtable.larval.size !== 0)
      out.push(`process ${p.pid}: reserved fds left: ${[...p.fdtable.larval]}`);
    for (const t of p.threads.values())
      if (t.call || t.state === 'blocked' || t.state === 'runnable')
        out.push(`thread ${t.name} is still ${t.state} in ${t.call?.name ?? 'no call'}`);
  }
  if (livePollWqueues(k).length > 0) out.push('select/poll calls left in progress');
  if (epollSysctl(k).userWatches !== 0) out.push(`epoll_watches left at ${epollSysctl(k).userWatches}`);
  if (pipeUserPages(k) !== 0) out.push(`pipe pages left accounted: ${pipeUserPages(k)}`);
  const names = snapshotUnixNamespace(k);
  if (names.length > 0) out.push(`AF_UNIX names left bound: ${names.map((n) => n.name).join(', ')}`);
  for (const timer of k.pendingTimers())
    if (timer.owner.kind !== 'sleep') out.push(`timer "${timer.label}" left armed`);
  return out;
}

// ---- the parts ----

function threadsInACall(k: Kernel): Set<Thread> {
  const s = new Set<Thread>();
  for (const p of k.processes) for (const t of p.threads.values()) if (t.call) s.add(t);
  return s;
}

function checkEventpoll(
  ep: Eventpoll,
  f: File,
  live: FileList,
  queues: ReadonlyMap<WaitQueueHead, string>,
  out: string[],
): void {
  const name = `eventpoll ${ep.id}`;
  if (ep.file !== f) out.push(`${name}: ep->file is not its file`);
  try {
    ep.rbr.checkInvariants();
  } catch (e) {
    out.push(`${name}: ${(e as Error).message}`);
  }
  const items = new Set<Epitem>(ep.rbr.nodes());
  if (ep.refcount !== 1 + items.size) out.push(`${name}: refcount ${ep.refcount}, ${items.size} items`);
  if (ep.ovflist !== EP_UNACTIVE_PTR) out.push(`${name}: ovflist active outside a scan`);
  if (ep.scanBatch !== null || !listEmpty(ep.txlist)) out.push(`${name}: a scan batch left over`);
  for (const epi of items) {
    const target = epi.file;
    if (epi.ep !== ep) out.push(`${name}: epitem ${epi.id} belongs to eventpoll ${epi.ep.id}`);
    if (rbEmptyNode(epi)) out.push(`${name}: epitem ${epi.id}'s rbn is marked out of the tree`);
    if (epi.dying) out.push(`${name}: epitem ${epi.id} is dying but still in the tree`);
    if (epi.next !== EP_UNACTIVE_PTR) out.push(`${name}: epitem ${epi.id} is on an ovflist`);
    if (!live.has(target)) out.push(`${name}: epitem ${epi.id} watches released file ${target.id}`);
    else if (!fileEpitems(target).includes(epi))
      out.push(`${name}: epitem ${epi.id} is missing from its file's f_ep`);
    if ((epi.events & ~EP_PRIVATE_BITS) !== 0 && epi.pwqlist === null && target.ops.poll)
      out.push(`${name}: enabled epitem ${epi.id} has no hook on its file`);
    for (let pwq = epi.pwqlist; pwq; pwq = pwq.pwqNext) {
      if (pwq.owner !== epi)
        out.push(`${name}: a hook of epitem ${epi.id} belongs to epitem ${(pwq.owner as Epitem).id}`);
      if (pwq.kind !== 'ep_poll_callback')
        out.push(`${name}: epitem ${epi.id}'s hook ${pwq.id} is a ${pwq.kind}`);
      if (pwq.queue && !queues.has(pwq.queue))
        out.push(`${name}: epitem ${epi.id}'s hook is on a queue of no live object`);
    }
  }
  // The ready list: a well-linked circle of items that are all in the tree, each once.
  const seen = new Set<Epitem>();
  let prev: RdlLink = ep.rdllist;
  for (let l = ep.rdllist.rdllinkNext; l !== ep.rdllist; l = l.rdllinkNext) {
    if (l.rdllinkPrev !== prev)
      out.push(`${name}: ready list link broken after ${prev instanceof Epitem ? prev.id : 'the head'}`);
    const epi = l instanceof Epitem ? l : null;
    if (!epi) {
      out.push(`${name}: a list head inside the ready list`);
      break;
    }
    if (seen.has(epi) || seen.size > items.size) {
      out.push(`${name}: the ready list has a cycle or a repeated item (${epi.id})`);
      break;
    }
    seen.add(epi);
    if (!items.has(epi)) out.push(`${name}: ready epitem ${epi.id} is not in the tree`);
    prev = l;
  }
  if (ep.rdllist.rdllinkPrev !== prev) out.push(`${name}: the ready list's tail link is wrong`);
  for (const epi of items)
    if (!seen.has(epi) && !listEmpty(epi)) out.push(`${name}: epitem ${epi.id} is linked on another list`);
}

/** Why an entry's owner cannot be waiting on `q`, or null when it can. */
function deadOwner(
  k: Kernel,
  e: WaitEntry,
  q: WaitQueueHead,
  threadsInCall: ReadonlySet<Thread>,
  pwqs: ReadonlySet<PollWqueues>,
  pwqWaits: ReadonlySet<WaitEntry>,
  socks: ReadonlyMap<UnixSock, boolean>,
): string | null {
  switch (e.kind) {
    case 'default_wake_function':
    case 'autoremove_wake_function':
    case 'receiver_wake_function':
    case 'ep_autoremove_wake_function': {
      const t = e.owner as Thread;
      if (!(t instanceof Thread)) return 'is owned by no thread';
      return threadsInCall.has(t) && t.k === k ? null : `belongs to thread ${t.name}, which is in no call`;
    }
    case 'pollwake': {
      const pwq = e.owner as PollWqueues;
      if (!pwqs.has(pwq)) return 'belongs to a select/poll call that has ended';
      return pwqWaits.has(e) ? null : 'is not one of its call’s entries';
    }
    case 'ep_poll_callback': {
      const epi = e.owner as Epitem;
      if (!(epi instanceof Epitem)) return 'is owned by no epitem';
      if (rbEmptyNode(epi)) return `belongs to epitem ${epi.id}, removed from its tree`;
      if (!k.files.has(epi.ep.file)) return `belongs to epitem ${epi.id} of a released epoll`;
      if (e.queue !== q) return `belongs to epitem ${epi.id}, whose hook names another queue`;
      return null;
    }
    case 'unix_dgram_peer_wake_relay': {
      const u = e.owner as UnixSock;
      if (socks.get(u) !== true) return `belongs to socket ${u.id}, which is released`;
      return u.peerWakeTarget && u.peerWakeTarget.peerWait === q
        ? null
        : `is not socket ${u.id}'s peer_wake target`;
    }
  }
  return 'has an unknown wake function';
}

/**
 * UDP sockets: sk_rmem_alloc is the truesize queued plus what reads have not given back; loopback
 * frees every sent skb at once, so sk_wmem_alloc is 1; a socket with a port is in its port's table.
 */
function checkUdp(live: FileList, k: Kernel, out: string[]): void {
  for (const f of live) {
    if (f.ops.type !== 'udp') continue;
    const sk = (f.priv as Socket).sk as UdpSock;
    let queued = 0;
    for (const skb of [...sk.receiveQueue, ...sk.readerQueue]) queued += skb.truesize;
    if (sk.rmemAlloc !== queued + sk.forwardDeficit)
      out.push(
        `udp socket ${sk.id}: sk_rmem_alloc ${sk.rmemAlloc}, queued ${queued} + deficit ${sk.forwardDeficit}`,
      );
    if (sk.wmemAlloc !== 1) out.push(`udp socket ${sk.id}: sk_wmem_alloc ${sk.wmemAlloc}, not 1`);
    if (sk.num && !portOwners(k, 'udp', sk.num).includes(sk))
      out.push(`udp socket ${sk.id} has port ${sk.num} but is not in its table`);
  }
}

function checkUnix(socks: ReadonlyMap<UnixSock, boolean>, k: Kernel, out: string[]): void {
  const charged = new Map<Sock, number>();
  for (const [sk, alive] of socks) {
    if (!alive && sk.receiveQueue.length > 0) out.push(`released socket ${sk.id} still queues skbs`);
    if (alive && sk.dead) out.push(`socket ${sk.id} of a live file is dead`);
    for (const skb of sk.receiveQueue) charged.set(skb.owner, (charged.get(skb.owner) ?? 0) + skb.truesize);
  }
  for (const [sk] of socks) {
    const want = 1 + (charged.get(sk) ?? 0);
    if (sk.wmemAlloc !== want)
      out.push(`socket ${sk.id}: sk_wmem_alloc ${sk.wmemAlloc}, queued truesize + 1 = ${want}`);
  }
  const byId = new Map<number, UnixSock>();
  for (const [sk, alive] of socks) if (alive) byId.set(sk.id, sk);
  for (const n of snapshotUnixNamespace(k)) {
    const sk = byId.get(n.sock);
    if (!sk) out.push(`name ${n.name} is bound to socket ${n.sock}, which is released`);
    else if (!sk.hashed) out.push(`name ${n.name} is bound to socket ${n.sock}, which is not hashed`);
  }
}

// ---- where each file type keeps its queues and sockets (adjust here when modules change) ----

/** The wait queues a live file's object owns, with a name for messages. */
function queuesOfFile(f: File): [WaitQueueHead, string][] {
  switch (f.ops.type) {
    case 'pipe': {
      const pipe = f.priv as Pipe;
      // The queues made so far (Pipe.rdWaitQ): one not made yet holds nothing to check, and
      // looking at it through rdWait would make it.
      const out: [WaitQueueHead, string][] = [];
      if (pipe.rdWaitQ) out.push([pipe.rdWaitQ, `pipe ${pipe.id} rd_wait`]);
      if (pipe.wrWaitQ) out.push([pipe.wrWaitQ, `pipe ${pipe.id} wr_wait`]);
      return out;
    }
    case 'unix': {
      const out: [WaitQueueHead, string][] = [];
      const add = (sk: UnixSock) => {
        out.push([sk.wq, `socket ${sk.id} wq`], [sk.peerWait, `socket ${sk.id} peer_wait`]);
      };
      const sk = unixSockOf(f);
      add(sk);
      // Embryos queued on a listener are live, though no file holds them yet.
      for (const embryo of embryosOf(sk)) add(embryo);
      return out;
    }
    case 'tcp': {
      // A TCP socket's one queue (sk_sleep); children in an accept queue have no waiters yet.
      const sk = sockFromFile(f)!.sk;
      return [[sk.wq, `socket ${sk.id} wq`]];
    }
    case 'udp': {
      // A UDP socket's one queue (sk_sleep); its skbs charge nobody's sk_wmem_alloc.
      const sk = (f.priv as Socket).sk;
      return [[sk.wq, `socket ${sk.id} wq`]];
    }
    case 'eventfd': {
      const ctx = f.priv as EventfdCtx;
      return [[ctx.wqh, `eventfd ${ctx.id} wqh`]];
    }
    case 'timerfd': {
      const ctx = f.priv as TimerfdCtx;
      return [[ctx.wqh, `timerfd ${ctx.id} wqh`]];
    }
    case 'eventpoll': {
      const ep = f.priv as Eventpoll;
      return [
        [ep.wq, `eventpoll ${ep.id} wq`],
        [ep.pollWait, `eventpoll ${ep.id} poll_wait`],
      ];
    }
    default:
      return [];
  }
}

/**
 * Every AF_UNIX socket reachable from a live file: its own, embryos on listeners, peers, and the
 * senders of queued skbs. True for the live ones (a live file's, or an embryo), false for
 * released ones still pointed at (a stream survivor's peer, a datagram sender that has gone).
 */
function reachableSocks(live: FileList): Map<UnixSock, boolean> {
  const out = new Map<UnixSock, boolean>();
  const todo: UnixSock[] = [];
  const visit = (sk: UnixSock | null, alive: boolean): void => {
    if (!sk) return;
    const was = out.get(sk);
    if (was === undefined) todo.push(sk);
    if (was !== true) out.set(sk, alive);
  };
  for (const f of live) if (f.ops.type === 'unix') visit(unixSockOf(f), true);
  while (todo.length > 0) {
    const sk = todo.pop()!;
    visit(sk.peer, false);
    for (const skb of sk.receiveQueue) visit(skb.owner as UnixSock, false);
    for (const embryo of embryosOf(sk)) visit(embryo, out.get(sk) === true);
  }
  // A peer or sender found first as released may be live after all (its file was visited later).
  for (const f of live) if (f.ops.type === 'unix') out.set(unixSockOf(f), true);
  return out;
}

/** The AF_UNIX sock behind a live socket file. */
const unixSockOf = (f: File): UnixSock => unixSockOfFile(f)!;

/** The embryos queued on a listener: each connect request's skb is charged to its embryo. */
function embryosOf(sk: UnixSock): UnixSock[] {
  return sk.state === 'TCP_LISTEN' ? sk.receiveQueue.map((skb) => skb.owner as UnixSock) : [];
}
