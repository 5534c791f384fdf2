// How a P9Client reaches its server: one blocking request/reply exchange at
// a time. The Sentry calls this from its only thread, so it blocks in the
// kernel instead of awaiting.

import { recvExact, sendAll } from '../../host/socket.js';
import { ECONNRESET, EPROTO } from './errno.js';
import { HEADER_SIZE } from './messages.js';

/**
 * Sends one request and returns its reply (the whole message, size field
 * included). The reply may be a view into a buffer the transport reuses: it
 * is valid until the next call. Failures are thrown as P9TransportError.
 */
export interface P9Transport {
  call(request: Uint8Array): Uint8Array;
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

  /** maxReply bounds what a (possibly hostile) peer can make us allocate. */
  constructor(readonly fd: number, readonly maxReply = 64 << 20) {
    this.buf = Buffer.allocUnsafe(64 * 1024);
  }

  call(request: Uint8Array): Uint8Array {
    if (this.broken !== null) throw new P9TransportError(this.broken, 'transport is broken by an earlier error');
    const sent = sendAll(this.fd, request, request.byteLength);
    if (sent < 0) return this.fail(-sent, 'send');
    const got = recvExact(this.fd, this.buf, 0, 4);
    if (got !== 4) return this.fail(got < 0 ? -got : ECONNRESET, 'receive size');
    const size = this.buf.readUInt32LE(0);
    if (size < HEADER_SIZE || size > this.maxReply) return this.fail(EPROTO, `reply size ${size}`);
    if (size > this.buf.byteLength) {
      const next = Buffer.allocUnsafe(Math.max(size, this.buf.byteLength * 2));
      this.buf.copy(next, 0, 0, 4);
      this.buf = next;
    }
    const rest = recvExact(this.fd, this.buf, 4, size - 4);
    if (rest !== size - 4) return this.fail(rest < 0 ? -rest : ECONNRESET, 'receive body');
    return this.buf.subarray(0, size);
  }

  private fail(errno: number, what: string): never {
    this.broken = errno;
    throw new P9TransportError(errno, `9P transport: ${what} failed (errno ${errno})`);
  }
}
