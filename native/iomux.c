// iomux's helper library for the real-Linux backend's script process (src/linux/native.ts compiles
// it at run time with gcc into a cache, as the benchmark compiles bench/c/bench.c, and the child
// loads it through koffi). It holds what cannot be JavaScript:
//
//  - the `catch` handler: it only adds one to an atomic counter per signal (async-signal-safe),
//    installed with the raw rt_sigaction and SA_RESTORER pointing at our own restorer, as glibc's
//    sigaction does, except that glibc refuses signals 32 and 33 and the kernel does not;
//  - script threads: each script thread other than "main" is a pthread made here on first use. It
//    loops: wait for a job, make it as a raw system call (syscall(2)), store the return value and
//    errno, signal completion. Node calls `iomux_call` from a libuv threadpool thread (koffi's
//    .async), which posts the job and waits for its end, so Node's event loop never blocks;
//  - the ucontext trick that blocks every signal in threads that are not the script's (Node's own,
//    which exist before any of our code runs): a handler for SIGRTMIN (32, which glibc never lets a
//    program block, so every thread takes it) fills the interrupted context's uc_sigmask, and
//    rt_sigreturn installs that as the thread's mask.

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

// Linux: include/uapi/asm-generic/signal-defs.h and arch/x86/include/uapi/asm/signal.h
#define K_SIG_DFL 0UL
#define K_SIG_IGN 1UL
#define K_SA_SIGINFO 0x00000004UL
#define K_SA_RESTORER 0x04000000UL
#define K_SA_RESTART 0x10000000UL
#define K_NSIG 64

// Linux: arch/x86/include/asm/signal.h — struct sigaction as rt_sigaction reads it on x86-64.
struct kernel_sigaction {
  void *handler;
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};

// The restorer: rt_sigreturn (15), as glibc's __restore_rt. A handler returns here, and the kernel
// restores the interrupted context (mask included) from the signal frame.
void iomux_restorer(void);
__asm__(".text\n"
        ".align 16\n"
        ".globl iomux_restorer\n"
        ".type iomux_restorer, @function\n"
        "iomux_restorer:\n"
        "  movq $15, %rax\n"
        "  syscall\n"
        "  hlt\n");

/** How many times the catch handler has run, per signal (index 1 … 64). */
static uint64_t caught[K_NSIG + 1];

static void catch_handler(int sig) {
  if (sig >= 1 && sig <= K_NSIG) __atomic_fetch_add(&caught[sig], 1, __ATOMIC_SEQ_CST);
}

uint64_t iomux_caught(int sig) {
  if (sig < 1 || sig > K_NSIG) return 0;
  return __atomic_load_n(&caught[sig], __ATOMIC_SEQ_CST);
}

void iomux_caught_reset(void) {
  for (int i = 0; i <= K_NSIG; i++) __atomic_store_n(&caught[i], 0, __ATOMIC_SEQ_CST);
}

/**
 * Fill `ksa` (32 bytes) as rt_sigaction's act: kind 0 SIG_DFL, 1 SIG_IGN, 2 the catch handler; the
 * flags as given, with SA_RESTORER and our restorer added (the kernel needs a restorer on x86-64
 * for a handler to return; for SIG_DFL and SIG_IGN it is never used).
 */
void iomux_fill_sigaction(void *ksa, int kind, unsigned long flags, uint64_t mask) {
  struct kernel_sigaction *k = ksa;
  memset(k, 0, sizeof *k);
  k->handler = kind == 2 ? (void *)catch_handler : (void *)(kind == 1 ? K_SIG_IGN : K_SIG_DFL);
  k->flags = flags | K_SA_RESTORER;
  k->restorer = iomux_restorer;
  k->mask = mask;
}

/** Write pselect6's sixth argument, { const sigset_t *ss; size_t ss_len; }, into `out` (16 bytes). */
void iomux_fill_sig6(void *out, const void *sigset) {
  struct {
    const void *ss;
    size_t len;
  } s = {sigset, sigset == NULL ? 0 : 8};
  memcpy(out, &s, sizeof s);
}

// ---- the ucontext trick ---------------------------------------------------------------------------

// Linux: arch/x86/include/uapi/asm/ucontext.h — uc_flags, uc_link, uc_stack (24 bytes), uc_mcontext
// (struct sigcontext, 256 bytes), then uc_sigmask: the kernel's 8-byte mask at offset 296, where
// glibc's ucontext_t has its (128-byte) uc_sigmask too. Only the kernel's 8 bytes are written: what
// follows them in the signal frame is not glibc's.
#define UC_SIGMASK_OFFSET 296
_Static_assert(offsetof(ucontext_t, uc_sigmask) == UC_SIGMASK_OFFSET, "x86-64 ucontext layout");

