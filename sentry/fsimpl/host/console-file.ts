// The console: the host fds runsc handed the sandbox as its stdin, stdout
// and stderr. Reads and writes go to the host fd; terminal ioctls are
// answered by the host terminal, as gVisor does for a donated TTY.
import { E } from '../../../abi/linux/errno.js';
import { O_RDWR } from '../../../abi/linux/fcntl.js';
import { TCGETS, TCSETS, TCSETSF, TCSETSW, TERMIOS_SIZE, TIOCGWINSZ, TIOCSWINSZ, WINSIZE_SIZE, TIOCGPGRP } from '../../../abi/linux/ioctl.js';
import { S_IFMT, S_IFSOCK, type Stat } from '../../../abi/linux/stat.js';
import { fdatasync, fstat, fsync, ftruncate, lseek } from '../../../host/fs.js';
import { ioctlWithBuffer, read, write } from '../../../host/io.js';
import { FileDescription, type IoctlIo } from '../../vfs/file-description.js';
import type { WaitQueue } from '../../kernel/wait-queue.js';
import { pollOne, POLLIN } from '../../../host/socket.js';

export class ConsoleFile extends FileDescription {
  /** inputReady: where readers wait until the waker sees input on the host fd. */
  constructor(private readonly hostFd: number, private readonly inputReady: WaitQueue, flags = O_RDWR) { super(flags); }

  /**
   * open(2) through /proc/<pid>/fd/N: a new description of the same host fd,
   * as Linux opens a pipe or terminal again; a socket cannot be opened
   * (ENXIO), as on Linux, where `echo > /dev/stdout` fails on a socket.
   */
  reopen(flags: number): ConsoleFile | number {
    if (this.isHostSocket) return -E.ENXIO;
    return new ConsoleFile(this.hostFd, this.inputReady, flags);
  }

  /** Never blocks the Sentry: with no input yet, EAGAIN, and the reader waits on `inputReady`. */
  override read(dst: Uint8Array): number {
    if (dst.length === 0) return 0;
    const ready = pollOne(this.hostFd, POLLIN, 0);
    if (ready < 0) return ready;
    if (ready === 0) return -E.EAGAIN;
    return read(this.hostFd, dst);
  }
  override readiness(): number {
    const r = pollOne(this.hostFd, POLLIN, 0);
    return (r > 0 ? r & (POLLIN | 0x10 | 0x8) : 0) | 0x4;
  }
  override waitQueue(forWrite: boolean): WaitQueue | null { return forWrite ? null : this.inputReady; }
  override write(src: Uint8Array): number { return write(this.hostFd, src); }
  override seekable(): boolean { return false; }
  /**
   * The host fd's own offset, which every description of the console
   * shares: a regular file (`runsc do prog > out`) seeks as on Linux; a
   * pipe, socket or terminal answers ESPIPE from the host.
   */
  override lseek(offset: number, whence: number): number {
    const r = lseek(this.hostFd, BigInt(offset), whence);
    return typeof r === 'number' ? r : Number(r);
  }
  /** ftruncate(2) and O_TRUNC (`> /dev/stderr` when stderr is a file): the host file is cut. */
  override truncate(size: number): number { return ftruncate(this.hostFd, size); }
  /** Whatever the host fd is (a terminal, a pipe, a file) answers. */
  override fsync(datasync: boolean): number { return datasync ? fdatasync(this.hostFd) : fsync(this.hostFd); }

  /**
   * Whether the host fd is a socket (runsc's stdio is often a socketpair, as
   * Node's child_process makes). The sandbox then sees a connected, unnamed
   * AF_UNIX stream socket: getsockname and getpeername answer for it.
   */
  get isHostSocket(): boolean {
    const s = fstat(this.hostFd);
    return typeof s !== 'number' && (s.mode & S_IFMT) === S_IFSOCK;
  }

  stat(): Stat | number {
    const s = fstat(this.hostFd);
    if (typeof s === 'number') return s;
    return {
      dev: Number(s.dev), ino: s.ino, mode: s.mode, nlink: s.nlink, uid: s.uid, gid: s.gid, rdev: Number(s.rdev),
      size: s.size, blksize: s.blksize, blocks: s.blocks,
      atime: { sec: s.atimeSec, nsec: s.atimeNsec }, mtime: { sec: s.mtimeSec, nsec: s.mtimeNsec },
      ctime: { sec: s.ctimeSec, nsec: s.ctimeNsec },
    };
  }

  override ioctl(request: number, arg: number, io: IoctlIo): number {
    switch (request) {
      case TCGETS: return this.passOut(request, arg, TERMIOS_SIZE, io);
      case TIOCGWINSZ: return this.passOut(request, arg, WINSIZE_SIZE, io);
      case TCSETS: case TCSETSW: case TCSETSF: return this.passIn(request, arg, TERMIOS_SIZE, io);
      case TIOCSWINSZ: return this.passIn(request, arg, WINSIZE_SIZE, io);
      case TIOCGPGRP: {
        // The sandbox's foreground process group is its init's.
        const probe = new Uint8Array(TERMIOS_SIZE);
        const r = ioctlWithBuffer(this.hostFd, TCGETS, probe);
        if (r < 0) return r;
        const out = new Uint8Array(4); new DataView(out.buffer).setInt32(0, 1, true);
        return io.copyOut(arg, out) < 0 ? -E.EFAULT : 0;
      }
      default: return -E.ENOTTY;
    }
  }

  private passOut(request: number, arg: number, size: number, io: IoctlIo): number {
    const buf = new Uint8Array(size);
    const r = ioctlWithBuffer(this.hostFd, request, buf);
    if (r < 0) return r;
    return io.copyOut(arg, buf) < 0 ? -E.EFAULT : 0;
  }

  private passIn(request: number, arg: number, size: number, io: IoctlIo): number {
    const buf = new Uint8Array(size);
    if (io.copyIn(arg, buf) < 0) return -E.EFAULT;
    return ioctlWithBuffer(this.hostFd, request, buf);
  }
}
