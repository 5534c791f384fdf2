// Stub processes and their threads. A StubProcess is one host address space
// that the Sentry fills by injecting mmap/munmap/mprotect; each application
// thread that lives in it runs on a StubThread under PTRACE_SYSEMU.
//
// Stops are collected in one place, PtracePlatform.waitAny (waitpid(-1)),
// except while injecting: then the Sentry waits for that one thread.
import {
  PTRACE_CONT, PTRACE_EVENT_CLONE, PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK, PTRACE_GETEVENTMSG, PTRACE_GETFPREGS,
  PTRACE_GETREGS, PTRACE_GETSIGINFO, PTRACE_O_EXITKILL, PTRACE_O_TRACECLONE, PTRACE_O_TRACEFORK, PTRACE_O_TRACESYSGOOD,
  PTRACE_O_TRACEVFORK, PTRACE_POKEUSER, PTRACE_SETFPREGS, PTRACE_SETOPTIONS, PTRACE_SETREGS, PTRACE_SYSEMU, REG,
} from '../../abi/linux/ptrace.js';
import { SYS } from '../../abi/linux/syscalls.js';
import {
  ptraceWithBuffer, ptraceWithValue, waitpid, wIfExited, wIfStopped, wStopSig, wTermSig, __WALL,
} from '../../host/ptrace.js';
import { spawn, kill, tgkill, setAffinity } from '../../host/process.js';
import { memfd, writeAll, MFD_CLOEXEC } from '../../host/memory.js';
import type { AddressSpaceBackend, PlatformThread, Stop } from '../platform.js';
import { Registers, SYSCALL_ARG_REG } from '../registers.js';
import { ADDRESS_SPACE_STUB, buildStubElf, STUB_MEMFD, type StubImage, type StubKind } from './stub-elf.js';

const SIGTRAP = 5, SIGKILL = 9, SIGSTOP = 19;
const SYSCALL_STOP = SIGTRAP | 0x80;
const MAP_SHARED = 0x01, MAP_FIXED = 0x10;
const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800, CLONE_THREAD = 0x10000,
  CLONE_SYSVSEM = 0x40000;

/** How much of the registers the Sentry changed since the last stop. */
export const enum RegsDirty { None = 0, Rax = 1, All = 2 }

const images = new Map<StubKind, { image: StubImage; fd: number }>();

/** The stub ELF lives in a memfd: no file on disk. */
function stubImage(kind: StubKind): { path: string; image: StubImage } {
  let entry = images.get(kind);
  if (!entry) {
    const image = buildStubElf(kind);
    const fd = memfd('sentry-stub', MFD_CLOEXEC);
    if (fd < 0) throw new Error(`memfd_create for the stub: errno ${-fd}`);
    writeAll(fd, image.elf);
    entry = { image, fd };
    images.set(kind, entry);
  }
  return { path: `/proc/self/fd/${entry.fd}`, image: entry.image };
}

/** The host's way of saying a thread ended, kept for diagnostics and tests. */
export type HostExit = { signaled: false; code: number } | { signaled: true; signo: number };

/** Every live stub thread by host tid: waitAny maps a waitpid result to its thread. */
export const threadsByTid = new Map<number, StubThread>();

const status = new Int32Array(1);
const siginfo = new Uint8Array(128);
const siginfoView = new DataView(siginfo.buffer);

/** implements PlatformThread with one traced host thread. */
export class StubThread implements PlatformThread {
  /** Set when injection ran code in this thread: its registers must be reloaded. */
  clobbered = false;
  /** Whether the last stop was a syscall stop (then only rax may need writing). */
  private lastSyscallStop = false;
  /** Running application code (resumed, no stop collected yet). */
  running = false;
  lastExit: HostExit | null = null;
  /** Owner of this thread in the Sentry (a task); opaque to the platform. */
  owner: unknown = null;

  constructor(readonly hostTid: number, public process: StubProcess) {
    threadsByTid.set(hostTid, this);
  }

  /** Limits the host thread to the CPUs set in mask (a cpu_set_t's bytes). Returns 0 or -errno. */
  pin(mask: Uint8Array): number { return setAffinity(this.hostTid, mask); }

  /** Loads what changed of regs and lets the thread run application code. */
  resume(regs: Registers, dirty: RegsDirty): void {
    const tid = this.hostTid;
    if (this.clobbered || dirty === RegsDirty.All || !this.lastSyscallStop) {
      ptraceWithBuffer(PTRACE_SETREGS, tid, 0, regs.bytes);
      this.clobbered = false;
    } else if (dirty === RegsDirty.Rax) {
      ptraceWithValue(PTRACE_POKEUSER, tid, REG.rax, regs.get(REG.rax));
    }
    this.running = true;
    ptraceWithValue(PTRACE_SYSEMU, tid, 0, 0);
  }

