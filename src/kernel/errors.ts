// Errors at the boundary: internal functions return -errno (as Linux does); the syscall layer
// turns that into `{ errno }`. Unsupported things throw `Unsupported` (src/api).

import { ERRNO, type Errno, errnoName } from '../abi/errno.ts';
import type { SysResult } from '../api/syscalls.ts';
import type { Kernel } from './kernel.ts';

export { ERRNO };

// Linux: include/linux/errno.h — internal codes a call returns when a signal interrupted it; the
// way back to user space (src/kernel/entry.ts) turns them into a restart or EINTR before a result
// leaves the kernel. A result carries them by name until then.
export const ERESTARTSYS = 512;
export const ERESTARTNOINTR = 513;
export const ERESTARTNOHAND = 514;
export const ERESTART_RESTARTBLOCK = 516;
/** Linux: ENOIOCTLCMD — an unlocked_ioctl that does not know the command; vfs_ioctl makes it ENOTTY. */
export const ENOIOCTLCMD = 515;
const RESTART_CODES: Readonly<Record<number, string>> = {
  [ERESTARTSYS]: 'ERESTARTSYS',
  [ERESTARTNOINTR]: 'ERESTARTNOINTR',
  [ERESTARTNOHAND]: 'ERESTARTNOHAND',
  [ERESTART_RESTARTBLOCK]: 'ERESTART_RESTARTBLOCK',
};

/**
 * `{ errno }` for a negative return, `{ ret }` otherwise. An internal restart code keeps its
 * name (ERESTARTSYS …) until the way back to user space decides what it becomes.
 */
export function toResult(ret: number): SysResult {
  if (ret >= 0) return { ret };
  return { errno: (RESTART_CODES[-ret] ?? errnoName(-ret)) as Errno };
}

/**
 * Not Linux: a guard where a result leaves the kernel. An internal restart code there is a bug
 * (the way back to user space must have turned it into a restart or EINTR): throw, never return it.
 */
export function assertUserResult(call: string, value: unknown): void {
  const errno = (value as { errno?: unknown } | null)?.errno;
  if (typeof errno === 'string' && errno.startsWith('ERESTART'))
    throw new Error(`bug: ${call} returned the internal ${errno} to user space`);
}

export function fail(errno: Errno): { errno: Errno } {
  return { errno };
}

/**
 * Not Linux: return `ret` (a −errno), telling an observer the check that failed: `fn` the Linux
 * function that makes it, `why` a constant sentence (`{file}` and `{fd}` stand for `file` and `fd`).
 * Nothing is built unless someone observes.
 */
export function errWhy(k: Kernel, ret: number, fn: string, why: string, file?: number, fd?: number): number {
  if (k.emit) k.emit({ type: 'errno', errno: errnoName(-ret), fn, why, file, fd });
  return ret;
}

/** `errWhy` for a call that returns `{ errno }`. */
export function failWhy(
  k: Kernel,
  errno: Errno,
  fn: string,
  why: string,
  file?: number,
  fd?: number,
): { errno: Errno } {
  if (k.emit) k.emit({ type: 'errno', errno, fn, why, file, fd });
  return { errno };
}
