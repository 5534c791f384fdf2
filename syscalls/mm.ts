// Memory syscalls: mmap family, brk, madvise, msync, mlock. The handlers
// check arguments as Linux does, in its order, before the address space
// (sentry/mm) changes anything.
import { E } from '../abi/linux/errno.js';
import * as M from '../abi/linux/mman.js';
import { TASK_SIZE } from '../platform/ptrace/stub-elf.js';
import { RLIM_INFINITY, RLIMIT_AS, RLIMIT_DATA } from '../sentry/kernel/rlimits.js';
import type { Task } from '../sentry/kernel/task.js';
import type { MappableFile, Vma } from '../sentry/mm/vma.js';
import { FileDescription } from '../sentry/vfs/file-description.js';
import { PathFile } from '../sentry/vfs/path-file.js';
import * as B from '../abi/linux/membarrier.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../abi/linux/falloc.js';
import { hostMembarrier } from '../host/memory.js';
import { RLIMIT_MEMLOCK } from '../sentry/kernel/rlimits.js';
import { sys, type SyscallGroup } from './types.js';

/** A file description that can back a mapping. */
function isMappable(f: unknown): f is MappableFile {
  return typeof f === 'object' && f !== null && typeof (f as MappableFile).readInto === 'function';
}

/** Whether every page of [start, end) is mapped: Linux answers ENOMEM for a hole in many calls. */
function fullyMapped(t: Task, start: number, end: number): boolean {
  let a = start;
  while (a < end) {
    const v = t.mm.find(a);
    if (v === null) return false;
    a = v.end;
  }
  return true;
}

/** The mappings that meet [start, end). */
function mappingsIn(t: Task, start: number, end: number): readonly Vma[] {
  return t.mm.mappings().filter((v) => v.start < end && v.end > start);
}

/**
 * RLIMIT_AS (and RLIMIT_DATA for the heap): whether growing the address
 * space by `grow` bytes, after `replaced` bytes of it go, stays within the
 * limit (Linux's may_expand_vm).
 */
function mayExpand(t: Task, grow: number, replaced = 0, resource = RLIMIT_AS): boolean {
  const limit = t.tg.rlimits[resource].cur;
  if (limit === RLIM_INFINITY) return true;
  const mapped = resource === RLIMIT_AS ? t.mm.mappings().reduce((n, v) => n + (v.end - v.start), 0) : 0;
  return mapped - replaced + grow <= Number(limit);
}

function bytesMappedIn(t: Task, start: number, end: number): number {
  return mappingsIn(t, start, end).reduce((n, v) => n + Math.min(v.end, end) - Math.max(v.start, start), 0);
}

function mmap(t: Task): number {
  const addr = t.arg(0), length = t.arg(1), prot = t.argInt(2), flags = t.argInt(3), fd = t.argInt(4), offset = t.arg(5);
  if (offset % M.PAGE_SIZE !== 0) return -E.EINVAL;
  const f = flags & M.MAP_ANONYMOUS ? null : t.fdTable.get(fd);
  if (!(flags & M.MAP_ANONYMOUS) && (f === null || f instanceof PathFile)) return -E.EBADF;
  if (length === 0) return -E.EINVAL;
  if (length < 0 || length > TASK_SIZE) return -E.ENOMEM;
  const type = flags & M.MAP_TYPE;
  let file: MappableFile | null = null;
  if (f !== null) {
    // do_mmap's order: the type's own checks, then read access, then whether the file maps at all.
    if (type === M.MAP_SHARED_VALIDATE && (flags & ~M.LEGACY_MAP_MASK)) return -E.EOPNOTSUPP;
    if ((type === M.MAP_SHARED || type === M.MAP_SHARED_VALIDATE) && (prot & M.PROT_WRITE) && !f.writable) return -E.EACCES;
    if (type !== M.MAP_SHARED && type !== M.MAP_SHARED_VALIDATE && type !== M.MAP_PRIVATE) return -E.EINVAL;
    if (!f.readable) return -E.EACCES;
    if (!isMappable(f)) return -E.ENODEV;
    if ((prot & M.PROT_EXEC) && f.dentry?.mountRoot().mount?.flags.noexec) return -E.EPERM; // a noexec mount maps nothing executable
    file = f;
  } else if (type !== M.MAP_SHARED && type !== M.MAP_PRIVATE) {
    // An anonymous mapping takes no MAP_SHARED_VALIDATE.
    return -E.EINVAL;
  }
  const len = M.pageRoundUp(length);
  const replaced = flags & M.MAP_FIXED && addr % M.PAGE_SIZE === 0 ? bytesMappedIn(t, addr, addr + len) : 0;
  if (!mayExpand(t, len, replaced)) return -E.ENOMEM;
  return t.mm.mmap({ addr, length, prot, flags, file, offset });
}

