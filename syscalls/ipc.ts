// SysV IPC: shared memory (shmget/shmat/shmdt/shmctl), semaphores
// (semget/semop/semtimedop/semctl) and message queues (msgget/msgsnd/
// msgrcv/msgctl), with Linux's argument checks in Linux's order. State is
// in sentry/kernel/ipc/.
import { readTimespec } from './time.js';
import { E, ERESTARTNOHAND } from '../abi/linux/errno.js';
import { PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE } from '../abi/linux/mman.js';
import { ipcOf } from '../sentry/kernel/ipc/namespace.js';
import { MSGMAX, MSGMNB, MSGMNI, MSGPOOL, MSGSEG, MSGSSZ, MSGTQL, MSGMAP, MsgQueue } from '../sentry/kernel/ipc/msg.js';
import {
  applyPermSet, encodePerm, IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT,
  ipcOwns, ipcPermits, newPerm, nowSeconds, type IpcObject, type IpcRegistry,
} from '../sentry/kernel/ipc/registry.js';
import { SEMAEM, SEMMNI, SEMMNS, SEMMSL, SEMOPM, SEMVMX, SemSet, type SemOp, type SemWait } from '../sentry/kernel/ipc/sem.js';
import { SHMALL, SHMMAX, SHMMIN, SHMMNI, SHM_LOCKED, ShmSegment } from '../sentry/kernel/ipc/shm.js';
import type { Task } from '../sentry/kernel/task.js';
import { monotonicNs } from '../sentry/kernel/timers.js';
import { sys, type SyscallGroup } from './types.js';

const SHM_RDONLY = 0o10000, SHM_RND = 0o20000, SHM_REMAP = 0o40000, SHM_EXEC = 0o100000;
const SHM_LOCK = 11, SHM_UNLOCK = 12, SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15;
const GETPID = 11, GETVAL = 12, GETALL = 13, GETNCNT = 14, GETZCNT = 15, SETVAL = 16, SETALL = 17, SEM_STAT = 18, SEM_INFO = 19, SEM_STAT_ANY = 20;
const SEM_UNDO = 0x1000;
const MSG_STAT = 11, MSG_INFO = 12, MSG_STAT_ANY = 13;
const MSG_NOERROR = 0o10000, MSG_EXCEPT = 0o20000, MSG_COPY = 0o40000;
const S_IRUGO = 0o444, S_IWUGO = 0o222, S_IXUGO = 0o111;

/** Copies in a whole ipc64 struct for IPC_SET (Linux reads it before looking the id up). */
function readStruct(t: Task, addr: number, size: number): DataView | number {
  const b = new Uint8Array(size);
  return t.mm.copyInFull(addr, b) < 0 ? -E.EFAULT : new DataView(b.buffer);
}

function writeStruct(t: Task, addr: number, fill: (dv: DataView) => void, size: number): number {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer));
  return t.mm.copyOutFull(addr, b) < 0 ? -E.EFAULT : 0;
}

/** SHM_STAT-style commands take a slot index; the others an id. */
function lookupStat<T extends IpcObject>(t: Task, reg: IpcRegistry<T>, id: number, bySlot: boolean, any: boolean): T | number {
  let o: T | number;
  if (bySlot) { const s = reg.bySlot(id); o = s === null ? -E.EINVAL : s; } else o = reg.byId(id);
  if (typeof o === 'number') return o;
  if (!any && !ipcPermits(o.perm, t.creds, S_IRUGO)) return -E.EACCES;
  return o;
}

function ownerChange<T extends IpcObject>(t: Task, reg: IpcRegistry<T>, id: number): T | number {
  const o = reg.byId(id);
  if (typeof o === 'number') return o;
  return ipcOwns(o.perm, t.creds) ? o : -E.EPERM;
}

/** IPC_SET: the owner (or root) sets uid, gid and mode from the struct at addr. */
function ipcSet<T extends IpcObject>(t: Task, reg: IpcRegistry<T>, id: number, addr: number, size: number): number {
  const dv = readStruct(t, addr, size);
  if (typeof dv === 'number') return dv;
  const o = ownerChange(t, reg, id);
  if (typeof o === 'number') return o;
  applyPermSet(o.perm, dv);
  o.ctime = nowSeconds();
  return 0;
}

