// The VFS's changes to the tree: create, mkdir, mknod, symlink, link,
// unlink, rmdir, rename, and the attribute changes (chmod, chown, truncate,
// utimes). Each does what Linux's fs/namei.c and fs/attr.c check, in their
// order, before it asks the file system (Inode) to act, and then keeps the
// dentry cache true: a removed name leaves its parent's children, a renamed
// dentry moves with its inode.
//
// Credentials: fsuid 0 stands for the capabilities root has (CAP_CHOWN,
// CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID); the sandbox has no finer
// capability model yet.
import { E } from '../../abi/linux/errno.js';
import { R_OK, W_OK, X_OK } from '../../abi/linux/fcntl.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../../abi/linux/fs.js';
import {
  S_IFBLK, S_IFCHR, S_IFDIR, S_IFMT, S_IFREG, S_ISGID, S_ISUID, S_ISVTX, UTIME_NOW, type Stat, type Timespec,
} from '../../abi/linux/stat.js';
import { permissionOf } from '../kernel/permissions.js';
import { Dentry } from './dentry.js';
import type { FileDescription } from './file-description.js';
import type { Inode, SetAttr } from './inode.js';
import { lookupChild } from './path-walk.js';
import { notifyChange, notifyCreate, notifyLinkCount, notifyMove, notifyRemove, notifyReplaced } from './notify.js';
import { IN_ACCESS, IN_ATTRIB, IN_MODIFY } from '../../abi/linux/inotify.js';

/** The ids a file-system check uses. */
export interface FsCreds {
  fsuid: number;
  fsgid: number;
  groups: number[];
}

const S_IXGRP = 0o010;

function isRoot(c: FsCreds): boolean { return c.fsuid === 0; }

export function inGroup(c: FsCreds, gid: number): boolean {
  return c.fsgid === gid || c.groups.includes(gid);
}

/**
 * Linux's inode_permission for want (R_OK | W_OK | X_OK). Root passes
 * without asking the file system for attributes unless it wants to execute
 * a file that is not a directory.
 */
export function mayAccess(c: FsCreds, inode: Inode, want: number): number {
  if (want === 0) return 0;
  if (isRoot(c) && ((want & X_OK) === 0 || inode.type === S_IFDIR)) return 0;
  const st = inode.stat();
  if (typeof st === 'number') return st;
  return permissionOf(st, c.fsuid, c.fsgid, c.groups, want);
}

/** inode_owner_or_capable: the file's owner, or CAP_FOWNER. */
function ownerOrCapable(c: FsCreds, st: Stat): boolean {
  return isRoot(c) || c.fsuid === st.uid;
}

/** The dentry for name in parent, without crossing a mount stacked on it (rename and unlink name the mount point itself). */
function lookupHere(parent: Dentry, name: string): Dentry | number {
  return parent.children.get(name) ?? lookupChild(parent, name);
}

/** Whether d is a mount point or a mounted root: busy for rename, unlink and rmdir. */
function isBusy(d: Dentry): boolean {
  return d.mounted !== null || d.parent === null;
}

/** Drops a name from the cache: the dentry may live on in open files and cwds, marked unlinked. */
function forget(parent: Dentry, name: string): void {
  const d = parent.children.get(name);
  if (d === undefined) return;
  parent.children.delete(name);
  unlinked(d);
}

function unlinked(d: Dentry): void {
  d.unlinked = true;
  d.inode.evict?.();
}

function isDot(name: string): boolean { return name === '.' || name === '..'; }

/**
 * filename_create's checks for a new name, then may_create's: "." and ".."
 * and an existing name are EEXIST; a trailing slash on a name that will not
 * be a directory is ENOENT; then the mount (EROFS), a removed directory
 * (ENOENT) and write and search permission on the parent (EACCES).
 */
function checkNewName(c: FsCreds, parent: Dentry, name: string, trailingSlash: boolean, makingDir: boolean): number {
  if (isDot(name)) return -E.EEXIST;
  const existing = lookupHere(parent, name);
  if (typeof existing !== 'number') return -E.EEXIST;
  if (existing !== -E.ENOENT) return existing;
  if (trailingSlash && !makingDir) return -E.ENOENT;
  if (parent.inode.readonly) return -E.EROFS;
  return mayCreate(c, parent);
}

