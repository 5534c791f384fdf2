// File syscalls: open/close, read/write and their vector and positional
// forms, stat, getdents, readlink, access, cwd, fcntl, dup, ioctl.
import { E, ERESTARTSYS } from '../abi/linux/errno.js';
import * as F from '../abi/linux/fcntl.js';
import * as FS from '../abi/linux/fs.js';
import { encodeStat, encodeStatx, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, STAT_SIZE, STATX_SIZE, type Stat } from '../abi/linux/stat.js';
import { FIGETBSZ, FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD } from '../abi/linux/ioctl.js';
import { PAGE_SIZE, PROT_READ, PROT_WRITE } from '../abi/linux/mman.js';
import { stringToBytes } from '../sentry/mm/address-space.js';
import type { Task } from '../sentry/kernel/task.js';
import { Dentry } from '../sentry/vfs/dentry.js';
import type { FileDescription } from '../sentry/vfs/file-description.js';
import { findConflict, lockKey, lockQueue, noteWaiting, OFFSET_MAX, setLock, wouldDeadlock } from '../sentry/vfs/lock.js';
import { PathFile } from '../sentry/vfs/path-file.js';
import { flockQueue, flockRelease, flockTake } from '../sentry/vfs/flock.js';
import { TASK_SIZE } from '../platform/ptrace/stub-elf.js';
import { MAX_SYMLINK_FOLLOWS, resolveParent, resolvePath, lookupChild, type ResolveRules } from '../sentry/vfs/path-walk.js';
import { accessibleLength, dirfdStart, MAX_RW_COUNT, pathArg, readIovecs, type Iovec } from './args.js';
import { permissionOf } from '../sentry/kernel/permissions.js';
import { fsizeAllows } from '../sentry/kernel/rlimits.js';

export { permissionOf };
import { sys, type SyscallGroup } from './types.js';
import { blockIfAgain, writeResult } from './blocking-io.js';
import { createFile, createTmpfile } from '../sentry/vfs/ops.js';
import { notifyAccess, notifyChange, notifyOpen, notifyWrite } from '../sentry/vfs/notify.js';
import { IN_MODIFY } from '../abi/linux/inotify.js';
import { FifoEnd } from '../sentry/fsimpl/pipe/fifo.js';
import { addSeals, sealsOf } from '../sentry/fsimpl/tmpfs/memfd.js';
import { UnixSocket } from '../sentry/fsimpl/unix/socket.js';
import { socketIo } from './socket-msg.js';

const BOUNCE_LIMIT = 1 << 20;

function fileOf(t: Task, fd: number): FileDescription | number {
  return t.fdTable.get(fd) ?? -E.EBADF;
}

/**
 * Linux's access_ok: the whole range lies in user space (whether it is
 * mapped is found on copy). A count that reads as negative is above 2^63,
 * which no range fits.
 */
function accessOk(addr: number, count: number): boolean {
  return addr >= 0 && count >= 0 && addr + count <= TASK_SIZE;
}

/**
 * Reads from file into application memory at addr: directly when the range
 * is one accessible piece, else through a bounce buffer no larger than what
 * the application can take, so that a fault neither loses data nor moves
 * the offset past what was copied (Linux returns the bytes copied before
 * the fault, and EFAULT only when there were none).
 */
function readInto(t: Task, file: FileDescription, addr: number, count: number, offset: number): number {
  count = Math.min(count, MAX_RW_COUNT);
  if (count === 0) return file.read(new Uint8Array(0), offset);
  const direct = t.mm.writableView(addr, count);
  if (direct !== null) return file.read(direct, offset);
  let done = 0;
  while (done < count) {
    const room = accessibleLength(t, addr + done, Math.min(count - done, BOUNCE_LIMIT), PROT_WRITE);
    if (room === 0) return done > 0 ? done : readFault(file, offset, count - done);
    const bounce = new Uint8Array(room);
    const n = file.read(bounce, offset < 0 ? -1 : offset + done);
    if (n < 0) return done > 0 ? done : n;
    if (n === 0) break;
    const w = t.mm.copyOut(addr + done, bounce.subarray(0, n));
    if (w < 0) return done > 0 ? done : -E.EFAULT;
    done += w;
    // A stream may block on a second read: return what one read gave.
    if (n < room || !file.seekable()) break;
  }
  return done;
}

/**
 * A read whose first byte cannot be stored. Linux fails with EFAULT only
 * when there was something to store: at end of file (or an empty pipe with
 * no writer) it answers 0, and a read that must wait still waits. A file is
 * asked for one byte at the position, which moves nothing; a stream that
 * can look ahead (a pipe) is peeked, so it keeps the byte, as Linux, which
 * copies straight from the pipe's pages and consumes nothing it could not
 * copy; one that cannot is read, and that byte is lost. A file that hands
 * out whole records (eventfd, timerfd, signalfd) is asked for one: Linux
 * takes it from the file, then fails the copy with EFAULT.
 */
function readFault(file: FileDescription, offset: number, count: number): number {
  const probe = new Uint8Array(Math.max(1, Math.min(count, file.readRecordSize())));
  const n = file.seekable() ? file.read(probe, offset < 0 ? file.offset : offset) : file.peek(probe) ?? file.read(probe, offset);
  return n <= 0 ? n : -E.EFAULT;
}

/** Where a write to a regular file lands: its offset, the current one, or the end for O_APPEND. */
function writePosition(file: FileDescription, offset: number): number {
  if (offset >= 0) return offset;
  if ((file.flags & F.O_APPEND) === 0) return file.offset;
  const st = file.dentry?.inode.stat();
  return st === undefined || typeof st === 'number' ? file.offset : st.size;
}

function writeFrom(t: Task, file: FileDescription, addr: number, count: number, offset: number): number {
  count = Math.min(count, MAX_RW_COUNT);
  if (count > 0 && file.dentry?.inode.type === S_IFREG) {
    const allowed = fsizeAllows(t, writePosition(file, offset), count);
    if (allowed < 0) return allowed;
    count = allowed;
  }
  if (count === 0) return file.write(new Uint8Array(0), offset);
  const direct = t.mm.readableView(addr, count);
  if (direct !== null) return file.write(direct, offset);
  let avail = accessibleLength(t, addr, count, PROT_READ);
  if (avail === 0) return -E.EFAULT;
  // A stream (pipe, socket) copies the buffer a page at a time and fails
  // the page that faults; a regular file writes up to the fault.
  if (avail < count && !file.seekable()) {
    avail -= avail % PAGE_SIZE;
    if (avail === 0) return -E.EFAULT;
  }
  let done = 0;
  while (done < avail) {
    const bounce = new Uint8Array(Math.min(avail - done, BOUNCE_LIMIT));
    const got = t.mm.copyIn(addr + done, bounce);
    if (got < 0) return done > 0 ? done : -E.EFAULT;
    const n = file.write(bounce.subarray(0, got), offset < 0 ? -1 : offset + done);
    if (n < 0) return done > 0 ? done : n;
    done += n;
    if (n < got) break;
  }
  return done;
}

