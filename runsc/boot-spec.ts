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
