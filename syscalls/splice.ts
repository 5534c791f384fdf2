// Moving data between files without a user buffer: sendfile(2),
// copy_file_range(2), splice(2), tee(2) and vmsplice(2). The Sentry has no
// page references to hand around, so each copies through a bounce buffer;
// what is visible to the application (counts, offsets, errors, blocking)
// is Linux's. A seekable source is read again from where the copy stopped,
// so a short write loses nothing; a pipe source is peeked and only what
// was written is consumed.
import { E, ERESTARTSYS } from '../abi/linux/errno.js';
import { O_APPEND, O_NONBLOCK } from '../abi/linux/fcntl.js';
import { SPLICE_F_GIFT, SPLICE_F_MORE, SPLICE_F_MOVE, SPLICE_F_NONBLOCK } from '../abi/linux/fs.js';
import { SI_USER } from '../abi/linux/siginfo.js';
import { SIGPIPE } from '../abi/linux/signal.js';
import { S_IFDIR, S_IFMT, S_IFREG } from '../abi/linux/stat.js';
import { sendToTask } from '../sentry/kernel/signals.js';
import type { Task } from '../sentry/kernel/task.js';
import { PipeEnd } from '../sentry/fsimpl/pipe/pipe.js';
import type { FileDescription } from '../sentry/vfs/file-description.js';
import { PathFile } from '../sentry/vfs/path-file.js';
import { MAX_RW_COUNT } from './args.js';
import { doVector } from './file.js';
import { sys, type SyscallGroup } from './types.js';

const SPLICE_F_ALL = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
const CHUNK = 1 << 16;

function fdFile(t: Task, fd: number): FileDescription | null {
  const f = t.fdTable.get(fd);
  return f === null || f instanceof PathFile ? null : f;
}

function typeOf(f: FileDescription): number {
  if (f.dentry !== null) return f.dentry.inode.type;
  const st = f.stat();
  return typeof st === 'number' ? 0 : st.mode & S_IFMT;
}

/** get_pipe_info: the pipe behind a pipe or FIFO end. */
function pipeOf(f: FileDescription): PipeEnd | null {
  return f instanceof PipeEnd ? f : null;
}

/** A loff_t the application points at: undefined for a null pointer, else the value or -EFAULT. */
function readOffset(t: Task, addr: number): { value: number } | number | undefined {
  if (addr === 0) return undefined;
  const b = new Uint8Array(8);
  if (t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
  return { value: Number(new DataView(b.buffer).getBigInt64(0, true)) };
}

function writeOffset(t: Task, addr: number, value: number): number {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(value), true);
  return t.mm.copyOutFull(addr, b) < 0 ? -E.EFAULT : 0;
}

function raiseSigpipe(t: Task): void {
  sendToTask(t, SIGPIPE, { signo: SIGPIPE, code: SI_USER, pid: t.tgid, uid: t.creds.uid });
}

/** Where copied bytes go: a file, or a pipe taken as a byte stream. */
interface Sink { write(src: Uint8Array, offset: number): number }

function pipeSink(end: PipeEnd): Sink {
  return { write: (b) => end.pipe.writeStream(b) };
}

/**
 * Copies up to count bytes from a seekable file at pos into out (at outPos,
 * or its own position when outPos < 0). Returns the bytes moved, or an
 * errno when none were.
 */
function copySeekable(src: FileDescription, pos: number, out: Sink, outPos: number, count: number): number {
  let done = 0;
  const buf = new Uint8Array(Math.min(count, CHUNK));
  while (done < count) {
    const want = Math.min(count - done, buf.length);
    const n = src.read(buf.subarray(0, want), pos + done);
    if (n < 0) return done > 0 ? done : n;
    if (n === 0) break;
    const w = out.write(buf.subarray(0, n), outPos < 0 ? -1 : outPos + done);
    if (w < 0) return done > 0 ? done : w;
    done += w;
    if (w < n) break;
  }
  return done;
}

/** Moves what a pipe holds (up to count) into out without losing what out did not take. */
function drainPipe(src: PipeEnd, out: Sink, outPos: number, count: number): number {
  const buf = new Uint8Array(Math.min(count, src.pipe.available, CHUNK * 16));
  const n = src.pipe.peek(buf);
  if (n <= 0) return n;
  const w = out.write(buf.subarray(0, n), outPos);
  if (w > 0) src.pipe.read(new Uint8Array(w));
  return w;
}

/** Parks a blocking caller on the queue of the end that said EAGAIN. */
function waitOn(t: Task, end: FileDescription, forWrite: boolean, nonblock: boolean, r: number): number {
  if (r !== -E.EAGAIN || nonblock) return r;
  const q = end.waitQueue(forWrite);
  return q === null ? r : t.block([q], -ERESTARTSYS);
}

// ---- sendfile ----

