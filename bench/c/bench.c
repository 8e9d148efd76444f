// The C reference program of the iomux benchmark (src/bench): the same scenarios the TypeScript
// drivers run on the simulated kernel and through koffi, made here as plain system calls, so the
// real kernel's cost is measured without any runtime in between.
//
// Compiled at run time by src/bench/cref.ts (gcc -O2) into a cache directory, never committed.
// Protocol: one job per line on stdin, one JSON object per line on stdout.
//
//   libevent MECH OBJ N A W REPS TARGET_US WARMUP_US   the libevent bench model (libevent test/bench.c):
//       N watched objects, A active writers, W chained writes; MECH select|poll|epoll-lt|
//       epoll-et|epoll-oneshot; OBJ pipe|socketpair|eventfd|tcp (a TCP connection on loopback:
//       the accepted end watched, the connecting end written, TCP_NODELAY on both). Untimed warm-up
//       iterations fill WARMUP_US first (at least one); each repetition then runs as many
//       iterations as fill TARGET_US (calibrated on a warm iteration); prints ns per iteration.
//   op NAME[,NAME...] OBJ N REPS K CTLK WARMUP_US   operations, each K times per rep among N watched
//       objects, after untimed repetitions that fill WARMUP_US (at least one)
//       (CTLK objects added, modified and deleted per rep for ctl_*; one line per operation): epoll_wait0 epoll_wait1 ctl_add ctl_mod
//       ctl_del cycle cycle_wake read write poll1 select0 poll0
//   Every job's output ends with the line {"job":"done"}.
//   limits                                RLIMIT_NOFILE after raising the soft limit to the hard one
//   fdset                                 select beyond FD_SETSIZE: the raw system call with a
//       hand-made bitmap, and glibc's FD_SET past 1024 in a fortified child
//
// select is the raw system call (syscall(SYS_select)) with bitmaps of ceil(nfds/64) words: the
// kernel reads FDS_BYTES(nfds) (fs/select.c core_sys_select), glibc's fd_set stops at 1024.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum mech { M_SELECT, M_POLL, M_EPOLL_LT, M_EPOLL_ET, M_EPOLL_ONESHOT };
enum obj { O_PIPE, O_SOCKETPAIR, O_EVENTFD, O_TCP };

#define MAX_EVENTS 1024

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "bench.c: %s: %s\n", what, strerror(errno));
  exit(2);
}

static long raw_select(int n, unsigned long *in, unsigned long *out, unsigned long *ex, struct timeval *tv) {
  return syscall(SYS_select, n, in, out, ex, tv);
}

// ---- watched objects ---------------------------------------------------------------------------

struct objs {
  enum obj kind;
  int n;
  int *rfd; // the end to watch and read
  int *wfd; // the end to write (== rfd for eventfd)
  int maxfd;
  int *fd2idx;
};

/** A listener on 127.0.0.1, port chosen by the kernel; its address in *sin. */
static int tcp_listener(struct sockaddr_in *sin) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0) die("socket");
  memset(sin, 0, sizeof *sin);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof *sin;
  if (bind(l, (struct sockaddr *)sin, len) < 0 || listen(l, 128) < 0) die("bind/listen");
  if (getsockname(l, (struct sockaddr *)sin, &len) < 0) die("getsockname");
  return l;
}

/** A TCP connection over loopback: fds[0] the accepted end, fds[1] the connecting end. */
static void tcp_pair(int l, const struct sockaddr_in *sin, int fds[2]) {
  int one = 1;
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c < 0) die("socket");
  // Loopback: the handshake completes inside the call; connect says EINPROGRESS all the same.
  if (connect(c, (const struct sockaddr *)sin, sizeof *sin) < 0 && errno != EINPROGRESS) die("connect");
  int a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  if (a < 0) die("accept4");
  if (setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
      setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
    die("TCP_NODELAY");
  fds[0] = a;
  fds[1] = c;
}

