// The script editor: CodeMirror 6 holding the script (the text form, or JSON), completion of call
// names, flag words and bound names, the script's problem marked where it is, and the current
// step's lines highlighted as the page steps.

import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic, linter, lintGutter } from '@codemirror/lint';
import { Annotation, type Range, StateEffect, StateField } from '@codemirror/state';
import { Decoration, type DecorationSet } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { basicSetup, EditorView } from 'codemirror';
import { useEffect, useRef } from 'preact/hooks';
import { boundNames, CALL_NAMES, FLAG_WORDS } from '../model/completion.ts';
import { checkScript } from '../model/script.ts';

/** Marks a change the page made (a new script), which the editor does not report back. */
const external = Annotation.define<boolean>();

function complete(ctx: CompletionContext): CompletionResult | null {
  // JSON: inside a string ("epoll_ctl", "EPOLLIN|EPOLLET", "$ep"). The text form: a call at the
  // start of a line (after `name =` or `@thread`), names and flags after `(`, `,`, `|`, `{`, `:`.
  const word = ctx.matchBefore(/[$\w]*/);
  if (!word) return null;
  const line = ctx.state.doc.lineAt(word.from);
  const lineBefore = ctx.state.sliceDoc(line.from, word.from);
  const before = ctx.state.sliceDoc(Math.max(0, word.from - 12), word.from);
  const textCall = /^\s*(@\w+\s+)?((\[[^\]]*\]|\w+)\s*=\s*)?$/.test(lineBefore) && !lineBefore.includes(':');
  if (!/["|(,{:\s]$/.test(before) && !textCall && !ctx.explicit) return null;
  if (word.from === word.to && !ctx.explicit) return null;
  const text = ctx.state.doc.toString();
  const isCall = /"call"\s*:\s*"$/.test(before) || textCall;
  const options = isCall
    ? CALL_NAMES.map((label) => ({ label, type: 'function' }))
    : [
        ...boundNames(text).map((label) => ({ label, type: 'variable' })),
        ...FLAG_WORDS.map((label) => ({ label, type: 'constant' })),
        ...(word.text.startsWith('$') ? [] : CALL_NAMES.map((label) => ({ label, type: 'function' }))),
      ];
  return { from: word.from, options, validFor: /^[$\w]*$/ };
}

// Colours from the page's CSS variables, so the editor follows light and dark.
const highlight = HighlightStyle.define([
  { tag: tags.propertyName, color: 'var(--tok-key)' },
  { tag: tags.string, color: 'var(--tok-string)' },
  { tag: tags.number, color: 'var(--tok-number)' },
  { tag: [tags.bool, tags.null], color: 'var(--tok-atom)' },
  { tag: [tags.brace, tags.squareBracket, tags.separator], color: 'var(--muted)' },
]);

const theme = EditorView.theme({
  '&': { color: 'var(--fg)', backgroundColor: 'var(--panel)' },
  '.cm-gutters': {
    backgroundColor: 'var(--bg)',
    color: 'var(--muted)',
    borderRight: '1px solid var(--line)',
  },
  '.cm-activeLine': { backgroundColor: 'var(--active-line)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--active-line)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: 'var(--selection)' },
  '.cm-cursor': { borderLeftColor: 'var(--fg)' },
  '.cm-current-step': { backgroundColor: 'var(--changed, rgba(250, 204, 21, 0.25))' },
  '.cm-tooltip': { backgroundColor: 'var(--panel)', color: 'var(--fg)', border: '1px solid var(--line)' },
});

const scriptLinter = linter(
  (view): Diagnostic[] => {
    const p = checkScript(view.state.doc.toString());
    return p ? [{ from: p.from, to: p.to, severity: 'error', message: p.message }] : [];
  },
  { delay: 250 },
);

/** The current step's range in the text, highlighted line by line. */
const setStepRange = StateEffect.define<{ from: number; to: number } | null>();
const stepLines = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    let out = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setStepRange)) continue;
      const r = e.value;
      if (!r || r.to > tr.state.doc.length) {
        out = Decoration.none;
        continue;
      }
      const marks: Range<Decoration>[] = [];
      for (let pos = r.from; pos <= r.to; ) {
        const line = tr.state.doc.lineAt(pos);
        marks.push(Decoration.line({ class: 'cm-current-step' }).range(line.from));
        pos = line.to + 1;
      }
      out = Decoration.set(marks);
    }
    return out;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/**
 * The editor. `value` is read when `revision` changes (a new script from outside: a preset, a
 * link); the typing is reported through `onChange` and never written back, so a render that
 * lags behind fast typing cannot undo keystrokes.
 */
export function Editor(props: {
  value: string;
  revision: number;
  onChange: (text: string) => void;
  /** The current step's characters, highlighted; null for none. */
  step?: { from: number; to: number } | null;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;

  useEffect(() => {
    const v = new EditorView({
      doc: props.value,
      parent: host.current!,
      extensions: [
        basicSetup,
        syntaxHighlighting(highlight),
        theme,
        EditorView.lineWrapping,
        autocompletion({ override: [complete] }),
        scriptLinter,
        stepLines,
        lintGutter(),
        EditorView.updateListener.of((u) => {
          if (u.docChanged && !u.transactions.some((t) => t.annotation(external)))
            onChange.current(u.state.doc.toString());
        }),
      ],
    });
    view.current = v;
    return () => v.destroy();
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value)
      v.dispatch({
        changes: { from: 0, to: v.state.doc.length, insert: props.value },
        annotations: external.of(true),
      });
  }, [props.revision]);

  const stepKey = props.step ? `${props.step.from}:${props.step.to}` : '';
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const r = props.step ?? null;
    const inDoc = r !== null && r.to <= v.state.doc.length;
    // Scroll the step into view, unless the person is typing there.
    const scroll = inDoc && !v.hasFocus ? [EditorView.scrollIntoView(r.from, { y: 'center' })] : [];
    v.dispatch({ effects: [setStepRange.of(r), ...scroll] });
  }, [stepKey, props.revision]);

  return <div class="editor" data-testid="editor" ref={host} />;
}
