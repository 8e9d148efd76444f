// The socket system calls (Linux: net/socket.c's __sys_* entry points): they decode what is
// generic — the descriptor (EBADF, ENOTSOCK), the SOCK_NONBLOCK/SOCK_CLOEXEC bits of `type`,
// descriptor reservation (EMFILE), the address as the API writes it — and call the socket's
// proto_ops (./socket.ts) for the rest. Not Linux: a separate module, as gVisor keeps its
// sys_socket.go apart from the socket objects.

import { MAX_RW_COUNT, MSG, SOCK, SOCK_TYPE_MASK, SOL, SOMAXCONN } from '../../abi/constants.ts';
import { formatSockaddr, parseSockaddr } from '../../api/sockaddr.ts';
import type { Failure, Linger, SockoptValue, SysResult } from '../../api/syscalls.ts';
import { ERRNO, errWhy, failWhy, toResult } from '../errors.ts';
import { type File, fput } from '../file.ts';
import { fdget, installFd, readBuffer, withFile } from '../fs.ts';
import type { Kernel } from '../kernel.ts';
import {
  continueAfterSleep,
  holdAcrossSleep,
  type MaySleep,
  mustSleep,
  type SysGen,
  type Thread,
} from '../sched.ts';
import {
  type Msghdr,
  type Sockaddr,
  Socket,
  sockAllocFile,
  sockCreate,
  sockFromFile,
  sockfdLookupLight,
  sockRelease,
} from './socket.ts';
import { sockGetsockopt, sockSetsockopt } from './sockopt.ts';

const { EINVAL, EMFILE, EOPNOTSUPP } = ERRNO;

/** Linux: the flags check of __sys_socket_create and __sys_socketpair — the type and its flags, or −errno. */
function splitType(type: number): { type: number; flags: number } | number {
  const flags = type & ~SOCK_TYPE_MASK;
  if ((flags & ~(SOCK.SOCK_CLOEXEC | SOCK.SOCK_NONBLOCK)) !== 0) return -EINVAL;
  return { type: type & SOCK_TYPE_MASK, flags };
}

/** Linux: __sys_socket. */
export function sys_socket(t: Thread, domain: number, type: number, protocol: number): SysResult {
  const k = t.k;
  const split = splitType(type);
  if (typeof split === 'number') return toResult(split);
  const sock = sockCreate(k, 'socket', domain, split.type, protocol);
  if (typeof sock === 'number') return toResult(sock);
  // Linux: sock_map_fd — the descriptor comes after the socket; EMFILE releases it.
  const file = sockAllocFile(k, sock, split.flags);
  return toResult(installFd(k, t, file, (split.flags & SOCK.SOCK_CLOEXEC) !== 0));
}

/** Linux: __sys_socketpair. */
export function sys_socketpair(
  t: Thread,
  domain: number,
  type: number,
  protocol: number,
): SysResult<{ fds: [number, number] }> {
  const k = t.k;
  const split = splitType(type);
  if (typeof split === 'number') return toResult(split) as SysResult<{ fds: [number, number] }>;
  // Linux: both descriptors are reserved before any socket is created: EMFILE comes first,
  // and a failure gives them back.
  const table = t.proc.fdtable;
  const cloexec = (split.flags & SOCK.SOCK_CLOEXEC) !== 0;
  const fd1 = table.reserve(cloexec);
  if (fd1 < 0) return failWhy(k, 'EMFILE', 'get_unused_fd_flags', 'no free fd below RLIMIT_NOFILE');
  const fd2 = table.reserve(cloexec);
  if (fd2 < 0) {
    table.unreserve(fd1);
    return failWhy(
      k,
      'EMFILE',
      'get_unused_fd_flags',
      'no free fd below RLIMIT_NOFILE for the second socket',
    );
  }
  const giveBack = (): void => {
    table.unreserve(fd2);
    table.unreserve(fd1);
  };
  let pair: [Socket, Socket] | number;
  try {
    pair = sockCreatePair(k, domain, split.type, protocol);
  } catch (e) {
    // Not Linux: a family the model lacks throws Unsupported; its fds go back all the same.
    giveBack();
    throw e;
  }
  if (typeof pair === 'number') {
    giveBack();
    return toResult(pair) as SysResult<{ fds: [number, number] }>;
  }
  table.installReserved(fd1, sockAllocFile(k, pair[0], split.flags));
  table.installReserved(fd2, sockAllocFile(k, pair[1], split.flags));
  return { ret: 0, fds: [fd1, fd2] };
}

