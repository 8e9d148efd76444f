// SOL_SOCKET options (Linux: net/core/sock.c, sk_setsockopt and sk_getsockopt): the options every
// family shares, kept in struct sock. A family reacts where Linux's hooks let it: sk_write_space
// after SO_SNDBUF, proto_ops.set_rcvlowat for SO_RCVLOWAT, sk_prot->keepalive for SO_KEEPALIVE.
//
// The simulated process is root, as the Linux backend's is: SO_PRIORITY above 6 and SO_DEBUG are
// allowed. net.core.rmem_max and wmem_max have Linux's defaults (212992); a host tuned otherwise
// clamps SO_RCVBUF/SO_SNDBUF elsewhere (this machine: 4194304), so scripts that must agree on
// both backends ask for at most 212992 bytes.

import { SO, SYSCTL_RMEM_MAX, SYSCTL_WMEM_MAX } from '../../abi/constants.ts';
import { type Errno, errnoName } from '../../abi/errno.ts';
import { type Linger, type SockoptValue, Unsupported } from '../../api/syscalls.ts';
import { ERRNO, errWhy } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import {
  SOCK_BROADCAST,
  SOCK_DBG,
  SOCK_KEEPOPEN,
  SOCK_LINGER,
  SOCK_LOCALROUTE,
  SOCK_RCVBUF_LOCK,
  SOCK_SNDBUF_LOCK,
  SOCK_URGINLINE,
  type Sock,
  sockError,
  sockFlag,
} from './sock.ts';
import type { Socket } from './socket.ts';

const { EINVAL, ENOPROTOOPT, EOPNOTSUPP } = ERRNO;
const INT_MAX = 0x7fffffff;

// Linux: TCP_SKB_MIN_TRUESIZE = 2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff)); SOCK_MIN_RCVBUF is
// one of them, SOCK_MIN_SNDBUF two (checked on 6.18: SO_RCVBUF 1 reads back 2304, SO_SNDBUF 4608).
const TCP_SKB_MIN_TRUESIZE = 2048 + 256;
export const SOCK_MIN_RCVBUF = TCP_SKB_MIN_TRUESIZE;
export const SOCK_MIN_SNDBUF = 2 * TCP_SKB_MIN_TRUESIZE;

/**
 * Linux defines SOL_SOCKET options up to here (SO_* in include/uapi/asm-generic/socket.h); one the
 * model lacks is Unsupported, a number beyond them is Linux's ENOPROTOOPT.
 */
const SO_LINUX_MAX = 84;

/** Not Linux: SOL_SOCKET options the model keeps; any other Linux option is Unsupported. */
const MODELLED = new Set<number>([
  SO.SO_DEBUG,
  SO.SO_REUSEADDR,
  SO.SO_TYPE,
  SO.SO_ERROR,
  SO.SO_DONTROUTE,
  SO.SO_BROADCAST,
  SO.SO_SNDBUF,
  SO.SO_RCVBUF,
  SO.SO_KEEPALIVE,
  SO.SO_OOBINLINE,
  SO.SO_PRIORITY,
  SO.SO_LINGER,
  SO.SO_BSDCOMPAT,
  SO.SO_REUSEPORT,
  SO.SO_RCVLOWAT,
  SO.SO_SNDLOWAT,
  SO.SO_ACCEPTCONN,
  SO.SO_PROTOCOL,
  SO.SO_DOMAIN,
]);

function unmodelled(call: string, name: number): number {
  if (name > 0 && name <= SO_LINUX_MAX && !MODELLED.has(name))
    throw new Unsupported(call, `SOL_SOCKET option ${name} is not modelled`);
  return -ENOPROTOOPT;
}

const setFlag = (sk: Sock, flag: number, on: boolean): void => {
  sk.flags = on ? sk.flags | flag : sk.flags & ~flag;
};

/** Linux: sk_is_inet. */
const isInet = (sk: Sock): boolean => sk.family === 2 || sk.family === 10;

/**
 * Linux: sk_setsockopt. `value` as the caller passed it: an int (optlen 4) or a struct linger
 * (optlen 8, whose first int is what an int option reads).
 */
