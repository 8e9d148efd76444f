// The inspector: the fields of the object clicked, and the Linux structure it models.

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
      <pre>{JSON.stringify(p.fields, null, 1)}</pre>
    </div>
  );
}
