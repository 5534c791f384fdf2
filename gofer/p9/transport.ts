// How a P9Client reaches its server: one blocking request/reply exchange at
// a time. The Sentry calls this from its only thread, so it blocks in the
// kernel instead of awaiting.

import { closeFd, recvExact, recvWithFd, sendAll } from '../../host/socket.js';
import { ECONNRESET, EPROTO } from './errno.js';
import { HEADER_SIZE } from './messages.js';

/**
 * Sends one request and returns its reply (the whole message, size field
 * included). The reply may be a view into a buffer the transport reuses: it
 * is valid until the next call. Failures are thrown as P9TransportError.
 */
export interface P9Transport {
  /**
   * With fdOut, the caller expects a host fd with the reply (Rlopenfd,
   * Rlcreatefd): fdOut[0] is set to it, or to -1 when none came. A
   * transport that cannot carry fds leaves fdOut[0] at -1.
   */
  call(request: Uint8Array, fdOut?: Int32Array): Uint8Array;
  /** Whether fds can come with replies (an AF_UNIX socket); decides whether the client asks for donation. */
  readonly passesFds?: boolean;
}

export class P9TransportError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
    this.name = 'P9TransportError';
  }
}

/**
 * P9Transport over a connected stream socket: sendAll the request, then
 * read size[4] and the rest into a reusable buffer that grows to the largest
 * reply seen. After a framing error the stream cannot be resynchronised, so
 * the transport refuses every later call.
 */
export class SocketTransport implements P9Transport {
  private buf: Buffer;
  private broken: number | null = null;
  readonly passesFds = true;

  /** maxReply bounds what a (possibly hostile) peer can make us allocate. */
  private readonly fdScratch = new Int32Array(1);

  constructor(readonly fd: number, readonly maxReply = 64 << 20) {
    this.buf = Buffer.allocUnsafe(64 * 1024);
  }

  call(request: Uint8Array, fdOut?: Int32Array): Uint8Array {
    if (fdOut !== undefined) fdOut[0] = -1;
    if (this.broken !== null) throw new P9TransportError(this.broken, 'transport is broken by an earlier error');
    const sent = sendAll(this.fd, request, request.byteLength);
    if (sent < 0) return this.fail(-sent, 'send');
    // A donated fd rides on the reply's first bytes: read those with recvmsg,
    // or the kernel drops the fd. Every other reply is read with plain recv.
    const got = fdOut === undefined ? recvExact(this.fd, this.buf, 0, 4) : this.recvHeadWithFd(fdOut);
    if (got !== 4) {
      if (fdOut !== undefined && fdOut[0] >= 0) { closeFd(fdOut[0]); fdOut[0] = -1; }
      return this.fail(got < 0 ? -got : ECONNRESET, 'receive size');
    }
    const size = this.buf.readUInt32LE(0);
    if (size < HEADER_SIZE || size > this.maxReply) return this.fail(EPROTO, `reply size ${size}`);
    if (size > this.buf.byteLength) {
      const next = Buffer.allocUnsafe(Math.max(size, this.buf.byteLength * 2));
      this.buf.copy(next, 0, 0, 4);
      this.buf = next;
    }
    const rest = recvExact(this.fd, this.buf, 4, size - 4);
    if (rest !== size - 4) {
      if (fdOut !== undefined && fdOut[0] >= 0) { closeFd(fdOut[0]); fdOut[0] = -1; }
      return this.fail(rest < 0 ? -rest : ECONNRESET, 'receive body');
    }
    return this.buf.subarray(0, size);
  }

  /** The reply's size field by recvmsg, keeping the fd that comes with it (the first one, if a peer sends more). */
  private recvHeadWithFd(fdOut: Int32Array): number {
    let done = 0;
    while (done < 4) {
      const n = recvWithFd(this.fd, this.buf, done, 4 - done, this.fdScratch);
      if (this.fdScratch[0] >= 0) {
        if (fdOut[0] < 0) fdOut[0] = this.fdScratch[0];
        else closeFd(this.fdScratch[0]);
      }
      if (n <= 0) return n < 0 ? n : done;
      done += n;
    }
    return done;
  }

  private fail(errno: number, what: string): never {
    this.broken = errno;
    throw new P9TransportError(errno, `9P transport: ${what} failed (errno ${errno})`);
  }
}
