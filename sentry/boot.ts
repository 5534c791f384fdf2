// Building a sandbox from its resolved configuration and running its init
// process: the MemoryFile, the platform, the root mount over the Gofer, the
// console, the first task.
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { E, errnoName } from '../abi/linux/errno.js';
import { REG, USER_CS, USER_DS } from '../abi/linux/ptrace.js';
import { S_IFDIR, S_IFREG } from '../abi/linux/stat.js';
import { O_RDONLY, X_OK } from '../abi/linux/fcntl.js';
import { P9Client } from '../gofer/p9/client.js';
import { PtracePlatform } from '../platform/ptrace/index.js';
import { STUB_BASE } from '../platform/ptrace/stub-elf.js';
import type { StubProcess } from '../platform/ptrace/stub-process.js';
import { dispatch } from '../syscalls/dispatch.js';
import { checkPermission } from '../syscalls/file.js';
import { ConsoleFile } from './fsimpl/host/console-file.js';
import { GoferFs } from './fsimpl/gofer/gofer-fs.js';
import { Credentials } from './kernel/credentials.js';
import { Kernel, type HostAuxv } from './kernel/kernel.js';
import { defaultRlimits, type Rlimit } from './kernel/rlimits.js';
import { Task } from './kernel/task.js';
import { runTask } from './kernel/task-run.js';
import { loadExecutable } from './loader/load.js';
import { AddressSpace } from './mm/address-space.js';
import { MemoryFile } from './mm/memory-file.js';
import type { MappableFile } from './mm/vma.js';
import { Dentry } from './vfs/dentry.js';
import { FdTable } from './vfs/fd-table.js';
import { resolvePath, type FsContext } from './vfs/path-walk.js';

export interface SandboxMount {
  /** Where it appears in the sandbox; "/" for the root. */
  destination: string;
  /** The connected 9P socket to the Gofer serving it. */
  goferFd: number;
  readonly: boolean;
}

export interface SandboxConfig {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  hostname: string;
  rlimits: Array<{ resource: number; soft: bigint; hard: bigint }>;
  mounts: SandboxMount[];
  /** Host fds that become the sandbox's 0, 1, 2. */
  stdio: [number, number, number];
}

/** AT_HWCAP and friends of the Sentry's own process, passed on to the application. */
function readHostAuxv(): HostAuxv {
  const out: HostAuxv = { hwcap: 0, hwcap2: 0, minsigstksz: 0 };
  try {
    const raw = readFileSync('/proc/self/auxv');
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let o = 0; o + 16 <= raw.length; o += 16) {
      const key = Number(dv.getBigUint64(o, true)), value = Number(dv.getBigUint64(o + 8, true));
      if (key === 16) out.hwcap = value;
      else if (key === 26) out.hwcap2 = value;
      else if (key === 51) out.minsigstksz = value;
    }
  } catch { /* no auxv: zeros are valid answers */ }
  return out;
}

export class BootError extends Error {}

function mountAll(cfg: SandboxConfig): Dentry {
  let root: Dentry | null = null;
  let dev = 0x100;
  for (const m of cfg.mounts) {
    const inode = GoferFs.mount(new P9Client(m.goferFd), { readonly: m.readonly, dev: dev++ });
    if (typeof inode === 'number') throw new BootError(`mounting ${m.destination} from the Gofer: ${errnoName(-inode)}`);
    const mounted = new Dentry('/', null, inode);
    if (m.destination === '/') { root = mounted; continue; }
    if (root === null) throw new BootError('the root mount must come first');
    const ctx: FsContext = { root, cwd: root };
    const point = resolvePath(ctx, root, m.destination, true);
    if (typeof point === 'number') throw new BootError(`mount point ${m.destination}: ${errnoName(-point)}`);
    mounted.mountpoint = point;
    point.mounted = mounted;
  }
  if (root === null) throw new BootError('no root mount');
  return root;
}

