// P9Server semantics, in process: the client talks to server.handle()
// directly, so every request/reply pair is exercised without sockets (the
// end-to-end test covers the socket path).

import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AT_FDCWD, AT_REMOVEDIR, fstat, getxattr, mknodat, O_DIRECTORY, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, openat, pread, pwrite,
  S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFCHR,
} from '../../host/fs.js';
import { closeFd, dupCloexec, getFileStatusFlags } from '../../host/socket.js';
import { P9Client, type Opened } from './client.js';
import { encodeMessage, decodeMessage } from './codec.js';
import {
  E2BIG, EBADF, EEXIST, EINVAL, EISDIR, ELOOP, EMSGSIZE, ENODATA, ENOENT, ENOTDIR, EOPNOTSUPP, EPERM, EPROTO, ERANGE, EROFS,
} from './errno.js';
import {
  MsgType, NOTAG, QTDIR, QTFILE, QTSYMLINK, SETATTR_MODE, SETATTR_SIZE, VERSION_9P2000_L_FD, XATTR_CREATE, XATTR_REPLACE, type Qid,
} from './messages.js';
import { P9Server, SERVER_MAX_MSIZE } from './server.js';
import { HELLO, INNER, makeFixture, SECRET, type Fixture } from './testdata/fixture.js';

let fx: Fixture;
beforeAll(() => {
  fx = makeFixture();
});
afterAll(() => fx.cleanup());

function connect(readonly: boolean): { client: P9Client; server: P9Server; root: number } {
  const server = new P9Server({ root: fx.root, readonly });
  const client = new P9Client({ call: (req) => server.handle(req) });
  expect(client.version()).toBeGreaterThan(0);
  const root = client.fids.alloc();
  const q = ok(client.attach(root, 'root', '', 0));
  expect(q.type).toBe(QTDIR);
  return { client, server, root };
}

/** Unwraps a result that must not be an errno. */
function ok<T>(r: T | number): T {
  if (typeof r === 'number' && r < 0) throw new Error(`unexpected errno ${-r}`);
  return r as T;
}

function walkTo(client: P9Client, root: number, names: string[]): number {
  const fid = client.fids.alloc();
  const qids = ok(client.walk(root, fid, names));
  expect(qids.length).toBe(names.length);
  return fid;
}

function readAll(client: P9Client, fid: number): string {
  let out = '';
  for (let off = 0; ; ) {
    const chunk = ok(client.read(fid, off, 5));
    if (chunk.byteLength === 0) return out;
    out += Buffer.from(chunk).toString();
    off += chunk.byteLength;
  }
}

function listDir(client: P9Client, fid: number, count = 8192): string[] {
  const names: string[] = [];
  let offset = 0n;
  for (;;) {
    const entries = ok(client.readdir(fid, offset, count));
    if (entries.length === 0) return names;
    for (const e of entries) names.push(e.name);
    offset = entries[entries.length - 1].offset;
  }
}