function sendfile(t: Task): number {
  const outFd = t.argInt(0), inFd = t.argInt(1), offAddr = t.arg(2);
  const count = Math.min(t.arg(3), MAX_RW_COUNT);
  const src = fdFile(t, inFd);
  if (src === null || !src.readable) return -E.EBADF;
  const off = readOffset(t, offAddr);
  if (typeof off === 'number') return off;
  if (off !== undefined && !src.seekable()) return -E.ESPIPE;
  const pos = off?.value ?? src.offset;
  if (pos < 0) return -E.EINVAL;
  const out = fdFile(t, outFd);
  if (out === null || !out.writable) return -E.EBADF;
  // The source is read at positions: a stream cannot be (Linux has no splice_read for it).
  if (!src.seekable() || pipeOf(src) !== null) return -E.EINVAL;
  if (pipeOf(out) === null && (out.flags & O_APPEND)) return -E.EINVAL;
  if (count === 0) return 0;
  const n = copySeekable(src, pos, out, -1, count);
  if (n === -E.EPIPE && out.raisesSigpipe) raiseSigpipe(t);
  if (n < 0) return waitOn(t, out, true, (out.flags & O_NONBLOCK) !== 0 || (src.flags & O_NONBLOCK) !== 0, n);
  if (off !== undefined) {
    const w = writeOffset(t, offAddr, pos + n);
    if (w < 0) return w;
  } else {
    src.offset = pos + n;
  }
  return n;
}

// ---- copy_file_range ----

function copyFileRange(t: Task): number {
  const inAddr = t.arg(1), outAddr = t.arg(3), flags = t.argU32(5);
  const len = Math.min(t.arg(4), MAX_RW_COUNT);
  if (flags !== 0) return -E.EINVAL;
  const src = fdFile(t, t.argInt(0));
  if (src === null) return -E.EBADF;
  const out = fdFile(t, t.argInt(2));
  if (out === null) return -E.EBADF;
  const offIn = readOffset(t, inAddr);
  if (typeof offIn === 'number') return offIn;
  const offOut = readOffset(t, outAddr);
  if (typeof offOut === 'number') return offOut;
  const posIn = offIn?.value ?? src.offset, posOut = offOut?.value ?? out.offset;
  // generic_file_rw_checks, then generic_copy_file_checks.
  const tin = typeOf(src), tout = typeOf(out);
  if (tin === S_IFDIR || tout === S_IFDIR) return -E.EISDIR;
  if (tin !== S_IFREG || tout !== S_IFREG) return -E.EINVAL;
  if (!src.readable || !out.writable || (out.flags & O_APPEND)) return -E.EBADF;
  // An offset and a length whose sum is not a valid position (Linux's check_add_overflow on unsigned sums).
  if (posIn < 0 || posOut < 0 || posIn + len > Number.MAX_SAFE_INTEGER || posOut + len > Number.MAX_SAFE_INTEGER) return -E.EOVERFLOW;
  const st = src.stat();
  if (typeof st === 'number') return st;
  let count = posIn >= st.size ? 0 : Math.min(len, st.size - posIn);
  const sameInode = src.dentry !== null && src.dentry.inode === out.dentry?.inode;
  if (sameInode && posOut + count > posIn && posOut < posIn + count) return -E.EINVAL;
  if (count === 0) return 0;
  // Different file systems: Linux copies only within one (EXDEV otherwise).
  if (src.dentry === null || out.dentry === null || src.dentry.mountRoot() !== out.dentry.mountRoot()) return -E.EXDEV;
  count = copySeekable(src, posIn, out, posOut, count);
  if (count <= 0) return count;
  if (offIn !== undefined) { const w = writeOffset(t, inAddr, posIn + count); if (w < 0) return w; } else src.offset = posIn + count;
  if (offOut !== undefined) { const w = writeOffset(t, outAddr, posOut + count); if (w < 0) return w; } else out.offset = posOut + count;
  return count;
}

// ---- splice and tee ----

