// The `iomux` entry point (bin/iomux.js runs it: built, from dist/, or through tsx in a clone):
// Node's streams and the backends.

import type { Backend } from '../api/backend.ts';
import { type BackendName, CliError, main } from './cli.ts';

/**
 * Each backend, imported on first use only: Linux's loads native code (koffi) that `iomux run`
 * on the simulated kernel never needs. The specifiers are literal so that the build rewrites
 * them (`.ts` → `.js` in dist/).
 */
const BACKENDS: Readonly<Record<BackendName, () => Promise<Backend>>> = {
  sim: async () => (await import('../kernel/index.ts')).simBackend,
  linux: async () => (await import('../linux/index.ts')).linuxBackend,
};

async function loadBackend(name: BackendName): Promise<Backend> {
  try {
    return await BACKENDS[name]();
  } catch (e) {
    throw new CliError(`the ${name} backend cannot be loaded: ${(e as Error).message}`);
  }
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
