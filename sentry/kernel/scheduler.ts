// The scheduler: the Sentry's one loop. Tasks run application code in
// parallel on their host threads; the loop collects every stop with one
// blocking waitpid(-1), serves it, and resumes the task. Timers and host fds
// reach the same wait through the waker (platform/ptrace/waker.ts).
//
// Invariants: a task is in exactly one state; only 'runnable' tasks are in
// the run queue; a 'running' task's host thread is not stopped (except in
// the instant between its stop and the loop collecting it).
import { REG, USER_CS, USER_DS } from '../../abi/linux/ptrace.js';
import { BUS_ADRERR, CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SEGV_ACCERR, SI_USER } from '../../abi/linux/siginfo.js';
import * as S from '../../abi/linux/signal.js';
import { accountExit } from './cpu-time.js';
import { CpuFollower } from './cpu-follow.js';
import { SYS } from '../../abi/linux/syscalls.js';
import type { PtracePlatform } from '../../platform/ptrace/index.js';
import { RegsDirty, threadsByTid, type StubProcess, type StubThread } from '../../platform/ptrace/stub-process.js';
import type { Waker, WakerFd } from '../../platform/ptrace/waker.js';
import type { Stop } from '../../platform/platform.js';
import type { Kernel } from './kernel.js';
import { deliverSignals, hasDeliverable, sendToGroup, sendToTask } from './signals.js';
import { SIG_IGN, sigbit } from './signal-state.js';
import { BLOCKED, type Task } from './task.js';
import { releaseRobustList } from './robust-list.js';
import { recordReap, recordThreadExit } from './resource-usage.js';
import type { ThreadGroup } from './thread-group.js';
import { WaitQueue } from './wait-queue.js';
import { beginSyscall, endSyscall } from '../vfs/syscall-epoch.js';

export type Dispatcher = (t: Task) => number;

/** A host fd the waker watches, and the tasks waiting for it to be readable. */
export interface HostFdWatch { wakerFd: WakerFd; queue: WaitQueue; onReady?: () => void; always?: boolean }

const SA_NOCLDSTOP = 1, SA_NOCLDWAIT = 2;

export class Scheduler {
  private readonly runQueue: Task[] = [];
  private readonly watches: HostFdWatch[] = [];
  /** What the waker was last armed with (watch bitmask, deadline); -1 forces a re-arm. */
  private armedMask = -1;
  private armedDeadline = -1;
  /** init's wait status once it has exited. */
  initStatus: number | null = null;
  private readonly cpuFollower: CpuFollower;

  constructor(
    private readonly kernel: Kernel,
    private readonly platform: PtracePlatform,
    private readonly waker: Waker,
    private readonly dispatch: Dispatcher,
  ) {
    this.cpuFollower = new CpuFollower(kernel.tasks);
  }

  enqueue(t: Task): void {
    if (t.state === 'dead') return;
    t.state = 'runnable';
    this.runQueue.push(t);
  }

  watch(w: HostFdWatch): void { this.watches.push(w); }

  /** Runs until init exits. Returns init's wait status. */
  run(): number {
    const timers = this.kernel.timers;
    while (this.initStatus === null) {
      this.drain();
      if (this.initStatus !== null) break;
      // The waker is re-armed only when its deadline or watched fds change: nothing to build per syscall.
      let mask = 0;
      for (let i = 0; i < this.watches.length; i++) {
        const watch = this.watches[i];
        if (watch.always || watch.queue.size > 0) mask |= 1 << i;
      }
      const deadline = timers.next();
      if (mask !== this.armedMask || deadline !== this.armedDeadline) {
        this.waker.arm(deadline, this.watches.filter((_, i) => mask & (1 << i)).map((watch) => watch.wakerFd));
        this.armedMask = mask;
        this.armedDeadline = deadline;
      }
      const w = this.platform.waitAny();
      if (w === null) break;
      if (this.waker.owns(w.tid)) {
        this.waker.collect(false, w.status);
        this.armedMask = -1; // it has returned: arm it again next time round
        for (const watch of this.watches) if (this.waker.ready.has(watch.wakerFd)) { watch.onReady?.(); watch.queue.wakeAll(); }
        timers.fireDue();
        continue;
      }
      const thread = threadsByTid.get(w.tid);
      if (thread === undefined) continue;
      const t = thread.owner as Task | null;
      if (t === null) continue;
      const stop = thread.decode(w.status, t.regs);
      if (stop !== null) this.handleStop(t, stop);
      if (timers.next() >= 0) timers.fireDue();
    }
    this.shutdown();
    return this.initStatus ?? 0;
  }