/** read(2) and pread64(2) after the offset check: Linux's vfs_read order of checks. */
function doRead(t: Task, fd: number, addr: number, count: number, offset: number): number {
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if (!file.readable || (file instanceof PathFile)) return -E.EBADF;
  if (!accessOk(addr, count)) return -E.EFAULT;
  if (file.dentry?.inode.type === S_IFDIR) return -E.EISDIR;
  // Sockets move data themselves: message boundaries, timeouts, their own SIGPIPE rule.
  if (file instanceof UnixSocket) return socketIo(t, file, [{ base: addr, len: Math.min(count, MAX_RW_COUNT) }], false);
  return accessed(file, blockIfAgain(t, file, false, readInto(t, file, addr, count, offset)));
}

/** A read that moved data is an access for the file's watches (fsnotify_access). */
function accessed(file: FileDescription, r: number): number {
  if (r > 0) notifyAccess(file);
  return r;
}

/** A write that moved data is a modification for the file's watches (fsnotify_modify). */
function modified(file: FileDescription, r: number): number {
  if (r > 0) notifyWrite(file);
  return r;
}

function doWrite(t: Task, fd: number, addr: number, count: number, offset: number): number {
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if (!file.writable || (file instanceof PathFile)) return -E.EBADF;
  if (!accessOk(addr, count)) return -E.EFAULT;
  if (file instanceof UnixSocket) return socketIo(t, file, [{ base: addr, len: Math.min(count, MAX_RW_COUNT) }], true);
  return modified(file, writeResult(t, file, count, (done) => writeFrom(t, file, addr + done, count - done, offset < 0 ? -1 : offset + done)));
}

/**
 * kiocb_set_rw_flags: which RWF_* flags this file takes. Every file here
 * answers without waiting (a stream says EAGAIN), so RWF_NOWAIT is always
 * possible; no file system here does atomic or uncached writes.
 */
function checkRwFlags(rwf: number): number {
  if (rwf & ~FS.RWF_SUPPORTED) return -E.EOPNOTSUPP;
  if ((rwf & FS.RWF_APPEND) && (rwf & FS.RWF_NOAPPEND)) return -E.EINVAL;
  if (rwf & FS.RWF_ATOMIC) return -E.EOPNOTSUPP;
  if (rwf & FS.RWF_DONTCACHE) return -E.EOPNOTSUPP;
  return 0;
}

/** Runs fn with the file's O_APPEND as RWF_APPEND / RWF_NOAPPEND ask, for this call only. */
function withAppend(file: FileDescription, rwf: number, fn: () => number): number {
  if (!(rwf & (FS.RWF_APPEND | FS.RWF_NOAPPEND))) return fn();
  const saved = file.flags;
  file.flags = rwf & FS.RWF_APPEND ? saved | F.O_APPEND : saved & ~F.O_APPEND;
  try { return fn(); } finally { file.flags = (file.flags & ~F.O_APPEND) | (saved & F.O_APPEND); }
}

export function doVector(t: Task, fd: number, iovAddr: number, iovCount: number, offset: number, write: boolean, rwf = 0): number {
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if (file instanceof PathFile) return -E.EBADF;
  // Linux imports the iovecs (EINVAL, EFAULT) before it checks the file's mode.
  const iovs = readIovecs(t, iovAddr, iovCount);
  if (typeof iovs === 'number') return iovs;
  if (write ? !file.writable : !file.readable) return -E.EBADF;
  if (!write && file.dentry?.inode.type === S_IFDIR && iovs.some((v) => v.len > 0)) return -E.EISDIR;
  if (rwf !== 0) {
    // The flags are looked at only when there is something to move.
    if (!iovs.some((v) => v.len > 0)) return 0;
    const r = checkRwFlags(rwf);
    if (r < 0) return r;
  }
  if (file instanceof UnixSocket) return socketIo(t, file, iovs, write);
  const wanted = (iovs as Iovec[]).reduce((n, v) => n + v.len, 0);
  // RLIMIT_FSIZE is checked once for the whole vector, as Linux's generic_write_checks does.
  let budget = wanted;
  if (write && wanted > 0 && file.dentry?.inode.type === S_IFREG) {
    budget = fsizeAllows(t, writePosition(file, offset), Math.min(wanted, MAX_RW_COUNT));
    if (budget < 0) return budget;
  }
  const transfer = (skip: number): number => {
    let total = 0;
    for (const whole of iovs as Iovec[]) {
      if (total >= budget) break;
      const iov = { base: whole.base, len: Math.min(whole.len, budget - total) };
      if (iov.len === 0) continue;
      // Bytes an earlier attempt already moved (a blocked writer's rerun) are skipped.
      const already = Math.min(Math.max(skip - total, 0), iov.len);
      if (already === iov.len) { total += iov.len; continue; }
      const at = offset < 0 ? -1 : offset + total + already;
      const r = write ? writeFrom(t, file, iov.base + already, iov.len - already, at) : readInto(t, file, iov.base, iov.len, at);
      if (r < 0) return total + already > skip ? total + already - skip : r;
      total += already + r;
      if (already + r < iov.len) break;
    }
    return total - skip;
  };
  if (rwf & FS.RWF_NOWAIT) {
    // As O_NONBLOCK for this call: a stream that would wait says EAGAIN (or what it moved).
    const n = withAppend(file, rwf, () => transfer(0));
    return write ? modified(file, n) : accessed(file, n);
  }
  if (!write) return accessed(file, blockIfAgain(t, file, false, transfer(0)));
  const r = modified(file, writeResult(t, file, Math.min(wanted, budget), (done) => withAppend(file, rwf, () => transfer(done))));
  if (r > 0 && (rwf & (FS.RWF_SYNC | FS.RWF_DSYNC))) {
    const s = file.fsync((rwf & FS.RWF_SYNC) === 0);
    if (s < 0 && s !== -E.EINVAL) return s;
  }
  return r;
}

/** preadv2(2) / pwritev2(2): offset -1 is the file's own position (readv/writev with flags). */
function vector2(t: Task, write: boolean): number {
  const fd = t.argInt(0), offset = Number(BigInt.asIntN(64, t.argBig(3))), rwf = t.argInt(5);
  if (offset !== -1) {
    const c = checkOffset(t, fd, offset);
    if (c < 0) return c;
  }
  return doVector(t, fd, t.arg(1), t.argInt(2), offset === -1 ? -1 : offset, write, rwf);
}

