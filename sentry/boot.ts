// Building a sandbox from its resolved configuration and running its init
// process: the MemoryFile, the platform, the root mount over the Gofer, the
// console, the first task.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { E, errnoName } from '../abi/linux/errno.js';
import { S_IFDIR } from '../abi/linux/stat.js';
import { P9Client } from '../gofer/p9/client.js';
import { PtracePlatform } from '../platform/ptrace/index.js';
import { STUB_BASE } from '../platform/ptrace/stub-elf.js';
import { Waker } from '../platform/ptrace/waker.js';
import { recvSome, setNonblocking } from '../host/socket.js';
import { SI_KERNEL, SI_USER } from '../abi/linux/siginfo.js';
import { dispatch } from '../syscalls/dispatch.js';
import { ConsoleFile } from './fsimpl/host/console-file.js';
import { newDevfs } from './fsimpl/dev/devfs.js';
import { newTmpfs } from './fsimpl/tmpfs/tmpfs.js';
import { newOverlay } from './fsimpl/overlay/overlay.js';
import { newProcfs } from './fsimpl/proc/procfs.js';
import { newSysfs } from './fsimpl/sys/sysfs.js';
import type { Inode } from './vfs/inode.js';
import { GoferFs } from './fsimpl/gofer/gofer-fs.js';
import { Credentials } from './kernel/credentials.js';
import { Kernel, type HostAuxv } from './kernel/kernel.js';
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
import { Dentry } from './vfs/dentry.js';
import { FdTable } from './vfs/fd-table.js';
import { resolvePath, type FsContext } from './vfs/path-walk.js';


/** What the root overlay's in-memory upper layer may hold: its data lives in the Sentry's heap. */
const OVERLAY_UPPER_LIMIT = 2 * 2 ** 30;

/** One mount, as runsc hands it to the Sentry. */
export type BootMount =
  | { kind: 'gofer'; destination: string; readonly: boolean }
  | { kind: 'tmpfs'; destination: string; readonly: boolean; sizeLimit: number; mode: number };

