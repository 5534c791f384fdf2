// An open file: the state open(2) creates and dup(2) shares. Subclasses
// override what they support; the rest fails as Linux fails it.
import { E } from '../../abi/linux/errno.js';
import { O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET } from '../../abi/linux/fcntl.js';
import type { Stat } from '../../abi/linux/stat.js';
import type { DirEntry } from './inode.js';
import type { Dentry } from './dentry.js';
import { lockKey, releaseLocks } from './lock.js';
import { flockRelease } from './flock.js';
import type { WaitQueue } from '../kernel/wait-queue.js';
import { notifyClose } from './notify.js';

let nextId = 1;

export abstract class FileDescription {
  /** Unique per open file description (epoll keys items by fd and description). */
  readonly id = nextId++;
  /** Current offset for read/write/lseek. */
  offset = 0;
  /** The dentry this was opened from (for fchdir, /proc/self/fd, getcwd). */
  dentry: Dentry | null = null;
  /** F_SETOWN's process (negative: process group) for SIGIO; 0 for none. */
  owner = 0;
  private refs = 1;

  constructor(public flags: number) {}

  /** For a file on Linux's anon_inode file system: the name /proc/<pid>/fd shows after "anon_inode:" ("[eventfd]", "inotify"). */
  get anonInodeName(): string | null { return null; }

  // Access mode 3 is neither: an open for ioctls only (Linux's FMODE bits are (mode + 1) & 3).
  get readable(): boolean { const acc = this.flags & O_ACCMODE; return acc === O_RDONLY || acc === O_RDWR; }
  get writable(): boolean { const acc = this.flags & O_ACCMODE; return acc === O_WRONLY || acc === O_RDWR; }

  /** Reads at offset (or at and advancing this.offset when offset < 0) into dst. */
  read(dst: Uint8Array, offset: number): number { void dst; void offset; return -E.EINVAL; }
  write(src: Uint8Array, offset: number): number { void src; void offset; return -E.EINVAL; }
  abstract stat(): Stat | number;
  /** Directory entries from position this.offset; a cursor the fs defines. */
  readdir(): DirEntry[] | number { return -E.ENOTDIR; }
  /**
   * The size of the record a read hands out whole (eventfd's count, a
   * signalfd_siginfo); 1 for byte streams and files. A read whose buffer
   * faults asks the file for one record (syscalls/file.ts readFault).
   */
  readRecordSize(): number { return 1; }
  /**
   * What a read would hand out now, copied into dst and left in the file:
   * the count, 0 at end of file, or a negative errno (-EAGAIN: a read would
   * wait); null for a file that cannot look ahead. A stream's read whose
   * buffer faults peeks, so that the data stays (syscalls/file.ts readFault).
   */
  peek(dst: Uint8Array): number | null { void dst; return null; }
  /** Size for SEEK_END; -ESPIPE for streams. */
  seekable(): boolean { return true; }
  ioctl(request: number, arg: number, io: IoctlIo): number { void request; void arg; void io; return -E.ENOTTY; }
  /**
   * Where a blocking reader (or writer) waits after this file answered
   * EAGAIN; null for files that never make anyone wait.
   */
  waitQueue(forWrite: boolean): WaitQueue | null { void forWrite; return null; }
  /** Ready events now (POLLIN, POLLOUT, POLLHUP, POLLERR...). Plain files are always ready. */
  readiness(): number { return 0x1 | 0x4; }
  /** Pipes and sockets: a write that finds no reader raises SIGPIPE. */
  get raisesSigpipe(): boolean { return false; }
  /** fcntl commands particular to this kind of file (pipes' F_GETPIPE_SZ...), or null. */
  fcntl(cmd: number, arg: number): number | null { void cmd; void arg; return null; }
  /** fsync(2)/fdatasync(2): a file without the operation answers EINVAL, as Linux's vfs_fsync_range does. */
  fsync(datasync: boolean): number { void datasync; return -E.EINVAL; }
  /** ftruncate(2) and O_TRUNC; the VFS checked the mode and the kind of file. */
  truncate(size: number): number { void size; return -E.EINVAL; }
  /**
   * fallocate(2) after the VFS's checks (a writable regular file, a valid
   * range and mode): EOPNOTSUPP where the file system cannot.
   */
  allocate(mode: number, offset: number, length: number): number { void mode; void offset; void length; return -E.EOPNOTSUPP; }

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
      case SEEK_DATA: case SEEK_HOLE: {
        // Without hole information every byte is data and the one hole is
        // at end of file: Linux's generic answer (generic_file_llseek_size).
        const st = this.stat();
        if (typeof st === 'number') return st;
        if (offset < 0 || offset >= st.size) return -E.ENXIO;
        this.offset = whence === SEEK_DATA ? offset : st.size;
        return this.offset;
      }
      default: return -E.EINVAL;
    }
    const next = base + offset;
    if (next < 0) return -E.EINVAL;
    this.offset = next;
    return next;
  }

  incRef(): void { this.refs++; }
  /** Every reference is gone: the description is closed. */
  get isReleased(): boolean { return this.refs === 0; }
  decRef(): void {
    if (--this.refs !== 0) return;
    // OFD and flock locks belong to the description and end with it.
    releaseLocks(lockKey(this), this);
    flockRelease(lockKey(this), this);
    notifyClose(this);
    this.release();
  }
  protected release(): void {}
}

/** What an ioctl may do with application memory. */
export interface IoctlIo {
  copyOut(addr: number, src: Uint8Array): number;
  copyIn(addr: number, dst: Uint8Array): number;
  /** Who asks (for a terminal's session rules: TIOCSCTTY, TIOCNOTTY); absent for in-Sentry callers. */
  readonly caller?: IoctlCaller;
}

/** The calling process as a terminal sees it. */
export interface IoctlCaller { readonly tgid: number; readonly pgid: number; readonly sid: number; readonly privileged: boolean }
