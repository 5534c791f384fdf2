// One stub process: an address space on the host that the Sentry fills by
// injecting mmap/munmap/mprotect, and whose main thread runs application
// code under PTRACE_SYSEMU.
import {
  PTRACE_CONT, PTRACE_GETFPREGS, PTRACE_GETREGS, PTRACE_GETSIGINFO, PTRACE_KILL, PTRACE_O_EXITKILL,
  PTRACE_O_TRACESYSGOOD, PTRACE_POKEUSER, PTRACE_SETFPREGS, PTRACE_SETOPTIONS, PTRACE_SETREGS, PTRACE_SYSEMU, REG,
} from '../../abi/linux/ptrace.js';
import { SYS } from '../../abi/linux/syscalls.js';
import { ptraceWithBuffer, ptraceWithValue, waitpid, wIfStopped, wStopSig, __WALL } from '../../host/ptrace.js';
import { spawn, kill } from '../../host/process.js';
import { memfd, writeAll, MFD_CLOEXEC } from '../../host/memory.js';
import type { AddressSpaceBackend, PlatformThread, Stop } from '../platform.js';
import { Registers, SYSCALL_ARG_REG } from '../registers.js';
import { buildStubElf, STUB_MEMFD, type StubImage } from './stub-elf.js';

const SIGTRAP = 5, SIGKILL = 9;
const SYSCALL_STOP = SIGTRAP | 0x80;
const MAP_SHARED = 0x01, MAP_FIXED = 0x10;

/** How much of the registers the Sentry changed since the last stop. */
export const enum RegsDirty { None = 0, Rax = 1, All = 2 }

let stubImage: StubImage | undefined;
let stubFd = -1;

/** The stub ELF lives in a sealed-in-spirit memfd: no file on disk. */
function stubPath(): { path: string; image: StubImage } {
  if (!stubImage) {
    stubImage = buildStubElf();
    stubFd = memfd('sentry-stub', MFD_CLOEXEC);
    if (stubFd < 0) throw new Error(`memfd_create for the stub: errno ${-stubFd}`);
    writeAll(stubFd, stubImage.elf);
  }
  return { path: `/proc/self/fd/${stubFd}`, image: stubImage };
}

export class StubThread implements PlatformThread {
  private readonly status = new Int32Array(1);
  private readonly siginfo = new Uint8Array(128);
  private readonly siginfoView = new DataView(this.siginfo.buffer);
  /** Set when injection ran code in this thread: its registers must be reloaded. */
  clobbered = false;
  private lastSyscallStop = false;

  constructor(readonly hostTid: number) {}

  run(regs: Registers, regsChanged: boolean): Stop {
    return this.runDirty(regs, regsChanged ? RegsDirty.All : RegsDirty.None);
  }

  /** Loads what changed of regs, runs to the next stop, reads regs back. */
  runDirty(regs: Registers, dirty: RegsDirty): Stop {
    const tid = this.hostTid;
    if (this.clobbered || dirty === RegsDirty.All || !this.lastSyscallStop) {
      ptraceWithBuffer(PTRACE_SETREGS, tid, 0, regs.bytes);
      this.clobbered = false;
    } else if (dirty === RegsDirty.Rax) {
      ptraceWithValue(PTRACE_POKEUSER, tid, REG.rax, regs.get(REG.rax));
    }
    ptraceWithValue(PTRACE_SYSEMU, tid, 0, 0);
    return this.waitStop(regs);
  }

  private waitStop(regs: Registers): Stop {
    const tid = this.hostTid;
    for (;;) {
      const r = waitpid(tid, this.status, __WALL);
      if (r < 0) return { kind: 'gone', status: 0 };
      const s = this.status[0];
      if (!wIfStopped(s)) { this.lastSyscallStop = false; return { kind: 'gone', status: s }; }
      ptraceWithBuffer(PTRACE_GETREGS, tid, 0, regs.bytes);
      const sig = wStopSig(s);
      if (sig === SYSCALL_STOP) { this.lastSyscallStop = true; return { kind: 'syscall' }; }
      this.lastSyscallStop = false;
      if ((s >>> 16) !== 0) { ptraceWithValue(PTRACE_SYSEMU, tid, 0, 0); continue; } // ptrace events: not used yet
      ptraceWithBuffer(PTRACE_GETSIGINFO, tid, 0, this.siginfo);
      const code = this.siginfoView.getInt32(8, true);
      const addr = Number(this.siginfoView.getBigUint64(16, true));
      return { kind: 'signal', signo: sig, code, addr };
    }
  }

