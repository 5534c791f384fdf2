// Dentries: the names the VFS has walked, linked to their parents so that
// ".." and getcwd work without asking the file system. A mount point's
// dentry points at the mounted root.
import type { Inode } from './inode.js';

export class Dentry {
  readonly children = new Map<string, Dentry>();
  /** The root of a file system mounted on this dentry. */
  mounted: Dentry | null = null;
  /** For a mounted root: the dentry it covers (where ".." goes next). */
  mountpoint: Dentry | null = null;

  constructor(public name: string, public parent: Dentry | null, public inode: Inode) {}

  /** The path from the sandbox root, for getcwd and /proc. */
  path(root: Dentry): string {
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
}
