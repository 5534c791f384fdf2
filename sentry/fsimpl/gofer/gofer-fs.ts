// A file system served by the Gofer over 9P2000.L. Each inode holds a walked
// fid; opening clones it and lopens the clone. When the Gofer agreed to
// donate fds (Tversion 9P2000.L.fd), a regular file's inode asks once for a
// read and a write host fd (Tlopenfd), which all its open files share, and
// reads and writes go to them with no 9P message; a created file uses the fd
// Tlcreatefd brought (gofer/README.md, "Host fd donation"). Attributes are
// asked for on every stat, never cached: the Gofer's host directory may
// change under us, and writes through an fd change size and times without
// the Gofer seeing them.
import { E } from '../../../abi/linux/errno.js';
import { FALLOC_FL_KEEP_SIZE } from '../../../abi/linux/falloc.js';
import { AT_REMOVEDIR, O_ACCMODE, O_APPEND, O_RDONLY, O_RDWR, O_DIRECTORY, O_WRONLY } from '../../../abi/linux/fcntl.js';
import { RENAME_NOREPLACE } from '../../../abi/linux/fs.js';
import { DT_DIR, major, minor, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, UTIME_NOW, type Stat } from '../../../abi/linux/stat.js';
import { XATTR_REPLACE, XATTR_USER_PREFIX } from '../../../abi/linux/xattr.js';
import { DEFAULT_MSIZE, P9Client, type Attr, type SetAttr as SetAttrMsg } from '../../../gofer/p9/client.js';
import { fstat as hostFstat, type HostStat } from '../../../host/fs.js';
import { hostClose, hostFileSize, hostFsync, hostFtruncate, hostPread, hostPwrite } from '../../../host/io.js';
import {
  GETATTR_BASIC, GETATTR_BTIME, NOFID, SETATTR_ATIME, SETATTR_ATIME_SET, SETATTR_CTIME, SETATTR_GID, SETATTR_MODE, SETATTR_MTIME,
  SETATTR_MTIME_SET, SETATTR_SIZE, SETATTR_UID, VERSION_9P2000_L_FD,
} from '../../../gofer/p9/messages.js';
import type { MemoryFile } from '../../mm/memory-file.js';
import type { MappableFile, SharedPiece } from '../../mm/vma.js';
import { GoferSharedCache } from './shared-cache.js';
import { FileDescription } from '../../vfs/file-description.js';
import type { Created, DirEntry, FsStat, Inode, SetAttr } from '../../vfs/inode.js';
import { Fifo } from '../pipe/fifo.js';
import { syscallEpoch } from '../../vfs/syscall-epoch.js';

/** statfs f_flags: mounted read-only; ST_VALID, which Linux always sets to say f_flags means something. */
const ST_RDONLY = 1;
const ST_VALID = 0x20;

export interface GoferMountOptions {
  readonly: boolean;
  /** st_dev for every file of this mount. */
  dev: number;
}

/**
 * How many files no one has open may keep their donated fds (a few fds
 * each, in the Sentry and in the Gofer), so that opening them again costs
 * no Tlopenfd and closing them no close(2) and Tclunk.
 */
export const IDLE_HOST_FDS = 64;

export class GoferFs {
  /** The Sentry's pipes for the mount's FIFOs, by host inode number. */
  private readonly fifos = new Map<bigint, Fifo>();
  /** Inodes with donated fds and no open file, least recently used first (a Set keeps insertion order). */
  private readonly idle = new Set<GoferInode>();

  /**
   * Counts changes made through this mount (writes, creations, setattr,
   * ...): attributes remembered earlier in a system call answer a stat only
   * while it has not moved (GoferInode.stat).
   */
  changes = 0;

  constructor(readonly client: P9Client, readonly opts: GoferMountOptions) {}

  changed(): void { this.changes++; }

  /** The last open file of inode is gone: its fds stay for a while, and the oldest idle ones go. */
  parkIdle(inode: GoferInode): void {
    this.idle.add(inode);
    if (this.idle.size <= IDLE_HOST_FDS) return;
    const oldest = this.idle.values().next().value as GoferInode;
    this.idle.delete(oldest);
    oldest.closeHostFds();
  }

