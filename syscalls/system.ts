// System-wide and per-process odds and ends: sysinfo, the UTS names,
// syslog, personality, vhangup, close_range, unshare, chroot, kcmp,
// restart_syscall; and the syscalls left out on purpose, with the reason.
import { E } from '../abi/linux/errno.js';
import { X_OK } from '../abi/linux/fcntl.js';
import { S_IFDIR } from '../abi/linux/stat.js';
import { __NEW_UTS_LEN } from '../abi/linux/utsname.js';
import { memoryUsage } from '../sentry/kernel/memory-usage.js';
import { permissionOf } from '../sentry/kernel/permissions.js';
import { schedOf } from '../sentry/kernel/sched-attributes.js';
import {
  CLONE_FILES, CLONE_FS, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS,
  CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM,
} from '../sentry/kernel/task-clone.js';
import { ERESTARTSYS } from '../abi/linux/errno.js';
import type { Task } from '../sentry/kernel/task.js';
import { WaitQueue } from '../sentry/kernel/wait-queue.js';
import { resolvePath } from '../sentry/vfs/path-walk.js';
import { pathArg } from './args.js';
import { unshareSemUndo } from '../sentry/kernel/ipc/sem.js';
import { enosys, sys, type SyscallGroup } from './types.js';

// ---- sysinfo ----

const SYSINFO_SIZE = 112;

function sysinfo(t: Task): number {
  const k = t.kernel;
  const m = memoryUsage(k);
  const b = new Uint8Array(SYSINFO_SIZE), dv = new DataView(b.buffer);
  const uptime = Math.floor(Number(process.hrtime.bigint() - k.startNs) / 1e9);
  dv.setBigInt64(0, BigInt(uptime), true);
  // loads[3] (8..31) stay 0, as /proc/loadavg reports; sharedram, bufferram, swap: none.
  dv.setBigUint64(32, BigInt(m.totalBytes), true);
  dv.setBigUint64(40, BigInt(m.freeBytes), true);
  dv.setUint16(80, Math.min(k.tasks.size, 0xffff), true);
  dv.setUint32(104, 1, true); // mem_unit: sizes are in bytes
  return t.mm.copyOutFull(t.arg(0), b) < 0 ? -E.EFAULT : 0;
}

// ---- UTS names ----

/** sethostname / setdomainname: CAP_SYS_ADMIN, at most 64 bytes (NULs included, as Linux stores them). */
function setUtsName(t: Task, field: 'hostname' | 'domainname'): number {
  const addr = t.arg(0), len = t.argInt(1);
  if (t.creds.euid !== 0) return -E.EPERM;
  if (len < 0 || len > __NEW_UTS_LEN) return -E.EINVAL;
  const raw = new Uint8Array(len);
  if (t.mm.copyInFull(addr, raw) < 0) return -E.EFAULT;
  const nul = raw.indexOf(0);
  t.kernel[field] = Buffer.from(raw.subarray(0, nul < 0 ? len : nul)).toString('latin1');
  return 0;
}

// ---- syslog ----

const SYSLOG_ACTION_CLOSE = 0, SYSLOG_ACTION_OPEN = 1, SYSLOG_ACTION_READ = 2, SYSLOG_ACTION_READ_ALL = 3,
  SYSLOG_ACTION_READ_CLEAR = 4, SYSLOG_ACTION_CLEAR = 5, SYSLOG_ACTION_CONSOLE_OFF = 6, SYSLOG_ACTION_CONSOLE_ON = 7,
  SYSLOG_ACTION_CONSOLE_LEVEL = 8, SYSLOG_ACTION_SIZE_UNREAD = 9, SYSLOG_ACTION_SIZE_BUFFER = 10;

/** Nothing is ever logged, so a SYSLOG_ACTION_READ waits here for a signal. */
const noMessages = new WaitQueue();