static void fill_mask_handler(int sig, void *info, void *uc) {
  (void)sig;
  (void)info;
  uint64_t all = ~0ULL;
  memcpy((char *)uc + UC_SIGMASK_OFFSET, &all, sizeof all);
}

/**
 * Install the handler that fills the mask for `sig` (raw rt_sigaction, SA_RESTART so the threads'
 * own calls restart): 0, or -errno. The caller then tgkills each thread to block.
 */
long iomux_install_blocker(int sig) {
  struct kernel_sigaction k = {(void *)fill_mask_handler, K_SA_SIGINFO | K_SA_RESTART | K_SA_RESTORER,
                               iomux_restorer, 0};
  long r = syscall(SYS_rt_sigaction, sig, &k, NULL, 8);
  return r == -1 ? -errno : 0;
}

// ---- script threads -------------------------------------------------------------------------------

#define MAX_THREADS 256

struct worker {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  /** 0 idle, 1 a job posted, 2 its result stored, 3 told to end. */
  int state;
  int used;
  pid_t tid;
  long nr;
  long args[6];
  long ret;
  int err;
};

static struct worker workers[MAX_THREADS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker_main(void *arg) {
  struct worker *w = arg;
  pthread_mutex_lock(&w->lock);
  w->tid = (pid_t)syscall(SYS_gettid);
  pthread_cond_broadcast(&w->cond);
  for (;;) {
    while (w->state != 1 && w->state != 3) pthread_cond_wait(&w->cond, &w->lock);
    if (w->state == 3) break;
    long nr = w->nr, a[6];
    memcpy(a, w->args, sizeof a);
    pthread_mutex_unlock(&w->lock);
    // The script's call, as a raw system call on this thread (with this thread's mask).
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    int e = r == -1 ? errno : 0;
    pthread_mutex_lock(&w->lock);
    w->ret = r;
    w->err = e;
    w->state = 2;
    pthread_cond_broadcast(&w->cond);
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

/**
 * Make a script thread (from the caller's thread, whose mask it starts with, as pthread_create
 * copies it): its index (1 …), or -errno.
 */
int iomux_thread_new(void) {
  pthread_mutex_lock(&table_lock);
  int i = 1;
  while (i < MAX_THREADS && workers[i].used) i++;
  if (i == MAX_THREADS) {
    pthread_mutex_unlock(&table_lock);
    return -EAGAIN;
  }
  struct worker *w = &workers[i];
  memset(w, 0, sizeof *w);
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->cond, NULL);
  w->used = 1;
  pthread_mutex_unlock(&table_lock);
  int e = pthread_create(&w->thread, NULL, worker_main, w);
  if (e != 0) {
    w->used = 0;
    return -e;
  }
  pthread_mutex_lock(&w->lock);
  while (w->tid == 0) pthread_cond_wait(&w->cond, &w->lock);
  pthread_mutex_unlock(&w->lock);
  return i;
}

int iomux_thread_tid(int i) {
  if (i < 1 || i >= MAX_THREADS || !workers[i].used) return -EINVAL;
  return workers[i].tid;
}

/** End an idle script thread and join it: 0, or -errno (-EBUSY while it runs a job). */
int iomux_thread_end(int i) {
  if (i < 1 || i >= MAX_THREADS || !workers[i].used) return -EINVAL;
  struct worker *w = &workers[i];
  pthread_mutex_lock(&w->lock);
  if (w->state == 1) {
    pthread_mutex_unlock(&w->lock);
    return -EBUSY;
  }
  w->state = 3;
  pthread_cond_broadcast(&w->cond);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->cond);
  pthread_mutex_lock(&table_lock);
  w->used = 0;
  pthread_mutex_unlock(&table_lock);
  return 0;
}

/**
 * Make system call `nr` on script thread `i` and wait for it to return (called from a threadpool
 * thread): the call's return value, or -errno when it failed. i = 0 makes it here, on the caller.
 */
long iomux_call(int i, long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  if (i == 0) {
    long r = syscall(nr, a0, a1, a2, a3, a4, a5);
    return r == -1 ? -errno : r;
  }
  if (i < 0 || i >= MAX_THREADS || !workers[i].used) return -EINVAL;
  struct worker *w = &workers[i];
  pthread_mutex_lock(&w->lock);
  if (w->state != 0) {
    pthread_mutex_unlock(&w->lock);
    return -EBUSY;
  }
  w->nr = nr;
  w->args[0] = a0;
  w->args[1] = a1;
  w->args[2] = a2;
  w->args[3] = a3;
  w->args[4] = a4;
  w->args[5] = a5;
  w->state = 1;
  pthread_cond_broadcast(&w->cond);
  while (w->state != 2) pthread_cond_wait(&w->cond, &w->lock);
  long r = w->ret == -1 ? -w->err : w->ret;
  w->state = 0;
  pthread_mutex_unlock(&w->lock);
  return r;
}
