// A thread group: a process. Its tasks share the address space, the signal
// dispositions, the shared pending queue, limits and the process tree links.
import { type PosixTimer, PosixTimerTable } from './posix-timers.js';
import type { Rlimit } from './rlimits.js';
import { SignalHandlers, SignalQueue } from './signal-state.js';
import type { Task } from './task.js';
import { WaitQueue } from './wait-queue.js';
import type { Timer } from './timers.js';

export class ThreadGroup {
  readonly tasks = new Set<Task>();
  /** When fork made the group (process.hrtime ns): /proc/<pid>/stat's starttime. */
  readonly startNs = process.hrtime.bigint();
  readonly children = new Set<ThreadGroup>();
  readonly sharedPending = new SignalQueue();
  /** Tasks in wait4/waitid on this group's children sleep here. */
  readonly childEvents = new WaitQueue();
  /** Woken whenever a signal is queued to the group or one of its tasks (signalfd readers). */
  readonly signalEvents = new WaitQueue();
  /** Woken when the group exits (pidfd readers and pollers). */
  readonly exitEvents = new WaitQueue();
  /** Run once when the group exits, before its parent hears of it (SysV semaphore undo). */
  readonly exitHooks: Array<() => void> = [];
  /** The wait status once the group has exited (a zombie until reaped). */
  exitStatus: number | null = null;
  /** The group is exiting: every task is being killed. */
  exiting = false;
  reaped = false;
  /** A stop (CLD_STOPPED) or continue (CLD_CONTINUED) the parent has not seen yet. */
  pendingStopReport: number | null = null;
  pendingContReport = false;
  /** Group stop in effect (SIGSTOP and friends). */
  stopped = false;
  stopSignal = 0;
  pgid: number;
  sid: number;
  /** ITIMER_REAL / alarm. */
  realTimer: Timer | null = null;
  realTimerInterval = 0;
  realTimerDeadline = 0;
  /** timer_create's timers: not inherited by fork, gone at exec and exit. */
  readonly posixTimers = new PosixTimerTable();
  /** prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented here rather than to init. */
  childSubreaper = false;
  /** ITIMER_VIRTUAL and ITIMER_PROF (index 1 and 2; ITIMER_REAL is realTimer): kept across exec. */
  readonly cpuItimers: (PosixTimer | null)[] = [null, null, null];
  /** The parent that created this child with CLONE_VFORK sleeps here until exec or exit. */
  vforkDone: WaitQueue | null = null;
  /** When children die while this group ignores SIGCHLD, they are reaped at once. */

  constructor(
    readonly tgid: number,
    public parent: ThreadGroup | null,
    public handlers: SignalHandlers,
    public rlimits: Rlimit[],
    /** The signal sent to the parent at exit (SIGCHLD for fork; 0 or other for clone). */
    public exitSignal: number,
  ) {
    this.pgid = parent?.pgid ?? tgid;
    this.sid = parent?.sid ?? tgid;
  }

  get leader(): Task | undefined {
    for (const t of this.tasks) if (t.tid === this.tgid) return t;
    return this.tasks.values().next().value;
  }

  get alive(): boolean { return this.exitStatus === null; }
}
