// Host processes: posix_spawn (safe from a multithreaded Node, unlike fork),
// kill, and identity.
import { libc, check, koffi } from './libc.js';

const POSIX_SPAWN_FILE_ACTIONS_SIZE = 80;
const fileActionsInit = libc.func('int posix_spawn_file_actions_init(_Inout_ uint8_t *fa)');
const fileActionsDestroy = libc.func('int posix_spawn_file_actions_destroy(_Inout_ uint8_t *fa)');
const fileActionsAddDup2 = libc.func('int posix_spawn_file_actions_adddup2(_Inout_ uint8_t *fa, int fd, int newfd)');
const posixSpawn = libc.func('int posix_spawn(_Out_ int *pid, const char *path, uint8_t *fa, void *attr, const char **argv, const char **envp)');
const killFn = libc.func('int kill(int pid, int sig)');
const tgkillFn = libc.func('long syscall(long nr, long tgid, long tid, long sig)');
const getpidFn = libc.func('int getpid(void)');
void koffi;

export interface SpawnOptions {
  /** Host fds to place at given fd numbers in the child: [from, to]. */
  dup2?: Array<[number, number]>;
}

/** posix_spawn(3). Returns the child's pid or -errno. */
export function spawn(path: string, argv: string[], envp: string[], opts: SpawnOptions = {}): number {
  const fa = new Uint8Array(POSIX_SPAWN_FILE_ACTIONS_SIZE);
  fileActionsInit(fa);
  for (const [from, to] of opts.dup2 ?? []) fileActionsAddDup2(fa, from, to);
  const pid = new Int32Array(1);
  const err = posixSpawn(pid, path, fa, null, [...argv, null], [...envp, null]) as number;
  fileActionsDestroy(fa);
  return err === 0 ? pid[0] : -err;
}

export function kill(pid: number, sig: number): number {
  return check(killFn(pid, sig) as number);
}

const SYS_tgkill = 234;
export function tgkill(tgid: number, tid: number, sig: number): number {
  return check(tgkillFn(SYS_tgkill, tgid, tid, sig) as number);
}

export function getpid(): number {
  return getpidFn() as number;
}

const sched_setaffinityFn = libc.func('int sched_setaffinity(int pid, size_t size, const uint8_t *mask)');
const sched_getaffinityFn = libc.func('int sched_getaffinity(int pid, size_t size, _Out_ uint8_t *mask)');
const sched_getcpuFn = libc.func('int sched_getcpu(void)');

/** The CPU the calling thread runs on (sched_getcpu(3)), or -errno. */
export function currentCpu(): number {
  return check(sched_getcpuFn() as number);
}

/** The CPUs a host thread may run on (sched_getaffinity(2)) into mask (little-endian bytes). Returns 0 or -errno. */
export function getAffinity(tid: number, mask: Uint8Array): number {
  return check(sched_getaffinityFn(tid, mask.length, mask) as number);
}

/** Pins a host thread to the CPUs whose bits are set in mask (little-endian bytes). Returns 0 or -errno. */
export function setAffinity(tid: number, mask: Uint8Array): number {
  return check(sched_setaffinityFn(tid, mask.length, mask) as number);
}

const syscall3 = libc.func('long syscall(long nr, long a, long b, long c)');
const SYS_pidfd_open = 434, SYS_pidfd_getfd = 438;

/** pidfd_open(2): an fd that names process pid (readable once it has exited), or -errno. */
export function pidfdOpen(pid: number): number {
  return check(Number(syscall3(SYS_pidfd_open, pid, 0, 0)));
}

/** pidfd_getfd(2): a copy, close-on-exec, of the process's fd targetFd (needs ptrace access to it), or -errno. */
export function pidfdGetfd(pidfd: number, targetFd: number): number {
  return check(Number(syscall3(SYS_pidfd_getfd, pidfd, targetFd, 0)));
}

const SYS_pidfd_send_signal = 424;
const syscall4 = libc.func('long syscall(long nr, long a, long b, long c, long d)');

/** pidfd_send_signal(2), or -errno. */
export function pidfdSendSignal(pidfd: number, sig: number): number {
  return check(Number(syscall4(SYS_pidfd_send_signal, pidfd, sig, 0, 0)));
}
