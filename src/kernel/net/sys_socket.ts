// The socket system calls (Linux: net/socket.c's __sys_* entry points): they decode what is
// generic — the descriptor (EBADF, ENOTSOCK), the SOCK_NONBLOCK/SOCK_CLOEXEC bits of `type`,
// descriptor reservation (EMFILE), the address as the API writes it — and call the socket's
// proto_ops (./socket.ts) for the rest. Not Linux: a separate module, as gVisor keeps its
// sys_socket.go apart from the socket objects.

import { AF, SOCK, SOCK_TYPE_MASK, SOMAXCONN } from '../../abi/constants.ts';
import type { SysResult } from '../../api/syscalls.ts';
import { Unsupported } from '../../api/syscalls.ts';
import { ERRNO, errWhy, failWhy, toResult } from '../errors.ts';
import { type File, fput } from '../file.ts';
import { fdget, installFd, withFile } from '../fs.ts';
import type { Kernel } from '../kernel.ts';
import { holdAcrossSleep, type MaySleep, mustSleep, type SysGen, type Thread } from '../sched.ts';
import {
  SOCK_MAX,
  type Sockaddr,
  Socket,
  sockAllocFile,
  sockCreate,
  sockFromFile,
  sockfdLookupLight,
  sockRelease,
} from './socket.ts';

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

/** Linux: IPPROTO_TCP, IPPROTO_UDP (include/uapi/linux/in.h). */
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
/** Linux: IPPROTO_MAX. */
const IPPROTO_MAX = 263;

/**
 * Linux: inet_create / inet6_create, then inet_stream_ops' and inet_dgram_ops' socketpair,
 * sock_no_socketpair: a TCP or UDP socket pair is refused with EOPNOTSUPP once both sockets exist.
 * Not Linux: the model has no internet sockets yet (the socket layer's AF_INET is another
 * issue's), so only this answer, which needs none, is given; any other internet type or protocol
 * (raw, ICMP, SCTP, MPTCP: built-in or loaded modules decide) is Unsupported. 0 when `domain` is
 * not an internet family.
 */
function inetSocketpair(k: Kernel, domain: number, type: number, protocol: number): number {
  if (domain !== AF.AF_INET && domain !== AF.AF_INET6) return 0;
  if (protocol < 0 || protocol >= IPPROTO_MAX)
    return errWhy(
      k,
      -EINVAL,
      domain === AF.AF_INET ? 'inet_create' : 'inet6_create',
      'protocol out of range (IPPROTO_MAX)',
    );
  const tcp = type === SOCK.SOCK_STREAM && (protocol === 0 || protocol === IPPROTO_TCP);
  const udp = type === SOCK.SOCK_DGRAM && (protocol === 0 || protocol === IPPROTO_UDP);
  if (!tcp && !udp)
    throw new Unsupported(
      'socketpair',
      `address family ${domain === AF.AF_INET ? 'AF_INET' : 'AF_INET6'} type ${type} protocol ${protocol} (only the EOPNOTSUPP of a TCP or UDP pair is modelled)`,
    );
  return errWhy(k, -EOPNOTSUPP, 'sock_no_socketpair', `${tcp ? 'TCP' : 'UDP'} sockets do not come in pairs`);
}

/** Linux: __sys_socketpair's two sock_create calls and ops->socketpair; a failure releases what was made. */
function sockCreatePair(
  k: Kernel,
  domain: number,
  type: number,
  protocol: number,
): [Socket, Socket] | number {
  if (type >= 0 && type < SOCK_MAX) {
    const inet = inetSocketpair(k, domain, type, protocol);
    if (inet < 0) return inet;
  }
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
    return err;
  }
  return [a, b];
}

// ---- addresses, connections, shutdown ----

/**
 * Linux: move_addr_to_kernel — the API's address as a sockaddr. Only abstract AF_UNIX names
 * ("@name") are modelled; anything else throws Unsupported.
 */
function moveAddrToKernel(call: string, address: string): Sockaddr {
  if (!address.startsWith('@'))
    throw new Unsupported(
      call,
      `address ${JSON.stringify(address)}: only abstract names ("@name") are modelled`,
    );
  const name = address.slice(1);
  for (let i = 0; i < name.length; i++)
    if (name.charCodeAt(i) > 0xff) throw new Unsupported(call, 'address: only byte names are modelled');
  return { family: AF.AF_UNIX, name };
}

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
