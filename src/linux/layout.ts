// The x86-64 layouts of the structs the real-Linux backend passes to the kernel, as plain byte
// encoders and decoders (no koffi here, so they can be unit-tested anywhere). Each size and
// offset is the kernel's, cited from its uapi header.

import {
  type EpollData,
  type EpollEvent,
  epollData,
  type Itimerspec,
  type PollFd,
  type Timespec,
  type Timeval,
} from '../api/syscalls.ts';

/**
 * Linux: include/uapi/linux/eventpoll.h — `struct epoll_event { __poll_t events; __u64 data; }
 * EPOLL_PACKED;` where EPOLL_PACKED is `__attribute__((packed))` on x86-64 only, so the struct is
 * 12 bytes with `data` at offset 4 (16 bytes, data at 8, on every other 64-bit architecture).
 */
export const EPOLL_EVENT = { size: 12, events: 0, data: 4 } as const;

/** Linux: include/uapi/asm-generic/poll.h — `struct pollfd { int fd; short events; short revents; }`. */
export const POLLFD = { size: 8, fd: 0, events: 4, revents: 6 } as const;

/** Linux: include/uapi/linux/time_types.h — `struct __kernel_old_timeval { long tv_sec; long tv_usec; }`. */
export const TIMEVAL = { size: 16, sec: 0, usec: 8 } as const;

/** Linux: include/uapi/linux/time_types.h — `struct __kernel_timespec { s64 tv_sec; long long tv_nsec; }`. */
export const TIMESPEC = { size: 16, sec: 0, nsec: 8 } as const;

/** Linux: include/uapi/linux/time_types.h — `struct __kernel_itimerspec { it_interval; it_value; }`. */
export const ITIMERSPEC = { size: 32, interval: 0, value: 16 } as const;

/**
 * Linux: include/uapi/linux/un.h — `struct sockaddr_un { __kernel_sa_family_t sun_family; char
 * sun_path[108]; }`. An abstract name is sun_path[0] == 0 followed by the name's bytes, its length
 * given only by addrlen (net/unix/af_unix.c:unix_mkname_bsd / unix_validate_addr).
 */
export const SOCKADDR_UN = { size: 110, family: 0, path: 2, pathMax: 108 } as const;
/** The longest abstract name: sun_path minus its leading NUL byte. */
export const ABSTRACT_NAME_MAX = SOCKADDR_UN.pathMax - 1;

/** Linux: include/uapi/asm-generic/resource.h — `struct rlimit { ulong rlim_cur, rlim_max; }`. */
export const RLIMIT = { size: 16, cur: 0, max: 8 } as const;
export const RLIMIT_NOFILE = 7;

/** The fd_set word: Linux's select bitmaps are arrays of unsigned long (fs/select.c:FDS_BYTES). */
export const FD_SET_WORD_BYTES = 8;

/** Linux: fs/select.c:FDS_BYTES — the bytes select copies in and out for `n` descriptors. */
export function fdSetBytes(n: number): number {
  return Math.ceil(n / 64) * FD_SET_WORD_BYTES;
}

function toU64(value: EpollData, what: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    throw new RangeError(`${what}: not a u64 below 2^53 (a bigint carries larger ones): ${value}`);
  const v = BigInt(value);
  if (v < 0n || v >= 2n ** 64n) throw new RangeError(`${what}: not a u64: ${value}`);
  return v;
}

