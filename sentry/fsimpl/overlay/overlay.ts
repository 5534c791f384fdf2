// An overlay file system as Linux's overlayfs builds it, with one read-only
// lower tree (the Gofer's root) under a writable upper tree (a tmpfs). See
// README.md for the model; in short:
//
// - A name resolves in the upper directory first. A whiteout there (a
//   character device 0/0) hides the lower name; a directory in both layers
//   is merged unless the upper one is opaque (xattr trusted.overlay.opaque
//   = "y"); anything else in the upper layer hides the lower one.
// - Every change happens in the upper layer. A lower file is copied up
//   first (its data, mode, owner, times and user.* attributes; its parent
//   directories too), on an open for writing, a truncate or any change of
//   its attributes.
// - Removing a name that the lower layer has leaves a whiteout; a
//   directory made where a whiteout was is opaque.
// - Renaming a directory that has lower contents copies its whole tree up
//   and makes it opaque (Linux without redirect_dir would say EXDEV).
//
// Inode numbers stay what they were before a copy-up: a copied-up file
// records its lower inode number (trusted.overlay.origin, as overlayfs's
// origin), and a file only the upper layer ever had gets its upper number
// with the top bit set, so the layers never collide (overlayfs's xino).
import { E } from '../../../abi/linux/errno.js';
import { O_ACCMODE, O_APPEND, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../../abi/linux/fcntl.js';
import { RENAME_EXCHANGE } from '../../../abi/linux/fs.js';
import { DT_CHR, DT_DIR, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, type Stat } from '../../../abi/linux/stat.js';
import { XATTR_USER_PREFIX } from '../../../abi/linux/xattr.js';
import type { MemoryFile } from '../../mm/memory-file.js';
import type { MappableFile, SharedPiece } from '../../mm/vma.js';
import { FileDescription } from '../../vfs/file-description.js';
import type { Created, DirEntry, FsStat, Inode, SetAttr } from '../../vfs/inode.js';
import { Fifo } from '../pipe/fifo.js';
import { allocAnonDev } from '../../vfs/anon-dev.js';

export const OVERLAYFS_SUPER_MAGIC = 0x794c7630;
/** The overlay's own attributes in the upper layer; never shown, never settable. */
const PRIVATE_XATTR_PREFIX = 'trusted.overlay.';
const OPAQUE_XATTR = 'trusted.overlay.opaque';
const ORIGIN_XATTR = 'trusted.overlay.origin';
/** The top bit marks inode numbers of files only the upper layer has. */
const XINO_UPPER = 1n << 63n;
const COPY_CHUNK = 1 << 20;


/** Whether an upper inode is a whiteout: a character device with device number 0/0. */
function isWhiteout(inode: Inode): boolean {
  if (inode.type !== S_IFCHR) return false;
  const st = inode.stat();
  return typeof st !== 'number' && st.rdev === 0;
}

function isOpaque(dir: Inode): boolean {
  const v = dir.getxattr(OPAQUE_XATTR);
  return typeof v !== 'number' && v.length === 1 && v[0] === 0x79; // "y"
}

function readOrigin(inode: Inode): bigint | null {
  const v = inode.getxattr(ORIGIN_XATTR);
  if (typeof v === 'number' || v.length !== 8) return null;
  return new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
}

function originBytes(ino: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, ino, true);
  return b;
}

/** Every entry of a directory inode, "." and ".." left out. */
function readAll(dir: Inode): DirEntry[] | number {
  const f = dir.open(O_RDONLY | O_DIRECTORY);
  if (typeof f === 'number') return f;
  const entries = f.readdir();
  f.decRef();
  if (typeof entries === 'number') return entries;
  return entries.filter((e) => e.name !== '.' && e.name !== '..');
}

export class Overlay {
  readonly dev: number;
  /** Non-directories by their upper inode: the names of a hard link share one overlay inode, as in overlayfs. */
  readonly byUpper = new WeakMap<Inode, OverlayInode>();
  readonly root: OverlayInode;

  constructor(lowerRoot: Inode, readonly upperRoot: Inode, dev?: number) {
    this.dev = dev ?? allocAnonDev();
    // The upper root starts as a copy-up of the lower root's metadata, as overlayfs's upper dir does.
    const st = lowerRoot.stat();
    if (typeof st !== 'number') upperRoot.setattr({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, atime: st.atime, mtime: st.mtime });
    this.root = new OverlayInode(this, null, '/', upperRoot, lowerRoot);
  }
}

