// NETLINK_ROUTE sockets: what glibc's getifaddrs and if_nameindex (and so
// Node's os.networkInterfaces, Python's socket.if_nameindex, libuv) ask the
// kernel about network interfaces. The sandbox has no network stack yet, so
// it answers as a fresh Linux network namespace does before anyone brings
// loopback up: one link, `lo` (index 1, IFF_LOOPBACK, down), no addresses,
// no routes. Changing anything is EOPNOTSUPP; no multicast group ever
// hears anything. When netstack arrives, its interfaces belong here.
//
// Every request is answered when it is sent: the replies to one sendmsg
// are queued as one datagram (Linux packs a dump into as few skbs as fit),
// and recvmsg hands out datagrams whole, truncating as a datagram socket
// does (MSG_TRUNC).
import { E } from '../../../abi/linux/errno.js';
import { O_RDWR } from '../../../abi/linux/fcntl.js';
import * as NL from '../../../abi/linux/netlink.js';
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../../../abi/linux/poll.js';
import { S_IFSOCK, type Stat } from '../../../abi/linux/stat.js';
import { WaitQueue } from '../../kernel/wait-queue.js';
import { FileDescription, type IoctlIo } from '../../vfs/file-description.js';
import { interfaceIoctl, LO_FLAGS, LO_INDEX, LO_MTU, LO_NAME, LO_TXQLEN } from './interfaces.js';
import { nextSocketIno, SOCKFS_DEV } from '../unix/socket.js';

/** Port ids in use, per sandbox: a socket's address, as netlink_autobind hands them out. */
export class NetlinkPorts {
  private readonly used = new Set<number>();
  /** The last negative id autobind gave (Linux counts down from -4097). */
  private rover = -4096;

  /** netlink_autobind: the process's tgid if free, else a negative id nobody has. */
  autobind(tgid: number): number {
    let id = tgid;
    while (this.used.has(id)) id = --this.rover;
    this.used.add(id);
    return id;
  }
  /** netlink_insert for an explicit nl_pid: EADDRINUSE if another socket has it. */
  claim(id: number): number {
    if (this.used.has(id)) return -E.EADDRINUSE;
    this.used.add(id);
    return 0;
  }
  release(id: number): void { this.used.delete(id); }
}

export interface NetlinkReceived { data: Uint8Array; msgFlags: number; length: number }

export class NetlinkRouteSocket extends FileDescription {
  /** The port id (nl_pid) once bound, explicitly or by autobind; 0 before. */
  portId = 0;
  /** nl_groups given to bind: kept for getsockname, never delivered to. */
  groups = 0;
  readonly events = new WaitQueue();
  private readonly queue: Uint8Array[] = [];
  private readonly ino = nextSocketIno();
  private readonly ctime = Date.now();

  /** tgid: the creator's, which autobind takes as the port id when it is free. */
  constructor(private readonly ports: NetlinkPorts, readonly type: number, private readonly tgid: number, flags: number) { super(O_RDWR | flags); }

