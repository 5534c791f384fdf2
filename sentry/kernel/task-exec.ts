// execve: resolve the file, follow "#!" interpreters, build the new image in
// a fresh address space (a new stub), and only then tear down the old one,
// so a failed exec leaves the caller exactly as it was.
import { fillRandom } from '../../host/random.js';
import { E } from '../../abi/linux/errno.js';
import { O_RDONLY, X_OK } from '../../abi/linux/fcntl.js';
import { S_IFDIR, S_IFLNK, S_IFREG, S_ISGID, S_ISUID } from '../../abi/linux/stat.js';
import { STUB_BASE } from '../../platform/ptrace/stub-elf.js';
import type { StubProcess } from '../../platform/ptrace/stub-process.js';
import { loadExecutable } from '../loader/load.js';
import { AddressSpace } from '../mm/address-space.js';
import { releaseRobustList } from './robust-list.js';
import { keepPinning } from './sched-attributes.js';
import type { MappableFile } from '../mm/vma.js';
import type { Dentry } from '../vfs/dentry.js';
import { resolvePath, type FsContext } from '../vfs/path-walk.js';
import { permissionOf } from './permissions.js';
import type { Credentials } from './credentials.js';

import { initialRegisters } from './scheduler.js';
import type { Task } from './task.js';

/** Linux's BINPRM_BUF_SIZE: how much of a "#!" line counts. */
const BINPRM_BUF_SIZE = 256;
/** Interpreter nesting Linux allows before ELOOP. */
const MAX_INTERP_DEPTH = 4;

export interface ExecRequest {
  /** The dentry of the file to run (already resolved), and the path as given. */
  dentry: Dentry;
  path: string;
  argv: string[];
  envp: string[];
  /** The path names a close-on-exec fd (execveat): a "#!" script is ENOENT, as its interpreter could not open it. */
  pathInaccessible?: boolean;
}

/** Opens a file for exec: regular, executable by the task, not a directory. */
export function openForExec(t: Task, d: Dentry): MappableFile | number {
  if (d.inode.type === S_IFLNK) return -E.ELOOP; // resolved without following (AT_SYMLINK_NOFOLLOW), as O_NOFOLLOW
  if (d.inode.type === S_IFDIR) return -E.EACCES;
  if (d.inode.type !== S_IFREG) return -E.EACCES;
  if (d.mountRoot().mount?.flags.noexec) return -E.EACCES; // path_noexec
  const st = d.inode.stat();
  if (typeof st === 'number') return st;
  const perm = permissionOf(st, t.creds.euid, t.creds.egid, t.creds.groups, X_OK);
  if (perm < 0) return perm;
  const f = d.inode.open(O_RDONLY);
  if (typeof f === 'number') return f;
  if (!('readInto' in f)) { f.decRef(); return -E.EACCES; }
  f.dentry = d;
  return f as unknown as MappableFile;
}

const S_IXGRP = 0o010;

/**
 * The credentials the new image runs with (Linux's bprm_fill_uid and
 * commit_creds at exec): a set-user-ID file makes its owner the effective
 * uid, a set-group-ID file with group execute its group the effective gid,
 * unless the mount is nosuid (or internal) or the task has no_new_privs. The saved and
 * filesystem ids then follow the effective ones, set-id file or not. Only
 * the file finally run counts: a "#!" script's bits are ignored, its
 * interpreter's are not. Capabilities follow the effective uid here (root
 * holds them all), so a set-uid-root program gets them as on Linux.
 */
function execCredentials(t: Task, file: Dentry): { creds: Credentials; secure: boolean } | number {
  const creds = t.creds.clone();
  const st = file.inode.stat();
  if (typeof st === 'number') return st;
  // A file on no mount of the table (a memfd) is on a kernel-internal mount, which Linux's mnt_may_suid refuses.
  const mount = file.mountRoot().mount;
  const honoured = !t.noNewPrivs && mount != null && !mount.flags.nosuid;
  if (honoured && (st.mode & S_ISUID) !== 0) creds.euid = st.uid;
  if (honoured && (st.mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP)) creds.egid = st.gid;
  const secure = creds.euid !== creds.uid || creds.egid !== creds.gid;
  creds.suid = creds.fsuid = creds.euid;
  creds.sgid = creds.fsgid = creds.egid;
  return { creds, secure };
}

function releaseFile(f: MappableFile): void {
  (f as unknown as { decRef(): void }).decRef();
}

