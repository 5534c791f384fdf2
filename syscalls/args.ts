// Decoding syscall arguments that need the task: paths, dirfds, iovecs.
import { E } from '../abi/linux/errno.js';
import { AT_FDCWD } from '../abi/linux/fcntl.js';
import type { Task } from '../sentry/kernel/task.js';
import type { Dentry } from '../sentry/vfs/dentry.js';
import { PATH_MAX } from '../sentry/vfs/path-walk.js';
import { TASK_SIZE } from '../platform/ptrace/stub-elf.js';

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

/** Largest single transfer: Linux's MAX_RW_COUNT. */
export const MAX_RW_COUNT = 0x7ffff000;

/**
 * Reads an iovec array as Linux's import_iovec does: -EINVAL for a bad
 * count or a length above 2^63, -EFAULT for an unreadable array or an
 * iovec outside user space, and a total above MAX_RW_COUNT cut down to it
 * (not an error).
 */
export function readIovecs(t: Task, addr: number, count: number): Iovec[] | number {
  if (count < 0 || count > IOV_MAX) return -E.EINVAL;
  if (count === 0) return [];
  const raw = new Uint8Array(count * 16);
  if (t.mm.copyInFull(addr, raw) < 0) return -E.EFAULT;
  const dv = new DataView(raw.buffer);
  const out: Iovec[] = [];
  for (let i = 0; i < count; i++) {
    if (dv.getBigInt64(i * 16 + 8, true) < 0n) return -E.EINVAL;
  }
  let total = 0;
  for (let i = 0; i < count; i++) {
    const base = Number(dv.getBigUint64(i * 16, true));
    let len = Number(dv.getBigUint64(i * 16 + 8, true));
    if (base + len > TASK_SIZE) return -E.EFAULT;
    len = Math.min(len, MAX_RW_COUNT - total);
    total += len;
    out.push({ base, len });
  }
  return out;
}

/**
 * How many bytes from addr (at most count) the application can access with
 * prot before the first page it cannot. A copy that faults stops there, as
 * Linux's copy_to_user/copy_from_user do; the test is AddressSpace.copy's.
 */
export function accessibleLength(t: Task, addr: number, count: number, prot: number): number {
  const end = addr + count;
  let a = addr;
  while (a < end) {
    const v = t.mm.find(a);
    if (v === null || v.backing < 0 || (v.prot & prot) === 0) break;
    // Pages past the end of a mapped file are not accessible (SIGBUS for the application).
    const reach = v.reachableEnd;
    if (reach <= a) break;
    a = reach;
    if (reach < v.end) break;
  }
  return Math.min(a, end) - addr;
}