static void objs_open(struct objs *o, enum obj kind, int n) {
  struct sockaddr_in sin;
  int l = kind == O_TCP ? tcp_listener(&sin) : -1;
  o->kind = kind;
  o->n = n;
  o->rfd = malloc(sizeof(int) * n);
  o->wfd = malloc(sizeof(int) * n);
  o->maxfd = 0;
  for (int i = 0; i < n; i++) {
    int fds[2];
    if (kind == O_PIPE) {
      if (pipe2(fds, O_NONBLOCK) < 0) die("pipe2");
    } else if (kind == O_SOCKETPAIR) {
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) < 0) die("socketpair");
    } else if (kind == O_TCP) {
      tcp_pair(l, &sin, fds);
    } else {
      fds[0] = fds[1] = eventfd(0, EFD_NONBLOCK);
      if (fds[0] < 0) die("eventfd");
    }
    o->rfd[i] = fds[0];
    o->wfd[i] = fds[1];
    if (fds[0] > o->maxfd) o->maxfd = fds[0];
    if (fds[1] > o->maxfd) o->maxfd = fds[1];
  }
  if (l >= 0) close(l);
  o->fd2idx = malloc(sizeof(int) * (o->maxfd + 1));
  for (int i = 0; i <= o->maxfd; i++) o->fd2idx[i] = -1;
  for (int i = 0; i < n; i++) o->fd2idx[o->rfd[i]] = i;
}

static void objs_close(struct objs *o) {
  for (int i = 0; i < o->n; i++) {
    close(o->rfd[i]);
    if (o->wfd[i] != o->rfd[i]) close(o->wfd[i]);
  }
  free(o->rfd);
  free(o->wfd);
  free(o->fd2idx);
}

static void obj_write(struct objs *o, int i) {
  if (o->kind == O_EVENTFD) {
    uint64_t one = 1;
    if (write(o->wfd[i], &one, 8) != 8) die("write eventfd");
  } else if (write(o->wfd[i], "e", 1) != 1) {
    die("write");
  }
}

/** Read what is there; returns the units consumed (bytes, or the eventfd counter), 0 if none. */
static long obj_read(struct objs *o, int i) {
  if (o->kind == O_EVENTFD) {
    uint64_t v;
    ssize_t r = read(o->rfd[i], &v, 8);
    return r == 8 ? (long)v : 0;
  }
  char buf[256];
  long total = 0;
  for (;;) {
    ssize_t r = read(o->rfd[i], buf, sizeof buf);
    if (r <= 0) break;
    total += r;
    if (r < (ssize_t)sizeof buf) break;
  }
  return total;
}

// ---- the libevent model ------------------------------------------------------------------------

struct loop {
  enum mech mech;
  struct objs *o;
  int epfd;
  struct pollfd *pfds;
  unsigned long *set_in, *set_out;
  int nwords;
  struct epoll_event evs[MAX_EVENTS];
  long count, fired, writes;
  long calls, events;
};

static void loop_init(struct loop *l, enum mech mech, struct objs *o) {
  memset(l, 0, sizeof *l);
  l->mech = mech;
  l->o = o;
  l->epfd = -1;
  if (mech == M_SELECT) {
    l->nwords = (o->maxfd + 1 + 63) / 64;
    l->set_in = calloc(l->nwords, 8);
    l->set_out = calloc(l->nwords, 8);
    for (int i = 0; i < o->n; i++) l->set_in[o->rfd[i] / 64] |= 1ul << (o->rfd[i] % 64);
  } else if (mech == M_POLL) {
    l->pfds = malloc(sizeof(struct pollfd) * o->n);
    for (int i = 0; i < o->n; i++) {
      l->pfds[i].fd = o->rfd[i];
      l->pfds[i].events = POLLIN;
    }
  } else {
    l->epfd = epoll_create1(0);
    if (l->epfd < 0) die("epoll_create1");
    uint32_t flags = mech == M_EPOLL_ET ? EPOLLET : mech == M_EPOLL_ONESHOT ? EPOLLONESHOT : 0;
    for (int i = 0; i < o->n; i++) {
      struct epoll_event ev = { .events = EPOLLIN | flags, .data.u64 = (uint64_t)i };
      if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, o->rfd[i], &ev) < 0) die("epoll_ctl ADD");
    }
  }
}

static void loop_free(struct loop *l) {
  free(l->set_in);
  free(l->set_out);
  free(l->pfds);
  if (l->epfd >= 0) close(l->epfd);
}

