// Host clocks: clock_getres(2), so that the sandbox's clocks can report the
// host's granularity where Linux reports its tick.
import { libc, check, lastErrno } from './libc.js';

const clockGetresFn = libc.func('int clock_getres(int clk, _Out_ int64_t *res)');
const res = new BigInt64Array(2);

/** clock_getres(2) on the host: the clock's resolution in nanoseconds, or -errno. */
export function clockResolutionNs(clock: number): number {
  const r = check(clockGetresFn(clock, res) as number);
  return r < 0 ? r : Number(res[0]) * 1e9 + Number(res[1]);
}

const clockGettimeFn = libc.func('int clock_gettime(int clk, _Out_ int64_t *ts)');

/** clock_gettime(2) on the host, in nanoseconds (for CLOCK_REALTIME, since the epoch). */
export function hostClockNs(clock: number): bigint {
  if (clockGettimeFn(clock, res) !== 0) throw new Error(`clock_gettime(${clock}) failed: errno ${lastErrno()}`);
  return res[0] * 1_000_000_000n + res[1];
}
