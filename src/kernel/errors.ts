// Errors at the boundary: internal functions return -errno (as Linux does); the syscall layer
// turns that into `{ errno }`. Unsupported things throw `Unsupported` (src/api).

import { ERRNO, type Errno, errnoName } from '../abi/errno.ts';
import type { SysResult } from '../api/syscalls.ts';
import type { Kernel } from './kernel.ts';

export { ERRNO };

/** `{ errno }` for a negative return, `{ ret }` otherwise. */
export function toResult(ret: number): SysResult {
  return ret < 0 ? { errno: errnoName(-ret) as Errno } : { ret };
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
