// Helpers shared by the kernel's unit tests (test/helpers.ts has the simulated system itself).

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
