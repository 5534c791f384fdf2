// Process file descriptors: pidfd_open, pidfd_send_signal, pidfd_getfd.
// A pidfd names a thread group until it is reaped; it polls readable when
// the process exits (sentry/fsimpl/events/pidfd.ts). waitid(P_PIDFD) and
// CLONE_PIDFD use the same file.
import { E } from '../abi/linux/errno.js';
import { O_NONBLOCK } from '../abi/linux/fcntl.js';
import { SI_TKILL, SI_USER, SIGINFO_SIZE } from '../abi/linux/siginfo.js';
import { PidFdFile } from '../sentry/fsimpl/events/pidfd.js';
import { sendToGroup, sendToTask } from '../sentry/kernel/signals.js';
import { NSIG } from '../sentry/kernel/signal-state.js';
import type { Task } from '../sentry/kernel/task.js';
import type { ThreadGroup } from '../sentry/kernel/thread-group.js';
import { mayKill } from './signal.js';
import { sys, type SyscallGroup } from './types.js';

const PIDFD_NONBLOCK = O_NONBLOCK;
const PIDFD_SIGNAL_THREAD = 1, PIDFD_SIGNAL_THREAD_GROUP = 2, PIDFD_SIGNAL_PROCESS_GROUP = 4;

/** Opens a pidfd on tg, close-on-exec as Linux always makes it. */
export function installPidFd(t: Task, tg: ThreadGroup, flags: number): number {
  return t.fdTable.add(new PidFdFile(tg, flags & PIDFD_NONBLOCK), true);
}

/** The pidfd at fd, or -EBADF (not open, or not a pidfd). */
export function pidFdOf(t: Task, fd: number): PidFdFile | number {
  const f = t.fdTable.get(fd);
  return f instanceof PidFdFile ? f : -E.EBADF;
}

function pidfdOpen(t: Task): number {
  const pid = t.argInt(0), flags = t.argU32(1);
  if (flags & ~PIDFD_NONBLOCK) return -E.EINVAL;
  if (pid <= 0) return -E.EINVAL;
  const tg = t.kernel.threadGroups.get(pid);
  if (tg === undefined || tg.reaped) return t.kernel.tasks.has(pid) ? -E.EINVAL : -E.ESRCH;
  return installPidFd(t, tg, flags);
}

function pidfdSendSignal(t: Task): number {
  const fd = t.argInt(0), signo = t.argInt(1), infoAddr = t.arg(2), flags = t.argU32(3);
  // At most one scope: the thread, its thread group, or its process group.
  if (flags & ~(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP)) return -E.EINVAL;
  if (flags & (flags - 1)) return -E.EINVAL;
  const file = pidFdOf(t, fd);
  if (typeof file === 'number') return file;
  const tg = file.tg;
  if (tg.reaped) return -E.ESRCH;
  let info: Uint8Array | null = null;
  if (infoAddr !== 0) {
    info = new Uint8Array(SIGINFO_SIZE);
    if (t.mm.copyInFull(infoAddr, info) < 0) return -E.EFAULT;
    const dv = new DataView(info.buffer);
    if (dv.getInt32(0, true) !== signo) return -E.EINVAL;
    // Only the kernel may claim SI_USER or a positive code to another process.
    const code = dv.getInt32(8, true);
    if (tg !== t.tg && (code >= 0 || code === SI_TKILL)) return -E.EPERM;
  }
  if (signo < 0 || signo > NSIG) return -E.EINVAL;
  if (!mayKill(t, tg)) return -E.EPERM;
  // A zombie takes the signal and ignores it, as in Linux.
  if (!tg.alive) return 0;
  const siginfo = info ?? { signo, code: SI_USER, pid: t.tgid, uid: t.creds.uid };
  if (flags & PIDFD_SIGNAL_THREAD) {
    const leader = tg.leader;
    if (leader !== undefined) sendToTask(leader, signo, siginfo);
    return 0;
  }
  const targets = flags & PIDFD_SIGNAL_PROCESS_GROUP ? t.kernel.processGroup(tg.pgid) : [tg];
  for (const g of targets) if (mayKill(t, g)) sendToGroup(g, signo, siginfo);
  return 0;
}

function pidfdGetfd(t: Task): number {
  const fd = t.argInt(0), targetFd = t.argInt(1), flags = t.argU32(2);
  if (flags !== 0) return -E.EINVAL;
  const file = pidFdOf(t, fd);
  if (typeof file === 'number') return file;
  const tg = file.tg;
  // An exited process has no files left to take.
  if (!tg.alive) return -E.ESRCH;
  const leader = tg.leader;
  // PTRACE_MODE_ATTACH_REALCREDS: root, or the same real uid on every id.
  if (leader !== undefined && t.creds.euid !== 0) {
    const c = leader.creds;
    if (c.uid !== t.creds.uid || c.euid !== t.creds.uid || c.suid !== t.creds.uid) return -E.EPERM;
  }
  const target = leader?.fdTable.get(targetFd) ?? null;
  if (target === null) return -E.EBADF;
  target.incRef();
  return t.fdTable.add(target, true);
}

export const pidfdSyscalls: SyscallGroup = {
  pidfd_open: sys(pidfdOpen, 'ix', 'PIDFD_THREAD is EINVAL (so is CLONE_PIDFD with CLONE_THREAD): pidfds name processes'),
  pidfd_send_signal: sys(pidfdSendSignal, 'fipx'),
  pidfd_getfd: sys(pidfdGetfd, 'fix'),
};
