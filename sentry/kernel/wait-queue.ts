// Wait queues: where a task that cannot finish its syscall yet parks until a
// waker fires. Waking makes the task rerun the syscall from the start.
import type { Task } from './task.js';

export class WaitQueue {
  private readonly waiters = new Set<Task>();
  /** Counts wake-ups: epoll's edge-triggered mode reports an item again only after one. */
  generation = 0;

  add(t: Task): void { this.waiters.add(t); }
  remove(t: Task): void { this.waiters.delete(t); }
  get size(): number { return this.waiters.size; }

  /** Wakes every waiter. */
  wakeAll(): void {
    this.generation++;
    if (this.waiters.size === 0) return;
    for (const t of [...this.waiters]) t.wake('event');
  }

  /** Wakes at most n waiters (in arrival order); returns how many. */
  wake(n: number, filter?: (t: Task) => boolean): number {
    this.generation++;
    let woken = 0;
    for (const t of [...this.waiters]) {
      if (woken >= n) break;
      if (filter && !filter(t)) continue;
      t.wake('event');
      woken++;
    }
    return woken;
  }

  tasks(): Task[] { return [...this.waiters]; }
}
