// tmpfs: the file system and what every tmpfs inode has (attributes,
// extended attributes, times). Directories, regular files and the rest
// build on TmpfsInode in their own files.
//
// Space is counted in pages, as Linux's shmem does: a regular file holds
// the 4 KiB pages that were written (holes take none), and a write that
// finds no page left stops short, or fails with ENOSPC when it wrote
// nothing. A file's pages go back when its last link and its last open
// are gone.
import { totalmem } from 'node:os';
import { E } from '../../../abi/linux/errno.js';
import { S_IFMT, UTIME_NOW, type Stat, type Timespec } from '../../../abi/linux/stat.js';
import { XATTR_CREATE, XATTR_REPLACE, XATTR_SYSTEM_PREFIX } from '../../../abi/linux/xattr.js';
import { realtimeNow } from '../../realtime.js';
import type { FileDescription } from '../../vfs/file-description.js';
import type { Created, FsStat, Inode, SetAttr } from '../../vfs/inode.js';
import { allocAnonDev } from '../../vfs/anon-dev.js';

export const PAGE_SIZE = 4096;
export const TMPFS_MAGIC = 0x01021994;
/** statfs f_flags: ST_VALID (f_flags is meaningful) and ST_RDONLY. */
const ST_VALID = 0x20, ST_RDONLY = 1;

export interface TmpfsOptions {
  /** Bytes the files' data may take (rounded up to pages); 0 or absent: no limit. */
  sizeLimit?: number;
  /** Files (inodes) it may hold; 0 or absent: no limit. */
  inodeLimit?: number;
  /** The root directory's permission bits; 0o1777 (Linux's default) if absent. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** st_dev of every file; a fresh number if absent. */
  dev?: number;
  readonly?: boolean;
}


export class Tmpfs {
  readonly dev: number;
  readonly readonly: boolean;
  /** Page limit; 0 for none. */
  readonly maxPages: number;
  readonly maxInodes: number;
  usedPages = 0;
  usedInodes = 0;
  private nextIno = 1n;

  constructor(opts: TmpfsOptions) {
    this.dev = opts.dev ?? allocAnonDev();
    this.readonly = opts.readonly ?? false;
    this.maxPages = opts.sizeLimit ? Math.ceil(opts.sizeLimit / PAGE_SIZE) : 0;
    this.maxInodes = opts.inodeLimit ?? 0;
  }

  /** Takes n pages; false (taking none) if that would pass the limit. */
  takePages(n: number): boolean {
    if (this.maxPages !== 0 && this.usedPages + n > this.maxPages) return false;
    this.usedPages += n;
    return true;
  }

  /** Pages still free (Infinity without a limit). */
  get freePages(): number { return this.maxPages === 0 ? Infinity : this.maxPages - this.usedPages; }

  returnPages(n: number): void { this.usedPages -= n; }

  /** A new inode number, or -ENOSPC past the inode limit. */
  takeInode(): bigint | number {
    if (this.maxInodes !== 0 && this.usedInodes >= this.maxInodes) return -E.ENOSPC;
    this.usedInodes++;
    return this.nextIno++;
  }

  returnInode(): void { this.usedInodes--; }

  statfs(): FsStat {
    // Without a limit, report what Linux's default (half of memory) would, never less than is used.
    const blocks = this.maxPages !== 0 ? this.maxPages : Math.max(Math.floor(totalmem() / 2 / PAGE_SIZE), this.usedPages);
    const files = this.maxInodes !== 0 ? this.maxInodes : Math.max(Math.floor(totalmem() / 2 / PAGE_SIZE), this.usedInodes);
    return {
      type: TMPFS_MAGIC, bsize: PAGE_SIZE, blocks, bfree: blocks - this.usedPages, bavail: blocks - this.usedPages,
      files, ffree: files - this.usedInodes, namelen: 255, frsize: PAGE_SIZE, flags: ST_VALID | (this.readonly ? ST_RDONLY : 0),
    };
  }
}

/** Linux's relatime: atime moves when it is not newer than mtime or ctime, or is a day old. */
function atimeIsStale(atime: Timespec, mtime: Timespec, ctime: Timespec, now: Timespec): boolean {
  const le = (a: Timespec, b: Timespec): boolean => a.sec < b.sec || (a.sec === b.sec && a.nsec <= b.nsec);
  return le(atime, mtime) || le(atime, ctime) || now.sec - atime.sec >= 24 * 3600;
}

/** What every tmpfs inode holds. */
export abstract class TmpfsInode implements Inode {
  readonly ino: bigint;
  /** Permission bits with the set-id and sticky bits. */
  mode: number;
  uid: number;
  gid: number;
  nlink = 1;
  /** Made by O_TMPFILE and never linked: the one file with no link that link(2) may still name. */
  unnamed = false;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  readonly btime: Timespec;
  private xattrs: Map<string, Uint8Array> | null = null;