/** The sandbox's kernel log, which stays empty (as gVisor's does, less its jokes). */
function syslog(t: Task): number {
  const type = t.argInt(0), buf = t.arg(1), len = t.argInt(2);
  // dmesg_restrict: reading and changing the log need CAP_SYSLOG; CLOSE, OPEN and SIZE_BUFFER do not.
  const open = type === SYSLOG_ACTION_CLOSE || type === SYSLOG_ACTION_OPEN || type === SYSLOG_ACTION_SIZE_BUFFER;
  if (type < 0 || type > SYSLOG_ACTION_SIZE_BUFFER) return -E.EINVAL;
  if (!open && t.creds.euid !== 0) return -E.EPERM;
  switch (type) {
    case SYSLOG_ACTION_READ:
      if (buf === 0 || len < 0) return -E.EINVAL;
      if (len === 0) return 0;
      return t.block([noMessages], -ERESTARTSYS);
    case SYSLOG_ACTION_READ_ALL: case SYSLOG_ACTION_READ_CLEAR:
      if (buf === 0 || len < 0) return -E.EINVAL;
      return 0;
    case SYSLOG_ACTION_CONSOLE_LEVEL:
      if (len < 1 || len > 8) return -E.EINVAL;
      return 0;
    case SYSLOG_ACTION_SIZE_UNREAD: return 0;
    case SYSLOG_ACTION_SIZE_BUFFER: return 0;
    case SYSLOG_ACTION_CLOSE: case SYSLOG_ACTION_OPEN: case SYSLOG_ACTION_CLEAR:
    case SYSLOG_ACTION_CONSOLE_OFF: case SYSLOG_ACTION_CONSOLE_ON:
      return 0;
    default: return -E.EINVAL;
  }
}

// ---- personality ----

function personality(t: Task): number {
  const next = t.argU32(0);
  const a = schedOf(t);
  const old = a.personality;
  if (next !== 0xffffffff) a.personality = next;
  return old;
}

// ---- close_range ----

const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;

/** Gives t a private copy of its fd table if it shares one (CLONE_FILES). */
function unshareFiles(t: Task): void {
  if (!t.fdTable.shared) return;
  const own = t.fdTable.fork();
  t.fdTable.decRef();
  t.fdTable = own;
}

function closeRange(t: Task): number {
  const first = t.argU32(0), last = t.argU32(1), flags = t.argU32(2);
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) return -E.EINVAL;
  if (first > last) return -E.EINVAL;
  if (flags & CLOSE_RANGE_UNSHARE) unshareFiles(t);
  for (const fd of t.fdTable.fds()) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) t.fdTable.setCloexec(fd, true);
    else t.fdTable.close(fd);
  }
  return 0;
}

// ---- unshare ----

const UNSHARE_KNOWN = CLONE_THREAD | CLONE_FS | CLONE_NEWNS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES | CLONE_SYSVSEM
  | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWCGROUP | 0x80 /* CLONE_NEWTIME */;
const NAMESPACES = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWCGROUP | 0x80;

/**
 * unshare(2). The sandbox is one set of namespaces, so asking for a new
 * one is EINVAL, as from a kernel built without namespace support; the
 * rest (files, fs, SysV undo; thread, VM and signal handlers when not
 * shared) is done.
 */
function unshare(t: Task): number {
  let flags = t.argU32(0);
  if (flags & CLONE_NEWUSER) flags |= CLONE_THREAD | CLONE_FS;
  if (flags & CLONE_VM) flags |= CLONE_SIGHAND;
  if (flags & CLONE_SIGHAND) flags |= CLONE_THREAD;
  if (flags & CLONE_NEWNS) flags |= CLONE_FS;
  if (flags & ~UNSHARE_KNOWN) return -E.EINVAL;
  if ((flags & CLONE_THREAD) && t.tg.tasks.size > 1) return -E.EINVAL;
  if ((flags & CLONE_SIGHAND) && t.tg.tasks.size > 1) return -E.EINVAL;
  if ((flags & CLONE_VM) && t.mm.users > 1) return -E.EINVAL;
  if (flags & NAMESPACES) return -E.EINVAL;
  if (flags & CLONE_FS) t.fs = { root: t.fs.root, cwd: t.fs.cwd };
  if (flags & CLONE_FILES) unshareFiles(t);
  if (flags & CLONE_SYSVSEM) unshareSemUndo(t);
  return 0;
}

// ---- chroot ----

function chroot(t: Task): number {
  const path = pathArg(t, 0);
  if (typeof path === 'number') return path;
  const d = resolvePath(t.fs, t.fs.cwd, path, true, t.creds);
  if (typeof d === 'number') return d;
  if (d.inode.type !== S_IFDIR) return -E.ENOTDIR;
  const st = d.inode.stat();
  if (typeof st === 'number') return st;
  const r = permissionOf(st, t.creds.fsuid, t.creds.fsgid, t.creds.groups, X_OK);
  if (r < 0) return r;
  if (t.creds.euid !== 0) return -E.EPERM; // CAP_SYS_CHROOT
  // Shared with CLONE_FS threads, as Linux's fs_struct is; the cwd may stay outside, as in Linux.
  t.fs.root = d;
  return 0;
}

// ---- kcmp ----

const KCMP_FILE = 0, KCMP_VM = 1, KCMP_FILES = 2, KCMP_FS = 3, KCMP_SIGHAND = 4, KCMP_IO = 5, KCMP_SYSVSEM = 6, KCMP_EPOLL_TFD = 7;

