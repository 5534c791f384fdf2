// Sending and delivering signals: queueing, waking or kicking the target,
// default actions, the rt_sigframe on the application's stack (Linux's
// layout: siginfo, ucontext with sigcontext, the fxsave FPU image), and
// rt_sigreturn.
import { E, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, ERESTART_RESTARTBLOCK } from '../../abi/linux/errno.js';
import { REG, USER_CS, USER_DS, USER_FPREGS_SIZE } from '../../abi/linux/ptrace.js';
import { encodeSiginfo, SI_KERNEL, SIGINFO_SIZE, type SiginfoFields } from '../../abi/linux/siginfo.js';
import * as S from '../../abi/linux/signal.js';
import {
  defaultAction, sigbit, SIG_DFL, SIG_IGN, UNBLOCKABLE, type PendingSignal, type SigAction,
} from './signal-state.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

const SIGURG_KICK = 23;

// ---- Sending ----

function signalIgnoredAtSend(tg: ThreadGroup, signo: number): boolean {
  return tg.handlers.isIgnored(signo) && signo !== S.SIGCHLD;
}

/**
 * Queues a signal for one task (tkill, tgkill, faults, thread timers).
 * Returns whether it was queued (not ignored, not merged into a pending one);
 * onDequeue runs when a queued signal leaves the queue.
 */
export function sendToTask(t: Task, signo: number, info: SiginfoFields | Uint8Array, onDequeue?: (info: Uint8Array) => void): boolean {
  if (signo === 0 || t.state === 'dead' || t.tg.exiting) return false;
  if (preprocess(t.tg, signo)) return false;
  if (signalIgnoredAtSend(t.tg, signo) && (t.blocked & sigbit(signo)) === 0n) return false;
  const queued = t.pending.enqueue({ signo, info: info instanceof Uint8Array ? info : encodeSiginfo(info), onDequeue });
  t.tg.signalEvents.wakeAll();
  notify(t, signo);
  return queued;
}

/** Queues a signal for a thread group (kill, SIGCHLD, timers, the console); returns as sendToTask. */
export function sendToGroup(tg: ThreadGroup, signo: number, info: SiginfoFields | Uint8Array, onDequeue?: (info: Uint8Array) => void): boolean {
  if (signo === 0 || !tg.alive || tg.exiting) return false;
  if (preprocess(tg, signo)) return false;
  const everyoneBlocks = [...tg.tasks].every((t) => (t.blocked & sigbit(signo)) !== 0n);
  if (signalIgnoredAtSend(tg, signo) && !everyoneBlocks) return false;
  const queued = tg.sharedPending.enqueue({ signo, info: info instanceof Uint8Array ? info : encodeSiginfo(info), onDequeue });
  tg.signalEvents.wakeAll();
  // Wake one task that can take it: prefer one blocked in a syscall, then any.
  const takers = [...tg.tasks].filter((t) => (t.blocked & sigbit(signo)) === 0n && t.state !== 'dead');
  const target = takers.find((t) => t.state === 'blocked') ?? takers[0];
  if (target) notify(target, signo);
  return queued;
}

/**
 * SIGKILL, SIGSTOP/SIGCONT side effects at generation time, as Linux's
 * prepare_signal does. Returns true when the signal is fully handled here.
 */
function preprocess(tg: ThreadGroup, signo: number): boolean {
  const kernel = tg.leader?.kernel;
  if (!kernel) return true;
  if (signo === S.SIGKILL) {
    kernel.scheduler.exitGroup(tg, S.SIGKILL);
    return true;
  }
  if (signo === S.SIGCONT) {
    for (const stop of [S.SIGSTOP, S.SIGTSTP, S.SIGTTIN, S.SIGTTOU]) {
      tg.sharedPending.discard(stop);
      for (const t of tg.tasks) t.pending.discard(stop);
    }
    if (tg.stopped) kernel.scheduler.continueGroup(tg);
  } else if (signo === S.SIGSTOP || signo === S.SIGTSTP || signo === S.SIGTTIN || signo === S.SIGTTOU) {
    tg.sharedPending.discard(S.SIGCONT);
    for (const t of tg.tasks) t.pending.discard(S.SIGCONT);
  }
  return false;
}

