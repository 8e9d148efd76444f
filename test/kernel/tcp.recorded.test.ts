// Scripts recorded on Linux 6.18 (`iomux record`: every expect is what the real kernel
// returned, in a private network namespace's loopback) and run here on the simulated kernel:
// each must hold step for step. They were written while modelling TCP to check the behaviours
// the unit tests state one by one (tcp.test.ts), in the script text form (docs/script-format.md).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simBackend } from '../../src/kernel/index.ts';
import { runScript } from '../../src/script/run.ts';
import { parseScriptSource } from '../../src/script/text.ts';

const RECORDED: readonly string[] = [
  `name: refused, unconnected calls, EALREADY-to-0-to-EISCONN, shutdown both ways, port 0

u = socket(AF_INET, SOCK_STREAM, 0) -> {ret: u}
send($u, "x", MSG_NOSIGNAL) -> EPIPE
recv($u, 4, MSG_DONTWAIT) -> ENOTCONN
connect($u, "127.0.0.1:9") -> ECONNREFUSED
getsockname($u) -> {ret: 0, address: "0.0.0.0:*"}
poll([{fd: $u, events: POLLIN|POLLOUT|POLLRDHUP}], 0) -> {ret: 1, revents: [POLLOUT|POLLHUP]}
connect($u, "127.0.0.1:9") -> ECONNREFUSED
l = socket(AF_INET, SOCK_STREAM, 0) -> {ret: l}
bind($l, "127.0.0.1:8080") -> 0
listen($l, 4) -> 0
getsockopt($l, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 536}
c = socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) -> {ret: c}
connect($c, "127.0.0.1:8080") -> EINPROGRESS
connect($c, "127.0.0.1:8080") -> 0
connect($c, "127.0.0.1:8080") -> EISCONN
listen($c, 4) -> EINVAL
accept4($c, 0) -> EINVAL
a = accept4($l, 0) -> {ret: a}
getsockopt($c, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 32741}
getsockopt($a, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 32768}
getsockopt($a, SOL_SOCKET, SO_SNDBUF) -> {ret: 0, value: 3939840}
getsockopt($a, SOL_SOCKET, SO_RCVBUF) -> {ret: 0, value: 131072}
getpeername($a) -> {ret: 0, address: "127.0.0.1:*"}
shutdown($c, 1) -> 0
poll([{fd: $c, events: POLLIN|POLLOUT|POLLRDHUP}, {fd: $a, events: POLLIN|POLLOUT|POLLRDHUP}], 0) -> {ret: 2, revents: [POLLOUT, POLLIN|POLLOUT|POLLRDHUP]}
recv($a, 4, 0) -> {ret: 0, data: ""}
send($a, "late", 0) -> 4
recv($c, 8, 0) -> {ret: 4, data: "late"}
shutdown($a, 1) -> 0
poll([{fd: $c, events: POLLIN|POLLOUT|POLLRDHUP}, {fd: $a, events: POLLIN|POLLOUT|POLLRDHUP}], 0) -> {ret: 2, revents: [POLLIN|POLLOUT|POLLHUP|POLLRDHUP, POLLIN|POLLOUT|POLLHUP|POLLRDHUP]}
getpeername($c) -> ENOTCONN
getpeername($a) -> ENOTCONN
send($c, "x", MSG_NOSIGNAL) -> EPIPE
send($a, "x", MSG_NOSIGNAL) -> EPIPE
recv($c, 8, 0) -> {ret: 0, data: ""}
ioctl_siocoutq($a) -> 0
ioctl_fionread($a) -> 0
shutdown($a, 0) -> ENOTCONN
close($c) -> 0
close($a) -> 0
r = socket(AF_INET, SOCK_STREAM, 0) -> {ret: r}
bind($r, "127.0.0.1:0") -> 0
getsockname($r) -> {ret: 0, address: "127.0.0.1:*"}
`,
  `name: accept queue full, SYN retransmit, urgent data, SO_RCVLOWAT caps, IPPROTO_TCP options,
  listener close resets its queue

l = socket(AF_INET, SOCK_STREAM, 0) -> {ret: l}
bind($l, "127.0.0.1:8080") -> 0
listen($l, 0) -> 0
@acc a1 = accept4($l, 0)
blocked(acc) -> 1
c1 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c1}
connect($c1, "127.0.0.1:8080") -> 0
join(acc) -> {ret: a1}
c2 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c2}
connect($c2, "127.0.0.1:8080") -> 0
c3 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c3}
@t3 connect($c3, "127.0.0.1:8080")
sleep(200) -> 0
blocked(t3) -> 1
a2 = accept4($l, 0) -> {ret: a2}
sleep(1500) -> 0
blocked(t3) -> 0
join(t3) -> 0
a3 = accept4($l, 0) -> {ret: a3}
send($c1, "abc", MSG_OOB) -> 3
poll([{fd: $a1, events: POLLIN|POLLPRI}], 0) -> {ret: 1, revents: [POLLIN|POLLPRI]}
ioctl_siocatmark($a1) -> 0
recv($a1, 1, MSG_OOB|MSG_PEEK) -> {ret: 1, data: "c"}
recv($a1, 10, 0) -> {ret: 2, data: "ab"}
ioctl_siocatmark($a1) -> 1
ioctl_fionread($a1) -> 0
recv($a1, 10, MSG_DONTWAIT) -> EAGAIN
recv($a1, 1, MSG_OOB) -> EINVAL
recv($a1, 1, MSG_OOB) -> EINVAL
poll([{fd: $a1, events: POLLIN|POLLPRI}], 0) -> {ret: 0, revents: ["0"]}
send($c1, "de", MSG_OOB) -> 2
send($c1, "fg", MSG_OOB) -> 2
ioctl_fionread($a1) -> 3
recv($a1, 10, 0) -> {ret: 3, data: "def"}
recv($a1, 10, MSG_OOB) -> {ret: 1, data: "g"}
setsockopt($a1, SOL_SOCKET, SO_OOBINLINE, 1) -> 0
send($c1, "hi", MSG_OOB) -> 2
poll([{fd: $a1, events: POLLIN|POLLPRI}], 0) -> {ret: 1, revents: [POLLIN|POLLPRI]}
ioctl_fionread($a1) -> 3
recv($a1, 10, 0) -> {ret: 2, data: "gh"}
ioctl_siocatmark($a1) -> 1
recv($a1, 10, 0) -> {ret: 1, data: "i"}
recv($a1, 1, MSG_OOB) -> EINVAL
setsockopt($a2, SOL_SOCKET, SO_RCVBUF, 4096) -> 0
setsockopt($a2, SOL_SOCKET, SO_RCVLOWAT, 100000) -> 0
getsockopt($a2, SOL_SOCKET, SO_RCVLOWAT) -> {ret: 0, value: 4096}
setsockopt($a3, SOL_SOCKET, SO_RCVLOWAT, 1000) -> 0
getsockopt($a3, SOL_SOCKET, SO_RCVLOWAT) -> {ret: 0, value: 1000}
getsockopt($a3, SOL_SOCKET, SO_RCVBUF) -> {ret: 0, value: 131072}
setsockopt($c3, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 1000) -> 0
getsockopt($c3, IPPROTO_TCP, TCP_NOTSENT_LOWAT) -> {ret: 0, value: 1000}
setsockopt($c3, IPPROTO_TCP, TCP_CORK, 5) -> 0
getsockopt($c3, IPPROTO_TCP, TCP_CORK) -> {ret: 0, value: 1}
setsockopt($c3, IPPROTO_TCP, TCP_CORK, 0) -> 0
setsockopt($c3, IPPROTO_TCP, TCP_KEEPCNT, 0) -> EINVAL
setsockopt($c3, IPPROTO_TCP, TCP_KEEPIDLE, 100) -> 0
getsockopt($c3, IPPROTO_TCP, TCP_KEEPIDLE) -> {ret: 0, value: 100}
getsockopt($c3, IPPROTO_TCP, TCP_KEEPINTVL) -> {ret: 0, value: 75}
setsockopt($c3, IPPROTO_TCP, TCP_LINGER2, -3) -> 0
getsockopt($c3, IPPROTO_TCP, TCP_LINGER2) -> {ret: 0, value: -1}
setsockopt($c3, IPPROTO_TCP, TCP_LINGER2, 500) -> 0
getsockopt($c3, IPPROTO_TCP, TCP_LINGER2) -> {ret: 0, value: 120}
setsockopt($c3, IPPROTO_TCP, TCP_MAXSEG, 40000) -> EINVAL
setsockopt($c3, IPPROTO_TCP, TCP_MAXSEG, 1000) -> 0
getsockopt($c3, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 32741}
getsockopt($c3, IPPROTO_TCP, TCP_NODELAY) -> {ret: 0, value: 0}
listen($l, 8) -> 0
c4 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c4}
connect($c4, "127.0.0.1:8080") -> 0
c5 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c5}
connect($c5, "127.0.0.1:8080") -> 0
shutdown($c5, 1) -> 0
close($l) -> 0
poll([{fd: $c4, events: POLLIN|POLLOUT|POLLRDHUP}, {fd: $c5, events: POLLIN|POLLOUT|POLLRDHUP}], 0) -> {ret: 2, revents: [POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP, POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP]}
recv($c4, 4, 0) -> ECONNRESET
getsockopt($c5, SOL_SOCKET, SO_ERROR) -> {ret: 0, value: ECONNRESET}
send($c4, "x", MSG_NOSIGNAL) -> EPIPE
`,
  `name: dual-stack listener, v4-mapped names, edge-triggered epoll on data and FIN, MSG_WAITALL to EOF

l = socket(AF_INET6, SOCK_STREAM, 0) -> {ret: l}
bind($l, "[::]:8080") -> 0
listen($l, 8) -> 0
c = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c}
setsockopt($c, SOL_SOCKET, SO_SNDBUF, 4096) -> 0
connect($c, "127.0.0.1:8080") -> 0
a = accept4($l, 0) -> {ret: a}
getpeername($a) -> {ret: 0, address: "[::ffff:127.0.0.1]:*"}
getsockname($a) -> {ret: 0, address: "[::ffff:127.0.0.1]:8080"}
setsockopt($a, SOL_SOCKET, SO_RCVBUF, 4096) -> 0
getsockopt($c, SOL_SOCKET, SO_SNDBUF) -> {ret: 0, value: 8192}
ep = epoll_create1(0) -> {ret: ep}
epoll_ctl($ep, EPOLL_CTL_ADD, $c, {events: EPOLLOUT|EPOLLET, data: 1}) -> 0
epoll_ctl($ep, EPOLL_CTL_ADD, $a, {events: EPOLLIN|EPOLLRDHUP|EPOLLET, data: 2}) -> 0
epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLOUT, data: 1}]}
epoll_wait($ep, 8, 0) -> {ret: 0, events: []}
c6 = socket(AF_INET6, SOCK_STREAM, 0) -> {ret: c6}
connect($c6, "[::1]:8080") -> 0
a6 = accept4($l, 0) -> {ret: a6}
getpeername($a6) -> {ret: 0, address: "[::1]:*"}
cm = socket(AF_INET6, SOCK_STREAM, 0) -> {ret: cm}
connect($cm, "[::ffff:127.0.0.1]:8080") -> 0
getsockname($cm) -> {ret: 0, address: "[::ffff:127.0.0.1]:*"}
am = accept4($l, 0) -> {ret: am}
getsockname($am) -> {ret: 0, address: "[::ffff:127.0.0.1]:8080"}
x = socket(AF_INET6, SOCK_STREAM, 0) -> {ret: x}
connect($x, "127.0.0.1:8080") -> EINVAL
y = socket(AF_INET, SOCK_STREAM, 0) -> {ret: y}
connect($y, "[::1]:8080") -> EAFNOSUPPORT
send($c, "hello", 0) -> 5
epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLIN, data: 2}]}
epoll_wait($ep, 8, 0) -> {ret: 0, events: []}
send($c, "again", 0) -> 5
epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLIN, data: 2}]}
recv($a, 3, 0) -> {ret: 3, data: "hel"}
epoll_wait($ep, 8, 0) -> {ret: 0, events: []}
shutdown($c, 1) -> 0
epoll_wait($ep, 8, 0) -> {ret: 2, events: [{events: EPOLLIN|EPOLLRDHUP, data: 2}, {events: EPOLLOUT, data: 1}]}
recv($a, 100, MSG_WAITALL) -> {ret: 7, data: "loagain"}
recv($a, 100, MSG_WAITALL) -> {ret: 0, data: ""}
send($c, "z", 0) -> EPIPE
sigpending() -> {ret: 0, set: []}
close($a) -> 0
poll([{fd: $c, events: POLLIN|POLLOUT|POLLRDHUP}], 0) -> {ret: 1, revents: [POLLIN|POLLOUT|POLLHUP|POLLRDHUP]}
recv($c, 4, 0) -> {ret: 0, data: ""}
`,
  `name: blocked readers woken by FIN and RST, repeated shutdown, EPOLLEXCLUSIVE on a listener, reading
  past the mark drops the urgent byte

l = socket(AF_INET, SOCK_STREAM, 0) -> {ret: l}
bind($l, "127.0.0.1:8080") -> 0
listen($l, 8) -> 0
c = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c}
connect($c, "127.0.0.1:8080") -> 0
a = accept4($l, 0) -> {ret: a}
@r recv($a, 10, 0)
blocked(r) -> 1
shutdown($c, 1) -> 0
join(r) -> {ret: 0, data: ""}
shutdown($c, 1) -> 0
shutdown($a, 1) -> 0
shutdown($a, 1) -> ENOTCONN
shutdown($c, 1) -> ENOTCONN
shutdown($c, 0) -> ENOTCONN
c2 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c2}
connect($c2, "127.0.0.1:8080") -> 0
a2 = accept4($l, 0) -> {ret: a2}
@r2 recv($c2, 10, 0)
setsockopt($a2, SOL_SOCKET, SO_LINGER, {onoff: 1, linger: 0}) -> 0
close($a2) -> 0
join(r2) -> ECONNRESET
e1 = epoll_create1(0) -> {ret: e1}
e2 = epoll_create1(0) -> {ret: e2}
epoll_ctl($e1, EPOLL_CTL_ADD, $l, {events: EPOLLIN|EPOLLEXCLUSIVE, data: 1}) -> 0
epoll_ctl($e2, EPOLL_CTL_ADD, $l, {events: EPOLLIN|EPOLLEXCLUSIVE, data: 2}) -> 0
@w1 epoll_wait($e1, 4, -1)
@w2 epoll_wait($e2, 4, -1)
c3 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c3}
connect($c3, "127.0.0.1:8080") -> 0
sleep(50) -> 0
blocked(w1) -> 0
blocked(w2) -> 1
a3 = accept4($l, 0) -> {ret: a3}
c4 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c4}
connect($c4, "127.0.0.1:8080") -> 0
sleep(50) -> 0
blocked(w1) -> 0
blocked(w2) -> 0
a4 = accept4($l, 0) -> {ret: a4}
setsockopt($c3, SOL_SOCKET, SO_SNDBUF, 4096) -> 0
setsockopt($a3, SOL_SOCKET, SO_RCVBUF, 4096) -> 0
c5 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c5}
connect($c5, "127.0.0.1:8080") -> 0
a5 = accept4($l, 0) -> {ret: a5}
@o recv($a5, 4, MSG_OOB)
join(o) -> EINVAL
send($c5, "ab", MSG_OOB) -> 2
recv($a5, 1, 0) -> {ret: 1, data: "a"}
recv($a5, 4, MSG_DONTWAIT) -> EAGAIN
recv($a5, 4, MSG_OOB) -> EINVAL
ioctl_siocatmark($a5) -> 0
close($c5) -> 0
recv($a5, 4, MSG_OOB) -> EINVAL
recv($a5, 4, 0) -> {ret: 0, data: ""}
recv($a5, 4, MSG_OOB) -> EINVAL
`,
  `name: MSS after connect (IPv4, IPv6, TCP_MAXSEG), sndbuf after connect, SIGPIPE

l = socket(AF_INET6, SOCK_STREAM, 0) -> {ret: l}
bind($l, "[::]:8080") -> 0
listen($l, 8) -> 0
c = socket(AF_INET6, SOCK_STREAM, 0) -> {ret: c}
connect($c, "[::1]:8080") -> 0
a = accept4($l, 0) -> {ret: a}
getsockopt($c, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 32732}
getsockopt($a, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 32768}
getsockopt($a, SOL_SOCKET, SO_SNDBUF) -> {ret: 0, value: 3939840}
d = socket(AF_INET, SOCK_STREAM, 0) -> {ret: d}
setsockopt($d, IPPROTO_TCP, TCP_MAXSEG, 1000) -> 0
setsockopt($d, SOL_SOCKET, SO_SNDBUF, 10000) -> 0
connect($d, "127.0.0.1:8080") -> 0
b = accept4($l, 0) -> {ret: b}
getsockopt($d, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 988}
getsockopt($b, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 988}
getsockopt($d, SOL_SOCKET, SO_SNDBUF) -> {ret: 0, value: 20000}
setsockopt($l, IPPROTO_TCP, TCP_MAXSEG, 2000) -> 0
getsockopt($l, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 2000}
f = socket(AF_INET6, SOCK_STREAM, 0) -> {ret: f}
connect($f, "[::1]:8080") -> 0
g = accept4($l, 0) -> {ret: g}
getsockopt($f, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 1988}
getsockopt($g, IPPROTO_TCP, TCP_MAXSEG) -> {ret: 0, value: 1988}
sigprocmask(SIG_BLOCK, [SIGPIPE]) -> {ret: 0, old: []}
shutdown($c, 1) -> 0
send($c, "x", 0) -> EPIPE
sigpending() -> {ret: 0, set: [SIGPIPE]}
`,
  `name: epoll on a non-blocking connect and on a refused one, SHUT_RD still receives,
  connect(AF_UNSPEC), no listen after a disconnect

l = socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) -> {ret: l}
bind($l, "127.0.0.1:8080") -> 0
listen($l, 8) -> 0
ep = epoll_create1(0) -> {ret: ep}
epoll_ctl($ep, EPOLL_CTL_ADD, $l, {events: EPOLLIN|EPOLLET, data: 9}) -> 0
c = socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) -> {ret: c}
epoll_ctl($ep, EPOLL_CTL_ADD, $c, {events: EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data: 1}) -> 0
epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLOUT|EPOLLHUP, data: 1}]}
connect($c, "127.0.0.1:8080") -> EINPROGRESS
epoll_wait($ep, 8, 0) -> {ret: 2, events: [{events: EPOLLOUT, data: 1}, {events: EPOLLIN, data: 9}]}
epoll_wait($ep, 8, 0) -> {ret: 0, events: []}
c2 = socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) -> {ret: c2}
connect($c2, "127.0.0.1:8080") -> EINPROGRESS
epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLIN, data: 9}]}
a = accept4($l, 0) -> {ret: a}
a2 = accept4($l, 0) -> {ret: a2}
accept4($l, 0) -> EAGAIN
r = socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) -> {ret: r}
epoll_ctl($ep, EPOLL_CTL_ADD, $r, {events: EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data: 3}) -> 0
epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLOUT|EPOLLHUP, data: 3}]}
connect($r, "127.0.0.1:9") -> EINPROGRESS
epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLIN|EPOLLOUT|EPOLLERR|EPOLLHUP|EPOLLRDHUP, data: 3}]}
shutdown($a, 0) -> 0
send($c, "after shut rd", 0) -> 13
recv($a, 32, 0) -> {ret: 13, data: "after shut rd"}
connect($a2, AF_UNSPEC) -> 0
getpeername($a2) -> ENOTCONN
getsockname($a2) -> {ret: 0, address: "127.0.0.1:8080"}
recv($c2, 8, 0) -> ECONNRESET
listen($a2, 4) -> EINVAL
getsockname($a2) -> {ret: 0, address: "127.0.0.1:*"}
listen($r, 4) -> EINVAL
epoll_wait($ep, 8, 0) -> {ret: 0, events: []}
close($a) -> 0
epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLIN|EPOLLOUT|EPOLLRDHUP, data: 1}]}
send($c, "x", MSG_NOSIGNAL) -> 1
epoll_wait($ep, 8, 0) -> {ret: 1, events: [{events: EPOLLIN|EPOLLOUT|EPOLLERR|EPOLLHUP|EPOLLRDHUP, data: 1}]}
`,
  `name: EINTR and SA_RESTART on accept, recv and connect

sigaction(SIGUSR1, catch, 0) -> 0
sigaction(SIGUSR2, catch, SA_RESTART) -> 0
l = socket(AF_INET, SOCK_STREAM, 0) -> {ret: l}
bind($l, "127.0.0.1:8080") -> 0
listen($l, 0) -> 0
@t1 accept4($l, 0)
tgkill(t1, SIGUSR1) -> 0
join(t1) -> EINTR
@t1 a = accept4($l, 0)
tgkill(t1, SIGUSR2) -> 0
blocked(t1) -> 1
c = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c}
connect($c, "127.0.0.1:8080") -> 0
join(t1) -> {ret: a}
@t2 recv($a, 8, 0)
tgkill(t2, SIGUSR1) -> 0
join(t2) -> EINTR
@t2 recv($a, 8, 0)
tgkill(t2, SIGUSR2) -> 0
blocked(t2) -> 1
send($c, "hi", 0) -> 2
join(t2) -> {ret: 2, data: "hi"}
c2 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c2}
connect($c2, "127.0.0.1:8080") -> 0
c3 = socket(AF_INET, SOCK_STREAM, 0) -> {ret: c3}
@t3 connect($c3, "127.0.0.1:8080")
tgkill(t3, SIGUSR1) -> 0
join(t3) -> EINTR
@t3 connect($c3, "127.0.0.1:8080")
tgkill(t3, SIGUSR2) -> 0
blocked(t3) -> 1
accept4($l, 0) -> 8
sleep(1500) -> 0
join(t3) -> 0
getpeername($c3) -> {ret: 0, address: "127.0.0.1:8080"}
`,
];

for (const text of RECORDED) {
  const script = parseScriptSource('tcp.iomux', text);
  test(`recorded on Linux, holds on the simulated kernel: ${script.name}`, async () => {
    const report = await runScript(script, simBackend);
    assert.equal(
      report.failure,
      undefined,
      report.failure && `step ${report.failure.step}: ${report.failure.message}`,
    );
    const mismatches = report.outcomes.filter((o) => o.ok === false);
    assert.deepEqual(
      mismatches.map(
        (o) =>
          `step ${o.step} ${o.call}: expected ${JSON.stringify(o.expected)}, got ${JSON.stringify(o.result)}`,
      ),
      [],
    );
    assert.ok(report.outcomes.some((o) => o.ok === true));
  });
}
