// The scheduler interface: policies and priorities, sched_attr, affinity,
// getcpu, ioprio. The values are the task's (sentry/kernel/sched-attributes.ts);
// affinity also pins the stub thread on the host, so it is real.
import { E } from '../abi/linux/errno.js';
import { lastCpu } from '../sentry/kernel/host-accounting.js';
import {
  ALL_CPUS, ONLINE_CPUS, isRealtime, niceOf, pinToCpus, schedOf, setNice, SCHED_BATCH, SCHED_DEADLINE, SCHED_EXT, SCHED_FIFO, SCHED_IDLE, SCHED_OTHER,
  SCHED_RESET_ON_FORK, SCHED_RR,
} from '../sentry/kernel/sched-attributes.js';
import type { Task } from '../sentry/kernel/task.js';
import type { ThreadGroup } from '../sentry/kernel/thread-group.js';
import { sys, type SyscallGroup } from './types.js';

const MAX_RT_PRIO = 100;
/** sched_setparam: keep the policy. */
const KEEP_POLICY = -1;
const SCHED_ATTR_SIZE_VER0 = 48, SCHED_ATTR_SIZE_VER1 = 56;
const PAGE_SIZE = 4096;
const SCHED_FLAG_RESET_ON_FORK = 0x01, SCHED_FLAG_KEEP_POLICY = 0x08, SCHED_FLAG_KEEP_PARAMS = 0x10, SCHED_FLAG_UTIL_CLAMP = 0x60;
const SCHED_FLAG_ALL = 0x7f;
/** RR_TIMESLICE: 100 ms. */
const RR_TIMESLICE_NS = 100_000_000;
const MIN_NICE = -20, MAX_NICE = 19;

function validPolicy(p: number): boolean {
  return p === SCHED_OTHER || p === SCHED_FIFO || p === SCHED_RR || p === SCHED_BATCH || p === SCHED_IDLE || p === SCHED_DEADLINE || p === SCHED_EXT;
}

/** The task a pid names: 0 is the caller; pids are thread ids, as in Linux. */
function targetOf(t: Task, pid: number): Task | null {
  if (pid === 0) return t;
  const target = t.kernel.tasks.get(pid);
  return target !== undefined && target.state !== 'dead' ? target : null;
}

/** check_same_owner, or CAP_SYS_NICE (root). */
function mayChange(t: Task, target: Task): boolean {
  const c = t.creds;
  return c.euid === 0 || c.euid === target.creds.euid || c.euid === target.creds.uid;
}

interface SchedChange { policy: number; priority: number; resetOnFork: boolean; nice: number | null; keepParams: boolean }

/** __sched_setscheduler's checks and the change itself. */
function setScheduler(t: Task, target: Task, ch: SchedChange): number {
  const a = schedOf(target);
  const policy = ch.policy === KEEP_POLICY ? a.policy : ch.policy;
  if (!validPolicy(policy)) return -E.EINVAL;
  const priority = ch.keepParams ? a.priority : ch.priority;
  if (priority < 0 || priority > MAX_RT_PRIO - 1) return -E.EINVAL;
  // A deadline task needs runtime, deadline and period, which the sandbox does not schedule.
  if (policy === SCHED_DEADLINE) return -E.EINVAL;
  if (isRealtime(policy) !== (priority !== 0)) return -E.EINVAL;
  if (!mayChange(t, target)) return -E.EPERM;
  if (t.creds.euid !== 0) {
    // Without CAP_SYS_NICE: no real-time policy (RLIMIT_RTPRIO is 0), no lower nice, and SCHED_RESET_ON_FORK stays.
    if (isRealtime(policy) && (!isRealtime(a.policy) || priority > a.priority)) return -E.EPERM;
    if (a.resetOnFork && !ch.resetOnFork) return -E.EPERM;
    if (ch.nice !== null && ch.nice < niceOf(target.tg)) return -E.EPERM;
  }
  a.policy = policy;
  a.priority = priority;
  a.resetOnFork = ch.resetOnFork;
  if (ch.nice !== null && !isRealtime(policy)) setNice(target.tg, ch.nice);
  return 0;
}

