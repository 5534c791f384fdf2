// Plain I/O on host fds the Sentry owns: the console it was given, and the
// regular-file fds the Gofer donates (sentry/fsimpl/gofer, Tlopenfd). These
// run per read(2)/write(2) of the application, so nothing here allocates.
import { libc, check, koffi } from './libc.js';

const readFn = libc.func('intptr_t read(int fd, _Out_ uint8_t *buf, size_t len)');
const writeFn = libc.func('intptr_t write(int fd, const uint8_t *buf, size_t len)');
const ioctlBuf = libc.func('int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)');
// ssize_t pread/pwrite with the buffer as a plain pointer: koffi passes the
// view's own memory (a MemoryFile page, for the application's buffer), no copy.
const preadFn = libc.func('intptr_t pread(int fd, void *buf, size_t count, int64_t offset)');
const pwriteFn = libc.func('intptr_t pwrite(int fd, const void *buf, size_t count, int64_t offset)');
const fsyncFn = libc.func('int fsync(int fd)');
const fdatasyncFn = libc.func('int fdatasync(int fd)');
const fstatFn = libc.func('int fstat(int fd, void *st)');
const closeFn = libc.func('int close(int fd)');

const EINTR = 4;

export function read(fd: number, buf: Uint8Array): number {
  return check(readFn(fd, buf, buf.length) as number);
}
export function write(fd: number, buf: Uint8Array): number {
  return check(writeFn(fd, buf, buf.length) as number);
}
/** ioctl(2) whose argument points at buf. */
export function ioctlWithBuffer(fd: number, request: number, buf: Uint8Array): number {
  return check(ioctlBuf(fd, request, buf) as number);
}

function checkLong(ret: number | bigint): number {
  const n = typeof ret === 'bigint' ? Number(ret) : ret;
  return n === -1 ? -koffi.errno() : n;
}

/** pread(2) of all of buf at offset: bytes read (short only at end of file), or -errno. EINTR is retried. */
export function hostPread(fd: number, buf: Uint8Array, offset: number): number {
  for (;;) {
    const n = checkLong(preadFn(fd, buf, buf.byteLength, offset) as number);
    if (n !== -EINTR) return n;
  }
}

/** pwrite(2) of buf at offset: bytes written (may be short), or -errno. EINTR is retried. */
export function hostPwrite(fd: number, buf: Uint8Array, offset: number): number {
  for (;;) {
    const n = checkLong(pwriteFn(fd, buf, buf.byteLength, offset) as number);
    if (n !== -EINTR) return n;
  }
}

export function hostFsync(fd: number, datasync: boolean): number {
  return check((datasync ? fdatasyncFn(fd) : fsyncFn(fd)) as number);
}

/** struct stat on x86-64: 144 bytes; st_size is at 48. One buffer, read before the next call. */
const statBuf = Buffer.alloc(144);
const ST_SIZE_OFFSET = 48;

/** The file's size by fstat(2), without building a stat object; or -errno. */
export function hostFileSize(fd: number): number {
  const r = check(fstatFn(fd, statBuf) as number);
  return r < 0 ? r : Number(statBuf.readBigInt64LE(ST_SIZE_OFFSET));
}

export function hostClose(fd: number): number {
  return check(closeFn(fd) as number);
}

const ftruncateFn = libc.func('int ftruncate(int fd, int64_t length)');

/** ftruncate(2): 0 or -errno. */
export function hostFtruncate(fd: number, length: number): number {
  return check(ftruncateFn(fd, length) as number);
}
