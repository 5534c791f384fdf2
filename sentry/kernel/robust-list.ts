// Robust futex lists (set_robust_list): at a thread's death, each lock it
// held gets FUTEX_OWNER_DIED and one waiter is woken, as Linux's
// exit_robust_list. The list lives in application memory:
//
//   struct robust_list_head { next; long futex_offset; list_op_pending; }
//
// Each entry is the address of a `struct robust_list` inside a lock, with
// bit 0 set for a PI lock; the lock word is at entry + futex_offset, and
// futex_offset is signed (glibc's is negative: the word precedes the list
// node in pthread_mutex_t). list_op_pending names a lock being taken or
// released when the thread died, which may or may not be on the list yet.
import type { FutexScope, FutexWait } from './futex.js';
import type { Task } from './task.js';

const FUTEX_WAITERS = 0x80000000;
const FUTEX_OWNER_DIED = 0x40000000;
const FUTEX_TID_MASK = 0x3fffffff;
/** Linux's ROBUST_LIST_LIMIT: a corrupt (circular) list cannot keep an exit busy forever. */
const ROBUST_LIST_LIMIT = 2048;

/** The Sentry is one thread: one scratch buffer serves every walk. */
const scratch = new Uint8Array(8);
const scratchView = new DataView(scratch.buffer);

/**
 * Reads a user pointer at addr: its address with bit 0 cleared and that
 * bit (the PI flag of a list entry), or null when it cannot be read.
 * Addresses are compared and offset as numbers: user addresses are below
 * 2^47, so they are exact; a corrupt value above 2^53 only fails to read.
 */
function readEntry(t: Task, addr: number): { addr: number; pi: boolean } | null {
  if (t.mm.copyInFull(addr, scratch) < 0) return null;
  const value = scratchView.getUint32(4, true) * 2 ** 32 + scratchView.getUint32(0, true);
  // Not `value & ~1`: bitwise operators would cut the address to 32 bits.
  const pi = value % 2 === 1;
  return { addr: pi ? value - 1 : value, pi };
}

/** head->futex_offset, a signed long: read as signed, since a negative one as unsigned is 2^64 - n, past a double's precision. */
function readFutexOffset(t: Task, addr: number): number | null {
  if (t.mm.copyInFull(addr, scratch) < 0) return null;
  return scratchView.getInt32(4, true) * 2 ** 32 + scratchView.getUint32(0, true);
}

/**
 * One lock of the dying thread t, Linux's handle_futex_death. A word whose
 * owner bits are t's tid gets FUTEX_OWNER_DIED (FUTEX_WAITERS kept, owner
 * cleared) and, if it had waiters, one of them is woken to take it over.
 * The pending lock of a non-PI mutex whose owner bits are 0 (t died after
 * unlocking it in user space but before its FUTEX_WAKE, or after being
 * woken but before taking it) gets the wake-up t owed, and no mark.
 * Returns false when the word cannot be read (the walk stops, as Linux's).
 */
function handleDeath(t: Task, word: number, pi: boolean, pending: boolean): boolean {
  if (word % 4 !== 0) return false;
  const cur = t.mm.readU32(word);
  if (cur === null) return false;
  const owner = cur & FUTEX_TID_MASK;
  if (pending && !pi && owner === 0) {
    wakeOne(t, word, false);
    return true;
  }
  if (owner !== t.tid) return true;
  if (t.mm.writeU32(word, ((cur & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0) < 0) return false;
  if ((cur & FUTEX_WAITERS) !== 0) wakeOne(t, word, pi);
  return true;
}

/**
 * Wakes one waiter on word. A non-PI lock's wake is shared, as Linux's:
 * glibc waits on every robust non-PI lock with a shared key for this
 * reason (its PTHREAD_ROBUST_MUTEX_PSHARED), so the waiter may be in
 * another process that maps the same page. A PI lock's waiter is reached
 * in Linux through the lock's pi_state, whatever its key; here it is the
 * first PI waiter under the shared key, else under the private key of t's
 * address space (a process-private PI mutex), and its rerun of
 * FUTEX_LOCK_PI takes the lock with FUTEX_OWNER_DIED still set.
 */
function wakeOne(t: Task, word: number, pi: boolean): void {
  const futexes = t.kernel.futexes;
  const key = t.mm.futexKey(word);
  if (!pi) {
    if (key >= 0) futexes.wake(null, key, 1);
    return;
  }
  const scopes: Array<[FutexScope, number]> = key >= 0 ? [[null, key], [t.mm, word]] : [[t.mm, word]];
  for (const [scope, k] of scopes) {
    const waiter = futexes.waiters(scope, k).find((w) => (w.syscallState as FutexWait).kind === 'pi');
    if (waiter !== undefined) { futexes.wakeWaiter(scope, k, waiter); return; }
  }
}

/** Robust futexes at thread death (exit, exit_group, a fatal signal): walks t's list while its address space is still there. */
export function releaseRobustList(t: Task): void {
  const head = t.robustList;
  if (head === 0) return;
  let entry = readEntry(t, head);
  const futexOffset = readFutexOffset(t, head + 8);
  const pending = readEntry(t, head + 16);
  if (entry === null || futexOffset === null || pending === null) return;
  for (let limit = ROBUST_LIST_LIMIT; entry.addr !== head && limit > 0; limit--) {
    const next = readEntry(t, entry.addr);
    // The pending lock is handled once, below, with the pending rules.
    if (entry.addr !== pending.addr && !handleDeath(t, entry.addr + futexOffset, entry.pi, false)) return;
    if (next === null) return;
    entry = next;
  }
  if (pending.addr !== 0) handleDeath(t, pending.addr + futexOffset, pending.pi, true);
}
