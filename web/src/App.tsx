// The playground: pick or write a script, step through its trace, see the kernel at each step.
// State lives here; what is drawn comes from the view models (model/*.ts) over the trace.

import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Editor } from './components/Editor.tsx';
import { Help } from './components/Help.tsx';
import { Inspector } from './components/Inspector.tsx';
import { KernelPanel, type Picked } from './components/KernelPanel.tsx';
import { StepPanel } from './components/StepPanel.tsx';
import { CostView } from './cost/CostView.tsx';
import { changedKeys } from './model/changes.ts';
import { kernelView } from './model/kernel.ts';
import { agreement, type LinuxRun, type StepAgreement, serverToken } from './model/linux.ts';
import { pickIn } from './model/pick.ts';
import { checkScript, type ScriptProblem, scriptDocOf, scriptTextOf, stepRangesOf } from './model/script.ts';
import { decodeShare, encodeShare } from './model/share.ts';
import { snapshotAt, stepCount } from './model/steps.ts';
import type { PageTrace } from './model/trace.ts';
import { DEFAULT_PRESET, PRESETS } from './presets.ts';
import type { TraceResponse } from './worker.ts';

/** Figures the page measures, also on window.__iomuxPerf for tests and reports. */
interface Perf {
  steps?: number;
  workerMs?: number;
  loadMs?: number;
  redrawMs?: number;
}

function presetText(file: string): string {
  const p = PRESETS.find((x) => x.file === file) ?? PRESETS[0];
  return p ? scriptTextOf(p.doc) : '{"steps": []}\n';
}

