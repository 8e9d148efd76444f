// Kernel events: what happens inside a call, delivered to an optional observer. Emitting sites
// write `k.emit?.({...})`, so with no observer attached the event object is never built.

/** What happens inside a call (wake-ups, callbacks, list and tree moves, sleeps), as observers see it. */
export type KernelEvent =
  | { type: 'syscall_enter'; thread: string; call: string }
  | { type: 'syscall_exit'; thread: string; call: string; ret: number | string }
  | { type: 'wait_add'; queue: string; entry: number; kind: string; exclusive: boolean; at: 'head' | 'tail' }
  | { type: 'wait_remove'; queue: string; entry: number }
  | { type: 'wake_up'; queue: string; nr_exclusive: number; key: number }
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
