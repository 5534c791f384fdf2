// Sockets, for now: connected AF_UNIX stream pairs (socketpair) and the
// send/recv family on them. socket(2) answers EAFNOSUPPORT until the network
// stack and named AF_UNIX sockets arrive (issues 5 and the network one).
import { E } from '../abi/linux/errno.js';
import { O_NONBLOCK } from '../abi/linux/fcntl.js';
import { UnixStreamSocket, newStreamPair } from '../sentry/fsimpl/unix/stream-pair.js';
import type { Task } from '../sentry/kernel/task.js';
import { blockIfAgain, writeResult } from './blocking-io.js';
import { readIovecs } from './args.js';
import { sys, type SyscallGroup } from './types.js';

const AF_UNIX = 1;
const SOCK_STREAM = 1, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const MSG_PEEK = 0x2, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
const SOL_SOCKET = 1;
const SO_TYPE = 3, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_DOMAIN = 39, SO_ACCEPTCONN = 30, SO_PROTOCOL = 38;

function socketOf(t: Task, fd: number): UnixStreamSocket | number {
  const f = t.fdTable.get(fd);
  if (f === null) return -E.EBADF;
  return f instanceof UnixStreamSocket ? f : -E.ENOTSOCK;
}

function socketpair(t: Task): number {
  const domain = t.argInt(0), type = t.argInt(1), protocol = t.argInt(2), addr = t.arg(3);
  if (domain !== AF_UNIX) return -E.EAFNOSUPPORT;
  if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) !== SOCK_STREAM) return -E.EOPNOTSUPP;
  if (protocol !== 0) return -E.EPROTONOSUPPORT;
  const [a, b] = newStreamPair(type & SOCK_NONBLOCK ? O_NONBLOCK : 0);
  const cloexec = (type & SOCK_CLOEXEC) !== 0;
  const fa = t.fdTable.add(a, cloexec);
  if (fa < 0) { b.decRef(); return fa; }
  const fb = t.fdTable.add(b, cloexec);
  if (fb < 0) { t.fdTable.close(fa); return fb; }
  const out = new Uint8Array(8), dv = new DataView(out.buffer);
  dv.setInt32(0, fa, true); dv.setInt32(4, fb, true);
  if (t.mm.copyOutFull(addr, out) < 0) { t.fdTable.close(fa); t.fdTable.close(fb); return -E.EFAULT; }
  return 0;
}

/** recv into one buffer, honouring MSG_PEEK and MSG_DONTWAIT. */
function recvInto(t: Task, s: UnixStreamSocket, addr: number, len: number, flags: number): number {
  const buf = new Uint8Array(Math.min(len, 1 << 20));
  const n = flags & MSG_PEEK ? s.peek(buf) : s.read(buf);
  if (n > 0 && t.mm.copyOutFull(addr, buf.subarray(0, n)) < 0) return -E.EFAULT;
  if (n === -E.EAGAIN && (flags & MSG_DONTWAIT)) return n;
  return blockIfAgain(t, s, false, n);
}

function sendFrom(t: Task, s: UnixStreamSocket, addr: number, len: number, flags: number): number {
  const attempt = (done: number): number => {
    const buf = new Uint8Array(Math.min(len - done, 1 << 20));
    if (t.mm.copyInFull(addr + done, buf) < 0) return -E.EFAULT;
    return s.write(buf);
  };
  if (flags & MSG_DONTWAIT) return attempt(0);
  const r = writeResult(t, flags & MSG_NOSIGNAL ? quiet(s) : s, len, attempt);
  return r;
}

/** The same socket, but EPIPE raises no SIGPIPE (MSG_NOSIGNAL). */
function quiet(s: UnixStreamSocket): UnixStreamSocket {
  return Object.create(s, { raisesSigpipe: { get: () => false } }) as UnixStreamSocket;
}

function msgIov(t: Task, msgAddr: number): { iovs: Array<{ base: number; len: number }> } | number {
  const b = new Uint8Array(56);
  if (t.mm.copyInFull(msgAddr, b) < 0) return -E.EFAULT;
  const dv = new DataView(b.buffer);
  const iovs = readIovecs(t, Number(dv.getBigUint64(16, true)), Number(dv.getBigUint64(24, true)));
  if (typeof iovs === 'number') return iovs;
  return { iovs };
}

function sendmsg(t: Task): number {
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const m = msgIov(t, t.arg(1));
  if (typeof m === 'number') return m;
  // Gather into one buffer: a stream carries no boundaries.
  const total = m.iovs.reduce((n, v) => n + v.len, 0);
  const buf = new Uint8Array(total);
  let at = 0;
  for (const v of m.iovs) { if (t.mm.copyInFull(v.base, buf.subarray(at, at + v.len)) < 0) return -E.EFAULT; at += v.len; }
  const flags = t.argInt(2);
  const attempt = (done: number): number => s.write(buf.subarray(done));
  if (flags & MSG_DONTWAIT) return attempt(0);
  return writeResult(t, flags & MSG_NOSIGNAL ? quiet(s) : s, total, attempt);
}

