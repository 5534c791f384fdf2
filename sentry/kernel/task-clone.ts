// clone(2) in all its shapes: fork (new address space, memory copied),
// vfork and CLONE_VM (shared address space, own host process), threads
// (a new host thread in the same stub).
import { watchCpuLimit } from './cpu-limit.js';
import { RLIM_INFINITY, RLIMIT_NPROC } from './rlimits.js';
import { E } from '../../abi/linux/errno.js';
import { REG } from '../../abi/linux/ptrace.js';
import type { StubProcess } from '../../platform/ptrace/stub-process.js';
import type { AddressSpace } from '../mm/address-space.js';
import type { FsContext } from '../vfs/path-walk.js';
import { PidFdFile } from '../fsimpl/events/pidfd.js';
import { inheritSchedAttributes } from './sched-attributes.js';
import { Task } from './task.js';
import { ThreadGroup } from './thread-group.js';
import { WaitQueue } from './wait-queue.js';

export const CLONE_VM = 0x100;
export const CLONE_FS = 0x200;
export const CLONE_FILES = 0x400;
export const CLONE_SIGHAND = 0x800;
export const CLONE_PIDFD = 0x1000;
export const CLONE_PTRACE = 0x2000;
export const CLONE_VFORK = 0x4000;
export const CLONE_PARENT = 0x8000;
export const CLONE_THREAD = 0x10000;
export const CLONE_NEWNS = 0x20000;
export const CLONE_SYSVSEM = 0x40000;
export const CLONE_SETTLS = 0x80000;
export const CLONE_PARENT_SETTID = 0x100000;
export const CLONE_CHILD_CLEARTID = 0x200000;
export const CLONE_DETACHED = 0x400000;
export const CLONE_UNTRACED = 0x800000;
export const CLONE_CHILD_SETTID = 0x1000000;
export const CLONE_NEWCGROUP = 0x2000000;
export const CLONE_NEWUTS = 0x4000000;
export const CLONE_NEWIPC = 0x8000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;
export const CLONE_IO = 0x80000000;
const NAMESPACE_FLAGS = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

export interface CloneArgs {
  flags: number;
  /** The child's stack pointer, or 0 to keep the parent's. */
  stack: number;
  parentTid: number;
  childTid: number;
  tls: number;
  exitSignal: number;
  /** Where CLONE_PIDFD stores the child's pidfd (clone: parent_tid; clone3: args.pidfd). */
  pidfd?: number;
}

/** Vfork parents keep this across the rerun of their clone: the child's tid. */
interface VforkWait { childTid: number; done: WaitQueue }

/**
 * RLIMIT_NPROC: the caller's real user may not own more tasks (threads
 * count, as Linux counts every task) than its soft limit, unless it is root
 * or privileged (root holds every capability here).
 */
function overNprocLimit(t: Task): boolean {
  const limit = t.tg.rlimits[RLIMIT_NPROC].cur;
  if (limit === RLIM_INFINITY || t.creds.uid === 0 || t.creds.euid === 0) return false;
  let owned = 0n;
  for (const task of t.kernel.tasks.values()) if (task.creds.uid === t.creds.uid && task.state !== 'dead') owned++;
  return owned >= limit;
}

