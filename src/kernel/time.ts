// Sleeping on the virtual clock (Linux: hrtimer_nanosleep), and time conversions.
//
// Time in the kernel is a number: the clock (Kernel.now), deadlines and timers count virtual ns.
// Where a caller's timeout must come back exact (select writes the time left into its timeval),
// it is Linux's timespec64 — seconds and nanoseconds, two numbers — exact while the seconds stay
// below 2^53 (the API's own limit), where ns in one number would round past 2^53 ns (104 days).

import type { SysResult } from '../api/syscalls.ts';
import { ERESTART_RESTARTBLOCK, ERRNO, toResult } from './errors.ts';
import type { Kernel } from './kernel.ts';
import { type SysGen, sleepUntil, type Thread } from './sched.ts';

export const NSEC_PER_USEC = 1000;
export const NSEC_PER_MSEC = 1_000_000;
export const NSEC_PER_SEC = 1_000_000_000;
export const USEC_PER_SEC = 1_000_000;
export const MSEC_PER_SEC = 1000;

/** Linux: struct timespec64. Normalised: 0 ≤ nsec < NSEC_PER_SEC. */
export interface Timespec64 {
  sec: number;
  nsec: number;
}

/** Linux: ktime_get_ts64 — the virtual CLOCK_MONOTONIC in whole ns, as a timespec64. */
export function ktimeGetTs64(k: Kernel): Timespec64 {
  const now = Math.floor(k.now);
  const nsec = now % NSEC_PER_SEC;
  return { sec: (now - nsec) / NSEC_PER_SEC, nsec };
}

/**
 * Linux: timespec64_add_safe. Its saturation at TIME64_MAX seconds cannot be reached: the
 * model's seconds are safe integers.
 */
export function timespec64Add(a: Timespec64, b: Timespec64): Timespec64 {
  let sec = a.sec + b.sec;
  let nsec = a.nsec + b.nsec;
  if (nsec >= NSEC_PER_SEC) {
    nsec -= NSEC_PER_SEC;
    sec++;
  }
  return { sec, nsec };
}

/** Linux: timespec64_sub (set_normalized_timespec64 of the differences). */
export function timespec64Sub(a: Timespec64, b: Timespec64): Timespec64 {
  let sec = a.sec - b.sec;
  let nsec = a.nsec - b.nsec;
  if (nsec < 0) {
    nsec += NSEC_PER_SEC;
    sec--;
  }
  return { sec, nsec };
}

// Linux: include/linux/ktime.h KTIME_SEC_MAX = KTIME_MAX / NSEC_PER_SEC, KTIME_MAX = 2^63 − 1.
export const KTIME_SEC_MAX = 9_223_372_036;

/**
 * Linux: timespec64_to_ktime, for seconds below KTIME_SEC_MAX (the caller saturates): ns as a
 * number, rounded once, as the clock's double holds it. sec · 1e9 can pass 2^53, so it is split
 * at 2^21 s: hi · (1e9 · 2^21) is exact (1e9 · 2^21 = 1953125 · 2^30), lo · 1e9 + nsec too.
 */
export function timespec64ToKtime(ts: Timespec64): number {
  const lo = ts.sec % 2 ** 21;
  const hi = (ts.sec - lo) / 2 ** 21;
  return hi * 1953125 * 2 ** 30 + (lo * NSEC_PER_SEC + ts.nsec);
}

/** Linux: hrtimer_nanosleep — nanosleep in ms from now. */
export function* sys_sleep(t: Thread, ms: number): SysGen<SysResult> {
  if (ms < 0) return toResult(-ERRNO.EINVAL);
  return yield* doNanosleep(t, t.k.now + ms * NSEC_PER_MSEC);
}

/**
 * Linux: do_nanosleep — sleep to an absolute deadline. A signal ends it with
 * -ERESTART_RESTARTBLOCK: the restart (hrtimer_nanosleep_restart) sleeps to the same deadline,
 * so time slept before the signal counts; with a handler it is EINTR.
 */
function* doNanosleep(t: Thread, deadline: number): SysGen<SysResult> {
  while (t.k.now < deadline) {
    const reason = yield* sleepUntil(t, deadline);
    if (reason === 'signal') {
      t.restartBlock = () => doNanosleep(t, deadline);
      return toResult(-ERESTART_RESTARTBLOCK);
    }
  }
  return { ret: 0 };
}