function mayCreate(c: FsCreds, parent: Dentry): number {
  if (parent.unlinked) return -E.ENOENT;
  return mayAccess(c, parent.inode, W_OK | X_OK);
}

/**
 * The owner and mode of a new file (inode_init_owner): the caller's fsuid,
 * and the directory's group when it is set-group-ID (a new directory
 * inherits the bit), else the caller's fsgid. A set-group-ID file in such a
 * directory loses the bit unless its creator is in the group.
 */
function newOwner(c: FsCreds, parent: Inode, mode: number, isDir: boolean): { uid: number; gid: number; mode: number } | number {
  const st = parent.stat();
  if (typeof st === 'number') return st;
  let gid = c.fsgid;
  if (st.mode & S_ISGID) {
    gid = st.gid;
    if (isDir) mode |= S_ISGID;
    else if ((mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP) && !inGroup(c, gid) && !isRoot(c)) mode &= ~S_ISGID;
  }
  return { uid: c.fsuid, gid, mode };
}

/**
 * may_delete: search and write permission on the directory, the sticky
 * bit (only the owner of the file or of the directory, or root, removes a
 * name from a sticky directory), and the victim's kind.
 */
function mayDelete(c: FsCreds, dir: Dentry, victim: Dentry, isDir: boolean): number {
  const r = mayAccess(c, dir.inode, W_OK | X_OK);
  if (r < 0) return r;
  if (!isRoot(c)) {
    const dst = dir.inode.stat();
    if (typeof dst === 'number') return dst;
    if (dst.mode & S_ISVTX) {
      const vst = victim.inode.stat();
      if (typeof vst === 'number') return vst;
      if (c.fsuid !== dst.uid && c.fsuid !== vst.uid) return -E.EPERM;
    }
  }
  if (isDir) {
    if (victim.inode.type !== S_IFDIR) return -E.ENOTDIR;
    if (victim.parent === null) return -E.EBUSY;
  } else if (victim.inode.type === S_IFDIR) {
    return -E.EISDIR;
  }
  return 0;
}

// ---- creating ----

/** A file system's answer to a creating call; on success the directory's watches hear of the new name. */
function created(parent: Dentry, name: string, isDir: boolean, r: number): number {
  if (r >= 0) notifyCreate(parent, name, isDir);
  return r;
}

/**
 * open(O_CREAT) of a missing name: the file system creates and opens it,
 * and the new dentry goes into the cache (the file's dentry). The caller
 * has checked the mount (EROFS) as do_open orders it.
 */
export function createFile(c: FsCreds, parent: Dentry, name: string, flags: number, mode: number): FileDescription | number {
  const r = mayCreate(c, parent);
  if (r < 0) return r;
  const owner = newOwner(c, parent.inode, mode & 0o7777, false);
  if (typeof owner === 'number') return owner;
  const made = parent.inode.create(name, flags, owner.mode, owner.uid, owner.gid);
  if (typeof made === 'number') return made;
  const d = new Dentry(name, parent, made.inode);
  parent.children.set(name, d);
  made.file.dentry = d;
  notifyCreate(parent, name, false);
  return made.file;
}

/**
 * open(O_TMPFILE) in dir (vfs_tmpfile): the mount (EROFS), write and search
 * permission on the directory, then the file system, which may not make
 * unnamed files (EOPNOTSUPP). The file's dentry has no name in dir; unless
 * O_EXCL, linkat may give it one.
 */
export function createTmpfile(c: FsCreds, dir: Dentry, flags: number, mode: number, linkable: boolean): FileDescription | number {
  if (dir.inode.readonly) return -E.EROFS;
  const r = mayCreate(c, dir);
  if (r < 0) return r;
  if (dir.inode.tmpfile === undefined) return -E.EOPNOTSUPP;
  const owner = newOwner(c, dir.inode, mode & 0o7777, false);
  if (typeof owner === 'number') return owner;
  const made = dir.inode.tmpfile(flags, owner.mode, owner.uid, owner.gid);
  if (typeof made === 'number') return made;
  const st = made.inode.stat();
  const d = new Dentry(`#${typeof st === 'number' ? 0 : st.ino}`, dir, made.inode);
  d.unlinked = true;
  d.linkable = linkable;
  made.file.dentry = d;
  return made.file;
}