  unpark(inode: GoferInode): void { this.idle.delete(inode); }

  /** Inodes holding donated fds that no open file uses (for tests). */
  get idleCount(): number { return this.idle.size; }

  fifoFor(ino: bigint): Fifo {
    let f = this.fifos.get(ino);
    if (f === undefined) { f = new Fifo(); this.fifos.set(ino, f); }
    return f;
  }

  /** Attaches to the served root. */
  static mount(client: P9Client, opts: GoferMountOptions): GoferInode | number {
    // Ask for host fd donation: regular files are then read and written
    // through their host fd (GoferFile), not one 9P round trip per call.
    const v = client.version(DEFAULT_MSIZE, VERSION_9P2000_L_FD);
    if (v < 0) return v;
    const fs = new GoferFs(client, opts);
    const fid = client.fids.alloc();
    const qid = client.attach(fid, 'root', '/', 0);
    if (typeof qid === 'number') return qid;
    const attr = client.getattr(fid, GETATTR_BASIC);
    if (typeof attr === 'number') return attr;
    return new GoferInode(fs, fid, attr.mode & S_IFMT, '/', attr);
  }

  toStat(a: Attr): Stat {
    return {
      dev: this.opts.dev, ino: a.qid.path, mode: a.mode, nlink: a.nlink, uid: a.uid, gid: a.gid, rdev: Number(a.rdev),
      size: a.size, blksize: a.blksize, blocks: a.blocks,
      atime: { sec: a.atimeSec, nsec: a.atimeNsec }, mtime: { sec: a.mtimeSec, nsec: a.mtimeNsec },
      ctime: { sec: a.ctimeSec, nsec: a.ctimeNsec },
      // A birth time only when the Gofer vouches for it: statx must not claim STATX_BTIME for a zero.
      btime: (a.valid & GETATTR_BTIME) !== 0n ? { sec: a.btimeSec, nsec: a.btimeNsec } : undefined,
    };
  }

  /**
   * A donated fd's fstat as the Gofer's Tgetattr would report it: the
   * server answers Tgetattr with fstat of the same inode, and no birth time.
   */
  hostToStat(h: HostStat): Stat {
    return {
      dev: this.opts.dev, ino: h.ino, mode: h.mode, nlink: h.nlink, uid: h.uid, gid: h.gid, rdev: Number(h.rdev),
      size: h.size, blksize: h.blksize, blocks: h.blocks,
      atime: { sec: h.atimeSec, nsec: h.atimeNsec }, mtime: { sec: h.mtimeSec, nsec: h.mtimeNsec },
      ctime: { sec: h.ctimeSec, nsec: h.ctimeNsec }, btime: undefined,
    };
  }
}

/**
 * implements Inode over a walked (unopened) fid. The fid lives while
 * someone uses the inode: the dentry that looked it up (until the VFS
 * evicts it) and each open file. After that it is clunked, and the inode
 * answers EBADF (its fid is NOFID, which the Gofer knows nothing of).
 */
export class GoferInode implements Inode {
  private refs = 1;
  /** The pages MAP_SHARED mappings of this file use, while there are any. */
  sharedCache: GoferSharedCache | null = null;

  /**
   * Host fds the Gofer donated for this file (Tlopenfd), shared by all its
   * open files: one opened O_RDONLY for reading, one O_WRONLY for writing,
   * each with the open fid that holds the Gofer's copy. Positional I/O on a
   * shared fd is as good as on a private one, and the access mode of each
   * open file is checked before its read or write gets here. They are
   * asked for on the first open that needs them and closed when the inode
   * goes, or when it has been idle (no open file) for IDLE_HOST_FDS others.
   */
  readFd = -1;
  writeFd = -1;
  private readFid = NOFID;
  private writeFid = NOFID;
  /** Open files using readFd/writeFd. */
  private fdUsers = 0;

  /** The last attributes fetched, and when (sentry/vfs/syscall-epoch.ts, GoferFs.changes). */
  private memo: { stat: Stat; epoch: number; changes: number } | null = null;

  constructor(readonly fs: GoferFs, public fid: number, readonly type: number, readonly path: string, attr?: Attr) {
    if (attr !== undefined) this.remember(fs.toStat(attr));
  }

