// The page's Web Worker: runs the simulated kernel on a script document and posts the trace
// back, so the page never freezes while a long script runs.

import { computeTrace } from './model/compute.ts';

export interface TraceRequest {
  id: number;
  doc: unknown;
}
export type TraceResponse =
  | { id: number; trace: import('./model/trace.ts').PageTrace; ms: number }
  | { id: number; error: string };

const post = (m: TraceResponse) => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);

self.addEventListener('message', async (e: MessageEvent<TraceRequest>) => {
  const { id, doc } = e.data;
  const t0 = performance.now();
  try {
    const trace = await computeTrace(doc);
    post({ id, trace, ms: performance.now() - t0 });
  } catch (err) {
    post({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
