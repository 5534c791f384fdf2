// Building a sandbox from its resolved configuration and running its init
// process: the MemoryFile, the platform, the root mount over the Gofer, the
// console, the first task.
import { readFileSync } from 'node:fs';
import type { Log } from './log.js';
import { E, errnoName } from '../abi/linux/errno.js';
import { S_IFDIR } from '../abi/linux/stat.js';
import { P9Client } from '../gofer/p9/client.js';
import { PtracePlatform } from '../platform/ptrace/index.js';
import { STUB_BASE } from '../platform/ptrace/stub-elf.js';
import { Waker } from '../platform/ptrace/waker.js';
import { setNonblocking } from '../host/socket.js';
import { read as hostRead } from '../host/io.js';
import { SI_KERNEL, SI_USER } from '../abi/linux/siginfo.js';
import { dispatch } from '../syscalls/dispatch.js';
import { ConsoleFile } from './fsimpl/host/console-file.js';
import { newDevfs, newDevpts } from './fsimpl/dev/devfs.js';
import { newTmpfs } from './fsimpl/tmpfs/tmpfs.js';
import { PAGE_SIZE } from './fsimpl/tmpfs/fs.js';
import { newOverlay } from './fsimpl/overlay/overlay.js';
import { newProcfs } from './fsimpl/proc/procfs.js';
import { newSysfs } from './fsimpl/sys/sysfs.js';
import type { Inode } from './vfs/inode.js';
import { GoferFs } from './fsimpl/gofer/gofer-fs.js';
import { Credentials } from './kernel/credentials.js';
import { Kernel, type HostAuxv } from './kernel/kernel.js';
import { watchCpuLimit } from './kernel/cpu-limit.js';
import { defaultRlimits, type Rlimit } from './kernel/rlimits.js';
import { Task } from './kernel/task.js';
import { ThreadGroup } from './kernel/thread-group.js';
import { Scheduler } from './kernel/scheduler.js';
import { SignalHandlers } from './kernel/signal-state.js';
import { sendToGroup } from './kernel/signals.js';
import { execve } from './kernel/task-exec.js';
import { WaitQueue } from './kernel/wait-queue.js';
import { AddressSpace } from './mm/address-space.js';
import { MemoryFile } from './mm/memory-file.js';
import { allocAnonDev } from './vfs/anon-dev.js';
import { Dentry } from './vfs/dentry.js';
import { DEFAULT_MOUNT_FLAGS, MountTable, mountFlagsFromOptions, type MountDescription } from './vfs/mount.js';
import { FdTable } from './vfs/fd-table.js';
import { resolvePath, type FsContext } from './vfs/path-walk.js';
import { beginSyscall, endSyscall } from './vfs/syscall-epoch.js';


/** What the root overlay's in-memory upper layer may hold: its data lives in the Sentry's heap. */
const OVERLAY_UPPER_LIMIT = 2 * 2 ** 30;

/**
 * One mount, as runsc hands it to the Sentry. options are the OCI mount's
 * options (mount(8) words: ro, nosuid, nodev, noexec, noatime, ...), for
 * the flags the mount table shows; absent means none.
 */
export type BootMount =
  | { kind: 'gofer'; destination: string; readonly: boolean; options?: string[] }
  | { kind: 'tmpfs'; destination: string; readonly: boolean; sizeLimit: number; mode: number; source?: string; options?: string[] };

