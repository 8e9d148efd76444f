// AF_UNIX addresses (Linux: net/unix/af_unix.c's unix_validate_addr and its hash table's
// abstract buckets). Only abstract names are modelled. They live in a per-kernel namespace keyed
// by type and name: Linux hashes the socket type into the bucket, so a stream and a datagram
// socket can hold the same abstract name.

import { AF } from '../../../abi/constants.ts';
import { ERRNO } from '../../errors.ts';
import { defineKernelState, type Kernel } from '../../kernel.ts';
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

/** An entry of the namespace as plain JSON: "@name", the socket type and the socket's id. */
export interface UnixNameSnapshot {
  name: string;
  type: number;
  sock: number;
}

/** The namespace as plain JSON, sorted by name then type (Linux: what unix_diag lists). */
function snapshotNamespace(ns: Namespace): UnixNameSnapshot[] {
  const out: UnixNameSnapshot[] = [];
  for (const sk of ns.names.values()) out.push({ name: `@${sk.addr}`, type: sk.type, sock: sk.id });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.type - b.type));
}

// Per-kernel state: snapshots show it as state.unix.
const namespaces = defineKernelState<Namespace>('unix', () => ({ names: new Map() }), snapshotNamespace);

function namespaceOf(k: Kernel): Namespace {
  return k.state(namespaces);
}

const nameKey = (type: UnixType, name: string): string => `${type}:${name}`;

/**
 * Linux: unix_validate_addr — the abstract name, or −EINVAL: another family (an internet address,
 * AF_UNSPEC), no name at all (addr_len is offsetof(sun_path)), or a name too long for sockaddr_un.
 */
export function unixValidateAddr(addr: Sockaddr): string | number {
  if (addr.family !== AF.AF_UNIX || addr.name === null) return -ERRNO.EINVAL;
  // sun_family (2) + the leading NUL + the name.
  return SUN_PATH_OFFSET + 1 + addr.name.length > SOCKADDR_UN_SIZE ? -ERRNO.EINVAL : addr.name;
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

/** The kernel's abstract namespace as plain JSON (snapshots, the invariant checker). */
export function snapshotUnixNamespace(k: Kernel): UnixNameSnapshot[] {
  return snapshotNamespace(namespaceOf(k));
}
