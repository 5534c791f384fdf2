// AF_UNIX sockets: stream, datagram and seqpacket endpoints served entirely
// by the Sentry (gVisor's pkg/sentry/socket/unix plays this part; the state
// machine here follows Linux's net/unix/af_unix.c).
//
// Every operation here is non-blocking: it answers -EAGAIN and the
// syscall layer (syscalls/socket*.ts) parks the task on the queues named
// by the socket, with the socket's timeouts. Two queues per socket:
//   events    - anything a user of this socket waits for: data or a
//               connection arrived, its send buffer drained, the peer shut
//               down or closed, an error was set;
//   peerWait  - senders and connectors waiting for room in this socket's
//               receive queue (a full datagram queue or listen backlog).
//
// Ownership: a queued Segment holds references to the file descriptions it
// carries (SCM_RIGHTS) until they are installed or the segment is dropped.
// A listening socket owns the server ends of connections not yet accepted.
// A socket stays reachable by name (the abstract namespace, or a socket
// inode in a file system) until its last reference goes.
import { E } from '../../../abi/linux/errno.js';
import { O_RDWR } from '../../../abi/linux/fcntl.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM } from '../../../abi/linux/poll.js';
import {
  RMEM_DEFAULT, SIOCINQ, SIOCOUTQ, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, SOMAXCONN, UNIX_MAX_DGRAM_QLEN, WMEM_DEFAULT,
} from '../../../abi/linux/socket.js';
import { S_IFSOCK, type Stat } from '../../../abi/linux/stat.js';
import { WaitQueue } from '../../kernel/wait-queue.js';
import { FileDescription, type IoctlIo } from '../../vfs/file-description.js';
import type { Inode } from '../../vfs/inode.js';
import { interfaceIoctl } from '../netlink/interfaces.js';
import { AbstractNamespace, abstractKey, type UnixAddress } from './address.js';
import { Segment, dgramTruesize, sameCred, streamChunkLimit, streamTruesize, type Ucred } from './message.js';

export const RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2, SHUTDOWN_MASK = 3;

type State = 'unconnected' | 'listening' | 'connected';

/** The sandbox-wide state AF_UNIX sockets share. */
export class UnixNet {
  readonly abstract = new AbstractNamespace<UnixSocket>();
  /** Sockets bound to a file-system name, by the inode bind created. */
  readonly byInode = new WeakMap<Inode, UnixSocket>();
}

/** Who made a socket: its fstat owner and the peer credentials it hands out. */
export interface Creator { pid: number; euid: number; egid: number; fsuid: number; fsgid: number }

export const SOCKFS_DEV = 0x9;
let nextIno = 1n;
/** A new inode number on sockfs, shared by every socket family (they share st_dev). */
export function nextSocketIno(): bigint { return nextIno++; }

/** What a receive took from the queue. */
export interface Received {
  /** Bytes copied into the caller's buffer. */
  n: number;
  /** The whole datagram's length (MSG_TRUNC reports it); n for streams. */
  length: number;
  from: UnixAddress | null;
  rights: FileDescription[] | null;
  cred: Ucred | null;
}

export class UnixSocket extends FileDescription {
  state: State = 'unconnected';
  address: UnixAddress | null = null;
  /** The inode a path bind created (its binding is dropped on close). */
  boundInode: Inode | null = null;
  peer: UnixSocket | null = null;
  shutdownFlags = 0;
  /** A pending error (positive errno) for SO_ERROR and the next receive. */
  error = 0;
  passcred = false;
  sndbuf = WMEM_DEFAULT;
  rcvbuf = RMEM_DEFAULT;
  /** SO_RCVTIMEO / SO_SNDTIMEO in ns: -1 waits forever, 0 never waits. */
  rcvtimeo = -1;
  sndtimeo = -1;
  /** Plain options Linux stores and reports (SO_REUSEADDR, SO_KEEPALIVE, ...). */
  readonly options = new Map<number, number>();
  /** struct linger: onoff and seconds. */
  linger: [number, number] = [0, 0];
  /** SO_PEERCRED: set by connect, listen and socketpair. */
  peerCred: Ucred | null = null;
  wmem = 0;
  readonly events = new WaitQueue();
  readonly peerWait = new WaitQueue();
  private readonly queue: Segment[] = [];
  /** Server ends of connections not yet accepted. */
  private readonly backlog: UnixSocket[] = [];
  private maxBacklog = UNIX_MAX_DGRAM_QLEN;
  dead = false;
  private readonly ino = nextSocketIno();
  private readonly ctime = Date.now();

