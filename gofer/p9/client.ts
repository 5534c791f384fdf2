// P9Client: the Sentry's side of a 9P2000.L connection. Every method is
// synchronous (one request in flight, blocking in the transport) and returns
// its result or a negative errno: Rlerror's ecode negated, -EPROTO for a
// reply that breaks the protocol, -EIO/-ECONNRESET/-EPIPE when the
// transport fails. Nothing is thrown for those.

import { closeFd } from '../../host/socket.js';
import { decodeMessage, MessageWriter } from './codec.js';
import { EINVAL, EIO, EMSGSIZE, EPROTO } from './errno.js';
import {
  GETATTR_BASIC, HEADER_SIZE, IOHDRSZ, MsgType, NOFID, NONUNAME, VERSION_9P2000_L, VERSION_9P2000_L_FD, XATTR_REPLACE,
  type Dirent, type M, type Msg, type MsgTypeCode, type P9Message, type Qid,
} from './messages.js';
import { P9TransportError, SocketTransport, type P9Transport } from './transport.js';
import { P9EncodeError } from './wire.js';

export { SocketTransport, P9TransportError, type P9Transport } from './transport.js';

/** 1 MiB of payload per read or write, plus the largest header. */
export const DEFAULT_MSIZE = (1 << 20) + IOHDRSZ;

/** Rread: size[4] type[1] tag[2] count[4]. */
const RREAD_HEADER = HEADER_SIZE + 4;
/** Twrite: size[4] type[1] tag[2] fid[4] offset[8] count[4]. */
const TWRITE_HEADER = HEADER_SIZE + 4 + 8 + 4;

/** The one tag a synchronous client needs; NOTAG is for Tversion only. */
const TAG = 1;
const VERSION_TAG = 0xffff;

export type Attr = Omit<M<'Rgetattr'>, 'type' | 'tag'>;
export type SetAttr = Omit<M<'Tsetattr'>, 'type' | 'tag' | 'fid'>;
export type Statfs = Omit<M<'Rstatfs'>, 'type' | 'tag'>;
export type LockRequest = Omit<M<'Tlock'>, 'type' | 'tag' | 'fid'>;
export type LockQuery = Omit<M<'Tgetlock'>, 'type' | 'tag' | 'fid'>;
export type LockInfo = Omit<M<'Rgetlock'>, 'type' | 'tag'>;

export interface Opened {
  qid: Qid;
  /** Largest read or write the server promises to do in one message (0: msize - IOHDRSZ). */
  iounit: number;
}

/** What Tlopenfd/Tlcreatefd give: the fid is open, and `fd` is the host fd of that open file (-1 if none came). */
export interface OpenedWithFd extends Opened {
  /** The caller owns it (close-on-exec) and must close it. */
  fd: number;
}

/** Hands out fid numbers; releasing one makes it available again. */
export class FidAllocator {
  private next = 0;
  private readonly freed: number[] = [];
  private readonly inUse = new Set<number>();

  alloc(): number {
    let fid = this.freed.pop();
    if (fid === undefined) {
      fid = this.next++;
      if (fid === NOFID) throw new RangeError('fid space exhausted');
    }
    this.inUse.add(fid);
    return fid;
  }

  /** Ignores fids it did not hand out, so callers may mix in their own. */
  release(fid: number): void {
    if (this.inUse.delete(fid)) this.freed.push(fid);
  }

  get count(): number {
    return this.inUse.size;
  }
}

export class P9Client {
  readonly fids = new FidAllocator();
  /** Negotiated by version(); requests larger than this are refused locally. */
  msize = DEFAULT_MSIZE;
  /** Tversion agreed on VERSION_9P2000_L_FD: lopenfd, lcreatefd and walkGetattr may be used. */
  fdDonation = false;
  private readonly transport: P9Transport;
  private readonly writer = new MessageWriter();
  /** Where the transport puts an fd that came with a reply; set only by rpc with wantFd. */
  private readonly fdOut = new Int32Array(1);

