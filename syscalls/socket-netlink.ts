// AF_NETLINK sockets (NETLINK_ROUTE only; sentry/fsimpl/netlink/route.ts
// says what they answer): creation, bind, connect, names, sending requests
// and receiving replies. socket.ts, socket-msg.ts and socket-options.ts
// hand a netlink socket's calls here.
import { E } from '../abi/linux/errno.js';
import { O_NONBLOCK } from '../abi/linux/fcntl.js';
import * as NL from '../abi/linux/netlink.js';
import {
  AF_NETLINK, AF_UNSPEC, MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, MSGHDR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW,
  SOCK_TYPE_MASK, SO_DOMAIN, SO_ERROR, SO_PASSCRED, SO_PROTOCOL, SO_RCVBUF, SO_RCVBUFFORCE, SO_RCVTIMEO, SO_SNDBUF,
  SO_SNDBUFFORCE, SO_SNDTIMEO, SO_TYPE, SOL_SOCKET,
} from '../abi/linux/socket.js';
import type { Kernel } from '../sentry/kernel/kernel.js';
import type { Task } from '../sentry/kernel/task.js';
import { NetlinkPorts, NetlinkRouteSocket } from '../sentry/fsimpl/netlink/route.js';
import type { Iovec } from './args.js';
import { readSockaddr, socketWait, writeSockaddr } from './socket-common.js';
import { gather, readMsghdr, scatter, totalOf } from './socket-iov.js';

const portsOf = new WeakMap<Kernel, NetlinkPorts>();
/** What a netlink socket reports for SO_RCVBUF and SO_SNDBUF (Linux's defaults, doubled as getsockopt shows). */
const NETLINK_BUF = 212992;

/** netlink_create: the socket, or ESOCKTNOSUPPORT / EPROTONOSUPPORT. */
export function netlinkSocket(t: Task, typeArg: number, protocol: number): number {
  const type = typeArg & SOCK_TYPE_MASK;
  if (type !== SOCK_RAW && type !== SOCK_DGRAM) return -E.ESOCKTNOSUPPORT;
  if (protocol < 0 || protocol >= NL.NETLINK_MAX_LINKS) return -E.EPROTONOSUPPORT;
  // Other protocols (generic netlink, audit, uevents...) have no kernel side here.
  if (protocol !== NL.NETLINK_ROUTE) return -E.EPROTONOSUPPORT;
  let ports = portsOf.get(t.kernel);
  if (ports === undefined) { ports = new NetlinkPorts(); portsOf.set(t.kernel, ports); }
  const s = new NetlinkRouteSocket(ports, type, t.tgid, typeArg & SOCK_NONBLOCK ? O_NONBLOCK : 0);
  return t.fdTable.add(s, (typeArg & SOCK_CLOEXEC) !== 0);
}

/** The netlink socket behind fd, or null (the caller answers for other files). */
export function netlinkOf(t: Task, fd: number): NetlinkRouteSocket | null {
  const f = t.fdTable.get(fd);
  return f instanceof NetlinkRouteSocket ? f : null;
}

/** A sockaddr_nl argument: nl_pid and nl_groups, or EINVAL for a short one or another family. */
function readNetlinkAddr(t: Task, addr: number, len: number): { pid: number; groups: number; family: number } | number {
  const raw = readSockaddr(t, addr, len);
  if (typeof raw === 'number') return raw;
  const family = raw.length >= 2 ? raw[0] | (raw[1] << 8) : -1;
  if (family === AF_UNSPEC && raw.length >= 2) return { pid: 0, groups: 0, family };
  if (raw.length < NL.SOCKADDR_NL_SIZE || family !== AF_NETLINK) return -E.EINVAL;
  const dv = new DataView(raw.buffer);
  return { pid: dv.getUint32(4, true) | 0, groups: dv.getUint32(8, true), family };
}

export function netlinkBind(t: Task, s: NetlinkRouteSocket): number {
  const a = readNetlinkAddr(t, t.arg(1), t.argInt(2));
  if (typeof a === 'number') return a;
  if (a.family !== AF_NETLINK) return -E.EINVAL;
  return s.bind(a.pid, a.groups);
}

/** netlink_connect: AF_UNSPEC disconnects; the kernel (port 0) is the only peer there is. */
export function netlinkConnect(t: Task, s: NetlinkRouteSocket): number {
  const a = readNetlinkAddr(t, t.arg(1), t.argInt(2));
  if (typeof a === 'number') return a;
  if (a.family === AF_UNSPEC) return 0;
  if (a.pid !== 0) return -E.ECONNREFUSED;
  s.port();
  return 0;
}

/** getsockname: the socket's own port (0 until bound); getpeername: the kernel. */
export function netlinkName(t: Task, s: NetlinkRouteSocket, peer: boolean): number {
  const sa = peer ? NetlinkRouteSocket.address(0, 0) : NetlinkRouteSocket.address(s.portId, s.groups);
  return writeSockaddr(t, t.arg(1), t.arg(2), sa);
}

