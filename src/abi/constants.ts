// Linux ABI constants (x86-64). Each group is the set of names a flag word may use.
// Source: include/uapi/asm-generic/{fcntl,poll}.h, include/uapi/linux/eventpoll.h,
// include/linux/socket.h, include/uapi/linux/eventfd.h (reference §6).

/** epoll_event.events bits (Linux: include/uapi/linux/eventpoll.h). */
export const EPOLL = {
  EPOLLIN: 0x001,
  EPOLLPRI: 0x002,
  EPOLLOUT: 0x004,
  EPOLLERR: 0x008,
  EPOLLHUP: 0x010,
  EPOLLNVAL: 0x020,
  EPOLLRDNORM: 0x040,
  EPOLLRDBAND: 0x080,
  EPOLLWRNORM: 0x100,
  EPOLLWRBAND: 0x200,
  EPOLLMSG: 0x400,
  EPOLLRDHUP: 0x2000,
  EPOLLEXCLUSIVE: 0x10000000,
  EPOLLWAKEUP: 0x20000000,
  EPOLLONESHOT: 0x40000000,
  EPOLLET: 0x80000000,
} as const;

/** pollfd.events and revents bits (Linux: include/uapi/asm-generic/poll.h). */
export const POLL = {
  POLLIN: 0x001,
  POLLPRI: 0x002,
  POLLOUT: 0x004,
  POLLERR: 0x008,
  POLLHUP: 0x010,
  POLLNVAL: 0x020,
  POLLRDNORM: 0x040,
  POLLRDBAND: 0x080,
  POLLWRNORM: 0x100,
  POLLWRBAND: 0x200,
  POLLMSG: 0x400,
  POLLREMOVE: 0x1000,
  POLLRDHUP: 0x2000,
} as const;

/** Internal wake-up key bits (include/uapi/asm-generic/poll.h); never in a user mask. */
export const POLLFREE = 0x4000;

// Linux: fs/eventpoll.c
export const EP_PRIVATE_BITS = 0xf0000000; // WAKEUP|ONESHOT|ET|EXCLUSIVE
export const EP_MAX_NESTS = 4;
export const EP_MAX_EVENTS = 178956970; // INT_MAX / sizeof(struct epoll_event) (12 on x86-64)

// Linux: fs/select.c
export const POLLIN_SET = 0x0f9; // RDNORM|RDBAND|IN|HUP|ERR|NVAL
export const POLLOUT_SET = 0x32c; // WRBAND|WRNORM|OUT|ERR|NVAL
export const POLLEX_SET = 0x022; // PRI|NVAL
export const DEFAULT_POLLMASK = 0x145; // IN|OUT|RDNORM|WRNORM (vfs_poll without ->poll)

/** epoll_ctl operations. */
export const EPOLL_CTL = { EPOLL_CTL_ADD: 1, EPOLL_CTL_DEL: 2, EPOLL_CTL_MOD: 3 } as const;

/** open(2) and pipe2(2) flags (Linux: include/uapi/asm-generic/fcntl.h). */
export const O = {
  O_RDONLY: 0,
  O_WRONLY: 0o1,
  O_RDWR: 0o2,
  O_CREAT: 0o100,
  O_NONBLOCK: 0o4000,
  O_DIRECT: 0o40000,
  O_CLOEXEC: 0o2000000,
} as const;
export const O_ACCMODE = 0o3;
// Linux: include/uapi/asm-generic/fcntl.h — open flags outside O (scripts cannot name them): the
// model opens nothing they apply to; fcntl(F_SETFL) ignores the first three and refuses the rest.
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_ASYNC = 0o20000; // Linux: FASYNC
export const O_NOATIME = 0o1000000;
export const O_NOTIFICATION_PIPE = O_EXCL; // reused by pipe2 (Linux: include/uapi/linux/watch_queue.h)
/**
 * Linux: include/linux/fcntl.h VALID_OPEN_FLAGS — every O_* bit open(2) knows (O_ACCMODE through
 * __O_TMPFILE); build_open_how drops the others silently.
 */
export const VALID_OPEN_FLAGS = 0o37777703;

/** epoll_create1(2)'s only flag. */
export const EPOLL_CLOEXEC = O.O_CLOEXEC;
export const EPOLL_CREATE = { EPOLL_CLOEXEC: O.O_CLOEXEC } as const;

