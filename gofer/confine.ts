// The Gofer confines itself before it serves: see README.md in this folder
// for what is confined, how, and why this way. In short, in two stages:
//
// Stage 1 (full root, in runsc's namespaces): unshare the mount, IPC, UTS,
// network and cgroup namespaces; make every mount private; clone each
// mount root's tree (open_tree) and mark the copies nosuid, nodev, noexec
// and, for read-only mounts, read-only, recursively; build the jail, a
// small read-only tmpfs holding the copies at /0, /1, ... and, at /fd, a
// bind of this process's /proc/<pid>/fd; detach host pseudo file systems
// (proc, sysfs, devtmpfs, ...) found below the copies; cut the capability
// bounding set down to what serving needs plus CAP_SYS_CHROOT; set
// no_new_privs; and execve Node. Node runs threads of its own, and a
// namespace (like a capability) belongs to a thread: execve is the one way
// to have every thread of the serving process start inside the namespaces
// and with the reduced capabilities.
//
// runsc runs stage 1 as a launch program in the launcher, a small static
// ELF (jail-plan.ts, launcher-elf.ts), not in Node: that saves a whole Node
// start on the sandbox's critical path. buildJailAndReexec below is the
// same stage in Node, kept for `RUNSC_GOFER_LAUNCH=node` (a comparison) and
// for a `runsc gofer` started by hand.
//
// Stage 2 (Node, after the execve): loads everything it will need, then
// lockGoferJail() chroots into the jail, opens /0, /1, ... and /fd, drops
// CAP_SYS_CHROOT, makes the process non-dumpable and installs a seccomp
// filter (all threads) that refuses what the Gofer must never do.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { E } from '../abi/linux/errno.js';
import { SYS } from '../abi/linux/syscalls.js';
import {
  AT_EMPTY_PATH, AT_RECURSIVE, CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_LAST_KNOWN, CAP_SYS_CHROOT,
  CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEW_ANY, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUTS,
  MNT_DETACH, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY, MOVE_MOUNT_F_EMPTY_PATH,
  MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT,
  OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAPBSET_DROP, PR_GET_NO_NEW_PRIVS,
  PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS,
  capget, capset, chdir, chroot, execve, getpid, mount, mountSetattr, moveMount, openTree, prctl, umount2, unshare,
} from '../host/confine.js';
import {
  AT_FDCWD, O_CLOEXEC, O_DIRECTORY, O_PATH, O_RDONLY, S_IFBLK, S_IFCHR, S_IFDIR, S_IFMT,
  close, fstat, fstatfs, openat,
} from '../host/fs.js';
import {
  AUDIT_ARCH_X86_64, BpfAssembler, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS,
  X32_SYSCALL_BIT, argLo, installSeccompFilter, retErrno, type BpfInsn,
} from '../host/seccomp.js';
import { setCloexec } from '../host/socket.js';
import {
  JAIL_ENV, KEPT_CAPS, mountNamespaceId, parseMountInfo, pseudoMountsToDetach, type Handover, type JailMount,
} from './jail-plan.js';

export { HIDDEN_FS_TYPES, JAIL_ENV, KEPT_CAPS, parseMountInfo, pseudoMountsToDetach } from './jail-plan.js';
export type { JailMount, MountInfoEntry } from './jail-plan.js';

export class ConfineError extends Error {}

export interface EnterOptions {
  /**
   * Fds the re-executed process must still have, besides 0, 1 and 2 (the
   * connections to serve). Node marks its stdio close-on-exec; stage 1
   * clears the flag on these before execve.
   */
  keepFds?: readonly number[];
  /** The command line to re-execute; by default this process's own. */
  argv?: readonly string[];
}

/** What stage 2 finds: where the jail is and how many mounts it holds. */
export interface PreparedJail {
  dir: string;
  mounts: number;
}

/** What serving needs once locked in. */
export interface Jail {
  /** O_PATH fds of the mount roots, in the order of the mounts. */
  roots: number[];
  /** A directory fd on this process's /proc/<pid>/fd, for reopening O_PATH fds. */
  procSelfFd: number;
}