// ---- shared memory ----

const SHMID_DS_SIZE = 112;

function shmget(t: Task): number {
  const key = t.argInt(0), size = t.arg(1), flags = t.argInt(2);
  const ns = ipcOf(t.kernel);
  ns.shm.tidy();
  return ns.shm.get(key, flags, t.creds, () => {
    if (size < SHMMIN || BigInt(size) > SHMMAX) return -E.EINVAL;
    const length = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    if (BigInt(ns.shm.totalPages() + length / PAGE_SIZE) > SHMALL) return -E.ENOSPC;
    const offset = t.kernel.memoryFile.allocate(length);
    if (offset < 0) return -E.ENOMEM;
    return new ShmSegment(newPerm(key, flags, t.creds), size, offset, t.tgid, nowSeconds(), t.kernel.memoryFile);
  }, (s) => (s.size < size ? -E.EINVAL : 0));
}

function shmat(t: Task): number {
  const id = t.argInt(0), flags = t.argInt(2);
  let addr = t.arg(1);
  if (id < 0) return -E.EINVAL;
  if (addr !== 0) {
    if (addr % PAGE_SIZE !== 0) {
      if (!(flags & SHM_RND)) return -E.EINVAL;
      addr -= addr % PAGE_SIZE;
      if (addr === 0) return -E.EINVAL;
    }
  } else if (flags & SHM_REMAP) return -E.EINVAL;
  let prot = PROT_READ, want = S_IRUGO;
  if (!(flags & SHM_RDONLY)) { prot |= PROT_WRITE; want |= S_IWUGO; }
  if (flags & SHM_EXEC) { prot |= PROT_EXEC; want |= S_IXUGO; }
  const ns = ipcOf(t.kernel);
  ns.shm.tidy();
  const seg = ns.shm.byId(id);
  if (typeof seg === 'number') return seg;
  if (!ipcPermits(seg.perm, t.creds, want)) return -E.EACCES;
  if (seg.destroyed) return -E.EIDRM;
  if (addr !== 0 && !(flags & SHM_REMAP)) {
    for (const v of t.mm.mappings()) if (v.start < addr + seg.backing.length && addr < v.end) return -E.EINVAL;
  }
  const r = t.mm.mapExisting(addr, prot, seg.backing, seg);
  if (r < 0) return r;
  seg.atime = nowSeconds();
  seg.lpid = t.tgid;
  return r;
}

function shmdt(t: Task): number {
  const addr = t.arg(0);
  if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
  const first = t.mm.find(addr);
  if (first === null || !(first.file instanceof ShmSegment) || first.start !== addr || first.fileOffset !== 0) return -E.EINVAL;
  const seg = first.file;
  // Every piece of this attach: VMAs of the same segment whose offset matches their distance from addr.
  const pieces = t.mm.mappings().filter((v) => v.file === seg && v.start >= addr && v.start < addr + seg.backing.length && v.start - addr === v.fileOffset)
    .map((v) => [v.start, v.length]);
  for (const [start, length] of pieces) t.mm.munmap(start, length);
  seg.dtime = nowSeconds();
  seg.lpid = t.tgid;
  ipcOf(t.kernel).shm.tidy();
  return 0;
}

