// futex(2): wait/wake with bitsets, requeue, wake-op, the PI operations
// glibc uses, timeouts. FUTEX_PRIVATE_FLAG picks the key: (address space,
// address) for a private futex, the word's MemoryFile offset for a shared
// one (see sentry/kernel/futex.ts).
import { E, ERESTARTSYS } from '../abi/linux/errno.js';
import * as FX from '../abi/linux/futex.js';
import type { FutexScope, FutexWait } from '../sentry/kernel/futex.js';
import type { Task } from '../sentry/kernel/task.js';
import { monotonicNs } from '../sentry/kernel/timers.js';
import { TASK_SIZE } from '../platform/ptrace/stub-elf.js';
import { sys, type SyscallGroup } from './types.js';

const FUTEX_WAITERS = 0x80000000;
const FUTEX_OWNER_DIED = 0x40000000;
const FUTEX_TID_MASK = 0x3fffffff;

/** Reads a timeout: relative for FUTEX_WAIT, absolute for the others. Sets syscallDeadline once. */
function setDeadline(t: Task, addr: number, absolute: boolean, realtime: boolean): number {
  if (addr === 0 || t.syscallDeadline >= 0) return 0;
  const b = new Uint8Array(16);
  if (t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
  const dv = new DataView(b.buffer);
  const sec = Number(dv.getBigInt64(0, true)), nsec = Number(dv.getBigInt64(8, true));
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
  let ns = sec * 1e9 + nsec;
  if (absolute) ns -= realtime ? Date.now() * 1e6 : monotonicNs();
  t.syscallDeadline = monotonicNs() + Math.max(0, ns);
  return 0;
}

/**
 * The key of the word at addr in scope, or a negative errno. As Linux, a
 * private key needs only a user address (a private wake on an unmapped
 * word finds nobody); a shared one needs the page behind it.
 */
function keyOf(t: Task, scope: FutexScope, addr: number): number {
  if (addr % 4 !== 0) return -E.EINVAL;
  if (scope === null) return t.mm.futexKey(addr);
  return addr >= 0 && addr + 4 <= TASK_SIZE ? addr : -E.EFAULT;
}

function wait(t: Task, scope: FutexScope, addr: number, val: number, bitset: number, timeoutAddr: number, absolute: boolean, realtime: boolean): number {
  const state = t.syscallState as FutexWait | null;
  if (state !== null) {
    if (state.woken) return 0;
    if (t.wakeReason === 'timeout') return -E.ETIMEDOUT;
  }
  if (bitset === 0) return -E.EINVAL;
  const key = keyOf(t, scope, addr);
  if (key < 0) return key;
  const d = setDeadline(t, timeoutAddr, absolute, realtime);
  if (d < 0) return d;
  if (state === null) {
    const cur = t.mm.readU32(addr);
    if (cur === null) return -E.EFAULT;
    if (cur !== val) return -E.EAGAIN;
  }
  if (t.syscallDeadline >= 0 && monotonicNs() >= t.syscallDeadline) return -E.ETIMEDOUT;
  t.syscallState = { key, bitset, woken: false } satisfies FutexWait;
  return t.block([t.kernel.futexes.queue(scope, key)], -ERESTARTSYS);
}

function wake(t: Task, scope: FutexScope, addr: number, n: number, bitset: number): number {
  if (bitset === 0) return -E.EINVAL;
  const key = keyOf(t, scope, addr);
  if (key < 0) return key;
  return t.kernel.futexes.wake(scope, key, n, bitset);
}

function requeue(t: Task, scope: FutexScope, addr: number, nWake: number, nRequeue: number, addr2: number, cmp: number | null): number {
  const key = keyOf(t, scope, addr), key2 = keyOf(t, scope, addr2);
  if (key < 0) return key;
  if (key2 < 0) return key2;
  if (nWake < 0 || nRequeue < 0) return -E.EINVAL;
  if (cmp !== null) {
    const cur = t.mm.readU32(addr);
    if (cur === null) return -E.EFAULT;
    if (cur !== cmp) return -E.EAGAIN;
  }
  return t.kernel.futexes.requeue(scope, key, key2, nWake, nRequeue);
}

/** FUTEX_WAKE_OP: atomically *addr2 = op(*addr2, arg), wake on addr, and on addr2 if cmp(old, cmparg). */
function wakeOp(t: Task, scope: FutexScope, addr: number, n: number, addr2: number, n2: number, encoded: number): number {
  const key = keyOf(t, scope, addr), key2 = keyOf(t, scope, addr2);
  if (key < 0) return key;
  if (key2 < 0) return key2;
  const op = (encoded >>> 28) & 7, cmp = (encoded >>> 24) & 15;
  let oparg = (encoded << 8) >> 20, cmparg = (encoded << 20) >> 20;
  if ((encoded >>> 31) & 1) oparg = 1 << (oparg & 31); // FUTEX_OP_OPARG_SHIFT
  const old = t.mm.readU32(addr2);
  if (old === null) return -E.EFAULT;
  let next: number;
  switch (op) {
    case 0: next = oparg; break;         // SET
    case 1: next = old + oparg; break;   // ADD
    case 2: next = old | oparg; break;   // OR
    case 3: next = old & ~oparg; break;  // ANDN
    case 4: next = old ^ oparg; break;   // XOR
    default: return -E.ENOSYS;
  }
  if (t.mm.writeU32(addr2, next >>> 0) < 0) return -E.EFAULT;
  let woken = t.kernel.futexes.wake(scope, key, n);
  const o = old | 0;
  cmparg |= 0;
  let hit: boolean;
  switch (cmp) {
    case 0: hit = o === cmparg; break;
    case 1: hit = o !== cmparg; break;
    case 2: hit = o < cmparg; break;
    case 3: hit = o <= cmparg; break;
    case 4: hit = o > cmparg; break;
    case 5: hit = o >= cmparg; break;
    default: return -E.ENOSYS;
  }
  if (hit) woken += t.kernel.futexes.wake(scope, key2, n2);
  return woken;
}

/**
 * PI locks without priority inheritance (one CPU's worth of fairness): the
 * word holds the owner's tid; contenders set FUTEX_WAITERS and sleep; unlock
 * hands the lock to the first waiter.
 */
function lockPi(t: Task, scope: FutexScope, addr: number, timeoutAddr: number, trylock: boolean): number {
  const key = keyOf(t, scope, addr);
  if (key < 0) return key;
  const state = t.syscallState as FutexWait | null;
  if (state !== null && t.wakeReason === 'timeout') return -E.ETIMEDOUT;
  const cur = t.mm.readU32(addr);
  if (cur === null) return -E.EFAULT;
  const owner = cur & FUTEX_TID_MASK;
  if (owner === t.tid) return state?.woken ? 0 : -E.EDEADLK;
  if (owner === 0 || (cur & FUTEX_OWNER_DIED) || !t.kernel.tasks.has(owner)) {
    const waiters = t.kernel.futexes.waiters(scope, key).length > 0 ? FUTEX_WAITERS : 0;
    if (t.mm.writeU32(addr, (t.tid | waiters | (cur & FUTEX_OWNER_DIED)) >>> 0) < 0) return -E.EFAULT;
    return 0;
  }
  if (trylock) return -E.EAGAIN;
  const d = setDeadline(t, timeoutAddr, true, true);
  if (d < 0) return d;
  if (t.mm.writeU32(addr, (cur | FUTEX_WAITERS) >>> 0) < 0) return -E.EFAULT;
  t.syscallState = { key, bitset: 0xffffffff, woken: false } satisfies FutexWait;
  return t.block([t.kernel.futexes.queue(scope, key)], -ERESTARTSYS);
}

function unlockPi(t: Task, scope: FutexScope, addr: number): number {
  const key = keyOf(t, scope, addr);
  if (key < 0) return key;
  const cur = t.mm.readU32(addr);
  if (cur === null) return -E.EFAULT;
  if ((cur & FUTEX_TID_MASK) !== t.tid) return -E.EPERM;
  const waiters = t.kernel.futexes.waiters(scope, key);
  if (waiters.length === 0) return t.mm.writeU32(addr, 0) < 0 ? -E.EFAULT : 0;
  const next = waiters[0];
  const more = waiters.length > 1 ? FUTEX_WAITERS : 0;
  if (t.mm.writeU32(addr, (next.tid | more) >>> 0) < 0) return -E.EFAULT;
  t.kernel.futexes.wake(scope, key, 1);
  return 0;
}

function futex(t: Task): number {
  const addr = t.arg(0), op = t.argInt(1), val = t.argU32(2), timeout = t.arg(3), addr2 = t.arg(4), val3 = t.argU32(5);
  const cmd = op & FX.FUTEX_CMD_MASK;
  const scope: FutexScope = (op & FX.FUTEX_PRIVATE_FLAG) !== 0 ? t.mm : null;
  const realtime = (op & FX.FUTEX_CLOCK_REALTIME) !== 0;
  // As Linux: FUTEX_CLOCK_REALTIME only where the timeout is absolute (FUTEX_WAIT's is relative: ENOSYS).
  if (realtime && cmd !== FX.FUTEX_WAIT_BITSET && cmd !== FX.FUTEX_WAIT_REQUEUE_PI && cmd !== FX.FUTEX_LOCK_PI2) return -E.ENOSYS;
  switch (cmd) {
    case FX.FUTEX_WAIT: return wait(t, scope, addr, val, 0xffffffff, timeout, false, realtime);
    case FX.FUTEX_WAIT_BITSET: return wait(t, scope, addr, val, val3, timeout, true, realtime);
    case FX.FUTEX_WAKE: return wake(t, scope, addr, val | 0, 0xffffffff);
    case FX.FUTEX_WAKE_BITSET: return wake(t, scope, addr, val | 0, val3);
    // For REQUEUE the timeout argument is val2: how many to requeue.
    case FX.FUTEX_REQUEUE: return requeue(t, scope, addr, val | 0, t.argInt(3), addr2, null);
    case FX.FUTEX_CMP_REQUEUE: return requeue(t, scope, addr, val | 0, t.argInt(3), addr2, val3);
    case FX.FUTEX_WAKE_OP: return wakeOp(t, scope, addr, val | 0, addr2, t.argInt(3), val3);
    case FX.FUTEX_LOCK_PI: case FX.FUTEX_LOCK_PI2: return lockPi(t, scope, addr, timeout, false);
    case FX.FUTEX_TRYLOCK_PI: return lockPi(t, scope, addr, 0, true);
    case FX.FUTEX_UNLOCK_PI: return unlockPi(t, scope, addr);
    default: return -E.ENOSYS;
  }
}

export const futexSyscalls: SyscallGroup = {
  futex: sys(futex, 'pixppx', 'PI futexes keep ownership and hand-off but do not boost priority'),
};
