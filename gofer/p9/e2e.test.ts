// End to end: runGofer in a child process serves the fixture on two
// socketpairs (one read-only mount, one writable); this process is the
// Sentry's side, a P9Client blocking on its end of each pair. The same
// suite runs twice: with the Gofer serving as is, and (as root) confined as
// `runsc gofer` confines it: jail, capabilities, seccomp.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { O_RDONLY, O_RDWR, O_WRONLY, openat, pread, pwrite, S_IFLNK, S_IFMT, setxattr } from '../../host/fs.js';
import { closeFd, recvExact, sendAll, socketpair } from '../../host/socket.js';
import { P9Client } from './client.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { EBADF, EINVAL, EISDIR, EMSGSIZE, ENOENT, ENOTDIR, EOPNOTSUPP, EPROTO, EROFS } from './errno.js';
import { MsgType, NOTAG, QTDIR, QTSYMLINK, SETATTR_MODE, SETATTR_SIZE, VERSION_9P2000_L_FD } from './messages.js';
import { HELLO, makeFixture, type Fixture } from './testdata/fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const isRoot = process.getuid?.() === 0;
const viteNode = join(dirname(createRequire(import.meta.url).resolve('vite-node/package.json')), 'vite-node.mjs');

function suite(confined: boolean): void {
  let fx: Fixture;
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let output = '';
  /** Our ends of the two connections: [read-only mount, writable mount]. */
  const ours: number[] = [];

  function pair(): [number, number] {
    const p = socketpair();
    if (typeof p === 'number') throw new Error(`socketpair: errno ${-p}`);
    return p;
  }

  beforeAll(async () => {
    fx = makeFixture();
    const [roOurs, roTheirs] = pair();
    const [rwOurs, rwTheirs] = pair();
    ours.push(roOurs, rwOurs);
    const script = join(here, 'testdata', 'serve-fds.ts');
    const cfg = {
      fds: [3, 4], roots: [fx.root, fx.root], readonly: [true, false],
      confine: confined ? { jailDir: join(fx.base, 'jail'), argv: [process.execPath, viteNode, script] } : undefined,
    };
    child = spawn(process.execPath, [viteNode, script], {
      stdio: ['ignore', 'pipe', 'inherit', roTheirs, rwTheirs],
      env: { ...process.env, GOFER_TEST_CONFIG: JSON.stringify(cfg) },
    });
    // The child has its copies now; ours would keep the gofer from seeing EOF.
    closeFd(roTheirs);
    closeFd(rwTheirs);
    exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gofer did not start: ${output}`)), 30_000);
      child.stdout!.on('data', (b: Buffer) => {
        output += b.toString();
        if (output.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`gofer exited early with ${code}: ${output}`)));
    });
  }, 60_000);

  afterAll(async () => {
    for (const fd of ours) closeFd(fd);
    if (child.exitCode === null) {
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
    }
    fx.cleanup();
  });

  function ok<T>(r: T | number): T {
    if (typeof r === 'number' && r < 0) throw new Error(`unexpected errno ${-r}`);
    return r as T;
  }

  function session(fd: number): { client: P9Client; root: number } {
    const client = new P9Client(fd);
    expect(client.version()).toBeGreaterThan(8192);
    const root = client.fids.alloc();
    expect(ok(client.attach(root, 'root', '', 0)).type).toBe(QTDIR);
    return { client, root };
  }

  describe('gofer over a socketpair', () => {
    it('walks, stats, reads and lists the read-only mount', () => {
      const { client, root } = session(ours[0]);
      const f = client.fids.alloc();
      expect(ok(client.walk(root, f, ['hello.txt'])).length).toBe(1);
      expect(ok(client.getattr(f)).size).toBe(HELLO.length);
      ok(client.lopen(f, O_RDONLY));
      const buf = new Uint8Array(100);
      const n = client.read(f, 0, 100, buf);
      expect(Buffer.from(buf.subarray(0, n)).toString()).toBe(HELLO);
      expect(client.clunk(f)).toBe(0);

      const d = client.fids.alloc();
      ok(client.walk(root, d, []));
      ok(client.lopen(d, O_RDONLY));
      const names = ok(client.readdir(d, 0n, 4096)).map((e) => e.name).sort();
      expect(names).toEqual(['dangling', 'escape', 'hello.txt', 'sub', 'up']);
      client.clunk(d);
    });

    it('refuses ".." and returns symlinks without following them', () => {
      const { client, root } = session(ours[0]);
      expect(client.walk(root, 50, ['..'])).toBe(-EINVAL);
      expect(ok(client.walk(root, 50, ['sub', '..'])).length).toBe(1);
      const l = client.fids.alloc();
      const qids = ok(client.walk(root, l, ['escape']));
      expect(qids[0].type).toBe(QTSYMLINK);
      expect(ok(client.getattr(l)).mode & S_IFMT).toBe(S_IFLNK);
      expect(client.readlink(l)).toBe('/etc');
      expect(ok(client.walk(root, 51, ['escape', 'passwd'])).length).toBe(1);
    });

    it('answers writes on the read-only mount with EROFS', () => {
      const { client, root } = session(ours[0]);
      const f = client.fids.alloc();
      ok(client.walk(root, f, ['hello.txt']));
      expect(client.lopen(f, O_WRONLY)).toBe(-EROFS);
      ok(client.lopen(f, O_RDONLY));
      expect(client.write(f, 0, Buffer.from('nope'))).toBe(-EROFS);
      expect(client.mkdir(root, 'nope', 0o755, 0)).toBe(-EROFS);
      expect(existsSync(join(fx.root, 'nope'))).toBe(false);
    });

    it('links, truncates, chmods and reads xattrs through the fids\' magic links', () => {
      const { client, root } = session(ours[1]);
      const d = client.fids.alloc();
      ok(client.walk(root, d, []));
      ok(client.lcreate(d, 'magic.txt', O_RDWR, 0o644, 0));
      ok(client.write(d, 0, Buffer.from('0123456789')));
      client.clunk(d);
      const f = client.fids.alloc();
      ok(client.walk(root, f, ['magic.txt']));
      // Not open: truncate and chmod go through the magic link.
      const attr = { mode: 0o600, uid: 0, gid: 0, size: 4, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 };
      expect(client.setattr(f, { ...attr, valid: SETATTR_SIZE | SETATTR_MODE })).toBe(0);
      expect(readFileSync(join(fx.root, 'magic.txt'), 'utf8')).toBe('0123');
      expect(statSync(join(fx.root, 'magic.txt')).mode & 0o7777).toBe(0o600);
      expect(client.setattr(f, { ...attr, valid: SETATTR_MODE, mode: 0o4755 })).toBe(0);
      expect(statSync(join(fx.root, 'magic.txt')).mode & 0o7777).toBe(0o755);
      expect(client.link(root, f, 'magic-link.txt')).toBe(0);
      expect(statSync(join(fx.root, 'magic.txt')).nlink).toBe(2);
      const xattrs = setxattr(join(fx.root, 'magic.txt'), 'user.gofer', Buffer.from('yes')) === 0;
      if (xattrs) {
        const x = client.fids.alloc();
        expect(client.xattrwalk(f, x, 'user.gofer')).toBe(3);
        expect(Buffer.from(ok(client.read(x, 0, 10))).toString()).toBe('yes');
        client.clunk(x);
        const names = client.fids.alloc();
        expect(client.xattrwalk(f, names, '')).toBeGreaterThan(0);
        expect(Buffer.from(ok(client.read(names, 0, 1000))).toString('latin1')).toContain('user.gofer\0');
        client.clunk(names);
      }
      for (const n of ['magic.txt', 'magic-link.txt']) expect(client.unlinkat(root, n, 0)).toBe(0);
      client.clunk(f);
    });

    it('creates files for real on the writable mount', () => {
      const { client, root } = session(ours[1]);
      const f = client.fids.alloc();
      ok(client.walk(root, f, []));
      ok(client.lcreate(f, 'e2e.txt', O_RDWR, 0o644, 0));
      const payload = Buffer.alloc(3 * 1024 * 1024 + 17, 'z');
      for (let off = 0; off < payload.byteLength; ) off += ok(client.write(f, off, payload.subarray(off)));
      expect(client.clunk(f)).toBe(0);
      expect(readFileSync(join(fx.root, 'e2e.txt')).equals(payload)).toBe(true);
      expect(statSync(join(fx.root, 'e2e.txt')).mode & 0o777).toBe(0o644);
      ok(client.mkdir(root, 'e2e-dir', 0o750, 0));
      expect(statSync(join(fx.root, 'e2e-dir')).mode & 0o777).toBe(0o750);

      const r = client.fids.alloc();
      ok(client.walk(root, r, ['e2e.txt']));
      ok(client.lopen(r, O_RDONLY));
      const into = Buffer.alloc(payload.byteLength);
      let got = 0;
      while (got < into.byteLength) {
        const n = client.read(r, got, into.byteLength - got, into.subarray(got));
        expect(n).toBeGreaterThan(0);
        got += n;
      }
      expect(into.equals(payload)).toBe(true);
      client.clunk(r);
    });

    it('donates regular files\' host fds over SCM_RIGHTS, and nothing else', () => {
      const fdsBefore = readdirSync('/proc/self/fd').length;
      for (const [fd, writable] of [[ours[0], false], [ours[1], true]] as const) {
        const client = new P9Client(fd);
        expect(client.version(undefined, VERSION_9P2000_L_FD)).toBeGreaterThan(8192);
        expect(client.fdDonation).toBe(true);
        const root = client.fids.alloc();
        ok(client.attach(root, 'root', '', 0));
        const f = client.fids.alloc();
        ok(client.walk(root, f, ['hello.txt']));
        const opened = ok(client.lopenfd(f, O_RDONLY));
        expect(opened.fd).toBeGreaterThanOrEqual(0);
        const buf = Buffer.alloc(100);
        expect(buf.subarray(0, pread(opened.fd, buf, 100, 0)).toString()).toBe(HELLO);
        // The file alone: not a directory, nothing reachable by name from it.
        expect(openat(opened.fd, '..', O_RDONLY)).toBe(-ENOTDIR);
        expect(pwrite(opened.fd, Buffer.from('x'), 1, 0)).toBe(-EBADF);
        closeFd(opened.fd);
        // The next reply on the same stream is still in step.
        expect(ok(client.getattr(f)).size).toBe(HELLO.length);
        client.clunk(f);
        const d = client.fids.alloc();
        ok(client.walk(root, d, ['sub']));
        expect(client.lopenfd(d, O_RDONLY)).toBe(-EISDIR);
        client.clunk(d);
        const c = client.fids.alloc();
        ok(client.walk(root, c, []));
        if (!writable) {
          expect(client.lcreatefd(c, 'donated.txt', O_RDWR, 0o644, 0)).toBe(-EROFS);
        } else {
          const created = ok(client.lcreatefd(c, 'donated.txt', O_RDWR, 0o644, 0));
          expect(pwrite(created.fd, Buffer.from('donated'), 7, 0)).toBe(7);
          closeFd(created.fd);
          expect(readFileSync(join(fx.root, 'donated.txt'), 'latin1')).toBe('donated');
          expect(client.unlinkat(root, 'donated.txt', 0)).toBe(0);
        }
        client.clunk(c);
        client.clunk(root);
        // Back to plain 9P2000.L for the other tests on this connection.
        expect(client.version()).toBeGreaterThan(8192);
        expect(client.fdDonation).toBe(false);
      }
      expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    });

    it('walks and reports the attributes in one Twalkgetattr, as Twalk and Tgetattr do', () => {
      const client = new P9Client(ours[0]);
      expect(client.version(undefined, VERSION_9P2000_L_FD)).toBeGreaterThan(8192);
      const root = client.fids.alloc();
      ok(client.attach(root, 'root', '', 0));
      for (const names of [['hello.txt'], ['sub', 'inner.txt'], ['escape'], []]) {
        const a = client.fids.alloc(), b = client.fids.alloc();
        const both = ok(client.walkGetattr(root, a, names));
        const qids = ok(client.walk(root, b, names));
        expect(both.qids).toEqual(qids);
        expect(both.attr).toEqual(ok(client.getattr(b)));
        // newfid is a walked fid like any other.
        expect(ok(client.getattr(a)).qid).toEqual(both.attr!.qid);
        client.clunk(a);
        client.clunk(b);
      }
      // A symlink is not followed; its mode says so.
      const l = client.fids.alloc();
      expect(ok(client.walkGetattr(root, l, ['up'])).attr!.mode & S_IFMT).toBe(S_IFLNK);
      client.clunk(l);
      // Partial: the qids walked, no attributes, and no newfid.
      const p = client.fids.alloc();
      const partial = ok(client.walkGetattr(root, p, ['sub', 'missing']));
      expect(partial.qids.length).toBe(1);
      expect(partial.attr).toBeNull();
      expect(client.getattr(p)).toBe(-EBADF);
      // A first name that is not there: the walk's error, and no newfid.
      expect(client.walkGetattr(root, p, ['missing'])).toBe(-ENOENT);
      expect(client.getattr(p)).toBe(-EBADF);
      expect(client.walkGetattr(root, p, ['..'])).toBe(-EINVAL);
      client.clunk(root);
      // Plain 9P2000.L has no such message.
      expect(client.version()).toBeGreaterThan(8192);
      const again = client.fids.alloc();
      ok(client.attach(again, 'root', '', 0));
      expect(client.walkGetattr(again, client.fids.alloc(), ['hello.txt'])).toBe(-EOPNOTSUPP);
      client.clunk(again);
    });

    it('answers malformed frames with Rlerror and stays in step', () => {
      const fd = ours[1];
      const reply = Buffer.alloc(64);
      const exchange = (request: Uint8Array) => {
        expect(sendAll(fd, request)).toBe(0);
        expect(recvExact(fd, reply, 0, 4)).toBe(4);
        const size = reply.readUInt32LE(0);
        expect(recvExact(fd, reply, 4, size - 4)).toBe(size - 4);
        const d = decodeMessage(reply.subarray(0, size));
        if (!d.ok) throw new Error('reply did not decode');
        return d.msg;
      };
      // A size field too small to hold a header.
      expect(exchange(new Uint8Array([5, 0, 0, 0, 1]))).toEqual({ type: MsgType.Rlerror, tag: NOTAG, ecode: EPROTO });
      // An unknown type with a tag.
      expect(exchange(new Uint8Array([7, 0, 0, 0, 222, 42, 0]))).toEqual({ type: MsgType.Rlerror, tag: 42, ecode: EOPNOTSUPP });
      // Larger than msize: refused by its header, body skipped.
      const big = Buffer.alloc((2 << 20) + 100);
      big.writeUInt32LE(big.byteLength, 0);
      big[4] = MsgType.Twrite;
      big.writeUInt16LE(43, 5);
      expect(exchange(big)).toEqual({ type: MsgType.Rlerror, tag: 43, ecode: EMSGSIZE });
      // Still in step: a real request gets its real answer.
      const flush = encodeMessage({ type: MsgType.Tflush, tag: 44, oldtag: 1 });
      expect(exchange(flush)).toEqual({ type: MsgType.Rflush, tag: 44 });
    });
  });

  describe('gofer shutdown', () => {
    it('returns from runGofer once every peer has closed', async () => {
      for (const fd of ours.splice(0)) closeFd(fd);
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      expect(code).toBe(0);
      expect(output).toContain('done');
    });
  });
}

describe('gofer serving as is', () => suite(false));
describe.skipIf(!isRoot)('gofer confined (jail, capabilities, seccomp)', () => suite(true));
