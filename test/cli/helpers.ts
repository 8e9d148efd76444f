// Running the CLI in-process for tests: captured output, and backends chosen per name (a fake
// with options, or any Backend given as is).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend, ProcessHandle } from '../../src/api/backend.ts';
import { type Syscalls, Unsupported } from '../../src/api/syscalls.ts';
import { type BackendName, main } from '../../src/cli/cli.ts';
import { FakeBackend, type FakeOptions } from '../script/fake-backend.ts';

export const repo = new URL('../../', import.meta.url).pathname;

export interface Ran {
  status: number;
  stdout: string;
  stderr: string;
  loaded: BackendName[];
}

export interface CliOptions {
  backends?: Partial<Record<BackendName, FakeOptions | Backend>>;
  env?: Record<string, string>;
  stdin?: string;
  tty?: boolean;
}

/** Run the CLI in-process, with fake backends (per name) unless given real ones, and captured output. */
export async function cli(argv: string[], opts: CliOptions = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const loaded: BackendName[] = [];
  const status = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: opts.tty ?? false },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env ?? {},
    readStdin: async () => opts.stdin ?? '',
    loadBackend: async (name): Promise<Backend> => {
      loaded.push(name);
      const given = opts.backends?.[name];
      if (given && 'createProcess' in given) return given;
      return new FakeBackend({ name, ...given });
    },
  });
  return { status, stdout, stderr, loaded };
}

/** A directory for a test file's scripts. */
export function scriptDir(): (name: string, steps: unknown[], extra?: object) => string {
  const dir = mkdtempSync(join(tmpdir(), 'iomux-cli-'));
  return (name, steps, extra = {}) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify({ steps, ...extra }));
    return path;
  };
}

/** `inner`, except that every thread's `call` throws Unsupported (a call the kernel does not model). */
export function refusing(inner: Backend, call: keyof Syscalls): Backend {
  return {
    name: inner.name,
    async createProcess(): Promise<ProcessHandle> {
      const p = await inner.createProcess();
      return {
        tid: (name) => p.tid(name),
        caught: (sig) => p.caught(sig),
        thread: (name) => {
          const sys = p.thread(name);
          return new Proxy(sys, {
            get(target, key) {
              if (key === call)
                return async () => {
                  throw new Unsupported(call, 'refused for the test');
                };
              const v = Reflect.get(target, key);
              return typeof v === 'function' ? v.bind(target) : v;
            },
          });
        },
        wait: (c) => p.wait(c),
        settle: () => p.settle(),
        close: () => p.close(),
      };
    },
  };
}
