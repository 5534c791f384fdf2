// poll, ppoll, select, pselect6: readiness from each file, and a wait on
// every file's queues (plus the deadline) when nothing is ready yet.
import { E, ERESTARTNOHAND } from '../abi/linux/errno.js';
import * as P from '../abi/linux/poll.js';
import { UNBLOCKABLE } from '../sentry/kernel/signal-state.js';
import { BLOCKED, type Task } from '../sentry/kernel/task.js';
import { monotonicNs } from '../sentry/kernel/timers.js';
import type { WaitQueue } from '../sentry/kernel/wait-queue.js';
import type { FileDescription } from '../sentry/vfs/file-description.js';
import { sys, type SyscallGroup } from './types.js';

/** Events a file has now, in poll's terms (POLLRDNORM with POLLIN, and so on). */
function eventsOf(f: FileDescription): number {
  let r = f.readiness();
  if (r & P.POLLIN) r |= P.POLLRDNORM;
  if (r & P.POLLOUT) r |= P.POLLWRNORM;
  return r;
}

function queuesOf(f: FileDescription): WaitQueue[] {
  const qs: WaitQueue[] = [];
  const r = f.waitQueue(false), w = f.waitQueue(true);
  if (r) qs.push(r);
  if (w && w !== r) qs.push(w);
  return qs;
}

/** Sets the deadline from a timeout in ns (-1: forever); returns true if it has already passed. */
function deadlinePassed(t: Task, timeoutNs: number): boolean {
  if (timeoutNs < 0) return false;
  if (t.syscallDeadline < 0) t.syscallDeadline = monotonicNs() + timeoutNs;
  return t.wakeReason === 'timeout' || monotonicNs() >= t.syscallDeadline;
}

/** Swaps in a ppoll/pselect mask for the wait; the old one comes back after delivery. */
function applySigmask(t: Task, maskAddr: number, size: number): number {
  if (maskAddr === 0 || t.savedMask !== null) return 0;
  if (size !== 8) return -E.EINVAL;
  const b = new Uint8Array(8);
  if (t.mm.copyInFull(maskAddr, b) < 0) return -E.EFAULT;
  t.savedMask = t.blocked;
  t.blocked = new DataView(b.buffer).getBigUint64(0, true) & ~UNBLOCKABLE;
  return 0;
}

function restoreMask(t: Task): void {
  if (t.savedMask !== null) { t.blocked = t.savedMask; t.savedMask = null; }
}

function doPoll(t: Task, fdsAddr: number, nfds: number, timeoutNs: number): number {
  if (nfds < 0 || nfds > t.fdTable.limit) return -E.EINVAL;
  const raw = new Uint8Array(nfds * P.POLLFD_SIZE);
  if (nfds > 0 && t.mm.copyInFull(fdsAddr, raw) < 0) return -E.EFAULT;
  const dv = new DataView(raw.buffer);
  let ready = 0;
  const queues: WaitQueue[] = [];
  for (let i = 0; i < nfds; i++) {
    const fd = dv.getInt32(i * 8, true), events = dv.getInt16(i * 8 + 4, true) & 0xffff;
    let revents = 0;
    if (fd >= 0) {
      const f = t.fdTable.get(fd);
      if (f === null) revents = P.POLLNVAL;
      else {
        revents = eventsOf(f) & (events | P.POLL_ALWAYS);
        if (revents === 0) queues.push(...queuesOf(f));
      }
    }
    dv.setInt16(i * 8 + 6, revents, true);
    if (revents !== 0) ready++;
  }
  if (ready > 0 || deadlinePassed(t, timeoutNs) || timeoutNs === 0) {
    if (nfds > 0 && t.mm.copyOutFull(fdsAddr, raw) < 0) return -E.EFAULT;
    return ready;
  }
  return t.block(queues, -ERESTARTNOHAND);
}

/**
 * The timeout in ns (-1 for none) of a timespec or timeval argument, or an
 * errno. A rerun keeps the deadline it already has, so 1 stands for "set".
 */
function readTimeoutNs(t: Task, addr: number, usec: boolean): { ns: number } | number {
  if (t.syscallDeadline >= 0) return { ns: 1 };
  if (addr === 0) return { ns: -1 };
  const b = new Uint8Array(16);
  if (t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
  const dv = new DataView(b.buffer);
  const sec = Number(dv.getBigInt64(0, true)), frac = Number(dv.getBigInt64(8, true));
  if (sec < 0 || frac < 0 || frac >= (usec ? 1e6 : 1e9)) return -E.EINVAL;
  return { ns: sec * 1e9 + frac * (usec ? 1000 : 1) };
}

/**
 * Linux writes the time left back into the timeout of ppoll, select and
 * pselect6 when they return (0 once it ran out). A timeout in read-only
 * memory is not an error: the call has already succeeded. Only a call that
 * waited has a deadline; one that found a file ready at once leaves the
 * timeout as it was (Linux writes it back nearly unchanged).
 */
function writeTimeLeft(t: Task, addr: number, usec: boolean): void {
  if (addr === 0 || t.syscallDeadline < 0) return;
  const left = Math.max(0, t.syscallDeadline - monotonicNs());
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(left / 1e9)), true);
  dv.setBigInt64(8, BigInt(usec ? Math.floor((left % 1e9) / 1000) : left % 1e9), true);
  t.mm.copyOutFull(addr, b);
}

