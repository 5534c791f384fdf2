// process_vm_readv(2) and process_vm_writev(2): copies between this
// process's memory and another sandbox process's, through both address
// spaces' MemoryFile views (no stub is involved).
import { E } from '../abi/linux/errno.js';
import type { Task } from '../sentry/kernel/task.js';
import type { AddressSpace } from '../sentry/mm/address-space.js';
import { readIovecs, type Iovec } from './args.js';
import { sys, type SyscallGroup } from './types.js';

/**
 * ptrace's PTRACE_MODE_ATTACH_REALCREDS check: root may, others only into
 * a process whose user and group ids (real, effective, saved) are all the
 * caller's real ones.
 */
function mayAccessMm(t: Task, target: Task): boolean {
  const c = t.creds, o = target.creds;
  if (c.euid === 0) return true;
  return o.uid === c.uid && o.euid === c.uid && o.suid === c.uid && o.gid === c.gid && o.egid === c.gid && o.sgid === c.gid;
}

/** Copies between local and remote iovecs in order; stops at the first fault on either side. */
function transfer(local: AddressSpace, liov: Iovec[], remote: AddressSpace, riov: Iovec[], write: boolean): number {
  let done = 0;
  let li = 0, lo = 0;
  const buf = new Uint8Array(64 * 1024);
  for (const r of riov) {
    let ro = 0;
    while (ro < r.len) {
      while (li < liov.length && lo === liov[li].len) { li++; lo = 0; }
      if (li === liov.length) return done;
      const n = Math.min(buf.length, r.len - ro, liov[li].len - lo);
      const chunk = buf.subarray(0, n);
      const [from, fromAddr, to, toAddr] = write
        ? [local, liov[li].base + lo, remote, r.base + ro]
        : [remote, r.base + ro, local, liov[li].base + lo];
      const got = from.copyIn(fromAddr, chunk);
      if (got <= 0) return done > 0 ? done : -E.EFAULT;
      const put = to.copyOut(toAddr, chunk.subarray(0, got));
      if (put > 0) done += put;
      if (put !== got) return done > 0 ? done : -E.EFAULT;
      if (got < n) return done;
      ro += n; lo += n;
    }
  }
  return done;
}

function processVm(t: Task, write: boolean): number {
  const pid = t.argInt(0), lvec = t.arg(1), liovcnt = t.arg(2), rvec = t.arg(3), riovcnt = t.arg(4), flags = t.arg(5);
  // Linux's order: flags, the local vector, nothing to move, the remote vector, the process, its memory.
  if (flags !== 0) return -E.EINVAL;
  const liov = readIovecs(t, lvec, liovcnt);
  if (typeof liov === 'number') return liov;
  if (liov.every((v) => v.len === 0)) return 0;
  const riov = readIovecs(t, rvec, riovcnt);
  if (typeof riov === 'number') return riov;
  if (riov.every((v) => v.len === 0)) return 0;
  const target = t.kernel.tasks.get(pid);
  if (target === undefined || target.state === 'dead' || pid <= 0) return -E.ESRCH;
  if (!mayAccessMm(t, target)) return -E.EPERM;
  return transfer(t.mm, liov, target.mm, riov, write);
}

export const mmRemoteSyscalls: SyscallGroup = {
  process_vm_readv: sys((t) => processVm(t, false), 'ixuxux'),
  process_vm_writev: sys((t) => processVm(t, true), 'ixuxux'),
};