export function App() {
  const [text, setText] = useState<string | null>(null);
  /** Bumped when the script comes from outside the editor (a preset, a link). */
  const [revision, setRevision] = useState(0);
  const [preset, setPreset] = useState<string>('');
  const [problem, setProblem] = useState<ScriptProblem | null>(null);
  const [trace, setTrace] = useState<{ trace: PageTrace; doc: unknown } | null>(null);
  const [step, setStep] = useState(0);
  /** The key of the object in the inspector: found again in each step's view. */
  const [pickedKey, setPickedKey] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  const [tab, setTab] = useState<'kernel' | 'cost'>('kernel');
  const [busy, setBusy] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  const [perf, setPerf] = useState<Perf>({});
  const [copied, setCopied] = useState(false);
  // The Linux comparison: offered only when `iomux play` serves the page (its token in the URL).
  const token = useMemo(() => serverToken(location.search), []);
  const [linuxOffered, setLinuxOffered] = useState(false);
  const [linux, setLinux] = useState<StepAgreement[] | string | null>(null);
  /** Where the Linux run stopped early (a call that blocks forever, Unsupported), if it did. */
  const [linuxStopped, setLinuxStopped] = useState<LinuxRun['stopped']>(null);
  const worker = useRef<Worker | null>(null);
  const request = useRef(0);
  const wantedStep = useRef<number | null>(null);
  const loadStart = useRef(0);
  const stepStart = useRef(0);

  // Start: a shared link's script and step, else the default preset.
  useEffect(() => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    w.onmessage = (e: MessageEvent<TraceResponse>) => {
      const m = e.data;
      if (m.id !== request.current) return;
      setBusy(false);
      if ('error' in m) {
        setRunError(m.error);
        return;
      }
      setRunError(null);
      loadStart.current ||= performance.now();
      setPerf((p) => ({ ...p, steps: m.trace.steps.length, workerMs: m.ms }));
      setTrace((old) => ({ trace: m.trace, doc: old?.doc ?? null }));
      const n = stepCount(m.trace);
      setStep((s) => {
        const want = wantedStep.current ?? s;
        wantedStep.current = null;
        return Math.max(0, Math.min(n - 1, want));
      });
    };
    decodeShare(location.hash).then((shared) => {
      if (shared) {
        wantedStep.current = shared.step;
        const match = PRESETS.find((p) => scriptTextOf(p.doc) === shared.script);
        setPreset(match?.file ?? '');
        setText(shared.script);
        setRevision((r) => r + 1);
      } else {
        wantedStep.current = 0;
        setPreset(DEFAULT_PRESET);
        setText(presetText(DEFAULT_PRESET));
        setRevision((r) => r + 1);
      }
    });
    if (token)
      fetch(`/api/info?token=${encodeURIComponent(token)}`)
        .then((r) => setLinuxOffered(r.ok))
        .catch(() => setLinuxOffered(false));
    return () => w.terminate();
  }, [token]);

  // A new trace: the comparison no longer holds.
  useEffect(() => setLinux(null), [trace]);

  const compareWithLinux = async () => {
    const current = trace?.trace;
    if (!token || !current) return;
    setLinux('running on Linux…');
    try {
      const r = await fetch(`/api/linux?token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ script: docRef.current }),
      });
      if (!r.ok) throw new Error(`the server answered ${r.status}`);
      const run = (await r.json()) as LinuxRun;
      setLinuxStopped(run.stopped);
      setLinux(agreement(current, run));
    } catch (e) {
      setLinux(`Linux comparison failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  // The text changed: check it, and when it parses, have the worker trace it.
  const docRef = useRef<unknown>(null);
  useEffect(() => {
    if (text === null) return;
    const t = setTimeout(() => {
      const p = checkScript(text);
      setProblem(p);
      if (p) return;
      const doc = scriptDocOf(text);
      docRef.current = doc;
      request.current++;
      loadStart.current = performance.now();
      setBusy(true);
      worker.current?.postMessage({ id: request.current, doc });
    }, 200);
    return () => clearTimeout(t);
  }, [text]);

  const tr = trace?.trace ?? null;
  const n = tr ? stepCount(tr) : 0;
  const at = Math.max(0, Math.min(step, n - 1));
  // Where each step is in the editor's text, for the current step's highlight.
  const stepRanges = useMemo(() => (text === null ? [] : stepRangesOf(text)), [text]);

  // The share link follows the script and the step.
  useEffect(() => {
    if (text === null) return;
    const t = setTimeout(() => {
      encodeShare({ script: text, step: at }).then((h) => history.replaceState(null, '', `#${h}`));
    }, 300);
    return () => clearTimeout(t);
  }, [text, at]);

  const model = useMemo(() => {
    if (!tr || n === 0) return null;
    const snap = snapshotAt(tr, at);
    const prev = at === 0 ? tr.initial : snapshotAt(tr, at - 1);
    return { view: kernelView(snap), changed: changedKeys(prev, snap) };
  }, [tr, at, n]);
  // The inspector follows the step: the object's fields at this step, or closed when it is gone.
  const picked = model && pickedKey ? pickIn(model.view, pickedKey) : null;
  const setPicked = (p: Picked | null) => setPickedKey(p?.key ?? null);
  useEffect(() => {
    if (pickedKey && model && !pickIn(model.view, pickedKey)) setPickedKey(null);
  }, [model, pickedKey]);

  // Measure: a trace's load (request → drawn) and a step change's redraw.
  useLayoutEffect(() => {
    if (!model) return;
    const now = performance.now();
    const update: Perf = {};
    if (loadStart.current) {
      update.loadMs = now - loadStart.current;
      loadStart.current = 0;
    }
    if (stepStart.current) {
      update.redrawMs = now - stepStart.current;
      stepStart.current = 0;
    }
    if (Object.keys(update).length) setPerf((p) => ({ ...p, ...update }));
  }, [model]);
  useEffect(() => {
    (window as unknown as { __iomuxPerf: Perf }).__iomuxPerf = perf;
  }, [perf]);

  const go = (i: number) => {
    if (n === 0) return;
    const to = Math.max(0, Math.min(n - 1, i));
    if (to !== at) stepStart.current = performance.now();
    setStep(to);
  };
  const goRef = useRef(go);
  goRef.current = go;
  const atRef = useRef(at);
  atRef.current = at;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setPickedKey(null);
      const t = e.target as HTMLElement | null;
      if (t?.closest('.cm-editor, input, select, textarea')) return;
      const moves: Record<string, () => number> = {
        ArrowRight: () => atRef.current + 1,
        ArrowLeft: () => atRef.current - 1,
        Home: () => 0,
        End: () => Number.MAX_SAFE_INTEGER,
      };
      const m = moves[e.key];
      if (!m || e.altKey || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      goRef.current(m());
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const notes = PRESETS.find((p) => p.file === preset);
  const doc = docRef.current;

  return (
    <div class="app">
      <header>
        <h1>
          iomux <span class="muted">playground</span>
        </h1>
        <label>
          Preset{' '}
          <select
            data-testid="preset-select"
            value={preset}
            onChange={(e) => {
              const file = (e.target as HTMLSelectElement).value;
              if (!file) return;
              setPreset(file);
              setPicked(null);
              wantedStep.current = 0;
              setText(presetText(file));
              setRevision((r) => r + 1);
            }}
          >
            {preset === '' ? <option value="">(your script)</option> : null}
            {PRESETS.map((p) => (
              <option key={p.file} value={p.file}>
                {p.file.replace(/\.json$/, '')}: {p.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          data-testid="copy-link"
          onClick={async () => {
            if (text === null) return;
            const h = await encodeShare({ script: text, step: at });
            history.replaceState(null, '', `#${h}`);
            try {
              // Without ?token=: the token is this server's key, not part of what is shared.
              await navigator.clipboard.writeText(`${location.origin}${location.pathname}#${h}`);
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            } catch {
              /* no clipboard (an insecure page): the address bar has the link */
            }
          }}
        >
          {copied ? 'Link copied' : 'Copy link'}
        </button>
        <button
          type="button"
          data-testid="help-toggle"
          aria-expanded={help}
          aria-label="help: keys, highlights, script syntax"
          title="help: keys, highlights, script syntax"
          onClick={() => setHelp((h) => !h)}
        >
          ? Help
        </button>
        <span class="perf muted small" data-testid="perf">
          {perf.steps !== undefined
            ? `${perf.steps} steps · traced in ${perf.workerMs?.toFixed(0)} ms · loaded in ${perf.loadMs?.toFixed(0) ?? '…'} ms` +
              (perf.redrawMs !== undefined ? ` · step redraw ${perf.redrawMs.toFixed(1)} ms` : '')
            : ''}
        </span>
      </header>
      <main>
        <section class="col script-col" aria-label="script">
          {notes ? (
            <div class="notes" data-testid="notes">
              <b>{notes.name}</b>
              <p>{notes.notes}</p>
            </div>
          ) : null}
          {problem ? (
            <div class="error" data-testid="script-error" role="alert">
              {problem.message}
              {tr ? <div class="small">The steps and the kernel show the last script that ran.</div> : null}
            </div>
          ) : null}
          {runError ? (
            <div class="error" role="alert">
              {runError}
            </div>
          ) : null}
          {help || text?.trim() === '' ? <Help onClose={help ? () => setHelp(false) : undefined} /> : null}
          {text !== null ? (
            <Editor
              value={text}
              revision={revision}
              step={problem ? null : (stepRanges[at] ?? null)}
              onChange={(t) => {
                setText(t);
                const match = PRESETS.find((p) => p.file === preset);
                if (match && scriptTextOf(match.doc) !== t) setPreset('');
              }}
            />
          ) : null}
        </section>
        <section class="col step-col" aria-label="steps">
          {tr ? (
            <>
              {linuxOffered ? (
                <div class="linux-bar">
                  <button type="button" data-testid="compare-linux" onClick={compareWithLinux}>
                    Compare with Linux
                  </button>{' '}
                  {typeof linux === 'string' ? <span class="small muted">{linux}</span> : null}
                  {Array.isArray(linux) ? (
                    <span class="small" data-testid="linux-summary">
                      {linux.filter((v) => v.verdict === 'same').length} of {linux.length} steps agree with
                      Linux
                      {linuxStopped
                        ? ` · Linux stopped at step ${linuxStopped.step}: ${linuxStopped.reason}`
                        : ''}
                    </span>
                  ) : null}
                </div>
              ) : null}
              <StepPanel
                trace={tr}
                doc={doc ?? trace?.doc}
                at={at}
                n={n}
                go={go}
                busy={busy}
                stale={problem !== null || runError !== null}
                linux={Array.isArray(linux) ? linux : null}
              />
            </>
          ) : (
            <div class="steps">
              <span data-testid="step-index" class="step-index">
                0 / 0
              </span>
              <ol class="step-list" data-testid="step-list" />
              <p class="muted">{busy ? 'Tracing…' : problem ? 'Fix the script to step through it.' : ''}</p>
            </div>
          )}
        </section>
        <section class="col kernel-col" aria-label="kernel">
          <div class="tabs" role="tablist">
            <button
              type="button"
              role="tab"
              aria-selected={tab === 'kernel'}
              onClick={() => setTab('kernel')}
            >
              Kernel
            </button>
            <button type="button" role="tab" aria-selected={tab === 'cost'} onClick={() => setTab('cost')}>
              Cost
            </button>
            {model ? (
              <span class="muted small">
                clock {model.view.clock} ns · highlighted: changed by this step · click an object for its
                fields
              </span>
            ) : null}
          </div>
          {tab === 'cost' ? (
            <div class="kernel-scroll">
              <CostView />
            </div>
          ) : model ? (
            <>
              <Inspector picked={picked} onClose={() => setPickedKey(null)} />
              <div
                class={problem || runError ? 'kernel-scroll stale' : 'kernel-scroll'}
                data-stale={problem || runError ? 'true' : undefined}
                title={problem || runError ? 'the last script that ran: fix the error to update' : undefined}
              >
                <KernelPanel view={model.view} changed={model.changed} picked={picked} onPick={setPicked} />
              </div>
            </>
          ) : null}
        </section>
      </main>
    </div>
  );
}
