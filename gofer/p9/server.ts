// P9Server serves one host directory over 9P2000.L, one message at a time:
// handle() takes a complete request and returns the complete reply. It knows
// nothing of sockets (main.ts frames the stream) and never throws: a request
// that is malformed, unknown, too large or fails on the host gets Rlerror.
//
// Confinement (see README.md): every fid stands for a HostNode holding an
// O_PATH|O_NOFOLLOW fd; every name in a request is one checked component
// used relative to a node's fd; nothing is ever resolved from a host path
// string except the procfs magic link of an fd we hold, looked up by number
// in a directory fd on /proc/<pid>/fd.

import {
  AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW,
  O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_DSYNC, O_EXCL, O_NOCTTY, O_NOFOLLOW,
  O_NONBLOCK, O_PATH, O_RDONLY, O_SYNC, O_TRUNC, DT_DIR, DT_LNK,
  O_WRONLY, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, SEEK_SET, UTIME_NOW, UTIME_OMIT,
  close, decodeDirents, fchmodat, fchownat, fdatasync, fgetxattr, flistxattr, fremovexattr, fsetxattr, fstat, fstatfs, fsync,
  ftruncate,
  getdents64, geteuid, linkat, lseek, makedev, mkdirat, mknodat, openat, pread,
  pwrite, readlinkat, renameat, symlinkat, unlinkat, utimensat,
} from '../../host/fs.js';
import { decodeMessage, MessageWriter, readHeader } from './codec.js';
import {
  E2BIG, EBADF, EBUSY, EEXIST, EINVAL, EIO, EISDIR, ELOOP, EMSGSIZE, ENODATA, ENOTDIR, EOPNOTSUPP,
  EPERM, EPROTO, ERANGE, EROFS,
} from './errno.js';
import { checkName, nodeForFd, qidFromStat, releaseNode, type HostNode } from './host-node.js';
import {
  GETATTR_BASIC, HEADER_SIZE, IOHDRSZ, LOCK_SUCCESS, LOCK_TYPE_UNLCK, MAXWELEM, MsgType, NOFID,
  NONUNAME, NOTAG, QTDIR, QTFILE, QTSYMLINK, SETATTR_ATIME, SETATTR_ATIME_SET, SETATTR_GID, SETATTR_MODE, SETATTR_MTIME,
  SETATTR_MTIME_SET, SETATTR_SIZE, SETATTR_UID, VERSION_9P2000_L, VERSION_9P2000_L_FD, VERSION_UNKNOWN, XATTR_CREATE, XATTR_REPLACE, direntSize,
  type Dirent, type M, type P9Message, type Qid,
} from './messages.js';

/** 1 MiB of payload per message plus room for the largest header. */
export const SERVER_MAX_MSIZE = (1 << 20) + IOHDRSZ;
/** Smallest msize we agree to: a readlink or a dirent must always fit. */
export const SERVER_MIN_MSIZE = 8192;

const RREAD_HEADER = HEADER_SIZE + 4;
const XATTR_SIZE_MAX = 65536;
const XATTR_NAME_MAX = 255;
const XATTR_USER_PREFIX = 'user.';
const I64_MAX = (1n << 63n) - 1n;
/**
 * Mode bits a client may set on the host: no set-user-ID or set-group-ID
 * bit is ever created or set through 9P (README.md, "What must stay true").
 */
const HOST_MODE_BITS = 0o1777;

/**
 * Open flags a client may pass through Tlopen/Tlcreate. 9P2000.L's L_O_*
 * values are Linux x86-64's (its L_O_SYNC is the __O_SYNC bit alone, which
 * the kernel widens to O_SYNC), so they pass through unchanged. Dropped: O_CREAT
 * and O_EXCL (creation is Tlcreate's job), O_NOFOLLOW (the reopen goes
 * through a magic link, which O_NOFOLLOW would refuse), O_DIRECT (our
 * buffers are not aligned), O_NOATIME (needs ownership), O_PATH/O_TMPFILE.
 * Always added: O_CLOEXEC and O_NOCTTY.
 */
const PASSED_OPEN_FLAGS = O_ACCMODE | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECTORY;

export interface P9ServerOptions {
  /** The directory to serve: a path (opened once, here) or an O_PATH directory fd the server takes over. */
  root: string | number;
  /** Answer every mutating request with EROFS. */
  readonly?: boolean;
  /** Upper bound for msize negotiation. */
  maxMsize?: number;
  /**
   * Where the server reopens the O_PATH fds it holds, by number: a directory
   * fd on this process's /proc/<pid>/fd (borrowed: the caller closes it),
   * or the path of such a directory, which the server opens once and closes
   * in close(). Default '/proc/self/fd'. The confined Gofer passes an fd:
   * no /proc is reachable by name in its jail.
   */
  procSelfFd?: string | number;
  /**
   * Offer host fd donation (VERSION_9P2000_L_FD: Tlopenfd, Tlcreatefd):
   * only where replies go out on an AF_UNIX socket whose sender attaches
   * replyFd (connection.ts). Default false: plain 9P2000.L.
   */
  donateFds?: boolean;
}