  constructor(readonly net: UnixNet, readonly type: number, readonly creator: Creator, flags: number) {
    super(O_RDWR | flags);
  }

  get connectionBased(): boolean { return this.type !== SOCK_DGRAM; }
  get listening(): boolean { return this.state === 'listening'; }

  stat(): Stat {
    const sec = Math.floor(this.ctime / 1000), nsec = (this.ctime % 1000) * 1e6;
    return {
      dev: SOCKFS_DEV, ino: this.ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: this.creator.fsuid, gid: this.creator.fsgid, rdev: 0,
      size: 0, blksize: 4096, blocks: 0, atime: { sec, nsec }, mtime: { sec, nsec }, ctime: { sec, nsec },
    };
  }
  override seekable(): boolean { return false; }
  override get raisesSigpipe(): boolean { return true; }

  /** sock_error: the pending error, cleared by reading it. */
  takeError(): number { const e = this.error; this.error = 0; return e; }

  uncharged(): void { this.events.wakeAll(); }

  // ---- names ----

  /** Binds to an abstract name (or, with null, autobinds). */
  bindAbstract(address: UnixAddress | null): number {
    if (this.address) return -E.EINVAL;
    if (address === null) {
      const a = this.net.abstract.autobind(this);
      if (typeof a === 'number') return a;
      this.address = a;
      return 0;
    }
    const r = this.net.abstract.claim(this, abstractKey(address));
    if (r < 0) return r;
    this.address = address;
    return 0;
  }

  /** Takes a name bind created in a file system (the caller made the S_IFSOCK inode). */
  bindInode(address: UnixAddress, inode: Inode): void {
    this.address = address;
    this.boundInode = inode;
    this.net.byInode.set(inode, this);
  }

  /** unix_autobind where SO_PASSCRED needs a name to report. */
  autobindForCreds(): number {
    return this.passcred && this.address === null ? this.bindAbstract(null) : 0;
  }

  // ---- connections ----

  listen(backlog: number, cred: Ucred): number {
    if (this.type === SOCK_DGRAM) return -E.EOPNOTSUPP;
    if (this.address === null) return -E.EINVAL;
    if (this.state === 'connected') return -E.EINVAL;
    // __sys_listen compares as unsigned: a negative backlog is the maximum.
    const n = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
    if (n > this.maxBacklog) this.peerWait.wakeAll();
    this.maxBacklog = n;
    this.state = 'listening';
    this.peerCred = cred;
    return 0;
  }

  /**
   * The connecting half of unix_stream_connect, once the listener was found
   * (of this socket's type): -EAGAIN while its backlog is full (wait on
   * listener.peerWait). serverSide makes the accepted end.
   */
  connectTo(listener: UnixSocket, cred: Ucred, serverSide: () => UnixSocket): number {
    if (listener.state !== 'listening' || (listener.shutdownFlags & RCV_SHUTDOWN) || listener.dead) return -E.ECONNREFUSED;
    if (listener.backlog.length > listener.maxBacklog) return -E.EAGAIN;
    if (this.state === 'connected') return -E.EISCONN;
    if (this.state !== 'unconnected') return -E.EINVAL;
    const server = serverSide();
    server.state = 'connected';
    server.address = listener.address;
    server.peer = this;
    server.peerCred = cred;
    this.peer = server;
    this.state = 'connected';
    this.peerCred = listener.peerCred;
    listener.backlog.push(server);
    listener.events.wakeAll();
    return 0;
  }