  private remember(stat: Stat): void {
    this.memo = { stat, epoch: syscallEpoch(), changes: this.fs.changes };
  }

  incRef(): void { this.refs++; }

  /** Drops a reference; the last one closes the donated fds and clunks the fid. */
  decRef(): void {
    if (--this.refs !== 0 || this.fid === NOFID) return;
    this.fs.unpark(this);
    this.closeHostFds();
    this.client.clunk(this.fid);
    this.fid = NOFID;
  }

  /**
   * Makes sure the donated fds an open file with access mode acc needs are
   * here, asking the Gofer for those missing, and counts one more user.
   * Returns 0 or -errno (the Gofer's: EACCES, EROFS, ...).
   */
  acquireHostFds(acc: number): number {
    const wantRead = acc === O_RDONLY || acc === O_RDWR;
    const wantWrite = acc === O_WRONLY || acc === O_RDWR;
    let r = 0;
    if (wantRead && this.readFd < 0) r = this.donate(O_RDONLY);
    if (r === 0 && wantWrite && this.writeFd < 0) r = this.donate(O_WRONLY);
    if (r < 0) {
      // What was obtained stays for later opens, like any idle fd.
      if (this.fdUsers === 0 && (this.readFd >= 0 || this.writeFd >= 0)) this.fs.parkIdle(this);
      return r;
    }
    if (this.fdUsers++ === 0) this.fs.unpark(this);
    return 0;
  }

  /** An open file that used the donated fds is released. */
  releaseHostFds(): void {
    if (--this.fdUsers === 0) this.fs.parkIdle(this);
  }

  /** Closes the donated fds and clunks the fids holding the Gofer's copies. Precondition: no open file uses them. */
  closeHostFds(): void {
    if (this.readFd >= 0) { hostClose(this.readFd); this.readFd = -1; this.client.clunk(this.readFid); this.readFid = NOFID; }
    if (this.writeFd >= 0) { hostClose(this.writeFd); this.writeFd = -1; this.client.clunk(this.writeFid); this.writeFid = NOFID; }
  }

  /** One Tlopenfd: a clone of our fid opened with `mode`, and its host fd. */
  private donate(mode: number): number {
    const fid = this.client.fids.alloc();
    const opened = this.client.lopenfd(this.fid, mode, fid);
    if (typeof opened === 'number') { this.client.fids.release(fid); return opened; }
    if (opened.fd < 0) { this.client.clunk(fid); return -E.EIO; }
    if (mode === O_RDONLY) { this.readFd = opened.fd; this.readFid = fid; } else { this.writeFd = opened.fd; this.writeFid = fid; }
    return 0;
  }

  /** The VFS forgot the dentry: its reference goes. */
  evict(): void { this.decRef(); }

  get readonly(): boolean { return this.fs.opts.readonly; }
  private get client(): P9Client { return this.fs.client; }

  /**
   * The host's attributes: fstat of a donated fd when the inode holds one
   * (the same inode the Gofer would fstat for Tgetattr, so the same
   * answer, without the round trip), else Tgetattr.
   */
  stat(): Stat | number {
    const fd = this.readFd >= 0 ? this.readFd : this.writeFd;
    if (fd >= 0) {
      const h = hostFstat(fd);
      return typeof h === 'number' ? h : this.fs.hostToStat(h);
    }
    // Fetched earlier in this system call, with no change made through the mount since: the same answer.
    const m = this.memo;
    if (m !== null && m.epoch !== 0 && m.epoch === syscallEpoch() && m.changes === this.fs.changes) return copyStat(m.stat);
    const a = this.client.getattr(this.fid, GETATTR_BASIC);
    if (typeof a === 'number') return a;
    const st = this.fs.toStat(a);
    this.remember(st);
    return copyStat(st);
  }

