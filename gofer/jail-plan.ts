// Stage 1 of the Gofer's confinement as a launch program: every system call
// that builds the jail and drops privileges, computed by runsc before the
// Gofer exists and run by the launcher (launcher-elf.ts), whose last step
// execs Node for stage 2 (confine.ts, lockGoferJail). README.md in this
// folder explains what is confined and why; this module only decides the
// exact calls. It loads no koffi: runsc's CLI imports it.
import { readFileSync, realpathSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { SYS } from '../abi/linux/syscalls.js';
import { E } from '../abi/linux/errno.js';
import { AT_EMPTY_PATH, AT_FDCWD, F_SETFL, O_CLOEXEC, O_CREAT, O_RDWR, O_WRONLY } from '../abi/linux/fcntl.js';
import { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_LAST_KNOWN, CAP_SYS_CHROOT } from '../abi/linux/capability.js';
import { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUTS } from '../abi/linux/sched.js';
import {
  AT_RECURSIVE, MNT_DETACH, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY, MOUNT_ATTR_SIZE_VER0,
  MOVE_MOUNT_F_EMPTY_PATH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT,
  OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE,
} from '../abi/linux/mount.js';
import { PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS } from '../abi/linux/prctl.js';
import { DataValue, LaunchProgram, type StepRef } from './launch-program.js';

/** Carries stage 1's hand-over to stage 2 across execve. */
export const JAIL_ENV = 'RUNSC_GOFER_JAIL';

/**
 * Capabilities the serving process keeps: it acts for the sandbox's users,
 * whose permissions the Sentry has already checked, so it must read and
 * write any file (DAC_OVERRIDE), give created files their owner (CHOWN) and
 * change modes and times of files it does not own (FOWNER). Everything else
 * goes, notably SYS_ADMIN, SYS_PTRACE (reaching other processes through
 * /proc), DAC_READ_SEARCH (open_by_handle_at), FSETID (keeping set-id bits),
 * MKNOD, SETFCAP, LINUX_IMMUTABLE, KILL and NET_*.
 */
export const KEPT_CAPS: readonly number[] = [CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER];

/**
 * Host pseudo file systems that are detached when found below a served
 * mount root: what they hold describes the host (processes, devices,
 * kernel knobs), not files, and the Sentry has its own /proc, /sys and
 * /dev. A mount root that is itself one of these is served as configured.
 */
export const HIDDEN_FS_TYPES: ReadonlySet<string> = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'mqueue', 'debugfs', 'tracefs', 'securityfs', 'bpf', 'cgroup', 'cgroup2',
  'configfs', 'efivarfs', 'pstore', 'selinuxfs', 'smackfs', 'apparmorfs', 'fusectl', 'binfmt_misc', 'nsfs', 'autofs',
  'rpc_pipefs', 'nfsd',
]);

export interface JailMount {
  hostPath: string;
  readonly: boolean;
}

/** What stage 1 tells stage 2 (JSON in JAIL_ENV). */
export interface Handover {
  dir: string;
  mounts: number;
  /** The mount namespace stage 1 started in: stage 2 must be elsewhere. */
  hostMntNs: string;
}

/** One line of /proc/<pid>/mountinfo: where a mount is and what it is. */
export interface MountInfoEntry {
  mountPoint: string;
  fsType: string;
}

/** Parses mountinfo(5), undoing its octal escapes (\040 for a space, ...). */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const after = line.slice(sep + 3).split(' ');
    if (fields.length < 6 || after.length < 1) continue;
    out.push({ mountPoint: unescapeOctal(fields[4]), fsType: after[0] });
  }
  return out;
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points strictly below `${jailDir}/<i>` whose type is hidden, parents first. */
export function pseudoMountsToDetach(entries: readonly MountInfoEntry[], jailDir: string, mounts: number): string[] {
  const roots = Array.from({ length: mounts }, (_, i) => `${jailDir}/${i}/`);
  return entries
    .filter((e) => HIDDEN_FS_TYPES.has(e.fsType) && roots.some((r) => e.mountPoint.startsWith(r)))
    .map((e) => e.mountPoint)
    .sort((a, b) => a.split('/').length - b.split('/').length);
}

/**
 * The same, seen from the host before the clones exist: a hidden mount
 * strictly below host root i (a canonical path) is detached at the same
 * place below `${jailDir}/<i>`, where open_tree's recursive clone puts it.
 */