describe('P9Server reading a tree', () => {
  it('walks, stats, opens and reads a file', () => {
    const { client, root } = connect(true);
    const fid = client.fids.alloc();
    const qids = ok(client.walk(root, fid, ['sub', 'inner.txt']));
    expect(qids.map((q: Qid) => q.type)).toEqual([QTDIR, QTFILE]);
    const attr = ok(client.getattr(fid));
    expect(attr.mode & S_IFMT).toBe(S_IFREG);
    expect(attr.size).toBe(INNER.length);
    expect(attr.qid.path).toBe(BigInt(statSync(join(fx.root, 'sub', 'inner.txt')).ino));
    const opened: Opened = ok(client.lopen(fid, O_RDONLY));
    expect(opened.iounit).toBeGreaterThan(0);
    expect(readAll(client, fid)).toBe(INNER);
    const into = new Uint8Array(64);
    expect(client.read(fid, 6, 64, into)).toBe(INNER.length - 6);
    expect(Buffer.from(into.subarray(0, INNER.length - 6)).toString()).toBe(INNER.slice(6));
    expect(client.clunk(fid)).toBe(0);
  });

  it('lists a directory without . and .., across several small replies', () => {
    const { client, root } = connect(true);
    const dir = walkTo(client, root, ['sub']);
    ok(client.lopen(dir, O_RDONLY));
    const big = listDir(client, dir).sort();
    expect(big).toContain('inner.txt');
    expect(big).not.toContain('.');
    expect(big).not.toContain('..');
    expect(big.length).toBe(41);
    // 64 bytes hold two or three entries, so this pages through many replies.
    expect(listDir(client, dir, 64).sort()).toEqual(big);
    expect(client.readdir(dir, 0n, 10)).toBe(-EINVAL);
    const top = walkTo(client, root, []);
    ok(client.lopen(top, O_RDONLY));
    expect(listDir(client, top).sort()).toEqual(['dangling', 'escape', 'hello.txt', 'sub', 'up']);
  });

  it('refuses "..", ".", "" and names with "/" or NUL', () => {
    const { client, root, server } = connect(true);
    const before = server.fidCount;
    for (const bad of ['..', '.', '', 'sub/inner.txt', '../secret.txt', 'a\0b']) {
      expect(client.walk(root, 99, [bad]), JSON.stringify(bad)).toBe(-EINVAL);
    }
    // A bad name after a good one stops the walk there: newfid is not made.
    const qids = ok(client.walk(root, 99, ['sub', '..', 'hello.txt']));
    expect(qids.length).toBe(1);
    expect(client.getattr(99)).toBe(-EBADF);
    expect(server.fidCount).toBe(before);
  });

  it('returns symlinks as symlinks and never walks through them', () => {
    const { client, root } = connect(true);
    for (const [name, target] of [['escape', '/etc'], ['up', '../secret.txt']] as const) {
      const fid = client.fids.alloc();
      const qids = ok(client.walk(root, fid, [name]));
      expect(qids[0].type).toBe(QTSYMLINK);
      expect(ok(client.getattr(fid)).mode & S_IFMT).toBe(S_IFLNK);
      expect(client.readlink(fid)).toBe(target);
      expect(client.lopen(fid, O_RDONLY)).toBe(-ELOOP);
    }
    // Walking into the symlink is walking into a non-directory.
    const partial = ok(client.walk(root, 98, ['escape', 'passwd']));
    expect(partial.length).toBe(1);
    expect(client.readlink(walkTo(client, root, ['hello.txt']))).toBe(-EINVAL);
  });

  it('never reveals the file next to the root', () => {
    const { client, root } = connect(true);
    const seen: string[] = [];
    const dir = walkTo(client, root, []);
    ok(client.lopen(dir, O_RDONLY));
    seen.push(...listDir(client, dir));
    expect(seen).not.toContain('secret.txt');
    expect(client.walk(root, 97, ['secret.txt'])).toBe(-ENOENT);
    // Reading through "up" is impossible: it is a symlink node, not its target.
    const up = walkTo(client, root, ['up']);
    expect(client.lopen(up, O_RDONLY)).toBe(-ELOOP);
    expect(SECRET.length).toBeGreaterThan(0);
  });

  it('answers statfs, lock, getlock, flush and xattrwalk', () => {
    const { client, root } = connect(true);
    expect(ok(client.statfs(root)).namelen).toBeGreaterThan(0);
    expect(client.lock(root, { lockType: 1, flags: 0, start: 0n, length: 0n, procId: 1, clientId: 'x' })).toBe(0);
    expect(ok(client.getlock(root, { lockType: 1, start: 0n, length: 0n, procId: 1, clientId: 'x' })).lockType).toBe(2);
    expect(client.flush(5)).toBe(0);
    const x = client.fids.alloc();
    expect(client.xattrwalk(root, x, 'trusted.secret')).toBe(-ENODATA);
    expect(client.xattrwalk(root, x, '')).toBeGreaterThanOrEqual(0);
    expect(client.clunk(x)).toBe(0);
  });

  it('checks fids', () => {
    const { client, root } = connect(true);
    expect(client.getattr(12345)).toBe(-EBADF);
    expect(client.clunk(12345)).toBe(-EBADF);
    expect(client.attach(root, 'root', '', 0)).toBe(-EEXIST);
    const file = walkTo(client, root, ['hello.txt']);
    expect(client.read(file, 0, 10)).toBe(-EBADF);
    ok(client.lopen(file, O_RDONLY));
    expect(client.lopen(file, O_RDONLY)).toBe(-EBADF);
    expect(client.walk(root, file, ['sub'])).toBe(-EEXIST);
    const dev = client.mknod(root, 'x', S_IFCHR | 0o600, 1, 3, 0);
    expect(dev).toBe(-EROFS);
  });

  it('releases every host fd on clunk and close', () => {
    const { client, root, server } = connect(true);
    const fids = [walkTo(client, root, ['sub', 'inner.txt']), walkTo(client, root, ['hello.txt'])];
    ok(client.lopen(fids[1], O_RDONLY));
    for (const f of fids) expect(client.clunk(f)).toBe(0);
    expect(server.fidCount).toBe(1);
    server.close();
    expect(client.getattr(root)).toBe(-EBADF);
  });
});

describe('P9Server host fds', () => {
  it('leaves no host fd open once the server is closed, errors included', () => {
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    const { client, root, server } = connect(false);
    for (let i = 0; i < 3; i++) {
      const f = walkTo(client, root, ['sub', 'inner.txt']);
      ok(client.lopen(f, O_RDONLY));
      client.walk(root, client.fids.alloc(), ['sub', 'nonexistent']);
      client.walk(root, client.fids.alloc(), ['escape', 'passwd']);
      const d = walkTo(client, root, []);
      ok(client.lcreate(d, `leak-${i}`, O_RDWR, 0o600, 0));
      client.lcreate(walkTo(client, root, []), 'hello.txt', O_RDWR, 0o600, 0);
      const moved = walkTo(client, root, [`leak-${i}`]);
      ok(client.mkdir(root, `leakdir-${i}`, 0o700, 0));
      const into = walkTo(client, root, [`leakdir-${i}`]);
      expect(client.rename(moved, into, 'x')).toBe(0);
      client.xattrwalk(f, client.fids.alloc(), '');
      expect(client.remove(moved)).toBe(0);
      expect(client.unlinkat(root, `leakdir-${i}`, AT_REMOVEDIR)).toBe(0);
      expect(client.unlinkat(root, `leak-${i}`, 0)).toBe(-ENOENT);
    }
    expect(openFds()).toBeGreaterThan(before);
    client.version(); // Tversion clunks every fid
    expect(server.fidCount).toBe(0);
    server.close();
    expect(openFds()).toBe(before);
  });
});

