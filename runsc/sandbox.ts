// Running a sandbox in the foreground: start the Gofer and the Sentry
// (`runsc boot`) as child processes joined by socketpairs, forward signals,
// and return the exit code the application ended with.
//
// The socketpairs are libuv's: a 'pipe' entry in spawn's stdio is an
// AF_UNIX stream socketpair, and a child's end can be handed to the next
// child's stdio, which dups it. That keeps koffi (~40 ms of CPU to load)
// off the CLI, which is on the sandbox's critical path.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { encodeControlBootMessage, FIRST_PASSED_FD, sandboxProcessEnv } from './boot-spec.js';
import { discardEarlySentry, takeEarlySentry } from './early-sentry.js';
import type { OciSpec } from './oci-config.js';
import { globalArgs, goferArgs, planSandbox, writeGoferLaunch, type GlobalOptions, type SandboxPlan } from './sandbox-plan.js';

export type { GlobalOptions };
import { loaderFlags } from './child-options.js';

/** The script this CLI was started from (bin/runsc.js): the Gofer and the Sentry are started from it too. */
const MAIN = process.argv[1];

export { sandboxProcessEnv };

/**
 * The Gofer's launcher (gofer/launcher-elf.ts), which `npm run build` writes
 * beside the bundle. Run from elsewhere (the unbundled dist/), it is emitted
 * into the state directory instead.
 */
async function launcherPath(stateDir: string): Promise<string> {
  const built = fileURLToPath(new URL('./gofer-launcher', import.meta.url));
  if (existsSync(built)) return built;
  const { buildLauncherElf } = await import('../gofer/launcher-elf.js');
  const path = join(stateDir, 'gofer-launcher');
  writeFileSync(path, buildLauncherElf());
  chmodSync(path, 0o700);
  return path;
}

/**
 * How the Sentry and the Gofer's second stage start: through the loader
 * `npm run build` writes beside the bundle, which runs each from a V8 code
 * cache without commander (runsc/loader.ts); run from the unbundled dist/,
 * as the CLI itself (`runsc boot`, `runsc gofer`), which takes the same
 * arguments after these.
 */
function entryArgs(name: 'sentry' | 'gofer'): string[] {
  const built = fileURLToPath(new URL('./loader.cjs', import.meta.url));
  return existsSync(built) ? [built, name, ...loaderFlags()] : [MAIN];
}

/**
 * Starts the Gofer. By default its first stage is a launch program that
 * runsc computes here and the launcher runs, ending in an execve of Node;
 * RUNSC_GOFER_LAUNCH=node starts Node for both stages, as before, for
 * comparison (docs/design/startup.md).
 */
async function spawnGofer(plan: SandboxPlan, g: GlobalOptions, stdio: StdioOptions, nonBlockingEnds: boolean): Promise<ChildProcess> {
  if (process.env.RUNSC_GOFER_LAUNCH === 'node') return spawn(process.execPath, goferArgs(entryArgs('gofer'), g, plan.goferPath), { stdio, env: sandboxProcessEnv() });
  const programPath = writeGoferLaunch(plan, g, entryArgs('gofer'),
    nonBlockingEnds ? plan.goferSpec.mounts.map((_, i) => FIRST_PASSED_FD + i) : undefined);
  return spawn(await launcherPath(plan.stateDir), [programPath], { stdio, env: {} });
}

function waitExit(child: ChildProcess, what: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // Not started at all (the launcher on a noexec file system, say): no 'exit' follows.
    child.once('error', (e) => {
      process.stderr.write(`runsc: starting the ${what}: ${e.message}\n`);
      resolve({ code: 1, signal: null });
    });
  });
}

