// Host memory: memfd, mmap of it into the Sentry, views as ArrayBuffers.
import { libc, check, koffi } from './libc.js';

const memfdCreate = libc.func('int memfd_create(const char *name, unsigned int flags)');
const ftruncateFn = libc.func('int ftruncate(int fd, int64_t length)');
const fallocateFn = libc.func('int fallocate(int fd, int mode, int64_t offset, int64_t len)');
const mmapFn = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)');
const writeFn = libc.func('intptr_t write(int fd, const uint8_t *buf, size_t len)');
const closeFn = libc.func('int close(int fd)');
const lseekFn = libc.func('int64_t lseek(int fd, int64_t offset, int whence)');

const copyFileRangeFn = libc.func('intptr_t copy_file_range(int fdIn, _Inout_ int64_t *offIn, int fdOut, _Inout_ int64_t *offOut, size_t len, unsigned int flags)');
const offIn = new BigInt64Array(1);
const offOut = new BigInt64Array(1);

/** copy_file_range(2) within or between files: the kernel copies, no page faults here. Returns bytes or -errno. */
export function copyFileRange(fdIn: number, from: number, fdOut: number, to: number, len: number): number {
  offIn[0] = BigInt(from);
  offOut[0] = BigInt(to);
  return check(Number(copyFileRangeFn(fdIn, offIn, fdOut, offOut, len, 0)));
}

const sendfileFn = libc.func('intptr_t sendfile(int outFd, int inFd, _Inout_ int64_t *offset, size_t count)');
const sendfileOff = new BigInt64Array(1);
const SEEK_SET = 0;

/**
 * Copies up to len bytes of inFd from inOffset into outFd at outOffset with
 * sendfile(2) (lseek on outFd first: nothing else relies on its position).
 * The kernel copies page cache to page cache: no page faults in the Sentry,
 * which a pread into a MemoryFile view takes on every fresh page.
 * Returns bytes copied (0 at end of file) or -errno.
 */
export function sendfileAt(outFd: number, outOffset: number, inFd: number, inOffset: number, len: number): number {
  if (Number(lseekFn(outFd, outOffset, SEEK_SET)) === -1) return -koffi.errno();
  sendfileOff[0] = BigInt(inOffset);
  return check(Number(sendfileFn(outFd, inFd, sendfileOff, len)));
}

export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

/** lseek(2) for SEEK_DATA/SEEK_HOLE on the MemoryFile. Returns the offset or -errno (-ENXIO past the last data). */
export function seekSparse(fd: number, offset: number, whence: number): number {
  const r = Number(lseekFn(fd, offset, whence));
  return r === -1 ? -koffi.errno() : r;
}

export const MFD_CLOEXEC = 1;
export const MFD_ALLOW_SEALING = 2;
export const FALLOC_FL_KEEP_SIZE = 1;
export const FALLOC_FL_PUNCH_HOLE = 2;

export function memfd(name: string, flags: number): number {
  return check(memfdCreate(name, flags) as number);
}

export function ftruncate(fd: number, length: number): number {
  return check(ftruncateFn(fd, length) as number);
}

export function fallocate(fd: number, mode: number, offset: number, len: number): number {
  return check(fallocateFn(fd, mode, offset, len) as number);
}

/**
 * Maps [offset, offset+len) of fd shared and read-write into the Sentry and
 * returns it as an ArrayBuffer (at most 4 GiB: koffi's view limit).
 */
export function mapShared(fd: number, offset: number, len: number): ArrayBuffer | number {
  const PROT_READ_WRITE = 3, MAP_SHARED = 1;
  const ptr = mmapFn(null, len, PROT_READ_WRITE, MAP_SHARED, fd, offset);
  if (koffi.address(ptr) === 0xffffffffffffffffn) return -koffi.errno();
  return koffi.view(ptr, len);
}

/** write(2) of all of buf, retrying short writes. Returns bytes or -errno. */
export function writeAll(fd: number, buf: Uint8Array): number {
  let done = 0;
  while (done < buf.length) {
    const n = check(writeFn(fd, done === 0 ? buf : buf.subarray(done), buf.length - done) as number);
    if (n < 0) return n;
    done += n;
  }
  return done;
}

export function close(fd: number): number {
  return check(closeFn(fd) as number);
}

const membarrierFn = libc.func('long syscall(long nr, long cmd, long flags, long cpu)');
const SYS_membarrier = 324;

/** membarrier(2) on the host: the command's result, or -errno. */
export function hostMembarrier(cmd: number): number {
  const r = Number(membarrierFn(SYS_membarrier, cmd, 0, 0));
  return r === -1 ? -koffi.errno() : r;
}
