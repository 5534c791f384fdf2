// memfd_create(2): an anonymous tmpfs file (sentry/fsimpl/tmpfs/memfd.ts).
import { E } from '../abi/linux/errno.js';
import { F_SEAL_EXEC, F_SEAL_SEAL, O_LARGEFILE, O_RDWR } from '../abi/linux/fcntl.js';
import type { Task } from '../sentry/kernel/task.js';
import { newMemfd } from '../sentry/fsimpl/tmpfs/memfd.js';
import { NAME_MAX } from '../sentry/vfs/path-walk.js';
import { sys, type SyscallGroup } from './types.js';

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const MFD_HUGETLB = 0x4;
const MFD_NOEXEC_SEAL = 0x8;
const MFD_EXEC = 0x10;
const MFD_ALL_FLAGS = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
/** The name shows as "memfd:NAME" and must fit a file name. */
const MFD_NAME_MAX = NAME_MAX - 'memfd:'.length;

function memfdCreate(t: Task): number {
  const flags = t.argU32(1);
  if (flags & ~MFD_ALL_FLAGS) return -E.EINVAL;
  // No huge pages in the sandbox: a hugetlbfs file cannot be made.
  if (flags & MFD_HUGETLB) return -E.EINVAL;
  if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL)) return -E.EINVAL;
  const name = t.mm.readCString(t.arg(0), MFD_NAME_MAX + 1);
  if (name === -E.ENAMETOOLONG) return -E.EINVAL;
  if (typeof name === 'number') return name;
  // vm.memfd_noexec = 0 (the default): executable unless NOEXEC_SEAL, which also seals that.
  const noexec = (flags & MFD_NOEXEC_SEAL) !== 0;
  const seals = noexec ? F_SEAL_EXEC : flags & MFD_ALLOW_SEALING ? 0 : F_SEAL_SEAL;
  const file = newMemfd(name, O_RDWR | O_LARGEFILE, noexec ? 0o666 : 0o777, t.creds.fsuid, t.creds.fsgid, seals);
  if (typeof file === 'number') return file;
  return t.fdTable.add(file, (flags & MFD_CLOEXEC) !== 0);
}

export const memfdSyscalls: SyscallGroup = {
  memfd_create: sys(memfdCreate, 'sx', 'MFD_HUGETLB is EINVAL (no huge pages); F_SEAL_WRITE does not yet refuse shared writable mappings'),
};
