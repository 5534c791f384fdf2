// Moving data on sockets: sendto, recvfrom, sendmsg, recvmsg, sendmmsg,
// recvmmsg, and read/write/readv/writev on a socket (socketIo, which
// syscalls/file.ts hands sockets to). Control messages: SCM_RIGHTS and
// SCM_CREDENTIALS, laid out as Linux's __scm_send, put_cmsg and
// scm_detach_fds do.
//
// Rerun state: a blocked call reruns from the start; what it already did
// lives in SocketCallState (bytes sent or received, datagrams done), so
// nothing is sent or received twice.
import { E } from '../abi/linux/errno.js';
import { O_NONBLOCK } from '../abi/linux/fcntl.js';
import { PROT_WRITE } from '../abi/linux/mman.js';
import { SI_USER } from '../abi/linux/siginfo.js';
import { SIGPIPE } from '../abi/linux/signal.js';
import * as S from '../abi/linux/socket.js';
import { sendToTask } from '../sentry/kernel/signals.js';
import { BLOCKED, type Task } from '../sentry/kernel/task.js';
import { monotonicNs } from '../sentry/kernel/timers.js';
import { encodeUnixAddress, parseUnixAddress, type UnixAddress } from '../sentry/fsimpl/unix/address.js';
import type { Ucred } from '../sentry/fsimpl/unix/message.js';
import type { UnixSocket, Received } from '../sentry/fsimpl/unix/socket.js';
import type { FileDescription } from '../sentry/vfs/file-description.js';
import { accessibleLength, type Iovec } from './args.js';
import { gather, readMsghdr, scatter, totalOf, UIO_MAXIOV } from './socket-iov.js';
import { netlinkOf, netlinkRecvfrom, netlinkRecvmsg, netlinkSendmsg, netlinkSendto } from './socket-netlink.js';
import { findUnixSocket, readSockaddr, sendCredOf, socketOf, socketWait, writeSockaddr } from './socket-common.js';
import { sys, type SyscallGroup } from './types.js';

const INT_MAX = 0x7fffffff;
/** The most one receive buffers at a time (a larger read returns what it got). */
const RECV_CHUNK = 1 << 24;

interface SocketCallState {
  /** Stream bytes sent or received by earlier attempts of this call. */
  progress?: number;
  /** sendmmsg/recvmmsg: messages done. */
  messages?: number;
  /** recvmmsg: its deadline (monotonic ns), or -1. */
  mmsgDeadline?: number;
}

function callState(t: Task): SocketCallState {
  if (t.syscallState === null) t.syscallState = {};
  return t.syscallState as SocketCallState;
}

/** How many bytes of the iovecs, from byte skip on, the application can receive before the first fault. */
function writableRoom(t: Task, iovs: Iovec[], skip: number): number {
  let room = 0, pos = 0;
  for (const v of iovs) {
    const start = Math.max(skip - pos, 0);
    pos += v.len;
    if (start >= v.len) continue;
    const ok = accessibleLength(t, v.base + start, v.len - start, PROT_WRITE);
    room += ok;
    if (ok < v.len - start) break;
  }
  return room;
}

function dropRights(rights: FileDescription[] | null): void {
  if (rights) for (const f of rights) f.decRef();
}

// ---- control messages ----

interface Control { rights: FileDescription[] | null; cred: Ucred | null }

/** scm_check_creds: a sender may claim its own pid and any of its ids; root anything valid. */
function checkCreds(t: Task, c: Ucred): number {
  if (c.uid === -1 || c.gid === -1) return -E.EINVAL;
  const k = t.creds, root = k.euid === 0;
  const pidOk = c.pid === t.tgid || root;
  const uidOk = c.uid === k.uid || c.uid === k.euid || c.uid === k.suid || root;
  const gidOk = c.gid === k.gid || c.gid === k.egid || c.gid === k.sgid || root;
  if (!(pidOk && uidOk && gidOk)) return -E.EPERM;
  if (!t.kernel.threadGroups.has(c.pid) && !t.kernel.tasks.has(c.pid)) return -E.ESRCH;
  return 0;
}

