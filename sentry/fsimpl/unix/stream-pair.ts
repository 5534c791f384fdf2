// Connected AF_UNIX stream sockets from socketpair(2): each direction is a
// pipe buffer; a write after the peer closed is EPIPE, a read after it is EOF.
// Listening, named and datagram sockets come with the sockets issue.
import { E } from '../../../abi/linux/errno.js';
import { O_RDWR } from '../../../abi/linux/fcntl.js';
import { S_IFSOCK, type Stat } from '../../../abi/linux/stat.js';
import { Pipe } from '../pipe/pipe.js';
import { FileDescription } from '../../vfs/file-description.js';
import type { WaitQueue } from '../../kernel/wait-queue.js';

const POLLIN = 0x1, POLLOUT = 0x4, POLLHUP = 0x10, POLLRDHUP = 0x2000;

export class UnixStreamSocket extends FileDescription {
  private readShut = false;
  private writeShut = false;
  private closedIn = false;

  constructor(private readonly inbox: Pipe, private readonly outbox: Pipe, flags: number) {
    super(O_RDWR | flags);
    inbox.readers++;
    outbox.writers++;
  }

  stat(): Stat { const s = this.inbox.stat(); return { ...s, mode: S_IFSOCK | 0o777 }; }
  override seekable(): boolean { return false; }
  override get raisesSigpipe(): boolean { return true; }
  override waitQueue(forWrite: boolean): WaitQueue { return forWrite ? this.outbox.writable : this.inbox.readable; }

  /** recv with MSG_PEEK: copies without consuming. */
  peek(dst: Uint8Array): number { return this.inbox.peek(dst); }

  override read(dst: Uint8Array): number {
    if (this.readShut) return 0;
    return this.inbox.read(dst);
  }

  override write(src: Uint8Array): number {
    if (this.writeShut) return -E.EPIPE;
    // A stream socket has no PIPE_BUF atomicity: write what fits.
    return this.outbox.writeStream(src);
  }

  shutdown(how: number): number {
    if (how < 0 || how > 2) return -E.EINVAL;
    if (how !== 1 && !this.readShut) { this.readShut = true; this.inbox.readable.wakeAll(); }
    if (how !== 0 && !this.writeShut) { this.writeShut = true; this.outbox.writers--; this.outbox.readable.wakeAll(); }
    return 0;
  }

  override readiness(): number {
    const inb = this.inbox, out = this.outbox;
    const peerGone = inb.writers === 0;
    return (inb.available > 0 || peerGone || this.readShut ? POLLIN : 0) | (peerGone ? POLLRDHUP : 0)
      | (out.readers > 0 && out.capacity - out.available > 0 && !this.writeShut ? POLLOUT : 0)
      | (peerGone && (out.readers === 0 || this.writeShut) ? POLLHUP : 0);
  }

  protected override release(): void {
    if (this.closedIn) return;
    this.closedIn = true;
    if (--this.inbox.readers === 0) this.inbox.writable.wakeAll();
    if (!this.writeShut && --this.outbox.writers === 0) this.outbox.readable.wakeAll();
  }
}

export function newStreamPair(flags: number): [UnixStreamSocket, UnixStreamSocket] {
  const ab = new Pipe(), ba = new Pipe();
  return [new UnixStreamSocket(ba, ab, flags), new UnixStreamSocket(ab, ba, flags)];
}
