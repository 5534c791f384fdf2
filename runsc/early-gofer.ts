// The front's early Gofer (runsc/front.ts): started by bin/runsc.js's sh
// lines before the front's Node, so that the two Node starts overlap, on a
// launch program `npm run build` wrote (gofer/jail-plan.ts
// goferEarlyProgram): /dev/null as stdin and stdout, a control socketpair
// at 3 and 4, new namespaces, an empty jail, the capability drops, then
// Node, which loads its code and waits on fd 3. The front takes the other
// end (fd 4) with pidfd_getfd. The front then has the jail populated by a second launcher in the
// Gofer's mount namespace (goferJailProgram) and sends the Gofer its mounts
// and one connection per mount (runsc/front-sandbox.ts); the Gofer locks
// itself in as any Gofer does (runsc/gofer-command.ts runEarlyGofer).
import { TRAIN_CODE_CACHE_FLAG } from './child-options.js';

/** The directory beside the bundle that an early Gofer's jail tmpfs covers, in its own mount namespace. */
export const EARLY_GOFER_JAIL = 'gofer-jail';
/** How bin/runsc.js's sh lines tell the front about the early Gofer: its pid. */
export const EARLY_GOFER_ENV = 'RUNSC_EARLY_GOFER';

/** The loader's arguments for an early Gofer: `node loader.cjs <these>`. */
export function earlyGoferArgs(train: boolean): string[] {
  return ['gofer', ...(train ? [TRAIN_CODE_CACHE_FLAG] : []), 'gofer', '--early'];
}

/** What the front sends the early Gofer first: a 32-bit little-endian length, then this as JSON; then one fd per mount. */
export interface EarlyGoferMessage {
  mounts: Array<{ readonly: boolean }>;
  /** The front's mount namespace (the host's): the Gofer must be elsewhere. */
  hostMntNs: string;
  debug: boolean;
  debugLog?: string;
}

/** Parses EARLY_GOFER_ENV's value. */
export function parseEarlyGofer(value: string | undefined): { pid: number } | null {
  const m = /^(\d+)$/.exec(value ?? '');
  return m === null ? null : { pid: Number(m[1]) };
}
