// Host randomness for the sandbox (getrandom(2), /dev/urandom, AT_RANDOM).
// getrandom(2) through libc rather than node:crypto, whose loading (streams,
// ciphers) was ~10 ms of each Sentry start (docs/design/startup.md).
import { E } from '../abi/linux/errno.js';
import { libc, check } from './libc.js';

const getrandomFn = libc.func('intptr_t getrandom(_Out_ uint8_t *buf, size_t len, unsigned int flags)');

/** Fills dst from the host's urandom source; blocks only until it is initialised, as Linux's getrandom(2) with no flags. */
export function fillRandom(dst: Uint8Array): void {
  let done = 0;
  while (done < dst.length) {
    // One call returns at most 32 MiB - 1 and may stop short at a signal.
    const part = done === 0 ? dst : dst.subarray(done);
    const r = check(Number(getrandomFn(part, part.length, 0)));
    if (r === -E.EINTR) continue;
    if (r < 0) throw new Error(`getrandom failed: errno ${-r}`);
    done += r;
  }
}