function munmap(t: Task): number {
  const addr = t.arg(0), length = t.arg(1);
  if (addr % M.PAGE_SIZE !== 0 || addr < 0 || addr > TASK_SIZE || length < 0 || length > TASK_SIZE - addr) return -E.EINVAL;
  if (length === 0) return -E.EINVAL;
  return t.mm.munmap(addr, length);
}

function mprotect(t: Task): number {
  const addr = t.arg(0), length = t.arg(1), prot = t.argInt(2);
  if (addr % M.PAGE_SIZE !== 0) return -E.EINVAL;
  if (prot & ~(M.PROT_READ | M.PROT_WRITE | M.PROT_EXEC | M.PROT_GROWSDOWN | M.PROT_GROWSUP)) return -E.EINVAL;
  // Both directions at once, or a direction the first VMA cannot grow in (x86-64 has no upward stacks).
  if ((prot & M.PROT_GROWSDOWN) && (prot & M.PROT_GROWSUP)) return -E.EINVAL;
  if (prot & M.PROT_GROWSUP) return -E.EINVAL;
  if (prot & M.PROT_GROWSDOWN) {
    const v = t.mm.find(addr);
    if (v !== null && v.label !== '[stack]') return -E.EINVAL;
  }
  // A shared file mapping may become writable only if its file was opened for writing (VM_MAYWRITE).
  if (prot & M.PROT_WRITE) {
    const end = addr + M.pageRoundUp(length);
    for (const v of mappingsIn(t, addr, end)) {
      if (v.shared && v.file instanceof FileDescription && !v.file.writable) return -E.EACCES;
    }
  }
  // A file on a noexec mount never becomes executable (VM_MAYEXEC).
  if (prot & M.PROT_EXEC) {
    const end = addr + M.pageRoundUp(length);
    for (const v of mappingsIn(t, addr, end)) {
      if (v.file instanceof FileDescription && v.file.dentry?.mountRoot().mount?.flags.noexec) return -E.EACCES;
    }
  }
  return t.mm.mprotect(addr, length, prot & ~(M.PROT_GROWSDOWN | M.PROT_GROWSUP));
}

function mremap(t: Task): number {
  const oldAddr = t.arg(0), oldLength = t.arg(1), newLength = t.arg(2), flags = t.argInt(3), newAddr = t.arg(4);
  if (flags & ~(M.MREMAP_MAYMOVE | M.MREMAP_FIXED | M.MREMAP_DONTUNMAP)) return -E.EINVAL;
  if ((flags & M.MREMAP_FIXED) && !(flags & M.MREMAP_MAYMOVE)) return -E.EINVAL;
  if (oldAddr % M.PAGE_SIZE !== 0) return -E.EINVAL;
  const oldLen = M.pageRoundUp(oldLength), newLen = M.pageRoundUp(newLength);
  if (newLen === 0) return -E.EINVAL;
  if (flags & M.MREMAP_FIXED) {
    if (newAddr % M.PAGE_SIZE !== 0) return -E.EINVAL;
    if (newLen > TASK_SIZE || newAddr > TASK_SIZE - newLen) return -E.EINVAL;
    // The new range may not overlap the old one.
    if (oldAddr < newAddr + newLen && newAddr < oldAddr + oldLen) return -E.EINVAL;
  }
  if (oldLen === 0) {
    // Only a shared mapping can be duplicated by asking for zero old bytes.
    const v = t.mm.find(oldAddr);
    if (v === null) return -E.EFAULT;
    if (!v.shared) return -E.EINVAL;
  }
  if (newLen > oldLen && !mayExpand(t, newLen - (flags & M.MREMAP_DONTUNMAP ? 0 : oldLen))) return -E.ENOMEM;
  return t.mm.mremap(oldAddr, oldLength, newLength, flags, newAddr);
}