/** __scm_send: walks the cmsghdrs; the rights it returns hold references the caller must queue or drop. */
function parseControl(t: Task, addr: number, len: number): Control | number {
  const ctl: Control = { rights: null, cred: null };
  if (len === 0) return ctl;
  if (len > INT_MAX) return -E.ENOBUFS;
  const buf = new Uint8Array(len);
  if (t.mm.copyInFull(addr, buf) < 0) return -E.EFAULT;
  const dv = new DataView(buf.buffer);
  const fail = (e: number): number => { dropRights(ctl.rights); return e; };
  for (let off = 0; off + S.CMSGHDR_SIZE <= len;) {
    const clen = Number(dv.getBigUint64(off, true));
    const level = dv.getInt32(off + 8, true), type = dv.getInt32(off + 12, true);
    if (clen < S.CMSGHDR_SIZE || clen > len - off) return fail(-E.EINVAL);
    if (level === S.SOL_SOCKET) {
      if (type === S.SCM_RIGHTS) {
        const n = Math.floor((clen - S.CMSGHDR_SIZE) / 4);
        if (n > 0) {
          ctl.rights ??= [];
          if (ctl.rights.length + n > S.SCM_MAX_FD) return fail(-E.EINVAL);
          for (let i = 0; i < n; i++) {
            const f = t.fdTable.get(dv.getInt32(off + S.CMSGHDR_SIZE + 4 * i, true));
            if (f === null) return fail(-E.EBADF);
            f.incRef();
            ctl.rights.push(f);
          }
        }
      } else if (type === S.SCM_CREDENTIALS) {
        if (clen !== S.cmsgLen(S.UCRED_SIZE)) return fail(-E.EINVAL);
        const c = { pid: dv.getInt32(off + 16, true), uid: dv.getInt32(off + 20, true), gid: dv.getInt32(off + 24, true) };
        const r = checkCreds(t, c);
        if (r < 0) return fail(r);
        ctl.cred = c;
      } else {
        return fail(-E.EINVAL);
      }
    }
    off += S.cmsgAlign(clen);
  }
  return ctl;
}

/** What recvmsg reports in the msghdr: the control bytes used and the flags. */
interface ControlOut { used: number; flags: number }

/**
 * scm_recv: SCM_CREDENTIALS when the socket passes credentials, then the
 * rights installed in the caller's fd table as far as the buffer holds
 * them; the rest are closed and MSG_CTRUNC says so.
 */
function deliverControl(t: Task, s: UnixSocket, r: Received, addr: number, space: number, flags: number): ControlOut | number {
  const out: ControlOut = { used: 0, flags: 0 };
  if (!s.passcred && r.rights === null) return out;
  if (addr === 0) { dropRights(r.rights); out.flags |= S.MSG_CTRUNC; return out; }
  const buf = new Uint8Array(Math.min(space, S.cmsgSpace(S.UCRED_SIZE) + S.cmsgSpace(4 * S.SCM_MAX_FD)));
  const dv = new DataView(buf.buffer);
  let pos = 0;
  const header = (len: number, type: number): void => {
    dv.setBigUint64(pos, BigInt(len), true); dv.setInt32(pos + 8, S.SOL_SOCKET, true); dv.setInt32(pos + 12, type, true);
  };
  if (s.passcred) {
    const left = space - pos;
    if (left < S.CMSGHDR_SIZE) out.flags |= S.MSG_CTRUNC;
    else {
      let cmlen = S.cmsgLen(S.UCRED_SIZE);
      if (left < cmlen) { out.flags |= S.MSG_CTRUNC; cmlen = left; }
      const c = r.cred ?? { pid: 0, uid: 0, gid: 0 };
      const data = new Uint8Array(S.UCRED_SIZE), ddv = new DataView(data.buffer);
      ddv.setInt32(0, c.pid, true); ddv.setInt32(4, c.uid, true); ddv.setInt32(8, c.gid, true);
      header(cmlen, S.SCM_CREDENTIALS);
      buf.set(data.subarray(0, cmlen - S.CMSGHDR_SIZE), pos + S.CMSGHDR_SIZE);
      pos += Math.min(S.cmsgSpace(S.UCRED_SIZE), left);
    }
  }
  if (r.rights !== null) {
    const rights = r.rights;
    const left = space - pos;
    const fdmax = left > S.CMSGHDR_SIZE ? Math.floor((left - S.CMSGHDR_SIZE) / 4) : 0;
    const cloexec = (flags & S.MSG_CMSG_CLOEXEC) !== 0;
    const fds: number[] = [];
    let i = 0;
    while (i < Math.min(fdmax, rights.length)) {
      // FdTable.add takes the reference, even when it fails (EMFILE).
      const fd = t.fdTable.add(rights[i++], cloexec);
      if (fd < 0) break;
      fds.push(fd);
    }
    for (const f of rights.slice(i)) f.decRef();
    const placed = fds.length;
    fds.forEach((fd, j) => dv.setInt32(pos + S.CMSGHDR_SIZE + 4 * j, fd, true));
    if (placed > 0) {
      header(S.cmsgLen(4 * placed), S.SCM_RIGHTS);
      pos += Math.min(S.cmsgSpace(4 * placed), left);
    }
    if (placed < rights.length || (rights.length > 0 && fdmax <= 0)) out.flags |= S.MSG_CTRUNC;
  }
  out.used = pos;
  if (pos > 0 && t.mm.copyOutFull(addr, buf.subarray(0, pos)) < 0) return -E.EFAULT;
  return out;
}

