// The kernel as it is at a step: threads, fd tables → open files → files drawn by type, every
// wait queue with its entries, and each eventpoll (interest tree, ready list, overflow list,
// waiters). Everything clickable opens the inspector on the object's fields.

import type { ComponentChildren } from 'preact';
import { type FileSnapshot, FLAG_TABLES, formatMask } from '../../../src/index.ts';
import {
  type EventpollView,
  fdsByFile,
  fileFlags,
  type KernelView,
  type ReadyItem,
} from '../model/kernel.ts';
import type { Picked } from '../model/pick.ts';
import { relatedKeys } from '../model/related.ts';
import type { ProcessSignalView } from '../model/signals.ts';
import { RbTree } from './RbTree.tsx';

export type { Picked };

interface Props {
  view: KernelView;
  changed: Set<string>;
  related?: Set<string>;
  picked: Picked | null;
  onPick: (p: Picked) => void;
}

function Box(props: {
  k: string;
  changed: Set<string>;
  related?: Set<string>;
  picked: Picked | null;
  pick: Picked;
  onPick: (p: Picked) => void;
  class?: string;
  testid?: string;
  data?: Record<string, string | number>;
  children: ComponentChildren;
}) {
  const cls = [
    'box',
    props.class ?? '',
    props.changed.has(props.k) ? 'changed' : '',
    props.picked?.key === props.pick.key ? 'selected' : '',
    props.related?.has(props.k) ? 'related' : '',
  ].join(' ');
  const data: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(props.data ?? {})) data[`data-${k}`] = v;
  return (
    <button
      type="button"
      class={cls}
      data-testid={props.testid}
      {...data}
      onClick={(e) => {
        e.stopPropagation();
        props.onPick(props.pick);
      }}
    >
      {props.children}
    </button>
  );
}

function PipeRing({ f }: { f: FileSnapshot }) {
  const d = f.detail as {
    ringSize: number;
    head: number;
    tail: number;
    slots: { index: number; len: number }[];
  };
  const used = new Map(d.slots.map((s) => [s.index, s.len]));
  return (
    <span class="ring" title={`head ${d.head}, tail ${d.tail}`}>
      {Array.from({ length: d.ringSize }, (_, i) => (
        <span key={i} class={used.has(i) ? 'slot used' : 'slot'} title={`slot ${i}`}>
          {used.get(i) ?? ''}
        </span>
      ))}
    </span>
  );
}

function fileSummary(f: FileSnapshot): ComponentChildren {
  const d = f.detail as Record<string, unknown> | null;
  switch (f.type) {
    case 'pipe':
      return (
        <>
          pipe #{String(d?.id)} · {String(d?.bytes)} byte{d?.bytes === 1 ? '' : 's'} <PipeRing f={f} />
        </>
      );
    case 'eventfd':
      return <>eventfd · count {String(d?.count)}</>;
    case 'timerfd':
      return (
        <>
          timerfd · {d?.armed ? `armed, ${String(d?.remaining)} ns left` : 'disarmed'} · ticks{' '}
          {String(d?.ticks)}
        </>
      );
    case 'unix': {
      const sk = (d?.sk ?? {}) as Record<string, unknown>;
      const q = Array.isArray(sk.receiveQueue) ? sk.receiveQueue.length : 0;
      return (
        <>
          unix #{String(sk.id)} {String(sk.type ?? '')} · {String(sk.state ?? '')} · {q} queued
          {sk.shutdown ? ` · shutdown ${String(sk.shutdown)}` : ''}
        </>
      );
    }
    case 'tcp': {
      const sk = (d?.sk ?? {}) as Record<string, unknown>;
      const unread = Number(sk.rcvNxt ?? 0) - Number(sk.copiedSeq ?? 0);
      const queued = Array.isArray(sk.acceptQueue) ? sk.acceptQueue.length : 0;
      return (
        <>
          tcp {String(sk.state ?? '')} · {String(sk.local ?? '')}
          {sk.remote ? ` → ${String(sk.remote)}` : ''}
          {sk.state === 'TCP_LISTEN' ? ` · ${queued} to accept` : ` · ${unread} unread`}
          {/* Linux: TCP_URG_VALID (0x100) without TCP_URG_READ (0x400): an urgent byte not yet read. */}
          {(Number(sk.urgData) & 0x500) === 0x100 ? ' · urgent byte waiting' : ''}
          {sk.err ? ` · error ${String(sk.err)}` : ''}
        </>
      );
    }
    case 'udp': {
      const sk = (d?.sk ?? {}) as Record<string, unknown>;
      const q =
        (Array.isArray(sk.receiveQueue) ? sk.receiveQueue.length : 0) +
        (Array.isArray(sk.readerQueue) ? sk.readerQueue.length : 0);
      return (
        <>
          udp · {String(sk.local ?? '')}
          {sk.peer ? ` → ${String(sk.peer)}` : ''} · {q} datagram{q === 1 ? '' : 's'}
          {sk.err ? ` · error ${String(sk.err)}` : ''}
        </>
      );
    }
    case 'eventpoll':
      return <>eventpoll #{String(d?.id)}</>;
    case 'signalfd': {
      const mask = Array.isArray(d?.mask) ? (d.mask as number[]).length : 0;
      return (
        <>
          signalfd #{String(d?.id)} · reads {mask} signal{mask === 1 ? '' : 's'}
        </>
      );
    }
    case 'null':
      return <>/dev/null</>;
    case 'regular':
      return <>regular file (unlinked tmpfile)</>;
    default:
      return <>{f.type}</>;
  }
}