  stat(): Stat {
    const sec = Math.floor(this.ctime / 1000), nsec = (this.ctime % 1000) * 1e6;
    return {
      dev: SOCKFS_DEV, ino: this.ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atime: { sec, nsec }, mtime: { sec, nsec }, ctime: { sec, nsec },
    };
  }
  override seekable(): boolean { return false; }
  override readiness(): number { return (this.queue.length > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM; }
  override waitQueue(forWrite: boolean): WaitQueue | null { return forWrite ? null : this.events; }

  /** The port, autobinding first as netlink_sendmsg and getsockname's callers see it. */
  port(): number {
    if (this.portId === 0) this.portId = this.ports.autobind(this.tgid);
    return this.portId;
  }

  /** netlink_bind: nl_pid 0 autobinds; a bound socket keeps its id (EINVAL for another). */
  bind(nlPid: number, groups: number): number {
    if (this.portId !== 0) {
      if (nlPid !== 0 && nlPid !== this.portId) return -E.EINVAL;
    } else if (nlPid !== 0) {
      const r = this.ports.claim(nlPid);
      if (r < 0) return r;
      this.portId = nlPid;
    } else {
      this.port();
    }
    this.groups = groups >>> 0;
    return 0;
  }

  /** sockaddr_nl for getsockname (this socket) or a received message's sender (the kernel, port 0). */
  static address(portId: number, groups: number): Uint8Array {
    const b = new Uint8Array(NL.SOCKADDR_NL_SIZE), dv = new DataView(b.buffer);
    dv.setUint16(0, 16 /* AF_NETLINK */, true);
    dv.setUint32(4, portId >>> 0, true);
    dv.setUint32(8, groups >>> 0, true);
    return b;
  }

  /**
   * netlink_rcv_skb over one datagram sent to the kernel: each request is
   * answered in turn; a header that does not fit ends the walk. Returns the
   * bytes taken (all of them, as Linux's sendmsg does).
   */
  send(data: Uint8Array): number {
    const port = this.port();
    const out: Uint8Array[] = [];
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    while (data.length - at >= NL.NLMSG_HDRLEN) {
      const len = dv.getUint32(at, true);
      if (len < NL.NLMSG_HDRLEN || len > data.length - at) break;
      answer(data.subarray(at, at + len), port, out);
      at += NL.nlmsgAlign(len);
    }
    if (out.length > 0) {
      const total = out.reduce((n, m) => n + m.length, 0);
      const dgram = new Uint8Array(total);
      let p = 0;
      for (const m of out) { dgram.set(m, p); p += m.length; }
      this.queue.push(dgram);
      this.events.wakeAll();
    }
    return data.length;
  }

  /** The next reply, whole or cut to `room` (MSG_TRUNC); -EAGAIN when none is queued. */
  receive(room: number, peek: boolean): NetlinkReceived | number {
    const next = this.queue[0];
    if (next === undefined) return -E.EAGAIN;
    if (!peek) this.queue.shift();
    const n = Math.min(room, next.length);
    return { data: next.subarray(0, n), msgFlags: n < next.length ? 0x20 /* MSG_TRUNC */ : 0, length: next.length };
  }

  override read(dst: Uint8Array): number {
    const r = this.receive(dst.length, false);
    if (typeof r === 'number') return r;
    dst.set(r.data);
    return r.data.length;
  }

  override ioctl(request: number, arg: number, io: IoctlIo): number { return interfaceIoctl(request, arg, io) ?? -E.ENOTTY; }

  override write(src: Uint8Array): number { return this.send(src); }

  protected override release(): void {
    if (this.portId !== 0) this.ports.release(this.portId);
  }
}

// ---- rtnetlink's answers ----

/** A netlink message: header (length filled in), then the payload parts, each padded to 4 bytes. */
function message(type: number, flags: number, seq: number, port: number, parts: Uint8Array[]): Uint8Array {
  const len = NL.NLMSG_HDRLEN + parts.reduce((n, p) => n + NL.nlmsgAlign(p.length), 0);
  const b = new Uint8Array(len), dv = new DataView(b.buffer);
  dv.setUint32(0, len, true); dv.setUint16(4, type, true); dv.setUint16(6, flags, true);
  dv.setUint32(8, seq, true); dv.setUint32(12, port >>> 0, true);
  let at = NL.NLMSG_HDRLEN;
  for (const p of parts) { b.set(p, at); at += NL.nlmsgAlign(p.length); }
  return b;
}

function attr(type: number, value: Uint8Array): Uint8Array {
  const b = new Uint8Array(NL.RTA_HDRLEN + value.length), dv = new DataView(b.buffer);
  dv.setUint16(0, b.length, true); dv.setUint16(2, type, true);
  b.set(value, NL.RTA_HDRLEN);
  return b;
}
function u32(v: number): Uint8Array { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; }

/** A device that is down has the noop queueing discipline. */
const NOOP_QDISC = new Uint8Array([0x6e, 0x6f, 0x6f, 0x70, 0]);

/** RTM_NEWLINK for lo as a new namespace has it: loopback, down, all-zero hardware address. */
function loopbackLink(flags: number, seq: number, port: number): Uint8Array {
  const ifi = new Uint8Array(NL.IFINFOMSG_SIZE), dv = new DataView(ifi.buffer);
  dv.setUint16(2, NL.ARPHRD_LOOPBACK, true);
  dv.setInt32(4, LO_INDEX, true);
  dv.setUint32(8, LO_FLAGS, true);
  const name = Buffer.from(`${LO_NAME}\0`, 'latin1');
  return message(NL.RTM_NEWLINK, flags, seq, port, [
    ifi,
    attr(NL.IFLA_IFNAME, name), attr(NL.IFLA_TXQLEN, u32(LO_TXQLEN)),
    attr(NL.IFLA_OPERSTATE, new Uint8Array([NL.IF_OPER_DOWN])), attr(NL.IFLA_LINKMODE, new Uint8Array([0])),
    attr(NL.IFLA_MTU, u32(LO_MTU)), attr(NL.IFLA_GROUP, u32(0)), attr(NL.IFLA_QDISC, NOOP_QDISC),
    attr(NL.IFLA_ADDRESS, new Uint8Array(6)), attr(NL.IFLA_BROADCAST, new Uint8Array(6)),
  ]);
}

/** netlink_ack: NLMSG_ERROR with the error and the request (only its header for an ack, NLM_F_CAPPED). */
function ack(req: Uint8Array, error: number, seq: number, port: number): Uint8Array {
  const echo = error === 0 ? req.subarray(0, NL.NLMSG_HDRLEN) : req;
  const e = new Uint8Array(4); new DataView(e.buffer).setInt32(0, error, true);
  return message(NL.NLMSG_ERROR, error === 0 ? NL.NLM_F_CAPPED : 0, seq, port, [e, echo]);
}

/** Whether a link request names lo: by index (ifi_index) or by IFLA_IFNAME. */
function namesLoopback(req: Uint8Array): boolean {
  if (req.length < NL.NLMSG_HDRLEN + NL.IFINFOMSG_SIZE) return false;
  const dv = new DataView(req.buffer, req.byteOffset, req.byteLength);
  const index = dv.getInt32(NL.NLMSG_HDRLEN + 4, true);
  if (index !== 0) return index === LO_INDEX;
  for (let at = NL.NLMSG_HDRLEN + NL.IFINFOMSG_SIZE; req.length - at >= NL.RTA_HDRLEN;) {
    const len = dv.getUint16(at, true), type = dv.getUint16(at + 2, true);
    if (len < NL.RTA_HDRLEN || len > req.length - at) break;
    if (type === NL.IFLA_IFNAME) {
      const v = req.subarray(at + NL.RTA_HDRLEN, at + len);
      const end = v.indexOf(0);
      return Buffer.from(end < 0 ? v : v.subarray(0, end)).toString('latin1') === LO_NAME;
    }
    at += NL.nlmsgAlign(len);
  }
  return false;
}

/** One request, as rtnetlink_rcv_msg and netlink_rcv_skb answer it; replies are appended to out. */
function answer(req: Uint8Array, port: number, out: Uint8Array[]): void {
  const dv = new DataView(req.buffer, req.byteOffset, req.byteLength);
  const type = dv.getUint16(4, true), flags = dv.getUint16(6, true), seq = dv.getUint32(8, true);
  const wantsAck = (flags & NL.NLM_F_ACK) !== 0;
  // Not a request, or netlink's own control message: nothing to do but the ack asked for.
  if (!(flags & NL.NLM_F_REQUEST) || type < NL.NLMSG_MIN_TYPE) {
    if (wantsAck) out.push(ack(req, 0, seq, port));
    return;
  }
  const dump = (flags & NL.NLM_F_DUMP) === NL.NLM_F_DUMP;
  const done = (): Uint8Array => message(NL.NLMSG_DONE, NL.NLM_F_MULTI, seq, port, [u32(0)]);
  switch (type) {
    case NL.RTM_GETLINK:
      if (dump) { out.push(loopbackLink(NL.NLM_F_MULTI, seq, port), done()); return; }
      if (namesLoopback(req)) { out.push(loopbackLink(0, seq, port)); if (wantsAck) out.push(ack(req, 0, seq, port)); return; }
      out.push(ack(req, -E.ENODEV, seq, port));
      return;
    // lo is down: no addresses, routes, neighbours, rules or queueing disciplines to list.
    case NL.RTM_GETADDR: case NL.RTM_GETROUTE: case NL.RTM_GETNEIGH: case NL.RTM_GETRULE: case NL.RTM_GETQDISC:
    case NL.RTM_GETNETCONF:
      if (dump) { out.push(done()); return; }
      out.push(ack(req, type === NL.RTM_GETADDR ? -E.EOPNOTSUPP : -E.ENOENT, seq, port));
      return;
    default:
      // Changes (and kinds of object this table does not keep) are not served.
      out.push(ack(req, -E.EOPNOTSUPP, seq, port));
  }
}
