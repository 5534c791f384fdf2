// Blocking AF_UNIX socket helpers for the Sentry↔Gofer channel. Both ends
// use them synchronously: a call blocks the JS thread until the kernel is
// done, which is the point (the Sentry must never await).
//
// Every function returns a value or a negative errno. EINTR is retried here
// so callers never see it; EAGAIN on a non-blocking fd waits in poll(2).

import { libc, koffi, check } from './libc.js';
import { O_NONBLOCK } from '../abi/linux/fcntl.js';

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

/** Sets or clears one bit of an fd's flags word (F_GETFD/F_SETFD or F_GETFL/F_SETFL), skipping the set when it would change nothing. */
function setFlagBit(fd: number, getCmd: number, setCmd: number, bit: number, on: boolean): number {
  const flags = check(c.fcntl(fd, getCmd, 0));
  if (flags < 0) return flags;
  const next = on ? flags | bit : flags & ~bit;
  if (next === flags) return 0;
  return check(c.fcntl(fd, setCmd, next));
}

/** Sets or clears FD_CLOEXEC: cleared on fds a child must inherit across exec. */
export function setCloexec(fd: number, on: boolean): number {
  return setFlagBit(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

export function getCloexec(fd: number): boolean | number {
  const flags = check(c.fcntl(fd, F_GETFD, 0));
  return flags < 0 ? flags : (flags & FD_CLOEXEC) !== 0;
}

/** Sets or clears O_NONBLOCK on the open file description. */
export function setNonblocking(fd: number, on: boolean): number {
  return setFlagBit(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

// ---------------------------------------------------------------------------
// File descriptors over AF_UNIX (SCM_RIGHTS): the Gofer donates host fds of
// regular files to the Sentry (gofer/README.md, "Host fd donation").
//
// struct msghdr, struct iovec and the control buffer live in one block of
// native memory allocated once, and are filled by offset: koffi would
// otherwise marshal a fresh struct per call, and recvmsg must write into
// memory that stays put. The data itself is staged in the block too (one
// copy each way), which keeps every pointer the kernel sees inside it.

export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;
export const MSG_CTRUNC = 0x8;
export const MSG_CMSG_CLOEXEC = 0x40000000;

/** How many fds one control message may bring; extra ones a peer sends are closed. */
const MAX_FDS = 4;
/** sizeof(struct msghdr) on x86-64: name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad). */
const MSGHDR_SIZE = 56;
const IOVEC_SIZE = 16;
/** sizeof(struct cmsghdr): cmsg_len (size_t), cmsg_level, cmsg_type. */
const CMSGHDR_SIZE = 16;
/** CMSG_SPACE(MAX_FDS * 4), 8-byte aligned. */
const CONTROL_SIZE = CMSGHDR_SIZE + ((MAX_FDS * 4 + 7) & ~7);
/** Data staged per sendmsg/recvmsg; longer sends go on with sendAll, longer receives with recv. */
const STAGE_SIZE = 4096;

const OFF_IOV = MSGHDR_SIZE;
const OFF_CONTROL = OFF_IOV + IOVEC_SIZE;
const OFF_DATA = OFF_CONTROL + CONTROL_SIZE;
const BLOCK_SIZE = OFF_DATA + STAGE_SIZE;

const cm = {
  sendmsg: libc.func('long sendmsg(int fd, void *msg, int flags)'),
  recvmsg: libc.func('long recvmsg(int fd, void *msg, int flags)'),
};

/** The native block, its address, and a Buffer over it; made on first use. */
let msgBlock: { ptr: unknown; base: bigint; view: Buffer } | null = null;

function block(): { ptr: unknown; base: bigint; view: Buffer } {
  if (msgBlock === null) {
    const ptr: unknown = koffi.alloc('uint8_t', BLOCK_SIZE);
    const base = koffi.address(ptr) as bigint;
    const view = Buffer.from(koffi.view(ptr, BLOCK_SIZE));
    view.fill(0);
    msgBlock = { ptr, base, view };
  }
  return msgBlock;
}

/** Fills msghdr and iovec for `len` bytes of staged data and a control buffer of `controlLen` bytes. */
function prepareMsg(len: number, controlLen: number): Buffer {
  const { base, view } = block();
  view.writeBigUInt64LE(0n, 0); // msg_name
  view.writeUInt32LE(0, 8); // msg_namelen
  view.writeBigUInt64LE(base + BigInt(OFF_IOV), 16); // msg_iov
  view.writeBigUInt64LE(1n, 24); // msg_iovlen
  view.writeBigUInt64LE(controlLen === 0 ? 0n : base + BigInt(OFF_CONTROL), 32); // msg_control
  view.writeBigUInt64LE(BigInt(controlLen), 40); // msg_controllen
  view.writeInt32LE(0, 48); // msg_flags
  view.writeBigUInt64LE(base + BigInt(OFF_DATA), OFF_IOV); // iov_base
  view.writeBigUInt64LE(BigInt(len), OFF_IOV + 8); // iov_len
  return view;
}

/**
 * Sends buf[0, len) with `passFd` attached (SCM_RIGHTS), completely: the
 * fd rides on the first bytes, which one sendmsg carries; the rest follows
 * with sendAll. The receiver must read the start of these bytes with
 * recvWithFd, or the kernel drops the fd. Returns 0 or -errno.
 */
export function sendWithFd(fd: number, buf: Uint8Array, len: number, passFd: number): number {
  if (len > buf.byteLength || len === 0 || passFd < 0) return -EINVAL;
  const first = Math.min(len, STAGE_SIZE);
  const view = prepareMsg(first, CMSGHDR_SIZE + 8);
  view.set(buf.subarray(0, first), OFF_DATA);
  // One cmsghdr: cmsg_len = CMSG_LEN(4), then the fd; the control length is CMSG_SPACE(4).
  view.writeBigUInt64LE(BigInt(CMSGHDR_SIZE + 4), OFF_CONTROL);
  view.writeInt32LE(SOL_SOCKET, OFF_CONTROL + 8);
  view.writeInt32LE(SCM_RIGHTS, OFF_CONTROL + 12);
  view.writeInt32LE(passFd, OFF_CONTROL + 16);
  view.writeInt32LE(0, OFF_CONTROL + 20);
  let sent: number;
  for (;;) {
    sent = checkLong(cm.sendmsg(fd, block().ptr, MSG_NOSIGNAL));
    if (sent === -EINTR) continue;
    if (sent === -EAGAIN) {
      const p = pollOne(fd, POLLOUT);
      if (p < 0) return p;
      continue;
    }
    break;
  }
  if (sent < 0) return sent;
  // A partial sendmsg on a stream socket still delivered the fd with its first byte.
  return sent === len ? 0 : sendAll(fd, buf.subarray(sent), len - sent);
}

/**
 * One recvmsg(2) of at most `len` bytes into buf[off, off+len), taking the
 * fds that arrive with them (close-on-exec). fdOut[0] becomes the first fd
 * received, or -1; any further fds are closed at once. Blocks (in poll(2)
 * on a non-blocking fd) until something arrives. Returns bytes received
 * (0 at EOF) or -errno.
 */
export function recvWithFd(fd: number, buf: Uint8Array, off: number, len: number, fdOut: Int32Array): number {
  fdOut[0] = -1;
  if (off < 0 || len < 0 || off + len > buf.byteLength) return -EINVAL;
  const want = Math.min(len, STAGE_SIZE);
  let got: number;
  let view: Buffer;
  for (;;) {
    view = prepareMsg(want, CONTROL_SIZE);
    view.fill(0, OFF_CONTROL, OFF_CONTROL + CONTROL_SIZE);
    got = checkLong(cm.recvmsg(fd, block().ptr, MSG_CMSG_CLOEXEC));
    if (got === -EINTR) continue;
    if (got === -EAGAIN) {
      const p = pollOne(fd, POLLIN);
      if (p < 0) return p;
      continue;
    }
    break;
  }
  if (got < 0) return got;
  buf.set(view.subarray(OFF_DATA, OFF_DATA + got), off);
  const controlLen = Number(view.readBigUInt64LE(40));
  // Walk the control messages the kernel wrote: every SCM_RIGHTS fd is ours to keep or close.
  let at = 0;
  while (at + CMSGHDR_SIZE <= controlLen) {
    const cmsgLen = Number(view.readBigUInt64LE(OFF_CONTROL + at));
    if (cmsgLen < CMSGHDR_SIZE || at + cmsgLen > controlLen) break;
    const level = view.readInt32LE(OFF_CONTROL + at + 8);
    const type = view.readInt32LE(OFF_CONTROL + at + 12);
    if (level === SOL_SOCKET && type === SCM_RIGHTS) {
      const count = Math.floor((cmsgLen - CMSGHDR_SIZE) / 4);
      for (let i = 0; i < count; i++) {
        const passed = view.readInt32LE(OFF_CONTROL + at + CMSGHDR_SIZE + 4 * i);
        if (fdOut[0] < 0) fdOut[0] = passed;
        else c.close(passed);
      }
    }
    at += (cmsgLen + 7) & ~7;
  }
  return got;
}

const F_DUPFD_CLOEXEC = 1030;

/**
 * fcntl(F_DUPFD_CLOEXEC): what SCM_RIGHTS does for a receiver, within one
 * process (tests, in-process transports); the new fd is the lowest free one
 * from min up.
 */
export function dupCloexec(fd: number, min = 0): number {
  return check(c.fcntl(fd, F_DUPFD_CLOEXEC, min));
}

/** fcntl(F_GETFL): the open file description's status flags and access mode, or -errno. */
export function getFileStatusFlags(fd: number): number {
  return check(c.fcntl(fd, F_GETFL, 0));
}
