// pidfd: a file that names a process. It is readable (POLLIN) once the
// process has exited, and hangs up (POLLHUP) once it has been reaped as
// well; read(2) is EINVAL, as in Linux.
import { O_RDWR } from '../../../abi/linux/fcntl.js';
import { POLLHUP, POLLIN } from '../../../abi/linux/poll.js';
import type { Stat } from '../../../abi/linux/stat.js';
import type { ThreadGroup } from '../../kernel/thread-group.js';
import type { WaitQueue } from '../../kernel/wait-queue.js';
import { FileDescription } from '../../vfs/file-description.js';
import { anonStat } from './anon.js';

const POLLRDNORM = 0x40;

export class PidFdFile extends FileDescription {
  override get anonInodeName(): string { return '[pidfd]'; }
  private readonly ino = anonStat.nextIno();

  constructor(readonly tg: ThreadGroup, flags: number) { super(O_RDWR | flags); }

  stat(): Stat { return anonStat.of(this.ino); }
  override seekable(): boolean { return false; }
  override waitQueue(): WaitQueue { return this.tg.exitEvents; }
  override readiness(): number {
    if (this.tg.alive) return 0;
    return POLLIN | POLLRDNORM | (this.tg.reaped ? POLLHUP : 0);
  }
}
