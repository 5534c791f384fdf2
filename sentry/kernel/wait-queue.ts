// Wait queues: where a task that cannot finish its syscall yet parks until a
// waker fires. Waking makes the task rerun the syscall from the start.
import type { Task } from './task.js';

export class WaitQueue {
  private readonly waiters = new Set<Task>();

  add(t: Task): void { this.waiters.add(t); }
  remove(t: Task): void { this.waiters.delete(t); }
  get size(): number { return this.waiters.size; }

  /** Wakes every waiter. */
  wakeAll(): void {
    if (this.waiters.size === 0) return;
    for (const t of [...this.waiters]) t.wake('event');
  }

  /** Wakes at most n waiters (in arrival order); returns how many. */
  wake(n: number, filter?: (t: Task) => boolean): number {
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
