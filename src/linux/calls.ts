// The `Syscalls` contract on the real kernel, in this process: each method decodes the API's
// arguments into C ones, makes one system call through libc.ts, and returns the kernel's answer as
// `{ ret, ... }` or `{ errno }`. It runs inside the script's child process (child.ts), where a
// `Confinement` keeps the script to its own descriptors and its private abstract names.
//
// Each call is made raw (syscall(2), numbers in libc.ts NR) by an `Executor`, which decides on which
// thread: in the script's process (child.ts) the "main" thread's calls run on Node's main thread,
// synchronously, and every other script thread's on a thread of its own (native.ts, a raw clone);
// in-process (tests, benchmarks), the calls that can block run on the libuv threadpool and the
// others on the calling thread. Every call first checks its integers against their C types (src/api/cargs.ts,
// shared with the simulated kernel), so both refuse alike.

import { randomBytes } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import {
  AF,
  F,
  F_UNMODELLED,
  FIONREAD,
  IPPROTO,
  MAX_RW_COUNT,
  MSG,
  O,
  O_EXCL,
  SIOCATMARK,
  SIOCOUTQ,
  SO,
  SOL,
  TCP_OPT,
  VALID_OPEN_FLAGS,
} from '../abi/constants.ts';
import type { Errno } from '../abi/errno.ts';
import { ERRNO, errnoName } from '../abi/errno.ts';
import { nameOf } from '../abi/flags.ts';
import { checkArgs, checkPrivateName } from '../api/cargs.ts';
import { formatSockaddr, parseSockaddr } from '../api/sockaddr.ts';
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
import { failed, Unsupported } from '../api/syscalls.ts';
import {
  decodeEpollEvents,
  decodeFdSet,
  decodeItimerspec,
  decodeRevents,
  decodeSockaddr,
  decodeTimespec,
  decodeTimeval,
  EPOLL_EVENT,
  encodeAbstractAddress,
  encodeEpollEvent,
  encodeFdSet,
  encodeItimerspec,
  encodePollFds,
  encodeSockaddrIn,
  encodeSockaddrIn6,
  encodeTimespec,
  encodeTimeval,
  fdSetBytes,
  ITIMERSPEC,
  LINGER,
  RLIMIT,
  RLIMIT_NOFILE,
  SOCKADDR,
  SOCKADDR_STORAGE,
  SOCKADDR_UN,
} from './layout.ts';
import type { Outcome, SysArg } from './libc.ts';
import { callSync, libc, NR, sysAsync, sysSync } from './libc.ts';
import { loadNative } from './native.ts';

/** Linux: include/uapi/asm-generic/fcntl.h — O_TMPFILE is __O_TMPFILE | O_DIRECTORY. */
export const O_TMPFILE = 0o20000000 | 0o200000;

/** Linux: fs/eventpoll.c:EP_MAX_EVENTS (INT_MAX / sizeof(struct epoll_event)). */
const EP_MAX_EVENTS = Math.floor(0x7fffffff / EPOLL_EVENT.size);
/** The most events one epoll_wait buffer holds here; more ready at once is Unsupported. */
export const EPOLL_WAIT_BUFFER_EVENTS = 1 << 16;
/** The largest read buffer; a read that could fill it when more was asked is Unsupported. */
export const READ_BUFFER_MAX = 16 << 20;
/** Linux: fs/file.c sysctl_nr_open's ceiling; select never reads past the fd table's size. */
const NR_OPEN_MAX = 1 << 20;

/**
 * What keeps a script inside its own process on a shared host: the descriptors the runner's own
 * process uses (which the script may not touch), the prefix that makes its abstract names private,
 * and the record of which descriptors the script opened (for the leak check at the end).
 */
export interface Confinement {
  /** Descriptors the runner (Node) holds: any call naming one is Unsupported. */
  readonly reserved: ReadonlySet<number>;
  /** Prepended to every abstract name, never shown to the script. */
  readonly abstractPrefix: Buffer;
  /** Descriptors the script holds (0, 1, 2 from the start, then what its calls returned). */
  readonly open: Set<number>;
  /**
   * The thread ids of the script's threads, when the process has threads of the runner's too
   * (Node's): tgkill may name only these. Absent: any thread.
   */
  readonly threads?: ReadonlySet<number>;
  /**
   * The network namespace the script's calls run in, described ("a network namespace of its own,
   * made with unshare(CLONE_NEWNET) as root"), when it is the run's own with only loopback up:
   * then AF_INET and AF_INET6 sockets are allowed. Absent: the host's network, which a script
   * never reaches (internet sockets are Unsupported).
   */
  readonly network?: string;
}

/** No confinement: for in-process use (tests of this layer, benchmarks). */
export function unconfined(): Confinement {
  return { reserved: new Set(), abstractPrefix: Buffer.alloc(0), open: new Set() };
}

/**
 * Who makes a raw system call, and on which thread. `blocking` says whether the call can wait
 * (the in-process executor sends those to the threadpool).
 */
export interface Executor {
  run(nr: number, args: readonly SysArg[], blocking: boolean): Outcome | Promise<Outcome>;
}

/** In-process: a call that can block on the libuv threadpool, the others on this thread. */
export const inProcess: Executor = {
  run: (nr, args, blocking) => (blocking ? sysAsync(nr, args) : sysSync(nr, args)),
};

/** Linux: _NSIG / 8, the only sigsetsize the kernel takes on x86-64. */
const SIGSET_SIZE = 8;

/** A sigset_t for the kernel: 64 bits, signal n at bit n - 1 (null stays a NULL pointer). */
export function encodeSigset(set: readonly number[] | null): Buffer | null {
  if (set === null) return null;
  let bits = 0n;
  for (const sig of set) bits |= 1n << BigInt(sig - 1);
  const buf = Buffer.alloc(SIGSET_SIZE);
  buf.writeBigUInt64LE(bits, 0);
  return buf;
}

