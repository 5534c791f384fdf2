// Signal state syscalls: dispositions, masks, the alternate stack. Delivery
// (frames, handlers, sigreturn) arrives with issue 3.
import { E } from '../abi/linux/errno.js';
import * as S from '../abi/linux/signal.js';
import type { Task } from '../sentry/kernel/task.js';
import { NSIG, UNBLOCKABLE } from '../sentry/kernel/signal-state.js';
import { sys, type SyscallGroup } from './types.js';

function rtSigaction(t: Task): number {
  const sig = t.argInt(0), actAddr = t.arg(1), oldAddr = t.arg(2), size = t.arg(3);
  if (size !== S.SIGSET_SIZE) return -E.EINVAL;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const cur = t.signals.actions[sig];
  let next = null;
  if (actAddr !== 0) {
    if (sig === S.SIGKILL || sig === S.SIGSTOP) return -E.EINVAL;
    const b = new Uint8Array(S.KSIGACTION_SIZE);
    if (t.mm.copyInFull(actAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    next = { handler: dv.getBigUint64(0, true), flags: dv.getBigUint64(8, true), restorer: dv.getBigUint64(16, true),
      mask: dv.getBigUint64(24, true) & ~UNBLOCKABLE };
  }
  if (oldAddr !== 0) {
    const b = new Uint8Array(S.KSIGACTION_SIZE), dv = new DataView(b.buffer);
    dv.setBigUint64(0, cur.handler, true); dv.setBigUint64(8, cur.flags, true);
    dv.setBigUint64(16, cur.restorer, true); dv.setBigUint64(24, cur.mask, true);
    if (t.mm.copyOutFull(oldAddr, b) < 0) return -E.EFAULT;
  }
  if (next !== null) t.signals.actions[sig] = next;
  return 0;
}

function rtSigprocmask(t: Task): number {
  const how = t.argInt(0), setAddr = t.arg(1), oldAddr = t.arg(2), size = t.arg(3);
  if (size !== S.SIGSET_SIZE) return -E.EINVAL;
  const old = t.signals.blocked;
  if (setAddr !== 0) {
    const b = new Uint8Array(8);
    if (t.mm.copyInFull(setAddr, b) < 0) return -E.EFAULT;
    const set = new DataView(b.buffer).getBigUint64(0, true);
    switch (how) {
      case S.SIG_BLOCK: t.signals.blocked = old | set; break;
      case S.SIG_UNBLOCK: t.signals.blocked = old & ~set; break;
      case S.SIG_SETMASK: t.signals.blocked = set; break;
      default: return -E.EINVAL;
    }
    t.signals.blocked &= ~UNBLOCKABLE;
  }
  if (oldAddr !== 0 && t.mm.writeU64(oldAddr, old) < 0) return -E.EFAULT;
  return 0;
}

function sigaltstack(t: Task): number {
  const ssAddr = t.arg(0), oldAddr = t.arg(1);
  const cur = t.signals.altStack;
  if (oldAddr !== 0) {
    const b = new Uint8Array(24), dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(cur.sp), true); dv.setInt32(8, cur.flags, true); dv.setBigUint64(16, BigInt(cur.size), true);
    if (t.mm.copyOutFull(oldAddr, b) < 0) return -E.EFAULT;
  }
  if (ssAddr !== 0) {
    const b = new Uint8Array(24);
    if (t.mm.copyInFull(ssAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    const sp = Number(dv.getBigUint64(0, true)), flags = dv.getInt32(8, true), size = Number(dv.getBigUint64(16, true));
    if (flags & ~(S.SS_DISABLE | 0x80000000)) return -E.EINVAL;
    if (flags & S.SS_DISABLE) t.signals.altStack = { sp: 0, flags: S.SS_DISABLE, size: 0 };
    else {
      if (size < S.MINSIGSTKSZ) return -E.ENOMEM;
      t.signals.altStack = { sp, flags: 0, size };
    }
  }
  return 0;
}

export const signalSyscalls: SyscallGroup = {
  rt_sigaction: sys(rtSigaction, 'ippu', 'dispositions are kept; delivery to handlers comes with issue 3'),
  rt_sigprocmask: sys(rtSigprocmask, 'ippu'),
  sigaltstack: sys(sigaltstack, 'pp'),
};