/**
 * Stage 1 or stage 2, depending on JAIL_ENV. In stage 1 (not yet
 * confined) this builds the jail in new namespaces and re-executes the
 * process with the same arguments: it returns only by throwing. In stage 2
 * it checks the hand-over and returns the jail to lock.
 *
 * `jailDir` is an empty directory (created if missing) that stage 1 mounts
 * its jail over, in its own mount namespace only: the host sees the empty
 * directory, nothing else.
 */
export function enterGoferNamespaces(mounts: readonly JailMount[], jailDir: string, opts: EnterOptions = {}): PreparedJail {
  const raw = process.env[JAIL_ENV];
  if (raw !== undefined) return checkHandover(raw, mounts.length);
  return buildJailAndReexec(mounts, jailDir, opts);
}

function checkHandover(raw: string, mounts: number): PreparedJail {
  let h: Handover;
  try {
    h = JSON.parse(raw) as Handover;
  } catch {
    throw new ConfineError(`${JAIL_ENV} is not ours: ${raw}`);
  }
  if (typeof h.dir !== 'string' || h.mounts !== mounts || typeof h.hostMntNs !== 'string') {
    throw new ConfineError(`${JAIL_ENV} does not match the spec (${mounts} mounts): ${raw}`);
  }
  // A process started with this variable by someone else would still be in
  // its parent's namespace: refuse rather than chroot into whatever is there.
  if (mountNamespaceId() === h.hostMntNs) throw new ConfineError('stage 2 is still in the host mount namespace');
  return { dir: h.dir, mounts: h.mounts };
}

function fail(what: string, r: number): never {
  throw new ConfineError(`gofer confinement: ${what}: errno ${-r}`);
}

function must(what: string, r: number): number {
  if (r < 0) fail(what, r);
  return r;
}

