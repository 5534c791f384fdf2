// File change notification (Linux's fsnotify, as inotify uses it). Watches
// are on inodes. The VFS calls the notify* hooks where a change or an open,
// read, write or close happens for every file system; each hook reports the
// event to the inode's own watches and, for events on a directory's child,
// to the directory's watches with the child's name.
//
// Only what the Sentry does is seen: a change a Gofer's host makes outside
// the sandbox reaches no watch.
import {
  IN_ACCESS, IN_ATTRIB, IN_CLOSE_NOWRITE, IN_CLOSE_WRITE, IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_EXCL_UNLINK,
  IN_ISDIR, IN_MODIFY, IN_MOVE_SELF, IN_MOVED_FROM, IN_MOVED_TO, IN_ONESHOT, IN_OPEN, IN_ALL_EVENTS,
} from '../../abi/linux/inotify.js';
import { S_IFDIR } from '../../abi/linux/stat.js';
import type { Dentry } from './dentry.js';
import type { FileDescription } from './file-description.js';
import type { Inode } from './inode.js';

/** Who holds a watch (an inotify instance): it queues the events and hears when a watch ends by itself. */
export interface WatchOwner {
  queueEvent(wd: number, mask: number, cookie: number, name: string): void;
  /** The watch ended without rm_watch (IN_ONESHOT, the inode went): IN_IGNORED was queued. */
  watchEnded(w: Watch): void;
}

export class Watch {
  constructor(readonly owner: WatchOwner, readonly wd: number, readonly file: FileKey, public mask: number) {}
}

/**
 * Which file an inode is: its device and inode numbers. A file system may
 * give one file several Inode objects (the Gofer makes one per name it
 * looks up, so hard links differ); watches are on the file.
 */
export type FileKey = string;

const keys = new WeakMap<Inode, FileKey>();
let unnamed = 0;

/** The inode's file key, asked of the file system once per inode (only while some watch exists). */
export function fileKey(inode: Inode): FileKey {
  let k = keys.get(inode);
  if (k === undefined) {
    const st = inode.stat();
    // An inode that cannot say what it is (its file already gone) is a file of its own.
    k = typeof st === 'number' ? `unnamed:${unnamed++}` : `${st.dev}:${st.ino}`;
    keys.set(inode, k);
  }
  return k;
}

const watchesOf = new Map<FileKey, Set<Watch>>();
let watchCount = 0;
/** The dentry an inode was last named by: where a change made through the inode finds its parent. */
const dentryOf = new WeakMap<Inode, Dentry>();
/** Open files per inode: an inode whose last link goes stays alive (no IN_DELETE_SELF) until they close. */
const openCount = new WeakMap<Inode, number>();
const deletedWhileOpen = new WeakSet<Inode>();
/** Files whose open was reported: only they report their close (an O_PATH file reports neither). */
const reportedOpen = new WeakSet<FileDescription>();
let nextCookie = 1;

export function addWatch(w: Watch): void {
  let set = watchesOf.get(w.file);
  if (set === undefined) watchesOf.set(w.file, set = new Set());
  set.add(w);
  watchCount++;
}

export function removeWatch(w: Watch): void {
  const set = watchesOf.get(w.file);
  if (set === undefined || !set.delete(w)) return;
  watchCount--;
  if (set.size === 0) watchesOf.delete(w.file);
}

/** The watches on the inode's file, or null: the common case, no watch anywhere, costs no stat. */
function watchesOn(inode: Inode): Set<Watch> | null {
  if (watchCount === 0) return null;
  return watchesOf.get(fileKey(inode)) ?? null;
}

/** Records that d names its inode (called for every new dentry). */
export function noteDentry(d: Dentry): void {
  dentryOf.set(d.inode, d);
}

function dirFlag(inode: Inode): number {
  return inode.type === S_IFDIR ? IN_ISDIR : 0;
}

/** Delivers an event to the watches on inode; name is '' for events about the inode itself. */
function deliver(inode: Inode, mask: number, cookie: number, name: string, child: Dentry | null): void {
  const set = watchesOn(inode);
  if (set === null) return;
  for (const w of [...set]) {
    if ((w.mask & mask & IN_ALL_EVENTS) === 0) continue;
    // IN_EXCL_UNLINK: a directory's watch ignores what happens to children that left it.
    if (child !== null && child.unlinked && (w.mask & IN_EXCL_UNLINK)) continue;
    w.owner.queueEvent(w.wd, mask, cookie, name);
    if (w.mask & IN_ONESHOT) endWatch(w);
  }
}

function endWatch(w: Watch): void {
  removeWatch(w);
  w.owner.watchEnded(w);
}

