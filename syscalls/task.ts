// Process lifetime syscalls: clone family, execve, exit, wait, process
// groups and sessions, resource usage, priorities, prctl.
import { prctlSetSeccomp } from './seccomp.js';
import { E, ERESTARTSYS } from '../abi/linux/errno.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_NONBLOCK } from '../abi/linux/fcntl.js';
import { CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, encodeSiginfo, SIGINFO_SIZE } from '../abi/linux/siginfo.js';
import { SIGCHLD, SIGCONT } from '../abi/linux/signal.js';
import { stringToBytes } from '../sentry/mm/address-space.js';
import { clone, CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_VFORK, CLONE_VM } from '../sentry/kernel/task-clone.js';
import { execve } from '../sentry/kernel/task-exec.js';
import { niceOf, setNice } from '../sentry/kernel/sched-attributes.js';
import { CLOCK_TICKS_PER_SECOND } from '../sentry/kernel/host-accounting.js';
import { childrenUsage, encodeRusage, groupTotal, selfUsage, threadOnlyUsage } from '../sentry/kernel/resource-usage.js';
import type { Task } from '../sentry/kernel/task.js';
import type { ThreadGroup } from '../sentry/kernel/thread-group.js';
import { resolvePath } from '../sentry/vfs/path-walk.js';
import type { Dentry } from '../sentry/vfs/dentry.js';
import { dirfdStart, pathArg } from './args.js';
import { pidFdOf } from './pidfd.js';
import { sys, type SyscallGroup } from './types.js';

// ---- clone ----

function cloneSyscall(t: Task): number {
  // x86-64 argument order: flags, stack, parent_tid, child_tid, tls.
  const flags = t.argU32(0);
  // clone(2) returns the pidfd through parent_tid, so it cannot also store the tid there.
  if ((flags & CLONE_PIDFD) && (flags & CLONE_PARENT_SETTID)) return -E.EINVAL;
  return clone(t, { flags: flags & ~0xff, stack: t.arg(1), parentTid: t.arg(2), childTid: t.arg(3), tls: t.arg(4), exitSignal: flags & 0xff });
}

const CLONE_ARGS_SIZE_VER0 = 64;
/** struct clone_args as this kernel knows it (VER2: up to cgroup). */
const CLONE_ARGS_SIZE_KNOWN = 88;

function clone3(t: Task): number {
  const addr = t.arg(0), size = t.arg(1);
  if (size < CLONE_ARGS_SIZE_VER0 || size > 4096) return -E.EINVAL;
  const whole = new Uint8Array(size);
  if (t.mm.copyInFull(addr, whole) < 0) return -E.EFAULT;
  // A newer program's larger struct is fine as long as the fields we do not know are zero.
  if (whole.subarray(CLONE_ARGS_SIZE_KNOWN).some((x) => x !== 0)) return -E.E2BIG;
  const b = whole.subarray(0, Math.min(size, CLONE_ARGS_SIZE_KNOWN)).slice();
  const dv = new DataView(b.buffer);
  const u = (o: number): number => Number(dv.getBigUint64(o, true));
  const flags = dv.getBigUint64(0, true);
  if (flags >> 32n !== 0n) return -E.EINVAL;
  const exitSignal = u(32);
  if (exitSignal > 64) return -E.EINVAL;
  const stack = u(40), stackSize = u(48);
  if ((stack === 0) !== (stackSize === 0)) return -E.EINVAL;
  if (b.length >= 72 && (u(64) !== 0 || (b.length >= 80 && u(72) !== 0))) return -E.EINVAL; // set_tid, cgroup: unsupported
  return clone(t, { flags: Number(flags), stack: stack === 0 ? 0 : stack + stackSize, parentTid: u(24), childTid: u(16), tls: u(56), exitSignal, pidfd: u(8) });
}

// ---- execve ----

const MAX_ARG_STRINGS = 0x7fffffff;
const MAX_ARG_STRLEN = 131072;

