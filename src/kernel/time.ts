// Sleeping on the virtual clock (Linux: hrtimer_nanosleep), and time conversions.

import type { SysResult } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import { ERRNO, toResult } from './errors.ts';
import { type SysGen, sleepUntil, type Thread } from './sched.ts';

export const NSEC_PER_MSEC = 1_000_000;
export const NSEC_PER_SEC = 1_000_000_000;

export function* sys_sleep(t: Thread, ms: number): SysGen<SysResult> {
  if (!Number.isFinite(ms)) throw new Unsupported('sleep', `duration ${ms}`);
  if (ms < 0) return toResult(-ERRNO.EINVAL);
  const deadline = t.k.now + ms * NSEC_PER_MSEC;
  while (t.k.now < deadline) {
    const reason = yield* sleepUntil(deadline);
    if (reason === 'signal') return toResult(-ERRNO.EINTR);
  }
  return { ret: 0 };
}
