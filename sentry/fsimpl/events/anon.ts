// Anonymous inodes (eventfd, timerfd, signalfd, epoll): their fstat as Linux
// shows it, mode 0600 on the anon_inode file system.
import type { Stat } from '../../../abi/linux/stat.js';

const ANON_DEV = 0xd;
let next = 1n;
const now = Date.now();
const ts = { sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 };

export const anonStat = {
  nextIno(): bigint { return next++; },
  of(ino: bigint): Stat {
    return { dev: ANON_DEV, ino, mode: 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: ts, mtime: ts, ctime: ts };
  },
};
