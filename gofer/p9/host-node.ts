// The server's view of a host file: an O_PATH|O_NOFOLLOW fd plus the
// directory node and name it was reached by. Nodes form a tree rooted at the
// mount's root; a node holds a reference on its parent so that Trename and
// Tremove, which name a file by fid, can act on (parent, name). Fids share
// nodes by reference count.

import {
  close, fstat, fstatat, AT_SYMLINK_NOFOLLOW, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG,
  type HostStat,
} from '../../host/fs.js';
import { EINVAL, ENAMETOOLONG, ENOENT } from './errno.js';
import { QTDIR, QTFILE, QTSYMLINK, type Qid } from './messages.js';

const NAME_MAX = 255;

export class HostNode {
  /** References held by fids, by child nodes, and by walks in progress. */
  refs = 1;
  readonly qid: Qid;

  /**
   * Takes ownership of `fd` and of one reference on `parent` (the caller's
   * reference moves to the child).
   */
  constructor(
    readonly fd: number,
    public parent: HostNode | null,
    public name: string,
    readonly mode: number,
    readonly dev: bigint,
    readonly ino: bigint,
  ) {
    this.qid = { type: qidType(mode), version: 0, path: ino };
  }

  static fromStat(fd: number, parent: HostNode | null, name: string, st: HostStat): HostNode {
    return new HostNode(fd, parent, name, st.mode, st.dev, st.ino);
  }

  get fileType(): number {
    return this.mode & S_IFMT;
  }

  get isDir(): boolean {
    return this.fileType === S_IFDIR;
  }

  get isRegular(): boolean {
    return this.fileType === S_IFREG;
  }

  get isSymlink(): boolean {
    return this.fileType === S_IFLNK;
  }

  acquire(): this {
    this.refs++;
    return this;
  }

  /**
   * Replaces this node's (parent, name) after a rename. Takes ownership of
   * one reference on `parent`.
   */
  moveTo(parent: HostNode, name: string): void {
    const old = this.parent;
    this.parent = parent;
    this.name = name;
    if (old !== null) releaseNode(old);
  }

  /**
   * Whether (parent, name) still names this very file: another fid may have
   * renamed or replaced it since we walked here. Returns 0 or -ENOENT.
   */
  checkStillNamed(): number {
    if (this.parent === null) return -ENOENT;
    const st = fstatat(this.parent.fd, this.name, AT_SYMLINK_NOFOLLOW);
    if (typeof st === 'number') return st;
    return st.ino === this.ino && st.dev === this.dev ? 0 : -ENOENT;
  }
}

/** Drops one reference; the last one closes the fd and releases the parent. */
export function releaseNode(node: HostNode): void {
  let n: HostNode | null = node;
  while (n !== null) {
    if (--n.refs > 0) return;
    close(n.fd);
    n = n.parent;
  }
}

/**
 * A node for an fd just opened, taking over the caller's reference on
 * `parent`. On failure the fd is closed but the parent reference stays with
 * the caller, who must release it.
 */
export function nodeForFd(fd: number, parent: HostNode | null, name: string): HostNode | number {
  const st = fstat(fd);
  if (typeof st === 'number') {
    close(fd);
    return st;
  }
  return HostNode.fromStat(fd, parent, name, st);
}

/**
 * The host inode number is the qid path. Files on different host file
 * systems under one mount can share an inode number; the Sentry must not
 * treat equal qids as the same file across host mount points.
 */
export function qidFromStat(st: HostStat): Qid {
  return { type: qidType(st.mode), version: 0, path: st.ino };
}

export function qidType(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFDIR: return QTDIR;
    case S_IFLNK: return QTSYMLINK;
    default: return QTFILE;
  }
}

/**
 * The confinement rule for every name a request carries: exactly one
 * component, never "." or "..", no "/" and no NUL (which would cut the
 * string short on its way to libc). Returns 0 or a negative errno.
 */
export function checkName(name: string): number {
  if (name === '' || name === '.' || name === '..') return -EINVAL;
  if (name.includes('/') || name.includes('\0')) return -EINVAL;
  if (Buffer.byteLength(name) > NAME_MAX) return -ENAMETOOLONG;
  return 0;
}
