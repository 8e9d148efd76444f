// The simulated kernel's public surface.
export { createSimBackend, SimProcessHandle, simBackend } from './backend.ts';
export { type EpollSysctl, epollSysctl } from './eventpoll/sysctl.ts';
export type { KernelEvent, Observer } from './events.ts';
export { Kernel, type KernelOptions } from './kernel.ts';
export type { Process } from './proc.ts';
export type { Stats } from './stats.ts';
export { diffStats, newStats } from './stats.ts';
export { type FsSysctl, fsSysctl, SYSCTL_NR_OPEN_MAX, SYSCTL_NR_OPEN_MIN, setNrOpen } from './sysctl.ts';
export {
  createScriptProcess,
  runThreads,
  type ScriptProcessOptions,
  SimSyscalls,
  syscallsOf,
} from './system.ts';