describe('P9Server refusing requests', () => {
  it('answers malformed, unknown and oversized messages with Rlerror', () => {
    const server = new P9Server({ root: fx.root, readonly: true });
    const rlerror = (reply: Uint8Array) => {
      const d = decodeMessage(Uint8Array.from(reply));
      if (!d.ok || d.msg.type !== MsgType.Rlerror) throw new Error('expected Rlerror');
      return { tag: d.msg.tag, ecode: d.msg.ecode };
    };
    const attach = encodeMessage({ type: MsgType.Tattach, tag: 3, fid: 0, afid: 0xffffffff, uname: '', aname: '', nUname: 0 });
    expect(rlerror(server.handle(attach))).toEqual({ tag: 3, ecode: EPROTO }); // before Tversion
    server.handle(encodeMessage({ type: MsgType.Tversion, tag: NOTAG, msize: 8192, version: '9P2000.L' }));
    expect(server.msize).toBe(8192);
    expect(rlerror(server.handle(new Uint8Array([1, 2, 3])))).toEqual({ tag: NOTAG, ecode: EPROTO });
    expect(rlerror(server.handle(new Uint8Array([7, 0, 0, 0, 250, 9, 0])))).toEqual({ tag: 9, ecode: EOPNOTSUPP });
    const truncated = encodeMessage({ type: MsgType.Twalk, tag: 4, fid: 0, newfid: 1, names: ['abc'] }).subarray(0, 15);
    new DataView(truncated.buffer, truncated.byteOffset).setUint32(0, 15, true);
    expect(rlerror(server.handle(truncated))).toEqual({ tag: 4, ecode: EINVAL });
    const huge = encodeMessage({ type: MsgType.Twrite, tag: 5, fid: 0, offset: 0, data: new Uint8Array(9000) });
    expect(rlerror(server.handle(huge))).toEqual({ tag: 5, ecode: EMSGSIZE });
    // A reply sent to the server is a protocol error, not a request.
    expect(rlerror(server.handle(encodeMessage({ type: MsgType.Rclunk, tag: 6 })))).toEqual({ tag: 6, ecode: EPROTO });
    expect(rlerror(server.handle(encodeMessage({ type: MsgType.Tauth, tag: 7, afid: 1, uname: '', aname: '', nUname: 0 }))))
      .toEqual({ tag: 7, ecode: EOPNOTSUPP });
    server.close();
  });

  it('negotiates msize and rejects other dialects', () => {
    const server = new P9Server({ root: fx.root });
    const client = new P9Client({ call: (req) => server.handle(req) });
    expect(client.version(100)).toBe(-EPROTO);
    expect(client.version(1 << 30)).toBe(SERVER_MAX_MSIZE);
    const c2 = new P9Client({ call: (req) => server.handle(req) });
    expect(c2.version(65536)).toBe(65536);
    expect(c2.version(65536, '9P2000.u')).toBe(-EPROTO);
    server.close();
  });
});

describe('P9Server read-only', () => {
  it('answers every mutating request with EROFS', () => {
    const { client, root } = connect(true);
    const file = walkTo(client, root, ['hello.txt']);
    expect(client.lopen(file, O_WRONLY)).toBe(-EROFS);
    expect(client.lopen(file, O_RDWR)).toBe(-EROFS);
    expect(client.lopen(file, O_RDONLY | O_TRUNC)).toBe(-EROFS);
    ok(client.lopen(file, O_RDONLY));
    expect(client.write(file, 0, Buffer.from('x'))).toBe(-EROFS);
    const dir = walkTo(client, root, []);
    expect(client.lcreate(dir, 'new', O_RDWR, 0o644, 0)).toBe(-EROFS);
    expect(client.mkdir(root, 'newdir', 0o755, 0)).toBe(-EROFS);
    expect(client.symlink(root, 'l', '/etc', 0)).toBe(-EROFS);
    expect(client.mknod(root, 'p', S_IFIFO | 0o644, 0, 0, 0)).toBe(-EROFS);
    expect(client.link(root, file, 'hard')).toBe(-EROFS);
    expect(client.rename(file, root, 'moved')).toBe(-EROFS);
    expect(client.renameat(root, 'hello.txt', root, 'moved')).toBe(-EROFS);
    expect(client.unlinkat(root, 'hello.txt', 0)).toBe(-EROFS);
    expect(client.setattr(file, { valid: SETATTR_SIZE, mode: 0, uid: 0, gid: 0, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 })).toBe(-EROFS);
    expect(client.xattrcreate(file, 'user.x', 1, 0)).toBe(-EROFS);
    const victim = walkTo(client, root, ['hello.txt']);
    expect(client.remove(victim)).toBe(-EROFS);
    expect(client.getattr(victim)).toBe(-EBADF); // Tremove clunks even when it fails
    expect(readFileSync(join(fx.root, 'hello.txt'), 'utf8')).toBe(HELLO);
    expect(existsSync(join(fx.root, 'newdir'))).toBe(false);
  });
});