/** Parses "#!interp [arg]" from the head of a file, or null if it is not a script. */
export function parseShebang(head: Uint8Array): { interp: string; arg: string | null } | null {
  if (head.length < 2 || head[0] !== 0x23 || head[1] !== 0x21) return null;
  let end = head.indexOf(0x0a);
  if (end < 0) end = head.length;
  const line = Buffer.from(head.subarray(2, end)).toString('latin1').replace(/[ \t]+$/, '').replace(/^[ \t]+/, '');
  if (line === '') return null;
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line)!;
  return { interp: m[1], arg: m[2] !== undefined && m[2] !== '' ? m[2] : null };
}

/**
 * Replaces t's image. Returns 0 (t now runs the new program) or -errno
 * with t untouched.
 */
export function execve(t: Task, req: ExecRequest): number {
  let { dentry, path, argv } = req;
  let file: MappableFile | number = -E.ENOEXEC;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_INTERP_DEPTH) return -E.ELOOP;
    file = openForExec(t, dentry);
    if (typeof file === 'number') return file;
    const head = new Uint8Array(BINPRM_BUF_SIZE);
    const n = file.readInto(0, head);
    if (n < 0) { releaseFile(file); return n; }
    const script = parseShebang(head.subarray(0, n));
    if (script === null) break;
    releaseFile(file);
    if (req.pathInaccessible) return -E.ENOENT;
    const interp = resolvePath(t.fs, t.fs.cwd, script.interp, true, t.creds);
    if (typeof interp === 'number') return interp;
    argv = [script.interp, ...(script.arg !== null ? [script.arg] : []), path, ...argv.slice(1)];
    dentry = interp;
    path = script.interp;
  }
  const newCreds = execCredentials(t, dentry);
  if (typeof newCreds === 'number') { releaseFile(file); return newCreds; }
  const kernel = t.kernel;
  // A task whose address space is still empty and its own (init at boot) builds in place.
  const fresh = t.mm.mappings().length === 0 && t.mm.users === 1;
  const stub = fresh ? t.mm.backend as StubProcess : kernel.platform.newAddressSpace();
  const mm = fresh ? t.mm : new AddressSpace(kernel.memoryFile, stub, STUB_BASE);
  const random = new Uint8Array(16);
  fillRandom(random);
  const fs: FsContext = t.fs;
  const image = loadExecutable(mm, file, (p) => {
    const d = resolvePath(fs, fs.cwd, p, true, t.creds);
    if (typeof d === 'number') return d;
    return openForExec(t, d);
  }, {
    argv, envp: req.envp, execfn: req.path, uid: newCreds.creds.uid, gid: newCreds.creds.gid,
    euid: newCreds.creds.euid, egid: newCreds.creds.egid, secure: newCreds.secure,
    hwcap: kernel.hostAuxv.hwcap, hwcap2: kernel.hostAuxv.hwcap2, minsigstksz: kernel.hostAuxv.minsigstksz, random,
  });
  releaseFile(file);
  if (typeof image === 'number') {
    mm.clear();
    if (!fresh) stub.destroy();
    return image;
  }
  // Point of no return.
  if (!fresh) {
    kernel.scheduler.execTeardown(t);
    // The old image's robust locks die with it (Linux's exec_mm_release), after the tid became the tgid as there.
    releaseRobustList(t);
    kernel.scheduler.dropMm(t);
    t.mm = mm;
    t.thread = stub.mainThread;
    t.thread.owner = t;
    keepPinning(t);
  }
  if (t.fdTable.shared) {
    const own = t.fdTable.fork();
    t.fdTable.decRef();
    t.fdTable = own;
  }
  t.creds = newCreds.creds;
  t.fdTable.closeOnExec();
  if (t.tg.tasks.size > 1 || [...kernel.threadGroups.values()].some((g) => g !== t.tg && g.handlers === t.tg.handlers)) {
    t.tg.handlers = t.tg.handlers.clone();
  }
  t.tg.handlers.resetForExec();
  t.tg.posixTimers.clear();
  t.altStack = { sp: 0, flags: 2, size: 0 };
  t.exePath = dentry.path(fs.root);
  t.comm = req.path.split('/').pop()!.slice(0, 15);
  t.cmdline = argv.map((a) => a + '\0').join('');
  t.environ = req.envp.map((e) => e + '\0').join('');
  t.clearChildTid = 0;
  t.robustList = 0;
  initialRegisters(t, image.entry, image.stackPointer);
  return 0;
}
