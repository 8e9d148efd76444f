// The real-Linux backend: scripts run on this machine's kernel, each in a child process made to the
// script format's rules (process.ts, child.ts), through koffi bindings to libc (libc.ts). A child
// whose run ended cleanly is reset and serves a later run (process.ts, "Reuse").
//
// Nothing in the library or the simulated kernel imports this module (style.md: nothing depends on
// linux/); the CLI and the differential tests choose it by name, and programs import it as the
// package's second entry point, 'iomux/linux'.

import { spawnSync } from 'node:child_process';
import type { Backend, ProcessHandle } from '../api/backend.ts';
import { libcUnavailableReason } from './libc.ts';
import { LinuxProcess } from './process.ts';

export type { Confinement } from './calls.ts';
export { LinuxCalls, unconfined } from './calls.ts';
export type { Libc } from './libc.ts';
export { libc } from './libc.ts';
export { BLOCK_LIMIT_MS, FD_BASE, FD_LIMIT, IDLE_MAX, LinuxProcess, SETTLE_MS } from './process.ts';
export type { ChildInfo } from './protocol.ts';

/** Whether bash and gcc run here, found once (createProcess asks on every run). */
let bashRuns: boolean | undefined;
let gccRuns: boolean | undefined;

/** Why the real-Linux backend cannot run here, or null when it can. */
export function linuxUnavailableReason(): string | null {
  const reason = libcUnavailableReason();
  if (reason) return reason;
  // The child process is started through bash (see WRAPPER in process.ts).
  bashRuns ??= spawnSync('bash', ['-c', 'true']).status === 0;
  if (!bashRuns) return 'the real-Linux backend needs bash to start its processes';
  // The signal handler and the script threads are a small C library compiled at run time (native.ts).
  gccRuns ??= spawnSync('gcc', ['--version']).status === 0;
  if (!gccRuns) return 'the real-Linux backend needs gcc to compile its helper library (native/iomux.c)';
  return null;
}

/** Whether the real-Linux backend can run here (Linux, x86-64, bash, gcc). */
export function linuxBackendAvailable(): boolean {
  return linuxUnavailableReason() === null;
}

/**
 * This machine's kernel as a backend: each process is a child process made to the script
 * format's rules. A call with no timeout that has not returned after `BLOCK_LIMIT_MS` (2 000 ms),
 * or one with a timeout that has not returned `BLOCK_LIMIT_MS` after it, "blocks forever": it
 * throws `BlocksForever`, and the child is killed.
 */
export const linuxBackend: Backend = {
  name: 'linux',
  async createProcess(): Promise<ProcessHandle> {
    const reason = linuxUnavailableReason();
    if (reason) throw new Error(reason);
    return LinuxProcess.start();
  },
};
