// Pipes: a byte ring shared by read and write ends. Writes of at most
// PIPE_BUF bytes are atomic; a write with no reader is EPIPE; a read with no
// writer and no data is end of file. Ends answer EAGAIN and name the queue
// a blocking caller waits on.
import { E } from '../../../abi/linux/errno.js';
import { O_ACCMODE, O_RDONLY, O_WRONLY } from '../../../abi/linux/fcntl.js';
import { S_IFIFO, type Stat } from '../../../abi/linux/stat.js';
import { FileDescription } from '../../vfs/file-description.js';
import { WaitQueue } from '../../kernel/wait-queue.js';

export const PIPE_BUF = 4096;
export const DEFAULT_PIPE_SIZE = 65536;
/** /proc/sys/fs/pipe-max-size default. */
export const PIPE_MAX_SIZE = 1048576;
const F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
const FIONREAD = 0x541b;
const POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10;

let nextIno = 1n;

export class Pipe {
  private buf = new Uint8Array(DEFAULT_PIPE_SIZE);
  private head = 0;
  private length = 0;
  readers = 0;
  writers = 0;
  /** Readers wait here for data or the last writer's close; writers for room or the last reader's close. */
  readonly readable = new WaitQueue();
  readonly writable = new WaitQueue();
  readonly ino = nextIno++;
  private readonly ctime = Date.now();

  /** uid, gid: the pipe inode's owner, the creator's fsuid and fsgid (pipefs's mode is 0600). */
  constructor(private readonly uid = 0, private readonly gid = 0) {}

  get capacity(): number { return this.buf.length; }
  get available(): number { return this.length; }

  read(dst: Uint8Array): number {
    if (dst.length === 0) return 0;
    if (this.length === 0) return this.writers === 0 ? 0 : -E.EAGAIN;
    const n = Math.min(dst.length, this.length);
    const first = Math.min(n, this.buf.length - this.head);
    dst.set(this.buf.subarray(this.head, this.head + first), 0);
    if (n > first) dst.set(this.buf.subarray(0, n - first), first);
    this.head = (this.head + n) % this.buf.length;
    this.length -= n;
    this.writable.wakeAll();
    return n;
  }

  /** Copies out without consuming (MSG_PEEK). */
  peek(dst: Uint8Array): number {
    if (this.length === 0) return this.writers === 0 ? 0 : -E.EAGAIN;
    const n = Math.min(dst.length, this.length);
    const first = Math.min(n, this.buf.length - this.head);
    dst.set(this.buf.subarray(this.head, this.head + first), 0);
    if (n > first) dst.set(this.buf.subarray(0, n - first), first);
    return n;
  }

  write(src: Uint8Array): number {
    // Linux returns before it looks for readers: an empty write never raises EPIPE.
    if (src.length === 0) return 0;
    // Up to PIPE_BUF bytes go in whole or not at all.
    if (src.length <= PIPE_BUF && this.buf.length - this.length < src.length && this.readers > 0) return -E.EAGAIN;
    return this.writeStream(src);
  }

  /** Writes what fits, with no atomicity promise (stream sockets). */
  writeStream(src: Uint8Array): number {
    if (this.readers === 0) return -E.EPIPE;
    if (src.length === 0) return 0;
    const room = this.buf.length - this.length;
    if (room === 0) return -E.EAGAIN;
    const n = Math.min(room, src.length);
    const tail = (this.head + this.length) % this.buf.length;
    const first = Math.min(n, this.buf.length - tail);
    this.buf.set(src.subarray(0, first), tail);
    if (n > first) this.buf.set(src.subarray(first, n), 0);
    this.length += n;
    this.readable.wakeAll();
    return n;
  }

