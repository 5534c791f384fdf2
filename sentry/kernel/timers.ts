// Kernel timers on the monotonic clock: deadlines in nanoseconds, fired by
// the scheduler when the waker returns or a stop arrives after them.

export interface Timer {
  deadline: number;
  fire: () => void;
  /** Set when cancelled or fired. */
  done: boolean;
}

export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

export class TimerQueue {
  /** Sorted by deadline. */
  private timers: Timer[] = [];

  add(deadline: number, fire: () => void): Timer {
    const t: Timer = { deadline, fire, done: false };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].deadline > deadline) i--;
    this.timers.splice(i, 0, t);
    return t;
  }

  cancel(t: Timer | null): void {
    if (t === null || t.done) return;
    t.done = true;
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** The earliest deadline, or -1. */
  next(): number {
    return this.timers.length > 0 ? this.timers[0].deadline : -1;
  }

  /** Fires every timer whose deadline has passed. */
  fireDue(now = monotonicNs()): void {
    while (this.timers.length > 0 && this.timers[0].deadline <= now) {
      const t = this.timers.shift()!;
      t.done = true;
      t.fire();
    }
  }
}
