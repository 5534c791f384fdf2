// What a sandbox is made of, worked out from its spec before anything
// starts: the Gofer's mounts, the Sentry's boot spec, the state directory.
// Both ways of running a sandbox in the foreground use it: the CLI, which
// spawns the Gofer and the Sentry (runsc/sandbox.ts), and the front, where
// the Sentry's process does the CLI's work itself (runsc/front.ts). It
// imports nothing that spawns, so the front loads it without node:child_process.
import { join, posix } from 'node:path';
import { writeGoferLaunchProgram } from '../gofer/jail-plan.js';
import { sandboxProcessEnv, type BootSpec, type GoferSpec } from './boot-spec.js';
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

/** The global options a child started by runsc is given, as runsc's own command line spells them. */
export function globalArgs(g: GlobalOptions): string[] {
  const a = ['--root', g.root, '--platform', g.platform, '--network', g.network];
  if (g.debug) a.push('--debug');
  if (g.debugLog) a.push('--debug-log', g.debugLog);
  if (g.strace) a.push('--strace');
  return a;
}

/** The container name `runsc do` gives its sandbox: one per runsc process. */
export function doContainerId(pid = process.pid): string {
  return `do-${pid}`;
}

export interface SandboxPlan {
  stateDir: string;
  /** Where the Gofer's spec goes (its launch program and jail beside it). */
  goferPath: string;
  goferSpec: GoferSpec;
  bootSpec: BootSpec;
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

/** The plan for container id from spec; overlay keeps the root's changes in the Sentry's memory. */
export function planSandbox(id: string, spec: OciSpec, g: GlobalOptions, overlay = g.overlay): SandboxPlan {
  const stateDir = join(g.root, id);
  // With an overlay the host root is only read: its changes live in the Sentry's memory.
  const goferMounts: GoferSpec['mounts'] = [{ hostPath: spec.rootPath, readonly: spec.rootReadonly || overlay }];
  const bootMounts: BootSpec['mounts'] = [{ kind: 'gofer', destination: '/', readonly: spec.rootReadonly }];
  for (const m of spec.mounts) {
    const ro = m.options.includes('ro');
    if (isBindMount(m)) {
      goferMounts.push({ hostPath: m.source, readonly: ro });
      bootMounts.push({ kind: 'gofer', destination: m.destination, readonly: ro, options: m.options });
    } else if (m.type === 'tmpfs' && posix.normalize(m.destination) !== '/dev') {
      bootMounts.push({ kind: 'tmpfs', destination: m.destination, readonly: ro, source: m.source, options: m.options, ...tmpfsOptions(m.options) });
    }
    // proc, sysfs, devtmpfs, devpts, mqueue, and runc's tmpfs on /dev: the Sentry mounts its own /proc, /sys and /dev
    // (with /dev/pts and /dev/shm), as gVisor does; their options in config.json are not applied.
  }
  const bootSpec: BootSpec = {
    args: spec.args, env: spec.env, cwd: spec.cwd, uid: spec.uid, gid: spec.gid, additionalGids: spec.additionalGids,
    hostname: spec.hostname, noNewPrivileges: spec.noNewPrivileges, mounts: bootMounts, overlay,
    rlimits: spec.rlimits.map((r) => ({ resource: r.resource, soft: r.soft.toString(), hard: r.hard.toString() })),
  };
  return { stateDir, goferPath: join(stateDir, 'gofer.json'), goferSpec: { mounts: goferMounts }, bootSpec };
}

/**
 * The Gofer's command line after `node`: entry is how Node runs it (the
 * loader and its flags, or the CLI's own script), then `gofer --spec`.
 */
export function goferArgs(entry: readonly string[], g: GlobalOptions, goferPath: string): string[] {
  return [...entry, ...globalArgs(g), 'gofer', '--spec', goferPath];
}

/**
 * Writes the Gofer's whole launch program (gofer/jail-plan.ts) into the
 * state directory, its stage 2 Node running entry (see goferArgs), and
 * returns its path. blockingFds: see GoferLaunchPlan.
 */
export function writeGoferLaunch(plan: SandboxPlan, g: GlobalOptions, entry: readonly string[], blockingFds?: readonly number[]): string {
  const programPath = join(plan.stateDir, 'gofer-launch');
  writeGoferLaunchProgram({
    mounts: plan.goferSpec.mounts, jailDir: join(plan.stateDir, 'gofer-root'), programPath,
    argv: [process.execPath, ...goferArgs(entry, g, plan.goferPath)],
    env: Object.entries(sandboxProcessEnv()).map(([k, v]) => `${k}=${v ?? ''}`),
    blockingFds,
  });
  return programPath;
}