function schedSetscheduler(t: Task, pid: number, policyArg: number, paramAddr: number): number {
  if (policyArg < 0 && policyArg !== KEEP_POLICY) return -E.EINVAL;
  if (paramAddr === 0 || pid < 0) return -E.EINVAL;
  const priority = t.mm.readU32(paramAddr);
  if (priority === null) return -E.EFAULT;
  const target = targetOf(t, pid);
  if (target === null) return -E.ESRCH;
  const resetOnFork = policyArg === KEEP_POLICY ? schedOf(target).resetOnFork : (policyArg & SCHED_RESET_ON_FORK) !== 0;
  const policy = policyArg === KEEP_POLICY ? KEEP_POLICY : policyArg & ~SCHED_RESET_ON_FORK;
  return setScheduler(t, target, { policy, priority: priority | 0, resetOnFork, nice: null, keepParams: false });
}

function schedGetscheduler(t: Task): number {
  const pid = t.argInt(0);
  if (pid < 0) return -E.EINVAL;
  const target = targetOf(t, pid);
  if (target === null) return -E.ESRCH;
  const a = schedOf(target);
  return a.policy | (a.resetOnFork ? SCHED_RESET_ON_FORK : 0);
}

function schedGetparam(t: Task): number {
  const pid = t.argInt(0), addr = t.arg(1);
  if (addr === 0 || pid < 0) return -E.EINVAL;
  const target = targetOf(t, pid);
  if (target === null) return -E.ESRCH;
  return t.mm.writeU32(addr, schedOf(target).priority) < 0 ? -E.EFAULT : 0;
}

function priorityMax(policy: number): number {
  if (policy === SCHED_FIFO || policy === SCHED_RR) return MAX_RT_PRIO - 1;
  return validPolicy(policy) ? 0 : -E.EINVAL;
}

function priorityMin(policy: number): number {
  if (policy === SCHED_FIFO || policy === SCHED_RR) return 1;
  return validPolicy(policy) ? 0 : -E.EINVAL;
}

function schedRrGetInterval(t: Task): number {
  const pid = t.argInt(0), addr = t.arg(1);
  if (pid < 0) return -E.EINVAL;
  const target = targetOf(t, pid);
  if (target === null) return -E.ESRCH;
  const ns = schedOf(target).policy === SCHED_RR ? RR_TIMESLICE_NS : 0;
  const b = new Uint8Array(16), dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(ns / 1e9)), true);
  dv.setBigInt64(8, BigInt(ns % 1e9), true);
  return t.mm.copyOutFull(addr, b) < 0 ? -E.EFAULT : 0;
}

// ---- sched_attr ----

function schedGetattr(t: Task): number {
  const pid = t.argInt(0), addr = t.arg(1), size = t.argU32(2), flags = t.argU32(3);
  if (addr === 0 || pid < 0 || size > PAGE_SIZE || size < SCHED_ATTR_SIZE_VER0 || flags !== 0) return -E.EINVAL;
  const target = targetOf(t, pid);
  if (target === null) return -E.ESRCH;
  const a = schedOf(target);
  const out = new Uint8Array(Math.min(size, SCHED_ATTR_SIZE_VER1)), dv = new DataView(out.buffer);
  dv.setUint32(0, out.length, true);
  dv.setUint32(4, a.policy, true);
  dv.setBigUint64(8, BigInt(a.resetOnFork ? SCHED_FLAG_RESET_ON_FORK : 0), true);
  dv.setInt32(16, isRealtime(a.policy) ? 0 : niceOf(target.tg), true);
  dv.setUint32(20, a.priority, true);
  // runtime, deadline, period: 0 (no deadline task); util clamps: the full range when the struct has room.
  if (out.length >= SCHED_ATTR_SIZE_VER1) dv.setUint32(52, 1024, true);
  return t.mm.copyOutFull(addr, out) < 0 ? -E.EFAULT : 0;
}