// ---- sending ----

/** Which queues a blocked datagram sender waits on: its own buffer and the target's queue. */
function sendTimeout(s: UnixSocket, flags: number): number {
  return (flags & S.MSG_DONTWAIT) || (s.flags & O_NONBLOCK) ? 0 : s.sndtimeo;
}

function recvTimeout(s: UnixSocket, flags: number): number {
  return (flags & S.MSG_DONTWAIT) || (s.flags & O_NONBLOCK) ? 0 : s.rcvtimeo;
}

/**
 * unix_stream_sendmsg, unix_dgram_sendmsg and unix_seqpacket_sendmsg, in
 * their orders of checks. name is the destination sockaddr (empty: none).
 */
function sendCore(t: Task, s: UnixSocket, iovs: Iovec[], name: Uint8Array, ctlAddr: number, ctlLen: number, flags: number): number {
  if (s.type === S.SOCK_SEQPACKET) {
    const err = s.takeError();
    if (err) return -err;
    if (s.state !== 'connected') return -E.ENOTCONN;
    name = new Uint8Array(0);
  }
  const ctl = parseControl(t, ctlAddr, ctlLen);
  if (typeof ctl === 'number') return ctl;
  const r = s.type === S.SOCK_STREAM ? streamSend(t, s, iovs, name, ctl, flags) : dgramSend(t, s, iovs, name, ctl, flags);
  return r;
}

function streamSend(t: Task, s: UnixSocket, iovs: Iovec[], name: Uint8Array, ctl: Control, flags: number): number {
  const st = callState(t);
  const done0 = st.progress ?? 0;
  let rights = done0 === 0 ? ctl.rights : null;
  if (done0 > 0) dropRights(ctl.rights);
  const fail = (e: number): number => { dropRights(rights); return e; };
  if (flags & S.MSG_OOB) return fail(-E.EOPNOTSUPP);
  if (name.length > 0) return fail(s.state === 'connected' ? -E.EISCONN : -E.EOPNOTSUPP);
  if (s.peer === null) return fail(-E.ENOTCONN);
  const cred = ctl.cred ?? sendCredOf(t);
  const total = totalOf(iovs);
  let done = done0;
  for (;;) {
    const data = gather(t, iovs, done, Math.max(s.sndbuf - s.wmem, 0) + 65536);
    if (typeof data === 'number') { dropRights(rights); return done > 0 ? done : data; }
    const r = s.streamSend(data, rights, cred);
    if (r === -E.EPIPE) {
      dropRights(rights);
      if (done === 0 && !(flags & S.MSG_NOSIGNAL)) sendToTask(t, SIGPIPE, { signo: SIGPIPE, code: SI_USER, pid: t.tgid, uid: t.creds.uid });
      return done > 0 ? done : r;
    }
    if (r < 0 && r !== -E.EAGAIN) { dropRights(rights); return done > 0 ? done : r; }
    if (r > 0) { done += r; rights = null; }
    if (done >= total) { dropRights(rights); return done; }
    if (r === -E.EAGAIN || r < data.length) break;
  }
  dropRights(rights);
  st.progress = done;
  return socketWait(t, [s.events], sendTimeout(s, flags), done);
}

