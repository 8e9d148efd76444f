// The Linux comparison (only when the page is served by `iomux play`): the server runs the
// script on this machine's kernel and answers each step's result; here the two are put side by
// side, step by step.

import type { PageTrace } from './trace.ts';

/** The server's answer to POST /api/linux (the contract in the playground's brief). */
export interface LinuxRun {
  steps: { step: number; result: unknown }[];
  stopped: null | { step: number; reason: string };
}

export interface StepAgreement {
  step: number;
  /** 'same': equal results; 'differs'; 'missing': Linux stopped before this step. */
  verdict: 'same' | 'differs' | 'missing';
  linux: unknown;
}

/** JSON with object keys sorted, so that key order does not make results differ. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Each simulated step beside Linux's result for it. */
export function agreement(trace: PageTrace, linux: LinuxRun): StepAgreement[] {
  const byStep = new Map(linux.steps.map((s) => [s.step, s.result]));
  return trace.steps.map((s, i) => {
    if (!byStep.has(i)) return { step: i, verdict: 'missing', linux: null };
    const l = byStep.get(i);
    return { step: i, verdict: canonical(l) === canonical(s.result) ? 'same' : 'differs', linux: l };
  });
}

/** The token of a page served by `iomux play` (`?token=T`), or null for the static build. */
export function serverToken(search: string): string | null {
  return new URLSearchParams(search).get('token');
}