export function pseudoMountsBelowRoots(entries: readonly MountInfoEntry[], hostRoots: readonly string[], jailDir: string): string[] {
  const inJail: MountInfoEntry[] = [];
  hostRoots.forEach((root, i) => {
    const prefix = root.endsWith('/') ? root : `${root}/`;
    for (const e of entries) {
      if (e.mountPoint.startsWith(prefix)) inJail.push({ mountPoint: `${jailDir}/${i}/${e.mountPoint.slice(prefix.length)}`, fsType: e.fsType });
    }
  });
  return pseudoMountsToDetach(inJail, jailDir, hostRoots.length);
}

/** Everything stage 1 needs to know, gathered by runsc from the host. */
export interface GoferLaunchPlan {
  mounts: ReadonlyArray<JailMount & { isDir: boolean }>;
  /** An empty directory the jail tmpfs is mounted over (in the Gofer's mount namespace only). */
  jailDir: string;
  /** Hidden pseudo file systems to detach, in the jail's terms, parents first. */
  detach: readonly string[];
  /** /proc/sys/kernel/cap_last_cap. */
  capLastCap: number;
  /** Stage 2's command line and environment (the latter without JAIL_ENV, which is added here). */
  argv: readonly string[];
  env: readonly string[];
  hostMntNs: string;
  /**
   * Connection fds to make blocking first: when runsc starts the Sentry
   * before the Gofer, the Gofer gets the parent's ends of libuv's
   * socketpairs, which libuv made non-blocking (docs/design/startup.md).
   */
  blockingFds?: readonly number[];
}

/**
 * Stage 1, step by step, in the order README.md gives. The open_tree fds
 * are close-on-exec, and so is nothing else the launcher opens: the
 * connections at 3, 4, ... and stdio reach stage 2 as runsc passed them.
 */
export function goferLaunchProgram(plan: GoferLaunchPlan): LaunchProgram {
  const p = new LaunchProgram();
  // F_SETFL with no flags: a socket's only status flags are O_NONBLOCK and O_ASYNC, neither wanted.
  for (const fd of plan.blockingFds ?? []) p.step(`making connection fd ${fd} blocking`, SYS.fcntl, [fd, F_SETFL, 0]);
  enterNamespaces(p);
  // Copies of each mount root's tree, taken before the jail hides anything.
  const trees = cloneTrees(p, plan.mounts);
  mountJail(p, plan.jailDir);
  attachTrees(p, plan, trees);
  bindFdDir(p, plan.jailDir);
  detachAndSeal(p, plan.jailDir, plan.detach);
  dropPrivilegesAndExec(p, plan.capLastCap, plan.argv, plan.env, { dir: plan.jailDir, mounts: plan.mounts.length, hostMntNs: plan.hostMntNs });
  return p;
}

/**
 * The front's early Gofer (runsc/front.ts), stage 1 in two programs.
 * This one needs no spec, so `npm run build` writes it and runsc starts it
 * the moment its Node is up: the namespaces, an empty jail tmpfs over
 * jailDir with /fd, the capability drops, and execve of Node, which then
 * waits on fd 3 for what goferJailProgram's run and the front send it.
 * jailDir is fixed (beside the bundle): each Gofer mounts its own tmpfs
 * there, in its own mount namespace.
 */
export function goferEarlyProgram(plan: { jailDir: string; capLastCap: number; argv: readonly string[]; env: readonly string[] }): LaunchProgram {
  const p = new LaunchProgram();
  // bin/runsc.js's sh lines start it with their stdio: stdin and stdout become /dev/null.
  const devNull = p.step('opening /dev/null', SYS.openat, [AT_FDCWD, p.string('/dev/null'), O_RDWR | O_CLOEXEC]);
  p.step('/dev/null as stdin', SYS.dup2, [devNull, 0]);
  p.step('/dev/null as stdout', SYS.dup2, [devNull, 1]);
  // The control socketpair: the Gofer keeps 3; the front takes 4 with pidfd_getfd, and the Gofer then closes it.
  // Through 100 and 101 first: socketpair may itself return 3 or 4.
  const pair = p.words([0]);
  p.step('the control socketpair', SYS.socketpair, [AF_UNIX, SOCK_STREAM, 0, pair]);
  p.step('moving the control socket', SYS.dup2, [new DataValue(pair, 0), 100]);
  p.step('moving the front\'s end', SYS.dup2, [new DataValue(pair, 4), 101]);
  p.step('closing the pair', SYS.close, [new DataValue(pair, 0)]);
  p.step('closing the pair', SYS.close, [new DataValue(pair, 4)]);
  p.step('the control socket at 3', SYS.dup2, [100, EARLY_CONTROL_FD]);
  p.step('the front\'s end at 4', SYS.dup2, [101, EARLY_FRONT_END_FD]);
  p.step('closing 100', SYS.close, [100]);
  p.step('closing 101', SYS.close, [101]);
  enterNamespaces(p);
  mountJail(p, plan.jailDir);
  bindFdDir(p, plan.jailDir);
  dropPrivilegesAndExec(p, plan.capLastCap, plan.argv, plan.env, null);
  return p;
}

