// Kernel events: what happens inside a call, delivered to an optional observer. Emitting sites
// write `k.emit?.({...})`, so with no observer attached the event object is never built.

/** What happens inside a call (wake-ups, callbacks, list and tree moves, sleeps), as observers see it. */
export type KernelEvent =
  | { type: 'syscall_enter'; thread: string; call: string }
  | { type: 'syscall_exit'; thread: string; call: string; ret: number | string }
  | { type: 'wait_add'; queue: string; entry: number; kind: string; exclusive: boolean; at: 'head' | 'tail' }
  | { type: 'wait_remove'; queue: string; entry: number }
  /** `from`: the waker's Linux function (pipe_write, sock_def_readable, ...), where the call site names it. */
  | { type: 'wake_up'; queue: string; nr_exclusive: number; key: number; from?: string }
  /**
   * __wake_up_common ended: `woken` entries returned > 0; `skipped` are the entries it never
   * reached, head first, because nr_exclusive ran out (`stop: 'exclusive'`) or a wake function
   * stopped the walk (`stop: 'callback'`); `stop: null` when it walked the whole queue.
   */
  | {
      type: 'wake_up_done';
      queue: string;
      woken: number;
      walked: number;
      skipped: number[];
      stop: 'exclusive' | 'callback' | null;
    }
  /** A waker that did not call wake_up at all (Linux: a waitqueue_active check, or no reason to wake). */
  | { type: 'wake_skipped'; queue: string; from: string; why: string }
  /**
   * A call fails: the check that failed, as the kernel makes it. `fn` is the Linux function
   * that makes it; `why` may hold `{file}` (the file `file`, under fd `fd`) and `{fd}`.
   */
  | { type: 'errno'; errno: string; fn: string; why: string; file?: number; fd?: number }
  /**
   * epoll_wait returns 0 events: the ready list was `empty`, every item on it was re-polled
   * and `dropped` (their ids), or the wait `timeout` expired.
   */
  | { type: 'ep_wait_none'; ep: number; why: 'empty' | 'dropped' | 'timeout'; dropped: number[] }
  /** eventfd_read hands the counter to the reader: `value` (a u64, as a decimal string), the counter left `count`. */
  | { type: 'eventfd_read'; file: number; value: string; count: string }
  | { type: 'thread_block'; thread: string; call: string; deadline: number | null }
  | { type: 'thread_wake'; thread: string; reason: WakeReasonName }
  | { type: 'clock_advance'; from: number; to: number }
  | { type: 'file_release'; file: number; fileType: string }
  | {
      type: 'ep_poll_callback';
      epi: number;
      key: number;
      result: 'queued' | 'ovflist' | 'already' | 'filtered' | 'disabled';
    }
  | { type: 'rdllist_append'; ep: number; epi: number; why: string }
  | { type: 'rdllist_remove'; ep: number; epi: number; why: string }
  | { type: 'ovflist_push'; ep: number; epi: number }
  | { type: 'rbtree_insert'; ep: number; epi: number }
  | { type: 'rbtree_erase'; ep: number; epi: number }
  | { type: 'rbtree_rotate'; ep: number; epi: number; dir: 'left' | 'right' }
  | { type: 'event_delivered'; ep: number; epi: number; events: number }
  /**
   * ep_start_scan moved the whole ready list (`epis`, in order) to a private scan batch;
   * ep_done_scan spliced the items the scan did not reach (`epis`) back at the ready list's head.
   */
  | { type: 'ep_scan'; ep: number; phase: 'start' | 'done'; epis: number[] }
  // ---- signals (src/kernel/signal.ts, src/kernel/entry.ts). Signal sets are ascending lists. ----
  /**
   * Linux: send_signal_locked (its tracepoint: signal_generate) — thread `from` sent `sig` to the
   * process (`shared`: kill, queued on shared_pending; `to` is then the leader kill found) or to
   * thread `to` (tgkill, or the kernel's send_sig to the caller). `result`: `queued`; `ignored`
   * (prepare_signal dropped it: the target ignores it and does not block it); `pending` (a
   * standard signal already pending is not queued twice, legacy_queue); `exiting` (the process
   * is already dying).
   */
  | {
      type: 'signal_generate';
      sig: number;
      from: string;
      to: string;
      shared: boolean;
      result: 'queued' | 'ignored' | 'pending' | 'exiting';
    }
  /**
   * Linux: complete_signal — the thread chosen to take `sig` (`thread`), or null when no thread
   * wants it now (it stays pending). `why`: `target` (the thread it was sent to wants it), `walk`
   * (found walking from curr_target), `none` (every thread blocks it or has a signal pending
   * already), `fatal` (a fatal default action: the process exits at once).
   */
  | { type: 'complete_signal'; sig: number; thread: string | null; why: 'target' | 'walk' | 'none' | 'fatal' }
  /**
   * Linux: signal_wake_up — TIF_SIGPENDING set on `thread`; `state`: it slept interruptibly and
   * is woken (`sleeping`), it is making a call and sees the flag on its way out (`running`), or
   * it is idle in user code and takes the signal right after the current call (`idle`).
   */
  | { type: 'signal_wake_up'; thread: string; state: 'sleeping' | 'running' | 'idle' }
  /**
   * Linux: get_signal / handle_signal (tracepoint signal_deliver) — `thread` dequeued `sig` on
   * its way back to user space. `action`: `handler` (its handler runs: `blocked` is the mask
   * while it runs, `restore` the mask its frame gives back at rt_sigreturn; `resethand`: the
   * disposition went back to SIG_DFL), `ignored` (SIG_IGN), `default_ignore` (SIG_DFL of a signal
   * whose default is to ignore, or a stop signal in an orphaned process group), `term`, `core`,
   * `stop` (the default action ends or stops the process).
   */
  | {
      type: 'signal_deliver';
      thread: string;
      sig: number;
      action: 'handler' | 'ignored' | 'default_ignore' | 'term' | 'core' | 'stop';
      blocked?: number[];
      restore?: number[];
      resethand?: boolean;
    }
  /**
   * The interrupted call's fate, decided on the way back to user space: by handle_signal for
   * the first handler run (`sig`), else by arch_do_signal_or_restart (`sig` null). `code` is the
   * internal code the call returned; `decision`: `restart` (the call runs again) or
   * `restart_block` (its restart block runs, keeping the deadline). The third outcome, EINTR
   * after a handler, is the call's `errno` event (fn `handle_signal`), as every errno is.
   */
  | {
      type: 'signal_restart';
      thread: string;
      fn: 'handle_signal' | 'arch_do_signal_or_restart';
      sig: number | null;
      code: 'ERESTARTSYS' | 'ERESTARTNOINTR' | 'ERESTARTNOHAND' | 'ERESTART_RESTARTBLOCK';
      decision: 'restart' | 'restart_block';
    }
  /**
   * The mask a p* call (pselect6, ppoll, epoll_pwait) installs for its wait (Linux:
   * set_user_sigmask; `saved` is kept in saved_sigmask), and the mask put back after it:
   * `restore_saved_sigmask` when the call returns or, interrupted, after the delivery with no
   * handler; `sigreturn` when a handler's frame returns (rt_sigreturn restores its mask).
   */
  | { type: 'sigmask_set'; thread: string; mask: number[]; saved: number[] }
  | { type: 'sigmask_restore'; thread: string; mask: number[]; fn: 'restore_saved_sigmask' | 'sigreturn' }
  /** Linux: do_group_exit — a signal's default action ended (`term`, `core`) or stopped the whole thread group. */
  | { type: 'group_exit'; pid: number; sig: number; action: 'term' | 'core' | 'stop' };

export type WakeReasonName = 'woken' | 'timeout' | 'signal';

/** Receives each kernel event as it happens (`Kernel.attach`). */
export type Observer = (event: KernelEvent) => void;
