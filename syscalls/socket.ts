// Sockets: socket, socketpair, bind, listen, accept, connect, shutdown,
// getsockname and getpeername. AF_UNIX (sentry/fsimpl/unix) and
// AF_NETLINK's NETLINK_ROUTE (socket-netlink.ts, for the interface list)
// exist; other families answer EAFNOSUPPORT until the network stack comes. Data
// moves in socket-msg.ts; options are in socket-options.ts.
//
// Binding to a path makes an S_IFSOCK inode through the VFS's mknod, on
// whatever file system holds the directory, and the socket is found again
// through that inode (UnixNet.byInode). On tmpfs and the overlay the inode
// lives in the Sentry. On a Gofer mount mknod makes a plain socket node on
// the host (the name stays after close, as on Linux), but the endpoint
// never leaves the Sentry: a host process connecting to that node finds
// nobody listening, and a sandbox connect to a host socket node the
// sandbox did not bind answers ECONNREFUSED, so no host socket is ever
// reached from inside.
import { ConsoleFile } from '../sentry/fsimpl/host/console-file.js';
import { E } from '../abi/linux/errno.js';
import { O_NONBLOCK } from '../abi/linux/fcntl.js';
import {
  AF_NETLINK, AF_UNIX, AF_UNSPEC, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, SOCK_TYPE_MASK,
  SUN_PATH_OFFSET,
} from '../abi/linux/socket.js';
import { S_IFSOCK } from '../abi/linux/stat.js';
import type { Kernel } from '../sentry/kernel/kernel.js';
import type { Task } from '../sentry/kernel/task.js';
import { encodeUnixAddress, parseUnixAddress, type ParsedAddress } from '../sentry/fsimpl/unix/address.js';
import { newSocketPair, UnixSocket } from '../sentry/fsimpl/unix/socket.js';
import * as vfs from '../sentry/vfs/ops.js';
import { lookupChild, resolveParent } from '../sentry/vfs/path-walk.js';
import {
  creatorOf, findUnixSocket, peerCredOf, readSockaddr, socketOf, socketWait, unixNetOf, writeSockaddr,
} from './socket-common.js';
import { socketMsgSyscalls } from './socket-msg.js';
import { netlinkBind, netlinkConnect, netlinkName, netlinkOf, netlinkSocket } from './socket-netlink.js';
import { socketOptionSyscalls } from './socket-options.js';
import { sys, type SyscallGroup } from './types.js';

/** NPROTO (AF_MAX): families at or past it are EAFNOSUPPORT before the type is looked at. */
const AF_MAX = 46;
const SOCK_MAX = 11;

const warnedInet = new WeakSet<Kernel>();

/** __sys_socket's checks and unix_create's: the socket's type, or an errno. */
function checkSocketArgs(t: Task, domain: number, typeArg: number, protocol: number): number {
  if ((typeArg & ~SOCK_TYPE_MASK) & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return -E.EINVAL;
  if (domain < 0 || domain >= AF_MAX) return -E.EAFNOSUPPORT;
  let type = typeArg & SOCK_TYPE_MASK;
  if (type >= SOCK_MAX) return -E.EINVAL;
  if (domain === AF_NETLINK) return type;
  if (domain !== AF_UNIX) {
    if (!warnedInet.has(t.kernel)) {
      warnedInet.add(t.kernel);
      t.kernel.log.info({ domain }, 'socket family not served: only AF_UNIX sockets exist until the network stack (netstack) arrives');
    }
    return -E.EAFNOSUPPORT;
  }
  if (protocol !== 0 && protocol !== AF_UNIX) return -E.EPROTONOSUPPORT;
  // unix_create turns SOCK_RAW into SOCK_DGRAM.
  if (type === SOCK_RAW) type = SOCK_DGRAM;
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM && type !== SOCK_SEQPACKET) return -E.ESOCKTNOSUPPORT;
  return type;
}

function socket(t: Task): number {
  const typeArg = t.argInt(1);
  const type = checkSocketArgs(t, t.argInt(0), typeArg, t.argInt(2));
  if (type < 0) return type;
  if (t.argInt(0) === AF_NETLINK) return netlinkSocket(t, typeArg, t.argInt(2));
  const s = new UnixSocket(unixNetOf(t.kernel), type, creatorOf(t), typeArg & SOCK_NONBLOCK ? O_NONBLOCK : 0);
  return t.fdTable.add(s, (typeArg & SOCK_CLOEXEC) !== 0);
}

