// eventfd: a 64-bit counter with a wait queue; semaphore mode hands out one at a time.
import { E } from '../../../abi/linux/errno.js';
import { O_RDWR } from '../../../abi/linux/fcntl.js';
import type { Stat } from '../../../abi/linux/stat.js';
import { WaitQueue } from '../../kernel/wait-queue.js';
import { FileDescription } from '../../vfs/file-description.js';
import { anonStat } from './anon.js';

const MAX = 0xffff_ffff_ffff_fffen;
const POLLIN = 0x1, POLLOUT = 0x4;

export class EventFdFile extends FileDescription {
  override get anonInodeName(): string { return '[eventfd]'; }
  private readonly queue = new WaitQueue();
  private readonly ino = anonStat.nextIno();

  constructor(private counter: bigint, private readonly semaphore: boolean, flags: number) { super(O_RDWR | flags); }

  stat(): Stat { return anonStat.of(this.ino); }
  override seekable(): boolean { return false; }
  override readRecordSize(): number { return 8; }
  /** Linux's noop_llseek: the position stays where it is (0) and lseek succeeds. */
  override lseek(): number { return this.offset; }
  override waitQueue(): WaitQueue { return this.queue; }

  override read(dst: Uint8Array): number {
    if (dst.length < 8) return -E.EINVAL;
    if (this.counter === 0n) return -E.EAGAIN;
    const v = this.semaphore ? 1n : this.counter;
    this.counter -= v;
    new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, v, true);
    this.queue.wakeAll();
    return 8;
  }

  override write(src: Uint8Array): number {
    if (src.length < 8) return -E.EINVAL;
    const v = new DataView(src.buffer, src.byteOffset, 8).getBigUint64(0, true);
    if (v === 0xffff_ffff_ffff_ffffn) return -E.EINVAL;
    if (MAX - this.counter < v) return -E.EAGAIN;
    this.counter += v;
    this.queue.wakeAll();
    return 8;
  }

  override readiness(): number {
    // Linux's POLLERR is for a count of 2^64-1, which only an in-kernel signal overflow reaches: never here.
    return (this.counter > 0n ? POLLIN : 0) | (this.counter < MAX ? POLLOUT : 0);
  }
}
