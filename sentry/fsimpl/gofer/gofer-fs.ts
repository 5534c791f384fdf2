// A file system served by the Gofer over 9P2000.L. Each inode holds a walked
// fid; opening clones it and lopens the clone. Attributes are asked for on
// every stat: the Gofer's host directory may change under us.
import { E } from '../../../abi/linux/errno.js';
import { O_ACCMODE, O_APPEND, O_RDONLY, O_RDWR, O_DIRECTORY } from '../../../abi/linux/fcntl.js';
import { DT_DIR, S_IFDIR, S_IFMT, UTIME_NOW, type Stat, type Timespec } from '../../../abi/linux/stat.js';
import { P9Client, type Attr } from '../../../gofer/p9/client.js';
import { GETATTR_BASIC, GETATTR_BTIME, SETATTR_ATIME, SETATTR_ATIME_SET, SETATTR_MTIME, SETATTR_MTIME_SET } from '../../../gofer/p9/messages.js';
import type { MappableFile } from '../../mm/vma.js';
import { FileDescription } from '../../vfs/file-description.js';
import type { DirEntry, FsStat, Inode } from '../../vfs/inode.js';

const SETATTR_SIZE = 0x8;
const SETATTR_MODE = 0x1;
/** statfs f_flags: mounted read-only; ST_VALID, which Linux always sets to say f_flags means something. */
const ST_RDONLY = 1;
const ST_VALID = 0x20;

export interface GoferMountOptions {
  readonly: boolean;
  /** st_dev for every file of this mount. */
  dev: number;
}

export class GoferFs {
  constructor(readonly client: P9Client, readonly opts: GoferMountOptions) {}

  /** Attaches to the served root. */
  static mount(client: P9Client, opts: GoferMountOptions): GoferInode | number {
    const v = client.version();
    if (v < 0) return v;
    const fs = new GoferFs(client, opts);
    const fid = client.fids.alloc();
    const qid = client.attach(fid, 'root', '/', 0);
    if (typeof qid === 'number') return qid;
    const attr = client.getattr(fid, GETATTR_BASIC);
    if (typeof attr === 'number') return attr;
    return new GoferInode(fs, fid, attr.mode & S_IFMT, '/');
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
}

/** implements Inode over a walked (unopened) fid. */
export class GoferInode implements Inode {
  constructor(readonly fs: GoferFs, readonly fid: number, readonly type: number, readonly path: string) {}

  get readonly(): boolean { return this.fs.opts.readonly; }
  private get client(): P9Client { return this.fs.client; }

  stat(): Stat | number {
    const a = this.client.getattr(this.fid, GETATTR_BASIC);
    return typeof a === 'number' ? a : this.fs.toStat(a);
  }

  lookup(name: string): GoferInode | number {
    const fid = this.client.fids.alloc();
    const qids = this.client.walk(this.fid, fid, [name]);
    if (typeof qids === 'number') { this.client.fids.release(fid); return qids; }
    const a = this.client.getattr(fid, GETATTR_BASIC);
    if (typeof a === 'number') { this.client.clunk(fid); this.client.fids.release(fid); return a; }
    return new GoferInode(this.fs, fid, a.mode & S_IFMT, this.path === '/' ? `/${name}` : `${this.path}/${name}`);
  }

  readlink(): string | number { return this.client.readlink(this.fid); }

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
    const fid = this.cloneFid();
    if (fid < 0) return fid;
    // The Gofer opens with the access mode; the rest is ours to keep. Access
    // mode 3 (ioctl only) neither reads nor writes: a read-only open serves it.
    const acc = flags & O_ACCMODE;
    const hostFlags = (acc === O_ACCMODE ? O_RDONLY : acc) | (this.type === S_IFDIR ? O_DIRECTORY : 0);
    const opened = this.client.lopen(fid, hostFlags);
    if (typeof opened === 'number') { this.client.clunk(fid); this.client.fids.release(fid); return opened; }
    return this.type === S_IFDIR ? new GoferDirFile(this, fid, flags) : new GoferFile(this, fid, flags);
  }

