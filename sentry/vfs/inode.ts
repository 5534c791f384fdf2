// What a file system gives the VFS: inodes that look up names, report
// attributes, open into file descriptions and change. Errors are negative
// errno.
//
// The VFS (ops.ts) does what Linux's namei.c does before it calls a file
// system: it checks permissions (mode bits, sticky directories, ownership
// for chmod/chown/utimes), the mount's read-only flag, "." and "..", that a
// name is free before creating it, the kinds of the files a rename or an
// unlink names (EISDIR, ENOTDIR), mount points (EBUSY) and mounts (EXDEV).
// A file system then does the change and answers what only it knows:
// ENOTEMPTY, ENOSPC, EMLINK, EPERM for what it cannot hold.
import type { Stat, Timespec } from '../../abi/linux/stat.js';
import type { FileDescription } from './file-description.js';
import type { Dentry } from './dentry.js';

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

/**
 * Attribute changes, Linux's struct iattr: a field left out is left alone.
 * The VFS has checked that the caller may make them.
 */
export interface SetAttr {
  /** Permission bits with S_ISUID, S_ISGID and S_ISVTX (0o7777); never the type. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Regular files only. */
  size?: number;
  /** A time whose nsec is UTIME_NOW is the current time. */
  atime?: Timespec;
  mtime?: Timespec;
}

export interface Inode {
  /** S_IFMT bits of the mode, fixed for the inode's life. */
  readonly type: number;
  /** The inode's mount is read-only: the VFS answers EROFS before asking for any change. */
  readonly readonly: boolean;
  stat(): Stat | number;
  /** One path component, never "." or "..". */
  lookup(name: string): Inode | number;
  readlink(): string | number;
  /**
   * A /proc "magic link" (fd/N, cwd, root): the dentry it stands for, which
   * a walk jumps to instead of reading the link's text, so that a deleted
   * file or one outside the walker's view is still reached. null: nothing
   * to jump to (a pipe's fd); the walk fails with ENOENT.
   */
  magicLink?(): Dentry | null;
  /**
   * flags are the open(2) flags after the VFS handled O_CREAT/O_PATH/O_DIRECTORY.
   * A FIFO answers a FifoEnd (sentry/fsimpl/pipe/fifo.ts) that may still
   * have to wait for its partner: the open syscall does that waiting.
   */
  open(flags: number): FileDescription | number;
  statfs(): FsStat | number;
  /** The value of an extended attribute, or -ENODATA. */
  getxattr(name: string): Uint8Array | number;
  /** Names of the extended attributes. */
  listxattr(): string[] | number;

  // Changes to a directory: `name` is one component, never "." or "..",
  // and (for the creating calls) not there yet. The new file belongs to
  // uid and gid; mode is already masked by the umask.

  /** Creates a regular file and opens it with flags: the new inode (for the dentry) and the open file. */
  create(name: string, flags: number, mode: number, uid: number, gid: number): Created | number;
  mkdir(name: string, mode: number, uid: number, gid: number): number;
  /** mode carries the file type (S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK); rdev is for devices. */
  mknod(name: string, mode: number, rdev: number, uid: number, gid: number): number;
  symlink(name: string, target: string, uid: number, gid: number): number;
  /** Makes `name` another link to target, an inode of the same mount that is not a directory. */
  link(name: string, target: Inode): number;
  /** Removes a name that is not a directory. */
  unlink(name: string): number;
  /** Removes an empty directory (ENOTEMPTY otherwise). */
  rmdir(name: string): number;
  /**
   * Moves oldName to newName in newParent, a directory of the same mount,
   * replacing what is there (the VFS checked that the kinds agree); with
   * RENAME_EXCHANGE the two swap. RENAME_NOREPLACE was checked by the VFS.
   */
  rename(oldName: string, newParent: Inode, newName: string, flags: number): number;

  // Changes to the file itself.

  setattr(attr: SetAttr): number;
  /** flags: XATTR_CREATE (EEXIST if present), XATTR_REPLACE (ENODATA if absent). */
  setxattr(name: string, value: Uint8Array, flags: number): number;
  removexattr(name: string): number;

  /**
   * open(O_TMPFILE) in this directory: a regular file with no name (nlink
   * 0), opened with flags. Absent where the file system cannot make one
   * (the VFS answers EOPNOTSUPP, as Linux on 9p).
   */
  tmpfile?(flags: number, mode: number, uid: number, gid: number): Created | number;

  /**
   * The VFS dropped the dentry that held this inode (its name was removed
   * or replaced). A file system that holds a resource per inode (the
   * Gofer's fids) lets it go once no open file uses the inode either.
   */
  evict?(): void;
}

/** What Inode.create makes: the new file's inode and the file opened on it. */
export interface Created {
  inode: Inode;
  file: FileDescription;
}