function socketpair(t: Task): number {
  const typeArg = t.argInt(1), addr = t.arg(3);
  const type = checkSocketArgs(t, t.argInt(0), typeArg, t.argInt(2));
  if (type < 0) return type;
  // Netlink has no pairs (sock_no_socketpair).
  if (t.argInt(0) === AF_NETLINK) return -E.EOPNOTSUPP;
  const [a, b] = newSocketPair(unixNetOf(t.kernel), type, creatorOf(t), peerCredOf(t), typeArg & SOCK_NONBLOCK ? O_NONBLOCK : 0);
  const cloexec = (typeArg & SOCK_CLOEXEC) !== 0;
  const fa = t.fdTable.add(a, cloexec);
  if (fa < 0) { b.decRef(); return fa; }
  const fb = t.fdTable.add(b, cloexec);
  if (fb < 0) { t.fdTable.close(fa); return fb; }
  const out = new Uint8Array(8), dv = new DataView(out.buffer);
  dv.setInt32(0, fa, true); dv.setInt32(4, fb, true);
  if (t.mm.copyOutFull(addr, out) < 0) { t.fdTable.close(fa); t.fdTable.close(fb); return -E.EFAULT; }
  return 0;
}

/**
 * unix_bind_bsd: the node is made first (an existing name is EADDRINUSE),
 * and removed again if the socket turns out to be bound already (EINVAL).
 */
function bindPath(t: Task, s: UnixSocket, parsed: ParsedAddress & { kind: 'path' }): number {
  const p = resolveParent(t.fs, t.fs.cwd, parsed.path, t.creds);
  if (typeof p === 'number') return p;
  const r = vfs.mknod(t.creds, p.parent, p.name, p.trailingSlash, S_IFSOCK | (0o777 & ~t.umask), 0);
  if (r < 0) return r === -E.EEXIST ? -E.EADDRINUSE : r;
  if (s.address !== null) { vfs.unlink(t.creds, p.parent, p.name, false); return -E.EINVAL; }
  const d = lookupChild(p.parent, p.name);
  if (typeof d === 'number') return d;
  s.bindInode(parsed.address, d.inode);
  return 0;
}

function bind(t: Task): number {
  const nl = netlinkOf(t, t.argInt(0));
  if (nl !== null) return netlinkBind(t, nl);
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const raw = readSockaddr(t, t.arg(1), t.argInt(2));
  if (typeof raw === 'number') return raw;
  // Just the family: autobind (a no-op for a bound socket).
  if (raw.length === SUN_PATH_OFFSET && (raw[0] | (raw[1] << 8)) === AF_UNIX) return s.address ? 0 : s.bindAbstract(null);
  const parsed = parseUnixAddress(raw);
  if (typeof parsed === 'number') return parsed;
  if (parsed.kind === 'abstract') return s.bindAbstract(parsed.address);
  return bindPath(t, s, parsed);
}

function listen(t: Task): number {
  // Netlink sockets neither listen nor shut down (sock_no_listen, sock_no_shutdown).
  if (netlinkOf(t, t.argInt(0)) !== null) return -E.EOPNOTSUPP;
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  return s.listen(t.argInt(1), peerCredOf(t));
}

function connect(t: Task): number {
  const nl = netlinkOf(t, t.argInt(0));
  if (nl !== null) return netlinkConnect(t, nl);
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const raw = readSockaddr(t, t.arg(1), t.argInt(2));
  if (typeof raw === 'number') return raw;
  if (s.type === SOCK_DGRAM) {
    if (raw.length < SUN_PATH_OFFSET) return -E.EINVAL;
    if ((raw[0] | (raw[1] << 8)) === AF_UNSPEC) return s.connectDgram(null);
  }
  const parsed = parseUnixAddress(raw);
  if (typeof parsed === 'number') return parsed;
  const auto = s.autobindForCreds();
  if (auto < 0) return auto;
  const target = findUnixSocket(t, parsed, s.type);
  if (typeof target === 'number') return target;
  if (s.type === SOCK_DGRAM) return s.connectDgram(target);
  const r = s.connectTo(target, peerCredOf(t), () => new UnixSocket(s.net, s.type, creatorOf(t), 0));
  if (r !== -E.EAGAIN) return r;
  return socketWait(t, [target.peerWait], s.flags & O_NONBLOCK ? 0 : s.sndtimeo);
}