  /** unix_accept: the oldest pending connection's server end, or -EAGAIN. */
  accept(): UnixSocket | number {
    if (this.type === SOCK_DGRAM) return -E.EOPNOTSUPP;
    if (this.state !== 'listening') return -E.EINVAL;
    const s = this.backlog.shift();
    // A listener shut down for reading has nothing more to wait for (unix_accept's EINVAL).
    if (s === undefined) return this.shutdownFlags & RCV_SHUTDOWN ? -E.EINVAL : -E.EAGAIN;
    this.peerWait.wakeAll();
    // unix_sock_inherit_flags.
    s.passcred = this.passcred;
    return s;
  }

  /** unix_dgram_connect to target, or (null) AF_UNSPEC's disconnect. */
  connectDgram(target: UnixSocket | null): number {
    if (target !== null) {
      if (target.dead) return -E.ECONNREFUSED;
      if (!target.maySendFrom(this)) return -E.EPERM;
      this.state = 'connected';
    }
    const old = this.peer;
    this.peer = target;
    if (target === null) this.state = 'unconnected';
    if (old !== null && old !== target) {
      old.peerWait.wakeAll();
      this.disconnectedFrom(old);
    }
    return 0;
  }

  /** unix_dgram_disconnected: queued messages are lost, and a peer connected back hears ECONNRESET. */
  private disconnectedFrom(old: UnixSocket): void {
    if (this.queue.length === 0) return;
    this.purgeQueue();
    this.peerWait.wakeAll();
    if (!old.dead && old.peer === this) { old.error = E.ECONNRESET; old.events.wakeAll(); }
  }

  /** unix_may_send: a connected datagram socket hears only its peer. */
  maySendFrom(sender: UnixSocket): boolean { return this.peer === null || this.peer === sender; }

  shutdown(how: number): number {
    if (how < 0 || how > 2) return -E.EINVAL;
    const mode = how + 1;
    this.shutdownFlags |= mode;
    this.events.wakeAll();
    const other = this.peer;
    if (other !== null && this.connectionBased) {
      // The peer stops writing what this end no longer reads, and the reverse.
      const peerMode = ((mode & RCV_SHUTDOWN) ? SEND_SHUTDOWN : 0) | ((mode & SEND_SHUTDOWN) ? RCV_SHUTDOWN : 0);
      other.shutdownFlags |= peerMode;
      other.events.wakeAll();
    }
    return 0;
  }

  // ---- sending ----

  /**
   * unix_stream_sendmsg's loop for one attempt: queues what the send
   * buffer allows, with rights and credentials on the first chunk only.
   * Answers the bytes queued, -EAGAIN when none fit, or -EPIPE / -ENOTCONN.
   */
  streamSend(src: Uint8Array, rights: FileDescription[] | null, cred: Ucred): number {
    const other = this.peer;
    if (other === null) return -E.ENOTCONN;
    if (this.shutdownFlags & SEND_SHUTDOWN) return -E.EPIPE;
    if (src.length === 0) return 0;
    let sent = 0;
    while (sent < src.length) {
      if (other.dead || (other.shutdownFlags & RCV_SHUTDOWN)) return sent > 0 ? sent : -E.EPIPE;
      if (this.wmem >= this.sndbuf) break;
      const size = Math.min(src.length - sent, streamChunkLimit(this.sndbuf));
      const chunk = src.slice(sent, sent + size);
      other.queue.push(new Segment(chunk, this, sent === 0 ? rights : null, cred, streamTruesize(size)));
      sent += size;
    }
    if (sent === 0) return -E.EAGAIN;
    other.events.wakeAll();
    return sent;
  }