function dgramSend(t: Task, s: UnixSocket, iovs: Iovec[], name: Uint8Array, ctl: Control, flags: number): number {
  const fail = (e: number): number => { dropRights(ctl.rights); return e; };
  if (flags & S.MSG_OOB) return fail(-E.EOPNOTSUPP);
  let target: UnixSocket | null = null;
  let parsed = null;
  if (name.length > 0) {
    const p = parseUnixAddress(name);
    if (typeof p === 'number') return fail(p);
    parsed = p;
  } else {
    target = s.peer;
    if (target === null) return fail(-E.ENOTCONN);
  }
  const auto = s.autobindForCreds();
  if (auto < 0) return fail(auto);
  const total = totalOf(iovs);
  if (total > s.sndbuf - 32) return fail(-E.EMSGSIZE);
  const data = gather(t, iovs, 0, total);
  if (typeof data === 'number') return fail(data);
  if (parsed !== null) {
    const found = findUnixSocket(t, parsed, s.type);
    if (typeof found === 'number') return fail(found);
    target = found;
  }
  const r = s.dgramSend(target!, data, ctl.rights, ctl.cred ?? sendCredOf(t));
  if (r >= 0) return r;
  dropRights(ctl.rights);
  if (r !== -E.EAGAIN) return r;
  return socketWait(t, [s.events, target!.peerWait], sendTimeout(s, flags));
}

// ---- receiving ----

interface RecvOutcome { ret: number; got: Received; msgFlags: number }

/**
 * One receive into iovs: unix_stream_recvmsg (with MSG_WAITALL waiting
 * for the whole length) or unix_dgram_recvmsg / unix_seqpacket_recvmsg.
 * Answers the outcome, or an errno / BLOCKED.
 */
function recvCore(t: Task, s: UnixSocket, iovs: Iovec[], flags: number): RecvOutcome | number {
  const peek = (flags & S.MSG_PEEK) !== 0;
  const total = totalOf(iovs);
  const timeout = recvTimeout(s, flags);
  if (s.type !== S.SOCK_STREAM) {
    if (s.type === S.SOCK_SEQPACKET && s.state !== 'connected') return -E.ENOTCONN;
    const buf = new Uint8Array(Math.min(total, RECV_CHUNK));
    const got = s.dgramRecv(buf, peek, timeout === 0);
    if (got === -E.EAGAIN) return socketWait(t, [s.events], timeout);
    if (typeof got === 'number') return got;
    // The message is gone even if it cannot be stored, as in Linux.
    if (scatter(t, iovs, 0, buf.subarray(0, got.n)) < 0) { dropRights(got.rights); return -E.EFAULT; }
    const msgFlags = got.length > got.n ? S.MSG_TRUNC : 0;
    return { ret: flags & S.MSG_TRUNC ? got.length : got.n, got, msgFlags };
  }
  const st = callState(t);
  let done = st.progress ?? 0;
  const waitall = (flags & S.MSG_WAITALL) !== 0 && !peek;
  let first: Received | null = null;
  for (;;) {
    const room = writableRoom(t, iovs, done);
    const want = total - done;
    const buf = new Uint8Array(Math.min(want, room, RECV_CHUNK));
    if (want > 0 && room === 0) {
      // Nothing can be stored: EFAULT once there is data, as Linux finds on copy.
      const probe = s.streamRecv(new Uint8Array(1), true);
      if (typeof probe !== 'number') {
        dropRights(probe.rights);
        if (probe.n > 0) return done > 0 ? finishStream(first, done) : -E.EFAULT;
        return finishStream(first, done);
      }
      if (probe !== -E.EAGAIN) return done > 0 ? finishStream(first, done) : probe;
      st.progress = done;
      return socketWait(t, [s.events], timeout, done);
    }
    const got = s.streamRecv(buf, peek);
    if (got === -E.EAGAIN) {
      if (done > 0 && !waitall) return finishStream(first, done);
      st.progress = done;
      return socketWait(t, [s.events], timeout, done);
    }
    if (typeof got === 'number') return done > 0 ? finishStream(first, done) : got;
    scatter(t, iovs, done, buf.subarray(0, got.n));
    done += got.n;
    if (first === null) first = got;
    else if (got.rights) first.rights = got.rights;
    // End of stream, a full buffer, rights (which end a read), or no MSG_WAITALL: done.
    if (got.n === 0 || done >= total || got.rights !== null || !waitall) return finishStream(first, done);
  }
}