/** eventfd(2) flags. */
export const EFD = { EFD_SEMAPHORE: 1, EFD_NONBLOCK: O.O_NONBLOCK, EFD_CLOEXEC: O.O_CLOEXEC } as const;

/** timerfd_create(2) flags. */
export const TFD = { TFD_NONBLOCK: O.O_NONBLOCK, TFD_CLOEXEC: O.O_CLOEXEC } as const;
/** timerfd_settime(2) flags. */
export const TFD_TIMER = { TFD_TIMER_ABSTIME: 1, TFD_TIMER_CANCEL_ON_SET: 2 } as const;
/** Clock ids for timerfd_create(2); the model has CLOCK_MONOTONIC only. */
export const CLOCK = { CLOCK_REALTIME: 0, CLOCK_MONOTONIC: 1 } as const;

/** Address families for socket(2) and socketpair(2). */
export const AF = { AF_UNSPEC: 0, AF_UNIX: 1, AF_INET: 2, AF_INET6: 10 } as const;
/** Socket types and the flags socket(2) accepts in `type`. */
export const SOCK = {
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_SEQPACKET: 5,
  SOCK_NONBLOCK: O.O_NONBLOCK,
  SOCK_CLOEXEC: O.O_CLOEXEC,
} as const;
export const SOCK_TYPE_MASK = 0xf;
/** Protocols for socket(2)'s third argument and option levels (Linux: include/uapi/linux/in.h). */
export const IPPROTO = { IPPROTO_IP: 0, IPPROTO_TCP: 6, IPPROTO_UDP: 17, IPPROTO_IPV6: 41 } as const;
/** Linux: IPPROTO_MAX, one past the largest protocol inet_create looks up. */
export const IPPROTO_MAX = 263;
/** Option levels for getsockopt(2) and setsockopt(2): SOL_SOCKET and the protocols'. */
export const SOL = { SOL_SOCKET: 1, ...IPPROTO } as const;
/** SOL_SOCKET option names (Linux: include/uapi/asm-generic/socket.h, x86-64). */
export const SO = {
  SO_DEBUG: 1,
  SO_REUSEADDR: 2,
  SO_TYPE: 3,
  SO_ERROR: 4,
  SO_DONTROUTE: 5,
  SO_BROADCAST: 6,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_KEEPALIVE: 9,
  SO_OOBINLINE: 10,
  SO_NO_CHECK: 11,
  SO_PRIORITY: 12,
  SO_LINGER: 13,
  SO_BSDCOMPAT: 14,
  SO_REUSEPORT: 15,
  SO_PASSCRED: 16,
  SO_PEERCRED: 17,
  SO_RCVLOWAT: 18,
  SO_SNDLOWAT: 19,
  SO_RCVTIMEO: 20,
  SO_SNDTIMEO: 21,
  SO_ACCEPTCONN: 30,
  SO_SNDBUFFORCE: 32,
  SO_RCVBUFFORCE: 33,
  SO_PROTOCOL: 38,
  SO_DOMAIN: 39,
} as const;
/** IPPROTO_TCP option names (Linux: include/uapi/linux/tcp.h). */
export const TCP_OPT = {
  TCP_NODELAY: 1,
  TCP_MAXSEG: 2,
  TCP_CORK: 3,
  TCP_KEEPIDLE: 4,
  TCP_KEEPINTVL: 5,
  TCP_KEEPCNT: 6,
  TCP_SYNCNT: 7,
  TCP_LINGER2: 8,
  TCP_DEFER_ACCEPT: 9,
  TCP_WINDOW_CLAMP: 10,
  TCP_INFO: 11,
  TCP_QUICKACK: 12,
  TCP_USER_TIMEOUT: 18,
  TCP_NOTSENT_LOWAT: 25,
} as const;
/** IPPROTO_IPV6 option names (Linux: include/uapi/linux/in6.h). */
export const IPV6_OPT = { IPV6_V6ONLY: 26 } as const;
/** send(2)/recv(2) flags (Linux: include/linux/socket.h). */
export const MSG = {
  MSG_OOB: 0x1,
  MSG_PEEK: 0x2,
  MSG_DONTROUTE: 0x4,
  MSG_CTRUNC: 0x8,
  MSG_TRUNC: 0x20,
  MSG_DONTWAIT: 0x40,
  MSG_EOR: 0x80,
  MSG_WAITALL: 0x100,
  MSG_CONFIRM: 0x800,
  MSG_ERRQUEUE: 0x2000,
  MSG_NOSIGNAL: 0x4000,
  MSG_MORE: 0x8000,
  MSG_CMSG_CLOEXEC: 0x40000000,
} as const;
/** Socket ioctls beside FIONREAD (SIOCINQ): Linux: include/uapi/linux/sockios.h, asm-generic/ioctls.h. */
export const SIOCOUTQ = 0x5411; // TIOCOUTQ
export const SIOCATMARK = 0x8905;
/** The ephemeral port range (net.ipv4.ip_local_port_range): script ports stay outside it. */
export const IP_LOCAL_PORT_RANGE = { low: 32768, high: 60999 } as const;

