// Running a sandbox in the foreground: start the Gofer and the Sentry
// (`runsc boot`) as child processes joined by socketpairs, forward signals,
// and return the exit code the application ended with.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
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

function waitExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Runs the container described by spec in the foreground. Returns runsc's exit code. */
export async function runForeground(id: string, spec: OciSpec, g: GlobalOptions): Promise<number> {
  const stateDir = join(g.root, id);
  mkdirSync(stateDir, { recursive: true });
  try {
    const goferMounts: GoferSpec['mounts'] = [{ hostPath: spec.rootPath, readonly: spec.rootReadonly }];
    const bootMounts: BootSpec['mounts'] = [{ destination: '/', readonly: spec.rootReadonly }];
    for (const m of spec.mounts) {
      if (!isBindMount(m)) continue;
      const ro = m.options.includes('ro');
      goferMounts.push({ hostPath: m.source, readonly: ro });
      bootMounts.push({ destination: m.destination, readonly: ro });
    }
    const pairs = goferMounts.map(() => {
      const p = socketpair();
      if (typeof p === 'number') throw new Error(`socketpair: errno ${-p}`);
      return p;
    });
    const bootSpec: BootSpec = {
      args: spec.args, env: spec.env, cwd: spec.cwd, uid: spec.uid, gid: spec.gid, additionalGids: spec.additionalGids,
      hostname: spec.hostname, mounts: bootMounts,
      rlimits: spec.rlimits.map((r) => ({ resource: r.resource, soft: r.soft.toString(), hard: r.hard.toString() })),
    };
    const goferSpec: GoferSpec = { mounts: goferMounts };
    const bootPath = join(stateDir, 'boot.json'), goferPath = join(stateDir, 'gofer.json');
    writeFileSync(bootPath, JSON.stringify(bootSpec));
    writeFileSync(goferPath, JSON.stringify(goferSpec));

    const gofer = spawn(process.execPath, [MAIN, ...globalArgs(g), 'gofer', '--spec', goferPath],
      { stdio: ['ignore', 'ignore', 'inherit', ...pairs.map((p) => p[0])] });
    // The control channel: one byte per signal to forward to the sandbox's init (fd after the Gofer sockets).
    const control = socketpair();
    if (typeof control === 'number') throw new Error(`socketpair: errno ${-control}`);
    const boot = spawn(process.execPath, [MAIN, ...globalArgs(g), 'boot', '--spec', bootPath, '--control-fd', String(FIRST_PASSED_FD + pairs.length)],
      { stdio: ['inherit', 'inherit', 'inherit', ...pairs.map((p) => p[1]), control[1]] });
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
