// Errors at the boundary: internal functions return -errno (as Linux does); the syscall layer
// turns that into `{ errno }`. Unsupported things throw `Unsupported` (src/api).

import { ERRNO, type Errno, errnoName } from '../abi/errno.ts';
import type { SysResult } from '../api/syscalls.ts';

export { ERRNO };

/** `{ errno }` for a negative return, `{ ret }` otherwise. */
export function toResult(ret: number): SysResult {
  return ret < 0 ? { errno: errnoName(-ret) as Errno } : { ret };
}

export function fail(errno: Errno): { errno: Errno } {
  return { errno };
}
