// The socket layer (Linux: net/socket.c): `struct socket`, the file operations every socket
// shares, and dispatch to a protocol family. The system calls that decode their arguments and
// call in here are in ./sys_socket.ts.
//
// A family registers itself (sock_register) with a `create` that picks the socket's proto_ops
// by type and allocates its sock; from then on every call goes through those ops. __sock_create
// checks what is generic — the family and type ranges (EAFNOSUPPORT, EINVAL) and whether the
// family exists — and leaves the protocol, addresses and states to the family.
//
// Families register at boot: AF_UNIX (./unix/af_unix.ts), AF_INET and AF_INET6 (./ipv4/af_inet.ts).
// Another family throws Unsupported.

import { AF, FIONREAD, O } from '../../abi/constants.ts';
import { nameOf } from '../../abi/flags.ts';
import type { Sockaddr } from '../../api/sockaddr.ts';
import { type Linger, type SockoptValue, Unsupported } from '../../api/syscalls.ts';
import { ERRNO, errWhy } from '../errors.ts';
import { File, type FileOperations, type FileType, fileOperations, type PollTable } from '../file.ts';
import { fdlookup } from '../fs.ts';
import type { Kernel } from '../kernel.ts';
import type { MaySleep, Thread } from '../sched.ts';
import type { Sock } from './sock.ts';

const { EAFNOSUPPORT, EINVAL, ENOTSOCK, ENOTTY } = ERRNO;

// Linux: include/linux/net.h SOCK_MAX (SOCK_PACKET + 1); include/linux/socket.h NPROTO (AF_MAX).
export const SOCK_MAX = 11;
const NPROTO = 46;

/** Linux: socket_state (include/uapi/linux/net.h), the values the modelled families use. */
export type SocketState = 'SS_UNCONNECTED' | 'SS_CONNECTING' | 'SS_CONNECTED' | 'SS_DISCONNECTING';

/** A decoded struct sockaddr (src/api/sockaddr.ts): what move_addr_to_kernel copies in. */
export type { Sockaddr };

/**
 * Linux: struct msghdr, the part the model uses: the buffer, its length, the flags, the address.
 * read and write make one with no flags but MSG_DONTWAIT (sock_read_iter, sock_write_iter).
 */
export interface Msghdr {
  /** Linux: msg_iter — the bytes to send, or the buffer to receive into (its first `len` bytes). */
  readonly iov: Uint8Array;
  /** Linux: iov_iter_count(&msg->msg_iter) — bytes to send or room to receive. */
  readonly len: number;
  /** Linux: msg_flags & MSG_DONTWAIT (the caller's, or the file's O_NONBLOCK). */
  readonly dontwait: boolean;
  /** Linux: the call's flags (MSG_*), as sendmsg/recvmsg pass them down. */
  readonly flags: number;
  /** Linux: msg_name on send (sendto's address; null: none). */
  readonly name: Sockaddr | null;
  /** Linux: msg_name/msg_namelen on receive — the sender's address, set by the protocol; null: none. */
  from: Sockaddr | null;
  /** Bytes the protocol copied into `iov`; -1: min(result, len) (MSG_TRUNC makes them differ). */
  copied: number;
}

/** A Msghdr for a plain read or write (Linux: sock_read_iter / sock_write_iter's init_sync_kiocb). */
export function plainMsghdr(iov: Uint8Array, len: number, dontwait: boolean): Msghdr {
  return { iov, len, dontwait, flags: 0, name: null, from: null, copied: -1 };
}

/** Linux: struct proto_ops — a family's implementation of the socket calls for one type. */
export interface ProtoOps {
  readonly family: number;
  release(k: Kernel, sock: Socket): void;
  bind(k: Kernel, sock: Socket, addr: Sockaddr): number;
  connect(t: Thread, sock: Socket, addr: Sockaddr, nonblock: boolean): MaySleep<number>;
  socketpair(a: Socket, b: Socket): number;
  /** `newsock` has the listener's type and ops (do_accept); the family grafts its sock into it. */
  accept(t: Thread, sock: Socket, newsock: Socket, nonblock: boolean): MaySleep<number>;
  poll(k: Kernel, file: File, sock: Socket, pt: PollTable | null): number;
  /** ioctl(SIOCINQ), which is FIONREAD: bytes readable, or −errno. */
  inq(k: Kernel, sock: Socket): number;
  /** Not Linux: FileOperations.readMax for the socket's file (fs.ts readBuffer). Absent: -1. */
  readMax?(sock: Socket, nonblock: boolean): number;
  listen(k: Kernel, sock: Socket, backlog: number): number;
  /** Linux: ops->set_rcvlowat — the family's SO_RCVLOWAT (TCP's). Absent: sk_rcvlowat = val || 1. */
  setRcvlowat?(k: Kernel, sock: Socket, val: number): number;
  /** Linux: ops->getname — this end's address (peer false) or the peer's, or −errno. */
  getname(k: Kernel, sock: Socket, peer: boolean): Sockaddr | number;
  /** Linux: ops->ioctl for SIOCOUTQ and SIOCATMARK: the value stored, or −errno. Absent: ENOTTY. */
  ioctl?(k: Kernel, sock: Socket, cmd: number): number;
  /** Linux: ops->setsockopt, for levels other than SOL_SOCKET. Absent: EOPNOTSUPP. */
  setsockopt?(t: Thread, sock: Socket, level: number, name: number, value: number | Linger): number;
  /** Linux: ops->getsockopt, for levels other than SOL_SOCKET: the value, or −errno. Absent: EOPNOTSUPP. */
  getsockopt?(t: Thread, sock: Socket, level: number, name: number): { value: SockoptValue } | number;
  shutdown(k: Kernel, sock: Socket, how: number): number;
  sendmsg(t: Thread, sock: Socket, msg: Msghdr): MaySleep<number>;
  recvmsg(t: Thread, sock: Socket, msg: Msghdr): MaySleep<number>;
}