function shmctl(t: Task): number {
  const id = t.argInt(0), cmd = t.argInt(1), buf = t.arg(2);
  if (cmd < 0) return -E.EINVAL;
  const reg = ipcOf(t.kernel).shm;
  reg.tidy();
  switch (cmd) {
    case IPC_INFO:
      if (writeStruct(t, buf, (dv) => {
        dv.setBigUint64(0, SHMMAX, true); dv.setBigUint64(8, BigInt(SHMMIN), true); dv.setBigUint64(16, BigInt(SHMMNI), true);
        dv.setBigUint64(24, BigInt(SHMMNI), true); dv.setBigUint64(32, SHMALL, true);
      }, 72) < 0) return -E.EFAULT;
      return reg.highestSlot;
    case SHM_INFO:
      if (writeStruct(t, buf, (dv) => {
        dv.setInt32(0, reg.count, true);
        dv.setBigUint64(8, BigInt(reg.totalPages()), true);
        dv.setBigUint64(16, BigInt(reg.totalPages()), true);
      }, 48) < 0) return -E.EFAULT;
      return reg.highestSlot;
    case IPC_STAT: case SHM_STAT: case SHM_STAT_ANY: {
      const s = lookupStat(t, reg, id, cmd !== IPC_STAT, cmd === SHM_STAT_ANY);
      if (typeof s === 'number') return s;
      const r = writeStruct(t, buf, (dv) => {
        encodePerm(dv, s.perm);
        dv.setBigUint64(48, BigInt(s.size), true);
        dv.setBigInt64(56, BigInt(s.atime), true);
        dv.setBigInt64(64, BigInt(s.dtime), true);
        dv.setBigInt64(72, BigInt(s.ctime), true);
        dv.setInt32(80, s.cpid, true);
        dv.setInt32(84, s.lpid, true);
        dv.setBigUint64(88, BigInt(s.nattch), true);
      }, SHMID_DS_SIZE);
      return r < 0 ? r : cmd === IPC_STAT ? 0 : s.id;
    }
    case IPC_SET: return ipcSet(t, reg, id, buf, SHMID_DS_SIZE);
    case IPC_RMID: {
      const s = ownerChange(t, reg, id);
      if (typeof s === 'number') return s;
      s.markRemoved();
      reg.tidy();
      return 0;
    }
    case SHM_LOCK: case SHM_UNLOCK: {
      const s = reg.byId(id);
      if (typeof s === 'number') return s;
      if (t.creds.euid !== 0 && !ipcOwns(s.perm, t.creds)) return -E.EPERM;
      if (cmd === SHM_LOCK) s.perm.mode |= SHM_LOCKED; else s.perm.mode &= ~SHM_LOCKED;
      return 0;
    }
    default: return -E.EINVAL;
  }
}

// ---- semaphores ----

const SEMID_DS_SIZE = 104;

function semget(t: Task): number {
  const key = t.argInt(0), nsems = t.argInt(1), flags = t.argInt(2);
  if (nsems < 0 || nsems > SEMMSL) return -E.EINVAL;
  const reg = ipcOf(t.kernel).sem;
  return reg.get(key, flags, t.creds, () => {
    if (nsems === 0) return -E.EINVAL;
    if (reg.totalSems() + nsems > SEMMNS) return -E.ENOSPC;
    return new SemSet(newPerm(key, flags, t.creds), nsems, nowSeconds());
  }, (s) => (s.nsems < nsems ? -E.EINVAL : 0));
}

function semtimedop(t: Task, id: number, sopsAddr: number, nsops: number, timeoutAddr: number): number {
  if (nsops < 1 || id < 0) return -E.EINVAL;
  if (nsops > SEMOPM) return -E.E2BIG;
  const raw = new Uint8Array(nsops * 6);
  if (t.mm.copyInFull(sopsAddr, raw) < 0) return -E.EFAULT;
  const dv = new DataView(raw.buffer);
  const ops: SemOp[] = [];
  for (let i = 0; i < nsops; i++) ops.push({ num: dv.getUint16(i * 6, true), op: dv.getInt16(i * 6 + 2, true), flags: dv.getInt16(i * 6 + 4, true) });
  let timeoutNs = -1;
  if (timeoutAddr !== 0) {
    const ts = readTimespec(t, timeoutAddr);
    if (typeof ts === 'number') return ts;
    timeoutNs = ts.sec * 1e9 + ts.nsec;
  }
  const waited = t.syscallState as SemWait | null;
  const reg = ipcOf(t.kernel).sem;
  const set = reg.byId(id);
  if (typeof set === 'number') return waited !== null ? -E.EIDRM : set;
  if (waited !== null && t.wakeReason === 'timeout') return -E.EAGAIN;
  const maxNum = Math.max(...ops.map((o) => o.num));
  if (maxNum >= set.nsems) return -E.EFBIG;
  const alter = ops.some((o) => o.op !== 0);
  if (!ipcPermits(set.perm, t.creds, alter ? S_IWUGO : S_IRUGO)) return -E.EACCES;
  // Try every operation on a copy: all of them happen, or none.
  const values = [...set.values];
  for (const o of ops) {
    const v = values[o.num];
    const blocks = o.op === 0 ? v !== 0 : v + o.op < 0;
    if (blocks) {
      if (o.flags & IPC_NOWAIT) return -E.EAGAIN;
      if (timeoutNs === 0) return -E.EAGAIN;
      if (timeoutNs > 0 && t.syscallDeadline < 0) t.syscallDeadline = monotonicNs() + timeoutNs;
      t.syscallState = { setId: set.id, blockedOn: o } satisfies SemWait;
      // semop is never restarted (Linux returns EINTR even without a handler).
      return t.block([set.waiters], -E.EINTR);
    }
    if (v + o.op > SEMVMX) return -E.ERANGE;
    if ((o.flags & SEM_UNDO) && Math.abs(reg.undoAfter(t.tg, set, o.num, o.op)) > SEMAEM) return -E.ERANGE;
    values[o.num] = v + o.op;
  }
  for (const o of ops) {
    set.values[o.num] = values[o.num];
    set.pids[o.num] = t.tgid;
    if ((o.flags & SEM_UNDO) && o.op !== 0) reg.addUndo(t.tg, set, o.num, o.op);
  }
  set.otime = nowSeconds();
  if (alter) set.waiters.wakeAll();
  return 0;
}

