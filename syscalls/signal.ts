// Signal syscalls: dispositions, masks, the alternate stack, sending,
// waiting for signals, sigreturn, alarm and interval timers.
import { E, ERESTARTNOHAND } from '../abi/linux/errno.js';
import { SI_KERNEL, SI_TKILL, SI_USER, SIGINFO_SIZE } from '../abi/linux/siginfo.js';
import * as S from '../abi/linux/signal.js';
import type { Task } from '../sentry/kernel/task.js';
import { NSIG, sigbit, UNBLOCKABLE } from '../sentry/kernel/signal-state.js';
import { sendToGroup, sendToTask, sigreturn } from '../sentry/kernel/signals.js';
import type { ThreadGroup } from '../sentry/kernel/thread-group.js';
import { groupCpuNs } from '../sentry/kernel/cpu-time.js';
import { PosixTimer, SIGEV_SIGNAL } from '../sentry/kernel/posix-timers.js';
import { monotonicNs } from '../sentry/kernel/timers.js';
import { WaitQueue } from '../sentry/kernel/wait-queue.js';
import { sys, type SyscallGroup } from './types.js';

function rtSigaction(t: Task): number {
  const sig = t.argInt(0), actAddr = t.arg(1), oldAddr = t.arg(2), size = t.arg(3);
  if (size !== S.SIGSET_SIZE) return -E.EINVAL;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const actions = t.tg.handlers.actions;
  const cur = actions[sig];
  let next = null;
  if (actAddr !== 0) {
    if (sig === S.SIGKILL || sig === S.SIGSTOP) return -E.EINVAL;
    const b = new Uint8Array(S.KSIGACTION_SIZE);
    if (t.mm.copyInFull(actAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    next = { handler: dv.getBigUint64(0, true), flags: Number(dv.getBigUint64(8, true) & 0xffffffffn), restorer: dv.getBigUint64(16, true),
      mask: dv.getBigUint64(24, true) & ~UNBLOCKABLE };
  }
  if (oldAddr !== 0) {
    const b = new Uint8Array(S.KSIGACTION_SIZE), dv = new DataView(b.buffer);
    dv.setBigUint64(0, cur.handler, true); dv.setBigUint64(8, BigInt(cur.flags >>> 0), true);
    dv.setBigUint64(16, cur.restorer, true); dv.setBigUint64(24, cur.mask, true);
    if (t.mm.copyOutFull(oldAddr, b) < 0) return -E.EFAULT;
  }
  if (next !== null) {
    actions[sig] = next;
    // A signal that becomes ignored is dropped from every pending queue.
    if (t.tg.handlers.isIgnored(sig)) {
      t.tg.sharedPending.discard(sig);
      for (const task of t.tg.tasks) task.pending.discard(sig);
    }
  }
  return 0;
}

function readSigset(t: Task, addr: number): bigint | null {
  const b = new Uint8Array(8);
  if (t.mm.copyInFull(addr, b) < 0) return null;
  return new DataView(b.buffer).getBigUint64(0, true);
}

function rtSigprocmask(t: Task): number {
  const how = t.argInt(0), setAddr = t.arg(1), oldAddr = t.arg(2), size = t.arg(3);
  if (size !== S.SIGSET_SIZE) return -E.EINVAL;
  const old = t.blocked;
  if (setAddr !== 0) {
    const set = readSigset(t, setAddr);
    if (set === null) return -E.EFAULT;
    switch (how) {
      case S.SIG_BLOCK: t.blocked = old | set; break;
      case S.SIG_UNBLOCK: t.blocked = old & ~set; break;
      case S.SIG_SETMASK: t.blocked = set; break;
      default: return -E.EINVAL;
    }
    t.blocked &= ~UNBLOCKABLE;
  }
  if (oldAddr !== 0 && t.mm.writeU64(oldAddr, old) < 0) return -E.EFAULT;
  return 0;
}

function sigaltstack(t: Task): number {
  const ssAddr = t.arg(0), oldAddr = t.arg(1);
  const cur = t.altStack;
  const sp = t.regs.rsp;
  const onStack = cur.size > 0 && sp > cur.sp && sp <= cur.sp + cur.size;
  if (oldAddr !== 0) {
    const b = new Uint8Array(24), dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(cur.sp), true);
    dv.setInt32(8, (cur.flags & S.SS_DISABLE) ? S.SS_DISABLE : onStack ? S.SS_ONSTACK : 0, true);
    dv.setBigUint64(16, BigInt(cur.size), true);
    if (t.mm.copyOutFull(oldAddr, b) < 0) return -E.EFAULT;
  }
  if (ssAddr !== 0) {
    const b = new Uint8Array(24);
    if (t.mm.copyInFull(ssAddr, b) < 0) return -E.EFAULT;
    if (onStack) return -E.EPERM;
    const dv = new DataView(b.buffer);
    const newSp = Number(dv.getBigUint64(0, true)), flags = dv.getInt32(8, true), size = Number(dv.getBigUint64(16, true));
    if (flags & ~(S.SS_DISABLE | 0x80000000 /* SS_AUTODISARM */)) return -E.EINVAL;
    if (flags & S.SS_DISABLE) t.altStack = { sp: 0, flags: S.SS_DISABLE, size: 0 };
    else {
      if (size < S.MINSIGSTKSZ) return -E.ENOMEM;
      t.altStack = { sp: newSp, flags: 0, size };
    }
  }
  return 0;
}

// ---- Sending ----

/** May the sender signal target? Root may; others need a uid match (cred rules of kill(2)). */
export function mayKill(t: Task, target: ThreadGroup): boolean {
  const c = t.creds;
  if (c.euid === 0) return true;
  const leader = target.leader;
  if (!leader) return false;
  const tc = leader.creds;
  return c.euid === tc.uid || c.euid === tc.suid || c.uid === tc.uid || c.uid === tc.suid;
}

function killGroup(t: Task, tg: ThreadGroup, signo: number): number {
  if (!mayKill(t, tg)) return -E.EPERM;
  sendToGroup(tg, signo, { signo, code: SI_USER, pid: t.tgid, uid: t.creds.uid });
  return 0;
}

function kill(t: Task): number {
  const pid = t.argInt(0), signo = t.argInt(1);
  if (signo < 0 || signo > NSIG) return -E.EINVAL;
  const groups = t.kernel.threadGroups;
  if (pid > 0) {
    // A zombie is still there until reaped: the signal is accepted and goes nowhere, as on Linux.
    const tg = groups.get(pid);
    if (!tg) return -E.ESRCH;
    return killGroup(t, tg, signo);
  }
  let targets: ThreadGroup[];
  if (pid === 0) targets = t.kernel.processGroup(t.tg.pgid);
  else if (pid === -1) targets = [...groups.values()].filter((g) => g.alive && g.tgid !== 1 && g !== t.tg);
  else targets = t.kernel.processGroup(-pid);
  if (targets.length === 0) return -E.ESRCH;
  let sent = 0, err = 0;
  for (const g of targets) {
    const r = killGroup(t, g, signo);
    if (r === 0) sent++; else err = r;
  }
  return sent > 0 ? 0 : err;
}

function tgkill(t: Task, tgid: number, tid: number, signo: number): number {
  if (signo < 0 || signo > NSIG || tid <= 0 || (tgid !== -1 && tgid <= 0)) return -E.EINVAL;
  const target = t.kernel.tasks.get(tid);
  if (!target || target.state === 'dead' || (tgid !== -1 && target.tgid !== tgid)) return -E.ESRCH;
  if (!mayKill(t, target.tg)) return -E.EPERM;
  sendToTask(target, signo, { signo, code: SI_TKILL, pid: t.tgid, uid: t.creds.uid });
  return 0;
}

/** rt_sigqueueinfo (tid null) and rt_tgsigqueueinfo. */
function queueInfo(t: Task, tgid: number, tid: number | null, signo: number, infoAddr: number): number {
  if (tid !== null && (tid <= 0 || tgid <= 0)) return -E.EINVAL;
  if (signo < 0 || signo > NSIG) return -E.EINVAL;
  const info = new Uint8Array(SIGINFO_SIZE);
  if (t.mm.copyInFull(infoAddr, info) < 0) return -E.EFAULT;
  const dv = new DataView(info.buffer);
  const code = dv.getInt32(8, true);
  // Only the kernel may forge SI_USER/positive codes for another process (as Linux checks).
  if ((code >= 0 || code === SI_TKILL) && tgid !== t.tgid) return -E.EPERM;
  dv.setInt32(0, signo, true);
  if (tid === null) {
    const tg = t.kernel.threadGroups.get(tgid);
    if (!tg) return -E.ESRCH; // a zombie takes the signal and drops it, as kill(2)
    if (!mayKill(t, tg)) return -E.EPERM;
    sendToGroup(tg, signo, info);
  } else {
    const target = t.kernel.tasks.get(tid);
    if (!target || target.tgid !== tgid) return -E.ESRCH;
    if (!mayKill(t, target.tg)) return -E.EPERM;
    sendToTask(target, signo, info);
  }
  return 0;
}

// ---- Waiting for signals ----

/** Tasks that wait only for a signal park here; no one ever wakes this queue. */
const neverWoken = new WaitQueue();

function rtSigsuspend(t: Task): number {
  if (t.arg(1) !== S.SIGSET_SIZE) return -E.EINVAL;
  if (t.syscallState === null) {
    const mask = readSigset(t, t.arg(0));
    if (mask === null) return -E.EFAULT;
    t.savedMask = t.blocked;
    t.blocked = mask & ~UNBLOCKABLE;
    t.syscallState = true;
  }
  return t.block([neverWoken], -ERESTARTNOHAND);
}

function pause(t: Task): number {
  return t.block([neverWoken], -ERESTARTNOHAND);
}

function rtSigpending(t: Task): number {
  if (t.arg(1) > S.SIGSET_SIZE) return -E.EINVAL;
  const bits = (t.pending.bits | t.tg.sharedPending.bits) & t.blocked;
  return t.mm.writeU64(t.arg(0), bits);
}

function rtSigtimedwait(t: Task): number {
  const setAddr = t.arg(0), infoAddr = t.arg(1), tsAddr = t.arg(2);
  if (t.arg(3) !== S.SIGSET_SIZE) return -E.EINVAL;
  const set = readSigset(t, setAddr);
  if (set === null) return -E.EFAULT;
  const want = set & ~UNBLOCKABLE;
  if (t.syscallState !== null && t.savedMask !== null) { t.blocked = t.savedMask; t.savedMask = null; }
  for (const q of [t.pending, t.tg.sharedPending]) {
    const ready = q.bits & want;
    if (ready === 0n) continue;
    let signo = 1;
    while ((ready & sigbit(signo)) === 0n) signo++;
    const p = q.take(signo)!;
    if (infoAddr !== 0 && t.mm.copyOutFull(infoAddr, p.info) < 0) return -E.EFAULT;
    return signo;
  }
  if (t.wakeReason === 'timeout') return -E.EAGAIN;
  if (tsAddr !== 0 && t.syscallDeadline < 0) {
    const b = new Uint8Array(16);
    if (t.mm.copyInFull(tsAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    const sec = Number(dv.getBigInt64(0, true)), nsec = Number(dv.getBigInt64(8, true));
    if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
    if (sec === 0 && nsec === 0) return -E.EAGAIN;
    t.syscallDeadline = monotonicNs() + sec * 1e9 + nsec;
  }
  // Wait with the awaited signals unblocked, so they wake us; they are dequeued above on the rerun.
  if (t.savedMask === null) t.savedMask = t.blocked;
  t.blocked = t.savedMask & ~want;
  t.syscallState = { waitingFor: want };
  return t.block([neverWoken], -E.EINTR);
}

// ---- Timers ----

function itimerRemaining(tg: ThreadGroup): number {
  if (!tg.realTimer || tg.realTimer.done) return 0;
  return Math.max(0, tg.realTimerDeadline - monotonicNs());
}

function armRealTimer(t: Task, valueNs: number, intervalNs: number): void {
  const tg = t.tg;
  const timers = t.kernel.timers;
  timers.cancel(tg.realTimer);
  tg.realTimer = null;
  tg.realTimerInterval = intervalNs;
  if (valueNs <= 0) return;
  const fire = (): void => {
    sendToGroup(tg, S.SIGALRM, { signo: S.SIGALRM, code: SI_KERNEL });
    if (tg.realTimerInterval > 0 && tg.alive) {
      tg.realTimerDeadline += tg.realTimerInterval;
      tg.realTimer = timers.add(tg.realTimerDeadline, fire);
    } else tg.realTimer = null;
  };
  tg.realTimerDeadline = monotonicNs() + valueNs;
  tg.realTimer = timers.add(tg.realTimerDeadline, fire);
}

function alarm(t: Task): number {
  const secs = t.argU32(0);
  const left = itimerRemaining(t.tg);
  armRealTimer(t, secs * 1e9, 0);
  // Linux rounds the old value to the nearest second, and never reports 0 for a live timer.
  return left === 0 ? 0 : Math.max(1, Math.round(left / 1e9));
}

const ITIMER_REAL = 0, ITIMER_VIRTUAL = 1;
/** The host's scheduler tick, 1/HZ with Debian's HZ=250. */
const TICK_NS = 4_000_000;

function writeItimerval(t: Task, addr: number, intervalNs: number, valueNs: number): number {
  const b = new Uint8Array(32), dv = new DataView(b.buffer);
  const us = (ns: number): [bigint, bigint] => { const u = Math.ceil(ns / 1000); return [BigInt(Math.floor(u / 1e6)), BigInt(u % 1e6)]; };
  const [is, iu] = us(intervalNs), [vs, vu] = us(valueNs);
  dv.setBigInt64(0, is, true); dv.setBigInt64(8, iu, true); dv.setBigInt64(16, vs, true); dv.setBigInt64(24, vu, true);
  return t.mm.copyOutFull(addr, b);
}

/** ITIMER_VIRTUAL and ITIMER_PROF: the group's CPU time (cpu-time.ts), which does not split user from system time. */
function cpuItimer(tg: ThreadGroup, which: number): PosixTimer {
  let timer = tg.cpuItimers[which];
  if (timer === null) {
    const signo = which === ITIMER_VIRTUAL ? S.SIGVTALRM : S.SIGPROF;
    const clock = { now: () => groupCpuNs(tg), cpu: true };
    timer = new PosixTimer(-1, which, clock, tg, SIGEV_SIGNAL, signo, 0n, null, true);
    tg.cpuItimers[which] = timer;
  }
  return timer;
}

function currentItimer(t: Task, which: number): { intervalNs: number; valueNs: number } {
  if (which === ITIMER_REAL) return { intervalNs: t.tg.realTimerInterval, valueNs: itimerRemaining(t.tg) };
  const timer = t.tg.cpuItimers[which];
  return timer === null ? { intervalNs: 0, valueNs: 0 } : timer.get();
}

function getitimer(t: Task): number {
  const which = t.argInt(0);
  if (which < 0 || which > 2) return -E.EINVAL;
  const cur = currentItimer(t, which);
  return writeItimerval(t, t.arg(1), cur.intervalNs, cur.valueNs);
}

function setitimer(t: Task): number {
  const which = t.argInt(0), newAddr = t.arg(1), oldAddr = t.arg(2);
  if (which < 0 || which > 2) return -E.EINVAL;
  let intervalNs = 0, valueNs = 0;
  if (newAddr !== 0) {
    const b = new Uint8Array(32);
    if (t.mm.copyInFull(newAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    const is = Number(dv.getBigInt64(0, true)), iu = Number(dv.getBigInt64(8, true));
    const vs = Number(dv.getBigInt64(16, true)), vu = Number(dv.getBigInt64(24, true));
    if (iu < 0 || iu >= 1e6 || vu < 0 || vu >= 1e6 || is < 0 || vs < 0) return -E.EINVAL;
    intervalNs = is * 1e9 + iu * 1000; valueNs = vs * 1e9 + vu * 1000;
  }
  if (oldAddr !== 0) {
    const cur = currentItimer(t, which);
    const r = writeItimerval(t, oldAddr, cur.intervalNs, cur.valueNs);
    if (r < 0) return r;
  }
  if (newAddr === 0) return 0;
  if (which === ITIMER_REAL) armRealTimer(t, valueNs, intervalNs);
  // Linux adds a tick to a CPU interval timer's first expiry, so that it never fires early.
  else cpuItimer(t.tg, which).set(valueNs === 0 ? 0 : valueNs + TICK_NS, valueNs === 0 ? 0 : intervalNs);
  return 0;
}

export const signalSyscalls: SyscallGroup = {
  rt_sigaction: sys(rtSigaction, 'ippu'),
  rt_sigprocmask: sys(rtSigprocmask, 'ippu'),
  sigaltstack: sys(sigaltstack, 'pp'),
  rt_sigreturn: sys((t) => sigreturn(t)),
  kill: sys(kill, 'ii'),
  tkill: sys((t) => tgkill(t, -1, t.argInt(0), t.argInt(1)), 'ii'),
  tgkill: sys((t) => tgkill(t, t.argInt(0), t.argInt(1), t.argInt(2)), 'iii'),
  rt_sigqueueinfo: sys((t) => queueInfo(t, t.argInt(0), null, t.argInt(1), t.arg(2)), 'iip'),
  rt_tgsigqueueinfo: sys((t) => queueInfo(t, t.argInt(0), t.argInt(1), t.argInt(2), t.arg(3)), 'iiip'),
  rt_sigsuspend: sys(rtSigsuspend, 'pu'),
  rt_sigpending: sys(rtSigpending, 'pu'),
  rt_sigtimedwait: sys(rtSigtimedwait, 'pppu'),
  pause: sys(pause),
  alarm: sys(alarm, 'u'),
  getitimer: sys(getitimer, 'ip', 'ITIMER_VIRTUAL counts system time too (the host thread\'s run time is not split)'),
  setitimer: sys(setitimer, 'ipp', 'ITIMER_VIRTUAL counts system time too (the host thread\'s run time is not split)'),
};