/** Linux: struct net_proto_family. */
export interface NetProtoFamily {
  readonly family: number;
  /** The file type its sockets have in snapshots and traces ('unix'; 'tcp' or 'udp' by protocol). */
  fileType(sk: Sock): FileType;
  /** Linux: pf->create — set sock.ops and sock.sk for sock.type, or return −errno. */
  create(k: Kernel, sock: Socket, protocol: number): number;
  /** Linux: the family's sock_diag handler (net/unix/diag.c) — a sock as plain JSON. */
  diag(sk: Sock): object;
}

/** Linux: struct socket. */
export class Socket {
  /** Linux: socket.state — SS_CONNECTED once connect, accept or socketpair has joined it. */
  state: SocketState = 'SS_UNCONNECTED';
  /** Linux: socket.ops — set by the family's create (or by do_accept, from the listener). */
  ops!: ProtoOps;
  /** Linux: socket.sk — the family's sock, set by its create (or grafted by accept). */
  sk!: Sock;
  /** Linux: socket.file — the file it is attached to, or null before sock_alloc_file and after release. */
  file: File | null = null;

  constructor(
    /** Linux: socket.type (a family may change it: AF_UNIX's SOCK_RAW is SOCK_DGRAM). */
    public type: number,
  ) {}
}

/**
 * Linux: a struct proto_ops initialiser — every field present, undefined where the family has
 * none. As fileOperations (file.ts): one hidden class for every family's table, so the calls
 * through sock->ops stay monomorphic loads with AF_UNIX, TCP and UDP sockets all in use.
 */
export function protoOps(ops: ProtoOps): ProtoOps {
  return {
    family: ops.family,
    release: ops.release,
    bind: ops.bind,
    connect: ops.connect,
    socketpair: ops.socketpair,
    accept: ops.accept,
    poll: ops.poll,
    inq: ops.inq,
    readMax: ops.readMax,
    listen: ops.listen,
    setRcvlowat: ops.setRcvlowat,
    getname: ops.getname,
    ioctl: ops.ioctl,
    setsockopt: ops.setsockopt,
    getsockopt: ops.getsockopt,
    shutdown: ops.shutdown,
    sendmsg: ops.sendmsg,
    recvmsg: ops.recvmsg,
  };
}

/** Linux: net_families[], indexed by family. */
const netFamilies: (NetProtoFamily | undefined)[] = [];
/**
 * Linux: socket_file_ops. Not Linux: one copy per file type, so a file's type names its family
 * (or, for internet sockets, its protocol).
 */
const socketFileOps = new Map<FileType, FileOperations>();

/** Linux: socket_file_ops, as the file type `type` has it. */
function socketFileOpsFor(type: FileType): FileOperations {
  let ops = socketFileOps.get(type);
  if (!ops) {
    ops = fileOperations({
      type,
      poll: sockPoll,
      read: sockReadIter,
      write: sockWriteIter,
      ioctl: sockIoctl,
      readMax: sockReadMax,
      release: sockClose,
      snapshot: (_k, file) => snapshotSocket(file.priv as Socket),
    });
    socketFileOps.set(type, ops);
  }
  return ops;
}

/** Linux: sock_register. */
export function sockRegister(pf: NetProtoFamily): void {
  netFamilies[pf.family] = pf;
}

// ---- the socket file (socket_file_ops) ----

/** Linux: sock_poll. */
function sockPoll(k: Kernel, file: File, pt: PollTable | null): number {
  const sock = file.priv as Socket;
  return sock.ops.poll(k, file, sock, pt);
}

