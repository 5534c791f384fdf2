// Child-process entry for confine.test.ts: confined as the Gofer is (stage 1
// either run by the launcher, which then execs this script, or here in Node,
// which re-executes it; stage 2 here), then either probes what
// it can still reach and do, printing one JSON line, or makes a call the
// filter must kill it for. Config in $GOFER_PROBE.

import { existsSync, lstatSync, readdirSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { SYS } from '../../abi/linux/syscalls.js';
import {
  CLONE_NEWNS, MNT_DETACH, PR_GET_DUMPABLE, PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP, PR_SET_DUMPABLE,
  chroot, execve, getppid, mount, prctl, rawSyscall, umount2, unshare,
} from '../../host/confine.js';
import {
  AT_FDCWD, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY, S_IFBLK, S_IFCHR, close, decodeDirents, fchmodat,
  getdents64, makedev, mknodat, openat,
} from '../../host/fs.js';
import { POLLIN, pollOne } from '../../host/socket.js';
import { enterGoferNamespaces, lockGoferJail, type JailMount } from '../confine.js';

interface ProbeConfig {
  mounts: JailMount[];
  jailDir: string;
  /** How to run this script again: [node, vite-node, this file]. */
  argv: string[];
  action: 'probe' | 'execve' | 'ptrace' | 'process_vm_readv';
}

const cfg = JSON.parse(process.env.GOFER_PROBE ?? '{}') as ProbeConfig;
const prepared = enterGoferNamespaces(cfg.mounts, cfg.jailDir, { argv: cfg.argv });
const jail = lockGoferJail(prepared);

function list(fd: number): string[] {
  const buf = Buffer.alloc(65536);
  const names: string[] = [];
  for (;;) {
    const n = getdents64(fd, buf);
    if (n <= 0) break;
    for (const d of decodeDirents(buf, n)) if (d.name !== '.' && d.name !== '..') names.push(d.name);
  }
  return names.sort();
}

function listAt(dirfd: number, path: string): string[] | number {
  const fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fd;
  const names = list(fd);
  close(fd);
  return names;
}

function errCode(f: () => void): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

if (cfg.action === 'execve') {
  execve('/0/bin/true', ['true'], []);
  writeSync(1, 'execve returned\n');
  process.exit(0);
}
if (cfg.action === 'ptrace') {
  rawSyscall(SYS.ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
  writeSync(1, 'ptrace returned\n');
  process.exit(0);
}
if (cfg.action === 'process_vm_readv') {
  rawSyscall(SYS.process_vm_readv, getppid(), 0, 0, 0, 0, 0);
  writeSync(1, 'process_vm_readv returned\n');
  process.exit(0);
}

const devicesUnder = (dir: string): string[] => {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const st = lstatSync(`${dir}/${name}`);
    if (st.isCharacterDevice() || st.isBlockDevice()) found.push(name);
  }
  return found;
};

const results = {
  pid: process.pid,
  jail,
  rootEntries: readdirSync('/').sort(),
  // Node's thread pool (fs/promises) runs on other threads: they see the same jail.
  rootEntriesFromThreadPool: (await readdir('/')).sort(),
  hostPathsVisible: ['/etc/passwd', '/proc/self', '/tmp', '/usr'].filter((p) => existsSync(p)),
  servedEtcPasswd: existsSync('/0/etc/passwd'),
  pseudoFs: { proc: readdirSync('/0/proc'), sys: readdirSync('/0/sys'), devDevices: devicesUnder('/0/dev') },
  writeReadOnlyMount: errCode(() => writeFileSync('/0/tmp/gofer-probe', 'x')),
  writeReadWriteMount: errCode(() => writeFileSync('/1/probe.txt', 'written in the jail\n')),
  dotDotOfMountRoot: listAt(jail.roots[1], '..'),
  dotDotOfFdDir: listAt(jail.procSelfFd, '..'),
  reopenThroughFd: (() => {
    const fd = openat(jail.procSelfFd, String(jail.roots[1]), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fd;
    close(fd);
    return 0;
  })(),
  refused: {
    mount: mount('tmpfs', '/1', 'tmpfs', 0),
    umount: umount2('/0', MNT_DETACH),
    unshare: unshare(CLONE_NEWNS),
    chroot: chroot('/1'),
    setns: rawSyscall(SYS.setns, 0, 0),
    pivotRoot: rawSyscall(SYS.pivot_root, 0, 0),
    socketInet: rawSyscall(SYS.socket, 2, 1, 0),
    socketUnix: rawSyscall(SYS.socket, 1, 1, 0),
    killParent: rawSyscall(SYS.kill, getppid(), 0),
    killInit: rawSyscall(SYS.kill, 1, 0),
    killGroup: rawSyscall(SYS.kill, 0, 0),
    killAll: rawSyscall(SYS.kill, -1, 0),
    prlimitParent: rawSyscall(SYS.prlimit64, getppid(), 7, 0, 0),
    createSetuid: openat(AT_FDCWD, '/1/setuid', O_CREAT | O_WRONLY | O_CLOEXEC, 0o4755),
    chmodSetuid: fchmodat(AT_FDCWD, '/1/probe.txt', 0o4755, 0),
    mknodChar: mknodat(AT_FDCWD, '/1/null', S_IFCHR | 0o666, makedev(1, 3)),
    mknodBlock: mknodat(AT_FDCWD, '/1/sda', S_IFBLK | 0o666, makedev(8, 0)),
    dumpableAgain: prctl(PR_SET_DUMPABLE, 1),
    clone3: rawSyscall(SYS.clone3, 0, 0),
    ioUringSetup: rawSyscall(SYS.io_uring_setup, 1, 0),
    newNamespaceThread: rawSyscall(SYS.clone, CLONE_NEWNS, 0, 0, 0, 0),
  },
  allowed: {
    killSelf: rawSyscall(SYS.kill, process.pid, 0),
    prlimitSelf: rawSyscall(SYS.prlimit64, 0, 7, 0, 0),
    chmodPlain: fchmodat(AT_FDCWD, '/1/probe.txt', 0o640, 0),
  },
  noNewPrivs: prctl(PR_GET_NO_NEW_PRIVS),
  seccompMode: prctl(PR_GET_SECCOMP),
  dumpable: prctl(PR_GET_DUMPABLE),
};
writeSync(1, JSON.stringify(results) + '\n');
// Stay until the parent has looked at /proc/<pid> from outside (stdin may be non-blocking).
pollOne(0, POLLIN);
readSync(0, Buffer.alloc(1));
process.exit(0);