/** Runs the container described by spec in the foreground. Returns runsc's exit code. */
export async function runForeground(id: string, spec: OciSpec, g: GlobalOptions, overlay = g.overlay): Promise<number> {
  const plan = planSandbox(id, spec, g, overlay);
  const { stateDir, goferPath, goferSpec, bootSpec } = plan;
  const goferMounts = goferSpec.mounts;
  mkdirSync(stateDir, { recursive: true });
  try {
    const bootPath = join(stateDir, 'boot.json');
    writeFileSync(goferPath, JSON.stringify(goferSpec));

    // One connection per mount, a libuv socketpair each: the Gofer and the
    // Sentry each get one end at 3, 4, ... The end of whoever is spawned
    // second is libuv's parent end, non-blocking: the Sentry clears the flag
    // itself, the Gofer's launch program does it for the Gofer.
    const early = takeEarlySentry(goferMounts.length);
    let boot: ChildProcess;
    let control: Socket;
    let gofer: ChildProcess;
    if (early !== null) {
      // The Sentry is already starting (runsc/early-sentry.ts): the Gofer gets the other ends, then the Sentry its spec.
      boot = early.child;
      control = early.control;
      try {
        gofer = await spawnGofer(plan, g, ['ignore', 'ignore', 'inherit', ...early.goferSockets], true);
      } catch (e) {
        process.stderr.write(`runsc: starting the gofer: ${e instanceof Error ? e.message : String(e)}\n`);
        early.used = false;
        await discardEarlySentry();
        return 1;
      }
      // Ours must go now, before the event loop runs again: libuv polls them
      // for reading, and what the Gofer sends is for the Sentry.
      for (const c of early.goferSockets) c.destroy();
      control.write(encodeControlBootMessage({ spec: bootSpec, debug: g.debug, debugLog: g.debugLog, strace: g.strace }));
    } else {
      writeFileSync(bootPath, JSON.stringify(bootSpec));
      try {
        gofer = await spawnGofer(plan, g, ['ignore', 'ignore', 'inherit', ...goferMounts.map(() => 'pipe' as const)], false);
      } catch (e) {
        process.stderr.write(`runsc: starting the gofer: ${e instanceof Error ? e.message : String(e)}\n`);
        return 1;
      }
      const connections = goferMounts.map((_, i) => gofer.stdio[FIRST_PASSED_FD + i] as Socket);
      // The control channel: one byte per signal to forward to the sandbox's init (fd after the Gofer sockets).
      const controlFd = FIRST_PASSED_FD + connections.length;
      boot = spawn(process.execPath, [...entryArgs('sentry'), ...globalArgs(g), 'boot', '--spec', bootPath, '--control-fd', String(controlFd)],
        { stdio: ['inherit', 'inherit', 'inherit', ...connections, 'pipe'], env: sandboxProcessEnv() });
      // As above: ours must go before the event loop runs.
      for (const c of connections) c.destroy();
      control = boot.stdio[controlFd] as Socket;
      // EPIPE once the Sentry is gone: nothing left to forward to.
      control.on('error', () => {});
    }

    // Signals for the container go to the Sentry, which hands them to init.
    const forward = (sig: NodeJS.Signals) => () => {
      const n = osConstants.signals[sig];
      if (n !== undefined && !control.destroyed) control.write(Uint8Array.of(n));
    };
    const handlers = (['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as NodeJS.Signals[]).map((s) => {
      const h = forward(s); process.on(s, h); return [s, h] as const;
    });
    const goferExit = waitExit(gofer, 'gofer');
    const result = await waitExit(boot, 'sentry');
    for (const [s, h] of handlers) process.off(s, h);
    control.destroy();
    // A training run lets the Gofer end by itself (its peers have closed):
    // it writes its code cache as it exits (runsc/loader.ts).
    if (gofer.exitCode === null && loaderFlags().length > 0) await Promise.race([goferExit, new Promise((r) => setTimeout(r, 5000))]);
    if (gofer.exitCode === null) gofer.kill('SIGKILL');
    await goferExit;
    if (result.signal) return 128 + (osConstants.signals[result.signal] ?? 9);
    return result.code ?? 1;
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}
