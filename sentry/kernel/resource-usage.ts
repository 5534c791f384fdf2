// Resource usage for getrusage, times and wait4: the host's counts for the
// stub threads (host-accounting.ts), summed as Linux sums them. A thread's
// counts move into its process's total when the thread exits (or leaves
// its stub at exec); a process's total, with its own children's, moves
// into its parent's children total when the parent reaps it.
import { readFileSync } from 'node:fs';
import type { StubProcess } from '../../platform/ptrace/stub-process.js';
import { addUsage, NO_USAGE, threadUsage, type ThreadUsage } from './host-accounting.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

export interface Usage extends ThreadUsage {
  /** Peak resident set in KiB. */
  maxRssKb: number;
}

interface GroupUsage {
  /** Threads that are gone. */
  exited: Usage;
  /** Reaped children and their reaped children. */
  children: Usage;
}

const byGroup = new WeakMap<ThreadGroup, GroupUsage>();

function zero(): Usage { return { ...NO_USAGE, maxRssKb: 0 }; }

function groupUsage(tg: ThreadGroup): GroupUsage {
  let g = byGroup.get(tg);
  if (g === undefined) { g = { exited: zero(), children: zero() }; byGroup.set(tg, g); }
  return g;
}

/** VmHWM of t's stub process: the peak of application pages it has had mapped and touched. */
function peakRssKb(t: Task): number {
  const pid = (t.mm.backend as StubProcess).hostPid(t.thread);
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** t's thread is about to go (exit, or exec leaving its old stub): keep its counts. */
export function recordThreadExit(t: Task): void {
  const g = groupUsage(t.tg);
  addUsage(g.exited, threadUsage(t));
  g.exited.maxRssKb = Math.max(g.exited.maxRssKb, peakRssKb(t));
}

/** The parent reaps tg: its totals join the parent's children total. */
export function recordReap(tg: ThreadGroup): void {
  if (tg.parent === null) return;
  const total = groupTotal(tg);
  const into = groupUsage(tg.parent).children;
  addUsage(into, total);
  into.maxRssKb = Math.max(into.maxRssKb, total.maxRssKb);
}

/** RUSAGE_SELF: live threads and exited ones. */
export function selfUsage(tg: ThreadGroup): Usage {
  const u = zero();
  const g = groupUsage(tg);
  addUsage(u, g.exited);
  u.maxRssKb = g.exited.maxRssKb;
  for (const t of tg.tasks) {
    addUsage(u, threadUsage(t));
    u.maxRssKb = Math.max(u.maxRssKb, peakRssKb(t));
  }
  return u;
}

export function childrenUsage(tg: ThreadGroup): Usage { return { ...groupUsage(tg).children }; }

export function threadOnlyUsage(t: Task): Usage { return { ...threadUsage(t), maxRssKb: peakRssKb(t) }; }

/** RUSAGE_BOTH: what wait4 reports for a reaped child. */
export function groupTotal(tg: ThreadGroup): Usage {
  const u = selfUsage(tg);
  const c = groupUsage(tg).children;
  addUsage(u, c);
  u.maxRssKb = Math.max(u.maxRssKb, c.maxRssKb);
  return u;
}

export const RUSAGE_SIZE = 144;

/** struct rusage: two timevals, then fourteen longs. */
export function encodeRusage(u: Usage): Uint8Array {
  const b = new Uint8Array(RUSAGE_SIZE), dv = new DataView(b.buffer);
  const timeval = (off: number, ns: number): void => {
    const us = Math.floor(ns / 1000);
    dv.setBigInt64(off, BigInt(Math.floor(us / 1e6)), true);
    dv.setBigInt64(off + 8, BigInt(us % 1e6), true);
  };
  timeval(0, u.userNs);
  timeval(16, u.systemNs);
  dv.setBigInt64(32, BigInt(u.maxRssKb), true);
  dv.setBigInt64(64, BigInt(u.minorFaults), true);
  dv.setBigInt64(72, BigInt(u.majorFaults), true);
  return b;
}
