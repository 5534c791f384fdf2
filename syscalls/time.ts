// Clocks: clock_gettime, gettimeofday, time, clock_getres, from the host's
// clocks (reading a clock is not a host system call made for the application).
import { E } from '../abi/linux/errno.js';
import type { Task } from '../sentry/kernel/task.js';
import { sys, type SyscallGroup } from './types.js';

const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3,
  CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7,
  CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11;

const NS = 1_000_000_000n;
const buf16 = new Uint8Array(16);
const dv16 = new DataView(buf16.buffer);

/** Nanoseconds on the given clock, or null for an invalid clock id. */
function nowNs(t: Task, clock: number): bigint | null {
  switch (clock) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_REALTIME_ALARM: case CLOCK_TAI:
      return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM:
      return process.hrtime.bigint();
    case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
      return process.hrtime.bigint() - t.kernel.startNs;
    default:
      return null;
  }
}

function writeTimespec(t: Task, addr: number, ns: bigint): number {
  dv16.setBigInt64(0, ns / NS, true);
  dv16.setBigInt64(8, ns % NS, true);
  return t.mm.copyOutFull(addr, buf16);
}

export const timeSyscalls: SyscallGroup = {
  clock_gettime: sys((t) => {
    const ns = nowNs(t, t.argInt(0));
    return ns === null ? -E.EINVAL : writeTimespec(t, t.arg(1), ns);
  }, 'ip', 'CPU-time clocks report monotonic time'),
  clock_getres: sys((t) => {
    if (nowNs(t, t.argInt(0)) === null) return -E.EINVAL;
    return t.arg(1) === 0 ? 0 : writeTimespec(t, t.arg(1), 1n);
  }, 'ip'),
  gettimeofday: sys((t) => {
    if (t.arg(0) !== 0) {
      const us = BigInt(Date.now()) * 1000n;
      dv16.setBigInt64(0, us / 1_000_000n, true);
      dv16.setBigInt64(8, us % 1_000_000n, true);
      if (t.mm.copyOutFull(t.arg(0), buf16) < 0) return -E.EFAULT;
    }
    if (t.arg(1) !== 0 && t.mm.copyOutFull(t.arg(1), new Uint8Array(8)) < 0) return -E.EFAULT;
    return 0;
  }, 'pp'),
  time: sys((t) => {
    const sec = Math.floor(Date.now() / 1000);
    if (t.arg(0) !== 0 && t.mm.writeU64(t.arg(0), sec) < 0) return -E.EFAULT;
    return sec;
  }, 'p'),
};
