import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, MessageWriter, readHeader } from './codec.js';
import { EINVAL, EOPNOTSUPP, EPROTO } from './errno.js';
import { BODIES, MsgType, NOTAG, QTDIR, QTFILE, QTSYMLINK, typeName, type P9Message, type Qid } from './messages.js';
import { P9EncodeError } from './wire.js';

const qid = (path: bigint, type = QTFILE): Qid => ({ type, version: 7, path });
const bytes = (s: string) => new TextEncoder().encode(s);

/** One representative of every message type, with edge values where they matter. */
const SAMPLES: P9Message[] = [
  { type: MsgType.Rlerror, tag: 1, ecode: 2 },
  { type: MsgType.Tstatfs, tag: 2, fid: 3 },
  {
    type: MsgType.Rstatfs, tag: 2, fsType: 0x01021994, bsize: 4096, blocks: 2 ** 40, bfree: 5, bavail: 4,
    files: 1000, ffree: 999, fsid: 0xdead_beef_0000_0001n, namelen: 255,
  },
  { type: MsgType.Tlopen, tag: 3, fid: 4, flags: 0o2 },
  { type: MsgType.Rlopen, tag: 3, qid: qid(9n), iounit: 1 << 20 },
  { type: MsgType.Tlcreate, tag: 4, fid: 5, name: Buffer.from('new file ✓ \xff', 'utf8').toString('latin1') /* names are byte strings */, flags: 0o101, mode: 0o644, gid: 1000 },
  { type: MsgType.Rlcreate, tag: 4, qid: qid(10n), iounit: 0 },
  { type: MsgType.Tsymlink, tag: 5, dfid: 6, name: 'lnk', target: '/etc/passwd', gid: 0 },
  { type: MsgType.Rsymlink, tag: 5, qid: qid(11n, QTSYMLINK) },
  { type: MsgType.Tmknod, tag: 6, dfid: 7, name: 'fifo', mode: 0o10644, major: 0, minor: 0, gid: 5 },
  { type: MsgType.Rmknod, tag: 6, qid: qid(12n) },
  { type: MsgType.Trename, tag: 7, fid: 8, dfid: 9, name: 'renamed' },
  { type: MsgType.Rrename, tag: 7 },
  { type: MsgType.Treadlink, tag: 8, fid: 10 },
  { type: MsgType.Rreadlink, tag: 8, target: '../x/y' },
  { type: MsgType.Tgetattr, tag: 9, fid: 11, requestMask: 0x3fffn },
  {
    type: MsgType.Rgetattr, tag: 9, valid: 0x7ffn, qid: qid(13n, QTDIR), mode: 0o40755, uid: 1000, gid: 1000,
    nlink: 3, rdev: 0xffff_ffff_ffff_ffffn, size: 2 ** 53 - 1, blksize: 4096, blocks: 8,
    atimeSec: -1, atimeNsec: 999_999_999, mtimeSec: 1_700_000_000, mtimeNsec: 1, ctimeSec: 0, ctimeNsec: 0,
    btimeSec: -(2 ** 40), btimeNsec: 0, gen: 0n, dataVersion: 42n,
  },
  {
    type: MsgType.Tsetattr, tag: 10, fid: 12, valid: 0x1ff, mode: 0o600, uid: 0xffffffff, gid: 7, size: 12345,
    atimeSec: 1, atimeNsec: 2, mtimeSec: -3, mtimeNsec: 4,
  },
  { type: MsgType.Rsetattr, tag: 10 },
  { type: MsgType.Txattrwalk, tag: 11, fid: 13, newfid: 14, name: 'user.comment' },
  { type: MsgType.Rxattrwalk, tag: 11, size: 17 },
  { type: MsgType.Txattrcreate, tag: 12, fid: 14, name: 'user.x', attrSize: 3, flags: 1 },
  { type: MsgType.Rxattrcreate, tag: 12 },
  { type: MsgType.Treaddir, tag: 13, fid: 15, offset: 0xffff_ffff_ffff_fff0n, count: 8192 },
  {
    type: MsgType.Rreaddir, tag: 13, entries: [
      { qid: qid(1n), offset: 1n, type: 8, name: 'a' },
      { qid: qid(2n, QTDIR), offset: 0x7fff_ffff_ffff_ffffn, type: 4, name: 'dir with space' },
    ],
  },
  { type: MsgType.Rreaddir, tag: 13, entries: [] },
  { type: MsgType.Tfsync, tag: 14, fid: 16, datasync: 1 },
  { type: MsgType.Rfsync, tag: 14 },
  { type: MsgType.Tlock, tag: 15, fid: 17, lockType: 1, flags: 1, start: 0n, length: 0n, procId: 123, clientId: 'host' },
  { type: MsgType.Rlock, tag: 15, status: 0 },
  { type: MsgType.Tgetlock, tag: 16, fid: 18, lockType: 0, start: 10n, length: 20n, procId: 9, clientId: '' },
  { type: MsgType.Rgetlock, tag: 16, lockType: 2, start: 10n, length: 20n, procId: 9, clientId: 'c' },
  { type: MsgType.Tlink, tag: 17, dfid: 19, fid: 20, name: 'hard' },
  { type: MsgType.Rlink, tag: 17 },
  { type: MsgType.Tmkdir, tag: 18, dfid: 21, name: 'd', mode: 0o755, gid: 0 },
  { type: MsgType.Rmkdir, tag: 18, qid: qid(14n, QTDIR) },
  { type: MsgType.Trenameat, tag: 19, olddfid: 22, oldname: 'a', newdfid: 23, newname: 'b' },
  { type: MsgType.Rrenameat, tag: 19 },
  { type: MsgType.Tunlinkat, tag: 20, dfid: 24, name: 'gone', flags: 0x200 },
  { type: MsgType.Runlinkat, tag: 20 },
  { type: MsgType.Tversion, tag: NOTAG, msize: (1 << 20) + 24, version: '9P2000.L' },
  { type: MsgType.Rversion, tag: NOTAG, msize: 8192, version: '9P2000.L' },
  { type: MsgType.Tauth, tag: 21, afid: 25, uname: 'root', aname: '', nUname: 0 },
  { type: MsgType.Rauth, tag: 21, aqid: qid(15n) },
  { type: MsgType.Tattach, tag: 22, fid: 0, afid: 0xffffffff, uname: 'root', aname: '/', nUname: 0 },
  { type: MsgType.Rattach, tag: 22, qid: qid(2n, QTDIR) },
  { type: MsgType.Tflush, tag: 23, oldtag: 22 },
  { type: MsgType.Rflush, tag: 23 },
  { type: MsgType.Twalk, tag: 24, fid: 0, newfid: 1, names: ['usr', 'lib', 'libc.so.6'] },
  { type: MsgType.Twalk, tag: 24, fid: 0, newfid: 1, names: [] },
  { type: MsgType.Rwalk, tag: 24, qids: [qid(3n, QTDIR), qid(4n, QTDIR), qid(5n)] },
  { type: MsgType.Tread, tag: 25, fid: 1, offset: 2 ** 40, count: 4096 },
  { type: MsgType.Rread, tag: 25, data: bytes('some file contents') },
  { type: MsgType.Rread, tag: 25, data: new Uint8Array(0) },
  { type: MsgType.Twrite, tag: 26, fid: 1, offset: 0, data: bytes('written') },
  { type: MsgType.Rwrite, tag: 26, count: 7 },
  { type: MsgType.Tclunk, tag: 27, fid: 1 },
  { type: MsgType.Rclunk, tag: 27 },
  { type: MsgType.Tremove, tag: 28, fid: 2 },
  { type: MsgType.Rremove, tag: 28 },
  // The fd-donation extension: the bodies of Tlopen/Rlopen and Tlcreate/Rlcreate (the fd travels beside the bytes).
  { type: MsgType.Tlopenfd, tag: 29, fid: 3, newfid: 9, flags: 2 },
  { type: MsgType.Rlopenfd, tag: 29, qid: qid(16n), iounit: 0 },
  { type: MsgType.Tlcreatefd, tag: 30, fid: 4, name: 'new', flags: 0o1, mode: 0o644, gid: 0 },
  { type: MsgType.Rlcreatefd, tag: 30, qid: qid(17n), iounit: 8168 },
  // Twalkgetattr: Twalk's body; Rwalkgetattr: Rwalk's, then Rgetattr's.
  { type: MsgType.Twalkgetattr, tag: 31, fid: 5, newfid: 6, names: ['bin'] },
  {
    type: MsgType.Rwalkgetattr, tag: 31, qids: [qid(18n, QTSYMLINK)], valid: 0x7ffn, qid: qid(18n, QTSYMLINK), mode: 0o120777,
    uid: 0, gid: 0, nlink: 1, rdev: 0n, size: 7, blksize: 4096, blocks: 0, atimeSec: 1, atimeNsec: 2, mtimeSec: 3,
    mtimeNsec: 4, ctimeSec: 5, ctimeNsec: 6, btimeSec: 0, btimeNsec: 0, gen: 0n, dataVersion: 0n,
  },
];

