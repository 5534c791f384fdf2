// signalfd: reading takes the reader's pending signals in the mask, as
// struct signalfd_siginfo records.
import { E } from '../../../abi/linux/errno.js';
import { O_RDWR } from '../../../abi/linux/fcntl.js';
import type { Stat } from '../../../abi/linux/stat.js';
import { SIGCHLD } from '../../../abi/linux/signal.js';
import type { Kernel } from '../../kernel/kernel.js';
import { sigbit } from '../../kernel/signal-state.js';
import type { Task } from '../../kernel/task.js';
import type { WaitQueue } from '../../kernel/wait-queue.js';
import { FileDescription } from '../../vfs/file-description.js';
import { anonStat } from './anon.js';

export const SIGNALFD_SIGINFO_SIZE = 128;
const POLLIN = 0x1;

export class SignalFdFile extends FileDescription {
  override get anonInodeName(): string { return '[signalfd]'; }
  private readonly ino = anonStat.nextIno();

  constructor(private readonly sentryKernel: Kernel, private readonly creator: Task, public mask: bigint, flags: number) { super(O_RDWR | flags); } // O_RDWR as Linux's anon inode: a write is EINVAL, not EBADF

  stat(): Stat { return anonStat.of(this.ino); }
  override seekable(): boolean { return false; }
  override waitQueue(): WaitQueue { return this.creator.tg.signalEvents; }

  private reader(): Task { return this.sentryKernel.current ?? this.creator; }

  override readiness(): number {
    const t = this.reader();
    return ((t.pending.bits | t.tg.sharedPending.bits) & this.mask) !== 0n ? POLLIN : 0;
  }

  override readRecordSize(): number { return SIGNALFD_SIGINFO_SIZE; }
  override read(dst: Uint8Array): number {
    if (dst.length < SIGNALFD_SIGINFO_SIZE) return -E.EINVAL;
    const t = this.reader();
    let n = 0;
    while (n + SIGNALFD_SIGINFO_SIZE <= dst.length) {
      const p = t.pending.dequeue(~this.mask) ?? t.tg.sharedPending.dequeue(~this.mask);
      if (p === null) break;
      const out = new DataView(dst.buffer, dst.byteOffset + n, SIGNALFD_SIGINFO_SIZE);
      new Uint8Array(dst.buffer, dst.byteOffset + n, SIGNALFD_SIGINFO_SIZE).fill(0);
      const info = new DataView(p.info.buffer, p.info.byteOffset, 128);
      const code = info.getInt32(8, true);
      out.setUint32(0, p.signo, true);
      out.setInt32(4, info.getInt32(4, true), true);
      out.setInt32(8, code, true);
      if (code > 0 && p.signo !== SIGCHLD) {
        out.setBigUint64(72, info.getBigUint64(16, true), true); // ssi_addr for faults
      } else {
        out.setUint32(12, info.getInt32(16, true), true); // ssi_pid
        out.setUint32(16, info.getUint32(20, true), true); // ssi_uid
        if (p.signo === SIGCHLD) out.setInt32(40, info.getInt32(24, true), true); // ssi_status
        else { out.setInt32(44, info.getInt32(24, true), true); out.setBigUint64(48, info.getBigUint64(24, true), true); }
      }
      n += SIGNALFD_SIGINFO_SIZE;
    }
    return n > 0 ? n : -E.EAGAIN;
  }
}

export { sigbit };
