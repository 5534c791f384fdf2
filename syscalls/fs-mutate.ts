// Changing the file tree and files' attributes: mkdir, rmdir, unlink,
// rename, link, symlink, mknod, chmod, chown, truncate, fallocate, the
// sync calls, and utimensat with its older forms. Handlers decode and
// resolve their arguments in Linux's order; sentry/vfs/ops.ts checks and
// makes the change.
import { fsizeAllows } from '../sentry/kernel/rlimits.js';
import { E } from '../abi/linux/errno.js';
import {
  FALLOC_FL_ALLOCATE_RANGE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_MODE_MASK,
  FALLOC_FL_PUNCH_HOLE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_WRITE_ZEROES, FALLOC_FL_ZERO_RANGE,
} from '../abi/linux/falloc.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW } from '../abi/linux/fcntl.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT } from '../abi/linux/fs.js';
import {
  S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, UTIME_NOW, UTIME_OMIT, type Timespec,
} from '../abi/linux/stat.js';
import type { Task } from '../sentry/kernel/task.js';
import type { Dentry } from '../sentry/vfs/dentry.js';
import type { FileDescription } from '../sentry/vfs/file-description.js';
import type { Inode } from '../sentry/vfs/inode.js';
import * as vfs from '../sentry/vfs/ops.js';
import { notifyChange } from '../sentry/vfs/notify.js';
import { IN_MODIFY } from '../abi/linux/inotify.js';
import { PathFile } from '../sentry/vfs/path-file.js';
import { resolveParent, resolvePath } from '../sentry/vfs/path-walk.js';
import { dirfdStart, pathArg } from './args.js';
import { sys, type SyscallGroup } from './types.js';

/** A loff_t argument: the register as a signed 64-bit number. */
function argOff(t: Task, i: number): number {
  return Number(BigInt.asIntN(64, t.argBig(i)));
}

/** An fd as fdget() finds it: O_PATH descriptions are EBADF. */
function fdFile(t: Task, fd: number): FileDescription | number {
  const f = t.fdTable.get(fd);
  return f === null || f instanceof PathFile ? -E.EBADF : f;
}

/** The parent directory and last component of a path argument (filename_parentat). */
function parentOf(t: Task, dirfd: number, pathIdx: number): { parent: Dentry; name: string; trailingSlash: boolean; path: string } | number {
  const path = pathArg(t, pathIdx);
  if (typeof path === 'number') return path;
  const start = dirfdStart(t, dirfd, path);
  if (typeof start === 'number') return start;
  const p = resolveParent(t.fs, start, path, t.creds);
  return typeof p === 'number' ? p : { ...p, path };
}

/**
 * What a path argument names (user_path_at): with AT_EMPTY_PATH an empty
 * path is the dirfd itself (O_PATH fds included). null: an fd with no
 * dentry of ours (a pipe, the console).
 */
function pathTarget(t: Task, dirfd: number, pathIdx: number, follow: boolean, emptyPath: boolean): Dentry | null | number {
  const path = pathArg(t, pathIdx);
  if (typeof path === 'number') return path;
  if (path === '' && emptyPath) {
    if (dirfd === AT_FDCWD) return t.fs.cwd;
    const f = t.fdTable.get(dirfd);
    if (f === null) return -E.EBADF;
    return f.dentry;
  }
  const start = dirfdStart(t, dirfd, path);
  if (typeof start === 'number') return start;
  return resolvePath(t.fs, start, path, follow, t.creds);
}

// ---- names ----

function mkdirAt(t: Task, dirfd: number, pathIdx: number, mode: number): number {
  const p = parentOf(t, dirfd, pathIdx);
  if (typeof p === 'number') return p;
  return vfs.mkdir(t.creds, p.parent, p.name, p.trailingSlash, mode & ~t.umask);
}

/** rmdir("/") names no last component: EBUSY before anything else is asked. */
function rmdirAt(t: Task, dirfd: number, pathIdx: number): number {
  const p = parentOf(t, dirfd, pathIdx);
  if (typeof p === 'number') return p;
  if (/^\/+$/.test(p.path)) return -E.EBUSY;
  return vfs.rmdir(t.creds, p.parent, p.name);
}

