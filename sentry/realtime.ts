// The Sentry's CLOCK_REALTIME: clock_gettime and file timestamps read the
// same clock, so a file written after a clock reading never looks older.
import { CLOCK_REALTIME } from '../abi/linux/time.js';
import { hostClockNs } from '../host/time.js';
import type { Timespec } from '../abi/linux/stat.js';

/**
 * CLOCK_REALTIME is the monotonic clock plus a fixed offset taken once, from
 * the host's CLOCK_REALTIME (a clock_gettime through libc). Mixing
 * Date.now()'s milliseconds with the monotonic clock's sub-millisecond part
 * on each read would go backwards whenever the two roll over at different
 * moments; a fixed offset keeps realtime as steady as monotonic time (it
 * does not follow host clock steps made after the Sentry starts).
 */
const REALTIME_OFFSET_NS = hostClockNs(CLOCK_REALTIME) - process.hrtime.bigint();

export function realtimeNs(): bigint {
  return REALTIME_OFFSET_NS + process.hrtime.bigint();
}

/** The current time as a timespec, for file timestamps. */
export function realtimeNow(): Timespec {
  const ns = realtimeNs();
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}
