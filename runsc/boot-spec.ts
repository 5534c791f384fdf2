// What the CLI hands `runsc boot`: the resolved sandbox configuration,
// as JSON in the container's state directory. Gofer sockets arrive as fds
// 3, 4, ... in the order of `mounts`.
export interface BootSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  hostname: string;
  /** The init process starts with no_new_privs (config.json's process.noNewPrivileges). */
  noNewPrivileges: boolean;
  /** Limits with bigint values as decimal strings (JSON has no bigint). */
  rlimits: Array<{ resource: number; soft: string; hard: string }>;
  /**
   * Mounts in order; gofer mounts take the passed fds in turn. The root
   * (first) may be overlaid with an in-memory upper layer.
   */
  mounts: BootMount[];
  /** Keep the root's changes in memory over a read-only root (`do`, `--overlay`). */
  overlay: boolean;
}

export type { BootMount } from '../sentry/boot.js';
import type { BootMount } from '../sentry/boot.js';

/** What `runsc gofer` serves: one host directory per connection fd (3, 4, ...). */
export interface GoferSpec {
  mounts: Array<{ hostPath: string; readonly: boolean }>;
}

export const FIRST_PASSED_FD = 3;

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
 * What runsc sends a Sentry it started early (runsc/early-sentry.ts) over
 * the control channel before any signal byte: a 32-bit little-endian length,
 * then this as JSON.
 */
export interface ControlBootMessage {
  spec: BootSpec;
  debug: boolean;
  debugLog?: string;
  strace: boolean;
}

/** Frames a ControlBootMessage for the control channel. */
export function encodeControlBootMessage(m: ControlBootMessage): Uint8Array {
  const json = Buffer.from(JSON.stringify(m), 'utf8');
  const out = Buffer.alloc(4 + json.length);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  return out;
}