export function sockSetsockopt(k: Kernel, sock: Socket, name: number, value: number | Linger): number {
  const sk = sock.sk;
  const linger = typeof value === 'number' ? null : value;
  const val = typeof value === 'number' ? value : value.onoff;
  const on = val !== 0;
  switch (name) {
    case SO.SO_PRIORITY:
      sk.priority = val;
      return 0;
    case SO.SO_DEBUG:
      setFlag(sk, SOCK_DBG, on);
      return 0;
    case SO.SO_REUSEADDR:
      sk.reuse = on;
      return 0;
    case SO.SO_REUSEPORT:
      if (on && !isInet(sk))
        return errWhy(k, -EOPNOTSUPP, 'sk_setsockopt', 'SO_REUSEPORT is for internet sockets');
      sk.reuseport = on;
      return 0;
    case SO.SO_DONTROUTE:
      setFlag(sk, SOCK_LOCALROUTE, on);
      return 0;
    case SO.SO_BROADCAST:
      setFlag(sk, SOCK_BROADCAST, on);
      return 0;
    case SO.SO_SNDBUF: {
      // Linux: min_t(u32, val, wmem_max), then at most INT_MAX / 2, doubled, at least SOCK_MIN_SNDBUF.
      const v = Math.min(Math.min(val >>> 0, SYSCTL_WMEM_MAX), INT_MAX >> 1);
      sk.userlocks |= SOCK_SNDBUF_LOCK;
      sk.sndbuf = Math.max(v * 2, SOCK_MIN_SNDBUF);
      // Linux: "Wake up sending tasks if we upped the value."
      sk.writeSpace(k);
      return 0;
    }
    case SO.SO_RCVBUF: {
      // Linux: __sock_set_rcvbuf(sk, min_t(u32, val, rmem_max)).
      const v = Math.min(Math.min(val >>> 0, SYSCTL_RMEM_MAX), INT_MAX >> 1);
      sk.userlocks |= SOCK_RCVBUF_LOCK;
      sk.rcvbuf = Math.max(v * 2, SOCK_MIN_RCVBUF);
      return 0;
    }
    case SO.SO_KEEPALIVE:
      // Linux: sk_prot->keepalive only arms timers, which the model does not run.
      setFlag(sk, SOCK_KEEPOPEN, on);
      return 0;
    case SO.SO_OOBINLINE:
      setFlag(sk, SOCK_URGINLINE, on);
      return 0;
    case SO.SO_LINGER:
      if (!linger) return errWhy(k, -EINVAL, 'sk_setsockopt', 'SO_LINGER needs a struct linger (optlen 8)');
      if (!linger.onoff) setFlag(sk, SOCK_LINGER, false);
      else {
        // Linux reads l_linger as an unsigned long: a negative one lingers for MAX_SCHEDULE_TIMEOUT,
        // which getsockopt reads back divided by the build's HZ — no answer the model can give.
        if (linger.linger < 0) throw new Unsupported('setsockopt', 'SO_LINGER with a negative l_linger');
        sk.lingertime = linger.linger;
        setFlag(sk, SOCK_LINGER, true);
      }
      return 0;
    case SO.SO_BSDCOMPAT:
      return 0;
    case SO.SO_RCVLOWAT: {
      // Linux: a negative value means INT_MAX; a family may have its own rule (tcp_set_rcvlowat).
      const v = val < 0 ? INT_MAX : val;
      if (sock.ops.setRcvlowat) return sock.ops.setRcvlowat(k, sock, v);
      sk.rcvlowat = v || 1;
      return 0;
    }
    default:
      return errWhy(k, unmodelled('setsockopt', name), 'sk_setsockopt', 'no such SOL_SOCKET option to set');
  }
}

/** Linux: sk_getsockopt — the value, or −errno. SO_ERROR takes the pending error (sock_error). */
export function sockGetsockopt(k: Kernel, sock: Socket, name: number): { value: SockoptValue } | number {
  const sk = sock.sk;
  const int = (v: number | boolean): { value: number } => ({ value: Number(v) });
  switch (name) {
    case SO.SO_DEBUG:
      return int(sockFlag(sk, SOCK_DBG));
    case SO.SO_DONTROUTE:
      return int(sockFlag(sk, SOCK_LOCALROUTE));
    case SO.SO_BROADCAST:
      return int(sockFlag(sk, SOCK_BROADCAST));
    case SO.SO_SNDBUF:
      return int(sk.sndbuf);
    case SO.SO_RCVBUF:
      return int(sk.rcvbuf);
    case SO.SO_REUSEADDR:
      return int(sk.reuse);
    case SO.SO_REUSEPORT:
      return int(sk.reuseport);
    case SO.SO_KEEPALIVE:
      return int(sockFlag(sk, SOCK_KEEPOPEN));
    case SO.SO_TYPE:
      return int(sk.type);
    case SO.SO_PROTOCOL:
      return int(sk.protocol);
    case SO.SO_DOMAIN:
      return int(sk.family);
    case SO.SO_ERROR: {
      // Linux: -sock_error(sk), else sk_err_soft (which nothing on a quiet loopback sets).
      const err = sockError(sk);
      return { value: err === 0 ? 0 : (errnoName(-err) as Errno) };
    }
    case SO.SO_OOBINLINE:
      return int(sockFlag(sk, SOCK_URGINLINE));
    case SO.SO_PRIORITY:
      return int(sk.priority);
    case SO.SO_LINGER:
      return { value: { onoff: Number(sockFlag(sk, SOCK_LINGER)), linger: sk.lingertime } };
    case SO.SO_BSDCOMPAT:
      return int(0);
    case SO.SO_RCVLOWAT:
      return int(sk.rcvlowat);
    case SO.SO_SNDLOWAT:
      return int(1);
    case SO.SO_ACCEPTCONN:
      return int(sk.state === 'TCP_LISTEN');
    default:
      return errWhy(k, unmodelled('getsockopt', name), 'sk_getsockopt', 'no such SOL_SOCKET option to read');
  }
}
