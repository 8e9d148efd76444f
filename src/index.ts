// iomux: Linux I/O multiplexing as an executable model of the kernel. The library's public API,
// declared once: everything a program or a bundle of the package may import from 'iomux'. Each
// name is documented where it is declared. Nothing here loads Node-only code, so the same entry
// serves a browser bundle; the real-Linux backend is its own entry point, 'iomux/linux'
// (src/linux/index.ts), loaded only by those who ask for it.

// ---- Linux's ABI as data: flag values, errno names, flag words ----
export {
  AF,
  CLOCK,
  EFD,
  EPOLL,
  EPOLL_CLOEXEC,
  EPOLL_CTL,
  F,
  FD_CLOEXEC,
  FIONREAD,
  O,
  POLL,
  SHUT,
  SOCK,
  TFD,
  TFD_TIMER,
} from './abi/constants.ts';
export { ERRNO, type Errno, errnoName } from './abi/errno.ts';
export { FLAG_TABLES, type FlagTable, formatMask, parseFlags } from './abi/flags.ts';

// ---- The syscall interface every backend implements, and its results ----
export { type Backend, BlocksForever, type ProcessHandle, ProcessKilled } from './api/backend.ts';
export {
  type EpollData,
  type EpollEvent,
  epollData,
  type Failure,
  type FdSet,
  failed,
  type Itimerspec,
  ok,
  type PollFd,
  type Pselect6Args,
  type Pselect6Result,
  type SelectArgs,
  type SelectResult,
  type SigHandler,
  type Sigset,
  SyscallError,
  type SyscallName,
  type Syscalls,
  type SysResult,
  type Timespec,
  type Timeval,
  Unsupported,
} from './api/syscalls.ts';
export type { RbNodeSnapshot } from './kernel/eventpoll/rbtree.ts';
export type { EpitemSnapshot, EventpollSnapshot } from './kernel/eventpoll/snapshot.ts';
// ---- The simulated kernel, its thread runner, and its backend ----
export {
  createScriptProcess,
  createSimBackend,
  diffStats,
  type EpollSysctl,
  epollSysctl,
  type FsSysctl,
  fsSysctl,
  Kernel,
  type KernelEvent,
  type KernelOptions,
  newStats,
  type Observer,
  type Process,
  runThreads,
  type ScriptProcessOptions,
  SimProcessHandle,
  SimSyscalls,
  type Stats,
  SYSCTL_NR_OPEN_MAX,
  SYSCTL_NR_OPEN_MIN,
  setNrOpen,
  simBackend,
  syscallsOf,
} from './kernel/index.ts';
// ---- Observing the simulated kernel: snapshots, traces (docs/trace-format.md) ----
export type { DeltaOp } from './observe/delta.ts';
export { type NameTable, nameTable } from './observe/names.ts';
export {
  type FileSnapshot,
  type KernelSnapshot,
  SNAPSHOT_VERSION,
  type WaitQueueSnapshot,
} from './observe/snapshot.ts';
export {
  describeEvent,
  KEYFRAME_INTERVAL,
  rebuildSnapshot,
  type StepTrace,
  type StoredState,
  type StoredTrace,
  TRACE_FORMAT,
  TRACE_VERSION,
  TraceEncoder,
  TraceRecorder,
} from './observe/trace.ts';
// ---- Syscall scripts: parse, run on any backend, compare, record ----
// The text form of scripts (docs/script-format.md, "The text form"): one call per line, lossless.
export {
  type CompareOptions,
  compareRuns,
  type DiffReport,
  diffScript,
  exitStatus,
  type FailureKind,
  formatScriptJson,
  formatScriptTextForm,
  type Json,
  type JsonObject,
  MAIN_THREAD,
  matches,
  parseScript,
  parseScriptSource,
  parseScriptText,
  parseScriptTextForm,
  type Recording,
  type RunFailure,
  type RunOptions,
  type RunReport,
  recordScript,
  runScript,
  type Script,
  ScriptError,
  type Step,
  type StepDifference,
  type StepOutcome,
  type StepView,
  scriptFormatOf,
  stableResult,
  TextFormError,
  textFormStepLines,
} from './script/index.ts';