  /** Runs until the next stop (for a single thread; the kernel uses waitAny). */
  run(regs: Registers, regsChanged: boolean): Stop {
    return this.runDirty(regs, regsChanged ? RegsDirty.All : RegsDirty.None);
  }

  runDirty(regs: Registers, dirty: RegsDirty): Stop {
    this.resume(regs, dirty);
    for (;;) {
      const r = waitpid(this.hostTid, status, __WALL);
      if (r < 0) return { kind: 'gone', status: 0 };
      const stop = this.decode(status[0], regs);
      if (stop !== null) return stop;
    }
  }

  /**
   * Turns a wait status into a Stop, reading regs. Returns null for stops the
   * platform absorbs (after resuming the thread again).
   */
  decode(s: number, regs: Registers): Stop | null {
    const tid = this.hostTid;
    this.running = false;
    if (!wIfStopped(s)) {
      this.lastSyscallStop = false;
      this.lastExit = wIfExited(s) ? { signaled: false, code: (s >> 8) & 0xff } : { signaled: true, signo: wTermSig(s) };
      threadsByTid.delete(tid);
      this.process.threadGone(this);
      return { kind: 'gone', status: s };
    }
    ptraceWithBuffer(PTRACE_GETREGS, tid, 0, regs.bytes);
    const sig = wStopSig(s);
    if (sig === SYSCALL_STOP) { this.lastSyscallStop = true; return { kind: 'syscall' }; }
    this.lastSyscallStop = false;
    if ((s >>> 16) !== 0) {
      // Events of injected clones are handled where they are injected.
      this.running = true;
      ptraceWithValue(PTRACE_SYSEMU, tid, 0, 0);
      return null;
    }
    ptraceWithBuffer(PTRACE_GETSIGINFO, tid, 0, siginfo);
    const code = siginfoView.getInt32(8, true);
    const addr = Number(siginfoView.getBigUint64(16, true));
    return { kind: 'signal', signo: sig, code, addr };
  }

  /** Makes a running thread stop soon (it reports a signal stop with code SI_TKILL). */
  interrupt(signo: number): void {
    tgkill(this.process.hostPid(this), this.hostTid, signo);
  }

  /** Brings a running thread to a stop (any stop), discarding what it reports. */
  stopNow(): void {
    if (!this.running) return;
    this.interrupt(23 /* SIGURG */);
    for (;;) {
      const r = waitpid(this.hostTid, status, __WALL);
      if (r < 0 || wIfStopped(status[0])) break;
      // It ended on its own.
      threadsByTid.delete(this.hostTid);
      this.process.threadGone(this);
      break;
    }
    this.running = false;
    this.lastSyscallStop = false;
  }

  /**
   * Continues from an injection point to the int3 after it. Returns 0, -1
   * if the thread died, or the raw status of a ptrace event stop on the way
   * (then continue with continueToTrap(null)).
   */
  continueToTrap(regs: Registers | null, into: Registers = regs!): number {
    const tid = this.hostTid;
    if (regs !== null) ptraceWithBuffer(PTRACE_SETREGS, tid, 0, regs.bytes);
    ptraceWithValue(PTRACE_CONT, tid, 0, 0);
    this.clobbered = true;
    this.lastSyscallStop = false;
    for (;;) {
      const r = waitpid(tid, status, __WALL);
      if (r < 0) return -1;
      const s = status[0];
      if (!wIfStopped(s)) {
        this.lastExit = wIfExited(s) ? { signaled: false, code: (s >> 8) & 0xff } : { signaled: true, signo: wTermSig(s) };
        threadsByTid.delete(tid);
        this.process.threadGone(this);
        return -1;
      }
      if ((s >>> 16) !== 0) return s; // an event stop (clone): the caller finishes it
      if (wStopSig(s) === SIGTRAP) {
        ptraceWithBuffer(PTRACE_GETREGS, tid, 0, into.bytes);
        return 0;
      }
      // Some other signal arrived first (a kick): swallow it and go on to the trap.
      ptraceWithValue(PTRACE_CONT, tid, 0, 0);
    }
  }

