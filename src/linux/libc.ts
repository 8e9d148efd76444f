// Raw in-process bindings to the C library through koffi: one koffi function per system call, as
// thin as koffi allows, so the benchmarks can measure the cost of a call against a C program. No
// marshalling of results happens here; src/linux/calls.ts turns them into the API's results.
//
// Loaded lazily (the first call to `libc()`) and only on Linux x86-64: the struct layouts in
// layout.ts are x86-64's. Nothing outside src/linux imports koffi.
//
// Failure convention: a function returns -1 and the thread's errno says why. koffi captures errno
// right after the call on the thread that made it (also for `.async` calls, which run on the libuv
// threadpool: koffi/src/call.cc AsyncCall::Execute saves it and restores it around the callback), so
// `errno()` must be read synchronously after a call, or inside an async call's callback.

import { createRequire } from 'node:module';
import type { KoffiFunc } from 'koffi';

type Ptr = Buffer | null;

/** A C function returning an integer; `.async` runs it on the libuv threadpool. */
export type CFunction<A extends unknown[]> = KoffiFunc<(...args: A) => number>;

/** The libc functions the backend calls, bound through koffi. */
export interface Libc {
  /** The errno of the last call on this thread (or, in an async callback, of that call). */
  errno(): number;
  pipe(fds: Buffer): number;
  pipe2: CFunction<[fds: Buffer, flags: number]>;
  socketpair: CFunction<[domain: number, type: number, protocol: number, sv: Buffer]>;
  socket: CFunction<[domain: number, type: number, protocol: number]>;
  bind: CFunction<[fd: number, addr: Ptr, len: number]>;
  listen: CFunction<[fd: number, backlog: number]>;
  connect: CFunction<[fd: number, addr: Ptr, len: number]>;
  accept4: CFunction<[fd: number, addr: Ptr, len: Ptr, flags: number]>;
  getsockname: CFunction<[fd: number, addr: Ptr, len: Ptr]>;
  setsockopt: CFunction<[fd: number, level: number, name: number, value: Ptr, len: number]>;
  shutdown: CFunction<[fd: number, how: number]>;
  eventfd: CFunction<[initval: number, flags: number]>;
  /** open(2) with its optional mode argument always passed (glibc's open is variadic). */
  open: CFunction<[path: string, flags: number, mode: number]>;
  read: CFunction<[fd: number, buf: Ptr, count: number]>;
  write: CFunction<[fd: number, buf: Ptr, count: number]>;
  close: CFunction<[fd: number]>;
  dup: CFunction<[fd: number]>;
  dup2: CFunction<[oldfd: number, newfd: number]>;
  dup3: CFunction<[oldfd: number, newfd: number, flags: number]>;
  /** fcntl(2) with an integer third argument (glibc's fcntl is variadic). */
  fcntl: CFunction<[fd: number, cmd: number, arg: number]>;
  /** ioctl(2) with a pointer third argument (glibc's ioctl is variadic). */
  ioctl: CFunction<[fd: number, request: number, arg: Ptr]>;
  epoll_create: CFunction<[size: number]>;
  epoll_create1: CFunction<[flags: number]>;
  epoll_ctl: CFunction<[epfd: number, op: number, fd: number, event: Ptr]>;
  epoll_wait: CFunction<[epfd: number, events: Ptr, maxevents: number, timeout: number]>;
  /** epoll_pwait2(2): glibc's wrapper when it has one (2.35+), else syscall(SYS_epoll_pwait2). */
  epoll_pwait2: CFunction<[epfd: number, events: Ptr, maxevents: number, timeout: Ptr, sigmask: Ptr]>;
  poll: CFunction<[fds: Ptr, nfds: number, timeout: number]>;
  /**
   * The raw select(2) system call, not glibc's wrapper: glibc's fd_set is 128 bytes (1024 bits)
   * and its wrapper may go through pselect6, while the kernel reads FDS_BYTES(nfds) bytes per set
   * and writes the remaining time back into the timeval (fs/select.c:kern_select).
   */
  select: CFunction<[nfds: number, readfds: Ptr, writefds: Ptr, exceptfds: Ptr, timeout: Ptr]>;
  timerfd_create: CFunction<[clockid: number, flags: number]>;
  timerfd_settime: CFunction<[fd: number, flags: number, value: Ptr, old: Ptr]>;
  timerfd_gettime: CFunction<[fd: number, value: Ptr]>;
  nanosleep: CFunction<[req: Ptr, rem: Ptr]>;
  getrlimit: CFunction<[resource: number, rlim: Ptr]>;
  setrlimit: CFunction<[resource: number, rlim: Ptr]>;
  close_range: CFunction<[first: number, last: number, flags: number]>;
  getpid: CFunction<[]>;
}

