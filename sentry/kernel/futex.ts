// Futex wait queues under Linux's two kinds of key. A private futex
// (FUTEX_PRIVATE_FLAG) is named by its address space and virtual address,
// so it never meets a waiter in another process, even on a shared page. A
// shared futex is named by the MemoryFile offset of its word: every
// mapping of a shared page (another process's, another address) gives the
// same key, and a private page's offset is its own. The two kinds never
// match each other, as in Linux. A waiter records whether it was woken, so
// that the rerun of its FUTEX_WAIT returns 0 instead of looking at the word
// again.
import type { AddressSpace } from '../mm/address-space.js';
import type { Task } from './task.js';
import { WaitQueue } from './wait-queue.js';

/** The address space of a private futex (its key is the address); null for a shared one (its key is the MemoryFile offset). */
export type FutexScope = AddressSpace | null;

export interface FutexWait {
  key: number;
  bitset: number;
  woken: boolean;
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

  /** Wakes up to n waiters on key whose bitset intersects bitset. */
  wake(scope: FutexScope, key: number, n: number, bitset = 0xffffffff): number {
    const qs = this.queues(scope);
    const q = qs?.get(key);
    if (!qs || !q) return 0;
    const woken = q.wake(n, (t) => {
      const w = t.syscallState as FutexWait | null;
      if (w === null || (w.bitset & bitset) === 0) return false;
      w.woken = true;
      return true;
    });
    this.tidy(qs, key);
    return woken;
  }

  /** Wakes nWake waiters on from, moves up to nRequeue more to to (same scope). Returns both counts summed. */
  requeue(scope: FutexScope, from: number, to: number, nWake: number, nRequeue: number): number {
    const woken = this.wake(scope, from, nWake);
    const qs = this.queues(scope);
    const q = qs?.get(from);
    let moved = 0;
    if (qs && q) {
      const target = this.queue(scope, to);
      for (const t of q.tasks()) {
        if (moved >= nRequeue) break;
        t.moveWait(q, target);
        (t.syscallState as FutexWait).key = to;
        moved++;
      }
      this.tidy(qs, from);
    }
    return woken + moved;
  }

  waiters(scope: FutexScope, key: number): Task[] { return this.queues(scope)?.get(key)?.tasks() ?? []; }
}