  constructor(readonly fs: Tmpfs, readonly type: number, ino: bigint, mode: number, uid: number, gid: number) {
    this.ino = ino;
    this.mode = mode & 0o7777;
    this.uid = uid;
    this.gid = gid;
    const now = realtimeNow();
    this.atime = now; this.mtime = now; this.ctime = now; this.btime = now;
  }

  get readonly(): boolean { return this.fs.readonly; }

  protected get size(): number { return 0; }
  protected get blocks(): number { return 0; }
  protected get rdev(): number { return 0; }

  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, mode: this.type | this.mode, nlink: this.nlink, uid: this.uid, gid: this.gid,
      rdev: this.rdev, size: this.size, blksize: PAGE_SIZE, blocks: this.blocks,
      atime: this.atime, mtime: this.mtime, ctime: this.ctime, btime: this.btime,
    };
  }

  touchCtime(): void { this.ctime = realtimeNow(); }
  /** A change of contents: mtime and ctime. */
  touchMtime(): void { const now = realtimeNow(); this.mtime = now; this.ctime = now; }
  touchAtime(): void {
    const now = realtimeNow();
    if (atimeIsStale(this.atime, this.mtime, this.ctime, now)) this.atime = now;
  }

  lookup(name: string): Inode | number { void name; return -E.ENOTDIR; }
  readlink(): string | number { return -E.EINVAL; }
  abstract open(flags: number): FileDescription | number;
  statfs(): FsStat { return this.fs.statfs(); }

  // Directory operations: only directories have them (the VFS never asks others).
  create(name: string, flags: number, mode: number, uid: number, gid: number): Created | number { void name, flags, mode, uid, gid; return -E.ENOTDIR; }
  mkdir(name: string, mode: number, uid: number, gid: number): number { void name, mode, uid, gid; return -E.ENOTDIR; }
  mknod(name: string, mode: number, rdev: number, uid: number, gid: number): number { void name, mode, rdev, uid, gid; return -E.ENOTDIR; }
  symlink(name: string, target: string, uid: number, gid: number): number { void name, target, uid, gid; return -E.ENOTDIR; }
  link(name: string, target: Inode): number { void name, target; return -E.ENOTDIR; }
  unlink(name: string): number { void name; return -E.ENOTDIR; }
  rmdir(name: string): number { void name; return -E.ENOTDIR; }
  rename(oldName: string, newParent: Inode, newName: string, flags: number): number { void oldName, newParent, newName, flags; return -E.ENOTDIR; }

  /** Regular files resize; nothing else has a size to set. */
  protected resize(size: number): number { void size; return -E.EINVAL; }

  setattr(attr: SetAttr): number {
    if (this.fs.readonly) return -E.EROFS;
    if (attr.size !== undefined) {
      const r = this.resize(attr.size);
      if (r < 0) return r;
    }
    const now = realtimeNow();
    if (attr.mode !== undefined) this.mode = attr.mode & 0o7777;
    if (attr.uid !== undefined) this.uid = attr.uid;
    if (attr.gid !== undefined) this.gid = attr.gid;
    if (attr.atime !== undefined) this.atime = attr.atime.nsec === UTIME_NOW ? now : { ...attr.atime };
    if (attr.mtime !== undefined) this.mtime = attr.mtime.nsec === UTIME_NOW ? now : { ...attr.mtime };
    if (Object.values(attr).some((v) => v !== undefined)) this.ctime = now;
    return 0;
  }

  getxattr(name: string): Uint8Array | number {
    return this.xattrs?.get(name) ?? -E.ENODATA;
  }

  listxattr(): string[] {
    return this.xattrs === null ? [] : [...this.xattrs.keys()];
  }

  setxattr(name: string, value: Uint8Array, flags: number): number {
    if (this.fs.readonly) return -E.EROFS;
    // system.* would be POSIX ACLs, which tmpfs here does not keep.
    if (name.startsWith(XATTR_SYSTEM_PREFIX)) return -E.EOPNOTSUPP;
    const has = this.xattrs?.has(name) ?? false;
    if ((flags & XATTR_CREATE) && has) return -E.EEXIST;
    if ((flags & XATTR_REPLACE) && !has) return -E.ENODATA;
    (this.xattrs ??= new Map()).set(name, Uint8Array.from(value));
    this.touchCtime();
    return 0;
  }

  removexattr(name: string): number {
    if (this.fs.readonly) return -E.EROFS;
    if (!this.xattrs?.delete(name)) return -E.ENODATA;
    this.touchCtime();
    return 0;
  }

  /** The last link went: a file keeps its data until its last open goes too. */
  dropLink(): void {
    if (--this.nlink === 0) this.maybeFree();
  }

  /** Frees what the inode holds once nothing can reach it. */
  maybeFree(): void {
    if (this.nlink !== 0 || this.inUse()) return;
    this.free();
  }

  /** Open files keep an unlinked inode alive. */
  protected inUse(): boolean { return false; }

  private freed = false;
  protected free(): void {
    if (this.freed) return;
    this.freed = true;
    this.fs.returnInode();
  }
}

/** The S_IFMT bits of a mode. */
export function typeOf(mode: number): number { return mode & S_IFMT; }