/** Linux: __sys_socketpair's two sock_create calls and ops->socketpair; a failure releases what was made. */
function sockCreatePair(
  k: Kernel,
  domain: number,
  type: number,
  protocol: number,
): [Socket, Socket] | number {
  const a = sockCreate(k, 'socketpair', domain, type, protocol);
  if (typeof a === 'number') return a;
  const b = sockCreate(k, 'socketpair', domain, type, protocol);
  if (typeof b === 'number') {
    sockRelease(k, a);
    return b;
  }
  const err = a.ops.socketpair(a, b);
  if (err < 0) {
    sockRelease(k, a);
    sockRelease(k, b);
    // Linux: sock_no_socketpair is the only ops->socketpair that fails (TCP, UDP).
    return errWhy(k, err, 'sock_no_socketpair', 'this protocol does not make socket pairs');
  }
  return [a, b];
}

// ---- addresses, connections, shutdown ----

/** Linux: move_addr_to_kernel — the API's address as a sockaddr (src/api/sockaddr.ts). */
const moveAddrToKernel = parseSockaddr;

/** Linux: __sys_bind. */
export function sys_bind(t: Thread, fd: number, address: string): SysResult {
  const sock = sockfdLookupLight(t, fd);
  if (typeof sock === 'number') return toResult(sock);
  return toResult(sock.ops.bind(t.k, sock, moveAddrToKernel('bind', address)));
}

/** Linux: __sys_listen. */
export function sys_listen(t: Thread, fd: number, backlog: number): SysResult {
  const sock = sockfdLookupLight(t, fd);
  if (typeof sock === 'number') return toResult(sock);
  // Linux: (unsigned) backlog > somaxconn → somaxconn.
  if (backlog >>> 0 > SOMAXCONN) backlog = SOMAXCONN;
  return toResult(sock.ops.listen(t.k, sock, backlog));
}

/**
 * Linux: __sys_connect → __sys_connect_file → ops->connect. May block (a full backlog). The
 * address is decoded before the call starts, so an unmodelled one throws Unsupported at once.
 */
export function sys_connect(t: Thread, fd: number, address: string): MaySleep<SysResult> {
  const addr = moveAddrToKernel('connect', address);
  return withFile(t, fd, 'fdget', connectFile, { fd, addr });
}

/** Linux: __sys_connect_file — ops->connect, holding the file (fdget) until it returns. */
function connectFile(
  t: Thread,
  file: File,
  { fd, addr }: { fd: number; addr: Sockaddr },
): MaySleep<SysResult> {
  const sock = sockFromFile(file);
  if (!sock) return failWhy(t.k, 'ENOTSOCK', 'sock_from_file', '{file} is not a socket', file.id, fd);
  const r = sock.ops.connect(t, sock, addr, file.nonblock);
  return mustSleep(r) ? resultAfterSleep(r) : toResult(r);
}

function* resultAfterSleep(r: SysGen<number>): SysGen<SysResult> {
  return toResult(yield* r);
}

/**
 * What accept4 holds across its sleep: the listener's file (fdget … fdput) and the descriptor
 * it reserved (get_unused_fd_flags … put_unused_fd), -1 once installed or before it is taken.
 */
interface AcceptHold {
  readonly file: File;
  newfd: number;
}

/** Linux: fdput, and put_unused_fd of a reserved descriptor not installed (a failed accept). */
function acceptRelease(t: Thread, h: AcceptHold): void {
  if (h.newfd >= 0) t.proc.fdtable.unreserve(h.newfd);
  fput(t.k, h.file);
}

/**
 * Linux: __sys_accept4 → __sys_accept4_file → do_accept → ops->accept. Blocks unless the
 * listener's file is O_NONBLOCK (the accept4 flags only set the new file's flags). The new
 * descriptor is reserved before waiting (get_unused_fd_flags), so a descriptor another thread
 * opens meanwhile gets the next number; it is installed on success and given back on failure.
 */
