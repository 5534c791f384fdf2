// The Gofer's confinement: the seccomp policy (run through a reference BPF
// interpreter, no kernel needed), mountinfo handling, and, as root, a real
// confined process probed from inside and from outside.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYS } from '../abi/linux/syscalls.js';
import {
  CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_SYS_CHROOT, CLONE_NEWNET, CLONE_NEWNS, PR_SET_DUMPABLE,
} from '../host/confine.js';
import {
  AUDIT_ARCH_X86_64, BpfAssembler, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, retErrno, runFilter,
} from '../host/seccomp.js';
import {
  HIDDEN_FS_TYPES, LAST_REVIEWED_SYSCALL, compileSeccompRules, goferSeccompProgram, goferSeccompRules,
  parseMountInfo, pseudoMountsToDetach,
} from './confine.js';
import { writeGoferLaunchProgram } from './jail-plan.js';
import { buildLauncherElf } from './launcher-elf.js';

const here = dirname(fileURLToPath(import.meta.url));
const viteNode = join(dirname(createRequire(import.meta.url).resolve('vite-node/package.json')), 'vite-node.mjs');
const isRoot = process.getuid?.() === 0;

const PID = 4321;
const EPERM = retErrno(1);
const ENOSYS = retErrno(38);
const prog = goferSeccompProgram(PID);
const verdict = (nr: number, ...args: Array<number | bigint>) => runFilter(prog, { nr, args });