  /**
   * unix_dgram_sendmsg once the target is known (the peer, or the socket an
   * address named). Answers the length, or -EAGAIN with whom to wait on:
   * this socket's events when its send buffer is full, the target's
   * peerWait when the target's queue is.
   */
  dgramSend(target: UnixSocket, data: Uint8Array, rights: FileDescription[] | null, cred: Ucred): number {
    // sock_alloc_send_pskb's checks, then the target's.
    const err = this.takeError();
    if (err) return -err;
    if (this.shutdownFlags & SEND_SHUTDOWN) return -E.EPIPE;
    if (this.wmem >= this.sndbuf) return -E.EAGAIN;
    if (!target.maySendFrom(this)) return -E.EPERM;
    if (target.dead) {
      if (this.type === SOCK_SEQPACKET) return -E.EPIPE;
      if (this.peer === target) {
        this.peer = null;
        this.state = 'unconnected';
        this.disconnectedFrom(target);
        return -E.ECONNREFUSED;
      }
      return -E.ECONNREFUSED;
    }
    if (target.shutdownFlags & RCV_SHUTDOWN) return -E.EPIPE;
    if (target !== this && target.peer !== this && target.queue.length > target.maxBacklog) return -E.EAGAIN;
    target.queue.push(new Segment(data.slice(), this, rights, cred, dgramTruesize(data.length)));
    target.events.wakeAll();
    return data.length;
  }

  /** Whether a datagram send to target would wait on the target's queue rather than this socket's buffer. */
  targetFull(target: UnixSocket): boolean {
    return target !== this && target.peer !== this && target.queue.length > target.maxBacklog;
  }

  // ---- receiving ----

  /**
   * unix_stream_read_generic for one attempt: copies into dst across
   * segments until dst is full, a segment with rights was read, or (with
   * SO_PASSCRED) a segment from other credentials comes. 0 at end of
   * stream; -EAGAIN when nothing is there yet.
   */
  streamRecv(dst: Uint8Array, peek: boolean): Received | number {
    if (this.state !== 'connected') return -E.EINVAL;
    const got: Received = { n: 0, length: 0, from: null, rights: null, cred: null };
    for (let i = 0; ;) {
      const seg = this.queue[i];
      if (seg === undefined) {
        if (got.n > 0) break;
        const err = this.takeError();
        if (err) return -err;
        if (this.shutdownFlags & RCV_SHUTDOWN) break;
        return -E.EAGAIN;
      }
      // With SO_PASSCRED, messages from different writers are never glued.
      if (got.cred === null) { got.cred = seg.cred; got.from = senderAddress(seg); }
      else if (this.passcred && !sameCred(seg.cred, got.cred)) break;
      const offset = seg.consumed;
      const chunk = Math.min(seg.data.length - offset, dst.length - got.n);
      dst.set(seg.data.subarray(offset, offset + chunk), got.n);
      got.n += chunk;
      if (!peek) {
        seg.consumed += chunk;
        if (seg.rights) { got.rights = seg.rights; seg.rights = null; }
        if (seg.remaining > 0) break;
        this.queue.shift();
        seg.drop();
        if (got.rights) break;
      } else {
        if (seg.rights) { got.rights = seg.rights.slice(); for (const f of got.rights) f.incRef(); break; }
        i++;
      }
      if (got.n >= dst.length) break;
    }
    got.length = got.n;
    return got;
  }

  /**
   * unix_dgram_recvmsg for one attempt (datagram and seqpacket): one whole
   * message, cut to dst. At end (a shut-down receive side) answers 0 where
   * Linux would, -EAGAIN when there is nothing yet.
   */
  dgramRecv(dst: Uint8Array, peek: boolean, nonblock: boolean): Received | number {
    if (this.type === SOCK_SEQPACKET && this.state !== 'connected') return -E.ENOTCONN;
    const err = this.takeError();
    if (err) return -err;
    const seg = this.queue[0];
    if (seg === undefined) {
      if (this.shutdownFlags & RCV_SHUTDOWN) {
        // A blocking datagram receive and any seqpacket one end here; a non-blocking datagram one still says EAGAIN.
        if (this.type === SOCK_SEQPACKET || !nonblock) return { n: 0, length: 0, from: null, rights: null, cred: null };
      }
      return -E.EAGAIN;
    }
    const n = Math.min(dst.length, seg.data.length);
    dst.set(seg.data.subarray(0, n));
    const got: Received = { n, length: seg.data.length, from: senderAddress(seg), rights: null, cred: seg.cred };
    if (!peek) {
      this.queue.shift();
      got.rights = seg.rights;
      seg.rights = null;
      seg.drop();
      this.peerWait.wakeAll();
    } else if (seg.rights) {
      got.rights = seg.rights.slice();
      for (const f of got.rights) f.incRef();
    }
    return got;
  }