/** Finds the executable as execvp does: a name without "/" is searched in PATH. */
function findExecutable(ctx: FsContext, name: string, env: string[]): { path: string; dentry: Dentry } | number {
  const candidates = name.includes('/') ? [name]
    : (env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/bin:/usr/bin:/bin').split(':').map((d) => `${d || '.'}/${name}`);
  let err = -E.ENOENT;
  for (const path of candidates) {
    const d = resolvePath(ctx, ctx.cwd, path, true);
    if (typeof d === 'number') { if (err === -E.ENOENT) err = d; continue; }
    if (d.inode.type === S_IFDIR) { err = -E.EACCES; continue; }
    return { path, dentry: d };
  }
  return err;
}

function openForExec(ctx: FsContext, path: string): MappableFile | number {
  const d = resolvePath(ctx, ctx.cwd, path, true);
  if (typeof d === 'number') return d;
  if (d.inode.type !== S_IFREG) return -E.EACCES;
  const f = d.inode.open(O_RDONLY);
  if (typeof f === 'number') return f;
  if (!('readInto' in f)) { f.decRef(); return -E.EACCES; }
  return f as unknown as MappableFile;
}

/** Boots the sandbox and runs init to its end. Returns init's wait status. */
export function runSandbox(cfg: SandboxConfig, log: Logger, strace: boolean): number {
  const memoryFile = new MemoryFile();
  const platform = new PtracePlatform(memoryFile.fd);
  const root = mountAll(cfg);
  const kernel = new Kernel(platform, memoryFile, root, log, strace, readHostAuxv());
  kernel.hostname = cfg.hostname;

  const fs: FsContext = { root, cwd: root };
  const cwd = resolvePath(fs, root, cfg.cwd || '/', true);
  if (typeof cwd === 'number') throw new BootError(`cwd ${cfg.cwd}: ${errnoName(-cwd)}`);
  fs.cwd = cwd;

  const exe = findExecutable(fs, cfg.args[0], cfg.env);
  if (typeof exe === 'number') throw new BootError(`${cfg.args[0]}: ${errnoName(-exe)}`);

  const creds = new Credentials(cfg.uid, cfg.gid);
  creds.groups = cfg.additionalGids;
  const rlimits: Rlimit[] = defaultRlimits();
  for (const r of cfg.rlimits) rlimits[r.resource] = { cur: r.soft, max: r.hard };

  const fdTable = new FdTable(Number(rlimits[7].cur));
  cfg.stdio.forEach((hostFd, fd) => fdTable.setAt(fd, new ConsoleFile(hostFd), false));

  const stub = platform.newAddressSpace() as StubProcess;
  const mm = new AddressSpace(memoryFile, stub, STUB_BASE);
  const task = new Task(kernel, 1, 1, 0, mm, stub.mainThread, fdTable, fs, creds, rlimits);
  try {
    const perm = checkPermission(task, exe.dentry, X_OK);
    if (perm < 0) throw new BootError(`${exe.path}: ${errnoName(-perm)}`);
    const file = openForExec(fs, exe.path);
    if (typeof file === 'number') throw new BootError(`${exe.path}: ${errnoName(-file)}`);
    const random = new Uint8Array(16);
    randomFillSync(random);
    const image = loadExecutable(mm, file, (p) => openForExec(fs, p), {
      argv: cfg.args, envp: cfg.env, execfn: exe.path, uid: creds.uid, gid: creds.gid, euid: creds.euid, egid: creds.egid,
      hwcap: kernel.hostAuxv.hwcap, hwcap2: kernel.hostAuxv.hwcap2, minsigstksz: kernel.hostAuxv.minsigstksz, random,
    });
    if (typeof image === 'number') throw new BootError(`loading ${exe.path}: ${errnoName(-image)}`);
    task.exePath = exe.dentry.path(root);
    task.comm = exe.path.split('/').pop()!.slice(0, 15);
    const regs = task.regs;
    regs.bytes.fill(0);
    regs.rip = image.entry;
    regs.rsp = image.stackPointer;
    regs.set(REG.cs, USER_CS);
    regs.set(REG.ss, USER_DS);
    regs.set(REG.eflags, 0x202);
    log.debug({ entry: image.entry.toString(16), sp: image.stackPointer.toString(16) }, 'init loaded');
    return runTask(task, dispatch);
  } finally {
    fdTable.closeAll();
    stub.destroy();
  }
}
