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
  | { type: 'ep_scan'; ep: number; phase: 'start' | 'done'; epis: number[] };

export type WakeReasonName = 'woken' | 'timeout' | 'signal';

/** Receives each kernel event as it happens (`Kernel.attach`). */
export type Observer = (event: KernelEvent) => void;
