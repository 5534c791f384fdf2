// Blocking AF_UNIX socket helpers for the Sentry↔Gofer channel. Both ends
// use them synchronously: a call blocks the JS thread until the kernel is
// done, which is the point (the Sentry must never await).
//
// Every function returns a value or a negative errno. EINTR is retried here
// so callers never see it; EAGAIN on a non-blocking fd waits in poll(2).

import { libc, koffi, check } from './libc.js';

export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;

// Local to this file until abi/linux/errno.ts is the single home.
const EINTR = 4;
const EAGAIN = 11;
const EINVAL = 22;

const c = {
  socketpair: libc.func('int socketpair(int domain, int type, int protocol, void *sv)'),
  send: libc.func('long send(int fd, const void *buf, size_t len, int flags)'),
  recv: libc.func('long recv(int fd, void *buf, size_t len, int flags)'),
  poll: libc.func('int poll(void *fds, uint64_t nfds, int timeout)'),
  // fcntl is variadic; every cmd used here takes an int-sized argument, and on
  // x86-64 a fixed third argument is passed exactly like the variadic one.
  fcntl: libc.func('int fcntl(int fd, int cmd, long arg)'),
  close: libc.func('int close(int fd)'),
};

function checkLong(ret: number | bigint): number {
  if (typeof ret === 'bigint') return Number(ret);
  return ret === -1 ? -koffi.errno() : ret;
}

const pairBuf = new Int32Array(2);

/** socketpair(AF_UNIX, type|SOCK_CLOEXEC). Returns both fds or -errno. */
export function socketpair(type = SOCK_STREAM): [number, number] | number {
  const r = check(c.socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, pairBuf));
  if (r < 0) return r;
  return [pairBuf[0], pairBuf[1]];
}

export function closeFd(fd: number): number {
  return check(c.close(fd));
}

// One pollfd reused by the single-fd waits below.
const onePoll = Buffer.alloc(8);

/** Waits for `events` on one fd; returns revents, or -errno. */
export function pollOne(fd: number, events: number, timeoutMs = -1): number {
  onePoll.writeInt32LE(fd, 0);
  onePoll.writeInt16LE(events, 4);
  onePoll.writeInt16LE(0, 6);
  for (;;) {
    const r = check(c.poll(onePoll, 1, timeoutMs));
    if (r === -EINTR) continue;
    if (r < 0) return r;
    return r === 0 ? 0 : onePoll.readUInt16LE(6);
  }
}

/** Sends buf[0, len) completely. Returns 0, or -errno (EPIPE when the peer is gone). */
export function sendAll(fd: number, buf: Uint8Array, len: number = buf.byteLength): number {
  if (len > buf.byteLength) return -EINVAL;
  let done = 0;
  while (done < len) {
    const chunk = done === 0 ? buf : buf.subarray(done);
    const r = checkLong(c.send(fd, chunk, len - done, MSG_NOSIGNAL));
    if (r >= 0) {
      done += r;
      continue;
    }
    if (r === -EINTR) continue;
    if (r === -EAGAIN) {
      const p = pollOne(fd, POLLOUT);
      if (p < 0) return p;
      continue;
    }
    return r;
  }
  return 0;
}

/**
 * Receives exactly `len` bytes into buf[off, off+len). Returns `len`; a
 * smaller count if the peer closed first (0 for a clean close between
 * messages); or -errno.
 */
export function recvExact(fd: number, buf: Uint8Array, off: number, len: number): number {
  if (off < 0 || off + len > buf.byteLength) return -EINVAL;
  let done = 0;
  while (done < len) {
    const r = checkLong(c.recv(fd, buf.subarray(off + done), len - done, 0));
    if (r > 0) {
      done += r;
      continue;
    }
    if (r === 0) return done;
    if (r === -EINTR) continue;
    if (r === -EAGAIN) {
      const p = pollOne(fd, POLLIN);
      if (p < 0) return p;
      continue;
    }
    return r;
  }
  return len;
}

/**
 * One recv(2) into buf[off, off+len): returns bytes (0 at EOF) or -errno.
 * With dontWait, -EAGAIN means nothing is buffered yet.
 */
export function recvSome(fd: number, buf: Uint8Array, off: number, len: number, dontWait: boolean): number {
  if (off < 0 || off + len > buf.byteLength) return -EINVAL;
  for (;;) {
    const r = checkLong(c.recv(fd, buf.subarray(off, off + len), len, dontWait ? MSG_DONTWAIT : 0));
    if (r === -EINTR) continue;
    return r;
  }
}

/** A reusable array of struct pollfd {int fd; short events; short revents;}. */
export class PollSet {
  private readonly fds: Buffer;

  constructor(readonly size: number) {
    this.fds = Buffer.alloc(8 * size);
    for (let i = 0; i < size; i++) this.fds.writeInt32LE(-1, 8 * i);
  }

  /** A negative fd makes poll(2) skip the slot. */
  set(i: number, fd: number, events: number): void {
    this.fds.writeInt32LE(fd, 8 * i);
    this.fds.writeInt16LE(events, 8 * i + 4);
    this.fds.writeInt16LE(0, 8 * i + 6);
  }

  fd(i: number): number {
    return this.fds.readInt32LE(8 * i);
  }

  revents(i: number): number {
    return this.fds.readUInt16LE(8 * i + 6);
  }

  /** Blocks until an fd is ready or timeoutMs passes (-1: forever); EINTR is retried. */
  wait(timeoutMs = -1): number {
    for (;;) {
      const r = check(c.poll(this.fds, this.size, timeoutMs));
      if (r === -EINTR) continue;
      return r;
    }
  }
}

/** Sets or clears FD_CLOEXEC: cleared on fds a child must inherit across exec. */
export function setCloexec(fd: number, on: boolean): number {
  const flags = check(c.fcntl(fd, F_GETFD, 0));
  if (flags < 0) return flags;
  const next = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  if (next === flags) return 0;
  return check(c.fcntl(fd, F_SETFD, next));
}

export function getCloexec(fd: number): boolean | number {
  const flags = check(c.fcntl(fd, F_GETFD, 0));
  return flags < 0 ? flags : (flags & FD_CLOEXEC) !== 0;
}

/** Sets or clears O_NONBLOCK on the open file description. */
export function setNonblocking(fd: number, on: boolean): number {
  const O_NONBLOCK = 0o4000;
  const flags = check(c.fcntl(fd, F_GETFL, 0));
  if (flags < 0) return flags;
  const next = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  if (next === flags) return 0;
  return check(c.fcntl(fd, F_SETFL, next));
}
