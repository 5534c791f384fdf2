// Frames one stream socket into 9P messages for a P9Server. Reads never
// block (MSG_DONTWAIT after poll said readable), so a peer that sends half
// a message stalls only its own connection, not the Gofer's other mounts.
// Replies are sent with a blocking sendAll: a peer that stops reading stalls
// the Gofer, which hurts only the sandbox that peer belongs to.

import { close } from '../../host/fs.js';
import { recvSome, sendAll, sendWithFd } from '../../host/socket.js';
import { MessageWriter } from './codec.js';
import { EAGAIN, EMSGSIZE, EPROTO } from './errno.js';
import { HEADER_SIZE, NOTAG } from './messages.js';
import type { P9Server } from './server.js';

export class Connection {
  private buf = Buffer.allocUnsafe(64 * 1024);
  /** Unconsumed bytes are buf[start, end). */
  private start = 0;
  private end = 0;
  /** Bytes still to skip of a message we refused without reading it. */
  private discard = 0;
  private readonly errors = new MessageWriter(64);
  private closed = false;

  /** Takes ownership of `fd` (closed by close()). */
  constructor(readonly fd: number, readonly server: P9Server) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Call when poll(2) reports the fd readable (or hung up). Reads what has
   * arrived and answers every complete message. Returns false once the
   * connection is over: the peer closed it or it failed.
   */
  onReadable(): boolean {
    if (this.closed) return false;
    if (this.end === this.buf.byteLength) this.makeRoom(0);
    const n = recvSome(this.fd, this.buf, this.end, this.buf.byteLength - this.end, true);
    if (n === -EAGAIN) return true;
    if (n <= 0) return false;
    this.end += n;
    return this.serveBuffered();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    close(this.fd);
  }

  private serveBuffered(): boolean {
    for (;;) {
      if (this.discard > 0) {
        const k = Math.min(this.discard, this.end - this.start);
        this.start += k;
        this.discard -= k;
        if (this.discard > 0) break;
        continue;
      }
      const avail = this.end - this.start;
      if (avail < 4) break;
      const size = this.buf.readUInt32LE(this.start);
      if (size < HEADER_SIZE) {
        // Not even a header: there is no tag to answer, and skipping `size`
        // bytes (at least the size field) is the only way to move on.
        if (!this.send(this.errors.encodeRlerror(NOTAG, EPROTO))) return false;
        this.discard = Math.max(size, 4);
        continue;
      }
      if (size > this.server.msize) {
        if (avail < HEADER_SIZE) break;
        const tag = this.buf.readUInt16LE(this.start + 5);
        if (!this.send(this.errors.encodeRlerror(tag, EMSGSIZE))) return false;
        this.discard = size;
        continue;
      }
      if (avail < size) {
        if (this.buf.byteLength - this.start < size) this.makeRoom(size);
        break;
      }
      const reply = this.server.handle(this.buf.subarray(this.start, this.start + size));
      this.start += size;
      // A donated fd (Rlopenfd, Rlcreatefd) rides on the reply; the kernel passes a copy, the fid keeps its own.
      const fd = this.server.replyFd;
      if (fd >= 0 ? sendWithFd(this.fd, reply, reply.byteLength, fd) !== 0 : !this.send(reply)) return false;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return true;
  }

  /** Moves pending bytes to the front and grows the buffer to hold `need` bytes from start. */
  private makeRoom(need: number): void {
    const pending = this.end - this.start;
    const want = Math.max(need, pending + 4096);
    if (want > this.buf.byteLength) {
      const next = Buffer.allocUnsafe(Math.max(want, this.buf.byteLength * 2));
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
    }
    this.start = 0;
    this.end = pending;
  }

  private send(reply: Uint8Array): boolean {
    return sendAll(this.fd, reply, reply.byteLength) === 0;
  }
}
