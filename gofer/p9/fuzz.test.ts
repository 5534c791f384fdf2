// Fuzzing P9Server.handle with random and mutated messages: well-formed
// requests with hostile values, then bit flips, truncations, extensions,
// size and string length fields that lie, type and tag swaps, splices and
// plain garbage. Every reply must be one well-formed message (Rlerror or the
// request's R-type) with the request's tag, within msize; handle() must
// never throw; and once a session ends (Tversion clunks every fid, close()
// the rest) the server must hold no fid and no host fd.
//
// Seeded and bounded in time: GOFER_FUZZ_SEED replays a run (the seed is
// printed in every failure), GOFER_FUZZ_MS sets the budget (default 3 s).

import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, readHeader } from './codec.js';
import {
  BODIES, HEADER_SIZE, MsgType, NOFID, NOTAG, isRequestType, typeName, type FieldSpec, type P9Message,
} from './messages.js';
import { P9Server } from './server.js';

const SEED = Number(process.env.GOFER_FUZZ_SEED ?? (Date.now() % 0x7fffffff));
const BUDGET_MS = Number(process.env.GOFER_FUZZ_MS ?? 3000);
const MIN_MESSAGES = 3000;
const SESSION_LENGTH = 400;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(private readonly rand: () => number) {}

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  u32(): number {
    return this.chance(0.5) ? this.pick([0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]) : this.int(2 ** 32);
  }

  /** Mostly the few fids a session really has, so requests reach the handlers. */
  fid(): number {
    return this.chance(0.85) ? this.int(this.chance(0.6) ? 4 : 8) : this.pick([NOFID, this.u32()]);
  }

  name(): string {
    if (this.chance(0.4)) return this.pick(['hello.txt', 'sub', 'link', `new-${this.int(4)}`]);
    if (this.chance(0.3)) return Buffer.from(this.bytes(this.int(20))).toString('latin1');
    return this.pick([
      'hello.txt', 'sub', 'inner.txt', 'link', 'dangling', 'fifo', `new-${this.int(8)}`, `new-${this.int(8)}`,
      '..', '.', '', '/', 'a/b', '../x', 'x\0y', 'x'.repeat(255), 'y'.repeat(256), 'z'.repeat(3000), 'user.a',
      'trusted.overlay', 'security.capability', '/proc/self/root',
    ]);
  }

  value(name: string, kind: FieldSpec[1]): unknown {
    const int64 = () => this.pick([0, 1, 4095, 4096, 2 ** 31, 2 ** 32, 2 ** 53 - 1, this.int(1 << 20)]);
    switch (kind) {
      case 'u8': return this.int(256);
      case 'u16': return this.chance(0.5) ? this.int(8) : this.int(65536);
      case 'u32':
        if (/fid$/.test(name)) return this.fid();
        if (name === 'msize') return this.pick([0, 7, 100, 8192, 65536, (1 << 20) + 24, 0xffffffff]);
        if (name === 'count') return this.pick([0, 1, 24, 4096, 1 << 20, 0xffffffff]);
        if (name === 'mode') return this.pick([0o644, 0o755, 0o4755, 0o10644, 0o20644, 0o60644, 0o140644, 0o170777, this.u32()]);
        if (name === 'flags') return this.pick([0, 0, 0, 1, 2, 0o1000, 0o2000, 0o200000, 0o10000000, 0x200, this.u32()]);
        return this.u32();
      case 'u64': return int64();
      case 'i64': return this.chance(0.5) ? -int64() : int64();
      case 'b64': return this.pick([0n, 1n, 0x3fffn, (1n << 63n) - 1n, (1n << 64n) - 1n, BigInt(this.int(2 ** 32))]);
      case 'str':
        if (name === 'version') return this.pick(['9P2000.L', '9P2000', '9P2000.u', '', '9P2000.L.extra', '9P2000.L.fd']);
        return this.name();
      case 'strs': return Array.from({ length: this.pick([0, 1, 2, 3, 16, 17, 40]) }, () => this.name());
      case 'data': return this.bytes(this.pick([0, 1, 100, 9000]));
      case 'qid': return { type: this.int(256), version: this.u32(), path: BigInt(this.u32()) };
      case 'qids': return [];
      case 'dirents': return [];
    }
  }
}

const TYPES = Object.keys(BODIES).map(Number);
const T_TYPES = TYPES.filter(isRequestType);

/** A request (or, now and then, a reply) with field values chosen to hurt. */
function randomMessage(g: Gen): Uint8Array {
  for (;;) {
    const type = g.chance(0.95) ? g.pick(T_TYPES) : g.pick(TYPES);
    const msg: Record<string, unknown> = { type, tag: g.chance(0.1) ? NOTAG : g.int(64) };
    for (const [name, kind] of BODIES[type as keyof typeof BODIES] as readonly FieldSpec[]) msg[name] = g.value(name, kind);
    try {
      return Uint8Array.from(encodeMessage(msg as P9Message));
    } catch {
      // A value the protocol cannot carry (a string over 64 KiB): draw again.
    }
  }
}

