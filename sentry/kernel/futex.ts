// Futex wait queues under Linux's two kinds of key. A private futex
// (FUTEX_PRIVATE_FLAG) is named by its address space and virtual address,
// so it never meets a waiter in another process, even on a shared page. A
// shared futex is named by the MemoryFile offset of its word: every
// mapping of a shared page (another process's, another address) gives the
// same key, and a private page's offset is its own. The two kinds never
// match each other, as in Linux. A waiter records whether it was woken, so
// that the rerun of its FUTEX_WAIT returns 0 instead of looking at the word
// again.
//
// Waiters come in Linux's three kinds (its futex_q): a plain FUTEX_WAIT,
// a PI waiter (FUTEX_LOCK_PI, or a FUTEX_WAIT_REQUEUE_PI waiter moved onto
// its PI futex: Linux's q.pi_state), and a FUTEX_WAIT_REQUEUE_PI waiter
// still on its first futex (Linux's q.rt_waiter), which only
// FUTEX_CMP_REQUEUE_PI may move. A plain wake or requeue that meets one of
// the last two stops there with EINVAL, as Linux's does; the PI paths hand
// the lock to a waiter with wakeWaiter.
import { E } from '../../abi/linux/errno.js';
import type { AddressSpace } from '../mm/address-space.js';
import type { Task } from './task.js';
import { WaitQueue } from './wait-queue.js';

/** The address space of a private futex (its key is the address); null for a shared one (its key is the MemoryFile offset). */
export type FutexScope = AddressSpace | null;

export type FutexWaiterKind = 'plain' | 'pi' | 'requeuePi';

export interface FutexWait {
  key: number;
  bitset: number;
  woken: boolean;
  kind: FutexWaiterKind;
  /** For a 'requeuePi' waiter: the key of the PI futex it named (FUTEX_CMP_REQUEUE_PI must name the same); -1 otherwise. */
  requeueTo: number;
}

export class FutexTable {
  private readonly shared = new Map<number, WaitQueue>();
  // Weak: an address space that goes away takes its (empty) private queues with it.
  private readonly privates = new WeakMap<AddressSpace, Map<number, WaitQueue>>();

  private queues(scope: FutexScope): Map<number, WaitQueue> | undefined {
    return scope === null ? this.shared : this.privates.get(scope);
  }

  queue(scope: FutexScope, key: number): WaitQueue {
    let qs = this.queues(scope);
    if (!qs) { qs = new Map(); this.privates.set(scope as AddressSpace, qs); }
    let q = qs.get(key);
    if (!q) { q = new WaitQueue(); qs.set(key, q); }
    return q;
  }

  private tidy(qs: Map<number, WaitQueue>, key: number): void {
    const q = qs.get(key);
    if (q && q.size === 0) qs.delete(key);
  }

  /**
   * Wakes up to n plain waiters on key whose bitset intersects bitset, in
   * arrival order: Linux's futex_wake. Meeting a PI or requeue-PI waiter
   * first ends it with -EINVAL (those woken before it stay woken).
   */
  wake(scope: FutexScope, key: number, n: number, bitset = 0xffffffff): number {
    const qs = this.queues(scope);
    const q = qs?.get(key);
    if (!qs || !q) return 0;
    let woken = 0;
    for (const t of q.tasks()) {
      if (woken >= n) break;
      const w = t.syscallState as FutexWait;
      if (w.kind !== 'plain') { woken = -E.EINVAL; break; }
      if ((w.bitset & bitset) === 0) continue;
      w.woken = true;
      t.wake('event');
      woken++;
    }
    this.tidy(qs, key);
    return woken;
  }

  /** Wakes one waiter on key, of any kind (a PI hand-off, a lock taken for it by a requeue), telling its rerun so. */
  wakeWaiter(scope: FutexScope, key: number, t: Task): void {
    (t.syscallState as FutexWait).woken = true;
    t.wake('event');
    const qs = this.queues(scope);
    if (qs) this.tidy(qs, key);
  }

  /**
   * Wakes nWake plain waiters on from and moves up to nRequeue more to to
   * (same scope), in arrival order, as Linux's futex_requeue. Returns both
   * counts summed, or -EINVAL on meeting a PI or requeue-PI waiter (what was
   * done before it stays done).
   */
  requeue(scope: FutexScope, from: number, to: number, nWake: number, nRequeue: number): number {
    const qs = this.queues(scope);
    const q = qs?.get(from);
    if (!qs || !q) return 0;
    let count = 0;
    for (const t of q.tasks()) {
      if (count - nWake >= nRequeue) break;
      const w = t.syscallState as FutexWait;
      if (w.kind !== 'plain') { count = -E.EINVAL; break; }
      if (++count <= nWake) {
        w.woken = true;
        t.wake('event');
      } else {
        t.moveWait(q, this.queue(scope, to));
        w.key = to;
      }
    }
    this.tidy(qs, from);
    return count;
  }

  /**
   * Moves a requeue-PI waiter from its first futex onto the PI futex to,
   * where it waits as a FUTEX_LOCK_PI caller would (FUTEX_CMP_REQUEUE_PI).
   * A signal now ends its wait with EAGAIN, not a restart, as Linux's
   * (its FUTEX_WAIT_REQUEUE_PI cannot be rerun once requeued).
   */
  moveToPi(scope: FutexScope, from: number, to: number, t: Task, restartCode: number): void {
    const qs = this.queues(scope);
    const q = qs?.get(from);
    if (!qs || !q) return;
    const w = t.syscallState as FutexWait;
    t.moveWait(q, this.queue(scope, to));
    w.key = to;
    w.kind = 'pi';
    t.restartCode = restartCode;
    this.tidy(qs, from);
  }

  waiters(scope: FutexScope, key: number): Task[] { return this.queues(scope)?.get(key)?.tasks() ?? []; }
}
