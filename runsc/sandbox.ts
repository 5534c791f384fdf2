// Running a sandbox in the foreground: start the Gofer and the Sentry
// (`runsc boot`) as child processes joined by socketpairs, forward signals,
// and return the exit code the application ended with.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeGoferLaunchProgram } from '../gofer/jail-plan.js';
import { closeFd, sendAll, socketpair } from '../host/socket.js';
import { FIRST_PASSED_FD, type BootSpec, type GoferSpec } from './boot-spec.js';
import { isBindMount, type OciSpec } from './oci-config.js';

export interface GlobalOptions {
  root: string;
  debug: boolean;
  debugLog?: string;
  strace: boolean;
  platform: string;
  network: string;
  /** Keep the root's changes in an in-memory layer (gVisor's --overlay). */
  overlay: boolean;
}

/** The script this CLI was started from (bin/runsc.js): the Gofer and the Sentry are started from it too. */
const MAIN = process.argv[1];

function globalArgs(g: GlobalOptions): string[] {
  const a = ['--root', g.root, '--platform', g.platform, '--network', g.network];
  if (g.debug) a.push('--debug');
  if (g.debugLog) a.push('--debug-log', g.debugLog);
  if (g.strace) a.push('--strace');
  return a;
}

/**
 * The environment of the Gofer and the Sentry: only what Node itself reads. The CLI's own
 * environment is the application's business (`runsc do` hands it over through the boot spec),
 * not theirs; and NODE_EXTRA_CA_CERTS alone, set on many hosts, makes every Node start parse the
 * whole CA bundle (~35 ms here, twice on the critical path: see docs/design/startup.md).
 */
export function sandboxProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'NODE_OPTIONS']) if (env[name] !== undefined) kept[name] = env[name];
  return kept;
}

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
 * Starts the Gofer. By default its first stage is a launch program that
 * runsc computes here and the launcher runs, ending in an execve of Node;
 * RUNSC_GOFER_LAUNCH=node starts Node for both stages, as before, for
 * comparison (docs/design/startup.md).
 */
async function spawnGofer(stateDir: string, g: GlobalOptions, goferPath: string, mounts: GoferSpec['mounts'], stdio: StdioOptions): Promise<ChildProcess> {
  const args = [MAIN, ...globalArgs(g), 'gofer', '--spec', goferPath];
  const env = sandboxProcessEnv();
  if (process.env.RUNSC_GOFER_LAUNCH === 'node') return spawn(process.execPath, args, { stdio, env });
  const programPath = join(stateDir, 'gofer-launch');
  writeGoferLaunchProgram({
    mounts, jailDir: join(stateDir, 'gofer-root'), programPath,
    argv: [process.execPath, ...args], env: Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}`),
  });
  return spawn(await launcherPath(stateDir), [programPath], { stdio, env: {} });
}

function waitExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** size= and mode= of a tmpfs mount's options (size in bytes, k/m/g suffixes). */
function tmpfsOptions(options: string[]): { sizeLimit: number; mode: number } {
  let sizeLimit = 0, mode = 0o1777;
  for (const o of options) {
    const size = /^size=(\d+)([kmg]?)$/i.exec(o);
    if (size) sizeLimit = Number(size[1]) * ({ '': 1, k: 1024, m: 1 << 20, g: 1 << 30 } as Record<string, number>)[size[2].toLowerCase()];
    const m = /^mode=([0-7]+)$/.exec(o);
    if (m) mode = parseInt(m[1], 8);
  }
  return { sizeLimit, mode };
}

/** Runs the container described by spec in the foreground. Returns runsc's exit code. */
export async function runForeground(id: string, spec: OciSpec, g: GlobalOptions, overlay = g.overlay): Promise<number> {
  const stateDir = join(g.root, id);
  mkdirSync(stateDir, { recursive: true });
  try {
    // With an overlay the host root is only read: its changes live in the Sentry's memory.
    const goferMounts: GoferSpec['mounts'] = [{ hostPath: spec.rootPath, readonly: spec.rootReadonly || overlay }];
    const bootMounts: BootSpec['mounts'] = [{ kind: 'gofer', destination: '/', readonly: spec.rootReadonly }];
    for (const m of spec.mounts) {
      const ro = m.options.includes('ro');
      if (isBindMount(m)) {
        goferMounts.push({ hostPath: m.source, readonly: ro });
        bootMounts.push({ kind: 'gofer', destination: m.destination, readonly: ro });
      } else if (m.type === 'tmpfs') {
        bootMounts.push({ kind: 'tmpfs', destination: m.destination, readonly: ro, ...tmpfsOptions(m.options) });
      }
      // proc, sysfs, devtmpfs, devpts, mqueue: the Sentry mounts its own /proc, /sys and /dev.
    }
    const pairs = goferMounts.map(() => {
      const p = socketpair();
      if (typeof p === 'number') throw new Error(`socketpair: errno ${-p}`);
      return p;
    });
    const bootSpec: BootSpec = {
      args: spec.args, env: spec.env, cwd: spec.cwd, uid: spec.uid, gid: spec.gid, additionalGids: spec.additionalGids,
      hostname: spec.hostname, mounts: bootMounts, overlay,
      rlimits: spec.rlimits.map((r) => ({ resource: r.resource, soft: r.soft.toString(), hard: r.hard.toString() })),
    };
    const goferSpec: GoferSpec = { mounts: goferMounts };
    const bootPath = join(stateDir, 'boot.json'), goferPath = join(stateDir, 'gofer.json');
    writeFileSync(bootPath, JSON.stringify(bootSpec));
    writeFileSync(goferPath, JSON.stringify(goferSpec));

    let gofer: ChildProcess;
    try {
      gofer = await spawnGofer(stateDir, g, goferPath, goferMounts, ['ignore', 'ignore', 'inherit', ...pairs.map((p) => p[0])]);
    } catch (e) {
      for (const [a, b] of pairs) { closeFd(a); closeFd(b); }
      process.stderr.write(`runsc: starting the gofer: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
    // The control channel: one byte per signal to forward to the sandbox's init (fd after the Gofer sockets).
    const control = socketpair();
    if (typeof control === 'number') throw new Error(`socketpair: errno ${-control}`);
    const boot = spawn(process.execPath, [MAIN, ...globalArgs(g), 'boot', '--spec', bootPath, '--control-fd', String(FIRST_PASSED_FD + pairs.length)],
      { stdio: ['inherit', 'inherit', 'inherit', ...pairs.map((p) => p[1]), control[1]], env: sandboxProcessEnv() });
    for (const [a, b] of pairs) { closeFd(a); closeFd(b); }
    closeFd(control[1]);

    // Signals for the container go to the Sentry, which hands them to init.
    const forward = (sig: NodeJS.Signals) => () => {
      const n = osConstants.signals[sig];
      if (n !== undefined) sendAll(control[0], Uint8Array.of(n));
    };
    const handlers = (['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as NodeJS.Signals[]).map((s) => {
      const h = forward(s); process.on(s, h); return [s, h] as const;
    });
    const goferExit = waitExit(gofer);
    const result = await waitExit(boot);
    for (const [s, h] of handlers) process.off(s, h);
    closeFd(control[0]);
    if (gofer.exitCode === null) gofer.kill('SIGKILL');
    await goferExit;
    if (result.signal) return 128 + (osConstants.signals[result.signal] ?? 9);
    return result.code ?? 1;
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}