  private drain(): void {
    while (this.runQueue.length > 0) {
      const t = this.runQueue.shift()!;
      if (t.state !== 'runnable') continue;
      if (t.rerun) { t.rerun = false; this.runSyscall(t); continue; }
      if (t.wakeReason === 'signal') {
        // Interrupted in a syscall: rax carries the restart code until delivery decides.
        t.regs.rax = t.restartCode;
        t.onInterrupt?.();
        t.syscallDone();
        this.resumeTask(t, true);
        continue;
      }
      this.resumeTask(t, false);
    }
  }

  private handleStop(t: Task, stop: Stop): void {
    switch (stop.kind) {
      case 'syscall':
        t.state = 'runnable';
        this.runSyscall(t);
        return;
      case 'signal':
        t.kicked = false;
        t.state = 'runnable';
        t.regsChanged = false;
        if (stop.code > 0) this.fault(t, stop.signo, stop.code, stop.addr);
        this.resumeTask(t, false);
        return;
      case 'gone':
        if (t.state !== 'dead') this.exitGroup(t.tg, S.SIGKILL);
    }
  }

  /** A hardware fault: the signal is forced on, as Linux's force_sig does. */
  private fault(t: Task, signo: number, code: number, addr: number): void {
    if (signo === S.SIGSEGV && code === SEGV_ACCERR) {
      // Pages past the end of a mapped file are PROT_NONE on the host: Linux's SIGBUS, unless the file has grown.
      (t.mm.backend as StubProcess).injector = t.thread;
      const past = t.mm.faultPastEof(addr);
      if (past === 'retry') return;
      if (past === 'sigbus') { signo = S.SIGBUS; code = BUS_ADRERR; }
    }
    // Some programs fault on purpose and often (guard pages, GC barriers): build the record only when it is logged.
    if (this.kernel.log.isLevelEnabled('debug')) this.kernel.log.debug({ tid: t.tid, signo, code, addr: addr.toString(16), rip: t.regs.rip.toString(16) }, 'fault');
    const a = t.tg.handlers.actions[signo];
    const bit = sigbit(signo);
    if ((t.blocked & bit) !== 0n || a.handler === SIG_IGN) {
      t.blocked &= ~bit;
      t.tg.handlers.actions[signo] = { handler: 0n, flags: 0, restorer: 0n, mask: 0n };
    }
    sendToTask(t, signo, { signo, code, addr });
  }

  /** Serves t's syscall (first run or rerun) and resumes it when it has a result. */
  private runSyscall(t: Task): void {
    t.regsChanged = false;
    (t.mm.backend as StubProcess).injector = t.thread;
    this.kernel.current = t;
    // The Sentry's time serving the call is the task's CPU time, as the kernel's would be (cpu-time.ts).
    const start = process.hrtime.bigint();
    beginSyscall();
    let r: number;
    try { r = this.dispatch(t); } finally { endSyscall(); }
    t.sentryCpuNs += Number(process.hrtime.bigint() - start);
    if (t.state === 'dead' || t.state === 'stopped') return;
    if (r === BLOCKED) {
      // A signal already pending (sigsuspend's newly unblocked one) ends the wait at once.
      if (t.state === 'blocked' && t.interruptible && hasDeliverable(t)) t.wake('signal');
      return;
    }
    t.syscallDone();
    t.regs.rax = r;
    this.resumeTask(t, false);
  }

  /** Delivers pending signals and lets t run application code. */
  private resumeTask(t: Task, interrupted: boolean): void {
    if (t.tg.stopped) { t.state = 'stopped'; return; }
    if (interrupted || hasDeliverable(t) || t.savedMask !== null) {
      if (!deliverSignals(t, interrupted)) return;
      if (t.state === 'dead' || t.tg.stopped) return;
    }
    t.state = 'running';
    t.kicked = false;
    const dirty = t.regsChanged ? RegsDirty.All : RegsDirty.Rax;
    t.regsChanged = false;
    this.cpuFollower.beforeResume(t);
    t.thread.resume(t.regs, dirty);
  }

  // ---- Exit ----