function madvise(t: Task): number {
  const addr = t.arg(0), length = t.arg(1), advice = t.argInt(2);
  switch (advice) {
    case M.MADV_NORMAL: case M.MADV_RANDOM: case M.MADV_SEQUENTIAL: case M.MADV_WILLNEED: case M.MADV_DONTNEED:
    case M.MADV_FREE: case M.MADV_REMOVE: case M.MADV_DONTFORK: case M.MADV_DOFORK: case M.MADV_MERGEABLE:
    case M.MADV_UNMERGEABLE: case M.MADV_HUGEPAGE: case M.MADV_NOHUGEPAGE: case M.MADV_DONTDUMP: case M.MADV_DODUMP:
    case M.MADV_COLD: case M.MADV_PAGEOUT: case M.MADV_POPULATE_READ: case M.MADV_POPULATE_WRITE:
    case M.MADV_WIPEONFORK: case M.MADV_KEEPONFORK:
      break;
    default: return -E.EINVAL;
  }
  if (addr % M.PAGE_SIZE !== 0 || length < 0) return -E.EINVAL;
  const end = addr + M.pageRoundUp(length);
  if (end === addr) return 0;
  const vmas = mappingsIn(t, addr, end);
  // Advice that needs a kind of mapping fails on the first one that is not.
  for (const v of vmas) {
    if (advice === M.MADV_FREE && (v.shared || v.file !== null)) return -E.EINVAL;
    if (advice === M.MADV_REMOVE) {
      if (!v.shared || t.mm.locked.overlap(v.start, v.end) > 0) return -E.EINVAL;
      if (!(v.prot & M.PROT_WRITE)) return -E.EACCES;
    }
    // Populating needs the access it asks for: PROT_NONE has none, a read-only mapping cannot be populated for writing.
    if (advice === M.MADV_POPULATE_READ && v.prot === M.PROT_NONE) return -E.EINVAL;
    if (advice === M.MADV_POPULATE_WRITE && !(v.prot & M.PROT_WRITE)) return -E.EINVAL;
  }
  if (advice === M.MADV_DONTNEED) t.mm.discard(addr, end - addr);
  const forkFlag = advice === M.MADV_DONTFORK || advice === M.MADV_DOFORK ? 'dontFork'
    : advice === M.MADV_WIPEONFORK || advice === M.MADV_KEEPONFORK ? 'wipeOnFork' : null;
  if (forkFlag !== null) {
    const r = t.mm.setForkFlag(addr, end, forkFlag, advice === M.MADV_DONTFORK || advice === M.MADV_WIPEONFORK);
    if (r < 0) return r;
  }
  if (advice === M.MADV_REMOVE) {
    // The range becomes a hole in the shared object: the file's pages are punched, anonymous ones zeroed.
    const r = t.mm.removePages(addr, end, (v, off, len) => punchHole(v.file, off, len));
    if (r < 0) return r;
  }
  // The mapped parts take the advice; a hole anywhere makes the call ENOMEM.
  return fullyMapped(t, addr, end) ? 0 : -E.ENOMEM;
}

/** fallocate(PUNCH_HOLE | KEEP_SIZE) on a mapped file, for MADV_REMOVE. */
function punchHole(file: MappableFile | null, offset: number, length: number): number {
  if (!(file instanceof FileDescription)) return -E.EOPNOTSUPP;
  return file.allocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
}

