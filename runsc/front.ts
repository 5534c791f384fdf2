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
// plans the sandbox (runsc/sandbox-plan.ts) and starts the Gofer's
// launcher on socketpairs (runsc/libuv-spawn.ts), all before it loads koffi
// or the Sentry's bundle (runsc/front-sandbox.ts), so that the Gofer's
// start overlaps those. The Gofer is this process's child; it is killed
// and reaped when the sandbox ends, and the state directory goes. Any other command
// line runs the CLI's bundle here instead, as `node bin/runsc.js` would
// (but runsc's signals then go to the FIFO, which the CLI does not read).
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGoferJailProgram } from '../gofer/jail-plan.js';
import { loaderFlags } from './child-options.js';
import { parseFastCommandLine } from './fast-path.js';
import { runBundle, type CodeCacheState } from './loader.js';
import { EARLY_GOFER_ENV, EARLY_GOFER_JAIL, parseEarlyGofer } from './early-gofer.js';
import { spawnOnSocketpairs, spawnWithFd, type SpawnedOnPairs } from './libuv-spawn.js';
import { doSpec, readBundleSpec } from './oci-config.js';
import { doContainerId, planSandbox, writeGoferLaunch, type SandboxPlan } from './sandbox-plan.js';

/** Where bin/runsc.js's sh lines make the signal FIFO: the environment of the front's Node. */
export const FRONT_FIFO_ENV = 'RUNSC_FRONT_FIFO';

export function main(argv: string[], _codeCache: CodeCacheState): void {
  const train = process.env.RUNSC_TRAIN_CODE_CACHE === '1';
  const fifo = process.env[FRONT_FIFO_ENV];
  delete process.env[FRONT_FIFO_ENV];
  const early = parseEarlyGofer(process.env[EARLY_GOFER_ENV]);
  delete process.env[EARLY_GOFER_ENV];
  // A Gofer started for nothing goes at once; one this process ends up using is killed and reaped with the sandbox.
  const dropEarly = () => { if (early !== null) try { process.kill(early.pid, 'SIGKILL'); } catch { /* gone */ } };
  // First, whatever follows: the FIFO is unlinked only here.
  const signalFd = openSignalFifo(fifo);
  const fast = parseFastCommandLine(argv);
  if (fast === null) {
    dropEarly();
    if (signalFd !== undefined) closeSync(signalFd);
    runBundle('cli', argv, train);
    return;
  }
  const spec = fast.command === 'do' ? doSpec(fast.cmd, fast.args, fast.cwd) : readBundleSpec(fast.bundle);
  if (spec === null) { dropEarly(); process.exit(1); }
  const g = fast.globals;
  const plan = planSandbox(fast.command === 'do' ? doContainerId() : fast.id, spec, g, fast.command === 'do' ? fast.overlay : g.overlay);
  const here = dirname(fileURLToPath(import.meta.url));
  const launcher = join(here, 'gofer-launcher');
  mkdirSync(plan.stateDir, { recursive: true });
  let gofer: FrontGofer;
  try {
    const jailBuilt = early === null ? null : buildEarlyJail(early.pid, plan, here);
    if (early !== null && jailBuilt !== null) {
      gofer = { kind: 'early', pid: early.pid, jailBuilt };
    } else {
      // No early Gofer, or no libuv binding to build its jail with: a Gofer on a whole launch program instead.
      dropEarly();
      writeFileSync(plan.goferPath, JSON.stringify(plan.goferSpec));
      const programPath = writeGoferLaunch(plan, g, [join(here, 'loader.cjs'), 'gofer', ...loaderFlags()]);
      gofer = { kind: 'launched', launched: spawnOnSocketpairs(launcher, [launcher, programPath], [], plan.goferSpec.mounts.length), programPath };
    }
  } catch (e) {
    dropEarly();
    rmSync(plan.stateDir, { recursive: true, force: true });
    throw e;
  }
  // Now koffi and the Sentry: their load overlaps the Gofer's start.
  import('./front-sandbox.js').then(async ({ runFrontSandbox }) => {
    process.exit(await runFrontSandbox({ plan, g, here, signalFd, gofer, train, argv: process.argv.slice(2), command: fast.command }));
  }).catch((e: unknown) => {
    process.stderr.write(`runsc: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    dropEarly();
    rmSync(plan.stateDir, { recursive: true, force: true });
    process.exit(1);
  });
}

/** The Gofer as runsc/front-sandbox.ts takes it over. */
export type FrontGofer =
  /**
   * The early Gofer (runsc/early-gofer.ts), started by bin/runsc.js's sh
   * lines; jailBuilt: the jail builder's exit code, or -errno if it did not start.
   */
  | { kind: 'early'; pid: number; jailBuilt: Promise<number> | number }
  /** A Gofer started here on a whole launch program; null if libuv's bindings were missing, -errno if the spawn failed. */
  | { kind: 'launched'; launched: SpawnedOnPairs | number | null; programPath: string };

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

/**
 * The early Gofer waits for its jail: a launcher populates it from inside
 * the Gofer's mount namespace (gofer/jail-plan.ts goferJailProgram).
 * Returns that launcher's exit code to come or -errno; null when there is
 * no namespace of the Gofer's to build in or no libuv binding to start the
 * launcher with, and the front starts a Gofer the other way.
 */
function buildEarlyJail(pid: number, plan: SandboxPlan, here: string): Promise<number> | number | null {
  const nsFd = openEarlyNamespace(pid);
  if (nsFd === null) return null;
  try {
    const programPath = join(plan.stateDir, 'gofer-jail-launch');
    writeGoferJailProgram({ mounts: plan.goferSpec.mounts, jailDir: join(here, EARLY_GOFER_JAIL), programPath });
    const launcher = join(here, 'gofer-launcher');
    const builder = spawnWithFd(launcher, [launcher, programPath], nsFd);
    return builder === null || typeof builder === 'number' ? builder : builder.exited;
  } finally {
    closeSync(nsFd);
  }
}

/**
 * The early Gofer's mount namespace, once it has left ours: the jail
 * builder must never populate the host's. Its launch program unshares
 * within a millisecond or so of its start, and the front gets here tens of
 * milliseconds later; a few tries, 1 ms apart, then null (and the Gofer
 * starts the other way).
 */
function openEarlyNamespace(pid: number): number | null {
  const ours = statSync('/proc/self/ns/mnt');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 100; attempt++) {
    let fd: number;
    try {
      fd = openSync(`/proc/${pid}/ns/mnt`, 'r');
    } catch {
      return null;
    }
    const st = fstatSync(fd);
    if (st.ino !== ours.ino || st.dev !== ours.dev) return fd;
    closeSync(fd);
    Atomics.wait(pause, 0, 0, 1);
  }
  return null;
}