  lookup(name: string): GoferInode | number {
    const fid = this.client.fids.alloc();
    const path = this.path === '/' ? `/${name}` : `${this.path}/${name}`;
    if (this.client.fdDonation) {
      // Our extension: the walk and the child's attributes in one round trip.
      const r = this.client.walkGetattr(this.fid, fid, [name]);
      if (typeof r === 'number') { this.client.fids.release(fid); return r; }
      // A walk of one name either reaches it or fails; a reply that says otherwise is the Gofer's fault.
      if (r.attr === null) { this.client.fids.release(fid); return -E.EIO; }
      return new GoferInode(this.fs, fid, r.attr.mode & S_IFMT, path, r.attr);
    }
    const qids = this.client.walk(this.fid, fid, [name]);
    if (typeof qids === 'number') { this.client.fids.release(fid); return qids; }
    const a = this.client.getattr(fid, GETATTR_BASIC);
    if (typeof a === 'number') { this.client.clunk(fid); return a; }
    return new GoferInode(this.fs, fid, a.mode & S_IFMT, path, a);
  }

  /**
   * A symlink's target never changes (replacing it makes a new inode, which
   * a new walk finds), and the fid holds this inode: the first Treadlink's
   * answer is every later one's. Exec of /bin/x walks /bin and the
   * loader's /lib64 links each time, one round trip each without this.
   */
  private linkTarget: string | null = null;

  readlink(): string | number {
    if (this.linkTarget !== null) return this.linkTarget;
    const r = this.client.readlink(this.fid);
    if (typeof r === 'string') this.linkTarget = r;
    return r;
  }

  statfs(): FsStat | number {
    const s = this.client.statfs(this.fid);
    if (typeof s === 'number') return s;
    return { type: s.fsType, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files,
      ffree: s.ffree, namelen: s.namelen, frsize: s.bsize, flags: ST_VALID | (this.readonly ? ST_RDONLY : 0) };
  }

