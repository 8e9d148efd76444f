// The helper library (native/iomux.c) the script's process needs for signals and threads: the
// `catch` handler and its counters, the restorer rt_sigaction needs, the script threads other than
// "main" (threads, each a raw clone, that make raw system calls), and the handler that blocks every signal in Node's
// own threads. Compiled at run time with gcc into a cache directory keyed by the source's hash
// (as the benchmark compiles bench/c/bench.c: src/bench/cref.ts), then loaded through koffi.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KoffiFunc } from 'koffi';
import type { Outcome, SysArg } from './libc.ts';
import { argTypes, padArgs } from './libc.ts';

/** The source, shipped in the package beside dist/ (package.json "files"). */
const SOURCE = fileURLToPath(new URL('../../native/iomux.c', import.meta.url));

/** Compile the helper library if its cached build is missing; its path. Throws gcc's complaint. */
export function buildNative(): string {
  const src = readFileSync(SOURCE);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'iomux-native');
  const path = join(dir, `libiomux-${hash}.so`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}`;
  try {
    execFileSync(
      'gcc',
      ['-O2', '-Wall', '-fno-stack-protector', '-shared', '-fPIC', '-pthread', '-o', tmp, SOURCE],
      {
        stdio: 'pipe',
      },
    );
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(
      `the real-Linux backend compiles ${SOURCE} with gcc, which failed: ${err.stderr?.toString().trim() || err.message}`,
    );
  }
  renameSync(tmp, path);
  return path;
}

/** What the helper library offers (each function as native/iomux.c documents it). */
export interface Native {
  /** Fill a 32-byte kernel sigaction: kind 0 SIG_DFL, 1 SIG_IGN, 2 the catch handler. */
  fillSigaction(ksa: Buffer, kind: number, flags: number, mask: bigint): void;
  /** Fill pselect6's 16-byte sixth argument with a pointer to `sigset` (or NULL) and its size. */
  fillSig6(out: Buffer, sigset: Buffer | null): void;
  caught(sig: number): number;
  caughtReset(): void;
  /** Install the mask-filling handler for `sig`: 0 or -errno. */
  installBlocker(sig: number): number;
  /** A new script thread (made from the calling thread, whose mask it copies): index, or -errno. */
  threadNew(): number;
  threadTid(index: number): number;
  /** End an idle script thread and join it: 0 or -errno. */
  threadEnd(index: number): number;
  /** SIGKILL this process when the runner's end of channel `fd` closes (a thread watches): 0 or -errno. */
  watchChannel(fd: number): number;
  /** System call `nr` on script thread `index`, waited for on a libuv threadpool thread. */
  call(index: number, nr: number, args: readonly SysArg[]): Promise<Outcome>;
}

let loaded: Native | undefined;

/** Load the helper library at `path` (built by `buildNative`), once per process. */
export function loadNative(path = buildNative()): Native {
  if (loaded) return loaded;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load(path);
  const fill = lib.func('void iomux_fill_sigaction(void *ksa, int kind, unsigned long flags, uint64_t mask)');
  const sig6 = lib.func('void iomux_fill_sig6(void *out, const void *sigset)');
  const caught = lib.func('uint64_t iomux_caught(int sig)');
  const caughtReset = lib.func('void iomux_caught_reset(void)');
  const installBlocker = lib.func('long iomux_install_blocker(int sig)');
  const threadNew = lib.func('int iomux_thread_new(void)');
  const threadTid = lib.func('int iomux_thread_tid(int i)');
  const threadEnd = lib.func('int iomux_thread_end(int i)');
  const watchChannel = lib.func('int iomux_watch_channel(int fd)');
  // iomux_call(int i, long nr, long a0 … a5) bound once per argument shape: on x86-64 a pointer and
  // a long travel in the same register, so each shape is the same function.
  const shapes = new Map<string, KoffiFunc<(...a: unknown[]) => number>>();
  const callFn = (types: string[]) => {
    const key = types.join(',');
    let f = shapes.get(key);
    if (!f) {
      f = lib.func('iomux_call', 'long', ['int', 'long', ...types]) as KoffiFunc<(...a: unknown[]) => number>;
      shapes.set(key, f);
    }
    return f;
  };
  loaded = {
    fillSigaction: (ksa, kind, flags, mask) => fill(ksa, kind, flags, mask),
    fillSig6: (out, sigset) => sig6(out, sigset),
    caught: (sig) => Number(caught(sig)),
    caughtReset: () => caughtReset(),
    installBlocker: (sig) => Number(installBlocker(sig)),
    threadNew: () => threadNew() as number,
    threadTid: (i) => threadTid(i) as number,
    threadEnd: (i) => threadEnd(i) as number,
    watchChannel: (fd) => watchChannel(fd) as number,
    call: (index, nr, args) => {
      const a = padArgs(args);
      const fn = callFn(argTypes(a));
      // The arguments stay referenced until the call returns: koffi passes a Buffer's memory as is.
      return new Promise((resolve, reject) => {
        (fn.async as (...x: unknown[]) => void)(index, nr, ...a, (err: unknown, ret: number) => {
          void a;
          if (err) reject(err);
          else resolve(ret < 0 ? { ret: -1, errno: -ret } : { ret, errno: 0 });
        });
      });
    },
  };
  return loaded;
}