/** System call numbers, x86-64 (arch/x86/entry/syscalls/syscall_64.tbl). */
export const SYS = { select: 23, close_range: 436, epoll_pwait2: 441 } as const;

/**
 * Every system call the script's calls make, by number (x86-64: arch/x86/entry/syscalls/
 * syscall_64.tbl). In the script's process each is made raw, through syscall(2), on the script
 * thread that makes it: no glibc wrapper stands between the script and the kernel.
 */
export const NR = {
  read: 0,
  write: 1,
  open: 2,
  close: 3,
  poll: 7,
  rt_sigaction: 13,
  rt_sigprocmask: 14,
  ioctl: 16,
  pipe: 22,
  select: 23,
  dup: 32,
  dup2: 33,
  nanosleep: 35,
  getpid: 39,
  socket: 41,
  connect: 42,
  sendto: 44,
  recvfrom: 45,
  shutdown: 48,
  bind: 49,
  listen: 50,
  getsockname: 51,
  getpeername: 52,
  socketpair: 53,
  setsockopt: 54,
  getsockopt: 55,
  kill: 62,
  fcntl: 72,
  rt_sigpending: 127,
  prctl: 157,
  gettid: 186,
  epoll_create: 213,
  epoll_wait: 232,
  epoll_ctl: 233,
  tgkill: 234,
  pselect6: 270,
  ppoll: 271,
  unshare: 272,
  epoll_pwait: 281,
  timerfd_create: 283,
  timerfd_settime: 286,
  timerfd_gettime: 287,
  accept4: 288,
  signalfd4: 289,
  eventfd2: 290,
  epoll_create1: 291,
  dup3: 292,
  pipe2: 293,
  epoll_pwait2: 441,
} as const;

/** An argument of a raw system call: an integer, a C string, or a buffer's memory (null: NULL). */
export type SysArg = number | string | Buffer | null;

/** Six arguments, the missing ones 0 (the kernel ignores what a call does not take). */
export function padArgs(args: readonly SysArg[]): SysArg[] {
  const a = [...args];
  while (a.length < 6) a.push(0);
  return a;
}

/** The C types koffi passes `args` as. */
export function argTypes(args: readonly SysArg[]): string[] {
  return args.map((a) =>
    typeof a === 'number' ? 'long' : typeof a === 'string' ? 'const char *' : 'void *',
  );
}

const rawShapes = new Map<string, CFunction<SysArg[]>>();

/** glibc's syscall(2) bound for one shape of arguments (see `bindSyscall` on the fixed prototype). */
function rawSyscall(types: string[]): CFunction<SysArg[]> {
  const key = types.join(',');
  let f = rawShapes.get(key);
  if (!f) {
    libc();
    f = handle!.func('syscall', 'long', ['long', ...types]) as CFunction<SysArg[]>;
    rawShapes.set(key, f);
  }
  return f;
}

/** System call `nr`, raw, on this thread. */
export function sysSync(nr: number, args: readonly SysArg[]): Outcome {
  const a = padArgs(args);
  return callSync(rawSyscall(argTypes(a)), nr, ...a);
}

/** System call `nr`, raw, on a libuv threadpool thread (in-process use: tests, benchmarks). */
export function sysAsync(nr: number, args: readonly SysArg[]): Promise<Outcome> {
  const a = padArgs(args);
  return callAsync(rawSyscall(argTypes(a)), nr, ...a);
}

