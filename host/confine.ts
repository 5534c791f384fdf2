// Typed bindings for what a process needs to confine itself: namespaces,
// mounts (classic and the fd-based API), pivot_root, capabilities, prctl and
// execve. Every function returns a value or a negative errno, as in fs.ts;
// the policy (what to mount, which capabilities stay) is the caller's.

import { SYS } from '../abi/linux/syscalls.js';
import { cstr } from './fs.js';
import { check, koffi, libc } from './libc.js';

// The constants live in abi/linux/ (code that must not load koffi uses them
// too); they are re-exported here for the callers of these bindings.
export * from '../abi/linux/sched.js';
export * from '../abi/linux/mount.js';
export * from '../abi/linux/prctl.js';
export * from '../abi/linux/capability.js';
export { AT_EMPTY_PATH } from '../abi/linux/fcntl.js';
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

const syscall = libc.func('long syscall(long nr, ...)');
const c = {
  unshare: libc.func('int unshare(int flags)'),
  mount: libc.func('int mount(const uint8_t *source, const uint8_t *target, const uint8_t *fstype, unsigned long flags, const uint8_t *data)'),
  umount2: libc.func('int umount2(const uint8_t *target, int flags)'),
  chdir: libc.func('int chdir(const uint8_t *path)'),
  fchdir: libc.func('int fchdir(int fd)'),
  chroot: libc.func('int chroot(const uint8_t *path)'),
  execve: libc.func('int execve(const char *path, const char **argv, const char **envp)'),
  getpid: libc.func('int getpid(void)'),
  getppid: libc.func('int getppid(void)'),
};

function orNull(s: string | null): Buffer | null {
  return s === null ? null : cstr(s);
}

function sys(ret: number | bigint): number {
  const r = Number(ret);
  return r === -1 ? -koffi.errno() : r;
}

export function unshare(flags: number): number {
  return check(c.unshare(flags));
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): number {
  return check(c.mount(orNull(source), cstr(target), orNull(fstype), flags, orNull(data)));
}

export function umount2(target: string, flags: number): number {
  return check(c.umount2(cstr(target), flags));
}

export function chdir(path: string): number {
  return check(c.chdir(cstr(path)));
}

export function fchdir(fd: number): number {
  return check(c.fchdir(fd));
}

export function chroot(path: string): number {
  return check(c.chroot(cstr(path)));
}

/** glibc has no wrapper for pivot_root. */
export function pivotRoot(newRoot: string, putOld: string): number {
  return sys(syscall(SYS.pivot_root, 'uint8_t *', cstr(newRoot), 'uint8_t *', cstr(putOld)));
}

/** open_tree(2): with OPEN_TREE_CLONE, a detached copy of the mount (tree) at `path`. */
export function openTree(dirfd: number, path: string, flags: number): number {
  return sys(syscall(SYS.open_tree, 'int', dirfd, 'uint8_t *', cstr(path), 'uint', flags >>> 0));
}

/** move_mount(2): attaches (or moves) a mount; with MOVE_MOUNT_F_EMPTY_PATH the source is fromFd itself. */
export function moveMount(fromFd: number, fromPath: string, toFd: number, toPath: string, flags: number): number {
  return sys(syscall(SYS.move_mount, 'int', fromFd, 'uint8_t *', cstr(fromPath), 'int', toFd, 'uint8_t *', cstr(toPath), 'uint', flags >>> 0));
}

/** mount_setattr(2) on the mount `fd` refers to (path "" and AT_EMPTY_PATH), recursively with AT_RECURSIVE. */
export function mountSetattr(dirfd: number, path: string, flags: number, attrSet: number, attrClr = 0): number {
  const attr = new BigUint64Array([BigInt(attrSet), BigInt(attrClr), 0n, 0n]); // struct mount_attr (MOUNT_ATTR_SIZE_VER0)
  return sys(syscall(SYS.mount_setattr, 'int', dirfd, 'uint8_t *', cstr(path), 'uint', flags >>> 0, 'void *', attr, 'size_t', 32));
}

/** prctl(2) with integer arguments. */
export function prctl(option: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
  return sys(syscall(SYS.prctl, 'int', option, 'ulong', a2, 'ulong', a3, 'ulong', a4, 'ulong', a5));
}

export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** capget(2) for this thread, or for thread `tid` (any process's). */
export function capget(tid = 0): CapSets | number {
  const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, tid]);
  const data = new Uint32Array(6);
  const r = sys(syscall(SYS.capget, 'void *', header, 'void *', data));
  if (r < 0) return r;
  const join = (lo: number, hi: number) => (BigInt(hi) << 32n) | BigInt(lo);
  return { effective: join(data[0], data[3]), permitted: join(data[1], data[4]), inheritable: join(data[2], data[5]) };
}

/**
 * capset(2) for this thread only: Linux keeps capabilities per thread, and
 * the other threads of a Node process keep theirs. That is harmless once a
 * seccomp filter (installed for all threads) refuses capset and every
 * privileged call the dropped capabilities would allow; see gofer/README.md.
 */
export function capset(sets: CapSets): number {
  const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, 0]);
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  const data = new Uint32Array([
    lo(sets.effective), lo(sets.permitted), lo(sets.inheritable),
    hi(sets.effective), hi(sets.permitted), hi(sets.inheritable),
  ]);
  return sys(syscall(SYS.capset, 'void *', header, 'void *', data));
}

/** Replaces the process image; returns only on failure (-errno). */
export function execve(path: string, argv: string[], envp: string[]): number {
  return check(c.execve(path, [...argv, null], [...envp, null]));
}

/**
 * A system call by number with integer arguments, for what has no typed
 * binding: tests probing a seccomp filter, mostly. Returns the result or -errno.
 */
export function rawSyscall(nr: number, ...args: Array<number | bigint>): number {
  const typed: unknown[] = [];
  for (const a of args) typed.push('long', typeof a === 'bigint' ? a : BigInt(a));
  return sys(syscall(nr, ...typed));
}

export function getpid(): number {
  return c.getpid() as number;
}

export function getppid(): number {
  return c.getppid() as number;
}
