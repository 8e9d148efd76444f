// The C reference program (bench/c/bench.c): compiled at run time with gcc -O2 into a cache
// directory keyed by the source's hash (never committed), then run as one child process that takes
// jobs on stdin and answers with JSON lines, each job's answer ending with {"job":"done"}.

import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/c/bench.c');

/** Compile the reference program if needed; its path, or why it cannot be built here. */
export function buildReference(): { path: string } | { error: string } {
  if (process.platform !== 'linux')
    return { error: `the C reference needs Linux (this is ${process.platform})` };
  let src: Buffer;
  try {
    src = readFileSync(SOURCE);
  } catch (e) {
    return { error: `cannot read ${SOURCE}: ${(e as Error).message}` };
  }
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'iomux-bench');
  const path = join(dir, `bench-${hash}`);
  if (existsSync(path)) return { path };
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}`;
  try {
    // _FORTIFY_SOURCE makes glibc's FD_SET check its argument: the fdset job shows the abort.
    execFileSync('gcc', ['-O2', '-D_FORTIFY_SOURCE=2', '-Wall', '-pthread', '-o', tmp, SOURCE], {
      stdio: 'pipe',
    });
    renameSync(tmp, path);
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return { error: `gcc failed: ${err.stderr?.toString().trim() || err.message}` };
  }
  return { path };
}

/**
 * A running reference program: send a job, get its JSON lines. If the program dies (a job that
 * fails exits it), that job is rejected and the next one starts a fresh program.
 */
export class Reference {
  private child!: ChildProcessWithoutNullStreams;
  private buffer = '';
  private lines: unknown[] = [];
  private waiting: ((lines: unknown[]) => void) | null = null;
  private failed: Error | null = null;
  private stderr = '';

  constructor(private readonly path: string) {
    this.start();
  }

  private start(): void {
    this.buffer = '';
    this.lines = [];
    this.failed = null;
    this.stderr = '';
    const child = spawn(this.path, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      const why = this.stderr.trim().split('\n').pop() ?? '';
      this.failed = new Error(`the C reference exited (${signal ?? code}): ${why}`);
      const w = this.waiting;
      this.waiting = null;
      w?.([]);
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { job: string };
      if (msg.job === 'done') {
        const lines = this.lines;
        this.lines = [];
        const w = this.waiting;
        this.waiting = null;
        w?.(lines);
      } else {
        this.lines.push(msg);
      }
    }
  }

  /** Run one job line; resolves to its output objects. */
  run<T>(job: string): Promise<T[]> {
    if (this.waiting) return Promise.reject(new Error('one job at a time'));
    if (this.failed) this.start();
    return new Promise((resolveJob, reject) => {
      this.waiting = (lines) => (this.failed ? reject(this.failed) : resolveJob(lines as T[]));
      if (process.env.IOMUX_BENCH_DEBUG) process.stderr.write(`c job: ${job}\n`);
      this.child.stdin.write(`${job}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}
