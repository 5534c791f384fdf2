// The set*id family, setgroups, capget/capset: Linux's rules with "privileged"
// meaning euid 0 (the sandbox models root as holding every capability).
import { E } from '../abi/linux/errno.js';
import type { Credentials } from '../sentry/kernel/credentials.js';
import type { Task } from '../sentry/kernel/task.js';
import { sys, type SyscallGroup } from './types.js';

const NO_CHANGE = -1;
const NGROUPS_MAX = 65536;

function privileged(c: Credentials): boolean { return c.euid === 0; }

type Ids = 'uid' | 'gid';

function setres(t: Task, kind: Ids, r: number, e: number, s: number): number {
  const c = t.creds;
  const real = kind === 'uid' ? c.uid : c.gid, eff = kind === 'uid' ? c.euid : c.egid, saved = kind === 'uid' ? c.suid : c.sgid;
  const allowed = (v: number): boolean => v === NO_CHANGE || v === real || v === eff || v === saved;
  if (!privileged(c) && (!allowed(r) || !allowed(e) || !allowed(s))) return -E.EPERM;
  const next = { r: r === NO_CHANGE ? real : r >>> 0, e: e === NO_CHANGE ? eff : e >>> 0, s: s === NO_CHANGE ? saved : s >>> 0 };
  if (kind === 'uid') { c.uid = next.r; c.euid = next.e; c.suid = next.s; c.fsuid = next.e; }
  else { c.gid = next.r; c.egid = next.e; c.sgid = next.s; c.fsgid = next.e; }
  return 0;
}

function setid(t: Task, kind: Ids, id: number): number {
  if (id === NO_CHANGE) return -E.EINVAL;
  const c = t.creds;
  // Privileged: all three change. Otherwise only the effective id, to the real or saved one.
  if (privileged(c)) return setres(t, kind, id, id, id);
  const real = kind === 'uid' ? c.uid : c.gid, saved = kind === 'uid' ? c.suid : c.sgid;
  if (id !== real && id !== saved) return -E.EPERM;
  return setres(t, kind, NO_CHANGE, id, NO_CHANGE);
}

function setre(t: Task, kind: Ids, r: number, e: number): number {
  const c = t.creds;
  const real = kind === 'uid' ? c.uid : c.gid, eff = kind === 'uid' ? c.euid : c.egid, saved = kind === 'uid' ? c.suid : c.sgid;
  if (!privileged(c)) {
    if (r !== NO_CHANGE && r !== real && r !== eff) return -E.EPERM;
    if (e !== NO_CHANGE && e !== real && e !== eff && e !== saved) return -E.EPERM;
  }
  // The saved id follows the new effective id when the real id is set or the effective id leaves the old real id.
  const newEff = e === NO_CHANGE ? eff : e >>> 0;
  const newSaved = r !== NO_CHANGE || (e !== NO_CHANGE && newEff !== real) ? newEff : saved;
  if (kind === 'uid') { if (r !== NO_CHANGE) c.uid = r >>> 0; c.euid = newEff; c.suid = newSaved; c.fsuid = newEff; }
  else { if (r !== NO_CHANGE) c.gid = r >>> 0; c.egid = newEff; c.sgid = newSaved; c.fsgid = newEff; }
  return 0;
}

function setfs(t: Task, kind: Ids, id: number): number {
  const c = t.creds;
  const old = kind === 'uid' ? c.fsuid : c.fsgid;
  const ok = privileged(c) || [kind === 'uid' ? c.uid : c.gid, kind === 'uid' ? c.euid : c.egid, kind === 'uid' ? c.suid : c.sgid, old].includes(id >>> 0);
  if (ok && id !== NO_CHANGE) { if (kind === 'uid') c.fsuid = id >>> 0; else c.fsgid = id >>> 0; }
  return old;
}

function setgroups(t: Task): number {
  const size = t.argInt(0);
  if (size < 0 || size > NGROUPS_MAX) return -E.EINVAL;
  if (!privileged(t.creds)) return -E.EPERM;
  const b = new Uint8Array(size * 4);
  if (size > 0 && t.mm.copyInFull(t.arg(1), b) < 0) return -E.EFAULT;
  const dv = new DataView(b.buffer);
  t.creds.groups = Array.from({ length: size }, (_, i) => dv.getUint32(i * 4, true));
  return 0;
}

const LINUX_CAPABILITY_VERSION_1 = 0x19980330, LINUX_CAPABILITY_VERSION_2 = 0x20071026, LINUX_CAPABILITY_VERSION_3 = 0x20080522;
/** CAP_LAST_CAP = 40: every capability bit. */
const ALL_CAPS_LO = 0xffffffff, ALL_CAPS_HI = 0x1ff;