function schedSetattr(t: Task): number {
  const pid = t.argInt(0), addr = t.arg(1), flags = t.argU32(2);
  if (addr === 0 || pid < 0 || flags !== 0) return -E.EINVAL;
  let size = t.mm.readU32(addr);
  if (size === null) return -E.EFAULT;
  if (size === 0) size = SCHED_ATTR_SIZE_VER0;
  if (size > PAGE_SIZE || size < SCHED_ATTR_SIZE_VER0) {
    // Linux tells the caller the size it knows.
    t.mm.writeU32(addr, SCHED_ATTR_SIZE_VER1);
    return -E.E2BIG;
  }
  const raw = new Uint8Array(size);
  if (t.mm.copyInFull(addr, raw) < 0) return -E.EFAULT;
  // A larger struct from a newer ABI is fine as long as what we do not know is zero.
  if (raw.subarray(SCHED_ATTR_SIZE_VER1).some((b) => b !== 0)) {
    t.mm.writeU32(addr, SCHED_ATTR_SIZE_VER1);
    return -E.E2BIG;
  }
  const dv = new DataView(raw.buffer);
  let policy = dv.getInt32(4, true);
  const schedFlags = Number(dv.getBigUint64(8, true));
  const nice = Math.max(MIN_NICE, Math.min(MAX_NICE, dv.getInt32(16, true)));
  const priority = dv.getUint32(20, true);
  if ((schedFlags & SCHED_FLAG_UTIL_CLAMP) && size < SCHED_ATTR_SIZE_VER1) return -E.EINVAL;
  if (policy < 0) return -E.EINVAL;
  if (schedFlags & SCHED_FLAG_KEEP_PARAMS) policy = KEEP_POLICY;
  const target = targetOf(t, pid);
  if (target === null) return -E.ESRCH;
  if (schedFlags & ~SCHED_FLAG_ALL) return -E.EINVAL;
  if (schedFlags & SCHED_FLAG_KEEP_POLICY) policy = KEEP_POLICY;
  return setScheduler(t, target, {
    policy, priority: priority > 0x7fffffff ? -1 : priority, resetOnFork: (schedFlags & SCHED_FLAG_RESET_ON_FORK) !== 0,
    nice, keepParams: (schedFlags & SCHED_FLAG_KEEP_PARAMS) !== 0,
  });
}

// ---- affinity and CPUs ----

const CPUMASK_SIZE = 8;

function schedGetaffinity(t: Task): number {
  const pid = t.argInt(0), len = t.arg(1), addr = t.arg(2);
  // The mask must hold every CPU id and be made of whole longs.
  if (len * 8 < ONLINE_CPUS || len % 8 !== 0) return -E.EINVAL;
  const target = targetOf(t, pid);
  if (target === null) return -E.ESRCH;
  const n = Math.min(len, CPUMASK_SIZE);
  const out = new Uint8Array(n);
  const mask = schedOf(target).affinity;
  for (let i = 0; i < n; i++) out[i] = Number((mask >> BigInt(i * 8)) & 0xffn);
  return t.mm.copyOutFull(addr, out) < 0 ? -E.EFAULT : n;
}

function schedSetaffinity(t: Task): number {
  const pid = t.argInt(0), len = t.arg(1), addr = t.arg(2);
  // Shorter masks are zero-extended, longer ones cut to the CPUs that can exist.
  const raw = new Uint8Array(CPUMASK_SIZE);
  if (t.mm.copyInFull(addr, raw.subarray(0, Math.min(len, CPUMASK_SIZE))) < 0) return -E.EFAULT;
  const target = targetOf(t, pid);
  if (target === null) return -E.ESRCH;
  if (!mayChange(t, target)) return -E.EPERM;
  const mask = new DataView(raw.buffer).getBigUint64(0, true) & ALL_CPUS;
  if (mask === 0n) return -E.EINVAL;
  const r = pinToCpus(target, mask);
  if (r === 0) schedOf(target).affinity = mask;
  return r;
}

function getcpu(t: Task): number {
  const cpuAddr = t.arg(0), nodeAddr = t.arg(1);
  if (cpuAddr !== 0 && t.mm.writeU32(cpuAddr, lastCpu(t)) < 0) return -E.EFAULT;
  if (nodeAddr !== 0 && t.mm.writeU32(nodeAddr, 0) < 0) return -E.EFAULT;
  return 0;
}

// ---- ioprio ----

const IOPRIO_WHO_PROCESS = 1, IOPRIO_WHO_PGRP = 2, IOPRIO_WHO_USER = 3;
const IOPRIO_CLASS_NONE = 0, IOPRIO_CLASS_RT = 1, IOPRIO_CLASS_BE = 2, IOPRIO_CLASS_IDLE = 3;
const IOPRIO_CLASS_SHIFT = 13;

