// The Gofer-backed inode's changes, through the VFS, against a host
// directory served in process over 9P2000.L: each case checks what the
// sandbox sees and what the host directory then holds.
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E } from '../../../abi/linux/errno.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../../../abi/linux/falloc.js';
import { O_APPEND, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from '../../../abi/linux/fcntl.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../../../abi/linux/fs.js';
import { S_IFIFO, S_IFMT } from '../../../abi/linux/stat.js';
import { XATTR_CREATE, XATTR_REPLACE } from '../../../abi/linux/xattr.js';
import { getxattr } from '../../../host/fs.js';
import { dupCloexec } from '../../../host/socket.js';
import { P9Client } from '../../../gofer/p9/client.js';
import { P9Server } from '../../../gofer/p9/server.js';
import { MsgType } from '../../../gofer/p9/messages.js';
import { beginSyscall, endSyscall } from '../../vfs/syscall-epoch.js';
import { Harness, must, user } from '../../vfs/test-harness.js';
import type { FifoEnd } from '../pipe/fifo.js';
import { GoferFile, GoferFs, IDLE_HOST_FDS, type GoferInode } from './gofer-fs.js';

/** The host's value of an attribute, or -errno. */
function hostXattr(path: string, name: string): Uint8Array | number {
  const buf = new Uint8Array(4096);
  const n = getxattr(path, name, buf);
  return n < 0 ? n : buf.subarray(0, n);
}

let dir = '';
let h: Harness;
let client: P9Client;
/** Whether mounts made now negotiate host fd donation (each suite runs both ways). */
let donating = false;
let rootInode: GoferInode;
/** The type of every request the client sent, in order. */
const requests: number[] = [];

/**
 * Mounts dir served in process. With donation, the transport hands the
 * client a dup of the fd the server sends with a reply, as SCM_RIGHTS
 * does between the Gofer and the Sentry.
 */
function mount(readonly: boolean): Harness {
  const server = new P9Server({ root: dir, readonly, donateFds: donating });
  client = new P9Client({
    passesFds: donating,
    call: (req, fdOut) => {
      requests.push(req[4]);
      const reply = server.handle(req);
      if (fdOut !== undefined) fdOut[0] = server.replyFd >= 0 ? dupCloexec(server.replyFd) : -1;
      return reply;
    },
  });
  rootInode = must(GoferFs.mount(client, { readonly, dev: 0x100 }), 'mount');
  expect(client.fdDonation).toBe(donating);
  return new Harness(rootInode);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gofer-fs-'));
  h = mount(false);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const host = (p: string): string => join(dir, p);

for (const donate of [false, true]) describe(donate ? 'Gofer inode changes, host fds donated' : 'Gofer inode changes, all through 9P', () => {
  beforeEach(() => {
    donating = donate;
    h = mount(false);
  });
  afterEach(() => { donating = false; });

  const cases: Array<{ name: string; run: () => void }> = [
    { name: 'create, write and read back', run: () => {
      expect(h.writeFile('/a', 'hello', 0o640)).toBe(5);
      expect(readFileSync(host('a'), 'latin1')).toBe('hello');
      expect(statSync(host('a')).mode & 0o777).toBe(0o640);
      expect(h.readFile('/a')).toBe('hello');
    } },
    { name: 'mkdir and rmdir', run: () => {
      expect(h.mkdir('/d', 0o700)).toBe(0);
      expect(statSync(host('d')).isDirectory()).toBe(true);
      expect(statSync(host('d')).mode & 0o777).toBe(0o700);
      expect(h.writeFile('/d/f', '')).toBe(0);
      expect(h.rmdir('/d')).toBe(-E.ENOTEMPTY);
      expect(h.unlink('/d/f')).toBe(0);
      expect(h.rmdir('/d')).toBe(0);
      expect(existsSync(host('d'))).toBe(false);
    } },
    { name: 'rename moves the cached dentry and the host file', run: () => {
      h.mkdir('/d');
      h.writeFile('/d/f', 'F');
      const f = must(h.resolve('/d/f'));
      expect(h.rename('/d', '/e')).toBe(0);
      expect(h.resolve('/e/f')).toBe(f);
      expect(h.readFile('/e/f')).toBe('F');
      expect(readFileSync(host('e/f'), 'latin1')).toBe('F');
    } },
    { name: 'rename with NOREPLACE and EXCHANGE', run: () => {
      h.writeFile('/a', 'A');
      h.writeFile('/b', 'B');
      expect(h.rename('/a', '/b', RENAME_NOREPLACE)).toBe(-E.EEXIST);
      expect(h.rename('/a', '/b', RENAME_EXCHANGE)).toBe(-E.EINVAL);
      expect(h.rename('/a', '/b')).toBe(0);
      expect(readFileSync(host('b'), 'latin1')).toBe('A');
    } },
    { name: 'hard links and symlinks', run: () => {
      h.writeFile('/a', 'A');
      expect(h.link('/a', '/b')).toBe(0);
      expect(statSync(host('a')).nlink).toBe(2);
      expect(h.symlink('a', '/s')).toBe(0);
      expect(readlinkSync(host('s'))).toBe('a');
      expect(h.readFile('/s')).toBe('A');
    } },
    { name: 'chmod, chown, truncate and utimes', run: () => {
      h.writeFile('/a', 'abcdef');
      expect(h.chmod('/a', 0o600)).toBe(0);
      expect(h.chown('/a', 1234, 5678)).toBe(0);
      expect(h.truncate('/a', 2)).toBe(0);
      expect(h.utimes('/a', { sec: 1000, nsec: 0 }, { sec: 2000, nsec: 0 })).toBe(0);
      const s = statSync(host('a'));
      expect(s.mode & 0o777).toBe(0o600);
      expect([s.uid, s.gid]).toEqual([1234, 5678]);
      expect(s.size).toBe(2);
      expect(Math.floor(s.mtimeMs / 1000)).toBe(2000);
    } },
    { name: 'new files belong to the caller', run: () => {
      expect(h.mkdir('/d', 0o777)).toBe(0);
      expect(h.writeFile('/d/f', '', 0o644, user(1000, 1000))).toBe(0);
      expect(h.mkdir('/d/sub', 0o755, user(1000, 1000))).toBe(0);
      expect(statSync(host('d/f')).uid).toBe(1000);
      expect(statSync(host('d/sub')).uid).toBe(1000);
      expect(statSync(host('d/sub')).gid).toBe(1000);
    } },
    { name: 'FIFOs are the Sentry\'s pipes, shared by every open', run: () => {
      expect(h.mknod('/p', S_IFIFO | 0o600)).toBe(0);
      expect(lstatSync(host('p')).isFIFO()).toBe(true);
      expect(must(h.stat('/p')).mode & S_IFMT).toBe(S_IFIFO);
      const r = must(h.open('/p', O_RDONLY | O_NONBLOCK)) as FifoEnd;
      const w = must(h.open('/p', O_WRONLY)) as FifoEnd;
      expect(w.write(Uint8Array.of(9))).toBe(1);
      const buf = new Uint8Array(1);
      expect(r.read(buf)).toBe(1);
      expect(buf[0]).toBe(9);
      r.decRef(); w.decRef();
    } },
    { name: 'fallocate grows the file; hole punching is not supported', run: () => {
      h.writeFile('/a', 'x');
      const f = must(h.open('/a', O_RDWR));
      expect(f.allocate(0, 0, 8192)).toBe(0);
      expect(statSync(host('a')).size).toBe(8192);
      expect(f.allocate(FALLOC_FL_KEEP_SIZE, 0, 1 << 20)).toBe(0);
      expect(statSync(host('a')).size).toBe(8192);
      expect(f.allocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096)).toBe(-E.EOPNOTSUPP);
      expect(f.fsync(false)).toBe(0);
      f.decRef();
    } },
    { name: 'user.* attributes set, replace and go through Txattrcreate, with Linux\'s flags', run: () => {
      h.writeFile('/a', '');
      const a = must(h.resolve('/a')).inode;
      const text = (r: Uint8Array | number): string | number => (typeof r === 'number' ? r : Buffer.from(r).toString('latin1'));
      const fidsBefore = client.fids.count;
      expect(a.setxattr('user.x', Buffer.from('one'), 0)).toBe(0);
      expect(text(hostXattr(host('a'), 'user.x'))).toBe('one');
      expect(text(a.getxattr('user.x'))).toBe('one');
      expect(a.setxattr('user.x', Buffer.from('two'), XATTR_CREATE)).toBe(-E.EEXIST);
      expect(a.setxattr('user.y', Buffer.from('two'), XATTR_REPLACE)).toBe(-E.ENODATA);
      expect(a.setxattr('user.x', Buffer.from('two'), XATTR_REPLACE)).toBe(0);
      expect(a.listxattr()).toEqual(['user.x']);
      // An empty value with XATTR_REPLACE stays a value (on the wire alone it would be a removal).
      expect(a.setxattr('user.x', new Uint8Array(0), XATTR_REPLACE)).toBe(0);
      expect(text(a.getxattr('user.x'))).toBe('');
      expect(a.setxattr('user.none', new Uint8Array(0), XATTR_REPLACE)).toBe(-E.ENODATA);
      expect(a.removexattr('user.x')).toBe(0);
      expect(hostXattr(host('a'), 'user.x')).toBe(-E.ENODATA);
      expect(a.removexattr('user.x')).toBe(-E.ENODATA);
      // The host's namespaces are not the sandbox's.
      expect(a.setxattr('trusted.x', Uint8Array.of(1), 0)).toBe(-E.EOPNOTSUPP);
      expect(a.setxattr('security.capability', Uint8Array.of(1), 0)).toBe(-E.EOPNOTSUPP);
      expect(a.removexattr('trusted.x')).toBe(-E.ENODATA);
      h.mkdir('/d');
      expect(must(h.resolve('/d')).inode.setxattr('user.d', Uint8Array.of(100), 0)).toBe(0);
      expect(text(hostXattr(host('d'), 'user.d'))).toBe('d');
      expect(client.fids.count).toBe(fidsBefore + 1); // /d's own fid; no attribute fid is left behind
    } },
  ];
  for (const c of cases) it(c.name, c.run);

  it('a read-only mount refuses every change with EROFS', () => {
    h.writeFile('/a', 'A');
    h.mkdir('/d');
    const ro = mount(true);
    const results = [
      ro.writeFile('/b', ''), ro.mkdir('/e'), ro.unlink('/a'), ro.rmdir('/d'), ro.rename('/a', '/b'),
      ro.link('/a', '/b'), ro.symlink('a', '/b'), ro.chmod('/a', 0o600), ro.chown('/a', 1, 1), ro.truncate('/a', 0),
      ro.utimes('/a', null, { sec: 1, nsec: 0 }), ro.mknod('/p', S_IFIFO | 0o600),
      must(ro.resolve('/a')).inode.setxattr('user.x', Uint8Array.of(1), 0), must(ro.resolve('/a')).inode.removexattr('user.x'),
    ];
    expect(results).toEqual(new Array(results.length).fill(-E.EROFS));
    expect(readFileSync(host('a'), 'latin1')).toBe('A');
  });

  it('keeps one fid per cached name and gives it back when the name goes', () => {
    h.mkdir('/d', 0o777);
    must(h.resolve('/d'));
    const before = client.fids.count;
    for (let i = 0; i < 5; i++) h.writeFile(`/d/f${i}`, '', 0o644, user(1000, 1000));
    h.mkdir('/d/sub', 0o777, user(1000, 1000));
    // Each new name keeps one fid in its dentry; open files and ownership fixes give theirs back.
    expect(client.fids.count - before).toBe(5);
    must(h.resolve('/d/sub'));
    expect(client.fids.count - before).toBe(6);
    const open = must(h.open('/d/f0', O_RDONLY));
    for (let i = 0; i < 5; i++) expect(h.unlink(`/d/f${i}`)).toBe(0);
    expect(h.rename('/d/sub', '/d/moved')).toBe(0);
    // The open file keeps its inode (and reads on); the rest are clunked.
    expect(client.fids.count - before).toBe(1 + 1 + 1);
    expect(open.stat()).toMatchObject({ nlink: 0 });
    open.decRef();
    expect(client.fids.count - before).toBe(1);
  });
});

describe('Gofer files with donated host fds', () => {
  const sentryFds = (): number => readdirSync('/proc/self/fd').length;
  beforeEach(() => {
    donating = true;
    h = mount(false);
  });
  afterEach(() => { donating = false; });

  it('shares an inode\'s donated fds among its open files, and keeps at most IDLE_HOST_FDS idle', () => {
    h.writeFile('/a', 'hello');
    h.mkdir('/d');
    expect(h.mknod('/p', S_IFIFO | 0o600)).toBe(0);
    // Cached names keep their fids (an O_PATH fd each in the in-process server): look them up first.
    for (const p of ['/a', '/d', '/p']) must(h.resolve(p));
    const fs = rootInode.fs;
    const base = sentryFds();
    const first = must(h.open('/a', O_RDWR));
    // A read fd and a write fd, each twice in this one process: the server's open fid and our donated copy.
    const withFds = sentryFds();
    expect(withFds).toBe(base + 4);
    for (let i = 0; i < 50; i++) {
      for (const flags of [O_RDONLY, O_WRONLY, O_RDWR]) {
        const f = must(h.open('/a', flags));
        expect(f instanceof GoferFile && f.hasHostFd).toBe(true);
        f.incRef(); // a dup(2): the same description
        f.decRef();
        f.decRef();
      }
      expect(sentryFds()).toBe(withFds);
    }
    first.decRef();
    // Nobody has /a open: its fds wait for the next open.
    expect(fs.idleCount).toBe(1);
    expect(sentryFds()).toBe(withFds);
    const buf = new Uint8Array(8);
    const again = must(h.open('/a', O_RDONLY));
    expect(again.read(buf, 0)).toBe(5);
    expect(fs.idleCount).toBe(0);
    again.decRef();
    // Directories and FIFOs never get one.
    const d = must(h.open('/d', O_RDONLY));
    expect(d instanceof GoferFile).toBe(false);
    d.decRef();
    const p = must(h.open('/p', O_RDONLY | O_NONBLOCK));
    expect(p instanceof GoferFile).toBe(false);
    p.decRef();
    expect(sentryFds()).toBe(withFds);
    // Many files opened once: only the IDLE_HOST_FDS most recent keep their fds; /a's went first.
    const many = IDLE_HOST_FDS + 10;
    for (let i = 0; i < many; i++) {
      expect(h.writeFile(`/f${i}`, `${i}`)).toBe(`${i}`.length);
      const f = must(h.open(`/f${i}`, O_RDONLY));
      expect(f.read(buf, 0)).toBe(`${i}`.length);
      f.decRef();
    }
    expect(fs.idleCount).toBe(IDLE_HOST_FDS);
    // Each new name's cached fid, and two fds (server's, ours) per idle read fd.
    expect(sentryFds()).toBe(base + many + 2 * IDLE_HOST_FDS);
    // Removing a name drops its inode, and with it its fds.
    for (let i = 0; i < many; i++) expect(h.unlink(`/f${i}`)).toBe(0);
    expect(fs.idleCount).toBe(0);
    expect(sentryFds()).toBe(base);
  });

  it('keeps O_APPEND, size and times coherent with what the Gofer reports', () => {
    h.writeFile('/a', 'abc');
    const f = must(h.open('/a', O_WRONLY | O_APPEND));
    const g = must(h.open('/a', O_RDWR));
    expect(g.write(Buffer.from('XY'), 10)).toBe(2); // a hole, through the other description
    expect(f.write(Buffer.from('end'), 0)).toBe(3); // O_APPEND appends even with an offset
    const st = must(h.stat('/a')); // the inode's Tgetattr, not the fd
    expect(st.size).toBe(15);
    expect(readFileSync(host('a'), 'latin1')).toBe('abc\0\0\0\0\0\0\0XYend');
    const fst = must(f.stat()); // the fd's fstat
    expect(fst).toMatchObject({ size: 15, ino: st.ino, dev: st.dev, mode: st.mode, nlink: st.nlink });
    expect(fst.mtime).toEqual(statOfHost('a').mtime);
    expect(fst.ctime).toEqual(statOfHost('a').ctime);
    // A write changes mtime as the host sees it, through either stat.
    expect(h.utimes('/a', { sec: 1000, nsec: 0 }, { sec: 1000, nsec: 0 })).toBe(0);
    expect(must(f.stat()).mtime.sec).toBe(1000);
    expect(f.write(Buffer.from('!'), -1)).toBe(1);
    expect(must(h.stat('/a')).mtime.sec).toBeGreaterThan(1000);
    expect(must(f.stat()).size).toBe(16);
    expect(f.fsync(false)).toBe(0);
    expect(f.fsync(true)).toBe(0);
    // Truncation goes through the Gofer; the fd sees it at once.
    expect(g.truncate(2)).toBe(0);
    const buf = new Uint8Array(8);
    expect(g.read(buf, 0)).toBe(2);
    expect(must(f.stat()).size).toBe(2);
    f.decRef(); g.decRef();
  });

  it('reads what the host wrote and the host reads what the fd wrote', () => {
    h.writeFile('/a', '');
    const f = must(h.open('/a', O_RDWR));
    writeFileSync(host('a'), 'from the host');
    const buf = new Uint8Array(64);
    expect(Buffer.from(buf.subarray(0, f.read(buf, -1))).toString('latin1')).toBe('from the host');
    expect(f.read(buf, -1)).toBe(0);
    expect(f.write(Buffer.from(' and the sandbox'), -1)).toBe(16);
    expect(readFileSync(host('a'), 'latin1')).toBe('from the host and the sandbox');
    // While the inode holds a donated fd, stat by path is its fstat: the same answer as the Gofer's Tgetattr.
    const inode = must(h.resolve('/a')).inode as GoferInode;
    expect(inode.readFd).toBeGreaterThanOrEqual(0);
    expect(must(h.stat('/a'))).toEqual(rootInode.fs.toStat(must(client.getattr(inode.fid))));
    f.decRef();
  });

  it('a read-only mount refuses write opens before the Gofer opens anything', () => {
    h.writeFile('/a', 'A');
    const ro = mount(true);
    expect(ro.open('/a', O_RDWR)).toBe(-E.EROFS);
    expect(ro.open('/a', O_WRONLY)).toBe(-E.EROFS);
    const r = must(ro.open('/a', O_RDONLY));
    expect(r instanceof GoferFile && r.hasHostFd).toBe(true);
    expect(r.write(Buffer.from('x'), 0)).toBe(-E.EBADF);
    r.decRef();
  });
});

/** The host's own stat of a file under dir, as the Sentry's timespecs. */
function statOfHost(p: string): { mtime: { sec: number; nsec: number }; ctime: { sec: number; nsec: number } } {
  const s = statSync(host(p), { bigint: true });
  const ts = (ns: bigint): { sec: number; nsec: number } => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });
  return { mtime: ts(s.mtimeNs), ctime: ts(s.ctimeNs) };
}


