// timerfd on CLOCK_MONOTONIC (Linux: fs/timerfd.c), on the kernel's virtual clock `k.now`.
//
// A timerfd is an hrtimer plus a tick count. When the timer expires (timerfd_tmrproc →
// timerfd_triggered) `ticks` goes up by one, `expired` is set, and the queue is woken with
// EPOLLIN (nr_exclusive 1). A periodic timer is *not* re-armed there: it stays expired until a
// read (or timerfd_gettime) moves its expiry forward past now with hrtimer_forward_now, counts
// the periods missed meanwhile into the ticks, and restarts it. So an unread periodic timerfd
// wakes its queue once, however many periods pass. poll: IN while ticks > 0, nothing else.
// timerfd_settime stops the timer, reports the old setting, clears the ticks and re-arms.
//
// Times are integers of ns, as ktime_t is. Not Linux: the model uses JavaScript numbers, so a
// value or interval beyond 2^53 ns (about 104 days) is Unsupported rather than saturated.

import { CLOCK, EPOLL, O, TFD, TFD_TIMER } from '../abi/constants.ts';
import { nameOf } from '../abi/flags.ts';
import type { Failure, Itimerspec, SysResult, Timespec } from '../api/syscalls.ts';
import { Unsupported } from '../api/syscalls.ts';
import { ERESTARTSYS, ERRNO, errWhy, failWhy, toResult } from './errors.ts';
import { File, type FileOperations, fileOperations, type PollTable, pollWait } from './file.ts';
import { fdlookup, installFd } from './fs.ts';
import type { Kernel, Timer, TimerOwner } from './kernel.ts';
import { type SysGen, sleepOn, type Thread } from './sched.ts';
import { NSEC_PER_SEC } from './time.ts';
import { newWaitQueue, snapshotWaitQueue, type WaitQueueHead, wakeUp } from './waitqueue.ts';

const { EAGAIN, EINVAL } = ERRNO;

// Linux: include/linux/timerfd.h
const TFD_CREATE_FLAGS = TFD.TFD_CLOEXEC | TFD.TFD_NONBLOCK;
const TFD_SETTIME_FLAGS = TFD_TIMER.TFD_TIMER_ABSTIME | TFD_TIMER.TFD_TIMER_CANCEL_ON_SET;

// Linux: include/uapi/linux/time.h — the clocks timerfd_create accepts.
const CLOCK_BOOTTIME = 7;
const CLOCK_REALTIME_ALARM = 8;
const CLOCK_BOOTTIME_ALARM = 9;
const TIMERFD_CLOCKS = new Set<number>([
  CLOCK.CLOCK_REALTIME,
  CLOCK.CLOCK_MONOTONIC,
  CLOCK_BOOTTIME,
  CLOCK_REALTIME_ALARM,
  CLOCK_BOOTTIME_ALARM,
]);

/** Linux: struct timerfd_ctx (the hrtimer flavour). */
export interface TimerfdCtx {
  readonly id: number;
  /** Linux: clockid. Always CLOCK_MONOTONIC here. */
  readonly clockid: number;
  /**
   * Linux: hrtimer_get_expires(&ctx->t.tmr). The absolute expiry on k.now's clock, ns; kept
   * after the timer fires (a periodic timer is forwarded from it). 0 when never armed or disarmed.
   */
  expires: number;
  /** The queued kernel timer while the hrtimer is enqueued; null when it is not (fired, cancelled, disarmed). */
  timer: Timer | null;
  /** Linux: tintv. The period, ns; 0 for a one-shot timer. Kept even when the timer is disarmed. */
  tintv: number;
  /** Linux: ticks. Expirations not yet read; set to 0 by read and by settime. */
  ticks: number;
  /** Linux: expired. The hrtimer fired and has not been forwarded since (read, gettime, settime clear it). */
  expired: boolean;
  /** Linux: settime_flags. The flags of the last successful settime (TFD_TIMER_*). */
  settimeFlags: number;
  /** Linux: wqh. Blocked readers (non-exclusive, tail) and pollers. */
  readonly wqh: WaitQueueHead;
}