// libevent's read_cb: read, and pass a write on to the next object while writes remain.
static void on_ready(struct loop *l, int idx) {
  l->events++;
  l->count += obj_read(l->o, idx);
  if (l->writes > 0) {
    int widx = idx + 1;
    if (widx >= l->o->n) widx -= l->o->n;
    obj_write(l->o, widx);
    l->writes--;
    l->fired++;
  }
}

static void dispatch(struct loop *l) {
  struct objs *o = l->o;
  l->calls++;
  if (l->mech == M_SELECT) {
    struct timeval tv = { 0, 0 };
    memcpy(l->set_out, l->set_in, (size_t)l->nwords * 8);
    long r = raw_select(o->maxfd + 1, l->set_out, NULL, NULL, &tv);
    if (r < 0) die("select");
    for (int w = 0; w < l->nwords && r > 0; w++) {
      unsigned long bits = l->set_out[w];
      while (bits) {
        int b = __builtin_ctzl(bits);
        bits &= bits - 1;
        on_ready(l, o->fd2idx[w * 64 + b]);
        r--;
      }
    }
  } else if (l->mech == M_POLL) {
    int r = poll(l->pfds, o->n, 0);
    if (r < 0) die("poll");
    for (int i = 0; i < o->n; i++)
      if (l->pfds[i].revents & POLLIN) on_ready(l, i);
  } else {
    int max = o->n < MAX_EVENTS ? o->n : MAX_EVENTS;
    int r = epoll_wait(l->epfd, l->evs, max, 0);
    if (r < 0) die("epoll_wait");
    for (int i = 0; i < r; i++) {
      int idx = (int)l->evs[i].data.u64;
      on_ready(l, idx);
      if (l->mech == M_EPOLL_ONESHOT) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = (uint64_t)idx };
        if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, o->rfd[idx], &ev) < 0) die("epoll_ctl MOD");
      }
    }
  }
}

/** One run_once of libevent's bench: A writes (untimed), then dispatch until every write is read. */
static uint64_t iteration(struct loop *l, int active, int nwrites) {
  struct objs *o = l->o;
  int space = o->n / active;
  for (int i = 0; i < active; i++) obj_write(o, i * space);
  l->fired = active;
  l->count = 0;
  l->writes = nwrites;
  uint64_t t0 = now_ns();
  do dispatch(l);
  while (l->count != l->fired);
  return now_ns() - t0;
}

static enum mech parse_mech(const char *s) {
  if (!strcmp(s, "select")) return M_SELECT;
  if (!strcmp(s, "poll")) return M_POLL;
  if (!strcmp(s, "epoll-lt")) return M_EPOLL_LT;
  if (!strcmp(s, "epoll-et")) return M_EPOLL_ET;
  if (!strcmp(s, "epoll-oneshot")) return M_EPOLL_ONESHOT;
  fprintf(stderr, "bench.c: unknown mechanism %s\n", s);
  exit(2);
}

static enum obj parse_obj(const char *s) {
  if (!strcmp(s, "pipe")) return O_PIPE;
  if (!strcmp(s, "socketpair")) return O_SOCKETPAIR;
  if (!strcmp(s, "eventfd")) return O_EVENTFD;
  if (!strcmp(s, "tcp")) return O_TCP;
  fprintf(stderr, "bench.c: unknown object %s\n", s);
  exit(2);
}

static void job_libevent(const char *mech, const char *obj, int n, int active, int nwrites, int reps, int target_us,
                         int warmup_us) {
  struct objs o;
  struct loop l;
  objs_open(&o, parse_obj(obj), n);
  loop_init(&l, parse_mech(mech), &o);
  // Warm-up, untimed: the caches and the kernel's allocations settle before anything is timed.
  uint64_t w0 = now_ns();
  do iteration(&l, active, nwrites);
  while (now_ns() - w0 < (uint64_t)warmup_us * 1000);
  uint64_t t1 = iteration(&l, active, nwrites);
  long iters = (long)((double)target_us * 1000.0 / (double)(t1 ? t1 : 1));
  if (iters < 1) iters = 1;
  if (iters > 100000) iters = 100000;
  printf("{\"job\":\"libevent\",\"mechanism\":\"%s\",\"object\":\"%s\",\"n\":%d,\"active\":%d,\"writes\":%d,"
         "\"ns_per_iter\":[",
         mech, obj, n, active, nwrites);
  long calls = 0, events = 0;
  for (int r = 0; r < reps; r++) {
    uint64_t total = 0;
    l.calls = l.events = 0;
    for (long i = 0; i < iters; i++) total += iteration(&l, active, nwrites);
    calls = l.calls;
    events = l.events;
    printf("%s%.1f", r ? "," : "", (double)total / iters);
  }
  printf("],\"iters\":%ld,\"calls_per_iter\":%.3f,\"events_per_iter\":%.3f}\n", iters, (double)calls / iters,
         (double)events / iters);
  loop_free(&l);
  objs_close(&o);
}

