// seccomp(2) and prctl's PR_SET_SECCOMP/PR_GET_SECCOMP: installing filters
// (sentry/kernel/seccomp) and enforcing them before any handler runs. The
// application's filters only ever narrow what the Sentry serves; the
// Sentry's own protection from the host does not depend on them.
import { E } from '../abi/linux/errno.js';
import { SIGINFO_SIZE } from '../abi/linux/siginfo.js';
import { SIGKILL, SIGSYS } from '../abi/linux/signal.js';
import { checkSeccompProgram, decodeProgram, BPF_MAXINSNS, SOCK_FILTER_SIZE } from '../sentry/kernel/seccomp/bpf.js';
import {
  AUDIT_ARCH_X86_64, chainLength, descendsFrom, evaluate, KNOWN_ACTIONS, MAX_INSNS_PER_PATH,
  SECCOMP_MODE_FILTER, SECCOMP_MODE_STRICT, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF, STRICT_ALLOWED,
} from '../sentry/kernel/seccomp/filter.js';
import { SIG_DFL, SIG_IGN, sigbit } from '../sentry/kernel/signal-state.js';
import { sendToTask } from '../sentry/kernel/signals.js';
import type { Task } from '../sentry/kernel/task.js';
import { sys, type SyscallGroup } from './types.js';

const SECCOMP_SET_MODE_STRICT = 0, SECCOMP_SET_MODE_FILTER = 1, SECCOMP_GET_ACTION_AVAIL = 2, SECCOMP_GET_NOTIF_SIZES = 3;
const SECCOMP_FILTER_FLAG_TSYNC = 1, SECCOMP_FILTER_FLAG_LOG = 2, SECCOMP_FILTER_FLAG_SPEC_ALLOW = 4,
  SECCOMP_FILTER_FLAG_NEW_LISTENER = 8, SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 16, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 32;
const FILTER_FLAGS = SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW
  | SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
/** si_code of a seccomp SIGSYS. */
const SYS_SECCOMP = 1;
const MAX_ERRNO = 4095;
/** struct seccomp_notif, seccomp_notif_resp and seccomp_data sizes (SECCOMP_GET_NOTIF_SIZES). */
const NOTIF_SIZES = [80, 24, 64];

// ---- Enforcement ----

/** Ends t as a SIGSYS (or SIGKILL) death: the thread, or the whole group when it is the last. */
function killForSeccomp(t: Task, signo: number, wholeGroup: boolean): void {
  // No core flag: the sandbox writes no core file (see signals.ts).
  if (wholeGroup || t.tg.tasks.size === 1) t.kernel.scheduler.exitGroup(t.tg, signo);
  else t.kernel.scheduler.exitThread(t, 0);
}

/** SECCOMP_RET_TRAP: a SIGSYS the task cannot block or ignore away (Linux's force_sig_seccomp). */
function trap(t: Task, nr: number, errno: number): void {
  const a = t.tg.handlers.actions[SIGSYS];
  if ((t.blocked & sigbit(SIGSYS)) !== 0n || a.handler === SIG_IGN) {
    t.blocked &= ~sigbit(SIGSYS);
    t.tg.handlers.actions[SIGSYS] = { handler: SIG_DFL, flags: 0, restorer: 0n, mask: 0n };
  }
  const info = new Uint8Array(SIGINFO_SIZE);
  const dv = new DataView(info.buffer);
  dv.setInt32(0, SIGSYS, true);
  dv.setInt32(4, errno, true);
  dv.setInt32(8, SYS_SECCOMP, true);
  dv.setBigUint64(16, BigInt(t.regs.rip), true); // si_call_addr
  dv.setInt32(24, nr, true); // si_syscall
  dv.setUint32(28, AUDIT_ARCH_X86_64, true); // si_arch
  sendToTask(t, SIGSYS, info);
}

/**
 * Runs t's seccomp policy on the syscall about to be served. Returns
 * undefined to let it run, or the value for rax when the policy decides
 * (the handler is then not run).
 */
export function seccompVerdict(t: Task, nr: number): number | undefined {
  const st = t.seccomp;
  if (st.mode === SECCOMP_MODE_STRICT) {
    if (STRICT_ALLOWED.has(nr)) return undefined;
    killForSeccomp(t, SIGKILL, false);
    return 0;
  }
  if (st.filter === null) return undefined;
  const args = [0, 1, 2, 3, 4, 5].map((i) => t.argBig(i));
  const { verdict, filter } = evaluate(st.filter, nr, BigInt(t.regs.rip), args);
  const action = (verdict & SECCOMP_RET_ACTION_FULL) >>> 0, data = verdict & SECCOMP_RET_DATA;
  if (action !== SECCOMP_RET_ALLOW && (filter.log || action === SECCOMP_RET_LOG)) {
    t.kernel.log.info({ tid: t.tid, nr, action: action.toString(16) }, 'seccomp');
  }
  switch (action) {
    case SECCOMP_RET_ALLOW: case SECCOMP_RET_LOG:
      return undefined;
    case SECCOMP_RET_ERRNO:
      return -Math.min(data, MAX_ERRNO);
    case SECCOMP_RET_TRAP:
      trap(t, nr, data);
      // Linux rolls the registers back: rax holds the syscall number again.
      return nr;
    case SECCOMP_RET_TRACE: case SECCOMP_RET_USER_NOTIF:
      // No tracer and no listener can exist in the sandbox.
      return -E.ENOSYS;
    case SECCOMP_RET_KILL_THREAD:
      killForSeccomp(t, SIGSYS, false);
      return 0;
    default:
      // KILL_PROCESS, and any action Linux does not know, kill the process.
      killForSeccomp(t, SIGSYS, true);
      return 0;
  }
}

