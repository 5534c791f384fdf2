// `runsc gofer`: the Gofer's Node stage. Both ways of starting it run this:
// the CLI's hidden `gofer` command (runsc/cli.ts) and the Gofer's own entry
// (runsc/gofer-entry.ts), which skips commander and runs from a V8 code
// cache (docs/design/startup.md). Everything the Gofer runs is imported
// statically here, so it is all loaded before the chroot: no host path can
// be reached by name afterwards.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { GoferSpec } from './boot-spec.js';
import { FIRST_PASSED_FD } from './boot-spec.js';
import { ConfineError, enterGoferNamespaces, lockGoferJail, type PreparedJail } from '../gofer/confine.js';
import { EARLY_CONTROL_FD, EARLY_FRONT_END_FD, mountNamespaceId } from '../gofer/jail-plan.js';
import { closeFd, recvExact, recvWithFd } from '../host/socket.js';
import { EARLY_GOFER_JAIL, type EarlyGoferMessage } from './early-gofer.js';
import { fileURLToPath } from 'node:url';
import { runGofer } from '../gofer/p9/main.js';
import { createLogger, type Log } from '../sentry/log.js';

export interface GoferOptions {
  spec: string;
  debug: boolean;
  debugLog?: string;
  /** How runsc/loader.ts compiled the Gofer, when it did (for the debug log). */
  codeCache?: string;
}

function die(message: string): never {
  process.stderr.write(`runsc: ${message}\n`);
  process.exit(1);
}

/** A confinement step: its ConfineError is runsc's one-line message and exit 1. */
function confined<T>(step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof ConfineError) die(e.message);
    throw e;
  }
}

/** Stage 2's end, for either Gofer: locked in its jail, serving fds until every peer has gone. */
function lockInAndServe(prepared: PreparedJail, fds: number[], mounts: ReadonlyArray<{ readonly: boolean }>, log: Log, logged: Record<string, unknown>): void {
  const jail = confined(() => lockGoferJail(prepared));
  log.debug({ mounts, uptimeMs: process.uptime() * 1000, ...logged }, 'gofer confined, serving');
  runGofer({ fds, roots: jail.roots, readonly: mounts.map((m) => m.readonly), procSelfFd: jail.procSelfFd });
  log.debug('gofer done: every peer closed');
}

export function runGoferCommand(opts: GoferOptions): void {
  const spec = JSON.parse(readFileSync(opts.spec, 'utf8')) as GoferSpec;
  // Run as stage 1 (RUNSC_GOFER_LAUNCH=node): builds the jail in new
  // namespaces and re-executes this very command line, so it does not
  // return. As stage 2 (after the launcher or that re-exec): goes on here.
  const prepared = confined(() => enterGoferNamespaces(spec.mounts, join(dirname(resolve(opts.spec)), 'gofer-root'),
    { keepFds: spec.mounts.map((_, i) => FIRST_PASSED_FD + i) }));
  // The log is opened before the chroot too.
  const log = createLogger('gofer', { debug: opts.debug, debugLog: opts.debugLog, strace: false });
  lockInAndServe(prepared, spec.mounts.map((_, i) => FIRST_PASSED_FD + i), spec.mounts, log, { codeCache: opts.codeCache ?? 'none (ES modules)' });
}

/**
 * The front's early Gofer (runsc/early-gofer.ts), after its Node is up:
 * what it serves and its connections come on fd 3 once the front has had
 * its jail built; then it locks itself in and serves, as runGoferCommand.
 * Its jail is the directory beside the bundle, covered in its own mount
 * namespace.
 */
export function runEarlyGofer(codeCache: string | undefined): void {
  const control = EARLY_CONTROL_FD;
  const head = Buffer.alloc(4);
  if (recvExact(control, head, 0, 4) !== 4) die('gofer: the front went away before it said what to serve');
  const body = Buffer.alloc(head.readUInt32LE(0));
  if (recvExact(control, body, 0, body.length) !== body.length) die('gofer: the front went away before it said what to serve');
  const message = JSON.parse(body.toString('utf8')) as EarlyGoferMessage;
  const fds: number[] = [];
  const one = Buffer.alloc(1);
  const fdOut = new Int32Array(1);
  for (let i = 0; i < message.mounts.length; i++) {
    fdOut[0] = -1;
    if (recvWithFd(control, one, 0, 1, fdOut) !== 1 || fdOut[0] < 0) die(`gofer: connection ${i} did not arrive`);
    fds.push(fdOut[0]);
  }
  closeFd(control);
  // The front's end of the control socket: the front took a copy of it (pidfd_getfd) before it wrote.
  closeFd(EARLY_FRONT_END_FD);
  if (mountNamespaceId() === message.hostMntNs) die('gofer confinement: still in the host\'s mount namespace');
  const log = createLogger('gofer', { debug: message.debug, debugLog: message.debugLog, strace: false });
  const dir = join(dirname(fileURLToPath(import.meta.url)), EARLY_GOFER_JAIL);
  lockInAndServe({ dir, mounts: fds.length }, fds, message.mounts, log, { codeCache: codeCache ?? 'none (ES modules)', early: true });
}
