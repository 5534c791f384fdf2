// Starting the Sentry before the CLI has done its own work. The Sentry's
// start (Node, koffi, its code) is the longest step on a sandbox's critical
// path, and the CLI's (Node, commander, reading the config, planning the
// Gofer's jail) used to come before it. So for `run` and `do` the CLI's
// entry spawns the Sentry first thing, with its Gofer connections and
// control channel, and hands it its boot spec later, over the control
// channel (runsc/sandbox.ts). The Sentry reads the spec once its code is
// loaded, so the two starts overlap (docs/design/startup.md).
//
// This runs before anything else is loaded, for the plain command lines the
// fast path reads (runsc/fast-path.ts); any other means no early start. If
// runsc ends up not using the early Sentry (the Gofer fails to start, say),
// it kills it; a Sentry whose control channel closes before a spec arrives
// exits quietly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FIRST_PASSED_FD, sandboxProcessEnv } from './boot-spec.js';
import { loaderFlags } from './child-options.js';

export interface EarlySentry {
  child: ChildProcess;
  /** The CLI's ends of the Gofer connections (the Sentry has the others at 3, 4, ...), for the Gofer's spawn. */
  goferSockets: Socket[];
  /** The control channel: the boot spec first, then one byte per forwarded signal. */
  control: Socket;
  /** Whether the CLI has taken it over (runsc/sandbox.ts); if not, it is killed at exit. */
  used: boolean;
}

let early: EarlySentry | null = null;

/** The early Sentry, if one was started for connections connections; the caller owns it then. */
export function takeEarlySentry(connections: number): EarlySentry | null {
  const e = early;
  if (e === null || e.used || e.goferSockets.length !== connections) return null;
  e.used = true;
  return e;
}

/** Kills an early Sentry the CLI has not used, and waits for it: it must not outlive the CLI. */
export async function discardEarlySentry(): Promise<void> {
  const e = early;
  if (e === null || e.used) return;
  e.used = true;
  for (const s of [...e.goferSockets, e.control]) s.destroy();
  if (e.child.exitCode === null && e.child.signalCode === null) {
    const exited = new Promise<void>((res) => e.child.once('exit', () => res()));
    e.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Spawns the Sentry for a plain run/do command line (runsc/fast-path.ts)
 * whose sandbox has that many Gofer connections, if the Sentry's loader is
 * built (dist/bundle/loader.cjs) and RUNSC_EARLY_SENTRY is not 0.
 */
export function startEarlySentry(connections: number): void {
  if (process.env.RUNSC_EARLY_SENTRY === '0') return;
  const loader = fileURLToPath(new URL('./loader.cjs', import.meta.url));
  if (!existsSync(loader)) return;
  const controlFd = FIRST_PASSED_FD + connections;
  const child = spawn(process.execPath, [loader, 'sentry', ...loaderFlags(), 'boot', '--control-fd', String(controlFd), '--spec-on-control'], {
    stdio: ['inherit', 'inherit', 'inherit', ...Array.from({ length: connections + 1 }, () => 'pipe' as const)],
    env: sandboxProcessEnv(),
  });
  const sockets = Array.from({ length: connections }, (_, i) => child.stdio[FIRST_PASSED_FD + i] as Socket);
  const control = child.stdio[controlFd] as Socket;
  // EPIPE once the Sentry is gone: nothing left to tell it.
  control.on('error', () => {});
  early = { child, goferSockets: sockets, control, used: false };
  // Not started (say, execPath gone): the CLI spawns one itself later.
  child.once('error', () => { if (early !== null && !early.used) early = null; });
  process.once('exit', () => { if (early !== null && !early.used) early.child.kill('SIGKILL'); });
}
