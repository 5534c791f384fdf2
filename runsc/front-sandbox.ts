// The front's second half (runsc/front.ts has the first): loaded once the
// Gofer's launcher is on its way, it loads koffi and the Sentry's bundle,
// runs the sandbox in this process, then ends the Gofer and removes the
// state directory.
import { closeSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SIGKILL } from '../abi/linux/signal.js';
import { kill, spawn } from '../host/process.js';
import { waitpid } from '../host/ptrace.js';
import { closeFd, dupCloexec, socketpair } from '../host/socket.js';
import { createLogger } from '../sentry/log.js';
import type { SandboxBootOptions } from './boot-command.js';
import { FIRST_PASSED_FD, type BootSpec } from './boot-spec.js';
import { dieWithRunsc } from './die-with-parent.js';
import { compileBundle, trainOnExit } from './loader.js';
import type { SpawnedOnPairs } from './libuv-spawn.js';
import type { GlobalOptions, SandboxPlan } from './sandbox-plan.js';

/** Above every fd the launcher's program places (0, 1, 3, 4, ...): posix_spawn's dup2s then cannot overwrite a source. */
const HIGH_FD = 100;

type BootSandbox = (spec: BootSpec, opts: SandboxBootOptions) => number;

export interface FrontSandbox {
  plan: SandboxPlan;
  g: GlobalOptions;
  /** dist/bundle, where the Sentry's bundle and the launcher are. */
  here: string;
  signalFd: number | undefined;
  /** The Gofer started by runsc/front.ts; null if libuv's bindings were missing, -errno if the spawn failed. */
  launched: SpawnedOnPairs | number | null;
  train: boolean;
  argv: string[];
  command: string;
}

/** Runs the sandbox; returns runsc's exit code. */
export function runFrontSandbox(f: FrontSandbox): number {
  dieWithRunsc();
  const { plan, g } = f;
  if (g.debug || g.debugLog) {
    createLogger('runsc', { debug: g.debug, debugLog: g.debugLog, strace: false })
      .debug({ command: f.command, argv: f.argv, front: true }, 'runsc');
  }
  let gofer = -1;
  let code = 1;
  const ours: number[] = [];
  try {
    if (f.launched === null) {
      gofer = startGofer(join(plan.stateDir, 'gofer-launch'), plan.goferSpec.mounts.length, f.here, ours);
    } else if (typeof f.launched === 'number') {
      gofer = f.launched;
    } else {
      gofer = f.launched.pid;
      ours.push(...f.launched.fds);
    }
    if (gofer < 0) {
      process.stderr.write(`runsc: starting the gofer: errno ${-gofer}\n`);
      return 1;
    }
    const sentry = compileBundle(f.here, 'sentry');
    if (f.train) trainOnExit(sentry, f.here, 'sentry');
    const bootSandbox = sentry.load().bootSandbox;
    if (typeof bootSandbox !== 'function') throw new Error('the Sentry bundle exports no bootSandbox');
    code = (bootSandbox as BootSandbox)(plan.bootSpec, {
      controlFd: f.signalFd, goferFds: ours, debug: g.debug, debugLog: g.debugLog, strace: g.strace,
      codeCache: sentry.codeCache, startedBy: 'front',
    });
  } finally {
    endGofer(gofer, ours, f.train);
    rmSync(plan.stateDir, { recursive: true, force: true });
  }
  return code;
}

/**
 * Where libuv's process binding is missing: posix_spawns the launcher on
 * the program runsc/front.ts wrote, with /dev/null as stdin and stdout and
 * one socketpair end per mount at 3, 4, ...; the other ends go into ours.
 * Returns the Gofer's pid or -errno.
 */
function startGofer(programPath: string, connections: number, here: string, ours: number[]): number {
  const theirs: number[] = [];
  const devNull = openSync('/dev/null', 'r+');
  try {
    for (let i = 0; i < connections; i++) {
      const pair = socketpair();
      if (typeof pair === 'number') return pair;
      ours.push(pair[0]);
      const high = dupCloexec(pair[1], HIGH_FD);
      closeFd(pair[1]);
      if (high < 0) return high;
      theirs.push(high);
    }
    // stdin and stdout /dev/null, stderr ours: Node marked ours close-on-exec, so it is placed like the rest.
    const null2 = dupCloexec(devNull, HIGH_FD);
    if (null2 < 0) return null2;
    theirs.push(null2);
    const err2 = dupCloexec(2, HIGH_FD);
    if (err2 < 0) return err2;
    theirs.push(err2);
    const launcher = join(here, 'gofer-launcher');
    return spawn(launcher, [launcher, programPath], [], {
      dup2: [[null2, 0], [null2, 1], [err2, 2], ...theirs.slice(0, connections).map((fd, i): [number, number] => [fd, FIRST_PASSED_FD + i])],
    });
  } finally {
    closeSync(devNull);
    for (const fd of theirs) closeFd(fd);
  }
}

/**
 * The Gofer goes with the sandbox. A training run (scripts/bundle.mjs) lets
 * it end by itself, its peers gone, so that it writes its code cache.
 * ECHILD is fine: the Sentry's wait for any child may have reaped it.
 */
function endGofer(gofer: number, ours: number[], train: boolean): void {
  for (const fd of ours) closeFd(fd);
  if (gofer <= 0) return;
  if (!train) kill(gofer, SIGKILL);
  const status = new Int32Array(1);
  waitpid(gofer, status, 0);
}