/** The checks pread64/pwrite64/preadv/pwritev make first: the offset before the fd, as Linux does. */
function checkOffset(t: Task, fd: number, offset: number): number {
  if (offset < 0) return -E.EINVAL;
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if (file instanceof PathFile) return -E.EBADF;
  if (!file.seekable()) return -E.ESPIPE;
  return 0;
}

// ---- open ----

/** Whether Linux refuses to open this kind of file for writing on a read-only mount (devices, FIFOs and sockets it allows). */
function roRefusesWrite(type: number): boolean {
  return type === S_IFREG || type === S_IFDIR || type === S_IFLNK;
}

/**
 * Finds (or, for O_CREAT, creates) the file open(2) names. The last
 * component of an O_CREAT open is looked up in its parent: a symlink there
 * is followed unless O_EXCL or O_NOFOLLOW, and a missing target is created
 * where the link points (creat() through a dangling link). Returns the
 * dentry, or an installed fd when it created the file, as { fd }.
 */
function openTarget(t: Task, start: Dentry, path: string, flags: number, mode: number, cloexec: boolean, rules?: ResolveRules): Dentry | { fd: number } | number {
  if (!(flags & F.O_CREAT)) return resolvePath(t.fs, start, path, (flags & F.O_NOFOLLOW) === 0, t.creds, rules);
  for (let follows = 0; ; follows++) {
    const p = resolveParent(t.fs, start, path, t.creds, rules);
    if (typeof p === 'number') return p;
    if (p.name === '.' || p.name === '..' || p.trailingSlash) return -E.EISDIR;
    const existing = lookupChild(p.parent, p.name);
    if (typeof existing === 'number') {
      if (existing !== -E.ENOENT) return existing;
      if (p.parent.inode.readonly) return -E.EROFS;
      const file = createFile(t.creds, p.parent, p.name, fileFlags(flags), mode & 0o7777 & ~t.umask);
      if (typeof file === 'number') return file;
      return { fd: installOpened(t, file, cloexec) };
    }
    if (flags & F.O_EXCL) return -E.EEXIST;
    if (existing.inode.type !== S_IFLNK || (flags & F.O_NOFOLLOW)) return existing;
    if (follows >= MAX_SYMLINK_FOLLOWS) return -E.ELOOP;
    if (rules?.noSymlinks) return -E.ELOOP;
    if (existing.inode.magicLink !== undefined) {
      // A magic link names its file directly: the walk jumps there, and a missing one cannot be created.
      return resolvePath(t.fs, p.parent, p.name, true, t.creds, rules);
    }
    const target = existing.inode.readlink();
    if (typeof target === 'number') return target;
    if (target === '') return -E.ENOENT;
    start = p.parent;
    path = target;
  }
}

/** A file description's f_flags: what open keeps (x86-64 forces O_LARGEFILE on). */
function fileFlags(flags: number): number {
  return (flags & ~(F.O_CREAT | F.O_EXCL | F.O_NOCTTY | F.O_TRUNC | F.O_CLOEXEC)) | F.O_LARGEFILE;
}

/** A blocking open of a FIFO waiting for its partner: the end, already counted, kept across reruns. */
interface FifoOpenWait { fifoEnd: FifoEnd; cloexec: boolean }

/**
 * Parks an open of a FIFO until the other side opens (fifo_open's
 * wait_for_partner). The end stays counted while it waits, so the partner
 * sees it; a signal drops it.
 */
function waitForFifoPartner(t: Task, end: FifoEnd, cloexec: boolean): number {
  t.syscallState = { fifoEnd: end, cloexec } satisfies FifoOpenWait;
  t.onInterrupt = () => end.decRef();
  return t.block([end.fifo.opened], -ERESTARTSYS);
}

/** The RESOLVE_* bits of openat2 as walk rules, scoped to the walk's start. */
function resolveRules(resolve: number, start: Dentry): ResolveRules | undefined {
  if (resolve === 0) return undefined;
  return {
    noXdev: (resolve & F.RESOLVE_NO_XDEV) !== 0,
    // RESOLVE_NO_SYMLINKS implies no magic links either.
    noMagicLinks: (resolve & (F.RESOLVE_NO_MAGICLINKS | F.RESOLVE_NO_SYMLINKS)) !== 0,
    noSymlinks: (resolve & F.RESOLVE_NO_SYMLINKS) !== 0,
    beneath: (resolve & F.RESOLVE_BENEATH) !== 0,
    inRoot: (resolve & F.RESOLVE_IN_ROOT) !== 0,
    cached: (resolve & F.RESOLVE_CACHED) !== 0,
    scope: start,
  };
}

/**
 * open(2) with Linux's flag handling (build_open_flags) and its order of
 * checks (do_open, may_open). resolve: openat2's RESOLVE_* bits, its flags
 * already checked (openat2 refuses what open(2) drops).
 */
