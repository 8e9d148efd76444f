// Every call's integer arguments against their C types, checked once at the syscall boundary by
// both backends (the simulated kernel's syscall table and the Linux backend), so they agree.
//
// The API carries C integers as JavaScript numbers. A number the argument's C type cannot hold
// (1.5, NaN, 2^40 for an int) is not a question the kernel can be asked: the call throws
// `Unsupported`, naming the argument, before it does anything. Where the kernel sees a defined
// value the number is accepted: a 32-bit word (an `unsigned int`, a `__u32` mask, an `int` of
// flags) may be written signed or unsigned (a script's flag word 0x80000000 is INT_MIN to the
// kernel, a negative initval C converts modulo 2^32); fcntl's argument is a long whose low 32
// bits its integer commands use. The conversion itself is the backend's: the simulated kernel
// works on the bits, the Linux backend hands koffi the converted value.
//
// Each check is one or two comparisons, so it costs nothing beside the call (poll's array too).

import { SO, SOL, SYSCTL_RMEM_MAX } from '../abi/constants.ts';
import type { EpollData, Itimerspec, Linger, PollFd, Sigset, Timespec, Timeval } from './syscalls.ts';
import { type SyscallName, type Syscalls, Unsupported } from './syscalls.ts';

/**
 * Not Linux: the largest descriptor an fd set may name. Linux takes any nfds up to the process's
 * max_fds, which fs.nr_open bounds and root may raise to 2^31 − 64; the model stops at 2^24 − 1,
 * past the ten million descriptors a raised nr_open gives one simulated process (setNrOpen), since
 * the bitmap a C program would pass for a larger one is hundreds of megabytes of zeros that
 * neither backend builds.
 */
const FD_SET_FD_MAX = (1 << 24) - 1;

/**
 * Not Linux: the size of x86-64's user address space (4-level page tables: TASK_SIZE_MAX is
 * 2^47 − 4096). No buffer of a process is this large, so a read of this many bytes is no
 * question a C program can ask (Linux would fail its access_ok with EFAULT, wherever the buffer).
 */
const USER_ADDRESS_SPACE = 2 ** 47;

/** `int`: −2^31 … 2^31−1 (a descriptor, a count, a command, a timeout in ms). */
function cInt(call: string, what: string, v: number): void {
  if ((v | 0) !== v) throw new Unsupported(call, `${what} ${v}: not a C int (-2^31 … 2^31-1)`);
}

/**
 * A 32-bit word: an `unsigned int`, a `__u32` mask or an `int` of flags. −2^31 … 2^32−1: a C
 * program may write it signed or unsigned, and the kernel sees the same 32 bits.
 */
function cWord(call: string, what: string, v: number): void {
  if ((v | 0) !== v && v >>> 0 !== v)
    throw new Unsupported(call, `${what} ${v}: not a 32-bit C integer (-2^31 … 2^32-1)`);
}

/**
 * `size_t` (a byte count): 0 … 2^53−1, the integers a number holds exactly. A negative count is
 * refused rather than converted: C would make it 2^64 − n, a buffer no process can have.
 */
function cSize(call: string, what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new Unsupported(call, `${what} ${v}: not a size_t the model carries (0 … 2^53-1)`);
}

/** A 64-bit signed field (`time_t`, `long`): the integers a number holds exactly. */
function cLong(call: string, what: string, v: number): void {
  if (!Number.isSafeInteger(v))
    throw new Unsupported(call, `${what} ${v}: not a 64-bit integer the model carries (|n| < 2^53)`);
}

/**
 * `__u64` epoll data (EpollData): a number 0 … 2^53−1, or a bigint 0 … 2^64−1 (a bigint below 2^53
 * is accepted: backends normalise it to a number, see `epollData`).
 */
function cU64(call: string, what: string, v: EpollData): void {
  if (typeof v === 'bigint' ? v < 0n || v > U64_MAX : !Number.isSafeInteger(v) || v < 0)
    throw new Unsupported(call, `${what} ${v}: not a u64 (a number 0 … 2^53-1, or a bigint 0 … 2^64-1)`);
}
const U64_MAX = 2n ** 64n - 1n;

function timespec(call: string, what: string, ts: Timespec): void {
  cLong(call, `${what}.tv_sec`, ts.sec);
  cLong(call, `${what}.tv_nsec`, ts.nsec);
}

function timeval(call: string, tv: Timeval): void {
  cLong(call, 'timeout.tv_sec', tv.sec);
  cLong(call, 'timeout.tv_usec', tv.usec);
}

