// Dentries: the names the VFS has walked, linked to their parents so that
// ".." and getcwd work without asking the file system. A mount point's
// dentry points at the mounted root. The VFS's changes (ops.ts) keep them
// true: an unlinked name leaves its parent's children, a renamed one moves.
import type { Inode } from './inode.js';
import type { Mount } from './mount.js';
import { noteDentry } from './notify.js';

export class Dentry {
  readonly children = new Map<string, Dentry>();
  /** The root of a file system mounted on this dentry. */
  mounted: Dentry | null = null;
  /** For a mounted root: the dentry it covers (where ".." goes next). */
  mountpoint: Dentry | null = null;
  /** For a file system's root dentry: its entry in the mount table (null until mounted, and for internal mounts). */
  mount: Mount | null = null;
  /** The name was removed (unlink, rmdir, or replaced by a rename); open files may still hold it. */
  unlinked = false;
  /** An O_TMPFILE file opened without O_EXCL: linkat may give it a name although it has no link. */
  linkable = false;

  constructor(public name: string, public parent: Dentry | null, public inode: Inode) {
    noteDentry(this);
  }

  /** The path from the sandbox root (or, with null, from the top of the mount tree), for getcwd and /proc. */
  path(root: Dentry | null): string {
    const parts: string[] = [];
    let d: Dentry = this;
    for (;;) {
      if (d === root) break;
      if (d.parent === null) {
        if (d.mountpoint === null) break;
        d = d.mountpoint;
        continue;
      }
      parts.push(d.name);
      d = d.parent;
    }
    return '/' + parts.reverse().join('/');
  }

  /** The root dentry of the mount this dentry belongs to. */
  mountRoot(): Dentry {
    let d: Dentry = this;
    while (d.parent !== null) d = d.parent;
    return d;
  }

  /** Whether this dentry is `other` or lies below it in the same mount. */
  isWithin(other: Dentry): boolean {
    for (let d: Dentry | null = this; d !== null; d = d.parent) if (d === other) return true;
    return false;
  }
}
