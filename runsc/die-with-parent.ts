// The Sentry lives as long as what started it: runsc's CLI, or the /bin/sh
// front of bin/runsc.js (runsc/front.ts).
import { SIGKILL } from '../abi/linux/signal.js';
import { prctl, PR_SET_PDEATHSIG } from '../host/confine.js';

/**
 * A sandbox lives as long as the runsc that runs it in the foreground: there
 * is no detached mode (create/start) yet, so nothing could ever stop a
 * Sentry whose runsc was killed, and its application would run on. The
 * stubs die with the Sentry (PTRACE_O_EXITKILL), the Gofer when its peers
 * close. A runsc that died between reading ppid and the prctl left us
 * reparented; one that died even earlier is missed (runsc may itself be
 * pid 1 in a container, so ppid 1 proves nothing).
 */
export function dieWithRunsc(): void {
  const parent = process.ppid;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || process.ppid !== parent) process.exit(1);
}
