// Typed bindings for the file-system calls the Gofer makes on the host.
// Every function returns its value, or a negative errno on failure; nothing
// here throws for an ordinary syscall error.
//
// Reopening an O_PATH fd: Linux has no openat(fd, "", flags|AT_EMPTY_PATH),
// so a fid's O_PATH fd is reopened through its procfs magic link:
// openat(fdDir, "N", flags), fdDir being a directory fd on /proc/<pid>/fd
// (the confined Gofer has only that part of procfs). The link resolves to the
// very inode the fd refers to, not to a path that could have been swapped, so
// it is as safe as the fd itself. Opening a magic link that refers to a
// symlink fails with ELOOP, which is what we want.
//
// Paths are passed as JS strings (koffi encodes them as UTF-8). Host names
// that are not valid UTF-8 come back from getdents64 lossily decoded.
//
// The constants below are Linux x86-64's; they will move to abi/linux/ when
// that folder grows fcntl.ts and stat.ts.

import { libc, koffi, check } from './libc.js';

// fcntl.h
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_ACCMODE = 0o3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const O_SYNC = 0o4010000;
export const O_PATH = 0o10000000;
export const O_TMPFILE = 0o20200000;

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EMPTY_PATH = 0x1000;

export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

// stat.h
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

// dirent.h d_type
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

export const PATH_MAX = 4096;

// Local to this file until abi/linux/errno.ts is the single home.
const EINVAL = 22;
const ENAMETOOLONG = 36;

/** struct stat as the x86-64 kernel lays it out (144 bytes). */
export interface HostStat {
  dev: bigint;
  ino: bigint;
  nlink: number;
  mode: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: number;
  blksize: number;
  blocks: number;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  ctimeSec: number;
  ctimeNsec: number;
}

export const STAT_SIZE = 144;

/** struct statfs on x86-64 (120 bytes). */
export interface HostStatfs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  fsid: bigint;
  namelen: number;
  frsize: number;
  flags: number;
}

export const STATFS_SIZE = 120;

/** One linux_dirent64 record. `off` is the cookie that resumes after it. */
export interface HostDirent {
  ino: bigint;
  off: bigint;
  type: number;
  name: string;
}

/**
 * Paths and names are byte strings (one char per byte, latin1): koffi would
 * re-encode a JS string as UTF-8, so every string argument goes over as the
 * NUL-terminated bytes it stands for.
 */
