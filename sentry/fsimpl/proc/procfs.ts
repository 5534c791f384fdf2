// /proc: the sandbox's own view of its processes, never the host's. Each
// pid directory is computed from the kernel's tasks when looked up.
import { availableParallelism } from 'node:os';
import { E } from '../../../abi/linux/errno.js';
import { PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../abi/linux/mman.js';
import { S_IFREG, type Stat } from '../../../abi/linux/stat.js';
import { UTS_RELEASE, UTS_VERSION } from '../../../abi/linux/utsname.js';
import type { Kernel } from '../../kernel/kernel.js';
import { memoryUsage } from '../../kernel/memory-usage.js';
import { groupCpuNs } from '../../kernel/cpu-time.js';
import { RLIMIT_RSS, RLIMIT_SIGPENDING } from '../../kernel/rlimits.js';
import { SIG_DFL, SIG_IGN, sigbit } from '../../kernel/signal-state.js';
import type { Task } from '../../kernel/task.js';
import { stringToBytes } from '../../mm/address-space.js';
import type { Vma } from '../../mm/vma.js';
import { FileDescription } from '../../vfs/file-description.js';
import type { Inode } from '../../vfs/inode.js';
import { fdLinkTarget, fdLinkText } from './fd-link.js';
import { SyntheticDir, SyntheticInode, SyntheticSymlink, syntheticStat } from '../synthetic/synthetic.js';

const PROC_DEV = 0x4;

/** A read-only file whose contents are generated when it is opened. */
export class GeneratedFile extends SyntheticInode {
  readonly type = S_IFREG;
  constructor(private readonly generate: () => string | Uint8Array, private readonly mode = 0o444, dev = PROC_DEV) { super(dev); }
  stat(): Stat | number { return syntheticStat(S_IFREG | this.mode, this.ino, this.dev); }
  override open(flags: number): FileDescription | number {
    if ((flags & 3) !== 0) return -E.EACCES;
    const c = this.generate();
    return new SnapshotFile(typeof c === 'string' ? stringToBytes(c) : c, () => this.stat(), flags);
  }
}

class SnapshotFile extends FileDescription {
  constructor(private readonly data: Uint8Array, private readonly statOf: () => Stat | number, flags: number) { super(flags); }
  stat(): Stat | number { return this.statOf(); }
  override read(dst: Uint8Array, offset: number): number {
    const at = offset < 0 ? this.offset : offset;
    const n = Math.max(0, Math.min(dst.length, this.data.length - at));
    dst.set(this.data.subarray(at, at + n));
    if (offset < 0) this.offset += n;
    return n;
  }
}

function fixedDir(entries: Array<[string, Inode]>): SyntheticDir {
  const m = new Map(entries);
  return new SyntheticDir(PROC_DEV, () => m);
}

function protString(prot: number, shared: boolean): string {
  return (prot & PROT_READ ? 'r' : '-') + (prot & PROT_WRITE ? 'w' : '-') + (prot & PROT_EXEC ? 'x' : '-') + (shared ? 's' : 'p');
}

function maps(t: Task): string {
  // A file mapping the Sentry keeps as several VMAs (one per run of the file's pages) is one line, as in Linux.
  const merged: Array<{ start: number; end: number; prot: number; shared: boolean; fileOffset: number; file: Vma['file']; label: string }> = [];
  for (const v of t.mm.mappings()) {
    const last = merged[merged.length - 1];
    if (last !== undefined && v.file !== null && last.file === v.file && last.end === v.start && last.prot === v.prot &&
      last.shared === v.shared && last.fileOffset + (last.end - last.start) === v.fileOffset) {
      last.end = v.end;
      continue;
    }
    merged.push({ start: v.start, end: v.end, prot: v.prot, shared: v.shared, fileOffset: v.fileOffset, file: v.file, label: v.label });
  }
  return merged.map((v) => {
    const name = v.file?.mappingName ?? v.label;
    const range = `${v.start.toString(16).padStart(8, '0')}-${v.end.toString(16).padStart(8, '0')}`;
    const line = `${range} ${protString(v.prot, v.shared)} ${v.fileOffset.toString(16).padStart(8, '0')} 00:00 0`;
    return name ? `${line.padEnd(72)} ${name}` : line;
  }).join('\n') + '\n';
}

/** USER_HZ: the clock ticks /proc counts times in (sysconf(_SC_CLK_TCK)). */
const CLK_TCK = 100;
const PAGE = 4096;

/** Pages the task's address space maps, and of those the ones backed (not PROT_NONE reservations): statm's size and resident. */
function memoryPages(t: Task): { size: number; resident: number } {
  let size = 0, resident = 0;
  for (const v of t.mm.mappings()) {
    size += v.length;
    if (v.prot !== PROT_NONE) resident += v.length;
  }
  return { size: size / PAGE, resident: resident / PAGE };
}

/** /proc/<pid>/stat: Linux's 52 fields (do_task_stat); what the Sentry does not keep (faults, code and stack addresses) is 0. */
function statLine(t: Task, kernel: Kernel): string {
  const state = t.state === 'blocked' ? 'S' : t.state === 'stopped' ? 'T' : t.state === 'dead' ? 'Z' : 'R';
  const tg = t.tg;
  const utime = Math.floor(groupCpuNs(tg) / (1e9 / CLK_TCK));
  const start = Number((tg.startNs - kernel.startNs) / BigInt(1e9 / CLK_TCK));
  const mem = memoryPages(t);
  const [ignored, caught] = dispositionSets(t);
  const pending = t.pending.bits | tg.sharedPending.bits;
  const f: Array<number | bigint | string> = [t.tgid, `(${t.comm})`, state, t.ppid, tg.pgid, tg.sid, 0, -1, 0,
    0, 0, 0, 0, utime, 0, 0, 0, 20, 0, tg.tasks.size, 0, start, mem.size * PAGE, mem.resident, tg.rlimits[RLIMIT_RSS].cur,
    0, 0, 0, 0, 0, pending, t.blocked, ignored, caught, 0, 0, 0, tg.exitSignal, 0, 0, 0, 0, 0, 0,
    0, 0, t.mm.brkStart, 0, 0, 0, 0, tg.exitStatus ?? 0];
  return f.join(' ') + '\n';
}

/** /proc/<pid>/statm: size, resident, shared, text, lib, data, dt in pages; the Sentry does not split text from data. */
function statm(t: Task): string {
  const mem = memoryPages(t);
  return `${mem.size} ${mem.resident} 0 0 0 ${mem.size} 0\n`;
}

/** A signal set or capability set as /proc/<pid>/status prints it: 16 hex digits. */
function hex64(v: bigint): string { return v.toString(16).padStart(16, '0'); }

/** Every capability up to CAP_LAST_CAP (40): what root holds here, as capget reports. */
const ALL_CAPS = (1n << 41n) - 1n;

/** SigIgn and SigCgt: the dispositions that are SIG_IGN, and those that are a handler. */
function dispositionSets(t: Task): [bigint, bigint] {
  let ignored = 0n, caught = 0n;
  const actions = t.tg.handlers.actions;
  for (let signo = 1; signo < actions.length; signo++) {
    const h = actions[signo].handler;
    if (h === SIG_IGN) ignored |= sigbit(signo);
    else if (h !== SIG_DFL) caught |= sigbit(signo);
  }
  return [ignored, caught];
}

/** FDSize: the fd table's capacity, which Linux grows in powers of two from 64. */
function fdSize(t: Task): number {
  let highest = -1;
  for (const fd of t.fdTable.fds()) if (fd > highest) highest = fd;
  let size = 64;
  while (size <= highest) size *= 2;
  return size;
}

/** status's memory lines (procps reads VmSize and VmRSS for ps's vsz and rss); what the Sentry does not split is 0. */
function vmLines(t: Task): string[] {
  const mem = memoryPages(t);
  const kb = (pages: number): string => `${String(pages * (PAGE / 1024)).padStart(8)} kB`;
  return [`VmPeak:\t${kb(mem.size)}`, `VmSize:\t${kb(mem.size)}`, `VmLck:\t${kb(0)}`, `VmPin:\t${kb(0)}`,
    `VmHWM:\t${kb(mem.resident)}`, `VmRSS:\t${kb(mem.resident)}`, `RssAnon:\t${kb(mem.resident)}`, `RssFile:\t${kb(0)}`,
    `RssShmem:\t${kb(0)}`, `VmData:\t${kb(mem.size)}`, `VmStk:\t${kb(0)}`, `VmExe:\t${kb(0)}`, `VmLib:\t${kb(0)}`,
    `VmPTE:\t${kb(0)}`, `VmSwap:\t${kb(0)}`];
}

function status(t: Task): string {
  const c = t.creds;
  const state = t.state === 'blocked' ? 'S (sleeping)' : t.state === 'stopped' ? 'T (stopped)' : 'R (running)';
  const [ignored, caught] = dispositionSets(t);
  const caps = hex64(c.euid === 0 ? ALL_CAPS : 0n);
  const queued = t.pending.count + t.tg.sharedPending.count;
  return [`Name:\t${t.comm}`, `Umask:\t${t.umask.toString(8).padStart(4, '0')}`, `State:\t${state}`, `Tgid:\t${t.tgid}`,
    `Ngid:\t0`, `Pid:\t${t.tid}`, `PPid:\t${t.ppid}`, `TracerPid:\t0`, `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}`,
    `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}`, `FDSize:\t${fdSize(t)}`, `Groups:\t${c.groups.join(' ')}`,
    `NStgid:\t${t.tgid}`, `NSpid:\t${t.tid}`, `NSpgid:\t${t.tg.pgid}`, `NSsid:\t${t.tg.sid}`,
    ...(t.state === 'dead' ? [] : vmLines(t)), `Threads:\t${t.tg.tasks.size}`,
    `SigQ:\t${queued}/${t.tg.rlimits[RLIMIT_SIGPENDING].cur}`,
    `SigPnd:\t${hex64(t.pending.bits)}`, `ShdPnd:\t${hex64(t.tg.sharedPending.bits)}`, `SigBlk:\t${hex64(t.blocked)}`,
    `SigIgn:\t${hex64(ignored)}`, `SigCgt:\t${hex64(caught)}`,
    // Root holds every capability and others none (syscalls/credentials.ts); inheritable and ambient sets are empty.
    `CapInh:\t${hex64(0n)}`, `CapPrm:\t${caps}`, `CapEff:\t${caps}`, `CapBnd:\t${hex64(ALL_CAPS)}`, `CapAmb:\t${hex64(0n)}`,
    `NoNewPrivs:\t${t.noNewPrivs ? 1 : 0}`, `Seccomp:\t${t.seccomp.mode}`, ''].join('\n');
}

function taskDir(t: Task, kernel: Kernel): SyntheticDir {
  const fdDir = new SyntheticDir(PROC_DEV, () => {
    const m = new Map<string, Inode>();
    for (const fd of t.fdTable.fds()) {
      m.set(String(fd), new SyntheticSymlink(PROC_DEV, () => {
        const f = t.fdTable.get(fd);
        return f === null ? -E.ENOENT : fdLinkText(f, kernel.root);
      }, () => { const f = t.fdTable.get(fd); return f === null ? null : fdLinkTarget(f); }));
    }
    return m;
  });
  const entries: Array<[string, Inode]> = [
    ['exe', new SyntheticSymlink(PROC_DEV, () => t.exePath || -E.ENOENT)],
    ['cwd', new SyntheticSymlink(PROC_DEV, () => t.fs.cwd.path(t.fs.root), () => t.fs.cwd)],
    ['root', new SyntheticSymlink(PROC_DEV, () => '/', () => t.fs.root)],
    ['fd', fdDir],
    ['cmdline', new GeneratedFile(() => t.cmdline)],
    ['comm', new GeneratedFile(() => `${t.comm}\n`)],
    ['stat', new GeneratedFile(() => statLine(t, kernel))],
    ['statm', new GeneratedFile(() => statm(t))],
    // The OOM killer is the host's: the sandbox's processes all read the neutral values.
    ['oom_score', new GeneratedFile(() => '0\n')],
    ['oom_score_adj', new GeneratedFile(() => '0\n')],
    ['status', new GeneratedFile(() => status(t))],
    ['maps', new GeneratedFile(() => maps(t))],
    ['environ', new GeneratedFile(() => t.environ, 0o400)],
    ['limits', new GeneratedFile(() => limits(t))],
    // The mount table as seen from the task's root (sentry/vfs/mount.ts).
    ['mountinfo', new GeneratedFile(() => kernel.mounts.mountinfo(t.fs.root))],
    ['mounts', new GeneratedFile(() => kernel.mounts.mountsText(t.fs.root))],
  ];
  const m = new Map(entries);
  m.set('task', new SyntheticDir(PROC_DEV, () => new Map([...t.tg.tasks].map((x) => [String(x.tid), fixedDir(entries)]))));
  return new SyntheticDir(PROC_DEV, () => m);
}

const LIMIT_NAMES: Array<[string, string]> = [['Max cpu time', 'seconds'], ['Max file size', 'bytes'], ['Max data size', 'bytes'],
  ['Max stack size', 'bytes'], ['Max core file size', 'bytes'], ['Max resident set', 'bytes'], ['Max processes', 'processes'],
  ['Max open files', 'files'], ['Max locked memory', 'bytes'], ['Max address space', 'bytes'], ['Max file locks', 'locks'],
  ['Max pending signals', 'signals'], ['Max msgqueue size', 'bytes'], ['Max nice priority', ''], ['Max realtime priority', ''],
  ['Max realtime timeout', 'us']];

function limits(t: Task): string {
  const v = (x: bigint): string => (x === 0xffff_ffff_ffff_ffffn ? 'unlimited' : x.toString());
  const lines = ['Limit                     Soft Limit           Hard Limit           Units     '];
  LIMIT_NAMES.forEach(([name, unit], i) => {
    const l = t.rlimits[i];
    lines.push(`${name.padEnd(26)}${v(l.cur).padEnd(21)}${v(l.max).padEnd(21)}${unit.padEnd(10)}`);
  });
  return lines.join('\n') + '\n';
}

/** The same figures as sysinfo(2) (sentry/kernel/memory-usage.ts). */
function meminfo(kernel: Kernel): string {
  const m = memoryUsage(kernel);
  const kb = (n: number): string => `${Math.floor(n / 1024).toString().padStart(8)} kB`;
  return [['MemTotal', m.totalBytes], ['MemFree', m.freeBytes], ['MemAvailable', m.freeBytes], ['Buffers', 0], ['Cached', 0],
    ['SwapTotal', 0], ['SwapFree', 0]].map(([k, v]) => `${`${k}:`.padEnd(16)}${kb(v as number)}`).join('\n') + '\n';
}

export function newProcfs(kernel: Kernel, current: () => Task | null): SyntheticDir {
  const cpus = availableParallelism();
  const fixed: Array<[string, Inode]> = [
    ['self', new SyntheticSymlink(PROC_DEV, () => { const t = current(); return t ? String(t.tgid) : -E.ENOENT; })],
    ['thread-self', new SyntheticSymlink(PROC_DEV, () => { const t = current(); return t ? `${t.tgid}/task/${t.tid}` : -E.ENOENT; })],
    ['version', new GeneratedFile(() => `Linux version ${UTS_RELEASE} (sandbox) ${UTS_VERSION}\n`)],
    ['uptime', new GeneratedFile(() => { const s = Number(process.hrtime.bigint() - kernel.startNs) / 1e9; return `${s.toFixed(2)} ${s.toFixed(2)}\n`; })],
    ['loadavg', new GeneratedFile(() => `0.00 0.00 0.00 1/${kernel.tasks.size} ${kernel.tasks.size}\n`)],
    ['meminfo', new GeneratedFile(() => meminfo(kernel))],
    ['cpuinfo', new GeneratedFile(() => Array.from({ length: cpus }, (_, i) => `processor\t: ${i}\nvendor_id\t: sandbox\nmodel name\t: sandbox\n\n`).join(''))],
    ['stat', new GeneratedFile(() => {
      const cpus = Array.from({ length: availableParallelism() }, (_, i) => `cpu${i} 0 0 0 0 0 0 0 0 0 0`);
      return ['cpu  0 0 0 0 0 0 0 0 0 0', ...cpus, `btime ${Math.floor(Date.now() / 1000 - Number(process.hrtime.bigint() - kernel.startNs) / 1e9)}`,
        `processes ${kernel.tasks.size}`, `procs_running 1`, 'procs_blocked 0', ''].join('\n');
    })],
    // The file system types the Sentry has (the ones its mount table can show), in Linux's format.
    ['filesystems', new GeneratedFile(() => ['sysfs', 'tmpfs', 'proc', 'devtmpfs', 'devpts', '9p', 'overlay'].map((f) => `nodev\t${f}\n`).join(''))],
    ['mounts', new SyntheticSymlink(PROC_DEV, () => 'self/mounts')],
    ['sys', fixedDir([
      ['kernel', fixedDir([
        ['hostname', new GeneratedFile(() => `${kernel.hostname}\n`)],
        ['osrelease', new GeneratedFile(() => `${UTS_RELEASE}\n`)],
        ['ostype', new GeneratedFile(() => 'Linux\n')],
        ['pid_max', new GeneratedFile(() => '4194304\n')],
        ['ngroups_max', new GeneratedFile(() => '65536\n')],
      ])],
      ['vm', fixedDir([['overcommit_memory', new GeneratedFile(() => '0\n')], ['max_map_count', new GeneratedFile(() => '65530\n')]])],
      ['fs', fixedDir([['pipe-max-size', new GeneratedFile(() => '1048576\n')], ['file-max', new GeneratedFile(() => '9223372036854775807\n')], ['nr_open', new GeneratedFile(() => '1048576\n')]])],
    ])],
  ];
  const fixedMap = new Map(fixed);
  // Pid directories are built on lookup, so they always match the live tasks.
  const cache = new WeakMap<Task, SyntheticDir>();
  return new SyntheticDir(PROC_DEV, () => {
    const m = new Map(fixedMap);
    for (const tg of kernel.threadGroups.values()) {
      const leader = tg.leader;
      if (!leader || !tg.alive) continue;
      let d = cache.get(leader);
      if (!d) { d = taskDir(leader, kernel); cache.set(leader, d); }
      m.set(String(tg.tgid), d);
    }
    return m;
  });
}
