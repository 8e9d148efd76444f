// Cost counters (reference §7.2): what makes "select/poll are O(n), epoll is O(ready)" visible
// without timing noise. Cumulative on the kernel; a call's own cost is the difference across it.

/** Cost counters, cumulative on a kernel (`Kernel.stats`). */
export interface Stats {
  syscalls: number;
  bytesCopiedIn: number;
  bytesCopiedOut: number;
  /** fds examined in select/poll passes. */
  fdsScanned: number;
  /** select's 64-bit bitmap words walked (max_select_fd and the passes). */
  bitmapWordsScanned: number;
  /** fdget calls made by select/poll passes and epoll re-polls. */
  fileLookups: number;
  /** vfs_poll calls (f_op->poll), all file types. */
  fopPollCalls: number;
  waitEntriesAdded: number;
  waitEntriesRemoved: number;
  wakeUpCalls: number;
  callbacksInvoked: number;
  callbacksFilteredByKey: number;
  callbacksDisabledItem: number;
  tasksWoken: number;
  readyListAppends: number;
  ovflistPushes: number;
  readyListRequeuesLT: number;
  readyListDropsOnRepoll: number;
  oneshotDisables: number;
  eventsDelivered: number;
  rbtreeCompares: number;
  rbtreeRotations: number;
  sleeps: number;
  timeouts: number;
}

/** Every counter at zero. */
export function newStats(): Stats {
  return {
    syscalls: 0,
    bytesCopiedIn: 0,
    bytesCopiedOut: 0,
    fdsScanned: 0,
    bitmapWordsScanned: 0,
    fileLookups: 0,
    fopPollCalls: 0,
    waitEntriesAdded: 0,
    waitEntriesRemoved: 0,
    wakeUpCalls: 0,
    callbacksInvoked: 0,
    callbacksFilteredByKey: 0,
    callbacksDisabledItem: 0,
    tasksWoken: 0,
    readyListAppends: 0,
    ovflistPushes: 0,
    readyListRequeuesLT: 0,
    readyListDropsOnRepoll: 0,
    oneshotDisables: 0,
    eventsDelivered: 0,
    rbtreeCompares: 0,
    rbtreeRotations: 0,
    sleeps: 0,
    timeouts: 0,
  };
}

/** after − before, field by field: the cost of what ran in between. */
export function diffStats(after: Stats, before: Stats): Stats {
  const out = newStats();
  for (const key of Object.keys(out) as (keyof Stats)[]) out[key] = after[key] - before[key];
  return out;
}