function unlinkAt(t: Task, dirfd: number, pathIdx: number, flags: number): number {
  if (flags & ~AT_REMOVEDIR) return -E.EINVAL;
  if (flags & AT_REMOVEDIR) return rmdirAt(t, dirfd, pathIdx);
  const p = parentOf(t, dirfd, pathIdx);
  if (typeof p === 'number') return p;
  return vfs.unlink(t.creds, p.parent, p.name, p.trailingSlash);
}

function renameAt(t: Task, olddirfd: number, oldIdx: number, newdirfd: number, newIdx: number, flags: number): number {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -E.EINVAL;
  if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE)) return -E.EINVAL;
  if ((flags & RENAME_WHITEOUT) && t.creds.fsuid !== 0) return -E.EPERM;
  const oldPath = pathArg(t, oldIdx);
  if (typeof oldPath === 'number') return oldPath;
  const newPath = pathArg(t, newIdx);
  if (typeof newPath === 'number') return newPath;
  const o = parentOf(t, olddirfd, oldIdx);
  if (typeof o === 'number') return o;
  const n = parentOf(t, newdirfd, newIdx);
  if (typeof n === 'number') return n;
  // Whiteouts are the overlay's own business: no file system here makes one on request.
  if (flags & RENAME_WHITEOUT) return -E.EINVAL;
  return vfs.rename(t.creds, {
    oldParent: o.parent, oldName: o.name, oldSlash: o.trailingSlash,
    newParent: n.parent, newName: n.name, newSlash: n.trailingSlash, flags,
  });
}

function linkAt(t: Task, olddirfd: number, oldIdx: number, newdirfd: number, newIdx: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  // Linking an fd by AT_EMPTY_PATH takes CAP_DAC_READ_SEARCH (or, since 6.10, having opened it oneself).
  const target = pathTarget(t, olddirfd, oldIdx, (flags & AT_SYMLINK_FOLLOW) !== 0, (flags & AT_EMPTY_PATH) !== 0);
  if (target === null) return -E.EXDEV;
  if (typeof target === 'number') return target;
  const n = parentOf(t, newdirfd, newIdx);
  if (typeof n === 'number') return n;
  return vfs.link(t.creds, target, n.parent, n.name, n.trailingSlash);
}

function symlinkAt(t: Task, targetIdx: number, newdirfd: number, pathIdx: number): number {
  const target = pathArg(t, targetIdx);
  if (typeof target === 'number') return target;
  if (target === '') return -E.ENOENT;
  const p = parentOf(t, newdirfd, pathIdx);
  if (typeof p === 'number') return p;
  return vfs.symlink(t.creds, p.parent, p.name, p.trailingSlash, target);
}

/** may_mknod's check of the type comes first; a regular file is what type 0 makes. */
function mknodAt(t: Task, dirfd: number, pathIdx: number, mode: number, dev: number): number {
  switch (mode & S_IFMT) {
    case 0: case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK: break;
    case S_IFDIR: return -E.EPERM;
    default: return -E.EINVAL;
  }
  const p = parentOf(t, dirfd, pathIdx);
  if (typeof p === 'number') return p;
  return vfs.mknod(t.creds, p.parent, p.name, p.trailingSlash, (mode & S_IFMT) | (mode & 0o7777 & ~t.umask), dev);
}

// ---- attributes ----

function chmodPath(t: Task, dirfd: number, pathIdx: number, mode: number): number {
  const d = pathTarget(t, dirfd, pathIdx, true, false);
  if (d === null) return -E.ENOENT;
  if (typeof d === 'number') return d;
  return vfs.chmod(t.creds, d.inode, mode);
}

/** fchmod/fchown on a file with no inode of ours (a pipe, the console) has nothing to change. */
function fdInode(t: Task, fd: number): Inode | null | number {
  const f = fdFile(t, fd);
  if (typeof f === 'number') return f;
  return f.dentry?.inode ?? null;
}