function itimerspec(call: string, its: Itimerspec): void {
  timespec(call, 'it_interval', its.interval);
  timespec(call, 'it_value', its.value);
}

/** `struct pollfd`: `int fd`, `short events` (the model takes the mask unsigned, 0 … 0xffff). */
function pollfds(fds: readonly PollFd[]): void {
  for (let i = 0; i < fds.length; i++) {
    const { fd, events } = fds[i];
    if ((fd | 0) !== fd) cInt('poll', `fds[${i}].fd`, fd);
    if ((events & 0xffff) !== events)
      throw new Unsupported('poll', `fds[${i}].events ${events}: a 16-bit mask (0 … 0xffff)`);
  }
}

/** The most signals a sigset_t holds (Linux: _NSIG, x86-64). */
export const NSIG = 64;

/** A sigset_t: signals 1 … 64 (sigaddset refuses any other, so no C program can pass one). */
function sigset(call: string, what: string, set: Sigset | null): void {
  if (set === null) return;
  if (!Array.isArray(set)) throw new Unsupported(call, `${what}: not a list of signals`);
  for (const sig of set)
    if (!Number.isInteger(sig) || sig < 1 || sig > NSIG)
      throw new Unsupported(call, `${what}: signal ${sig} is not in a sigset_t (1 … ${NSIG})`);
}

function fdSet(what: string, set: readonly number[] | null): void {
  if (set === null) return;
  for (const fd of set) {
    if (!Number.isInteger(fd) || fd < 0 || fd > FD_SET_FD_MAX)
      throw new Unsupported('select', `${what} fd ${fd}: not a descriptor an fd set holds here (0 … 2^24-1)`);
  }
}

/** Linux: sizeof(sun_path) − 1, the most bytes an abstract name has after its leading NUL. */
export const ABSTRACT_NAME_MAX = 107;

/**
 * A runner makes a script's abstract names private with a hidden prefix (script-format.md). A name
 * that fits sun_path alone but not behind the prefix has no answer that is the script's: on both
 * backends it is Unsupported, with the same words. (A name too long even alone is Linux's EINVAL.)
 */
export function checkPrivateName(call: string, nameLength: number, prefixLength: number): void {
  if (nameLength <= ABSTRACT_NAME_MAX && nameLength + prefixLength > ABSTRACT_NAME_MAX) {
    throw new Unsupported(
      call,
      `abstract name of ${nameLength} bytes: too long once made private to the run (at most ${ABSTRACT_NAME_MAX - prefixLength})`,
    );
  }
}

/** socket(2) and socketpair(2)'s first three: int domain, int type (flags: a word), int protocol. */
function socketArgs(call: string, domain: number, type: number, protocol: number): void {
  cInt(call, 'domain', domain);
  cWord(call, 'type', type);
  cInt(call, 'protocol', protocol);
}

function address(call: string, a: string): void {
  if (typeof a !== 'string') throw new Unsupported(call, `address ${String(a)}: not a string`);
}

/** A buffer's size: a size_t no larger than user space. */
function bufferSize(call: string, count: number): void {
  cSize(call, 'count', count);
  if (count >= USER_ADDRESS_SPACE)
    throw new Unsupported(call, `count ${count}: no buffer is that large (user space is 2^47 bytes)`);
}

function bytes(call: string, data: Uint8Array): void {
  if (!(data instanceof Uint8Array)) throw new Unsupported(call, 'data: not bytes');
}

/** struct linger: two ints. */
function linger(l: Linger): void {
  if (typeof l !== 'object' || l === null)
    throw new Unsupported('setsockopt', 'optval: an int or a struct linger');
  cInt('setsockopt', 'optval.l_onoff', l.onoff);
  cInt('setsockopt', 'optval.l_linger', l.linger);
}

/**
 * Linux: SO_RCVBUF and SO_SNDBUF are clamped to net.core.rmem_max / wmem_max, host settings that
 * are not per network namespace (Linux's default 212992; machines are often tuned higher: 4 MiB
 * here). Above the default (or negative, which the kernel reads as huge) the answer is the host's,
 * not Linux's: both backends refuse the question alike.
 */
