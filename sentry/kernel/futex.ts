// Futex wait queues, keyed by the MemoryFile offset of the futex word: the
// same key for every mapping of a shared page, and a private page's key is
// its own. A waiter records whether it was woken, so that the rerun of its
// FUTEX_WAIT returns 0 instead of looking at the word again.
import type { Task } from './task.js';
import { WaitQueue } from './wait-queue.js';

export interface FutexWait {
  key: number;
  bitset: number;
  woken: boolean;
}

export class FutexTable {
  private readonly queues = new Map<number, WaitQueue>();

  queue(key: number): WaitQueue {
    let q = this.queues.get(key);
    if (!q) { q = new WaitQueue(); this.queues.set(key, q); }
    return q;
  }

  private tidy(key: number): void {
    const q = this.queues.get(key);
    if (q && q.size === 0) this.queues.delete(key);
  }

  /** Wakes up to n waiters on key whose bitset intersects bitset. */
  wake(key: number, n: number, bitset = 0xffffffff): number {
    const q = this.queues.get(key);
    if (!q) return 0;
    const woken = q.wake(n, (t) => {
      const w = t.syscallState as FutexWait | null;
      if (w === null || (w.bitset & bitset) === 0) return false;
      w.woken = true;
      return true;
    });
    this.tidy(key);
    return woken;
  }

  /** Wakes nWake waiters on from, moves up to nRequeue more to to. Returns both counts summed. */
  requeue(from: number, to: number, nWake: number, nRequeue: number): number {
    const woken = this.wake(from, nWake);
    const q = this.queues.get(from);
    let moved = 0;
    if (q) {
      const target = this.queue(to);
      for (const t of q.tasks()) {
        if (moved >= nRequeue) break;
        t.moveWait(q, target);
        (t.syscallState as FutexWait).key = to;
        moved++;
      }
      this.tidy(from);
    }
    return woken + moved;
  }

  waiters(key: number): Task[] { return this.queues.get(key)?.tasks() ?? []; }
}
