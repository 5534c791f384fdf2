// What a file system gives the VFS: inodes that look up names, report
// attributes and open into file descriptions. Errors are negative errno.
import type { Stat, Timespec } from '../../abi/linux/stat.js';
import type { FileDescription } from './file-description.js';

export interface DirEntry {
  ino: bigint;
  type: number; // DT_*
  name: string;
}

/** struct statfs fields the VFS reports. */
export interface FsStat {
  type: number; bsize: number; blocks: number; bfree: number; bavail: number;
  files: number; ffree: number; namelen: number; frsize: number; flags: number;
}

export interface Inode {
  /** S_IFMT bits of the mode, fixed for the inode's life. */
  readonly type: number;
  stat(): Stat | number;
  /** One path component, never "." or "..". */
  lookup(name: string): Inode | number;
  readlink(): string | number;
  /** flags are the open(2) flags after the VFS handled O_CREAT/O_PATH/O_DIRECTORY. */
  open(flags: number): FileDescription | number;
  /** Creates a regular file and opens it. */
  create?(name: string, flags: number, mode: number, uid: number, gid: number): FileDescription | number;
  mkdir?(name: string, mode: number, uid: number, gid: number): number;
  unlink?(name: string, isDir: boolean): number;
  symlink?(name: string, target: string, uid: number, gid: number): number;
  rename?(oldName: string, newParent: Inode, newName: string): number;
  truncate?(size: number): number;
  chmod?(mode: number): number;
  /** Sets times; a null time is left alone, a time with nsec UTIME_NOW is now. */
  setTimes?(atime: Timespec | null, mtime: Timespec | null): number;
  statfs(): FsStat | number;
  /** The value of an extended attribute, or -ENODATA. */
  getxattr(name: string): Uint8Array | number;
  /** Names of the extended attributes. */
  listxattr(): string[] | number;
  /** Read-only file systems answer EROFS for every change. */
  readonly readonly: boolean;
}