  /** A transport, or a connected stream socket fd to wrap in a SocketTransport. */
  constructor(transport: P9Transport | number) {
    this.transport = typeof transport === 'number' ? new SocketTransport(transport) : transport;
  }

  /**
   * Negotiates msize; returns it, or -errno (-EPROTO if the server speaks
   * another dialect). Asking for VERSION_9P2000_L_FD over a transport that
   * passes fds turns fdDonation on if the server agrees; a server that
   * answers 9P2000.L (or "unknown", after which we ask again for plain
   * 9P2000.L) is spoken to in plain 9P2000.L.
   */
  version(msize = DEFAULT_MSIZE, version = VERSION_9P2000_L): number {
    this.fdDonation = false;
    const wantFds = version === VERSION_9P2000_L_FD;
    if (wantFds && this.transport.passesFds !== true) version = VERSION_9P2000_L;
    let r = this.rpc({ type: MsgType.Tversion, tag: VERSION_TAG, msize, version }, MsgType.Rversion);
    if (typeof r !== 'number' && version === VERSION_9P2000_L_FD && r.version !== version && r.version !== VERSION_9P2000_L) {
      version = VERSION_9P2000_L;
      r = this.rpc({ type: MsgType.Tversion, tag: VERSION_TAG, msize, version }, MsgType.Rversion);
    }
    if (typeof r === 'number') return r;
    const plainAnswer = version === VERSION_9P2000_L_FD && r.version === VERSION_9P2000_L;
    if ((r.version !== version && !plainAnswer) || r.msize > msize || r.msize < RREAD_HEADER + 1) return -EPROTO;
    this.msize = r.msize;
    this.fdDonation = version === VERSION_9P2000_L_FD && !plainAnswer;
    return r.msize;
  }

  attach(fid: number, uname: string, aname: string, uid: number = NONUNAME, afid: number = NOFID): Qid | number {
    const r = this.rpc({ type: MsgType.Tattach, tag: TAG, fid, afid, uname, aname, nUname: uid }, MsgType.Rattach);
    return typeof r === 'number' ? r : r.qid;
  }

  /**
   * Walks `names` from fid to newfid (an empty list clones fid). Returns one
   * qid per name walked; fewer qids than names means the walk stopped there
   * and newfid was not created.
   */
  walk(fid: number, newfid: number, names: readonly string[]): Qid[] | number {
    const r = this.rpc({ type: MsgType.Twalk, tag: TAG, fid, newfid, names: names as string[] }, MsgType.Rwalk);
    return typeof r === 'number' ? r : r.qids;
  }

  /**
   * Twalkgetattr: walk(), and newfid's attributes (null after a partial
   * walk, which creates no newfid), in one round trip; after version()
   * turned fdDonation on (our extension). On an error newfid does not exist.
   */
  walkGetattr(fid: number, newfid: number, names: readonly string[]): { qids: Qid[]; attr: Attr | null } | number {
    const r = this.rpc({ type: MsgType.Twalkgetattr, tag: TAG, fid, newfid, names: names as string[] }, MsgType.Rwalkgetattr);
    if (typeof r === 'number') return r;
    const { type: _t, tag: _g, qids, ...attr } = r;
    return { qids, attr: qids.length === names.length ? attr : null };
  }

  getattr(fid: number, requestMask: bigint = GETATTR_BASIC): Attr | number {
    const r = this.rpc({ type: MsgType.Tgetattr, tag: TAG, fid, requestMask }, MsgType.Rgetattr);
    if (typeof r === 'number') return r;
    const { type: _t, tag: _g, ...attr } = r;
    return attr;
  }

  setattr(fid: number, attr: SetAttr): number {
    return this.status({ type: MsgType.Tsetattr, tag: TAG, fid, ...attr }, MsgType.Rsetattr);
  }