function readStringArray(t: Task, addr: number): string[] | number {
  const out: string[] = [];
  if (addr === 0) return out;
  for (let i = 0; i < MAX_ARG_STRINGS; i++) {
    const p = t.mm.readU64(addr + i * 8);
    if (p === null) return -E.EFAULT;
    if (p === 0) return out;
    const s = t.mm.readCString(p, MAX_ARG_STRLEN);
    if (typeof s === 'number') return s === -E.ENAMETOOLONG ? -E.E2BIG : s;
    out.push(s);
  }
  return -E.E2BIG;
}

function execveAt(t: Task, dirfd: number, pathIdx: number, argvAddr: number, envpAddr: number, flags: number): number {
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -E.EINVAL;
  const path = pathArg(t, pathIdx);
  if (typeof path === 'number') return path;
  let dentry: Dentry | number;
  let shownPath = path;
  if (path === '' && (flags & AT_EMPTY_PATH)) {
    const f = t.fdTable.get(dirfd);
    if (f === null) return -E.EBADF;
    if (f.dentry === null) return -E.EACCES;
    dentry = f.dentry;
    shownPath = `/dev/fd/${dirfd}`;
  } else {
    const start = dirfdStart(t, dirfd, path);
    if (typeof start === 'number') return start;
    dentry = resolvePath(t.fs, start, path, (flags & AT_SYMLINK_NOFOLLOW) === 0, t.creds);
    // Linux names a file found relative to a directory fd /dev/fd/N/path (an interpreter gets that name).
    if (dirfd !== AT_FDCWD && !path.startsWith('/')) shownPath = `/dev/fd/${dirfd}/${path}`;
  }
  if (typeof dentry === 'number') return dentry;
  // Through a close-on-exec fd the name dies with the exec: a script's interpreter could not open it.
  const pathInaccessible = dirfd !== AT_FDCWD && !path.startsWith('/') && t.fdTable.getCloexec(dirfd);
  const argv = readStringArray(t, argvAddr);
  if (typeof argv === 'number') return argv;
  const envp = readStringArray(t, envpAddr);
  if (typeof envp === 'number') return envp;
  return execve(t, { dentry, path: shownPath, argv, envp, pathInaccessible });
}

// ---- wait ----

const WNOHANG = 1, WUNTRACED = 2, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000;
const __WNOTHREAD = 0x20000000, __WALL = 0x40000000, __WCLONE = 0x80000000;
const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;

interface WaitResult { pid: number; status: number; code: number; sigStatus: number; group: ThreadGroup }

/** Finds a child event; null if none yet, -ECHILD if no child can ever match. */
function findChildEvent(t: Task, match: (c: ThreadGroup) => boolean, options: number): WaitResult | null | number {
  const kids = [...t.tg.children].filter((c) => {
    if (!match(c)) return false;
    if (options & __WALL) return true;
    const isClone = c.exitSignal !== SIGCHLD;
    return (options & __WCLONE) ? isClone : !isClone;
  });
  if (kids.length === 0) return -E.ECHILD;
  const consume = (options & WNOWAIT) === 0;
  for (const c of kids) {
    if (c.exitStatus !== null && !c.reaped && (options & WEXITED)) {
      const st = c.exitStatus;
      const sig = st & 0x7f;
      if (consume) t.kernel.scheduler.reap(c);
      return { group: c, pid: c.tgid, status: st, code: sig === 0 ? CLD_EXITED : (st & 0x80) ? CLD_DUMPED : CLD_KILLED, sigStatus: sig === 0 ? (st >> 8) & 0xff : sig };
    }
    if ((options & WSTOPPED) && c.pendingStopReport !== null && c.alive) {
      const sig = c.pendingStopReport;
      if (consume) c.pendingStopReport = null;
      return { group: c, pid: c.tgid, status: (sig << 8) | 0x7f, code: CLD_STOPPED, sigStatus: sig };
    }
    if ((options & WCONTINUED) && c.pendingContReport && c.alive) {
      if (consume) c.pendingContReport = false;
      return { group: c, pid: c.tgid, status: 0xffff, code: CLD_CONTINUED, sigStatus: SIGCONT };
    }
  }
  return null;
}

