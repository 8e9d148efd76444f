// STUB — being written (epoll, Linux fs/eventpoll.c).
import type { EpollEvent, SysResult, Timespec } from '../../api/syscalls.ts';
import { Unsupported } from '../../api/syscalls.ts';
import type { SysGen, Thread } from '../sched.ts';

export function sys_epoll_create(_t: Thread, _size: number): SysResult {
  throw new Unsupported('epoll_create', 'not yet modelled');
}
export function sys_epoll_create1(_t: Thread, _flags: number): SysResult {
  throw new Unsupported('epoll_create1', 'not yet modelled');
}
export function sys_epoll_ctl(
  _t: Thread,
  _epfd: number,
  _op: number,
  _fd: number,
  _event: EpollEvent | null,
): SysResult {
  throw new Unsupported('epoll_ctl', 'not yet modelled');
}
export function* sys_epoll_wait(
  _t: Thread,
  _epfd: number,
  _maxevents: number,
  _timeout: number,
): SysGen<SysResult<{ events: EpollEvent[] }>> {
  throw new Unsupported('epoll_wait', 'not yet modelled');
}
export function* sys_epoll_pwait2(
  _t: Thread,
  _epfd: number,
  _maxevents: number,
  _timeout: Timespec | null,
): SysGen<SysResult<{ events: EpollEvent[] }>> {
  throw new Unsupported('epoll_pwait2', 'not yet modelled');
}
