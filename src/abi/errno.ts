// Linux errno values (x86-64, include/uapi/asm-generic/errno-base.h and errno.h).
// Names use the kernel's spelling: EAGAIN (not EWOULDBLOCK), EOPNOTSUPP (not ENOTSUP).

/** Every errno a call may fail with, by its Linux name. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ESPIPE: 29,
  EPIPE: 32,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ELOOP: 40,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EPFNOSUPPORT: 96,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ENOSPC: 28,
} as const;

/** A Linux errno name (`EAGAIN`), as failed calls carry it. */
export type Errno = keyof typeof ERRNO;

const byNumber = new Map<number, Errno>();
for (const [name, value] of Object.entries(ERRNO)) byNumber.set(value, name as Errno);

/** The errno name for a number, or `E<number>` for one this table does not name. */
export function errnoName(n: number): string {
  return byNumber.get(n) ?? `E${n}`;
}

export function isErrno(name: string): name is Errno {
  return Object.hasOwn(ERRNO, name);
}
