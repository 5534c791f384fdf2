// Event files: epoll, eventfd, timerfd, signalfd.
import { E } from '../abi/linux/errno.js';
import { O_CLOEXEC, O_NONBLOCK } from '../abi/linux/fcntl.js';
import { EpollFile, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLPRI, EPOLLERR, EPOLLHUP } from '../sentry/fsimpl/events/epoll.js';
import { EventFdFile } from '../sentry/fsimpl/events/eventfd.js';
import { SignalFdFile } from '../sentry/fsimpl/events/signalfd.js';
import { TimerFdFile } from '../sentry/fsimpl/events/timerfd.js';
import { InotifyFile } from '../sentry/fsimpl/events/inotify.js';
import { ALL_INOTIFY_BITS, IN_DONT_FOLLOW, IN_MASK_ADD, IN_MASK_CREATE, IN_ONLYDIR } from '../abi/linux/inotify.js';
import { R_OK } from '../abi/linux/fcntl.js';
import { S_IFDIR } from '../abi/linux/stat.js';
import { mayAccess } from '../sentry/vfs/ops.js';
import { resolvePath } from '../sentry/vfs/path-walk.js';
import { pathArg } from './args.js';
import { UNBLOCKABLE } from '../sentry/kernel/signal-state.js';
import type { Task } from '../sentry/kernel/task.js';
import { monotonicNs } from '../sentry/kernel/timers.js';
import { sys, type SyscallGroup } from './types.js';

const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
const EPOLL_EVENT_SIZE = 12; // packed on x86-64: u32 events, u64 data
const EP_MAX_EVENTS = 0x7fffffff / EPOLL_EVENT_SIZE;
const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7, CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9;
const TFD_TIMER_ABSTIME = 1, TFD_TIMER_CANCEL_ON_SET = 2;
const EFD_SEMAPHORE = 1;

function epollCreate(t: Task, flags: number): number {
  if (flags & ~O_CLOEXEC) return -E.EINVAL;
  return t.fdTable.add(new EpollFile(0), (flags & O_CLOEXEC) !== 0);
}

function epollCtl(t: Task): number {
  const epfd = t.argInt(0), op = t.argInt(1), fd = t.argInt(2), evAddr = t.arg(3);
  const ep = t.fdTable.get(epfd);
  const file = t.fdTable.get(fd);
  if (ep === null || file === null) return -E.EBADF;
  if (!(ep instanceof EpollFile) || ep === file) return -E.EINVAL;
  if (file.waitQueue(false) === null && file.waitQueue(true) === null && !(file instanceof EpollFile)) return -E.EPERM;
  let events = 0, data = 0n;
  if (op !== EPOLL_CTL_DEL) {
    const b = new Uint8Array(EPOLL_EVENT_SIZE);
    if (t.mm.copyInFull(evAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    events = dv.getUint32(0, true);
    data = dv.getBigUint64(4, true);
    if ((events & EPOLLEXCLUSIVE) && (events & ~(EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLRDHUP | EPOLLPRI))) return -E.EINVAL;
  }
  switch (op) {
    case EPOLL_CTL_ADD: return ep.add(fd, file, events, data);
    case EPOLL_CTL_MOD: return ep.modify(fd, file, events, data);
    case EPOLL_CTL_DEL: return ep.remove(fd, file);
    default: return -E.EINVAL;
  }
}

/** epoll_wait and friends; timeoutNs < 0 waits forever. */
function epollWait(t: Task, epfd: number, evAddr: number, max: number, timeoutNs: number, maskAddr: number, maskSize: number): number {
  if (max <= 0 || max > EP_MAX_EVENTS) return -E.EINVAL;
  const ep = t.fdTable.get(epfd);
  if (ep === null) return -E.EBADF;
  if (!(ep instanceof EpollFile)) return -E.EINVAL;
  if (maskAddr !== 0 && t.savedMask === null) {
    if (maskSize !== 8) return -E.EINVAL;
    const b = new Uint8Array(8);
    if (t.mm.copyInFull(maskAddr, b) < 0) return -E.EFAULT;
    t.savedMask = t.blocked;
    t.blocked = new DataView(b.buffer).getBigUint64(0, true) & ~UNBLOCKABLE;
  }
  const ready = ep.collect(max);
  const timedOut = t.wakeReason === 'timeout' || (timeoutNs >= 0 && t.syscallDeadline >= 0 && monotonicNs() >= t.syscallDeadline);
  if (ready.length === 0 && timeoutNs !== 0 && !timedOut) {
    if (timeoutNs > 0 && t.syscallDeadline < 0) t.syscallDeadline = monotonicNs() + timeoutNs;
    return t.block(ep.queues(), -E.EINTR);
  }
  if (t.savedMask !== null && maskAddr !== 0) { t.blocked = t.savedMask; t.savedMask = null; }
  if (ready.length === 0) return 0;
  const out = new Uint8Array(ready.length * EPOLL_EVENT_SIZE);
  const dv = new DataView(out.buffer);
  ready.forEach((r, i) => { dv.setUint32(i * EPOLL_EVENT_SIZE, r.events >>> 0, true); dv.setBigUint64(i * EPOLL_EVENT_SIZE + 4, r.data, true); });
  return t.mm.copyOutFull(evAddr, out) < 0 ? -E.EFAULT : ready.length;
}

function readTimespecNs(t: Task, addr: number): number | null {
  const b = new Uint8Array(16);
  if (t.mm.copyInFull(addr, b) < 0) return null;
  const dv = new DataView(b.buffer);
  const sec = Number(dv.getBigInt64(0, true)), nsec = Number(dv.getBigInt64(8, true));
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return -1;
  return sec * 1e9 + nsec;
}

function writeItimerspec(t: Task, addr: number, intervalNs: number, valueNs: number): number {
  const b = new Uint8Array(32), dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(intervalNs / 1e9)), true); dv.setBigInt64(8, BigInt(intervalNs % 1e9), true);
  dv.setBigInt64(16, BigInt(Math.floor(valueNs / 1e9)), true); dv.setBigInt64(24, BigInt(valueNs % 1e9), true);
  return t.mm.copyOutFull(addr, b);
}