function setSize(b: Uint8Array, size: number): Uint8Array {
  if (b.byteLength >= 4) new DataView(b.buffer, b.byteOffset).setUint32(0, size >>> 0, true);
  return b;
}

/** One of the mutations that break a frame in the ways peers (or attackers) do. */
function mutate(g: Gen, input: Uint8Array, other: Uint8Array): Uint8Array {
  let b = Uint8Array.from(input);
  switch (g.int(9)) {
    case 0: { // bit flips, mostly in the header and the first fields
      for (let n = 1 + g.int(8); n > 0; n--) {
        const at = g.chance(0.5) ? g.int(Math.min(b.byteLength, 24)) : g.int(b.byteLength);
        b[at] ^= 1 << g.int(8);
      }
      return b;
    }
    case 1: { // truncation, the size field fixed up or not
      b = b.subarray(0, g.int(b.byteLength));
      return g.chance(0.5) ? setSize(Uint8Array.from(b), b.byteLength) : Uint8Array.from(b);
    }
    case 2: { // trailing bytes
      const out = new Uint8Array(b.byteLength + 1 + g.int(40));
      out.set(b);
      out.set(g.bytes(out.byteLength - b.byteLength), b.byteLength);
      return g.chance(0.5) ? setSize(out, out.byteLength) : out;
    }
    case 3: // the size field lies
      return setSize(b, g.pick([0, 1, 6, 7, b.byteLength - 1, b.byteLength + 1, 0xffffffff, g.u32()]));
    case 4: { // a string or count field lies: overwrite a u16 or u32 somewhere in the body
      if (b.byteLength <= HEADER_SIZE + 2) return b;
      const at = HEADER_SIZE + g.int(b.byteLength - HEADER_SIZE - 1);
      const v = new DataView(b.buffer, b.byteOffset);
      if (g.chance(0.5) || at + 4 > b.byteLength) v.setUint16(at, g.pick([0, 1, 0xff, 0xffff, g.int(65536)]), true);
      else v.setUint32(at, g.u32(), true);
      return b;
    }
    case 5: // the type swapped: another request's body, a reply, or an unknown type
      if (b.byteLength > 4) b[4] = g.chance(0.7) ? g.pick(TYPES) : g.int(256);
      return b;
    case 6: // another tag, NOTAG included
      if (b.byteLength > 6) new DataView(b.buffer, b.byteOffset).setUint16(5, g.pick([NOTAG, 0, g.int(65536)]), true);
      return b;
    case 7: { // splice: the head of one message on the tail of another
      const cut = g.int(b.byteLength + 1);
      const out = new Uint8Array(cut + other.byteLength - Math.min(cut, other.byteLength));
      out.set(b.subarray(0, cut));
      out.set(other.subarray(Math.min(cut, other.byteLength)), cut);
      return g.chance(0.5) ? setSize(out, out.byteLength) : out;
    }
    default: { // garbage, with a plausible header half the time
      const out = g.bytes(g.int(80));
      if (g.chance(0.5) && out.byteLength >= 7) {
        setSize(out, out.byteLength);
        out[4] = g.pick(TYPES);
      }
      return out;
    }
  }
}

/** The checks every reply must pass; returns a description of what is wrong, or null. */
function checkReply(request: Uint8Array, reply: Uint8Array, msize: number): string | null {
  const copy = Uint8Array.from(reply);
  const d = decodeMessage(copy);
  if (!d.ok) return `reply does not decode (errno ${d.errno}): ${Buffer.from(copy.subarray(0, 32)).toString('hex')}`;
  if (copy.byteLength > msize) return `reply of ${copy.byteLength} bytes exceeds msize ${msize}`;
  const h = readHeader(request);
  const wantTag = h === null ? NOTAG : h.tag;
  if (d.msg.tag !== wantTag) return `reply tag ${d.msg.tag}, request tag ${wantTag}`;
  if (d.msg.type === MsgType.Rlerror) {
    if (d.msg.ecode <= 0 || d.msg.ecode > 4095) return `Rlerror with errno ${d.msg.ecode}`;
    return null;
  }
  const req = decodeMessage(request);
  if (!req.ok) return `${typeName(d.msg.type)} answers a request that does not decode`;
  if (d.msg.type !== req.msg.type + 1) return `${typeName(d.msg.type)} answers ${typeName(req.msg.type)}`;
  return null;
}

let base: string;

function makeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'hello.txt'), 'hello\n');
  writeFileSync(join(dir, 'sub', 'inner.txt'), 'inner\n');
  symlinkSync('../../outside', join(dir, 'link'));
  symlinkSync('/nonexistent/x', join(dir, 'dangling'));
}