function openAt(t: Task, dirfd: number, pathAddrArg: number, flags: number, mode: number, resolve = 0): number {
  const waiting = (t.syscallState as Partial<FifoOpenWait> | null)?.fifoEnd;
  if (waiting !== undefined) {
    const w = t.syscallState as FifoOpenWait;
    if (!waiting.ready()) return t.block([waiting.fifo.opened], -ERESTARTSYS);
    t.onInterrupt = null;
    return installOpened(t, waiting, w.cloexec);
  }
  flags &= F.VALID_OPEN_FLAGS;
  const cloexec = (flags & F.O_CLOEXEC) !== 0;
  if ((flags & (F.O_DIRECTORY | F.O_CREAT)) === (F.O_DIRECTORY | F.O_CREAT)) return -E.EINVAL;
  const acc = flags & F.O_ACCMODE;
  if (flags & F.__O_TMPFILE) {
    if ((flags & F.O_TMPFILE_MASK) !== F.O_TMPFILE) return -E.EINVAL;
    if (acc !== F.O_WRONLY && acc !== F.O_RDWR) return -E.EINVAL;
  } else if (flags & F.O_PATH) {
    flags &= F.O_PATH | F.O_DIRECTORY | F.O_NOFOLLOW;
  }
  const path = pathArg(t, pathAddrArg);
  if (typeof path === 'number') return path;
  // A scoped walk starts at dirfd even for an absolute path (which then fails or restarts there).
  const start = resolve & (F.RESOLVE_BENEATH | F.RESOLVE_IN_ROOT) ? dirfdStart(t, dirfd, '') : dirfdStart(t, dirfd, path);
  if (typeof start === 'number') return start;
  const rules = resolveRules(resolve, start);
  if (flags & F.__O_TMPFILE) {
    // An unnamed file in a directory (do_tmpfile): the Gofer cannot make one, as Linux's 9p cannot.
    const dir = resolvePath(t.fs, start, path, true, t.creds, rules);
    if (typeof dir === 'number') return dir;
    if (dir.inode.type !== S_IFDIR) return -E.ENOTDIR;
    const file = createTmpfile(t.creds, dir, fileFlags(flags), mode & 0o7777 & ~t.umask, (flags & F.O_EXCL) === 0);
    return typeof file === 'number' ? file : installOpened(t, file, cloexec);
  }
  const found = openTarget(t, start, path, flags, mode, cloexec, rules);
  if (typeof found === 'number') return found;
  if (!(found instanceof Dentry)) return found.fd;
  const dentry = found;
  const type = dentry.inode.type;
  if ((flags & F.O_CREAT) && type === S_IFDIR) return -E.EISDIR;
  if ((flags & F.O_DIRECTORY) && type !== S_IFDIR) return -E.ENOTDIR;
  if (flags & F.O_PATH) return t.fdTable.add(new PathFile(dentry, flags), cloexec);
  const truncate = (flags & F.O_TRUNC) !== 0 && type === S_IFREG;
  if (truncate && dentry.inode.readonly) return -E.EROFS;
  // may_open: symlinks (O_NOFOLLOW), directories opened for writing, then permission.
  if (type === S_IFLNK) return -E.ELOOP;
  const wantsWrite = acc === F.O_WRONLY || acc === F.O_RDWR;
  if (type === S_IFDIR && (wantsWrite || acc === 3 || (flags & F.O_TRUNC))) return -E.EISDIR;
  // may_open_dev: device nodes on a nodev mount open for nobody.
  if ((type === S_IFCHR || type === S_IFBLK) && dentry.mountRoot().mount?.flags.nodev) return -E.EACCES;
  const want = acc === F.O_RDONLY ? F.R_OK : acc === F.O_WRONLY ? F.W_OK : F.R_OK | F.W_OK;
  const access = checkPermission(t, dentry, want | ((flags & F.O_TRUNC) ? F.W_OK : 0));
  if (access < 0) return access;
  // The mount's read-only flag is checked when the file is opened for writing.
  if (wantsWrite && dentry.inode.readonly && roRefusesWrite(type)) return -E.EROFS;
  const file = dentry.inode.open(fileFlags(flags));
  if (typeof file === 'number') return file;
  file.dentry = dentry;
  if (file instanceof FifoEnd && !file.ready()) return waitForFifoPartner(t, file, cloexec);
  if (truncate) {
    const r = file.truncate(0);
    if (r < 0) { file.decRef(); return r; }
  }
  // Linux reports the open, then the truncation (handle_truncate runs after vfs_open).
  notifyOpen(file);
  if (truncate) notifyChange(dentry.inode, IN_MODIFY, dentry);
  return t.fdTable.add(file, cloexec);
}

/** The end of a successful open: the file's watches hear IN_OPEN, then it gets its fd. */
function installOpened(t: Task, file: FileDescription, cloexec: boolean): number {
  notifyOpen(file);
  return t.fdTable.add(file, cloexec);
}

/** Largest open_how openat2 reads (copy_struct_from_user within a page). */
const OPEN_HOW_MAX = 4096;

/**
 * openat2(2): struct open_how { u64 flags, mode, resolve } of `size`
 * bytes; a larger struct must be zero past what this kernel knows (E2BIG).
 * Unlike open(2), unknown flags and a mode without O_CREAT are errors.
 */
function openat2(t: Task): number {
  const size = t.arg(3);
  if (size < F.OPEN_HOW_SIZE_VER0) return -E.EINVAL;
  if (size > OPEN_HOW_MAX) return -E.E2BIG;
  const raw = new Uint8Array(size);
  if (t.mm.copyInFull(t.arg(2), raw) < 0) return -E.EFAULT;
  if (raw.subarray(F.OPEN_HOW_SIZE_VER0).some((b) => b !== 0)) return -E.E2BIG;
  const dv = new DataView(raw.buffer);
  const flags64 = dv.getBigUint64(0, true), mode64 = dv.getBigUint64(8, true), resolve64 = dv.getBigUint64(16, true);
  if (flags64 & ~BigInt(F.VALID_OPEN_FLAGS)) return -E.EINVAL;
  if (resolve64 & ~BigInt(F.VALID_RESOLVE_FLAGS)) return -E.EINVAL;
  const flags = Number(flags64), resolve = Number(resolve64);
  if ((resolve & F.RESOLVE_BENEATH) && (resolve & F.RESOLVE_IN_ROOT)) return -E.EINVAL;
  const creates = (flags & F.O_CREAT) !== 0 || (flags & F.__O_TMPFILE) !== 0;
  if (creates ? mode64 & ~0o7777n : mode64 !== 0n) return -E.EINVAL;
  if ((flags & (F.O_DIRECTORY | F.O_CREAT)) === (F.O_DIRECTORY | F.O_CREAT)) return -E.EINVAL;
  if (flags & F.__O_TMPFILE) {
    const acc = flags & F.O_ACCMODE;
    if ((flags & F.O_TMPFILE_MASK) !== F.O_TMPFILE || (acc !== F.O_WRONLY && acc !== F.O_RDWR)) return -E.EINVAL;
  }
  if ((flags & F.O_PATH) && (flags & ~F.O_PATH_FLAGS)) return -E.EINVAL;
  // Nothing to look for in the cache when the open would create or truncate.
  if ((resolve & F.RESOLVE_CACHED) && (flags & (F.O_TRUNC | F.O_CREAT | F.__O_TMPFILE))) return -E.EAGAIN;
  return openAt(t, t.argInt(0), 1, flags, Number(mode64), resolve);
}

/** Permission check with Linux's rules for root (CAP_DAC_OVERRIDE). */
export function checkPermission(t: Task, dentry: Dentry, want: number): number {
  if (want === 0) return 0;
  const st = dentry.inode.stat();
  if (typeof st === 'number') return st;
  return permissionOf(st, t.creds.fsuid, t.creds.fsgid, t.creds.groups, want);
}


// ---- stat ----