  /** Reads an attribute's value (or, for name "", the name list) through a Txattrwalk fid. */
  private xattrRead(name: string): Uint8Array | number {
    const fid = this.client.fids.alloc();
    const size = this.client.xattrwalk(this.fid, fid, name);
    if (size < 0) { this.client.fids.release(fid); return size; }
    const value = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = this.client.read(fid, done, size - done, value.subarray(done));
      if (n <= 0) break;
      done += n;
    }
    this.client.clunk(fid);
    this.client.fids.release(fid);
    return value.subarray(0, done);
  }

  getxattr(name: string): Uint8Array | number {
    // Only the user namespace crosses to the host; the sandbox has no labels or ACLs.
    if (!name.startsWith('user.')) return -E.ENODATA;
    return this.xattrRead(name);
  }

  listxattr(): string[] | number {
    const raw = this.xattrRead('');
    if (typeof raw === 'number') return raw;
    return Buffer.from(raw).toString('latin1').split('\0').filter((n) => n.startsWith('user.'));
  }

  /** A new fid for the same file, for opening. */
  private cloneFid(): number {
    const fid = this.client.fids.alloc();
    const r = this.client.walk(this.fid, fid, []);
    if (typeof r === 'number') { this.client.fids.release(fid); return r; }
    return fid;
  }

  open(flags: number): FileDescription | number {
    // Opening for writing may truncate (O_TRUNC) or be followed by writes the memo must not hide.
    if ((flags & O_ACCMODE) !== O_RDONLY) this.fs.changed();
    if (this.type === S_IFIFO) {
      // The Gofer never opens a host FIFO: the Sentry keeps the pipe, shared by every open of this file.
      const st = this.stat();
      if (typeof st === 'number') return st;
      return this.fs.fifoFor(st.ino).open(flags, () => this.stat());
    }
    if (this.type === S_IFSOCK) return -E.ENXIO;
    // The Gofer opens with the access mode; the rest is ours to keep. Access
    // mode 3 (ioctl only) neither reads nor writes: a read-only open serves it.
    const acc = flags & O_ACCMODE;
    const hostFlags = (acc === O_ACCMODE ? O_RDONLY : acc) | (this.type === S_IFDIR ? O_DIRECTORY : 0);
    if (this.type === S_IFREG && this.client.fdDonation) {
      // The inode's donated fds serve this file: reads and writes skip 9P,
      // and opening again costs nothing once they are here.
      const r = this.acquireHostFds(acc === O_ACCMODE ? O_RDONLY : acc);
      if (r < 0) return r;
      return new GoferFile(this, NOFID, flags, -1);
    }
    const fid = this.cloneFid();
    if (fid < 0) return fid;
    const opened = this.client.lopen(fid, hostFlags);
    if (typeof opened === 'number') { this.client.clunk(fid); return opened; }
    return this.type === S_IFDIR ? new GoferDirFile(this, fid, flags) : new GoferFile(this, fid, flags, -1);
  }

  /**
   * What a new file needs after the Gofer made it: the Gofer gives new
   * files to the user its attach named (root), and a Gofer that did not
   * clear its umask (runGofer does; a P9Server embedded elsewhere may not)
   * takes bits the sandbox's own umask left: group and other write, when
   * asked for, are set again. null when nothing is to fix.
   */
  private static fixup(mode: number, uid: number): SetAttr | null {
    const attr: SetAttr = {};
    if (uid !== ATTACH_UID) attr.uid = uid;
    if (mode & HOST_UMASK) attr.mode = mode & 0o7777;
    return attr.uid === undefined && attr.mode === undefined ? null : attr;
  }

  /** Applies fixup() to a new name through a walk of its own. */
  private finishNew(name: string, mode: number, uid: number): number {
    const attr = GoferInode.fixup(mode, uid);
    if (attr === null) return 0;
    const child = this.lookup(name);
    if (typeof child === 'number') return child;
    const r = child.setattr(attr);
    child.decRef();
    return r;
  }

  create(name: string, flags: number, mode: number, uid: number, gid: number): Created | number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    const fid = this.cloneFid();
    if (fid < 0) return fid;
    const acc = flags & O_ACCMODE;
    const hostAcc = acc === O_RDONLY || acc === O_ACCMODE ? O_RDWR : acc;
    let hostFd = -1;
    if (this.client.fdDonation) {
      const opened = this.client.lcreatefd(fid, name, hostAcc, mode, gid);
      if (typeof opened === 'number') { this.client.clunk(fid); return opened; }
      hostFd = opened.fd;
    } else {
      const opened = this.client.lcreate(fid, name, hostAcc, mode, gid);
      if (typeof opened === 'number') { this.client.clunk(fid); return opened; }
    }
    const fail = (err: number): number => {
      if (hostFd >= 0) hostClose(hostFd);
      this.client.clunk(fid);
      return err;
    };
    const child = this.lookup(name);
    if (typeof child === 'number') return fail(child);
    const attr = GoferInode.fixup(mode, uid);
    const r = attr === null ? 0 : child.setattr(attr);
    if (r < 0) { child.decRef(); return fail(r); }
    const file = new GoferFile(child, fid, flags, hostFd);
    // The file holds its own reference; the caller's dentry takes over the lookup's.
    return { inode: child, file };
  }

  mkdir(name: string, mode: number, uid: number, gid: number): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    const q = this.client.mkdir(this.fid, name, mode, gid);
    return typeof q === 'number' ? q : this.finishNew(name, mode, uid);
  }

  mknod(name: string, mode: number, rdev: number, uid: number, gid: number): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    const q = this.client.mknod(this.fid, name, mode, major(rdev), minor(rdev), gid);
    return typeof q === 'number' ? q : this.finishNew(name, mode, uid);
  }

  symlink(name: string, target: string, uid: number, gid: number): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    const q = this.client.symlink(this.fid, name, target, gid);
    return typeof q === 'number' ? q : this.finishNew(name, 0, uid);
  }

  link(name: string, target: Inode): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    if (!(target instanceof GoferInode) || target.fs !== this.fs) return -E.EXDEV;
    return this.client.link(this.fid, target.fid, name);
  }

  unlink(name: string): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    return this.client.unlinkat(this.fid, name, 0);
  }

  rmdir(name: string): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    return this.client.unlinkat(this.fid, name, AT_REMOVEDIR);
  }

  /** Trenameat has no flags: RENAME_EXCHANGE is EINVAL, as gVisor's gofer answers; RENAME_NOREPLACE the VFS checked. */
  rename(oldName: string, newParent: Inode, newName: string, flags: number): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    if (!(newParent instanceof GoferInode) || newParent.fs !== this.fs) return -E.EXDEV;
    if (flags & ~RENAME_NOREPLACE) return -E.EINVAL;
    return this.client.renameat(this.fid, oldName, newParent.fid, newName);
  }

  setattr(attr: SetAttr): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    const r = this.client.setattr(this.fid, toP9SetAttr(attr));
    if (r >= 0 && attr.size !== undefined) this.sharedCache?.truncated(attr.size);
    return r;
  }

  /**
   * Sets a user.* attribute through Txattrcreate (P9Client.setxattr); the
   * Gofer refuses the other namespaces, and so do we, before asking.
   */
  setxattr(name: string, value: Uint8Array, flags: number): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    if (!name.startsWith(XATTR_USER_PREFIX)) return -E.EOPNOTSUPP;
    if (value.byteLength === 0 && flags === XATTR_REPLACE) {
      // On the wire this would be removexattr: check that it exists (ENODATA), then set the empty value unconditionally.
      const current = this.xattrRead(name);
      if (typeof current === 'number') return current;
      flags = 0;
    }
    return this.client.setxattr(this.fid, name, value, flags);
  }

  /** Other namespaces read as absent through the Gofer, so there is nothing of theirs to remove. */
  removexattr(name: string): number {
    if (this.readonly) return -E.EROFS;
    this.fs.changed();
    if (!name.startsWith(XATTR_USER_PREFIX)) return -E.ENODATA;
    return this.client.removexattr(this.fid, name);
  }

}