describe('P9Server read-write', () => {
  it('creates, writes, links, renames and removes files for real', () => {
    const { client, root } = connect(false);
    const dir = walkTo(client, root, []);
    const created = ok(client.lcreate(dir, 'made.txt', O_RDWR, 0o640, 0));
    expect(created.qid.type).toBe(QTFILE);
    expect(client.write(dir, 0, Buffer.from('made by 9P'))).toBe(10);
    expect(client.fsync(dir)).toBe(0);
    expect(Buffer.from(ok(client.read(dir, 5, 100))).toString()).toBe('by 9P');
    expect(readFileSync(join(fx.root, 'made.txt'), 'utf8')).toBe('made by 9P');

    const setSize = { valid: SETATTR_SIZE | SETATTR_MODE, mode: 0o600, uid: 0, gid: 0, size: 4, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 };
    expect(client.setattr(dir, setSize)).toBe(0);
    expect(readFileSync(join(fx.root, 'made.txt'), 'utf8')).toBe('made');
    expect(statSync(join(fx.root, 'made.txt')).mode & 0o777).toBe(0o600);

    expect(ok(client.mkdir(root, 'newdir', 0o755, 0)).type).toBe(QTDIR);
    expect(statSync(join(fx.root, 'newdir')).isDirectory()).toBe(true);
    expect(ok(client.symlink(root, 'newlink', '/etc/shadow', 0)).type).toBe(QTSYMLINK);
    expect(readlinkSync(join(fx.root, 'newlink'))).toBe('/etc/shadow');
    expect(ok(client.mknod(root, 'fifo', S_IFIFO | 0o600, 0, 0, 0)).type).toBe(QTFILE);
    expect(lstatSync(join(fx.root, 'fifo')).isFIFO()).toBe(true);
    expect(client.mknod(root, 'dev', S_IFCHR | 0o600, 1, 3, 0)).toBe(-EPERM);
    const fifo = walkTo(client, root, ['fifo']);
    expect(client.lopen(fifo, O_RDONLY)).toBe(-EPERM);

    const made = walkTo(client, root, ['made.txt']);
    expect(client.link(root, made, 'made-too.txt')).toBe(0);
    expect(statSync(join(fx.root, 'made.txt')).nlink).toBe(2);
    const sub = walkTo(client, root, ['newdir']);
    expect(client.rename(made, sub, 'moved.txt')).toBe(0);
    expect(readFileSync(join(fx.root, 'newdir', 'moved.txt'), 'utf8')).toBe('made');
    expect(client.renameat(root, 'made-too.txt', sub, 'also.txt')).toBe(0);
    expect(client.remove(made)).toBe(0);
    expect(existsSync(join(fx.root, 'newdir', 'moved.txt'))).toBe(false);
    expect(client.unlinkat(sub, 'also.txt', 0)).toBe(0);
    expect(client.unlinkat(root, 'newdir', AT_REMOVEDIR)).toBe(0);
    expect(existsSync(join(fx.root, 'newdir'))).toBe(false);
    for (const n of ['newlink', 'fifo']) expect(client.unlinkat(root, n, 0)).toBe(0);
  });

  it('keeps creation inside the root', () => {
    const { client, root } = connect(false);
    for (const bad of ['..', '../escaped', 'sub/../../x', '.']) {
      const dir = walkTo(client, root, []);
      expect(client.lcreate(dir, bad, O_RDWR, 0o644, 0), bad).toBe(-EINVAL);
      expect(client.mkdir(root, bad, 0o755, 0), bad).toBe(-EINVAL);
      expect(client.symlink(root, bad, 'x', 0), bad).toBe(-EINVAL);
      expect(client.renameat(root, 'hello.txt', root, bad), bad).toBe(-EINVAL);
      expect(client.unlinkat(root, bad, 0), bad).toBe(-EINVAL);
    }
    // lcreate over a dangling symlink must not create the link's target.
    const dir = walkTo(client, root, []);
    expect(client.lcreate(dir, 'dangling', O_RDWR, 0o644, 0)).toBe(-EEXIST);
    expect(existsSync(join(fx.base, 'created-outside'))).toBe(false);
    expect(client.lcreate(dir, 'hello.txt', O_RDWR, 0o644, 0)).toBe(-EEXIST);
    // Creating inside a symlink-to-directory fid is creating in a non-directory.
    const esc = walkTo(client, root, ['escape']);
    expect(client.mkdir(esc, 'pwned', 0o755, 0)).toBe(-ENOTDIR);
    expect(existsSync('/etc/pwned')).toBe(false);
    // setattr on a symlink changes the link, never its target.
    const up = walkTo(client, root, ['up']);
    expect(client.setattr(up, { valid: SETATTR_MODE, mode: 0o777, uid: 0, gid: 0, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 })).toBe(-EOPNOTSUPP);
    expect(client.setattr(up, { valid: SETATTR_SIZE, mode: 0, uid: 0, gid: 0, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 })).toBe(-EINVAL);
    expect(readFileSync(join(fx.base, 'secret.txt'), 'utf8')).toBe(SECRET);
    writeFileSync(join(fx.root, 'hello.txt'), HELLO);
  });
});