  /** F_SETPIPE_SZ: rounds up to a power of two pages; EBUSY if the data would not fit. */
  resize(size: number): number {
    // fcntl's argument is an unsigned int here; beyond 2^31 no power of two fits it (EINVAL, before EPERM).
    size %= 2 ** 32;
    if (size > 2 ** 31) return -E.EINVAL;
    if (size <= 0) size = 4096;
    if (size > PIPE_MAX_SIZE) return -E.EPERM;
    let n = 4096;
    while (n < size) n *= 2;
    if (n < this.length) return -E.EBUSY;
    const next = new Uint8Array(n);
    const first = Math.min(this.length, this.buf.length - this.head);
    next.set(this.buf.subarray(this.head, this.head + first), 0);
    if (this.length > first) next.set(this.buf.subarray(0, this.length - first), first);
    this.buf = next;
    this.head = 0;
    this.writable.wakeAll();
    return n;
  }

  stat(): Stat {
    const sec = Math.floor(this.ctime / 1000), nsec = (this.ctime % 1000) * 1e6;
    return {
      dev: 0xc, ino: this.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: this.uid, gid: this.gid, rdev: 0, size: 0, blksize: 4096, blocks: 0,
      atime: { sec, nsec }, mtime: { sec, nsec }, ctime: { sec, nsec },
    };
  }
}

/** One end of a pipe. */
export class PipeEnd extends FileDescription {
  /** A pipe(2) end reads or writes; a FIFO opened O_RDWR does both. */
  private readonly reads: boolean;
  private readonly writes: boolean;

  constructor(readonly pipe: Pipe, flags: number) {
    super(flags);
    const acc = flags & O_ACCMODE;
    this.reads = acc !== O_WRONLY;
    this.writes = acc !== O_RDONLY;
    if (this.reads) pipe.readers++;
    if (this.writes) pipe.writers++;
  }

  override read(dst: Uint8Array): number { return this.reads ? this.pipe.read(dst) : -E.EBADF; }
  override write(src: Uint8Array): number { return this.writes ? this.pipe.write(src) : -E.EBADF; }
  override peek(dst: Uint8Array): number { return this.reads ? this.pipe.peek(dst) : -E.EBADF; }
  override seekable(): boolean { return false; }
  override waitQueue(forWrite: boolean): WaitQueue { return forWrite ? this.pipe.writable : this.pipe.readable; }
  override get raisesSigpipe(): boolean { return true; }
  override readiness(): number {
    const p = this.pipe;
    let r = 0;
    if (this.reads) r |= (p.available > 0 ? POLLIN : 0) | (p.writers === 0 ? POLLHUP : 0);
    // Without readers a write end is both writable (the write fails with EPIPE at once) and in error.
    if (this.writes) r |= (p.readers === 0 ? POLLERR : 0) | (p.capacity - p.available >= PIPE_BUF ? POLLOUT : 0);
    return r;
  }
  stat(): Stat { return this.pipe.stat(); }

  override fcntl(cmd: number, arg: number): number | null {
    if (cmd === F_GETPIPE_SZ) return this.pipe.capacity;
    if (cmd === F_SETPIPE_SZ) return this.pipe.resize(arg);
    return null;
  }

  override ioctl(request: number, arg: number, io: { copyOut(a: number, b: Uint8Array): number }): number {
    if (request !== FIONREAD) return -E.ENOTTY;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, this.pipe.available, true);
    return io.copyOut(arg, b) < 0 ? -E.EFAULT : 0;
  }

  protected override release(): void {
    if (this.reads && --this.pipe.readers === 0) this.pipe.writable.wakeAll();
    if (this.writes && --this.pipe.writers === 0) this.pipe.readable.wakeAll();
  }
}

/** A new pipe's two ends: [read, write]; uid and gid own its inode. */
export function newPipe(flags: number, uid = 0, gid = 0): [PipeEnd, PipeEnd] {
  const p = new Pipe(uid, gid);
  return [new PipeEnd(p, O_RDONLY | flags), new PipeEnd(p, O_WRONLY | flags)];
}