/** implements Inode over an upper inode, a lower one, or both (a merged directory). */
export class OverlayInode implements Inode {
  readonly type: number;
  /** Set once the file is in the upper layer. */
  upper: Inode | null;
  /** The lower file at this place; for a directory, the one merged in (null once opaque). */
  lower: Inode | null;
  opaque: boolean;
  /** Where the file is, for copying a lower-only file up. */
  parent: OverlayInode | null;
  name: string;
  /** Directories: overlay children looked up so far, so each name has one overlay inode. */
  private readonly children = new Map<string, OverlayInode>();
  /** Directories: lower lookups made so far (null: the lower directory has no such name). */
  private readonly lowerChildren = new Map<string, Inode | null>();
  private fifo: Fifo | null = null;
  private inoCache: bigint | null = null;

  constructor(readonly fs: Overlay, parent: OverlayInode | null, name: string, upper: Inode | null, lower: Inode | null) {
    this.parent = parent;
    this.name = name;
    this.upper = upper;
    this.type = (upper ?? lower)!.type;
    this.opaque = upper !== null && this.type === S_IFDIR && isOpaque(upper);
    this.lower = this.opaque ? null : lower;
    if (upper !== null && this.type !== S_IFDIR) fs.byUpper.set(upper, this);
  }

  get readonly(): boolean { return this.fs.upperRoot.readonly; }

  private get real(): Inode { return (this.upper ?? this.lower)!; }

  /** Whether this directory shows lower entries. */
  private get merged(): boolean { return this.lower !== null && !this.opaque; }

  private ino(): bigint | number {
    if (this.inoCache !== null) return this.inoCache;
    let ino: bigint | null = this.upper !== null ? readOrigin(this.upper) : null;
    if (ino === null) {
      const src = this.lower ?? this.upper!;
      const st = src.stat();
      if (typeof st === 'number') return st;
      ino = src === this.lower ? st.ino : st.ino | XINO_UPPER;
    }
    this.inoCache = ino;
    return ino;
  }

  stat(): Stat | number {
    const st = this.real.stat();
    if (typeof st === 'number') return st;
    const ino = this.ino();
    if (typeof ino === 'number') return ino;
    // A merged directory shows its lower directory's size and link count (its upper half is
    // the Sentry's bookkeeping), so a read-only root looks as the host's does until it changes.
    if (this.type === S_IFDIR && this.upper !== null && this.merged && this.lower !== null) {
      const low = this.lower.stat();
      if (typeof low !== 'number') return { ...st, dev: this.fs.dev, ino, nlink: low.nlink, size: low.size, blocks: low.blocks, blksize: low.blksize };
    }
    return { ...st, dev: this.fs.dev, ino };
  }

  // ---- lookup ----

  /** The lower directory's entry `name`, asked once. */
  private lowerChild(name: string): Inode | null | number {
    if (!this.merged) return null;
    if (this.lowerChildren.has(name)) return this.lowerChildren.get(name)!;
    const r = this.lower!.lookup(name);
    if (typeof r === 'number' && r !== -E.ENOENT) return r;
    const found = typeof r === 'number' ? null : r;
    this.lowerChildren.set(name, found);
    return found;
  }

  /** The upper directory's entry `name` (a whiteout included), or null. */
  private upperChild(name: string): Inode | null | number {
    if (this.upper === null) return null;
    const r = this.upper.lookup(name);
    if (typeof r === 'number') return r === -E.ENOENT ? null : r;
    return r;
  }

  lookup(name: string): OverlayInode | number {
    if (this.type !== S_IFDIR) return -E.ENOTDIR;
    const cached = this.children.get(name);
    if (cached !== undefined) return cached;
    const u = this.upperChild(name);
    if (typeof u === 'number') return u;
    if (u !== null && isWhiteout(u)) return -E.ENOENT;
    let l: Inode | null = null;
    // A lower entry matters when nothing is above it, or to merge two directories.
    if (u === null || u.type === S_IFDIR) {
      const r = this.lowerChild(name);
      if (typeof r === 'number') return r;
      l = r;
      if (u !== null && l !== null && l.type !== S_IFDIR) l = null;
    }
    if (u === null && l === null) return -E.ENOENT;
    const shared = u !== null && u.type !== S_IFDIR ? this.fs.byUpper.get(u) : undefined;
    const child = shared ?? new OverlayInode(this.fs, this, name, u, l);
    this.children.set(name, child);
    return child;
  }

