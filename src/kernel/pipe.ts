// STUB — being written (pipes, Linux fs/pipe.c).
import type { SysResult } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import type { Thread } from './sched.ts';

export function sys_pipe2(_t: Thread, _flags: number): SysResult<{ fds: [number, number] }> {
  throw new Unsupported('pipe2', 'not yet modelled');
}
