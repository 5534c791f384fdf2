// The one place that loads libc with koffi. Other host/ modules declare their
// functions against `libc` and report failures as negative errno values.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as KoffiModule from 'koffi';

type Koffi = typeof KoffiModule;

/**
 * koffi's package entry finds its prebuilt native module with the build
 * tools it ships (cnoke), which load node:https, crypto, tls and zlib: ~13 ms
 * of each Sentry and Gofer start, on the sandbox's critical path (a CPU
 * profile of the Sentry's load, docs/design/startup.md). We load the same
 * prebuilt for this platform directly. The entry only adds deprecated
 * aliases to it. Anything unexpected (a platform without that file, a
 * native module of another version) falls back to the package entry.
 */
function loadKoffi(): Koffi {
  const requireHere = createRequire(import.meta.url);
  try {
    const dir = dirname(requireHere.resolve('koffi'));
    const { version } = requireHere(join(dir, 'package.json')) as { version: string };
    const native = requireHere(join(dir, 'build', 'koffi', `${process.platform}_${process.arch}`, 'koffi.node')) as Koffi & { version?: string };
    if (native.version === version) return native;
  } catch { /* the package entry below */ }
  return requireHere('koffi') as Koffi;
}

const koffi = loadKoffi();

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
