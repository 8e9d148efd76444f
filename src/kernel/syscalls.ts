// The system call table: `Syscalls` (src/api) implemented on a simulated thread. Each method
// checks its integers against their C types (src/api/cargs.ts, shared with the Linux backend),
// names the kernel entry point it mirrors and forwards; decoding and errno paths live in the
// modules that own the objects.

import { FIONREAD, SIOCATMARK, SIOCOUTQ } from '../abi/constants.ts';
import { checkArgs } from '../api/cargs.ts';
import type {
  Address,
  EpollEvent,
  Itimerspec,
  Linger,
  PollFd,
  Pselect6Args,
  Pselect6Result,
  SelectArgs,
  SelectResult,
  SigHandler,
  Sigset,
  SockoptValue,
  Syscalls,
  SysResult,
  Timespec,
} from '../api/syscalls.ts';
import { sys_eventfd2 } from './eventfd.ts';
import {
  sys_epoll_create,
  sys_epoll_create1,
  sys_epoll_ctl,
  sys_epoll_pwait,
  sys_epoll_pwait2,
  sys_epoll_wait,
} from './eventpoll/sys_epoll.ts';
import { sys_close, sys_dup, sys_dup2, sys_dup3, sys_fcntl, sys_ioctl, sys_read, sys_write } from './fs.ts';
import {
  sys_accept4,
  sys_bind,
  sys_connect,
  sys_getname,
  sys_getsockopt,
  sys_listen,
  sys_recvfrom,
  sys_sendto,
  sys_setsockopt,
  sys_shutdown,
  sys_socket,
  sys_socketpair,
} from './net/sys_socket.ts';
import { sys_pipe2 } from './pipe.ts';
import { sys_poll, sys_ppoll } from './poll.ts';
import { sys_open } from './regular.ts';
import type { Thread } from './sched.ts';
import { sys_pselect6, sys_select } from './select.ts';
import { sys_kill, sys_rt_sigaction, sys_rt_sigpending, sys_rt_sigprocmask, sys_tgkill } from './signal.ts';
import { sys_signalfd4 } from './signalfd.ts';
import { sys_sleep } from './time.ts';
import { sys_timerfd_create, sys_timerfd_gettime, sys_timerfd_settime } from './timerfd.ts';
// Linux: the protocol families built in register themselves at boot (af_unix_init).
import './net/unix/af_unix.ts';
import './net/ipv4/af_inet.ts';
import './net/ipv4/tcp.ts';
import './net/ipv4/udp.ts';

type R<E extends object = object> = Promise<SysResult<E>>;

/**
 * The direct table: the calls made most often, entered through Kernel.enterDirect with their
 * arguments as they are (no closure, no argument array per call). `show` is what a deadlock
 * report prints for one that blocks. The other calls go through enter with a closure.
 */
const DIRECT = {
  read: { name: 'read', fn: sys_read, show: (fd: number, count: number) => [fd, count] },
  write: { name: 'write', fn: sys_write, show: (fd: number, data: Uint8Array) => [fd, data.length] },
  close: { name: 'close', fn: sys_close, show: (fd: number) => [fd] },
  epoll_ctl: {
    name: 'epoll_ctl',
    fn: sys_epoll_ctl,
    show: (epfd: number, op: number, fd: number) => [epfd, op, fd],
  },
  epoll_wait: {
    name: 'epoll_wait',
    fn: sys_epoll_wait,
    show: (epfd: number, maxevents: number, timeout: number) => [epfd, maxevents, timeout],
  },
  poll: {
    name: 'poll',
    fn: sys_poll,
    show: (fds: readonly PollFd[], timeout: number) => [fds.length, timeout],
  },
  fcntl: {
    name: 'fcntl',
    fn: sys_fcntl,
    show: (fd: number, cmd: number, arg: number) => [fd, cmd, arg],
  },
} as const;

/** One simulated thread's system calls. */
export class SimSyscalls implements Syscalls {
  constructor(readonly thread: Thread) {}

  private enter<T>(
    name: string,
    args: readonly unknown[],
    body: () => T,
  ): Promise<T extends Generator<unknown, infer V> ? V : T> {
    const t = this.thread;
    // Linux does the call's work on entry; the kernel runs it and whatever it woke.
    return t.k.enter(t, name, args, body as never);
  }