/** The signals in a kernel sigset_t, ascending. */
export function decodeSigset(buf: Buffer): number[] {
  const bits = buf.readBigUInt64LE(0);
  const out: number[] = [];
  for (let sig = 1; sig <= 64; sig++) if ((bits >> BigInt(sig - 1)) & 1n) out.push(sig);
  return out;
}

/** sigaction's handler as native/iomux.c's iomux_fill_sigaction takes it. */
const HANDLER_KIND = { SIG_DFL: 0, SIG_IGN: 1, catch: 2 } as const;

function fail(errno: number): { errno: Errno } {
  // A number the ABI table does not name comes back as "E<n>": still the kernel's answer.
  return { errno: errnoName(errno) as Errno };
}

/** Linux: NPROTO (AF_MAX), SOCK_MAX, IPPROTO_TCP, IPPROTO_UDP. */
const NPROTO = 46;
const SOCK_MAX = 11;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/**
 * Hygiene: the families a script may reach on this host. AF_UNIX; AF_UNSPEC and families out of
 * range, which __sock_create refuses (EAFNOSUPPORT) before anything exists; a TCP or UDP
 * socketpair, which inet_create makes and sock_no_socketpair refuses (EOPNOTSUPP) with nothing
 * bound or sent; and, when the run has a network namespace of its own (`Confinement.network`),
 * AF_INET and AF_INET6 sockets of every type and protocol: all they can reach is that namespace's
 * loopback (a raw socket needs CAP_NET_RAW, which root has, and sees only that loopback too).
 * Anything else (netlink, packet, an internet socket in the host's namespace) could reach the
 * host's network as root, and is refused as Unsupported, as the simulated kernel refuses what it
 * lacks.
 */
function harmlessFamily(
  domain: number,
  type: number,
  protocol: number,
  pair: boolean,
  ownNetwork: boolean,
): boolean {
  if (domain === AF.AF_UNIX || domain === AF.AF_UNSPEC || domain < 0 || domain >= NPROTO) return true;
  if (domain !== AF.AF_INET && domain !== AF.AF_INET6) return false;
  if (ownNetwork) return true;
  if (!pair) return false;
  const t = type & 0xf;
  if (t < 0 || t >= SOCK_MAX) return true;
  return (
    (t === 1 && (protocol === 0 || protocol === IPPROTO_TCP)) ||
    (t === 2 && (protocol === 0 || protocol === IPPROTO_UDP)) ||
    protocol < 0 ||
    protocol >= 263
  );
}

/**
 * Options whose value is neither an int nor a struct linger: outside the format (script-format.md,
 * v1.1), refused before the call, by level then name.
 */
const NOT_INT_OPTIONS: ReadonlyMap<number, ReadonlyMap<number, string>> = new Map<
  number,
  Map<number, string>
>([
  [
    SOL.SOL_SOCKET,
    new Map<number, string>([
      [SO.SO_PEERCRED, 'SO_PEERCRED (a struct ucred)'],
      [SO.SO_RCVTIMEO, 'SO_RCVTIMEO (a struct timeval)'],
      [SO.SO_SNDTIMEO, 'SO_SNDTIMEO (a struct timeval)'],
    ]),
  ],
  [IPPROTO.IPPROTO_TCP, new Map([[TCP_OPT.TCP_INFO, 'TCP_INFO (a struct tcp_info)']])],
]);

/** Whether (level, name) is SO_LINGER, whose value is a struct linger. */
function isLinger(level: number, name: number): boolean {
  return level === SOL.SOL_SOCKET && name === SO.SO_LINGER;
}

/**
 * The system calls, made in the calling process through koffi (the child's side of the backend),
 * within a `Confinement`.
 */
export class LinuxCalls implements Syscalls {
  private readonly c = libc();

  constructor(
    private readonly confine: Confinement = unconfined(),
    private readonly exec: Executor = inProcess,
  ) {}

  /** System call `nr` on this object's thread. */
  private async sys(nr: number, blocking: boolean, ...args: SysArg[]): Promise<Outcome> {
    return this.exec.run(nr, args, blocking);
  }

  // --- confinement -------------------------------------------------------------------------------

  private usable(call: string, fd: number): number {
    if (this.confine.reserved.has(fd)) {
      throw new Unsupported(call, `fd ${fd} belongs to the runner's own process (Node), not to the script`);
    }
    return fd;
  }

  /**
   * Record a descriptor the kernel allocated as the lowest free one at or above `from`. If one of
   * the runner's descriptors lies in [from, fd), the script's process (which has none of them)
   * would have been given a lower number: close it and refuse, rather than report a wrong number.
   */
  private allocated(call: string, fds: number[], from = 0): void {
    for (const fd of fds) {
      for (const r of this.confine.reserved) {
        if (r >= from && r < fd) {
          for (const f of fds) this.c.close(f);
          throw new Unsupported(call, `the script used every descriptor below the runner's own (fd ${r})`);
        }
      }
    }
    for (const fd of fds) this.confine.open.add(fd);
  }

