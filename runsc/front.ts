// The front: a plain `runsc run` or `runsc do` that bin/runsc.js's /bin/sh
// lines started runs in one Node process, the Sentry's, where the CLI used
// to start one Node for itself and then the Sentry's and the Gofer's.
// Node's own start (~45 ms here) came twice before each of the Sentry and
// the Gofer could run (docs/design/startup.md); now it comes once.
//
// The sh lines keep what a Node process running the Sentry's synchronous
// loop cannot do: they wait for it and hand on the signals runsc receives
// (TERM, INT, HUP, QUIT, USR1, USR2), one byte each on a FIFO, the bytes
// runsc's CLI writes on its control channel. sh makes the FIFO while Node
// starts; this process opens it and unlinks it. This process does the
// CLI's part: reads the command line (runsc/fast-path.ts) and the spec,
// plans the sandbox (runsc/sandbox-plan.ts), starts the Gofer's launcher
// with posix_spawn (no fork of a Node process) on socketpairs of its own,
// and only then loads the Sentry's bundle, so that the Gofer's start
// overlaps it. The Gofer is this process's child; it is killed and reaped
// when the sandbox ends, and the state directory goes. Any other command
// line runs the CLI's bundle here instead, as `node bin/runsc.js` would
// (but runsc's signals then go to the FIFO, which the CLI does not read).
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIGKILL } from '../abi/linux/signal.js';
import { writeGoferLaunchProgram } from '../gofer/jail-plan.js';
import { kill, spawn } from '../host/process.js';
import { waitpid } from '../host/ptrace.js';
import { closeFd, dupCloexec, socketpair } from '../host/socket.js';
import { createLogger } from '../sentry/log.js';
import type { SandboxBootOptions } from './boot-command.js';
import { FIRST_PASSED_FD, sandboxProcessEnv, type BootSpec } from './boot-spec.js';
import { loaderFlags } from './child-options.js';
import { dieWithRunsc } from './die-with-parent.js';
import { parseFastCommandLine } from './fast-path.js';
import { compileBundle, runBundle, trainOnExit, type CodeCacheState } from './loader.js';
import { doSpec, readBundleSpec } from './oci-config.js';
import { doContainerId, globalArgs, planSandbox } from './sandbox-plan.js';

/** Where bin/runsc.js's sh lines make the signal FIFO: the environment of the front's Node. */
export const FRONT_FIFO_ENV = 'RUNSC_FRONT_FIFO';

/** Above every fd the launcher's program places (0, 1, 3, 4, ...): posix_spawn's dup2s then cannot overwrite a source. */
const HIGH_FD = 100;

type BootSandbox = (spec: BootSpec, opts: SandboxBootOptions) => number;

export function main(argv: string[], _codeCache: CodeCacheState): void {
  const train = process.env.RUNSC_TRAIN_CODE_CACHE === '1';
  const fifo = process.env[FRONT_FIFO_ENV];
  delete process.env[FRONT_FIFO_ENV];
  // First, whatever follows: the FIFO is unlinked only here.
  const signalFd = openSignalFifo(fifo);
  const fast = parseFastCommandLine(argv);
  if (fast === null) {
    if (signalFd !== undefined) closeSync(signalFd);
    runBundle('cli', argv, train);
    return;
  }
  dieWithRunsc();
  const spec = fast.command === 'do' ? doSpec(fast.cmd, fast.args, fast.cwd) : readBundleSpec(fast.bundle);
  if (spec === null) process.exit(1);
  const g = fast.globals;
  if (g.debug || g.debugLog) {
    createLogger('runsc', { debug: g.debug, debugLog: g.debugLog, strace: false })
      .debug({ command: fast.command, argv: process.argv.slice(2), front: true }, 'runsc');
  }
  const plan = planSandbox(fast.command === 'do' ? doContainerId() : fast.id, spec, g, fast.command === 'do' ? fast.overlay : g.overlay);
  const here = dirname(fileURLToPath(import.meta.url));
  mkdirSync(plan.stateDir, { recursive: true });
  let gofer = -1;
  let code = 1;
  const ours: number[] = [];
  try {
    writeFileSync(plan.goferPath, JSON.stringify(plan.goferSpec));
    gofer = startGofer(plan.stateDir, plan.goferPath, plan.goferSpec.mounts, globalArgs(g), here, ours);
    if (gofer < 0) {
      process.stderr.write(`runsc: starting the gofer: errno ${-gofer}\n`);
      return;
    }
    const sentry = compileBundle(here, 'sentry');
    if (train) trainOnExit(sentry, here, 'sentry');
    const bootSandbox = sentry.load().bootSandbox;
    if (typeof bootSandbox !== 'function') throw new Error('the Sentry bundle exports no bootSandbox');
    code = (bootSandbox as BootSandbox)(plan.bootSpec, {
      controlFd: signalFd, goferFds: ours, debug: g.debug, debugLog: g.debugLog, strace: g.strace,
      codeCache: sentry.codeCache, startedBy: 'front',
    });
  } finally {
    endGofer(gofer, ours, train);
    rmSync(plan.stateDir, { recursive: true, force: true });
    process.exit(code);
  }
}

/**
 * Writes the Gofer's launch program (gofer/jail-plan.ts) and posix_spawns
 * the launcher on it, with /dev/null as stdin and stdout and one socketpair
 * end per mount at 3, 4, ...; the other ends go into ours. Returns the
 * Gofer's pid or -errno.
 */
function startGofer(stateDir: string, goferPath: string, mounts: ReadonlyArray<{ hostPath: string; readonly: boolean }>,
  globals: string[], here: string, ours: number[]): number {
  const programPath = join(stateDir, 'gofer-launch');
  writeGoferLaunchProgram({
    mounts, jailDir: join(stateDir, 'gofer-root'), programPath,
    argv: [process.execPath, join(here, 'loader.cjs'), 'gofer', ...loaderFlags(), ...globals, 'gofer', '--spec', goferPath],
    env: Object.entries(sandboxProcessEnv()).map(([k, v]) => `${k}=${v ?? ''}`),
  });
  const theirs: number[] = [];
  const devNull = openSync('/dev/null', 'r+');
  try {
    for (let i = 0; i < mounts.length; i++) {
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
      dup2: [[null2, 0], [null2, 1], [err2, 2], ...theirs.slice(0, mounts.length).map((fd, i): [number, number] => [fd, FIRST_PASSED_FD + i])],
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

/**
 * Opens the FIFO bin/runsc.js's sh lines write signals to, and unlinks it.
 * sh makes it while Node starts, so it may not be there yet: a few tries,
 * 1 ms apart. Anything else at that path (not a FIFO of ours, mode 0600) is
 * left alone, and runsc's signals are then not handed on.
 */
function openSignalFifo(path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 200; attempt++) {
    let fd = -1;
    try {
      const st = lstatSync(path);
      if (!st.isFIFO() || st.uid !== process.geteuid?.() || (st.mode & 0o777) !== 0o600) return undefined;
      // Read and write: opening never waits for a writer, and the Sentry reads it without blocking.
      fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
      const opened = fstatSync(fd);
      if (opened.ino !== st.ino || opened.dev !== st.dev) { closeSync(fd); return undefined; }
      try { unlinkSync(path); } catch { /* gone already: ours is open all the same */ }
      return fd;
    } catch (e) {
      if (fd >= 0) closeSync(fd);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
  return undefined;
}