  lopen(fid: number, flags: number): Opened | number {
    const r = this.rpc({ type: MsgType.Tlopen, tag: TAG, fid, flags }, MsgType.Rlopen);
    return typeof r === 'number' ? r : { qid: r.qid, iounit: r.iounit };
  }

  /**
   * Tlopenfd: opens newfid, a clone of fid (a regular file), or fid itself
   * when newfid is fid, and receives the host fd of the open file. Only
   * after version() turned fdDonation on. On failure newfid does not exist.
   * A success without an fd (a transport that lost it) leaves fd -1: the
   * fid is open all the same.
   */
  lopenfd(fid: number, flags: number, newfid = fid): OpenedWithFd | number {
    const r = this.rpc({ type: MsgType.Tlopenfd, tag: TAG, fid, newfid, flags }, MsgType.Rlopenfd, true);
    const fd = this.fdOut[0];
    return typeof r === 'number' ? r : { qid: r.qid, iounit: r.iounit, fd };
  }

  /** Tlcreatefd: lcreate, and the new file's host fd (see lopenfd). */
  lcreatefd(fid: number, name: string, flags: number, mode: number, gid: number): OpenedWithFd | number {
    const r = this.rpc({ type: MsgType.Tlcreatefd, tag: TAG, fid, name, flags, mode, gid }, MsgType.Rlcreatefd, true);
    const fd = this.fdOut[0];
    return typeof r === 'number' ? r : { qid: r.qid, iounit: r.iounit, fd };
  }

  /** Creates `name` in directory fid; fid then stands for the new, open file. */
  lcreate(fid: number, name: string, flags: number, mode: number, gid: number): Opened | number {
    const r = this.rpc({ type: MsgType.Tlcreate, tag: TAG, fid, name, flags, mode, gid }, MsgType.Rlcreate);
    return typeof r === 'number' ? r : { qid: r.qid, iounit: r.iounit };
  }

  /**
   * Reads up to `count` bytes at `offset`, clamped to what one message can
   * carry. With `into`, copies the payload there and returns the byte count;
   * without, returns a fresh copy of the bytes.
   */
  read(fid: number, offset: number, count: number): Uint8Array | number;
  read(fid: number, offset: number, count: number, into: Uint8Array): number;
  read(fid: number, offset: number, count: number, into?: Uint8Array): Uint8Array | number {
    let n = Math.min(count, this.msize - RREAD_HEADER);
    if (into !== undefined) n = Math.min(n, into.byteLength);
    const r = this.rpc({ type: MsgType.Tread, tag: TAG, fid, offset, count: n }, MsgType.Rread);
    if (typeof r === 'number') return r;
    if (r.data.byteLength > n) return -EPROTO;
    if (into === undefined) return Uint8Array.from(r.data);
    into.set(r.data);
    return r.data.byteLength;
  }

  /** Writes at most one message's worth of `data`; returns the count written (may be short). */
  write(fid: number, offset: number, data: Uint8Array): number {
    const max = this.msize - TWRITE_HEADER;
    const chunk = data.byteLength > max ? data.subarray(0, max) : data;
    const r = this.rpc({ type: MsgType.Twrite, tag: TAG, fid, offset, data: chunk }, MsgType.Rwrite);
    if (typeof r === 'number') return r;
    return r.count > chunk.byteLength ? -EPROTO : r.count;
  }

  /** Entries after cookie `offset` (0n: from the start), at most `count` bytes of them; [] at the end. */
  readdir(fid: number, offset: bigint, count: number): Dirent[] | number {
    const n = Math.min(count, this.msize - RREAD_HEADER);
    const r = this.rpc({ type: MsgType.Treaddir, tag: TAG, fid, offset, count: n }, MsgType.Rreaddir);
    return typeof r === 'number' ? r : r.entries;
  }