interface FidState {
  node: HostNode;
  /** The fd from Tlopen/Tlcreate, or -1 while the fid is not open. */
  openFd: number;
  openFlags: number;
  /** n_uname from the Tattach this fid descends from; owner of files it creates. */
  uid: number;
  /** Set on fids made by Txattrwalk: the value (or name list) Tread returns. */
  xattr: Uint8Array | null;
  /** Set on fids given to Txattrcreate: the value Twrite fills and Tclunk sets. */
  pendingXattr: PendingXattr | null;
}

/** An attribute being set: Txattrcreate named it, Twrites bring the value, Tclunk sets it on the host. */
interface PendingXattr {
  name: string;
  flags: number;
  value: Uint8Array;
  /** Bytes written so far, in order from offset 0. */
  written: number;
}

/** A fid that stands for an attribute, not a file: it can only be read or written (as its kind allows) and clunked. */
function isXattrFid(f: FidState): boolean {
  return f.xattr !== null || f.pendingXattr !== null;
}

type Reply = P9Message | Uint8Array | number;

export class P9Server {
  private readonly root: HostNode;
  private readonly fids = new Map<number, FidState>();
  private readonly writer = new MessageWriter(64 * 1024);
  private readonly dirents = Buffer.alloc(64 * 1024);
  private readonly xattrBuf = Buffer.alloc(XATTR_SIZE_MAX);
  private readonly readonly: boolean;
  private readonly maxMsize: number;
  private readonly procDir: number;
  private readonly ownsProcDir: boolean;
  private readonly chownCreated: boolean;
  private negotiated = false;
  /** Tversion agreed on VERSION_9P2000_L_FD. */
  private fdExtension = false;
  private readonly donateFds: boolean;
  /** The fd to send with the last reply, or -1; see replyFd. */
  private donated = -1;
  private closed = false;
  /** Largest request accepted and reply produced; SERVER_MAX_MSIZE until Tversion. */
  msize: number;