/**
 * msync(2): shared file mappings write back what was stored through them
 * (MS_ASYNC too: the write-back is done now rather than later).
 */
function msync(t: Task): number {
  const addr = t.arg(0), length = t.arg(1), flags = t.argInt(2);
  if (flags & ~(M.MS_ASYNC | M.MS_INVALIDATE | M.MS_SYNC)) return -E.EINVAL;
  if (addr % M.PAGE_SIZE !== 0) return -E.EINVAL;
  if ((flags & M.MS_ASYNC) && (flags & M.MS_SYNC)) return -E.EINVAL;
  if (length < 0) return -E.ENOMEM;
  const end = addr + M.pageRoundUp(length);
  if (end === addr) return 0;
  // MS_INVALIDATE cannot drop locked pages.
  if ((flags & M.MS_INVALIDATE) && t.mm.locked.overlap(addr, end) > 0) return -E.EBUSY;
  return t.mm.sync(addr, end);
}

/**
 * mincore(2): one byte per page, 1 where the page holds data. Pages the
 * program never touched are 0, as Linux answers for untouched anonymous
 * memory; a private file mapping is a copy, so its pages are all 1.
 */
function mincore(t: Task): number {
  const addr = t.arg(0), length = t.arg(1), vec = t.arg(2);
  if (addr % M.PAGE_SIZE !== 0) return -E.EINVAL;
  if (length < 0 || addr + length > TASK_SIZE) return -E.ENOMEM;
  const pages = M.pageRoundUp(length) / M.PAGE_SIZE;
  if (pages === 0) return 0;
  if (vec < 0 || vec + pages > TASK_SIZE) return -E.EFAULT;
  // Linux answers in batches of a page of bytes, each copied out before the next.
  const BATCH = M.PAGE_SIZE;
  for (let first = 0; first < pages; first += BATCH) {
    const n = Math.min(BATCH, pages - first);
    const out = new Uint8Array(n);
    const mapped = t.mm.resident(addr + first * M.PAGE_SIZE, out);
    // The pages before a hole are reported; then ENOMEM.
    if (mapped > 0 && t.mm.copyOutFull(vec + first, out.subarray(0, mapped)) < 0) return -E.EFAULT;
    if (mapped < n) return -E.ENOMEM;
  }
  return 0;
}

// ---- mlock ----
// Nothing is ever paged out, so locking changes no memory: the locked
// ranges are kept to count against RLIMIT_MEMLOCK (root, which holds
// CAP_IPC_LOCK, is not limited) and for MS_INVALIDATE's EBUSY.

function memlockLimit(t: Task): number {
  const cur = t.rlimits[RLIMIT_MEMLOCK].cur;
  return cur >= BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(cur);
}

const isRoot = (t: Task): boolean => t.creds.euid === 0;

/** can_do_mlock: a zero limit forbids locking to all but root. */
function mayLock(t: Task): boolean {
  return isRoot(t) || memlockLimit(t) !== 0;
}

function doMlock(t: Task, addr: number, length: number): number {
  if (!mayLock(t)) return -E.EPERM;
  const start = addr - (addr % M.PAGE_SIZE);
  const end = M.pageRoundUp(addr + length);
  if (end < start || length < 0) return -E.EINVAL;
  if (!isRoot(t)) {
    const wanted = t.mm.locked.total + (end - start) - t.mm.locked.overlap(start, end);
    if (wanted > memlockLimit(t)) return -E.ENOMEM;
  }
  if (end === start) return 0;
  return lockRange(t, start, end, true);
}

/** Locks or unlocks the mapped run from start on; a hole is ENOMEM, with the part before it done. */
function lockRange(t: Task, start: number, end: number, lock: boolean): number {
  let a = start;
  while (a < end) {
    const v = t.mm.find(a);
    if (v === null) break;
    a = v.end;
  }
  const stop = Math.min(a, end);
  if (stop > start) {
    if (lock) t.mm.locked.add(start, stop); else t.mm.locked.remove(start, stop);
  }
  return stop < end ? -E.ENOMEM : 0;
}

