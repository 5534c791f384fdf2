// memfd_create(2)'s files: tmpfs regular files that no directory names,
// with file seals (F_ADD_SEALS) that refuse writes, growth or shrinking.
// Every tmpfs file can be asked for its seals; only a memfd made with
// MFD_ALLOW_SEALING takes new ones (the others are sealed with F_SEAL_SEAL
// from birth, as Linux's shmem files are).
import { E } from '../../../abi/linux/errno.js';
import {
  F_SEAL_EXEC, F_SEAL_FUTURE_WRITE, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_WRITE,
} from '../../../abi/linux/fcntl.js';
import { FALLOC_FL_PUNCH_HOLE } from '../../../abi/linux/falloc.js';
import { Dentry } from '../../vfs/dentry.js';
import type { FileDescription } from '../../vfs/file-description.js';
import type { Inode, SetAttr } from '../../vfs/inode.js';
import { PAGE_SIZE } from './fs.js';
import { TmpfsRegular } from './regular-file.js';
import { newTmpfs, type TmpfsDir } from './tmpfs.js';

export const F_ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC;
const WRITE_SEALS = F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;

export class MemfdInode extends TmpfsRegular {
  seals = 0;

  /** shmem_write_begin: a write seal refuses every write, a grow seal each page's worth that would pass the end. */
  override writeAt(offset: number, src: Uint8Array): number {
    if (this.seals & WRITE_SEALS) return -E.EPERM;
    if (!(this.seals & F_SEAL_GROW) || offset + src.length <= this.fileSize) return super.writeAt(offset, src);
    let done = 0;
    while (done < src.length) {
      const pos = offset + done;
      const chunk = Math.min(PAGE_SIZE - (pos % PAGE_SIZE), src.length - done);
      if (pos + chunk > this.fileSize) break;
      const n = super.writeAt(pos, src.subarray(done, done + chunk));
      if (n < 0) return done > 0 ? done : n;
      done += n;
    }
    return done > 0 ? done : -E.EPERM;
  }

  /** F_SEAL_EXEC: the execute bits stay as they are. */
  override setattr(attr: SetAttr): number {
    if ((this.seals & F_SEAL_EXEC) && attr.mode !== undefined && ((attr.mode ^ this.mode) & 0o111)) return -E.EPERM;
    return super.setattr(attr);
  }

  protected override resize(size: number): number {
    if ((size < this.fileSize && (this.seals & F_SEAL_SHRINK)) || (size > this.fileSize && (this.seals & F_SEAL_GROW))) return -E.EPERM;
    return super.resize(size);
  }

  override allocate(mode: number, offset: number, length: number): number {
    if (mode & FALLOC_FL_PUNCH_HOLE) {
      if (this.seals & WRITE_SEALS) return -E.EPERM;
    } else if ((this.seals & F_SEAL_GROW) && offset + length > this.fileSize) {
      return -E.EPERM;
    }
    return super.allocate(mode, offset, length);
  }
}

/** The tmpfs memfds live in (Linux's shm_mnt): never mounted, so no path reaches them. */
let memfdRoot: { dir: TmpfsDir; dentry: Dentry } | null = null;

/**
 * A new memfd opened O_RDWR with flags; its dentry is "/memfd:NAME",
 * unlinked, as /proc/self/fd shows it. mode is 0777 less what NOEXEC_SEAL
 * takes away; seals start with F_SEAL_SEAL unless sealing is allowed.
 */
export function newMemfd(name: string, flags: number, mode: number, uid: number, gid: number, seals: number): FileDescription | number {
  if (memfdRoot === null) {
    const dir = newTmpfs({ mode: 0o1777 });
    memfdRoot = { dir, dentry: new Dentry('', null, dir) };
  }
  const ino = memfdRoot.dir.fs.takeInode();
  if (typeof ino === 'number') return ino;
  const inode = new MemfdInode(memfdRoot.dir.fs, ino, mode, uid, gid);
  inode.nlink = 0;
  inode.seals = seals;
  const file = inode.open(flags);
  const d = new Dentry(`memfd:${name}`, memfdRoot.dentry, inode);
  d.unlinked = true;
  file.dentry = d;
  return file;
}

/** The seals of a file, or null where there are none to have (not tmpfs): F_GET_SEALS's EINVAL. */
export function sealsOf(inode: Inode): number | null {
  if (inode instanceof MemfdInode) return inode.seals;
  return inode instanceof TmpfsRegular ? F_SEAL_SEAL : null;
}

/** memfd_add_seals, after the caller's check that the file is open for writing. */
export function addSeals(inode: Inode, seals: number): number {
  if (seals & ~F_ALL_SEALS) return -E.EINVAL;
  const current = sealsOf(inode);
  if (current === null) return -E.EINVAL;
  if (current & F_SEAL_SEAL || !(inode instanceof MemfdInode)) return -E.EPERM;
  // F_SEAL_EXEC on an executable file implies the write seals: W^X from then on.
  if ((seals & F_SEAL_EXEC) && (inode.mode & 0o111)) seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
  inode.seals |= seals;
  return 0;
}