/** mkdir(2); mode is already masked by the umask. */
export function mkdir(c: FsCreds, parent: Dentry, name: string, trailingSlash: boolean, mode: number): number {
  const r = checkNewName(c, parent, name, trailingSlash, true);
  if (r < 0) return r;
  const owner = newOwner(c, parent.inode, mode & (0o777 | S_ISVTX), true);
  if (typeof owner === 'number') return owner;
  return created(parent, name, true, parent.inode.mkdir(name, owner.mode, owner.uid, owner.gid));
}

/**
 * mknod(2) after may_mknod's check of the type; mode is masked by the
 * umask. Device nodes are refused (EPERM) whoever asks: the sandbox has no
 * devices to give them (gVisor refuses them too).
 */
export function mknod(c: FsCreds, parent: Dentry, name: string, trailingSlash: boolean, mode: number, rdev: number): number {
  const r = checkNewName(c, parent, name, trailingSlash, false);
  if (r < 0) return r;
  let type = mode & S_IFMT;
  if (type === 0) type = S_IFREG;
  if (type === S_IFCHR || type === S_IFBLK) return -E.EPERM;
  const owner = newOwner(c, parent.inode, mode & 0o7777, false);
  if (typeof owner === 'number') return owner;
  return created(parent, name, false, parent.inode.mknod(name, type | owner.mode, rdev, owner.uid, owner.gid));
}

export function symlink(c: FsCreds, parent: Dentry, name: string, trailingSlash: boolean, target: string): number {
  const r = checkNewName(c, parent, name, trailingSlash, false);
  if (r < 0) return r;
  const owner = newOwner(c, parent.inode, 0o777, false);
  if (typeof owner === 'number') return owner;
  return created(parent, name, false, parent.inode.symlink(name, target, owner.uid, owner.gid));
}

/**
 * may_linkat with fs.protected_hardlinks=1 (every distribution's default):
 * someone who does not own the file may link to it only if it is a regular
 * file without set-id bits that they may read and write.
 */
function mayLink(c: FsCreds, inode: Inode): number {
  if (isRoot(c)) return 0;
  const st = inode.stat();
  if (typeof st === 'number') return st;
  if (st.uid === c.fsuid) return 0;
  const type = st.mode & S_IFMT;
  const setid = (st.mode & S_ISUID) !== 0 || (st.mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP);
  if (type !== S_IFREG || setid) return -E.EPERM;
  return permissionOf(st, c.fsuid, c.fsgid, c.groups, R_OK | W_OK) < 0 ? -E.EPERM : 0;
}

/** link(2): target (already resolved) gets another name in parent. */
export function link(c: FsCreds, target: Dentry, parent: Dentry, name: string, trailingSlash: boolean): number {
  const r = checkNewName(c, parent, name, trailingSlash, false);
  if (r < 0) return r;
  if (target.mountRoot() !== parent.mountRoot()) return -E.EXDEV;
  const ml = mayLink(c, target.inode);
  if (ml < 0) return ml;
  if (target.inode.type === S_IFDIR) return -E.EPERM;
  if (target.unlinked) {
    const st = target.inode.stat();
    if (typeof st === 'number') return st;
    if (st.nlink === 0 && !target.linkable) return -E.ENOENT;
  }
  const r2 = parent.inode.link(name, target.inode);
  if (r2 < 0) return r2;
  // The file's link count changed (fsnotify_link), then the directory has a new name.
  notifyLinkCount(target.inode);
  return created(parent, name, false, 0);
}

// ---- removing ----

/** unlink(2) of parent/name, after the caller's "." / ".." check (EISDIR). */
export function unlink(c: FsCreds, parent: Dentry, name: string, trailingSlash: boolean): number {
  if (isDot(name)) return -E.EISDIR;
  if (parent.inode.readonly) return -E.EROFS;
  const victim = lookupHere(parent, name);
  if (typeof victim === 'number') return victim;
  if (trailingSlash) return victim.inode.type === S_IFDIR ? -E.EISDIR : -E.ENOTDIR;
  const r = mayDelete(c, parent, victim, false);
  if (r < 0) return r;
  if (isBusy(victim)) return -E.EBUSY;
  const u = parent.inode.unlink(name);
  if (u < 0) return u;
  notifyRemove(parent, name, victim);
  forget(parent, name);
  return 0;
}