const openFds = () => readdirSync('/proc/self/fd').length;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'gofer-fuzz-'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('P9Server under fuzzing', () => {
  it(`answers every random or mutated message with one well-formed reply (seed ${SEED})`, () => {
    const g = new Gen(prng(SEED));
    const start = Date.now();
    const stats = { messages: 0, sessions: 0, rlerror: 0, ok: 0 };
    const answered = new Set<string>();
    const fail = (what: string, request?: Uint8Array): never => {
      const hex = request ? ` request ${Buffer.from(request.subarray(0, 64)).toString('hex')}` : '';
      throw new Error(`fuzz failure with GOFER_FUZZ_SEED=${SEED} after ${stats.messages} messages: ${what}${hex}`);
    };
    const fdsAtStart = openFds();
    let previous = randomMessage(g);
    while (stats.messages < MIN_MESSAGES || Date.now() - start < BUDGET_MS) {
      const readonly = stats.sessions % 3 === 2;
      const dir = join(base, `tree-${stats.sessions % 2}`);
      makeTree(dir);
      // donateFds: the fd-donation extension (Tlopenfd, Tlcreatefd) is fuzzed too, in the sessions that ask for it.
      const server = new P9Server({ root: dir, readonly, donateFds: true });
      const fdsWithServer = openFds();
      stats.sessions++;
      // A proper start most of the time, so later requests reach real fids.
      if (g.chance(0.9)) {
        const version = g.chance(0.5) ? '9P2000.L.fd' : '9P2000.L';
        server.handle(encodeMessage({ type: MsgType.Tversion, tag: NOTAG, msize: 65536, version }));
        server.handle(encodeMessage({ type: MsgType.Tattach, tag: 1, fid: 0, afid: NOFID, uname: 'root', aname: '', nUname: 0 }));
        server.handle(encodeMessage({ type: MsgType.Twalk, tag: 1, fid: 0, newfid: 1, names: ['sub'] }));
        server.handle(encodeMessage({ type: MsgType.Twalk, tag: 1, fid: 0, newfid: 2, names: ['hello.txt'] }));
        server.handle(encodeMessage({ type: MsgType.Tlopen, tag: 1, fid: 2, flags: readonly ? 0 : 2 }));
        server.handle(encodeMessage({ type: MsgType.Twalk, tag: 1, fid: 0, newfid: 3, names: ['link'] }));
        server.handle(encodeMessage({ type: MsgType.Twalk, tag: 1, fid: 0, newfid: 4, names: ['hello.txt'] }));
        server.handle(encodeMessage({ type: MsgType.Tlopenfd, tag: 1, fid: 4, newfid: 5, flags: 0 }));
      }
      for (let i = 0; i < SESSION_LENGTH; i++) {
        const fresh = randomMessage(g);
        const request = g.chance(0.4) ? fresh : mutate(g, fresh, previous);
        previous = fresh;
        let reply: Uint8Array;
        try {
          reply = server.handle(request);
        } catch (e) {
          fail(`handle() threw ${String(e)}`, request);
        }
        const bad = checkReply(request, reply, Math.max(server.msize, 64));
        if (bad !== null) fail(bad, request);
        // An fd goes only with a successful Rlopenfd or Rlcreatefd.
        if (server.replyFd >= 0 && reply[4] !== MsgType.Rlopenfd && reply[4] !== MsgType.Rlcreatefd) fail(`fd ${server.replyFd} with ${typeName(reply[4])}`, request);
        if (reply[4] === MsgType.Rlerror) stats.rlerror++; else { stats.ok++; answered.add(typeName(reply[4])); }
        stats.messages++;
      }
      // Tversion ends the session: every fid goes, and with them every host
      // fd but the root's and /proc/self/fd's (held since the constructor).
      const v = server.handle(encodeMessage({ type: MsgType.Tversion, tag: NOTAG, msize: 65536, version: '9P2000.L' }));
      if (decodeMessage(Uint8Array.from(v)).ok !== true) fail('Tversion after fuzzing did not get a reply');
      if (server.fidCount !== 0) fail(`${server.fidCount} fids left after Tversion`);
      if (openFds() !== fdsWithServer) fail(`${openFds() - fdsWithServer} host fds leaked by the session`);
      server.close();
      if (openFds() !== fdsAtStart) fail(`${openFds() - fdsAtStart} host fds left after close()`);
    }
    console.log(`gofer fuzz: seed ${SEED}, ${stats.messages} messages in ${stats.sessions} sessions, ` +
      `${Date.now() - start} ms, ${stats.ok} R-messages, ${stats.rlerror} Rlerror; ` +
      `never answered with success: ${T_TYPES.map((t) => typeName(t + 1)).filter((n) => !answered.has(n)).join(' ') || 'none'}`);
    expect(stats.ok).toBeGreaterThan(0);
    expect(stats.rlerror).toBeGreaterThan(0);
  }, 60_000);
});