/** A timespec as ns, or null if Linux's timespec64_valid rejects it. */
function timespecNs(call: string, ts: Timespec): number | null {
  // Linux: timespec64_valid — tv_sec ≥ 0 and 0 ≤ tv_nsec < 1e9 (compared unsigned).
  if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= NSEC_PER_SEC) return null;
  const ns = ts.sec * NSEC_PER_SEC + ts.nsec;
  if (!Number.isSafeInteger(ns))
    throw new Unsupported(call, `timespec {${ts.sec}, ${ts.nsec}} beyond 2^53 ns`);
  return ns;
}

function nsTimespec(ns: number): Timespec {
  return { sec: Math.floor(ns / NSEC_PER_SEC), nsec: ns % NSEC_PER_SEC };
}

// Linux: timerfd_triggered (called from timerfd_tmrproc, the hrtimer's function).
function timerfdTriggered(k: Kernel, ctx: TimerfdCtx): void {
  ctx.timer = null;
  ctx.expired = true;
  ctx.ticks++;
  // Linux: wake_up_locked_poll(&ctx->wqh, EPOLLIN) — nr_exclusive 1, key EPOLLIN; unconditional.
  wakeUp(k, ctx.wqh, 1, EPOLL.EPOLLIN, 'timerfd_triggered');
}

// Linux: hrtimer_cancel (ctx->t.tmr).
function hrtimerCancel(ctx: TimerfdCtx): void {
  if (ctx.timer) ctx.timer.active = false;
  ctx.timer = null;
}

/** Linux: hrtimer_start / hrtimer_restart at ctx.expires. */
function hrtimerStart(k: Kernel, ctx: TimerfdCtx): void {
  hrtimerCancel(ctx);
  // Linux: an expiry already past fires at once (the timer interrupt is due): checked on 6.18,
  // a read right after arming an absolute time in the past returns 1, every time.
  if (ctx.expires <= k.now) {
    timerfdTriggered(k, ctx);
    return;
  }
  const owner: TimerOwner = { kind: 'timerfd', id: ctx.id };
  const timer = k.addTimer(ctx.expires, owner, `timerfd:${ctx.id}`, () => {
    if (ctx.timer === timer) timerfdTriggered(k, ctx);
  });
  ctx.timer = timer;
}

/**
 * Linux: hrtimer_forward_now. Move the expiry forward by whole periods until it is after now;
 * return how many periods that took (the overruns), 0 if it was already in the future.
 */
function hrtimerForwardNow(k: Kernel, ctx: TimerfdCtx): number {
  const delta = k.now - ctx.expires;
  if (delta < 0) return 0;
  const interval = ctx.tintv; // ≥ hrtimer_resolution (1 ns with high-resolution timers)
  let orun = 1;
  if (delta >= interval) {
    orun = Math.floor(delta / interval);
    ctx.expires += interval * orun;
    if (ctx.expires > k.now) return orun;
    orun++;
  }
  ctx.expires += interval;
  return orun;
}

// Linux: timerfd_get_remaining — never negative.
function remaining(k: Kernel, ctx: TimerfdCtx): number {
  return Math.max(0, ctx.expires - k.now);
}

// Linux: timerfd_poll.
function timerfdPoll(k: Kernel, file: File, pt: PollTable | null): number {
  const ctx = file.priv as TimerfdCtx;
  k.stats.fopPollCalls++;
  pollWait(file, ctx.wqh, pt);
  return ctx.ticks ? EPOLL.EPOLLIN : 0;
}

