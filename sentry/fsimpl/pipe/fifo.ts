// Named pipes: a FIFO inode of any file system keeps one Fifo, a Pipe plus
// the rendezvous of Linux's fifo_open. A reader opening without O_NONBLOCK
// waits until a writer has opened (and a writer until a reader has), counted
// by how many opens each side has ever made, so a partner that came and went
// still ends the wait. O_RDWR never waits; O_WRONLY|O_NONBLOCK with no
// reader is ENXIO.
//
// Files never block: open returns the end at once, already counted as a
// reader or writer (so the partner sees it), and the open syscall parks the
// task on `opened` until ready() says the partner came.
import { E } from '../../../abi/linux/errno.js';
import { O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from '../../../abi/linux/fcntl.js';
import type { Stat } from '../../../abi/linux/stat.js';
import { WaitQueue } from '../../kernel/wait-queue.js';
import { Pipe, PipeEnd } from './pipe.js';

export class Fifo {
  /**
   * pipe: a FIFO inode's own pipe, or a pipe(2) pipe reopened through
   * /proc/<pid>/fd (pipeFifo). Opens of the latter never wait for a partner
   * and never fail with ENXIO: Linux's fifo_open skips both on pipefs.
   */
  constructor(readonly pipe = new Pipe(), private readonly pipefs = false) {}
  /** Opens ever made for reading and for writing (Linux's r_counter, w_counter). */
  readerOpens = 0;
  writerOpens = 0;
  /** Openers waiting for a partner. */
  readonly opened = new WaitQueue();

  /** Opens an end with open(2)'s flags; statOf gives the FIFO inode's attributes for fstat. */
  open(flags: number, statOf: () => Stat | number): FifoEnd | number {
    const acc = flags & O_ACCMODE;
    const nonblock = (flags & O_NONBLOCK) !== 0;
    switch (acc) {
      case O_RDONLY: {
        const waitFrom = this.pipe.writers === 0 && !nonblock && !this.pipefs ? this.writerOpens : -1;
        this.readerOpens++;
        const end = new FifoEnd(this, flags, statOf, waitFrom < 0 ? null : () => this.writerOpens !== waitFrom);
        this.opened.wakeAll();
        return end;
      }
      case O_WRONLY: {
        if (nonblock && this.pipe.readers === 0 && !this.pipefs) return -E.ENXIO;
        const waitFrom = this.pipe.readers === 0 && !this.pipefs ? this.readerOpens : -1;
        this.writerOpens++;
        const end = new FifoEnd(this, flags, statOf, waitFrom < 0 ? null : () => this.readerOpens !== waitFrom);
        this.opened.wakeAll();
        return end;
      }
      case O_RDWR: {
        this.readerOpens++;
        this.writerOpens++;
        const end = new FifoEnd(this, flags, statOf, null);
        this.opened.wakeAll();
        return end;
      }
      default: return -E.EINVAL;
    }
  }
}

const pipeFifos = new WeakMap<Pipe, Fifo>();

/**
 * The FIFO view of a pipe(2) pipe: open(2) of /proc/<pid>/fd/N for a pipe
 * end opens the pipe again as Linux's fifo_open does on pipefs's inode
 * (bash's `<(...)` and `> /dev/stderr` rely on it), without its waits.
 */
export function pipeFifo(pipe: Pipe): Fifo {
  let f = pipeFifos.get(pipe);
  if (f === undefined) { f = new Fifo(pipe, true); pipeFifos.set(pipe, f); }
  return f;
}

/** One open of a FIFO: a pipe end whose fstat is the FIFO inode's. */
export class FifoEnd extends PipeEnd {
  constructor(readonly fifo: Fifo, flags: number, private readonly statOf: () => Stat | number,
    private readonly partnerCame: (() => boolean) | null) {
    super(fifo.pipe, flags);
  }

  /** Whether the open may return: no wait was needed, or the partner has opened since. */
  ready(): boolean { return this.partnerCame === null || this.partnerCame(); }

  override stat(): Stat { const st = this.statOf(); return typeof st === 'number' ? this.pipe.stat() : st; }
}