/** Makes t notice a new signal: interrupts a wait, or kicks it out of application code. */
function notify(t: Task, signo: number): void {
  if ((t.blocked & sigbit(signo)) !== 0n && signo !== S.SIGKILL) return;
  // rt_sigtimedwait takes the signal as its result: rerun it rather than interrupt it.
  const waitingFor = (t.syscallState as { waitingFor?: bigint } | null)?.waitingFor;
  if (t.state === 'blocked' && waitingFor !== undefined && (waitingFor & sigbit(signo)) !== 0n) { t.wake('event'); return; }
  if (t.state === 'blocked') { if (t.interruptible) t.wake('signal'); }
  else if (t.state === 'running' && !t.kicked) {
    t.kicked = true;
    t.thread.interrupt(SIGURG_KICK);
  }
}

/** Whether t has a signal it would act on now. */
export function hasDeliverable(t: Task): boolean {
  const blocked = t.blocked;
  return ((t.pending.bits | t.tg.sharedPending.bits) & ~blocked) !== 0n;
}

// ---- Delivery ----

/** The result a syscall interrupted by a signal gets: restart it, or EINTR. */
function applyRestart(t: Task, action: SigAction | null): void {
  const rax = t.regs.get(REG.rax);
  const restart = (): void => {
    t.regs.set(REG.rax, t.regs.get(REG.orig_rax));
    t.regs.rip = t.regs.rip - 2;
    t.regsChanged = true;
  };
  switch (-rax) {
    case ERESTARTSYS:
      if (action === null || (action.flags & S.SA_RESTART) !== 0) restart(); else t.regs.rax = -E.EINTR;
      break;
    case ERESTARTNOINTR:
      restart();
      break;
    case ERESTARTNOHAND: case ERESTART_RESTARTBLOCK:
      if (action === null) restart(); else t.regs.rax = -E.EINTR;
      break;
    default:
      return;
  }
}

/**
 * Acts on t's deliverable signals before it returns to application code:
 * runs default actions and pushes handler frames. interrupted says rax may
 * hold a restart code. Returns false if t will not run (dead or stopped).
 */
export function deliverSignals(t: Task, interrupted: boolean): boolean {
  let restartPending = interrupted;
  for (;;) {
    const p: PendingSignal | null = t.pending.dequeue(t.blocked) ?? t.tg.sharedPending.dequeue(t.blocked);
    if (p === null) break;
    const action = t.tg.handlers.actions[p.signo];
    if (action.handler === SIG_IGN) continue;
    if (action.handler === SIG_DFL) {
      const what = defaultAction(p.signo);
      if (what === 'ignore' || what === 'cont') continue;
      if (what === 'stop') {
        t.kernel.scheduler.stopGroup(t.tg, p.signo);
        return false;
      }
      // A 'core' signal ends the group like 'term': the sandbox writes no core file, and Linux sets
      // the wait status's core flag (0x80) only when a dump was written (bash's "(core dumped)").
      t.kernel.scheduler.exitGroup(t.tg, p.signo);
      return false;
    }
    if (restartPending) { applyRestart(t, action); restartPending = false; }
    if (!pushFrame(t, p, action)) {
      t.kernel.scheduler.exitGroup(t.tg, S.SIGSEGV);
      return false;
    }
    if (action.flags & S.SA_RESETHAND) t.tg.handlers.actions[p.signo] = { handler: SIG_DFL, flags: 0, restorer: 0n, mask: 0n };
  }
  if (restartPending) applyRestart(t, null);
  if (t.savedMask !== null) { t.blocked = t.savedMask; t.savedMask = null; }
  return true;
}

// ---- The frame ----

