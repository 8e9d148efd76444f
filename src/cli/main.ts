// The `iomux` entry point (bin/iomux.js runs it through tsx): Node's streams and the backends.

import type { Backend } from '../api/backend.ts';
import { type BackendName, CliError, main } from './cli.ts';

/**
 * Where each backend lives. Imported on first use only: Linux's backend loads native code
 * (koffi) that `iomux run` on the simulated kernel never needs. The specifiers are built at run
 * time so the CLI type-checks whether or not a backend has been written yet.
 */
const BACKENDS: Readonly<Record<BackendName, { module: string; export: string }>> = {
  sim: { module: '../kernel/index.ts', export: 'simBackend' },
  linux: { module: '../linux/index.ts', export: 'linuxBackend' },
};

async function loadBackend(name: BackendName): Promise<Backend> {
  const { module, export: key } = BACKENDS[name];
  const where = `src/${module.slice(3)}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(new URL(module, import.meta.url).href)) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`the ${name} backend cannot be loaded from ${where}: ${(e as Error).message}`);
  }
  const backend = mod[key];
  if (!isBackend(backend, name))
    throw new CliError(`the ${name} backend is not available: ${where} does not export ${key}`);
  return backend;
}

function isBackend(v: unknown, name: BackendName): v is Backend {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as Backend).name === name &&
    typeof (v as Backend).createProcess === 'function'
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Standard output that goes quiet once its reader has gone (`iomux run x.json | head`): the run
 * still finishes, so the process it created is closed, instead of dying on EPIPE mid-run.
 */
function quietOnEpipe(stream: NodeJS.WriteStream): {
  write(s: string): unknown;
  isTTY: boolean;
  drained(): Promise<void>;
} {
  let gone = false;
  let waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters) w();
    waiters = [];
  };
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    gone = true;
    wake();
  });
  stream.on('drain', wake);
  return {
    write: (s: string) => gone || stream.write(s),
    isTTY: stream.isTTY === true,
    // A pipe's writes queue in memory while the run never yields to the event loop: wait.
    drained: () =>
      gone || !stream.writableNeedDrain ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)),
  };
}

try {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: quietOnEpipe(process.stdout),
    stderr: process.stderr,
    env: process.env,
    readStdin,
    loadBackend,
  });
} catch (e) {
  // Only a bug gets here (scripts and usage errors are reported inside main): say so, with the stack.
  process.stderr.write(`iomux: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 2;
}
