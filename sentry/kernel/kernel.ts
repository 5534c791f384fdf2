// The Kernel: what every task shares. One per sandbox.
import type { Log } from '../log.js';
import { CLOCK_MONOTONIC_COARSE } from '../../abi/linux/time.js';
import { clockResolutionNs } from '../../host/time.js';
import type { PtracePlatform } from '../../platform/ptrace/index.js';
import type { MemoryFile } from '../mm/memory-file.js';
import type { MountTable } from '../vfs/mount.js';
import type { Dentry } from '../vfs/dentry.js';
import { FutexTable } from './futex.js';
import type { Scheduler } from './scheduler.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';
import { TimerQueue } from './timers.js';

export interface HostAuxv { hwcap: number; hwcap2: number; minsigstksz: number }

/** Linux's pid_max default. */
const PID_MAX = 4194304;

/** The host's tick (1/HZ) as its clock_getres reports it for the coarse clocks. */
function hostTickNs(): bigint {
  const ns = clockResolutionNs(CLOCK_MONOTONIC_COARSE);
  // HZ=250, Linux's default, for a host that will not say (none here does that).
  return BigInt(ns > 0 ? ns : 4_000_000);
}

export class Kernel {
  hostname = 'sandbox';
  domainname = '(none)';
  /** Syscall numbers already reported as unimplemented: each is logged once. */
  readonly reportedUnimplemented = new Set<number>();
  /** Monotonic time at boot: CPU-time clocks count from here. */
  readonly startNs = process.hrtime.bigint();
  /**
   * The tick, asked of the host once: the resolution of the *_COARSE clocks
   * (which read in its steps) and of the PROF and VIRT CPU clocks.
   */
  readonly tickNs = hostTickNs();
  readonly tasks = new Map<number, Task>();
  readonly threadGroups = new Map<number, ThreadGroup>();
  readonly timers = new TimerQueue();
  readonly futexes = new FutexTable();
  scheduler!: Scheduler;
  /** The task whose syscall is being served (for /proc/self). */
  current: Task | null = null;
  /** The sandbox's init (pid 1): orphans go to it; its exit ends the sandbox. */
  init: ThreadGroup | null = null;
  private lastPid = 0;

  constructor(
    readonly platform: PtracePlatform,
    readonly memoryFile: MemoryFile,
    readonly root: Dentry,
    /** Every mount of the sandbox; root is the first one's root. */
    readonly mounts: MountTable,
    readonly log: Log,
    readonly strace: boolean,
    readonly hostAuxv: HostAuxv,
  ) {}

  /** The next free pid, counting up from 1 and wrapping as Linux does. */
  allocatePid(): number {
    for (let i = 0; i < PID_MAX; i++) {
      this.lastPid = this.lastPid >= PID_MAX - 1 ? 1 : this.lastPid + 1;
      if (!this.tasks.has(this.lastPid) && !this.threadGroups.has(this.lastPid)) return this.lastPid;
    }
    return -11; // -EAGAIN
  }

  /** Thread groups in process group pgid. */
  processGroup(pgid: number): ThreadGroup[] {
    return [...this.threadGroups.values()].filter((g) => g.pgid === pgid && g.alive);
  }
}
