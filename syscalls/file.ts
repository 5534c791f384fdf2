// File syscalls: open/close, read/write and their vector and positional
// forms, stat, getdents, readlink, access, cwd, fcntl, dup, ioctl.
import { E } from '../abi/linux/errno.js';
import * as F from '../abi/linux/fcntl.js';
import { encodeStat, encodeStatx, S_IFDIR, S_IFLNK, S_IFMT, STAT_SIZE, STATX_SIZE, UTIME_NOW, UTIME_OMIT, type Stat, type Timespec } from '../abi/linux/stat.js';
import { FIOCLEX, FIONBIO, FIONCLEX } from '../abi/linux/ioctl.js';
import { stringToBytes } from '../sentry/mm/address-space.js';
import type { Task } from '../sentry/kernel/task.js';
import type { Dentry } from '../sentry/vfs/dentry.js';
import type { FileDescription } from '../sentry/vfs/file-description.js';
import { PathFile } from '../sentry/vfs/path-file.js';
import { TASK_SIZE } from '../platform/ptrace/stub-elf.js';
import { resolveParent, resolvePath, lookupChild } from '../sentry/vfs/path-walk.js';
import { dirfdStart, pathArg, readIovecs, type Iovec } from './args.js';
import { sys, type SyscallGroup } from './types.js';

/** Largest single transfer: Linux's MAX_RW_COUNT. */
const MAX_RW_COUNT = 0x7ffff000;
const BOUNCE_LIMIT = 1 << 20;

function fileOf(t: Task, fd: number): FileDescription | number {
  return t.fdTable.get(fd) ?? -E.EBADF;
}

/** Reads from file into application memory at addr: directly when the range is one piece. */
function readInto(t: Task, file: FileDescription, addr: number, count: number, offset: number): number {
  count = Math.min(count, MAX_RW_COUNT);
  if (count === 0) return file.read(new Uint8Array(0), offset);
  const direct = t.mm.writableView(addr, count);
  if (direct !== null) return file.read(direct, offset);
  if (!accessOk(addr, count)) return -E.EFAULT;
  const bounce = new Uint8Array(Math.min(count, BOUNCE_LIMIT));
  const n = file.read(bounce, offset);
  if (n <= 0) return n;
  const w = t.mm.copyOut(addr, bounce.subarray(0, n));
  return w < 0 ? -E.EFAULT : w;
}

/** Linux's access_ok: the range lies in user space; whether it is mapped is found on copy. */
function accessOk(addr: number, count: number): boolean {
  return addr >= 0 && addr + count <= TASK_SIZE;
}

function writeFrom(t: Task, file: FileDescription, addr: number, count: number, offset: number): number {
  count = Math.min(count, MAX_RW_COUNT);
  if (count === 0) return file.write(new Uint8Array(0), offset);
  const direct = t.mm.readableView(addr, count);
  if (direct !== null) return file.write(direct, offset);
  if (!accessOk(addr, count)) return -E.EFAULT;
  const bounce = new Uint8Array(Math.min(count, BOUNCE_LIMIT));
  const got = t.mm.copyIn(addr, bounce);
  if (got < 0) return -E.EFAULT;
  return file.write(bounce.subarray(0, got), offset);
}

function doRead(t: Task, fd: number, addr: number, count: number, offset: number): number {
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if (!file.readable || (file instanceof PathFile)) return -E.EBADF;
  if (file.dentry?.inode.type === S_IFDIR) return -E.EISDIR;
  if (count < 0) return -E.EINVAL;
  return readInto(t, file, addr, count, offset);
}

function doWrite(t: Task, fd: number, addr: number, count: number, offset: number): number {
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if (!file.writable || (file instanceof PathFile)) return -E.EBADF;
  if (count < 0) return -E.EINVAL;
  return writeFrom(t, file, addr, count, offset);
}

function doVector(t: Task, fd: number, iovAddr: number, iovCount: number, offset: number, write: boolean): number {
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if ((write ? !file.writable : !file.readable) || file instanceof PathFile) return -E.EBADF;
  const iovs = readIovecs(t, iovAddr, iovCount);
  if (typeof iovs === 'number') return iovs;
  let total = 0;
  for (const iov of iovs as Iovec[]) {
    if (iov.len === 0) continue;
    const r = write ? writeFrom(t, file, iov.base, iov.len, offset < 0 ? -1 : offset + total)
      : readInto(t, file, iov.base, iov.len, offset < 0 ? -1 : offset + total);
    if (r < 0) return total > 0 ? total : r;
    total += r;
    if (r < iov.len) break;
  }
  return total;
}