// Linux: timerfd_read_iter.
function* timerfdRead(t: Thread, file: File, buf: Uint8Array, count: number): SysGen<number> {
  const k = t.k;
  const ctx = file.priv as TimerfdCtx;
  if (count < 8) return errWhy(k, -EINVAL, 'timerfd_read_iter', 'count < 8: the buffer cannot hold the u64');
  let res = 0;
  if (file.nonblock)
    res = ctx.ticks
      ? -EAGAIN
      : errWhy(
          k,
          -EAGAIN,
          'timerfd_read_iter',
          'the timer has not expired (ticks == 0) and {file} is O_NONBLOCK',
          file.id,
        );
  else {
    // Linux: wait_event_interruptible_locked_irq(ctx->wqh, ctx->ticks) — non-exclusive, tail.
    while (!ctx.ticks) {
      const reason = yield* sleepOn(t, ctx.wqh, 'shared_tail');
      // Linux: the wait returns -ERESTARTSYS (the condition wins when both hold).
      if (reason === 'signal' && !ctx.ticks) {
        res = -ERESTARTSYS;
        break;
      }
    }
  }
  let ticks = 0;
  if (ctx.ticks) {
    ticks = ctx.ticks;
    // A periodic timer is re-armed here, not in the timer callback: count the periods missed.
    if (ctx.expired && ctx.tintv) {
      ticks += hrtimerForwardNow(k, ctx) - 1;
      hrtimerStart(k, ctx);
    }
    ctx.expired = false;
    ctx.ticks = 0;
  }
  if (ticks) {
    new DataView(buf.buffer, buf.byteOffset, 8).setBigUint64(0, BigInt(ticks), true);
    res = 8;
  }
  return res;
}

/** Linux: timerfd_fops — read and poll; no write (EINVAL), no FIONREAD (ENOTTY). */
export const timerfdOps: FileOperations = fileOperations({
  type: 'timerfd',
  snapshot: (k, file) => snapshotTimerfd(k, file.priv as TimerfdCtx),
  poll: timerfdPoll,
  read: timerfdRead,
  // Not Linux (fs.ts readBuffer): timerfd_read returns a u64 or nothing, asleep or not.
  readMax: () => 8,
  // Linux: timerfd_release — cancel the timer; no wake-up.
  release(_k, file) {
    hrtimerCancel(file.priv as TimerfdCtx);
  },
});

/** The state of a timerfd as plain JSON (src/observe). */
export function snapshotTimerfd(k: Kernel, ctx: TimerfdCtx): object {
  return {
    id: ctx.id,
    clockid: ctx.clockid,
    armed: ctx.timer !== null,
    expires: ctx.expires,
    remaining: remaining(k, ctx),
    interval: ctx.tintv,
    ticks: ctx.ticks,
    expired: ctx.expired,
    settimeFlags: ctx.settimeFlags,
    wqh: snapshotWaitQueue(ctx.wqh),
  };
}

/** Linux: timerfd_create. */
export function sys_timerfd_create(t: Thread, clockid: number, flags: number): SysResult {
  if ((flags & ~TFD_CREATE_FLAGS) !== 0 || !TIMERFD_CLOCKS.has(clockid))
    return failWhy(
      t.k,
      'EINVAL',
      'timerfd_create',
      'flags other than TFD_NONBLOCK, TFD_CLOEXEC, or a clock not supported',
    );
  // Not Linux: only CLOCK_MONOTONIC is modelled (it is the virtual clock). CLOCK_REALTIME and
  // CLOCK_BOOTTIME would need a second clock and clock_settime cancellation; the alarm clocks
  // need CAP_WAKE_ALARM (EPERM unprivileged).
  if (clockid !== CLOCK.CLOCK_MONOTONIC)
    throw new Unsupported('timerfd_create', `clock ${nameOf(clockid, CLOCK)}`);
  const k = t.k;
  const id = k.nextId();
  const ctx: TimerfdCtx = {
    id,
    clockid,
    expires: 0,
    timer: null,
    tintv: 0,
    ticks: 0,
    expired: false,
    settimeFlags: 0,
    wqh: newWaitQueue(k, 'timerfd.wqh', id),
  };
  // Linux: anon_inode_getfd(..., O_RDWR | (flags & TFD_SHARED_FCNTL_FLAGS)); the file keeps
  // O_ACCMODE | O_NONBLOCK, so F_GETFL shows 0x2 or 0x802 (checked on 6.18).
  const file = new File(k, timerfdOps, O.O_RDWR | (flags & TFD.TFD_NONBLOCK), ctx);
  return toResult(installFd(k, t, file, (flags & TFD.TFD_CLOEXEC) !== 0));
}

