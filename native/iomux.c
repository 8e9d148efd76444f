// iomux's helper library for the real-Linux backend's script process (src/linux/native.ts compiles
// it at run time with gcc into a cache, as the benchmark compiles bench/c/bench.c, and the child
// loads it through koffi). It holds what cannot be JavaScript:
//
//  - the `catch` handler: it only adds one to an atomic counter per signal (async-signal-safe),
//    installed with the raw rt_sigaction and SA_RESTORER pointing at our own restorer, as glibc's
//    sigaction does, except that glibc refuses signals 32 and 33 and the kernel does not;
//  - script threads: each script thread other than "main" is a thread made here on first use (a raw
//    clone: see "script threads" below). It loops: wait for a job, make it as a raw system call,
//    store the return value, signal completion. Node calls `iomux_call` from a libuv threadpool thread (koffi's
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
#include <poll.h>
#include <sys/mman.h>
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
//
// Not pthreads: glibc's pthread_create unblocks SIGCANCEL (32) in every thread it makes, whatever
// its creator blocks (nptl/pthread_create.c: internal_sigdelset (&pd->sigmask, SIGCANCEL)), so a
// pending 32 that main blocks would land on a new thread at once. A script thread is made with a
// raw clone(CLONE_THREAD), which gives it its creator's mask exactly (kernel/fork.c copies
// ->blocked), and it runs code that never enters glibc: its system calls, its futex waits and its
// exit are inline `syscall` instructions, and it touches no thread-local storage (it shares its
// creator's %fs; this file is built without the stack protector, which would read it).

#define MAX_THREADS 256
#define STACK_SIZE (256 * 1024)

// Linux: include/uapi/linux/sched.h
#define K_CLONE_VM 0x00000100
#define K_CLONE_FS 0x00000200
#define K_CLONE_FILES 0x00000400
#define K_CLONE_SIGHAND 0x00000800
#define K_CLONE_THREAD 0x00010000
#define K_CLONE_SYSVSEM 0x00040000
#define K_CLONE_CHILD_CLEARTID 0x00200000
// Linux: include/uapi/linux/futex.h
#define K_FUTEX_WAIT 0
#define K_FUTEX_WAKE 1

/** One raw system call: the kernel's return value (-errno on failure). */
static inline long raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r10 __asm__("r10") = a3;
  register long r8 __asm__("r8") = a4;
  register long r9 __asm__("r9") = a5;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static inline void futex_wait(int *addr, int val) {
  raw6(SYS_futex, (long)addr, K_FUTEX_WAIT, val, 0, 0, 0);
}

static inline void futex_wake(int *addr) {
  raw6(SYS_futex, (long)addr, K_FUTEX_WAKE, 0x7fffffff, 0, 0, 0);
}

/**
 * clone(flags, stack) that runs fn(arg) on the new thread and then exits it (SYS_exit: this thread
 * alone); the parent gets the new thread's tid or -errno. rdi flags, rsi stack top, rdx fn, rcx arg,
 * r8 the child_tid address (CLONE_CHILD_CLEARTID).
 */
long iomux_clone(long flags, void *stack, int (*fn)(void *), void *arg, int *ctid);
__asm__(".text\n"
        ".globl iomux_clone\n"
        ".type iomux_clone, @function\n"
        "iomux_clone:\n"
        "  and $-16, %rsi\n"
        "  sub $16, %rsi\n"
        "  mov %rcx, 8(%rsi)\n"
        "  mov %rdx, 0(%rsi)\n"
        "  mov %r8, %r10\n"
        "  xor %edx, %edx\n"
        "  xor %r8d, %r8d\n"
        "  mov $56, %eax\n"
        "  syscall\n"
        "  test %rax, %rax\n"
        "  jnz 1f\n"
        "  xor %ebp, %ebp\n"
        "  pop %rax\n"
        "  pop %rdi\n"
        "  call *%rax\n"
        "  mov %eax, %edi\n"
        "  mov $60, %eax\n"
        "  syscall\n"
        "  hlt\n"
        "1:\n"
        "  ret\n");

struct worker {
  /** 0 idle, 1 a job posted, 2 its result stored, 3 told to end. A futex word. */
  int state;
  /** The thread's tid while it lives; the kernel zeroes it (and wakes it) when the thread exits. */
  int alive;
  int used;
  int tid;
  void *stack;
  long nr;
  long args[6];
  /** The call's return value: -errno on failure. */
  long ret;
};