export interface SandboxConfig {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  hostname: string;
  rlimits: Array<{ resource: number; soft: bigint; hard: bigint }>;
  /** Mounts in order, the root first; gofer mounts take fds firstGoferFd, firstGoferFd+1, ... */
  mounts: BootMount[];
  firstGoferFd: number;
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

function mountAll(cfg: SandboxConfig, log: Logger): Dentry {
  let root: Dentry | null = null;
  let dev = 0x100;
  let goferFd = cfg.firstGoferFd;
  for (const m of cfg.mounts) {
    let inode: Inode;
    if (m.kind === 'tmpfs') {
      inode = newTmpfs({ sizeLimit: m.sizeLimit, mode: m.mode, readonly: m.readonly });
    } else {
      // runsc passes its end of libuv's socketpair, which libuv made
      // non-blocking: P9Client would then poll after every EAGAIN, two extra
      // syscalls per request, where a blocking recv just waits.
      const fd = goferFd++;
      setNonblocking(fd, false);
      const g = GoferFs.mount(new P9Client(fd), { readonly: m.readonly && !(m.destination === '/' && cfg.overlay), dev: dev++ });
      if (typeof g === 'number') throw new BootError(`mounting ${m.destination} from the Gofer: ${errnoName(-g)}`);
      inode = m.destination === '/' && cfg.overlay ? newOverlay(g, newTmpfs({ mode: 0o755, sizeLimit: OVERLAY_UPPER_LIMIT })) : g;
    }
    const mounted = new Dentry('/', null, inode);
    if (m.destination === '/') { root = mounted; continue; }
    if (root === null) throw new BootError('the root mount must come first');
    const ctx: FsContext = { root, cwd: root };
    const point = resolvePath(ctx, root, m.destination, true);
    if (typeof point === 'number') {
      // runc creates missing mount points in the rootfs; we leave the rootfs alone and skip the mount.
      log.warn({ destination: m.destination, errno: errnoName(-point) }, 'mount point missing: mount skipped');
      continue;
    }
    mounted.mountpoint = point;
    point.mounted = mounted;
  }
  if (root === null) throw new BootError('no root mount');
  return root;
}

function mountSynthetic(root: Dentry, path: string, inode: Inode): void {
  const point = resolvePath({ root, cwd: root }, root, path, true);
  if (typeof point === 'number' || point.inode.type !== S_IFDIR) return;
  const mounted = new Dentry('/', null, inode);
  mounted.mountpoint = point;
  point.mounted = mounted;
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
export function runSandbox(cfg: SandboxConfig, log: Logger, strace: boolean): number {
  log.debug({ uptimeMs: process.uptime() * 1000 }, 'boot start');
  const memoryFile = new MemoryFile();
  const platform = new PtracePlatform(memoryFile.fd);
  // The Gofer is usually still confining itself (it re-executes Node into
  // its jail) when we get here, and mountAll waits for it: start init's
  // address-space stub first, which needs no file (docs/design/startup.md).
  const stub = platform.newAddressSpace();
  const hostAuxv = readHostAuxv();
  let root: Dentry;
  try {
    root = mountAll(cfg, log);
  } catch (e) {
    stub.destroy();
    throw e;
  }
  log.debug({ uptimeMs: process.uptime() * 1000 }, 'root mounted');
  const kernel = new Kernel(platform, memoryFile, root, log, strace, hostAuxv);
  kernel.hostname = cfg.hostname;
  // The Sentry's own /dev and /proc, over whatever the root has there: never the host's.
  // A pty's signal characters (^C, ^\, ^Z) go to its foreground process group.
  mountSynthetic(root, '/dev', newDevfs((pgid, signo) => {
    for (const g of kernel.processGroup(pgid)) sendToGroup(g, signo, { signo, code: SI_KERNEL });
  }));
  mountSynthetic(root, '/proc', newProcfs(kernel, () => kernel.current));
  mountSynthetic(root, '/sys', newSysfs());

  const fs: FsContext = { root, cwd: root };
  const cwd = resolvePath(fs, root, cfg.cwd || '/', true);
  if (typeof cwd === 'number') { stub.destroy(); throw new BootError(`cwd ${cfg.cwd}: ${errnoName(-cwd)}`); }
  fs.cwd = cwd;

  const exe = findExecutable(fs, cfg.args[0], cfg.env);
  if (typeof exe === 'number') { stub.destroy(); throw new BootError(`${cfg.args[0]}: ${errnoName(-exe)}`); }

  const creds = new Credentials(cfg.uid, cfg.gid);
  creds.groups = cfg.additionalGids;
  const rlimits: Rlimit[] = defaultRlimits();
  for (const r of cfg.rlimits) rlimits[r.resource] = { cur: r.soft, max: r.hard };

  // The waker watches the console's input and runsc's control pipe; its page is MemoryFile memory.
  const wakerPage = memoryFile.allocate(0x1000);
  const wakerHostFds = [cfg.stdio[0], ...(cfg.controlFd !== undefined ? [cfg.controlFd] : [])];
  const waker = new Waker(memoryFile.fd, wakerHostFds, memoryFile.bytesAt(wakerPage, 0x1000), wakerPage);
  const scheduler = new Scheduler(kernel, platform, waker, dispatch);
  kernel.scheduler = scheduler;

  const fdTable = new FdTable(Number(rlimits[7].cur));
  const stdinWatch = { wakerFd: Waker.fdNumber(0), queue: new WaitQueue() };
  scheduler.watch(stdinWatch);
  cfg.stdio.forEach((hostFd, fd) => fdTable.setAt(fd, new ConsoleFile(hostFd, stdinWatch.queue), false));
  if (cfg.controlFd !== undefined) {
    const controlFd = cfg.controlFd;
    scheduler.watch({ wakerFd: Waker.fdNumber(1), queue: new WaitQueue(), always: true, onReady: () => forwardSignals(kernel, controlFd) });
  }

  const mm = new AddressSpace(memoryFile, stub, STUB_BASE);
  const handlers = new SignalHandlers();
  const tg = new ThreadGroup(1, null, handlers, rlimits, 0);
  kernel.threadGroups.set(1, tg);
  kernel.init = tg;
  kernel.allocatePid();
  const task = new Task(kernel, 1, tg, mm, stub.mainThread, fdTable, fs, creds);
  tg.tasks.add(task);
  kernel.tasks.set(1, task);
  const r = execve(task, { dentry: exe.dentry, path: exe.path, argv: cfg.args, envp: cfg.env });
  if (r < 0) {
    stub.destroy();
    waker.destroy();
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
  const n = recvSome(controlFd, buf, 0, buf.length, true);
  const init = kernel.init;
  if (n <= 0 || init === null) return;
  for (const signo of buf.subarray(0, n)) sendToGroup(init, signo, { signo, code: SI_USER, pid: 0, uid: 0 });
}
