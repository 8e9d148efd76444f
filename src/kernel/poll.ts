// STUB — being written (poll, Linux fs/select.c do_sys_poll).
import type { PollFd, SysResult } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import type { SysGen, Thread } from './sched.ts';

export function* sys_poll(
  _t: Thread,
  _fds: readonly PollFd[],
  _timeout: number,
): SysGen<SysResult<{ revents: number[] }>> {
  throw new Unsupported('poll', 'not yet modelled');
}