export function cstr(s: string): Buffer {
  return Buffer.from(s + '\0', 'latin1');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;
function withBytePaths<T extends Record<string, AnyFn>>(fns: T): T {
  const out: Record<string, AnyFn> = {};
  for (const [name, f] of Object.entries(fns)) out[name] = (...args: unknown[]) => f(...args.map((a) => (typeof a === 'string' ? cstr(a) : a)));
  return out as T;
}

// ssize_t is spelled `long` (LP64): koffi has no ssize_t type name.
const c = withBytePaths({
  openat: libc.func('int openat(int dirfd, const uint8_t *path, int flags, uint32_t mode)'),
  close: libc.func('int close(int fd)'),
  fstatat: libc.func('int fstatat(int dirfd, const uint8_t *path, void *st, int flags)'),
  fstat: libc.func('int fstat(int fd, void *st)'),
  pread: libc.func('long pread(int fd, void *buf, size_t count, int64_t offset)'),
  pwrite: libc.func('long pwrite(int fd, const void *buf, size_t count, int64_t offset)'),
  lseek: libc.func('int64_t lseek(int fd, int64_t offset, int whence)'),
  getdents64: libc.func('long getdents64(int fd, void *buf, size_t count)'),
  readlinkat: libc.func('long readlinkat(int dirfd, const uint8_t *path, void *buf, size_t size)'),
  mkdirat: libc.func('int mkdirat(int dirfd, const uint8_t *path, uint32_t mode)'),
  unlinkat: libc.func('int unlinkat(int dirfd, const uint8_t *path, int flags)'),
  renameat2: libc.func('int renameat2(int olddirfd, const uint8_t *oldpath, int newdirfd, const uint8_t *newpath, uint32_t flags)'),
  symlinkat: libc.func('int symlinkat(const uint8_t *target, int newdirfd, const uint8_t *linkpath)'),
  linkat: libc.func('int linkat(int olddirfd, const uint8_t *oldpath, int newdirfd, const uint8_t *newpath, int flags)'),
  mknodat: libc.func('int mknodat(int dirfd, const uint8_t *path, uint32_t mode, uint64_t dev)'),
  fchmodat: libc.func('int fchmodat(int dirfd, const uint8_t *path, uint32_t mode, int flags)'),
  fchmod: libc.func('int fchmod(int fd, uint32_t mode)'),
  fchownat: libc.func('int fchownat(int dirfd, const uint8_t *path, uint32_t owner, uint32_t group, int flags)'),
  utimensat: libc.func('int utimensat(int dirfd, const uint8_t *path, const void *times, int flags)'),
  truncate: libc.func('int truncate(const uint8_t *path, int64_t length)'),
  ftruncate: libc.func('int ftruncate(int fd, int64_t length)'),
  fsync: libc.func('int fsync(int fd)'),
  fdatasync: libc.func('int fdatasync(int fd)'),
  fstatfs: libc.func('int fstatfs(int fd, void *buf)'),
  getxattr: libc.func('long getxattr(const uint8_t *path, const uint8_t *name, void *value, size_t size)'),
  listxattr: libc.func('long listxattr(const uint8_t *path, void *list, size_t size)'),
  setxattr: libc.func('int setxattr(const uint8_t *path, const uint8_t *name, const void *value, size_t size, int flags)'),
  fgetxattr: libc.func('long fgetxattr(int fd, const uint8_t *name, void *value, size_t size)'),
  flistxattr: libc.func('long flistxattr(int fd, void *list, size_t size)'),
  fsetxattr: libc.func('int fsetxattr(int fd, const uint8_t *name, const void *value, size_t size, int flags)'),
  fremovexattr: libc.func('int fremovexattr(int fd, const uint8_t *name)'),
  umask: libc.func('uint32_t umask(uint32_t mask)'),
  geteuid: libc.func('uint32_t geteuid()'),
  getegid: libc.func('uint32_t getegid()'),
});

/** Like check(), for calls whose result may come back from koffi as a bigint. */
function checkLong(ret: number | bigint): number {
  if (typeof ret === 'bigint') return Number(ret);
  return ret === -1 ? -koffi.errno() : ret;
}

export function openat(dirfd: number, path: string, flags: number, mode = 0): number {
  return check(c.openat(dirfd, path, flags, mode));
}

export function close(fd: number): number {
  return check(c.close(fd));
}

// One buffer for every stat call: decoded before the next call can reuse it.
const statBuf = Buffer.alloc(STAT_SIZE);

function decodeStat(b: Buffer): HostStat {
  return {
    dev: b.readBigUInt64LE(0),
    ino: b.readBigUInt64LE(8),
    nlink: Number(b.readBigUInt64LE(16)),
    mode: b.readUInt32LE(24),
    uid: b.readUInt32LE(28),
    gid: b.readUInt32LE(32),
    rdev: b.readBigUInt64LE(40),
    size: Number(b.readBigInt64LE(48)),
    blksize: Number(b.readBigInt64LE(56)),
    blocks: Number(b.readBigInt64LE(64)),
    atimeSec: Number(b.readBigInt64LE(72)),
    atimeNsec: Number(b.readBigInt64LE(80)),
    mtimeSec: Number(b.readBigInt64LE(88)),
    mtimeNsec: Number(b.readBigInt64LE(96)),
    ctimeSec: Number(b.readBigInt64LE(104)),
    ctimeNsec: Number(b.readBigInt64LE(112)),
  };
}

export function fstatat(dirfd: number, path: string, flags: number): HostStat | number {
  const r = check(c.fstatat(dirfd, path, statBuf, flags));
  return r < 0 ? r : decodeStat(statBuf);
}

/** Works on O_PATH fds too. */
export function fstat(fd: number): HostStat | number {
  const r = check(c.fstat(fd, statBuf));
  return r < 0 ? r : decodeStat(statBuf);
}

/** Reads up to `count` bytes at `offset` straight into `buf` (a view is fine). */
export function pread(fd: number, buf: Uint8Array, count: number, offset: number): number {
  if (count > buf.byteLength) return -EINVAL; // would overrun buf
  return checkLong(c.pread(fd, buf, count, offset));
}

export function pwrite(fd: number, buf: Uint8Array, count: number, offset: number): number {
  if (count > buf.byteLength) return -EINVAL; // would overrun buf
  return checkLong(c.pwrite(fd, buf, count, offset));
}

/** Directory cookies are full 64-bit values, hence bigint in and out. */
export function lseek(fd: number, offset: bigint, whence: number): bigint | number {
  const r: number | bigint = c.lseek(fd, offset, whence);
  if (r === -1) return -koffi.errno();
  return BigInt(r);
}

/** Fills `buf` with linux_dirent64 records; returns bytes used, 0 at end. */
export function getdents64(fd: number, buf: Uint8Array): number {
  return checkLong(c.getdents64(fd, buf, buf.byteLength));
}



/** Decodes the records getdents64 put in buf[0, len). */
export function decodeDirents(buf: Uint8Array, len: number): HostDirent[] {
  const view = new DataView(buf.buffer, buf.byteOffset, len);
  const out: HostDirent[] = [];
  let pos = 0;
  // Header: d_ino u64, d_off s64, d_reclen u16, d_type u8, then the name.
  while (pos + 19 <= len) {
    const reclen = view.getUint16(pos + 16, true);
    if (reclen < 19 || pos + reclen > len) break;
    let end = pos + 19;
    while (end < pos + reclen && buf[end] !== 0) end++;
    out.push({
      ino: view.getBigUint64(pos, true),
      off: view.getBigInt64(pos + 8, true),
      type: buf[pos + 18],
      name: Buffer.from(buf.buffer, buf.byteOffset + pos + 19, end - pos - 19).toString('latin1'),
    });
    pos += reclen;
  }
  return out;
}

const linkBuf = Buffer.alloc(PATH_MAX);

/** With path "" and an O_PATH|O_NOFOLLOW fd, reads the link the fd refers to. */
export function readlinkat(dirfd: number, path: string): string | number {
  const r = checkLong(c.readlinkat(dirfd, path, linkBuf, linkBuf.byteLength));
  if (r < 0) return r;
  // A full buffer may mean truncation; PATH_MAX bounds real link targets.
  if (r >= linkBuf.byteLength) return -ENAMETOOLONG;
  return linkBuf.toString('latin1', 0, r);
}

export function mkdirat(dirfd: number, path: string, mode: number): number {
  return check(c.mkdirat(dirfd, path, mode));
}

export function unlinkat(dirfd: number, path: string, flags: number): number {
  return check(c.unlinkat(dirfd, path, flags));
}

export function renameat2(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): number {
  return check(c.renameat2(olddirfd, oldpath, newdirfd, newpath, flags));
}

export function renameat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string): number {
  return renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

export function symlinkat(target: string, newdirfd: number, linkpath: string): number {
  return check(c.symlinkat(target, newdirfd, linkpath));
}

export function linkat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): number {
  return check(c.linkat(olddirfd, oldpath, newdirfd, newpath, flags));
}