function wait4(t: Task): number {
  const pid = t.argInt(0), statusAddr = t.arg(1), options = t.argInt(2), rusageAddr = t.arg(3);
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) return -E.EINVAL;
  const match = pid > 0 ? (c: ThreadGroup) => c.tgid === pid
    : pid === 0 ? (c: ThreadGroup) => c.pgid === t.tg.pgid
      : pid === -1 ? () => true : (c: ThreadGroup) => c.pgid === -pid;
  const r = findChildEvent(t, match, options | WEXITED);
  if (typeof r === 'number') return r;
  if (r === null) {
    if (options & WNOHANG) return 0;
    return t.block([t.tg.childEvents], -ERESTARTSYS);
  }
  if (statusAddr !== 0 && t.mm.writeU32(statusAddr, r.status) < 0) return -E.EFAULT;
  if (rusageAddr !== 0 && t.mm.copyOutFull(rusageAddr, encodeRusage(groupTotal(r.group))) < 0) return -E.EFAULT;
  return r.pid;
}

function waitid(t: Task): number {
  const idtype = t.argInt(0), id = t.argInt(1), infoAddr = t.arg(2), options = t.argInt(3), rusageAddr = t.arg(4);
  if (options & ~(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE)) return -E.EINVAL;
  if ((options & (WEXITED | WSTOPPED | WCONTINUED)) === 0) return -E.EINVAL;
  let match: (c: ThreadGroup) => boolean;
  let pidfdNonblock = false;
  switch (idtype) {
    case P_ALL: match = () => true; break;
    case P_PID: if (id <= 0) return -E.EINVAL; match = (c) => c.tgid === id; break;
    case P_PGID: { if (id < 0) return -E.EINVAL; const pg = id === 0 ? t.tg.pgid : id; match = (c) => c.pgid === pg; break; }
    case P_PIDFD: {
      const f = pidFdOf(t, id);
      if (typeof f === 'number') return f;
      pidfdNonblock = (f.flags & O_NONBLOCK) !== 0;
      match = (c) => c === f.tg;
      break;
    }
    default: return -E.EINVAL;
  }
  const r = findChildEvent(t, match, options);
  if (typeof r === 'number') return r;
  if (r === null) {
    if (!(options & WNOHANG)) return pidfdNonblock ? -E.EAGAIN : t.block([t.tg.childEvents], -ERESTARTSYS);
    if (infoAddr !== 0 && t.mm.copyOutFull(infoAddr, new Uint8Array(SIGINFO_SIZE)) < 0) return -E.EFAULT;
    return 0;
  }
  if (infoAddr !== 0) {
    const info = encodeSiginfo({ signo: SIGCHLD, code: r.code, pid: r.pid, uid: 0, status: r.sigStatus });
    if (t.mm.copyOutFull(infoAddr, info) < 0) return -E.EFAULT;
  }
  if (rusageAddr !== 0 && t.mm.copyOutFull(rusageAddr, encodeRusage(groupTotal(r.group))) < 0) return -E.EFAULT;
  return 0;
}

// ---- process groups and sessions ----

function groupOf(t: Task, pid: number): ThreadGroup | null {
  if (pid === 0) return t.tg;
  const g = t.kernel.threadGroups.get(pid);
  return g && g.alive ? g : null;
}

function setpgid(t: Task): number {
  const pid = t.argInt(0), pgid = t.argInt(1);
  if (pgid < 0) return -E.EINVAL;
  const g = groupOf(t, pid);
  if (g === null) return -E.ESRCH;
  if (g !== t.tg && g.parent !== t.tg) return -E.ESRCH;
  if (g.parent === t.tg && g.sid !== t.tg.sid) return -E.EPERM;
  if (g.sid === g.tgid) return -E.EPERM; // a session leader
  const target = pgid === 0 ? g.tgid : pgid;
  if (target !== g.tgid && !t.kernel.processGroup(target).some((x) => x.sid === g.sid)) return -E.EPERM;
  g.pgid = target;
  return 0;
}

function setsid(t: Task): number {
  const tg = t.tg;
  if (tg.pgid === tg.tgid || t.kernel.processGroup(tg.tgid).length > 0) return -E.EPERM;
  tg.sid = tg.tgid;
  tg.pgid = tg.tgid;
  return tg.sid;
}