  readlink(): string | number { return this.real.readlink(); }

  statfs(): FsStat | number {
    const s = this.fs.upperRoot.statfs();
    return typeof s === 'number' ? s : { ...s, type: OVERLAYFS_SUPER_MAGIC };
  }

  getxattr(name: string): Uint8Array | number {
    if (name.startsWith(PRIVATE_XATTR_PREFIX)) return -E.ENODATA;
    return this.real.getxattr(name);
  }

  listxattr(): string[] | number {
    const names = this.real.listxattr();
    return typeof names === 'number' ? names : names.filter((n) => !n.startsWith(PRIVATE_XATTR_PREFIX));
  }

  // ---- copy-up ----

  /**
   * Puts the file in the upper layer (its parents first), keeping its mode,
   * owner, times and user.* attributes; withData false skips the contents
   * (for a truncate to zero).
   */
  copyUp(withData = true): number {
    if (this.upper !== null) return 0;
    const parent = this.parent;
    if (parent === null) return -E.EIO; // the root always has an upper directory
    let r = parent.copyUp();
    if (r < 0) return r;
    const dir = parent.upper!;
    const lower = this.lower!;
    const st = lower.stat();
    if (typeof st === 'number') return st;
    // A copy-up leaves the parent's times as they were, as overlayfs does.
    const parentTimes = dir.stat();
    const perm = st.mode & 0o7777;
    switch (this.type) {
      case S_IFDIR: r = dir.mkdir(this.name, perm, st.uid, st.gid); break;
      case S_IFREG: r = copyRegular(lower, dir, this.name, perm, st, withData); break;
      case S_IFLNK: {
        const target = lower.readlink();
        r = typeof target === 'number' ? target : dir.symlink(this.name, target, st.uid, st.gid);
        break;
      }
      default: r = dir.mknod(this.name, st.mode, st.rdev, st.uid, st.gid);
    }
    if (r < 0) return r;
    const upper = dir.lookup(this.name);
    if (typeof upper === 'number') return upper;
    const attr: SetAttr = { atime: st.atime, mtime: st.mtime };
    if (this.type !== S_IFLNK) attr.mode = perm;
    upper.setattr(attr);
    const names = lower.listxattr();
    if (typeof names !== 'number') {
      for (const n of names) {
        if (!n.startsWith(XATTR_USER_PREFIX)) continue;
        const v = lower.getxattr(n);
        if (typeof v !== 'number') upper.setxattr(n, v, 0);
      }
    }
    upper.setxattr(ORIGIN_XATTR, originBytes(st.ino), 0);
    if (typeof parentTimes !== 'number') dir.setattr({ atime: parentTimes.atime, mtime: parentTimes.mtime });
    this.upper = upper;
    if (this.type !== S_IFDIR) this.fs.byUpper.set(upper, this);
    return 0;
  }

  /**
   * Copies a directory's whole tree up and makes every directory of it
   * opaque: it then stands alone, and can move where its lower layer
   * cannot follow.
   */
  private copyUpTree(): number {
    let r = this.copyUp();
    if (r < 0) return r;
    if (this.type !== S_IFDIR || !this.merged) return 0;
    const entries = this.entries();
    if (typeof entries === 'number') return entries;
    for (const e of entries) {
      const child = this.lookup(e.name);
      if (typeof child === 'number') return child;
      r = child.type === S_IFDIR ? child.copyUpTree() : child.copyUp();
      if (r < 0) return r;
    }
    r = this.upper!.setxattr(OPAQUE_XATTR, Uint8Array.of(0x79), 0);
    if (r < 0) return r;
    this.opaque = true;
    this.lower = null;
    this.lowerChildren.clear();
    return 0;
  }

  // ---- directory listing ----