let loaded: Libc | undefined;
let handle: Lib | undefined;

/** Why this backend cannot run here, or null when it can. */
export function libcUnavailableReason(): string | null {
  if (process.platform !== 'linux') {
    return `the real-Linux backend needs Linux (this is ${process.platform}): it calls the Linux kernel's system calls`;
  }
  if (process.arch !== 'x64') {
    return `the real-Linux backend needs x86-64 (this is ${process.arch}): its struct layouts (a packed 12-byte epoll_event) are x86-64's`;
  }
  return null;
}

/** The bindings, loaded on first use. Throws a clear error off Linux x86-64. */
export function libc(): Libc {
  if (loaded) return loaded;
  const reason = libcUnavailableReason();
  if (reason) throw new Error(reason);
  // A synchronous, lazy load: koffi (a native module) is required only when the backend is used.
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  handle = lib;
  const fn = <A extends unknown[]>(decl: string): CFunction<A> => lib.func(decl) as CFunction<A>;
  // A function glibc may lack (epoll_pwait2 came in 2.35, close_range in 2.34): koffi throws when
  // the symbol is missing, and the caller binds the raw system call instead.
  const optional = <A extends unknown[]>(decl: string, fallback: () => CFunction<A>): CFunction<A> => {
    try {
      return fn<A>(decl);
    } catch {
      return fallback();
    }
  };
  const pipe = fn<[Buffer]>('int pipe(void *fds)');
  loaded = {
    errno: () => koffi.errno(),
    pipe: (fds) => pipe(fds),
    pipe2: fn('int pipe2(void *fds, int flags)'),
    socketpair: fn('int socketpair(int domain, int type, int protocol, void *sv)'),
    socket: fn('int socket(int domain, int type, int protocol)'),
    bind: fn('int bind(int fd, const void *addr, uint32_t len)'),
    listen: fn('int listen(int fd, int backlog)'),
    connect: fn('int connect(int fd, const void *addr, uint32_t len)'),
    accept4: fn('int accept4(int fd, void *addr, void *len, int flags)'),
    getsockname: fn('int getsockname(int fd, void *addr, void *len)'),
    setsockopt: fn('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    shutdown: fn('int shutdown(int fd, int how)'),
    eventfd: fn('int eventfd(uint32_t initval, int flags)'),
    open: fn('int open(const char *path, int flags, uint32_t mode)'),
    read: fn('long read(int fd, void *buf, size_t count)'),
    write: fn('long write(int fd, const void *buf, size_t count)'),
    close: fn('int close(int fd)'),
    dup: fn('int dup(int fd)'),
    dup2: fn('int dup2(int oldfd, int newfd)'),
    dup3: fn('int dup3(int oldfd, int newfd, int flags)'),
    fcntl: fn('int fcntl(int fd, int cmd, long arg)'),
    ioctl: fn('int ioctl(int fd, unsigned long request, void *arg)'),
    epoll_create: fn('int epoll_create(int size)'),
    epoll_create1: fn('int epoll_create1(int flags)'),
    epoll_ctl: fn('int epoll_ctl(int epfd, int op, int fd, void *event)'),
    epoll_wait: fn('int epoll_wait(int epfd, void *events, int maxevents, int timeout)'),
    epoll_pwait2: optional(
      'int epoll_pwait2(int epfd, void *events, int maxevents, const void *timeout, const void *sigmask)',
      () => syscallEpollPwait2(lib),
    ),
    poll: fn('int poll(void *fds, unsigned long nfds, int timeout)'),
    // glibc's syscall(2) is variadic, and koffi runs no variadic function asynchronously. On
    // x86-64 a variadic call passes integers and pointers in the same registers as a fixed one,
    // and glibc's syscall is assembly that reads no %al, so a fixed prototype is safe.
    select: bindSyscall(lib, SYS.select, 'long', ['long', 'void *', 'void *', 'void *', 'void *']),
    timerfd_create: fn('int timerfd_create(int clockid, int flags)'),
    timerfd_settime: fn('int timerfd_settime(int fd, int flags, const void *value, void *old)'),
    timerfd_gettime: fn('int timerfd_gettime(int fd, void *value)'),
    nanosleep: fn('int nanosleep(const void *req, void *rem)'),
    getrlimit: fn('int getrlimit(int resource, void *rlim)'),
    setrlimit: fn('int setrlimit(int resource, const void *rlim)'),
    close_range: optional('int close_range(uint32_t first, uint32_t last, int flags)', () =>
      bindSyscall(lib, SYS.close_range, 'int', ['uint32_t', 'uint32_t', 'int']),
    ),
    getpid: fn('int getpid()'),
  };
  return loaded;
}

type Lib = ReturnType<typeof import('koffi').load>;

/**
 * syscall(nr, ...) bound with a fixed prototype and `nr` filled in: a function of the remaining
 * arguments, with an `.async` of its own.
 */
function bindSyscall<A extends unknown[]>(lib: Lib, nr: number, ret: string, args: string[]): CFunction<A> {
  const raw = lib.func('syscall', ret, ['long', ...args]) as CFunction<[number, ...A]>;
  const call = ((...a: A) => raw(nr, ...a)) as CFunction<A>;
  call.async = (...a: unknown[]) => (raw.async as (...x: unknown[]) => void)(nr, ...a);
  return call;
}

/**
 * epoll_pwait2 through syscall(SYS_epoll_pwait2), the binding used where glibc has no wrapper;
 * exported so it is tested on a glibc that has one.
 */
export function epollPwait2BySyscall(): Libc['epoll_pwait2'] {
  libc();
  return syscallEpollPwait2(handle!);
}

function syscallEpollPwait2(lib: Lib): Libc['epoll_pwait2'] {
  // Linux: fs/eventpoll.c:SYSCALL_DEFINE6(epoll_pwait2, ..., sigmask, sigsetsize); with a NULL
  // sigmask the size is not checked, but pass the kernel's _NSIG/8 as glibc does.
  const raw = bindSyscall<[number, Ptr, number, Ptr, Ptr, number]>(lib, SYS.epoll_pwait2, 'int', [
    'int',
    'void *',
    'int',
    'const void *',
    'const void *',
    'size_t',
  ]);
  const call = ((epfd: number, ev: Ptr, max: number, t: Ptr, mask: Ptr) =>
    raw(epfd, ev, max, t, mask, 8)) as Libc['epoll_pwait2'];
  call.async = (...a: unknown[]) => {
    const cb = a.pop();
    (raw.async as (...x: unknown[]) => void)(...a, 8, cb);
  };
  return call;
}

/** A call's outcome: its return value and, when that is -1, the errno. */
export interface Outcome {
  ret: number;
  errno: number;
}

/** Run `fn` synchronously on this thread and capture errno at once. */
export function callSync<A extends unknown[]>(fn: CFunction<A>, ...args: A): Outcome {
  const ret = fn(...args);
  return { ret, errno: ret === -1 ? libc().errno() : 0 };
}

/**
 * Run `fn` on a libuv threadpool thread, so a call that blocks leaves the event loop free; errno
 * is the one that thread saw (koffi restores it for the callback).
 */
export function callAsync<A extends unknown[]>(fn: CFunction<A>, ...args: A): Promise<Outcome> {
  // koffi passes a Buffer to C as a bare pointer: the arguments stay referenced here until the call
  // returns, so no garbage collection frees memory the kernel is still reading or writing.
  inFlight.add(args);
  return new Promise((resolve, reject) => {
    (fn.async as (...x: unknown[]) => void)(...args, (err: unknown, ret: number) => {
      inFlight.delete(args);
      if (err) reject(err);
      else resolve({ ret, errno: ret === -1 ? libc().errno() : 0 });
    });
  });
}

/** The arguments of the async calls not yet returned. */
const inFlight = new Set<unknown[]>();

/** How many `callAsync` calls have not returned: threadpool threads still in a system call. */
export function asyncCallsInFlight(): number {
  return inFlight.size;
}
