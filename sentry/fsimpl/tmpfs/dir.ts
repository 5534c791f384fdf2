// tmpfs directories, symlinks and special files (FIFOs, sockets, device
// nodes). A directory holds its children by name; link counts follow
// Linux: a directory has 2 plus one per subdirectory, a file one per name.
import { E } from '../../../abi/linux/errno.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../../../abi/linux/fs.js';
import {
  DT_DIR, dtypeOfMode, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
} from '../../../abi/linux/stat.js';
import { FileDescription } from '../../vfs/file-description.js';
import type { Created, DirEntry, Inode } from '../../vfs/inode.js';
import { Fifo } from '../pipe/fifo.js';
import { type Tmpfs, TmpfsInode } from './fs.js';
import { TmpfsRegular } from './regular-file.js';

/** What Linux's shmem counts per directory entry in a directory's size. */
const BOGO_DIRENT_SIZE = 20;

export class TmpfsDir extends TmpfsInode {
  readonly children = new Map<string, TmpfsInode>();
  /** The directory ".." names; the root is its own parent. */
  parent: TmpfsDir;
  /** Removed: nothing may be created in it any more. */
  dead = false;

  constructor(fs: Tmpfs, ino: bigint, mode: number, uid: number, gid: number, parent: TmpfsDir | null) {
    super(fs, S_IFDIR, ino, mode, uid, gid);
    this.nlink = 2;
    this.parent = parent ?? this;
  }

  protected override get size(): number { return (this.children.size + 2) * BOGO_DIRENT_SIZE; }

  override lookup(name: string): Inode | number {
    return this.children.get(name) ?? -E.ENOENT;
  }

  open(flags: number): FileDescription | number { return new TmpfsDirFile(this, flags); }

  /** A new inode number for a child, or an errno: a removed directory takes no new names. */
  private newChild(name: string): bigint | number {
    if (this.fs.readonly) return -E.EROFS;
    if (this.dead) return -E.ENOENT;
    if (this.children.has(name)) return -E.EEXIST;
    return this.fs.takeInode();
  }

  private add(name: string, child: TmpfsInode): void {
    this.children.set(name, child);
    this.touchMtime();
  }

  override create(name: string, flags: number, mode: number, uid: number, gid: number): Created | number {
    const ino = this.newChild(name);
    if (typeof ino === 'number') return ino;
    const f = new TmpfsRegular(this.fs, ino, mode, uid, gid);
    this.add(name, f);
    return { inode: f, file: f.open(flags) };
  }

  /** O_TMPFILE: a regular file of this file system that no directory names yet (shmem_tmpfile). */
  tmpfile(flags: number, mode: number, uid: number, gid: number): Created | number {
    if (this.fs.readonly) return -E.EROFS;
    if (this.dead) return -E.ENOENT;
    const ino = this.fs.takeInode();
    if (typeof ino === 'number') return ino;
    const f = new TmpfsRegular(this.fs, ino, mode, uid, gid);
    f.nlink = 0;
    f.unnamed = true;
    return { inode: f, file: f.open(flags) };
  }

  override mkdir(name: string, mode: number, uid: number, gid: number): number {
    const ino = this.newChild(name);
    if (typeof ino === 'number') return ino;
    this.add(name, new TmpfsDir(this.fs, ino, mode, uid, gid, this));
    this.nlink++;
    return 0;
  }