/** netlink_sendmsg: the destination must be the kernel (another port: ECONNREFUSED). */
function sendTo(t: Task, s: NetlinkRouteSocket, iovs: Iovec[], nameAddr: number, nameLen: number): number {
  if (nameAddr !== 0 && nameLen > 0) {
    const a = readNetlinkAddr(t, nameAddr, nameLen);
    if (typeof a === 'number') return a;
    if (a.family !== AF_NETLINK) return -E.EINVAL;
    if (a.pid !== 0) return -E.ECONNREFUSED;
  }
  const data = gather(t, iovs, 0, totalOf(iovs));
  if (typeof data === 'number') return data;
  return s.send(data);
}

interface NetlinkReceipt { ret: number; msgFlags: number }

/** netlink_recvmsg: one reply datagram; MSG_TRUNC returns its full length. Waits unless told not to. */
function receive(t: Task, s: NetlinkRouteSocket, iovs: Iovec[], flags: number): NetlinkReceipt | number {
  const r = s.receive(totalOf(iovs), (flags & MSG_PEEK) !== 0);
  if (r === -E.EAGAIN) return socketWait(t, [s.events], (flags & MSG_DONTWAIT) || (s.flags & O_NONBLOCK) ? 0 : -1);
  if (typeof r === 'number') return r;
  if (scatter(t, iovs, 0, r.data) < 0) return -E.EFAULT;
  return { ret: flags & MSG_TRUNC ? r.length : r.data.length, msgFlags: r.msgFlags };
}

export function netlinkSendto(t: Task, s: NetlinkRouteSocket): number {
  return sendTo(t, s, [{ base: t.arg(1), len: Math.min(t.arg(2), 0x7ffff000) }], t.arg(4), t.argInt(5));
}

export function netlinkRecvfrom(t: Task, s: NetlinkRouteSocket): number {
  const r = receive(t, s, [{ base: t.arg(1), len: Math.min(t.arg(2), 0x7ffff000) }], t.argInt(3));
  if (typeof r === 'number') return r;
  const w = writeSockaddr(t, t.arg(4), t.arg(5), NetlinkRouteSocket.address(0, 0));
  return w < 0 ? w : r.ret;
}

export function netlinkSendmsg(t: Task, s: NetlinkRouteSocket): number {
  const m = readMsghdr(t, t.arg(1));
  if (typeof m === 'number') return m;
  return sendTo(t, s, m.iovs, m.name, m.namelen);
}

export function netlinkRecvmsg(t: Task, s: NetlinkRouteSocket): number {
  const msgAddr = t.arg(1);
  const m = readMsghdr(t, msgAddr);
  if (typeof m === 'number') return m;
  const r = receive(t, s, m.iovs, t.argInt(2));
  if (typeof r === 'number') return r;
  if (m.name !== 0) {
    const w = writeSockaddr(t, m.name, msgAddr + MSGHDR.namelen, NetlinkRouteSocket.address(0, 0));
    if (w < 0) return w;
  }
  // No control messages (NETLINK_PKTINFO is never on): msg_controllen 0, then msg_flags.
  const tail = new Uint8Array(12), dv = new DataView(tail.buffer);
  dv.setInt32(8, r.msgFlags, true);
  if (t.mm.copyOutFull(msgAddr + MSGHDR.controllen, tail) < 0) return -E.EFAULT;
  return r.ret;
}

function intBytes(v: number): Uint8Array { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; }

/** getsockopt on a netlink socket: the SOL_SOCKET basics; SOL_NETLINK flags all read 0. */
export function netlinkGetOption(s: NetlinkRouteSocket, level: number, name: number): Uint8Array | number {
  if (level === NL.SOL_NETLINK) return name >= 1 && name <= 12 ? intBytes(0) : -E.ENOPROTOOPT;
  if (level !== SOL_SOCKET) return -E.EOPNOTSUPP;
  switch (name) {
    case SO_TYPE: return intBytes(s.type);
    case SO_DOMAIN: return intBytes(AF_NETLINK);
    case SO_PROTOCOL: return intBytes(NL.NETLINK_ROUTE);
    case SO_ERROR: return intBytes(0);
    case SO_RCVBUF: case SO_SNDBUF: return intBytes(NETLINK_BUF);
    default: return -E.ENOPROTOOPT;
  }
}

/**
 * setsockopt on a netlink socket: buffer sizes and netlink's flags (extended
 * acks, strict checking, group membership) are taken and change nothing a
 * program can see here, since replies are small and no group ever speaks.
 */
export function netlinkSetOption(level: number, name: number, len: number): number {
  if (level === NL.SOL_NETLINK) {
    if (name < 1 || name > 12) return -E.ENOPROTOOPT;
    return len < 4 ? -E.EINVAL : 0;
  }
  if (level !== SOL_SOCKET) return -E.EOPNOTSUPP;
  switch (name) {
    case SO_SNDBUF: case SO_RCVBUF: case SO_SNDBUFFORCE: case SO_RCVBUFFORCE: case SO_PASSCRED:
    case SO_RCVTIMEO: case SO_SNDTIMEO:
      return len < 4 ? -E.EINVAL : 0;
    default: return -E.ENOPROTOOPT;
  }
}
