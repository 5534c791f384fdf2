// The one place that loads libc with koffi. Other host/ modules declare their
// functions against `libc` and report failures as negative errno values.
import koffi from 'koffi';

export const libc = koffi.load('libc.so.6');
export { koffi };

/** errno of the last koffi call made on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

/**
 * Turns a libc return value into our convention: the value itself on
 * success, or -errno when libc returned -1.
 */
export function check(ret: number): number {
  return ret === -1 ? -koffi.errno() : ret;
}
