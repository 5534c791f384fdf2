// Extended attributes and statfs.
import { notifyChange } from '../sentry/vfs/notify.js';
import { IN_ATTRIB } from '../abi/linux/inotify.js';
import { E } from '../abi/linux/errno.js';
import { AT_FDCWD, W_OK } from '../abi/linux/fcntl.js';
import { S_IFDIR, S_IFREG, S_ISVTX } from '../abi/linux/stat.js';
import {
  XATTR_CREATE, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SECURITY_PREFIX, XATTR_SIZE_MAX, XATTR_SYSTEM_PREFIX, XATTR_TRUSTED_PREFIX,
  XATTR_USER_PREFIX,
} from '../abi/linux/xattr.js';
import { mayAccess } from '../sentry/vfs/ops.js';
import { encodeStatfs, STATFS_SIZE } from '../abi/linux/statfs.js';
import type { Task } from '../sentry/kernel/task.js';
import type { Dentry } from '../sentry/vfs/dentry.js';
import type { Inode } from '../sentry/vfs/inode.js';
import { PathFile } from '../sentry/vfs/path-file.js';
import { resolvePath } from '../sentry/vfs/path-walk.js';
import { stringToBytes } from '../sentry/mm/address-space.js';
import { dirfdStart, pathArg } from './args.js';
import { sys, type SyscallGroup } from './types.js';


