// A task: one application thread, its registers, and the resources it
// holds (address space, fd table, fs context, credentials, signal state).
import { REG } from '../../abi/linux/ptrace.js';
import { Registers, SYSCALL_ARG_REG } from '../../platform/registers.js';
import type { StubThread } from '../../platform/ptrace/stub-process.js';
import type { AddressSpace } from '../mm/address-space.js';
import type { FdTable } from '../vfs/fd-table.js';
import type { FsContext } from '../vfs/path-walk.js';
import type { Credentials } from './credentials.js';
import type { Kernel } from './kernel.js';
import type { Rlimit } from './rlimits.js';
import { SignalState } from './signal-state.js';

export class Task {
  readonly regs = new Registers();
  /** Set by a handler that changed registers beyond rax (arch_prctl, execve). */
  regsChanged = true;
  exited = false;
  /** The wait(2) status the task ended with. */
  exitStatus = 0;
  clearChildTid = 0;
  robustList = 0;
  readonly signals = new SignalState();
  umask = 0o022;
  /** Path of the running executable, for /proc/self/exe. */
  exePath = '';
  comm = '';

  constructor(
    readonly kernel: Kernel,
    readonly tid: number,
    readonly tgid: number,
    public ppid: number,
    public mm: AddressSpace,
    public thread: StubThread,
    public fdTable: FdTable,
    public fs: FsContext,
    public creds: Credentials,
    public rlimits: Rlimit[],
  ) {}

  /** Syscall argument i as a number (exact below 2^53; negative for sign-extended values). */
  arg(i: number): number { return this.regs.get(SYSCALL_ARG_REG[i]); }
  /** Syscall argument i truncated to a C int, as Linux reads int parameters. */
  argInt(i: number): number { return this.regs.getInt(SYSCALL_ARG_REG[i]); }
  /** Syscall argument i as an unsigned 32-bit value. */
  argU32(i: number): number { return this.regs.getInt(SYSCALL_ARG_REG[i]) >>> 0; }
  argBig(i: number): bigint { return this.regs.getBig(SYSCALL_ARG_REG[i]); }

  get fsBase(): number { return this.regs.get(REG.fs_base); }
}
