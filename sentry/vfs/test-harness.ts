// A small driver for file-system tests: a dentry tree over a root inode and
// the VFS's operations (ops.ts) by path, as the syscall handlers use them,
// without a task. Results are values or negative errno, as everywhere.
import { E } from '../../abi/linux/errno.js';
import { O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_TRUNC } from '../../abi/linux/fcntl.js';
import type { Stat, Timespec } from '../../abi/linux/stat.js';
import { Dentry } from './dentry.js';
import type { FileDescription } from './file-description.js';
import type { Inode } from './inode.js';
import * as vfs from './ops.js';
import { lookupChild, resolveParent, resolvePath, type FsContext } from './path-walk.js';

export const ROOT: vfs.FsCreds = { fsuid: 0, fsgid: 0, groups: [] };

export function user(uid: number, gid = uid, groups: number[] = []): vfs.FsCreds {
  return { fsuid: uid, fsgid: gid, groups };
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

export class Harness {
  readonly root: Dentry;
  readonly ctx: FsContext;

  constructor(rootInode: Inode) {
    this.root = new Dentry('/', null, rootInode);
    this.ctx = { root: this.root, cwd: this.root };
  }

  resolve(path: string, follow = true): Dentry | number {
    return resolvePath(this.ctx, this.ctx.cwd, path, follow);
  }

  private parent(path: string): { parent: Dentry; name: string; trailingSlash: boolean } | number {
    return resolveParent(this.ctx, this.ctx.cwd, path);
  }

  /** Mounts inode on the directory at path; returns the mounted root. */
  mount(path: string, inode: Inode): Dentry {
    const point = this.resolve(path);
    if (typeof point === 'number') throw new Error(`mount point ${path}: errno ${-point}`);
    const mounted = new Dentry('/', null, inode);
    mounted.mountpoint = point;
    point.mounted = mounted;
    return mounted;
  }

  /** open(2) without the task: O_CREAT creates as c would; the file's dentry is set. */
  open(path: string, flags = O_RDONLY, mode = 0o644, c = ROOT): FileDescription | number {
    if (flags & O_CREAT) {
      const p = this.parent(path);
      if (typeof p === 'number') return p;
      const existing = lookupChild(p.parent, p.name);
      if (typeof existing === 'number') {
        if (existing !== -E.ENOENT) return existing;
        if (p.parent.inode.readonly) return -E.EROFS;
        return vfs.createFile(c, p.parent, p.name, flags & ~(O_CREAT | O_EXCL | O_TRUNC), mode);
      }
      if (flags & O_EXCL) return -E.EEXIST;
    }
    const d = this.resolve(path);
    if (typeof d === 'number') return d;
    const f = d.inode.open(flags & ~(O_CREAT | O_EXCL | O_TRUNC));
    if (typeof f === 'number') return f;
    f.dentry = d;
    if ((flags & O_TRUNC) && (flags & O_ACCMODE) !== O_RDONLY) {
      const r = f.truncate(0);
      if (r < 0) { f.decRef(); return r; }
    }
    return f;
  }

  /** Writes a whole file (created or truncated), as `echo data > path`. */
  writeFile(path: string, data: string, mode = 0o644, c = ROOT): number {
    const f = this.open(path, O_CREAT | O_TRUNC | 1 /* O_WRONLY */, mode, c);
    if (typeof f === 'number') return f;
    const bytes = latin1(data);
    let done = 0;
    while (done < bytes.length) {
      const n = f.write(bytes.subarray(done), -1);
      if (n < 0) { f.decRef(); return n; }
      done += n;
    }
    f.decRef();
    return done;
  }

  readFile(path: string): string | number {
    const f = this.open(path);
    if (typeof f === 'number') return f;
    const chunks: Buffer[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = f.read(buf, -1);
      if (n < 0) { f.decRef(); return n; }
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    f.decRef();
    return Buffer.concat(chunks).toString('latin1');
  }

  /** The names in a directory, sorted, without "." and "..". */
  ls(path: string): string[] | number {
    const f = this.open(path, O_RDONLY | O_DIRECTORY);
    if (typeof f === 'number') return f;
    const entries = f.readdir();
    f.decRef();
    if (typeof entries === 'number') return entries;
    return entries.map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort();
  }

  stat(path: string, follow = true): Stat | number {
    const d = this.resolve(path, follow);
    return typeof d === 'number' ? d : d.inode.stat();
  }

  mkdir(path: string, mode = 0o755, c = ROOT): number {
    const p = this.parent(path);
    return typeof p === 'number' ? p : vfs.mkdir(c, p.parent, p.name, p.trailingSlash, mode);
  }

  mknod(path: string, mode: number, rdev = 0, c = ROOT): number {
    const p = this.parent(path);
    return typeof p === 'number' ? p : vfs.mknod(c, p.parent, p.name, p.trailingSlash, mode, rdev);
  }

  symlink(target: string, path: string, c = ROOT): number {
    const p = this.parent(path);
    return typeof p === 'number' ? p : vfs.symlink(c, p.parent, p.name, p.trailingSlash, target);
  }

  link(oldPath: string, newPath: string, c = ROOT): number {
    const target = this.resolve(oldPath, false);
    if (typeof target === 'number') return target;
    const p = this.parent(newPath);
    return typeof p === 'number' ? p : vfs.link(c, target, p.parent, p.name, p.trailingSlash);
  }

  unlink(path: string, c = ROOT): number {
    const p = this.parent(path);
    return typeof p === 'number' ? p : vfs.unlink(c, p.parent, p.name, p.trailingSlash);
  }

  rmdir(path: string, c = ROOT): number {
    const p = this.parent(path);
    return typeof p === 'number' ? p : vfs.rmdir(c, p.parent, p.name);
  }

  rename(oldPath: string, newPath: string, flags = 0, c = ROOT): number {
    const o = this.parent(oldPath);
    if (typeof o === 'number') return o;
    const n = this.parent(newPath);
    if (typeof n === 'number') return n;
    return vfs.rename(c, { oldParent: o.parent, oldName: o.name, oldSlash: o.trailingSlash,
      newParent: n.parent, newName: n.name, newSlash: n.trailingSlash, flags });
  }

  chmod(path: string, mode: number, c = ROOT): number {
    const d = this.resolve(path);
    return typeof d === 'number' ? d : vfs.chmod(c, d.inode, mode);
  }

  chown(path: string, uid: number, gid: number, c = ROOT): number {
    const d = this.resolve(path);
    return typeof d === 'number' ? d : vfs.chown(c, d.inode, uid, gid);
  }

  truncate(path: string, size: number, c = ROOT): number {
    const d = this.resolve(path);
    return typeof d === 'number' ? d : vfs.truncate(c, d.inode, size);
  }

  utimes(path: string, atime: Timespec | null, mtime: Timespec | null, c = ROOT): number {
    const d = this.resolve(path);
    return typeof d === 'number' ? d : vfs.utimes(c, d.inode, atime, mtime);
  }

  readlink(path: string): string | number {
    const d = this.resolve(path, false);
    return typeof d === 'number' ? d : d.inode.readlink();
  }
}

/** Unwraps a value that must not be an errno (for test setup). */
export function must<T>(r: T | number, what = 'operation'): T {
  if (typeof r === 'number' && r < 0) throw new Error(`${what}: errno ${-r}`);
  return r as T;
}