for (const donate of [false, true]) describe(`attributes within one system call${donate ? ', host fds donated' : ''}`, () => {
  beforeEach(() => {
    donating = donate;
    h = mount(false);
    writeFileSync(host('f'), 'hello');
  });
  afterEach(() => { endSyscall(); donating = false; });
  const asked = (type: number): number => requests.filter((t) => t === type).length;

  it('a lookup\'s attributes answer the stats of the same call; the next call asks again', () => {
    beginSyscall();
    requests.length = 0;
    const f = must(rootInode.lookup('f'), 'lookup');
    // One round trip with our extension, a walk and a getattr without.
    expect(requests).toEqual(donate ? [MsgType.Twalkgetattr] : [MsgType.Twalk, MsgType.Tgetattr]);
    for (let i = 0; i < 3; i++) expect(must(f.stat(), 'stat').size).toBe(5);
    expect(requests.length).toBe(donate ? 1 : 2);
    endSyscall();
    beginSyscall();
    writeFileSync(host('f'), 'changed on the host');
    expect(must(f.stat(), 'stat').size).toBe(19);
    expect(must(f.stat(), 'stat').size).toBe(19);
    expect(asked(MsgType.Tgetattr)).toBe(donate ? 1 : 2);
    f.decRef();
  });

  it('a change made through the mount in the same call is seen at once', () => {
    beginSyscall();
    const f = must(rootInode.lookup('f'), 'lookup');
    expect(must(f.stat(), 'stat').size).toBe(5);
    expect(f.setattr({ size: 2 })).toBe(0);
    expect(must(f.stat(), 'stat').size).toBe(2);
    expect(rootInode.mkdir('d', 0o755, 0, 0)).toBe(0);
    expect(must(rootInode.stat(), 'stat').nlink).toBe(statSync(dir).nlink);
    f.decRef();
  });

  it('outside a system call every stat asks the Gofer', () => {
    const f = must(rootInode.lookup('f'), 'lookup');
    requests.length = 0;
    f.stat();
    f.stat();
    expect(asked(MsgType.Tgetattr)).toBe(2);
    f.decRef();
  });

  it('a stat\'s answer is the caller\'s to change', () => {
    beginSyscall();
    const f = must(rootInode.lookup('f'), 'lookup');
    const a = must(f.stat(), 'stat');
    a.size = 99;
    a.mtime.sec = 1;
    const b = must(f.stat(), 'stat');
    expect(b.size).toBe(5);
    expect(b.mtime.sec).not.toBe(1);
    f.decRef();
  });
});