// ---- single operations -------------------------------------------------------------------------

// cycle_wake: a second thread sleeps in epoll_wait(-1); the write wakes it; it reads and answers on a
// blocking pipe the first thread sleeps on in read. Two wake-ups per cycle.
struct waiter {
  int ep, fd, answer;
  size_t unit;
  volatile int stop;
};

static void *waiter_main(void *arg) {
  struct waiter *w = arg;
  struct epoll_event ev;
  char buf[8];
  for (;;) {
    int r = epoll_wait(w->ep, &ev, 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r != 1) die("waiter epoll_wait");
    if (read(w->fd, buf, w->unit) != (ssize_t)w->unit) die("waiter read");
    if (w->stop) return NULL;
    if (write(w->answer, "a", 1) != 1) die("waiter write");
  }
}

static uint64_t cycle_wake(struct objs *o, int i0, int ep, int k) {
  int ans[2];
  if (pipe(ans) < 0) die("pipe");
  uint64_t one = 1;
  size_t unit = o->kind == O_EVENTFD ? 8 : 1;
  const void *wbuf = o->kind == O_EVENTFD ? (const void *)&one : "e";
  struct waiter w = { .ep = ep, .fd = o->rfd[i0], .answer = ans[1], .unit = unit, .stop = 0 };
  pthread_t th;
  if (pthread_create(&th, NULL, waiter_main, &w) != 0) die("pthread_create");
  char c;
  uint64_t t0 = now_ns();
  for (int i = 0; i < k; i++) {
    if (write(o->wfd[i0], wbuf, unit) != (ssize_t)unit) die("write");
    if (read(ans[0], &c, 1) != 1) die("read answer");
  }
  uint64_t total = now_ns() - t0;
  w.stop = 1;
  if (write(o->wfd[i0], wbuf, unit) != (ssize_t)unit) die("write");
  pthread_join(th, NULL);
  close(ans[0]);
  close(ans[1]);
  return total;
}

