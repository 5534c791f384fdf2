// Stage 1 of the Gofer's confinement as a launch program: every system call
// that builds the jail and drops privileges, computed by runsc before the
// Gofer exists and run by the launcher (launcher-elf.ts), whose last step
// execs Node for stage 2 (confine.ts, lockGoferJail). README.md in this
// folder explains what is confined and why; this module only decides the
// exact calls. It loads no koffi: runsc's CLI imports it.
import { readFileSync, realpathSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { SYS } from '../abi/linux/syscalls.js';
import { E } from '../abi/linux/errno.js';
import { AT_EMPTY_PATH, AT_FDCWD, F_SETFL, O_CLOEXEC, O_CREAT, O_WRONLY } from '../abi/linux/fcntl.js';
import { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_LAST_KNOWN, CAP_SYS_CHROOT } from '../abi/linux/capability.js';
import { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUTS } from '../abi/linux/sched.js';
import {
  AT_RECURSIVE, MNT_DETACH, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_RDONLY, MOUNT_ATTR_SIZE_VER0,
  MOVE_MOUNT_F_EMPTY_PATH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT,
  OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE,
} from '../abi/linux/mount.js';
import { PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS } from '../abi/linux/prctl.js';
import { LaunchProgram } from './launch-program.js';

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
  const str = (s: string) => p.string(s);
  // F_SETFL with no flags: a socket's only status flags are O_NONBLOCK and O_ASYNC, neither wanted.
  for (const fd of plan.blockingFds ?? []) p.step(`making connection fd ${fd} blocking`, SYS.fcntl, [fd, F_SETFL, 0]);
  p.step('unshare (the Gofer must run as root)', SYS.unshare, [CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP]);
  // Nothing mounted or unmounted from here on may propagate to the host.
  p.step('making mounts private', SYS.mount, [0, str('/'), 0, MS_REC | MS_PRIVATE, 0]);

  // Copies of each mount root's tree, taken before the jail hides anything.
  const empty = str('');
  const trees = plan.mounts.map((m) => {
    const tree = p.step(`open_tree ${m.hostPath}`, SYS.open_tree, [AT_FDCWD, str(m.hostPath), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE]);
    const attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (m.readonly ? MOUNT_ATTR_RDONLY : 0);
    const mountAttr = p.words([attrs, 0, 0, 0]);
    p.step(`mount_setattr ${m.hostPath}`, SYS.mount_setattr, [tree, empty, AT_EMPTY_PATH | AT_RECURSIVE, mountAttr, MOUNT_ATTR_SIZE_VER0]);
    return tree;
  });

  const jail = str(plan.jailDir);
  p.step('mounting the jail tmpfs', SYS.mount, [str('tmpfs'), jail, str('tmpfs'), MS_NOSUID | MS_NODEV | MS_NOEXEC, str('mode=0755,size=64k,nr_inodes=4096')]);
  trees.forEach((tree, i) => {
    const target = str(`${plan.jailDir}/${i}`);
    if (plan.mounts[i].isDir) {
      p.step(`creating /${i} in the jail`, SYS.mkdirat, [AT_FDCWD, target, 0o755]);
    } else {
      const file = p.step(`creating /${i} in the jail`, SYS.openat, [AT_FDCWD, target, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644]);
      p.step(`closing /${i}`, SYS.close, [file]);
    }
    p.step(`attaching mount ${i}`, SYS.move_mount, [tree, empty, AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH]);
    p.step(`closing the tree of mount ${i}`, SYS.close, [tree]);
  });
  // /fd is /proc/<pid>/fd alone: reopening fds through it needs no other
  // part of procfs, and ".." from it stops at the jail's root. The bind
  // resolves /proc/self to the launcher's pid, which execve keeps.
  const fdDir = str(`${plan.jailDir}/fd`);
  p.step('creating /fd in the jail', SYS.mkdirat, [AT_FDCWD, fdDir, 0o755]);
  p.step('binding /proc/<pid>/fd', SYS.mount, [str('/proc/self/fd'), fdDir, 0, MS_BIND, 0]);
  p.step('remounting /fd', SYS.mount, [0, fdDir, 0, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0]);
  // Already gone with a parent detached before it: EINVAL or ENOENT.
  for (const mp of plan.detach) p.step(`detaching ${mp}`, SYS.umount2, [str(mp), MNT_DETACH], [E.EINVAL, E.ENOENT]);
  p.step('remounting the jail read-only', SYS.mount, [0, jail, 0, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0]);

  // After execve a root process's capabilities are its bounding set: cut it
  // to what serving needs, plus CAP_SYS_CHROOT for stage 2's chroot.
  const keep = [...KEPT_CAPS, CAP_SYS_CHROOT];
  for (let cap = 0; cap <= plan.capLastCap; cap++) {
    if (!keep.includes(cap)) p.step(`dropping capability ${cap} from the bounding set`, SYS.prctl, [PR_CAPBSET_DROP, cap, 0, 0, 0]);
  }
  p.step('clearing ambient capabilities', SYS.prctl, [PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0]);
  p.step('no_new_privs', SYS.prctl, [PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0]);

  const handover: Handover = { dir: plan.jailDir, mounts: plan.mounts.length, hostMntNs: plan.hostMntNs };
  const env = [...plan.env.filter((e) => !e.startsWith(`${JAIL_ENV}=`)), `${JAIL_ENV}=${JSON.stringify(handover)}`];
  p.step(`execve ${plan.argv[0]}`, SYS.execve, [str(plan.argv[0]), p.stringArray(plan.argv), p.stringArray(env)]);
  return p;
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

/**
 * Gathers the plan from the host (mount roots, mountinfo, cap_last_cap, the
 * mount namespace), creates the jail directory and writes the program.
 * Runs in runsc's CLI, which is in the namespace the Gofer starts in.
 */
export function writeGoferLaunchProgram(req: GoferLaunchRequest): GoferLaunchPlan {
  mkdirSync(req.jailDir, { recursive: true });
  // open_tree follows symlinks, and mountinfo has canonical paths.
  const roots = req.mounts.map((m) => realpathSync(m.hostPath));
  const mounts = req.mounts.map((m, i) => ({ ...m, isDir: statSync(roots[i]).isDirectory() }));
  const entries = parseMountInfo(readFileSync('/proc/thread-self/mountinfo', 'latin1'));
  let capLastCap = CAP_LAST_KNOWN;
  try {
    capLastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch { /* keep the default */ }
  const plan: GoferLaunchPlan = {
    mounts, jailDir: req.jailDir, detach: pseudoMountsBelowRoots(entries, roots, req.jailDir), capLastCap,
    argv: req.argv, env: req.env, hostMntNs: mountNamespaceId(), blockingFds: req.blockingFds,
  };
  writeFileSync(req.programPath, goferLaunchProgram(plan).encode());
  return plan;
}
