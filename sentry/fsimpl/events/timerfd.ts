// timerfd: expirations counted by a kernel timer; read returns and clears them.
import { E } from '../../../abi/linux/errno.js';
import { O_RDWR } from '../../../abi/linux/fcntl.js';
import type { Stat } from '../../../abi/linux/stat.js';
import type { Kernel } from '../../kernel/kernel.js';
import { monotonicNs, type Timer } from '../../kernel/timers.js';
import { WaitQueue } from '../../kernel/wait-queue.js';
import { FileDescription } from '../../vfs/file-description.js';
import { anonStat } from './anon.js';

const POLLIN = 0x1;

export class TimerFdFile extends FileDescription {
  override get anonInodeName(): string { return '[timerfd]'; }
  private readonly queue = new WaitQueue();
  private readonly ino = anonStat.nextIno();
  private expirations = 0n;
  private timer: Timer | null = null;
  /** Monotonic deadline of the next expiry, and the period; 0 when disarmed. */
  private deadline = 0;
  private interval = 0;

  constructor(private readonly kernel: Kernel, readonly clock: number, flags: number) { super(O_RDWR | flags); }

  stat(): Stat { return anonStat.of(this.ino); }
  override seekable(): boolean { return false; }
  override waitQueue(): WaitQueue { return this.queue; }
  override readiness(): number { return this.expirations > 0n ? POLLIN : 0; }

  override readRecordSize(): number { return 8; }
  override read(dst: Uint8Array): number {
    if (dst.length < 8) return -E.EINVAL;
    if (this.expirations === 0n) return -E.EAGAIN;
    new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, this.expirations, true);
    this.expirations = 0n;
    return 8;
  }

  /** Remaining time and interval, in ns. */
  get(): { value: number; interval: number } {
    if (this.deadline === 0) return { value: 0, interval: this.interval };
    return { value: Math.max(1, this.deadline - monotonicNs()), interval: this.interval };
  }

  /** Arms at a monotonic deadline (0 disarms) with a period. */
  set(deadline: number, interval: number): void {
    this.kernel.timers.cancel(this.timer);
    this.timer = null;
    this.expirations = 0n;
    this.deadline = deadline;
    this.interval = interval;
    if (deadline === 0) return;
    const fire = (): void => {
      this.timer = null;
      const now = monotonicNs();
      let n = 1n;
      if (this.interval > 0) {
        // Missed periods count as expirations, as Linux's overrun does.
        const missed = Math.floor((now - this.deadline) / this.interval);
        n += BigInt(Math.max(0, missed));
        this.deadline += (missed + 1) * this.interval;
        this.timer = this.kernel.timers.add(this.deadline, fire);
      } else this.deadline = 0;
      this.expirations += n;
      this.queue.wakeAll();
    };
    this.timer = this.kernel.timers.add(deadline, fire);
  }

  protected override release(): void { this.kernel.timers.cancel(this.timer); }
}
