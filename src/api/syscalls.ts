// The syscall-shaped interface every backend implements: the simulated kernel (src/kernel) and the
// real kernel (src/linux). Names, arguments and errno names are Linux's. Errors are values
// (`{ errno }`), never exceptions; what a backend does not model throws `Unsupported`.

import type { Errno } from '../abi/errno.ts';

/** A failed call: the syscall returned -1 with this errno. */
export interface Failure {
  readonly errno: Errno;
}

/** A call's result: `{ ret, ...extra }` on success, `{ errno }` on failure. */
export type SysResult<Extra extends object = object> = ({ readonly ret: number } & Extra) | Failure;

/** Whether a call failed (`{ errno }`); narrows the result either way. */
export function failed(r: SysResult<object>): r is Failure {
  return 'errno' in r;
}

/**
 * A call's success value, for code that expects the call to succeed (examples, set-up, tests):
 * `const { fds: [r, w] } = ok(await sys.pipe2(0))`. A failure throws `SyscallError` naming the
 * errno. The calls themselves never throw for a Linux error; only this helper does.
 */
export function ok<Extra extends object>(r: SysResult<Extra>): { readonly ret: number } & Extra {
  if (failed(r)) throw new SyscallError(r.errno);
  return r;
}

/** Thrown by `ok` for a call that failed; `errno` is the Linux error name (`EAGAIN`). */
export class SyscallError extends Error {
  override name = 'SyscallError';
  constructor(readonly errno: Errno) {
    super(`the call failed with ${errno}`);
  }
}

/** struct epoll_event. */
export interface EpollEvent {
  /** EPOLL* mask. */
  events: number;
  /** The user's 64-bit value; the API carries it as a number below 2^53. */
  data: number;
}

/** struct pollfd without its revents (poll returns them apart). */
export interface PollFd {
  fd: number;
  events: number;
}

/** struct timeval. */
export interface Timeval {
  sec: number;
  usec: number;
}

/** struct timespec. */
export interface Timespec {
  sec: number;
  nsec: number;
}

/** struct itimerspec. */
export interface Itimerspec {
  interval: Timespec;
  value: Timespec;
}

/**
 * An fd set for select: the descriptors whose bits are set, ascending. The kernel reads the
 * bits below the capped nfds and writes back whole 64-bit words, ceil(n/64) of them: bits from
 * n to the end of the last word come back cleared, bits in later words as they went in
 * (Linux: FDS_BYTES; checked on 6.18: select(3, {3,60,64,100}) leaves {64,100}).
 */
export type FdSet = readonly number[] | null;

/** What select writes back: the ready subsets and the timeout. */
/** select's arguments, named as select(2) names them (backends take them as one tuple). */
export type SelectArgs = [
  nfds: number,
  readfds: FdSet,
  writefds: FdSet,
  exceptfds: FdSet,
  timeout: Timeval | null,
];

export interface SelectResult {
  readfds: number[] | null;
  writefds: number[] | null;
  exceptfds: number[] | null;
  /** The timeval as Linux leaves it (written back), or null for a null timeout pointer. */
  timeout: Timeval | null;
}

/**
 * One thread's view of the system calls. Every method may block (a Promise that settles when the
 * call returns); which thread makes the call matters for wake-up order.
 */
export interface Syscalls {
  pipe(): Promise<SysResult<{ fds: [number, number] }>>;
  pipe2(flags: number): Promise<SysResult<{ fds: [number, number] }>>;
  socketpair(domain: number, type: number, protocol: number): Promise<SysResult<{ fds: [number, number] }>>;
  socket(domain: number, type: number, protocol: number): Promise<SysResult>;
  /** address: an abstract AF_UNIX name written "@name". */
  bind(fd: number, address: string): Promise<SysResult>;
  listen(fd: number, backlog: number): Promise<SysResult>;
  connect(fd: number, address: string): Promise<SysResult>;
  accept4(fd: number, flags: number): Promise<SysResult>;
  shutdown(fd: number, how: number): Promise<SysResult>;
  eventfd(initval: number, flags: number): Promise<SysResult>;
  /** path: "/dev/null", or "tmpfile" for a fresh unlinked regular file. */
  open(path: string, flags: number): Promise<SysResult>;
  read(fd: number, count: number): Promise<SysResult<{ data: Uint8Array }>>;
  write(fd: number, data: Uint8Array): Promise<SysResult>;
  close(fd: number): Promise<SysResult>;
  dup(fd: number): Promise<SysResult>;
  dup2(oldfd: number, newfd: number): Promise<SysResult>;
  dup3(oldfd: number, newfd: number, flags: number): Promise<SysResult>;
  /** fcntl with an integer argument (F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_DUPFD, F_*PIPE_SZ). */
  fcntl(fd: number, cmd: number, arg: number): Promise<SysResult>;
  /** ioctl(fd, FIONREAD): the bytes ready to read, as `ret`. */
  ioctl_fionread(fd: number): Promise<SysResult>;
  epoll_create(size: number): Promise<SysResult>;
  epoll_create1(flags: number): Promise<SysResult>;
  epoll_ctl(epfd: number, op: number, fd: number, event: EpollEvent | null): Promise<SysResult>;
  epoll_wait(epfd: number, maxevents: number, timeout: number): Promise<SysResult<{ events: EpollEvent[] }>>;
  epoll_pwait2(
    epfd: number,
    maxevents: number,
    timeout: Timespec | null,
  ): Promise<SysResult<{ events: EpollEvent[] }>>;
  poll(fds: readonly PollFd[], timeout: number): Promise<SysResult<{ revents: number[] }>>;
  select(...args: SelectArgs): Promise<SysResult<SelectResult>>;
  timerfd_create(clockid: number, flags: number): Promise<SysResult>;
  timerfd_settime(fd: number, flags: number, value: Itimerspec): Promise<SysResult<{ old: Itimerspec }>>;
  timerfd_gettime(fd: number): Promise<SysResult<{ value: Itimerspec }>>;
  /** nanosleep, in milliseconds (virtual time on the simulated kernel). */
  sleep(ms: number): Promise<SysResult>;
}

/** The name of a system call in `Syscalls`. */
export type SyscallName = keyof Syscalls;

/** Thrown (never returned) for anything a backend does not model: the model never guesses. */
export class Unsupported extends Error {
  override name = 'Unsupported';
  constructor(
    readonly call: string,
    readonly what: string,
  ) {
    super(`${call}: unsupported: ${what}`);
  }
}
