// /dev: the devices a program expects (null, zero, full, random, urandom,
// tty, ptmx), the fd links, and the empty directories pts and shm, on which
// boot.ts mounts devpts (newDevpts) and a tmpfs. Nothing here reaches a
// host device.
import { E } from '../../../abi/linux/errno.js';
import { makedev, S_IFCHR } from '../../../abi/linux/stat.js';
import type { Inode } from '../../vfs/inode.js';
import { ptmxInode, ptsChildren, type SignalGroup } from './pty.js';
import { DeviceInode, MemoryDeviceFile, SyntheticDir, SyntheticSymlink } from '../synthetic/synthetic.js';

const DEVFS_DEV = 0x5;
const DEVPTS_DEV = 0x16;

export function newDevfs(signalGroup: SignalGroup): SyntheticDir {
  const children = new Map<string, Inode>();
  const memDev = (name: string, minor: number, kind: 'null' | 'zero' | 'full' | 'random', mode = 0o666): void => {
    children.set(name, new DeviceInode(DEVFS_DEV, S_IFCHR, mode, makedev(1, minor), (flags, stat) => new MemoryDeviceFile(flags, kind, stat)));
  };
  memDev('null', 3, 'null');
  memDev('zero', 5, 'zero');
  memDev('full', 7, 'full');
  memDev('random', 8, 'random');
  memDev('urandom', 9, 'random');
  // No controlling terminal in the sandbox: opening /dev/tty fails as it does for a daemon.
  children.set('tty', new DeviceInode(DEVFS_DEV, S_IFCHR, 0o666, makedev(5, 0), () => -E.ENXIO));
  children.set('fd', new SyntheticSymlink(DEVFS_DEV, () => '/proc/self/fd'));
  children.set('stdin', new SyntheticSymlink(DEVFS_DEV, () => '/proc/self/fd/0'));
  children.set('stdout', new SyntheticSymlink(DEVFS_DEV, () => '/proc/self/fd/1'));
  children.set('stderr', new SyntheticSymlink(DEVFS_DEV, () => '/proc/self/fd/2'));
  children.set('ptmx', ptmxInode(DEVFS_DEV, signalGroup));
  // Mount points: devpts, and a tmpfs for POSIX shared memory (shm_open) and semaphores.
  const empty = new Map<string, Inode>();
  children.set('pts', new SyntheticDir(DEVFS_DEV, () => empty, 0o755));
  children.set('shm', new SyntheticDir(DEVFS_DEV, () => empty, 0o755));
  return new SyntheticDir(DEVFS_DEV, () => children, 0o755);
}

/** devpts: one slave device per live pseudo-terminal pair. */
export function newDevpts(): SyntheticDir {
  return new SyntheticDir(DEVPTS_DEV, () => ptsChildren(DEVPTS_DEV), 0o755);
}
