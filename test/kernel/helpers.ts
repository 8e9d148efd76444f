// Helpers shared by the kernel's unit tests.

import type { EpollEvent } from '../../src/api/syscalls.ts';
import type { Eventpoll } from '../../src/kernel/eventpoll/eventpoll.ts';
import type { Sim } from '../helpers.ts';

// ---- epoll ----

/** An epoll_event to pass to epoll_ctl. */
export const ev = (events: number, data = 0): EpollEvent => ({ events, data });

/** The data words of an epoll_wait's events, in delivery order. */
export const datas = (r: { events: EpollEvent[] }): number[] => r.events.map((e) => e.data);

/** The eventpoll behind an epoll fd of the sim's process. */
export function epollOf(sim: Sim, epfd: number): Eventpoll {
  return sim.p.fdtable.get(epfd)!.priv as Eventpoll;
}
