// The fs sysctls the fd table obeys (Linux: fs/file.c sysctl_nr_open, /proc/sys/fs/nr_open),
// and the RLIMIT_NOFILE check that depends on it (Linux: kernel/sys.c do_prlimit).
//
// nr_open is the most descriptors one process may have: expand_files refuses to grow a table to
// hold an fd at or above it (EMFILE), expand_fdtable caps a table's size at it (rounded up to a
// whole bitmap word), and setrlimit cannot raise RLIMIT_NOFILE's hard limit past it (EPERM).
// Root raises it with `sysctl -w fs.nr_open=N`; the model's equivalent is setNrOpen.

import { SYSCTL_NR_OPEN } from '../abi/constants.ts';
import { ERRNO } from '../abi/errno.ts';
import type { Rlimit } from './fdtable.ts';
import type { Kernel } from './kernel.ts';

const { EINVAL, EPERM } = ERRNO;

const BITS_PER_LONG = 64;
const INT_MAX = 0x7fffffff;
/** Linux: fs/file.c sysctl_nr_open_min = BITS_PER_LONG. */
export const SYSCTL_NR_OPEN_MIN = BITS_PER_LONG;
/**
 * Linux: fs/file.c sysctl_nr_open_max = min(INT_MAX, ~(size_t)0 / sizeof(void *)) &
 * -BITS_PER_LONG: 2 147 483 584 on x86-64.
 */
export const SYSCTL_NR_OPEN_MAX = INT_MAX & -BITS_PER_LONG;

/** The fs sysctls of one kernel. Every fd table of the kernel holds this same object. */
export interface FsSysctl {
  /** Linux: sysctl_nr_open (/proc/sys/fs/nr_open). Changed only through setNrOpen. */
  nrOpen: number;
}

// Not Linux: kept beside the kernel rather than in its per-kernel states, so snapshots (which
// show every state a kernel has used) stay as they were; nr_open is a setting, not state a
// script changes.
const byKernel = new WeakMap<Kernel, FsSysctl>();

/** Not Linux: this kernel's fs sysctls (made with Linux's defaults on first use). */
export function fsSysctl(k: Kernel): FsSysctl {
  let s = byKernel.get(k);
  if (s === undefined) {
    s = { nrOpen: SYSCTL_NR_OPEN };
    byKernel.set(k, s);
  }
  return s;
}

/**
 * Linux: the write of /proc/sys/fs/nr_open (proc_dointvec_minmax between sysctl_nr_open_min and
 * sysctl_nr_open_max). Returns 0, or -EINVAL for a value out of range (nothing changes). Tables
 * already larger keep their size: nothing shrinks.
 */
export function setNrOpen(k: Kernel, value: number): number {
  if (!Number.isInteger(value) || value < SYSCTL_NR_OPEN_MIN || value > SYSCTL_NR_OPEN_MAX) return -EINVAL;
  fsSysctl(k).nrOpen = value;
  return 0;
}

/**
 * Linux: kernel/sys.c do_prlimit for RLIMIT_NOFILE — soft above hard is EINVAL, a hard limit
 * above nr_open is EPERM (even for root), and raising the hard limit needs CAP_SYS_RESOURCE
 * (`capable`; the model's processes run as one user, so the caller says). On success the limit
 * is changed in place and 0 returned.
 */
export function doPrlimitNofile(k: Kernel, rlimit: Rlimit, next: Rlimit, capable: boolean): number {
  if (next.soft > next.hard) return -EINVAL;
  if (next.hard > fsSysctl(k).nrOpen) return -EPERM;
  if (next.hard > rlimit.hard && !capable) return -EPERM;
  rlimit.soft = next.soft;
  rlimit.hard = next.hard;
  return 0;
}