describe('P9Server Txattrcreate', () => {
  const hostValue = (path: string, name: string): string | number => {
    const buf = new Uint8Array(70000);
    const n = getxattr(path, name, buf);
    return n < 0 ? n : Buffer.from(buf.subarray(0, n)).toString('latin1');
  };
  const readValue = (client: P9Client, fid: number, name: string): string | number => {
    const x = client.fids.alloc();
    const size = client.xattrwalk(fid, x, name);
    if (size < 0) return size;
    let out = '';
    while (out.length < size) out += Buffer.from(ok(client.read(x, out.length, size - out.length))).toString('latin1');
    client.clunk(x);
    return out;
  };
  const v = (s: string) => Buffer.from(s, 'latin1');

  it('sets, replaces and removes user.* attributes with Linux\'s flags', () => {
    const { client, root, server } = connect(false);
    const path = join(fx.root, 'hello.txt');
    const file = walkTo(client, root, ['hello.txt']);
    expect(client.setxattr(file, 'user.k', v('one'), 0)).toBe(0);
    expect(hostValue(path, 'user.k')).toBe('one');
    expect(readValue(client, file, 'user.k')).toBe('one');
    expect(client.setxattr(file, 'user.k', v('two'), XATTR_CREATE)).toBe(-EEXIST);
    expect(client.setxattr(file, 'user.k', v('three'), XATTR_REPLACE)).toBe(0);
    expect(hostValue(path, 'user.k')).toBe('three');
    expect(client.setxattr(file, 'user.new', v('x'), XATTR_REPLACE)).toBe(-ENODATA);
    expect(client.setxattr(file, 'user.new', v('x'), XATTR_CREATE)).toBe(0);
    // An empty value with flags 0 or XATTR_CREATE is a value; XATTR_REPLACE alone with size 0 is removexattr.
    expect(client.setxattr(file, 'user.empty', new Uint8Array(0), 0)).toBe(0);
    expect(hostValue(path, 'user.empty')).toBe('');
    expect(client.removexattr(file, 'user.empty')).toBe(0);
    expect(hostValue(path, 'user.empty')).toBe(-ENODATA);
    expect(client.removexattr(file, 'user.empty')).toBe(-ENODATA);
    expect(client.removexattr(file, 'user.k')).toBe(0);
    expect(client.removexattr(file, 'user.new')).toBe(0);
    expect(hostValue(path, 'user.k')).toBe(-ENODATA);
    // A value in several writes (ext4 holds up to a block per value, so not Linux's 64 KiB maximum).
    const big = Buffer.alloc(3000, 'v');
    const w = walkTo(client, root, ['hello.txt']);
    expect(client.xattrcreate(w, 'user.big', big.byteLength, 0)).toBe(0);
    for (let off = 0; off < big.byteLength; off += 1000) expect(client.write(w, off, big.subarray(off, off + 1000))).toBe(1000);
    expect(client.clunk(w)).toBe(0);
    expect(hostValue(path, 'user.big')).toBe(big.toString('latin1'));
    expect(readValue(client, file, 'user.big')).toBe(big.toString('latin1'));
    expect(client.removexattr(file, 'user.big')).toBe(0);
    // XATTR_SIZE_MAX itself is accepted (the host file system may still refuse it at clunk).
    const m = walkTo(client, root, ['hello.txt']);
    expect(client.xattrcreate(m, 'user.max', 65536, 0)).toBe(0);
    expect(client.clunk(m)).toBe(-EINVAL); // nothing written
    // Directories take them too.
    const dir = walkTo(client, root, ['sub']);
    expect(client.setxattr(dir, 'user.d', v('dir'), 0)).toBe(0);
    expect(hostValue(join(fx.root, 'sub'), 'user.d')).toBe('dir');
    expect(client.removexattr(dir, 'user.d')).toBe(0);
    client.clunk(file);
    client.clunk(dir);
    client.clunk(root);
    expect(server.fidCount).toBe(0);
    server.close();
  });

  it('refuses other namespaces, bad names, sizes and flags, and symlinks', () => {
    const { client, root } = connect(false);
    const path = join(fx.root, 'hello.txt');
    const file = walkTo(client, root, ['hello.txt']);
    const cases: Array<[string, number, number, number]> = [
      ['trusted.x', 1, 0, -EOPNOTSUPP],
      ['security.capability', 1, 0, -EOPNOTSUPP],
      ['system.posix_acl_access', 1, 0, -EOPNOTSUPP],
      ['nonamespace', 1, 0, -EOPNOTSUPP],
      ['user.', 1, 0, -EINVAL],
      ['user.nul\0x', 1, 0, -EINVAL],
      [`user.${'n'.repeat(251)}`, 1, 0, -ERANGE],
      ['user.big', 65537, 0, -E2BIG],
      ['user.flags', 1, 4, -EINVAL],
      ['user.flags', 1, 0x80000000, -EINVAL],
    ];
    for (const [name, size, flags, want] of cases) {
      const x = walkTo(client, root, ['hello.txt']);
      expect(client.xattrcreate(x, name, size, flags), name).toBe(want);
      expect(client.clunk(x), name).toBe(0); // a refused Txattrcreate leaves an ordinary fid
    }
    // A name of exactly XATTR_NAME_MAX bytes is fine.
    expect(client.setxattr(file, `user.${'n'.repeat(250)}`, v('x'), 0)).toBe(0);
    expect(client.removexattr(file, `user.${'n'.repeat(250)}`)).toBe(0);
    // user.* belongs to regular files and directories only; a symlink is never followed.
    const link = walkTo(client, root, ['up']);
    expect(client.xattrcreate(link, 'user.x', 1, 0)).toBe(-EPERM);
    expect(hostValue(join(fx.base, 'secret.txt'), 'user.x')).toBe(-ENODATA);
    expect(hostValue(path, 'trusted.x')).toBe(-ENODATA);
  });

  it('answers a misused xattr fid with Rlerror and never sets a partial value', () => {
    const { client, root, server } = connect(false);
    const path = join(fx.root, 'hello.txt');
    const x = walkTo(client, root, ['hello.txt']);
    expect(client.xattrcreate(x, 'user.p', 4, 0)).toBe(0);
    expect(client.xattrcreate(x, 'user.p', 4, 0)).toBe(-EBADF); // already an xattr fid
    expect(client.read(x, 0, 4)).toBe(-EBADF);
    expect(client.lopen(x, O_RDONLY)).toBe(-EBADF);
    expect(client.walk(x, client.fids.alloc(), [])).toBe(-EBADF);
    expect(client.xattrwalk(x, client.fids.alloc(), '')).toBe(-EBADF);
    expect(client.write(x, 1, v('ab'))).toBe(-EINVAL); // not in order
    expect(client.write(x, 0, v('abcde'))).toBe(-EINVAL); // past the announced size
    expect(client.write(x, 0, v('ab'))).toBe(2);
    expect(client.clunk(x)).toBe(-EINVAL); // 2 of 4 bytes: nothing is set, the fid is gone
    expect(hostValue(path, 'user.p')).toBe(-ENODATA);
    expect(client.clunk(x)).toBe(-EBADF);
    // Tremove on an xattr fid removes no file, and clunks it.
    const y = walkTo(client, root, ['hello.txt']);
    expect(client.xattrcreate(y, 'user.p', 0, 0)).toBe(0);
    expect(client.remove(y)).toBe(-EBADF);
    expect(readFileSync(path, 'utf8')).toBe(HELLO);
    expect(hostValue(path, 'user.p')).toBe(-ENODATA);
    // An open fid cannot become an xattr fid; nor can an unknown one.
    const o = walkTo(client, root, ['hello.txt']);
    ok(client.lopen(o, O_RDONLY));
    expect(client.xattrcreate(o, 'user.p', 1, 0)).toBe(-EBADF);
    expect(client.xattrcreate(12345, 'user.p', 1, 0)).toBe(-EBADF);
    // Tversion drops a pending value without setting it.
    const z = walkTo(client, root, ['hello.txt']);
    expect(client.xattrcreate(z, 'user.p', 1, 0)).toBe(0);
    expect(client.write(z, 0, v('z'))).toBe(1);
    client.version();
    expect(hostValue(path, 'user.p')).toBe(-ENODATA);
    expect(server.fidCount).toBe(0);
    server.close();
  });

  it('answers malformed Txattrcreate bodies with EINVAL', () => {
    const server = new P9Server({ root: fx.root });
    const rlerror = (reply: Uint8Array) => {
      const d = decodeMessage(Uint8Array.from(reply));
      if (!d.ok || d.msg.type !== MsgType.Rlerror) throw new Error('expected Rlerror');
      return { tag: d.msg.tag, ecode: d.msg.ecode };
    };
    server.handle(encodeMessage({ type: MsgType.Tversion, tag: NOTAG, msize: 8192, version: '9P2000.L' }));
    server.handle(encodeMessage({ type: MsgType.Tattach, tag: 1, fid: 0, afid: 0xffffffff, uname: '', aname: '', nUname: 0 }));
    const good = encodeMessage({ type: MsgType.Txattrcreate, tag: 2, fid: 0, name: 'user.m', attrSize: 1, flags: 0 });
    const truncated = Uint8Array.from(good.subarray(0, good.byteLength - 2));
    new DataView(truncated.buffer).setUint32(0, truncated.byteLength, true);
    expect(rlerror(server.handle(truncated))).toEqual({ tag: 2, ecode: EINVAL });
    const trailing = new Uint8Array(good.byteLength + 1);
    trailing.set(good);
    new DataView(trailing.buffer).setUint32(0, trailing.byteLength, true);
    expect(rlerror(server.handle(trailing))).toEqual({ tag: 2, ecode: EINVAL });
    // attr_size past 2^53: a number JS cannot hold.
    const huge = Uint8Array.from(good);
    const dv = new DataView(huge.buffer);
    dv.setBigUint64(huge.byteLength - 12, 1n << 60n, true);
    expect(rlerror(server.handle(huge))).toEqual({ tag: 2, ecode: EINVAL });
    // A name length running past the message.
    const badName = Uint8Array.from(good);
    new DataView(badName.buffer).setUint16(11, 0xffff, true);
    expect(rlerror(server.handle(badName))).toEqual({ tag: 2, ecode: EINVAL });
    // The root fid is still an ordinary fid after all that.
    const d = decodeMessage(Uint8Array.from(server.handle(encodeMessage({ type: MsgType.Tgetattr, tag: 3, fid: 0, requestMask: 0x7ffn }))));
    expect(d.ok && d.msg.type).toBe(MsgType.Rgetattr);
    server.close();
  });
});

