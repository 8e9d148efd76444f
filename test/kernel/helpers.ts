// Helpers shared by the kernel's unit tests (test/helpers.ts has the simulated system itself).

import type { EpollData, EpollEvent } from '../../src/api/syscalls.ts';
import type { Eventpoll } from '../../src/kernel/eventpoll/eventpoll.ts';
import { ok, type Sim } from '../helpers.ts';

/** pipe2(flags) on the main thread: [read end, write end]. Flags 0 by default, as pipe(2). */
export async function pipe(sim: Sim, flags = 0): Promise<[number, number]> {
  return ok(await sim.sys.pipe2(flags)).fds;
}

/** f_op->poll on a descriptor, with no registration (as a re-poll does). */
export function pollMask(sim: Sim, fd: number): number {
  const file = sim.p.fdtable.get(fd)!;
  return file.ops.poll!(sim.k, file, null);
}

// ---- epoll ----

/** An epoll_event to pass to epoll_ctl. */
export const ev = (events: number, data = 0): EpollEvent => ({ events, data });

/** The data words of an epoll_wait's events, in delivery order. */
export const datas = (r: { events: EpollEvent[] }): EpollData[] => r.events.map((e) => e.data);

/** The eventpoll behind an epoll fd of the sim's process. */
export function epollOf(sim: Sim, epfd: number): Eventpoll {
  return sim.p.fdtable.get(epfd)!.priv as Eventpoll;
}
