// STUB — being written (select, Linux fs/select.c).
import type { FdSet, SelectResult, SysResult, Timeval } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import type { SysGen, Thread } from './sched.ts';

export function* sys_select(
  _t: Thread,
  _nfds: number,
  _r: FdSet,
  _w: FdSet,
  _e: FdSet,
  _timeout: Timeval | null,
): SysGen<SysResult<SelectResult>> {
  throw new Unsupported('select', 'not yet modelled');
}