/** struct ucontext (kernel layout) offsets. */
const UC_FLAGS = 0, UC_LINK = 8, UC_STACK = 16, UC_MCONTEXT = 40, UC_SIGMASK = 296;
const UCONTEXT_SIZE = 304;
/** struct rt_sigframe: pretcode, ucontext, siginfo. */
const FRAME_UC = 8;
const FRAME_INFO = FRAME_UC + UCONTEXT_SIZE;
const FRAME_SIZE = FRAME_INFO + SIGINFO_SIZE;
const UC_SIGCONTEXT_SS = 0x2, UC_STRICT_RESTORE_SS = 0x4;

/** sigcontext slots in order r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags. */
const SIGCONTEXT_REGS = [REG.r8, REG.r9, REG.r10, REG.r11, REG.r12, REG.r13, REG.r14, REG.r15, REG.rdi, REG.rsi,
  REG.rbp, REG.rbx, REG.rdx, REG.rax, REG.rcx, REG.rsp, REG.rip, REG.eflags];
const SC_CSGSFS = 144, SC_ERR = 152, SC_TRAPNO = 160, SC_OLDMASK = 168, SC_CR2 = 176, SC_FPSTATE = 184;

const RED_ZONE = 128;
/** eflags bits user code may not set through sigreturn (FIX_EFLAGS complement). */
const EFLAGS_USER_MASK = 0x40dd5; // AC|OF|DF|TF|SF|ZF|AF|PF|CF|RF
const fpBuf = new Uint8Array(USER_FPREGS_SIZE);

function onAltStack(t: Task, sp: number): boolean {
  const a = t.altStack;
  return a.size > 0 && sp > a.sp && sp <= a.sp + a.size;
}

function pushFrame(t: Task, p: PendingSignal, action: SigAction): boolean {
  const regs = t.regs;
  let sp = regs.rsp;
  const useAlt = (action.flags & S.SA_ONSTACK) !== 0 && (t.altStack.flags & S.SS_DISABLE) === 0 && !onAltStack(t, sp);
  if (useAlt) sp = t.altStack.sp + t.altStack.size;
  else sp -= RED_ZONE;
  // FPU image, 64-byte aligned, below the frame.
  sp -= USER_FPREGS_SIZE;
  sp -= sp % 64;
  const fpAddr = sp;
  t.thread.getFpState(fpBuf);
  if (t.mm.copyOutFull(fpAddr, fpBuf) < 0) return false;
  sp -= FRAME_SIZE;
  sp = sp - (sp % 16) - 8;
  const frame = new Uint8Array(FRAME_SIZE);
  const dv = new DataView(frame.buffer);
  dv.setBigUint64(0, action.restorer, true);
  dv.setBigUint64(FRAME_UC + UC_FLAGS, BigInt(UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS), true);
  dv.setBigUint64(FRAME_UC + UC_LINK, 0n, true);
  dv.setBigUint64(FRAME_UC + UC_STACK, BigInt(t.altStack.sp), true);
  dv.setInt32(FRAME_UC + UC_STACK + 8, (t.altStack.flags & S.SS_DISABLE) ? S.SS_DISABLE : onAltStack(t, regs.rsp) ? S.SS_ONSTACK : 0, true);
  dv.setBigUint64(FRAME_UC + UC_STACK + 16, BigInt(t.altStack.size), true);
  const mc = FRAME_UC + UC_MCONTEXT;
  SIGCONTEXT_REGS.forEach((r, i) => dv.setBigUint64(mc + i * 8, regs.getBig(r), true));
  dv.setUint16(mc + SC_CSGSFS, USER_CS, true);
  dv.setUint16(mc + SC_CSGSFS + 6, USER_DS, true);
  const fault = p.signo === S.SIGSEGV || p.signo === S.SIGBUS;
  const info = new DataView(p.info.buffer, p.info.byteOffset, SIGINFO_SIZE);
  dv.setBigUint64(mc + SC_ERR, 0n, true);
  dv.setBigUint64(mc + SC_TRAPNO, BigInt(fault ? 14 : 0), true);
  dv.setBigUint64(mc + SC_OLDMASK, t.blocked & 0xffffffffn, true);
  dv.setBigUint64(mc + SC_CR2, fault ? info.getBigUint64(16, true) : 0n, true);
  dv.setBigUint64(mc + SC_FPSTATE, BigInt(fpAddr), true);
  // The mask to restore at sigreturn: a sigsuspend's caller mask, if any.
  dv.setBigUint64(FRAME_UC + UC_SIGMASK, t.savedMask ?? t.blocked, true);
  frame.set(p.info, FRAME_INFO);
  if (t.mm.copyOutFull(sp, frame) < 0) return false;
  t.savedMask = null;

  regs.rip = Number(action.handler);
  regs.rsp = sp;
  regs.set(REG.rdi, p.signo);
  regs.set(REG.rsi, sp + FRAME_INFO);
  regs.set(REG.rdx, sp + FRAME_UC);
  regs.set(REG.rax, 0);
  regs.set(REG.eflags, regs.get(REG.eflags) & ~(0x400 /* DF */ | 0x100 /* TF */));
  regs.set(REG.cs, USER_CS);
  regs.set(REG.ss, USER_DS);
  t.regsChanged = true;
  t.blocked |= action.mask;
  if ((action.flags & S.SA_NODEFER) === 0) t.blocked |= sigbit(p.signo);
  t.blocked &= ~UNBLOCKABLE;
  return true;
}