  mkdir(dfid: number, name: string, mode: number, gid: number): Qid | number {
    const r = this.rpc({ type: MsgType.Tmkdir, tag: TAG, dfid, name, mode, gid }, MsgType.Rmkdir);
    return typeof r === 'number' ? r : r.qid;
  }

  symlink(dfid: number, name: string, target: string, gid: number): Qid | number {
    const r = this.rpc({ type: MsgType.Tsymlink, tag: TAG, dfid, name, target, gid }, MsgType.Rsymlink);
    return typeof r === 'number' ? r : r.qid;
  }

  mknod(dfid: number, name: string, mode: number, major: number, minor: number, gid: number): Qid | number {
    const r = this.rpc({ type: MsgType.Tmknod, tag: TAG, dfid, name, mode, major, minor, gid }, MsgType.Rmknod);
    return typeof r === 'number' ? r : r.qid;
  }

  /** Makes `name` in directory dfid a hard link to fid's file. */
  link(dfid: number, fid: number, name: string): number {
    return this.status({ type: MsgType.Tlink, tag: TAG, dfid, fid, name }, MsgType.Rlink);
  }

  /** Moves fid's file to `name` in directory dfid. */
  rename(fid: number, dfid: number, name: string): number {
    return this.status({ type: MsgType.Trename, tag: TAG, fid, dfid, name }, MsgType.Rrename);
  }

  renameat(olddfid: number, oldname: string, newdfid: number, newname: string): number {
    return this.status({ type: MsgType.Trenameat, tag: TAG, olddfid, oldname, newdfid, newname }, MsgType.Rrenameat);
  }

  /** flags: 0 or AT_REMOVEDIR (0x200). */
  unlinkat(dfid: number, name: string, flags: number): number {
    return this.status({ type: MsgType.Tunlinkat, tag: TAG, dfid, name, flags }, MsgType.Runlinkat);
  }

  readlink(fid: number): string | number {
    const r = this.rpc({ type: MsgType.Treadlink, tag: TAG, fid }, MsgType.Rreadlink);
    return typeof r === 'number' ? r : r.target;
  }

  statfs(fid: number): Statfs | number {
    const r = this.rpc({ type: MsgType.Tstatfs, tag: TAG, fid }, MsgType.Rstatfs);
    if (typeof r === 'number') return r;
    const { type: _t, tag: _g, ...st } = r;
    return st;
  }

  fsync(fid: number, datasync = false): number {
    return this.status({ type: MsgType.Tfsync, tag: TAG, fid, datasync: datasync ? 1 : 0 }, MsgType.Rfsync);
  }

  /**
   * Prepares newfid to read attribute `name` of fid's file (or, with name
   * "", the NUL-separated list of names); returns the value's size.
   */
  xattrwalk(fid: number, newfid: number, name: string): number {
    const r = this.rpc({ type: MsgType.Txattrwalk, tag: TAG, fid, newfid, name }, MsgType.Rxattrwalk);
    return typeof r === 'number' ? r : r.size;
  }

  /** Turns fid into one that takes attribute `name`'s value (attrSize bytes, by write) and sets it at clunk. */
  xattrcreate(fid: number, name: string, attrSize: number, flags: number): number {
    return this.status({ type: MsgType.Txattrcreate, tag: TAG, fid, name, attrSize, flags }, MsgType.Rxattrcreate);
  }

  /**
   * setxattr(2) on fid's file, as Linux's v9fs does it: clone fid,
   * Txattrcreate, write the value, clunk (which sets it and reports the
   * host's errno). flags: XATTR_CREATE, XATTR_REPLACE or 0. An empty
   * value with XATTR_REPLACE alone means removal on the wire: callers
   * that want that set an empty value check first and pass 0.
   */
  setxattr(fid: number, name: string, value: Uint8Array, flags: number): number {
    const x = this.fids.alloc();
    const w = this.walk(fid, x, []);
    if (typeof w === 'number') { this.fids.release(x); return w; }
    const r = this.xattrcreate(x, name, value.byteLength, flags);
    if (r < 0) { this.clunk(x); return r; }
    for (let off = 0; off < value.byteLength;) {
      const n = this.write(x, off, value.subarray(off));
      if (n <= 0) { this.clunk(x); return n < 0 ? n : -EIO; }
      off += n;
    }
    return this.clunk(x);
  }

