// STUB — being written (AF_UNIX sockets, Linux net/unix/af_unix.c).
import type { SysResult } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import type { SysGen, Thread } from './sched.ts';

export function sys_socketpair(
  _t: Thread,
  _domain: number,
  _type: number,
  _protocol: number,
): SysResult<{ fds: [number, number] }> {
  throw new Unsupported('socketpair', 'not yet modelled');
}
export function sys_socket(_t: Thread, _domain: number, _type: number, _protocol: number): SysResult {
  throw new Unsupported('socket', 'not yet modelled');
}
export function sys_bind(_t: Thread, _fd: number, _address: string): SysResult {
  throw new Unsupported('bind', 'not yet modelled');
}
export function sys_listen(_t: Thread, _fd: number, _backlog: number): SysResult {
  throw new Unsupported('listen', 'not yet modelled');
}
export function* sys_connect(_t: Thread, _fd: number, _address: string): SysGen<SysResult> {
  throw new Unsupported('connect', 'not yet modelled');
}
export function* sys_accept4(_t: Thread, _fd: number, _flags: number): SysGen<SysResult> {
  throw new Unsupported('accept4', 'not yet modelled');
}
export function sys_shutdown(_t: Thread, _fd: number, _how: number): SysResult {
  throw new Unsupported('shutdown', 'not yet modelled');
}