export interface SandboxConfig {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  hostname: string;
  /** init starts with no_new_privs, inherited by every process (config.json's process.noNewPrivileges). */
  noNewPrivileges: boolean;
  rlimits: Array<{ resource: number; soft: bigint; hard: bigint }>;
  /** Mounts in order, the root first; the gofer mounts take the connections of goferFds in turn. */
  mounts: BootMount[];
  goferFds: readonly number[];
  /** An in-memory upper layer over the root. */
  overlay: boolean;
  /** Host fds that become the sandbox's 0, 1, 2. */
  stdio: [number, number, number];
  /** A pipe runsc writes forwarded signal numbers to, one byte each. */
  controlFd?: number;
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

/** tmpfs's own options as Linux's shmem_show_options prints them: a size only if one was set, a mode only if not 1777. */
function tmpfsOptions(sizeLimit: number, mode: number): string {
  const o: string[] = [];
  if (sizeLimit > 0) o.push(`size=${Math.ceil(sizeLimit / PAGE_SIZE) * (PAGE_SIZE / 1024)}k`);
  if (mode !== 0o1777) o.push(`mode=${mode.toString(8).padStart(3, '0')}`);
  return o.join(',');
}

/** Mounts the configured file systems, the root first, into a new mount table. */
function mountAll(cfg: SandboxConfig, log: Log): MountTable {
  const table = new MountTable();
  let root: Dentry | null = null;
  let nextGofer = 0;
  for (const m of cfg.mounts) {
    let inode: Inode;
    let desc: MountDescription;
    const isRoot = m.destination === '/';
    const flags = mountFlagsFromOptions(m.options ?? []);
    if (m.kind === 'tmpfs') {
      inode = newTmpfs({ sizeLimit: m.sizeLimit, mode: m.mode, readonly: m.readonly });
      desc = { fsType: 'tmpfs', source: m.source || 'tmpfs', flags, fsOptions: tmpfsOptions(m.sizeLimit, m.mode) };
    } else {
      const overlay = isRoot && cfg.overlay;
      // runsc passes its end of libuv's socketpair, which libuv made
      // non-blocking: P9Client would then poll after every EAGAIN, two extra
      // syscalls per request, where a blocking recv just waits.
      const fd = cfg.goferFds[nextGofer++];
      if (fd === undefined) throw new BootError(`mounting ${m.destination}: no Gofer connection left for it`);
      setNonblocking(fd, false);
      const g = GoferFs.mount(new P9Client(fd), { readonly: m.readonly && !overlay, dev: allocAnonDev() });
      if (typeof g === 'number') throw new BootError(`mounting ${m.destination} from the Gofer: ${errnoName(-g)}`);
      // gVisor shows its in-memory overlay over the root as an "overlay" of source "none", as we do.
      inode = overlay ? newOverlay(g, newTmpfs({ mode: 0o755, sizeLimit: OVERLAY_UPPER_LIMIT })) : g;
      desc = overlay ? { fsType: 'overlay', source: 'none', flags } : { fsType: '9p', source: 'none', flags };
    }
    // What the mount shows is what the VFS enforces: EROFS comes from Inode.readonly.
    flags.readonly = inode.readonly;
    const mounted = new Dentry('/', null, inode);
    if (isRoot) {
      if (root !== null) throw new BootError('two root mounts');
      table.mount(null, mounted, desc);
      root = mounted;
      continue;
    }
    if (root === null) throw new BootError('the root mount must come first');
    const point = resolvePath({ root, cwd: root }, root, m.destination, true);
    if (typeof point === 'number') {
      // runc creates missing mount points in the rootfs; we leave the rootfs alone and skip the mount.
      log.warn({ destination: m.destination, errno: errnoName(-point) }, 'mount point missing: mount skipped');
      continue;
    }
    table.mount(point, mounted, desc);
  }
  if (root === null) throw new BootError('no root mount');
  return table;
}

/** Mounts one of the Sentry's own file systems on path, if path is a directory of the tree. */
function mountSynthetic(table: MountTable, root: Dentry, path: string, inode: Inode, desc: MountDescription): void {
  const point = resolvePath({ root, cwd: root }, root, path, true);
  if (typeof point === 'number' || point.inode.type !== S_IFDIR) return;
  table.mount(point, new Dentry('/', null, inode), desc);
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

/** Boots the sandbox and runs init to its end. Returns init's wait status. */
export function runSandbox(cfg: SandboxConfig, log: Log, strace: boolean): number {
  log.debug({ uptimeMs: process.uptime() * 1000 }, 'boot start');
  const memoryFile = new MemoryFile();
  const platform = new PtracePlatform(memoryFile.fd);
  // The Gofer is usually still starting when we get here, and mountAll
  // waits for it: first do what needs no file (docs/design/startup.md).
  // Init's address-space stub; the waker, which watches the console's input
  // and runsc's control channel, its page MemoryFile memory; and with that
  // page the MemoryFile's first mapping, a 1 GiB ArrayBuffer whose size V8
  // counts as external memory and answers with a full GC (~10 ms), better
  // spent while the Gofer starts than after.
  const stub = platform.newAddressSpace();
  const wakerPage = memoryFile.allocate(0x1000);
  const wakerHostFds = [cfg.stdio[0], ...(cfg.controlFd !== undefined ? [cfg.controlFd] : [])];
  const waker = new Waker(memoryFile.fd, wakerHostFds, memoryFile.bytesAt(wakerPage, 0x1000), wakerPage);
  // Until init runs, a failure ends both host processes before it throws.
  const abandon = (): void => { stub.destroy(); waker.destroy(); };
  const hostAuxv = readHostAuxv();
  let mounts: MountTable;
  try {
    mounts = mountAll(cfg, log);
  } catch (e) {
    abandon();
    throw e;
  }
  const root = mounts.mounts()[0].root;
  log.debug({ uptimeMs: process.uptime() * 1000 }, 'root mounted');
  const kernel = new Kernel(platform, memoryFile, root, mounts, log, strace, hostAuxv);
  kernel.hostname = cfg.hostname;
  // The Sentry's own /proc, /sys and /dev, over whatever the root has there: never the host's.
  // A pty's signal characters (^C, ^\, ^Z) go to its foreground process group.
  const own = (fsType: string, source: string, fsOptions = ''): MountDescription => ({ fsType, source, flags: { ...DEFAULT_MOUNT_FLAGS }, fsOptions });
  mountSynthetic(mounts, root, '/proc', newProcfs(kernel, () => kernel.current), own('proc', 'proc'));
  mountSynthetic(mounts, root, '/sys', newSysfs(), own('sysfs', 'sysfs'));
  mountSynthetic(mounts, root, '/dev', newDevfs((pgid, signo) => {
    for (const g of kernel.processGroup(pgid)) sendToGroup(g, signo, { signo, code: SI_KERNEL });
  }), own('devtmpfs', 'devtmpfs', 'mode=755'));
  mountSynthetic(mounts, root, '/dev/pts', newDevpts(), own('devpts', 'devpts', 'mode=620,ptmxmode=000'));
  mountSynthetic(mounts, root, '/dev/shm', newTmpfs({ mode: 0o1777 }), own('tmpfs', 'shm'));

  const fs: FsContext = { root, cwd: root };
  const cwd = resolvePath(fs, root, cfg.cwd || '/', true);
  if (typeof cwd === 'number') { abandon(); throw new BootError(`cwd ${cfg.cwd}: ${errnoName(-cwd)}`); }
  fs.cwd = cwd;

  // Finding init and its execve below are served as one system call would be (sentry/vfs/syscall-epoch.ts).
  beginSyscall();
  const exe = findExecutable(fs, cfg.args[0], cfg.env);
  if (typeof exe === 'number') { endSyscall(); abandon(); throw new BootError(`${cfg.args[0]}: ${errnoName(-exe)}`); }

  const creds = new Credentials(cfg.uid, cfg.gid);
  creds.groups = cfg.additionalGids;
  const rlimits: Rlimit[] = defaultRlimits();
  for (const r of cfg.rlimits) rlimits[r.resource] = { cur: r.soft, max: r.hard };

  const scheduler = new Scheduler(kernel, platform, waker, dispatch);
  kernel.scheduler = scheduler;

  const fdTable = new FdTable(Number(rlimits[7].cur));
  const stdinWatch = { wakerFd: Waker.fdNumber(0), queue: new WaitQueue() };
  scheduler.watch(stdinWatch);
  cfg.stdio.forEach((hostFd, fd) => fdTable.setAt(fd, new ConsoleFile(hostFd, stdinWatch.queue), false));
  if (cfg.controlFd !== undefined) {
    const controlFd = cfg.controlFd;
    // Read only when the waker says so, and never waiting: a spurious wake must not block the Sentry.
    setNonblocking(controlFd, true);
    scheduler.watch({ wakerFd: Waker.fdNumber(1), queue: new WaitQueue(), always: true, onReady: () => forwardSignals(kernel, controlFd) });
  }

  const mm = new AddressSpace(memoryFile, stub, STUB_BASE);
  const handlers = new SignalHandlers();
  const tg = new ThreadGroup(1, null, handlers, rlimits, 0);
  kernel.threadGroups.set(1, tg);
  kernel.init = tg;
  kernel.allocatePid();
  const task = new Task(kernel, 1, tg, mm, stub.mainThread, fdTable, fs, creds);
  task.noNewPrivs = cfg.noNewPrivileges;
  tg.tasks.add(task);
  kernel.tasks.set(1, task);
  // A finite RLIMIT_CPU from config.json binds init too, not only what it forks or sets later.
  watchCpuLimit(kernel, tg);
  const r = execve(task, { dentry: exe.dentry, path: exe.path, argv: cfg.args, envp: cfg.env });
  endSyscall();
  if (r < 0) {
    abandon();
    throw new BootError(`${exe.path}: ${errnoName(-r)}`);
  }
  log.debug({ entry: task.regs.rip.toString(16), uptimeMs: process.uptime() * 1000 }, 'init loaded');
  scheduler.enqueue(task);
  const status = scheduler.run();
  log.debug({ status, uptimeMs: process.uptime() * 1000 }, 'init exited');
  return status;
}

/** runsc writes one byte per signal it forwards to the sandbox's init. */
function forwardSignals(kernel: Kernel, controlFd: number): void {
  const buf = new Uint8Array(64);
  // A socket from runsc's CLI or a FIFO from bin/runsc.js's front, made non-blocking at boot.
  const n = hostRead(controlFd, buf);
  const init = kernel.init;
  if (n <= 0 || init === null) return;
  for (const signo of buf.subarray(0, n)) sendToGroup(init, signo, { signo, code: SI_USER, pid: 0, uid: 0 });
}
