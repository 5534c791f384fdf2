// The Kernel: what every task shares. One per sandbox.
import type { Logger } from 'pino';
import type { Platform } from '../../platform/platform.js';
import type { MemoryFile } from '../mm/memory-file.js';
import type { Dentry } from '../vfs/dentry.js';

export interface HostAuxv { hwcap: number; hwcap2: number; minsigstksz: number }

export class Kernel {
  hostname = 'sandbox';
  domainname = '(none)';
  /** Syscall numbers already reported as unimplemented: each is logged once. */
  readonly reportedUnimplemented = new Set<number>();
  /** Monotonic time at boot: CPU-time clocks count from here. */
  readonly startNs = process.hrtime.bigint();

  constructor(
    readonly platform: Platform,
    readonly memoryFile: MemoryFile,
    readonly root: Dentry,
    readonly log: Logger,
    readonly strace: boolean,
    readonly hostAuxv: HostAuxv,
  ) {}
}