// ---- usage, priority, prctl ----

function getrusage(t: Task): number {
  const who = t.argInt(0);
  if (who !== 0 && who !== -1 && who !== 1) return -E.EINVAL; // SELF, CHILDREN, THREAD
  const u = who === 0 ? selfUsage(t.tg) : who === -1 ? childrenUsage(t.tg) : threadOnlyUsage(t);
  return t.mm.copyOutFull(t.arg(1), encodeRusage(u));
}

function times(t: Task): number {
  const tick = 1e9 / CLOCK_TICKS_PER_SECOND;
  if (t.arg(0) !== 0) {
    const self = selfUsage(t.tg), kids = childrenUsage(t.tg);
    const b = new Uint8Array(32), dv = new DataView(b.buffer);
    [self.userNs, self.systemNs, kids.userNs, kids.systemNs].forEach((ns, i) => dv.setBigInt64(i * 8, BigInt(Math.floor(ns / tick)), true));
    if (t.mm.copyOutFull(t.arg(0), b) < 0) return -E.EFAULT;
  }
  return Math.floor(Number(process.hrtime.bigint() - t.kernel.startNs) / tick);
}

const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;
function priorityTargets(t: Task, which: number, who: number): ThreadGroup[] | number {
  switch (which) {
    case PRIO_PROCESS: { const g = groupOf(t, who); return g ? [g] : -E.ESRCH; }
    case PRIO_PGRP: { const gs = t.kernel.processGroup(who === 0 ? t.tg.pgid : who); return gs.length ? gs : -E.ESRCH; }
    case PRIO_USER: return [...t.kernel.threadGroups.values()].filter((g) => g.alive && g.leader?.creds.uid === (who === 0 ? t.creds.uid : who));
    default: return -E.EINVAL;
  }
}

function getpriority(t: Task): number {
  const gs = priorityTargets(t, t.argInt(0), t.argInt(1));
  if (typeof gs === 'number') return gs;
  if (gs.length === 0) return -E.ESRCH;
  // The kernel returns 20 - nice so the value is never negative.
  return 20 - Math.min(...gs.map((g) => niceOf(g)));
}
function setpriority(t: Task): number {
  const gs = priorityTargets(t, t.argInt(0), t.argInt(1));
  if (typeof gs === 'number') return gs;
  if (gs.length === 0) return -E.ESRCH;
  const nice = Math.max(-20, Math.min(19, t.argInt(2)));
  for (const g of gs) {
    if (nice < niceOf(g) && t.creds.euid !== 0) return -E.EACCES;
    setNice(g, nice);
  }
  return 0;
}

const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4, PR_SET_NAME = 15, PR_GET_NAME = 16,
  PR_SET_SECCOMP = 22, PR_GET_SECCOMP = 21, PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_SET_CHILD_SUBREAPER = 36,
  PR_GET_CHILD_SUBREAPER = 37, PR_CAPBSET_READ = 23, PR_SET_VMA = 0x53564d41;
const prctlState = new WeakMap<Task, { dumpable: number }>();