function semctl(t: Task): number {
  const id = t.argInt(0), num = t.argInt(1), cmd = t.argInt(2), arg = t.arg(3);
  if (id < 0 && cmd !== IPC_INFO && cmd !== SEM_INFO) return -E.EINVAL;
  const reg = ipcOf(t.kernel).sem;
  switch (cmd) {
    case IPC_INFO: case SEM_INFO: {
      const info = cmd === SEM_INFO;
      if (writeStruct(t, arg, (dv) => {
        [SEMMNI, SEMMNI, SEMMNS, SEMMNS, SEMMSL, SEMOPM, SEMOPM, info ? reg.count : 20, SEMVMX, info ? reg.totalSems() : SEMAEM]
          .forEach((v, i) => dv.setInt32(i * 4, v, true));
      }, 40) < 0) return -E.EFAULT;
      return reg.highestSlot;
    }
    case IPC_STAT: case SEM_STAT: case SEM_STAT_ANY: {
      const s = lookupStat(t, reg, id, cmd !== IPC_STAT, cmd === SEM_STAT_ANY);
      if (typeof s === 'number') return s;
      const r = writeStruct(t, arg, (dv) => {
        encodePerm(dv, s.perm);
        dv.setBigInt64(48, BigInt(s.otime), true);
        dv.setBigInt64(64, BigInt(s.ctime), true);
        dv.setBigUint64(80, BigInt(s.nsems), true);
      }, SEMID_DS_SIZE);
      return r < 0 ? r : cmd === IPC_STAT ? 0 : s.id;
    }
    case IPC_SET: return ipcSet(t, reg, id, arg, SEMID_DS_SIZE);
    case IPC_RMID: {
      const s = ownerChange(t, reg, id);
      if (typeof s === 'number') return s;
      s.removed = true;
      reg.forget(s);
      reg.delete(s);
      s.waiters.wakeAll();
      return 0;
    }
    case SETVAL: {
      const val = t.argInt(3);
      if (val < 0 || val > SEMVMX) return -E.ERANGE;
      const s = reg.byId(id);
      if (typeof s === 'number') return s;
      if (num < 0 || num >= s.nsems) return -E.EINVAL;
      if (!ipcPermits(s.perm, t.creds, S_IWUGO)) return -E.EACCES;
      s.values[num] = val;
      s.pids[num] = t.tgid;
      reg.clearUndo(s, num);
      s.ctime = nowSeconds();
      s.waiters.wakeAll();
      return 0;
    }
    case GETVAL: case GETPID: case GETNCNT: case GETZCNT: case GETALL: case SETALL: {
      const s = reg.byId(id);
      if (typeof s === 'number') return s;
      if (!ipcPermits(s.perm, t.creds, cmd === SETALL ? S_IWUGO : S_IRUGO)) return -E.EACCES;
      if (cmd === GETALL) {
        const out = new Uint8Array(s.nsems * 2), dv = new DataView(out.buffer);
        s.values.forEach((v, i) => dv.setUint16(i * 2, v, true));
        return t.mm.copyOutFull(arg, out) < 0 ? -E.EFAULT : 0;
      }
      if (cmd === SETALL) {
        const raw = new Uint8Array(s.nsems * 2);
        if (t.mm.copyInFull(arg, raw) < 0) return -E.EFAULT;
        const dv = new DataView(raw.buffer);
        const vals = Array.from({ length: s.nsems }, (_, i) => dv.getUint16(i * 2, true));
        if (vals.some((v) => v > SEMVMX)) return -E.ERANGE;
        vals.forEach((v, i) => { s.values[i] = v; });
        reg.clearUndo(s, null);
        s.ctime = nowSeconds();
        s.waiters.wakeAll();
        return 0;
      }
      if (num < 0 || num >= s.nsems) return -E.EINVAL;
      switch (cmd) {
        case GETVAL: return s.values[num];
        case GETPID: return s.pids[num];
        case GETNCNT: return s.waitingCount(num, false);
        default: return s.waitingCount(num, true);
      }
    }
    default: return -E.EINVAL;
  }
}