export function sys_accept4(t: Thread, fd: number, flags: number): MaySleep<SysResult> {
  const file = fdget(t, fd);
  if (!file) return failWhy(t.k, 'EBADF', 'fdget', 'fd {fd} is not open', undefined, fd);
  return holdAcrossSleep(t, { file, newfd: -1 }, acceptRelease, accept4File, { fd, flags });
}

/** Linux: __sys_accept4_file → do_accept, holding the listener's file and the reserved fd. */
function accept4File(
  t: Thread,
  h: AcceptHold,
  { fd, flags }: { fd: number; flags: number },
): MaySleep<SysResult> {
  if ((flags & ~(SOCK.SOCK_CLOEXEC | SOCK.SOCK_NONBLOCK)) !== 0)
    return failWhy(t.k, 'EINVAL', '__sys_accept4', 'flags other than SOCK_CLOEXEC, SOCK_NONBLOCK');
  h.newfd = t.proc.fdtable.reserve((flags & SOCK.SOCK_CLOEXEC) !== 0);
  if (h.newfd < 0)
    return toResult(errWhy(t.k, -EMFILE, 'get_unused_fd_flags', 'no free fd below RLIMIT_NOFILE'));
  const { file } = h;
  const sock = sockFromFile(file);
  if (!sock) return failWhy(t.k, 'ENOTSOCK', 'sock_from_file', '{file} is not a socket', file.id, fd);
  // Linux: do_accept — sock_alloc, with the listener's type and ops.
  const newsock = new Socket(sock.type);
  newsock.ops = sock.ops;
  const r = sock.ops.accept(t, sock, newsock, file.nonblock);
  return mustSleep(r) ? acceptAfterSleep(t, h, newsock, flags, r) : acceptInstall(t, h, newsock, flags, r);
}

function* acceptAfterSleep(
  t: Thread,
  h: AcceptHold,
  newsock: Socket,
  flags: number,
  r: SysGen<number>,
): SysGen<SysResult> {
  return acceptInstall(t, h, newsock, flags, yield* r);
}

/** Linux: do_accept's end and fd_install — the new socket's file at the reserved descriptor. */
function acceptInstall(t: Thread, h: AcceptHold, newsock: Socket, flags: number, err: number): SysResult {
  if (err < 0) return toResult(err);
  t.proc.fdtable.installReserved(h.newfd, sockAllocFile(t.k, newsock, flags));
  const ret = h.newfd;
  h.newfd = -1;
  return { ret };
}

/** Linux: __sys_shutdown → __sys_shutdown_sock → ops->shutdown. */
export function sys_shutdown(t: Thread, fd: number, how: number): SysResult {
  const sock = sockfdLookupLight(t, fd);
  if (typeof sock === 'number') return toResult(sock);
  return toResult(sock.ops.shutdown(t.k, sock, how));
}

// ---- names, options, sendto/recvfrom, socket ioctls ----

/** Linux: __sys_getsockname / __sys_getpeername → ops->getname, then move_addr_to_user. */
export function sys_getname(t: Thread, fd: number, peer: boolean): SysResult<{ address: string }> {
  const sock = sockfdLookupLight(t, fd);
  if (typeof sock === 'number') return toResult(sock) as Failure;
  const addr = sock.ops.getname(t.k, sock, peer);
  if (typeof addr === 'number') return toResult(addr) as Failure;
  return { ret: 0, address: formatSockaddr(addr) };
}

/** Linux: __sys_setsockopt → do_sock_setsockopt: SOL_SOCKET is the core's, the rest the family's. */
export function sys_setsockopt(
  t: Thread,
  fd: number,
  level: number,
  name: number,
  value: number | Linger,
): SysResult {
  const sock = sockfdLookupLight(t, fd);
  if (typeof sock === 'number') return toResult(sock);
  if (level === SOL.SOL_SOCKET) return toResult(sockSetsockopt(t.k, sock, name, value));
  if (!sock.ops.setsockopt)
    return toResult(
      errWhy(t.k, -EOPNOTSUPP, 'do_sock_setsockopt', 'the family has no options at that level'),
    );
  return toResult(sock.ops.setsockopt(t, sock, level, name, value));
}

