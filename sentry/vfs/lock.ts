// Advisory record locks: fcntl's F_SETLK/F_SETLKW/F_GETLK and their OFD
// forms. The Sentry keeps them itself, per file, as gVisor does: a process
// outside the sandbox does not see them, nor they its locks.
//
// Owners are Linux's: a POSIX lock belongs to the fd table that set it
// (files_struct; threads sharing the table share the locks, a fork's copy
// does not), and any close of an fd of the file by that table drops all
// its locks on the file. An OFD lock belongs to the open file description
// and goes with its last reference.
import { WaitQueue } from '../kernel/wait-queue.js';
import { F_RDLCK, F_UNLCK, F_WRLCK } from '../../abi/linux/fcntl.js';

/** The end of a lock "to end of file": Linux's OFFSET_MAX. */
export const OFFSET_MAX = Number.MAX_SAFE_INTEGER;

export interface RecordLock {
  /** First byte. */
  start: number;
  /** Last byte, inclusive (OFFSET_MAX: to end of file, however it grows). */
  end: number;
  type: typeof F_RDLCK | typeof F_WRLCK;
  /** The fd table (POSIX) or the file description (OFD). */
  owner: object;
  /** F_GETLK's l_pid: the owner's thread group id, -1 for OFD locks. */
  pid: number;
}

/** The locks on one file, and where F_SETLKW waits for them to change. */
class FileLocks {
  locks: RecordLock[] = [];
  readonly queue = new WaitQueue();
}

/** Files are their inodes (or, for a file with no inode of ours, its description). */
const tables = new WeakMap<object, FileLocks>();

/** The object a file description's locks hang on. */
export function lockKey(file: { dentry: { inode: object } | null }): object {
  return file.dentry?.inode ?? file;
}

function tableOf(file: object, create: boolean): FileLocks | null {
  let t = tables.get(file) ?? null;
  if (t === null && create) { t = new FileLocks(); tables.set(file, t); }
  return t;
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** The first lock of another owner that keeps `want` from being taken. */
export function findConflict(file: object, want: Omit<RecordLock, 'pid'>): RecordLock | null {
  const t = tableOf(file, false);
  if (t === null) return null;
  for (const l of t.locks) {
    if (l.owner === want.owner || !overlaps(l, want)) continue;
    if (l.type === F_WRLCK || want.type === F_WRLCK) return l;
  }
  return null;
}

/**
 * Sets (or, for F_UNLCK, clears) the owner's lock on [start, end): the
 * owner's old locks there are replaced, split where they stick out, and
 * merged with a neighbour of the same type. The caller has checked for
 * conflicts. Wakes waiters when anything was released.
 */
export function setLock(file: object, want: { start: number; end: number; type: number; owner: object; pid: number }): void {
  const t = tableOf(file, want.type !== F_UNLCK);
  if (t === null) return;
  const kept: RecordLock[] = [];
  let released = false;
  for (const l of t.locks) {
    if (l.owner !== want.owner || !overlaps(l, want)) { kept.push(l); continue; }
    if (l.type !== want.type) released = true;
    if (l.start < want.start) kept.push({ ...l, end: want.start - 1 });
    if (l.end > want.end) kept.push({ ...l, start: want.end + 1 });
  }
  if (want.type !== F_UNLCK) {
    let lock: RecordLock = { start: want.start, end: want.end, type: want.type as RecordLock['type'], owner: want.owner, pid: want.pid };
    // Merge with touching locks of the same owner and type.
    for (let i = kept.length - 1; i >= 0; i--) {
      const l = kept[i];
      if (l.owner !== lock.owner || l.type !== lock.type) continue;
      if (l.end + 1 === lock.start || (lock.end !== OFFSET_MAX && lock.end + 1 === l.start)) {
        lock = { ...lock, start: Math.min(l.start, lock.start), end: Math.max(l.end, lock.end) };
        kept.splice(i, 1);
      }
    }
    kept.push(lock);
  } else {
    released = true;
  }
  t.locks = kept.sort((a, b) => a.start - b.start);
  if (released) t.queue.wakeAll();
}

/** Drops every lock `owner` holds on the file (a close, for POSIX locks; the last reference, for OFD ones). */
export function releaseLocks(file: object, owner: object): void {
  const t = tableOf(file, false);
  if (t === null) return;
  const before = t.locks.length;
  t.locks = t.locks.filter((l) => l.owner !== owner);
  if (t.locks.length !== before) t.queue.wakeAll();
}

/** Where F_SETLKW waits on this file. */
export function lockQueue(file: object): WaitQueue {
  return tableOf(file, true)!.queue;
}

/**
 * POSIX deadlock detection, as Linux does it: `owner` would wait for
 * `holder`; if `holder` is itself waiting for a lock `owner` holds
 * (directly or through a chain of waiting owners), the wait would never end.
 */
const waitingFor = new Map<object, { holder: object; stillWaiting: () => boolean }>();

/** Linux gives up after this many links (MAX_DEADLK_ITERATIONS). */
const MAX_DEADLOCK_CHAIN = 10;

export function wouldDeadlock(owner: object, holder: object): boolean {
  let h: object | undefined = holder;
  for (let i = 0; h !== undefined && i < MAX_DEADLOCK_CHAIN; i++) {
    if (h === owner) return true;
    const w = waitingFor.get(h);
    h = w !== undefined && w.stillWaiting() ? w.holder : undefined;
  }
  return false;
}

/** Records that owner waits for holder's lock (stillWaiting says whether it still does), or, with null, that it does not. */
export function noteWaiting(owner: object, holder: object | null, stillWaiting: () => boolean = () => true): void {
  if (holder === null) waitingFor.delete(owner);
  else waitingFor.set(owner, { holder, stillWaiting });
}