/** ns per call of one operation, K calls per repetition. */
static double time_op(const char *name, struct objs *o, struct objs *extra, int ep, struct pollfd *pfds,
                      unsigned long *set_in, unsigned long *set_out, int nwords, int k) {
  struct epoll_event evs[64];
  char buf[8] = { 0 };
  uint64_t one = 1;
  int n = o->n, i0 = n / 2;
  size_t unit = o->kind == O_EVENTFD ? 8 : 1;
  const void *wbuf = o->kind == O_EVENTFD ? (const void *)&one : "e";
  uint64_t t0, total = 0;
  if (!strcmp(name, "epoll_wait0") || !strcmp(name, "epoll_wait1")) {
    t0 = now_ns();
    for (int i = 0; i < k; i++)
      if (epoll_wait(ep, evs, 64, 0) < 0) die("epoll_wait");
    total = now_ns() - t0;
  } else if (!strncmp(name, "ctl_", 4)) {
    struct epoll_event ev = { .events = EPOLLIN };
    uint64_t add, mod, del;
    t0 = now_ns();
    for (int i = 0; i < k; i++) {
      ev.data.u64 = (uint64_t)i;
      if (epoll_ctl(ep, EPOLL_CTL_ADD, extra->rfd[i], &ev) < 0) die("ADD");
    }
    add = now_ns() - t0;
    ev.events = EPOLLIN | EPOLLET;
    t0 = now_ns();
    for (int i = 0; i < k; i++)
      if (epoll_ctl(ep, EPOLL_CTL_MOD, extra->rfd[i], &ev) < 0) die("MOD");
    mod = now_ns() - t0;
    t0 = now_ns();
    for (int i = 0; i < k; i++)
      if (epoll_ctl(ep, EPOLL_CTL_DEL, extra->rfd[i], NULL) < 0) die("DEL");
    del = now_ns() - t0;
    total = !strcmp(name, "ctl_add") ? add : !strcmp(name, "ctl_mod") ? mod : del;
  } else if (!strcmp(name, "cycle")) {
    t0 = now_ns();
    for (int i = 0; i < k; i++) {
      if (write(o->wfd[i0], wbuf, unit) != (ssize_t)unit) die("write");
      if (epoll_wait(ep, evs, 64, 0) != 1) die("epoll_wait");
      if (read(o->rfd[i0], buf, unit) != (ssize_t)unit) die("read");
    }
    total = now_ns() - t0;
  } else if (!strcmp(name, "cycle_wake")) {
    total = cycle_wake(o, i0, ep, k);
  } else if (!strcmp(name, "write") || !strcmp(name, "read")) {
    // k writes of one unit, then k reads of one unit.
    uint64_t tw, tr;
    t0 = now_ns();
    for (int i = 0; i < k; i++)
      if (write(o->wfd[i0], wbuf, unit) != (ssize_t)unit) die("write");
    tw = now_ns() - t0;
    t0 = now_ns();
    for (int i = 0; i < k; i++)
      if (read(o->rfd[i0], buf, unit) < 0 && errno != EAGAIN) die("read");
    tr = now_ns() - t0;
    total = !strcmp(name, "write") ? tw : tr;
  } else if (!strcmp(name, "poll1")) {
    t0 = now_ns();
    for (int i = 0; i < k; i++)
      if (poll(pfds, 1, 0) < 0) die("poll");
    total = now_ns() - t0;
  } else if (!strcmp(name, "poll0")) {
    t0 = now_ns();
    for (int i = 0; i < k; i++)
      if (poll(pfds, n, 0) < 0) die("poll");
    total = now_ns() - t0;
  } else if (!strcmp(name, "select0")) {
    t0 = now_ns();
    for (int i = 0; i < k; i++) {
      struct timeval tv = { 0, 0 };
      memcpy(set_out, set_in, (size_t)nwords * 8);
      if (raw_select(o->maxfd + 1, set_out, NULL, NULL, &tv) < 0) die("select");
    }
    total = now_ns() - t0;
  } else {
    fprintf(stderr, "bench.c: unknown op %s\n", name);
    exit(2);
  }
  return (double)total / k;
}

static void job_op(char *names, const char *obj, int n, int reps, int k, int ctlk, int warmup_us) {
  struct objs o;
  objs_open(&o, parse_obj(obj), n);
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  for (int i = 0; i < n; i++) {
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, o.rfd[i], &ev) < 0) die("epoll_ctl ADD");
  }
  // Objects outside the interest set, for ADD/MOD/DEL.
  struct objs extra;
  int has_ctl = strstr(names, "ctl_") != NULL;
  if (has_ctl) objs_open(&extra, parse_obj(obj), ctlk);
  struct pollfd *pfds = malloc(sizeof(struct pollfd) * (n > 0 ? n : 1));
  for (int i = 0; i < n; i++) {
    pfds[i].fd = o.rfd[i];
    pfds[i].events = POLLIN;
  }
  int nwords = (o.maxfd + 1 + 63) / 64;
  unsigned long *set_in = calloc(nwords, 8), *set_out = calloc(nwords, 8);
  for (int i = 0; i < n; i++) set_in[o.rfd[i] / 64] |= 1ul << (o.rfd[i] % 64);
  for (char *name = strtok(names, ","); name; name = strtok(NULL, ",")) {
    // select0/poll0 scan N descriptors per call: fewer calls as N grows.
    int kk = k;
    if (!strncmp(name, "ctl_", 4)) kk = ctlk;
    if (!strcmp(name, "read") || !strcmp(name, "write")) kk = k < 4096 ? k : 4096;
    if (!strcmp(name, "select0") || !strcmp(name, "poll0")) {
      kk = 2000000 / (n > 0 ? n : 1);
      if (kk < 3) kk = 3;
      if (kk > k) kk = k;
    }
    if (!strcmp(name, "epoll_wait1")) obj_write(&o, n / 2);
    printf("{\"job\":\"op\",\"op\":\"%s\",\"object\":\"%s\",\"n\":%d,\"k\":%d,\"ns_per_op\":[", name, obj, n, kk);
    // Warm-up, untimed: whole repetitions until WARMUP_US has passed (at least one).
    uint64_t w0 = now_ns();
    do time_op(name, &o, &extra, ep, pfds, set_in, set_out, nwords, kk);
    while (now_ns() - w0 < (uint64_t)warmup_us * 1000);
    for (int r = 0; r < reps; r++) {
      double ns = time_op(name, &o, &extra, ep, pfds, set_in, set_out, nwords, kk);
      printf("%s%.2f", r ? "," : "", ns);
    }
    printf("]}\n");
    if (!strcmp(name, "epoll_wait1")) obj_read(&o, n / 2);
  }
  free(pfds);
  free(set_in);
  free(set_out);
  if (has_ctl) objs_close(&extra);
  close(ep);
  objs_close(&o);
}