/** Linux: sock_read_iter — O_NONBLOCK becomes MSG_DONTWAIT; a zero-length read returns 0 at once. */
function sockReadIter(t: Thread, file: File, buf: Uint8Array, count: number): MaySleep<number> {
  if (count === 0) return 0;
  const sock = file.priv as Socket;
  return sock.ops.recvmsg(t, sock, plainMsghdr(buf, count, file.nonblock));
}

/** Linux: sock_write_iter — no zero-length shortcut (a 0-byte datagram is a message). */
function sockWriteIter(t: Thread, file: File, data: Uint8Array): MaySleep<number> {
  const sock = file.priv as Socket;
  return sock.ops.sendmsg(t, sock, plainMsghdr(data, data.length, file.nonblock));
}

/** Not Linux (fs.ts readBuffer): the most a read returns now, as the family knows it. */
function sockReadMax(_k: Kernel, file: File): number {
  const sock = file.priv as Socket;
  return sock.ops.readMax ? sock.ops.readMax(sock, file.nonblock) : -1;
}

/** Linux: sock_ioctl → sock_do_ioctl → ops->ioctl: FIONREAD (SIOCINQ), SIOCOUTQ, SIOCATMARK. */
function sockIoctl(k: Kernel, file: File, cmd: number): number {
  const sock = file.priv as Socket;
  // Linux: SIOCINQ is FIONREAD; the family's ioctl answers it (ops->inq here).
  if (cmd === FIONREAD) return sock.ops.inq(k, sock);
  // Linux: sock_do_ioctl → ops->ioctl for SIOCOUTQ and SIOCATMARK.
  if (!sock.ops.ioctl) return errWhy(k, -ENOTTY, 'sock_do_ioctl', 'the family has no such ioctl');
  return sock.ops.ioctl(k, sock, cmd);
}

/** Linux: sock_close → __sock_release. */
function sockClose(k: Kernel, file: File): void {
  sockRelease(k, file.priv as Socket);
}

/** Linux: __sock_release — the family lets go of its sock. */
export function sockRelease(k: Kernel, sock: Socket): void {
  sock.ops.release(k, sock);
  sock.file = null;
}

/** Linux: sock_alloc_file — O_RDWR plus the caller's O_NONBLOCK. */
export function sockAllocFile(k: Kernel, sock: Socket, flags: number): File {
  const ops = socketFileOpsFor(netFamilies[sock.ops.family]!.fileType(sock.sk));
  const file = new File(k, ops, O.O_RDWR | (flags & O.O_NONBLOCK), sock);
  sock.file = file;
  return file;
}

/** Linux: sock_from_file. */
export function sockFromFile(file: File): Socket | null {
  return file.priv instanceof Socket ? file.priv : null;
}

/** A socket by descriptor, without a reference: EBADF, ENOTSOCK, or the socket (Linux: sockfd_lookup_light). */
export function sockfdLookupLight(t: Thread, fd: number): Socket | number {
  const file = fdlookup(t, fd);
  if (!file) return errWhy(t.k, -ERRNO.EBADF, 'sockfd_lookup_light', 'fd {fd} is not open', undefined, fd);
  return (
    sockFromFile(file) ?? errWhy(t.k, -ENOTSOCK, 'sock_from_file', '{file} is not a socket', file.id, fd)
  );
}

// ---- creation ----

/** Not Linux: the registered families by name, for Unsupported messages. */
function modelledFamilies(): string {
  const names = Object.entries(AF)
    .filter(([, f]) => netFamilies[f] !== undefined)
    .map(([name]) => name);
  return `only ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} modelled`;
}

/** Linux: __sock_create. Returns the socket or −errno. */
export function sockCreate(
  k: Kernel,
  call: string,
  family: number,
  type: number,
  protocol: number,
): Socket | number {
  if (family < 0 || family >= NPROTO)
    return errWhy(k, -EAFNOSUPPORT, '__sock_create', 'family out of range (NPROTO)');
  if (type < 0 || type >= SOCK_MAX)
    return errWhy(k, -EINVAL, '__sock_create', 'type out of range (SOCK_MAX)');
  const pf = netFamilies[family];
  if (!pf) {
    // Linux: no family 0 is ever registered.
    if (family === AF.AF_UNSPEC)
      return errWhy(k, -EAFNOSUPPORT, '__sock_create', 'AF_UNSPEC has no socket family');
    // Not Linux: the reference kernel has (or loads) most other families; the model has not.
    throw new Unsupported(call, `address family ${nameOf(family, AF)} (${modelledFamilies()})`);
  }
  const sock = new Socket(type);
  const err = pf.create(k, sock, protocol);
  return err < 0 ? err : sock;
}

// ---- observability ----

/** A socket as plain JSON: its socket state and its family's sock (the family's diag). */
export function snapshotSocket(sock: Socket): { state: SocketState; sk: object } {
  return { state: sock.state, sk: netFamilies[sock.ops.family]!.diag(sock.sk) };
}