/** shutdown(2)'s `how`. */
export const SHUT = { SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2 } as const;

/** fcntl(2) commands (Linux: include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h). */
export const F = {
  F_DUPFD: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 1030,
  F_SETPIPE_SZ: 1031,
  F_GETPIPE_SZ: 1032,
} as const;
/**
 * fcntl commands the model does not implement, named for its messages (Linux:
 * include/uapi/asm-generic/fcntl.h, include/uapi/linux/fcntl.h).
 */
export const F_UNMODELLED = {
  F_GETLK: 5,
  F_SETLK: 6,
  F_SETLKW: 7,
  F_SETOWN: 8,
  F_GETOWN: 9,
  F_SETSIG: 10,
  F_GETSIG: 11,
  F_SETOWN_EX: 15,
  F_GETOWN_EX: 16,
  F_GETOWNER_UIDS: 17,
  F_OFD_GETLK: 36,
  F_OFD_SETLK: 37,
  F_OFD_SETLKW: 38,
  F_SETLEASE: 1024,
  F_GETLEASE: 1025,
  F_NOTIFY: 1026,
  F_DUPFD_QUERY: 1027,
  F_CREATED_QUERY: 1028,
  F_CANCELLK: 1029,
  F_ADD_SEALS: 1033,
  F_GET_SEALS: 1034,
  F_GET_RW_HINT: 1035,
  F_SET_RW_HINT: 1036,
  F_GET_FILE_RW_HINT: 1037,
  F_SET_FILE_RW_HINT: 1038,
} as const;
/** The descriptor flag F_GETFD and F_SETFD read and write. */
export const FD_CLOEXEC = 1;
/** ioctl(2) request: the bytes ready to read. */
export const FIONREAD = 0x541b;

// Linux: include/linux/pipe_fs_i.h, fs/pipe.c
export const PAGE_SIZE = 4096;
/** Linux: include/linux/fs.h MAX_RW_COUNT (INT_MAX & PAGE_MASK): the most one read or write moves. */
export const MAX_RW_COUNT = 0x7fffffff & ~(PAGE_SIZE - 1);
export const PIPE_BUF = 4096;
export const PIPE_DEF_BUFFERS = 16;
export const PIPE_MAX_SIZE = 1048576; // /proc/sys/fs/pipe-max-size

// Linux: fs/file.c, include/linux/fs.h
export const NR_OPEN_DEFAULT = 64;
/** fs.nr_open's default; a kernel's own value is src/kernel/sysctl.ts's fsSysctl(k).nrOpen. */
export const SYSCTL_NR_OPEN = 1048576;
export const RLIMIT_NOFILE_DEFAULT = { soft: 1024, hard: 4096 } as const;

// Linux: include/net/sock.h defaults (net.core.wmem_default)
export const SK_SNDBUF_DEFAULT = 212992;
export const SK_RCVBUF_DEFAULT = 212992; // net.core.rmem_default
export const SYSCTL_WMEM_MAX = 212992; // net.core.wmem_max
export const SYSCTL_RMEM_MAX = 212992; // net.core.rmem_max
export const MAX_DGRAM_QLEN = 10; // net.unix.max_dgram_qlen
export const SOMAXCONN = 4096;

/** The 64-bit all-ones value eventfd's counter may never reach by write (Linux: ULLONG_MAX). */
export const ULLONG_MAX = 0xffffffffffffffffn;