function statDentryOrFd(t: Task, dirfd: number, pathIdx: number, flags: number): Stat | number {
  const path = pathArg(t, pathIdx);
  if (typeof path === 'number') return path;
  if (path === '') {
    if (!(flags & F.AT_EMPTY_PATH)) return -E.ENOENT;
    if (dirfd === F.AT_FDCWD) return t.fs.cwd.inode.stat();
    const file = fileOf(t, dirfd);
    if (typeof file === 'number') return file;
    return file.stat();
  }
  const start = dirfdStart(t, dirfd, path);
  if (typeof start === 'number') return start;
  const d = resolvePath(t.fs, start, path, (flags & F.AT_SYMLINK_NOFOLLOW) === 0, t.creds);
  if (typeof d === 'number') return d;
  return d.inode.stat();
}

function writeStat(t: Task, addr: number, st: Stat | number): number {
  if (typeof st === 'number') return st;
  const out = new Uint8Array(STAT_SIZE);
  encodeStat(st, out);
  return t.mm.copyOutFull(addr, out);
}

function statx(t: Task): number {
  const dirfd = t.argInt(0), flags = t.argInt(2);
  if (flags & ~(F.AT_SYMLINK_NOFOLLOW | F.AT_NO_AUTOMOUNT | F.AT_EMPTY_PATH | F.AT_STATX_SYNC_TYPE)) return -E.EINVAL;
  if ((flags & F.AT_STATX_SYNC_TYPE) === F.AT_STATX_SYNC_TYPE) return -E.EINVAL;
  if (t.argU32(3) & 0x80000000) return -E.EINVAL; // STATX__RESERVED
  const st = statDentryOrFd(t, dirfd, 1, flags);
  if (typeof st === 'number') return st;
  const out = new Uint8Array(STATX_SIZE);
  encodeStatx(st, out);
  return t.mm.copyOutFull(t.arg(4), out);
}

// ---- directories ----

/**
 * Record length of one directory entry: linux_dirent64 puts d_type before
 * the name; the old linux_dirent puts it in the last byte, after the name's
 * NUL, and so needs one byte more.
 */
function direntLength(nameLength: number, old: boolean): number {
  return Math.ceil((old ? 18 + nameLength + 2 : 19 + nameLength + 1) / 8) * 8;
}

/** getdents64(2) and the old getdents(2): entries from the directory's position, as many as fit. */
function getdents(t: Task, old: boolean): number {
  const file = fileOf(t, t.argInt(0));
  if (typeof file === 'number') return file;
  if (file instanceof PathFile) return -E.EBADF;
  const addr = t.arg(1), count = t.argU32(2);
  const entries = file.readdir();
  if (typeof entries === 'number') return entries;
  // Every listing is an access to the directory (iterate_dir), even one at its end.
  notifyAccess(file);
  const out = new Uint8Array(Math.min(count, 1 << 20));
  const dv = new DataView(out.buffer);
  let used = 0, consumed = 0;
  for (const e of entries) {
    const name = stringToBytes(e.name);
    const reclen = direntLength(name.length, old);
    if (used + reclen > out.length) break;
    out.fill(0, used, used + reclen);
    dv.setBigUint64(used, e.ino, true);
    dv.setBigInt64(used + 8, BigInt(file.offset + consumed + 1), true);
    dv.setUint16(used + 16, reclen, true);
    if (old) {
      out.set(name, used + 18);
      out[used + reclen - 1] = e.type;
    } else {
      out[used + 18] = e.type;
      out.set(name, used + 19);
    }
    used += reclen;
    consumed++;
  }
  if (consumed === 0 && entries.length > 0) return -E.EINVAL;
  if (used > 0 && t.mm.copyOutFull(addr, out.subarray(0, used)) < 0) return -E.EFAULT;
  file.offset += consumed;
  return used;
}

function readlinkAt(t: Task, dirfd: number, pathIdx: number, bufIdx: number, sizeIdx: number): number {
  const size = t.argInt(sizeIdx);
  if (size <= 0) return -E.EINVAL;
  const path = pathArg(t, pathIdx);
  if (typeof path === 'number') return path;
  let target: string | number;
  if (path === '/proc/self/exe') {
    // Until procfs (issue 4) mounts /proc, the one link glibc and programs ask for.
    target = t.exePath;
  } else if (path === '') {
    // The empty path names the fd itself, which must be a symlink (an
    // O_PATH|O_NOFOLLOW open of one); anything else is ENOENT, not EINVAL.
    if (dirfd === F.AT_FDCWD) return -E.ENOENT;
    const file = fileOf(t, dirfd);
    if (typeof file === 'number') return file;
    if (file.dentry?.inode.type !== S_IFLNK) return -E.ENOENT;
    target = file.dentry.inode.readlink();
  } else {
    const start = dirfdStart(t, dirfd, path);
    if (typeof start === 'number') return start;
    const d = resolvePath(t.fs, start, path, false, t.creds);
    if (typeof d === 'number') return d;
    if (d.inode.type !== S_IFLNK) return -E.EINVAL;
    target = d.inode.readlink();
  }
  if (typeof target === 'number') return target;
  const bytes = stringToBytes(target).subarray(0, size);
  return t.mm.copyOutFull(t.arg(bufIdx), bytes) < 0 ? -E.EFAULT : bytes.length;
}

/** access(2) and its *at forms: the permission check first, then (for W_OK) the mount's read-only flag, as do_faccessat orders them. */
function accessAt(t: Task, dirfd: number, pathIdx: number, mode: number, flags: number): number {
  if (mode & ~7) return -E.EINVAL;
  if (flags & ~(F.AT_EACCESS | F.AT_SYMLINK_NOFOLLOW | F.AT_EMPTY_PATH)) return -E.EINVAL;
  const path = pathArg(t, pathIdx);
  if (typeof path === 'number') return path;
  let st: Stat | number;
  let readonly = false;
  if (path === '' && (flags & F.AT_EMPTY_PATH) && dirfd !== F.AT_FDCWD) {
    const file = fileOf(t, dirfd);
    if (typeof file === 'number') return file;
    st = file.dentry ? file.dentry.inode.stat() : file.stat();
    readonly = file.dentry?.inode.readonly ?? false;
  } else {
    const start = dirfdStart(t, dirfd, path);
    if (typeof start === 'number') return start;
    // The walk itself uses the ids access(2) checks with (the real ones, unless AT_EACCESS).
    const ids = t.creds;
    const walkCreds = (flags & F.AT_EACCESS) ? ids : { fsuid: ids.uid, fsgid: ids.gid, groups: ids.groups };
    const d = path === '' && (flags & F.AT_EMPTY_PATH) ? start : resolvePath(t.fs, start, path, (flags & F.AT_SYMLINK_NOFOLLOW) === 0, walkCreds);
    if (typeof d === 'number') return d;
    st = d.inode.stat();
    readonly = d.inode.readonly;
  }
  if (typeof st === 'number') return st;
  const c = t.creds;
  const useEffective = (flags & F.AT_EACCESS) !== 0;
  const r = permissionOf(st, useEffective ? c.fsuid : c.uid, useEffective ? c.fsgid : c.gid, c.groups, mode);
  if (r < 0) return r;
  // "SuS v2 requires we report a read only fs too", but device nodes, FIFOs and sockets stay writable.
  if ((mode & F.W_OK) && readonly && roRefusesWrite(st.mode & S_IFMT)) return -E.EROFS;
  return 0;
}