describe('the Gofer\'s seccomp policy', () => {
  it('kills anything that would run another program or reach into another process', () => {
    for (const name of ['execve', 'execveat', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'open_by_handle_at',
      'kexec_load', 'init_module', 'finit_module', 'bpf', 'pidfd_getfd'] as const) {
      expect(verdict(SYS[name]), name).toBe(SECCOMP_RET_KILL_PROCESS);
    }
  });

  it('refuses mounts, namespaces, sockets and host administration with EPERM', () => {
    for (const name of ['mount', 'umount2', 'pivot_root', 'chroot', 'unshare', 'setns', 'open_tree', 'move_mount',
      'fsopen', 'mount_setattr', 'keyctl', 'userfaultfd', 'perf_event_open', 'fanotify_init', 'socket', 'capset',
      'reboot', 'sethostname', 'swapon', 'mknod', 'tkill', 'setxattr', 'lsetxattr', 'removexattr', 'lremovexattr'] as const) {
      expect(verdict(SYS[name]), name).toBe(EPERM);
    }
  });

  it('answers ENOSYS for calls whose arguments it cannot see, and for calls newer than its review', () => {
    for (const name of ['clone3', 'io_uring_setup', 'io_uring_enter', 'openat2'] as const) expect(verdict(SYS[name]), name).toBe(ENOSYS);
    expect(verdict(LAST_REVIEWED_SYSCALL + 1)).toBe(ENOSYS);
    expect(verdict(511)).toBe(ENOSYS);
  });

  it('kills other ABIs: x32 numbers and a 32-bit architecture', () => {
    expect(verdict(0x40000000 | SYS.read)).toBe(SECCOMP_RET_KILL_PROCESS);
    expect(runFilter(prog, { nr: 11 /* i386 execve */, arch: 0x40000003 })).toBe(SECCOMP_RET_KILL_PROCESS);
    expect(runFilter(prog, { nr: SYS.read, arch: 0x40000003 })).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('allows what Node and the server need', () => {
    for (const name of ['read', 'write', 'close', 'fstat', 'newfstatat', 'openat', 'pread64', 'pwrite64', 'getdents64',
      'mmap', 'munmap', 'mprotect', 'madvise', 'futex', 'epoll_wait', 'epoll_pwait', 'poll', 'recvfrom', 'sendto',
      'socketpair', 'linkat', 'renameat2', 'unlinkat', 'symlinkat', 'fchownat', 'utimensat', 'fgetxattr', 'flistxattr',
      'fsetxattr', 'fremovexattr', 'ftruncate', 'fsync', 'fdatasync', 'fstatfs', 'readlinkat', 'exit_group', 'rt_sigaction', 'rt_sigprocmask',
      'getrandom', 'clock_gettime', 'sched_yield', 'memfd_create', 'mremap', 'brk', 'getpid', 'gettid'] as const) {
      expect(verdict(SYS[name], 3, 0, 0, 0o644), name).toBe(SECCOMP_RET_ALLOW);
    }
  });

  it('lets threads be made, but no namespaces with them', () => {
    const thread = 0x3d0f00; // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
    expect(verdict(SYS.clone, thread)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.clone, 17 /* SIGCHLD: fork */)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.clone, thread | CLONE_NEWNS)).toBe(EPERM);
    expect(verdict(SYS.clone, 17 | CLONE_NEWNET)).toBe(EPERM);
  });

  it('signals and limits this process only', () => {
    expect(verdict(SYS.kill, PID, 9)).toBe(SECCOMP_RET_ALLOW);
    for (const pid of [0, 1, PID + 1, -1, -PID, 0xffffffff]) expect(verdict(SYS.kill, pid, 0), `kill ${pid}`).toBe(EPERM);
    expect(verdict(SYS.tgkill, PID, PID + 3, 6)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.tgkill, 1, 1, 6)).toBe(EPERM);
    expect(verdict(SYS.rt_sigqueueinfo, 7, 10, 0)).toBe(EPERM);
    expect(verdict(SYS.rt_tgsigqueueinfo, PID, PID, 10, 0)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.prlimit64, 0, 7, 0, 0)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.prlimit64, PID, 7, 0, 0)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.prlimit64, 1, 7, 0, 0)).toBe(EPERM);
    // Only the low 32 bits of a pid count, as in the kernel.
    expect(verdict(SYS.kill, (1n << 32n) | BigInt(PID), 0)).toBe(SECCOMP_RET_ALLOW);
  });

  it('never sets a set-id bit or makes a device node, whatever the call', () => {
    expect(verdict(SYS.openat, -100, 0, 0o101, 0o644)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.openat, -100, 0, 0o101, 0o4755)).toBe(EPERM);
    expect(verdict(SYS.open, 0, 0o101, 0o2755)).toBe(EPERM);
    expect(verdict(SYS.creat, 0, 0o6777)).toBe(EPERM);
    expect(verdict(SYS.mkdirat, -100, 0, 0o2775)).toBe(EPERM);
    expect(verdict(SYS.mkdirat, -100, 0, 0o1777)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.fchmodat, -100, 0, 0o4755)).toBe(EPERM);
    expect(verdict(SYS.fchmod, 3, 0o2700)).toBe(EPERM);
    expect(verdict(SYS.chmod, 0, 0o755)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(452 /* fchmodat2 */, -100, 0, 0o4000, 0)).toBe(EPERM);
    expect(verdict(SYS.mknodat, -100, 0, 0o020666, 0x103)).toBe(EPERM);
    expect(verdict(SYS.mknodat, -100, 0, 0o060660, 0x800)).toBe(EPERM);
    expect(verdict(SYS.mknodat, -100, 0, 0o010644, 0)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.mknodat, -100, 0, 0o140644, 0)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.mknodat, -100, 0, 0o104755, 0)).toBe(EPERM);
  });

  it('pushes no keystrokes into a terminal and stays non-dumpable', () => {
    expect(verdict(SYS.ioctl, 2, 0x5412 /* TIOCSTI */)).toBe(EPERM);
    expect(verdict(SYS.ioctl, 2, 0x541c /* TIOCLINUX */)).toBe(EPERM);
    expect(verdict(SYS.ioctl, 2, 0x5413 /* TIOCGWINSZ */)).toBe(SECCOMP_RET_ALLOW);
    expect(verdict(SYS.ioctl, 2, (1n << 32n) | 0x5412n)).toBe(EPERM);
    expect(verdict(SYS.prctl, PR_SET_DUMPABLE, 1)).toBe(EPERM);
    expect(verdict(SYS.prctl, 15 /* PR_SET_NAME */, 0)).toBe(SECCOMP_RET_ALLOW);
  });

  it('compiles within the kernel\'s limits, with every rule reachable', () => {
    expect(prog.length).toBeLessThan(4096);
    const rules = goferSeccompRules(PID);
    const nrs = rules.map((r) => r.nr);
    expect(new Set(nrs).size, 'one rule per syscall').toBe(nrs.length);
    for (const r of rules) expect(r.nr).toBeLessThanOrEqual(LAST_REVIEWED_SYSCALL);
  });
});