describe('codec round trip', () => {
  it('has a sample for every message type', () => {
    const covered = new Set(SAMPLES.map((m) => m.type));
    const missing = Object.keys(BODIES).map(Number).filter((t) => !covered.has(t as P9Message['type']));
    expect(missing.map(typeName)).toEqual([]);
  });

  for (const [i, sample] of SAMPLES.entries()) {
    it(`${typeName(sample.type)} #${i}`, () => {
      const wire = encodeMessage(sample);
      const header = readHeader(wire);
      expect(header).toEqual({ size: wire.byteLength, type: sample.type, tag: sample.tag });
      const d = decodeMessage(wire);
      if (!d.ok) throw new Error(`${typeName(sample.type)}: decode failed with errno ${d.errno}`);
      expect(d.msg).toEqual(sample);
      // Re-encoding what was decoded gives the same bytes.
      expect(encodeMessage(d.msg)).toEqual(wire);
    });
  }

  it('decodes payloads as views, not copies', () => {
    const wire = encodeMessage({ type: MsgType.Twrite, tag: 1, fid: 1, offset: 0, data: bytes('abc') });
    const d = decodeMessage(wire);
    if (!d.ok || d.msg.type !== MsgType.Twrite) throw new Error('decode failed');
    expect(d.msg.data.buffer).toBe(wire.buffer);
  });

  it('builds an Rread in place', () => {
    const w = new MessageWriter(16);
    const into = w.reserveRread(100);
    into.set(bytes('xyz'));
    const wire = w.finishRread(9, 3);
    const d = decodeMessage(wire);
    if (!d.ok || d.msg.type !== MsgType.Rread) throw new Error('decode failed');
    expect(d.msg.tag).toBe(9);
    expect(Uint8Array.from(d.msg.data)).toEqual(bytes('xyz'));
  });
});

