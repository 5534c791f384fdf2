// Building blocks for file systems the Sentry makes up itself (dev, proc):
// directories with fixed or computed children, symlinks, and inodes whose
// open() hands out a given kind of file. Read-only unless a node says so.
import { fillRandom } from '../../../host/random.js';
import { E } from '../../../abi/linux/errno.js';
import { DT_DIR, dtypeOfMode, S_IFDIR, S_IFLNK, type Stat } from '../../../abi/linux/stat.js';
import { FileDescription } from '../../vfs/file-description.js';
import type { Created, DirEntry, FsStat, Inode, SetAttr } from '../../vfs/inode.js';
import type { Dentry } from '../../vfs/dentry.js';

let nextIno = 0x1000n;
export function newIno(): bigint { return nextIno++; }

const bootTime = Date.now();
const bootTs = { sec: Math.floor(bootTime / 1000), nsec: (bootTime % 1000) * 1e6 };

export function syntheticStat(mode: number, ino: bigint, dev: number, extra: Partial<Stat> = {}): Stat {
  return {
    dev, ino, mode, nlink: (mode & 0o170000) === S_IFDIR ? 2 : 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0,
    atime: bootTs, mtime: bootTs, ctime: bootTs, ...extra,
  };
}

/** Common defaults: no xattrs, statfs of a small in-memory fs, no links. */
export abstract class SyntheticInode implements Inode {
  readonly ino = newIno();
  abstract readonly type: number;
  /** Devices take writes; everything else made up here is read-only. */
  constructor(readonly dev: number, readonly readonly = true) {}
  abstract stat(): Stat | number;
  lookup(name: string): Inode | number { void name; return -E.ENOTDIR; }
  readlink(): string | number { return -E.EINVAL; }
  open(flags: number): FileDescription | number { void flags; return -E.ENXIO; }
  statfs(): FsStat | number {
    return { type: 0x01021994 /* TMPFS_MAGIC */, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255, frsize: 4096, flags: 0 };
  }
  getxattr(name: string): Uint8Array | number { void name; return -E.ENODATA; }
  listxattr(): string[] | number { return []; }
  // Nothing made up here changes shape: Linux answers EACCES for a create
  // in a directory without the operation and EPERM for the other changes.
  create(name: string, flags: number, mode: number, uid: number, gid: number): Created | number { void name, flags, mode, uid, gid; return -E.EACCES; }
  mkdir(name: string, mode: number, uid: number, gid: number): number { void name, mode, uid, gid; return -E.EPERM; }
  mknod(name: string, mode: number, rdev: number, uid: number, gid: number): number { void name, mode, rdev, uid, gid; return -E.EPERM; }
  symlink(name: string, target: string, uid: number, gid: number): number { void name, target, uid, gid; return -E.EPERM; }
  link(name: string, target: Inode): number { void name, target; return -E.EPERM; }
  unlink(name: string): number { void name; return -E.EPERM; }
  rmdir(name: string): number { void name; return -E.EPERM; }
  rename(oldName: string, newParent: Inode, newName: string, flags: number): number { void oldName, newParent, newName, flags; return -E.EPERM; }
  setattr(attr: SetAttr): number { void attr; return -E.EPERM; }
  setxattr(name: string, value: Uint8Array, flags: number): number { void name, value, flags; return -E.EOPNOTSUPP; }
  removexattr(name: string): number { void name; return -E.EOPNOTSUPP; }
}

export class SyntheticSymlink extends SyntheticInode {
  readonly type = S_IFLNK;
  /** magic: for /proc's magic links, the dentry a walk jumps to (Inode.magicLink). */
  constructor(dev: number, private readonly target: () => string | number, magic?: () => Dentry | null) {
    super(dev);
    if (magic !== undefined) this.magicLink = magic;
  }
  magicLink?: () => Dentry | null;
  stat(): Stat | number {
    const t = this.target();
    return syntheticStat(S_IFLNK | 0o777, this.ino, this.dev, { size: typeof t === 'string' ? t.length : 0 });
  }
  override readlink(): string | number { return this.target(); }
}

/** A directory whose children come from a function: fixed maps, or the live task list. */
export class SyntheticDir extends SyntheticInode {
  readonly type = S_IFDIR;
  constructor(dev: number, private readonly children: () => Map<string, Inode>, private readonly mode = 0o555) { super(dev); }
  stat(): Stat | number { return syntheticStat(S_IFDIR | this.mode, this.ino, this.dev); }
  override lookup(name: string): Inode | number { return this.children().get(name) ?? -E.ENOENT; }
  override open(): FileDescription | number { return new SyntheticDirFile(this, this.children); }
}

class SyntheticDirFile extends FileDescription {
  constructor(private readonly dir: SyntheticDir, private readonly children: () => Map<string, Inode>) { super(0); }
  stat(): Stat | number { return this.dir.stat(); }
  override readdir(): DirEntry[] | number {
    const out: DirEntry[] = [{ ino: this.dir.ino, type: DT_DIR, name: '.' }, { ino: this.dir.ino, type: DT_DIR, name: '..' }];
    for (const [name, inode] of this.children()) {
      const st = inode.stat();
      out.push({ ino: typeof st === 'number' ? 0n : st.ino, type: typeof st === 'number' ? 0 : dtypeOfMode(st.mode), name });
    }
    return out.slice(this.offset);
  }
}

/** A character device: its file kind is made by open. */
export class DeviceInode extends SyntheticInode {
  constructor(dev: number, readonly type: number, private readonly mode: number, private readonly rdev: number,
    private readonly make: (flags: number, stat: () => Stat | number) => FileDescription | number) { super(dev, false); }
  stat(): Stat | number { return syntheticStat(this.type | this.mode, this.ino, this.dev, { rdev: this.rdev }); }
  override open(flags: number): FileDescription | number { return this.make(flags, () => this.stat()); }
}

/** Files of the memory devices: null, zero, full, random, urandom. */
export class MemoryDeviceFile extends FileDescription {
  constructor(flags: number, private readonly kind: 'null' | 'zero' | 'full' | 'random', private readonly statOf: () => Stat | number) { super(flags); }
  stat(): Stat | number { return this.statOf(); }
  override seekable(): boolean { return true; }
  override lseek(): number { this.offset = 0; return 0; }
  override read(dst: Uint8Array): number {
    switch (this.kind) {
      case 'null': return 0;
      case 'zero': case 'full': dst.fill(0); return dst.length;
      case 'random': fillRandom(dst); return dst.length;
    }
  }
  override write(src: Uint8Array): number {
    return this.kind === 'full' ? -E.ENOSPC : src.length;
  }
}