function finishStream(first: Received | null, done: number): RecvOutcome {
  const got = first ?? { n: 0, length: 0, from: null, rights: null, cred: null };
  return { ret: done, got, msgFlags: 0 };
}

/** The address a receive reports: the sender's name, or nothing (length 0) for an unnamed sender. */
function fromBytes(from: UnixAddress | null): Uint8Array {
  return from === null ? new Uint8Array(0) : encodeUnixAddress(from);
}

// ---- the syscalls ----

function sendto(t: Task): number {
  const nl = netlinkOf(t, t.argInt(0));
  if (nl !== null) return netlinkSendto(t, nl);
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const buf = t.arg(1), len = t.arg(2), flags = t.argInt(3), addr = t.arg(4), alen = t.argInt(5);
  let name: Uint8Array = new Uint8Array(0);
  if (addr !== 0) {
    const raw = readSockaddr(t, addr, alen);
    if (typeof raw === 'number') return raw;
    name = raw;
  }
  return sendCore(t, s, [{ base: buf, len: Math.min(len, 0x7ffff000) }], name, 0, 0, flags);
}

function recvfrom(t: Task): number {
  const nl = netlinkOf(t, t.argInt(0));
  if (nl !== null) return netlinkRecvfrom(t, nl);
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const buf = t.arg(1), len = t.arg(2), flags = t.argInt(3), addr = t.arg(4), lenAddr = t.arg(5);
  const r = recvCore(t, s, [{ base: buf, len: Math.min(len, 0x7ffff000) }], flags);
  if (typeof r === 'number') return r;
  dropRights(r.got.rights);
  if (addr !== 0) {
    const w = writeSockaddr(t, addr, lenAddr, fromBytes(r.got.from));
    if (w < 0) return w;
  }
  return r.ret;
}

function sendmsgAt(t: Task, s: UnixSocket, msgAddr: number, flags: number): number {
  const m = readMsghdr(t, msgAddr);
  if (typeof m === 'number') return m;
  let name: Uint8Array = new Uint8Array(0);
  if (m.name !== 0 && m.namelen > 0) {
    const raw = readSockaddr(t, m.name, m.namelen);
    if (typeof raw === 'number') return raw;
    name = raw;
  }
  return sendCore(t, s, m.iovs, name, m.control, m.controllen, flags);
}

function recvmsgAt(t: Task, s: UnixSocket, msgAddr: number, flags: number): number {
  const m = readMsghdr(t, msgAddr);
  if (typeof m === 'number') return m;
  const r = recvCore(t, s, m.iovs, flags);
  if (typeof r === 'number') return r;
  const ctl = deliverControl(t, s, r.got, m.control, m.controllen, flags);
  if (typeof ctl === 'number') return ctl;
  if (m.name !== 0) {
    const w = writeSockaddr(t, m.name, msgAddr + S.MSGHDR.namelen, fromBytes(r.got.from));
    if (w < 0) return w;
  }
  const tail = new Uint8Array(16), dv = new DataView(tail.buffer);
  dv.setBigUint64(0, BigInt(ctl.used), true);
  dv.setInt32(8, r.msgFlags | ctl.flags | (flags & S.MSG_CMSG_CLOEXEC), true);
  if (t.mm.copyOutFull(msgAddr + S.MSGHDR.controllen, tail.subarray(0, 12)) < 0) return -E.EFAULT;
  return r.ret;
}

function sendmsg(t: Task): number {
  const nl = netlinkOf(t, t.argInt(0));
  if (nl !== null) return netlinkSendmsg(t, nl);
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  return sendmsgAt(t, s, t.arg(1), t.argInt(2));
}

function recvmsg(t: Task): number {
  const nl = netlinkOf(t, t.argInt(0));
  if (nl !== null) return netlinkRecvmsg(t, nl);
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  return recvmsgAt(t, s, t.arg(1), t.argInt(2));
}

