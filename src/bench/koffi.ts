// The benchmark driver on the real kernel, in this process: the raw koffi bindings of
// src/linux/libc.ts (one C call per system call, no result decoding), so what it adds to the C
// reference program's figures is the cost of crossing from JavaScript into C and back.
// select is the raw system call, with bitmaps of ceil(nfds/64) words (no FD_SETSIZE).

import { AF, EFD, EPOLL, EPOLL_CTL, IPPROTO, O, POLL, TCP_OPT } from '../abi/constants.ts';
import { INADDR_LOOPBACK } from '../api/sockaddr.ts';
import { encodeSockaddrIn } from '../linux/layout.ts';
import { type Libc, libc } from '../linux/libc.ts';
import { buildFd2idx, type Driver, MAX_EVENTS, type Mux, type Objects, watchAll } from './driver.ts';
import type { Mechanism, ObjectKind } from './types.ts';

const { AF_UNIX, AF_INET } = AF;
const SOCK_STREAM = 1;
const EINPROGRESS = 115;
const RLIMIT_NOFILE = 7;
const EAGAIN = 11;

function check(c: Libc, call: string, ret: number): number {
  if (ret < 0) throw new Error(`${call} failed: errno ${c.errno()}`);
  return ret;
}

/** Raise RLIMIT_NOFILE's soft limit to the hard one; returns both (soft after raising). */
export function raiseNofile(): { soft: number; hard: number } {
  const c = libc();
  const buf = Buffer.alloc(16);
  check(c, 'getrlimit', c.getrlimit(RLIMIT_NOFILE, buf));
  const hard = buf.readBigUInt64LE(8);
  if (buf.readBigUInt64LE(0) < hard) {
    buf.writeBigUInt64LE(hard, 0);
    check(c, 'setrlimit', c.setrlimit(RLIMIT_NOFILE, buf));
  }
  check(c, 'getrlimit', c.getrlimit(RLIMIT_NOFILE, buf));
  const big = (v: bigint) => (v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v));
  return { soft: big(buf.readBigUInt64LE(0)), hard: big(buf.readBigUInt64LE(8)) };
}