/** Linux: __sys_getsockopt → do_sock_getsockopt. */
export function sys_getsockopt(
  t: Thread,
  fd: number,
  level: number,
  name: number,
): SysResult<{ value: SockoptValue }> {
  const sock = sockfdLookupLight(t, fd);
  if (typeof sock === 'number') return toResult(sock) as Failure;
  let r: { value: SockoptValue } | number;
  if (level === SOL.SOL_SOCKET) r = sockGetsockopt(t.k, sock, name);
  else if (!sock.ops.getsockopt)
    r = errWhy(t.k, -EOPNOTSUPP, 'do_sock_getsockopt', 'the family has no options at that level');
  else r = sock.ops.getsockopt(t, sock, level, name);
  return typeof r === 'number' ? (toResult(r) as Failure) : { ret: 0, value: r.value };
}

interface SendArgs {
  readonly fd: number;
  readonly data: Uint8Array;
  readonly flags: number;
  readonly addr: Sockaddr | null;
}

/**
 * Linux: __sys_sendto — the address decoded first (move_addr_to_kernel), O_NONBLOCK as
 * MSG_DONTWAIT, then __sock_sendmsg holding the file.
 */
export function sys_sendto(
  t: Thread,
  fd: number,
  data: Uint8Array,
  flags: number,
  address: string | null,
): MaySleep<SysResult> {
  const addr = address === null ? null : parseSockaddr('sendto', address);
  return withFile(t, fd, 'fdget', sendtoFile, { fd, data, flags, addr });
}

function sendtoFile(t: Thread, file: File, a: SendArgs): MaySleep<SysResult> {
  const sock = sockFromFile(file);
  if (!sock) return failWhy(t.k, 'ENOTSOCK', 'sock_from_file', '{file} is not a socket', file.id, a.fd);
  const flags = file.nonblock ? a.flags | MSG.MSG_DONTWAIT : a.flags;
  const msg: Msghdr = {
    iov: a.data,
    len: a.data.length,
    dontwait: (flags & MSG.MSG_DONTWAIT) !== 0,
    flags,
    name: a.addr,
    from: null,
    copied: -1,
  };
  const r = sock.ops.sendmsg(t, sock, msg);
  return mustSleep(r) ? resultAfterSleep(r) : toResult(r);
}

interface RecvArgs {
  readonly fd: number;
  readonly count: number;
  readonly flags: number;
}

type RecvResult = SysResult<{ data: Uint8Array; address: string | null }>;

/** Linux: __sys_recvfrom — O_NONBLOCK as MSG_DONTWAIT, sock_recvmsg, then the sender's address. */
export function sys_recvfrom(t: Thread, fd: number, count: number, flags: number): MaySleep<RecvResult> {
  return withFile(t, fd, 'fdget', recvfromFile, { fd, count: Math.min(count, MAX_RW_COUNT), flags });
}

function recvfromFile(t: Thread, file: File, a: RecvArgs): MaySleep<RecvResult> {
  const sock = sockFromFile(file);
  if (!sock) return failWhy(t.k, 'ENOTSOCK', 'sock_from_file', '{file} is not a socket', file.id, a.fd);
  const flags = file.nonblock ? a.flags | MSG.MSG_DONTWAIT : a.flags;
  const buf = readBuffer(t, file, a.count);
  const msg: Msghdr = {
    iov: buf,
    len: Math.min(a.count, buf.length),
    dontwait: (flags & MSG.MSG_DONTWAIT) !== 0,
    flags,
    name: null,
    from: null,
    copied: -1,
  };
  const n = sock.ops.recvmsg(t, sock, msg);
  return mustSleep(n)
    ? continueAfterSleep(n, (v) => recvfromResult(buf, msg, v))
    : recvfromResult(buf, msg, n);
}

/** Linux: __sys_recvfrom's tail — the bytes copied out and the sender's address (move_addr_to_user). */
function recvfromResult(buf: Uint8Array, msg: Msghdr, n: number): RecvResult {
  if (n < 0) return toResult(n) as Failure;
  const copied = msg.copied >= 0 ? msg.copied : Math.min(n, msg.len);
  return { ret: n, data: buf.slice(0, copied), address: msg.from === null ? null : formatSockaddr(msg.from) };
}
