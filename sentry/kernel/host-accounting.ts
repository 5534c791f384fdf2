// What the host kernel counts for a task's stub thread: CPU time, page
// faults, the CPU it last ran on. The application's code runs on that
// thread, so its user time is the application's own; its system time is
// the host kernel's work for the thread (page faults, the stub's injected
// calls), not the Sentry's time serving system calls, which the Sentry's
// own process accounts. Read from /proc/<pid>/task/<tid>/stat, one small
// read per query.
import { readFileSync } from 'node:fs';
import type { StubProcess } from '../../platform/ptrace/stub-process.js';
import type { Task } from './task.js';

/** USER_HZ: /proc reports times in these ticks. */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ThreadUsage {
  userNs: number;
  systemNs: number;
  minorFaults: number;
  majorFaults: number;
}

export const NO_USAGE: Readonly<ThreadUsage> = Object.freeze({ userNs: 0, systemNs: 0, minorFaults: 0, majorFaults: 0 });

export function addUsage(into: ThreadUsage, u: Readonly<ThreadUsage>): void {
  into.userNs += u.userNs;
  into.systemNs += u.systemNs;
  into.minorFaults += u.minorFaults;
  into.majorFaults += u.majorFaults;
}

/** The fields after "(comm)" of the stub thread's stat line, or null if it is gone. */
function statFields(t: Task): string[] | null {
  const thread = t.thread;
  const pid = (t.mm.backend as StubProcess).hostPid(thread);
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/task/${thread.hostTid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  return line.slice(line.lastIndexOf(')') + 2).split(' ');
}

const TICK_NS = 1e9 / CLOCK_TICKS_PER_SECOND;

/** The host's counts for t's stub thread so far; zeros if the thread is gone. */
export function threadUsage(t: Task): ThreadUsage {
  const f = statFields(t);
  if (f === null) return { ...NO_USAGE };
  // stat(5) fields, numbered from 1 (pid): minflt 10, majflt 12, utime 14, stime 15; f[0] is field 3.
  return { minorFaults: Number(f[7]), majorFaults: Number(f[9]), userNs: Number(f[11]) * TICK_NS, systemNs: Number(f[12]) * TICK_NS };
}

/** The host CPU the stub thread last ran on (stat field 39), or 0 if unknown. */
export function lastCpu(t: Task): number {
  const f = statFields(t);
  return f === null ? 0 : Number(f[36]) || 0;
}
