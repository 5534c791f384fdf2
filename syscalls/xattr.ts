// Extended attributes (read side) and statfs.
import { E } from '../abi/linux/errno.js';
import { AT_FDCWD } from '../abi/linux/fcntl.js';
import { encodeStatfs, STATFS_SIZE } from '../abi/linux/statfs.js';
import type { Task } from '../sentry/kernel/task.js';
import type { Inode } from '../sentry/vfs/inode.js';
import { PathFile } from '../sentry/vfs/path-file.js';
import { resolvePath } from '../sentry/vfs/path-walk.js';
import { stringToBytes } from '../sentry/mm/address-space.js';
import { dirfdStart, pathArg } from './args.js';
import { sys, type SyscallGroup } from './types.js';

const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;

function inodeAtPath(t: Task, idx: number, follow: boolean): Inode | number {
  const path = pathArg(t, idx);
  if (typeof path === 'number') return path;
  const start = dirfdStart(t, AT_FDCWD, path);
  if (typeof start === 'number') return start;
  const d = resolvePath(t.fs, start, path, follow);
  return typeof d === 'number' ? d : d.inode;
}

/**
 * The inode behind an fd for f*xattr: EBADF for O_PATH fds (Linux's fdget
 * skips them), null for files with no inode of ours (the console), which
 * have no attributes.
 */
function inodeOfFd(t: Task, fd: number): Inode | null | number {
  const f = t.fdTable.get(fd);
  if (f === null || f instanceof PathFile) return -E.EBADF;
  return f.dentry?.inode ?? null;
}

/** The attribute namespaces Linux knows; a name outside them is EOPNOTSUPP, an empty name inside one EINVAL. */
const NAMESPACES = ['user.', 'trusted.', 'security.', 'system.'];
/** The system.* names with a handler (POSIX ACLs); other system.* names are EOPNOTSUPP. */
const SYSTEM_NAMES = new Set(['system.posix_acl_access', 'system.posix_acl_default']);

function checkName(name: string): number {
  const ns = NAMESPACES.find((p) => name.startsWith(p));
  if (ns === undefined) return -E.EOPNOTSUPP;
  if (name.length === ns.length) return -E.EINVAL;
  if (ns === 'system.' && !SYSTEM_NAMES.has(name)) return -E.EOPNOTSUPP;
  return 0;
}

function getxattr(t: Task, inode: Inode | null | number): number {
  if (typeof inode === 'number') return inode;
  const name = t.mm.readCString(t.arg(1), XATTR_NAME_MAX + 1);
  if (typeof name === 'number') return name === -E.ENAMETOOLONG ? -E.ERANGE : name;
  if (name === '') return -E.ERANGE;
  const bad = checkName(name);
  if (bad < 0) return bad;
  if (inode === null) return -E.ENODATA;
  const value = inode.getxattr(name);
  if (typeof value === 'number') return value;
  const size = t.arg(3);
  if (size === 0) return value.length;
  if (size < value.length) return -E.ERANGE;
  return t.mm.copyOutFull(t.arg(2), value) < 0 ? -E.EFAULT : value.length;
}

function listxattr(t: Task, inode: Inode | null | number): number {
  if (typeof inode === 'number') return inode;
  const names = inode === null ? [] : inode.listxattr();
  if (typeof names === 'number') return names;
  const bytes = stringToBytes(names.map((n) => n + '\0').join(''));
  const size = t.arg(2);
  if (size === 0) return bytes.length;
  if (size < bytes.length) return -E.ERANGE;
  if (bytes.length > XATTR_SIZE_MAX) return -E.E2BIG;
  return t.mm.copyOutFull(t.arg(1), bytes) < 0 ? -E.EFAULT : bytes.length;
}

/** fstatfs's inode: any fd, O_PATH ones included (Linux's fdget_raw). */
function statfsInodeOfFd(t: Task, fd: number): Inode | number {
  const f = t.fdTable.get(fd);
  if (f === null) return -E.EBADF;
  return f.dentry?.inode ?? -E.EOPNOTSUPP;
}

function statfs(t: Task, inode: Inode | number, addr: number): number {
  if (typeof inode === 'number') return inode;
  const st = inode.statfs();
  if (typeof st === 'number') return st;
  const out = new Uint8Array(STATFS_SIZE);
  encodeStatfs(st, out);
  return t.mm.copyOutFull(addr, out);
}

export const xattrSyscalls: SyscallGroup = {
  getxattr: sys((t) => getxattr(t, inodeAtPath(t, 0, true)), 'sspu', 'only user.* attributes cross to the Gofer; trusted.*, security.* and POSIX ACLs read as absent'),
  lgetxattr: sys((t) => getxattr(t, inodeAtPath(t, 0, false)), 'sspu', 'only user.* attributes cross to the Gofer; trusted.*, security.* and POSIX ACLs read as absent'),
  fgetxattr: sys((t) => getxattr(t, inodeOfFd(t, t.argInt(0))), 'fspu', 'only user.* attributes cross to the Gofer; trusted.*, security.* and POSIX ACLs read as absent'),
  listxattr: sys((t) => listxattr(t, inodeAtPath(t, 0, true)), 'spu'),
  llistxattr: sys((t) => listxattr(t, inodeAtPath(t, 0, false)), 'spu'),
  flistxattr: sys((t) => listxattr(t, inodeOfFd(t, t.argInt(0))), 'fpu'),
  statfs: sys((t) => statfs(t, inodeAtPath(t, 0, true), t.arg(1)), 'sp'),
  fstatfs: sys((t) => statfs(t, statfsInodeOfFd(t, t.argInt(0)), t.arg(1)), 'fp'),
};