function prctl(t: Task): number {
  const option = t.argInt(0), arg2 = t.arg(1);
  const st = prctlState.get(t) ?? { dumpable: 1 };
  prctlState.set(t, st);
  switch (option) {
    case PR_SET_NAME: {
      const name = t.mm.readCString(arg2, 16);
      if (typeof name === 'number') {
        // Longer names are cut to 15 bytes, as Linux does.
        const raw = new Uint8Array(15);
        if (t.mm.copyIn(arg2, raw) < 0) return -E.EFAULT;
        const nul = raw.indexOf(0);
        t.comm = Buffer.from(raw.subarray(0, nul < 0 ? 15 : nul)).toString('latin1');
        return 0;
      }
      t.comm = name.slice(0, 15);
      return 0;
    }
    case PR_GET_NAME: {
      const b = new Uint8Array(16);
      b.set(stringToBytes(t.comm).subarray(0, 15));
      return t.mm.copyOutFull(arg2, b);
    }
    case PR_SET_PDEATHSIG: if (arg2 < 0 || arg2 > 64) return -E.EINVAL; t.pdeathsig = arg2; return 0;
    case PR_GET_PDEATHSIG: return t.mm.writeU32(arg2, t.pdeathsig);
    case PR_GET_DUMPABLE: return st.dumpable;
    case PR_SET_DUMPABLE: if (arg2 > 1) return -E.EINVAL; st.dumpable = arg2; return 0;
    case PR_SET_NO_NEW_PRIVS: if (arg2 !== 1 || t.arg(2) !== 0 || t.arg(3) !== 0 || t.arg(4) !== 0) return -E.EINVAL; t.noNewPrivs = true; return 0;
    case PR_GET_NO_NEW_PRIVS: if (arg2 !== 0 || t.arg(2) !== 0 || t.arg(3) !== 0 || t.arg(4) !== 0) return -E.EINVAL; return t.noNewPrivs ? 1 : 0;
    case PR_GET_SECCOMP: return t.seccomp.mode;
    case PR_SET_SECCOMP: return prctlSetSeccomp(t, arg2, t.arg(2));
    case PR_CAPBSET_READ: return arg2 <= 40 ? 1 : -E.EINVAL;
    case PR_SET_CHILD_SUBREAPER: t.tg.childSubreaper = arg2 !== 0; return 0;
    case PR_GET_CHILD_SUBREAPER: return t.mm.writeU32(arg2, t.tg.childSubreaper ? 1 : 0);
    case PR_SET_VMA: return -E.EINVAL;
    default: return -E.EINVAL;
  }
}

const RUSAGE_NOTE = 'times, faults and maxrss are the host\'s counts for the stub threads (system time excludes the Sentry\'s); other fields are 0';

export const taskSyscalls: SyscallGroup = {
  clone: sys(cloneSyscall, 'xppppx'),
  clone3: sys(clone3, 'pu', 'set_tid and cgroup fields are refused with EINVAL'),
  fork: sys((t) => clone(t, { flags: 0, stack: 0, parentTid: 0, childTid: 0, tls: 0, exitSignal: SIGCHLD })),
  vfork: sys((t) => clone(t, { flags: CLONE_VM | CLONE_VFORK, stack: 0, parentTid: 0, childTid: 0, tls: 0, exitSignal: SIGCHLD })),
  execve: sys((t) => execveAt(t, AT_FDCWD, 0, t.arg(1), t.arg(2), 0), 'spp'),
  execveat: sys((t) => execveAt(t, t.argInt(0), 1, t.arg(2), t.arg(3), t.argInt(4)), 'fsppx'),
  exit: sys((t) => { t.kernel.scheduler.exitThread(t, t.argInt(0)); return 0; }, 'i'),
  exit_group: sys((t) => { t.kernel.scheduler.exitGroup(t.tg, (t.argInt(0) & 0xff) << 8); return 0; }, 'i'),
  wait4: sys(wait4, 'ipxp', RUSAGE_NOTE),
  waitid: sys(waitid, 'iipxp', RUSAGE_NOTE),
  getpgrp: sys((t) => t.tg.pgid),
  getpgid: sys((t) => { const g = groupOf(t, t.argInt(0)); return g ? g.pgid : -E.ESRCH; }, 'i'),
  getsid: sys((t) => { const g = groupOf(t, t.argInt(0)); return g ? g.sid : -E.ESRCH; }, 'i'),
  setpgid: sys(setpgid, 'ii'),
  setsid: sys(setsid),
  getrusage: sys(getrusage, 'ip', RUSAGE_NOTE),
  times: sys(times, 'p', 'user and system time are the host\'s for the stub threads (see getrusage)'),
  getpriority: sys(getpriority, 'ii'),
  setpriority: sys(setpriority, 'iii', 'nice values are kept but do not change scheduling'),
  sched_yield: sys(() => 0),
  prctl: sys(prctl, 'ixxxx', 'names, pdeathsig (kept, not acted on), dumpable, no_new_privs'),
};

