// Traces for the view-model tests, computed as the page's worker computes them.

import { readFileSync } from 'node:fs';
import { computeTrace } from '../../web/src/model/compute.ts';
import type { PageTrace } from '../../web/src/model/trace.ts';

export const exampleDoc = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8'));

export const traceOf = (doc: unknown): Promise<PageTrace> => computeTrace(doc, 'test');

export const traceOfExample = (file: string) => traceOf(exampleDoc(file));

/** The index of the first step of `doc` with this call whose args' JSON includes `needle`. */
export function stepOf(doc: Record<string, unknown>, call: string, needle = ''): number {
  const steps = doc.steps as { call: string; args?: unknown[] }[];
  const i = steps.findIndex((s) => s.call === call && JSON.stringify(s.args ?? []).includes(needle));
  if (i < 0) throw new Error(`no ${call} step with ${needle}`);
  return i;
}