/**
 * The rest of the early Gofer's stage 1, run by a second launcher that
 * runsc starts with the Gofer's mount namespace at fd 3: into that
 * namespace, then the trees, their detaches and the read-only jail, as
 * goferLaunchProgram does them. The trees are cloned after the jail tmpfs
 * exists, so a tree holding jailDir holds a copy of it: plan.detach must
 * name that too (writeGoferJailProgram does).
 */
export function goferJailProgram(plan: Pick<GoferLaunchPlan, 'mounts' | 'jailDir' | 'detach'>): LaunchProgram {
  const p = new LaunchProgram();
  p.step('entering the Gofer\'s mount namespace', SYS.setns, [EARLY_NS_FD, CLONE_NEWNS]);
  const trees = cloneTrees(p, plan.mounts);
  attachTrees(p, plan, trees);
  detachAndSeal(p, plan.jailDir, plan.detach);
  return p;
}

/** Where goferJailProgram's launcher finds the Gofer's mount namespace. */
export const EARLY_NS_FD = 3;
/** The early Gofer's control socket, and the other end, which the front takes from the Gofer (pidfd_getfd). */
export const EARLY_CONTROL_FD = 3;
export const EARLY_FRONT_END_FD = 4;
const AF_UNIX = 1, SOCK_STREAM = 1;

function enterNamespaces(p: LaunchProgram): void {
  p.step('unshare (the Gofer must run as root)', SYS.unshare, [CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP]);
  // Nothing mounted or unmounted from here on may propagate to the host.
  p.step('making mounts private', SYS.mount, [0, p.string('/'), 0, MS_REC | MS_PRIVATE, 0]);
}

function cloneTrees(p: LaunchProgram, mounts: GoferLaunchPlan['mounts']): StepRef[] {
  const empty = p.string('');
  return mounts.map((m) => {
    const tree = p.step(`open_tree ${m.hostPath}`, SYS.open_tree, [AT_FDCWD, p.string(m.hostPath), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE]);
    const attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (m.readonly ? MOUNT_ATTR_RDONLY : 0);
    const mountAttr = p.words([attrs, 0, 0, 0]);
    p.step(`mount_setattr ${m.hostPath}`, SYS.mount_setattr, [tree, empty, AT_EMPTY_PATH | AT_RECURSIVE, mountAttr, MOUNT_ATTR_SIZE_VER0]);
    return tree;
  });
}

function mountJail(p: LaunchProgram, jailDir: string): void {
  p.step('mounting the jail tmpfs', SYS.mount, [p.string('tmpfs'), p.string(jailDir), p.string('tmpfs'), MS_NOSUID | MS_NODEV | MS_NOEXEC, p.string('mode=0755,size=64k,nr_inodes=4096')]);
}

function attachTrees(p: LaunchProgram, plan: Pick<GoferLaunchPlan, 'mounts' | 'jailDir'>, trees: StepRef[]): void {
  const empty = p.string('');
  trees.forEach((tree, i) => {
    const target = p.string(`${plan.jailDir}/${i}`);
    if (plan.mounts[i].isDir) {
      p.step(`creating /${i} in the jail`, SYS.mkdirat, [AT_FDCWD, target, 0o755]);
    } else {
      const file = p.step(`creating /${i} in the jail`, SYS.openat, [AT_FDCWD, target, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644]);
      p.step(`closing /${i}`, SYS.close, [file]);
    }
    p.step(`attaching mount ${i}`, SYS.move_mount, [tree, empty, AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH]);
    p.step(`closing the tree of mount ${i}`, SYS.close, [tree]);
  });
}

/**
 * /fd is /proc/<pid>/fd alone: reopening fds through it needs no other
 * part of procfs, and ".." from it stops at the jail's root. The bind
 * resolves /proc/self to the launcher's pid, which execve keeps.
 */
function bindFdDir(p: LaunchProgram, jailDir: string): void {
  const fdDir = p.string(`${jailDir}/fd`);
  p.step('creating /fd in the jail', SYS.mkdirat, [AT_FDCWD, fdDir, 0o755]);
  p.step('binding /proc/<pid>/fd', SYS.mount, [p.string('/proc/self/fd'), fdDir, 0, MS_BIND, 0]);
  p.step('remounting /fd', SYS.mount, [0, fdDir, 0, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0]);
}

