// futex(2): wait/wake with bitsets, requeue, wake-op, the PI operations
// glibc uses, requeue-PI (a condition variable's waiters moved onto a PI
// mutex), timeouts. FUTEX_PRIVATE_FLAG picks the key: (address space,
// address) for a private futex, the word's MemoryFile offset for a shared
// one (see sentry/kernel/futex.ts).
import { E, ERESTARTNOINTR, ERESTARTSYS } from '../abi/linux/errno.js';
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
  t.syscallState = { key, bitset, woken: false, kind: 'plain', requeueTo: -1 } satisfies FutexWait;
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
  if (woken < 0) return woken; // a PI waiter on addr: EINVAL, the store already done, as Linux's
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
  if (!hit) return woken;
  const woken2 = t.kernel.futexes.wake(scope, key2, n2);
  return woken2 < 0 ? woken2 : woken + woken2;
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
  return takePi(t, scope, addr, key, state, trylock ? null : timeoutAddr);
}

/**
 * One attempt by t at the PI lock at addr (key in scope), first or rerun:
 * 0 when t holds it now, -EDEADLK when it already did, otherwise t sleeps
 * on the lock's queue as a 'pi' waiter (-EAGAIN instead for a trylock,
 * timeoutAddr null). A waiter found to own the word on its rerun was handed
 * the lock by FUTEX_UNLOCK_PI. state is the waiter's record across reruns
 * (a requeue-PI waiter keeps its own and its restart code).
 */
function takePi(t: Task, scope: FutexScope, addr: number, key: number, state: FutexWait | null, timeoutAddr: number | null): number {
  const cur = t.mm.readU32(addr);
  if (cur === null) return -E.EFAULT;
  const owner = cur & FUTEX_TID_MASK;
  if (owner === t.tid) return state?.woken ? 0 : -E.EDEADLK;
  if (owner === 0 || (cur & FUTEX_OWNER_DIED) || !t.kernel.tasks.has(owner)) {
    const waiters = t.kernel.futexes.waiters(scope, key).length > 0 ? FUTEX_WAITERS : 0;
    if (t.mm.writeU32(addr, (t.tid | waiters | (cur & FUTEX_OWNER_DIED)) >>> 0) < 0) return -E.EFAULT;
    return 0;
  }
  if (timeoutAddr === null) return -E.EAGAIN;
  const d = setDeadline(t, timeoutAddr, true, true);
  if (d < 0) return d;
  if (t.mm.writeU32(addr, (cur | FUTEX_WAITERS) >>> 0) < 0) return -E.EFAULT;
  if (state !== null && state.kind === 'pi' && state.requeueTo >= 0) {
    // A requeued FUTEX_WAIT_REQUEUE_PI waiter waits again, still unrestartable.
    state.woken = false;
    return t.block([t.kernel.futexes.queue(scope, key)], t.restartCode);
  }
  t.syscallState = { key, bitset: 0xffffffff, woken: false, kind: 'pi', requeueTo: -1 } satisfies FutexWait;
  return t.block([t.kernel.futexes.queue(scope, key)], -ERESTARTSYS);
}

/** The PI waiters on key, first come first. */
function piWaiters(t: Task, scope: FutexScope, key: number): Task[] {
  return t.kernel.futexes.waiters(scope, key).filter((w) => (w.syscallState as FutexWait).kind === 'pi');
}

function unlockPi(t: Task, scope: FutexScope, addr: number): number {
  const key = keyOf(t, scope, addr);
  if (key < 0) return key;
  const cur = t.mm.readU32(addr);
  if (cur === null) return -E.EFAULT;
  if ((cur & FUTEX_TID_MASK) !== t.tid) return -E.EPERM;
  const waiters = piWaiters(t, scope, key);
  if (waiters.length === 0) return t.mm.writeU32(addr, 0) < 0 ? -E.EFAULT : 0;
  const next = waiters[0];
  const more = waiters.length > 1 ? FUTEX_WAITERS : 0;
  if (t.mm.writeU32(addr, (next.tid | more) >>> 0) < 0) return -E.EFAULT;
  t.kernel.futexes.wakeWaiter(scope, key, next);
  return 0;
}

/**
 * FUTEX_WAIT_REQUEUE_PI: waits on addr (a condition variable's word, if
 * it still holds val) to be moved by FUTEX_CMP_REQUEUE_PI onto the PI
 * futex addr2, and returns 0 holding addr2, as FUTEX_LOCK_PI would. The
 * timeout is absolute (CLOCK_MONOTONIC, or CLOCK_REALTIME with
 * FUTEX_CLOCK_REALTIME) and covers both waits. A signal before the requeue
 * restarts the call (ERESTARTNOINTR); after it, the call ends with EAGAIN
 * (Linux's EWOULDBLOCK), since a restart would compare val again.
 */