function timerfdOf(t: Task, fd: number): TimerFdFile | number {
  const f = t.fdTable.get(fd);
  if (f === null) return -E.EBADF;
  return f instanceof TimerFdFile ? f : -E.EINVAL;
}

function timerfdSettime(t: Task): number {
  const tf = timerfdOf(t, t.argInt(0));
  if (typeof tf === 'number') return tf;
  const flags = t.argInt(1), newAddr = t.arg(2), oldAddr = t.arg(3);
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -E.EINVAL;
  const interval = readTimespecNs(t, newAddr), value = readTimespecNs(t, newAddr + 16);
  if (interval === null || value === null) return -E.EFAULT;
  if (interval < 0 || value < 0) return -E.EINVAL;
  if (oldAddr !== 0) {
    const cur = tf.get();
    if (writeItimerspec(t, oldAddr, cur.interval, cur.value) < 0) return -E.EFAULT;
  }
  let deadline = 0;
  if (value > 0) {
    if (flags & TFD_TIMER_ABSTIME) {
      const now = tf.clock === CLOCK_REALTIME || tf.clock === CLOCK_REALTIME_ALARM ? Date.now() * 1e6 : monotonicNs();
      deadline = monotonicNs() + Math.max(0, value - now) + 0;
      if (deadline === 0) deadline = 1;
    } else deadline = monotonicNs() + value;
  }
  tf.set(deadline, interval);
  return 0;
}

function signalfd(t: Task, fd: number, maskAddr: number, size: number, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -E.EINVAL;
  if (size !== 8) return -E.EINVAL;
  const b = new Uint8Array(8);
  if (t.mm.copyInFull(maskAddr, b) < 0) return -E.EFAULT;
  const mask = new DataView(b.buffer).getBigUint64(0, true) & ~UNBLOCKABLE;
  if (fd !== -1) {
    const f = t.fdTable.get(fd);
    if (f === null) return -E.EBADF;
    if (!(f instanceof SignalFdFile)) return -E.EINVAL;
    f.mask = mask;
    return fd;
  }
  return t.fdTable.add(new SignalFdFile(t.kernel, t, mask, flags & O_NONBLOCK), (flags & O_CLOEXEC) !== 0);
}

function inotifyInit(t: Task, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -E.EINVAL;
  return t.fdTable.add(new InotifyFile(flags & O_NONBLOCK), (flags & O_CLOEXEC) !== 0);
}

function inotifyOf(t: Task, fd: number): InotifyFile | number {
  const f = t.fdTable.get(fd);
  if (f === null) return -E.EBADF;
  return f instanceof InotifyFile ? f : -E.EINVAL;
}

/**
 * inotify_add_watch(2) in Linux's order: the mask's bits, the fd, the path
 * (with read permission), then the watch. A mask of flags alone is taken:
 * a watch that reports nothing.
 */