  /** exit(2) of one thread. */
  exitThread(t: Task, code: number): void {
    if (t.tg.tasks.size === 1) { this.exitGroup(t.tg, (code & 0xff) << 8); return; }
    this.releaseTaskState(t);
    t.tg.tasks.delete(t);
    // The host thread goes too: it runs exit(2) from the injection point.
    (t.mm.backend as StubProcess).exitThread(t.thread);
    this.releaseMm(t);
  }

  /** Ends a whole thread group with a wait status (code << 8, or a signal number with 0x80 for core). */
  exitGroup(tg: ThreadGroup, status: number): void {
    if (tg.exiting) return;
    tg.exiting = true;
    for (const t of [...tg.tasks]) {
      this.releaseTaskState(t);
      this.killHost(t);
      this.releaseMm(t);
    }
    tg.tasks.clear();
    if (tg.realTimer) { this.kernel.timers.cancel(tg.realTimer); tg.realTimer = null; }
    tg.posixTimers.clear();
    for (const it of tg.cpuItimers) it?.delete();
    tg.exitStatus = status;
    for (const hook of tg.exitHooks.splice(0)) hook();
    tg.exitEvents.wakeAll();
    this.kernel.log.debug({ tgid: tg.tgid, status }, 'thread group exited');
    const init = this.kernel.init;
    const reaper = this.reaperFor(tg);
    const orphans = [...tg.children];
    for (const c of orphans) {
      if (tg === init || reaper === null) continue;
      c.parent = reaper;
      reaper.children.add(c);
      if (c.exitStatus !== null) {
        reaper.childEvents.wakeAll();
        // A zombie handed to a reaper that ignores SIGCHLD goes at once.
        if (reaper.handlers.isIgnored(S.SIGCHLD) && c.exitSignal === S.SIGCHLD && reaper !== init) this.reap(c);
      }
    }
    if (tg !== init) tg.children.clear();
    // Parent-death signals go out once the orphans have their new parent, as Linux's forget_original_parent.
    for (const c of orphans) {
      for (const ct of c.tasks) if (ct.pdeathsig !== 0) sendToTask(ct, ct.pdeathsig, { signo: ct.pdeathsig, code: SI_USER, pid: tg.tgid });
    }
    if (tg.vforkDone) { tg.vforkDone.wakeAll(); tg.vforkDone = null; }
    this.notifyParentOfExit(tg);
    if (tg === init) {
      this.initStatus = status;
      for (const other of this.kernel.threadGroups.values()) if (other !== tg && other.alive) this.exitGroup(other, S.SIGKILL);
    }
  }

  /** Who adopts tg's children: the nearest living ancestor marked a child subreaper, else init. */
  private reaperFor(tg: ThreadGroup): ThreadGroup | null {
    for (let a = tg.parent; a !== null; a = a.parent) if (a.childSubreaper && a.alive && !a.exiting) return a;
    return this.kernel.init;
  }

  private notifyParentOfExit(tg: ThreadGroup): void {
    const parent = tg.parent;
    if (parent === null || !parent.alive) { this.reap(tg); return; }
    const status = tg.exitStatus!;
    const signo = status & 0x7f;
    const code = signo === 0 ? CLD_EXITED : (status & 0x80) ? CLD_DUMPED : CLD_KILLED;
    const chld = parent.handlers.actions[S.SIGCHLD];
    const autoReap = tg.exitSignal === S.SIGCHLD && (chld.handler === SIG_IGN || (chld.flags & SA_NOCLDWAIT) !== 0);
    if (tg.exitSignal !== 0) {
      sendToGroup(parent, tg.exitSignal, { signo: tg.exitSignal, code, pid: tg.tgid, uid: 0, status: signo === 0 ? (status >> 8) & 0xff : signo });
    }
    if (autoReap) this.reap(tg);
    parent.childEvents.wakeAll();
  }

  /** Removes a dead group for good. */
  reap(tg: ThreadGroup): void {
    recordReap(tg);
    tg.reaped = true;
    tg.exitEvents.wakeAll();
    tg.parent?.children.delete(tg);
    this.kernel.threadGroups.delete(tg.tgid);
  }

