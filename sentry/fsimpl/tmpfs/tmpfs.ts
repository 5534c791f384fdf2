// tmpfs: an in-memory file system (Linux's shmem) for mounts of type
// tmpfs, /dev/shm and the overlay's upper layer. See README.md.
import { Tmpfs, type TmpfsOptions } from './fs.js';
import { TmpfsDir } from './dir.js';

export { Tmpfs, TmpfsInode, TMPFS_MAGIC, type TmpfsOptions } from './fs.js';
export { TmpfsDir, TmpfsNode, TmpfsSymlink } from './dir.js';
export { TmpfsFile, TmpfsRegular } from './regular-file.js';

/**
 * A new, empty tmpfs; returns its root directory, the Inode to mount.
 * sizeLimit is in bytes (0 or absent: no limit); mode, uid and gid are the
 * root directory's (0o1777, 0, 0 by default, as Linux's).
 */
export function newTmpfs(opts: TmpfsOptions = {}): TmpfsDir {
  const fs = new Tmpfs(opts);
  const ino = fs.takeInode();
  if (typeof ino === 'number') throw new RangeError(`tmpfs: no inode for the root (errno ${-ino}, inodeLimit ${opts.inodeLimit})`);
  return new TmpfsDir(fs, ino, opts.mode ?? 0o1777, opts.uid ?? 0, opts.gid ?? 0, null);
}