  /** The merged entries: the upper ones (whiteouts left out), then the lower ones nothing hides. */
  entries(): DirEntry[] | number {
    const out: DirEntry[] = [];
    const seen = new Set<string>();
    if (this.upper !== null) {
      const up = readAll(this.upper);
      if (typeof up === 'number') return up;
      for (const e of up) {
        seen.add(e.name);
        if (e.type === DT_CHR || e.type === 0) {
          const u = this.upper.lookup(e.name);
          if (typeof u !== 'number' && isWhiteout(u)) continue;
        }
        out.push({ ino: this.upperEntryIno(e), type: e.type, name: e.name });
      }
    }
    if (this.merged) {
      const low = readAll(this.lower!);
      if (typeof low === 'number') return low;
      for (const e of low) if (!seen.has(e.name)) out.push(e);
    }
    return out;
  }

  /** The inode number stat will give an upper entry (its origin's, or the upper one with the xino bit). */
  private upperEntryIno(e: DirEntry): bigint {
    const cached = this.children.get(e.name);
    if (cached !== undefined) {
      const ino = cached.ino();
      if (typeof ino !== 'number') return ino;
    }
    const u = this.upper!.lookup(e.name);
    const origin = typeof u === 'number' ? null : readOrigin(u);
    return origin ?? (e.ino | XINO_UPPER);
  }

  /** Removes the whiteouts an upper directory holds (it is empty as the overlay shows it). */
  private clearWhiteouts(): number {
    if (this.upper === null) return 0;
    const up = readAll(this.upper);
    if (typeof up === 'number') return up;
    for (const e of up) {
      const r = this.upper.unlink(e.name);
      if (r < 0) return r;
    }
    return 0;
  }

  /** Whether the directory is empty as the overlay shows it. */
  private isEmpty(): boolean | number {
    const entries = this.entries();
    return typeof entries === 'number' ? entries : entries.length === 0;
  }

  // ---- opening ----

  open(flags: number): FileDescription | number {
    switch (this.type) {
      case S_IFDIR: return new OverlayDirFile(this, flags);
      case S_IFLNK: return -E.ELOOP;
      case S_IFIFO:
        // The overlay inode's own pipe: a copy-up (a chmod) does not part its readers from its writers.
        this.fifo ??= new Fifo();
        return this.fifo.open(flags, () => this.stat());
      case S_IFREG: {
        const acc = flags & O_ACCMODE;
        if (acc === O_WRONLY || acc === O_RDWR || (flags & O_TRUNC)) {
          const r = this.copyUp();
          if (r < 0) return r;
        }
        const real = this.real.open(flags);
        if (typeof real === 'number') return real;
        return new OverlayFile(this, real, flags, this.upper !== null);
      }
      default: return this.real.open(flags);
    }
  }

  // ---- changes to a directory ----

  /**
   * Readies `name` in the upper directory for a new file: copies this
   * directory up and removes a whiteout there. Returns whether there was
   * one (the lower layer has the name: a new directory must be opaque).
   */
  private prepareName(name: string): boolean | number {
    const r = this.copyUp();
    if (r < 0) return r;
    const u = this.upperChild(name);
    if (typeof u === 'number') return u;
    if (u === null) return false;
    if (!isWhiteout(u)) return -E.EEXIST;
    const d = this.upper!.unlink(name);
    return d < 0 ? d : true;
  }

  /** Puts back a whiteout removed for a creation that failed. */
  private restoreWhiteout(name: string, had: boolean): void {
    if (had) this.upper!.mknod(name, S_IFCHR, 0, 0, 0);
  }

  create(name: string, flags: number, mode: number, uid: number, gid: number): Created | number {
    const had = this.prepareName(name);
    if (typeof had === 'number') return had;
    const made = this.upper!.create(name, flags, mode, uid, gid);
    if (typeof made === 'number') { this.restoreWhiteout(name, had); return made; }
    const child = this.lookup(name);
    if (typeof child === 'number') { made.file.decRef(); return child; }
    return { inode: child, file: new OverlayFile(child, made.file, flags, true) };
  }

  /** O_TMPFILE: made in the upper layer (this directory copied up first, as overlayfs does). */
  tmpfile(flags: number, mode: number, uid: number, gid: number): Created | number {
    const r = this.copyUp();
    if (r < 0) return r;
    const upper = this.upper!;
    if (upper.tmpfile === undefined) return -E.EOPNOTSUPP;
    const made = upper.tmpfile(flags, mode, uid, gid);
    if (typeof made === 'number') return made;
    const inode = new OverlayInode(this.fs, this, '', made.inode, null);
    return { inode, file: new OverlayFile(inode, made.file, flags, true) };
  }

