// Stepping: first/back/forward/last, a slider, the step index, the step list (click to jump),
// and the current step's kernel events in order, its changes and its cost; a deadlock's blocked
// threads and an Unsupported step are marked.

import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { StepAgreement } from '../model/linux.ts';
import {
  argText,
  blockedThreads,
  counterTitle,
  cumulativeCost,
  eventLines,
  stepRows,
} from '../model/steps.ts';
import type { PageTrace } from '../model/trace.ts';

interface Props {
  trace: PageTrace;
  doc: unknown;
  at: number;
  n: number;
  go: (i: number) => void;
  busy: boolean;
  stale: boolean;
  /** Linux's verdict per step, once compared. */
  linux: StepAgreement[] | null;
}

export function StepPanel({ trace, doc, at, n, go, busy, stale, linux }: Props) {
  const rows = useMemo(() => stepRows(trace, doc), [trace, doc]);
  const blocked = useMemo(() => blockedThreads(trace), [trace]);
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    list.current?.querySelector('[aria-current="step"]')?.scrollIntoView({ block: 'nearest' });
  }, [at]);
  const s = at < trace.steps.length ? trace.steps[at] : null;
  const events = eventLines(trace, at);
  const failure = trace.failure;
  return (
    <div class={stale || busy ? 'steps stale' : 'steps'}>
      <div class="controls">
        <button
          type="button"
          onClick={() => go(0)}
          disabled={at === 0}
          aria-label="first step"
          title="first (Home)"
        >
          |◀
        </button>
        <button
          type="button"
          onClick={() => go(at - 1)}
          disabled={at === 0}
          aria-label="previous step"
          title="back (←)"
        >
          ◀
        </button>
        <span data-testid="step-index" class="step-index" title={counterTitle(at, n)}>
          {n === 0 ? '0 / 0' : `${at + 1} / ${n}`}
        </span>
        <button
          type="button"
          onClick={() => go(at + 1)}
          disabled={at >= n - 1}
          aria-label="next step"
          title="forward (→)"
        >
          ▶
        </button>
        <button
          type="button"
          onClick={() => go(n - 1)}
          disabled={at >= n - 1}
          aria-label="last step"
          title="last (End)"
        >
          ▶|
        </button>
      </div>
      <input
        type="range"
        class="slider"
        aria-label="step"
        min={0}
        max={Math.max(0, n - 1)}
        value={at}
        onInput={(e) => go(Number((e.target as HTMLInputElement).value))}
      />
      {blocked.length > 0 || failure?.kind === 'blocks-forever' ? (
        <div class="error" data-testid="blocked" role="alert">
          <b>Deadlock at step {failure?.step}:</b> {failure?.message}
          <ul>
            {blocked.map((b) => (
              <li key={b.name}>
                thread <b>{b.name}</b> blocked in <code>{b.call}</code>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {failure && failure.kind !== 'blocks-forever' ? (
        <div class="error" role="alert">
          <b>
            The run stopped at step {failure.step}
            {failure.kind === 'unsupported' ? ': the model does not do this' : ''}.
          </b>{' '}
          {failure.message}
        </div>
      ) : null}
      <ol class="step-list" data-testid="step-list" ref={list}>
        {rows.map((r) => (
          <li
            key={r.index}
            data-testid="step"
            aria-current={r.index === at ? 'step' : undefined}
            class={`step st-${r.status}`}
            title={`${r.index}: ${r.label} → ${r.result}`}
            tabIndex={r.index === at ? 0 : -1}
            onClick={() => go(r.index)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') go(r.index);
            }}
          >
            <span class="num">{r.index}</span>
            <span class={`mark ${r.status === 'ok' ? 'ok' : 'bad'}`}>
              {r.status === 'ok' ? '✓' : r.status === 'mismatch' ? '✗' : ''}
            </span>
            {linux?.[r.index] ? (
              <span
                class={linux[r.index].verdict === 'same' ? 'ok small' : 'bad small'}
                data-testid="linux-verdict"
                data-verdict={linux[r.index].verdict}
                title={
                  linux[r.index].verdict === 'same'
                    ? 'Linux agrees'
                    : linux[r.index].verdict === 'differs'
                      ? 'Linux differs'
                      : 'Linux stopped before this step'
                }
              >
                {' '}
                {linux[r.index].verdict === 'same'
                  ? '=L '
                  : linux[r.index].verdict === 'differs'
                    ? '≠L '
                    : 'L? '}
              </span>
            ) : null}
            <code>{r.label}</code>
            <span class="res"> → {r.result}</span>
            {r.status === 'unsupported' ? (
              <span class="bad" data-testid="unsupported">
                {' '}
                Unsupported: {failure?.message}
              </span>
            ) : null}
            {r.status === 'failed' ? <span class="bad"> {failure?.message}</span> : null}
          </li>
        ))}
      </ol>
      <div class="step-detail">
        {s?.ok === false ? (
          <p class="bad small">
            expected {JSON.stringify(s.expected)} (mismatched: {s.mismatched?.join(', ')})
          </p>
        ) : null}
        {linux?.[at] && linux[at].verdict === 'differs' ? (
          <p class="bad small">Linux: {argText(linux[at].linux)}</p>
        ) : null}
        {rows[at] ? (
          <p class="small" data-testid="step-result">
            <strong>Result:</strong> {rows[at].label} → {rows[at].result}
          </p>
        ) : null}
        <h4>Kernel events</h4>
        {events.length === 0 ? <p class="muted small">none</p> : null}
        <ol class="events" data-testid="events">
          {events.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ol>
        {s && s.changes.length > 0 ? (
          <>
            <h4>Changes</h4>
            <ul class="events" data-testid="changes">
              {s.changes.map((c) => (
                <li key={c}>Δ {c}</li>
              ))}
            </ul>
          </>
        ) : null}
        {s && Object.keys(s.cost).length > 0 ? (
          <p class="small muted" data-testid="step-cost">
            cost of this step: {costText(s.cost)}
          </p>
        ) : null}
        {s ? (
          <p class="small muted" data-testid="step-cost-total">
            so far (steps 0–{at}): {costText(cumulativeCost(trace, at))}
          </p>
        ) : null}
      </div>
    </div>
  );
}

function costText(cost: Record<string, number>): string {
  return Object.entries(cost)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
