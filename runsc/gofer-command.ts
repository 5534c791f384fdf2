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
import { runGofer } from '../gofer/p9/main.js';
import { createLogger } from '../sentry/log.js';

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

export function runGoferCommand(opts: GoferOptions): void {
  const spec = JSON.parse(readFileSync(opts.spec, 'utf8')) as GoferSpec;
  let prepared: PreparedJail;
  try {
    // Run as stage 1 (RUNSC_GOFER_LAUNCH=node): builds the jail in new
    // namespaces and re-executes this very command line, so it does not
    // return. As stage 2 (after the launcher or that re-exec): goes on here.
    prepared = enterGoferNamespaces(spec.mounts, join(dirname(resolve(opts.spec)), 'gofer-root'),
      { keepFds: spec.mounts.map((_, i) => FIRST_PASSED_FD + i) });
  } catch (e) {
    if (e instanceof ConfineError) die(e.message);
    throw e;
  }
  // The log is opened before the chroot too.
  const log = createLogger('gofer', { debug: opts.debug, debugLog: opts.debugLog, strace: false });
  let jail;
  try {
    jail = lockGoferJail(prepared);
  } catch (e) {
    if (e instanceof ConfineError) die(e.message);
    throw e;
  }
  log.debug({ mounts: spec.mounts, uptimeMs: process.uptime() * 1000, codeCache: opts.codeCache ?? 'none (ES modules)' }, 'gofer confined, serving');
  runGofer({
    fds: spec.mounts.map((_, i) => FIRST_PASSED_FD + i),
    roots: jail.roots,
    readonly: spec.mounts.map((m) => m.readonly),
    procSelfFd: jail.procSelfFd,
  });
  log.debug('gofer done: every peer closed');
}
