// POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
// mq_notify (SIGEV_NONE and SIGEV_SIGNAL), mq_getsetattr. Queues live in
// the sandbox's IPC namespace (sentry/kernel/ipc/mqueue.ts); the fd is
// pollable. glibc strips the leading '/' before the call.
import { E } from '../abi/linux/errno.js';
import { O_ACCMODE, O_CREAT, O_EXCL, O_NONBLOCK, O_RDWR } from '../abi/linux/fcntl.js';
import { encodeSiginfo } from '../abi/linux/siginfo.js';
import { ipcOf } from '../sentry/kernel/ipc/namespace.js';
import {
  HARD_MSGMAX, HARD_MSGSIZEMAX, MessageQueue, MQ_MSG_DEFAULT, MQ_MSG_MAX, MQ_MSGSIZE_DEFAULT, MQ_MSGSIZE_MAX, MQ_PRIO_MAX, MqueueFile,
} from '../sentry/kernel/ipc/mqueue.js';
import { ipcPermits, type IpcPerm } from '../sentry/kernel/ipc/registry.js';
import { sendToGroup } from '../sentry/kernel/signals.js';
import { NSIG } from '../sentry/kernel/signal-state.js';
import type { Task } from '../sentry/kernel/task.js';
import { monotonicNs } from '../sentry/kernel/timers.js';
import { sys, type SyscallGroup } from './types.js';

const MQ_ATTR_SIZE = 64;
const NAME_MAX = 255;
const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2;
const SI_MESGQ = -3;

/** The mode bits of a queue as an ipc_perm, to reuse ipcperms. */
function permOf(q: MessageQueue): IpcPerm {
  return { key: 0, uid: q.uid, gid: q.gid, cuid: q.uid, cgid: q.gid, mode: q.mode, seq: 0 };
}

function readName(t: Task, addr: number): string | number {
  const name = t.mm.readCString(addr, NAME_MAX + 1);
  if (typeof name === 'number') return name;
  if (name.length > NAME_MAX) return -E.ENAMETOOLONG;
  if (name === '') return -E.ENOENT;
  if (name.includes('/')) return -E.EACCES;
  return name;
}

function mqOpen(t: Task): number {
  const flags = t.argInt(1), mode = t.argInt(2), attrAddr = t.arg(3);
  const name = readName(t, t.arg(0));
  if (typeof name === 'number') return name;
  if ((flags & O_ACCMODE) === O_ACCMODE) return -E.EINVAL;
  const queues = ipcOf(t.kernel).mqueues.queues;
  let q = queues.get(name);
  if (q === undefined) {
    if (!(flags & O_CREAT)) return -E.ENOENT;
    let maxMsg = MQ_MSG_DEFAULT, msgSize = MQ_MSGSIZE_DEFAULT;
    if (attrAddr !== 0) {
      const b = new Uint8Array(MQ_ATTR_SIZE);
      if (t.mm.copyInFull(attrAddr, b) < 0) return -E.EFAULT;
      const dv = new DataView(b.buffer);
      const m = Number(dv.getBigInt64(8, true)), s = Number(dv.getBigInt64(16, true));
      if (m <= 0 || s <= 0) return -E.EINVAL;
      // Beyond the sysctl limits only with CAP_SYS_RESOURCE, and never beyond the hard ones.
      const root = t.creds.euid === 0;
      if (m > (root ? HARD_MSGMAX : MQ_MSG_MAX) || s > (root ? HARD_MSGSIZEMAX : MQ_MSGSIZE_MAX)) return -E.EINVAL;
      maxMsg = m; msgSize = s;
    }
    q = new MessageQueue(name, mode & ~t.umask & 0o777, t.creds.euid, t.creds.egid, maxMsg, msgSize);
    queues.set(name, q);
  } else {
    if ((flags & O_CREAT) && (flags & O_EXCL)) return -E.EEXIST;
    const acc = flags & O_ACCMODE;
    const want = acc === O_RDWR ? 0o6 : acc === 0 ? 0o4 : 0o2;
    if (!ipcPermits(permOf(q), t.creds, want)) return -E.EACCES;
  }
  // Linux makes every queue fd close-on-exec, whether O_CLOEXEC was asked for or not.
  return t.fdTable.add(new MqueueFile(q, flags & (O_ACCMODE | O_NONBLOCK)), true);
}

function mqUnlink(t: Task): number {
  const name = readName(t, t.arg(0));
  if (typeof name === 'number') return name;
  const queues = ipcOf(t.kernel).mqueues.queues;
  const q = queues.get(name);
  if (q === undefined) return -E.ENOENT;
  // The mqueue directory is sticky: only the owner (or root) removes a queue.
  if (t.creds.euid !== 0 && t.creds.euid !== q.uid) return -E.EACCES;
  queues.delete(name);
  return 0;
}

function queueOf(t: Task, fd: number): MqueueFile | number {
  const f = t.fdTable.get(fd);
  return f instanceof MqueueFile ? f : -E.EBADF;
}