  /**
   * The struct sockaddr an address string names (src/api/sockaddr.ts), and its addrlen. An abstract
   * name gets the run's private prefix; "" is an AF_UNIX address of sa_family alone (which bind
   * reads as "autobind": net/unix/af_unix.c:unix_bind); "AF_UNSPEC" is a zeroed struct sockaddr.
   * An internet address is harmless whatever the socket: only a socket made in the run's own
   * network namespace can reach one (`harmlessFamily`).
   */
  private address(call: string, address: string): { addr: Buffer; len: number } {
    const sa = parseSockaddr(call, address);
    switch (sa.family) {
      case AF.AF_UNSPEC:
        return { addr: Buffer.alloc(SOCKADDR.size), len: SOCKADDR.size };
      case AF.AF_INET: {
        const addr = encodeSockaddrIn(sa.addr, sa.port);
        return { addr, len: addr.length };
      }
      case AF.AF_INET6: {
        const addr = encodeSockaddrIn6(sa.addr, sa.port);
        return { addr, len: addr.length };
      }
      case AF.AF_UNIX: {
        if (sa.name === null) {
          const addr = Buffer.alloc(SOCKADDR_UN.size);
          addr.writeUInt16LE(AF.AF_UNIX, SOCKADDR_UN.family);
          return { addr, len: SOCKADDR_UN.path };
        }
        const name = Buffer.from(sa.name, 'latin1');
        checkPrivateName(call, name.length, this.confine.abstractPrefix.length);
        return encodeAbstractAddress(Buffer.concat([this.confine.abstractPrefix, name]));
      }
    }
  }

  /**
   * An address the kernel wrote, as the format writes it, or null for none (addrlen 0). The run's
   * private prefix comes off an abstract name; a name without it (an autobound one, five hex
   * digits the kernel picks from a global counter, net/unix/af_unix.c:unix_autobind) or a path
   * name differs between runs and backends, and is Unsupported.
   */
  private resultAddress(call: string, buf: Buffer, len: number): Address | null {
    const sa = decodeSockaddr(buf, Math.min(len, buf.length));
    switch (sa.family) {
      case 'none':
        return null;
      case 'inet':
        return formatSockaddr({ family: AF.AF_INET, addr: sa.addr, port: sa.port });
      case 'inet6':
        return formatSockaddr({ family: AF.AF_INET6, addr: sa.addr, port: sa.port });
      case 'unix': {
        if (sa.kind === 'unnamed') return '';
        if (sa.kind === 'path') throw new Unsupported(call, `a path name (${JSON.stringify(sa.path)})`);
        const prefix = this.confine.abstractPrefix;
        if (sa.name.length < prefix.length || !sa.name.subarray(0, prefix.length).equals(prefix))
          throw new Unsupported(call, 'an autobound abstract name (the kernel numbers them globally)');
        return `@${sa.name.subarray(prefix.length).toString('latin1')}`;
      }
      case 'other':
        throw new Unsupported(call, `an address of family ${sa.sa_family} (${sa.len} bytes)`);
    }
  }

  /** RLIMIT_NOFILE's soft limit now. */
  private nofile(): number {
    const rl = Buffer.alloc(RLIMIT.size);
    if (this.c.getrlimit(RLIMIT_NOFILE, rl) === -1)
      throw new Error(`getrlimit: ${errnoName(this.c.errno())}`);
    return Number(rl.readBigUInt64LE(RLIMIT.cur));
  }

  // --- descriptors -------------------------------------------------------------------------------

  private async pair(call: string, o: Outcome, buf: Buffer): Promise<SysResult<{ fds: [number, number] }>> {
    if (o.ret === -1) return fail(o.errno);
    const fds: [number, number] = [buf.readInt32LE(0), buf.readInt32LE(4)];
    this.allocated(call, fds);
    return { ret: o.ret, fds };
  }

  private one(call: string, o: Outcome, from = 0): SysResult {
    if (o.ret === -1) return fail(o.errno);
    this.allocated(call, [o.ret], from);
    return { ret: o.ret };
  }

