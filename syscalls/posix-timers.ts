// timer_create, timer_settime, timer_gettime, timer_getoverrun and
// timer_delete: POSIX per-process timers (sentry/kernel/posix-timers.ts).
import { E } from '../abi/linux/errno.js';
import { SIGALRM, SIGRTMAX } from '../abi/linux/signal.js';
import { groupCpuNs, taskCpuNs } from '../sentry/kernel/cpu-time.js';
import {
  MONOTONIC_TIMER_CLOCK, PosixTimer, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID, type TimerClock,
} from '../sentry/kernel/posix-timers.js';
import type { Task } from '../sentry/kernel/task.js';
import { realtimeNs } from '../sentry/realtime.js';
import {
  CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID,
  cpuClockTarget, nowNs, readTimespec,
} from './time.js';
import { sys, type SyscallGroup } from './types.js';

const TIMER_ABSTIME = 1;
const SIGEVENT_SIZE = 64;
const ITIMERSPEC_SIZE = 32;

/**
 * The clock a timer counts on: EINVAL for an unknown clock, EOPNOTSUPP for
 * one that has no timers. Linux checks a CPU clock's pid only after it has
 * allocated the timer id, so that check is a second step (cpuTimerClock).
 */
function wallTimerClock(t: Task, clock: number): TimerClock | 'cpu' | number {
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME: case CLOCK_TAI:
      return MONOTONIC_TIMER_CLOCK;
    case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
      return 'cpu';
  }
  // MONOTONIC_RAW and the COARSE clocks exist but have no timers; the ALARM
  // clocks need a wake-up RTC, which the sandbox does not have.
  if (clock >= 0) return nowNs(t, clock) === null ? -E.EINVAL : -E.EOPNOTSUPP;
  return 'cpu';
}

function cpuTimerClock(t: Task, clock: number): TimerClock | number {
  const target = cpuClockTarget(t, clock);
  if (target === null) return -E.EINVAL;
  // The timer keeps counting its own target, not whoever calls timer_gettime later.
  return 'task' in target
    ? { now: () => taskCpuNs(target.task), cpu: true }
    : { now: () => groupCpuNs(target.group), cpu: true };
}

function timerCreate(t: Task): number {
  const clockId = t.argInt(0), sevp = t.arg(1), idAddr = t.arg(2);
  const wall = wallTimerClock(t, clockId);
  if (typeof wall === 'number') return wall;
  let sev: DataView | null = null;
  if (sevp !== 0) {
    const b = new Uint8Array(SIGEVENT_SIZE);
    if (t.mm.copyInFull(sevp, b) < 0) return -E.EFAULT;
    sev = new DataView(b.buffer);
  }
  // From here on the id is used up, whatever happens (Linux allocates it before checking the event).
  const id = t.tg.posixTimers.allocateId();
  let notify = SIGEV_SIGNAL, signo = SIGALRM, value = BigInt(id), target: Task | null = null;
  if (sev !== null) {
    value = sev.getBigUint64(0, true);
    signo = sev.getInt32(8, true);
    notify = sev.getInt32(12, true);
    if (notify === SIGEV_THREAD_ID) {
      // Thread-directed: the thread must be one of the caller's group.
      const task = t.kernel.tasks.get(sev.getInt32(16, true));
      if (task === undefined || task.tg !== t.tg || task.state === 'dead') return -E.EINVAL;
      target = task;
    } else if (notify !== SIGEV_SIGNAL && notify !== SIGEV_THREAD && notify !== SIGEV_NONE) {
      return -E.EINVAL;
    }
    if (notify !== SIGEV_NONE && (signo <= 0 || signo > SIGRTMAX)) return -E.EINVAL;
  }
  if (t.mm.writeU32(idAddr, id) < 0) return -E.EFAULT;
  // Last, as Linux's clock-specific timer_create: a CPU clock's pid.
  const clock = wall === 'cpu' ? cpuTimerClock(t, clockId) : wall;
  if (typeof clock === 'number') return clock;
  t.tg.posixTimers.install(new PosixTimer(id, clockId, clock, t.tg, notify, signo, value, target));
  return 0;
}

function writeItimerspec(t: Task, addr: number, intervalNs: number, valueNs: number): number {
  const b = new Uint8Array(ITIMERSPEC_SIZE), dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(intervalNs / 1e9)), true);
  dv.setBigInt64(8, BigInt(intervalNs % 1e9), true);
  dv.setBigInt64(16, BigInt(Math.floor(valueNs / 1e9)), true);
  dv.setBigInt64(24, BigInt(valueNs % 1e9), true);
  return t.mm.copyOutFull(addr, b) < 0 ? -E.EFAULT : 0;
}

function timerOf(t: Task, id: number): PosixTimer | number {
  return t.tg.posixTimers.get(id) ?? -E.EINVAL;
}

function timerSettime(t: Task): number {
  const timer = timerOf(t, t.argInt(0));
  const flags = t.argInt(1), newAddr = t.arg(2), oldAddr = t.arg(3);
  if (newAddr === 0) return -E.EINVAL;
  const interval = readTimespec(t, newAddr);
  if (typeof interval === 'number') return interval;
  const value = readTimespec(t, newAddr + 16);
  if (typeof value === 'number') return value;
  if (typeof timer === 'number') return timer;
  if (oldAddr !== 0) {
    const old = timer.get();
    if (writeItimerspec(t, oldAddr, old.intervalNs, old.valueNs) < 0) return -E.EFAULT;
  }
  let valueNs = value.sec * 1e9 + value.nsec;
  const intervalNs = interval.sec * 1e9 + interval.nsec;
  if (valueNs !== 0 && (flags & TIMER_ABSTIME) !== 0) {
    // An absolute time on the timer's own clock; one already past fires at once.
    const now = timer.clockId === CLOCK_REALTIME || timer.clockId === CLOCK_TAI ? Number(realtimeNs())
      : Number(nowNs(t, timer.clockId) ?? 0n);
    valueNs = Math.max(1, valueNs - now);
  }
  timer.set(valueNs, valueNs === 0 ? 0 : intervalNs);
  return 0;
}

function timerGettime(t: Task): number {
  const timer = timerOf(t, t.argInt(0));
  if (typeof timer === 'number') return timer;
  const cur = timer.get();
  return writeItimerspec(t, t.arg(1), cur.intervalNs, cur.valueNs);
}

export const posixTimerSyscalls: SyscallGroup = {
  timer_create: sys(timerCreate, 'ipp'),
  timer_settime: sys(timerSettime, 'iipp'),
  timer_gettime: sys(timerGettime, 'ip'),
  timer_getoverrun: sys((t) => {
    const timer = timerOf(t, t.argInt(0));
    return typeof timer === 'number' ? timer : timer.lastOverrun;
  }, 'i'),
  timer_delete: sys((t) => (t.tg.posixTimers.delete(t.argInt(0)) ? 0 : -E.EINVAL), 'i'),
};