/** An absolute CLOCK_REALTIME timeout becomes the syscall's monotonic deadline. */
function setDeadline(t: Task, addr: number): number {
  if (addr === 0 || t.syscallDeadline >= 0) return 0;
  const b = new Uint8Array(16);
  if (t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
  const dv = new DataView(b.buffer);
  const sec = Number(dv.getBigInt64(0, true)), nsec = Number(dv.getBigInt64(8, true));
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
  t.syscallDeadline = monotonicNs() + Math.max(0, sec * 1e9 + nsec - Date.now() * 1e6);
  return 0;
}

function timedOut(t: Task): boolean {
  return t.wakeReason === 'timeout' || (t.syscallDeadline >= 0 && monotonicNs() >= t.syscallDeadline);
}

function mqTimedsend(t: Task): number {
  const fd = t.argInt(0), addr = t.arg(1), len = t.arg(2), prio = t.argU32(3), timeout = t.arg(4);
  if (prio >= MQ_PRIO_MAX) return -E.EINVAL;
  const d = setDeadline(t, timeout);
  if (d < 0) return d;
  const f = queueOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.canSend) return -E.EBADF;
  const q = f.queue;
  if (len > q.msgSize) return -E.EMSGSIZE;
  if (q.messages.length >= q.maxMsg) {
    if (f.flags & O_NONBLOCK) return -E.EAGAIN;
    if (timedOut(t)) return -E.ETIMEDOUT;
    return t.block([q.waiters], -E.EINTR);
  }
  const data = new Uint8Array(len);
  if (t.mm.copyInFull(addr, data) < 0) return -E.EFAULT;
  const wasEmpty = q.messages.length === 0;
  q.push({ prio, data });
  // mq_notify fires when a message reaches an empty queue that no one is waiting on.
  const n = q.notify;
  if (n !== null && wasEmpty && !q.waiters.tasks().some((w) => w !== t)) {
    q.notify = null;
    if (n.signo !== 0) {
      const info = encodeSiginfo({ signo: n.signo, code: SI_MESGQ, pid: t.tgid, uid: t.creds.uid, value: n.value });
      sendToGroup(n.tg, n.signo, info);
    }
  }
  return 0;
}

function mqTimedreceive(t: Task): number {
  const fd = t.argInt(0), addr = t.arg(1), len = t.arg(2), prioAddr = t.arg(3), timeout = t.arg(4);
  const d = setDeadline(t, timeout);
  if (d < 0) return d;
  const f = queueOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.canReceive) return -E.EBADF;
  const q = f.queue;
  if (len < q.msgSize) return -E.EMSGSIZE;
  if (q.messages.length === 0) {
    if (f.flags & O_NONBLOCK) return -E.EAGAIN;
    if (timedOut(t)) return -E.ETIMEDOUT;
    return t.block([q.waiters], -E.EINTR);
  }
  const m = q.messages[0];
  if (t.mm.copyOutFull(addr, m.data) < 0) return -E.EFAULT;
  if (prioAddr !== 0 && t.mm.writeU32(prioAddr, m.prio) < 0) return -E.EFAULT;
  q.shift();
  return m.data.length;
}

function mqNotify(t: Task): number {
  const fd = t.argInt(0), sevAddr = t.arg(1);
  let signo = 0, value = 0n, notifyKind = -1;
  if (sevAddr !== 0) {
    const b = new Uint8Array(64);
    if (t.mm.copyInFull(sevAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    value = dv.getBigUint64(0, true);
    signo = dv.getInt32(8, true);
    notifyKind = dv.getInt32(12, true);
    if (notifyKind !== SIGEV_NONE && notifyKind !== SIGEV_SIGNAL && notifyKind !== SIGEV_THREAD) return -E.EINVAL;
    if (notifyKind === SIGEV_SIGNAL && (signo <= 0 || signo > NSIG)) return -E.EINVAL;
    // SIGEV_THREAD is a netlink socket in Linux, which the sandbox does not have.
    if (notifyKind === SIGEV_THREAD) return -E.EINVAL;
    if (notifyKind === SIGEV_NONE) signo = 0;
  }
  const f = queueOf(t, fd);
  if (typeof f === 'number') return f;
  const q = f.queue;
  if (sevAddr === 0) {
    if (q.notify !== null && q.notify.tg === t.tg) q.notify = null;
    return 0;
  }
  if (q.notify !== null && q.notify.tg.alive) return -E.EBUSY;
  q.notify = { tg: t.tg, signo, value };
  return 0;
}

function mqGetsetattr(t: Task): number {
  const fd = t.argInt(0), newAddr = t.arg(1), oldAddr = t.arg(2);
  let newFlags: number | null = null;
  if (newAddr !== 0) {
    const b = new Uint8Array(MQ_ATTR_SIZE);
    if (t.mm.copyInFull(newAddr, b) < 0) return -E.EFAULT;
    newFlags = Number(new DataView(b.buffer).getBigInt64(0, true));
    if (newFlags & ~O_NONBLOCK) return -E.EINVAL;
  }
  const f = queueOf(t, fd);
  if (typeof f === 'number') return f;
  const q = f.queue;
  if (oldAddr !== 0) {
    const b = new Uint8Array(MQ_ATTR_SIZE), dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(f.flags & O_NONBLOCK), true);
    dv.setBigInt64(8, BigInt(q.maxMsg), true);
    dv.setBigInt64(16, BigInt(q.msgSize), true);
    dv.setBigInt64(24, BigInt(q.messages.length), true);
    if (t.mm.copyOutFull(oldAddr, b) < 0) return -E.EFAULT;
  }
  if (newFlags !== null) f.flags = (f.flags & ~O_NONBLOCK) | newFlags;
  return 0;
}

export const mqueueSyscalls: SyscallGroup = {
  mq_open: sys(mqOpen, 'sxop'),
  mq_unlink: sys(mqUnlink, 's'),
  mq_timedsend: sys(mqTimedsend, 'fpuup'),
  mq_timedreceive: sys(mqTimedreceive, 'fpupp'),
  mq_notify: sys(mqNotify, 'fp', 'SIGEV_NONE and SIGEV_SIGNAL; SIGEV_THREAD (a netlink socket in Linux) is EINVAL'),
  mq_getsetattr: sys(mqGetsetattr, 'fpp'),
};
