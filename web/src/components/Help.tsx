// The "?" panel: keys, highlights and the text form's syntax (model/help.ts).

import { HELP_HIGHLIGHTS, HELP_KEYS, HELP_SYNTAX } from '../model/help.ts';

export function Help(props: { onClose?: () => void }) {
  return (
    <div class="help" data-testid="help">
      <div class="help-head">
        <b>How to use the playground</b>
        {props.onClose ? (
          <button type="button" class="small" onClick={props.onClose} aria-label="close the help">
            ×
          </button>
        ) : null}
      </div>
      <dl class="small">
        {HELP_KEYS.map(([k, v]) => (
          <div key={k}>
            <dt>
              <kbd>{k}</kbd>
            </dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <h4>Highlights</h4>
      <dl class="small">
        {HELP_HIGHLIGHTS.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <h4>The script: one call per line</h4>
      <dl class="small syntax">
        {HELP_SYNTAX.map(([k, v]) => (
          <div key={k}>
            <dt>
              <code>{k}</code>
            </dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
