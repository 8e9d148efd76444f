// open's flags as Linux takes them (issue 9 §6): bits outside VALID_OPEN_FLAGS are ignored
// (build_open_how), and O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC and O_LARGEFILE, which change nothing
// on /dev/null or a fresh tmpfile, open and leave F_GETFL as without them (do_dentry_open drops
// them from f_flags). Checked on both backends alike.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, O } from '../../src/abi/constants.ts';
import type { Backend } from '../../src/api/backend.ts';
import { failed } from '../../src/api/syscalls.ts';
import { simBackend } from '../../src/kernel/backend.ts';
import { linuxBackend } from '../../src/linux/index.ts';

const O_EXCL = 0o200;
const O_NOCTTY = 0o400;
const O_TRUNC = 0o1000;
const O_LARGEFILE = 0o100000;

const CASES: [path: string, flags: number, want: string][] = [
  ['/dev/null', 0x40000000, 'F_GETFL 0o100000'],
  ['/dev/null', 0x80000000 | O.O_WRONLY, 'F_GETFL 0o100001'],
  ['/dev/null', 0o40000000 | O.O_NONBLOCK, 'F_GETFL 0o104000'],
  ['/dev/null', O.O_CREAT, 'F_GETFL 0o100000'],
  ['/dev/null', O_NOCTTY | O_TRUNC | O.O_RDWR, 'F_GETFL 0o100002'],
  ['/dev/null', O_LARGEFILE, 'F_GETFL 0o100000'],
  ['/dev/null', O_EXCL, 'F_GETFL 0o100000'],
  ['/dev/null', O.O_CREAT | O_EXCL, 'EEXIST'],
  ['tmpfile', O.O_CREAT | O_EXCL | O_TRUNC | O.O_RDWR | 0x40000000, 'F_GETFL 0o100002'],
];

async function openFlags(backend: Backend): Promise<void> {
  const proc = await backend.createProcess();
  try {
    const main = proc.thread('main');
    for (const [path, flags, want] of CASES) {
      const r = await proc.wait(main.open(path, flags));
      let got: string;
      if (failed(r)) got = r.errno;
      else {
        const fl = await proc.wait(main.fcntl(r.ret, F.F_GETFL, 0));
        got = failed(fl) ? fl.errno : `F_GETFL 0o${fl.ret.toString(8)}`;
        await proc.wait(main.close(r.ret));
      }
      assert.equal(got, want, `${backend.name}: open(${path}, 0x${flags.toString(16)})`);
    }
  } finally {
    await proc.close();
  }
}

test('open_ignores_what_cannot_apply_on_the_simulated_kernel', () => openFlags(simBackend));
test('open_ignores_what_cannot_apply_on_linux', () => openFlags(linuxBackend));
