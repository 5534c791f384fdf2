// Decoding syscall arguments that need the task: paths, dirfds, iovecs.
import { E } from '../abi/linux/errno.js';
import { AT_FDCWD } from '../abi/linux/fcntl.js';
import type { Task } from '../sentry/kernel/task.js';
import type { Dentry } from '../sentry/vfs/dentry.js';
import { PATH_MAX } from '../sentry/vfs/path-walk.js';

/** A path argument: the string, or -EFAULT / -ENAMETOOLONG. */
export function pathArg(t: Task, i: number): string | number {
  return t.mm.readCString(t.arg(i), PATH_MAX);
}

/** The directory a *at() call starts from: cwd for AT_FDCWD, else the fd's dentry. */
export function dirfdStart(t: Task, dirfd: number, path: string): Dentry | number {
  if (path.startsWith('/') || dirfd === AT_FDCWD) return t.fs.cwd;
  const file = t.fdTable.get(dirfd);
  if (file === null) return -E.EBADF;
  if (file.dentry === null) return -E.ENOTDIR;
  return file.dentry;
}

export interface Iovec { base: number; len: number }

export const IOV_MAX = 1024;

/** Reads an iovec array. -EINVAL for a bad count, -EFAULT for a bad pointer. */
export function readIovecs(t: Task, addr: number, count: number): Iovec[] | number {
  if (count < 0 || count > IOV_MAX) return -E.EINVAL;
  if (count === 0) return [];
  const raw = new Uint8Array(count * 16);
  if (t.mm.copyInFull(addr, raw) < 0) return -E.EFAULT;
  const dv = new DataView(raw.buffer);
  const out: Iovec[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const base = Number(dv.getBigUint64(i * 16, true));
    const len = Number(dv.getBigInt64(i * 16 + 8, true));
    if (len < 0) return -E.EINVAL;
    total += len;
    if (total > 0x7ffff000) return -E.EINVAL;
    out.push({ base, len });
  }
  return out;
}