/**
 * In process, a transport that hands the client a dup of the fd the server
 * would send with the reply: SCM_RIGHTS does the same across processes
 * (e2e.test.ts covers the socket path).
 */
function connectWithFds(readonly: boolean, donateFds = true): { client: P9Client; server: P9Server; root: number } {
  const server = new P9Server({ root: fx.root, readonly, donateFds });
  const client = new P9Client({
    passesFds: true,
    call: (req, fdOut) => {
      const reply = server.handle(req);
      if (fdOut !== undefined) fdOut[0] = server.replyFd >= 0 ? dupCloexec(server.replyFd) : -1;
      return reply;
    },
  });
  expect(client.version(undefined, VERSION_9P2000_L_FD)).toBeGreaterThan(0);
  const root = client.fids.alloc();
  ok(client.attach(root, 'root', '', 0));
  return { client, server, root };
}

describe('P9Server host fd donation (Tlopenfd, Tlcreatefd)', () => {
  const openFds = () => readdirSync('/proc/self/fd').length;

  it('is negotiated: plain 9P2000.L peers and servers without donation never see it', () => {
    const plain = connect(false);
    // A client that asked for plain 9P2000.L: the extension's messages are unknown.
    const f = walkTo(plain.client, plain.root, ['hello.txt']);
    const reply = decodeMessage(plain.server.handle(encodeMessage({ type: MsgType.Tlopenfd, tag: 3, fid: f, newfid: f, flags: O_RDONLY })));
    expect(reply.ok && reply.msg.type === MsgType.Rlerror && reply.msg.ecode).toBe(EOPNOTSUPP);
    expect(plain.server.replyFd).toBe(-1);
    // A server not offering it answers 9P2000.L; the client then speaks plain 9P2000.L.
    const off = connectWithFds(false, false);
    expect(off.client.fdDonation).toBe(false);
    const v = decodeMessage(off.server.handle(encodeMessage({ type: MsgType.Tversion, tag: NOTAG, msize: 65536, version: VERSION_9P2000_L_FD })));
    expect(v.ok && v.msg.type === MsgType.Rversion && v.msg.version).toBe('9P2000.L');
    // A server that offers it, to a client that asks.
    const on = connectWithFds(false);
    expect(on.client.fdDonation).toBe(true);
    for (const s of [plain.server, off.server, on.server]) s.close();
  });

  it('donates an fd of the file alone, with the access mode asked for', () => {
    const { client, root, server } = connectWithFds(false);
    const f = walkTo(client, root, ['sub', 'inner.txt']);
    const opened = ok(client.lopenfd(f, O_RDONLY));
    expect(opened.fd).toBeGreaterThanOrEqual(0);
    const st = fstat(opened.fd);
    if (typeof st === 'number') throw new Error(`fstat: ${st}`);
    expect(st.mode & S_IFMT).toBe(S_IFREG);
    expect(st.ino).toBe(BigInt(statSync(join(fx.root, 'sub', 'inner.txt')).ino));
    const buf = Buffer.alloc(64);
    const n = pread(opened.fd, buf, 64, 0);
    expect(buf.subarray(0, n).toString()).toBe(INNER);
    // Read-only as asked: it cannot write.
    expect(pwrite(opened.fd, Buffer.from('x'), 1, 0)).toBe(-EBADF);
    // Not a directory and not O_PATH: no name can be reached from it.
    for (const name of ['..', '.', 'x', '../hello.txt', '../../secret.txt']) expect(openat(opened.fd, name, O_RDONLY), name).toBe(-ENOTDIR);
    expect(openat(opened.fd, '..', O_PATH)).toBe(-ENOTDIR);
    expect(getFileStatusFlags(opened.fd) & O_PATH).toBe(0);
    // The fid is open as after Tlopen: 9P reads work on it too, a second open does not.
    expect(readAll(client, f)).toBe(INNER);
    expect(client.lopenfd(f, O_RDONLY)).toBe(-EBADF);
    closeFd(opened.fd);
    server.close();
  });

  it('clones and opens in one message: newfid exists only if the open worked', () => {
    const { client, root, server } = connectWithFds(false);
    const before = openFds();
    const f = walkTo(client, root, ['hello.txt']);
    const fidsWithF = server.fidCount;
    const clone = client.fids.alloc();
    const opened = ok(client.lopenfd(f, O_RDWR, clone));
    expect(server.fidCount).toBe(fidsWithF + 1);
    // The clone is open, f is not: f can still be opened (or cloned) again.
    expect(readAll(client, clone)).toBe(HELLO);
    expect(client.read(f, 0, 5)).toBe(-EBADF);
    const second = ok(client.lopenfd(f, O_RDONLY, client.fids.alloc()));
    // newfid taken: EEXIST, nothing opened.
    expect(client.lopenfd(f, O_RDONLY, clone)).toBe(-EEXIST);
    // A failed open leaves no newfid behind.
    const sub = walkTo(client, root, ['sub']);
    const failed = client.fids.alloc();
    const fids = server.fidCount;
    expect(client.lopenfd(sub, O_RDONLY, failed)).toBe(-EISDIR);
    expect(server.fidCount).toBe(fids);
    expect(client.getattr(failed)).toBe(-EBADF);
    closeFd(opened.fd);
    closeFd(second.fd);
    client.version(undefined, VERSION_9P2000_L_FD);
    expect(server.fidCount).toBe(0);
    server.close();
    expect(openFds()).toBeLessThan(before);
  });

  it('never donates a directory, a symlink or a special file', () => {
    const { client, root, server } = connectWithFds(false);
    const fifo = join(fx.root, 'donation-fifo');
    if (!existsSync(fifo)) expect(mknodat(AT_FDCWD, fifo, S_IFIFO | 0o600, 0n)).toBe(0);
    const cases: Array<[string[], number, number]> = [
      [[], O_RDONLY, -EISDIR],
      [['sub'], O_RDONLY, -EISDIR],
      [['sub'], O_RDONLY | O_DIRECTORY, -EISDIR],
      [['escape'], O_RDONLY, -ELOOP],
      [['up'], O_RDONLY, -ELOOP],
      [['donation-fifo'], O_RDONLY, -EPERM],
    ];
    const before = openFds();
    for (const [names, flags, want] of cases) {
      const f = walkTo(client, root, names);
      expect(client.lopenfd(f, flags), names.join('/')).toBe(want);
      expect(server.replyFd).toBe(-1);
      client.clunk(f);
    }
    expect(openFds()).toBe(before);
    server.close();
  });

  it('creates with Tlcreatefd and writes through the donated fd', () => {
    const { client, root, server } = connectWithFds(false);
    const d = walkTo(client, root, []);
    const created = ok(client.lcreatefd(d, 'donated-new', O_RDWR, 0o600, 0));
    expect(created.fd).toBeGreaterThanOrEqual(0);
    expect(pwrite(created.fd, Buffer.from('through the fd'), 14, 0)).toBe(14);
    expect(readFileSync(join(fx.root, 'donated-new'), 'latin1')).toBe('through the fd');
    // The Gofer's view of the same file is current: no cache between.
    expect(ok(client.getattr(d)).size).toBe(14);
    expect(client.lcreatefd(walkTo(client, root, []), 'donated-new', O_RDWR, 0o600, 0)).toBe(-EEXIST);
    expect(client.lcreatefd(walkTo(client, root, []), '../x', O_RDWR, 0o600, 0)).toBe(-EINVAL);
    closeFd(created.fd);
    expect(client.unlinkat(root, 'donated-new', 0)).toBe(0);
    server.close();
  });

  it('respects read-only mounts before opening anything', () => {
    const { client, root, server } = connectWithFds(true);
    const f = walkTo(client, root, ['hello.txt']);
    expect(client.lopenfd(f, O_RDWR)).toBe(-EROFS);
    expect(client.lopenfd(f, O_RDONLY | O_TRUNC)).toBe(-EROFS);
    expect(client.lcreatefd(walkTo(client, root, []), 'nope', O_RDWR, 0o600, 0)).toBe(-EROFS);
    const ro = ok(client.lopenfd(f, O_RDONLY));
    expect(pwrite(ro.fd, Buffer.from('x'), 1, 0)).toBe(-EBADF);
    closeFd(ro.fd);
    server.close();
  });

  it('keeps no fd of its own beyond the fid\'s: clunk and Tversion close them', () => {
    const before = openFds();
    const { client, root, server } = connectWithFds(false);
    const withServer = openFds();
    for (let i = 0; i < 20; i++) {
      const f = walkTo(client, root, ['hello.txt']);
      const o = ok(client.lopenfd(f, O_RDONLY));
      closeFd(o.fd);
      client.clunk(f);
    }
    expect(openFds()).toBe(withServer);
    const f = walkTo(client, root, ['hello.txt']);
    closeFd(ok(client.lopenfd(f, O_RDONLY)).fd);
    client.version(undefined, VERSION_9P2000_L_FD);
    expect(server.fidCount).toBe(0);
    server.close();
    expect(openFds()).toBe(before);
  });
});