function getcwd(t: Task): number {
  // A removed working directory has no path (Linux answers ENOENT).
  if (t.fs.cwd.unlinked) return -E.ENOENT;
  const path = stringToBytes(t.fs.cwd.path(t.fs.root) + '\0');
  if (t.argU32(1) < path.length) return -E.ERANGE;
  return t.mm.copyOutFull(t.arg(0), path) < 0 ? -E.EFAULT : path.length;
}

function chdirTo(t: Task, d: Dentry): number {
  if (d.inode.type !== S_IFDIR) return -E.ENOTDIR;
  const r = checkPermission(t, d, F.X_OK);
  if (r < 0) return r;
  t.fs.cwd = d;
  return 0;
}

// ---- fd operations ----

function dup3(t: Task, oldfd: number, newfd: number, flags: number): number {
  if (flags & ~F.O_CLOEXEC) return -E.EINVAL;
  if (oldfd === newfd) return -E.EINVAL;
  const file = fileOf(t, oldfd);
  if (typeof file === 'number') return file;
  file.incRef();
  return t.fdTable.setAt(newfd, file, (flags & F.O_CLOEXEC) !== 0);
}

// ---- record locks ----

/** sizeof(struct flock) on x86-64: short l_type, l_whence; off_t l_start, l_len; pid_t l_pid. */
const FLOCK_SIZE = 32;

interface Flock { type: number; whence: number; start: number; len: number; pid: number }

function readFlock(t: Task): Flock | number {
  const b = new Uint8Array(FLOCK_SIZE);
  if (t.mm.copyInFull(t.arg(2), b) < 0) return -E.EFAULT;
  const dv = new DataView(b.buffer);
  return { type: dv.getInt16(0, true), whence: dv.getInt16(2, true), start: Number(dv.getBigInt64(8, true)),
    len: Number(dv.getBigInt64(16, true)), pid: dv.getInt32(24, true) };
}

function writeFlock(t: Task, fl: Flock): number {
  const b = new Uint8Array(FLOCK_SIZE), dv = new DataView(b.buffer);
  dv.setInt16(0, fl.type, true); dv.setInt16(2, fl.whence, true);
  dv.setBigInt64(8, BigInt(fl.start), true); dv.setBigInt64(16, BigInt(fl.len), true); dv.setInt32(24, fl.pid, true);
  return t.mm.copyOutFull(t.arg(2), b);
}

/** The bytes [start, end] a struct flock names (Linux's flock_to_posix_lock), or -EINVAL/-EOVERFLOW. */
function flockRange(file: FileDescription, fl: Flock): { start: number; end: number } | number {
  let base: number;
  switch (fl.whence) {
    case F.SEEK_SET: base = 0; break;
    case F.SEEK_CUR: base = file.offset; break;
    case F.SEEK_END: {
      const st = file.stat();
      if (typeof st === 'number') return st;
      base = st.size;
      break;
    }
    default: return -E.EINVAL;
  }
  if (fl.start > OFFSET_MAX - base) return -E.EOVERFLOW;
  let start = base + fl.start;
  if (start < 0) return -E.EINVAL;
  let end: number;
  if (fl.len > 0) {
    if (fl.len - 1 > OFFSET_MAX - start) return -E.EOVERFLOW;
    end = start + fl.len - 1;
  } else if (fl.len < 0) {
    end = start - 1;
    start += fl.len;
    if (start < 0) return -E.EINVAL;
  } else {
    end = OFFSET_MAX;
  }
  return { start, end };
}

/** F_GETLK / F_OFD_GETLK: the first lock of another owner that would block the one described, or F_UNLCK. */
function getLock(t: Task, file: FileDescription, ofd: boolean): number {
  const fl = readFlock(t);
  if (typeof fl === 'number') return fl;
  if (fl.type !== F.F_RDLCK && fl.type !== F.F_WRLCK) return -E.EINVAL;
  const range = flockRange(file, fl);
  if (typeof range === 'number') return range;
  if (ofd && fl.pid !== 0) return -E.EINVAL;
  const owner = ofd ? file : t.fdTable;
  const c = findConflict(lockKey(file), { ...range, type: fl.type as typeof F.F_RDLCK, owner });
  if (c === null) return writeFlock(t, { ...fl, type: F.F_UNLCK });
  return writeFlock(t, { type: c.type, whence: F.SEEK_SET, start: c.start, len: c.end === OFFSET_MAX ? 0 : c.end - c.start + 1, pid: c.pid });
}

/** F_SETLK(W) / F_OFD_SETLK(W). A blocking request parks on the file's lock queue and reruns when a lock goes. */
function setLockCmd(t: Task, file: FileDescription, ofd: boolean, wait: boolean): number {
  const fl = readFlock(t);
  if (typeof fl === 'number') return fl;
  const range = flockRange(file, fl);
  if (typeof range === 'number') return range;
  if (fl.type !== F.F_RDLCK && fl.type !== F.F_WRLCK && fl.type !== F.F_UNLCK) return -E.EINVAL;
  if ((fl.type === F.F_RDLCK && !file.readable) || (fl.type === F.F_WRLCK && !file.writable)) return -E.EBADF;
  if (ofd && fl.pid !== 0) return -E.EINVAL;
  const owner: object = ofd ? file : t.fdTable;
  const key = lockKey(file);
  if (fl.type !== F.F_UNLCK) {
    const c = findConflict(key, { ...range, type: fl.type as typeof F.F_RDLCK, owner });
    if (c !== null) {
      if (!wait) return -E.EAGAIN;
      // Only POSIX owners are checked for deadlock, as Linux does.
      if (!ofd && wouldDeadlock(owner, c.owner)) { noteWaiting(owner, null); return -E.EDEADLK; }
      noteWaiting(owner, c.owner, () => t.state === 'blocked');
      return t.block([lockQueue(key)], -ERESTARTSYS);
    }
  }
  noteWaiting(owner, null);
  setLock(key, { ...range, type: fl.type, owner, pid: ofd ? -1 : t.tgid });
  return 0;
}