  mkdir(name: string, mode: number, uid: number, gid: number): number {
    const had = this.prepareName(name);
    if (typeof had === 'number') return had;
    const r = this.upper!.mkdir(name, mode, uid, gid);
    if (r < 0) { this.restoreWhiteout(name, had); return r; }
    if (had) {
      const d = this.upper!.lookup(name);
      if (typeof d !== 'number') d.setxattr(OPAQUE_XATTR, Uint8Array.of(0x79), 0);
    }
    return 0;
  }

  mknod(name: string, mode: number, rdev: number, uid: number, gid: number): number {
    const had = this.prepareName(name);
    if (typeof had === 'number') return had;
    const r = this.upper!.mknod(name, mode, rdev, uid, gid);
    if (r < 0) this.restoreWhiteout(name, had);
    return r;
  }

  symlink(name: string, target: string, uid: number, gid: number): number {
    const had = this.prepareName(name);
    if (typeof had === 'number') return had;
    const r = this.upper!.symlink(name, target, uid, gid);
    if (r < 0) this.restoreWhiteout(name, had);
    return r;
  }

  link(name: string, target: Inode): number {
    if (!(target instanceof OverlayInode) || target.fs !== this.fs) return -E.EXDEV;
    let r = target.copyUp();
    if (r < 0) return r;
    const had = this.prepareName(name);
    if (typeof had === 'number') return had;
    r = this.upper!.link(name, target.upper!);
    if (r < 0) this.restoreWhiteout(name, had);
    return r;
  }

  /** Whether removing `name` must leave a whiteout: the lower layer shows it here. */
  private needsWhiteout(name: string): boolean | number {
    const l = this.lowerChild(name);
    return typeof l === 'number' ? l : l !== null;
  }

  private whiteout(name: string): number {
    return this.upper!.mknod(name, S_IFCHR, 0, 0, 0);
  }

  unlink(name: string): number {
    const child = this.lookup(name);
    if (typeof child === 'number') return child;
    if (child.type === S_IFDIR) return -E.EISDIR;
    const wh = this.needsWhiteout(name);
    if (typeof wh === 'number') return wh;
    let r = this.copyUp();
    if (r < 0) return r;
    if (child.upper !== null && (r = this.upper!.unlink(name)) < 0) return r;
    if (wh && (r = this.whiteout(name)) < 0) return r;
    this.children.delete(name);
    return 0;
  }

  rmdir(name: string): number {
    const child = this.lookup(name);
    if (typeof child === 'number') return child;
    if (child.type !== S_IFDIR) return -E.ENOTDIR;
    const empty = child.isEmpty();
    if (typeof empty === 'number') return empty;
    if (!empty) return -E.ENOTEMPTY;
    const wh = this.needsWhiteout(name);
    if (typeof wh === 'number') return wh;
    let r = this.copyUp();
    if (r < 0) return r;
    if (child.upper !== null) {
      if ((r = child.clearWhiteouts()) < 0) return r;
      if ((r = this.upper!.rmdir(name)) < 0) return r;
    }
    if (wh && (r = this.whiteout(name)) < 0) return r;
    this.children.delete(name);
    return 0;
  }

  /** Makes src ready to move: copied up, and a directory with lower contents copied up whole. */
  private static readyToMove(src: OverlayInode): number {
    return src.type === S_IFDIR && src.merged ? src.copyUpTree() : src.copyUp();
  }

  /** A directory moved to a place the lower layer also has must hide it: opaque. */
  private markOpaqueIfShadowing(dir: OverlayInode, name: string): number {
    if (dir.type !== S_IFDIR || dir.opaque) return 0;
    const low = this.needsWhiteout(name);
    if (typeof low === 'number') return low;
    if (!low) return 0;
    const r = dir.upper!.setxattr(OPAQUE_XATTR, Uint8Array.of(0x79), 0);
    if (r < 0) return r;
    dir.opaque = true;
    dir.lower = null;
    dir.lowerChildren.clear();
    return 0;
  }