function waitRequeuePi(t: Task, scope: FutexScope, addr: number, val: number, timeoutAddr: number, addr2: number, realtime: boolean): number {
  const state = t.syscallState as FutexWait | null;
  if (state !== null) {
    if (t.wakeReason === 'timeout') return -E.ETIMEDOUT;
    // Still on addr: only a requeue that took addr2 for it wakes it (plain wakes answer EINVAL instead).
    if (state.kind === 'requeuePi') return state.woken ? 0 : -E.EAGAIN;
    // Requeued onto addr2: a FUTEX_LOCK_PI waiter from here on.
    return takePi(t, scope, addr2, state.key, state, timeoutAddr);
  }
  // As Linux's sys_futex, the timeout is read before anything else.
  const d = setDeadline(t, timeoutAddr, true, realtime);
  if (d < 0) return d;
  if (addr === addr2) return -E.EINVAL;
  const key2 = keyOf(t, scope, addr2);
  if (key2 < 0) return key2;
  const key = keyOf(t, scope, addr);
  if (key < 0) return key;
  const cur = t.mm.readU32(addr);
  if (cur === null) return -E.EFAULT;
  if (cur !== val) return -E.EAGAIN;
  // Two addresses can name one shared word: the keys decide.
  if (key === key2) return -E.EINVAL;
  if (t.syscallDeadline >= 0 && monotonicNs() >= t.syscallDeadline) return -E.ETIMEDOUT;
  t.syscallState = { key, bitset: FX.FUTEX_BITSET_MATCH_ANY, woken: false, kind: 'requeuePi', requeueTo: key2 } satisfies FutexWait;
  return t.block([t.kernel.futexes.queue(scope, key)], -ERESTARTNOINTR);
}

/**
 * FUTEX_CMP_REQUEUE_PI, Linux's futex_requeue with requeue_pi: if *addr is
 * still cmp, the first waiter on addr takes the PI futex addr2 when it is
 * free and nobody waits on it (woken holding it, FUTEX_WAITERS set when
 * more may follow); every other waiter moved (up to nRequeue, plus the
 * first one when it could not take the lock) waits on addr2 as
 * FUTEX_LOCK_PI would. Returns how many were woken or moved. nWake must be
 * 1, addr and addr2 distinct words, and every waiter met on addr a
 * FUTEX_WAIT_REQUEUE_PI waiter naming addr2 (else EINVAL).
 */
function cmpRequeuePi(t: Task, scope: FutexScope, addr: number, nWake: number, nRequeue: number, addr2: number, cmp: number): number {
  if (nWake < 0 || nRequeue < 0) return -E.EINVAL;
  if (addr === addr2) return -E.EINVAL;
  // Linux wakes at most the one waiter that takes a free PI futex; the rest wait for unlocks.
  if (nWake !== 1) return -E.EINVAL;
  const key = keyOf(t, scope, addr);
  if (key < 0) return key;
  const key2 = keyOf(t, scope, addr2);
  if (key2 < 0) return key2;
  if (key === key2) return -E.EINVAL;
  const cur = t.mm.readU32(addr);
  if (cur === null) return -E.EFAULT;
  if (cur !== cmp) return -E.EAGAIN;
  const futexes = t.kernel.futexes;
  // Linux's futex_proxy_trylock_atomic: the first waiter may take addr2 at once.
  const lockWord = t.mm.readU32(addr2);
  if (lockWord === null) return -E.EFAULT;
  const top = futexes.waiters(scope, key)[0];
  if (top === undefined) return 0;
  const topState = top.syscallState as FutexWait;
  if (topState.kind !== 'requeuePi' || topState.requeueTo !== key2) return -E.EINVAL;
  const owner = lockWord & FUTEX_TID_MASK;
  if (owner === top.tid) return -E.EDEADLK;
  let count = 0;
  const lockWaiters = futexes.waiters(scope, key2);
  // Waiters already on addr2 must be PI waiters, whose queue the moved ones join (Linux's attach_to_pi_state).
  if (lockWaiters.some((w) => (w.syscallState as FutexWait).kind !== 'pi')) return -E.EINVAL;
  if (lockWaiters.length === 0) {
    if (owner === 0) {
      const waiters = nRequeue > 0 ? FUTEX_WAITERS : 0;
      if (t.mm.writeU32(addr2, (top.tid | waiters | (lockWord & FUTEX_OWNER_DIED)) >>> 0) < 0) return -E.EFAULT;
      futexes.wakeWaiter(scope, key, top);
      count = 1;
    } else {
      // The holder must exist for waiters to queue behind it (Linux's attach_to_pi_owner).
      if (!t.kernel.tasks.has(owner)) return -E.ESRCH;
      if (t.mm.writeU32(addr2, (lockWord | FUTEX_WAITERS) >>> 0) < 0) return -E.EFAULT;
    }
  }
  for (const w of futexes.waiters(scope, key)) {
    if (count - nWake >= nRequeue) break;
    const ws = w.syscallState as FutexWait;
    if (ws.kind !== 'requeuePi' || ws.requeueTo !== key2) return -E.EINVAL;
    futexes.moveToPi(scope, key, key2, w, -E.EAGAIN);
    count++;
  }
  return count;
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
    case FX.FUTEX_WAIT_REQUEUE_PI: return waitRequeuePi(t, scope, addr, val, timeout, addr2, realtime);
    case FX.FUTEX_CMP_REQUEUE_PI: return cmpRequeuePi(t, scope, addr, val | 0, t.argInt(3), addr2, val3);
    default: return -E.ENOSYS;
  }
}

export const futexSyscalls: SyscallGroup = {
  futex: sys(futex, 'pixppx', 'PI futexes (LOCK_PI, UNLOCK_PI, TRYLOCK_PI, and WAIT_REQUEUE_PI/CMP_REQUEUE_PI, whose waiters move onto '
    + 'the PI futex and take it as LOCK_PI would) keep ownership and hand-off but have no rt_mutex: no priority boosting, no deadlock '
    + 'detection beyond a waiter that already holds the lock (EDEADLK), a PI lock whose holder dies off its robust list is not handed to its '
    + 'waiters (Linux\'s exit_pi_state_list), and LOCK_PI takes over a word naming a tid that no longer exists (Linux: ESRCH); the '
    + 'requeue-PI target is checked for write access only when written'),
};