function checkOffset(t: Task, fd: number, offset: number): number {
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if (offset < 0) return -E.EINVAL;
  if (!file.seekable()) return -E.ESPIPE;
  return 0;
}

// ---- open ----

function openAt(t: Task, dirfd: number, pathAddrArg: number, flags: number, mode: number): number {
  const path = pathArg(t, pathAddrArg);
  if (typeof path === 'number') return path;
  const start = dirfdStart(t, dirfd, path);
  if (typeof start === 'number') return start;
  const cloexec = (flags & F.O_CLOEXEC) !== 0;
  if (flags & F.O_PATH) flags &= F.O_PATH | F.O_DIRECTORY | F.O_NOFOLLOW | F.O_CLOEXEC;
  let dentry: Dentry;
  if (flags & F.O_CREAT) {
    if ((flags & F.O_TMPFILE) === F.O_TMPFILE) return -E.EOPNOTSUPP;
    const p = resolveParent(t.fs, start, path);
    if (typeof p === 'number') return p;
    if (p.name === '.' || p.name === '..' || p.trailingSlash) return -E.EISDIR;
    const existing = lookupChild(p.parent, p.name);
    if (typeof existing === 'number') {
      if (existing !== -E.ENOENT) return existing;
      const inode = p.parent.inode;
      if (inode.readonly) return -E.EROFS;
      if (!inode.create) return -E.EACCES;
      const file = inode.create(p.name, flags & ~(F.O_CREAT | F.O_EXCL | F.O_TRUNC | F.O_CLOEXEC), mode & 0o7777 & ~t.umask, t.creds.fsuid, t.creds.fsgid);
      if (typeof file === 'number') return file;
      p.parent.children.delete(p.name);
      const d = lookupChild(p.parent, p.name);
      if (typeof d !== 'number') file.dentry = d;
      return t.fdTable.add(file, cloexec);
    }
    if (flags & F.O_EXCL) return -E.EEXIST;
    const resolved = existing.inode.type === S_IFLNK ? resolvePath(t.fs, start, path, true) : existing;
    if (typeof resolved === 'number') return resolved;
    dentry = resolved;
  } else {
    const d = resolvePath(t.fs, start, path, (flags & F.O_NOFOLLOW) === 0);
    if (typeof d === 'number') return d;
    dentry = d;
  }
  const type = dentry.inode.type;
  if ((flags & F.O_NOFOLLOW) && type === S_IFLNK && !(flags & F.O_PATH)) return -E.ELOOP;
  if ((flags & F.O_DIRECTORY) && type !== S_IFDIR) return -E.ENOTDIR;
  if (flags & F.O_PATH) {
    const file = new PathFile(dentry, flags);
    return t.fdTable.add(file, cloexec);
  }
  const acc = flags & F.O_ACCMODE;
  if (type === S_IFDIR && (acc !== F.O_RDONLY || (flags & F.O_TRUNC) || (flags & F.O_CREAT))) return -E.EISDIR;
  if (acc !== F.O_RDONLY && dentry.inode.readonly) return -E.EROFS;
  if ((flags & F.O_TRUNC) && dentry.inode.readonly) return -E.EROFS;
  const access = checkPermission(t, dentry, acc === F.O_RDONLY ? F.R_OK : acc === F.O_WRONLY ? F.W_OK : F.R_OK | F.W_OK);
  if (access < 0) return access;
  const file = dentry.inode.open(flags & ~(F.O_CREAT | F.O_EXCL | F.O_CLOEXEC | F.O_NOCTTY));
  if (typeof file === 'number') return file;
  file.dentry = dentry;
  if ((flags & F.O_TRUNC) && (type & S_IFMT) !== S_IFDIR && acc !== F.O_RDONLY) {
    const r = file.truncate(0);
    if (r < 0) { file.decRef(); return r; }
  }
  return t.fdTable.add(file, cloexec);
}