  /** Throws if the root cannot be opened: that is a configuration error, not a peer's. */
  constructor(opts: P9ServerOptions) {
    this.readonly = opts.readonly ?? false;
    this.donateFds = opts.donateFds ?? false;
    this.maxMsize = Math.max(SERVER_MIN_MSIZE, opts.maxMsize ?? SERVER_MAX_MSIZE);
    this.msize = this.maxMsize;
    // Only root can give new files to the requesting user; others create as themselves.
    this.chownCreated = geteuid() === 0;
    const proc = opts.procSelfFd ?? '/proc/self/fd';
    this.ownsProcDir = typeof proc === 'string';
    const procDir = typeof proc === 'number' ? proc : openat(AT_FDCWD, proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (procDir < 0) throw new Error(`gofer: cannot open ${String(proc)}: errno ${-procDir}`);
    this.procDir = procDir;
    const fd = typeof opts.root === 'number' ? opts.root : openat(AT_FDCWD, opts.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    const node = fd < 0 ? fd : nodeForFd(fd, null, '');
    if (typeof node === 'number' || !node.isDir) {
      if (typeof node !== 'number') releaseNode(node);
      if (this.ownsProcDir) close(this.procDir);
      const why = typeof node === 'number' ? `errno ${-node}` : 'not a directory';
      throw new Error(`gofer: cannot serve root ${String(opts.root)}: ${why}`);
    }
    this.root = node;
  }

  get isReadonly(): boolean {
    return this.readonly;
  }

  /** Number of live fids, for tests and leak checks. */
  get fidCount(): number {
    return this.fids.size;
  }

  /**
   * The host fd to pass (SCM_RIGHTS) with the reply handle() just returned,
   * or -1. It is the fid's own open fd, still owned by the fid: the sender
   * passes a copy and closes nothing. Valid until the next handle().
   */
  get replyFd(): number {
    return this.donated;
  }

  /**
   * Serves one complete request. The reply is a view into a buffer the
   * server reuses: send it before the next call.
   */
  handle(request: Uint8Array): Uint8Array {
    this.donated = -1;
    const reply = this.serve(request);
    // Only a successful Rlopenfd/Rlcreatefd carries an fd; an error reply never does.
    if (this.donated >= 0 && reply[4] !== MsgType.Rlopenfd && reply[4] !== MsgType.Rlcreatefd) this.donated = -1;
    return reply;
  }

  private serve(request: Uint8Array): Uint8Array {
    if (this.closed) return this.writer.encodeRlerror(readHeader(request)?.tag ?? NOTAG, EBADF);
    if (request.byteLength > this.msize) {
      return this.writer.encodeRlerror(readHeader(request)?.tag ?? NOTAG, EMSGSIZE);
    }
    const d = decodeMessage(request);
    if (!d.ok) return this.writer.encodeRlerror(d.tag, d.errno);
    const m = d.msg;
    if ((m.type & 1) !== 0) return this.writer.encodeRlerror(m.tag, EPROTO);
    if (!this.negotiated && m.type !== MsgType.Tversion) return this.writer.encodeRlerror(m.tag, EPROTO);
    let r: Reply;
    try {
      r = this.dispatch(m);
    } catch {
      // A bug of ours, not the peer's: answer and keep serving.
      r = -EIO;
    }
    if (typeof r === 'number') return this.writer.encodeRlerror(m.tag, r < 0 ? -r : EIO);
    if (r instanceof Uint8Array) return r;
    let out: Uint8Array;
    try {
      out = this.writer.encode(r);
    } catch {
      return this.writer.encodeRlerror(m.tag, EIO);
    }
    return out.byteLength > this.msize ? this.writer.encodeRlerror(m.tag, EMSGSIZE) : out;
  }

  /** Clunks every fid and closes the root; handle() refuses everything afterwards. */
  close(): void {
    if (this.closed) return;
    this.clunkAll();
    releaseNode(this.root);
    if (this.ownsProcDir) close(this.procDir);
    this.closed = true;
  }

  private dispatch(m: P9Message): Reply {
    switch (m.type) {
      case MsgType.Tversion: return this.version(m);
      case MsgType.Tauth: return -EOPNOTSUPP;
      case MsgType.Tattach: return this.attach(m);
      case MsgType.Tflush: return { type: MsgType.Rflush, tag: m.tag };
      case MsgType.Twalk: return this.walk(m);
      case MsgType.Tgetattr: return this.getattr(m);
      case MsgType.Tsetattr: return this.setattr(m);
      case MsgType.Tlopen: return this.lopen(m);
      case MsgType.Tlcreate: return this.lcreate(m);
      case MsgType.Tread: return this.read(m);
      case MsgType.Twrite: return this.write(m);
      case MsgType.Treaddir: return this.readdir(m);
      case MsgType.Tmkdir: return this.mkdir(m);
      case MsgType.Tsymlink: return this.symlink(m);
      case MsgType.Tmknod: return this.mknod(m);
      case MsgType.Tlink: return this.link(m);
      case MsgType.Trename: return this.rename(m);
      case MsgType.Trenameat: return this.renameat(m);
      case MsgType.Tunlinkat: return this.unlinkat(m);
      case MsgType.Treadlink: return this.readlink(m);
      case MsgType.Tstatfs: return this.statfs(m);
      case MsgType.Tfsync: return this.fsync(m);
      case MsgType.Txattrwalk: return this.xattrwalk(m);
      case MsgType.Txattrcreate: return this.xattrcreate(m);
      case MsgType.Tlock: return this.lock(m);
      case MsgType.Tgetlock: return this.getlock(m);
      case MsgType.Tclunk: return this.clunk(m);
      case MsgType.Tremove: return this.remove(m);
      // Unknown messages unless Tversion agreed on the extension, as for any plain 9P2000.L server.
      case MsgType.Tlopenfd: return this.fdExtension ? this.lopenfd(m) : -EOPNOTSUPP;
      case MsgType.Tlcreatefd: return this.fdExtension ? this.lcreatefd(m) : -EOPNOTSUPP;
      case MsgType.Twalkgetattr: return this.fdExtension ? this.walkgetattr(m) : -EOPNOTSUPP;
      default: return -EOPNOTSUPP;
    }
  }

  // Session.

  private version(m: M<'Tversion'>): Reply {
    // Tversion aborts the session: every fid goes.
    this.clunkAll();
    const msize = Math.min(m.msize, this.maxMsize);
    this.fdExtension = false;
    if (!m.version.startsWith(VERSION_9P2000_L) || msize < SERVER_MIN_MSIZE) {
      this.negotiated = false;
      return { type: MsgType.Rversion, tag: m.tag, msize, version: VERSION_UNKNOWN };
    }
    this.negotiated = true;
    this.msize = msize;
    // The extension only when asked for by its exact name and this server can send fds; else the prefix.
    this.fdExtension = this.donateFds && m.version === VERSION_9P2000_L_FD;
    return { type: MsgType.Rversion, tag: m.tag, msize, version: this.fdExtension ? VERSION_9P2000_L_FD : VERSION_9P2000_L };
  }

  private attach(m: M<'Tattach'>): Reply {
    if (this.fids.has(m.fid)) return -EEXIST;
    if (m.afid !== NOFID) return -EINVAL;
    // aname is ignored: a server serves exactly one directory, and honouring a
    // path from the peer is what this design avoids.
    this.fids.set(m.fid, newFid(this.root.acquire(), m.nUname));
    return { type: MsgType.Rattach, tag: m.tag, qid: this.root.qid };
  }

  /** Clunking a Txattrcreate fid sets the attribute; the fid goes even if that fails. */
  private clunk(m: M<'Tclunk'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined) return -EBADF;
    const r = f.pendingXattr !== null ? this.commitXattr(f.node, f.pendingXattr) : 0;
    this.dropFid(m.fid);
    if (r < 0) return r;
    return { type: MsgType.Rclunk, tag: m.tag };
  }

  private clunkAll(): void {
    for (const fid of [...this.fids.keys()]) this.dropFid(fid);
  }

  private dropFid(fid: number): boolean {
    const f = this.fids.get(fid);
    if (f === undefined) return false;
    this.fids.delete(fid);
    if (f.openFd >= 0) close(f.openFd);
    releaseNode(f.node);
    return true;
  }

  // Walking.

  private walk(m: M<'Twalk'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined || isXattrFid(f)) return -EBADF;
    if (m.names.length > MAXWELEM) return -EINVAL;
    if (m.newfid !== m.fid && this.fids.has(m.newfid)) return -EEXIST;
    // The walk owns one reference on `cur` throughout; each child takes it over.
    let cur = f.node.acquire();
    const qids: Qid[] = [];
    for (const name of m.names) {
      let err = checkName(name);
      if (err === 0) {
        const fd = openat(cur.fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
          const child = nodeForFd(fd, cur, name);
          if (typeof child !== 'number') {
            cur = child;
            qids.push(child.qid);
            continue;
          }
          err = child;
        } else {
          err = fd;
        }
      }
      releaseNode(cur);
      if (qids.length === 0) return err;
      // A partial walk reports how far it got; newfid is left untouched.
      return { type: MsgType.Rwalk, tag: m.tag, qids };
    }
    if (m.newfid === m.fid) {
      releaseNode(f.node);
      f.node = cur;
    } else {
      this.fids.set(m.newfid, newFid(cur, f.uid));
    }
    return { type: MsgType.Rwalk, tag: m.tag, qids };
  }

