// Helpers for the real-Linux backend tests: a fresh script process per test (a new child, or one
// reset after a clean run, which the script cannot tell apart), closed (with its leak check) at the
// end whether the test passed or not, and small result accessors.

import assert from 'node:assert/strict';
import type { Syscalls, SysResult } from '../../src/api/syscalls.ts';
import { failed } from '../../src/api/syscalls.ts';
import { linuxBackend, linuxUnavailableReason } from '../../src/linux/index.ts';
import type { LinuxProcess } from '../../src/linux/process.ts';

// Not a skip: on another system these tests must fail, loudly.
assert.equal(
  linuxUnavailableReason(),
  null,
  'the real-Linux backend tests run on Linux x86-64 with bash and gcc only',
);

export interface Run {
  proc: LinuxProcess;
  main: Syscalls;
  /** Run a call on the main thread to completion, within the backend's time limit. */
  call<T>(p: Promise<T>): Promise<T>;
}

/** Run `body` in a fresh script process; close it after, which runs the leak check. */
export async function inProcess(body: (run: Run) => Promise<void>): Promise<void> {
  const proc = (await linuxBackend.createProcess()) as LinuxProcess;
  try {
    await body({ proc, main: proc.thread('main'), call: (p) => proc.wait(p) });
  } finally {
    await proc.close();
  }
}

/** The `ret` of a successful call; fails the test on an errno. */
export function ok<T extends object>(r: SysResult<T>): { readonly ret: number } & T {
  if (failed(r)) assert.fail(`expected success, got ${r.errno}`);
  return r;
}

export const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** Whether `p` settles within `ms` (its outcome is left to the caller's later wait). */
export async function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true as const,
        () => true as const,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