/** rmdir(2) of parent/name ("/" itself is the caller's EBUSY). */
export function rmdir(c: FsCreds, parent: Dentry, name: string): number {
  if (name === '.') return -E.EINVAL;
  if (name === '..') return -E.ENOTEMPTY;
  if (parent.inode.readonly) return -E.EROFS;
  const victim = lookupHere(parent, name);
  if (typeof victim === 'number') return victim;
  const r = mayDelete(c, parent, victim, true);
  if (r < 0) return r;
  if (isBusy(victim)) return -E.EBUSY;
  const u = parent.inode.rmdir(name);
  if (u < 0) return u;
  notifyRemove(parent, name, victim);
  forget(parent, name);
  return 0;
}

// ---- renaming ----

export interface RenameArgs {
  oldParent: Dentry; oldName: string; oldSlash: boolean;
  newParent: Dentry; newName: string; newSlash: boolean;
  flags: number;
}

/** renameat2(2) after the flags were checked (do_renameat2, then vfs_rename). */
export function rename(c: FsCreds, a: RenameArgs): number {
  const { oldParent, oldName, newParent, newName, flags } = a;
  const exchange = (flags & RENAME_EXCHANGE) !== 0;
  if (oldParent.mountRoot() !== newParent.mountRoot()) return -E.EXDEV;
  if (isDot(oldName)) return -E.EBUSY;
  if (isDot(newName)) return flags & RENAME_NOREPLACE ? -E.EEXIST : -E.EBUSY;
  if (oldParent.inode.readonly) return -E.EROFS;
  const old = lookupHere(oldParent, oldName);
  if (typeof old === 'number') return old;
  const found = lookupHere(newParent, newName);
  if (typeof found === 'number' && found !== -E.ENOENT) return found;
  const target = typeof found === 'number' ? null : found;
  if ((flags & RENAME_NOREPLACE) && target !== null) return -E.EEXIST;
  if (exchange) {
    if (target === null) return -E.ENOENT;
    if (target.inode.type !== S_IFDIR && a.newSlash) return -E.ENOTDIR;
  }
  const oldIsDir = old.inode.type === S_IFDIR;
  if (!oldIsDir && (a.oldSlash || (!exchange && a.newSlash))) return -E.ENOTDIR;
  // The source may not be an ancestor of the target's directory, nor the target of the source's.
  if (newParent.isWithin(old)) return -E.EINVAL;
  if (target !== null && oldParent.isWithin(target)) return exchange ? -E.EINVAL : -E.ENOTEMPTY;
  // vfs_rename.
  if (target !== null && target.inode === old.inode) return 0;
  let r = mayDelete(c, oldParent, old, oldIsDir);
  if (r < 0) return r;
  const targetIsDir = target !== null && target.inode.type === S_IFDIR;
  r = target === null ? mayCreate(c, newParent) : mayDelete(c, newParent, target, exchange ? targetIsDir : oldIsDir);
  if (r < 0) return r;
  if (newParent !== oldParent) {
    // A directory that changes parent has its ".." rewritten: it must be writable.
    if (oldIsDir && (r = mayAccess(c, old.inode, W_OK)) < 0) return r;
    if (exchange && targetIsDir && (r = mayAccess(c, target!.inode, W_OK)) < 0) return r;
  }
  if (isBusy(old) || (target !== null && isBusy(target))) return -E.EBUSY;
  r = oldParent.inode.rename(oldName, newParent.inode, newName, flags);
  if (r < 0) return r;
  // The events go before the dentries move: a replaced target's inode may forget its file once dropped.
  notifyMove(oldParent, oldName, newParent, newName, old.inode, exchange ? null : target?.inode ?? null);
  if (exchange && target !== null) notifyMove(newParent, newName, oldParent, oldName, target.inode, null);
  else if (target !== null) notifyReplaced(target.inode);
  moveDentries(oldParent, oldName, old, newParent, newName, target, exchange);
  return 0;
}

function moveDentries(oldParent: Dentry, oldName: string, old: Dentry, newParent: Dentry, newName: string, target: Dentry | null, exchange: boolean): void {
  oldParent.children.delete(oldName);
  newParent.children.delete(newName);
  if (exchange && target !== null) {
    target.name = oldName;
    target.parent = oldParent;
    oldParent.children.set(oldName, target);
  } else if (target !== null) {
    unlinked(target);
  }
  old.name = newName;
  old.parent = newParent;
  newParent.children.set(newName, old);
}