static struct worker workers[MAX_THREADS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static int worker_main(void *arg) {
  struct worker *w = arg;
  for (;;) {
    int s = __atomic_load_n(&w->state, __ATOMIC_ACQUIRE);
    if (s == 3) return 0;
    if (s != 1) {
      // A signal ends the wait early (EINTR): the handler has run, and the loop looks again.
      futex_wait(&w->state, s);
      continue;
    }
    // The script's call, raw, on this thread (with this thread's mask).
    w->ret = raw6(w->nr, w->args[0], w->args[1], w->args[2], w->args[3], w->args[4], w->args[5]);
    __atomic_store_n(&w->state, 2, __ATOMIC_RELEASE);
    futex_wake(&w->state);
  }
}

/**
 * Make a script thread (from the caller's thread, whose mask it starts with exactly): its index
 * (1 …), or -errno.
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
  w->used = 1;
  pthread_mutex_unlock(&table_lock);
  w->stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (w->stack == MAP_FAILED) {
    w->used = 0;
    return -ENOMEM;
  }
  long flags = K_CLONE_VM | K_CLONE_FS | K_CLONE_FILES | K_CLONE_SIGHAND | K_CLONE_THREAD | K_CLONE_SYSVSEM |
               K_CLONE_CHILD_CLEARTID;
  w->alive = 1;
  long tid = iomux_clone(flags, (char *)w->stack + STACK_SIZE, worker_main, w, &w->alive);
  if (tid < 0) {
    munmap(w->stack, STACK_SIZE);
    w->used = 0;
    return (int)tid;
  }
  w->tid = (int)tid;
  return i;
}

int iomux_thread_tid(int i) {
  if (i < 1 || i >= MAX_THREADS || !workers[i].used) return -EINVAL;
  return workers[i].tid;
}

/** End an idle script thread and wait for it to be gone: 0, or -errno (-EBUSY while it runs a job). */
int iomux_thread_end(int i) {
  if (i < 1 || i >= MAX_THREADS || !workers[i].used) return -EINVAL;
  struct worker *w = &workers[i];
  int s = 0;
  if (!__atomic_compare_exchange_n(&w->state, &s, 3, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return -EBUSY;
  futex_wake(&w->state);
  // CLONE_CHILD_CLEARTID: the kernel zeroes `alive` and wakes it once the thread has exited.
  for (int a; (a = __atomic_load_n(&w->alive, __ATOMIC_ACQUIRE)) != 0;) futex_wait(&w->alive, a);
  munmap(w->stack, STACK_SIZE);
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
  if (i == 0) return raw6(nr, a0, a1, a2, a3, a4, a5);
  if (i < 0 || i >= MAX_THREADS || !workers[i].used) return -EINVAL;
  struct worker *w = &workers[i];
  if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != 0) return -EBUSY;
  w->nr = nr;
  w->args[0] = a0;
  w->args[1] = a1;
  w->args[2] = a2;
  w->args[3] = a3;
  w->args[4] = a4;
  w->args[5] = a5;
  __atomic_store_n(&w->state, 1, __ATOMIC_RELEASE);
  futex_wake(&w->state);
  for (int s; (s = __atomic_load_n(&w->state, __ATOMIC_ACQUIRE)) != 2;) futex_wait(&w->state, s);
  long r = w->ret;
  __atomic_store_n(&w->state, 0, __ATOMIC_RELEASE);
  return r;
}

// ---- the channel watchdog ----------------------------------------------------------------------------

static void *watch_main(void *arg) {
  int fd = (int)(long)arg;
  for (;;) {
    // No events asked: only POLLHUP (the runner's end of the socketpair is gone), POLLERR or
    // POLLNVAL wake it. EINTR (the blocker's signal at start-up) just loops.
    struct pollfd p = {fd, 0, 0};
    if (poll(&p, 1, -1) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) break;
  }
  syscall(SYS_kill, getpid(), 9);
  return NULL;
}

/**
 * Watch the channel to the runner on a thread of its own, and SIGKILL this process when the
 * runner's end closes. Node notices that too, but only between calls, and main may be blocked in
 * one for good. Made before the blocker runs, so it blocks every signal as Node's threads do.
 */
int iomux_watch_channel(int fd) {
  pthread_t t;
  int e = pthread_create(&t, NULL, watch_main, (void *)(long)fd);
  if (e != 0) return -e;
  pthread_detach(t);
  return 0;
}