  private plain(o: Outcome): SysResult {
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret };
  }

  async pipe(): Promise<SysResult<{ fds: [number, number] }>> {
    const buf = Buffer.alloc(8);
    return this.pair('pipe', await this.sys(NR.pipe, false, buf), buf);
  }

  async pipe2(flags: number): Promise<SysResult<{ fds: [number, number] }>> {
    checkArgs.pipe2(flags);
    const buf = Buffer.alloc(8);
    return this.pair('pipe2', await this.sys(NR.pipe2, false, buf, flags | 0), buf);
  }

  async socketpair(
    domain: number,
    type: number,
    protocol: number,
  ): Promise<SysResult<{ fds: [number, number] }>> {
    checkArgs.socketpair(domain, type, protocol);
    if (!harmlessFamily(domain, type, protocol, true, this.confine.network !== undefined))
      throw new Unsupported('socketpair', `domain ${nameOf(domain, AF)} (only AF_UNIX)`);
    const buf = Buffer.alloc(8);
    return this.pair(
      'socketpair',
      await this.sys(NR.socketpair, false, domain, type | 0, protocol, buf),
      buf,
    );
  }

  async socket(domain: number, type: number, protocol: number): Promise<SysResult> {
    checkArgs.socket(domain, type, protocol);
    if (!harmlessFamily(domain, type, protocol, false, this.confine.network !== undefined))
      throw new Unsupported(
        'socket',
        `domain ${nameOf(domain, AF)} (only AF_UNIX${
          domain === AF.AF_INET || domain === AF.AF_INET6
            ? ": internet sockets need a network namespace of the run's own, which this process could not make"
            : this.confine.network !== undefined
              ? ', AF_INET and AF_INET6'
              : ''
        })`,
      );
    return this.one('socket', await this.sys(NR.socket, false, domain, type | 0, protocol));
  }

  async bind(fd: number, address: string): Promise<SysResult> {
    checkArgs.bind(fd, address);
    const { addr, len } = this.address('bind', address);
    return this.plain(await this.sys(NR.bind, false, this.usable('bind', fd), addr, len));
  }

  async listen(fd: number, backlog: number): Promise<SysResult> {
    checkArgs.listen(fd, backlog);
    return this.plain(await this.sys(NR.listen, false, this.usable('listen', fd), backlog));
  }

  async connect(fd: number, address: string): Promise<SysResult> {
    checkArgs.connect(fd, address);
    const { addr, len } = this.address('connect', address);
    // A blocking stream connect waits while the listener's backlog is full.
    return this.plain(await this.sys(NR.connect, true, this.usable('connect', fd), addr, len));
  }

  async accept4(fd: number, flags: number): Promise<SysResult> {
    checkArgs.accept4(fd, flags);
    const f = flags | 0;
    return this.one('accept4', await this.sys(NR.accept4, true, this.usable('accept4', fd), null, null, f));
  }

  async shutdown(fd: number, how: number): Promise<SysResult> {
    checkArgs.shutdown(fd, how);
    return this.plain(await this.sys(NR.shutdown, false, this.usable('shutdown', fd), how));
  }

  /** getsockname and getpeername: a sockaddr_storage and its length, in and out. */
  private async name(
    call: 'getsockname' | 'getpeername',
    nr: number,
    fd: number,
  ): Promise<SysResult<{ address: Address }>> {
    const buf = Buffer.alloc(SOCKADDR_STORAGE);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(SOCKADDR_STORAGE, 0);
    const o = await this.sys(nr, false, this.usable(call, fd), buf, len);
    if (o.ret === -1) return fail(o.errno);
    // Both always write an address (an unnamed AF_UNIX socket's is sa_family alone).
    const address = this.resultAddress(call, buf, len.readUInt32LE(0));
    if (address === null) throw new Unsupported(call, 'the kernel wrote no address');
    return { ret: o.ret, address };
  }

  async getsockname(fd: number): Promise<SysResult<{ address: Address }>> {
    checkArgs.getsockname(fd);
    return this.name('getsockname', NR.getsockname, fd);
  }

  async getpeername(fd: number): Promise<SysResult<{ address: Address }>> {
    checkArgs.getpeername(fd);
    return this.name('getpeername', NR.getpeername, fd);
  }

  /**
   * getsockopt with the optlen of the option's C type: a struct linger for SO_LINGER, an int for
   * the rest (an option the kernel answers with another length is Unsupported: not an int).
   * SO_ERROR's int is an errno, written as its name.
   */
  async getsockopt(fd: number, level: number, name: number): Promise<SysResult<{ value: SockoptValue }>> {
    checkArgs.getsockopt(fd, level, name);
    const notInt = NOT_INT_OPTIONS.get(level)?.get(name);
    if (notInt !== undefined) throw new Unsupported('getsockopt', `option ${notInt}: not an int`);
    const size = isLinger(level, name) ? LINGER.size : 4;
    // Room beyond optlen, though the kernel writes at most optlen bytes.
    const buf = Buffer.alloc(64);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(size, 0);
    const o = await this.sys(NR.getsockopt, false, this.usable('getsockopt', fd), level, name, buf, len);
    if (o.ret === -1) return fail(o.errno);
    const got = len.readUInt32LE(0);
    if (got !== size)
      throw new Unsupported(
        'getsockopt',
        `level ${level} option ${name}: a value of ${got} bytes, not ${size}`,
      );
    if (size === LINGER.size)
      return {
        ret: o.ret,
        value: { onoff: buf.readInt32LE(LINGER.onoff), linger: buf.readInt32LE(LINGER.linger) },
      };
    const v = buf.readInt32LE(0);
    if (level === SOL.SOL_SOCKET && name === SO.SO_ERROR)
      return { ret: o.ret, value: v === 0 ? 0 : (errnoName(v) as Errno) };
    return { ret: o.ret, value: v };
  }

  /** setsockopt with an int (optlen 4) or a struct linger (optlen 8), as given. */
  async setsockopt(fd: number, level: number, name: number, value: number | Linger): Promise<SysResult> {
    checkArgs.setsockopt(fd, level, name, value);
    let buf: Buffer;
    if (typeof value === 'number') {
      buf = Buffer.alloc(4);
      buf.writeInt32LE(value | 0, 0);
    } else {
      buf = Buffer.alloc(LINGER.size);
      buf.writeInt32LE(value.onoff | 0, LINGER.onoff);
      buf.writeInt32LE(value.linger | 0, LINGER.linger);
    }
    const n = this.usable('setsockopt', fd);
    return this.plain(await this.sys(NR.setsockopt, false, n, level, name, buf, buf.length));
  }

  async send(fd: number, data: Uint8Array, flags: number): Promise<SysResult> {
    checkArgs.send(fd, data, flags);
    return this.sendmsg('send', fd, data, flags, null);
  }

  async sendto(fd: number, data: Uint8Array, flags: number, address: Address | null): Promise<SysResult> {
    checkArgs.sendto(fd, data, flags, address);
    return this.sendmsg('sendto', fd, data, flags, address);
  }

  /** send(2) is sendto(2) with no address (Linux: net/socket.c:__sys_sendto for both). */
  private async sendmsg(
    call: 'send' | 'sendto',
    fd: number,
    data: Uint8Array,
    flags: number,
    address: Address | null,
  ): Promise<SysResult> {
    const to = address === null ? null : this.address(call, address);
    // A copy the caller cannot change while a thread is in the call (it may block).
    const buf = Buffer.from(data);
    const o = await this.sys(
      NR.sendto,
      true,
      this.usable(call, fd),
      buf.length ? buf : null,
      buf.length,
      flags | 0,
      to?.addr ?? null,
      to?.len ?? 0,
    );
    return this.plain(o);
  }

  async recv(fd: number, count: number, flags: number): Promise<SysResult<{ data: Uint8Array }>> {
    checkArgs.recv(fd, count, flags);
    const r = await this.recvmsg('recv', fd, count, flags, false);
    if (failed(r)) return r;
    return { ret: r.ret, data: r.data };
  }

  async recvfrom(
    fd: number,
    count: number,
    flags: number,
  ): Promise<SysResult<{ data: Uint8Array; address: Address | null }>> {
    checkArgs.recvfrom(fd, count, flags);
    return this.recvmsg('recvfrom', fd, count, flags, true);
  }

  /**
   * recv(2) and recvfrom(2), both __sys_recvfrom in Linux. `data` is what the kernel copied: the
   * first min(ret, count) bytes, for a datagram cut short by MSG_TRUNC too (ret is then its whole
   * length); a TCP socket given MSG_TRUNC discards the bytes and copies none
   * (net/ipv4/tcp.c:tcp_recvmsg_locked), so there `data` is empty. The buffer is at most
   * READ_BUFFER_MAX, as read's; a call that could have filled more is Unsupported.
   */
  private async recvmsg(
    call: 'recv' | 'recvfrom',
    fd: number,
    count: number,
    flags: number,
    withAddress: boolean,
  ): Promise<SysResult<{ data: Uint8Array; address: Address | null }>> {
    const n = this.usable(call, fd);
    const asked = Math.min(count, MAX_RW_COUNT);
    const size = Math.min(asked, READ_BUFFER_MAX);
    const buf = Buffer.alloc(Math.max(1, size));
    const from = withAddress ? Buffer.alloc(SOCKADDR_STORAGE) : null;
    const fromLen = withAddress ? Buffer.alloc(4) : null;
    fromLen?.writeUInt32LE(SOCKADDR_STORAGE, 0);
    const o = await this.sys(NR.recvfrom, true, n, buf, size, flags | 0, from, fromLen);
    if (o.ret === -1) return fail(o.errno);
    if (o.ret >= size && asked > size)
      throw new Unsupported(call, `count ${count}: ${size} bytes or more ready at once`);
    let copied = Math.min(o.ret, size);
    if ((flags & MSG.MSG_TRUNC) !== 0 && copied > 0 && (await this.isTcp(n))) copied = 0;
    const data = new Uint8Array(buf.subarray(0, copied));
    const address = from && fromLen ? this.resultAddress(call, from, fromLen.readUInt32LE(0)) : null;
    return { ret: o.ret, data, address };
  }

  /** Whether fd is a TCP socket (SO_PROTOCOL), for MSG_TRUNC's copy rule. */
  private async isTcp(fd: number): Promise<boolean> {
    const buf = Buffer.alloc(4);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(4, 0);
    const o = await this.sys(NR.getsockopt, false, fd, SOL.SOL_SOCKET, SO.SO_PROTOCOL, buf, len);
    return o.ret === 0 && buf.readInt32LE(0) === IPPROTO.IPPROTO_TCP;
  }

  /** An ioctl that stores an int: SIOCOUTQ, SIOCATMARK. */
  private async intIoctl(call: string, fd: number, request: number): Promise<SysResult> {
    const out = Buffer.alloc(4);
    const o = await this.sys(NR.ioctl, false, this.usable(call, fd), request, out);
    return o.ret === -1 ? fail(o.errno) : { ret: out.readInt32LE(0) };
  }

  async ioctl_siocoutq(fd: number): Promise<SysResult> {
    checkArgs.ioctl_siocoutq(fd);
    return this.intIoctl('ioctl', fd, SIOCOUTQ);
  }

  async ioctl_siocatmark(fd: number): Promise<SysResult> {
    checkArgs.ioctl_siocatmark(fd);
    return this.intIoctl('ioctl', fd, SIOCATMARK);
  }

  async eventfd(initval: number, flags: number): Promise<SysResult> {
    checkArgs.eventfd(initval, flags);
    const v = initval >>> 0;
    return this.one('eventfd', await this.sys(NR.eventfd2, false, v, flags | 0));
  }

  async open(path: string, flags: number): Promise<SysResult> {
    checkArgs.open(path, flags);
    // What the kernel would ignore is not passed on (Linux: build_open_how), so a bit a later
    // kernel gives a meaning never reaches the host's /dev/null.
    const f = flags & VALID_OPEN_FLAGS;
    if (path === '/dev/null') return this.one('open', await this.sys(NR.open, false, '/dev/null', f, 0));
    if (path === 'tmpfile') return this.openTmpfile(f);
    // Hygiene: the script reaches no host file but /dev/null and its own unlinked tmpfiles.
    throw new Unsupported('open', `path ${JSON.stringify(path)} (only "/dev/null" and "tmpfile")`);
  }

  /**
   * The format's "tmpfile": a fresh regular file, created, opened with the script's flags, and
   * unlinked. It is made nameless from the start with O_TMPFILE (so no other process can see it),
   * then reopened through /proc/self/fd with the script's own flags (O_TMPFILE itself refuses
   * O_RDONLY), and the reopened file is moved onto the first descriptor, so the number is the one a
   * single open would have returned.
   */
  private openTmpfile(flags: number): SysResult {
    let first = callSync(this.c.open, '/tmp', O_TMPFILE | O.O_RDWR, 0o600);
    if (first.ret === -1 && (first.errno === ERRNO.EOPNOTSUPP || first.errno === ERRNO.EISDIR)) {
      // A /tmp without O_TMPFILE support: a name no one can guess, unlinked at once.
      const path = `/tmp/iomux-${randomBytes(12).toString('hex')}`;
      first = callSync(this.c.open, path, O.O_RDWR | O.O_CREAT | O_EXCL, 0o600);
      if (first.ret !== -1) unlinkSync(path);
    }
    if (first.ret === -1) throw new Error(`tmpfile: open in /tmp: ${errnoName(first.errno)}`);
    // O_CREAT and O_EXCL were for the creation, which has happened; the rest applies to the open.
    const reopenFlags = flags & ~(O.O_CREAT | O_EXCL | O.O_CLOEXEC);
    const second = callSync(this.c.open, `/proc/self/fd/${first.ret}`, reopenFlags, 0);
    if (second.ret === -1) {
      this.c.close(first.ret);
      return fail(second.errno);
    }
    const moved = callSync(this.c.dup3, second.ret, first.ret, flags & O.O_CLOEXEC);
    this.c.close(second.ret);
    if (moved.ret === -1) {
      this.c.close(first.ret);
      throw new Error(`tmpfile: dup3: ${errnoName(moved.errno)}`);
    }
    return this.one('open', { ret: first.ret, errno: 0 });
  }

  async read(fd: number, count: number): Promise<SysResult<{ data: Uint8Array }>> {
    checkArgs.read(fd, count);
    // Linux: vfs_read reads at most MAX_RW_COUNT; we pass at most our buffer's size, which differs
    // only when the read fills it, and that case is refused after the call.
    const asked = Math.min(count, MAX_RW_COUNT);
    const size = Math.min(asked, READ_BUFFER_MAX);
    const buf = Buffer.alloc(Math.max(1, size));
    const o = await this.sys(NR.read, true, this.usable('read', fd), buf, size);
    if (o.ret === -1) return fail(o.errno);
    if (o.ret === size && asked > size)
      throw new Unsupported('read', `count ${count}: ${size} bytes or more ready at once`);
    return { ret: o.ret, data: new Uint8Array(buf.subarray(0, o.ret)) };
  }

  async write(fd: number, data: Uint8Array): Promise<SysResult> {
    checkArgs.write(fd, data);
    // A copy the caller cannot change while a threadpool thread is in write(2).
    const buf = Buffer.from(data);
    return this.plain(
      await this.sys(NR.write, true, this.usable('write', fd), buf.length ? buf : null, buf.length),
    );
  }

  async close(fd: number): Promise<SysResult> {
    checkArgs.close(fd);
    const n = this.usable('close', fd);
    const o = await this.sys(NR.close, false, n);
    // Linux: close releases the descriptor even when it returns an error other than EBADF.
    this.confine.open.delete(n);
    return this.plain(o);
  }

  async dup(fd: number): Promise<SysResult> {
    checkArgs.dup(fd);
    return this.one('dup', await this.sys(NR.dup, false, this.usable('dup', fd)));
  }

  async dup2(oldfd: number, newfd: number): Promise<SysResult> {
    checkArgs.dup2(oldfd, newfd);
    const o = await this.sys(NR.dup2, false, this.usable('dup2', oldfd), this.newfd('dup2', oldfd, newfd));
    if (o.ret !== -1) this.confine.open.add(o.ret);
    return this.plain(o);
  }

  async dup3(oldfd: number, newfd: number, flags: number): Promise<SysResult> {
    checkArgs.dup3(oldfd, newfd, flags);
    const o = await this.sys(
      NR.dup3,
      false,
      this.usable('dup3', oldfd),
      this.newfd('dup3', oldfd, newfd),
      flags | 0,
    );
    if (o.ret !== -1) this.confine.open.add(o.ret);
    return this.plain(o);
  }

  /**
   * dup2/dup3's newfd. Linux: ksys_dup3 fails a newfd at or above RLIMIT_NOFILE with EBADF before
   * it looks at the slot, so one of the runner's descriptors there is no matter: the kernel's
   * answer is the script's.
   */
  private newfd(call: string, oldfd: number, newfd: number): number {
    if (newfd !== oldfd && this.confine.reserved.has(newfd) && newfd >= this.nofile()) return newfd;
    return this.usable(call, newfd);
  }

  async fcntl(fd: number, cmd: number, arg: number): Promise<SysResult> {
    checkArgs.fcntl(fd, cmd, arg);
    const n = this.usable('fcntl', fd);
    // As an int argument reaches it: the kernel's argi = (int)arg.
    const argi = arg | 0;
    // Only the commands whose third argument is an integer: a pointer command given an integer
    // would let the kernel read or write an arbitrary address of this process.
    switch (cmd) {
      case F.F_DUPFD:
      case F.F_DUPFD_CLOEXEC: {
        return this.one('fcntl', await this.sys(NR.fcntl, false, n, cmd, argi), argi);
      }
      case F.F_GETFD:
      case F.F_SETFD:
      case F.F_GETFL:
      case F.F_SETFL:
      case F.F_SETPIPE_SZ:
      case F.F_GETPIPE_SZ:
        return this.plain(await this.sys(NR.fcntl, false, n, cmd, argi));
      default:
        throw new Unsupported('fcntl', `command ${nameOf(cmd, F_UNMODELLED)}`);
    }
  }

  async ioctl_fionread(fd: number): Promise<SysResult> {
    checkArgs.ioctl_fionread(fd);
    const out = Buffer.alloc(4);
    const o = await this.sys(NR.ioctl, false, this.usable('ioctl', fd), FIONREAD, out);
    return o.ret === -1 ? fail(o.errno) : { ret: out.readInt32LE(0) };
  }

  async epoll_create(size: number): Promise<SysResult> {
    checkArgs.epoll_create(size);
    return this.one('epoll_create', await this.sys(NR.epoll_create, false, size));
  }

  async epoll_create1(flags: number): Promise<SysResult> {
    checkArgs.epoll_create1(flags);
    return this.one('epoll_create1', await this.sys(NR.epoll_create1, false, flags | 0));
  }

  async epoll_ctl(epfd: number, op: number, fd: number, event: EpollEvent | null): Promise<SysResult> {
    checkArgs.epoll_ctl(epfd, op, fd, event);
    const ev = event === null ? null : encodeEpollEvent(event);
    const o = await this.sys(
      NR.epoll_ctl,
      false,
      this.usable('epoll_ctl', epfd),
      op,
      this.usable('epoll_ctl', fd),
      ev,
    );
    return this.plain(o);
  }

  /**
   * The events buffer for `maxevents`. Linux rejects maxevents <= 0 or > EP_MAX_EVENTS before it
   * touches the buffer (fs/eventpoll.c:do_epoll_wait), so those pass as given with a small one; a
   * valid count above our buffer passes as the buffer's size, which differs only when more events
   * than that are ready, and that case is refused after the call.
   */
  private eventsBuffer(maxevents: number): { buf: Buffer; max: number } {
    const m = maxevents | 0;
    if (m <= 0 || m > EP_MAX_EVENTS) return { buf: Buffer.alloc(EPOLL_EVENT.size), max: m };
    const max = Math.min(m, EPOLL_WAIT_BUFFER_EVENTS);
    return { buf: Buffer.alloc(max * EPOLL_EVENT.size), max };
  }

  private events(
    call: string,
    o: Outcome,
    buf: Buffer,
    max: number,
    asked: number,
  ): SysResult<{ events: EpollEvent[] }> {
    if (o.ret === -1) return fail(o.errno);
    if (o.ret === max && asked > max) throw new Unsupported(call, `more than ${max} events ready at once`);
    return { ret: o.ret, events: decodeEpollEvents(buf, o.ret) };
  }

  async epoll_wait(
    epfd: number,
    maxevents: number,
    timeout: number,
  ): Promise<SysResult<{ events: EpollEvent[] }>> {
    checkArgs.epoll_wait(epfd, maxevents, timeout);
    const { buf, max } = this.eventsBuffer(maxevents);
    const o = await this.sys(NR.epoll_wait, true, this.usable('epoll_wait', epfd), buf, max, timeout);
    return this.events('epoll_wait', o, buf, max, maxevents);
  }

  async epoll_pwait2(
    epfd: number,
    maxevents: number,
    timeout: Timespec | null,
    sigmask: Sigset | null = null,
  ): Promise<SysResult<{ events: EpollEvent[] }>> {
    checkArgs.epoll_pwait2(epfd, maxevents, timeout, sigmask);
    const { buf, max } = this.eventsBuffer(maxevents);
    const ts = timeout === null ? null : encodeTimespec(timeout);
    const set = encodeSigset(sigmask);
    const fd = this.usable('epoll_pwait2', epfd);
    const o = await this.sys(NR.epoll_pwait2, true, fd, buf, max, ts, set, SIGSET_SIZE);
    return this.events('epoll_pwait2', o, buf, max, maxevents);
  }

  async epoll_pwait(
    epfd: number,
    maxevents: number,
    timeout: number,
    sigmask: Sigset | null,
  ): Promise<SysResult<{ events: EpollEvent[] }>> {
    checkArgs.epoll_pwait(epfd, maxevents, timeout, sigmask);
    const { buf, max } = this.eventsBuffer(maxevents);
    const set = encodeSigset(sigmask);
    const fd = this.usable('epoll_pwait', epfd);
    const o = await this.sys(NR.epoll_pwait, true, fd, buf, max, timeout, set, SIGSET_SIZE);
    return this.events('epoll_pwait', o, buf, max, maxevents);
  }

  async poll(fds: readonly PollFd[], timeout: number): Promise<SysResult<{ revents: number[] }>> {
    checkArgs.poll(fds, timeout);
    // Linux: do_sys_poll refuses nfds above RLIMIT_NOFILE before it reads an entry; only a list
    // the kernel will read may not name the runner's descriptors.
    if (this.confine.reserved.size > 0 && fds.length <= this.nofile())
      for (const p of fds) this.usable('poll', p.fd);
    const buf = encodePollFds(fds);
    const o = await this.sys(NR.poll, true, buf, fds.length, timeout);
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret, revents: decodeRevents(buf, fds.length) };
  }

  async ppoll(
    fds: readonly PollFd[],
    timeout: Timespec | null,
    sigmask: Sigset | null,
  ): Promise<SysResult<{ revents: number[] }>> {
    checkArgs.ppoll(fds, timeout, sigmask);
    if (this.confine.reserved.size > 0 && fds.length <= this.nofile())
      for (const p of fds) this.usable('ppoll', p.fd);
    const buf = encodePollFds(fds);
    const ts = timeout === null ? null : encodeTimespec(timeout);
    const set = encodeSigset(sigmask);
    const o = await this.sys(NR.ppoll, true, buf, fds.length, ts, set, SIGSET_SIZE);
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret, revents: decodeRevents(buf, fds.length) };
  }

  /** select's and pselect6's bitmaps (see `select`). */
  private fdSets(
    call: string,
    nfds: number,
    given: readonly (readonly number[] | null)[],
  ): (Buffer | null)[] {
    let top = 0;
    for (const set of given) {
      for (const fd of set ?? []) {
        this.usable(call, fd);
        top = Math.max(top, fd + 1);
      }
    }
    const bytes = Math.max(fdSetBytes(Math.min(Math.max(nfds, 0), NR_OPEN_MAX)), fdSetBytes(top));
    return given.map((s) => (s === null ? null : encodeFdSet(s, bytes)));
  }

  /**
   * select through the raw system call. Each bitmap covers both what the kernel reads, the
   * FDS_BYTES of nfds capped at the fd table's size (fs/select.c:core_sys_select caps n at
   * fdt->max_fds), and every bit the caller set, so the bits the kernel leaves alone come back as
   * they went in.
   */
  async select(...args: SelectArgs): Promise<SysResult<SelectResult>> {
    const [nfds, readfds, writefds, exceptfds, timeout] = args;
    checkArgs.select(...args);
    const sets = this.fdSets('select', nfds, [readfds, writefds, exceptfds]);
    const tv = timeout === null ? null : encodeTimeval(timeout);
    const o = await this.sys(NR.select, true, nfds, sets[0], sets[1], sets[2], tv);
    if (o.ret === -1) return fail(o.errno);
    const out = sets.map((s) => (s === null ? null : decodeFdSet(s)));
    return {
      ret: o.ret,
      readfds: out[0],
      writefds: out[1],
      exceptfds: out[2],
      timeout: tv === null ? null : decodeTimeval(tv),
    };
  }

  /** pselect6 through the raw system call: select's bitmaps, a timespec, and the sigmask. */
  async pselect6(...args: Pselect6Args): Promise<SysResult<Pselect6Result>> {
    const [nfds, readfds, writefds, exceptfds, timeout, sigmask] = args;
    checkArgs.pselect6(...args);
    const sets = this.fdSets('pselect6', nfds, [readfds, writefds, exceptfds]);
    const ts = timeout === null ? null : encodeTimespec(timeout);
    // The sixth argument points at { const sigset_t *ss; size_t ss_len; } (fs/select.c:
    // get_sigset_argpack): the pointer inside is written by the helper library, which knows it.
    const set = encodeSigset(sigmask);
    const sig6 = Buffer.alloc(16);
    loadNative().fillSig6(sig6, set);
    const o = await this.sys(NR.pselect6, true, nfds, sets[0], sets[1], sets[2], ts, sig6);
    void set; // referenced until the call has returned
    if (o.ret === -1) return fail(o.errno);
    const out = sets.map((s) => (s === null ? null : decodeFdSet(s)));
    return {
      ret: o.ret,
      readfds: out[0],
      writefds: out[1],
      exceptfds: out[2],
      timeout: ts === null ? null : decodeTimespec(ts),
    };
  }

  async timerfd_create(clockid: number, flags: number): Promise<SysResult> {
    checkArgs.timerfd_create(clockid, flags);
    return this.one('timerfd_create', await this.sys(NR.timerfd_create, false, clockid, flags | 0));
  }

  async timerfd_settime(
    fd: number,
    flags: number,
    value: Itimerspec,
  ): Promise<SysResult<{ old: Itimerspec }>> {
    checkArgs.timerfd_settime(fd, flags, value);
    const old = Buffer.alloc(ITIMERSPEC.size);
    const f = flags | 0;
    const o = await this.sys(
      NR.timerfd_settime,
      false,
      this.usable('timerfd_settime', fd),
      f,
      encodeItimerspec(value),
      old,
    );
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret, old: decodeItimerspec(old) };
  }

  async timerfd_gettime(fd: number): Promise<SysResult<{ value: Itimerspec }>> {
    checkArgs.timerfd_gettime(fd);
    const cur = Buffer.alloc(ITIMERSPEC.size);
    const o = await this.sys(NR.timerfd_gettime, false, this.usable('timerfd_gettime', fd), cur);
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret, value: decodeItimerspec(cur) };
  }

  async sleep(ms: number): Promise<SysResult> {
    checkArgs.sleep(ms);
    const sec = Math.floor(ms / 1000);
    const req = encodeTimespec({ sec, nsec: (ms - sec * 1000) * 1e6 });
    return this.plain(await this.sys(NR.nanosleep, true, req, null));
  }

  // ---- signals -------------------------------------------------------------------------------

  async sigaction(sig: number, handler: SigHandler, flags: number, mask: Sigset): Promise<SysResult> {
    checkArgs.sigaction(sig, handler, flags, mask);
    // The kernel's struct sigaction, filled by the helper library: its handler and restorer are
    // addresses there (rt_sigaction itself, not glibc's sigaction, which refuses 32 and 33).
    const ksa = Buffer.alloc(32);
    const bits = (encodeSigset(mask) as Buffer).readBigUInt64LE(0);
    loadNative().fillSigaction(ksa, HANDLER_KIND[handler], flags >>> 0, bits);
    return this.plain(await this.sys(NR.rt_sigaction, false, sig, ksa, null, SIGSET_SIZE));
  }

  async sigprocmask(how: number, set: Sigset | null): Promise<SysResult<{ old: number[] }>> {
    checkArgs.sigprocmask(how, set);
    const old = Buffer.alloc(SIGSET_SIZE);
    const o = await this.sys(NR.rt_sigprocmask, false, how, encodeSigset(set), old, SIGSET_SIZE);
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret, old: decodeSigset(old) };
  }

  async sigpending(): Promise<SysResult<{ set: number[] }>> {
    checkArgs.sigpending();
    const set = Buffer.alloc(SIGSET_SIZE);
    const o = await this.sys(NR.rt_sigpending, false, set, SIGSET_SIZE);
    return o.ret === -1 ? fail(o.errno) : { ret: o.ret, set: decodeSigset(set) };
  }

  async kill(sig: number): Promise<SysResult> {
    checkArgs.kill(sig);
    return this.plain(await this.sys(NR.kill, false, process.pid, sig));
  }

  async tgkill(tid: number, sig: number): Promise<SysResult> {
    checkArgs.tgkill(tid, sig);
    // A thread of the runner's (Node's) blocks every signal: one sent there would stay pending
    // for good, and no script can name one.
    const threads = this.confine.threads;
    if (threads !== undefined && tid > 0 && !threads.has(tid) && existsSync(`/proc/self/task/${tid}`))
      throw new Unsupported(
        'tgkill',
        `thread ${tid} belongs to the runner's own process (Node), not to the script`,
      );
    return this.plain(await this.sys(NR.tgkill, false, process.pid, tid, sig));
  }

  async gettid(): Promise<SysResult> {
    checkArgs.gettid();
    return this.plain(await this.sys(NR.gettid, false));
  }

  async signalfd(fd: number, mask: Sigset | null, flags: number): Promise<SysResult> {
    checkArgs.signalfd(fd, mask, flags);
    // Linux: fs/signalfd.c:do_signalfd4 makes a new file for fd -1, else updates fd's mask.
    const f = flags | 0;
    const set = encodeSigset(mask);
    if (fd === -1) return this.one('signalfd', await this.sys(NR.signalfd4, false, -1, set, SIGSET_SIZE, f));
    return this.plain(await this.sys(NR.signalfd4, false, this.usable('signalfd', fd), set, SIGSET_SIZE, f));
  }
}
