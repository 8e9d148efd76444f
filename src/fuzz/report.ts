// The fuzz session's summary as text: what `npm run fuzz` prints at the end, and what the fuzz
// test shows when it fails.

import { type Found, type FuzzSummary, showView } from './property.ts';

export function where(f: Found): string {
  return f.savedTo ? `, saved to ${f.savedTo}` : f.notSaved ? ` (not saved: ${f.notSaved})` : '';
}

/** The session summary, as printed at the end (and by the fuzz test on failure). */
export function report(s: FuzzSummary): string {
  const c = s.counts;
  const lines = [
    `seed ${s.seed}: ${s.runs} runs in ${(s.exploreMs / 1000).toFixed(1)} s` +
      `${s.shrinkMs > 500 ? ` (+ ${(s.shrinkMs / 1000).toFixed(1)} s shrinking)` : ''}: ` +
      `${c.agreed} agreed, ${c.difference} differed, ${c.unsupported} stopped at Unsupported` +
      `${c.flaky ? `, ${c.flaky} flaky on Linux` : ''}${c.error ? `, ${c.error} errors` : ''}`,
  ];
  for (const f of s.found) {
    lines.push(
      `difference ${f.n}: ${f.signature} (run ${f.run}${f.alsoRuns.length ? ` and ${f.alsoRuns.length} more` : ''}; ` +
        `${f.steps.original} → ${f.steps.shrunk} steps)${where(f)}`,
      `  step ${f.difference.step} (${f.difference.call}): linux ${showView(f.difference.b)}`,
      `  ${' '.repeat(String(f.difference.step).length + 8 + f.difference.call.length)}   sim ${showView(f.difference.a)}`,
    );
  }
  for (const [sig, runs] of s.unshrunk) lines.push(`not shrunk: ${sig} (runs ${runs.join(', ')})`);
  for (const [msg, n] of s.unsupported) lines.push(`unsupported (${n} runs): ${msg}`);
  for (const p of s.problems) lines.push(`${p.kind} run ${p.run}: ${p.message}`);
  return lines.join('\n');
}