  /** Any kind but a directory or a symlink; device nodes too (the VFS decides who may make them). */
  override mknod(name: string, mode: number, rdev: number, uid: number, gid: number): number {
    const type = mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK && type !== S_IFCHR && type !== S_IFBLK) return -E.EINVAL;
    const ino = this.newChild(name);
    if (typeof ino === 'number') return ino;
    this.add(name, type === S_IFREG ? new TmpfsRegular(this.fs, ino, mode, uid, gid) : new TmpfsNode(this.fs, type, ino, mode, uid, gid, rdev));
    return 0;
  }

  override symlink(name: string, target: string, uid: number, gid: number): number {
    const ino = this.newChild(name);
    if (typeof ino === 'number') return ino;
    this.add(name, new TmpfsSymlink(this.fs, ino, target, uid, gid));
    return 0;
  }

  override link(name: string, target: Inode): number {
    if (!(target instanceof TmpfsInode) || target.fs !== this.fs) return -E.EXDEV;
    if (target.type === S_IFDIR) return -E.EPERM;
    if (this.fs.readonly) return -E.EROFS;
    if (this.dead) return -E.ENOENT;
    if (this.children.has(name)) return -E.EEXIST;
    // An O_TMPFILE file gets its first name here; any other file without a link is gone.
    if (target.nlink === 0 && !target.unnamed) return -E.ENOENT;
    target.unnamed = false;
    target.nlink++;
    target.touchCtime();
    this.add(name, target);
    return 0;
  }

  override unlink(name: string): number {
    if (this.fs.readonly) return -E.EROFS;
    const child = this.children.get(name);
    if (child === undefined) return -E.ENOENT;
    if (child.type === S_IFDIR) return -E.EISDIR;
    this.children.delete(name);
    this.touchMtime();
    child.touchCtime();
    child.dropLink();
    return 0;
  }

  override rmdir(name: string): number {
    if (this.fs.readonly) return -E.EROFS;
    const child = this.children.get(name);
    if (child === undefined) return -E.ENOENT;
    if (!(child instanceof TmpfsDir)) return -E.ENOTDIR;
    if (child.children.size > 0) return -E.ENOTEMPTY;
    this.children.delete(name);
    this.nlink--;
    this.touchMtime();
    child.removed();
    return 0;
  }

  /** This directory's name went (rmdir, or replaced by a rename). */
  private removed(): void {
    this.dead = true;
    this.nlink = 0;
    this.touchCtime();
    this.maybeFree();
  }

  /** Whether this directory is d or one of its ancestors. */
  private isAncestorOf(d: TmpfsDir): boolean {
    for (let x = d; ; x = x.parent) {
      if (x === this) return true;
      if (x.parent === x) return false;
    }
  }

  override rename(oldName: string, newParent: Inode, newName: string, flags: number): number {
    if (this.fs.readonly) return -E.EROFS;
    if (!(newParent instanceof TmpfsDir) || newParent.fs !== this.fs) return -E.EXDEV;
    const np = newParent;
    const src = this.children.get(oldName);
    if (src === undefined) return -E.ENOENT;
    const dst = np.children.get(newName);
    if (src instanceof TmpfsDir && src.isAncestorOf(np)) return -E.EINVAL;
    if (flags & RENAME_EXCHANGE) {
      if (dst === undefined) return -E.ENOENT;
      if (dst instanceof TmpfsDir && dst.isAncestorOf(this)) return -E.EINVAL;
      this.children.set(oldName, dst);
      np.children.set(newName, src);
      if (this !== np) {
        if (src instanceof TmpfsDir) { src.parent = np; this.nlink--; np.nlink++; }
        if (dst instanceof TmpfsDir) { dst.parent = this; np.nlink--; this.nlink++; }
      }
      this.touchMtime(); np.touchMtime(); src.touchCtime(); dst.touchCtime();
      return 0;
    }
    if (dst !== undefined) {
      if (flags & RENAME_NOREPLACE) return -E.EEXIST;
      if (dst === src) return 0;
      if (src.type === S_IFDIR) {
        if (!(dst instanceof TmpfsDir)) return -E.ENOTDIR;
        if (dst.children.size > 0) return -E.ENOTEMPTY;
      } else if (dst.type === S_IFDIR) {
        return -E.EISDIR;
      }
    }
    if (this.dead || np.dead) return -E.ENOENT;
    if (dst !== undefined) {
      np.children.delete(newName);
      if (dst instanceof TmpfsDir) { np.nlink--; dst.removed(); } else { dst.touchCtime(); dst.dropLink(); }
    }
    this.children.delete(oldName);
    np.children.set(newName, src);
    if (src instanceof TmpfsDir && this !== np) { src.parent = np; this.nlink--; np.nlink++; }
    this.touchMtime();
    if (np !== this) np.touchMtime();
    src.touchCtime();
    return 0;
  }
}

/** An open directory: its entries are taken when reading starts (offset 0) and served by index. */
class TmpfsDirFile extends FileDescription {
  private entries: DirEntry[] | null = null;

  constructor(readonly dir: TmpfsDir, flags: number) { super(flags); }

  stat() { return this.dir.stat(); }

  override readdir(): DirEntry[] | number {
    if (this.entries === null || this.offset === 0) {
      const all: DirEntry[] = [
        { ino: this.dir.ino, type: DT_DIR, name: '.' },
        { ino: this.dir.parent.ino, type: DT_DIR, name: '..' },
      ];
      for (const [name, child] of this.dir.children) all.push({ ino: child.ino, type: dtypeOfMode(child.type), name });
      this.entries = all;
      this.dir.touchAtime();
    }
    return this.entries.slice(this.offset);
  }

  override fsync(): number { return 0; }
}

export class TmpfsSymlink extends TmpfsInode {
  constructor(fs: Tmpfs, ino: bigint, readonly target: string, uid: number, gid: number) {
    super(fs, S_IFLNK, ino, 0o777, uid, gid);
  }
  protected override get size(): number { return this.target.length; }
  override readlink(): string { return this.target; }
  open(): FileDescription | number { return -E.ELOOP; }
}

/** FIFOs, sockets and device nodes. A FIFO opens into the Sentry's pipe; the others open nothing. */
export class TmpfsNode extends TmpfsInode {
  private fifo: Fifo | null = null;

  constructor(fs: Tmpfs, type: number, ino: bigint, mode: number, uid: number, gid: number, private readonly dev: number) {
    super(fs, type, ino, mode, uid, gid);
  }

  protected override get rdev(): number { return this.type === S_IFCHR || this.type === S_IFBLK ? this.dev : 0; }

  open(flags: number): FileDescription | number {
    if (this.type !== S_IFIFO) return -E.ENXIO;
    this.fifo ??= new Fifo();
    return this.fifo.open(flags, () => this.stat());
  }
}
