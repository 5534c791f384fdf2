// What a task carries for the scheduler and the I/O scheduler: policy and
// real-time priority, nice, CPU affinity, I/O priority, and the personality.
// They are kept and reported, and inherited across fork as Linux does;
// only affinity acts on the host (the stub thread is pinned), the rest does
// not change how the host schedules the stub threads.
import { availableParallelism } from 'node:os';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

export const SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6, SCHED_EXT = 7;
export const SCHED_RESET_ON_FORK = 0x40000000;

export interface SchedAttributes {
  policy: number;
  /** sched_priority: 1..99 for FIFO and RR, 0 otherwise. */
  priority: number;
  resetOnFork: boolean;
  /** CPU affinity: bit i set for CPU i. */
  affinity: bigint;
  /** ioprio_set's value; 0 is IOPRIO_CLASS_NONE (follow the nice value). */
  ioprio: number;
  personality: number;
}

/** The CPUs the sandbox can use: those of the host (at most 64). */
export const ONLINE_CPUS = Math.min(64, availableParallelism());
export const ALL_CPUS = (1n << BigInt(ONLINE_CPUS)) - 1n;

const byTask = new WeakMap<Task, SchedAttributes>();
/** nice is kept per process, as setpriority(PRIO_PROCESS) treats it here. */
const niceByGroup = new WeakMap<ThreadGroup, number>();

export function schedOf(t: Task): SchedAttributes {
  let a = byTask.get(t);
  if (a === undefined) {
    a = { policy: SCHED_OTHER, priority: 0, resetOnFork: false, affinity: ALL_CPUS, ioprio: 0, personality: 0 };
    byTask.set(t, a);
  }
  return a;
}

/** Pins t's stub thread to the CPUs in mask, so that affinity is real. Returns 0 or -errno. */
export function pinToCpus(t: Task, mask: bigint): number {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, mask, true);
  return t.thread.pin(bytes);
}

/** exec moved t to a new stub thread, which starts on every CPU: pin it as before. */
export function keepPinning(t: Task): void {
  const a = byTask.get(t);
  if (a !== undefined && a.affinity !== ALL_CPUS) pinToCpus(t, a.affinity);
}

export function isRealtime(policy: number): boolean { return policy === SCHED_FIFO || policy === SCHED_RR; }

export function niceOf(tg: ThreadGroup): number { return niceByGroup.get(tg) ?? 0; }
export function setNice(tg: ThreadGroup, nice: number): void { niceByGroup.set(tg, nice); }

/**
 * fork/clone: the child starts with the parent's attributes. With
 * SCHED_RESET_ON_FORK a real-time policy becomes SCHED_OTHER, a negative
 * nice becomes 0, and the flag itself is not inherited.
 */
export function inheritSchedAttributes(parent: Task, child: Task, newProcess: boolean): void {
  const p = byTask.get(parent);
  if (p !== undefined) {
    const c = { ...p };
    if (p.resetOnFork) {
      c.resetOnFork = false;
      if (isRealtime(p.policy) || p.policy === SCHED_DEADLINE) { c.policy = SCHED_OTHER; c.priority = 0; }
    }
    byTask.set(child, c);
    // A new stub process starts on every CPU; a new stub thread inherits its creator's pinning already.
    if (c.affinity !== ALL_CPUS) pinToCpus(child, c.affinity);
  }
  if (newProcess) {
    const nice = niceOf(parent.tg);
    setNice(child.tg, p?.resetOnFork && nice < 0 ? 0 : nice);
  }
}