describe('BpfAssembler', () => {
  it('assembles forward jumps and refuses the ones cBPF cannot encode', () => {
    const a = new BpfAssembler();
    a.load(4).jeq(AUDIT_ARCH_X86_64, 'yes').ret(0).label('yes').ret(SECCOMP_RET_ALLOW);
    expect(runFilter(a.assemble(), { nr: 0 })).toBe(SECCOMP_RET_ALLOW);
    expect(runFilter(a.assemble(), { nr: 0, arch: 3 })).toBe(0);
    const far = new BpfAssembler();
    far.load(0).jeq(1, 'end');
    for (let i = 0; i < 300; i++) far.ret(0);
    far.label('end').ret(1);
    expect(() => far.assemble()).toThrow(/out of range/);
    const ja = new BpfAssembler();
    ja.ja('end');
    for (let i = 0; i < 300; i++) ja.ret(0);
    ja.label('end').ret(7);
    expect(runFilter(ja.assemble(), { nr: 0 })).toBe(7);
    expect(() => new BpfAssembler().jeq(1, 'nowhere').assemble()).toThrow(/undefined label/);
  });

  it('compiles "any of these tests" rules', () => {
    const p = compileSeccompRules([
      { name: 'x', nr: 5, verdict: 'eperm', when: [{ arg: 1, op: 'notIn', values: [10, 20] }, { arg: 0, op: 'set', value: 4 }] },
    ]);
    expect(runFilter(p, { nr: 5, args: [0, 10] })).toBe(SECCOMP_RET_ALLOW);
    expect(runFilter(p, { nr: 5, args: [0, 20] })).toBe(SECCOMP_RET_ALLOW);
    expect(runFilter(p, { nr: 5, args: [0, 30] })).toBe(EPERM);
    expect(runFilter(p, { nr: 5, args: [4, 10] })).toBe(EPERM);
    expect(runFilter(p, { nr: 6, args: [4, 30] })).toBe(SECCOMP_RET_ALLOW);
  });
});

describe('mountinfo', () => {
  const text = [
    '26 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '100 26 0:50 / /j/0 ro,nosuid - ext4 /dev/vda rw',
    '101 100 0:20 / /j/0/proc rw - proc proc rw',
    '102 100 0:21 / /j/0/sys rw - sysfs sysfs rw',
    '103 102 0:27 / /j/0/sys/fs/cgroup rw - tmpfs tmpfs rw',
    '104 100 0:6 / /j/0/dev rw - devtmpfs devtmpfs rw',
    '105 104 0:23 / /j/0/dev/pts rw - devpts devpts rw',
    '106 100 0:60 / /j/0/home/a\\040b rw - ext4 /dev/vdb rw',
    '107 100 0:61 / /j/0/with\\040space/proc rw shared:5 - proc proc rw',
    '108 26 0:20 / /proc rw - proc proc rw',
    '109 26 0:62 / /j/1 rw - proc proc rw',
    '110 26 0:63 / /j/10/proc rw - proc proc rw',
  ].join('\n');

  it('parses mount points with their escapes and the fs type after the separator', () => {
    const e = parseMountInfo(text);
    expect(e.find((x) => x.mountPoint === '/j/0/home/a b')?.fsType).toBe('ext4');
    expect(e.find((x) => x.mountPoint === '/j/0/with space/proc')?.fsType).toBe('proc');
  });

  it('detaches pseudo file systems below the served roots only, parents first', () => {
    const detach = pseudoMountsToDetach(parseMountInfo(text), '/j', 2);
    expect(detach).toEqual(['/j/0/proc', '/j/0/sys', '/j/0/dev', '/j/0/dev/pts', '/j/0/with space/proc']);
    expect(HIDDEN_FS_TYPES.has('ext4')).toBe(false);
  });
});

