// What /proc/<pid>/fd/N leads to. A file opened by path is its dentry. A
// file with no path (a pipe, a socket, an event file, the console) is named
// "pipe:[ino]", "socket:[ino]" or "anon_inode:[...]" as Linux's pseudo file
// systems name them, and a walk through the link reaches a dentry of its
// own, outside every mount, whose open(2) does what Linux does there: a
// pipe opens again as a FIFO (bash's `<(...)`, `> /dev/stderr`), the
// console opens its host fd again, and anything else is ENXIO.
import { E } from '../../../abi/linux/errno.js';
import { S_IFMT, S_IFIFO, S_IFREG, S_IFSOCK, type Stat } from '../../../abi/linux/stat.js';
import { Dentry } from '../../vfs/dentry.js';
import type { FileDescription } from '../../vfs/file-description.js';
import { ConsoleFile } from '../host/console-file.js';
import { FifoEnd, pipeFifo } from '../pipe/fifo.js';
import { PipeEnd } from '../pipe/pipe.js';
import { SyntheticInode } from '../synthetic/synthetic.js';

/** The inode behind a path-less file's magic link. Writable: a pipe's ends do not care about the mount. */
class PathlessFileInode extends SyntheticInode {
  readonly type: number;
  constructor(private readonly file: FileDescription, readonly linkText: string) {
    super(0, false);
    const st = file.stat();
    this.type = typeof st === 'number' || (st.mode & S_IFMT) === 0 ? S_IFREG : st.mode & S_IFMT;
  }
  stat(): Stat | number { return this.file.stat(); }
  override open(flags: number): FileDescription | number {
    const f = this.file;
    if (f instanceof FifoEnd) return f.fifo.open(flags, () => f.stat());
    if (f instanceof PipeEnd) return pipeFifo(f.pipe).open(flags, () => f.pipe.stat());
    if (f instanceof ConsoleFile) return f.reopen(flags);
    return -E.ENXIO;
  }
}

/** readlink(2) of /proc/<pid>/fd/N for a file that has no path in the sandbox. */
function pathlessName(f: FileDescription): string {
  const st = f.stat();
  const fmt = typeof st === 'number' ? 0 : st.mode & S_IFMT;
  const ino = typeof st === 'number' ? 0 : st.ino;
  if (fmt === S_IFIFO) return `pipe:[${ino}]`;
  if (fmt === S_IFSOCK) return `socket:[${ino}]`;
  return `anon_inode:${f.anonInodeName ?? `[${ino}]`}`;
}

/** readlink(2) of /proc/<pid>/fd/N; root is the sandbox's root, paths are shown from it. */
export function fdLinkText(f: FileDescription, root: Dentry): string {
  const d = f.dentry;
  if (d === null) return pathlessName(f);
  if (d.inode instanceof PathlessFileInode) return d.inode.linkText;
  return d.path(root) + (d.unlinked ? ' (deleted)' : '');
}

/** Where a walk through /proc/<pid>/fd/N goes. */
export function fdLinkTarget(f: FileDescription): Dentry {
  if (f.dentry !== null) return f.dentry;
  const name = pathlessName(f);
  return new Dentry(name, null, new PathlessFileInode(f, name));
}
