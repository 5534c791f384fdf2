// Process identity and lifetime: ids, exit, uname, rlimits, arch_prctl,
// thread bookkeeping, getrandom.
import { fillRandom } from '../host/random.js';
import { E } from '../abi/linux/errno.js';
import { REG } from '../abi/linux/ptrace.js';
import { UTS_FIELD_LEN, UTSNAME_SIZE, UTS_RELEASE, UTS_VERSION } from '../abi/linux/utsname.js';
import { stringToBytes } from '../sentry/mm/address-space.js';
import type { Task } from '../sentry/kernel/task.js';
import { watchCpuLimit } from '../sentry/kernel/cpu-limit.js';
import { RLIM_NLIMITS, RLIMIT_CPU, RLIMIT_NOFILE, type Rlimit } from '../sentry/kernel/rlimits.js';
import { sys, type SyscallGroup } from './types.js';

const ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;
const ARCH_GET_CPUID = 0x1011, ARCH_SET_CPUID = 0x1012;
const USER_ADDR_LIMIT = 0x7fff_ffff_f000;


function uname(t: Task): number {
  const out = new Uint8Array(UTSNAME_SIZE);
  const fields = ['Linux', t.kernel.hostname, UTS_RELEASE, UTS_VERSION, 'x86_64', t.kernel.domainname];
  fields.forEach((f, i) => out.set(stringToBytes(f).subarray(0, UTS_FIELD_LEN - 1), i * UTS_FIELD_LEN));
  return t.mm.copyOutFull(t.arg(0), out);
}

function archPrctl(t: Task): number {
  const code = t.argInt(0), addr = t.arg(1);
  switch (code) {
    case ARCH_SET_FS: case ARCH_SET_GS:
      if (addr < 0 || addr >= USER_ADDR_LIMIT) return -E.EPERM;
      t.regs.set(code === ARCH_SET_FS ? REG.fs_base : REG.gs_base, addr);
      t.regsChanged = true;
      return 0;
    case ARCH_GET_FS: return t.mm.writeU64(addr, t.regs.get(REG.fs_base));
    case ARCH_GET_GS: return t.mm.writeU64(addr, t.regs.get(REG.gs_base));
    case ARCH_GET_CPUID: return 1;
    case ARCH_SET_CPUID: return -E.ENODEV;
    default: return -E.EINVAL;
  }
}

function encodeRlimit(l: Rlimit): Uint8Array {
  const b = new Uint8Array(16), dv = new DataView(b.buffer);
  dv.setBigUint64(0, l.cur, true); dv.setBigUint64(8, l.max, true);
  return b;
}

function prlimit64(t: Task, pid: number, resource: number, newAddr: number, oldAddr: number): number {
  if (pid !== 0 && pid !== t.tgid) return -E.ESRCH;
  if (resource < 0 || resource >= RLIM_NLIMITS) return -E.EINVAL;
  let next: Rlimit | null = null;
  if (newAddr !== 0) {
    const b = new Uint8Array(16);
    if (t.mm.copyInFull(newAddr, b) < 0) return -E.EFAULT;
    const dv = new DataView(b.buffer);
    next = { cur: dv.getBigUint64(0, true), max: dv.getBigUint64(8, true) };
    if (next.cur > next.max) return -E.EINVAL;
    const old = t.rlimits[resource];
    if (next.max > old.max && t.creds.euid !== 0) return -E.EPERM;
    if (resource === RLIMIT_NOFILE && next.max > 1048576n) return -E.EPERM;
  }
  if (oldAddr !== 0 && t.mm.copyOutFull(oldAddr, encodeRlimit(t.rlimits[resource])) < 0) return -E.EFAULT;
  if (next !== null) {
    t.rlimits[resource] = next;
    if (resource === RLIMIT_NOFILE) t.fdTable.limit = Number(next.cur);
    if (resource === RLIMIT_CPU) watchCpuLimit(t.kernel, t.tg);
  }
  return 0;
}

function getrlimit(t: Task): number {
  const resource = t.argInt(0);
  if (resource < 0 || resource >= RLIM_NLIMITS) return -E.EINVAL;
  return t.mm.copyOutFull(t.arg(1), encodeRlimit(t.rlimits[resource]));
}

function getrandom(t: Task): number {
  const addr = t.arg(0), flags = t.argInt(2);
  const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -E.EINVAL;
  if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM)) return -E.EINVAL;
  // Linux caps one call at MAX_RW_COUNT bytes.
  const count = Math.min(t.arg(1), 0x7ffff000);
  const buf = new Uint8Array(count);
  fillRandom(buf);
  const n = t.mm.copyOut(addr, buf);
  return n;
}

function getresid(t: Task, ids: [number, number, number]): number {
  for (let i = 0; i < 3; i++) if (t.mm.writeU32(t.arg(i), ids[i]) < 0) return -E.EFAULT;
  return 0;
}

const RLIMITS_ACTED_ON = 'enforced: NOFILE, FSIZE (EFBIG, SIGXFSZ), AS, DATA (the heap), NPROC, CPU (SIGXCPU, then SIGKILL at the hard limit, sampled every 10-250 ms); STACK, CORE, MEMLOCK, LOCKS, SIGPENDING and the rest are kept but not acted on';

export const processSyscalls: SyscallGroup = {
  getpid: sys((t) => t.tgid),
  getppid: sys((t) => t.ppid),
  gettid: sys((t) => t.tid),
  getuid: sys((t) => t.creds.uid),
  geteuid: sys((t) => t.creds.euid),
  getgid: sys((t) => t.creds.gid),
  getegid: sys((t) => t.creds.egid),
  getresuid: sys((t) => getresid(t, [t.creds.uid, t.creds.euid, t.creds.suid]), 'ppp'),
  getresgid: sys((t) => getresid(t, [t.creds.gid, t.creds.egid, t.creds.sgid]), 'ppp'),
  getgroups: sys((t) => {
    const size = t.argInt(0), groups = t.creds.groups;
    if (size < 0) return -E.EINVAL;
    if (size === 0) return groups.length;
    if (size < groups.length) return -E.EINVAL;
    const b = new Uint8Array(groups.length * 4), dv = new DataView(b.buffer);
    groups.forEach((g, i) => dv.setUint32(i * 4, g, true));
    return t.mm.copyOutFull(t.arg(1), b) < 0 ? -E.EFAULT : groups.length;
  }, 'ip'),
  uname: sys(uname, 'p'),
  arch_prctl: sys(archPrctl, 'xx'),
  set_tid_address: sys((t) => { t.clearChildTid = t.arg(0); return t.tid; }, 'p'),
  set_robust_list: sys((t) => { if (t.arg(1) !== 24) return -E.EINVAL; t.robustList = t.arg(0); return 0; }, 'pu'),
  get_robust_list: sys((t) => {
    if (t.argInt(0) !== 0 && t.argInt(0) !== t.tid) return -E.ESRCH;
    if (t.mm.writeU64(t.arg(1), t.robustList) < 0) return -E.EFAULT;
    return t.mm.writeU64(t.arg(2), 24);
  }, 'ipp'),
  prlimit64: sys((t) => prlimit64(t, t.argInt(0), t.argInt(1), t.arg(2), t.arg(3)), 'iipp', RLIMITS_ACTED_ON),
  getrlimit: sys(getrlimit, 'ip'),
  setrlimit: sys((t) => prlimit64(t, 0, t.argInt(0), t.arg(1), 0), 'ip', RLIMITS_ACTED_ON),
  getrandom: sys(getrandom, 'pux'),
};