function inodeAtPath(t: Task, idx: number, follow: boolean): Inode | number {
  const path = pathArg(t, idx);
  if (typeof path === 'number') return path;
  const start = dirfdStart(t, AT_FDCWD, path);
  if (typeof start === 'number') return start;
  const d = resolvePath(t.fs, start, path, follow, t.creds);
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

/**
 * Linux's xattr_permission for a change: trusted.* takes root; user.*
 * lives only on regular files and directories, and in a sticky directory
 * only its owner changes it; then write permission. security.* and
 * system.* are left to the file system.
 */
function mayWriteXattr(t: Task, inode: Inode, name: string): number {
  if (name.startsWith(XATTR_SECURITY_PREFIX) || name.startsWith(XATTR_SYSTEM_PREFIX)) return 0;
  const root = t.creds.fsuid === 0;
  if (name.startsWith(XATTR_TRUSTED_PREFIX)) return root ? 0 : -E.EPERM;
  if (name.startsWith(XATTR_USER_PREFIX)) {
    if (inode.type !== S_IFREG && inode.type !== S_IFDIR) return -E.EPERM;
    if (inode.type === S_IFDIR && !root) {
      const st = inode.stat();
      if (typeof st === 'number') return st;
      if ((st.mode & S_ISVTX) && st.uid !== t.creds.fsuid) return -E.EPERM;
    }
  }
  return mayAccess(t.creds, inode, W_OK);
}

/** An attribute name argument: empty or longer than XATTR_NAME_MAX is ERANGE. */
function xattrName(t: Task, idx: number): string | number {
  const name = t.mm.readCString(t.arg(idx), XATTR_NAME_MAX + 1);
  if (typeof name === 'number') return name === -E.ENAMETOOLONG ? -E.ERANGE : name;
  return name === '' ? -E.ERANGE : name;
}

/**
 * setxattr(2) and its l/f forms, in Linux 6's order: the flags, name and
 * value are copied in first, then the file is found, then the mount, the
 * permission and the namespace are checked.
 */
/** An extended attribute changed: IN_ATTRIB for the inode's watches. */
function attribChanged(inode: Inode, r: number): number {
  if (r >= 0) notifyChange(inode, IN_ATTRIB);
  return r;
}

function setxattr(t: Task, target: () => Inode | null | number): number {
  const flags = t.argInt(4);
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return -E.EINVAL;
  const name = xattrName(t, 1);
  if (typeof name === 'number') return name;
  const size = t.arg(3);
  if (size > XATTR_SIZE_MAX) return -E.E2BIG;
  const value = new Uint8Array(size);
  if (size > 0 && t.mm.copyInFull(t.arg(2), value) < 0) return -E.EFAULT;
  const inode = target();
  if (typeof inode === 'number') return inode;
  if (inode === null) return -E.EOPNOTSUPP;
  if (inode.readonly) return -E.EROFS;
  const perm = mayWriteXattr(t, inode, name);
  if (perm < 0) return perm;
  const bad = checkName(name);
  if (bad < 0) return bad;
  return attribChanged(inode, inode.setxattr(name, value, flags));
}

function removexattr(t: Task, target: () => Inode | null | number): number {
  const name = xattrName(t, 1);
  if (typeof name === 'number') return name;
  const inode = target();
  if (typeof inode === 'number') return inode;
  if (inode === null) return -E.EOPNOTSUPP;
  if (inode.readonly) return -E.EROFS;
  const perm = mayWriteXattr(t, inode, name);
  if (perm < 0) return perm;
  const bad = checkName(name);
  if (bad < 0) return bad;
  return attribChanged(inode, inode.removexattr(name));
}

function dentryAtPath(t: Task, idx: number): Dentry | number {
  const path = pathArg(t, idx);
  if (typeof path === 'number') return path;
  const start = dirfdStart(t, AT_FDCWD, path);
  if (typeof start === 'number') return start;
  return resolvePath(t.fs, start, path, true, t.creds);
}

/** fstatfs's dentry: any fd, O_PATH ones included (Linux's fdget_raw). */
function statfsDentryOfFd(t: Task, fd: number): Dentry | number {
  const f = t.fdTable.get(fd);
  if (f === null) return -E.EBADF;
  return f.dentry ?? -E.EOPNOTSUPP;
}

/** The file system's figures, with f_flags from the mount as well (nosuid, noexec, relatime, ...), as Linux's statfs_by_dentry. */
function statfs(t: Task, dentry: Dentry | number, addr: number): number {
  if (typeof dentry === 'number') return dentry;
  const st = dentry.inode.statfs();
  if (typeof st === 'number') return st;
  const mount = dentry.mountRoot().mount;
  const out = new Uint8Array(STATFS_SIZE);
  encodeStatfs(mount === null ? st : { ...st, flags: st.flags | mount.statfsFlags() }, out);
  return t.mm.copyOutFull(addr, out);
}

export const xattrSyscalls: SyscallGroup = {
  getxattr: sys((t) => getxattr(t, inodeAtPath(t, 0, true)), 'sspu', 'only user.* attributes cross to the Gofer; trusted.*, security.* and POSIX ACLs read as absent'),
  lgetxattr: sys((t) => getxattr(t, inodeAtPath(t, 0, false)), 'sspu', 'only user.* attributes cross to the Gofer; trusted.*, security.* and POSIX ACLs read as absent'),
  fgetxattr: sys((t) => getxattr(t, inodeOfFd(t, t.argInt(0))), 'fspu', 'only user.* attributes cross to the Gofer; trusted.*, security.* and POSIX ACLs read as absent'),
  listxattr: sys((t) => listxattr(t, inodeAtPath(t, 0, true)), 'spu'),
  llistxattr: sys((t) => listxattr(t, inodeAtPath(t, 0, false)), 'spu'),
  flistxattr: sys((t) => listxattr(t, inodeOfFd(t, t.argInt(0))), 'fpu'),
  setxattr: sys((t) => setxattr(t, () => inodeAtPath(t, 0, true)), 'sspux', 'Gofer mounts: user.* only (trusted.* and security.* are EOPNOTSUPP)'),
  lsetxattr: sys((t) => setxattr(t, () => inodeAtPath(t, 0, false)), 'sspux', 'Gofer mounts: user.* only (trusted.* and security.* are EOPNOTSUPP)'),
  fsetxattr: sys((t) => setxattr(t, () => inodeOfFd(t, t.argInt(0))), 'fspux', 'Gofer mounts: user.* only (trusted.* and security.* are EOPNOTSUPP)'),
  removexattr: sys((t) => removexattr(t, () => inodeAtPath(t, 0, true)), 'ss', 'Gofer mounts: user.* only (others read as absent: ENODATA)'),
  lremovexattr: sys((t) => removexattr(t, () => inodeAtPath(t, 0, false)), 'ss', 'Gofer mounts: user.* only (others read as absent: ENODATA)'),
  fremovexattr: sys((t) => removexattr(t, () => inodeOfFd(t, t.argInt(0))), 'fs', 'Gofer mounts: user.* only (others read as absent: ENODATA)'),
  statfs: sys((t) => statfs(t, dentryAtPath(t, 0), t.arg(1)), 'sp'),
  fstatfs: sys((t) => statfs(t, statfsDentryOfFd(t, t.argInt(0)), t.arg(1)), 'fp'),
};
