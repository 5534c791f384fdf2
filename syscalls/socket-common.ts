// What the socket syscalls share: finding the socket behind an fd, the
// caller's credentials as sockets see them, socket addresses in and out of
// application memory, finding the socket an address names, and waiting
// with SO_RCVTIMEO/SO_SNDTIMEO.
import { E, ERESTARTSYS } from '../abi/linux/errno.js';
import { W_OK } from '../abi/linux/fcntl.js';
import { SOCKADDR_STORAGE_SIZE } from '../abi/linux/socket.js';
import { S_IFSOCK } from '../abi/linux/stat.js';
import type { Kernel } from '../sentry/kernel/kernel.js';
import type { Task } from '../sentry/kernel/task.js';
import { monotonicNs } from '../sentry/kernel/timers.js';
import type { WaitQueue } from '../sentry/kernel/wait-queue.js';
import { parseUnixAddress, type ParsedAddress } from '../sentry/fsimpl/unix/address.js';
import type { Ucred } from '../sentry/fsimpl/unix/message.js';
import { UnixNet, UnixSocket, type Creator } from '../sentry/fsimpl/unix/socket.js';
import { mayAccess } from '../sentry/vfs/ops.js';
import { resolvePath } from '../sentry/vfs/path-walk.js';

const nets = new WeakMap<Kernel, UnixNet>();

/** The sandbox's AF_UNIX state (its abstract namespace and bound inodes). */
export function unixNetOf(k: Kernel): UnixNet {
  let n = nets.get(k);
  if (n === undefined) { n = new UnixNet(); nets.set(k, n); }
  return n;
}

/** sockfd_lookup: EBADF for no file, ENOTSOCK for a file that is not a socket. */
export function socketOf(t: Task, fd: number): UnixSocket | number {
  const f = t.fdTable.get(fd);
  if (f === null) return -E.EBADF;
  return f instanceof UnixSocket ? f : -E.ENOTSOCK;
}

/** SO_PEERCRED's view of the caller: its effective ids (init_peercred). */
export function peerCredOf(t: Task): Ucred { return { pid: t.tgid, uid: t.creds.euid, gid: t.creds.egid }; }

/** What a message carries by default (scm_send): the real ids. */
export function sendCredOf(t: Task): Ucred { return { pid: t.tgid, uid: t.creds.uid, gid: t.creds.gid }; }

export function creatorOf(t: Task): Creator {
  return { pid: t.tgid, euid: t.creds.euid, egid: t.creds.egid, fsuid: t.creds.fsuid, fsgid: t.creds.fsgid };
}

/** move_addr_to_kernel: EINVAL for a length out of range, EFAULT for unreadable memory. */
export function readSockaddr(t: Task, addr: number, len: number): Uint8Array | number {
  if (len < 0 || len > SOCKADDR_STORAGE_SIZE) return -E.EINVAL;
  const b = new Uint8Array(len);
  if (len > 0 && t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
  return b;
}

/** A sockaddr argument parsed as an AF_UNIX address. */
export function unixSockaddrArg(t: Task, addr: number, len: number): ParsedAddress | number {
  const raw = readSockaddr(t, addr, len);
  if (typeof raw === 'number') return raw;
  return parseUnixAddress(raw);
}

/**
 * move_addr_to_user: copies at most *lenAddr bytes of sa to addr and
 * stores sa's full length in *lenAddr. Nothing happens for a null addr.
 */
export function writeSockaddr(t: Task, addr: number, lenAddr: number, sa: Uint8Array): number {
  if (addr === 0) return 0;
  const len = t.mm.readU32(lenAddr);
  if (len === null) return -E.EFAULT;
  if ((len | 0) < 0) return -E.EINVAL;
  const n = Math.min(len, sa.length);
  if (n > 0 && t.mm.copyOutFull(addr, sa.subarray(0, n)) < 0) return -E.EFAULT;
  return t.mm.writeU32(lenAddr, sa.length) < 0 ? -E.EFAULT : 0;
}

/**
 * unix_find_other: the socket an address names, of the caller's type. A
 * path must lead to a socket inode someone in the sandbox bound (never a
 * host socket): ECONNREFUSED otherwise, EPROTOTYPE for another type.
 */
export function findUnixSocket(t: Task, parsed: ParsedAddress, type: number): UnixSocket | number {
  const net = unixNetOf(t.kernel);
  if (parsed.kind === 'abstract') return net.abstract.lookup(type, parsed.key) ?? -E.ECONNREFUSED;
  const d = resolvePath(t.fs, t.fs.cwd, parsed.path, true, t.creds);
  if (typeof d === 'number') return d;
  const access = mayAccess(t.creds, d.inode, W_OK);
  if (access < 0) return access;
  if (d.inode.type !== S_IFSOCK) return -E.ECONNREFUSED;
  const s = net.byInode.get(d.inode);
  if (s === undefined || s.dead) return -E.ECONNREFUSED;
  return s.type === type ? s : -E.EPROTOTYPE;
}

/**
 * Waits for a socket operation that answered EAGAIN. timeoutNs is the
 * socket's timeout (-1 forever, 0 do not wait: non-blocking or
 * MSG_DONTWAIT). progress is what the call already did: a timeout or a
 * signal then ends it with that count. Linux's sock_intr_errno: a signal
 * restarts a call without a timeout and interrupts one with (EINTR).
 */
export function socketWait(t: Task, queues: WaitQueue[], timeoutNs: number, progress = 0): number {
  const done = progress > 0 ? progress : -E.EAGAIN;
  if (timeoutNs === 0) return done;
  if (timeoutNs > 0) {
    if (t.syscallDeadline < 0) t.syscallDeadline = monotonicNs() + timeoutNs;
    else if (t.wakeReason === 'timeout' || monotonicNs() >= t.syscallDeadline) return done;
  }
  if (progress > 0) t.onInterrupt = () => { t.regs.rax = progress; };
  return t.block(queues, timeoutNs > 0 ? -E.EINTR : -ERESTARTSYS);
}
