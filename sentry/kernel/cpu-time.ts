// CPU time of tasks and thread groups: each task runs its application code
// on one host thread, whose run time the host keeps in /proc/<tid>/schedstat
// (nanoseconds on a CPU), and the Sentry adds the time it spent serving the
// task's system calls (Task.sentryCpuNs), which Linux would count as the
// task's system time. The host's ptrace switches between the two are not
// counted. A group's time includes its exited threads', as Linux's
// signal_struct keeps it.
import { readFileSync } from 'node:fs';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

/**
 * What was last read for each task. exec moves a task to a new host thread,
 * whose count starts again at 0: the old thread's total becomes the base.
 */
interface Reading { hostTid: number; base: number; last: number }
const readings = new WeakMap<Task, Reading>();
/** CPU time of a group's threads that have exited. */
const exitedTime = new WeakMap<ThreadGroup, number>();

function hostThreadNs(hostTid: number): number | null {
  try {
    const text = readFileSync(`/proc/${hostTid}/schedstat`, 'latin1');
    const ns = Number(text.slice(0, text.indexOf(' ')));
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}

/** Nanoseconds task t has run application code (never decreasing). */
export function taskCpuNs(t: Task): number {
  let r = readings.get(t);
  if (r === undefined) { r = { hostTid: t.thread.hostTid, base: 0, last: 0 }; readings.set(t, r); }
  if (t.state === 'dead') return r.base + r.last + t.sentryCpuNs;
  if (r.hostTid !== t.thread.hostTid) { r.base += r.last; r.last = 0; r.hostTid = t.thread.hostTid; }
  const now = hostThreadNs(r.hostTid);
  if (now !== null && now > r.last) r.last = now;
  return r.base + r.last + t.sentryCpuNs;
}

/** Nanoseconds the whole group has run, its exited threads included. */
export function groupCpuNs(tg: ThreadGroup): number {
  let sum = exitedTime.get(tg) ?? 0;
  for (const t of tg.tasks) sum += taskCpuNs(t);
  return sum;
}

/** Called as a task leaves its group, while its host thread still exists. */
export function accountExit(t: Task): void {
  const ns = taskCpuNs(t);
  exitedTime.set(t.tg, (exitedTime.get(t.tg) ?? 0) + ns);
}