// ---- limits ------------------------------------------------------------------------------------

static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static void job_limits(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  printf("{\"job\":\"limits\",\"soft\":%lu,\"hard\":%lu,\"fd_setsize\":%d}\n", (unsigned long)rl.rlim_cur,
         (unsigned long)rl.rlim_max, FD_SETSIZE);
}

// select past FD_SETSIZE: the kernel takes any nfds (capped at the fd table's size); glibc's fd_set
// is 1024 bits and its fortified FD_SET aborts past it.
static void job_fdset(void) {
  int fds[2];
  int hi = -1;
  // Open descriptors until one is past 2 * FD_SETSIZE.
  int opened[4096];
  int no = 0;
  while (hi < 2 * FD_SETSIZE + 10 && no < 4000) {
    if (pipe2(fds, O_NONBLOCK) < 0) die("pipe2");
    opened[no++] = fds[0];
    opened[no++] = fds[1];
    hi = fds[1];
  }
  if (write(hi, "x", 1) != 1) die("write");
  int rd = opened[no - 2];
  int nwords = (hi + 1 + 63) / 64;
  unsigned long *set = calloc(nwords, 8);
  set[rd / 64] |= 1ul << (rd % 64);
  struct timeval tv = { 0, 0 };
  long r = raw_select(hi + 1, set, NULL, NULL, &tv);
  int is_set = (set[rd / 64] >> (rd % 64)) & 1;
  // glibc's FD_SET on a 1024-bit fd_set past FD_SETSIZE, in a child: fortified builds abort.
  pid_t pid = fork();
  if (pid == 0) {
    fd_set s;
    FD_ZERO(&s);
    volatile int fd = rd;
    FD_SET(fd, &s);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const char *outcome = WIFSIGNALED(status) ? "killed" : "exited";
  int code = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
  printf("{\"job\":\"fdset\",\"fd\":%d,\"nfds\":%d,\"raw_select_ret\":%ld,\"raw_select_bit\":%d,"
         "\"glibc_fd_set_child\":\"%s\",\"glibc_fd_set_code\":%d}\n",
         rd, hi + 1, r, is_set, outcome, code);
  for (int i = 0; i < no; i++) close(opened[i]);
  free(set);
}

int main(void) {
  raise_nofile();
  setvbuf(stdout, NULL, _IOLBF, 0);
  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    char a[64] = "", b[64] = "", c[64] = "";
    int n1 = 0, n2 = 0, n3 = 0, n4 = 0, n5 = 0, n6 = 0;
    char names[256] = "";
    if (sscanf(line, "libevent %63s %63s %d %d %d %d %d %d", a, b, &n1, &n2, &n3, &n4, &n5, &n6) == 8) {
      job_libevent(a, b, n1, n2, n3, n4, n5, n6);
    } else if (sscanf(line, "op %255s %63s %d %d %d %d %d", names, b, &n1, &n2, &n3, &n4, &n5) == 7) {
      job_op(names, b, n1, n2, n3, n4, n5);
    } else if (sscanf(line, "%63s", c) == 1 && !strcmp(c, "limits")) {
      job_limits();
    } else if (!strcmp(c, "fdset")) {
      job_fdset();
    } else if (c[0]) {
      fprintf(stderr, "bench.c: unknown job: %s", line);
      return 2;
    }
    printf("{\"job\":\"done\"}\n");
  }
  return 0;
}
