// BSD whole-file locks, flock(2). A lock belongs to the open file
// description (dup'ed fds and a fork's copies share it) and ends with its
// last reference; it is independent of fcntl's record locks (lock.ts), as
// on Linux. Kept by the Sentry per inode: processes outside the sandbox do
// not see them.
import { E } from '../../abi/linux/errno.js';
import { WaitQueue } from '../kernel/wait-queue.js';

export type FlockType = 'shared' | 'exclusive';

class InodeFlocks {
  readonly holders = new Map<object, FlockType>();
  readonly queue = new WaitQueue();
}

const tables = new WeakMap<object, InodeFlocks>();

function tableOf(key: object): InodeFlocks {
  let t = tables.get(key);
  if (t === undefined) { t = new InodeFlocks(); tables.set(key, t); }
  return t;
}

/**
 * Takes (or converts to) a lock of `type` for `owner` on the file `key`,
 * as flock_lock_inode does: a lock of the other type that the owner holds
 * is dropped first (a conversion is not atomic, so a failed one leaves no
 * lock), then any other owner's conflicting lock answers -EAGAIN.
 */
export function flockTake(key: object, owner: object, type: FlockType): number {
  const t = tableOf(key);
  const held = t.holders.get(owner);
  if (held === type) return 0;
  if (held !== undefined) { t.holders.delete(owner); t.queue.wakeAll(); }
  for (const [other, otherType] of t.holders) {
    if (other !== owner && (type === 'exclusive' || otherType === 'exclusive')) return -E.EAGAIN;
  }
  t.holders.set(owner, type);
  return 0;
}

/** Drops owner's lock on the file, if any (LOCK_UN, or the description's last close). */
export function flockRelease(key: object, owner: object): void {
  const t = tables.get(key);
  if (t === undefined || !t.holders.delete(owner)) return;
  t.queue.wakeAll();
}

/** Where a blocking flock waits for a lock on the file to go. */
export function flockQueue(key: object): WaitQueue {
  return tableOf(key).queue;
}
