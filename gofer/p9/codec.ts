// Encoding and decoding of whole 9P2000.L messages, driven by the BODIES
// table in messages.ts.
//
// decodeMessage never throws: malformed input comes back as
// { ok: false, errno, tag } so a server can answer Rlerror with the tag the
// peer is waiting on. Payloads (Rread, Twrite data) are views into the input.
// Encoding throws P9EncodeError only for values the protocol cannot carry
// (a string over 65535 bytes, a u32 out of range), which are the caller's bug
// or the caller's input to reject; P9Client turns it into an errno.

import { EINVAL, EOPNOTSUPP, EPROTO } from './errno.js';
import {
  BODIES, HEADER_SIZE, MsgType, NOTAG, isKnownType, typeName,
  type FieldSpec, type P9Message, type Dirent, type Qid,
} from './messages.js';
import { P9EncodeError, WireReader, WireWriter } from './wire.js';

export type DecodeResult =
  | { ok: true; msg: P9Message }
  /** tag is NOTAG when the header itself could not be read; type is -1 then. */
  | { ok: false; errno: number; tag: number; type: number };

/** The fields of size[4] type[1] tag[2], or null if fewer than 7 bytes. */
export function readHeader(bytes: Uint8Array): { size: number; type: number; tag: number } | null {
  if (bytes.byteLength < HEADER_SIZE) return null;
  const size = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
  return { size, type: bytes[4], tag: bytes[5] | (bytes[6] << 8) };
}

function readField(r: WireReader, kind: FieldSpec[1]): unknown {
  switch (kind) {
    case 'u8': return r.u8();
    case 'u16': return r.u16();
    case 'u32': return r.u32();
    case 'u64': return r.u64();
    case 'i64': return r.i64();
    case 'b64': return r.b64();
    case 'str': return r.str();
    case 'strs': return r.strs();
    case 'qid': return r.qid();
    case 'qids': return r.qids();
    case 'data': return r.data();
    case 'dirents': return r.dirents();
  }
}

/**
 * Decodes one complete message (exactly `size` bytes). The result may hold
 * views into `bytes`: copy what must outlive the buffer.
 */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  const header = readHeader(bytes);
  if (header === null) return { ok: false, errno: EPROTO, tag: NOTAG, type: -1 };
  const { size, type, tag } = header;
  if (size !== bytes.byteLength) return { ok: false, errno: EPROTO, tag, type };
  if (!isKnownType(type)) return { ok: false, errno: EOPNOTSUPP, tag, type };
  const fields: readonly FieldSpec[] = BODIES[type];
  const msg: Record<string, unknown> = { type, tag };
  const r = new WireReader(bytes, HEADER_SIZE);
  try {
    for (const [name, kind] of fields) msg[name] = readField(r, kind);
  } catch {
    // The reader's MALFORMED sentinel, or anything else the input provoked:
    // either way the peer gets EINVAL and nothing escapes this module.
    return { ok: false, errno: EINVAL, tag, type };
  }
  if (r.remaining !== 0) return { ok: false, errno: EINVAL, tag, type };
  return { ok: true, msg: msg as P9Message };
}

function checkUint(v: unknown, max: number, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new P9EncodeError(EINVAL, `${name}: ${String(v)} is not an integer in [0, ${max}]`);
  }
  return v;
}

function writeField(w: WireWriter, name: string, kind: FieldSpec[1], v: unknown): void {
  switch (kind) {
    case 'u8': w.u8(checkUint(v, 0xff, name)); return;
    case 'u16': w.u16(checkUint(v, 0xffff, name)); return;
    case 'u32': w.u32(checkUint(v, 0xffffffff, name)); return;
    case 'u64': w.u64(v as number); return;
    case 'i64': w.i64(v as number); return;
    case 'b64': w.b64(v as bigint); return;
    case 'str': w.str(v as string); return;
    case 'strs': w.strs(v as string[]); return;
    case 'qid': w.qid(v as Qid); return;
    case 'qids': w.qids(v as Qid[]); return;
    case 'data': w.data(v as Uint8Array); return;
    case 'dirents': w.dirents(v as Dirent[]); return;
  }
}

/**
 * Encodes messages into one reusable buffer. Each returned view is valid
 * until the writer's next call; send it before encoding the next message.
 */
export class MessageWriter {
  private readonly w: WireWriter;

  constructor(initialSize = 8192) {
    this.w = new WireWriter(initialSize);
  }

  encode(msg: P9Message): Uint8Array {
    const w = this.w;
    if (!isKnownType(msg.type)) throw new P9EncodeError(EINVAL, `unknown message type ${String(msg.type)}`);
    w.pos = 0;
    w.u32(0);
    w.u8(msg.type);
    w.u16(checkUint(msg.tag, 0xffff, 'tag'));
    const fields: readonly FieldSpec[] = BODIES[msg.type];
    const values = msg as unknown as Record<string, unknown>;
    try {
      for (const [name, kind] of fields) writeField(w, name, kind, values[name]);
    } catch (e) {
      if (e instanceof P9EncodeError) throw e;
      throw new P9EncodeError(EINVAL, `${typeName(msg.type)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return this.finish();
  }

  /** Rlerror without building a message object (the server's error path). */
  encodeRlerror(tag: number, ecode: number): Uint8Array {
    const w = this.w;
    w.pos = 0;
    w.u32(0);
    w.u8(MsgType.Rlerror);
    w.u16(tag & 0xffff);
    w.u32(ecode >>> 0);
    return this.finish();
  }

  /**
   * Starts an Rread whose payload the caller fills in place (e.g. pread
   * straight into it): returns the view for up to `count` bytes. Finish
   * with finishRread.
   */
  reserveRread(count: number): Uint8Array {
    const w = this.w;
    w.pos = 0;
    w.ensure(HEADER_SIZE + 4 + count);
    return w.buf.subarray(HEADER_SIZE + 4, HEADER_SIZE + 4 + count);
  }

  /** Completes the Rread begun by reserveRread with `n` bytes of payload. */
  finishRread(tag: number, n: number): Uint8Array {
    const w = this.w;
    w.pos = 0;
    w.u32(0);
    w.u8(MsgType.Rread);
    w.u16(tag & 0xffff);
    w.u32(n);
    w.pos += n;
    return this.finish();
  }

  private finish(): Uint8Array {
    const w = this.w;
    w.buf.writeUInt32LE(w.pos, 0);
    return w.buf.subarray(0, w.pos);
  }
}

const sharedWriter = new MessageWriter();

/** Encodes into a fresh buffer the caller owns (tests, rare paths). */
export function encodeMessage(msg: P9Message): Uint8Array {
  return Uint8Array.from(sharedWriter.encode(msg));
}