// ---- message queues ----

const MSQID_DS_SIZE = 120;

function msgget(t: Task): number {
  const key = t.argInt(0), flags = t.argInt(1);
  return ipcOf(t.kernel).msg.get(key, flags, t.creds, () => new MsgQueue(newPerm(key, flags, t.creds), nowSeconds()), () => 0);
}

interface MsgWait { waiting: true }

function msgsnd(t: Task): number {
  const id = t.argInt(0), addr = t.arg(1), size = t.arg(2), flags = t.argInt(3);
  if (size > MSGMAX || size < 0 || id < 0) return -E.EINVAL;
  const type = t.mm.readU64(addr);
  if (type === null) return -E.EFAULT;
  const signedType = Number(BigInt.asIntN(64, BigInt(type)));
  if (signedType < 1) return -E.EINVAL;
  const data = new Uint8Array(size);
  if (t.mm.copyInFull(addr + 8, data) < 0) return -E.EFAULT;
  const waited = t.syscallState as MsgWait | null;
  const q = ipcOf(t.kernel).msg.byId(id);
  if (typeof q === 'number') return waited !== null ? -E.EIDRM : q;
  if (!ipcPermits(q.perm, t.creds, S_IWUGO)) return -E.EACCES;
  if (!q.fits(size)) {
    if (flags & IPC_NOWAIT) return -E.EAGAIN;
    t.syscallState = { waiting: true } satisfies MsgWait;
    return t.block([q.waiters], -ERESTARTNOHAND);
  }
  q.messages.push({ type: signedType, data });
  q.bytes += size;
  q.lspid = t.tgid;
  q.stime = nowSeconds();
  q.waiters.wakeAll();
  return 0;
}

function msgrcv(t: Task): number {
  const id = t.argInt(0), addr = t.arg(1), size = t.arg(2), type = t.arg(3), flags = t.argInt(4);
  if (id < 0 || size < 0) return -E.EINVAL;
  if ((flags & MSG_COPY) && ((flags & MSG_EXCEPT) || !(flags & IPC_NOWAIT))) return -E.EINVAL;
  const waited = t.syscallState as MsgWait | null;
  const q = ipcOf(t.kernel).msg.byId(id);
  if (typeof q === 'number') return waited !== null ? -E.EIDRM : q;
  if (!ipcPermits(q.perm, t.creds, S_IRUGO)) return -E.EACCES;
  let index: number;
  if (flags & MSG_COPY) index = type >= 0 && type < q.messages.length ? type : -1;
  else index = q.find(type, (flags & MSG_EXCEPT) !== 0);
  if (index < 0) {
    if (flags & IPC_NOWAIT) return -E.ENOMSG;
    t.syscallState = { waiting: true } satisfies MsgWait;
    return t.block([q.waiters], -ERESTARTNOHAND);
  }
  const m = q.messages[index];
  if (m.data.length > size && !(flags & MSG_NOERROR)) return -E.E2BIG;
  const n = Math.min(m.data.length, size);
  if (!(flags & MSG_COPY)) {
    q.messages.splice(index, 1);
    q.bytes -= m.data.length;
    q.lrpid = t.tgid;
    q.rtime = nowSeconds();
    q.waiters.wakeAll();
  }
  if (t.mm.writeU64(addr, BigInt(m.type)) < 0 || t.mm.copyOutFull(addr + 8, m.data.subarray(0, n)) < 0) return -E.EFAULT;
  return n;
}