/**
 * After the call: the time left now, or, while it waits, when a signal
 * interrupts it (Linux writes it before EINTR or a restart, which then
 * waits only for what is left).
 */
function finishTimeout(t: Task, r: number, addr: number, usec: boolean): void {
  if (r === BLOCKED) t.onInterrupt = () => writeTimeLeft(t, addr, usec);
  else writeTimeLeft(t, addr, usec);
}

function ppoll(t: Task): number {
  const timeout = readTimeoutNs(t, t.arg(2), false);
  if (typeof timeout === 'number') return timeout;
  const m = applySigmask(t, t.arg(3), t.arg(4));
  if (m < 0) return m;
  const r = doPoll(t, t.arg(0), t.argInt(1), timeout.ns);
  if (r !== BLOCKED) restoreMask(t);
  finishTimeout(t, r, t.arg(2), false);
  return r;
}

// ---- select ----

function doSelect(t: Task, nfds: number, readAddr: number, writeAddr: number, exceptAddr: number, timeoutNs: number): number {
  if (nfds < 0 || nfds > P.FD_SETSIZE * 64) return -E.EINVAL;
  const bytes = Math.ceil(nfds / 64) * 8;
  const load = (addr: number): Uint8Array | null | number => {
    if (addr === 0) return null;
    const b = new Uint8Array(bytes);
    return t.mm.copyInFull(addr, b) < 0 ? -E.EFAULT : b;
  };
  const sets = [load(readAddr), load(writeAddr), load(exceptAddr)];
  for (const s of sets) if (typeof s === 'number') return s;
  const [rs, ws, es] = sets as Array<Uint8Array | null>;
  const out = [rs && new Uint8Array(bytes), ws && new Uint8Array(bytes), es && new Uint8Array(bytes)];
  const has = (s: Uint8Array | null, fd: number): boolean => s !== null && (s[fd >> 3] & (1 << (fd & 7))) !== 0;
  const set = (s: Uint8Array | null, fd: number): void => { if (s) s[fd >> 3] |= 1 << (fd & 7); };
  let ready = 0;
  const queues: WaitQueue[] = [];
  for (let fd = 0; fd < nfds; fd++) {
    if (!has(rs, fd) && !has(ws, fd) && !has(es, fd)) continue;
    const f = t.fdTable.get(fd);
    if (f === null) return -E.EBADF;
    const ev = eventsOf(f);
    let hit = false;
    if (has(rs, fd) && (ev & (P.POLLIN | P.POLLHUP | P.POLLERR))) { set(out[0], fd); ready++; hit = true; }
    if (has(ws, fd) && (ev & (P.POLLOUT | P.POLLERR))) { set(out[1], fd); ready++; hit = true; }
    if (has(es, fd) && (ev & P.POLLPRI)) { set(out[2], fd); ready++; hit = true; }
    if (!hit) queues.push(...queuesOf(f));
  }
  if (ready > 0 || deadlinePassed(t, timeoutNs) || timeoutNs === 0) {
    const addrs = [readAddr, writeAddr, exceptAddr];
    for (let i = 0; i < 3; i++) if (out[i] && t.mm.copyOutFull(addrs[i], out[i]!) < 0) return -E.EFAULT;
    return ready;
  }
  return t.block(queues, -ERESTARTNOHAND);
}

function pselect6(t: Task): number {
  const timeout = readTimeoutNs(t, t.arg(4), false);
  if (typeof timeout === 'number') return timeout;
  const sigArg = t.arg(5);
  if (sigArg !== 0 && t.savedMask === null) {
    const b = new Uint8Array(16);
    if (t.mm.copyInFull(sigArg, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    const m = applySigmask(t, Number(dv.getBigUint64(0, true)), Number(dv.getBigUint64(8, true)));
    if (m < 0) return m;
  }
  const r = doSelect(t, t.argInt(0), t.arg(1), t.arg(2), t.arg(3), timeout.ns);
  if (r !== BLOCKED) restoreMask(t);
  finishTimeout(t, r, t.arg(4), false);
  return r;
}

export const pollSyscalls: SyscallGroup = {
  poll: sys((t) => doPoll(t, t.arg(0), t.argInt(1), t.syscallDeadline >= 0 ? 1 : t.argInt(2) < 0 ? -1 : t.argInt(2) * 1e6), 'pii'),
  ppoll: sys(ppoll, 'pippu'),
  select: sys((t) => {
    const timeout = readTimeoutNs(t, t.arg(4), true);
    if (typeof timeout === 'number') return timeout;
    const r = doSelect(t, t.argInt(0), t.arg(1), t.arg(2), t.arg(3), timeout.ns);
    finishTimeout(t, r, t.arg(4), true);
    return r;
  }, 'ipppp'),
  pselect6: sys(pselect6, 'ippppp'),
};
