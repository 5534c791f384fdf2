// Path resolution: one component at a time over dentries, following mounts
// and symlinks (at most 40), with ".." never leaving the task's root.
import { E } from '../../abi/linux/errno.js';
import { S_IFDIR, S_IFLNK } from '../../abi/linux/stat.js';
import { Dentry } from './dentry.js';
import { X_OK } from '../../abi/linux/fcntl.js';
import { permissionOf } from '../kernel/permissions.js';

export const MAX_SYMLINK_FOLLOWS = 40;
export const PATH_MAX = 4096;
export const NAME_MAX = 255;

export interface FsContext {
  root: Dentry;
  cwd: Dentry;
}

/** Whose search permission a walk checks on each directory it goes through. */
export interface WalkCreds {
  fsuid: number;
  fsgid: number;
  groups: number[];
}

/**
 * may_lookup: search (execute) permission on a directory to look a name up
 * in it. Root searches any directory without asking for its attributes.
 */
function maySearch(creds: WalkCreds | undefined, dir: Dentry): number {
  if (creds === undefined || creds.fsuid === 0) return 0;
  const st = dir.inode.stat();
  if (typeof st === 'number') return st;
  return permissionOf(st, creds.fsuid, creds.fsgid, creds.groups, X_OK);
}

/** Follows mounts stacked on d. */
function crossMounts(d: Dentry): Dentry {
  while (d.mounted !== null) d = d.mounted;
  return d;
}

/** The child dentry named `name` of dir, looking it up in the file system on a miss. */
export function lookupChild(dir: Dentry, name: string): Dentry | number {
  if (name.length > NAME_MAX) return -E.ENAMETOOLONG;
  const cached = dir.children.get(name);
  if (cached) return crossMounts(cached);
  // A removed directory has no entries left to find (Linux's dead directory).
  if (dir.unlinked && dir.inode.type === S_IFDIR) return -E.ENOENT;
  const inode = dir.inode.lookup(name);
  if (typeof inode === 'number') return inode;
  const d = new Dentry(name, dir, inode);
  dir.children.set(name, d);
  return d;
}

function parentOf(ctx: FsContext, d: Dentry): Dentry {
  if (d === ctx.root) return d;
  while (d.parent === null && d.mountpoint !== null) {
    d = d.mountpoint;
    if (d === ctx.root) return d;
  }
  return d.parent ?? d;
}

interface WalkState { follows: number; creds?: WalkCreds }

/** Walks `path` from start. The last component is followed if it is a symlink and follow is set. */
function walk(ctx: FsContext, start: Dentry, path: string, follow: boolean, st: WalkState): Dentry | number {
  let d = path.startsWith('/') ? ctx.root : start;
  const parts = path.split('/');
  const trailingSlash = path.length > 1 && path.endsWith('/');
  const names = parts.filter((p) => p !== '' && p !== '.');
  // "a/." and "a/" must still check that a is a directory.
  const mustBeDir = trailingSlash || (parts.length > 1 && parts[parts.length - 1] === '.');
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (d.inode.type !== S_IFDIR) return -E.ENOTDIR;
    const searchable = maySearch(st.creds, d);
    if (searchable < 0) return searchable;
    if (name === '..') { d = parentOf(ctx, d); continue; }
    const child = lookupChild(d, name);
    if (typeof child === 'number') return child;
    const last = i === names.length - 1;
    if (child.inode.type === S_IFLNK && (!last || follow || mustBeDir)) {
      if (++st.follows > MAX_SYMLINK_FOLLOWS) return -E.ELOOP;
      const target = child.inode.readlink();
      if (typeof target === 'number') return target;
      if (target === '') return -E.ENOENT;
      const resolved = walk(ctx, d, target, true, st);
      if (typeof resolved === 'number') return resolved;
      d = resolved;
      continue;
    }
    d = child;
  }
  if (mustBeDir && d.inode.type !== S_IFDIR) return -E.ENOTDIR;
  return d;
}

/**
 * Resolves a path to a dentry. With creds, every directory walked through
 * must grant them search permission (EACCES otherwise), as Linux checks.
 */
export function resolvePath(ctx: FsContext, start: Dentry, path: string, follow: boolean, creds?: WalkCreds): Dentry | number {
  if (path === '') return -E.ENOENT;
  if (path.length >= PATH_MAX) return -E.ENAMETOOLONG;
  return walk(ctx, start, path, follow, { follows: 0, creds });
}

/**
 * Resolves all but the last component: for create, mkdir, unlink, rename.
 * The name may be "." or ".." (callers reject those as Linux does).
 */
export function resolveParent(ctx: FsContext, start: Dentry, path: string, creds?: WalkCreds): { parent: Dentry; name: string; trailingSlash: boolean } | number {
  if (path === '') return -E.ENOENT;
  if (path.length >= PATH_MAX) return -E.ENAMETOOLONG;
  const trailingSlash = /\/+$/.test(path) && path.replace(/\/+$/, '') !== '';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return { parent: ctx.root, name: '.', trailingSlash: false };
  const slash = trimmed.lastIndexOf('/');
  const dirPath = slash < 0 ? '.' : slash === 0 ? '/' : trimmed.slice(0, slash);
  const name = trimmed.slice(slash + 1);
  const parent = walk(ctx, path.startsWith('/') ? ctx.root : start, dirPath, true, { follows: 0, creds });
  if (typeof parent === 'number') return parent;
  if (parent.inode.type !== S_IFDIR) return -E.ENOTDIR;
  // The last component is looked up in the parent too: it must be searchable.
  const searchable = maySearch(creds, parent);
  if (searchable < 0) return searchable;
  if (name.length > NAME_MAX) return -E.ENAMETOOLONG;
  return { parent, name, trailingSlash };
}