describe('codec on malformed input', () => {
  for (const [i, sample] of SAMPLES.entries()) {
    it(`${typeName(sample.type)} #${i}: every truncation is an error, never a throw`, () => {
      const wire = encodeMessage(sample);
      for (let len = 0; len < wire.byteLength; len++) {
        const cut = Uint8Array.from(wire.subarray(0, len));
        // With the size field fixed up, the body itself is short.
        if (len >= 4) new DataView(cut.buffer).setUint32(0, len, true);
        const d = decodeMessage(cut);
        expect(d.ok, `length ${len}`).toBe(false);
        if (!d.ok) expect([EPROTO, EINVAL]).toContain(d.errno);
      }
    });
  }

  const cases: { name: string; wire: () => Uint8Array; errno: number; tag?: number }[] = [
    { name: 'empty', wire: () => new Uint8Array(0), errno: EPROTO, tag: NOTAG },
    { name: 'size larger than the bytes', wire: () => withSize(encodeMessage(SAMPLES[1]), 999), errno: EPROTO, tag: 2 },
    { name: 'size smaller than the bytes', wire: () => withSize(encodeMessage(SAMPLES[1]), 8), errno: EPROTO, tag: 2 },
    { name: 'unknown type', wire: () => raw(250, 5, []), errno: EOPNOTSUPP, tag: 5 },
    { name: 'Tlopenfd without its body', wire: () => raw(MsgType.Tlopenfd, 6, []), errno: EINVAL, tag: 6 },
    { name: 'Tlcreatefd with trailing bytes', wire: () => raw(MsgType.Tlcreatefd, 7, [...encodeMessage({ type: MsgType.Tlcreatefd, tag: 7, fid: 1, name: 'x', flags: 1, mode: 0o600, gid: 0 }).subarray(7), 0]), errno: EINVAL, tag: 7 },
    { name: 'Tlerror is not a message', wire: () => raw(6, 5, [0, 0, 0, 0]), errno: EOPNOTSUPP, tag: 5 },
    { name: 'trailing bytes', wire: () => raw(MsgType.Tclunk, 3, [1, 0, 0, 0, 99]), errno: EINVAL, tag: 3 },
    {
      name: 'u64 offset above 2^53',
      wire: () => raw(MsgType.Tread, 4, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 16, 0, 0]),
      errno: EINVAL, tag: 4,
    },
    {
      name: 'string longer than the message',
      wire: () => raw(MsgType.Rreadlink, 4, [0xff, 0xff, 0x41]),
      errno: EINVAL, tag: 4,
    },
    {
      name: 'walk with 65535 names and no bytes for them',
      wire: () => raw(MsgType.Twalk, 4, [0, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
      errno: EINVAL, tag: 4,
    },
    {
      name: 'data count beyond the message',
      wire: () => raw(MsgType.Twrite, 4, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1]),
      errno: EINVAL, tag: 4,
    },
    {
      name: 'dirent cut inside an entry',
      wire: () => raw(MsgType.Rreaddir, 4, [5, 0, 0, 0, 0, 1, 2, 3, 4]),
      errno: EINVAL, tag: 4,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decodeMessage(c.wire());
      expect(d.ok).toBe(false);
      if (!d.ok) {
        expect(d.errno).toBe(c.errno);
        if (c.tag !== undefined) expect(d.tag).toBe(c.tag);
      }
    });
  }

  it('survives random garbage', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const len = 7 + (rand() % 60);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = rand();
      new DataView(b.buffer).setUint32(0, len, true);
      b[4] = Object.keys(BODIES).map(Number)[rand() % Object.keys(BODIES).length];
      expect(() => decodeMessage(b)).not.toThrow();
    }
  });
});

describe('codec encoding limits', () => {
  it('refuses a string over 65535 bytes with ENAMETOOLONG', () => {
    const m: P9Message = { type: MsgType.Rreadlink, tag: 1, target: 'x'.repeat(70000) };
    expect(() => encodeMessage(m)).toThrow(P9EncodeError);
  });

  it('refuses out-of-range integers', () => {
    expect(() => encodeMessage({ type: MsgType.Tclunk, tag: 1, fid: -1 })).toThrow(P9EncodeError);
    expect(() => encodeMessage({ type: MsgType.Tread, tag: 1, fid: 1, offset: 2 ** 53, count: 1 })).toThrow(P9EncodeError);
  });
});

function withSize(wire: Uint8Array, size: number): Uint8Array {
  const copy = Uint8Array.from(wire);
  new DataView(copy.buffer).setUint32(0, size, true);
  return copy;
}

function raw(type: number, tag: number, body: number[]): Uint8Array {
  const b = new Uint8Array(7 + body.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.byteLength, true);
  b[4] = type;
  v.setUint16(5, tag, true);
  b.set(body, 7);
  return b;
}