const ATTACH_UID = 0;

/** A Stat no caller can change under the memo (the times are objects). */
function copyStat(st: Stat): Stat {
  return { ...st, atime: { ...st.atime }, mtime: { ...st.mtime }, ctime: { ...st.ctime }, btime: st.btime && { ...st.btime } };
}
/** The bits a host umask of 022 would take from the modes the Gofer creates with. */
const HOST_UMASK = 0o022;

/** struct iattr as a Tsetattr: each field sets its valid bit; UTIME_NOW is "now" (no _SET bit). */
export function toP9SetAttr(attr: SetAttr): SetAttrMsg {
  let valid = 0;
  if (attr.mode !== undefined) valid |= SETATTR_MODE;
  if (attr.uid !== undefined) valid |= SETATTR_UID;
  if (attr.gid !== undefined) valid |= SETATTR_GID;
  if (attr.size !== undefined) valid |= SETATTR_SIZE;
  const a = attr.atime, m = attr.mtime;
  if (a) valid |= SETATTR_ATIME | (a.nsec === UTIME_NOW ? 0 : SETATTR_ATIME_SET);
  if (m) valid |= SETATTR_MTIME | (m.nsec === UTIME_NOW ? 0 : SETATTR_MTIME_SET);
  if (valid !== 0) valid |= SETATTR_CTIME;
  return {
    valid, mode: attr.mode ?? 0, uid: attr.uid ?? 0, gid: attr.gid ?? 0, size: attr.size ?? 0,
    atimeSec: a && a.nsec !== UTIME_NOW ? a.sec : 0, atimeNsec: a && a.nsec !== UTIME_NOW ? a.nsec : 0,
    mtimeSec: m && m.nsec !== UTIME_NOW ? m.sec : 0, mtimeNsec: m && m.nsec !== UTIME_NOW ? m.nsec : 0,
  };
}

/**
 * An opened regular file, in one of three ways:
 * - fid NOFID: opened with the inode's donated fds (GoferInode.readFd and
 *   writeFd, Tlopenfd); read, write, fsync, fstat and truncate go to them
 *   with no 9P message;
 * - a fid and ownFd >= 0: created with Tlcreatefd; the same, on the fd
 *   that came with it, which this file owns (it has the access mode asked
 *   for, or O_RDWR);
 * - a fid and ownFd -1: no donation; everything through 9P on the fid.
 * Nothing about the file is cached here, so stat after a write through an
 * fd sees the host's size and times; MAP_SHARED pages (shared-cache.ts) are
 * kept coherent the same way on every path (flushed before a read, updated
 * after a write).
 */
export class GoferFile extends FileDescription implements MappableFile {
  /** Where reads and writes go on the host, or -1 (9P). */
  private readonly readFd: number;
  private readonly writeFd: number;