/**
 * sendmmsg / recvmmsg: one message after another, each message's result in
 * its msg_len. A later message that fails or would wait ends the call with
 * the count so far; a blocked message keeps the count across reruns.
 */
function multi(t: Task, recv: boolean): number {
  const st = callState(t);
  // recvmmsg reads its timeout before it looks at the fd.
  if (recv && st.mmsgDeadline === undefined) {
    st.mmsgDeadline = -1;
    const tsAddr = t.arg(4);
    if (tsAddr !== 0) {
      const b = new Uint8Array(16);
      if (t.mm.copyInFull(tsAddr, b) < 0) return -E.EFAULT;
      const dv = new DataView(b.buffer);
      const sec = dv.getBigInt64(0, true), nsec = dv.getBigInt64(8, true);
      if (sec < 0n || nsec < 0n || nsec >= 1000000000n) return -E.EINVAL;
      st.mmsgDeadline = monotonicNs() + Number(sec) * 1e9 + Number(nsec);
    }
  }
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const vec = t.arg(1);
  const vlen = Math.min(t.argU32(2), UIO_MAXIOV);
  let flags = t.argInt(3);
  let k = st.messages ?? 0;
  let r = 0;
  while (k < vlen) {
    if (recv && k > 0 && (flags & S.MSG_WAITFORONE)) flags |= S.MSG_DONTWAIT;
    const entry = vec + k * S.MMSGHDR_SIZE;
    r = recv ? recvmsgAt(t, s, entry, flags & ~S.MSG_WAITFORONE) : sendmsgAt(t, s, entry, flags);
    if (r === BLOCKED) {
      st.messages = k;
      const done = k;
      if (done > 0) t.onInterrupt = () => { t.regs.rax = done; };
      return BLOCKED;
    }
    if (r < 0) break;
    if (t.mm.writeU32(entry + S.MMSGHDR_LEN, r) < 0) return k > 0 ? k : -E.EFAULT;
    k++;
    st.progress = 0;
    st.messages = k;
    if (recv && st.mmsgDeadline !== undefined && st.mmsgDeadline >= 0 && monotonicNs() >= st.mmsgDeadline) break;
  }
  if (recv && k > 0 && t.arg(4) !== 0 && st.mmsgDeadline !== undefined && st.mmsgDeadline >= 0) {
    const left = Math.max(st.mmsgDeadline - monotonicNs(), 0);
    const b = new Uint8Array(16), dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(Math.floor(left / 1e9)), true);
    dv.setBigInt64(8, BigInt(Math.floor(left % 1e9)), true);
    if (t.mm.copyOutFull(t.arg(4), b) < 0) return -E.EFAULT;
  }
  if (k > 0) {
    // recvmmsg keeps a later error for the next call (sk_err).
    if (recv && r < 0 && r !== -E.EAGAIN) s.error = -r;
    return k;
  }
  return r;
}

/**
 * read/write/readv/writev on a socket: a receive or send with no flags, no
 * address and no control data. A read of nothing returns 0 at once
 * (sock_read_iter).
 */
export function socketIo(t: Task, s: UnixSocket, iovs: Iovec[], write: boolean): number {
  if (write) return sendCore(t, s, iovs, new Uint8Array(0), 0, 0, 0);
  if (totalOf(iovs) === 0) return 0;
  const r = recvCore(t, s, iovs, 0);
  if (typeof r === 'number') return r;
  dropRights(r.got.rights);
  return r.ret;
}

const SEND_NOTE = 'MSG_OOB is EOPNOTSUPP; sockets in flight (SCM_RIGHTS) that carry each other are never collected';

export const socketMsgSyscalls: SyscallGroup = {
  sendto: sys(sendto, 'fpuxpi', SEND_NOTE),
  recvfrom: sys(recvfrom, 'fpuxpp'),
  sendmsg: sys(sendmsg, 'fpx', SEND_NOTE),
  recvmsg: sys(recvmsg, 'fpx'),
  sendmmsg: sys((t) => multi(t, false), 'fpux', SEND_NOTE),
  recvmmsg: sys((t) => multi(t, true), 'fpuxp'),
};