/** glibc's makedev(): the 64-bit dev_t encoding of (major, minor). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

export function mknodat(dirfd: number, path: string, mode: number, dev: bigint): number {
  return check(c.mknodat(dirfd, path, mode, dev));
}

export function fchmodat(dirfd: number, path: string, mode: number, flags: number): number {
  return check(c.fchmodat(dirfd, path, mode, flags));
}

export function fchmod(fd: number, mode: number): number {
  return check(c.fchmod(fd, mode));
}

/** uid/gid of -1 (0xFFFFFFFF) leave that id unchanged. */
export function fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): number {
  return check(c.fchownat(dirfd, path, uid >>> 0, gid >>> 0, flags));
}

const timesBuf = new BigInt64Array(4);

/** Each nsec may be UTIME_NOW or UTIME_OMIT. */
export function utimensat(
  dirfd: number, path: string,
  atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number,
  flags: number,
): number {
  timesBuf[0] = BigInt(Math.trunc(atimeSec));
  timesBuf[1] = BigInt(atimeNsec);
  timesBuf[2] = BigInt(Math.trunc(mtimeSec));
  timesBuf[3] = BigInt(mtimeNsec);
  return check(c.utimensat(dirfd, path, timesBuf, flags));
}

export function truncate(path: string, length: number): number {
  return check(c.truncate(path, length));
}

