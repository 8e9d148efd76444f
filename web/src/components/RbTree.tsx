// An eventpoll's interest tree as SVG: nodes in key order left to right, depth top to bottom,
// each coloured as the red-black tree has it, labelled with its fd.

import type { TreeLayout } from '../model/rbtree.ts';

const DX = 44;
const DY = 46;
const R = 15;

export function RbTree(props: {
  layout: TreeLayout;
  changed: boolean;
  onPick: (epi: number) => void;
  selected: number | null;
  related?: Set<string>;
}) {
  const { layout } = props;
  if (layout.nodes.length === 0)
    return (
      <p class="empty" data-testid="rbtree">
        interest tree empty
      </p>
    );
  const at = new Map(layout.nodes.map((n) => [n.epi, n]));
  const x = (col: number) => 8 + R + col * DX;
  const y = (row: number) => 8 + R + row * DY;
  const width = 16 + 2 * R + (layout.cols - 1) * DX;
  const height = 16 + 2 * R + (layout.rows - 1) * DY;
  return (
    <svg
      data-testid="rbtree"
      class={props.changed ? 'rbtree changed' : 'rbtree'}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`interest tree: ${layout.nodes.map((n) => `fd ${n.fd} ${n.colour}`).join(', ')}`}
    >
      {layout.edges.map((e) => {
        const a = at.get(e.from)!;
        const b = at.get(e.to)!;
        return (
          <line
            key={`${e.from}-${e.to}`}
            class="edge"
            x1={x(a.col)}
            y1={y(a.row)}
            x2={x(b.col)}
            y2={y(b.row)}
          />
        );
      })}
      {layout.nodes.map((n) => (
        // biome-ignore lint/a11y/useSemanticElements: an SVG node cannot be a <button>
        <g
          key={n.epi}
          data-testid="epitem"
          data-fd={n.fd}
          data-color={n.colour}
          data-epi={n.epi}
          class={`node ${n.colour}${props.selected === n.epi || props.related?.has(`epi:${n.epi}`) ? ' selected' : ''}`}
          transform={`translate(${x(n.col)},${y(n.row)})`}
          tabIndex={0}
          role="button"
          onClick={() => props.onPick(n.epi)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ' ') props.onPick(n.epi);
          }}
        >
          <title>{`epitem #${n.epi}: fd ${n.fd}, file #${n.file}, ${n.colour}`}</title>
          <circle r={R} />
          <text dy="0.35em">{n.fd}</text>
        </g>
      ))}
    </svg>
  );
}
