// An open file: the state open(2) creates and dup(2) shares. Subclasses
// override what they support; the rest fails as Linux fails it.
import { E } from '../../abi/linux/errno.js';
import { O_ACCMODE, O_RDONLY, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET } from '../../abi/linux/fcntl.js';
import type { Stat } from '../../abi/linux/stat.js';
import type { DirEntry } from './inode.js';
import type { Dentry } from './dentry.js';

export abstract class FileDescription {
  /** Current offset for read/write/lseek. */
  offset = 0;
  /** The dentry this was opened from (for fchdir, /proc/self/fd, getcwd). */
  dentry: Dentry | null = null;
  private refs = 1;

  constructor(public flags: number) {}

  get readable(): boolean { return (this.flags & O_ACCMODE) !== O_WRONLY; }
  get writable(): boolean { return (this.flags & O_ACCMODE) !== O_RDONLY; }

  /** Reads at offset (or at and advancing this.offset when offset < 0) into dst. */
  read(dst: Uint8Array, offset: number): number { void dst; void offset; return -E.EINVAL; }
  write(src: Uint8Array, offset: number): number { void src; void offset; return -E.EINVAL; }
  abstract stat(): Stat | number;
  /** Directory entries from position this.offset; a cursor the fs defines. */
  readdir(): DirEntry[] | number { return -E.ENOTDIR; }
  /** Size for SEEK_END; -ESPIPE for streams. */
  seekable(): boolean { return true; }
  ioctl(request: number, arg: number, io: IoctlIo): number { void request; void arg; void io; return -E.ENOTTY; }
  fsync(): number { return 0; }
  truncate(size: number): number { void size; return -E.EINVAL; }

  lseek(offset: number, whence: number): number {
    if (!this.seekable()) return -E.ESPIPE;
    let base: number;
    switch (whence) {
      case SEEK_SET: base = 0; break;
      case SEEK_CUR: base = this.offset; break;
      case SEEK_END: {
        const st = this.stat();
        if (typeof st === 'number') return st;
        base = st.size; break;
      }
      default: return -E.EINVAL;
    }
    const next = base + offset;
    if (next < 0) return -E.EINVAL;
    this.offset = next;
    return next;
  }

  incRef(): void { this.refs++; }
  decRef(): void { if (--this.refs === 0) this.release(); }
  protected release(): void {}
}

/** What an ioctl may do with application memory. */
export interface IoctlIo {
  copyOut(addr: number, src: Uint8Array): number;
  copyIn(addr: number, dst: Uint8Array): number;
}