/** flock(2): Linux's order is the operation (EINVAL), then the fd (EBADF), then its mode. */
function flock(t: Task): number {
  const op = t.argInt(1);
  // LOCK_MAND never worked and is ignored since Linux 5.15.
  if (op & F.LOCK_MAND) return 0;
  const cmd = op & ~F.LOCK_NB;
  if (cmd !== F.LOCK_SH && cmd !== F.LOCK_EX && cmd !== F.LOCK_UN) return -E.EINVAL;
  const file = fileOf(t, t.argInt(0));
  if (typeof file === 'number' || file instanceof PathFile) return -E.EBADF;
  const key = lockKey(file);
  if (cmd === F.LOCK_UN) { flockRelease(key, file); return 0; }
  // An open for ioctls only (access mode 3) can take no lock.
  if (!file.readable && !file.writable) return -E.EBADF;
  const r = flockTake(key, file, cmd === F.LOCK_EX ? 'exclusive' : 'shared');
  if (r !== -E.EAGAIN || (op & F.LOCK_NB)) return r;
  return t.block([flockQueue(key)], -ERESTARTSYS);
}

function fcntl(t: Task): number {
  const fd = t.argInt(0), cmd = t.argInt(1);
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  // An O_PATH fd answers only these (Linux's check_fcntl_cmd).
  if (file instanceof PathFile && cmd !== F.F_DUPFD && cmd !== F.F_DUPFD_CLOEXEC && cmd !== F.F_GETFD && cmd !== F.F_SETFD && cmd !== F.F_GETFL) {
    return -E.EBADF;
  }
  switch (cmd) {
    case F.F_DUPFD: case F.F_DUPFD_CLOEXEC: {
      const min = t.argInt(2);
      if (min < 0 || min >= t.fdTable.limit) return -E.EINVAL;
      file.incRef();
      return t.fdTable.add(file, cmd === F.F_DUPFD_CLOEXEC, min);
    }
    case F.F_GETFD: return t.fdTable.getCloexec(fd) ? F.FD_CLOEXEC : 0;
    case F.F_SETFD: t.fdTable.setCloexec(fd, (t.argInt(2) & F.FD_CLOEXEC) !== 0); return 0;
    case F.F_GETFL: return file.flags & ~F.O_CLOEXEC;
    case F.F_SETFL: {
      if (file instanceof PathFile) return -E.EBADF;
      file.flags = (file.flags & ~F.SETFL_MASK) | (t.argInt(2) & F.SETFL_MASK);
      return 0;
    }
    case F.F_GETLK: case F.F_OFD_GETLK:
      return getLock(t, file, cmd === F.F_OFD_GETLK);
    case F.F_SETLK: case F.F_SETLKW: case F.F_OFD_SETLK: case F.F_OFD_SETLKW:
      return setLockCmd(t, file, cmd === F.F_OFD_SETLK || cmd === F.F_OFD_SETLKW, cmd === F.F_SETLKW || cmd === F.F_OFD_SETLKW);
    // Nothing sends SIGIO yet: the owner is kept for F_GETOWN and that is all.
    case F.F_GETOWN: return file.owner;
    case F.F_SETOWN: {
      const pid = t.argInt(2);
      if (pid !== 0 && pid !== t.tgid && pid !== -t.tgid) return -E.ESRCH;
      file.owner = pid;
      return 0;
    }
    // glibc's F_GETOWN and F_SETOWN use these (struct f_owner_ex { int type; pid_t pid; }).
    case F.F_GETOWN_EX: {
      const out = new Uint8Array(8), dv = new DataView(out.buffer);
      dv.setInt32(0, file.owner < 0 ? F.F_OWNER_PGRP : file.owner > 0 ? F.F_OWNER_PID : F.F_OWNER_TID, true);
      dv.setInt32(4, Math.abs(file.owner), true);
      return t.mm.copyOutFull(t.arg(2), out);
    }
    case F.F_SETOWN_EX: {
      const raw = new Uint8Array(8);
      if (t.mm.copyInFull(t.arg(2), raw) < 0) return -E.EFAULT;
      const dv = new DataView(raw.buffer);
      const type = dv.getInt32(0, true), pid = dv.getInt32(4, true);
      if (type !== F.F_OWNER_TID && type !== F.F_OWNER_PID && type !== F.F_OWNER_PGRP) return -E.EINVAL;
      if (pid !== 0 && pid !== t.tgid) return -E.ESRCH;
      file.owner = type === F.F_OWNER_PGRP ? -pid : pid;
      return 0;
    }
    case F.F_GET_SEALS: {
      const seals = file.dentry === null ? null : sealsOf(file.dentry.inode);
      return seals ?? -E.EINVAL;
    }
    case F.F_ADD_SEALS:
      if (!file.writable) return -E.EPERM;
      return file.dentry === null ? -E.EINVAL : addSeals(file.dentry.inode, t.argU32(2));
    // No file here holds a lease.
    case F.F_GETLEASE: return F.F_UNLCK;
    // Pipe commands on anything else: get_pipe_info fails.
    case F.F_GETPIPE_SZ: case F.F_SETPIPE_SZ: return file.fcntl(cmd, t.arg(2)) ?? -E.EBADF;
    default: return file.fcntl(cmd, t.arg(2)) ?? -E.EINVAL;
  }
}

function ioctl(t: Task): number {
  const fd = t.argInt(0), request = t.argU32(1), arg = t.arg(2);
  const file = fileOf(t, fd);
  if (typeof file === 'number') return file;
  if (file instanceof PathFile) return -E.EBADF;
  switch (request) {
    case FIOCLEX: t.fdTable.setCloexec(fd, true); return 0;
    case FIONCLEX: t.fdTable.setCloexec(fd, false); return 0;
    case FIONBIO: {
      const v = t.mm.readU32(arg);
      if (v === null) return -E.EFAULT;
      file.flags = v ? file.flags | F.O_NONBLOCK : file.flags & ~F.O_NONBLOCK;
      return 0;
    }
    case FIOASYNC: {
      // No file here has fasync: asking for a change fails as on a Linux file without it.
      const v = t.mm.readU32(arg);
      if (v === null) return -E.EFAULT;
      return ((v !== 0) !== ((file.flags & F.O_ASYNC) !== 0)) ? -E.ENOTTY : 0;
    }
    case FIONREAD: {
      // Generic for regular files: the bytes after the offset. Other files answer in their own ioctl.
      if (file.dentry?.inode.type !== S_IFREG) break;
      const st = file.stat();
      if (typeof st === 'number') return st;
      return t.mm.writeU32(arg, st.size - file.offset) < 0 ? -E.EFAULT : 0;
    }
    case FIGETBSZ: {
      const fs = file.dentry?.inode.statfs();
      if (fs === undefined || typeof fs === 'number') return -E.ENOTTY;
      return t.mm.writeU32(arg, fs.bsize) < 0 ? -E.EFAULT : 0;
    }
  }
  return file.ioctl(request, arg, {
    copyOut: (a, b) => t.mm.copyOutFull(a, b), copyIn: (a, b) => t.mm.copyInFull(a, b),
    caller: { tgid: t.tgid, pgid: t.tg.pgid, sid: t.tg.sid, privileged: t.creds.euid === 0 },
  });
}

