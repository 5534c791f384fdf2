// /sys: the few entries glibc, Python and Node read (the CPU lists), all
// read-only, none of them the host's.
import { availableParallelism } from 'node:os';
import type { Inode } from '../../vfs/inode.js';
import { GeneratedFile } from '../proc/procfs.js';
import { SyntheticDir } from '../synthetic/synthetic.js';

const SYS_DEV = 0x6;

function dir(entries: Array<[string, Inode]>): SyntheticDir {
  const m = new Map(entries);
  return new SyntheticDir(SYS_DEV, () => m, 0o755);
}

export function newSysfs(): SyntheticDir {
  const cpus = availableParallelism();
  const range = cpus > 1 ? `0-${cpus - 1}\n` : '0\n';
  const cpuDirs: Array<[string, Inode]> = Array.from({ length: cpus }, (_, i) => [`cpu${i}`, dir([['online', new GeneratedFile(() => '1\n', 0o444, SYS_DEV)]])]);
  return dir([
    ['devices', dir([['system', dir([['cpu', dir([
      ['online', new GeneratedFile(() => range, 0o444, SYS_DEV)],
      ['possible', new GeneratedFile(() => range, 0o444, SYS_DEV)],
      ['present', new GeneratedFile(() => range, 0o444, SYS_DEV)],
      ...cpuDirs,
    ])]])]])],
    ['fs', dir([['cgroup', dir([])]])],
    ['kernel', dir([['mm', dir([['transparent_hugepage', dir([['enabled', new GeneratedFile(() => 'always [madvise] never\n', 0o444, SYS_DEV)]])]])]])],
  ]);
}