function ReadyList(props: {
  items: ReadyItem[];
  testid: string;
  item: string;
  label: string;
  changed: boolean;
}) {
  return (
    <div class={props.changed ? 'list changed' : 'list'}>
      <span class="list-label">{props.label}</span>
      <ol data-testid={props.testid} class="chain">
        {props.items.length === 0 ? <li class="empty">empty</li> : null}
        {props.items.map((r) => (
          <li key={r.epi} data-testid={props.item} data-fd={r.fd} data-epi={r.epi} title={r.events}>
            fd {r.fd} <small>#{r.epi}</small>
          </li>
        ))}
      </ol>
    </div>
  );
}

function Eventpoll(props: Props & { ep: EventpollView; fds: Map<number, { fd: number }[]> }) {
  const { ep, changed } = props;
  const name = props.fds.get(ep.file)?.map((e) => `fd ${e.fd}`) ?? [];
  return (
    <section class="eventpoll" data-testid="eventpoll" data-ep={ep.id}>
      <h4>
        eventpoll #{ep.id}{' '}
        <small>
          (file #{ep.file}
          {name.length ? `, ${name.join(', ')}` : ''})
        </small>
      </h4>
      <div class="tree-wrap">
        <RbTree
          layout={ep.tree}
          changed={changed.has(`tree:${ep.id}`)}
          selected={props.picked?.kind === 'epitem' ? Number(props.picked.key.split(':')[1]) : null}
          related={props.related}
          onPick={(epi) => {
            const it = ep.items.find((i) => i.id === epi);
            props.onPick({
              kind: 'epitem',
              key: `epi:${epi}`,
              title: `epitem #${epi} (fd ${it?.fd})`,
              fields: it,
            });
          }}
        />
      </div>
      <ol class="epitems" aria-label="epitems">
        {ep.items.map((it) => (
          <li key={it.id}>
            <Box
              k={`epi:${it.id}`}
              changed={changed}
              related={props.related}
              picked={props.picked}
              onPick={props.onPick}
              class="epitem"
              pick={{
                kind: 'epitem',
                key: `epi:${it.id}`,
                title: `epitem #${it.id} (fd ${it.fd})`,
                fields: it,
              }}
            >
              epitem #{it.id}: fd {it.fd} → file #{it.file}{' '}
              <span class="small">
                {formatMask(it.events, FLAG_TABLES.epoll)}
                {it.queues.length ? ` · hooked on ${it.queues.join(', ')}` : ''}
              </span>
            </Box>
          </li>
        ))}
      </ol>
      <ReadyList
        label="ready list (rdllist)"
        items={ep.ready}
        testid="ready-list"
        item="ready-item"
        changed={changed.has(`ready:${ep.id}`)}
      />
      {ep.scanBatch ? (
        <ReadyList
          label="scan batch"
          items={ep.scanBatch}
          testid="scan-batch"
          item="scan-item"
          changed={false}
        />
      ) : null}
      {ep.ovflist ? (
        <ReadyList
          label="overflow list (ovflist)"
          items={ep.ovflist}
          testid="ovflist"
          item="ovf-item"
          changed={changed.has(`ovf:${ep.id}`)}
        />
      ) : (
        <div class="list muted">overflow list: inactive (no scan running)</div>
      )}
      <div class={changed.has(`waiters:${ep.id}`) ? 'list changed' : 'list'}>
        <span class="list-label">waiters (epoll_wait)</span>
        <ol class="chain" data-testid="ep-waiters">
          {ep.waiters.length === 0 ? <li class="empty">none</li> : null}
          {ep.waiters.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ol>
      </div>
    </section>
  );
}

/** A signal set as a row of chips; `none` when empty. */
function SigSet(props: { list: string[]; testid: string; cls?: string }) {
  return (
    <span class={`sigset ${props.cls ?? ''}`} data-testid={props.testid} data-set={props.list.join(',')}>
      {props.list.length === 0 ? <span class="muted">none</span> : null}
      {props.list.map((s, i) => (
        <span key={`${s}${i}`} class="sig">
          {s}
        </span>
      ))}
    </span>
  );
}

/** One process's signals: each thread's mask and pending set, then what the threads share. */
function Signals(props: {
  p: ProcessSignalView;
  common: {
    changed: Set<string>;
    related?: Set<string>;
    picked: Picked | null;
    onPick: (p: Picked) => void;
  };
}) {
  const { p, common } = props;
  return (
    <section class="signals">
      <h3>Signals{p.killed ? ` · process ended by ${p.killed}` : ''}</h3>
      <div class="row">
        {p.threads.map((t) => (
          <Box
            key={t.id}
            k={`tsig:${t.id}`}
            {...common}
            class="tsig"
            testid="thread-signals"
            data={{ name: t.name }}
            pick={{
              kind: 'thread-signals',
              key: `tsig:${t.id}`,
              title: `signals of thread ${t.name} (tid ${t.tid})`,
              fields: t,
            }}
          >
            <b>{t.name}</b> <span class="muted">tid {t.tid}</span>
            {t.sigpending ? (
              <span class="flag" title="TIF_SIGPENDING: a signal to look at on the way back to user space">
                {' '}
                SIGPENDING
              </span>
            ) : null}
            <div class="sigline">
              <span class="label">blocked</span> <SigSet list={t.blocked} testid="sig-blocked" />
            </div>
            <div class="sigline">
              <span class="label">pending</span> <SigSet list={t.pending} testid="sig-pending" cls="pend" />
            </div>
            {t.savedSigmask ? (
              <div class="sigline" title="saved_sigmask: the mask the p* call in progress restores">
                <span class="label">saved</span> <SigSet list={t.savedSigmask} testid="sig-saved" />
              </div>
            ) : null}
          </Box>
        ))}
        <Box
          k={`sig:${p.pid}`}
          {...common}
          class="psig"
          testid="process-signals"
          data={{ pid: p.pid }}
          pick={{ kind: 'process-signals', key: `sig:${p.pid}`, title: `signals of pid ${p.pid}`, fields: p }}
        >
          <b>pid {p.pid}</b> <span class="muted">shared by its threads</span>
          <div class="sigline" title="signal_struct.shared_pending: signals sent to the process (kill)">
            <span class="label">shared pending</span>{' '}
            <SigSet list={p.sharedPending} testid="shared-pending" cls="pend" />
          </div>
          {p.actions.map((a) => {
            const n = p.caught.find((c) => c.sig === a.sig)?.count ?? 0;
            return (
              <div class="sigline action" key={a.sig} data-testid="action">
                <span class="sig">{a.sig}</span> {a.handler}
                {a.flags ? <small> {a.flags}</small> : null}
                {a.mask.length ? <small> mask {a.mask.join(' ')}</small> : null}
                {a.handler === 'catch' ? (
                  <span class="count" data-testid="caught" data-sig={a.sig} data-count={n}>
                    {' '}
                    · ran {n}×
                  </span>
                ) : null}
              </div>
            );
          })}
          {p.signalfds.map((s) => (
            <div class="sigline" key={s.file} data-testid="signalfd">
              <span class="label">signalfd fd {s.fds.join(', ')}</span> reads{' '}
              <SigSet list={s.mask} testid="sfd-mask" /> queued{' '}
              <SigSet list={s.queued} testid="sfd-queued" cls="pend" />
            </div>
          ))}
          {p.signalfdWaiters ? (
            <div
              class="small"
              title="sighand->signalfd_wqh: signalfd readers asleep, and epoll or poll hooks on a signalfd"
            >
              signalfd_wqh: {p.signalfdWaiters} {p.signalfdWaiters === 1 ? 'entry' : 'entries'}
            </div>
          ) : null}
        </Box>
      </div>
    </section>
  );
}

export function KernelPanel(props: Props) {
  const { view, changed } = props;
  const fds = fdsByFile(view);
  const related = props.picked ? relatedKeys(props.picked.key, view) : new Set<string>();
  const common = { changed, related, picked: props.picked, onPick: props.onPick };
  return (
    <div class="kernel">
      <section>
        <h3>Threads</h3>
        <div class="row">
          {view.threads.length === 0 ? (
            <span class="muted">only the main thread, not yet in a call</span>
          ) : null}
          {view.threads.map((t) => (
            <Box
              key={t.id}
              k={`thread:${t.id}`}
              {...common}
              class={`thread ${t.state}`}
              testid="thread"
              data={{ state: t.state, name: t.name }}
              pick={{
                kind: 'thread',
                key: `thread:${t.id}`,
                title: `thread ${t.name} (#${t.id})`,
                fields: t,
              }}
            >
              <b>{t.name}</b> <span class={`state ${t.state}`}>{t.state}</span>
              {t.call ? <div class="call">{t.call}</div> : null}
              {t.sleepsOn.length ? <div class="small">sleeps on {t.sleepsOn.join(', ')}</div> : null}
            </Box>
          ))}
        </div>
      </section>
      {view.signals.map((p) => (
        <Signals key={p.pid} p={p} common={common} />
      ))}
      <section>
        <h3>Descriptors → open files</h3>
        <table class="fds">
          <tbody>
            {byFirstFd(view.files, fds).map((f) => {
              const refs = fds.get(f.id) ?? [];
              return (
                <tr key={f.id}>
                  <td class="fdcol">
                    {refs.map((e) => (
                      <Box
                        key={`${e.pid}:${e.fd}`}
                        k={`fd:${e.pid}:${e.fd}`}
                        {...common}
                        class="fd"
                        testid="fd"
                        data={{ fd: e.fd, file: e.file }}
                        pick={{
                          kind: 'fd',
                          key: `fd:${e.pid}:${e.fd}`,
                          title: `pid ${e.pid} fd ${e.fd}`,
                          fields: e,
                        }}
                      >
                        fd {e.fd}
                        {e.cloexec ? <small> cloexec</small> : null}
                      </Box>
                    ))}
                    {refs.length === 0 ? <span class="muted">no fd</span> : null}
                  </td>
                  <td class="arrow">→</td>
                  <td>
                    <Box
                      k={`file:${f.id}`}
                      {...common}
                      class={`file ${f.type}`}
                      testid="file"
                      data={{ file: f.id, type: f.type }}
                      pick={{
                        kind: f.type,
                        key: `file:${f.id}`,
                        title: `file #${f.id} (${f.type})`,
                        fields: f,
                      }}
                    >
                      <span class="fileid">file #{f.id}</span> <span class="small">ref {f.refcount}</span>{' '}
                      <span class="small">{fileFlags(f.flags)}</span>
                      {f.watchedBy.length ? (
                        <span class="small"> · watched by #{f.watchedBy.join(', #')}</span>
                      ) : null}
                      <div>{fileSummary(f)}</div>
                    </Box>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      {view.eventpolls.length ? (
        <section>
          <h3>Eventpolls</h3>
          {view.eventpolls.map((ep) => (
            <Eventpoll key={ep.id} {...props} related={related} ep={ep} fds={fds} />
          ))}
        </section>
      ) : null}
      <section>
        <h3>Wait queues</h3>
        {view.waitQueues.map((q) => (
          <div
            key={q.id}
            class={`wq${changed.has(`wq:${q.id}`) ? ' changed' : ''}${related.has(`wq:${q.id}`) ? ' related' : ''}`}
            data-testid="waitqueue"
            data-name={q.name}
          >
            <Box
              k={`wq:${q.id}`}
              changed={new Set()}
              picked={props.picked}
              onPick={props.onPick}
              class="wqhead"
              pick={{ kind: 'waitqueue', key: `wq:${q.id}`, title: q.name, fields: q }}
            >
              {q.name}
            </Box>
            <ol class="chain">
              {q.entries.length === 0 ? <li class="empty">empty</li> : null}
              {q.entries.map((e) => (
                <li key={e.id}>
                  <Box
                    k={`we:${e.id}`}
                    changed={new Set()}
                    related={related}
                    picked={props.picked}
                    onPick={props.onPick}
                    class="entry"
                    testid="wait-entry"
                    data={{ kind: e.kind, entry: e.id }}
                    pick={{ kind: 'wait-entry', key: `we:${e.id}`, title: `wait entry #${e.id}`, fields: e }}
                  >
                    {e.kind}
                    {e.exclusive ? <small> excl</small> : null}
                    <div class="small">
                      → {e.owner.kind} #{e.owner.id}
                    </div>
                  </Box>
                </li>
              ))}
            </ol>
          </div>
        ))}
      </section>
    </div>
  );
}

/** Files in descriptor-table order: by their lowest fd; files no fd points at (held by a call or an epitem) last. */
function byFirstFd<F extends { id: number }>(files: readonly F[], fds: Map<number, { fd: number }[]>): F[] {
  const first = (f: F) => Math.min(...(fds.get(f.id) ?? []).map((e) => e.fd));
  return [...files].sort((a, b) => first(a) - first(b) || a.id - b.id);
}