// ---- attributes ----

/** A file system's answer to an attribute change; on success the inode's watches (and its directory's) hear mask. */
function changed(inode: Inode, mask: number, r: number): number {
  if (r < 0 || mask === 0) return r;
  notifyChange(inode, mask);
  return r;
}

/** chmod(2) and friends (chmod_common, then setattr_prepare's ATTR_MODE rules). */
export function chmod(c: FsCreds, inode: Inode, mode: number): number {
  if (inode.readonly) return -E.EROFS;
  const st = inode.stat();
  if (typeof st === 'number') return st;
  if (!ownerOrCapable(c, st)) return -E.EPERM;
  mode &= 0o7777;
  // Without the file's group (or CAP_FSETID) the set-group-ID bit cannot be set.
  if (!isRoot(c) && !inGroup(c, st.gid)) mode &= ~S_ISGID;
  return changed(inode, IN_ATTRIB, inode.setattr({ mode }));
}

/**
 * chown(2) and friends: -1 leaves an id alone. Only root changes the
 * owner; the owner may give the file to a group they are in. A file that
 * is not a directory loses its set-user-ID bit, and its set-group-ID bit
 * when group-executable, whoever changes it (chown_common).
 */
export function chown(c: FsCreds, inode: Inode, uid: number, gid: number): number {
  if (inode.readonly) return -E.EROFS;
  const st = inode.stat();
  if (typeof st === 'number') return st;
  const attr: SetAttr = {};
  if (uid !== -1) {
    if (!isRoot(c) && !(c.fsuid === st.uid && uid === st.uid)) return -E.EPERM;
    attr.uid = uid;
  }
  if (gid !== -1) {
    if (!isRoot(c) && !(c.fsuid === st.uid && (gid === st.gid || inGroup(c, gid)))) return -E.EPERM;
    attr.gid = gid;
  }
  if ((st.mode & S_IFMT) !== S_IFDIR && (st.mode & S_IFMT) !== 0o120000) {
    let mode = st.mode & 0o7777;
    if (mode & S_ISUID) mode &= ~S_ISUID;
    if ((mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP)) mode &= ~S_ISGID;
    if (mode !== (st.mode & 0o7777)) attr.mode = mode;
  }
  // Only a change of owner or group is an event: chown(-1, -1) touches just ctime.
  return changed(inode, uid !== -1 || gid !== -1 ? IN_ATTRIB : 0, inode.setattr(attr));
}

/** truncate(2) of a path (vfs_truncate): the kind, the mount, then write permission. */
export function truncate(c: FsCreds, inode: Inode, size: number): number {
  if (inode.type === S_IFDIR) return -E.EISDIR;
  if (inode.type !== S_IFREG) return -E.EINVAL;
  if (inode.readonly) return -E.EROFS;
  const r = mayAccess(c, inode, W_OK);
  if (r < 0) return r;
  return changed(inode, IN_MODIFY, inode.setattr({ size }));
}

/**
 * utimensat(2) and friends (vfs_utimes): null leaves a time alone (UTIME_OMIT),
 * both UTIME_NOW is a "touch", which the owner or anyone who may write
 * the file can do; setting any explicit time takes the owner or root.
 */
export function utimes(c: FsCreds, inode: Inode, atime: Timespec | null, mtime: Timespec | null): number {
  if (inode.readonly) return -E.EROFS;
  const touch = atime !== null && mtime !== null && atime.nsec === UTIME_NOW && mtime.nsec === UTIME_NOW;
  const st = inode.stat();
  if (typeof st === 'number') return st;
  if (!ownerOrCapable(c, st)) {
    if (!touch) return -E.EPERM;
    if (permissionOf(st, c.fsuid, c.fsgid, c.groups, W_OK) < 0) return -E.EACCES;
  }
  const attr: SetAttr = {};
  if (atime !== null) attr.atime = atime;
  if (mtime !== null) attr.mtime = mtime;
  // fsnotify_change: both times is a utime call (IN_ATTRIB); one alone reads as an access or a modification.
  const mask = atime !== null && mtime !== null ? IN_ATTRIB : atime !== null ? IN_ACCESS : mtime !== null ? IN_MODIFY : 0;
  return changed(inode, mask, inode.setattr(attr));
}