  /** ownFd: the donated fd of this file alone, or -1; closed by release() (dup(2) shares the description). */
  constructor(readonly inode: GoferInode, private readonly fid: number, flags: number, private ownFd: number) {
    super(flags);
    inode.incRef();
    if (fid === NOFID) {
      this.readFd = inode.readFd;
      this.writeFd = inode.writeFd;
    } else {
      this.readFd = this.writeFd = ownFd;
    }
  }

  /** Whether reads and writes go to a donated host fd (for tests). */
  get hasHostFd(): boolean { return this.readFd >= 0 || this.writeFd >= 0; }

  /** A donated fd of this file for fstat and fsync, or -1. */
  private get anyFd(): number { return this.readFd >= 0 ? this.readFd : this.writeFd; }

  get mappingName(): string { return this.inode.path; }
  private get client(): P9Client { return this.inode.fs.client; }

  stat(): Stat | number {
    const fd = this.anyFd;
    if (fd < 0) return this.inode.stat();
    const h = hostFstat(fd);
    return typeof h === 'number' ? h : this.inode.fs.hostToStat(h);
  }

  /** Fills dst from offset until full or end of file. */
  /** readInto is a plain pread of the donated fd when there is one: mappings may sendfile from it. */
  hostReadFd(): number { return this.readFd; }

