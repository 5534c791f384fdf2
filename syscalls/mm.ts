// Memory syscalls: mmap family, brk, madvise.
import { E } from '../abi/linux/errno.js';
import { O_ACCMODE, O_RDONLY, O_WRONLY } from '../abi/linux/fcntl.js';
import * as M from '../abi/linux/mman.js';
import type { Task } from '../sentry/kernel/task.js';
import type { MappableFile } from '../sentry/mm/vma.js';
import { sys, type SyscallGroup } from './types.js';

/** A file description that can back a mapping. */
function isMappable(f: unknown): f is MappableFile {
  return typeof f === 'object' && f !== null && typeof (f as MappableFile).readInto === 'function';
}

function mmap(t: Task): number {
  const addr = t.arg(0), length = t.arg(1), prot = t.argInt(2), flags = t.argInt(3), fd = t.argInt(4), offset = t.arg(5);
  if (length === 0) return -E.EINVAL;
  if (length < 0 || length > 2 ** 47) return -E.ENOMEM;
  let file: MappableFile | null = null;
  if (!(flags & M.MAP_ANONYMOUS)) {
    const f = t.fdTable.get(fd);
    if (f === null) return -E.EBADF;
    if (!isMappable(f)) return -E.ENODEV;
    const acc = f.flags & O_ACCMODE;
    if (acc === O_WRONLY) return -E.EACCES;
    if ((flags & M.MAP_TYPE) !== M.MAP_PRIVATE && (prot & M.PROT_WRITE) && acc === O_RDONLY) return -E.EACCES;
    file = f;
  }
  return t.mm.mmap({ addr, length, prot, flags, file, offset });
}

function madvise(t: Task): number {
  const addr = t.arg(0), length = t.arg(1), advice = t.argInt(2);
  if (addr % M.PAGE_SIZE !== 0 || length < 0) return -E.EINVAL;
  switch (advice) {
    case M.MADV_DONTNEED: return t.mm.discard(addr, length);
    case M.MADV_NORMAL: case M.MADV_RANDOM: case M.MADV_SEQUENTIAL: case M.MADV_WILLNEED: case M.MADV_FREE:
    case M.MADV_DONTFORK: case M.MADV_DOFORK: case M.MADV_MERGEABLE: case M.MADV_UNMERGEABLE:
    case M.MADV_HUGEPAGE: case M.MADV_NOHUGEPAGE: case M.MADV_DONTDUMP: case M.MADV_DODUMP:
      return 0;
    default: return -E.EINVAL;
  }
}

export const mmSyscalls: SyscallGroup = {
  mmap: sys(mmap, 'xuxxfx', 'MAP_SHARED file mappings are private copies (no write-back yet)'),
  munmap: sys((t) => t.mm.munmap(t.arg(0), t.arg(1)), 'xu'),
  mprotect: sys((t) => t.mm.mprotect(t.arg(0), t.arg(1), t.argInt(2)), 'xux'),
  mremap: sys((t) => t.mm.mremap(t.arg(0), t.arg(1), t.arg(2), t.argInt(3), t.arg(4)), 'xuuxx'),
  brk: sys((t) => t.mm.brk(t.arg(0)), 'x'),
  madvise: sys(madvise, 'xui', 'advice other than MADV_DONTNEED is accepted and ignored'),
  msync: sys((t) => (t.arg(0) % M.PAGE_SIZE !== 0 ? -E.EINVAL : 0), 'xux'),
  mlock: sys(() => 0, 'xu'),
  munlock: sys(() => 0, 'xu'),
};