  /** Continues to the next stop without SYSEMU (for injected calls). */
  continueToTrap(regs: Registers): number {
    const tid = this.hostTid;
    ptraceWithBuffer(PTRACE_SETREGS, tid, 0, regs.bytes);
    ptraceWithValue(PTRACE_CONT, tid, 0, 0);
    const r = waitpid(tid, this.status, __WALL);
    if (r < 0) return r;
    const s = this.status[0];
    if (!wIfStopped(s) || wStopSig(s) !== SIGTRAP) return -1;
    ptraceWithBuffer(PTRACE_GETREGS, tid, 0, regs.bytes);
    this.lastSyscallStop = false;
    this.clobbered = true;
    return 0;
  }

  getFpState(buf: Uint8Array): number { return ptraceWithBuffer(PTRACE_GETFPREGS, this.hostTid, 0, buf); }
  setFpState(buf: Uint8Array): number { return ptraceWithBuffer(PTRACE_SETFPREGS, this.hostTid, 0, buf); }
}

/** implements AddressSpaceBackend with a stub process. */
export class StubProcess implements AddressSpaceBackend {
  readonly mainThread: StubThread;
  /** Registers with valid segments, reused for every injected call. */
  private readonly injectRegs = new Registers();
  private readonly injectSyscall: number;
  private alive = true;

  private constructor(pid: number, initialRegs: Registers, injectSyscall: number) {
    this.mainThread = new StubThread(pid);
    this.injectRegs.copyFrom(initialRegs);
    this.injectSyscall = injectSyscall;
  }

  /** Spawns a stub with the MemoryFile at STUB_MEMFD and waits for its trap. */
  static create(memoryFileFd: number): StubProcess {
    const { path, image } = stubPath();
    const pid = spawn(path, ['sentry-stub'], [], { dup2: [[memoryFileFd, STUB_MEMFD]] });
    if (pid < 0) throw new Error(`posix_spawn of the stub: errno ${-pid}`);
    const status = new Int32Array(1);
    const r = waitpid(pid, status, __WALL);
    if (r < 0 || !wIfStopped(status[0]) || wStopSig(status[0]) !== SIGTRAP) {
      kill(pid, SIGKILL);
      throw new Error(`stub did not stop at its first trap (status 0x${status[0].toString(16)})`);
    }
    const regs = new Registers();
    ptraceWithBuffer(PTRACE_GETREGS, pid, 0, regs.bytes);
    if (regs.get(REG.rbx) !== 0) {
      kill(pid, SIGKILL);
      throw new Error('stub set-up failed (traceme, munmap, no_new_privs or seccomp)');
    }
    const opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
    const e = ptraceWithValue(PTRACE_SETOPTIONS, pid, 0, opts);
    if (e < 0) { kill(pid, SIGKILL); throw new Error(`PTRACE_SETOPTIONS: errno ${-e}`); }
    return new StubProcess(pid, regs, image.injectSyscall);
  }

  /** Runs one host system call in the stub. Returns its raw result. */
  inject(nr: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
    const regs = this.injectRegs;
    regs.rip = this.injectSyscall;
    regs.set(REG.rax, nr);
    regs.set(REG.orig_rax, -1);
    const args = [a0, a1, a2, a3, a4, a5];
    for (let i = 0; i < 6; i++) regs.set(SYSCALL_ARG_REG[i], args[i]);
    const r = this.mainThread.continueToTrap(regs);
    if (r < 0) return r;
    return regs.get(REG.rax);
  }

  map(addr: number, len: number, prot: number, offset: number): number {
    const r = this.inject(SYS.mmap, addr, len, prot, MAP_SHARED | MAP_FIXED, STUB_MEMFD, offset);
    return r === addr ? 0 : (r < 0 ? r : -1);
  }

  unmap(addr: number, len: number): number {
    return this.inject(SYS.munmap, addr, len);
  }

  protect(addr: number, len: number, prot: number): number {
    return this.inject(SYS.mprotect, addr, len, prot);
  }

  destroy(): void {
    if (!this.alive) return;
    this.alive = false;
    kill(this.mainThread.hostTid, SIGKILL);
    ptraceWithValue(PTRACE_KILL, this.mainThread.hostTid, 0, 0);
    waitpid(this.mainThread.hostTid, new Int32Array(1), __WALL);
  }
}
