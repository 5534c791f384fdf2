// A task: one application thread, its registers, and the resources it
// holds (address space, fd table, fs context, credentials, signal state).
import type { SeccompState } from './seccomp/filter.js';
import { REG } from '../../abi/linux/ptrace.js';
import { Registers, SYSCALL_ARG_REG } from '../../platform/registers.js';
import type { StubThread } from '../../platform/ptrace/stub-process.js';
import type { AddressSpace } from '../mm/address-space.js';
import type { FdTable } from '../vfs/fd-table.js';
import type { FsContext } from '../vfs/path-walk.js';
import type { Credentials } from './credentials.js';
import type { Kernel } from './kernel.js';
import { SignalQueue, type AltStack } from './signal-state.js';
import type { ThreadGroup } from './thread-group.js';
import type { Timer } from './timers.js';
import type { WaitQueue } from './wait-queue.js';

export type TaskState =
  /** Executing application code on its host thread. */
  | 'running'
  /** Queued to run: resume application code, or rerun its syscall. */
  | 'runnable'
  /** Parked in a syscall until a waker, a timeout or a signal. */
  | 'blocked'
  /** Held by a group stop. */
  | 'stopped'
  | 'dead';

export type WakeReason = 'event' | 'timeout' | 'signal';

export class Task {
  readonly regs = new Registers();
  /** Set by a handler that changed registers beyond rax (arch_prctl, execve, sigreturn). */
  regsChanged = true;
  state: TaskState = 'runnable';
  /** Rerun the current syscall when next scheduled (after a wake-up). */
  rerun = false;
  /** Why the last block ended. */
  wakeReason: WakeReason = 'event';
  /** Queues this task is parked on. */
  private readonly waitingOn: WaitQueue[] = [];
  private timer: Timer | null = null;
  /**
   * Monotonic deadline (ns) of the syscall being served, kept across reruns
   * so a timeout counts from the first attempt; -1 for none.
   */
  syscallDeadline = -1;
  /** What an interrupting signal turns the blocked syscall into (-ERESTARTSYS and friends, or -EINTR). */
  restartCode = 0;
  /** Whether a signal may end the current block (vfork's wait may not). */
  interruptible = true;
  /** Run when a signal interrupts the current block, before delivery (nanosleep's rem). */
  onInterrupt: (() => void) | null = null;
  /** Scratch for a syscall across its reruns (cleared when it completes). */
  syscallState: unknown = null;

  exited = false;
  clearChildTid = 0;
  robustList = 0;
  pending = new SignalQueue();
  /** prctl(PR_SET_PDEATHSIG): sent to this task when its parent exits; cleared by fork. */
  pdeathsig = 0;
  /** Nanoseconds the Sentry spent serving this task's syscalls (part of its CPU time). */
  sentryCpuNs = 0;
  /** prctl(PR_SET_NO_NEW_PRIVS): inherited by children and kept across exec. */
  noNewPrivs = false;
  /** Strict mode or the filters this task's syscalls pass first (syscalls/seccomp.ts); inherited, kept across exec. */
  seccomp: SeccompState = { mode: 0, filter: null };
  blocked = 0n;
  /** The mask to restore after a handler runs, for sigsuspend/ppoll/pselect. */
  savedMask: bigint | null = null;
  altStack: AltStack = { sp: 0, flags: 2 /* SS_DISABLE */, size: 0 };
  umask = 0o022;
  /** Path of the running executable, for /proc/self/exe. */
  exePath = '';
  comm = '';
  /** argv and envp as /proc/pid/cmdline and environ show them: NUL-terminated strings. */
  cmdline = '';
  environ = '';
  /** Host thread to interrupt with for a pending signal, set while a kick is in flight. */
  kicked = false;
  /** The vfork parent waiting for this task to exec or exit. */
  vforkParent: Task | null = null;

  constructor(
    readonly kernel: Kernel,
    public tid: number,
    public tg: ThreadGroup,
    public mm: AddressSpace,
    public thread: StubThread,
    public fdTable: FdTable,
    public fs: FsContext,
    public creds: Credentials,
  ) {
    thread.owner = this;
  }

  get tgid(): number { return this.tg.tgid; }
  get ppid(): number {
    const p = this.tg.parent;
    return p === null || p.reaped ? 0 : p.tgid;
  }
  get rlimits() { return this.tg.rlimits; }

  /** Syscall argument i as a number (exact below 2^53; negative for sign-extended values). */
  arg(i: number): number { return this.regs.get(SYSCALL_ARG_REG[i]); }
  /** Syscall argument i truncated to a C int, as Linux reads int parameters. */
  argInt(i: number): number { return this.regs.getInt(SYSCALL_ARG_REG[i]); }
  /** Syscall argument i as an unsigned 32-bit value. */
  argU32(i: number): number { return this.regs.getInt(SYSCALL_ARG_REG[i]) >>> 0; }
  argBig(i: number): bigint { return this.regs.getBig(SYSCALL_ARG_REG[i]); }

  get fsBase(): number { return this.regs.get(REG.fs_base); }

  /**
   * Parks the task on queues until a wake, the syscall's deadline, or a
   * signal. restartCode is the negative errno an interrupting signal turns
   * the call into. Returns BLOCKED for the handler to return.
   */
  block(queues: WaitQueue[], restartCode: number, interruptible = true): number {
    for (const q of queues) { q.add(this); this.waitingOn.push(q); }
    this.state = 'blocked';
    this.interruptible = interruptible;
    this.restartCode = restartCode;
    if (this.syscallDeadline >= 0) this.timer = this.kernel.timers.add(this.syscallDeadline, () => this.wake('timeout'));
    return BLOCKED;
  }

  /** Ends a block: the task reruns its syscall (or, for 'signal', takes the restart code). */
  wake(reason: WakeReason): void {
    if (this.state !== 'blocked') return;
    for (const q of this.waitingOn) q.remove(this);
    this.waitingOn.length = 0;
    this.kernel.timers.cancel(this.timer);
    this.timer = null;
    this.wakeReason = reason;
    this.state = 'runnable';
    this.rerun = reason !== 'signal';
    this.kernel.scheduler.enqueue(this);
  }

  /** Moves a parked task from one queue to another (FUTEX_REQUEUE). */
  moveWait(from: WaitQueue, to: WaitQueue): void {
    const i = this.waitingOn.indexOf(from);
    if (i < 0) return;
    from.remove(this);
    to.add(this);
    this.waitingOn[i] = to;
  }

  /** The syscall finished: forget its cross-rerun state. */
  syscallDone(): void {
    this.syscallDeadline = -1;
    this.syscallState = null;
    this.onInterrupt = null;
    this.wakeReason = 'event';
  }
}

/** What a handler returns after Task.block: the syscall has no result yet. */
export const BLOCKED = -0x4000_0000;
