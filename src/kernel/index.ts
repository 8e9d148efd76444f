// The simulated kernel's public surface.
export { createSimBackend, SimProcessHandle, simBackend } from './backend.ts';
export type { KernelEvent, Observer } from './events.ts';
export { Kernel } from './kernel.ts';
export type { Stats } from './stats.ts';
export { diffStats, newStats } from './stats.ts';
export { createScriptProcess, SimSyscalls, syscallsOf } from './system.ts';
