// The syscall-shaped interface every backend implements: the simulated kernel (src/kernel) and the
// real kernel (src/linux). Names, arguments and errno names are Linux's. Errors are values
// (`{ errno }`), never exceptions; what a backend does not model throws `Unsupported`.

import type { Errno } from '../abi/errno.ts';

/**
 * A socket address as the script format writes it (src/api/sockaddr.ts): "@name", "" (unnamed
 * AF_UNIX), "127.0.0.1:8080", "[::1]:8080"; `connect` and `sendto` also take "AF_UNSPEC".
 */
export type Address = string;

/** struct linger, SO_LINGER's value. */
export interface Linger {
  onoff: number;
  linger: number;
}

/**
 * A socket option's value: an int for most; for SO_ERROR the pending error's name (`0` for none);
 * for SO_LINGER a struct linger.
 */
export type SockoptValue = number | Errno | Linger;

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

/**
 * epoll_data_t, the user's 64-bit value (0 … 2^64−1): a number below 2^53, a bigint from 2^53 up.
 * Two types because almost every program stores small values (an fd, an index) and a number costs
 * no allocation on the hot path (every event epoll_wait returns carries one), while a pointer or a
 * tagged value needs all 64 bits, which only a bigint holds exactly. Backends return a number
 * whenever the value fits one, so each value has one representation and `===` compares it; they
 * accept a bigint below 2^53 too and normalise it (`epollData`).
 */
export type EpollData = number | bigint;

/** struct epoll_event. */
export interface EpollEvent {
  /** EPOLL* mask. */
  events: number;
  /** The user's 64-bit value, as `EpollData` says. */
  data: EpollData;
}

/** 2^53, made once: the smallest epoll_data_t kept as a bigint. */
const EPOLL_DATA_BIGINT_MIN = 2n ** 53n;

/**
 * An epoll_data_t value in its one representation: a number below 2^53, a bigint from 2^53 up.
 * The caller has checked it is 0 … 2^64−1 (cargs).
 */
export function epollData(v: number | bigint): EpollData {
  return typeof v === 'bigint' && v < EPOLL_DATA_BIGINT_MIN ? Number(v) : v;
}

/**
 * A signal set (sigset_t): the signals in it, numbered as the kernel numbers them (1 … 64;
 * SIGRTMIN is 32). Results list them ascending.
 */
export type Sigset = readonly number[];

/** A disposition sigaction can install: the defaults, or a handler that only counts its runs. */
export type SigHandler = 'SIG_DFL' | 'SIG_IGN' | 'catch';

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

/** pselect6's arguments: select's, with a timespec, then the signal mask for the call. */
export type Pselect6Args = [
  nfds: number,
  readfds: FdSet,
  writefds: FdSet,
  exceptfds: FdSet,
  timeout: Timespec | null,
  sigmask: Sigset | null,
];