  /** Continues from an injection point into a call that never returns (exit): nothing is waited for. */
  startNoReturn(regs: Registers): void {
    ptraceWithBuffer(PTRACE_SETREGS, this.hostTid, 0, regs.bytes);
    ptraceWithValue(PTRACE_CONT, this.hostTid, 0, 0);
    this.running = false;
    this.lastSyscallStop = false;
  }

  getFpState(buf: Uint8Array): number { return ptraceWithBuffer(PTRACE_GETFPREGS, this.hostTid, 0, buf); }
  setFpState(buf: Uint8Array): number { return ptraceWithBuffer(PTRACE_SETFPREGS, this.hostTid, 0, buf); }
}

const TRACE_OPTIONS = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;

/**
 * implements AddressSpaceBackend with a stub process: one host address
 * space, possibly shared by several host processes (CLONE_VM children).
 */
export class StubProcess implements AddressSpaceBackend {
  readonly threads = new Set<StubThread>();
  /** Host pid of each thread's host process (threads of a CLONE_VM child differ from the stub's). */
  private readonly pidOf = new Map<StubThread, number>();
  /** The stopped thread injected calls go through; the kernel points it at the caller. */
  injector: StubThread;
  /** Registers with valid segments, reused for every injected call. */
  private readonly injectRegs = new Registers();
  readonly injectSyscall: number;
  private alive = true;

  private constructor(pid: number, initialRegs: Registers, injectSyscall: number) {
    const t = new StubThread(pid, this);
    this.threads.add(t);
    this.pidOf.set(t, pid);
    this.injector = t;
    this.injectRegs.copyFrom(initialRegs);
    this.injectSyscall = injectSyscall;
  }

  get mainThread(): StubThread { return this.injector; }
  get live(): boolean { return this.alive && this.threads.size > 0; }

  /** Spawns a stub with the MemoryFile at STUB_MEMFD (and extra fds after it) and waits for its trap. */
  static create(memoryFileFd: number, kind: StubKind = ADDRESS_SPACE_STUB, extraFds: number[] = []): StubProcess {
    const pid = StubProcess.spawn(memoryFileFd, kind, extraFds);
    const st = new Int32Array(1);
    const r = waitpid(pid, st, __WALL);
    return StubProcess.adopt(pid, r < 0 ? -1 : st[0], kind);
  }

  /** Starts a stub without waiting for it: adopt() finishes once its first stop is known. */
  static spawn(memoryFileFd: number, kind: StubKind = ADDRESS_SPACE_STUB, extraFds: number[] = []): number {
    const { path } = stubImage(kind);
    // Sources may sit on target numbers (fd 4 may be both a source and STUB_MEMFD+1):
    // park every source high first, then place it.
    const sources = [memoryFileFd, ...extraFds];
    const PARK = 200;
    const dup2: Array<[number, number]> = sources.map((fd, i) => [fd, PARK + i]);
    sources.forEach((_, i) => dup2.push([PARK + i, STUB_MEMFD + i]));
    const pid = spawn(path, ['sentry-stub'], [], { dup2 });
    if (pid < 0) throw new Error(`posix_spawn of the stub: errno ${-pid}`);
    return pid;
  }

  /** Takes over a spawned stub given the wait status of its first stop. */
  static adopt(pid: number, firstStatus: number, kind: StubKind = ADDRESS_SPACE_STUB): StubProcess {
    const { image } = stubImage(kind);
    if (firstStatus === -1 || !wIfStopped(firstStatus) || wStopSig(firstStatus) !== SIGTRAP) {
      kill(pid, SIGKILL);
      throw new Error(`stub did not stop at its first trap (status 0x${(firstStatus >>> 0).toString(16)})`);
    }
    const regs = new Registers();
    ptraceWithBuffer(PTRACE_GETREGS, pid, 0, regs.bytes);
    if (regs.get(REG.rbx) !== 0) {
      kill(pid, SIGKILL);
      throw new Error('stub set-up failed (traceme, munmap, no_new_privs or seccomp)');
    }
    const e = ptraceWithValue(PTRACE_SETOPTIONS, pid, 0, TRACE_OPTIONS);
    if (e < 0) { kill(pid, SIGKILL); throw new Error(`PTRACE_SETOPTIONS: errno ${-e}`); }
    return new StubProcess(pid, regs, image.injectSyscall);
  }

  hostPid(t: StubThread): number { return this.pidOf.get(t) ?? t.hostTid; }

  /**
   * Whether t leads a host process that has other threads: such a leader's
   * exit(2) leaves a zombie that waitpid cannot collect until the others end.
   */
  leadsOtherThreads(t: StubThread): boolean {
    if (this.hostPid(t) !== t.hostTid) return false;
    for (const o of this.threads) if (o !== t && this.hostPid(o) === t.hostTid) return true;
    return false;
  }

