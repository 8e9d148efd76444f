// The memory part: the simulated kernel's bytes per idle object and per epoll watch, measured in a
// child process with a raised heap limit (memory-child.ts), so 10 million objects fit.

import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Whether this is the built JavaScript (dist/) rather than the sources run through tsx. */
const BUILT = import.meta.url.endsWith('.js');
const ROOT = resolve(HERE, '../..');

export type MemoryKind = 'idle-pipe' | 'idle-eventfd' | 'epoll-watch';

export interface MemoryResult {
  kind: MemoryKind;
  n: number;
  processes: number;
  kernels: number;
  heapBytes: number;
  externalBytes: number;
  bytesPerUnit: number;
  seconds: number;
  /** fs.nr_open as the child set it (raised to hold a kernel's objects in one process). */
  nrOpen?: number;
  /** The first process's fd table size (max_fds). */
  maxFds?: number;
}

/** Heap for the child: a generous guess per object, within the machine (24 GiB here). */
function heapMb(kind: MemoryKind, n: number): number {
  const perUnit = kind === 'idle-pipe' ? 3000 : kind === 'epoll-watch' ? 2000 : 1500;
  return Math.min(20_000, Math.max(2048, Math.ceil((n * perUnit) / 2 ** 20) + 1024));
}

/** Measure in a child; rejects with the child's stderr (an Unsupported stub, out of memory). */
export function measureMemory(kind: MemoryKind, n: number): Promise<MemoryResult> {
  const args = [
    '--expose-gc',
    `--max-old-space-size=${heapMb(kind, n)}`,
    // From the sources memory-child.ts runs through tsx; built (dist/), memory-child.js as is.
    ...(BUILT ? [resolve(HERE, 'memory-child.js')] : ['--import', 'tsx', resolve(HERE, 'memory-child.ts')]),
    kind,
    String(n),
  ];
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (code === 0) {
        try {
          ok(JSON.parse(out.trim().split('\n').pop()!) as MemoryResult);
        } catch (e) {
          fail(e);
        }
        return;
      }
      const line =
        err.split('\n').find((l) => /Unsupported|Error|heap out of memory/.test(l)) ??
        err.trim().split('\n').pop();
      fail(new Error(`memory child ${kind} ${n} failed (${signal ?? code}): ${line ?? ''}`.trim()));
    });
  });
}
