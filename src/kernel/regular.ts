// Files without ->poll: /dev/null and an in-memory unlinked regular file ("tmpfile").
// select/poll see DEFAULT_POLLMASK (IN|OUT|RDNORM|WRNORM) and never block on them; epoll_ctl
// refuses them with EPERM (Linux: file_can_poll is false). Reference §5.4.

import { FIONREAD, O, O_ACCMODE, O_EXCL, O_NOCTTY, O_TRUNC, VALID_OPEN_FLAGS } from '../abi/constants.ts';
import { formatMask } from '../abi/flags.ts';
import type { SysResult } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import { ENOIOCTLCMD, failWhy, toResult } from './errors.ts';
import { copyBytes, File, type FileOperations, fileOperations } from './file.ts';
import { installFd } from './fs.ts';
import type { Kernel } from './kernel.ts';
import type { Thread } from './sched.ts';

/** Linux: open() forces O_LARGEFILE on 64-bit (force_o_largefile), and F_GETFL shows it. */
export const O_LARGEFILE = 0o100000;

/** An unlinked regular file's contents, shared by every description opened on it. */
export interface TmpInode {
  readonly id: number;
  data: Uint8Array;
  size: number;
}

/** Per open file description: the position. */
interface TmpFile {
  inode: TmpInode;
  pos: number;
}

// Linux: drivers/char/mem.c read_null / write_null.
export const devNullOps: FileOperations = fileOperations({
  type: 'null',
  // Not Linux (fs.ts readBuffer): read_null returns 0.
  readMax: () => 0,
  read() {
    return 0;
  },
  write(_t, _file, data) {
    return data.length;
  },
  release() {},
});

function tmpRead(_t: Thread, file: File, buf: Uint8Array, count: number): number {
  const f = file.priv as TmpFile;
  const n = Math.max(0, Math.min(count, f.inode.size - f.pos));
  copyBytes(buf, 0, f.inode.data, f.pos, n);
  f.pos += n;
  return n;
}

function tmpWrite(_t: Thread, file: File, data: Uint8Array): number {
  const f = file.priv as TmpFile;
  const inode = f.inode;
  const end = f.pos + data.length;
  if (end > inode.data.length) {
    const grown = new Uint8Array(Math.max(end, inode.data.length * 2, 64));
    grown.set(inode.data.subarray(0, inode.size));
    inode.data = grown;
  }
  inode.data.set(data, f.pos);
  f.pos = end;
  inode.size = Math.max(inode.size, end);
  return data.length;
}

export const tmpfileOps: FileOperations = fileOperations({
  type: 'regular',
  read: tmpRead,
  write: tmpWrite,
  release() {},
  // Linux: file_ioctl FIONREAD — i_size − f_pos.
  ioctl: tmpIoctl,
  // Not Linux: a regular file's read never sleeps; it returns at most what is left.
  readMax: tmpRemaining,
});

function tmpIoctl(k: Kernel, file: File, cmd: number): number {
  return cmd === FIONREAD ? tmpRemaining(k, file) : -ENOIOCTLCMD;
}

/** What is left to read: i_size − f_pos. */
function tmpRemaining(_k: Kernel, file: File): number {
  const f = file.priv as TmpFile;
  return Math.max(0, f.inode.size - f.pos);
}

export function openDevNull(k: Kernel, flags: number): File {
  return new File(k, devNullOps, flags | O_LARGEFILE, null);
}

const OPEN_MODELLED = O_ACCMODE | O.O_NONBLOCK | O.O_CLOEXEC;
/**
 * Bits that change nothing on /dev/null (it exists, is no tty, has no size) or on the format's
 * fresh, empty tmpfile, beyond O_CREAT|O_EXCL on /dev/null (EEXIST). Linux: do_dentry_open drops
 * O_CREAT, O_EXCL, O_NOCTTY and O_TRUNC from f_flags; O_LARGEFILE is forced anyway.
 */
const OPEN_NO_EFFECT = O.O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_LARGEFILE;

/** open("/dev/null" | "tmpfile", flags). "tmpfile": a fresh regular file, already unlinked. */
export function sys_open(t: Thread, path: string, flags: number): SysResult {
  // Linux: build_open_how — open(2) ignores bits outside VALID_OPEN_FLAGS.
  flags &= VALID_OPEN_FLAGS;
  const unmodelled = flags & ~(OPEN_MODELLED | OPEN_NO_EFFECT);
  if (unmodelled !== 0) throw new Unsupported('open', `flags ${formatMask(unmodelled, O)}`);
  if ((flags & O_ACCMODE) === O_ACCMODE) throw new Unsupported('open', 'access mode 3');
  // Linux: open_last_lookups — O_CREAT|O_EXCL of a name that exists.
  if (path === '/dev/null' && (flags & (O.O_CREAT | O_EXCL)) === (O.O_CREAT | O_EXCL))
    return failWhy(t.k, 'EEXIST', 'open_last_lookups', 'O_CREAT|O_EXCL of a name that exists');
  const k = t.k;
  const fileFlags = (flags & ~(O.O_CLOEXEC | OPEN_NO_EFFECT)) | O_LARGEFILE;
  let file: File;
  if (path === '/dev/null') file = new File(k, devNullOps, fileFlags, null);
  else if (path === 'tmpfile') {
    // The script format's tmpfile is created, opened with these flags, then unlinked: any
    // access mode is fine (unlike a bare O_TMPFILE, which needs write access).
    const inode: TmpInode = { id: k.nextId(), data: new Uint8Array(0), size: 0 };
    file = new File(k, tmpfileOps, fileFlags, { inode, pos: 0 } satisfies TmpFile);
  } else throw new Unsupported('open', `path ${JSON.stringify(path)} (only /dev/null and tmpfile)`);
  return toResult(installFd(k, t, file, (flags & O.O_CLOEXEC) !== 0));
}