  rename(oldName: string, newParent: Inode, newName: string, flags: number): number {
    if (!(newParent instanceof OverlayInode) || newParent.fs !== this.fs) return -E.EXDEV;
    const np = newParent;
    const src = this.lookup(oldName);
    if (typeof src === 'number') return src;
    const found = np.lookup(newName);
    if (typeof found === 'number' && found !== -E.ENOENT) return found;
    const dst = typeof found === 'number' ? null : found;
    let r: number;
    if (flags & RENAME_EXCHANGE) {
      if (dst === null) return -E.ENOENT;
      if ((r = OverlayInode.readyToMove(src)) < 0) return r;
      if ((r = OverlayInode.readyToMove(dst)) < 0) return r;
      if ((r = np.copyUp()) < 0) return r;
      if ((r = this.upper!.rename(oldName, np.upper!, newName, RENAME_EXCHANGE)) < 0) return r;
      this.children.set(oldName, dst);
      np.children.set(newName, src);
      src.parent = np; src.name = newName;
      dst.parent = this; dst.name = oldName;
      if ((r = np.markOpaqueIfShadowing(src, newName)) < 0) return r;
      return this.markOpaqueIfShadowing(dst, oldName);
    }
    if (dst === src) return 0;
    if (dst !== null && dst.type === S_IFDIR) {
      const empty = dst.isEmpty();
      if (typeof empty === 'number') return empty;
      if (!empty) return -E.ENOTEMPTY;
    }
    const wh = this.needsWhiteout(oldName);
    if (typeof wh === 'number') return wh;
    if ((r = OverlayInode.readyToMove(src)) < 0) return r;
    if ((r = np.copyUp()) < 0) return r;
    if (dst !== null && dst.type === S_IFDIR && dst.upper !== null && (r = dst.clearWhiteouts()) < 0) return r;
    // A directory cannot replace the whiteout (a device) in the upper layer: the whiteout goes first.
    let removedWhiteout = false;
    if (src.type === S_IFDIR) {
      const u = np.upperChild(newName);
      if (typeof u === 'number') return u;
      if (u !== null && isWhiteout(u)) {
        if ((r = np.upper!.unlink(newName)) < 0) return r;
        removedWhiteout = true;
      }
    }
    r = this.upper!.rename(oldName, np.upper!, newName, flags);
    if (r < 0) { np.restoreWhiteout(newName, removedWhiteout); return r; }
    this.children.delete(oldName);
    np.children.set(newName, src);
    src.parent = np;
    src.name = newName;
    if ((r = np.markOpaqueIfShadowing(src, newName)) < 0) return r;
    if (wh && (r = this.whiteout(oldName)) < 0) return r;
    return 0;
  }

  // ---- changes to the file ----

  setattr(attr: SetAttr): number {
    const r = this.copyUp(!(attr.size === 0));
    if (r < 0) return r;
    return this.upper!.setattr(attr);
  }

  setxattr(name: string, value: Uint8Array, flags: number): number {
    if (name.startsWith(PRIVATE_XATTR_PREFIX)) return -E.EOPNOTSUPP;
    const r = this.copyUp();
    if (r < 0) return r;
    return this.upper!.setxattr(name, value, flags);
  }

  removexattr(name: string): number {
    if (name.startsWith(PRIVATE_XATTR_PREFIX)) return -E.EOPNOTSUPP;
    if (this.upper === null) {
      // Nothing to copy up for an attribute the file does not have.
      const v = this.lower!.getxattr(name);
      if (typeof v === 'number') return v;
    }
    const r = this.copyUp();
    if (r < 0) return r;
    return this.upper!.removexattr(name);
  }
}

/** Copies a lower regular file's contents into a new upper file; removes it again on failure. */
function copyRegular(lower: Inode, dir: Inode, name: string, perm: number, st: Stat, withData: boolean): number {
  const made = dir.create(name, O_WRONLY, perm, st.uid, st.gid);
  if (typeof made === 'number') return made;
  const out = made.file;
  let r = 0;
  if (withData && st.size > 0) {
    const src = lower.open(O_RDONLY);
    if (typeof src === 'number') r = src;
    else {
      const buf = new Uint8Array(Math.min(COPY_CHUNK, st.size));
      for (let at = 0; ;) {
        const n = src.read(buf, at);
        if (n < 0) { r = n; break; }
        if (n === 0) break;
        for (let done = 0; done < n;) {
          const w = out.write(buf.subarray(done, n), at + done);
          if (w < 0) { r = w; break; }
          done += w;
        }
        if (r < 0) break;
        at += n;
      }
      src.decRef();
    }
  }
  out.decRef();
  if (r < 0) dir.unlink(name);
  return r;
}

/**
 * An open overlay regular file: a file of the layer that had it when it
 * was opened, moved to the upper copy once there is one, so reads see
 * what was written since (overlayfs reopens the same way).
 */
