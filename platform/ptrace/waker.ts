// The waker: a stub whose only allowed call is ppoll. The Sentry waits for
// everything with one blocking waitpid(-1); to wait for a timer deadline or
// a host fd at the same time, it points the waker at them, and the waker's
// return from ppoll arrives as one more ptrace stop.
import { SYS } from '../../abi/linux/syscalls.js';
import { REG } from '../../abi/linux/ptrace.js';
import { ptraceWithBuffer, ptraceWithValue, waitpid, wIfStopped, __WALL } from '../../host/ptrace.js';
import { PTRACE_CONT, PTRACE_GETREGS, PTRACE_SETREGS } from '../../abi/linux/ptrace.js';
import { tgkill } from '../../host/process.js';
import { STUB_MEMFD, type StubKind } from './stub-elf.js';
import { StubProcess, threadsByTid, type StubThread } from './stub-process.js';
import { Registers } from '../registers.js';

export const WAKER_STUB: StubKind = { allow: [SYS.ppoll, SYS.exit, SYS.exit_group, SYS.mmap], extraFds: 8 };

const SIGURG = 23;
const POLLIN = 1;
/** Where the waker's scratch page (pollfds, then the timespec) is mapped. */
const PAGE_ADDR = 0x10000;
const TS_OFFSET = 0x800;
const MAX_FDS = 128;

/** A host fd the waker watches, as the waker numbers it. */
export type WakerFd = number;

export class Waker {
  private readonly stub: StubProcess;
  private readonly thread: StubThread;
  private readonly regs = new Registers();
  private readonly status = new Int32Array(1);
  /** 'idle': stopped, ready to arm. 'armed': in ppoll. 'kicked': asked to stop, stop not collected. */
  private state: 'idle' | 'armed' | 'kicked' = 'idle';
  private armedDeadline = -1;
  private armedFds = '';
  /** revents of the last ppoll, by waker fd. */
  readonly ready = new Set<WakerFd>();

  /**
   * Spawns the waker. hostFds become waker fds STUB_MEMFD+1, STUB_MEMFD+2, ...;
   * page is a MemoryFile offset for its scratch page.
   */
  constructor(memoryFileFd: number, hostFds: number[], private readonly page: Uint8Array, pageOffset: number) {
    if (hostFds.length > WAKER_STUB.extraFds) throw new Error('too many waker fds');
    this.stub = StubProcess.create(memoryFileFd, WAKER_STUB, hostFds);
    this.thread = this.stub.mainThread;
    this.thread.owner = this;
    const r = this.stub.map(PAGE_ADDR, 0x1000, 3, pageOffset);
    if (r < 0) throw new Error(`waker: mapping its page: ${r}`);
    ptraceWithBuffer(PTRACE_GETREGS, this.thread.hostTid, 0, this.regs.bytes);
  }

  /** The waker fd number of the i-th host fd passed at construction. */
  static fdNumber(i: number): WakerFd { return STUB_MEMFD + 1 + i; }

  get hostTid(): number { return this.thread.hostTid; }

  /**
   * Makes the waker return at deadline (monotonic ns; -1 for none) or when
   * one of fds is readable. Re-arms only when something changed.
   */
  arm(deadlineNs: number, fds: WakerFd[]): void {
    const key = fds.join(',');
    if (this.state === 'armed' && deadlineNs === this.armedDeadline && key === this.armedFds) return;
    if (this.state === 'armed') this.kick();
    if (this.state === 'kicked') this.collect(true);
    if (deadlineNs < 0 && fds.length === 0) return;
    const dv = new DataView(this.page.buffer, this.page.byteOffset, 0x1000);
    const n = Math.min(fds.length, MAX_FDS);
    for (let i = 0; i < n; i++) { dv.setInt32(i * 8, fds[i], true); dv.setInt16(i * 8 + 4, POLLIN, true); dv.setInt16(i * 8 + 6, 0, true); }
    let tsAddr = 0;
    if (deadlineNs >= 0) {
      const rel = Math.max(0, deadlineNs - Number(process.hrtime.bigint()));
      dv.setBigInt64(TS_OFFSET, BigInt(Math.floor(rel / 1e9)), true);
      dv.setBigInt64(TS_OFFSET + 8, BigInt(rel % 1e9), true);
      tsAddr = PAGE_ADDR + TS_OFFSET;
    }
    const regs = this.regs;
    regs.rip = this.stub.injectSyscall;
    regs.set(REG.rax, SYS.ppoll);
    regs.set(REG.orig_rax, -1);
    regs.set(REG.rdi, PAGE_ADDR); regs.set(REG.rsi, n); regs.set(REG.rdx, tsAddr); regs.set(REG.r10, 0); regs.set(REG.r8, 8);
    ptraceWithBuffer(PTRACE_SETREGS, this.thread.hostTid, 0, regs.bytes);
    ptraceWithValue(PTRACE_CONT, this.thread.hostTid, 0, 0);
    this.state = 'armed';
    this.armedDeadline = deadlineNs;
    this.armedFds = key;
    this.armedCount = n;
    this.armedList = fds.slice(0, n);
  }
  private armedCount = 0;
  private armedList: WakerFd[] = [];

  /** Stops an armed waker early. */
  private kick(): void {
    tgkill(this.thread.hostTid, this.thread.hostTid, SIGURG);
    this.state = 'kicked';
  }

  /** Collects the waker's stop when the caller already knows it happened (status from waitAny), or waits for it. */
  collect(wait: boolean, s?: number): void {
    if (wait) {
      for (;;) {
        const r = waitpid(this.thread.hostTid, this.status, __WALL);
        if (r < 0) throw new Error('waker died');
        if (wIfStopped(this.status[0])) break;
      }
      s = this.status[0];
    }
    ptraceWithBuffer(PTRACE_GETREGS, this.thread.hostTid, 0, this.regs.bytes);
    this.ready.clear();
    const dv = new DataView(this.page.buffer, this.page.byteOffset, 0x1000);
    const rax = this.regs.get(REG.rax);
    if (rax > 0) for (let i = 0; i < this.armedCount; i++) if (dv.getInt16(i * 8 + 6, true) !== 0) this.ready.add(this.armedList[i]);
    this.state = 'idle';
    this.armedDeadline = -1;
    this.armedFds = '';
  }

  /** Whether a waitpid result belongs to the waker. */
  owns(tid: number): boolean { return tid === this.thread.hostTid; }

  destroy(): void {
    threadsByTid.delete(this.thread.hostTid);
    this.stub.destroy();
  }
}
