// <sys/stat.h>: file modes, x86-64 struct stat and struct statx, with encoders.
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;

export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

export function dtypeOfMode(mode: number): number { return (mode & S_IFMT) >>> 12; }
export function isDir(mode: number): boolean { return (mode & S_IFMT) === S_IFDIR; }
export function isLink(mode: number): boolean { return (mode & S_IFMT) === S_IFLNK; }
export function isReg(mode: number): boolean { return (mode & S_IFMT) === S_IFREG; }

export interface Timespec { sec: number; nsec: number }

/** utimensat(2) tv_nsec values. */
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

/** A file's attributes as the Sentry keeps them. */
export interface Stat {
  dev: number;
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  btime?: Timespec;
}

export const STAT_SIZE = 144;
export const STATX_SIZE = 256;

export const STATX_TYPE = 0x1;
export const STATX_MODE = 0x2;
export const STATX_NLINK = 0x4;
export const STATX_UID = 0x8;
export const STATX_GID = 0x10;
export const STATX_ATIME = 0x20;
export const STATX_MTIME = 0x40;
export const STATX_CTIME = 0x80;
export const STATX_INO = 0x100;
export const STATX_SIZE_ = 0x200;
export const STATX_BLOCKS = 0x400;
export const STATX_BASIC_STATS = 0x7ff;
export const STATX_BTIME = 0x800;

export function major(dev: number): number { return ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff); }
export function minor(dev: number): number { return (dev & 0xff) | ((dev >>> 12) & 0xfff00); }
export function makedev(maj: number, min: number): number { return ((maj & 0xfff) << 8) | (min & 0xff) | ((min & ~0xff) << 12); }

/** Encodes x86-64 struct stat into out (144 bytes). */
export function encodeStat(s: Stat, out: Uint8Array): void {
  const dv = new DataView(out.buffer, out.byteOffset, STAT_SIZE);
  out.fill(0, 0, STAT_SIZE);
  dv.setBigUint64(0, BigInt(s.dev), true);
  dv.setBigUint64(8, s.ino, true);
  dv.setBigUint64(16, BigInt(s.nlink), true);
  dv.setUint32(24, s.mode, true);
  dv.setUint32(28, s.uid, true);
  dv.setUint32(32, s.gid, true);
  dv.setBigUint64(40, BigInt(s.rdev), true);
  dv.setBigInt64(48, BigInt(s.size), true);
  dv.setBigInt64(56, BigInt(s.blksize), true);
  dv.setBigInt64(64, BigInt(s.blocks), true);
  dv.setBigInt64(72, BigInt(s.atime.sec), true); dv.setBigInt64(80, BigInt(s.atime.nsec), true);
  dv.setBigInt64(88, BigInt(s.mtime.sec), true); dv.setBigInt64(96, BigInt(s.mtime.nsec), true);
  dv.setBigInt64(104, BigInt(s.ctime.sec), true); dv.setBigInt64(112, BigInt(s.ctime.nsec), true);
}

/** Encodes struct statx into out (256 bytes). */
export function encodeStatx(s: Stat, out: Uint8Array): void {
  const dv = new DataView(out.buffer, out.byteOffset, STATX_SIZE);
  out.fill(0, 0, STATX_SIZE);
  dv.setUint32(0, STATX_BASIC_STATS | (s.btime ? STATX_BTIME : 0), true);
  dv.setUint32(4, s.blksize, true);
  dv.setUint32(16, s.nlink, true);
  dv.setUint32(20, s.uid, true);
  dv.setUint32(24, s.gid, true);
  dv.setUint16(28, s.mode, true);
  dv.setBigUint64(32, s.ino, true);
  dv.setBigUint64(40, BigInt(s.size), true);
  dv.setBigUint64(48, BigInt(s.blocks), true);
  const ts = (o: number, t: Timespec): void => { dv.setBigInt64(o, BigInt(t.sec), true); dv.setUint32(o + 8, t.nsec, true); };
  ts(64, s.atime); ts(80, s.btime ?? { sec: 0, nsec: 0 }); ts(96, s.ctime); ts(112, s.mtime);
  dv.setUint32(128, major(s.rdev), true);
  dv.setUint32(132, minor(s.rdev), true);
  dv.setUint32(136, major(s.dev), true);
  dv.setUint32(140, minor(s.dev), true);
}
