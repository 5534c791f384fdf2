// Little-endian primitives for 9P. The reader is bounds-checked and signals
// malformed input by throwing the MALFORMED sentinel, which only codec.ts
// catches; the writer grows one buffer that is reused message after message.

import type { Dirent, Qid } from './messages.js';
import { EINVAL, ENAMETOOLONG } from './errno.js';

/** Thrown (not an Error: no stack to capture) when input runs out or is out of range. */
export const MALFORMED: unique symbol = Symbol('malformed 9P message');

const TWO32 = 0x1_0000_0000;

export class WireReader {
  private view: DataView;
  private bytes: Uint8Array;
  pos: number;

  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.bytes.byteLength) throw MALFORMED;
    this.pos = at + n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }

  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }

  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  /** Unsigned 64-bit as a number; above 2^53 is malformed. */
  u64(): number {
    const at = this.need(8);
    const hi = this.view.getUint32(at + 4, true);
    if (hi > 0x1fffff) throw MALFORMED;
    return hi * TWO32 + this.view.getUint32(at, true);
  }

  /** Signed 64-bit (two's complement on the wire) as a number. */
  i64(): number {
    const at = this.need(8);
    const hi = this.view.getInt32(at + 4, true);
    if (hi > 0x1fffff || hi < -0x200000) throw MALFORMED;
    return hi * TWO32 + this.view.getUint32(at, true);
  }

  b64(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }

  str(): string {
    const n = this.u16();
    const at = this.need(n);
    // Names are byte strings: latin1 keeps each byte as one char, so nothing is lost either way.
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + at, n).toString('latin1');
  }

  strs(): string[] {
    const n = this.u16();
    // Each string needs at least its length prefix; reject absurd counts early.
    if (n * 2 > this.remaining) throw MALFORMED;
    const out: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = this.str();
    return out;
  }

  qid(): Qid {
    const type = this.u8();
    const version = this.u32();
    const path = this.b64();
    return { type, version, path };
  }

  qids(): Qid[] {
    const n = this.u16();
    if (n * 13 > this.remaining) throw MALFORMED;
    const out: Qid[] = new Array<Qid>(n);
    for (let i = 0; i < n; i++) out[i] = this.qid();
    return out;
  }

  /** count[4] then count bytes, returned as a view into the input (no copy). */
  data(): Uint8Array {
    const n = this.u32();
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  dirents(): Dirent[] {
    const n = this.u32();
    const end = this.need(n) + n;
    this.pos -= n;
    const out: Dirent[] = [];
    while (this.pos < end) {
      const qid = this.qid();
      const offset = this.b64();
      const type = this.u8();
      const name = this.str();
      out.push({ qid, offset, type, name });
    }
    if (this.pos !== end) throw MALFORMED;
    return out;
  }
}

/** Raised by the writer for values the protocol cannot carry; holds an errno. */
export class P9EncodeError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
    this.name = 'P9EncodeError';
  }
}

export class WireWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 8192) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for n more bytes, keeping what has been written. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new P9EncodeError(EINVAL, `u64 out of range: ${v}`);
    this.ensure(8);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.buf.writeUInt32LE(Math.floor(v / TWO32), this.pos + 4);
    this.pos += 8;
  }

  i64(v: number): void {
    if (!Number.isSafeInteger(v)) throw new P9EncodeError(EINVAL, `i64 out of range: ${v}`);
    this.ensure(8);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.buf.writeInt32LE(Math.floor(v / TWO32), this.pos + 4);
    this.pos += 8;
  }

  b64(v: bigint): void {
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new P9EncodeError(EINVAL, `u64 out of range: ${v}`);
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
  }

  str(s: string): void {
    // Byte strings: one char is one byte (see str() on the reading side).
    this.ensure(2 + s.length);
    const n = this.buf.write(s, this.pos + 2, 'latin1');
    if (n > 0xffff) throw new P9EncodeError(ENAMETOOLONG, `string of ${n} bytes exceeds 65535`);
    this.buf.writeUInt16LE(n, this.pos);
    this.pos += 2 + n;
  }

  strs(list: readonly string[]): void {
    if (list.length > 0xffff) throw new P9EncodeError(EINVAL, 'too many strings');
    this.u16(list.length);
    for (const s of list) this.str(s);
  }

  qid(q: Qid): void {
    this.u8(q.type);
    this.u32(q.version);
    this.b64(q.path);
  }

  qids(list: readonly Qid[]): void {
    if (list.length > 0xffff) throw new P9EncodeError(EINVAL, 'too many qids');
    this.u16(list.length);
    for (const q of list) this.qid(q);
  }

  data(d: Uint8Array): void {
    this.u32(d.byteLength);
    this.ensure(d.byteLength);
    this.buf.set(d, this.pos);
    this.pos += d.byteLength;
  }

  dirents(list: readonly Dirent[]): void {
    const countAt = this.pos;
    this.u32(0);
    for (const e of list) {
      this.qid(e.qid);
      this.b64(e.offset);
      this.u8(e.type);
      this.str(e.name);
    }
    this.buf.writeUInt32LE(this.pos - countAt - 4, countAt);
  }
}