function accept4(t: Task, flags: number): number {
  if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return -E.EINVAL;
  if (netlinkOf(t, t.argInt(0)) !== null) return -E.EOPNOTSUPP;
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const addr = t.arg(1), lenAddr = t.arg(2);
  const n = s.accept();
  if (n === -E.EAGAIN) return socketWait(t, [s.events], s.flags & O_NONBLOCK ? 0 : s.rcvtimeo);
  if (typeof n === 'number') return n;
  if (flags & SOCK_NONBLOCK) n.flags |= O_NONBLOCK;
  const fd = t.fdTable.add(n, (flags & SOCK_CLOEXEC) !== 0);
  if (fd < 0) return fd;
  if (addr !== 0) {
    const w = writeSockaddr(t, addr, lenAddr, encodeUnixAddress(n.peer?.address ?? null));
    if (w < 0) { t.fdTable.close(fd); return w; }
  }
  return fd;
}

/** getsockname / getpeername: move_addr_to_user with the address the socket reports. */
function reportName(t: Task, peer: boolean): number {
  const nl = netlinkOf(t, t.argInt(0));
  if (nl !== null) return netlinkName(t, nl, peer);
  const s = socketOf(t, t.argInt(0));
  let sa: Uint8Array;
  if (typeof s === 'number') {
    // A console on a host socket reads as an unnamed, connected AF_UNIX socket.
    const f = t.fdTable.get(t.argInt(0));
    if (s !== -E.ENOTSOCK || !(f instanceof ConsoleFile) || !f.isHostSocket) return s;
    sa = encodeUnixAddress(null);
  } else if (peer) {
    if (s.peer === null || s.state !== 'connected') return -E.ENOTCONN;
    sa = encodeUnixAddress(s.peer.address);
  } else {
    sa = encodeUnixAddress(s.address);
  }
  const addr = t.arg(1), lenAddr = t.arg(2);
  const len = t.mm.readU32(lenAddr);
  if (len === null) return -E.EFAULT;
  if ((len | 0) < 0) return -E.EINVAL;
  const n = Math.min(len, sa.length);
  if (n > 0 && t.mm.copyOutFull(addr, sa.subarray(0, n)) < 0) return -E.EFAULT;
  return t.mm.writeU32(lenAddr, sa.length) < 0 ? -E.EFAULT : 0;
}

function shutdown(t: Task): number {
  // Netlink sockets neither listen nor shut down (sock_no_listen, sock_no_shutdown).
  if (netlinkOf(t, t.argInt(0)) !== null) return -E.EOPNOTSUPP;
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  return s.shutdown(t.argInt(1));
}

export const socketSyscalls: SyscallGroup = {
  socket: sys(socket, 'ixi', 'AF_UNIX, and AF_NETLINK with NETLINK_ROUTE (one loopback link, down, no addresses); other families are EAFNOSUPPORT until the network stack arrives'),
  socketpair: sys(socketpair, 'ixip', 'AF_UNIX only'),
  bind: sys(bind, 'fpi', 'AF_UNIX: on a Gofer mount the name is a host socket node, but the endpoint stays in the Sentry: host processes cannot connect to it'),
  listen: sys(listen, 'fi'),
  accept: sys((t) => accept4(t, 0), 'fpp'),
  accept4: sys((t) => accept4(t, t.argInt(3)), 'fppx'),
  connect: sys(connect, 'fpi', 'AF_UNIX: reaches only sockets bound in the sandbox, never a host socket (ECONNREFUSED)'),
  shutdown: sys(shutdown, 'fi'),
  getsockname: sys((t) => reportName(t, false), 'fpp'),
  getpeername: sys((t) => reportName(t, true), 'fpp'),
  ...socketMsgSyscalls,
  ...socketOptionSyscalls,
};
