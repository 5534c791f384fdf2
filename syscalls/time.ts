// Clocks: clock_gettime, gettimeofday, time, clock_getres, from the host's
// clocks (reading a clock is not a host system call made for the application).
import { E } from '../abi/linux/errno.js';
import type { Task } from '../sentry/kernel/task.js';
import { sys, type SyscallGroup } from './types.js';
import { ERESTART_RESTARTBLOCK } from '../abi/linux/errno.js';
import { monotonicNs } from '../sentry/kernel/timers.js';
import { WaitQueue } from '../sentry/kernel/wait-queue.js';
import { realtimeNs } from '../sentry/realtime.js';
import { groupCpuNs, taskCpuNs } from '../sentry/kernel/cpu-time.js';
import type { ThreadGroup } from '../sentry/kernel/thread-group.js';

import {
  CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID,
} from '../abi/linux/time.js';

export {
  CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID,
};

/**
 * The low bits of a dynamic CPU clock id (<linux/posix-timers.h>): which
 * clock (PROF 0, VIRT 1, SCHED 2; 3 is invalid), and per-thread.
 */
const CPUCLOCK_SCHED = 2, CPUCLOCK_PERTHREAD = 4, CPUCLOCK_CLOCK_MASK = 3;

const NS = 1_000_000_000n;
const buf16 = new Uint8Array(16);
const dv16 = new DataView(buf16.buffer);

/**
 * The task or group a dynamic CPU clock id names (~pid << 3 | which, with
 * CPUCLOCK_PERTHREAD for a thread): pid 0 is the caller; a thread clock must
 * be of the caller's own group and a process clock of a group leader, as
 * Linux requires; anything else is null (EINVAL).
 */
export function cpuClockTarget(t: Task, clock: number): { task: Task } | { group: ThreadGroup } | null {
  if (clock === CLOCK_PROCESS_CPUTIME_ID) return { group: t.tg };
  if (clock === CLOCK_THREAD_CPUTIME_ID) return { task: t };
  if (clock >= 0 || (clock & CPUCLOCK_CLOCK_MASK) > CPUCLOCK_SCHED) return null;
  const pid = ~(clock >> 3);
  if ((clock & CPUCLOCK_PERTHREAD) !== 0) {
    const task = pid === 0 ? t : t.kernel.tasks.get(pid);
    return task !== undefined && task.tg === t.tg && task.state !== 'dead' ? { task } : null;
  }
  const group = pid === 0 ? t.tg : t.kernel.threadGroups.get(pid);
  return group !== undefined && group.alive ? { group } : null;
}

/** The CPU time a target has used, in nanoseconds. */
export function cpuTargetNs(target: { task: Task } | { group: ThreadGroup }): number {
  return 'task' in target ? taskCpuNs(target.task) : groupCpuNs(target.group);
}

/** Nanoseconds on the given clock, or null for an invalid clock id. */
export function nowNs(t: Task, clock: number): bigint | null {
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_ALARM: case CLOCK_TAI:
      return realtimeNs();
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM:
      return process.hrtime.bigint();
    // Whole ticks, as Linux's coarse clocks (the time of the last tick): never ahead of the fine clock.
    case CLOCK_REALTIME_COARSE: { const ns = realtimeNs(); return ns - ns % t.kernel.tickNs; }
    case CLOCK_MONOTONIC_COARSE: { const ns = process.hrtime.bigint(); return ns - ns % t.kernel.tickNs; }
    default: {
      const target = cpuClockTarget(t, clock);
      return target === null ? null : BigInt(cpuTargetNs(target));
    }
  }
}

/**
 * clock_getres: 1 ns for the high-resolution clocks and the scheduler's CPU
 * clocks; the tick for the coarse clocks and for a dynamic CPU clock that
 * is PROF or VIRT (Linux's posix_cpu_clock_getres).
 */
function resolutionNs(t: Task, clock: number): bigint {
  if (clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE) return t.kernel.tickNs;
  if (clock < 0 && (clock & CPUCLOCK_CLOCK_MASK) !== CPUCLOCK_SCHED) return t.kernel.tickNs;
  return 1n;
}

function writeTimespec(t: Task, addr: number, ns: bigint): number {
  dv16.setBigInt64(0, ns / NS, true);
  dv16.setBigInt64(8, ns % NS, true);
  return t.mm.copyOutFull(addr, buf16);
}

const TIMER_ABSTIME = 1;
/** Sleepers wait on a queue no one wakes: only their deadline or a signal ends the sleep. */
const sleepers = new WaitQueue();

