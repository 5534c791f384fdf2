// SysV IPC objects in general: keys, ids, struct ipc64_perm, and Linux's
// permission rules (ipcperms, the owner test of IPC_SET/IPC_RMID). One
// registry per kind of object (shm, sem, msg) per sandbox.
import { E } from '../../../abi/linux/errno.js';
import type { Credentials } from '../credentials.js';

export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000, IPC_EXCL = 0o2000, IPC_NOWAIT = 0o4000;
export const IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3;
/** Linux's SEQ_MULTIPLIER: an id is seq * 32768 + slot. */
const SEQ_MULTIPLIER = 32768;
export const IPC_PERM_SIZE = 48;

export interface IpcPerm {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** The low 9 bits: permissions; above them SHM_DEST and SHM_LOCKED for shm. */
  mode: number;
  seq: number;
}

export interface IpcObject {
  perm: IpcPerm;
  id: number;
  /** Set by IPC_RMID: the id no longer names anything new. */
  removed: boolean;
  ctime: number;
}

export function newPerm(key: number, mode: number, creds: Credentials): IpcPerm {
  return { key, uid: creds.euid, gid: creds.egid, cuid: creds.euid, cgid: creds.egid, mode: mode & 0o777, seq: 0 };
}

export const IPC_READ = 4, IPC_WRITE = 2;

/**
 * ipcperms: does creds hold every access in `want` (a 0777-style mode or
 * an IPC_READ/IPC_WRITE mask)? Root (CAP_IPC_OWNER) always does.
 */
export function ipcPermits(perm: IpcPerm, creds: Credentials, want: number): boolean {
  const requested = (want >> 6) | (want >> 3) | want;
  let granted = perm.mode;
  if (creds.euid === perm.cuid || creds.euid === perm.uid) granted >>= 6;
  else if (creds.egid === perm.gid || creds.egid === perm.cgid || creds.groups.includes(perm.gid) || creds.groups.includes(perm.cgid)) granted >>= 3;
  return (requested & ~granted & 0o7) === 0 || creds.euid === 0;
}

/** IPC_SET and IPC_RMID: the creator, the owner, or CAP_SYS_ADMIN. */
export function ipcOwns(perm: IpcPerm, creds: Credentials): boolean {
  return creds.euid === 0 || creds.euid === perm.uid || creds.euid === perm.cuid;
}

export function encodePerm(dv: DataView, perm: IpcPerm): void {
  dv.setInt32(0, perm.key, true);
  dv.setUint32(4, perm.uid, true);
  dv.setUint32(8, perm.gid, true);
  dv.setUint32(12, perm.cuid, true);
  dv.setUint32(16, perm.cgid, true);
  dv.setUint32(20, perm.mode, true);
  dv.setUint16(24, perm.seq, true);
}

/** IPC_SET's fields of ipc64_perm: uid, gid and the permission bits. */
export function applyPermSet(perm: IpcPerm, dv: DataView): void {
  perm.uid = dv.getUint32(4, true);
  perm.gid = dv.getUint32(8, true);
  perm.mode = (perm.mode & ~0o777) | (dv.getUint32(20, true) & 0o777);
}

export function nowSeconds(): number { return Math.floor(Date.now() / 1000); }

export class IpcRegistry<T extends IpcObject> {
  private readonly slots: Array<T | undefined> = [];
  private seq = 0;

  constructor(readonly max: number) {}

  get count(): number { return this.slots.filter((o) => o !== undefined).length; }
  objects(): T[] { return this.slots.filter((o): o is T => o !== undefined); }
  /** The highest slot in use, for IPC_INFO/SHM_INFO's return value. */
  get highestSlot(): number {
    for (let i = this.slots.length - 1; i >= 0; i--) if (this.slots[i] !== undefined) return i;
    return 0;
  }

  /** The object an id names: -EINVAL if the slot is empty, -EIDRM if it holds a newer object. */
  byId(id: number): T | number {
    if (id < 0) return -E.EINVAL;
    const o = this.slots[id % SEQ_MULTIPLIER];
    if (o === undefined) return -E.EINVAL;
    return o.id === id ? o : -E.EIDRM;
  }

  /** SHM_STAT and friends take a slot index instead of an id. */
  bySlot(index: number): T | null { return index >= 0 ? this.slots[index] ?? null : null; }

  byKey(key: number): T | null {
    if (key === IPC_PRIVATE) return null;
    for (const o of this.slots) if (o !== undefined && !o.removed && o.perm.key === key) return o;
    return null;
  }

  /** Places a new object: sets its id and perm.seq. -ENOSPC when the table is full. */
  add(o: T): number {
    let slot = this.slots.indexOf(undefined);
    if (slot < 0) slot = this.slots.length;
    if (slot >= this.max) return -E.ENOSPC;
    o.perm.seq = this.seq;
    o.id = this.seq * SEQ_MULTIPLIER + slot;
    this.seq = (this.seq + 1) % (0x7fffffff / SEQ_MULTIPLIER | 0);
    this.slots[slot] = o;
    return o.id;
  }

  delete(o: T): void {
    const slot = o.id % SEQ_MULTIPLIER;
    if (this.slots[slot] === o) this.slots[slot] = undefined;
  }

  /**
   * shmget/semget/msgget's lookup: IPC_PRIVATE always creates; a key
   * creates with IPC_CREAT, is EEXIST with IPC_CREAT|IPC_EXCL, is ENOENT
   * without IPC_CREAT. An existing object passes `check` (kind-specific,
   * EINVAL) and then the permission test on the mode bits asked for.
   */
  get(key: number, flags: number, creds: Credentials, create: () => T | number, check: (o: T) => number): number {
    const existing = this.byKey(key);
    if (existing === null) {
      if (key !== IPC_PRIVATE && !(flags & IPC_CREAT)) return -E.ENOENT;
      if (this.count >= this.max) return -E.ENOSPC;
      const o = create();
      return typeof o === 'number' ? o : this.add(o);
    }
    if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) return -E.EEXIST;
    const r = check(existing);
    if (r < 0) return r;
    if (!ipcPermits(existing.perm, creds, flags & 0o777)) return -E.EACCES;
    return existing.id;
  }
}
