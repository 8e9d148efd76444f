// The simulated kernel's public surface.
export { createSimBackend, SimProcessHandle, simBackend } from './backend.ts';
export type { KernelEvent, Observer } from './events.ts';
export { Kernel, type KernelOptions } from './kernel.ts';
export type { Process } from './proc.ts';
export type { Stats } from './stats.ts';
export { diffStats, newStats } from './stats.ts';
export {
  createScriptProcess,
  runThreads,
  type ScriptProcessOptions,
  SimSyscalls,
  syscallsOf,
} from './system.ts';