function msgctl(t: Task): number {
  const id = t.argInt(0), cmd = t.argInt(1), buf = t.arg(2);
  if (cmd < 0) return -E.EINVAL;
  const reg = ipcOf(t.kernel).msg;
  switch (cmd) {
    case IPC_INFO: case MSG_INFO: {
      const info = cmd === MSG_INFO;
      if (writeStruct(t, buf, (dv) => {
        [MSGPOOL, info ? reg.count : MSGMAP, MSGMAX, MSGMNB, MSGMNI, MSGSSZ, info ? reg.totalMessages() : MSGTQL].forEach((v, i) => dv.setInt32(i * 4, v, true));
        dv.setUint16(28, info ? Math.min(reg.totalBytes(), 0xffff) : MSGSEG, true);
      }, 32) < 0) return -E.EFAULT;
      return reg.highestSlot;
    }
    case IPC_STAT: case MSG_STAT: case MSG_STAT_ANY: {
      const q = lookupStat(t, reg, id, cmd !== IPC_STAT, cmd === MSG_STAT_ANY);
      if (typeof q === 'number') return q;
      const r = writeStruct(t, buf, (dv) => {
        encodePerm(dv, q.perm);
        dv.setBigInt64(48, BigInt(q.stime), true);
        dv.setBigInt64(56, BigInt(q.rtime), true);
        dv.setBigInt64(64, BigInt(q.ctime), true);
        dv.setBigUint64(72, BigInt(q.bytes), true);
        dv.setBigUint64(80, BigInt(q.messages.length), true);
        dv.setBigUint64(88, BigInt(q.maxBytes), true);
        dv.setInt32(96, q.lspid, true);
        dv.setInt32(100, q.lrpid, true);
      }, MSQID_DS_SIZE);
      return r < 0 ? r : cmd === IPC_STAT ? 0 : q.id;
    }
    case IPC_SET: {
      const dv = readStruct(t, buf, MSQID_DS_SIZE);
      if (typeof dv === 'number') return dv;
      const q = ownerChange(t, reg, id);
      if (typeof q === 'number') return q;
      const qbytes = Number(dv.getBigUint64(88, true));
      if (qbytes > MSGMNB && t.creds.euid !== 0) return -E.EPERM;
      applyPermSet(q.perm, dv);
      q.maxBytes = qbytes;
      q.ctime = nowSeconds();
      q.waiters.wakeAll();
      return 0;
    }
    case IPC_RMID: {
      const q = ownerChange(t, reg, id);
      if (typeof q === 'number') return q;
      q.removed = true;
      reg.delete(q);
      q.waiters.wakeAll();
      return 0;
    }
    default: return -E.EINVAL;
  }
}

export const ipcSyscalls: SyscallGroup = {
  shmget: sys(shmget, 'xux'),
  shmat: sys(shmat, 'ipx'),
  shmdt: sys(shmdt, 'p'),
  shmctl: sys(shmctl, 'iip', 'SHM_LOCK only marks the segment; shm_dtime is set by shmdt only, not by exit or munmap'),
  semget: sys(semget, 'xix'),
  semop: sys((t) => semtimedop(t, t.argInt(0), t.arg(1), t.arg(2), 0), 'ipu'),
  semtimedop: sys((t) => semtimedop(t, t.argInt(0), t.arg(1), t.arg(2), t.arg(3)), 'ipup'),
  semctl: sys(semctl, 'iiix'),
  msgget: sys(msgget, 'xx'),
  msgsnd: sys(msgsnd, 'ipux'),
  msgrcv: sys(msgrcv, 'ipuix'),
  msgctl: sys(msgctl, 'iip'),
};