export class OverlayFile extends FileDescription implements MappableFile {
  constructor(readonly inode: OverlayInode, private real: FileDescription, flags: number, private realIsUpper: boolean) {
    super(flags);
  }

  private current(): FileDescription {
    if (!this.realIsUpper && this.inode.upper !== null) {
      const f = this.inode.upper.open(this.flags & ~O_TRUNC);
      if (typeof f !== 'number') {
        this.real.decRef();
        this.real = f;
        this.realIsUpper = true;
      }
    }
    this.real.flags = this.flags;
    return this.real;
  }

  get mappingName(): string {
    if (this.dentry === null) return '/';
    return this.dentry.path(null) + (this.dentry.unlinked ? ' (deleted)' : '');
  }

  stat(): Stat | number { return this.inode.stat(); }

  readInto(offset: number, dst: Uint8Array): number {
    const f = this.current() as FileDescription & Partial<MappableFile>;
    return f.readInto ? f.readInto(offset, dst) : -E.ENODEV;
  }

  /** The current layer's host fd, when its readInto is a plain pread of one. */
  hostReadFd(): number {
    const f = this.current() as FileDescription & Partial<MappableFile>;
    return f.readInto && f.hostReadFd ? f.hostReadFd() : -1;
  }

  /** A shared mapping maps the pages of the layer's file (the upper's once copied up). */
  sharePages(mf: MemoryFile, offset: number, length: number): SharedPiece[] | number {
    const f = this.current() as FileDescription & Partial<MappableFile>;
    if (f.sharePages !== undefined) return f.sharePages(mf, offset, length);
    return -E.ENODEV;
  }

  override read(dst: Uint8Array, offset: number): number {
    const f = this.current();
    if (offset >= 0) return f.read(dst, offset);
    f.offset = this.offset;
    const n = f.read(dst, -1);
    this.offset = f.offset;
    return n;
  }

  override write(src: Uint8Array, offset: number): number {
    const f = this.current();
    // The layer's file appends as this one does now (F_SETFL and RWF_APPEND change it after the open).
    f.flags = (f.flags & ~O_APPEND) | (this.flags & O_APPEND);
    if (offset >= 0 && !(this.flags & O_APPEND)) return f.write(src, offset);
    f.offset = this.offset;
    const n = f.write(src, -1);
    if (offset < 0) this.offset = f.offset;
    return n;
  }

  override truncate(size: number): number {
    const r = this.inode.copyUp(size !== 0);
    if (r < 0) return r;
    return this.current().truncate(size);
  }

  override allocate(mode: number, offset: number, length: number): number {
    const r = this.inode.copyUp();
    if (r < 0) return r;
    return this.current().allocate(mode, offset, length);
  }

  override fsync(datasync: boolean): number { return this.current().fsync(datasync); }

  protected override release(): void { this.real.decRef(); }
}

/** An open overlay directory: the merged entries, taken when reading starts (offset 0). */
class OverlayDirFile extends FileDescription {
  private entries: DirEntry[] | null = null;

  constructor(readonly dir: OverlayInode, flags: number) { super(flags); }

  stat(): Stat | number { return this.dir.stat(); }

  override readdir(): DirEntry[] | number {
    if (this.entries === null || this.offset === 0) {
      const self = this.dir.stat();
      if (typeof self === 'number') return self;
      const parentInode = this.dentry?.parent?.inode ?? this.dentry?.mountpoint?.parent?.inode ?? this.dir;
      const parent = parentInode.stat();
      const merged = this.dir.entries();
      if (typeof merged === 'number') return merged;
      this.entries = [
        { ino: self.ino, type: DT_DIR, name: '.' },
        { ino: typeof parent === 'number' ? self.ino : parent.ino, type: DT_DIR, name: '..' },
        ...merged,
      ];
    }
    return this.entries.slice(this.offset);
  }

  override fsync(): number { return 0; }
}

/**
 * An overlay of upper (writable, normally a tmpfs root) over lowerRoot
 * (read-only, normally the Gofer's root); returns its root, the Inode to
 * mount. dev is its st_dev (a fresh number if absent).
 */
export function newOverlay(lowerRoot: Inode, upper: Inode, dev?: number): OverlayInode {
  return new Overlay(lowerRoot, upper, dev).root;
}

