// Plain I/O on host fds the Sentry owns (the console it was given).
import { libc, check } from './libc.js';

const readFn = libc.func('intptr_t read(int fd, _Out_ uint8_t *buf, size_t len)');
const writeFn = libc.func('intptr_t write(int fd, const uint8_t *buf, size_t len)');
const ioctlBuf = libc.func('int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)');

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