/** rt_sigreturn: restores the context the frame at rsp saved. Returns the restored rax. */
export function sigreturn(t: Task): number {
  const regs = t.regs;
  const uc = regs.rsp;
  const buf = new Uint8Array(UCONTEXT_SIZE);
  if (t.mm.copyInFull(uc, buf) < 0) {
    t.kernel.scheduler.exitGroup(t.tg, S.SIGSEGV);
    return 0;
  }
  const dv = new DataView(buf.buffer);
  const mc = UC_MCONTEXT;
  const oldFlags = regs.get(REG.eflags);
  SIGCONTEXT_REGS.forEach((r, i) => regs.setBig(r, dv.getBigUint64(mc + i * 8, true)));
  regs.set(REG.eflags, (oldFlags & ~EFLAGS_USER_MASK) | (regs.get(REG.eflags) & EFLAGS_USER_MASK));
  regs.set(REG.cs, USER_CS);
  regs.set(REG.ss, USER_DS);
  regs.set(REG.orig_rax, -1);
  t.blocked = dv.getBigUint64(UC_SIGMASK, true) & ~UNBLOCKABLE;
  const fpAddr = Number(dv.getBigUint64(mc + SC_FPSTATE, true));
  if (fpAddr !== 0) {
    if (t.mm.copyInFull(fpAddr, fpBuf) < 0) { t.kernel.scheduler.exitGroup(t.tg, S.SIGSEGV); return 0; }
    // MXCSR reserved bits would make the host refuse the image.
    const fdv = new DataView(fpBuf.buffer);
    fdv.setUint32(24, fdv.getUint32(24, true) & 0xffff, true);
    t.thread.setFpState(fpBuf);
  }
  // uc_stack: sigaltstack's restore_altstack.
  const ss = Number(dv.getBigUint64(UC_STACK, true)), ssFlags = dv.getInt32(UC_STACK + 8, true), ssSize = Number(dv.getBigUint64(UC_STACK + 16, true));
  if (!onAltStack(t, regs.rsp)) {
    if (ssFlags & S.SS_DISABLE) t.altStack = { sp: 0, flags: S.SS_DISABLE, size: 0 };
    else if (ssSize >= S.MINSIGSTKSZ) t.altStack = { sp: ss, flags: 0, size: ssSize };
  }
  t.regsChanged = true;
  return regs.get(REG.rax);
}

/** siginfo for a signal the kernel itself raises. */
export function kernelInfo(signo: number): SiginfoFields {
  return { signo, code: SI_KERNEL };
}