function hostBufferLimit(level: number, name: number, value: number | Linger): void {
  if (level !== SOL.SOL_SOCKET || (name !== SO.SO_RCVBUF && name !== SO.SO_SNDBUF)) return;
  const v = (typeof value === 'number' ? value : value.onoff) >>> 0;
  if (v > SYSCTL_RMEM_MAX)
    throw new Unsupported(
      'setsockopt',
      `${name === SO.SO_RCVBUF ? 'SO_RCVBUF' : 'SO_SNDBUF'} ${v}: above ${SYSCTL_RMEM_MAX}, the host's net.core.${name === SO.SO_RCVBUF ? 'rmem' : 'wmem'}_max decides`,
    );
}

type Checks = { readonly [K in SyscallName]: (...args: Parameters<Syscalls[K]>) => void };

/**
 * Each call's arguments as its C prototype types them (libc's, which is what a program calls):
 * `checkArgs.dup2(oldfd, newfd)` throws `Unsupported` for a value the C type cannot hold.
 */
export const checkArgs: Checks = {
  pipe() {},
  pipe2(flags) {
    cWord('pipe2', 'flags', flags);
  },
  socketpair(domain, type, protocol) {
    socketArgs('socketpair', domain, type, protocol);
  },
  socket(domain, type, protocol) {
    socketArgs('socket', domain, type, protocol);
  },
  bind(fd, addr) {
    cInt('bind', 'fd', fd);
    address('bind', addr);
  },
  listen(fd, backlog) {
    cInt('listen', 'fd', fd);
    cInt('listen', 'backlog', backlog);
  },
  connect(fd, addr) {
    cInt('connect', 'fd', fd);
    address('connect', addr);
  },
  accept4(fd, flags) {
    cInt('accept4', 'fd', fd);
    cWord('accept4', 'flags', flags);
  },
  shutdown(fd, how) {
    cInt('shutdown', 'fd', fd);
    cInt('shutdown', 'how', how);
  },
  getsockname(fd) {
    cInt('getsockname', 'fd', fd);
  },
  getpeername(fd) {
    cInt('getpeername', 'fd', fd);
  },
  getsockopt(fd, level, name) {
    cInt('getsockopt', 'fd', fd);
    cInt('getsockopt', 'level', level);
    cInt('getsockopt', 'optname', name);
  },
  setsockopt(fd, level, name, value) {
    cInt('setsockopt', 'fd', fd);
    cInt('setsockopt', 'level', level);
    cInt('setsockopt', 'optname', name);
    if (typeof value === 'number') cInt('setsockopt', 'optval', value);
    else linger(value);
    hostBufferLimit(level, name, value);
  },
  send(fd, data, flags) {
    cInt('send', 'fd', fd);
    bytes('send', data);
    cWord('send', 'flags', flags);
  },
  recv(fd, count, flags) {
    cInt('recv', 'fd', fd);
    bufferSize('recv', count);
    cWord('recv', 'flags', flags);
  },
  sendto(fd, data, flags, addr) {
    cInt('sendto', 'fd', fd);
    bytes('sendto', data);
    cWord('sendto', 'flags', flags);
    if (addr !== null) address('sendto', addr);
  },
  recvfrom(fd, count, flags) {
    cInt('recvfrom', 'fd', fd);
    bufferSize('recvfrom', count);
    cWord('recvfrom', 'flags', flags);
  },
  ioctl_siocoutq(fd) {
    cInt('ioctl', 'fd', fd);
  },
  ioctl_siocatmark(fd) {
    cInt('ioctl', 'fd', fd);
  },
  eventfd(initval, flags) {
    cWord('eventfd', 'initval', initval);
    cWord('eventfd', 'flags', flags);
  },
  open(path, flags) {
    if (typeof path !== 'string') throw new Unsupported('open', `path ${String(path)}: not a string`);
    cWord('open', 'flags', flags);
  },
  read(fd, count) {
    cInt('read', 'fd', fd);
    bufferSize('read', count);
  },
  write(fd, data) {
    cInt('write', 'fd', fd);
    bytes('write', data);
  },
  close(fd) {
    cInt('close', 'fd', fd);
  },
  dup(fd) {
    cInt('dup', 'fd', fd);
  },
  dup2(oldfd, newfd) {
    cInt('dup2', 'oldfd', oldfd);
    cInt('dup2', 'newfd', newfd);
  },
  dup3(oldfd, newfd, flags) {
    cInt('dup3', 'oldfd', oldfd);
    cInt('dup3', 'newfd', newfd);
    cWord('dup3', 'flags', flags);
  },
  fcntl(fd, cmd, arg) {
    cInt('fcntl', 'fd', fd);
    cInt('fcntl', 'cmd', cmd);
    // Linux: do_fcntl takes an unsigned long; its integer commands use the low 32 bits ((int)arg,
    // or pipe_fcntl's unsigned int), so any integer a long holds is a defined value.
    cLong('fcntl', 'arg', arg);
  },
  ioctl_fionread(fd) {
    cInt('ioctl', 'fd', fd);
  },
  epoll_create(size) {
    cInt('epoll_create', 'size', size);
  },
  epoll_create1(flags) {
    cWord('epoll_create1', 'flags', flags);
  },
  epoll_ctl(epfd, op, fd, event) {
    cInt('epoll_ctl', 'epfd', epfd);
    cInt('epoll_ctl', 'op', op);
    cInt('epoll_ctl', 'fd', fd);
    if (event !== null) {
      cWord('epoll_ctl', 'event.events', event.events);
      cU64('epoll_ctl', 'event.data', event.data);
    }
  },
  epoll_wait(epfd, maxevents, timeout) {
    cInt('epoll_wait', 'epfd', epfd);
    cInt('epoll_wait', 'maxevents', maxevents);
    cInt('epoll_wait', 'timeout', timeout);
  },
  epoll_pwait2(epfd, maxevents, timeout, sigmask = null) {
    cInt('epoll_pwait2', 'epfd', epfd);
    cInt('epoll_pwait2', 'maxevents', maxevents);
    if (timeout !== null) timespec('epoll_pwait2', 'timeout', timeout);
    sigset('epoll_pwait2', 'sigmask', sigmask);
  },
  poll(fds, timeout) {
    pollfds(fds);
    cInt('poll', 'timeout', timeout);
  },
  select(nfds, readfds, writefds, exceptfds, timeout) {
    cInt('select', 'nfds', nfds);
    fdSet('readfds', readfds);
    fdSet('writefds', writefds);
    fdSet('exceptfds', exceptfds);
    if (timeout !== null) timeval('select', timeout);
  },
  timerfd_create(clockid, flags) {
    cInt('timerfd_create', 'clockid', clockid);
    cWord('timerfd_create', 'flags', flags);
  },
  timerfd_settime(fd, flags, value) {
    cInt('timerfd_settime', 'fd', fd);
    cWord('timerfd_settime', 'flags', flags);
    itimerspec('timerfd_settime', value);
  },
  timerfd_gettime(fd) {
    cInt('timerfd_gettime', 'fd', fd);
  },
  sleep(ms) {
    // The API's nanosleep in whole milliseconds.
    cLong('sleep', 'ms', ms);
  },
  epoll_pwait(epfd, maxevents, timeout, sigmask) {
    cInt('epoll_pwait', 'epfd', epfd);
    cInt('epoll_pwait', 'maxevents', maxevents);
    cInt('epoll_pwait', 'timeout', timeout);
    sigset('epoll_pwait', 'sigmask', sigmask);
  },
  ppoll(fds, timeout, sigmask) {
    pollfds(fds);
    if (timeout !== null) timespec('ppoll', 'timeout', timeout);
    sigset('ppoll', 'sigmask', sigmask);
  },
  pselect6(nfds, readfds, writefds, exceptfds, timeout, sigmask) {
    cInt('pselect6', 'nfds', nfds);
    fdSet('readfds', readfds);
    fdSet('writefds', writefds);
    fdSet('exceptfds', exceptfds);
    if (timeout !== null) timespec('pselect6', 'timeout', timeout);
    sigset('pselect6', 'sigmask', sigmask);
  },
  sigaction(sig, handler, flags, mask) {
    cInt('sigaction', 'signum', sig);
    if (handler !== 'SIG_DFL' && handler !== 'SIG_IGN' && handler !== 'catch')
      throw new Unsupported('sigaction', `handler ${String(handler)}: SIG_DFL, SIG_IGN or catch`);
    cWord('sigaction', 'sa_flags', flags);
    sigset('sigaction', 'sa_mask', mask);
  },
  sigprocmask(how, set) {
    cInt('sigprocmask', 'how', how);
    sigset('sigprocmask', 'set', set);
  },
  sigpending() {},
  kill(sig) {
    cInt('kill', 'sig', sig);
  },
  tgkill(tid, sig) {
    cInt('tgkill', 'tid', tid);
    cInt('tgkill', 'sig', sig);
  },
  gettid() {},
  signalfd(fd, mask, flags) {
    cInt('signalfd', 'fd', fd);
    sigset('signalfd', 'mask', mask);
    cWord('signalfd', 'flags', flags);
  },
};