function toS64(value: number, what: string): bigint {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what}: not an integer below 2^53: ${value}`);
  return BigInt(value);
}

function fromS64(buf: Buffer, offset: number): number {
  return Number(buf.readBigInt64LE(offset));
}

export function encodeEpollEvent(ev: EpollEvent): Buffer {
  const buf = Buffer.alloc(EPOLL_EVENT.size);
  buf.writeUInt32LE(ev.events >>> 0, EPOLL_EVENT.events);
  buf.writeBigUInt64LE(toU64(ev.data, 'epoll_event.data'), EPOLL_EVENT.data);
  return buf;
}

/** Decode the first `count` events of an epoll_event array. */
export function decodeEpollEvents(buf: Buffer, count: number): EpollEvent[] {
  const out: EpollEvent[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * EPOLL_EVENT.size;
    out.push({
      events: buf.readUInt32LE(at + EPOLL_EVENT.events),
      // A number where the value fits one, a bigint from 2^53 up (EpollData, src/api/syscalls.ts).
      data: epollData(buf.readBigUInt64LE(at + EPOLL_EVENT.data)),
    });
  }
  return out;
}

export function encodePollFds(fds: readonly PollFd[]): Buffer {
  // At least one byte, so the pointer is never NULL even for nfds == 0 (Linux accepts either).
  const buf = Buffer.alloc(Math.max(1, fds.length * POLLFD.size));
  fds.forEach((p, i) => {
    const at = i * POLLFD.size;
    buf.writeInt32LE(p.fd | 0, at + POLLFD.fd);
    // `short events`: the C conversion keeps the low 16 bits.
    buf.writeUInt16LE(p.events & 0xffff, at + POLLFD.events);
    buf.writeUInt16LE(0, at + POLLFD.revents);
  });
  return buf;
}

export function decodeRevents(buf: Buffer, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(buf.readUInt16LE(i * POLLFD.size + POLLFD.revents));
  return out;
}

export function encodeTimeval(tv: Timeval): Buffer {
  const buf = Buffer.alloc(TIMEVAL.size);
  buf.writeBigInt64LE(toS64(tv.sec, 'timeval.tv_sec'), TIMEVAL.sec);
  buf.writeBigInt64LE(toS64(tv.usec, 'timeval.tv_usec'), TIMEVAL.usec);
  return buf;
}

export function decodeTimeval(buf: Buffer): Timeval {
  return { sec: fromS64(buf, TIMEVAL.sec), usec: fromS64(buf, TIMEVAL.usec) };
}

export function encodeTimespec(ts: Timespec, buf = Buffer.alloc(TIMESPEC.size), at = 0): Buffer {
  buf.writeBigInt64LE(toS64(ts.sec, 'timespec.tv_sec'), at + TIMESPEC.sec);
  buf.writeBigInt64LE(toS64(ts.nsec, 'timespec.tv_nsec'), at + TIMESPEC.nsec);
  return buf;
}

export function decodeTimespec(buf: Buffer, at = 0): Timespec {
  return { sec: fromS64(buf, at + TIMESPEC.sec), nsec: fromS64(buf, at + TIMESPEC.nsec) };
}

export function encodeItimerspec(its: Itimerspec): Buffer {
  const buf = Buffer.alloc(ITIMERSPEC.size);
  encodeTimespec(its.interval, buf, ITIMERSPEC.interval);
  encodeTimespec(its.value, buf, ITIMERSPEC.value);
  return buf;
}

export function decodeItimerspec(buf: Buffer): Itimerspec {
  return { interval: decodeTimespec(buf, ITIMERSPEC.interval), value: decodeTimespec(buf, ITIMERSPEC.value) };
}

/** An fd_set bitmap of `bytes` bytes (a multiple of 8) with the given descriptors' bits set. */
export function encodeFdSet(fds: readonly number[], bytes: number): Buffer {
  const buf = Buffer.alloc(Math.max(bytes, FD_SET_WORD_BYTES));
  for (const fd of fds) {
    if (!Number.isInteger(fd) || fd < 0 || fd >= bytes * 8) throw new RangeError(`fd_set: no bit for ${fd}`);
    // Word fd/64, bit fd%64, little-endian: byte fd/8, bit fd%8.
    buf[fd >> 3] |= 1 << (fd & 7);
  }
  return buf;
}

/** The descriptors whose bits are set, ascending. */
export function decodeFdSet(buf: Buffer): number[] {
  const out: number[] = [];
  for (let byte = 0; byte < buf.length; byte++) {
    const v = buf[byte];
    if (v === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (v & (1 << bit)) out.push(byte * 8 + bit);
  }
  return out;
}

/**
 * An abstract AF_UNIX address for `name` (the bytes after the leading NUL) and its addrlen. A name
 * longer than ABSTRACT_NAME_MAX still gets a buffer of its full length, so the kernel sees the
 * addrlen the caller asked for and rejects it itself (EINVAL, net/unix/af_unix.c:unix_validate_addr).
 */
export function encodeAbstractAddress(name: Buffer): { addr: Buffer; len: number } {
  const len = SOCKADDR_UN.path + 1 + name.length;
  const addr = Buffer.alloc(Math.max(SOCKADDR_UN.size, len));
  addr.writeUInt16LE(1 /* AF_UNIX */, SOCKADDR_UN.family);
  addr[SOCKADDR_UN.path] = 0;
  name.copy(addr, SOCKADDR_UN.path + 1);
  // Linux: the name's length is addrlen - offsetof(sun_path) - 1; no terminating NUL.
  return { addr, len };
}

/** Linux: include/uapi/linux/in.h — `struct sockaddr_in { sa_family_t; __be16 sin_port; struct in_addr; pad[8] }`. */
export const SOCKADDR_IN = { size: 16, family: 0, port: 2, addr: 4 } as const;

/**
 * Linux: include/uapi/linux/in6.h — `struct sockaddr_in6 { sa_family_t; __be16 sin6_port; __be32
 * sin6_flowinfo; struct in6_addr sin6_addr; __u32 sin6_scope_id; }`.
 */
export const SOCKADDR_IN6 = { size: 28, family: 0, port: 2, flowinfo: 4, addr: 8, scopeId: 24 } as const;

/** Linux: include/linux/socket.h — `struct __kernel_sockaddr_storage`, the largest sockaddr. */
export const SOCKADDR_STORAGE = 128;

/**
 * `struct sockaddr`'s size (16): the length passed for "AF_UNSPEC", as a C program passes
 * `sizeof(struct sockaddr)` with sa_family set to AF_UNSPEC. Linux reads only sa_family there
 * (net/ipv4/af_inet.c:inet_dgram_connect, __inet_stream_connect; net/unix/af_unix.c:unix_dgram_connect).
 */
export const SOCKADDR = { size: 16 } as const;

/** Linux: include/uapi/linux/socket.h — `struct linger { int l_onoff; int l_linger; }`. */
export const LINGER = { size: 8, onoff: 0, linger: 4 } as const;

/**
 * Linux: include/uapi/linux/if.h — `struct ifreq { char ifr_name[IFNAMSIZ]; union { short
 * ifru_flags; ... } }`, 40 bytes on x86-64 (the union's largest member is struct ifmap, 24 bytes).
 */
export const IFREQ = { size: 40, name: 0, flags: 16 } as const;

/** A sockaddr_in for a host-order address and port. */
export function encodeSockaddrIn(addr: number, port: number): Buffer {
  const buf = Buffer.alloc(SOCKADDR_IN.size);
  buf.writeUInt16LE(2 /* AF_INET */, SOCKADDR_IN.family);
  buf.writeUInt16BE(port, SOCKADDR_IN.port);
  buf.writeUInt32BE(addr >>> 0, SOCKADDR_IN.addr);
  return buf;
}

/** A sockaddr_in6 for 16 address bytes and a port (flow label and scope id 0). */
export function encodeSockaddrIn6(addr: Uint8Array, port: number): Buffer {
  const buf = Buffer.alloc(SOCKADDR_IN6.size);
  buf.writeUInt16LE(10 /* AF_INET6 */, SOCKADDR_IN6.family);
  buf.writeUInt16BE(port, SOCKADDR_IN6.port);
  Buffer.from(addr).copy(buf, SOCKADDR_IN6.addr);
  return buf;
}

/** What the kernel wrote into a sockaddr buffer, by family; `len` is the addrlen it wrote back. */
export type DecodedSockaddr =
  | { family: 'none' }
  | { family: 'unix'; kind: 'unnamed' }
  | { family: 'unix'; kind: 'abstract'; name: Buffer }
  | { family: 'unix'; kind: 'path'; path: string }
  | { family: 'inet'; addr: number; port: number }
  | { family: 'inet6'; addr: Uint8Array; port: number }
  | { family: 'other'; sa_family: number; len: number };

/**
 * Decode a sockaddr the kernel wrote. addrlen 0 is no address at all (recvfrom on TCP); an
 * AF_UNIX address of sa_family alone is an unnamed socket (net/unix/af_unix.c:unix_getname
 * writes `offsetof(struct sockaddr_un, sun_path)` then).
 */
export function decodeSockaddr(buf: Buffer, len: number): DecodedSockaddr {
  if (len === 0) return { family: 'none' };
  const family = len >= 2 ? buf.readUInt16LE(0) : -1;
  if (family === 1) {
    if (len <= SOCKADDR_UN.path) return { family: 'unix', kind: 'unnamed' };
    if (buf[SOCKADDR_UN.path] === 0)
      return { family: 'unix', kind: 'abstract', name: Buffer.from(buf.subarray(SOCKADDR_UN.path + 1, len)) };
    const end = buf.indexOf(0, SOCKADDR_UN.path);
    return {
      family: 'unix',
      kind: 'path',
      path: buf.subarray(SOCKADDR_UN.path, end < 0 || end > len ? len : end).toString('latin1'),
    };
  }
  if (family === 2 && len >= SOCKADDR_IN.size)
    return {
      family: 'inet',
      addr: buf.readUInt32BE(SOCKADDR_IN.addr),
      port: buf.readUInt16BE(SOCKADDR_IN.port),
    };
  if (family === 10 && len >= SOCKADDR_IN6.size)
    return {
      family: 'inet6',
      addr: new Uint8Array(buf.subarray(SOCKADDR_IN6.addr, SOCKADDR_IN6.addr + 16)),
      port: buf.readUInt16BE(SOCKADDR_IN6.port),
    };
  return { family: 'other', sa_family: family, len };
}