/** Permission check with Linux's rules for root (CAP_DAC_OVERRIDE). */
export function checkPermission(t: Task, dentry: Dentry, want: number): number {
  if (want === 0) return 0;
  const st = dentry.inode.stat();
  if (typeof st === 'number') return st;
  return permissionOf(st, t.creds.fsuid, t.creds.fsgid, t.creds.groups, want);
}

export function permissionOf(st: Stat, uid: number, gid: number, groups: number[], want: number): number {
  if (uid === 0) {
    // Root may read and write anything; execute needs some x bit (or a directory).
    if ((want & F.X_OK) && (st.mode & S_IFMT) !== S_IFDIR && (st.mode & 0o111) === 0) return -E.EACCES;
    return 0;
  }
  let bits: number;
  if (st.uid === uid) bits = (st.mode >> 6) & 7;
  else if (st.gid === gid || groups.includes(st.gid)) bits = (st.mode >> 3) & 7;
  else bits = st.mode & 7;
  return (bits & want) === want ? 0 : -E.EACCES;
}

// ---- stat ----

function statDentryOrFd(t: Task, dirfd: number, pathIdx: number, flags: number): Stat | number {
  const path = pathArg(t, pathIdx);
  if (typeof path === 'number') return path;
  if (path === '') {
    if (!(flags & F.AT_EMPTY_PATH)) return -E.ENOENT;
    if (dirfd === F.AT_FDCWD) return t.fs.cwd.inode.stat();
    const file = fileOf(t, dirfd);
    if (typeof file === 'number') return file;
    return file.stat();
  }
  const start = dirfdStart(t, dirfd, path);
  if (typeof start === 'number') return start;
  const d = resolvePath(t.fs, start, path, (flags & F.AT_SYMLINK_NOFOLLOW) === 0);
  if (typeof d === 'number') return d;
  return d.inode.stat();
}

function writeStat(t: Task, addr: number, st: Stat | number): number {
  if (typeof st === 'number') return st;
  const out = new Uint8Array(STAT_SIZE);
  encodeStat(st, out);
  return t.mm.copyOutFull(addr, out);
}

function statx(t: Task): number {
  const dirfd = t.argInt(0), flags = t.argInt(2);
  if (flags & ~(F.AT_SYMLINK_NOFOLLOW | F.AT_NO_AUTOMOUNT | F.AT_EMPTY_PATH | F.AT_STATX_SYNC_TYPE)) return -E.EINVAL;
  if ((flags & F.AT_STATX_SYNC_TYPE) === F.AT_STATX_SYNC_TYPE) return -E.EINVAL;
  if (t.argU32(3) & 0x80000000) return -E.EINVAL; // STATX__RESERVED
  const st = statDentryOrFd(t, dirfd, 1, flags);
  if (typeof st === 'number') return st;
  const out = new Uint8Array(STATX_SIZE);
  encodeStatx(st, out);
  return t.mm.copyOutFull(t.arg(4), out);
}

// ---- directories ----

function getdents64(t: Task): number {
  const file = fileOf(t, t.argInt(0));
  if (typeof file === 'number') return file;
  const addr = t.arg(1), count = t.argU32(2);
  const entries = file.readdir();
  if (typeof entries === 'number') return entries;
  const out = new Uint8Array(Math.min(count, 1 << 20));
  const dv = new DataView(out.buffer);
  let used = 0, consumed = 0;
  for (const e of entries) {
    const name = stringToBytes(e.name);
    const reclen = Math.ceil((19 + name.length + 1) / 8) * 8;
    if (used + reclen > out.length) break;
    dv.setBigUint64(used, e.ino, true);
    dv.setBigInt64(used + 8, BigInt(file.offset + consumed + 1), true);
    dv.setUint16(used + 16, reclen, true);
    out[used + 18] = e.type;
    out.set(name, used + 19);
    out.fill(0, used + 19 + name.length, used + reclen);
    used += reclen;
    consumed++;
  }
  if (consumed === 0 && entries.length > 0) return -E.EINVAL;
  if (used > 0 && t.mm.copyOutFull(addr, out.subarray(0, used)) < 0) return -E.EFAULT;
  file.offset += consumed;
  return used;
}