export function ftruncate(fd: number, length: number): number {
  return check(c.ftruncate(fd, length));
}

export function fsync(fd: number): number {
  return check(c.fsync(fd));
}

export function fdatasync(fd: number): number {
  return check(c.fdatasync(fd));
}

const statfsBuf = Buffer.alloc(STATFS_SIZE);

/** Works on O_PATH fds. */
export function fstatfs(fd: number): HostStatfs | number {
  const r = check(c.fstatfs(fd, statfsBuf));
  if (r < 0) return r;
  const b = statfsBuf;
  return {
    type: Number(b.readBigInt64LE(0)),
    bsize: Number(b.readBigInt64LE(8)),
    blocks: Number(b.readBigUInt64LE(16)),
    bfree: Number(b.readBigUInt64LE(24)),
    bavail: Number(b.readBigUInt64LE(32)),
    files: Number(b.readBigUInt64LE(40)),
    ffree: Number(b.readBigUInt64LE(48)),
    fsid: b.readBigUInt64LE(56),
    namelen: Number(b.readBigInt64LE(64)),
    frsize: Number(b.readBigInt64LE(72)),
    flags: Number(b.readBigInt64LE(80)),
  };
}

/** With value null, returns the attribute's size. */
export function getxattr(path: string, name: string, value: Uint8Array | null): number {
  return checkLong(c.getxattr(path, name, value, value === null ? 0 : value.byteLength));
}

/** NUL-separated names; with list null, returns the size needed. */
export function listxattr(path: string, list: Uint8Array | null): number {
  return checkLong(c.listxattr(path, list, list === null ? 0 : list.byteLength));
}

/** flags: 0, XATTR_CREATE (1) or XATTR_REPLACE (2). */
export function setxattr(path: string, name: string, value: Uint8Array, flags = 0): number {
  return check(c.setxattr(path, name, value, value.byteLength, flags));
}

/** Not for O_PATH fds (EBADF): reopen those first (see the note at the top). */
export function fgetxattr(fd: number, name: string, value: Uint8Array | null): number {
  return checkLong(c.fgetxattr(fd, name, value, value === null ? 0 : value.byteLength));
}

export function flistxattr(fd: number, list: Uint8Array | null): number {
  return checkLong(c.flistxattr(fd, list, list === null ? 0 : list.byteLength));
}

/** flags: 0, XATTR_CREATE (1) or XATTR_REPLACE (2). Not for O_PATH fds (EBADF). */
export function fsetxattr(fd: number, name: string, value: Uint8Array, flags = 0): number {
  return check(c.fsetxattr(fd, name, value, value.byteLength, flags));
}

/** Not for O_PATH fds (EBADF). */
export function fremovexattr(fd: number, name: string): number {
  return check(c.fremovexattr(fd, name));
}

/** Returns the previous mask; cannot fail. */
export function umask(mask: number): number {
  return c.umask(mask) as number;
}

export function geteuid(): number {
  return c.geteuid() as number;
}

export function getegid(): number {
  return c.getegid() as number;
}
