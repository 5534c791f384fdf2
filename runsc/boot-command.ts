// `runsc boot`: the Sentry's side of a sandbox. Both ways of starting it run
// this: the CLI's hidden `boot` command (runsc/cli.ts) and the Sentry's own
// entry (runsc/sentry-entry.ts), which skips commander and runs from a V8
// code cache (docs/design/startup.md).
import { readFileSync, readSync } from 'node:fs';
import type { BootSpec, ControlBootMessage } from './boot-spec.js';
import { FIRST_PASSED_FD } from './boot-spec.js';
import { createLogger } from '../sentry/log.js';
import { BootError, runSandbox } from '../sentry/boot.js';
import { dieWithRunsc } from './die-with-parent.js';

export interface BootOptions {
  /** The boot spec's file, or undefined when it arrives on the control channel (runsc/early-sentry.ts). */
  spec?: string;
  controlFd?: number;
  debug: boolean;
  debugLog?: string;
  strace: boolean;
  /** How runsc/loader.ts compiled the Sentry, when it did (for the debug log). */
  codeCache?: string;
}

/** Runs the sandbox the spec file describes; sets process.exitCode to init's status, as a shell reports it. */
export function runBootCommand(opts: BootOptions): void {
  dieWithRunsc();
  let spec: BootSpec;
  if (opts.spec === undefined) {
    if (opts.controlFd === undefined) throw new Error('runsc boot: a spec on the control channel needs --control-fd');
    const m = readControlBootMessage(opts.controlFd);
    // The channel closed first: runsc did not use this Sentry (a broken config.json, say) and reported why.
    if (m === null) process.exit(0);
    spec = m.spec;
    opts = { ...opts, debug: m.debug, debugLog: m.debugLog, strace: m.strace };
  } else {
    spec = JSON.parse(readFileSync(opts.spec, 'utf8')) as BootSpec;
  }
  const connections = spec.mounts.filter((m) => m.kind === 'gofer').length;
  process.exitCode = bootSandbox(spec, { ...opts, goferFds: Array.from({ length: connections }, (_, i) => FIRST_PASSED_FD + i) });
}

export interface SandboxBootOptions {
  controlFd?: number;
  /** The Gofer connections, one per gofer mount of the spec, in order. */
  goferFds: readonly number[];
  debug: boolean;
  debugLog?: string;
  strace: boolean;
  codeCache?: string;
  /** Who started this Sentry, for the debug log. */
  startedBy?: string;
}

/**
 * Runs the sandbox of a boot spec in this process and returns runsc's exit
 * code: init's, or 128+N for a death by signal N, as a shell reports it;
 * 127 (after a message) when the sandbox could not start.
 */
export function bootSandbox(spec: BootSpec, opts: SandboxBootOptions): number {
  const log = createLogger('sentry', { debug: opts.debug, debugLog: opts.debugLog, strace: opts.strace });
  log.debug({ uptimeMs: Math.round(process.uptime() * 1000), codeCache: opts.codeCache ?? 'none (ES modules)', startedBy: opts.startedBy ?? 'runsc' }, 'sentry loaded');
  let status: number;
  try {
    status = runSandbox({
      args: spec.args, env: spec.env, cwd: spec.cwd, uid: spec.uid, gid: spec.gid, additionalGids: spec.additionalGids,
      hostname: spec.hostname, noNewPrivileges: spec.noNewPrivileges === true,
      rlimits: spec.rlimits.map((r) => ({ resource: r.resource, soft: BigInt(r.soft), hard: BigInt(r.hard) })),
      mounts: spec.mounts, overlay: spec.overlay, goferFds: opts.goferFds,
      stdio: [0, 1, 2],
      controlFd: opts.controlFd,
    }, log, opts.strace);
  } catch (e) {
    if (e instanceof BootError) {
      process.stderr.write(`runsc: ${e.message}\n`);
      return 127;
    }
    throw e;
  }
  const sig = status & 0x7f;
  return sig === 0 ? (status >> 8) & 0xff : 128 + sig;
}

/** Reads exactly n bytes from a blocking fd; null at end of file. */
function readFully(fd: number, n: number): Buffer | null {
  const buf = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    const got = readSync(fd, buf, off, n - off, null);
    if (got === 0) return null;
    off += got;
  }
  return buf;
}

/** The boot message runsc frames with encodeControlBootMessage; null if the channel closes before it. */
function readControlBootMessage(fd: number): ControlBootMessage | null {
  const len = readFully(fd, 4);
  if (len === null) return null;
  const body = readFully(fd, len.readUInt32LE(0));
  return body === null ? null : JSON.parse(body.toString('utf8')) as ControlBootMessage;
}
