// Options below the transport (Linux: net/ipv4/ip_sockglue.c's ip_setsockopt/ip_getsockopt and
// net/ipv6/ipv6_sockglue.c's ipv6_*): where tcp_setsockopt and udp_setsockopt send a level that is
// not their own (icsk_af_ops->setsockopt, or udp's ip/ipv6 fallback). Of the IPv6 options only
// IPV6_V6ONLY is modelled; IPPROTO_IP options are not.

import { AF, IPPROTO, IPV6_OPT } from '../../../abi/constants.ts';
import { type Linger, type SockoptValue, Unsupported } from '../../../api/syscalls.ts';
import { ERRNO, errWhy } from '../../errors.ts';
import type { Kernel } from '../../kernel.ts';
import type { InetSock } from './inet_sock.ts';

const { EINVAL, ENOPROTOOPT } = ERRNO;

/** Linux defines IPPROTO_IPV6 options up to about here; a larger number is ENOPROTOOPT. */
const IPV6_LINUX_MAX = 80;

function unmodelled(call: string, sk: InetSock, level: number, name: number): number {
  if (level === IPPROTO.IPPROTO_IP) throw new Unsupported(call, 'IPPROTO_IP options are not modelled');
  if (level === IPPROTO.IPPROTO_IPV6 && sk.family === AF.AF_INET6 && name > 0 && name <= IPV6_LINUX_MAX)
    throw new Unsupported(call, `IPPROTO_IPV6 option ${name} is not modelled (only IPV6_V6ONLY)`);
  return -ENOPROTOOPT;
}

/** Linux: ip_setsockopt (AF_INET) or ipv6_setsockopt (AF_INET6), for a level the protocol passed on. */
export function ipSetsockopt(
  k: Kernel,
  sk: InetSock,
  level: number,
  name: number,
  value: number | Linger,
): number {
  if (sk.family === AF.AF_INET6 && level === IPPROTO.IPPROTO_IPV6 && name === IPV6_OPT.IPV6_V6ONLY) {
    // Linux: only before the socket has a port ("if (inet_sk(sk)->inet_num) goto e_inval").
    if (sk.num) return errWhy(k, -EINVAL, 'do_ipv6_setsockopt', 'IPV6_V6ONLY after the socket is bound');
    sk.ipv6only = (typeof value === 'number' ? value : value.onoff) !== 0;
    return 0;
  }
  const err = unmodelled('setsockopt', sk, level, name);
  return errWhy(
    k,
    err,
    sk.family === AF.AF_INET ? 'ip_setsockopt' : 'ipv6_setsockopt',
    'no such option at that level',
  );
}

/** Linux: ip_getsockopt / ipv6_getsockopt. */
export function ipGetsockopt(
  k: Kernel,
  sk: InetSock,
  level: number,
  name: number,
): { value: SockoptValue } | number {
  if (sk.family === AF.AF_INET6 && level === IPPROTO.IPPROTO_IPV6 && name === IPV6_OPT.IPV6_V6ONLY)
    return { value: sk.ipv6only ? 1 : 0 };
  let err = unmodelled('getsockopt', sk, level, name);
  // Linux: ip_getsockopt refuses another level with EOPNOTSUPP (ip_setsockopt with ENOPROTOOPT;
  // checked on 6.18, fuzz-301-3, fuzz-401-2).
  if (sk.family === AF.AF_INET && level !== IPPROTO.IPPROTO_IP) err = -ERRNO.EOPNOTSUPP;
  return errWhy(
    k,
    err,
    sk.family === AF.AF_INET ? 'ip_getsockopt' : 'ipv6_getsockopt',
    'no such option at that level',
  );
}