function recvmsg(t: Task): number {
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const msgAddr = t.arg(1), flags = t.argInt(2);
  const m = msgIov(t, msgAddr);
  if (typeof m === 'number') return m;
  const total = m.iovs.reduce((n, v) => n + v.len, 0);
  const buf = new Uint8Array(total);
  const n = flags & MSG_PEEK ? s.peek(buf) : s.read(buf);
  if (n < 0) return n === -E.EAGAIN && (flags & MSG_DONTWAIT) ? n : blockIfAgain(t, s, false, n);
  let at = 0;
  for (const v of m.iovs) {
    if (at >= n) break;
    const k = Math.min(v.len, n - at);
    if (t.mm.copyOutFull(v.base, buf.subarray(at, at + k)) < 0) return -E.EFAULT;
    at += k;
  }
  // No address, no control data, no flags.
  const hdr = new Uint8Array(56);
  if (t.mm.copyInFull(msgAddr, hdr) < 0) return -E.EFAULT;
  const dv = new DataView(hdr.buffer);
  dv.setInt32(8, 0, true);           // msg_namelen
  dv.setBigUint64(40, 0n, true);     // msg_controllen
  dv.setInt32(48, 0, true);          // msg_flags
  if (t.mm.copyOutFull(msgAddr, hdr) < 0) return -E.EFAULT;
  return n;
}

function getsockopt(t: Task): number {
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const level = t.argInt(1), name = t.argInt(2), valAddr = t.arg(3), lenAddr = t.arg(4);
  if (level !== SOL_SOCKET) return -E.ENOPROTOOPT;
  let v: number;
  switch (name) {
    case SO_TYPE: v = SOCK_STREAM; break;
    case SO_ERROR: v = 0; break;
    case SO_SNDBUF: case SO_RCVBUF: v = 65536; break;
    case SO_DOMAIN: v = AF_UNIX; break;
    case SO_ACCEPTCONN: v = 0; break;
    case SO_PROTOCOL: v = 0; break;
    default: return -E.ENOPROTOOPT;
  }
  const len = t.mm.readU32(lenAddr);
  if (len === null) return -E.EFAULT;
  if ((len | 0) < 0) return -E.EINVAL;
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, v, true);
  const n = Math.min(len, 4);
  if (t.mm.copyOutFull(valAddr, out.subarray(0, n)) < 0) return -E.EFAULT;
  return t.mm.writeU32(lenAddr, n);
}

function unnamedAddress(t: Task): number {
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const addr = t.arg(1), lenAddr = t.arg(2);
  const len = t.mm.readU32(lenAddr);
  if (len === null) return -E.EFAULT;
  if ((len | 0) < 0) return -E.EINVAL;
  const sa = Uint8Array.of(AF_UNIX, 0);
  if (len > 0 && t.mm.copyOutFull(addr, sa.subarray(0, Math.min(len, 2))) < 0) return -E.EFAULT;
  return t.mm.writeU32(lenAddr, 2);
}

export const socketSyscalls: SyscallGroup = {
  socket: sys((t) => (t.argInt(0) === AF_UNIX ? -E.EAFNOSUPPORT : -E.EAFNOSUPPORT), 'iii', 'no socket(2) yet: named AF_UNIX and inet sockets come with their issues; socketpair works'),
  socketpair: sys(socketpair, 'iiip', 'AF_UNIX SOCK_STREAM only'),
  sendto: sys((t) => { const s = socketOf(t, t.argInt(0)); return typeof s === 'number' ? s : sendFrom(t, s, t.arg(1), t.arg(2), t.argInt(3)); }, 'fpuxpu'),
  recvfrom: sys((t) => {
    const s = socketOf(t, t.argInt(0));
    if (typeof s === 'number') return s;
    const r = recvInto(t, s, t.arg(1), t.arg(2), t.argInt(3));
    if (r >= 0 && t.arg(5) !== 0) t.mm.writeU32(t.arg(5), 0);
    return r;
  }, 'fpuxpp'),
  sendmsg: sys(sendmsg, 'fpx', 'no control messages (SCM_RIGHTS) yet'),
  recvmsg: sys(recvmsg, 'fpx', 'no control messages (SCM_RIGHTS) yet'),
  shutdown: sys((t) => { const s = socketOf(t, t.argInt(0)); return typeof s === 'number' ? s : s.shutdown(t.argInt(1)); }, 'fi'),
  getsockopt: sys(getsockopt, 'fiipp'),
  setsockopt: sys((t) => { const s = socketOf(t, t.argInt(0)); return typeof s === 'number' ? s : 0; }, 'fiipu', 'options are accepted and not acted on'),
  getsockname: sys(unnamedAddress, 'fpp'),
  getpeername: sys(unnamedAddress, 'fpp'),
};