function inotifyAddWatch(t: Task): number {
  const mask = t.argU32(2);
  if ((mask & ALL_INOTIFY_BITS) === 0) return -E.EINVAL;
  const f = t.fdTable.get(t.argInt(0));
  if (f === null) return -E.EBADF;
  if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE)) return -E.EINVAL;
  if (!(f instanceof InotifyFile)) return -E.EINVAL;
  const path = pathArg(t, 1);
  if (typeof path === 'number') return path;
  const d = resolvePath(t.fs, t.fs.cwd, path, (mask & IN_DONT_FOLLOW) === 0, t.creds);
  if (typeof d === 'number') return d;
  if ((mask & IN_ONLYDIR) && d.inode.type !== S_IFDIR) return -E.ENOTDIR;
  const r = mayAccess(t.creds, d.inode, R_OK);
  if (r < 0) return r;
  return f.watch(d.inode, mask);
}

export const eventSyscalls: SyscallGroup = {
  epoll_create: sys((t) => (t.argInt(0) <= 0 ? -E.EINVAL : epollCreate(t, 0)), 'i'),
  epoll_create1: sys((t) => epollCreate(t, t.argInt(0)), 'x'),
  epoll_ctl: sys(epollCtl, 'fifp'),
  epoll_wait: sys((t) => epollWait(t, t.argInt(0), t.arg(1), t.argInt(2), t.argInt(3) < 0 ? -1 : t.argInt(3) * 1e6, 0, 0), 'fpii',
    'edge-triggered items report again after any wake of their file; EPOLLEXCLUSIVE wakes every waiter'),
  epoll_pwait: sys((t) => epollWait(t, t.argInt(0), t.arg(1), t.argInt(2), t.argInt(3) < 0 ? -1 : t.argInt(3) * 1e6, t.arg(4), t.arg(5)), 'fpiipu',
    'edge-triggered items report again after any wake of their file; EPOLLEXCLUSIVE wakes every waiter'),
  epoll_pwait2: sys((t) => {
    let ns = -1;
    if (t.arg(3) !== 0 && t.syscallDeadline < 0) {
      const v = readTimespecNs(t, t.arg(3));
      if (v === null) return -E.EFAULT;
      if (v < 0) return -E.EINVAL;
      ns = v;
    } else if (t.syscallDeadline >= 0) ns = 1;
    return epollWait(t, t.argInt(0), t.arg(1), t.argInt(2), ns, t.arg(4), t.arg(5));
  }, 'fpippu', 'edge-triggered items report again after any wake of their file'),
  eventfd: sys((t) => t.fdTable.add(new EventFdFile(BigInt(t.argU32(0)), false, 0), false), 'u'),
  eventfd2: sys((t) => {
    const flags = t.argInt(1);
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE)) return -E.EINVAL;
    return t.fdTable.add(new EventFdFile(BigInt(t.argU32(0)), (flags & EFD_SEMAPHORE) !== 0, flags & O_NONBLOCK), (flags & O_CLOEXEC) !== 0);
  }, 'ux'),
  timerfd_create: sys((t) => {
    const clock = t.argInt(0), flags = t.argInt(1);
    if (![CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM].includes(clock)) return -E.EINVAL;
    if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -E.EINVAL;
    return t.fdTable.add(new TimerFdFile(t.kernel, clock, flags & O_NONBLOCK), (flags & O_CLOEXEC) !== 0);
  }, 'ix'),
  timerfd_settime: sys(timerfdSettime, 'fxpp', 'TFD_TIMER_CANCEL_ON_SET is accepted; the clock is never set, so it never cancels'),
  timerfd_gettime: sys((t) => {
    const tf = timerfdOf(t, t.argInt(0));
    if (typeof tf === 'number') return tf;
    const cur = tf.get();
    return writeItimerspec(t, t.arg(1), cur.interval, cur.value);
  }, 'fp'),
  inotify_init: sys((t) => inotifyInit(t, 0), ''),
  inotify_init1: sys((t) => inotifyInit(t, t.argInt(0)), 'x'),
  inotify_add_watch: sys(inotifyAddWatch, 'fsx',
    'watches see what the sandbox does: changes the host makes to Gofer files outside it are not seen; '
    + 'sendfile, splice, copy_file_range, mmap writes and execve report no IN_ACCESS/IN_MODIFY/IN_OPEN'),
  inotify_rm_watch: sys((t) => {
    const f = inotifyOf(t, t.argInt(0));
    return typeof f === 'number' ? f : f.unwatch(t.argInt(1));
  }, 'fi'),
  signalfd: sys((t) => signalfd(t, t.argInt(0), t.arg(1), t.arg(2), 0), 'fpu'),
  signalfd4: sys((t) => signalfd(t, t.argInt(0), t.arg(1), t.arg(2), t.argInt(3)), 'fpux'),
};