function capget(t: Task): number {
  const hdrAddr = t.arg(0), dataAddr = t.arg(1);
  const version = t.mm.readU32(hdrAddr);
  if (version === null) return -E.EFAULT;
  if (version !== LINUX_CAPABILITY_VERSION_1 && version !== LINUX_CAPABILITY_VERSION_2 && version !== LINUX_CAPABILITY_VERSION_3) {
    t.mm.writeU32(hdrAddr, LINUX_CAPABILITY_VERSION_3);
    return dataAddr === 0 ? 0 : -E.EINVAL;
  }
  const pid = t.mm.readU32(hdrAddr + 4);
  if (pid === null) return -E.EFAULT;
  if ((pid | 0) < 0) return -E.EINVAL;
  if (dataAddr === 0) return 0;
  const target = pid === 0 ? t : t.kernel.tasks.get(pid);
  if (target === undefined || target.state === 'dead') return -E.ESRCH;
  const words = version === LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
  const out = new Uint8Array(12 * words), dv = new DataView(out.buffer);
  const root = target.creds.euid === 0;
  for (let i = 0; i < words; i++) {
    const v = root ? (i === 0 ? ALL_CAPS_LO : ALL_CAPS_HI) : 0;
    dv.setUint32(i * 12, v, true); dv.setUint32(i * 12 + 4, v, true); dv.setUint32(i * 12 + 8, 0, true);
  }
  return t.mm.copyOutFull(dataAddr, out);
}

/**
 * capset, checked as Linux checks it (the header, the pid, the data, then
 * the rules: effective within the new permitted set, permitted and
 * inheritable within what the caller holds). The sets are not stored: root
 * keeps every capability and others none, so only a change that asks for
 * nothing new succeeds.
 */
function capset(t: Task): number {
  const hdrAddr = t.arg(0), dataAddr = t.arg(1);
  const version = t.mm.readU32(hdrAddr);
  if (version === null) return -E.EFAULT;
  if (version !== LINUX_CAPABILITY_VERSION_1 && version !== LINUX_CAPABILITY_VERSION_2 && version !== LINUX_CAPABILITY_VERSION_3) {
    t.mm.writeU32(hdrAddr, LINUX_CAPABILITY_VERSION_3);
    return -E.EINVAL;
  }
  const pid = t.mm.readU32(hdrAddr + 4);
  if (pid === null) return -E.EFAULT;
  // Only the caller's own capabilities can be set.
  if (pid !== 0 && pid !== t.tid) return -E.EPERM;
  const words = version === LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
  const data = new Uint8Array(12 * words), dv = new DataView(data.buffer);
  if (t.mm.copyInFull(dataAddr, data) < 0) return -E.EFAULT;
  const held = t.creds.euid === 0 ? [ALL_CAPS_LO, ALL_CAPS_HI] : [0, 0];
  for (let i = 0; i < words; i++) {
    const valid = i === 0 ? ALL_CAPS_LO : ALL_CAPS_HI;
    const eff = dv.getUint32(i * 12, true) & valid, perm = dv.getUint32(i * 12 + 4, true) & valid, inh = dv.getUint32(i * 12 + 8, true) & valid;
    if ((eff & ~perm) !== 0 || (perm & ~held[i]) !== 0 || (inh & ~held[i]) !== 0) return -E.EPERM;
  }
  return 0;
}

export const credentialSyscalls: SyscallGroup = {
  setuid: sys((t) => setid(t, 'uid', t.argInt(0)), 'i'),
  setgid: sys((t) => setid(t, 'gid', t.argInt(0)), 'i'),
  setreuid: sys((t) => setre(t, 'uid', t.argInt(0), t.argInt(1)), 'ii'),
  setregid: sys((t) => setre(t, 'gid', t.argInt(0), t.argInt(1)), 'ii'),
  setresuid: sys((t) => setres(t, 'uid', t.argInt(0), t.argInt(1), t.argInt(2)), 'iii'),
  setresgid: sys((t) => setres(t, 'gid', t.argInt(0), t.argInt(1), t.argInt(2)), 'iii'),
  setfsuid: sys((t) => setfs(t, 'uid', t.argInt(0)), 'i'),
  setfsgid: sys((t) => setfs(t, 'gid', t.argInt(0)), 'i'),
  setgroups: sys(setgroups, 'ip'),
  capget: sys(capget, 'pp', 'root holds every capability, others none'),
  capset: sys(capset, 'pp', 'checked as Linux does, but the sets are not stored: root keeps every capability'),
};
