// STUB — being written (timerfd on CLOCK_MONOTONIC, Linux fs/timerfd.c).
import type { Itimerspec, SysResult } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import type { Thread } from './sched.ts';

export function sys_timerfd_create(_t: Thread, _clockid: number, _flags: number): SysResult {
  throw new Unsupported('timerfd_create', 'not yet modelled');
}
export function sys_timerfd_settime(
  _t: Thread,
  _fd: number,
  _flags: number,
  _value: Itimerspec,
): SysResult<{ old: Itimerspec }> {
  throw new Unsupported('timerfd_settime', 'not yet modelled');
}
export function sys_timerfd_gettime(_t: Thread, _fd: number): SysResult<{ value: Itimerspec }> {
  throw new Unsupported('timerfd_gettime', 'not yet modelled');
}
