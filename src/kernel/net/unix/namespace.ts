// AF_UNIX addresses (Linux: net/unix/af_unix.c's unix_validate_addr and its hash table's
// abstract buckets). Only abstract names are modelled. They live in a per-kernel namespace keyed
// by type and name: Linux hashes the socket type into the bucket, so a stream and a datagram
// socket can hold the same abstract name.

import { ERRNO } from '../../errors.ts';
import type { Kernel } from '../../kernel.ts';
import type { Sockaddr } from '../socket.ts';
import type { UnixSock, UnixType } from './unix_sock.ts';

// Linux: offsetof(struct sockaddr_un, sun_path) and sizeof(struct sockaddr_un).
const SUN_PATH_OFFSET = 2;
const SOCKADDR_UN_SIZE = 110;

/** The abstract namespace of one kernel (Linux: the per-netns unix hash table's abstract buckets). */
interface Namespace {
  /** `${type}:${name}` → the bound socket. Linux hashes the type into the bucket. */
  readonly names: Map<string, UnixSock>;
}

const namespaces = new WeakMap<Kernel, Namespace>();

function namespaceOf(k: Kernel): Namespace {
  let ns = namespaces.get(k);
  if (!ns) namespaces.set(k, (ns = { names: new Map() }));
  return ns;
}

const nameKey = (type: UnixType, name: string): string => `${type}:${name}`;

/** Linux: unix_validate_addr — 0, or −EINVAL when the name would not fit in a sockaddr_un. */
export function unixValidateAddr(addr: Sockaddr): number {
  // sun_family (2) + the leading NUL + the name.
  return SUN_PATH_OFFSET + 1 + addr.name.length > SOCKADDR_UN_SIZE ? -ERRNO.EINVAL : 0;
}

/** Linux: unix_find_abstract — the socket of this type bound to `name`, or null (ECONNREFUSED). */
export function unixFindAbstract(k: Kernel, type: UnixType, name: string): UnixSock | null {
  return namespaceOf(k).names.get(nameKey(type, name)) ?? null;
}

/** Linux: unix_bind_abstract's hash insertion — false if the name is taken (EADDRINUSE). */
export function unixInsertAbstract(k: Kernel, sk: UnixSock, name: string): boolean {
  const ns = namespaceOf(k);
  const key = nameKey(sk.type, name);
  if (ns.names.has(key)) return false;
  ns.names.set(key, sk);
  return true;
}

/** Linux: unix_remove_socket — the name is free again at once. */
export function unixRemoveSocket(k: Kernel, sk: UnixSock): void {
  if (!sk.hashed || sk.addr === null) return;
  const ns = namespaceOf(k);
  if (ns.names.get(nameKey(sk.type, sk.addr)) === sk) ns.names.delete(nameKey(sk.type, sk.addr));
  sk.hashed = false;
}

/** Every socket holding a name (snapshots). */
export function unixBoundSockets(k: Kernel): Iterable<UnixSock> {
  return namespaceOf(k).names.values();
}
