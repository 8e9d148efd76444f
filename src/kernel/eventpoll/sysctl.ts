// epoll's per-kernel settings and accounting (Linux: fs/eventpoll.c eventpoll_init,
// max_user_watches, user->epoll_watches, loop_check_gen).

import { defineKernelState, type Kernel } from '../kernel.ts';

/**
 * The page count that Linux's formula turns into the reference host's
 * fs.epoll.max_user_watches (5 491 511): totalram_pages as eventpoll_init saw it at boot
 * (MemTotal, read later, is a little larger once the init memory is freed).
 */
export const HOST_TOTALRAM_PAGES_AT_BOOT = 6167225;
const PAGE_SHIFT = 12;
/** Linux: fs/eventpoll.c:EP_ITEM_COST = sizeof(struct epitem) + sizeof(struct eppoll_entry), 6.12 x86-64. */
const EP_ITEM_COST = 184;

/** Linux: fs/eventpoll.c:eventpoll_init — max_user_watches = 4 % of low memory / EP_ITEM_COST. */
export function defaultMaxUserWatches(totalramPages: number, totalhighPages = 0): number {
  return Math.floor((Math.floor((totalramPages - totalhighPages) / 25) * 2 ** PAGE_SHIFT) / EP_ITEM_COST);
}

/** Per-kernel epoll state: a sysctl and the accounting it limits. */
export interface EpollSysctl {
  /** Linux: /proc/sys/fs/epoll/max_user_watches. Writable (tests set a small limit). */
  maxUserWatches: number;
  /**
   * Linux: user->epoll_watches — epitems charged to the user. Not Linux: one count per kernel,
   * because every process of the model runs as the same user.
   */
  userWatches: number;
  /** Linux: loop_check_gen — incremented around every full check. */
  loopCheckGen: number;
}

// Per-kernel state, created with Linux's defaults for the reference host; snapshots show it as
// state.epoll.
const sysctls = defineKernelState<EpollSysctl>(
  'epoll',
  () => ({
    maxUserWatches: defaultMaxUserWatches(HOST_TOTALRAM_PAGES_AT_BOOT),
    userWatches: 0,
    loopCheckGen: 0,
  }),
  (s) => ({ ...s }),
);

/** Not Linux: this kernel's epoll settings. */
export function epollSysctl(k: Kernel): EpollSysctl {
  return k.state(sysctls);
}