  /** The whole length of the next message (for MSG_TRUNC with MSG_PEEK and ioctl SIOCINQ). */
  private inqLength(): number {
    if (this.type === SOCK_DGRAM) return this.queue[0]?.data.length ?? 0;
    return this.queue.reduce((n, s) => n + s.remaining, 0);
  }

  // ---- readiness ----

  /** unix_writable: a quarter of the send buffer free. */
  private writableNow(): boolean { return this.state !== 'listening' && this.wmem * 4 <= this.sndbuf; }

  override readiness(): number {
    let mask = 0;
    if (this.error) mask |= POLLERR;
    if (this.shutdownFlags === SHUTDOWN_MASK) mask |= POLLHUP;
    if (this.shutdownFlags & RCV_SHUTDOWN) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (this.queue.length > 0 || this.backlog.length > 0) mask |= POLLIN | POLLRDNORM;
    if (this.type === SOCK_STREAM) {
      if (this.state === 'unconnected') mask |= POLLHUP;
      if (this.writableNow()) mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
      return mask;
    }
    if (this.type === SOCK_SEQPACKET && this.state === 'unconnected') mask |= POLLHUP;
    let writable = this.writableNow();
    const other = this.peer;
    if (writable && other !== null && this.type === SOCK_DGRAM && this.targetFull(other)) writable = false;
    if (writable) mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
    return mask;
  }

  override waitQueue(forWrite: boolean): WaitQueue {
    // A connected datagram socket becomes writable when its peer's queue drains.
    if (forWrite && this.type === SOCK_DGRAM && this.peer !== null) return this.peer.peerWait;
    return this.events;
  }

  override ioctl(request: number, arg: number, io: IoctlIo): number {
    let v: number;
    if (request === SIOCINQ) {
      if (this.state === 'listening') return -E.EINVAL;
      v = this.inqLength();
    } else if (request === SIOCOUTQ) {
      v = this.wmem;
    } else {
      return interfaceIoctl(request, arg, io) ?? -E.ENOTTY;
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    return io.copyOut(arg, b) < 0 ? -E.EFAULT : 0;
  }

  // ---- closing ----

  private purgeQueue(): void {
    for (const seg of this.queue.splice(0)) seg.drop();
  }

  /** unix_release_sock. embryo: a connection closed before anyone accepted it. */
  private closeEndpoint(embryo: boolean): void {
    if (this.dead) return;
    this.dead = true;
    this.shutdownFlags = SHUTDOWN_MASK;
    if (this.address?.abstract) this.net.abstract.release(this, abstractKey(this.address));
    if (this.boundInode && this.net.byInode.get(this.boundInode) === this) this.net.byInode.delete(this.boundInode);
    const pending = this.backlog.splice(0);
    const skpair = this.peer;
    if (skpair !== null && this.connectionBased) {
      skpair.shutdownFlags = SHUTDOWN_MASK;
      if (this.queue.length > 0 || embryo) skpair.error = E.ECONNRESET;
      skpair.events.wakeAll();
    }
    if (skpair !== null) skpair.peerWait.wakeAll();
    this.purgeQueue();
    for (const s of pending) s.closeEmbryo();
    this.events.wakeAll();
    this.peerWait.wakeAll();
  }

  private closeEmbryo(): void {
    this.closeEndpoint(true);
    this.decRef();
  }

  protected override release(): void { this.closeEndpoint(false); }
}

function senderAddress(seg: Segment): UnixAddress | null {
  return (seg.from as UnixSocket).address;
}

/** socketpair(2): two sockets of a type, connected to each other, with the creator's credentials as each one's peer. */
export function newSocketPair(net: UnixNet, type: number, owner: Creator, cred: Ucred, flags: number): [UnixSocket, UnixSocket] {
  const a = new UnixSocket(net, type, owner, flags), b = new UnixSocket(net, type, owner, flags);
  a.peer = b; b.peer = a;
  a.state = b.state = 'connected';
  a.peerCred = cred; b.peerCred = cred;
  return [a, b];
}