function readlinkAt(t: Task, dirfd: number, pathIdx: number, bufIdx: number, sizeIdx: number): number {
  const size = t.argInt(sizeIdx);
  if (size <= 0) return -E.EINVAL;
  const path = pathArg(t, pathIdx);
  if (typeof path === 'number') return path;
  let target: string | number;
  if (path === '/proc/self/exe') {
    // Until procfs (issue 4) mounts /proc, the one link glibc and programs ask for.
    target = t.exePath;
  } else {
    const start = dirfdStart(t, dirfd, path);
    if (typeof start === 'number') return start;
    const d = resolvePath(t.fs, start, path, false);
    if (typeof d === 'number') return d;
    if (d.inode.type !== S_IFLNK) return -E.EINVAL;
    target = d.inode.readlink();
  }
  if (typeof target === 'number') return target;
  const bytes = stringToBytes(target).subarray(0, size);
  return t.mm.copyOutFull(t.arg(bufIdx), bytes) < 0 ? -E.EFAULT : bytes.length;
}

function accessAt(t: Task, dirfd: number, pathIdx: number, mode: number, flags: number): number {
  if (mode & ~7) return -E.EINVAL;
  if (flags & ~(F.AT_EACCESS | F.AT_SYMLINK_NOFOLLOW | F.AT_EMPTY_PATH)) return -E.EINVAL;
  const path = pathArg(t, pathIdx);
  if (typeof path === 'number') return path;
  const start = dirfdStart(t, dirfd, path);
  if (typeof start === 'number') return start;
  const d = resolvePath(t.fs, start, path, (flags & F.AT_SYMLINK_NOFOLLOW) === 0);
  if (typeof d === 'number') return d;
  if ((mode & F.W_OK) && d.inode.readonly) return -E.EROFS;
  const st = d.inode.stat();
  if (typeof st === 'number') return st;
  const c = t.creds;
  const useEffective = (flags & F.AT_EACCESS) !== 0;
  return permissionOf(st, useEffective ? c.fsuid : c.uid, useEffective ? c.fsgid : c.gid, c.groups, mode);
}

function getcwd(t: Task): number {
  const path = stringToBytes(t.fs.cwd.path(t.fs.root) + '\0');
  if (t.argU32(1) < path.length) return -E.ERANGE;
  return t.mm.copyOutFull(t.arg(0), path) < 0 ? -E.EFAULT : path.length;
}

function chdirTo(t: Task, d: Dentry): number {
  if (d.inode.type !== S_IFDIR) return -E.ENOTDIR;
  const r = checkPermission(t, d, F.X_OK);
  if (r < 0) return r;
  t.fs.cwd = d;
  return 0;
}

// ---- fd operations ----

function dup3(t: Task, oldfd: number, newfd: number, flags: number): number {
  if (flags & ~F.O_CLOEXEC) return -E.EINVAL;
  const file = fileOf(t, oldfd);
  if (typeof file === 'number') return file;
  if (oldfd === newfd) return -E.EINVAL;
  file.incRef();
  return t.fdTable.setAt(newfd, file, (flags & F.O_CLOEXEC) !== 0);
}

function fcntl(t: Task): number {
  const fd = t.argInt(0), cmd = t.argInt(1);
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  switch (cmd) {
    case F.F_DUPFD: case F.F_DUPFD_CLOEXEC: {
      const min = t.argInt(2);
      if (min < 0 || min >= t.fdTable.limit) return -E.EINVAL;
      file.incRef();
      return t.fdTable.add(file, cmd === F.F_DUPFD_CLOEXEC, min);
    }
    case F.F_GETFD: return t.fdTable.getCloexec(fd) ? F.FD_CLOEXEC : 0;
    case F.F_SETFD: t.fdTable.setCloexec(fd, (t.argInt(2) & F.FD_CLOEXEC) !== 0); return 0;
    case F.F_GETFL: return file.flags & ~F.O_CLOEXEC;
    case F.F_SETFL: {
      if (file instanceof PathFile) return -E.EBADF;
      file.flags = (file.flags & ~F.SETFL_MASK) | (t.argInt(2) & F.SETFL_MASK);
      return 0;
    }
    case F.F_GETLK: case F.F_SETLK: case F.F_SETLKW: case F.F_OFD_GETLK: case F.F_OFD_SETLK: case F.F_OFD_SETLKW:
      return -E.ENOLCK;
    default: return -E.EINVAL;
  }
}