  pipe(): R<{ fds: [number, number] }> {
    return this.enter('pipe', [], () => sys_pipe2(this.thread, 0));
  }
  pipe2(flags: number): R<{ fds: [number, number] }> {
    checkArgs.pipe2(flags);
    return this.enter('pipe2', [flags], () => sys_pipe2(this.thread, flags));
  }
  socketpair(domain: number, type: number, protocol: number): R<{ fds: [number, number] }> {
    checkArgs.socketpair(domain, type, protocol);
    return this.enter('socketpair', [domain, type, protocol], () =>
      sys_socketpair(this.thread, domain, type, protocol),
    );
  }
  socket(domain: number, type: number, protocol: number): R {
    checkArgs.socket(domain, type, protocol);
    return this.enter('socket', [domain, type, protocol], () =>
      sys_socket(this.thread, domain, type, protocol),
    );
  }
  bind(fd: number, address: string): R {
    checkArgs.bind(fd, address);
    return this.enter('bind', [fd, address], () => sys_bind(this.thread, fd, address));
  }
  listen(fd: number, backlog: number): R {
    checkArgs.listen(fd, backlog);
    return this.enter('listen', [fd, backlog], () => sys_listen(this.thread, fd, backlog));
  }
  connect(fd: number, address: string): R {
    checkArgs.connect(fd, address);
    return this.enter('connect', [fd, address], () => sys_connect(this.thread, fd, address));
  }
  accept4(fd: number, flags: number): R {
    checkArgs.accept4(fd, flags);
    return this.enter('accept4', [fd, flags], () => sys_accept4(this.thread, fd, flags));
  }
  shutdown(fd: number, how: number): R {
    checkArgs.shutdown(fd, how);
    return this.enter('shutdown', [fd, how], () => sys_shutdown(this.thread, fd, how));
  }
  getsockname(fd: number): R<{ address: Address }> {
    checkArgs.getsockname(fd);
    return this.enter('getsockname', [fd], () => sys_getname(this.thread, fd, false));
  }
  getpeername(fd: number): R<{ address: Address }> {
    checkArgs.getpeername(fd);
    return this.enter('getpeername', [fd], () => sys_getname(this.thread, fd, true));
  }
  getsockopt(fd: number, level: number, name: number): R<{ value: SockoptValue }> {
    checkArgs.getsockopt(fd, level, name);
    return this.enter('getsockopt', [fd, level, name], () => sys_getsockopt(this.thread, fd, level, name));
  }
  setsockopt(fd: number, level: number, name: number, value: number | Linger): R {
    checkArgs.setsockopt(fd, level, name, value);
    return this.enter('setsockopt', [fd, level, name], () =>
      sys_setsockopt(this.thread, fd, level, name, value),
    );
  }
  send(fd: number, data: Uint8Array, flags: number): R {
    checkArgs.send(fd, data, flags);
    return this.enter('sendto', [fd, data.length, flags], () =>
      sys_sendto(this.thread, fd, data, flags, null),
    );
  }
  recv(fd: number, count: number, flags: number): R<{ data: Uint8Array }> {
    checkArgs.recv(fd, count, flags);
    return this.enter('recvfrom', [fd, count, flags], () => sys_recvfrom(this.thread, fd, count, flags));
  }
  sendto(fd: number, data: Uint8Array, flags: number, address: Address | null): R {
    checkArgs.sendto(fd, data, flags, address);
    return this.enter('sendto', [fd, data.length, flags, address], () =>
      sys_sendto(this.thread, fd, data, flags, address),
    );
  }
  recvfrom(fd: number, count: number, flags: number): R<{ data: Uint8Array; address: Address | null }> {
    checkArgs.recvfrom(fd, count, flags);
    return this.enter('recvfrom', [fd, count, flags], () => sys_recvfrom(this.thread, fd, count, flags));
  }
  ioctl_siocoutq(fd: number): R {
    checkArgs.ioctl_siocoutq(fd);
    return this.enter('ioctl', [fd, 'SIOCOUTQ'], () => sys_ioctl(this.thread, fd, SIOCOUTQ));
  }
  ioctl_siocatmark(fd: number): R {
    checkArgs.ioctl_siocatmark(fd);
    return this.enter('ioctl', [fd, 'SIOCATMARK'], () => sys_ioctl(this.thread, fd, SIOCATMARK));
  }
  eventfd(initval: number, flags: number): R {
    checkArgs.eventfd(initval, flags);
    return this.enter('eventfd2', [initval, flags], () => sys_eventfd2(this.thread, initval, flags));
  }
  open(path: string, flags: number): R {
    checkArgs.open(path, flags);
    return this.enter('open', [path, flags], () => sys_open(this.thread, path, flags));
  }
  read(fd: number, count: number): R<{ data: Uint8Array }> {
    checkArgs.read(fd, count);
    return this.thread.k.enterDirect(this.thread, DIRECT.read, fd, count, undefined, undefined);
  }
  write(fd: number, data: Uint8Array): R {
    checkArgs.write(fd, data);
    return this.thread.k.enterDirect(this.thread, DIRECT.write, fd, data, undefined, undefined);
  }
  close(fd: number): R {
    checkArgs.close(fd);
    return this.thread.k.enterDirect(this.thread, DIRECT.close, fd, undefined, undefined, undefined);
  }
  dup(fd: number): R {
    checkArgs.dup(fd);
    return this.enter('dup', [fd], () => sys_dup(this.thread, fd));
  }
  dup2(oldfd: number, newfd: number): R {
    checkArgs.dup2(oldfd, newfd);
    return this.enter('dup2', [oldfd, newfd], () => sys_dup2(this.thread, oldfd, newfd));
  }
  dup3(oldfd: number, newfd: number, flags: number): R {
    checkArgs.dup3(oldfd, newfd, flags);
    return this.enter('dup3', [oldfd, newfd, flags], () => sys_dup3(this.thread, oldfd, newfd, flags));
  }
  fcntl(fd: number, cmd: number, arg: number): R {
    checkArgs.fcntl(fd, cmd, arg);
    return this.thread.k.enterDirect(this.thread, DIRECT.fcntl, fd, cmd, arg, undefined);
  }
  ioctl_fionread(fd: number): R {
    checkArgs.ioctl_fionread(fd);
    return this.enter('ioctl', [fd, 'FIONREAD'], () => sys_ioctl(this.thread, fd, FIONREAD));
  }
  epoll_create(size: number): R {
    checkArgs.epoll_create(size);
    return this.enter('epoll_create', [size], () => sys_epoll_create(this.thread, size));
  }
  epoll_create1(flags: number): R {
    checkArgs.epoll_create1(flags);
    return this.enter('epoll_create1', [flags], () => sys_epoll_create1(this.thread, flags));
  }
  epoll_ctl(epfd: number, op: number, fd: number, event: EpollEvent | null): R {
    checkArgs.epoll_ctl(epfd, op, fd, event);
    return this.thread.k.enterDirect(this.thread, DIRECT.epoll_ctl, epfd, op, fd, event);
  }
  epoll_wait(epfd: number, maxevents: number, timeout: number): R<{ events: EpollEvent[] }> {
    checkArgs.epoll_wait(epfd, maxevents, timeout);
    return this.thread.k.enterDirect(this.thread, DIRECT.epoll_wait, epfd, maxevents, timeout, undefined);
  }
  epoll_pwait2(
    epfd: number,
    maxevents: number,
    timeout: Timespec | null,
    sigmask: Sigset | null = null,
  ): R<{ events: EpollEvent[] }> {
    checkArgs.epoll_pwait2(epfd, maxevents, timeout, sigmask);
    return this.enter('epoll_pwait2', [epfd, maxevents], () =>
      sys_epoll_pwait2(this.thread, epfd, maxevents, timeout, sigmask),
    );
  }
  poll(fds: readonly PollFd[], timeout: number): R<{ revents: number[] }> {
    checkArgs.poll(fds, timeout);
    return this.thread.k.enterDirect(this.thread, DIRECT.poll, fds, timeout, undefined, undefined);
  }
  select(...args: SelectArgs): R<SelectResult> {
    checkArgs.select(...args);
    const [nfds, readfds, writefds, exceptfds, timeout] = args;
    // The caller's timeval as user memory: select writes the time left into it, and a restart
    // after a signal reads it from there, as Linux's does.
    const tvp = timeout === null ? null : { ...timeout };
    return this.enter('select', [nfds], () =>
      sys_select(this.thread, nfds, readfds, writefds, exceptfds, tvp),
    );
  }
  timerfd_create(clockid: number, flags: number): R {
    checkArgs.timerfd_create(clockid, flags);
    return this.enter('timerfd_create', [clockid, flags], () =>
      sys_timerfd_create(this.thread, clockid, flags),
    );
  }
  timerfd_settime(fd: number, flags: number, value: Itimerspec): R<{ old: Itimerspec }> {
    checkArgs.timerfd_settime(fd, flags, value);
    return this.enter('timerfd_settime', [fd, flags], () =>
      sys_timerfd_settime(this.thread, fd, flags, value),
    );
  }
  timerfd_gettime(fd: number): R<{ value: Itimerspec }> {
    checkArgs.timerfd_gettime(fd);
    return this.enter('timerfd_gettime', [fd], () => sys_timerfd_gettime(this.thread, fd));
  }
  sleep(ms: number): R {
    checkArgs.sleep(ms);
    return this.enter('nanosleep', [ms], () => sys_sleep(this.thread, ms));
  }
  // ---- signals (src/kernel/signal.ts, entry.ts, signalfd.ts) ----
  epoll_pwait(
    epfd: number,
    maxevents: number,
    timeout: number,
    sigmask: Sigset | null,
  ): R<{ events: EpollEvent[] }> {
    checkArgs.epoll_pwait(epfd, maxevents, timeout, sigmask);
    return this.enter('epoll_pwait', [epfd, maxevents, timeout], () =>
      sys_epoll_pwait(this.thread, epfd, maxevents, timeout, sigmask),
    );
  }
  ppoll(fds: readonly PollFd[], timeout: Timespec | null, sigmask: Sigset | null): R<{ revents: number[] }> {
    checkArgs.ppoll(fds, timeout, sigmask);
    // The caller's timespec as user memory (written back; a restart reads it).
    const tsp = timeout === null ? null : { ...timeout };
    return this.enter('ppoll', [fds.length], () => sys_ppoll(this.thread, fds, tsp, sigmask));
  }
  pselect6(...args: Pselect6Args): R<Pselect6Result> {
    checkArgs.pselect6(...args);
    const [nfds, readfds, writefds, exceptfds, timeout, sigmask] = args;
    const tsp = timeout === null ? null : { ...timeout };
    return this.enter('pselect6', [nfds], () =>
      sys_pselect6(this.thread, nfds, readfds, writefds, exceptfds, tsp, sigmask),
    );
  }
  sigaction(sig: number, handler: SigHandler, flags: number, mask: Sigset): R {
    checkArgs.sigaction(sig, handler, flags, mask);
    return this.enter('rt_sigaction', [sig, handler, flags], () =>
      sys_rt_sigaction(this.thread, sig, handler, flags, mask),
    );
  }
  sigprocmask(how: number, set: Sigset | null): R<{ old: number[] }> {
    checkArgs.sigprocmask(how, set);
    return this.enter('rt_sigprocmask', [how], () => sys_rt_sigprocmask(this.thread, how, set));
  }
  sigpending(): R<{ set: number[] }> {
    checkArgs.sigpending();
    return this.enter('rt_sigpending', [], () => sys_rt_sigpending(this.thread));
  }
  kill(sig: number): R {
    checkArgs.kill(sig);
    return this.enter('kill', [sig], () => sys_kill(this.thread, sig));
  }
  tgkill(tid: number, sig: number): R {
    checkArgs.tgkill(tid, sig);
    return this.enter('tgkill', [tid, sig], () => sys_tgkill(this.thread, tid, sig));
  }
  gettid(): R {
    checkArgs.gettid();
    return this.enter('gettid', [], () => ({ ret: this.thread.tid }));
  }
  signalfd(fd: number, mask: Sigset | null, flags: number): R {
    checkArgs.signalfd(fd, mask, flags);
    return this.enter('signalfd4', [fd, flags], () => sys_signalfd4(this.thread, fd, mask, flags));
  }
}