  /** removexattr(2) on fid's file: a zero-length Txattrcreate with XATTR_REPLACE, as Linux's v9fs sends it. */
  removexattr(fid: number, name: string): number {
    return this.setxattr(fid, name, new Uint8Array(0), XATTR_REPLACE);
  }

  /** Returns the lock status (LOCK_SUCCESS, LOCK_BLOCKED, ...) or -errno. */
  lock(fid: number, req: LockRequest): number {
    const r = this.rpc({ type: MsgType.Tlock, tag: TAG, fid, ...req }, MsgType.Rlock);
    return typeof r === 'number' ? r : r.status;
  }

  getlock(fid: number, query: LockQuery): LockInfo | number {
    const r = this.rpc({ type: MsgType.Tgetlock, tag: TAG, fid, ...query }, MsgType.Rgetlock);
    if (typeof r === 'number') return r;
    const { type: _t, tag: _g, ...info } = r;
    return info;
  }

  flush(oldtag: number): number {
    return this.status({ type: MsgType.Tflush, tag: TAG, oldtag }, MsgType.Rflush);
  }

  /** Forgets fid on both sides; the fid is free for reuse even if the server complains. */
  clunk(fid: number): number {
    const r = this.status({ type: MsgType.Tclunk, tag: TAG, fid }, MsgType.Rclunk);
    this.fids.release(fid);
    return r;
  }

  /** Removes fid's file and clunks fid, whether or not the removal worked. */
  remove(fid: number): number {
    const r = this.status({ type: MsgType.Tremove, tag: TAG, fid }, MsgType.Rremove);
    this.fids.release(fid);
    return r;
  }

  private status(req: P9Message, replyType: MsgTypeCode): number {
    const r = this.rpc(req, replyType);
    return typeof r === 'number' ? r : 0;
  }

  /**
   * One exchange: the reply of type T (fields may view the transport's
   * buffer), or -errno. With wantFd, an fd that came with a successful
   * reply is left in fdOut[0] for the caller (else -1); any other fd that
   * came is closed here.
   */
  private rpc<T extends MsgTypeCode>(req: P9Message, replyType: T, wantFd = false): Msg<T> | number {
    this.fdOut[0] = -1;
    const r = this.exchange(req, replyType, wantFd);
    if (typeof r === 'number' && this.fdOut[0] >= 0) {
      closeFd(this.fdOut[0]);
      this.fdOut[0] = -1;
    }
    return r;
  }

  private exchange<T extends MsgTypeCode>(req: P9Message, replyType: T, wantFd: boolean): Msg<T> | number {
    let request: Uint8Array;
    try {
      request = this.writer.encode(req);
    } catch (e) {
      return e instanceof P9EncodeError ? -e.errno : -EINVAL;
    }
    if (request.byteLength > this.msize) return -EMSGSIZE;
    let reply: Uint8Array;
    try {
      reply = wantFd ? this.transport.call(request, this.fdOut) : this.transport.call(request);
    } catch (e) {
      return e instanceof P9TransportError ? -e.errno : -EIO;
    }
    if (reply.byteLength > this.msize) return -EPROTO;
    const d = decodeMessage(reply);
    if (!d.ok) return -EPROTO;
    const m = d.msg;
    if (m.tag !== req.tag) return -EPROTO;
    if (m.type === MsgType.Rlerror) return m.ecode > 0 && m.ecode < 4096 ? -m.ecode : -EIO;
    if (m.type !== replyType) return -EPROTO;
    return m as Msg<T>;
  }
}
