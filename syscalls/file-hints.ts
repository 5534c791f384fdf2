// Hints about how a file will be used, and partial syncs: readahead(2),
// fadvise64(2), sync_file_range(2). The Sentry keeps no page cache to
// prefetch into or drop, so each checks its arguments as Linux does and
// then has nothing more to do, except that a range sync writes back
// through the file's fsync.
import { E } from '../abi/linux/errno.js';
import * as FS from '../abi/linux/fs.js';
import { S_IFBLK, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from '../abi/linux/stat.js';
import type { Task } from '../sentry/kernel/task.js';
import type { FileDescription } from '../sentry/vfs/file-description.js';
import { PathFile } from '../sentry/vfs/path-file.js';
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

function typeOf(f: FileDescription): number {
  if (f.dentry !== null) return f.dentry.inode.type;
  const st = f.stat();
  return typeof st === 'number' ? 0 : st.mode & S_IFMT;
}

const ADVICE = new Set([FS.POSIX_FADV_NORMAL, FS.POSIX_FADV_RANDOM, FS.POSIX_FADV_SEQUENTIAL, FS.POSIX_FADV_WILLNEED,
  FS.POSIX_FADV_DONTNEED, FS.POSIX_FADV_NOREUSE]);

/** generic_fadvise's checks: a FIFO is ESPIPE, a negative length or unknown advice EINVAL. */
function fadvise(f: FileDescription, len: number, advice: number): number {
  if (typeOf(f) === S_IFIFO) return -E.ESPIPE;
  if (len < 0) return -E.EINVAL;
  return ADVICE.has(advice) ? 0 : -E.EINVAL;
}

/** ksys_readahead: a readable regular file (or block device); anything else is EINVAL. */
function readahead(t: Task): number {
  const f = fdFile(t, t.argInt(0));
  if (typeof f === 'number') return f;
  if (!f.readable) return -E.EBADF;
  const type = typeOf(f);
  if (type !== S_IFREG && type !== S_IFBLK) return -E.EINVAL;
  return fadvise(f, argOff(t, 2), FS.POSIX_FADV_WILLNEED);
}

const SYNC_FILE_RANGE_VALID = FS.SYNC_FILE_RANGE_WAIT_BEFORE | FS.SYNC_FILE_RANGE_WRITE | FS.SYNC_FILE_RANGE_WAIT_AFTER;

function syncFileRange(t: Task): number {
  const f = fdFile(t, t.argInt(0));
  if (typeof f === 'number') return f;
  const offset = BigInt.asIntN(64, t.argBig(1)), nbytes = BigInt.asIntN(64, t.argBig(2)), flags = t.argU32(3);
  if (flags & ~SYNC_FILE_RANGE_VALID) return -E.EINVAL;
  // The end is computed in 64 bits, as Linux does: a sum that wraps is as bad as a negative one.
  const end = BigInt.asIntN(64, offset + nbytes);
  if (offset < 0n || end < 0n || end < offset) return -E.EINVAL;
  const type = typeOf(f);
  if (type !== S_IFREG && type !== S_IFBLK && type !== S_IFDIR && type !== S_IFLNK) return -E.ESPIPE;
  if (!(flags & FS.SYNC_FILE_RANGE_WRITE)) return 0;
  // Writing back a range is writing back the file: the Gofer's fsync is the one way to the host.
  const r = f.fsync(true);
  return r === -E.EINVAL ? 0 : r;
}

export const fileHintSyscalls: SyscallGroup = {
  readahead: sys(readahead, 'fiu'),
  fadvise64: sys((t) => {
    const f = fdFile(t, t.argInt(0));
    return typeof f === 'number' ? f : fadvise(f, argOff(t, 2), t.argInt(3));
  }, 'fiii'),
  sync_file_range: sys(syncFileRange, 'fiix'),
};