/** What pselect6 writes back: as select, with the timespec the raw system call leaves. */
export interface Pselect6Result extends Omit<SelectResult, 'timeout'> {
  timeout: Timespec | null;
}

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
  bind(fd: number, address: Address): Promise<SysResult>;
  listen(fd: number, backlog: number): Promise<SysResult>;
  /** "AF_UNSPEC" dissolves a datagram socket's association. */
  connect(fd: number, address: Address): Promise<SysResult>;
  accept4(fd: number, flags: number): Promise<SysResult>;
  shutdown(fd: number, how: number): Promise<SysResult>;
  getsockname(fd: number): Promise<SysResult<{ address: Address }>>;
  getpeername(fd: number): Promise<SysResult<{ address: Address }>>;
  /** The value as `SockoptValue` says, read with an optlen of the option's C type. */
  getsockopt(fd: number, level: number, name: number): Promise<SysResult<{ value: SockoptValue }>>;
  /** An int, or a struct linger for SO_LINGER. */
  setsockopt(fd: number, level: number, name: number, value: number | Linger): Promise<SysResult>;
  /** send(2): sendto with no address. */
  send(fd: number, data: Uint8Array, flags: number): Promise<SysResult>;
  /**
   * recv(2): `data` is what the kernel copied into the buffer — the first min(ret, count) bytes
   * (with MSG_TRUNC a datagram's `ret` is its full length; on a stream MSG_TRUNC copies nothing).
   */
  recv(fd: number, count: number, flags: number): Promise<SysResult<{ data: Uint8Array }>>;
  /** sendto(2); address null: none (send). */
  sendto(fd: number, data: Uint8Array, flags: number, address: Address | null): Promise<SysResult>;
  /** recvfrom(2): `address` is the sender's, null where the kernel writes none (msg_namelen 0). */
  recvfrom(
    fd: number,
    count: number,
    flags: number,
  ): Promise<SysResult<{ data: Uint8Array; address: Address | null }>>;
  /** ioctl(fd, SIOCOUTQ): bytes not yet acknowledged (TCP) or queued to send, as `ret`. */
  ioctl_siocoutq(fd: number): Promise<SysResult>;
  /** ioctl(fd, SIOCATMARK): 1 when the next byte to read is the urgent mark, as `ret`. */
  ioctl_siocatmark(fd: number): Promise<SysResult>;
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
  /** epoll_pwait(2): the mask (null: none) is in force while the call runs. */
  epoll_pwait(
    epfd: number,
    maxevents: number,
    timeout: number,
    sigmask: Sigset | null,
  ): Promise<SysResult<{ events: EpollEvent[] }>>;
  /** epoll_pwait2(2); sigmask omitted or null: none (then it is epoll_wait with a timespec). */
  epoll_pwait2(
    epfd: number,
    maxevents: number,
    timeout: Timespec | null,
    sigmask?: Sigset | null,
  ): Promise<SysResult<{ events: EpollEvent[] }>>;
  poll(fds: readonly PollFd[], timeout: number): Promise<SysResult<{ revents: number[] }>>;
  /** ppoll(2) as the raw system call: timespec or null (no timeout), mask or null. */
  ppoll(
    fds: readonly PollFd[],
    timeout: Timespec | null,
    sigmask: Sigset | null,
  ): Promise<SysResult<{ revents: number[] }>>;
  select(...args: SelectArgs): Promise<SysResult<SelectResult>>;
  /** The raw pselect6 system call (glibc's pselect hides the timespec it writes back). */
  pselect6(...args: Pselect6Args): Promise<SysResult<Pselect6Result>>;
  timerfd_create(clockid: number, flags: number): Promise<SysResult>;
  timerfd_settime(fd: number, flags: number, value: Itimerspec): Promise<SysResult<{ old: Itimerspec }>>;
  timerfd_gettime(fd: number): Promise<SysResult<{ value: Itimerspec }>>;
  /** nanosleep, in milliseconds (virtual time on the simulated kernel). */
  sleep(ms: number): Promise<SysResult>;
  /** rt_sigaction(2): install a disposition (the old one is not reported); mask: sa_mask. */
  sigaction(sig: number, handler: SigHandler, flags: number, mask: Sigset): Promise<SysResult>;
  /** rt_sigprocmask(2) on the calling thread; set null: only read the mask. */
  sigprocmask(how: number, set: Sigset | null): Promise<SysResult<{ old: number[] }>>;
  /** rt_sigpending(2): pending for this thread or its process, and blocked by this thread. */
  sigpending(): Promise<SysResult<{ set: number[] }>>;
  /** kill(getpid(), sig): a process-directed signal to the caller's own process. */
  kill(sig: number): Promise<SysResult>;
  /** tgkill(getpid(), tid, sig): a signal to one thread of the caller's process. */
  tgkill(tid: number, sig: number): Promise<SysResult>;
  /** gettid(2), as `ret`. */
  gettid(): Promise<SysResult>;
  /** signalfd4(2): fd -1 makes a new signalfd; otherwise updates that one's mask. */
  signalfd(fd: number, mask: Sigset | null, flags: number): Promise<SysResult>;
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