/** The tasks ioprio's (which, who) names, or -errno. */
function ioprioTargets(t: Task, which: number, who: number): Task[] | number {
  const live = (g: ThreadGroup): Task[] => (g.alive ? [...g.tasks] : []);
  switch (which) {
    case IOPRIO_WHO_PROCESS: {
      const target = targetOf(t, who);
      return target === null ? -E.ESRCH : [target];
    }
    case IOPRIO_WHO_PGRP: return t.kernel.processGroup(who === 0 ? t.tg.pgid : who).flatMap(live);
    case IOPRIO_WHO_USER: {
      const uid = who === 0 ? t.creds.uid : who;
      return [...t.kernel.tasks.values()].filter((x) => x.state !== 'dead' && x.creds.uid === uid);
    }
    default: return -E.EINVAL;
  }
}

function ioprioSet(t: Task): number {
  const which = t.argInt(0), who = t.argInt(1), ioprio = t.argInt(2);
  const cls = (ioprio >> IOPRIO_CLASS_SHIFT) & 7, data = ioprio & ((1 << IOPRIO_CLASS_SHIFT) - 1);
  switch (cls) {
    case IOPRIO_CLASS_RT: if (t.creds.euid !== 0) return -E.EPERM; break;
    case IOPRIO_CLASS_BE: case IOPRIO_CLASS_IDLE: break;
    case IOPRIO_CLASS_NONE: if (data !== 0) return -E.EINVAL; break;
    default: return -E.EINVAL;
  }
  if (ioprio >>> 16 !== 0) return -E.EINVAL;
  const targets = ioprioTargets(t, which, who);
  if (typeof targets === 'number') return targets;
  if (targets.length === 0) return -E.ESRCH;
  for (const x of targets) {
    if (!mayChange(t, x)) return -E.EPERM;
    schedOf(x).ioprio = ioprio;
  }
  return 0;
}

/** Linux's ioprio_best: a set class beats none, then the lower class number, then the lower level. */
function ioprioBest(a: number, b: number): number {
  const key = (v: number): number => ((v >> IOPRIO_CLASS_SHIFT) === IOPRIO_CLASS_NONE ? (IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | 4 : v);
  return key(a) <= key(b) ? a : b;
}

function ioprioGet(t: Task): number {
  const which = t.argInt(0), who = t.argInt(1);
  const targets = ioprioTargets(t, which, who);
  if (typeof targets === 'number') return targets;
  if (targets.length === 0) return -E.ESRCH;
  return targets.map((x) => schedOf(x).ioprio).reduce(ioprioBest);
}

const SCHED_NOTE = 'policies, priorities and nice are kept and reported; the host schedules the stub threads as SCHED_OTHER';

export const schedSyscalls: SyscallGroup = {
  sched_setscheduler: sys((t) => schedSetscheduler(t, t.argInt(0), t.argInt(1), t.arg(2)), 'iip', SCHED_NOTE),
  sched_setparam: sys((t) => schedSetscheduler(t, t.argInt(0), KEEP_POLICY, t.arg(1)), 'ip', SCHED_NOTE),
  sched_getscheduler: sys(schedGetscheduler, 'i'),
  sched_getparam: sys(schedGetparam, 'ip'),
  sched_get_priority_max: sys((t) => priorityMax(t.argInt(0)), 'i'),
  sched_get_priority_min: sys((t) => priorityMin(t.argInt(0)), 'i'),
  sched_rr_get_interval: sys(schedRrGetInterval, 'ip', 'SCHED_RR reports 100 ms, other policies 0'),
  sched_setattr: sys(schedSetattr, 'ipx', SCHED_NOTE + '; SCHED_DEADLINE is EINVAL'),
  sched_getattr: sys(schedGetattr, 'ipux'),
  sched_setaffinity: sys(schedSetaffinity, 'iup'),
  sched_getaffinity: sys(schedGetaffinity, 'iup'),
  getcpu: sys(getcpu, 'ppp'),
  ioprio_set: sys(ioprioSet, 'iix', 'kept and reported; I/O through the Gofer is not prioritised'),
  ioprio_get: sys(ioprioGet, 'ii'),
};