function buildJailAndReexec(mounts: readonly JailMount[], jailDir: string, opts: EnterOptions): never {
  const hostMntNs = mountNamespaceId();
  mkdirSync(jailDir, { recursive: true });
  // Only this (the main) thread moves; execve below takes the others away.
  must('unshare (the Gofer must run as root)', unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP));
  // Nothing we mount or unmount from here on may propagate to the host.
  must('making mounts private', mount(null, '/', null, MS_REC | MS_PRIVATE));

  // Copies of each mount root's tree, taken before the jail hides anything.
  const trees = mounts.map((m) => {
    const fd = must(`open_tree ${m.hostPath}`, openTree(AT_FDCWD, m.hostPath, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    const attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (m.readonly ? MOUNT_ATTR_RDONLY : 0);
    must(`mount_setattr ${m.hostPath}`, mountSetattr(fd, '', AT_EMPTY_PATH | AT_RECURSIVE, attrs));
    const st = fstat(fd);
    if (typeof st === 'number') fail(`stat ${m.hostPath}`, st);
    return { fd, isDir: (st.mode & S_IFMT) === S_IFDIR };
  });

  must('mounting the jail tmpfs', mount('tmpfs', jailDir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=0755,size=64k,nr_inodes=4096'));
  trees.forEach((t, i) => {
    const target = `${jailDir}/${i}`;
    if (t.isDir) mkdirSync(target); else writeFileSync(target, '');
    must(`attaching mount ${i}`, moveMount(t.fd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH));
    close(t.fd);
  });
  // /fd is /proc/<pid>/fd alone: reopening fds through it needs no other
  // part of procfs, and ".." from it stops at the jail's root. execve keeps
  // the pid, so it stays ours.
  const fdDir = `${jailDir}/fd`;
  mkdirSync(fdDir);
  must('binding /proc/<pid>/fd', mount(`/proc/${getpid()}/fd`, fdDir, null, MS_BIND));
  must('remounting /fd', mount(null, fdDir, null, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
  detachPseudoFileSystems(jailDir, mounts.length);
  must('remounting the jail read-only', mount(null, jailDir, null, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));

  // After execve a root process's capabilities are its bounding set: cut it
  // to what serving needs, plus CAP_SYS_CHROOT for stage 2's chroot.
  dropBoundingSet([...KEPT_CAPS, CAP_SYS_CHROOT]);
  must('clearing ambient capabilities', prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL));
  must('no_new_privs', prctl(PR_SET_NO_NEW_PRIVS, 1));

  const handover: Handover = { dir: jailDir, mounts: mounts.length, hostMntNs };
  const env = Object.entries({ ...process.env, [JAIL_ENV]: JSON.stringify(handover) }).map(([k, v]) => `${k}=${v}`);
  const argv = opts.argv ?? [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  for (const fd of [0, 1, 2]) setCloexec(fd, false); // a closed one stays closed
  for (const fd of opts.keepFds ?? []) must(`keeping fd ${fd} across execve`, setCloexec(fd, false));
  fail('execve', execve(argv[0], [...argv], env));
}

function dropBoundingSet(keep: readonly number[]): void {
  let last = CAP_LAST_KNOWN;
  try {
    last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch { /* keep the default */ }
  for (let cap = 0; cap <= last; cap++) {
    if (!keep.includes(cap)) must(`dropping capability ${cap} from the bounding set`, prctl(PR_CAPBSET_DROP, cap));
  }
}

const TMPFS_MAGIC = 0x01021994;
const ST_RDONLY = 1;

function detachPseudoFileSystems(jailDir: string, mounts: number): void {
  const entries = parseMountInfo(readFileSync('/proc/thread-self/mountinfo', 'latin1'));
  for (const mp of pseudoMountsToDetach(entries, jailDir, mounts)) {
    const r = umount2(mp, MNT_DETACH);
    // Already gone with a parent detached before it.
    if (r < 0 && r !== -E.EINVAL && r !== -E.ENOENT) fail(`detaching ${mp}`, r);
  }
}

/**
 * Stage 2, after every module and file the process will need is loaded or
 * open: chroots into the jail, opens the mount roots and /fd, drops the
 * last extra capability, makes the process non-dumpable and installs the
 * seccomp filter for every thread. From here on no host path is reachable
 * by name.
 */
export function lockGoferJail(p: PreparedJail): Jail {
  must('chdir to the jail', chdir(p.dir));
  must('chroot', chroot('.'));
  must('chdir /', chdir('/'));
  const rootFd = must('opening /', openat(AT_FDCWD, '/', O_PATH | O_DIRECTORY | O_CLOEXEC));
  const st = fstatfs(rootFd);
  close(rootFd);
  if (typeof st === 'number') fail('statfs /', st);
  if (st.type !== TMPFS_MAGIC || (st.flags & ST_RDONLY) === 0) throw new ConfineError('gofer confinement: / is not the read-only jail');
  const roots: number[] = [];
  for (let i = 0; i < p.mounts; i++) roots.push(must(`opening /${i}`, openat(AT_FDCWD, `/${i}`, O_PATH | O_CLOEXEC)));
  const procSelfFd = must('opening /fd', openat(AT_FDCWD, '/fd', O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // /fd must reopen our own fds: check it on a root.
  if (roots.length > 0) {
    const again = must('reopening through /fd', openat(procSelfFd, String(roots[0]), O_PATH | O_CLOEXEC));
    const a = fstat(again), b = fstat(roots[0]);
    close(again);
    if (typeof a === 'number' || typeof b === 'number' || a.ino !== b.ino || a.dev !== b.dev) {
      throw new ConfineError('gofer confinement: /fd does not reopen this process\'s fds');
    }
  }

  // Capabilities are per thread: this drops CAP_SYS_CHROOT for the main
  // thread. Node's other threads started with the bounding set (the kept
  // capabilities plus CAP_SYS_CHROOT), and the filter refuses chroot to all.
  const keep = KEPT_CAPS.reduce((m, c) => m | (1n << BigInt(c)), 0n);
  const cur = capget();
  if (typeof cur === 'number') fail('capget', cur);
  must('capset', capset({ effective: cur.effective & keep, permitted: cur.permitted & keep, inheritable: 0n }));
  // Non-dumpable: another process with our uid and capabilities (another
  // sandbox's Gofer) cannot reach our fds through /proc, nor we theirs.
  must('PR_SET_DUMPABLE', prctl(PR_SET_DUMPABLE, 0));
  if (prctl(PR_GET_NO_NEW_PRIVS) !== 1) must('no_new_privs', prctl(PR_SET_NO_NEW_PRIVS, 1));
  const r = installSeccompFilter(goferSeccompProgram(getpid()), true);
  if (r !== 0) fail(r > 0 ? `seccomp: thread ${r} could not be synchronised` : 'seccomp', r < 0 ? r : -1);
  return { roots, procSelfFd };
}

// The seccomp policy.

const EPERM = E.EPERM;
const ENOSYS = E.ENOSYS;

/** What the filter answers. */
export type Verdict = 'kill' | 'eperm' | 'enosys';

/**
 * A test on the low 32 bits of one argument (every argument tested is an
 * int, a mode or a flag word, which the kernel truncates to 32 bits).
 * 'set': (arg & value) != 0. 'eq': (arg & mask) == value. 'notIn': arg is
 * none of values.
 */
export type ArgTest =
  | { arg: number; op: 'set'; value: number }
  | { arg: number; op: 'eq'; value: number; mask?: number }
  | { arg: number; op: 'notIn'; values: number[] };

export interface SeccompRule {
  name: string;
  nr: number;
  verdict: Verdict;
  /** Without tests the verdict always applies; with tests, when any of them holds (otherwise: allowed). */
  when?: ArgTest[];
}

const S_ISUID_ISGID = 0o6000;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
/** Newest syscall number this policy was reviewed against (file_setattr, Linux 6.17). */
export const LAST_REVIEWED_SYSCALL = 469;
const NR_fchmodat2 = 452;
const NR_setxattrat = 463;
const NR_removexattrat = 466;
const NR_open_tree_attr = 467;

const always = (names: Array<keyof typeof SYS>, verdict: Verdict): SeccompRule[] =>
  names.map((name) => ({ name, nr: SYS[name], verdict }));
const setIdMode = (name: keyof typeof SYS | string, nr: number, arg: number): SeccompRule =>
  ({ name, nr, verdict: 'eperm', when: [{ arg, op: 'set', value: S_ISUID_ISGID }] });
const onlyFor = (name: keyof typeof SYS, pids: number[]): SeccompRule =>
  ({ name, nr: SYS[name], verdict: 'eperm', when: [{ arg: 0, op: 'notIn', values: pids.map((p) => p >>> 0) }] });

/**
 * The Gofer's seccomp policy as data: everything not listed is allowed.
 * Node and V8 make too many and too varied system calls for an allowlist
 * to be kept right (README.md says more); this denies what the Gofer never
 * needs and what would reach past its jail.
 */
export function goferSeccompRules(selfPid: number): SeccompRule[] {
  return [
    // Running anything else, or reaching into other processes: never. Kill.
    ...always(['execve', 'execveat', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'kexec_load', 'kexec_file_load',
      'init_module', 'finit_module', 'delete_module', 'bpf', 'open_by_handle_at', 'pidfd_getfd'], 'kill'),
    // Changing the jail, the namespaces or the host: refused.
    ...always(['mount', 'umount2', 'pivot_root', 'chroot', 'unshare', 'setns', 'fsopen', 'fsconfig', 'fsmount', 'fspick',
      'open_tree', 'move_mount', 'mount_setattr', 'name_to_handle_at', 'keyctl', 'add_key', 'request_key', 'userfaultfd',
      'perf_event_open', 'fanotify_init', 'iopl', 'ioperm', 'swapon', 'swapoff', 'reboot', 'settimeofday', 'clock_settime',
      'clock_adjtime', 'adjtimex', 'acct', 'quotactl', 'quotactl_fd', 'syslog', 'sethostname', 'setdomainname', 'vhangup',
      'uselib', 'lookup_dcookie', 'kcmp', 'capset', 'socket', 'mknod', 'tkill', 'pidfd_send_signal', 'process_madvise',
      // The xattr calls that take a path: the server only sets and removes through fds (fsetxattr, fremovexattr).
      'process_mrelease', 'setxattr', 'lsetxattr', 'removexattr', 'lremovexattr'], 'eperm'),
    { name: 'open_tree_attr', nr: NR_open_tree_attr, verdict: 'eperm' },
    { name: 'setxattrat', nr: NR_setxattrat, verdict: 'eperm' },
    { name: 'removexattrat', nr: NR_removexattrat, verdict: 'eperm' },
    // As if the kernel lacked them: callers fall back (glibc's clone3 to
    // clone, libuv's io_uring to threads). io_uring runs operations the
    // filter never sees; clone3 and openat2 pass their flags in memory.
    ...always(['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'openat2'], 'enosys'),
    // Threads, yes; new namespaces, no.
    { name: 'clone', nr: SYS.clone, verdict: 'eperm', when: [{ arg: 0, op: 'set', value: CLONE_NEW_ANY }] },
    // Signals and limits for this process only: the Gofer shares a process
    // group with runsc, and every root process has our uid.
    onlyFor('kill', [selfPid]), onlyFor('tgkill', [selfPid]), onlyFor('rt_sigqueueinfo', [selfPid]),
    onlyFor('rt_tgsigqueueinfo', [selfPid]), onlyFor('prlimit64', [0, selfPid]),
    // No keystrokes pushed into an inherited terminal.
    { name: 'ioctl', nr: SYS.ioctl, verdict: 'eperm', when: [{ arg: 1, op: 'eq', value: TIOCSTI }, { arg: 1, op: 'eq', value: TIOCLINUX }] },
    // No set-id bits and no device nodes on the host, whoever asks.
    { name: 'mknodat', nr: SYS.mknodat, verdict: 'eperm', when: [
      { arg: 2, op: 'eq', mask: S_IFMT, value: S_IFCHR }, { arg: 2, op: 'eq', mask: S_IFMT, value: S_IFBLK },
      { arg: 2, op: 'set', value: S_ISUID_ISGID },
    ] },
    setIdMode('open', SYS.open, 2), setIdMode('openat', SYS.openat, 3), setIdMode('creat', SYS.creat, 1),
    setIdMode('mkdir', SYS.mkdir, 1), setIdMode('mkdirat', SYS.mkdirat, 2),
    setIdMode('chmod', SYS.chmod, 1), setIdMode('fchmod', SYS.fchmod, 1), setIdMode('fchmodat', SYS.fchmodat, 2),
    setIdMode('fchmodat2', NR_fchmodat2, 2),
    // Stays non-dumpable (see lockGoferJail).
    { name: 'prctl', nr: SYS.prctl, verdict: 'eperm', when: [{ arg: 0, op: 'eq', value: PR_SET_DUMPABLE }] },
  ];
}

function verdictCode(v: Verdict): number {
  switch (v) {
    case 'kill': return SECCOMP_RET_KILL_PROCESS;
    case 'eperm': return retErrno(EPERM);
    case 'enosys': return retErrno(ENOSYS);
  }
}

/**
 * Compiles the rules: check the architecture (a 32-bit or x32 syscall
 * would be numbered differently: kill), then each rule in turn, then allow.
 * Syscall numbers past LAST_REVIEWED_SYSCALL answer ENOSYS: new system
 * calls are refused until someone has looked at them.
 */
export function compileSeccompRules(rules: readonly SeccompRule[]): BpfInsn[] {
  const a = new BpfAssembler();
  a.load(SECCOMP_DATA_ARCH).jeq(AUDIT_ARCH_X86_64, 'arch-ok');
  a.ret(SECCOMP_RET_KILL_PROCESS);
  a.label('arch-ok').load(SECCOMP_DATA_NR).jge(X32_SYSCALL_BIT, 'next', 'not-x32');
  a.ret(SECCOMP_RET_KILL_PROCESS);
  a.label('not-x32').jgt(LAST_REVIEWED_SYSCALL, 'next', 'r0');
  a.ret(retErrno(ENOSYS));
  rules.forEach((rule, i) => {
    const next = `r${i + 1}`, hit = `r${i}-hit`;
    a.label(`r${i}`).load(SECCOMP_DATA_NR).jeq(rule.nr, 'next', next);
    if (rule.when === undefined || rule.when.length === 0) {
      a.ret(verdictCode(rule.verdict));
    } else {
      rule.when.forEach((t, j) => {
        a.load(argLo(t.arg));
        if (t.op === 'set') {
          a.jset(t.value, hit);
        } else if (t.op === 'eq') {
          if (t.mask !== undefined) a.and(t.mask);
          a.jeq(t.value, hit);
        } else {
          const pass = `r${i}-t${j}-pass`;
          for (const v of t.values) a.jeq(v, pass);
          a.ja(hit);
          a.label(pass);
        }
      });
      a.ret(SECCOMP_RET_ALLOW);
      a.label(hit).ret(verdictCode(rule.verdict));
    }
  });
  a.label(`r${rules.length}`).ret(SECCOMP_RET_ALLOW);
  return a.assemble();
}

export function goferSeccompProgram(selfPid: number): BpfInsn[] {
  return compileSeccompRules(goferSeccompRules(selfPid));
}