function ioctl(t: Task): number {
  const fd = t.argInt(0), request = t.argU32(1), arg = t.arg(2);
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if (file instanceof PathFile) return -E.EBADF;
  switch (request) {
    case FIOCLEX: t.fdTable.setCloexec(fd, true); return 0;
    case FIONCLEX: t.fdTable.setCloexec(fd, false); return 0;
    case FIONBIO: {
      const v = t.mm.readU32(arg);
      if (v === null) return -E.EFAULT;
      file.flags = v ? file.flags | F.O_NONBLOCK : file.flags & ~F.O_NONBLOCK;
      return 0;
    }
  }
  return file.ioctl(request, arg, { copyOut: (a, b) => t.mm.copyOutFull(a, b), copyIn: (a, b) => t.mm.copyInFull(a, b) });
}

function utimensat(t: Task): number {
  const dirfd = t.argInt(0), pathAddr = t.arg(1), timesAddr = t.arg(2), flags = t.argInt(3);
  if (flags & ~(F.AT_SYMLINK_NOFOLLOW | F.AT_EMPTY_PATH)) return -E.EINVAL;
  let atime: Timespec | null = { sec: 0, nsec: UTIME_NOW }, mtime: Timespec | null = { sec: 0, nsec: UTIME_NOW };
  if (timesAddr !== 0) {
    const b = new Uint8Array(32);
    if (t.mm.copyInFull(timesAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    const ts = (o: number): Timespec | null | number => {
      const sec = Number(dv.getBigInt64(o, true)), nsec = Number(dv.getBigInt64(o + 8, true));
      if (nsec === UTIME_OMIT) return null;
      if (nsec !== UTIME_NOW && (nsec < 0 || nsec >= 1e9)) return -E.EINVAL;
      return { sec, nsec };
    };
    const a = ts(0), m = ts(16);
    if (typeof a === 'number') return a;
    if (typeof m === 'number') return m;
    atime = a; mtime = m;
  }
  let dentry: Dentry | number;
  if (pathAddr === 0) {
    // utimensat(fd, NULL, ...) is futimens(fd).
    const f = fileOf(t, dirfd);
    if (typeof f === 'number') return f;
    dentry = f.dentry ?? -E.EBADF;
  } else {
    const path = pathArg(t, 1);
    if (typeof path === 'number') return path;
    if (path === '' && (flags & F.AT_EMPTY_PATH)) {
      const f = fileOf(t, dirfd);
      if (typeof f === 'number') return f;
      dentry = f.dentry ?? -E.EBADF;
    } else {
      const start = dirfdStart(t, dirfd, path);
      if (typeof start === 'number') return start;
      dentry = resolvePath(t.fs, start, path, (flags & F.AT_SYMLINK_NOFOLLOW) === 0);
    }
  }
  if (typeof dentry === 'number') return dentry;
  if (atime === null && mtime === null) return 0;
  if (dentry.inode.readonly) return -E.EROFS;
  return dentry.inode.setTimes ? dentry.inode.setTimes(atime, mtime) : -E.EPERM;
}

export const fileSyscalls: SyscallGroup = {
  utimensat: sys(utimensat, 'fspx'),
  read: sys((t) => doRead(t, t.argInt(0), t.arg(1), t.arg(2), -1), 'fpu'),
  write: sys((t) => doWrite(t, t.argInt(0), t.arg(1), t.arg(2), -1), 'fpu'),
  pread64: sys((t) => { const c = checkOffset(t, t.argInt(0), t.arg(3)); return c < 0 ? c : doRead(t, t.argInt(0), t.arg(1), t.arg(2), t.arg(3)); }, 'fpui'),
  pwrite64: sys((t) => { const c = checkOffset(t, t.argInt(0), t.arg(3)); return c < 0 ? c : doWrite(t, t.argInt(0), t.arg(1), t.arg(2), t.arg(3)); }, 'fpui'),
  readv: sys((t) => doVector(t, t.argInt(0), t.arg(1), t.argInt(2), -1, false), 'fpi'),
  writev: sys((t) => doVector(t, t.argInt(0), t.arg(1), t.argInt(2), -1, true), 'fpi'),
  preadv: sys((t) => { const c = checkOffset(t, t.argInt(0), t.arg(3)); return c < 0 ? c : doVector(t, t.argInt(0), t.arg(1), t.argInt(2), t.arg(3), false); }, 'fpii'),
  pwritev: sys((t) => { const c = checkOffset(t, t.argInt(0), t.arg(3)); return c < 0 ? c : doVector(t, t.argInt(0), t.arg(1), t.argInt(2), t.arg(3), true); }, 'fpii'),
  open: sys((t) => openAt(t, F.AT_FDCWD, 0, t.argInt(1), t.argInt(2)), 'sxo'),
  openat: sys((t) => openAt(t, t.argInt(0), 1, t.argInt(2), t.argInt(3)), 'fsxo'),
  creat: sys((t) => openAt(t, F.AT_FDCWD, 0, F.O_CREAT | F.O_WRONLY | F.O_TRUNC, t.argInt(1)), 'so'),
  close: sys((t) => t.fdTable.close(t.argInt(0)), 'f'),
  lseek: sys((t) => { const f = fileOf(t, t.argInt(0)); return typeof f === 'number' ? f : f.lseek(t.arg(1), t.argInt(2)); }, 'fii'),
  stat: sys((t) => writeStat(t, t.arg(1), statDentryOrFd(t, F.AT_FDCWD, 0, 0)), 'sp'),
  lstat: sys((t) => writeStat(t, t.arg(1), statDentryOrFd(t, F.AT_FDCWD, 0, F.AT_SYMLINK_NOFOLLOW)), 'sp'),
  fstat: sys((t) => { const f = fileOf(t, t.argInt(0)); return writeStat(t, t.arg(1), typeof f === 'number' ? f : f.stat()); }, 'fp'),
  newfstatat: sys((t) => {
    const flags = t.argInt(3);
    if (flags & ~(F.AT_SYMLINK_NOFOLLOW | F.AT_NO_AUTOMOUNT | F.AT_EMPTY_PATH)) return -E.EINVAL;
    return writeStat(t, t.arg(2), statDentryOrFd(t, t.argInt(0), 1, flags));
  }, 'fspx'),
  statx: sys(statx, 'fsxxp'),
  getdents64: sys(getdents64, 'fpu'),
  readlink: sys((t) => readlinkAt(t, F.AT_FDCWD, 0, 1, 2), 'spu'),
  readlinkat: sys((t) => readlinkAt(t, t.argInt(0), 1, 2, 3), 'fspu'),
  access: sys((t) => accessAt(t, F.AT_FDCWD, 0, t.argInt(1), 0), 'si'),
  faccessat: sys((t) => accessAt(t, t.argInt(0), 1, t.argInt(2), 0), 'fsi'),
  faccessat2: sys((t) => accessAt(t, t.argInt(0), 1, t.argInt(2), t.argInt(3)), 'fsix'),
  getcwd: sys(getcwd, 'pu'),
  chdir: sys((t) => {
    const path = pathArg(t, 0);
    if (typeof path === 'number') return path;
    const d = resolvePath(t.fs, t.fs.cwd, path, true);
    return typeof d === 'number' ? d : chdirTo(t, d);
  }, 's'),
  fchdir: sys((t) => {
    const f = fileOf(t, t.argInt(0));
    if (typeof f === 'number') return f;
    return f.dentry ? chdirTo(t, f.dentry) : -E.ENOTDIR;
  }, 'f'),
  fcntl: sys(fcntl, 'fix', 'record locks answer ENOLCK'),
  dup: sys((t) => { const f = fileOf(t, t.argInt(0)); if (typeof f === 'number') return f; f.incRef(); return t.fdTable.add(f, false); }, 'f'),
  dup2: sys((t) => {
    const oldfd = t.argInt(0), newfd = t.argInt(1);
    if (oldfd === newfd) return t.fdTable.get(oldfd) ? newfd : -E.EBADF;
    return dup3(t, oldfd, newfd, 0);
  }, 'ff'),
  dup3: sys((t) => dup3(t, t.argInt(0), t.argInt(1), t.argInt(2)), 'ffx'),
  ioctl: sys(ioctl, 'fxx', 'terminal ioctls on the console; FIONBIO, FIOCLEX, FIONCLEX'),
  umask: sys((t) => { const old = t.umask; t.umask = t.argInt(0) & 0o777; return old; }, 'o'),
};