function detachAndSeal(p: LaunchProgram, jailDir: string, detach: readonly string[]): void {
  // Already gone with a parent detached before it: EINVAL or ENOENT.
  for (const mp of detach) p.step(`detaching ${mp}`, SYS.umount2, [p.string(mp), MNT_DETACH], [E.EINVAL, E.ENOENT]);
  p.step('remounting the jail read-only', SYS.mount, [0, p.string(jailDir), 0, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0]);
}

/**
 * After execve a root process's capabilities are its bounding set: cut it
 * to what serving needs, plus CAP_SYS_CHROOT for stage 2's chroot. A
 * handover goes to stage 2 in JAIL_ENV; the early Gofer gets its own from
 * the front instead (null).
 */
function dropPrivilegesAndExec(p: LaunchProgram, capLastCap: number, argv: readonly string[], env: readonly string[], handover: Handover | null): void {
  const keep = [...KEPT_CAPS, CAP_SYS_CHROOT];
  for (let cap = 0; cap <= capLastCap; cap++) {
    if (!keep.includes(cap)) p.step(`dropping capability ${cap} from the bounding set`, SYS.prctl, [PR_CAPBSET_DROP, cap, 0, 0, 0]);
  }
  p.step('clearing ambient capabilities', SYS.prctl, [PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0]);
  p.step('no_new_privs', SYS.prctl, [PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0]);
  const fullEnv = [...env.filter((e) => !e.startsWith(`${JAIL_ENV}=`)), ...(handover ? [`${JAIL_ENV}=${JSON.stringify(handover)}`] : [])];
  p.step(`execve ${argv[0]}`, SYS.execve, [p.string(argv[0]), p.stringArray(argv), p.stringArray(fullEnv)]);
}

/** The id stage 2 compares with its own to know it is in a new mount namespace. */
export function mountNamespaceId(path = '/proc/thread-self/ns/mnt'): string {
  const st = statSync(path);
  return `${st.dev}:${st.ino}`;
}

export interface GoferLaunchRequest {
  mounts: readonly JailMount[];
  jailDir: string;
  argv: readonly string[];
  env: readonly string[];
  /** Where to write the encoded program. */
  programPath: string;
  blockingFds?: readonly number[];
}

/** The mount roots as open_tree will find them (it follows symlinks, and mountinfo has canonical paths). */
function canonicalMounts(mounts: readonly JailMount[]): { roots: string[]; mounts: GoferLaunchPlan['mounts'] } {
  const roots = mounts.map((m) => realpathSync(m.hostPath));
  return { roots, mounts: mounts.map((m, i) => ({ ...m, isDir: statSync(roots[i]).isDirectory() })) };
}

export function capLastCap(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return CAP_LAST_KNOWN;
  }
}

/**
 * Gathers the plan from the host (mount roots, mountinfo, cap_last_cap, the
 * mount namespace), creates the jail directory and writes the program.
 * Runs in runsc's CLI, which is in the namespace the Gofer starts in.
 */
export function writeGoferLaunchProgram(req: GoferLaunchRequest): GoferLaunchPlan {
  mkdirSync(req.jailDir, { recursive: true });
  const { roots, mounts } = canonicalMounts(req.mounts);
  const entries = parseMountInfo(readFileSync('/proc/thread-self/mountinfo', 'latin1'));
  const plan: GoferLaunchPlan = {
    mounts, jailDir: req.jailDir, detach: pseudoMountsBelowRoots(entries, roots, req.jailDir), capLastCap: capLastCap(),
    argv: req.argv, env: req.env, hostMntNs: mountNamespaceId(), blockingFds: req.blockingFds,
  };
  writeFileSync(req.programPath, goferLaunchProgram(plan).encode());
  return plan;
}

/**
 * goferJailProgram's plan for an early Gofer whose empty jail is at
 * jailDir, written to programPath. Besides the host's pseudo file systems
 * below the roots, it detaches the copy of the jail a root's tree holds
 * when jailDir lies below that root (the trees are cloned after the jail
 * tmpfs is mounted, in the Gofer's namespace).
 */
export function writeGoferJailProgram(req: { mounts: readonly JailMount[]; jailDir: string; programPath: string }): void {
  const { roots, mounts } = canonicalMounts(req.mounts);
  const entries = parseMountInfo(readFileSync('/proc/thread-self/mountinfo', 'latin1'));
  const jailCopies = roots.flatMap((root, i) => {
    const prefix = root.endsWith('/') ? root : `${root}/`;
    return req.jailDir.startsWith(prefix) ? [`${req.jailDir}/${i}/${req.jailDir.slice(prefix.length)}`] : [];
  });
  const detach = [...jailCopies, ...pseudoMountsBelowRoots(entries, roots, req.jailDir)];
  writeFileSync(req.programPath, goferJailProgram({ mounts, jailDir: req.jailDir, detach }).encode());
}