/** A stable number per kernel object, for kcmp's ordering (Linux orders obfuscated pointers). */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;
function idOf(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) { id = nextObjectId++; objectIds.set(o, id); }
  return id;
}

function kcmp(t: Task): number {
  const pid1 = t.argInt(0), pid2 = t.argInt(1), type = t.argInt(2), idx1 = t.arg(3), idx2 = t.arg(4);
  const t1 = t.kernel.tasks.get(pid1), t2 = t.kernel.tasks.get(pid2);
  if (t1 === undefined || t2 === undefined || t1.state === 'dead' || t2.state === 'dead') return -E.ESRCH;
  // PTRACE_MODE_READ on both: root, or the same uid.
  for (const x of [t1, t2]) if (t.creds.euid !== 0 && (x.creds.uid !== t.creds.uid || x.creds.euid !== t.creds.euid)) return -E.EPERM;
  let a: object, b: object;
  switch (type) {
    case KCMP_FILE: {
      const f1 = t1.fdTable.get(idx1 > 0x7fffffff ? -1 : idx1), f2 = t2.fdTable.get(idx2 > 0x7fffffff ? -1 : idx2);
      if (f1 === null || f2 === null) return -E.EBADF;
      a = f1; b = f2; break;
    }
    case KCMP_VM: a = t1.mm; b = t2.mm; break;
    case KCMP_FILES: a = t1.fdTable; b = t2.fdTable; break;
    case KCMP_FS: a = t1.fs; b = t2.fs; break;
    case KCMP_SIGHAND: a = t1.tg.handlers; b = t2.tg.handlers; break;
    // SysV undo lists are per process here (CLONE_SYSVSEM is not shared across processes).
    case KCMP_SYSVSEM: a = t1.tg; b = t2.tg; break;
    case KCMP_IO: case KCMP_EPOLL_TFD: return -E.EOPNOTSUPP;
    default: return -E.EINVAL;
  }
  const x = idOf(a), y = idOf(b);
  return x === y ? 0 : x < y ? 1 : 2;
}

export const systemSyscalls: SyscallGroup = {
  sysinfo: sys(sysinfo, 'p', 'load averages, shared, buffer and swap memory are 0; memory is the MemoryFile\'s use against the host\'s (or cgroup\'s) total'),
  sethostname: sys((t) => setUtsName(t, 'hostname'), 'pi'),
  setdomainname: sys((t) => setUtsName(t, 'domainname'), 'pi'),
  syslog: sys(syslog, 'ipi', 'the log is empty: reads return 0 bytes (SYSLOG_ACTION_READ waits for a signal), sizes are 0'),
  personality: sys(personality, 'x', 'the value is kept and reported; ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC and the rest change nothing'),
  vhangup: sys((t) => (t.creds.euid === 0 ? 0 : -E.EPERM), '', 'the controlling terminal is not hung up'),
  close_range: sys(closeRange, 'uux'),
  unshare: sys(unshare, 'x', 'new namespaces are EINVAL (one set of namespaces per sandbox); CLONE_FILES, CLONE_FS, CLONE_SYSVSEM work'),
  chroot: sys(chroot, 's'),
  kcmp: sys(kcmp, 'iiiuu', 'KCMP_IO and KCMP_EPOLL_TFD are EOPNOTSUPP'),
  // No restart block is ever left for it: the Sentry restarts interrupted sleeps itself.
  restart_syscall: sys(() => -E.EINTR),
  set_thread_area: enosys('32-bit TLS descriptors: 64-bit programs use arch_prctl(ARCH_SET_FS)'),
  get_thread_area: enosys('32-bit TLS descriptors: 64-bit programs use arch_prctl(ARCH_GET_FS)'),
  io_setup: enosys('Linux AIO is not provided (as in gVisor\'s default); libaio users fall back to threads'),
  io_destroy: enosys('Linux AIO is not provided; see io_setup'),
  io_submit: enosys('Linux AIO is not provided; see io_setup'),
  io_cancel: enosys('Linux AIO is not provided; see io_setup'),
  io_getevents: enosys('Linux AIO is not provided; see io_setup'),
  io_pgetevents: enosys('Linux AIO is not provided; see io_setup'),
  io_uring_setup: enosys('io_uring is not provided (as in gVisor by default); liburing users fall back to epoll'),
  io_uring_enter: enosys('io_uring is not provided; see io_uring_setup'),
  io_uring_register: enosys('io_uring is not provided; see io_uring_setup'),
  rseq: enosys('restartable sequences: glibc falls back to getcpu when registration fails'),
};