export class KoffiDriver implements Driver {
  readonly name = 'linux' as const;
  readonly c = libc();
  private readonly byte = Buffer.from('e');
  private readonly one = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);
  private readonly one32 = Buffer.from([1, 0, 0, 0]);
  private readonly rbuf = Buffer.alloc(256);
  private readonly evbuf = Buffer.alloc(12 * MAX_EVENTS);
  private readonly evctl = Buffer.alloc(12);
  /** Descriptors this driver opened and has not closed (dispose closes them). */
  private readonly open_ = new Set<number>();

  open(kind: ObjectKind, n: number): Objects {
    const c = this.c;
    const rfd = new Int32Array(n);
    const wfd = new Int32Array(n);
    const pair = Buffer.alloc(8);
    let maxfd = 0;
    let listener: { fd: number; addr: Buffer } | undefined;
    try {
      for (let i = 0; i < n; i++) {
        if (kind === 'eventfd') {
          rfd[i] = wfd[i] = check(c, 'eventfd', c.eventfd(0, EFD.EFD_NONBLOCK));
          this.open_.add(rfd[i]);
        } else {
          if (kind === 'pipe') check(c, 'pipe2', c.pipe2(pair, O.O_NONBLOCK));
          else if (kind === 'tcp') this.tcpPair((listener ??= this.tcpListener()), pair);
          else check(c, 'socketpair', c.socketpair(AF_UNIX, SOCK_STREAM | O.O_NONBLOCK, 0, pair));
          rfd[i] = pair.readInt32LE(0);
          wfd[i] = pair.readInt32LE(4);
          this.open_.add(rfd[i]);
          this.open_.add(wfd[i]);
        }
        maxfd = Math.max(maxfd, rfd[i], wfd[i]);
      }
    } catch (e) {
      for (const fd of [...rfd, ...wfd]) if (fd > 2 && this.open_.delete(fd)) c.close(fd);
      throw e;
    } finally {
      if (listener) c.close(listener.fd);
    }
    return { kind, n, rfd, wfd, maxfd, fd2idx: buildFd2idx(rfd, maxfd) };
  }

  /** A listener on 127.0.0.1, port chosen by the kernel (as bench.c's tcp_listener). */
  private tcpListener(): { fd: number; addr: Buffer } {
    const c = this.c;
    const fd = check(c, 'socket', c.socket(AF_INET, SOCK_STREAM, 0));
    const addr = encodeSockaddrIn(INADDR_LOOPBACK, 0);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(addr.length);
    check(c, 'bind', c.bind(fd, addr, addr.length));
    check(c, 'listen', c.listen(fd, 128));
    check(c, 'getsockname', c.getsockname(fd, addr, len));
    return { fd, addr };
  }

  /** A TCP connection over loopback into `pair`: the accepted end, then the connecting end. */
  private tcpPair(l: { fd: number; addr: Buffer }, pair: Buffer): void {
    const c = this.c;
    const cfd = check(c, 'socket', c.socket(AF_INET, SOCK_STREAM | O.O_NONBLOCK, 0));
    this.open_.add(cfd);
    // Loopback: the handshake completes inside the call; connect says EINPROGRESS all the same.
    if (c.connect(cfd, l.addr, l.addr.length) < 0 && c.errno() !== EINPROGRESS)
      throw new Error(`connect failed: errno ${c.errno()}`);
    const afd = check(c, 'accept4', c.accept4(l.fd, null, null, O.O_NONBLOCK));
    this.open_.add(afd);
    for (const fd of [cfd, afd])
      check(c, 'setsockopt', c.setsockopt(fd, IPPROTO.IPPROTO_TCP, TCP_OPT.TCP_NODELAY, this.one32, 4));
    pair.writeInt32LE(afd, 0);
    pair.writeInt32LE(cfd, 4);
  }

  closeFd(fd: number): void {
    this.open_.delete(fd);
    check(this.c, 'close', this.c.close(fd));
  }

  write(o: Objects, i: number): void {
    const eventfd = o.kind === 'eventfd';
    const len = eventfd ? 8 : 1;
    const r = this.c.write(o.wfd[i], eventfd ? this.one : this.byte, len);
    if (r !== len) throw new Error(`write failed: ${r}, errno ${this.c.errno()}`);
  }

  read(o: Objects, i: number): number {
    const c = this.c;
    const fd = o.rfd[i];
    const buf = this.rbuf;
    if (o.kind === 'eventfd') {
      return c.read(fd, buf, 8) === 8 ? Number(buf.readBigUInt64LE(0)) : 0;
    }
    let total = 0;
    for (;;) {
      const r = c.read(fd, buf, 256);
      if (r <= 0) break;
      total += r;
      if (r < 256) break;
    }
    return total;
  }

  readOne(o: Objects, i: number): boolean {
    const r = this.c.read(o.rfd[i], this.rbuf, o.kind === 'eventfd' ? 8 : 1);
    if (r < 0 && this.c.errno() !== EAGAIN) throw new Error(`read failed: errno ${this.c.errno()}`);
    return r > 0;
  }

  mux(mech: Mechanism, o: Objects): Mux {
    const c = this.c;
    if (mech === 'select') {
      const nfds = o.maxfd + 1;
      const words = Math.ceil(nfds / 64) * 2; // 32-bit words
      const setIn = new Uint32Array(words);
      const setOut = new Uint32Array(words);
      for (const fd of o.rfd) setIn[fd >>> 5] |= 1 << (fd & 31);
      const outBuf = Buffer.from(setOut.buffer);
      const tv = Buffer.alloc(16);
      const call = () => {
        setOut.set(setIn);
        tv.fill(0);
        return check(c, 'select', c.select(nfds, outBuf, null, null, tv));
      };
      return {
        dispatch(onReady) {
          let r = call();
          for (let w = 0; w < words && r > 0; w++) {
            let bits = setOut[w];
            while (bits !== 0) {
              const low = bits & -bits;
              bits ^= low;
              onReady(o.fd2idx[w * 32 + 31 - Math.clz32(low)]);
              r--;
            }
          }
        },
        call,
        close() {},
      };
    }
    if (mech === 'poll') {
      const n = o.n;
      const pfd = Buffer.alloc(8 * n);
      for (let i = 0; i < n; i++) {
        pfd.writeInt32LE(o.rfd[i], 8 * i);
        pfd.writeInt16LE(POLL.POLLIN, 8 * i + 4);
      }
      const rev = new Int16Array(pfd.buffer, pfd.byteOffset, 4 * n);
      const call = () => check(c, 'poll', c.poll(pfd, n, 0));
      return {
        dispatch(onReady) {
          call();
          for (let i = 0; i < n; i++) if (rev[4 * i + 3] & POLL.POLLIN) onReady(i);
        },
        call,
        close() {},
      };
    }
    const { ep, max, oneshot } = watchAll(this, mech, o);
    const evs = Buffer.alloc(12 * max);
    const call = () => check(c, 'epoll_wait', c.epoll_wait(ep, evs, max, 0));
    const rearm = Buffer.alloc(12);
    rearm.writeUInt32LE((EPOLL.EPOLLIN | EPOLL.EPOLLONESHOT) >>> 0, 0);
    return {
      dispatch(onReady) {
        const r = call();
        for (let i = 0; i < r; i++) {
          const idx = evs.readUInt32LE(12 * i + 4);
          onReady(idx);
          if (oneshot) {
            rearm.writeUInt32LE(idx, 4);
            check(c, 'epoll_ctl', c.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_MOD, o.rfd[idx], rearm));
          }
        }
      },
      call,
      close: () => this.closeFd(ep),
    };
  }

  epollCreate(): number {
    const ep = check(this.c, 'epoll_create1', this.c.epoll_create1(0));
    this.open_.add(ep);
    return ep;
  }

  epollCtl(epfd: number, op: number, fd: number, events: number, data: number): void {
    const ev = this.evctl;
    ev.writeUInt32LE(events >>> 0, 0);
    ev.writeUInt32LE(data >>> 0, 4);
    ev.writeUInt32LE(0, 8);
    check(this.c, 'epoll_ctl', this.c.epoll_ctl(epfd, op, fd, op === EPOLL_CTL.EPOLL_CTL_DEL ? null : ev));
  }

  epollWait(epfd: number, max: number): number {
    return check(this.c, 'epoll_wait', this.c.epoll_wait(epfd, this.evbuf, Math.min(max, MAX_EVENTS), 0));
  }

  stats(): null {
    return null;
  }

  dispose(): void {
    for (const fd of this.open_) this.c.close(fd);
    this.open_.clear();
  }
}