/** Creates the child. Returns its tid, BLOCKED (vfork parent waiting), or -errno. */
export function clone(t: Task, a: CloneArgs): number {
  const vfork = t.syscallState as VforkWait | null;
  if (vfork !== null) {
    // The rerun after the vfork child exec'd or exited.
    const child = t.kernel.threadGroups.get(vfork.childTid);
    if (child && child.alive && child.vforkDone === vfork.done) return t.block([vfork.done], -E.EINTR, false);
    return vfork.childTid;
  }
  const f = a.flags;
  if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND)) return -E.EINVAL;
  if ((f & CLONE_SIGHAND) && !(f & CLONE_VM)) return -E.EINVAL;
  if ((f & CLONE_FS) && (f & CLONE_NEWNS)) return -E.EINVAL;
  if ((f & CLONE_FS) && (f & CLONE_NEWUSER)) return -E.EINVAL; // a new user namespace cannot share root and cwd
  if ((f & CLONE_THREAD) && (f & CLONE_PARENT)) { /* allowed: sibling thread */ }
  if ((f & CLONE_PIDFD) && (f & (CLONE_THREAD | CLONE_DETACHED))) return -E.EINVAL;
  if (f & NAMESPACE_FLAGS) return -E.EPERM;
  if (a.exitSignal < 0 || a.exitSignal > 64) return -E.EINVAL;
  const kernel = t.kernel;
  if (overNprocLimit(t)) return -E.EAGAIN;
  const tid = kernel.allocatePid();
  if (tid < 0) return tid;

  let mm: AddressSpace;
  let thread;
  const stub = t.mm.backend as StubProcess;
  if (f & CLONE_VM) {
    stub.injector = t.thread;
    const th = stub.spawnThread((f & CLONE_THREAD) !== 0);
    if (typeof th === 'number') return -E.EAGAIN;
    thread = th;
    mm = t.mm;
    mm.users++;
  } else {
    const childStub = kernel.platform.newAddressSpace();
    const copy = t.mm.fork(childStub);
    if (typeof copy === 'number') { childStub.destroy(); return copy; }
    mm = copy;
    thread = childStub.mainThread;
  }

  const fdTable = f & CLONE_FILES ? (t.fdTable.incRef(), t.fdTable) : t.fdTable.fork();
  const fs: FsContext = f & CLONE_FS ? t.fs : { root: t.fs.root, cwd: t.fs.cwd };
  let tg: ThreadGroup;
  if (f & CLONE_THREAD) {
    tg = t.tg;
  } else {
    const parent = f & CLONE_PARENT ? t.tg.parent : t.tg;
    const handlers = f & CLONE_SIGHAND ? t.tg.handlers : t.tg.handlers.clone();
    tg = new ThreadGroup(tid, parent, handlers, t.tg.rlimits.map((l) => ({ ...l })), a.exitSignal);
    tg.pgid = t.tg.pgid;
    tg.sid = t.tg.sid;
    parent?.children.add(tg);
    kernel.threadGroups.set(tid, tg);
    watchCpuLimit(kernel, tg);
  }
  const child = new Task(kernel, tid, tg, mm, thread, fdTable, fs, t.creds.clone());
  tg.tasks.add(child);
  kernel.tasks.set(tid, child);
  child.regs.copyFrom(t.regs);
  child.regs.rax = 0;
  if (a.stack !== 0) child.regs.rsp = a.stack;
  if (f & CLONE_SETTLS) child.regs.set(REG.fs_base, a.tls);
  child.regsChanged = true;
  child.blocked = t.blocked;
  child.noNewPrivs = t.noNewPrivs;
  child.seccomp = { ...t.seccomp };
  child.umask = t.umask;
  child.exePath = t.exePath;
  child.comm = t.comm;
  child.cmdline = t.cmdline;
  child.environ = t.environ;
  // A new thread sharing the address space must not share the alternate stack (Linux clears it).
  child.altStack = (f & CLONE_VM) && !(f & CLONE_VFORK) ? { sp: 0, flags: 2, size: 0 } : { ...t.altStack };
  if (f & CLONE_CHILD_CLEARTID) child.clearChildTid = a.childTid;
  if (f & CLONE_PARENT_SETTID) t.mm.writeU32(a.parentTid, tid);
  if (f & CLONE_PIDFD) {
    const fd = t.fdTable.add(new PidFdFile(tg, 0), true);
    if (fd >= 0) t.mm.writeU32(a.pidfd ?? a.parentTid, fd);
  }
  if (f & CLONE_CHILD_SETTID) child.mm.writeU32(a.childTid, tid);
  inheritSchedAttributes(t, child, (f & CLONE_THREAD) === 0);
  kernel.scheduler.enqueue(child);

  if (f & CLONE_VFORK) {
    const done = new WaitQueue();
    tg.vforkDone = done;
    child.vforkParent = t;
    t.syscallState = { childTid: tid, done } satisfies VforkWait;
    // Not interruptible in Linux either (killable only): the parent waits for exec or exit.
    return t.block([done], -E.EINTR, false);
  }
  return tid;
}
