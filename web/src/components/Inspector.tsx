// The inspector: the fields of the object clicked, and the Linux structure it models.

import { FLAG_TABLES, formatMask } from '../../../src/index.ts';
import { fileFlags } from '../model/kernel.ts';
import { linuxRef } from '../model/structs.ts';
import type { Picked } from './KernelPanel.tsx';

export function Inspector(props: { picked: Picked | null; onClose: () => void }) {
  const p = props.picked;
  if (!p) return null;
  const ref = linuxRef(p.kind);
  return (
    <div class="inspector" data-testid="inspector">
      <div class="inspector-head">
        <b>{p.title}</b>
        <button type="button" class="small" onClick={props.onClose} aria-label="close the inspector">
          ×
        </button>
      </div>
      {ref ? (
        <p class="small">
          Linux: <code>{ref.struct}</code> ({ref.where}): {ref.about}
        </p>
      ) : null}
      {decoded(p) ? <p class="small">{decoded(p)}</p> : null}
      <pre>{JSON.stringify(p.fields, null, 1)}</pre>
    </div>
  );
}

/** The masks of the object decoded to Linux names. */
function decoded(p: Picked): string | null {
  const f = p.fields as { events?: unknown; flags?: unknown } | null;
  if (p.kind === 'epitem' && typeof f?.events === 'number')
    return `events = ${formatMask(f.events, FLAG_TABLES.epoll)}`;
  if (p.key.startsWith('file:') && typeof f?.flags === 'number') return `f_flags = ${fileFlags(f.flags)}`;
  return null;
}