/** Linux: timerfd_fget — EBADF, or EINVAL for a file that is not a timerfd. */
function timerfdFget(t: Thread, fd: number): TimerfdCtx | number {
  const file = fdlookup(t, fd);
  if (!file) return errWhy(t.k, -ERRNO.EBADF, 'timerfd_fget', 'fd {fd} is not open', undefined, fd);
  if (file.ops !== timerfdOps)
    return errWhy(t.k, -EINVAL, 'timerfd_fget', '{file} is not a timerfd', file.id, fd);
  return file.priv as TimerfdCtx;
}

function itimerspec(k: Kernel, ctx: TimerfdCtx): Itimerspec {
  return { interval: nsTimespec(ctx.tintv), value: nsTimespec(remaining(k, ctx)) };
}

/** Linux: do_timerfd_settime. Returns the old setting as timerfd_gettime would have. */
export function sys_timerfd_settime(
  t: Thread,
  fd: number,
  flags: number,
  value: Itimerspec,
): SysResult<{ old: Itimerspec }> {
  // Linux: flags and both timespecs are checked before the descriptor.
  if ((flags & ~TFD_SETTIME_FLAGS) !== 0)
    return failWhy(
      t.k,
      'EINVAL',
      'do_timerfd_settime',
      'flags other than TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET',
    );
  const texp = timespecNs('timerfd_settime', value.value);
  const tintv = timespecNs('timerfd_settime', value.interval);
  if (texp === null || tintv === null)
    return failWhy(t.k, 'EINVAL', 'do_timerfd_settime', 'invalid timespec');
  const ctx = timerfdFget(t, fd);
  if (typeof ctx === 'number') return toResult(ctx) as Failure;
  const k = t.k;
  const abs = (flags & TFD_TIMER.TFD_TIMER_ABSTIME) !== 0;
  if (texp !== 0 && !abs && !Number.isSafeInteger(k.now + texp))
    throw new Unsupported('timerfd_settime', 'an expiry beyond 2^53 ns');
  // Linux: timerfd_setup_cancel — TFD_TIMER_CANCEL_ON_SET matters only for the REALTIME
  // clocks; on CLOCK_MONOTONIC it is accepted and has no effect.
  hrtimerCancel(ctx);
  // An expired periodic timer is forwarded first, so the old value is the time to its next
  // period; the ticks are not counted (they are about to be cleared).
  if (ctx.expired && ctx.tintv) hrtimerForwardNow(k, ctx);
  const old = itimerspec(k, ctx);
  // Linux: timerfd_setup. The pending ticks are dropped; a zero value leaves the timer
  // disarmed with expiry 0 (so 0 remaining), but the interval is kept and reported.
  ctx.expired = false;
  ctx.ticks = 0;
  ctx.tintv = tintv;
  ctx.expires = texp;
  if (texp !== 0) {
    if (!abs) ctx.expires = k.now + texp;
    hrtimerStart(k, ctx);
  }
  ctx.settimeFlags = flags & TFD_SETTIME_FLAGS;
  return { ret: 0, old };
}

/** Linux: timerfd_gettime. An expired periodic timer is forwarded and re-armed, its missed periods counted. */
export function sys_timerfd_gettime(t: Thread, fd: number): SysResult<{ value: Itimerspec }> {
  const ctx = timerfdFget(t, fd);
  if (typeof ctx === 'number') return toResult(ctx) as Failure;
  const k = t.k;
  if (ctx.expired && ctx.tintv) {
    ctx.expired = false;
    ctx.ticks += hrtimerForwardNow(k, ctx) - 1;
    hrtimerStart(k, ctx);
  }
  return { ret: 0, value: itimerspec(k, ctx) };
}