export const fileSyscalls: SyscallGroup = {
  read: sys((t) => doRead(t, t.argInt(0), t.arg(1), t.arg(2), -1), 'fpu'),
  write: sys((t) => doWrite(t, t.argInt(0), t.arg(1), t.arg(2), -1), 'fpu'),
  pread64: sys((t) => { const c = checkOffset(t, t.argInt(0), t.arg(3)); return c < 0 ? c : doRead(t, t.argInt(0), t.arg(1), t.arg(2), t.arg(3)); }, 'fpui'),
  pwrite64: sys((t) => { const c = checkOffset(t, t.argInt(0), t.arg(3)); return c < 0 ? c : doWrite(t, t.argInt(0), t.arg(1), t.arg(2), t.arg(3)); }, 'fpui'),
  readv: sys((t) => doVector(t, t.argInt(0), t.arg(1), t.argInt(2), -1, false), 'fpi'),
  writev: sys((t) => doVector(t, t.argInt(0), t.arg(1), t.argInt(2), -1, true), 'fpi'),
  preadv: sys((t) => { const c = checkOffset(t, t.argInt(0), t.arg(3)); return c < 0 ? c : doVector(t, t.argInt(0), t.arg(1), t.argInt(2), t.arg(3), false); }, 'fpii'),
  pwritev: sys((t) => { const c = checkOffset(t, t.argInt(0), t.arg(3)); return c < 0 ? c : doVector(t, t.argInt(0), t.arg(1), t.argInt(2), t.arg(3), true); }, 'fpii'),
  preadv2: sys((t) => vector2(t, false), 'fpiiix'),
  pwritev2: sys((t) => vector2(t, true), 'fpiiix'),
  open: sys((t) => openAt(t, F.AT_FDCWD, 0, t.argInt(1), t.argInt(2)), 'sxo'),
  openat: sys((t) => openAt(t, t.argInt(0), 1, t.argInt(2), t.argInt(3)), 'fsxo'),
  openat2: sys(openat2, 'fspu'),
  creat: sys((t) => openAt(t, F.AT_FDCWD, 0, F.O_CREAT | F.O_WRONLY | F.O_TRUNC, t.argInt(1)), 'so'),
  close: sys((t) => t.fdTable.close(t.argInt(0)), 'f'),
  lseek: sys((t) => { const f = fileOf(t, t.argInt(0)); return typeof f === 'number' ? f : f.lseek(t.arg(1), t.argInt(2)); }, 'fii'),
  stat: sys((t) => writeStat(t, t.arg(1), statDentryOrFd(t, F.AT_FDCWD, 0, 0)), 'sp'),
  lstat: sys((t) => writeStat(t, t.arg(1), statDentryOrFd(t, F.AT_FDCWD, 0, F.AT_SYMLINK_NOFOLLOW)), 'sp'),
  fstat: sys((t) => { const f = fileOf(t, t.argInt(0)); return writeStat(t, t.arg(1), typeof f === 'number' ? f : f.stat()); }, 'fp'),
  newfstatat: sys((t) => {
    const flags = t.argInt(3);
    if (flags & ~(F.AT_SYMLINK_NOFOLLOW | F.AT_NO_AUTOMOUNT | F.AT_EMPTY_PATH)) return -E.EINVAL;
    return writeStat(t, t.arg(2), statDentryOrFd(t, t.argInt(0), 1, flags));
  }, 'fspx'),
  statx: sys(statx, 'fsxxp'),
  getdents64: sys((t) => getdents(t, false), 'fpu'),
  getdents: sys((t) => getdents(t, true), 'fpu'),
  readlink: sys((t) => readlinkAt(t, F.AT_FDCWD, 0, 1, 2), 'spu'),
  readlinkat: sys((t) => readlinkAt(t, t.argInt(0), 1, 2, 3), 'fspu'),
  access: sys((t) => accessAt(t, F.AT_FDCWD, 0, t.argInt(1), 0), 'si'),
  faccessat: sys((t) => accessAt(t, t.argInt(0), 1, t.argInt(2), 0), 'fsi'),
  faccessat2: sys((t) => accessAt(t, t.argInt(0), 1, t.argInt(2), t.argInt(3)), 'fsix'),
  getcwd: sys(getcwd, 'pu'),
  chdir: sys((t) => {
    const path = pathArg(t, 0);
    if (typeof path === 'number') return path;
    const d = resolvePath(t.fs, t.fs.cwd, path, true, t.creds);
    return typeof d === 'number' ? d : chdirTo(t, d);
  }, 's'),
  fchdir: sys((t) => {
    const f = fileOf(t, t.argInt(0));
    if (typeof f === 'number') return f;
    return f.dentry ? chdirTo(t, f.dentry) : -E.ENOTDIR;
  }, 'f'),
  fcntl: sys(fcntl, 'fix', 'record locks are the Sentry\'s own: processes outside the sandbox do not see them; F_SETLEASE, F_NOTIFY and SIGIO are not supported'),
  dup: sys((t) => { const f = fileOf(t, t.argInt(0)); if (typeof f === 'number') return f; f.incRef(); return t.fdTable.add(f, false); }, 'f'),
  dup2: sys((t) => {
    const oldfd = t.argInt(0), newfd = t.argInt(1);
    if (oldfd === newfd) return t.fdTable.get(oldfd) ? newfd : -E.EBADF;
    return dup3(t, oldfd, newfd, 0);
  }, 'ff'),
  dup3: sys((t) => dup3(t, t.argInt(0), t.argInt(1), t.argInt(2)), 'ffx'),
  ioctl: sys(ioctl, 'fxx', 'terminal ioctls on the console and on ptys (job-control ioctls are kept, not enforced: no controlling-terminal checks); FIONBIO, FIOCLEX, FIONCLEX'),
  flock: sys(flock, 'fx', 'locks are the Sentry\'s own: processes outside the sandbox do not see them'),
  umask: sys((t) => { const old = t.umask; t.umask = t.argInt(0) & 0o777; return old; }, 'o'),
};