function mlock(t: Task): number { return doMlock(t, t.arg(0), t.arg(1)); }

function mlock2(t: Task): number {
  if (t.argU32(2) & ~M.MLOCK_ONFAULT) return -E.EINVAL;
  return doMlock(t, t.arg(0), t.arg(1));
}

function munlock(t: Task): number {
  const addr = t.arg(0), length = t.arg(1);
  const start = addr - (addr % M.PAGE_SIZE);
  const end = M.pageRoundUp(addr + length);
  if (end < start || length < 0) return -E.EINVAL;
  if (end === start) return 0;
  return lockRange(t, start, end, false);
}

function mlockall(t: Task): number {
  const flags = t.argInt(0);
  if (flags === 0 || (flags & ~(M.MCL_CURRENT | M.MCL_FUTURE | M.MCL_ONFAULT)) || flags === M.MCL_ONFAULT) return -E.EINVAL;
  if (!mayLock(t)) return -E.EPERM;
  if ((flags & M.MCL_CURRENT) && !isRoot(t) && t.mm.totalMapped > memlockLimit(t)) return -E.ENOMEM;
  t.mm.lockFuture = (flags & M.MCL_FUTURE) !== 0;
  if (flags & M.MCL_CURRENT) for (const v of t.mm.mappings()) t.mm.locked.add(v.start, v.end);
  return 0;
}

function munlockall(t: Task): number {
  t.mm.lockFuture = false;
  t.mm.locked.clear();
  return 0;
}

// ---- membarrier ----
// Application threads run in parallel on host threads, so a barrier must
// reach them where they run, through the host's membarrier:
// - PRIVATE_EXPEDITED: the caller's stub registers for the host's
//   expedited barriers (once), then the host's GLOBAL_EXPEDITED reaches
//   every CPU running a thread of a registered stub, the caller's included;
// - GLOBAL and GLOBAL_EXPEDITED: the host's GLOBAL, which waits until every
//   running thread on the host has passed a barrier (slow, never weaker:
//   the processes GLOBAL_EXPEDITED must reach include forked children that
//   inherited a registration without ever calling membarrier).
// Without the host's GLOBAL, only QUERY is served.

const BARRIERS = B.MEMBARRIER_CMD_GLOBAL | B.MEMBARRIER_CMD_GLOBAL_EXPEDITED | B.MEMBARRIER_CMD_PRIVATE_EXPEDITED;
const REGISTERS = B.MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | B.MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
let hostCommands: number | null = null;
/** Stubs registered with the host for its expedited barriers. */
const registeredStubs = new WeakSet<object>();

function supportedBarriers(): number {
  hostCommands ??= Math.max(hostMembarrier(B.MEMBARRIER_CMD_QUERY), 0);
  return hostCommands & B.MEMBARRIER_CMD_GLOBAL ? BARRIERS | REGISTERS | B.MEMBARRIER_CMD_GET_REGISTRATIONS : 0;
}

/** A barrier on every running thread of t's process, the fast way when the host allows it. */
function privateBarrier(t: Task): number {
  const backend = t.mm.backend;
  if ((hostCommands ?? 0) & B.MEMBARRIER_CMD_GLOBAL_EXPEDITED && backend.registerForBarriers !== undefined) {
    if (!registeredStubs.has(backend) && backend.registerForBarriers() === 0) registeredStubs.add(backend);
    if (registeredStubs.has(backend)) {
      const r = hostMembarrier(B.MEMBARRIER_CMD_GLOBAL_EXPEDITED);
      if (r >= 0) return 0;
    }
  }
  const r = hostMembarrier(B.MEMBARRIER_CMD_GLOBAL);
  return r < 0 ? r : 0;
}

