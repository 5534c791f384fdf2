// The front's second half (runsc/front.ts has the first): loaded once the
// Gofer's launcher is on its way, it loads koffi and the Sentry's bundle,
// runs the sandbox in this process, then ends the Gofer and removes the
// state directory.
import { closeSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SIGKILL } from '../abi/linux/signal.js';
import { kill, pidfdGetfd, pidfdOpen, pidfdSendSignal, spawn } from '../host/process.js';
import { waitpid } from '../host/ptrace.js';
import { closeFd, dupCloexec, pollOne, POLLIN, sendAll, sendWithFd, setNonblocking, socketpair } from '../host/socket.js';
import { EARLY_FRONT_END_FD, mountNamespaceId } from '../gofer/jail-plan.js';
import { createLogger } from '../sentry/log.js';
import type { SandboxBootOptions } from './boot-command.js';
import { FIRST_PASSED_FD, type BootSpec } from './boot-spec.js';
import { dieWithRunsc } from './die-with-parent.js';
import { compileBundle, trainOnExit } from './loader.js';
import type { EarlyGoferMessage } from './early-gofer.js';
import type { FrontGofer } from './front.js';
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
  gofer: FrontGofer;
  train: boolean;
  argv: string[];
  command: string;
}

/** Runs the sandbox; returns runsc's exit code. */
export async function runFrontSandbox(f: FrontSandbox): Promise<number> {
  dieWithRunsc();
  const { plan, g } = f;
  if (g.debug || g.debugLog) {
    createLogger('runsc', { debug: g.debug, debugLog: g.debugLog, strace: false })
      .debug({ command: f.command, argv: f.argv, front: true, earlyGofer: f.gofer.kind === 'early' }, 'runsc');
  }
  let gofer = -1;
  let pidfd = -1;
  let code = 1;
  const ours: number[] = [];
  try {
    if (f.gofer.kind === 'early') {
      // Not our child (sh started it): a pidfd names it from here on, for its control socket and its end.
      gofer = f.gofer.pid;
      pidfd = pidfdOpen(f.gofer.pid);
      if (pidfd < 0) {
        process.stderr.write(`runsc: the early Gofer: errno ${-pidfd}\n`);
        return 1;
      }
      const built = await f.gofer.jailBuilt;
      if (built !== 0) {
        process.stderr.write(`runsc: building the Gofer's jail: ${built < 0 ? `errno ${-built}` : `exit ${built}`}\n`);
        return 1;
      }
      const controlFd = pidfdGetfd(pidfd, EARLY_FRONT_END_FD);
      if (controlFd < 0) {
        process.stderr.write(`runsc: taking the early Gofer's control socket: errno ${-controlFd}\n`);
        return 1;
      }
      const sent = sendEarlyGofer(controlFd, plan, g, ours);
      if (sent < 0) {
        process.stderr.write(`runsc: handing the Gofer its connections: errno ${-sent}\n`);
        return 1;
      }
    } else if (f.gofer.launched === null) {
      gofer = startGofer(f.gofer.programPath, plan.goferSpec.mounts.length, f.here, ours);
    } else if (typeof f.gofer.launched === 'number') {
      gofer = f.gofer.launched;
    } else {
      gofer = f.gofer.launched.pid;
      ours.push(...f.gofer.launched.fds);
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
    if (pidfd >= 0) {
      endEarlyGofer(pidfd, ours, f.train);
      closeFd(pidfd);
    } else if (f.gofer.kind === 'early') {
      kill(f.gofer.pid, SIGKILL);
    } else {
      endGofer(gofer, ours, f.train);
    }
    rmSync(plan.stateDir, { recursive: true, force: true });
  }
  return code;
}

/**
 * The early Gofer is sh's child, not ours: it is killed (left to end by
 * itself in a training run, as endGofer does) and its pidfd polled until it
 * has exited; sh or init reaps it.
 */
function endEarlyGofer(pidfd: number, ours: number[], train: boolean): void {
  for (const fd of ours) closeFd(fd);
  if (!train) pidfdSendSignal(pidfd, SIGKILL);
  pollOne(pidfd, POLLIN);
}

/**
 * Tells the early Gofer, whose jail is now built, what it serves
 * (runsc/early-gofer.ts EarlyGoferMessage) and hands it one connection per
 * mount over its control socket; our ends go into ours. 0 or -errno.
 */
function sendEarlyGofer(controlFd: number, plan: SandboxPlan, g: GlobalOptions, ours: number[]): number {
  setNonblocking(controlFd, false);
  const message: EarlyGoferMessage = {
    mounts: plan.goferSpec.mounts.map((m) => ({ readonly: m.readonly })), hostMntNs: mountNamespaceId(),
    debug: g.debug, debugLog: g.debugLog,
  };
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const framed = Buffer.alloc(4 + json.length);
  framed.writeUInt32LE(json.length, 0);
  json.copy(framed, 4);
  let r = sendAll(controlFd, framed);
  const one = Uint8Array.of(0);
  for (let i = 0; r >= 0 && i < plan.goferSpec.mounts.length; i++) {
    const pair = socketpair();
    if (typeof pair === 'number') return pair;
    ours.push(pair[0]);
    r = sendWithFd(controlFd, one, 1, pair[1]);
    closeFd(pair[1]);
  }
  closeFd(controlFd);
  return r < 0 ? r : 0;
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
