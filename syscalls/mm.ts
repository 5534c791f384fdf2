// Memory syscalls: mmap family, brk, madvise, msync, mlock. The handlers
// check arguments as Linux does, in its order, before the address space
// (sentry/mm) changes anything.
import { E } from '../abi/linux/errno.js';
import * as M from '../abi/linux/mman.js';
import { TASK_SIZE } from '../platform/ptrace/stub-elf.js';
import { RLIM_INFINITY, RLIMIT_AS, RLIMIT_DATA } from '../sentry/kernel/rlimits.js';
import type { Task } from '../sentry/kernel/task.js';
import type { MappableFile } from '../sentry/mm/vma.js';
import { FileDescription } from '../sentry/vfs/file-description.js';
import { PathFile } from '../sentry/vfs/path-file.js';
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
function mappingsIn(t: Task, start: number, end: number): Array<{ start: number; end: number; shared: boolean; file: unknown; label: string }> {
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
    if (advice === M.MADV_REMOVE && !v.shared) return -E.EINVAL;
  }
  if (advice === M.MADV_DONTNEED) t.mm.discard(addr, end - addr);
  // The mapped parts take the advice; a hole anywhere makes the call ENOMEM.
  return fullyMapped(t, addr, end) ? 0 : -E.ENOMEM;
}

function msync(t: Task): number {
  const addr = t.arg(0), length = t.arg(1), flags = t.argInt(2);
  if (flags & ~(M.MS_ASYNC | M.MS_INVALIDATE | M.MS_SYNC)) return -E.EINVAL;
  if (addr % M.PAGE_SIZE !== 0) return -E.EINVAL;
  if ((flags & M.MS_ASYNC) && (flags & M.MS_SYNC)) return -E.EINVAL;
  if (length < 0) return -E.ENOMEM;
  const end = addr + M.pageRoundUp(length);
  if (end === addr) return 0;
  // MAP_SHARED file mappings are private copies so far: nothing to write back.
  return fullyMapped(t, addr, end) ? 0 : -E.ENOMEM;
}

/** mlock/munlock: nothing is ever paged out, so only the range is checked. */
function mlockRange(t: Task): number {
  const addr = t.arg(0), length = t.arg(1);
  if (length < 0) return -E.EINVAL;
  const start = addr - (addr % M.PAGE_SIZE);
  const end = M.pageRoundUp(addr + length);
  if (end === start) return 0;
  return fullyMapped(t, start, end) ? 0 : -E.ENOMEM;
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
  mmap: sys(mmap, 'xuxxfx', 'MAP_SHARED file mappings are private copies (no write-back yet)'),
  munmap: sys(munmap, 'xu'),
  mprotect: sys(mprotect, 'xux'),
  mremap: sys(mremap, 'xuuxx'),
  brk: sys(brk, 'x'),
  madvise: sys(madvise, 'xui', 'MADV_DONTNEED zeroes; other advice is checked and ignored'),
  msync: sys(msync, 'xux'),
  mlock: sys(mlockRange, 'xu'),
  munlock: sys(mlockRange, 'xu'),
};