// ---- Installing ----

function setStrict(t: Task): number {
  if (t.seccomp.mode !== 0 && t.seccomp.mode !== SECCOMP_MODE_STRICT) return -E.EINVAL;
  t.seccomp = { mode: SECCOMP_MODE_STRICT, filter: null };
  return 0;
}

function setFilter(t: Task, flags: number, fprogAddr: number): number {
  if ((flags & ~FILTER_FLAGS) !== 0) return -E.EINVAL;
  // Both a listener and TSYNC need TSYNC_ESRCH to tell their results apart; WAIT_KILLABLE_RECV needs a listener.
  if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && !(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH)) return -E.EINVAL;
  if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) return -E.EINVAL;
  // User notification needs a supervisor outside the filtered task; the sandbox offers none.
  if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) return -E.EINVAL;
  const fprog = new Uint8Array(16);
  if (t.mm.copyInFull(fprogAddr, fprog) < 0) return -E.EFAULT;
  const dv = new DataView(fprog.buffer);
  const len = dv.getUint16(0, true), filterAddr = Number(dv.getBigUint64(8, true));
  if (len === 0 || len > BPF_MAXINSNS) return -E.EINVAL;
  if (!t.noNewPrivs && t.creds.euid !== 0) return -E.EACCES;
  const raw = new Uint8Array(len * SOCK_FILTER_SIZE);
  if (t.mm.copyInFull(filterAddr, raw) < 0) return -E.EFAULT;
  const prog = checkSeccompProgram(decodeProgram(raw));
  if (prog === null) return -E.EINVAL;
  if (t.seccomp.mode !== 0 && t.seccomp.mode !== SECCOMP_MODE_FILTER) return -E.EINVAL;
  const current = t.seccomp.filter;
  if (chainLength(current) + prog.length + 4 > MAX_INSNS_PER_PATH) return -E.ENOMEM;
  const filter = { prog, prev: current, log: (flags & SECCOMP_FILTER_FLAG_LOG) !== 0 };
  if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
    // Every other thread must be on this thread's chain (or an ancestor of it) to be moved onto the new one.
    for (const other of t.tg.tasks) {
      if (other === t || other.state === 'dead') continue;
      const ok = other.seccomp.mode !== SECCOMP_MODE_STRICT && descendsFrom(current, other.seccomp.filter);
      if (!ok) return flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH ? -E.ESRCH : other.tid;
    }
    for (const other of t.tg.tasks) {
      if (other.state === 'dead') continue;
      other.seccomp = { mode: SECCOMP_MODE_FILTER, filter };
      if (t.noNewPrivs) other.noNewPrivs = true;
    }
    return 0;
  }
  t.seccomp = { mode: SECCOMP_MODE_FILTER, filter };
  return 0;
}

function seccomp(t: Task): number {
  const op = t.argU32(0), flags = t.argU32(1), uargs = t.arg(2);
  switch (op) {
    case SECCOMP_SET_MODE_STRICT:
      if (flags !== 0 || uargs !== 0) return -E.EINVAL;
      return setStrict(t);
    case SECCOMP_SET_MODE_FILTER:
      return setFilter(t, flags, uargs);
    case SECCOMP_GET_ACTION_AVAIL: {
      if (flags !== 0) return -E.EINVAL;
      const b = new Uint8Array(4);
      if (t.mm.copyInFull(uargs, b) < 0) return -E.EFAULT;
      const action = new DataView(b.buffer).getUint32(0, true);
      return KNOWN_ACTIONS.includes(action) ? 0 : -E.EOPNOTSUPP;
    }
    case SECCOMP_GET_NOTIF_SIZES: {
      if (flags !== 0) return -E.EINVAL;
      const b = new Uint8Array(6), dv = new DataView(b.buffer);
      NOTIF_SIZES.forEach((n, i) => dv.setUint16(2 * i, n, true));
      return t.mm.copyOutFull(uargs, b) < 0 ? -E.EFAULT : 0;
    }
    default:
      return -E.EINVAL;
  }
}

/** prctl(PR_SET_SECCOMP, mode, filter): the old interface to the same two modes. */
export function prctlSetSeccomp(t: Task, mode: number, arg: number): number {
  if (mode === SECCOMP_MODE_STRICT) return setStrict(t);
  if (mode === SECCOMP_MODE_FILTER) return setFilter(t, 0, arg);
  return -E.EINVAL;
}

export const seccompSyscalls: SyscallGroup = {
  seccomp: sys(seccomp, 'iip', 'SECCOMP_FILTER_FLAG_NEW_LISTENER (user notification) is EINVAL; RET_TRACE and RET_USER_NOTIF give ENOSYS, as with no tracer or listener'),
};