  create(name: string, flags: number, mode: number, _uid: number, gid: number): FileDescription | number {
    if (this.readonly) return -E.EROFS;
    const fid = this.cloneFid();
    if (fid < 0) return fid;
    const acc = flags & O_ACCMODE;
    const opened = this.client.lcreate(fid, name, acc === O_RDONLY ? O_RDWR : acc, mode, gid);
    if (typeof opened === 'number') { this.client.clunk(fid); this.client.fids.release(fid); return opened; }
    const child = this.lookup(name);
    if (typeof child === 'number') { this.client.clunk(fid); this.client.fids.release(fid); return child; }
    return new GoferFile(child, fid, flags);
  }

  truncate(size: number): number {
    if (this.readonly) return -E.EROFS;
    return this.client.setattr(this.fid, { valid: SETATTR_SIZE, mode: 0, uid: 0, gid: 0, size, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 });
  }

  setTimes(atime: Timespec | null, mtime: Timespec | null): number {
    if (this.readonly) return -E.EROFS;
    let valid = 0;
    if (atime) valid |= SETATTR_ATIME | (atime.nsec === UTIME_NOW ? 0 : SETATTR_ATIME_SET);
    if (mtime) valid |= SETATTR_MTIME | (mtime.nsec === UTIME_NOW ? 0 : SETATTR_MTIME_SET);
    if (valid === 0) return 0;
    return this.client.setattr(this.fid, { valid, mode: 0, uid: 0, gid: 0, size: 0,
      atimeSec: atime?.sec ?? 0, atimeNsec: atime && atime.nsec !== UTIME_NOW ? atime.nsec : 0,
      mtimeSec: mtime?.sec ?? 0, mtimeNsec: mtime && mtime.nsec !== UTIME_NOW ? mtime.nsec : 0 });
  }

  chmod(mode: number): number {
    if (this.readonly) return -E.EROFS;
    return this.client.setattr(this.fid, { valid: SETATTR_MODE, mode, uid: 0, gid: 0, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 });
  }
}

/** An opened regular file (or device/fifo the Gofer opened). */
export class GoferFile extends FileDescription implements MappableFile {
  constructor(readonly inode: GoferInode, private readonly fid: number, flags: number) { super(flags); }

  get mappingName(): string { return this.inode.path; }
  private get client(): P9Client { return this.inode.fs.client; }

  stat(): Stat | number { return this.inode.stat(); }

  /** Fills dst from offset until full or end of file. */
  readInto(offset: number, dst: Uint8Array): number {
    let done = 0;
    while (done < dst.length) {
      const n = this.client.read(this.fid, offset + done, dst.length - done, dst.subarray(done));
      if (n < 0) return done > 0 ? done : n;
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  override read(dst: Uint8Array, offset: number): number {
    const at = offset < 0 ? this.offset : offset;
    const n = this.readInto(at, dst);
    if (n > 0 && offset < 0) this.offset += n;
    return n;
  }

  override write(src: Uint8Array, offset: number): number {
    let at = offset < 0 ? this.offset : offset;
    if (offset < 0 && (this.flags & O_APPEND)) {
      const st = this.stat();
      if (typeof st === 'number') return st;
      at = st.size;
    }
    let done = 0;
    while (done < src.length) {
      const n = this.client.write(this.fid, at + done, src.subarray(done));
      if (n < 0) return done > 0 ? done : n;
      if (n === 0) break;
      done += n;
    }
    if (offset < 0) this.offset = at + done;
    return done;
  }

  override truncate(size: number): number { return this.inode.truncate(size); }
  override fsync(): number { return this.client.fsync(this.fid); }

  protected override release(): void {
    this.client.clunk(this.fid);
    this.client.fids.release(this.fid);
  }
}

/** An opened directory: entries are read once and served from a cursor. */
export class GoferDirFile extends FileDescription {
  private entries: DirEntry[] | null = null;

  constructor(readonly inode: GoferInode, private readonly fid: number, flags: number) { super(flags); }
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

  protected override release(): void {
    this.client.clunk(this.fid);
    this.client.fids.release(this.fid);
  }
}