function membarrier(t: Task): number {
  const cmd = t.argInt(0), flags = t.argU32(1);
  if (flags !== 0) return -E.EINVAL;
  const supported = supportedBarriers();
  if (cmd === B.MEMBARRIER_CMD_QUERY) return supported;
  if (!(cmd & supported) || (cmd & (cmd - 1)) !== 0) return -E.EINVAL;
  if (cmd & REGISTERS) { t.mm.membarrierRegistered |= cmd; return 0; }
  if (cmd === B.MEMBARRIER_CMD_GET_REGISTRATIONS) return t.mm.membarrierRegistered;
  if (cmd === B.MEMBARRIER_CMD_PRIVATE_EXPEDITED) {
    // The expedited commands serve only a process that registered for them.
    if (!(t.mm.membarrierRegistered & B.MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)) return -E.EPERM;
    return privateBarrier(t);
  }
  const r = hostMembarrier(B.MEMBARRIER_CMD_GLOBAL);
  return r < 0 ? r : 0;
}

/**
 * remap_file_pages(2), deprecated: Linux emulates it by mapping the file
 * again at the new offset over the range, and so do we. Only shared file
 * mappings take it; prot must be 0.
 */
function remapFilePages(t: Task): number {
  const start = t.arg(0), size = t.arg(1), prot = t.arg(2), pgoff = t.arg(3), flags = t.argInt(4);
  if (prot !== 0) return -E.EINVAL;
  if (flags & ~M.MAP_NONBLOCK) return -E.EINVAL;
  const s = start - (start % M.PAGE_SIZE);
  const len = M.pageRoundUp(size);
  // Overflow of the range or of the file offset in pages.
  if (s + len <= s || pgoff + len / M.PAGE_SIZE < pgoff) return -E.EINVAL;
  const v = t.mm.find(s);
  if (v === null || !v.shared || v.file === null || s + len > v.end) return -E.EINVAL;
  // The same file, the same pages' protection, a new offset.
  const r = t.mm.mmap({ addr: s, length: len, prot: v.prot, flags: M.MAP_SHARED | M.MAP_FIXED, file: v.file,
    offset: pgoff * M.PAGE_SIZE, label: v.label });
  return r < 0 ? r : 0;
}

/** brk: a heap that would pass RLIMIT_DATA or RLIMIT_AS stays where it is, as Linux leaves it. */
function brk(t: Task): number {
  const want = t.arg(0), cur = t.mm.brk(0);
  const grow = M.pageRoundUp(want) - M.pageRoundUp(cur);
  if (grow > 0) {
    const heap = M.pageRoundUp(want) - t.mm.brkStart;
    if (!mayExpand(t, heap, 0, RLIMIT_DATA) || !mayExpand(t, grow)) return cur;
  }
  return t.mm.brk(want);
}

export const mmSyscalls: SyscallGroup = {
  mmap: sys(mmap, 'xuxxfx', 'no SIGBUS past the end of a shared file; Gofer files\' shared pages are a cache written back on msync/munmap/exit and read(2)'),
  munmap: sys(munmap, 'xu'),
  mprotect: sys(mprotect, 'xux'),
  mremap: sys(mremap, 'xuuxx'),
  brk: sys(brk, 'x'),
  madvise: sys(madvise, 'xui', 'MADV_DONTNEED zeroes, MADV_REMOVE punches, fork obeys DONTFORK and WIPEONFORK; other advice is checked and ignored'),
  msync: sys(msync, 'xux'),
  mincore: sys(mincore, 'xup'),
  mlock: sys(mlock, 'xu'),
  mlock2: sys(mlock2, 'xux'),
  munlock: sys(munlock, 'xu'),
  mlockall: sys(mlockall, 'x'),
  munlockall: sys(munlockall, ''),
  membarrier: sys(membarrier, 'iui', 'no SYNC_CORE or RSEQ commands; GLOBAL_EXPEDITED is as slow as GLOBAL'),
  remap_file_pages: sys(remapFilePages, 'xuxux'),
};