export function readTimespec(t: Task, addr: number): { sec: number; nsec: number } | number {
  const b = new Uint8Array(16);
  if (t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
  const dv = new DataView(b.buffer);
  const sec = Number(dv.getBigInt64(0, true)), nsec = Number(dv.getBigInt64(8, true));
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
  return { sec, nsec };
}

/**
 * nanosleep/clock_nanosleep: sleeps until the deadline (kept across reruns).
 * A signal that runs a handler ends it with EINTR and, for a relative sleep,
 * the time left in rem.
 */
function sleep(t: Task, clock: number, flags: number, reqAddr: number, remAddr: number): number {
  if (t.syscallDeadline < 0 || t.wakeReason !== 'timeout') {
    if (t.syscallDeadline < 0) {
      const ts = readTimespec(t, reqAddr);
      if (typeof ts === 'number') return ts;
      const ns = ts.sec * 1e9 + ts.nsec;
      const now = nowNs(t, clock);
      if (now === null) return -E.EINVAL;
      // The kernel's timers run on the monotonic clock; an absolute time on another clock is converted once.
      const rel = (flags & TIMER_ABSTIME) ? ns - Number(now) : ns;
      if (rel <= 0) return 0;
      t.syscallDeadline = monotonicNs() + rel;
      t.syscallState = { remAddr: (flags & TIMER_ABSTIME) ? 0 : remAddr };
    }
    if (monotonicNs() < t.syscallDeadline) {
      // On a signal, the rem write happens before delivery (see restartWithRemaining).
      const deadline = t.syscallDeadline;
      const rem = (t.syscallState as { remAddr: number }).remAddr;
      if (rem !== 0) t.onInterrupt = () => {
        const left = Math.max(0, deadline - monotonicNs());
        dv16.setBigInt64(0, BigInt(Math.floor(left / 1e9)), true);
        dv16.setBigInt64(8, BigInt(left % 1e9), true);
        // A rem Linux cannot write turns the EINTR into EFAULT (the handler still runs).
        if (t.mm.copyOutFull(rem, buf16) < 0) t.regs.rax = -E.EFAULT;
      };
      return t.block([sleepers], -ERESTART_RESTARTBLOCK);
    }
  }
  return 0;
}

export const timeSyscalls: SyscallGroup = {
  nanosleep: sys((t) => sleep(t, CLOCK_MONOTONIC, 0, t.arg(0), t.arg(1)), 'pp', 'an interrupted sleep restarted without a handler sleeps its whole length again'),
  clock_nanosleep: sys((t) => {
    const clock = t.argInt(0);
    if (nowNs(t, clock) === null) return -E.EINVAL;
    // Clocks Linux knows but cannot sleep on: the thread CPU clock, MONOTONIC_RAW and the coarse ones.
    if (clock === CLOCK_THREAD_CPUTIME_ID || clock === CLOCK_MONOTONIC_RAW || clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE) return -E.EOPNOTSUPP;
    const r = sleep(t, clock, t.argInt(1), t.arg(2), t.arg(3));
    return r;
  }, 'ixpp', 'an interrupted sleep restarted without a handler sleeps its whole length again'),
  clock_gettime: sys((t) => {
    const ns = nowNs(t, t.argInt(0));
    return ns === null ? -E.EINVAL : writeTimespec(t, t.arg(1), ns);
  }, 'ip', 'CPU-time clocks count the host thread\'s run time (not the Sentry\'s time serving its syscalls); coarse clocks are the fine ones rounded down to the host\'s tick'),
  clock_getres: sys((t) => {
    if (nowNs(t, t.argInt(0)) === null) return -E.EINVAL;
    return t.arg(1) === 0 ? 0 : writeTimespec(t, t.arg(1), resolutionNs(t, t.argInt(0)));
  }, 'ip'),
  gettimeofday: sys((t) => {
    if (t.arg(0) !== 0) {
      const us = realtimeNs() / 1000n;
      dv16.setBigInt64(0, us / 1_000_000n, true);
      dv16.setBigInt64(8, us % 1_000_000n, true);
      if (t.mm.copyOutFull(t.arg(0), buf16) < 0) return -E.EFAULT;
    }
    if (t.arg(1) !== 0 && t.mm.copyOutFull(t.arg(1), new Uint8Array(8)) < 0) return -E.EFAULT;
    return 0;
  }, 'pp'),
  time: sys((t) => {
    const sec = Number(realtimeNs() / NS);
    if (t.arg(0) !== 0 && t.mm.writeU64(t.arg(0), sec) < 0) return -E.EFAULT;
    return sec;
  }, 'p'),
};
