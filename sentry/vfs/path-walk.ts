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

/**
 * openat2's RESOLVE_* restrictions on a walk. `scope` is the directory
 * the walk starts from, for beneath and inRoot.
 */
export interface ResolveRules {
  /** RESOLVE_NO_XDEV: crossing a mount, either way, is EXDEV. */
  noXdev?: boolean;
  /** RESOLVE_NO_MAGICLINKS: following a /proc magic link is ELOOP. */
  noMagicLinks?: boolean;
  /** RESOLVE_NO_SYMLINKS: following any symlink is ELOOP. */
  noSymlinks?: boolean;
  /** RESOLVE_BENEATH: leaving scope (an absolute path or link, ".." above it, a magic link) is EXDEV. */
  beneath?: boolean;
  /** RESOLVE_IN_ROOT: scope is the root: "/" and ".." stop there. */
  inRoot?: boolean;
  /** RESOLVE_CACHED: only names the dentry cache holds; anything else is EAGAIN. */
  cached?: boolean;
  scope?: Dentry;
}

interface WalkState { follows: number; creds?: WalkCreds; rules?: ResolveRules }

/** Follows one symlink met on the walk from dir, under the rules: the dentry it leads to. */
function followLink(ctx: FsContext, dir: Dentry, link: Dentry, st: WalkState): Dentry | number {
  const rules = st.rules;
  if (rules?.noSymlinks) return -E.ELOOP;
  if (++st.follows > MAX_SYMLINK_FOLLOWS) return -E.ELOOP;
  const magic = link.inode.magicLink?.();
  if (magic !== undefined) {
    if (rules?.noMagicLinks) return -E.ELOOP;
    if (magic === null) return -E.ENOENT;
    if (rules?.noXdev && magic.mountRoot() !== dir.mountRoot()) return -E.EXDEV;
    if (rules?.beneath || rules?.inRoot) return -E.EXDEV;
    return magic;
  }
  const target = link.inode.readlink();
  if (typeof target === 'number') return target;
  if (target === '') return -E.ENOENT;
  return walk(ctx, dir, target, true, st);
}

/** Walks `path` from start. The last component is followed if it is a symlink and follow is set. */
function walk(ctx: FsContext, start: Dentry, path: string, follow: boolean, st: WalkState): Dentry | number {
  const rules = st.rules;
  const root = rules?.inRoot && rules.scope ? rules.scope : ctx.root;
  let d = start;
  if (path.startsWith('/')) {
    if (rules?.beneath) return -E.EXDEV;
    if (rules?.noXdev && root.mountRoot() !== start.mountRoot()) return -E.EXDEV;
    d = root;
  }
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
    if (name === '..') {
      if (rules?.beneath && d === rules.scope) return -E.EXDEV;
      const up = d === root ? d : parentOf(ctx, d);
      if (rules?.noXdev && up.mountRoot() !== d.mountRoot()) return -E.EXDEV;
      d = up;
      continue;
    }
    let child: Dentry | number;
    if (rules?.cached) {
      const hit = d.children.get(name);
      child = hit === undefined ? -E.EAGAIN : crossMounts(hit);
    } else {
      child = lookupChild(d, name);
    }
    if (typeof child === 'number') return child;
    if (rules?.noXdev && child.mountRoot() !== d.mountRoot()) return -E.EXDEV;
    const last = i === names.length - 1;
    if (child.inode.type === S_IFLNK && (!last || follow || mustBeDir)) {
      const resolved = followLink(ctx, d, child, st);
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
export function resolvePath(ctx: FsContext, start: Dentry, path: string, follow: boolean, creds?: WalkCreds, rules?: ResolveRules): Dentry | number {
  if (path === '') return -E.ENOENT;
  if (path.length >= PATH_MAX) return -E.ENAMETOOLONG;
  return walk(ctx, start, path, follow, { follows: 0, creds, rules });
}

/**
 * Resolves all but the last component: for create, mkdir, unlink, rename.
 * The name may be "." or ".." (callers reject those as Linux does).
 */
export function resolveParent(ctx: FsContext, start: Dentry, path: string, creds?: WalkCreds, rules?: ResolveRules): { parent: Dentry; name: string; trailingSlash: boolean } | number {
  if (path === '') return -E.ENOENT;
  if (path.length >= PATH_MAX) return -E.ENAMETOOLONG;
  const trailingSlash = /\/+$/.test(path) && path.replace(/\/+$/, '') !== '';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') {
    if (rules?.beneath) return -E.EXDEV;
    return { parent: rules?.inRoot && rules.scope ? rules.scope : ctx.root, name: '.', trailingSlash: false };
  }
  const slash = trimmed.lastIndexOf('/');
  const dirPath = slash < 0 ? '.' : slash === 0 ? '/' : trimmed.slice(0, slash);
  const name = trimmed.slice(slash + 1);
  const parent = walk(ctx, start, dirPath, true, { follows: 0, creds, rules });
  if (typeof parent === 'number') return parent;
  if (parent.inode.type !== S_IFDIR) return -E.ENOTDIR;
  // The last component is looked up in the parent too: it must be searchable.
  const searchable = maySearch(creds, parent);
  if (searchable < 0) return searchable;
  if (name.length > NAME_MAX) return -E.ENAMETOOLONG;
  return { parent, name, trailingSlash };
}
