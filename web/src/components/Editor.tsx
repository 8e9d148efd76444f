// The script editor: CodeMirror 6 with JSON, completion of call names, flag words and bound
// names, and the script's problem marked where it is.

import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic, linter, lintGutter } from '@codemirror/lint';
import { Annotation } from '@codemirror/state';
import { tags } from '@lezer/highlight';
import { basicSetup, EditorView } from 'codemirror';
import { useEffect, useRef } from 'preact/hooks';
import { boundNames, CALL_NAMES, FLAG_WORDS } from '../model/completion.ts';
import { checkScript } from '../model/script.ts';

/** Marks a change the page made (a new script), which the editor does not report back. */
const external = Annotation.define<boolean>();

function complete(ctx: CompletionContext): CompletionResult | null {
  // Inside a string: "epoll_ctl", "EPOLLIN|EPOLLET", "$ep".
  const word = ctx.matchBefore(/[$\w]*/);
  if (!word) return null;
  const before = ctx.state.sliceDoc(Math.max(0, word.from - 12), word.from);
  if (!/["|]$/.test(before) && !ctx.explicit) return null;
  const text = ctx.state.doc.toString();
  const isCall = /"call"\s*:\s*"$/.test(before);
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
  '.cm-tooltip': { backgroundColor: 'var(--panel)', color: 'var(--fg)', border: '1px solid var(--line)' },
});

const scriptLinter = linter(
  (view): Diagnostic[] => {
    const p = checkScript(view.state.doc.toString());
    return p ? [{ from: p.from, to: p.to, severity: 'error', message: p.message }] : [];
  },
  { delay: 250 },
);

/**
 * The editor. `value` is read when `revision` changes (a new script from outside: a preset, a
 * link); the typing is reported through `onChange` and never written back, so a render that
 * lags behind fast typing cannot undo keystrokes.
 */
export function Editor(props: { value: string; revision: number; onChange: (text: string) => void }) {
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

  return <div class="editor" data-testid="editor" ref={host} />;
}