function splice(t: Task): number {
  const inAddr = t.arg(1), outAddr = t.arg(3), flags = t.argU32(5);
  const len = Math.min(t.arg(4), MAX_RW_COUNT);
  if (len === 0) return 0;
  if (flags & ~SPLICE_F_ALL) return -E.EINVAL;
  const src = fdFile(t, t.argInt(0));
  if (src === null) return -E.EBADF;
  const out = fdFile(t, t.argInt(2));
  if (out === null) return -E.EBADF;
  const ipipe = pipeOf(src), opipe = pipeOf(out);
  if (ipipe !== null && inAddr !== 0) return -E.ESPIPE;
  if (opipe !== null && outAddr !== 0) return -E.ESPIPE;
  const offOut = readOffset(t, outAddr);
  if (typeof offOut === 'number') return offOut;
  const offIn = readOffset(t, inAddr);
  if (typeof offIn === 'number') return offIn;
  if (!src.readable || !out.writable) return -E.EBADF;
  let nonblock = (flags & SPLICE_F_NONBLOCK) !== 0;

  if (ipipe !== null && opipe !== null) {
    if (ipipe.pipe === opipe.pipe) return -E.EINVAL;
    nonblock ||= ((src.flags | out.flags) & O_NONBLOCK) !== 0;
    if (ipipe.pipe.available === 0) {
      if (ipipe.pipe.writers === 0) return 0;
      return waitOn(t, src, false, nonblock, -E.EAGAIN);
    }
    if (opipe.pipe.readers === 0) { raiseSigpipe(t); return -E.EPIPE; }
    const n = drainPipe(ipipe, pipeSink(opipe), -1, len);
    return n < 0 ? waitOn(t, out, true, nonblock, n) : n;
  }
  if (ipipe !== null) {
    if (offOut !== undefined && !out.seekable()) return -E.EINVAL;
    if (out.flags & O_APPEND) return -E.EINVAL;
    const pos = offOut?.value ?? -1;
    if (offOut !== undefined && pos < 0) return -E.EINVAL;
    nonblock ||= (src.flags & O_NONBLOCK) !== 0;
    if (ipipe.pipe.available === 0) {
      if (ipipe.pipe.writers === 0) return 0;
      return waitOn(t, src, false, nonblock, -E.EAGAIN);
    }
    const n = drainPipe(ipipe, out, pos, len);
    if (n === -E.EPIPE && out.raisesSigpipe) raiseSigpipe(t);
    if (n < 0) return waitOn(t, out, true, nonblock || (out.flags & O_NONBLOCK) !== 0, n);
    if (offOut !== undefined) { const w = writeOffset(t, outAddr, pos + n); if (w < 0) return w; }
    return n;
  }
  if (opipe !== null) {
    if (offIn !== undefined && !src.seekable()) return -E.EINVAL;
    const pos = offIn?.value ?? src.offset;
    if (pos < 0) return -E.EINVAL;
    nonblock ||= (out.flags & O_NONBLOCK) !== 0;
    if (opipe.pipe.readers === 0) { raiseSigpipe(t); return -E.EPIPE; }
    const room = opipe.pipe.capacity - opipe.pipe.available;
    if (room === 0) return waitOn(t, out, true, nonblock, -E.EAGAIN);
    if (!src.seekable()) return -E.EINVAL;
    const n = copySeekable(src, pos, pipeSink(opipe), -1, Math.min(len, room));
    if (n < 0) return waitOn(t, src, false, nonblock, n);
    if (offIn !== undefined) { const w = writeOffset(t, inAddr, pos + n); if (w < 0) return w; } else src.offset = pos + n;
    return n;
  }
  return -E.EINVAL;
}

function tee(t: Task): number {
  const flags = t.argU32(3);
  const len = Math.min(t.arg(2), MAX_RW_COUNT);
  if (flags & ~SPLICE_F_ALL) return -E.EINVAL;
  if (len === 0) return 0;
  const src = fdFile(t, t.argInt(0));
  if (src === null) return -E.EBADF;
  const out = fdFile(t, t.argInt(1));
  if (out === null) return -E.EBADF;
  if (!src.readable || !out.writable) return -E.EBADF;
  const ipipe = pipeOf(src), opipe = pipeOf(out);
  if (ipipe === null || opipe === null || ipipe.pipe === opipe.pipe) return -E.EINVAL;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0 || ((src.flags | out.flags) & O_NONBLOCK) !== 0;
  if (ipipe.pipe.available === 0) {
    if (ipipe.pipe.writers === 0) return 0;
    return waitOn(t, src, false, nonblock, -E.EAGAIN);
  }
  if (opipe.pipe.readers === 0) { raiseSigpipe(t); return -E.EPIPE; }
  const room = opipe.pipe.capacity - opipe.pipe.available;
  if (room === 0) return waitOn(t, out, true, nonblock, -E.EAGAIN);
  const buf = new Uint8Array(Math.min(len, ipipe.pipe.available, room));
  const n = ipipe.pipe.peek(buf);
  return n <= 0 ? n : opipe.pipe.writeStream(buf.subarray(0, n));
}

/** vmsplice(2): user memory into a pipe's write end, or out of its read end (SPLICE_F_GIFT changes nothing here). */
function vmsplice(t: Task): number {
  const flags = t.argU32(3);
  if (flags & ~SPLICE_F_ALL) return -E.EINVAL;
  const f = fdFile(t, t.argInt(0));
  if (f === null) return -E.EBADF;
  const end = pipeOf(f);
  if (end === null) return -E.EBADF;
  const write = f.writable;
  if (!write && !f.readable) return -E.EBADF;
  if (flags & SPLICE_F_NONBLOCK) {
    const saved = f.flags;
    f.flags |= O_NONBLOCK;
    try { return doVector(t, t.argInt(0), t.arg(1), t.argInt(2), -1, write); } finally { f.flags = (f.flags & ~O_NONBLOCK) | (saved & O_NONBLOCK); }
  }
  return doVector(t, t.argInt(0), t.arg(1), t.argInt(2), -1, write);
}

export const spliceSyscalls: SyscallGroup = {
  sendfile: sys(sendfile, 'ffpu', 'the source must be a seekable file (sockets as sources are not supported)'),
  copy_file_range: sys(copyFileRange, 'fpfpux'),
  splice: sys(splice, 'fpfpux'),
  tee: sys(tee, 'ffux'),
  vmsplice: sys(vmsplice, 'fpux', 'copies the pages (SPLICE_F_GIFT gives nothing away)'),
};