function chownPath(t: Task, dirfd: number, pathIdx: number, uid: number, gid: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  const d = pathTarget(t, dirfd, pathIdx, (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
  if (d === null) return 0;
  if (typeof d === 'number') return d;
  return vfs.chown(t.creds, d.inode, uid, gid);
}

function truncatePath(t: Task, pathIdx: number, length: number): number {
  if (length < 0) return -E.EINVAL;
  const d = pathTarget(t, AT_FDCWD, pathIdx, true, false);
  if (d === null) return -E.ENOENT;
  if (typeof d === 'number') return d;
  if (length > 0 && fsizeAllows(t, length - 1, 1) < 0) return -E.EFBIG;
  return vfs.truncate(t.creds, d.inode, length);
}

/** The S_IFMT bits of an open file. */
function typeOfFile(f: FileDescription): number {
  if (f.dentry !== null) return f.dentry.inode.type;
  const st = f.stat();
  return typeof st === 'number' ? 0 : st.mode & S_IFMT;
}

function ftruncate(t: Task, fd: number, length: number): number {
  if (length < 0) return -E.EINVAL;
  const f = fdFile(t, fd);
  if (typeof f === 'number') return f;
  if (typeOfFile(f) !== S_IFREG || !f.writable) return -E.EINVAL;
  if (length > 0 && fsizeAllows(t, length - 1, 1) < 0) return -E.EFBIG;
  return fileModified(f, f.truncate(length));
}

/** A change to an open file's data that succeeded is IN_MODIFY for its watches. */
function fileModified(f: FileDescription, r: number): number {
  if (r >= 0 && f.dentry !== null) notifyChange(f.dentry.inode, IN_MODIFY, f.dentry);
  return r;
}

/**
 * vfs_fallocate's checks, in its order (Linux 6.13 on): one operation of
 * the mode mask, KEEP_SIZE only where it means something.
 */
function fallocate(t: Task, fd: number, mode: number, offset: number, length: number): number {
  const f = fdFile(t, fd);
  if (typeof f === 'number') return f;
  if (offset < 0 || length <= 0) return -E.EINVAL;
  if (mode & ~(FALLOC_FL_MODE_MASK | FALLOC_FL_KEEP_SIZE)) return -E.EOPNOTSUPP;
  switch (mode & FALLOC_FL_MODE_MASK) {
    case FALLOC_FL_ALLOCATE_RANGE: case FALLOC_FL_UNSHARE_RANGE: case FALLOC_FL_ZERO_RANGE: break;
    case FALLOC_FL_PUNCH_HOLE: if (!(mode & FALLOC_FL_KEEP_SIZE)) return -E.EOPNOTSUPP; break;
    case FALLOC_FL_COLLAPSE_RANGE: case FALLOC_FL_INSERT_RANGE: case FALLOC_FL_WRITE_ZEROES:
      if (mode & FALLOC_FL_KEEP_SIZE) return -E.EOPNOTSUPP;
      break;
    default: return -E.EOPNOTSUPP;
  }
  if (!f.writable) return -E.EBADF;
  const type = typeOfFile(f);
  if (type === S_IFIFO) return -E.ESPIPE;
  if (type === S_IFDIR) return -E.EISDIR;
  if (type !== S_IFREG && type !== S_IFBLK) return -E.ENODEV;
  if (offset + length > Number.MAX_SAFE_INTEGER) return -E.EFBIG;
  return fileModified(f, f.allocate(mode, offset, length));
}

function fsync(t: Task, fd: number, datasync: boolean): number {
  const f = fdFile(t, fd);
  if (typeof f === 'number') return f;
  return f.fsync(datasync);
}

// ---- times ----

/** A timespec's nsec is valid (nsec_valid): in range, or one of the two specials. */
function nsecValid(nsec: number): boolean {
  return nsec === UTIME_NOW || nsec === UTIME_OMIT || (nsec >= 0 && nsec <= 999_999_999);
}

/**
 * do_utimes: times null means "now" for both; a time with nsec UTIME_OMIT
 * is left alone. A null path with a dirfd is the fd itself (futimens).
 */
function doUtimes(t: Task, dirfd: number, pathIdx: number, times: [Timespec, Timespec] | null, flags: number): number {
  let target: Dentry | null | number;
  if (t.arg(pathIdx) === 0 && dirfd !== AT_FDCWD) {
    if (flags !== 0) return -E.EINVAL;
    const f = fdFile(t, dirfd);
    if (typeof f === 'number') return f;
    target = f.dentry;
  } else {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
    target = pathTarget(t, dirfd, pathIdx, (flags & AT_SYMLINK_NOFOLLOW) === 0, (flags & AT_EMPTY_PATH) !== 0);
  }
  if (typeof target === 'number') return target;
  if (times !== null && (!nsecValid(times[0].nsec) || !nsecValid(times[1].nsec))) return -E.EINVAL;
  // A file with no inode of ours (a pipe, the console) keeps no times to change.
  if (target === null) return 0;
  const now: Timespec = { sec: 0, nsec: UTIME_NOW };
  const a = times === null ? now : times[0].nsec === UTIME_OMIT ? null : times[0];
  const m = times === null ? now : times[1].nsec === UTIME_OMIT ? null : times[1];
  return vfs.utimes(t.creds, target.inode, a, m);
}

function utimensat(t: Task): number {
  const dirfd = t.argInt(0), timesAddr = t.arg(2), flags = t.argInt(3);
  let times: [Timespec, Timespec] | null = null;
  if (timesAddr !== 0) {
    const b = new Uint8Array(32);
    if (t.mm.copyInFull(timesAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    times = [
      { sec: Number(dv.getBigInt64(0, true)), nsec: Number(dv.getBigInt64(8, true)) },
      { sec: Number(dv.getBigInt64(16, true)), nsec: Number(dv.getBigInt64(24, true)) },
    ];
    // Nothing to do: the path is not even looked at.
    if (times[0].nsec === UTIME_OMIT && times[1].nsec === UTIME_OMIT) return 0;
  }
  return doUtimes(t, dirfd, 1, times, flags);
}

/** futimesat(2) and utimes(2): struct timeval pairs, microseconds checked before anything else. */
function futimesat(t: Task, dirfd: number, pathIdx: number, timesIdx: number): number {
  const addr = t.arg(timesIdx);
  let times: [Timespec, Timespec] | null = null;
  if (addr !== 0) {
    const b = new Uint8Array(32);
    if (t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    const usec = [Number(dv.getBigInt64(8, true)), Number(dv.getBigInt64(24, true))];
    if (usec.some((u) => u < 0 || u >= 1_000_000)) return -E.EINVAL;
    times = [
      { sec: Number(dv.getBigInt64(0, true)), nsec: usec[0] * 1000 },
      { sec: Number(dv.getBigInt64(16, true)), nsec: usec[1] * 1000 },
    ];
  }
  return doUtimes(t, dirfd, pathIdx, times, 0);
}

/** utime(2): struct utimbuf { time_t actime, modtime; }, whole seconds. */
function utime(t: Task): number {
  const addr = t.arg(1);
  let times: [Timespec, Timespec] | null = null;
  if (addr !== 0) {
    const b = new Uint8Array(16);
    if (t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    times = [{ sec: Number(dv.getBigInt64(0, true)), nsec: 0 }, { sec: Number(dv.getBigInt64(8, true)), nsec: 0 }];
  }
  return doUtimes(t, AT_FDCWD, 0, times, 0);
}

export const fsMutateSyscalls: SyscallGroup = {
  mkdir: sys((t) => mkdirAt(t, AT_FDCWD, 0, t.argInt(1)), 'so'),
  mkdirat: sys((t) => mkdirAt(t, t.argInt(0), 1, t.argInt(2)), 'fso'),
  rmdir: sys((t) => rmdirAt(t, AT_FDCWD, 0), 's'),
  unlink: sys((t) => unlinkAt(t, AT_FDCWD, 0, 0), 's'),
  unlinkat: sys((t) => unlinkAt(t, t.argInt(0), 1, t.argInt(2)), 'fsx'),
  rename: sys((t) => renameAt(t, AT_FDCWD, 0, AT_FDCWD, 1, 0), 'ss'),
  renameat: sys((t) => renameAt(t, t.argInt(0), 1, t.argInt(2), 3, 0), 'fsfs'),
  renameat2: sys((t) => renameAt(t, t.argInt(0), 1, t.argInt(2), 3, t.argU32(4)), 'fsfsx',
    'RENAME_EXCHANGE is EINVAL on Gofer mounts (9P has no exchange); RENAME_WHITEOUT is EINVAL'),
  link: sys((t) => linkAt(t, AT_FDCWD, 0, AT_FDCWD, 1, 0), 'ss'),
  linkat: sys((t) => linkAt(t, t.argInt(0), 1, t.argInt(2), 3, t.argInt(4)), 'fsfsx'),
  symlink: sys((t) => symlinkAt(t, 0, AT_FDCWD, 1), 'ss'),
  symlinkat: sys((t) => symlinkAt(t, 0, t.argInt(1), 2), 'sfs'),
  mknod: sys((t) => mknodAt(t, AT_FDCWD, 0, t.argU32(1), t.argU32(2)), 'sox', 'device nodes are EPERM: the sandbox has no devices to give them'),
  mknodat: sys((t) => mknodAt(t, t.argInt(0), 1, t.argU32(2), t.argU32(3)), 'fsox', 'device nodes are EPERM: the sandbox has no devices to give them'),
  chmod: sys((t) => chmodPath(t, AT_FDCWD, 0, t.argU32(1)), 'so'),
  fchmod: sys((t) => {
    const inode = fdInode(t, t.argInt(0));
    if (typeof inode === 'number') return inode;
    return inode === null ? 0 : vfs.chmod(t.creds, inode, t.argU32(1));
  }, 'fo'),
  fchmodat: sys((t) => chmodPath(t, t.argInt(0), 1, t.argU32(2)), 'fso'),
  chown: sys((t) => chownPath(t, AT_FDCWD, 0, t.argInt(1), t.argInt(2), 0), 'sii'),
  lchown: sys((t) => chownPath(t, AT_FDCWD, 0, t.argInt(1), t.argInt(2), AT_SYMLINK_NOFOLLOW), 'sii'),
  fchown: sys((t) => {
    const inode = fdInode(t, t.argInt(0));
    if (typeof inode === 'number') return inode;
    return inode === null ? 0 : vfs.chown(t.creds, inode, t.argInt(1), t.argInt(2));
  }, 'fii'),
  fchownat: sys((t) => chownPath(t, t.argInt(0), 1, t.argInt(2), t.argInt(3), t.argInt(4)), 'fsiix'),
  truncate: sys((t) => truncatePath(t, 0, argOff(t, 1)), 'si'),
  ftruncate: sys((t) => ftruncate(t, t.argInt(0), argOff(t, 1)), 'fi'),
  fallocate: sys((t) => fallocate(t, t.argInt(0), t.argInt(1), argOff(t, 2), argOff(t, 3)), 'fxii',
    'Gofer files: mode 0 and KEEP_SIZE only (9P has no fallocate); tmpfs also punches holes'),
  fsync: sys((t) => fsync(t, t.argInt(0), false), 'f'),
  fdatasync: sys((t) => fsync(t, t.argInt(0), true), 'f'),
  sync: sys(() => 0, ''),
  syncfs: sys((t) => { const f = fdFile(t, t.argInt(0)); return typeof f === 'number' ? f : 0; }, 'f'),
  utimensat: sys(utimensat, 'fspx'),
  futimesat: sys((t) => futimesat(t, t.argInt(0), 1, 2), 'fsp'),
  utimes: sys((t) => futimesat(t, AT_FDCWD, 0, 1), 'sp'),
  utime: sys(utime, 'sp'),
};