// A real confined process. Needs root (namespaces, mounts, chroot).
describe.skipIf(!isRoot)('a confined process', () => {
  let base: string;
  let served: string;
  let launcher: string;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'gofer-jail-'));
    served = join(base, 'served');
    mkdirSync(served);
    launcher = join(base, 'gofer-launcher');
    writeFileSync(launcher, buildLauncherElf(), { mode: 0o755 });
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  interface Run {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    outside?: Record<string, unknown>;
    pid?: number;
  }

  /**
   * Runs jail-probe.ts as runsc runs the Gofer: stage 1 as a launch program
   * in the launcher, which execs Node for stage 2 (or, with launch 'node',
   * both stages in Node). With look, calls it with the child's pid once it
   * has printed its results.
   */
  function runProbe(action: string, look?: (pid: number) => Record<string, unknown>, launch: 'launcher' | 'node' = 'launcher'): Promise<Run> {
    const script = join(here, 'testdata', 'jail-probe.ts');
    const argv = [process.execPath, viteNode, script];
    const cfg = {
      mounts: [{ hostPath: '/', readonly: true }, { hostPath: served, readonly: false }],
      jailDir: join(base, `jail-${action}-${launch}`),
      argv,
      action,
    };
    const env = { ...process.env, GOFER_PROBE: JSON.stringify(cfg) };
    let child;
    if (launch === 'launcher') {
      const programPath = join(base, `launch-${action}`);
      writeGoferLaunchProgram({
        mounts: cfg.mounts, jailDir: cfg.jailDir, argv, programPath,
        env: Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}`),
      });
      child = spawn(launcher, [programPath], { env: {}, stdio: ['pipe', 'pipe', 'pipe'] });
    } else {
      child = spawn(process.execPath, [viteNode, script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    }
    const run: Run = { code: null, signal: null, stdout: '', stderr: '', pid: child.pid };
    child.stdout.on('data', (b: Buffer) => {
      run.stdout += b.toString();
      if (look && run.outside === undefined && run.stdout.includes('\n') && child.pid !== undefined) {
        run.outside = look(child.pid);
        child.stdin.end();
      }
    });
    child.stderr.on('data', (b: Buffer) => { run.stderr += b.toString(); });
    if (!look) child.stdin.end();
    return new Promise((resolve) => child.on('exit', (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    }));
  }

  it.each(['launcher', 'node'] as const)('sees only its jail, and is refused what it must never do (stage 1 in %s)', async (launch) => {
    const ns = (pid: number | 'self', kind: string) => readlinkSync(`/proc/${pid}/ns/${kind}`);
    const run = await runProbe('probe', (pid) => {
      const threads = readdirSync(`/proc/${pid}/task`).map((tid) => {
        const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        const field = (name: string) => BigInt(`0x${/^(\w+):\s*([0-9a-f]+)$/m.exec(status.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2] ?? '0'}`);
        return {
          tid: Number(tid),
          eff: field('CapEff'), prm: field('CapPrm'), bnd: field('CapBnd'),
          nnp: /NoNewPrivs:\s*1/.test(status), seccomp: /Seccomp:\s*2/.test(status),
        };
      });
      return {
        threads,
        sameNs: ['mnt', 'net', 'ipc', 'uts', 'cgroup'].filter((k) => ns(pid, k) === ns('self', k)),
        root: readlinkSync(`/proc/${pid}/root`),
      };
    }, launch);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout.split('\n')[0]);
    expect(r.rootEntries).toEqual(['0', '1', 'fd']);
    expect(r.rootEntriesFromThreadPool).toEqual(['0', '1', 'fd']);
    expect(r.hostPathsVisible).toEqual([]);
    expect(r.servedEtcPasswd).toBe(true);
    expect(r.pseudoFs).toEqual({ proc: [], sys: [], devDevices: [] });
    expect(r.writeReadOnlyMount).toBe('EROFS');
    expect(r.writeReadWriteMount).toBe('ok');
    expect(readFileSync(join(served, 'probe.txt'), 'utf8')).toBe('written in the jail\n');
    expect(r.dotDotOfMountRoot).toEqual(['0', '1', 'fd']);
    expect(r.dotDotOfFdDir).toEqual(['0', '1', 'fd']);
    expect(r.reopenThroughFd).toBe(0);
    for (const [what, result] of Object.entries(r.refused as Record<string, number>)) {
      expect(result, what).toBe(['clone3', 'ioUringSetup'].includes(what) ? -38 : -1);
    }
    expect(r.allowed).toEqual({ killSelf: 0, prlimitSelf: 0, chmodPlain: 0 });
    expect(statSync(join(served, 'probe.txt')).mode & 0o7777).toBe(0o640);
    expect(r.noNewPrivs).toBe(1);
    expect(r.seccompMode).toBe(2);
    expect(r.dumpable).toBe(0);

    // From outside: new namespaces, and no thread with more than the kept capabilities (+ SYS_CHROOT).
    const out = run.outside as { threads: Array<{ tid: number; eff: bigint; prm: bigint; bnd: bigint; nnp: boolean; seccomp: boolean }>; sameNs: string[]; root: string };
    expect(out.sameNs).toEqual([]);
    expect(out.root).toBe(join(base, `jail-probe-${launch}`));
    const kept = (1n << BigInt(CAP_CHOWN)) | (1n << BigInt(CAP_DAC_OVERRIDE)) | (1n << BigInt(CAP_FOWNER));
    const allowed = kept | (1n << BigInt(CAP_SYS_CHROOT));
    expect(out.threads.length).toBeGreaterThan(1);
    for (const t of out.threads) {
      expect(t.eff & ~allowed).toBe(0n);
      expect(t.prm & ~allowed).toBe(0n);
      expect(t.bnd & ~allowed).toBe(0n);
      expect(t.nnp && t.seccomp).toBe(true);
    }
    // The main thread's tid is the pid; it need not sort first (pids wrap).
    expect(out.threads.find((t) => t.tid === run.pid)?.eff).toBe(kept); // the main thread dropped SYS_CHROOT too
    // Nothing of the jail is left on the host but its empty directory.
    expect(readdirSync(join(base, `jail-probe-${launch}`))).toEqual([]);
  });

  it.each(['execve', 'ptrace', 'process_vm_readv'])('is killed by the filter for %s', async (action) => {
    const run = await runProbe(action);
    expect(run.signal).toBe('SIGSYS');
    expect(run.stdout).toBe('');
  });
});