  /**
   * Twalk, then Tgetattr of newfid: what each lookup of the Sentry asks,
   * in one round trip. A failed or partial walk answers as Twalk does (an
   * error, or the qids so far with zero attributes); if the walk succeeds
   * but fstat fails, newfid goes again and the error is the answer.
   */
  private walkgetattr(m: M<'Twalkgetattr'>): Reply {
    const walked = this.walk({ type: MsgType.Twalk, tag: m.tag, fid: m.fid, newfid: m.newfid, names: m.names });
    if (typeof walked === 'number' || walked instanceof Uint8Array || walked.type !== MsgType.Rwalk) return walked;
    if (walked.qids.length < m.names.length) return { type: MsgType.Rwalkgetattr, tag: m.tag, qids: walked.qids, ...NO_ATTR };
    const f = this.fids.get(m.newfid);
    if (f === undefined) return -EBADF;
    const attr = attrOf(f.node);
    if (typeof attr === 'number') {
      // newfid = fid walked in place: it stays, moved, as after Twalk.
      if (m.newfid !== m.fid) this.dropFid(m.newfid);
      return attr;
    }
    return { type: MsgType.Rwalkgetattr, tag: m.tag, qids: walked.qids, ...attr };
  }

  // Attributes.

  private getattr(m: M<'Tgetattr'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined) return -EBADF;
    const attr = attrOf(f.node);
    return typeof attr === 'number' ? attr : { type: MsgType.Rgetattr, tag: m.tag, ...attr };
  }

  private setattr(m: M<'Tsetattr'>): Reply {
    if (this.readonly) return -EROFS;
    const f = this.fids.get(m.fid);
    if (f === undefined || isXattrFid(f)) return -EBADF;
    const node = f.node;
    const v = m.valid;
    if (v & SETATTR_MODE) {
      // chmod of a symlink is meaningless on Linux (lchmod: EOPNOTSUPP).
      if (node.isSymlink) return -EOPNOTSUPP;
      const r = fchmodat(this.procDir, String(node.fd), m.mode & HOST_MODE_BITS, 0);
      if (r < 0) return r;
    }
    if (v & (SETATTR_UID | SETATTR_GID)) {
      const uid = v & SETATTR_UID ? m.uid : -1;
      const gid = v & SETATTR_GID ? m.gid : -1;
      const r = fchownat(node.fd, '', uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
      if (r < 0) return r;
    }
    if (v & SETATTR_SIZE) {
      if (!node.isRegular) return node.isDir ? -EISDIR : -EINVAL;
      const writable = f.openFd >= 0 && (f.openFlags & O_ACCMODE) !== O_RDONLY;
      const r = writable ? ftruncate(f.openFd, m.size) : this.truncateNode(node, m.size);
      if (r < 0) return r;
    }
    if (v & (SETATTR_ATIME | SETATTR_MTIME)) {
      const aNsec = !(v & SETATTR_ATIME) ? UTIME_OMIT : v & SETATTR_ATIME_SET ? m.atimeNsec : UTIME_NOW;
      const mNsec = !(v & SETATTR_MTIME) ? UTIME_OMIT : v & SETATTR_MTIME_SET ? m.mtimeNsec : UTIME_NOW;
      if ((aNsec !== UTIME_OMIT && aNsec !== UTIME_NOW && aNsec >= 1e9) || (mNsec !== UTIME_OMIT && mNsec !== UTIME_NOW && mNsec >= 1e9)) {
        return -EINVAL;
      }
      const r = utimensat(node.fd, '', m.atimeSec, aNsec, m.mtimeSec, mNsec, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
      if (r < 0) return r;
    }
    // SETATTR_CTIME alone needs nothing: any change above already set ctime.
    return { type: MsgType.Rsetattr, tag: m.tag };
  }

  // Opening, reading and writing.

  private lopen(m: M<'Tlopen'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined) return -EBADF;
    const r = this.openFid(f, m.flags);
    if (r < 0) return r;
    return { type: MsgType.Rlopen, tag: m.tag, qid: f.node.qid, iounit: this.iounit() };
  }

  /** Tlopen's checks and reopen: f becomes open. Returns 0 or -errno. */
  private openFid(f: FidState, reqFlags: number): number {
    if (isXattrFid(f) || f.openFd >= 0) return -EBADF;
    if (this.readonly && ((reqFlags & O_ACCMODE) !== O_RDONLY || (reqFlags & O_TRUNC) !== 0)) return -EROFS;
    const node = f.node;
    // Only regular files and directories are opened on the host: opening a
    // device node or a FIFO from the mount would reach past the file system.
    if (node.isSymlink) return -ELOOP;
    if (!node.isRegular && !node.isDir) return -EPERM;
    const flags = (reqFlags & PASSED_OPEN_FLAGS) | O_CLOEXEC | O_NOCTTY;
    const fd = this.reopen(node.fd, flags);
    if (fd < 0) return fd;
    f.openFd = fd;
    f.openFlags = flags;
    return 0;
  }

  /**
   * Tlopen of a regular file whose open fd also goes to the client, which
   * then reads and writes it itself. Never a directory (its fd would reach
   * other names by openat), a symlink, or anything else; never O_PATH
   * (PASSED_OPEN_FLAGS drops it) or O_DIRECTORY. With newfid != fid, the
   * file opened is a new fid for fid's node (Twalk with no names, then
   * Tlopen, in one message); if the open fails, newfid is not created.
   */
  private lopenfd(m: M<'Tlopenfd'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined || isXattrFid(f)) return -EBADF;
    const node = f.node;
    if (node.isDir) return -EISDIR;
    if (node.isSymlink) return -ELOOP;
    if (!node.isRegular) return -EPERM;
    let target = f;
    if (m.newfid !== m.fid) {
      if (this.fids.has(m.newfid)) return -EEXIST;
      target = newFid(node.acquire(), f.uid);
    } else if (f.openFd >= 0) {
      return -EBADF;
    }
    const r = this.openFid(target, m.flags & ~O_DIRECTORY);
    if (r < 0) {
      if (target !== f) releaseNode(target.node);
      return r;
    }
    if (target !== f) this.fids.set(m.newfid, target);
    this.donated = target.openFd;
    return { type: MsgType.Rlopenfd, tag: m.tag, qid: node.qid, iounit: this.iounit() };
  }

  /** Tlcreate whose new file's open fd also goes to the client (a new file is always regular). */
  private lcreatefd(m: M<'Tlcreatefd'>): Reply {
    const r = this.lcreate({ ...m, type: MsgType.Tlcreate });
    if (typeof r === 'number' || r instanceof Uint8Array || r.type !== MsgType.Rlcreate) return r;
    const f = this.fids.get(m.fid);
    if (f === undefined || f.openFd < 0 || !f.node.isRegular) return -EIO;
    this.donated = f.openFd;
    return { type: MsgType.Rlcreatefd, tag: m.tag, qid: r.qid, iounit: r.iounit };
  }

  /**
   * Creates a regular file, always exclusively and without following a
   * symlink at the name, so a dangling link can never make us create
   * something elsewhere. A client that wants "open or create" walks first.
   */
  private lcreate(m: M<'Tlcreate'>): Reply {
    if (this.readonly) return -EROFS;
    const f = this.fids.get(m.fid);
    if (f === undefined || isXattrFid(f) || f.openFd >= 0) return -EBADF;
    const dir = f.node;
    if (!dir.isDir) return -ENOTDIR;
    const bad = checkName(m.name);
    if (bad < 0) return bad;
    const flags = (m.flags & PASSED_OPEN_FLAGS & ~O_DIRECTORY) | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
    const fd = openat(dir.fd, m.name, flags, m.mode & HOST_MODE_BITS);
    if (fd < 0) return fd;
    // The O_PATH fd for the new node comes from the open fd, not the name,
    // so it is the file we created even if the name changed meanwhile.
    const pathFd = this.reopen(fd, O_PATH | O_CLOEXEC);
    if (pathFd < 0) {
      close(fd);
      return pathFd;
    }
    const node = nodeForFd(pathFd, dir.acquire(), m.name);
    if (typeof node === 'number') {
      releaseNode(dir);
      close(fd);
      return node;
    }
    this.chownNew(node.fd, f.uid, m.gid);
    releaseNode(dir);
    f.node = node;
    f.openFd = fd;
    f.openFlags = flags;
    return { type: MsgType.Rlcreate, tag: m.tag, qid: node.qid, iounit: this.iounit() };
  }

  private read(m: M<'Tread'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined) return -EBADF;
    const n = Math.min(m.count, this.msize - RREAD_HEADER);
    if (f.pendingXattr !== null) return -EBADF;
    if (f.xattr !== null) {
      const value = f.xattr;
      const start = Math.min(m.offset, value.byteLength);
      const end = Math.min(start + n, value.byteLength);
      return { type: MsgType.Rread, tag: m.tag, data: value.subarray(start, end) };
    }
    if (f.openFd < 0) return -EBADF;
    // pread straight into the reply: the payload is never copied again.
    const into = this.writer.reserveRread(n);
    const got = pread(f.openFd, into, n, m.offset);
    if (got < 0) return got;
    return this.writer.finishRread(m.tag, got);
  }

  private write(m: M<'Twrite'>): Reply {
    if (this.readonly) return -EROFS;
    const f = this.fids.get(m.fid);
    if (f !== undefined && f.pendingXattr !== null) return this.writeXattr(m, f.pendingXattr);
    if (f === undefined || f.openFd < 0) return -EBADF;
    const n = pwrite(f.openFd, m.data, m.data.byteLength, m.offset);
    if (n < 0) return n;
    return { type: MsgType.Rwrite, tag: m.tag, count: n };
  }

  /**
   * Entries after cookie `offset`, as many as fit in `count` bytes. Each
   * call seeks to the cookie, so entries that did not fit are simply read
   * again next time. "." and ".." are left out: the client synthesises them,
   * and the root's ".." would describe a directory outside the mount.
   */
  private readdir(m: M<'Treaddir'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined || f.openFd < 0) return -EBADF;
    if (!f.node.isDir) return -ENOTDIR;
    if (m.offset > I64_MAX) return -EINVAL;
    const pos = lseek(f.openFd, m.offset, SEEK_SET);
    if (typeof pos === 'number') return pos;
    const budget = Math.min(m.count, this.msize - RREAD_HEADER);
    const entries: Dirent[] = [];
    let used = 0;
    fill: for (;;) {
      const len = getdents64(f.openFd, this.dirents);
      if (len < 0) {
        if (entries.length === 0) return len;
        break;
      }
      if (len === 0) break;
      for (const d of decodeDirents(this.dirents, len)) {
        if (d.name === '.' || d.name === '..') continue;
        const size = direntSize(Buffer.byteLength(d.name));
        if (used + size > budget) {
          // Not even one entry fits: the caller's buffer is too small.
          if (entries.length === 0) return -EINVAL;
          break fill;
        }
        used += size;
        entries.push({ qid: { type: direntQidType(d.type), version: 0, path: d.ino }, offset: d.off, type: d.type, name: d.name });
      }
    }
    return { type: MsgType.Rreaddir, tag: m.tag, entries };
  }

  private fsync(m: M<'Tfsync'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined || f.openFd < 0) return -EBADF;
    const r = m.datasync !== 0 ? fdatasync(f.openFd) : fsync(f.openFd);
    if (r < 0) return r;
    return { type: MsgType.Rfsync, tag: m.tag };
  }

  // Creating, linking, renaming and removing names.

  private mkdir(m: M<'Tmkdir'>): Reply {
    const dir = this.dirFor(m.dfid, m.name);
    if (typeof dir === 'number') return dir;
    const r = mkdirat(dir.node.fd, m.name, m.mode & HOST_MODE_BITS);
    if (r < 0) return r;
    return this.created(dir, m.name, m.gid, m.tag, MsgType.Rmkdir);
  }

  private symlink(m: M<'Tsymlink'>): Reply {
    const dir = this.dirFor(m.dfid, m.name);
    if (typeof dir === 'number') return dir;
    // The target is stored, never resolved by us.
    if (m.target === '' || m.target.includes('\0')) return -EINVAL;
    const r = symlinkat(m.target, dir.node.fd, m.name);
    if (r < 0) return r;
    return this.created(dir, m.name, m.gid, m.tag, MsgType.Rsymlink);
  }

  /** Regular files, FIFOs and sockets only: device nodes on the host are refused. */
  private mknod(m: M<'Tmknod'>): Reply {
    const dir = this.dirFor(m.dfid, m.name);
    if (typeof dir === 'number') return dir;
    const type = m.mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK && type !== 0) return -EPERM;
    const r = mknodat(dir.node.fd, m.name, (type || S_IFREG) | (m.mode & HOST_MODE_BITS), makedev(0, 0));
    if (r < 0) return r;
    return this.created(dir, m.name, m.gid, m.tag, MsgType.Rmknod);
  }

  private link(m: M<'Tlink'>): Reply {
    const dir = this.dirFor(m.dfid, m.name);
    if (typeof dir === 'number') return dir;
    const target = this.fids.get(m.fid);
    if (target === undefined) return -EBADF;
    // linkat(fd, "", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the magic
    // link does the same without it, and links a symlink itself, not its target.
    const r = linkat(this.procDir, String(target.node.fd), dir.node.fd, m.name, AT_SYMLINK_FOLLOW);
    if (r < 0) return r;
    return { type: MsgType.Rlink, tag: m.tag };
  }

  private rename(m: M<'Trename'>): Reply {
    const dir = this.dirFor(m.dfid, m.name);
    if (typeof dir === 'number') return dir;
    const f = this.fids.get(m.fid);
    if (f === undefined) return -EBADF;
    const node = f.node;
    if (node.parent === null) return -EBUSY;
    const still = node.checkStillNamed();
    if (still < 0) return still;
    const r = renameat(node.parent.fd, node.name, dir.node.fd, m.name);
    if (r < 0) return r;
    node.moveTo(dir.node.acquire(), m.name);
    return { type: MsgType.Rrename, tag: m.tag };
  }

  private renameat(m: M<'Trenameat'>): Reply {
    const from = this.dirFor(m.olddfid, m.oldname);
    if (typeof from === 'number') return from;
    const to = this.dirFor(m.newdfid, m.newname);
    if (typeof to === 'number') return to;
    const r = renameat(from.node.fd, m.oldname, to.node.fd, m.newname);
    if (r < 0) return r;
    return { type: MsgType.Rrenameat, tag: m.tag };
  }

  private unlinkat(m: M<'Tunlinkat'>): Reply {
    const dir = this.dirFor(m.dfid, m.name);
    if (typeof dir === 'number') return dir;
    if ((m.flags & ~AT_REMOVEDIR) !== 0) return -EINVAL;
    const r = unlinkat(dir.node.fd, m.name, m.flags);
    if (r < 0) return r;
    return { type: MsgType.Runlinkat, tag: m.tag };
  }

  /** Removes the fid's file; the fid is clunked whatever happens, as 9P requires. */
  private remove(m: M<'Tremove'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined) return -EBADF;
    // An attribute's fid names no file to remove; it is clunked (a pending value is dropped), as Tremove always does.
    const r = isXattrFid(f) ? -EBADF : this.removeNode(f.node);
    this.dropFid(m.fid);
    if (r < 0) return r;
    return { type: MsgType.Rremove, tag: m.tag };
  }

  private removeNode(node: HostNode): number {
    if (this.readonly) return -EROFS;
    if (node.parent === null) return -EBUSY;
    const still = node.checkStillNamed();
    if (still < 0) return still;
    return unlinkat(node.parent.fd, node.name, node.isDir ? AT_REMOVEDIR : 0);
  }

  // Everything else.

  private readlink(m: M<'Treadlink'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined) return -EBADF;
    if (!f.node.isSymlink) return -EINVAL;
    const target = readlinkat(f.node.fd, '');
    if (typeof target === 'number') return target;
    return { type: MsgType.Rreadlink, tag: m.tag, target };
  }

  private statfs(m: M<'Tstatfs'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined) return -EBADF;
    const st = fstatfs(f.node.fd);
    if (typeof st === 'number') return st;
    return {
      type: MsgType.Rstatfs, tag: m.tag, fsType: st.type >>> 0, bsize: st.bsize >>> 0,
      blocks: st.blocks, bfree: st.bfree, bavail: st.bavail, files: st.files, ffree: st.ffree,
      fsid: st.fsid, namelen: st.namelen >>> 0,
    };
  }

  /**
   * Only the "user." namespace is visible: trusted.*, security.* and
   * system.* describe the host's policy, not the sandbox's files.
   */
  private xattrwalk(m: M<'Txattrwalk'>): Reply {
    const f = this.fids.get(m.fid);
    if (f === undefined || isXattrFid(f)) return -EBADF;
    if (m.newfid !== m.fid && this.fids.has(m.newfid)) return -EEXIST;
    const node = f.node;
    let value: Uint8Array;
    if (m.name === '') {
      value = node.isRegular || node.isDir ? this.userXattrNames(node) : new Uint8Array(0);
    } else {
      // Linux allows user.* attributes on regular files and directories only.
      if (!m.name.startsWith(XATTR_USER_PREFIX) || !(node.isRegular || node.isDir)) return -ENODATA;
      const fd = this.reopen(node.fd, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      if (fd < 0) return fd;
      const n = fgetxattr(fd, m.name, this.xattrBuf);
      close(fd);
      if (n < 0) return n;
      value = Uint8Array.from(this.xattrBuf.subarray(0, n));
    }
    const state = newFid(node.acquire(), f.uid);
    state.xattr = value;
    if (m.newfid === m.fid) this.dropFid(m.fid);
    this.fids.set(m.newfid, state);
    return { type: MsgType.Rxattrwalk, tag: m.tag, size: value.byteLength };
  }

  /**
   * Txattrcreate turns the fid into one that receives an attribute's value:
   * attrSize bytes by Twrite, set on the host at Tclunk with flags
   * (XATTR_CREATE: EEXIST if present; XATTR_REPLACE: ENODATA if absent).
   * A size of 0 with XATTR_REPLACE alone is removexattr, as Linux's v9fs
   * client sends it; a size of 0 with other flags sets an empty value.
   * Only user.* names, on regular files and directories, as Txattrwalk.
   */
  private xattrcreate(m: M<'Txattrcreate'>): Reply {
    if (this.readonly) return -EROFS;
    const f = this.fids.get(m.fid);
    if (f === undefined || isXattrFid(f) || f.openFd >= 0) return -EBADF;
    if ((m.flags & ~(XATTR_CREATE | XATTR_REPLACE)) !== 0) return -EINVAL;
    if (Buffer.byteLength(m.name) > XATTR_NAME_MAX) return -ERANGE;
    if (m.name.includes('\0')) return -EINVAL;
    // trusted.*, security.* and system.* are the host's: refused, as they read as absent.
    if (!m.name.startsWith(XATTR_USER_PREFIX)) return -EOPNOTSUPP;
    if (m.name.length === XATTR_USER_PREFIX.length) return -EINVAL;
    if (m.attrSize > XATTR_SIZE_MAX) return -E2BIG;
    // Linux: user.* attributes belong to regular files and directories only.
    if (!(f.node.isRegular || f.node.isDir)) return -EPERM;
    f.pendingXattr = { name: m.name, flags: m.flags, value: new Uint8Array(m.attrSize), written: 0 };
    return { type: MsgType.Rxattrcreate, tag: m.tag };
  }

  /** Twrite on a Txattrcreate fid: the next bytes of the value, in order, never past the announced size. */
  private writeXattr(m: M<'Twrite'>, p: PendingXattr): Reply {
    if (m.offset !== p.written || m.data.byteLength > p.value.byteLength - p.written) return -EINVAL;
    p.value.set(m.data, p.written);
    p.written += m.data.byteLength;
    return { type: MsgType.Rwrite, tag: m.tag, count: m.data.byteLength };
  }

  /** Sets (or removes) the attribute on a fresh fd of the node: never through a name. */
  private commitXattr(node: HostNode, p: PendingXattr): number {
    if (this.readonly) return -EROFS;
    // A value shorter than announced: the client gave up half-way (9P2000.L says the sizes must agree).
    if (p.written !== p.value.byteLength) return -EINVAL;
    const fd = this.reopen(node.fd, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return fd;
    const remove = p.value.byteLength === 0 && p.flags === XATTR_REPLACE;
    const r = remove ? fremovexattr(fd, p.name) : fsetxattr(fd, p.name, p.value, p.flags);
    close(fd);
    return r;
  }

  private userXattrNames(node: HostNode): Uint8Array {
    const fd = this.reopen(node.fd, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return new Uint8Array(0);
    const n = flistxattr(fd, this.xattrBuf);
    close(fd);
    if (n <= 0) return new Uint8Array(0);
    const kept: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (this.xattrBuf[i] !== 0) continue;
      const name = this.xattrBuf.subarray(start, i + 1);
      if (name.toString('latin1').startsWith(XATTR_USER_PREFIX)) kept.push(Buffer.from(name));
      start = i + 1;
    }
    return Buffer.concat(kept);
  }

  /**
   * Locks are the Sentry's business: it arbitrates between the sandbox's
   * processes itself. The host file is never locked on their behalf.
   */
  private lock(m: M<'Tlock'>): Reply {
    if (!this.fids.has(m.fid)) return -EBADF;
    return { type: MsgType.Rlock, tag: m.tag, status: LOCK_SUCCESS };
  }

  private getlock(m: M<'Tgetlock'>): Reply {
    if (!this.fids.has(m.fid)) return -EBADF;
    return {
      type: MsgType.Rgetlock, tag: m.tag, lockType: LOCK_TYPE_UNLCK,
      start: m.start, length: m.length, procId: m.procId, clientId: m.clientId,
    };
  }

  // Helpers.

  private iounit(): number {
    return this.msize - IOHDRSZ;
  }

  /**
   * Opens the inode `fd` holds afresh, with `flags`, through its procfs
   * magic link: never by a name that could have been swapped meanwhile.
   */
  private reopen(fd: number, flags: number): number {
    return openat(this.procDir, String(fd), flags);
  }

  private truncateNode(node: HostNode, size: number): number {
    const fd = this.reopen(node.fd, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return fd;
    const r = ftruncate(fd, size);
    close(fd);
    return r;
  }

  /** The directory fid a mutating request names, with `name` checked. */
  private dirFor(dfid: number, name: string): FidState | number {
    if (this.readonly) return -EROFS;
    const f = this.fids.get(dfid);
    if (f === undefined || isXattrFid(f)) return -EBADF;
    if (!f.node.isDir) return -ENOTDIR;
    const bad = checkName(name);
    return bad < 0 ? bad : f;
  }

  /** Finishes mkdir/symlink/mknod: owner, then the new file's qid. */
  private created(
    dir: FidState, name: string, gid: number, tag: number,
    type: typeof MsgType.Rmkdir | typeof MsgType.Rsymlink | typeof MsgType.Rmknod,
  ): Reply {
    const fd = openat(dir.node.fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fd;
    this.chownNew(fd, dir.uid, gid);
    const st = fstat(fd);
    close(fd);
    if (typeof st === 'number') return st;
    return { type, tag, qid: qidFromStat(st) };
  }

  /**
   * Gives a new file to the user who asked for it. Best effort: a failure
   * leaves the Gofer's own ids, which the Sentry's credentials check covers.
   */
  private chownNew(pathFd: number, uid: number, gid: number): void {
    if (!this.chownCreated) return;
    const u = uid === NONUNAME ? -1 : uid;
    const g = gid === NONUNAME ? -1 : gid;
    if (u === -1 && g === -1) return;
    fchownat(pathFd, '', u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
  }
}

type Attrs = Omit<M<'Rgetattr'>, 'type' | 'tag'>;

/** Rgetattr's body for a node: fstat of its fd. */
function attrOf(node: HostNode): Attrs | number {
  const st = fstat(node.fd);
  if (typeof st === 'number') return st;
  return {
    valid: GETATTR_BASIC, qid: node.qid,
    mode: st.mode, uid: st.uid, gid: st.gid, nlink: st.nlink, rdev: st.rdev, size: st.size,
    blksize: st.blksize, blocks: st.blocks,
    atimeSec: st.atimeSec, atimeNsec: st.atimeNsec, mtimeSec: st.mtimeSec, mtimeNsec: st.mtimeNsec,
    ctimeSec: st.ctimeSec, ctimeNsec: st.ctimeNsec, btimeSec: 0, btimeNsec: 0, gen: 0n, dataVersion: 0n,
  };
}

/** Rwalkgetattr's attributes after a partial walk: none. */
const NO_ATTR: Attrs = {
  valid: 0n, qid: { type: 0, version: 0, path: 0n }, mode: 0, uid: 0, gid: 0, nlink: 0, rdev: 0n, size: 0,
  blksize: 0, blocks: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0, ctimeSec: 0, ctimeNsec: 0,
  btimeSec: 0, btimeNsec: 0, gen: 0n, dataVersion: 0n,
};

function newFid(node: HostNode, uid: number): FidState {
  return { node, openFd: -1, openFlags: 0, uid, xattr: null, pendingXattr: null };
}

/** d_type to qid type, so readdir needs no stat per entry. */
function direntQidType(dtype: number): number {
  switch (dtype) {
    case DT_DIR: return QTDIR;
    case DT_LNK: return QTSYMLINK;
    default: return QTFILE;
  }
}