  /** The kernel-side end of a task: clear_child_tid, waits, tables. */
  private releaseTaskState(t: Task): void {
    if (t.state === 'blocked') t.wake('signal');
    accountExit(t);
    recordThreadExit(t);
    t.state = 'dead';
    t.exited = true;
    releaseRobustList(t);
    if (t.clearChildTid !== 0 && t.mm.users > 1) {
      // CLONE_CHILD_CLEARTID: the word goes to 0 and one waiter wakes (pthread_join). The wake is
      // shared, as Linux's, so glibc waits with a shared FUTEX_WAIT.
      if (t.mm.writeU32(t.clearChildTid, 0) === 0) {
        const key = t.mm.futexKey(t.clearChildTid);
        if (key >= 0) this.kernel.futexes.wake(null, key, 1);
      }
    }
    this.kernel.tasks.delete(t.tid);
    threadsByTid.delete(t.thread.hostTid);
    if (t.vforkParent) { t.tg.vforkDone?.wakeAll(); t.vforkParent = null; }
    t.fdTable.decRef();
  }

  /** Ends a task's host thread (the whole stub when no one else uses it). */
  private killHost(t: Task): void {
    const stub = t.mm.backend as StubProcess;
    if (t.mm.users <= 1) return; // releaseMm destroys the stub
    if (stub.threads.has(t.thread)) {
      t.thread.stopNow();
      stub.exitThread(t.thread);
    }
  }

  private releaseMm(t: Task): void {
    const mm = t.mm;
    mm.users--;
    if (mm.users === 0) {
      mm.clear();
      (mm.backend as StubProcess).destroy(false);
    }
  }

  /** execve's de_thread: every other thread of t's group dies; t takes the group's pid. */
  execTeardown(t: Task): void {
    const tg = t.tg;
    for (const other of [...tg.tasks]) {
      if (other === t) continue;
      this.releaseTaskState(other);
      tg.tasks.delete(other);
      this.killHost(other);
      this.releaseMm(other);
    }
    if (t.tid !== tg.tgid) {
      this.kernel.tasks.delete(t.tid);
      t.tid = tg.tgid;
      this.kernel.tasks.set(t.tid, t);
    }
    if (t.vforkParent) { tg.vforkDone?.wakeAll(); tg.vforkDone = null; t.vforkParent = null; }
  }

  /** Lets go of t's address space (exec): its host thread leaves the old stub. */
  dropMm(t: Task): void {
    recordThreadExit(t);
    this.killHost(t);
    threadsByTid.delete(t.thread.hostTid);
    this.releaseMm(t);
  }

  // ---- Group stop ----

  stopGroup(tg: ThreadGroup, signo: number): void {
    if (tg.stopped) return;
    tg.stopped = true;
    tg.stopSignal = signo;
    for (const t of tg.tasks) {
      if (t.state === 'running' && !t.kicked) { t.kicked = true; t.thread.interrupt(23); }
      else if (t.state === 'runnable') t.state = 'stopped';
    }
    tg.pendingStopReport = signo;
    tg.pendingContReport = false;
    const parent = tg.parent;
    if (parent && parent.alive) {
      if ((parent.handlers.actions[S.SIGCHLD].flags & SA_NOCLDSTOP) === 0) {
        sendToGroup(parent, S.SIGCHLD, { signo: S.SIGCHLD, code: CLD_STOPPED, pid: tg.tgid, status: signo });
      }
      parent.childEvents.wakeAll();
    }
  }

  continueGroup(tg: ThreadGroup): void {
    tg.stopped = false;
    tg.pendingStopReport = null;
    tg.pendingContReport = true;
    for (const t of tg.tasks) if (t.state === 'stopped') this.enqueue(t);
    const parent = tg.parent;
    if (parent && parent.alive) {
      if ((parent.handlers.actions[S.SIGCHLD].flags & SA_NOCLDSTOP) === 0) {
        sendToGroup(parent, S.SIGCHLD, { signo: S.SIGCHLD, code: CLD_CONTINUED, pid: tg.tgid, status: S.SIGCONT });
      }
      parent.childEvents.wakeAll();
    }
  }

  /** Sandbox over: every stub dies. */
  private shutdown(): void {
    for (const t of [...this.kernel.tasks.values()]) {
      this.releaseTaskState(t);
      this.killHost(t);
      this.releaseMm(t);
    }
    this.waker.destroy();
    this.platform.dropSpare();
  }
}

/** Fresh registers for a new image: entry, stack, user segments. */
export function initialRegisters(t: Task, entry: number, sp: number): void {
  const regs = t.regs;
  regs.bytes.fill(0);
  regs.rip = entry;
  regs.rsp = sp;
  regs.set(REG.cs, USER_CS);
  regs.set(REG.ss, USER_DS);
  regs.set(REG.eflags, 0x202);
  t.regsChanged = true;
}

export type { StubThread };