  /** Runs one host system call through the injector thread. Returns its raw result. */
  inject(nr: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
    const regs = this.prepare(nr, a0, a1, a2, a3, a4, a5);
    const r = this.injector.continueToTrap(regs);
    if (r !== 0) return r < 0 ? r : -1;
    return regs.get(REG.rax);
  }

  /**
   * Ends one host thread with exit(2) from the injection point. A host
   * process's leader thread that exits while its other threads live stays a
   * zombie until they are gone, and waitpid on it would block until then,
   * so for a leader the exit is started and not waited for: the main loop's
   * waitpid(-1) collects it with the rest of the process.
   */
  exitThread(t: StubThread): void {
    if (!this.leadsOtherThreads(t)) {
      this.injector = t;
      this.inject(SYS.exit, 0);
      return;
    }
    t.startNoReturn(this.prepare(SYS.exit, 0, 0, 0, 0, 0, 0));
    threadsByTid.delete(t.hostTid);
    this.threadGone(t);
  }

  private prepare(nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): Registers {
    const regs = this.injectRegs;
    regs.rip = this.injectSyscall;
    regs.set(REG.rax, nr);
    regs.set(REG.orig_rax, -1);
    const args = [a0, a1, a2, a3, a4, a5];
    for (let i = 0; i < 6; i++) regs.set(SYSCALL_ARG_REG[i], args[i]);
    return regs;
  }

  /**
   * Creates a host thread (sameProcess) or a host process sharing this
   * address space (for CLONE_VM without CLONE_THREAD), stopped and traced.
   */
  spawnThread(sameProcess: boolean): StubThread | number {
    const flags = sameProcess ? CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM : CLONE_VM;
    const via = this.injector;
    const regs = this.prepare(SYS.clone, flags, 0, 0, 0, 0, 0);
    const ev = via.continueToTrap(regs);
    if (ev <= 0) return -1;
    const event = ev >>> 16;
    if (event !== PTRACE_EVENT_CLONE && event !== PTRACE_EVENT_FORK && event !== PTRACE_EVENT_VFORK) return -1;
    const msg = new BigUint64Array(1);
    ptraceWithBuffer(PTRACE_GETEVENTMSG, via.hostTid, 0, new Uint8Array(msg.buffer));
    const newTid = Number(msg[0]);
    // Finish the injection in the caller: on to the int3 after the syscall.
    const r = via.continueToTrap(null, regs);
    if (r !== 0) return -1;
    // The new thread starts stopped with SIGSTOP (auto-attached).
    const st = new Int32Array(1);
    for (;;) {
      const w = waitpid(newTid, st, __WALL);
      if (w < 0) return -1;
      if (wIfStopped(st[0])) break;
      return -1;
    }
    const t = new StubThread(newTid, this);
    t.clobbered = true;
    this.threads.add(t);
    this.pidOf.set(t, sameProcess ? this.hostPid(via) : newTid);
    return t;
  }

  registerForBarriers(): number {
    const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 4;
    return this.inject(SYS.membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0);
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

  /** Called when a thread's host process or thread is gone. */
  threadGone(t: StubThread): void {
    this.threads.delete(t);
    this.pidOf.delete(t);
    if (this.injector === t) {
      const next = this.threads.values().next();
      if (!next.done) this.injector = next.value;
    }
  }

  /** Kills one thread's host thread (and its host process if it has one of its own). */
  killThread(t: StubThread): void {
    const pid = this.hostPid(t);
    if (pid === t.hostTid && pid !== this.hostPid(this.injector)) kill(pid, SIGKILL);
    else tgkill(pid, t.hostTid, SIGKILL);
  }

  /**
   * Kills every host process of this address space. With reap false the
   * Sentry does not wait for the host to tear them down: the main loop's
   * waitpid(-1) collects the deaths later, off the caller's path.
   */
  destroy(reap = true): void {
    if (!this.alive) return;
    this.alive = false;
    const pids = new Set(this.pidOf.values());
    for (const pid of pids) kill(pid, SIGKILL);
    for (const t of [...this.threads]) {
      if (reap) {
        const st = new Int32Array(1);
        while (waitpid(t.hostTid, st, __WALL) >= 0 && wIfStopped(st[0])) { /* reap the stop, then the death */ }
      }
      threadsByTid.delete(t.hostTid);
      this.threads.delete(t);
    }
    this.pidOf.clear();
  }
}