/** An event on a file: to its directory's watches with its name first, then to its own (as Linux orders them). */
function onFile(inode: Inode, d: Dentry | null, mask: number): void {
  mask |= dirFlag(inode);
  const named = d ?? dentryOf.get(inode) ?? null;
  if (named !== null && named.parent !== null && named.inode === inode) deliver(named.parent.inode, mask, 0, named.name, named);
  deliver(inode, mask, 0, '', null);
}

/** The inode is gone (its last link and last user): IN_DELETE_SELF, then every watch ends with IN_IGNORED. */
function inodeGone(inode: Inode): void {
  // Linux reports IN_DELETE_SELF and IN_MOVE_SELF without IN_ISDIR.
  deliver(inode, IN_DELETE_SELF, 0, '', null);
  const set = watchesOn(inode);
  if (set === null) return;
  for (const w of [...set]) endWatch(w);
}

/** Whether the inode has no links left (a failing stat, as of a removed Gofer file, counts as none). */
function noLinks(inode: Inode): boolean {
  if (inode.type === S_IFDIR) return true;
  const st = inode.stat();
  return typeof st === 'number' || st.nlink === 0;
}

function lostName(inode: Inode): void {
  if (watchesOn(inode) === null || !noLinks(inode)) return;
  if ((openCount.get(inode) ?? 0) > 0) deletedWhileOpen.add(inode);
  else inodeGone(inode);
}

// ---- hooks ----

export function notifyCreate(parent: Dentry, name: string, isDir: boolean): void {
  deliver(parent.inode, IN_CREATE | (isDir ? IN_ISDIR : 0), 0, name, null);
}

/** A change to a file's data or attributes (IN_MODIFY, IN_ATTRIB, IN_ACCESS for a lone atime); d: the name it was reached by, if known. */
export function notifyChange(inode: Inode, mask: number, d: Dentry | null = null): void { onFile(inode, d, mask); }

/** A file's link count changed (link, or a rename that replaced it): its own watches hear IN_ATTRIB. */
export function notifyLinkCount(inode: Inode): void { deliver(inode, IN_ATTRIB | dirFlag(inode), 0, '', null); }

/**
 * unlink or rmdir of parent/name, done by the file system; called before
 * the VFS drops victim (whose inode may then forget its file).
 */
export function notifyRemove(parent: Dentry, name: string, victim: Dentry): void {
  const inode = victim.inode;
  const isDir = inode.type === S_IFDIR;
  // A removed link changes the file's link count (fsnotify_link_count).
  if (!isDir) notifyLinkCount(inode);
  lostName(inode);
  deliver(parent.inode, IN_DELETE | (isDir ? IN_ISDIR : 0), 0, name, null);
}

/** One rename (or each half of an exchange): moved went from oldParent/oldName to newParent/newName, replacing target. */
export function notifyMove(oldParent: Dentry, oldName: string, newParent: Dentry, newName: string, moved: Inode, target: Inode | null): void {
  const cookie = nextCookie++ >>> 0;
  const dir = dirFlag(moved);
  deliver(oldParent.inode, IN_MOVED_FROM | dir, cookie, oldName, null);
  deliver(newParent.inode, IN_MOVED_TO | dir, cookie, newName, null);
  if (target !== null && target.type !== S_IFDIR) notifyLinkCount(target);
  deliver(moved, IN_MOVE_SELF, 0, '', null);
}

/** A rename replaced target: it lost that name (after the move's own events, as Linux drops it last; before the VFS drops its dentry). */
export function notifyReplaced(target: Inode): void { lostName(target); }

export function notifyOpen(file: FileDescription): void {
  const d = file.dentry;
  if (d === null) return;
  reportedOpen.add(file);
  openCount.set(d.inode, (openCount.get(d.inode) ?? 0) + 1);
  onFile(d.inode, d, IN_OPEN);
}

export function notifyClose(file: FileDescription): void {
  const d = file.dentry;
  if (d === null || !reportedOpen.has(file)) return;
  reportedOpen.delete(file);
  const left = (openCount.get(d.inode) ?? 1) - 1;
  if (left > 0) openCount.set(d.inode, left);
  else openCount.delete(d.inode);
  onFile(d.inode, d, file.writable ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
  if (left <= 0 && deletedWhileOpen.has(d.inode)) {
    deletedWhileOpen.delete(d.inode);
    inodeGone(d.inode);
  }
}

export function notifyAccess(file: FileDescription): void {
  if (file.dentry !== null) onFile(file.dentry.inode, file.dentry, IN_ACCESS);
}

export function notifyWrite(file: FileDescription): void {
  if (file.dentry !== null) onFile(file.dentry.inode, file.dentry, IN_MODIFY);
}