  readInto(offset: number, dst: Uint8Array): number {
    if (this.readFd >= 0) return this.preadAll(offset, dst);
    // A write-only file with donated fds has no fid to read through (mmap needs read access anyway).
    if (this.fid === NOFID) return -E.EBADF;
    let done = 0;
    while (done < dst.length) {
      const n = this.client.read(this.fid, offset + done, dst.length - done, dst.subarray(done));
      if (n < 0) return done > 0 ? done : n;
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /**
   * A MAP_SHARED mapping maps the inode's cached pages (shared-cache.ts),
   * read from the file the first time.
   */
  sharePages(mf: MemoryFile, offset: number, length: number): SharedPiece[] | number {
    const inode = this.inode;
    if (inode.sharedCache === null) inode.sharedCache = new GoferSharedCache(mf, () => { inode.sharedCache = null; });
    else if (inode.sharedCache.store.mf !== mf) return -E.ENODEV;
    return inode.sharedCache.share(this, offset, length);
  }

  /** pread(2) on the donated fd until dst is full or end of file. */
  private preadAll(offset: number, dst: Uint8Array): number {
    const fd = this.readFd;
    let n = hostPread(fd, dst, offset);
    if (n < 0 || n === dst.byteLength || n === 0) return n;
    let done = n;
    while (done < dst.byteLength) {
      n = hostPread(fd, dst.subarray(done), offset + done);
      if (n < 0) return done;
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** The size the Gofer reports (or the donated fd's fstat), for write-back and O_APPEND. */
  fileSize(): number {
    const fd = this.anyFd;
    if (fd >= 0) return hostFileSize(fd);
    const st = this.stat();
    return typeof st === 'number' ? st : st.size;
  }

  override read(dst: Uint8Array, offset: number): number {
    const at = offset < 0 ? this.offset : offset;
    // What shared mappings changed reaches the file before read(2) looks.
    const cache = this.inode.sharedCache;
    if (cache !== null) {
      const r = cache.flush(at, dst.length);
      if (r < 0) return r;
    }
    const n = this.readInto(at, dst);
    if (n > 0 && offset < 0) this.offset += n;
    return n;
  }

  override write(src: Uint8Array, offset: number): number {
    this.inode.fs.changed();
    let at = offset < 0 ? this.offset : offset;
    // O_APPEND appends even for pwrite, as Linux does (pwrite(2), BUGS).
    if (this.flags & O_APPEND) {
      const size = this.fileSize();
      if (size < 0) return size;
      at = size;
    }
    if (this.writeFd < 0 && this.fid === NOFID) return -E.EBADF;
    const done = this.writeFd >= 0 ? this.pwriteAll(at, src) : this.writeVia9p(at, src);
    if (done < 0) return done;
    if (offset < 0) this.offset = at + done;
    if (done > 0) this.inode.sharedCache?.wrote(at, src.subarray(0, done));
    return done;
  }

  /** pwrite(2) on the donated fd until all of src is written; a failure after some bytes reports those. */
  private pwriteAll(at: number, src: Uint8Array): number {
    const fd = this.writeFd;
    let n = hostPwrite(fd, src, at);
    if (n < 0 || n === src.byteLength) return n;
    let done = n;
    while (done < src.byteLength) {
      n = hostPwrite(fd, src.subarray(done), at + done);
      if (n < 0) return done;
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  private writeVia9p(at: number, src: Uint8Array): number {
    let done = 0;
    while (done < src.length) {
      const n = this.client.write(this.fid, at + done, src.subarray(done));
      if (n < 0) return done > 0 ? done : n;
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /**
   * On the donated write fd, or through the open fid, so the Gofer
   * truncates the file it opened for writing. The VFS checked that this
   * file is writable.
   */
  override truncate(size: number): number {
    this.inode.fs.changed();
    let r: number;
    if (this.writeFd >= 0) r = hostFtruncate(this.writeFd, size);
    else if (this.fid !== NOFID) r = this.client.setattr(this.fid, toP9SetAttr({ size }));
    else r = -E.EBADF;
    if (r >= 0) this.inode.sharedCache?.truncated(size);
    return r;
  }
  override fsync(datasync: boolean): number {
    const fd = this.anyFd;
    return fd >= 0 ? hostFsync(fd, datasync) : this.client.fsync(this.fid, datasync);
  }

  /**
   * 9P2000.L has no Tfallocate: mode 0 grows the file to the range's end
   * (the blocks are the host's to allocate when written); KEEP_SIZE has
   * nothing left to do; other modes are not supported.
   */
  override allocate(mode: number, offset: number, length: number): number {
    if (mode & ~FALLOC_FL_KEEP_SIZE) return -E.EOPNOTSUPP;
    if (mode & FALLOC_FL_KEEP_SIZE) return 0;
    const st = this.stat();
    if (typeof st === 'number') return st;
    return offset + length > st.size ? this.truncate(offset + length) : 0;
  }

  protected override release(): void {
    if (this.fid === NOFID) {
      this.inode.releaseHostFds();
    } else {
      if (this.ownFd >= 0) {
        hostClose(this.ownFd);
        this.ownFd = -1;
      }
      this.client.clunk(this.fid);
    }
    this.inode.decRef();
  }
}

/** An opened directory: entries are read once and served from a cursor. */
export class GoferDirFile extends FileDescription {
  private entries: DirEntry[] | null = null;

  constructor(readonly inode: GoferInode, private readonly fid: number, flags: number) {
    super(flags);
    inode.incRef();
  }
  private get client(): P9Client { return this.inode.fs.client; }

  stat(): Stat | number { return this.inode.stat(); }

  override readdir(): DirEntry[] | number {
    if (this.entries === null || this.offset === 0) {
      // The Gofer sends no "." or "..": the VFS knows both.
      const self = this.inode.stat();
      if (typeof self === 'number') return self;
      const parentInode = this.dentry?.parent?.inode ?? this.dentry?.mountpoint?.parent?.inode ?? this.inode;
      const parent = parentInode.stat();
      const all: DirEntry[] = [
        { ino: self.ino, type: DT_DIR, name: '.' },
        { ino: typeof parent === 'number' ? self.ino : parent.ino, type: DT_DIR, name: '..' },
      ];
      let cookie = 0n;
      for (;;) {
        const batch = this.client.readdir(this.fid, cookie, 64 * 1024);
        if (typeof batch === 'number') return batch;
        if (batch.length === 0) break;
        for (const d of batch) if (d.name !== '.' && d.name !== '..') all.push({ ino: d.qid.path, type: d.type, name: d.name });
        cookie = batch[batch.length - 1].offset;
      }
      this.entries = all;
    }
    return this.entries.slice(this.offset);
  }

  override fsync(datasync: boolean): number { return this.client.fsync(this.fid, datasync); }

  protected override release(): void {
    this.client.clunk(this.fid);
    this.inode.decRef();
  }
}

