// Escape attempts against P9Server, one class per describe: symlinks that
// point out of the mount, ".." past the root, hard links, names that are
// paths (or hide a NUL, or are too long), procfs magic links, host device
// nodes and set-id bits. Every attempt must fail with the errno Linux (or
// the protocol) would give, leave the host as it was, and leave the server
// serving with no fid or host fd leaked.

import {
  existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync,
  statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AT_FDCWD, AT_REMOVEDIR, O_DIRECTORY, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT,
  S_IFREG, S_IFSOCK, fstat, makedev, mknodat, O_PATH, openat, pread,
} from '../../host/fs.js';
import { closeFd, dupCloexec, getFileStatusFlags } from '../../host/socket.js';
import { P9Client } from './client.js';
import {
  EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENAMETOOLONG, ENODATA, ENOENT, ENOTDIR, EOPNOTSUPP, EPERM,
} from './errno.js';
import { QTSYMLINK, SETATTR_MODE, SETATTR_MTIME, SETATTR_MTIME_SET, SETATTR_SIZE, SETATTR_UID, VERSION_9P2000_L_FD } from './messages.js';
import { P9Server } from './server.js';

const isRoot = process.getuid?.() === 0;
const SECRET = 'outside the mount\n';
const HELLO = 'hello\n';

/** base/secret.txt sits next to the served base/root; symlinks in root aim at it and beyond. */
let base: string;
let root: string;
const servers: P9Server[] = [];

const LINKS: Record<string, string> = {
  escape: '/etc',
  up: '../secret.txt',
  dotdot: '..',
  selfroot: '/proc/self/root',
  selfcwd: '/proc/self/cwd',
  initroot: '/proc/1/root',
  loop: 'loop',
};

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'gofer-escape-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(base, 'secret.txt'), SECRET);
  writeFileSync(join(root, 'hello.txt'), HELLO);
  writeFileSync(join(root, 'sub', 'inner.txt'), 'inner\n');
  for (const [name, target] of Object.entries(LINKS)) symlinkSync(target, join(root, name));
  symlinkSync(join(base, 'created-outside'), join(root, 'dangling'));
  symlinkSync(join(base, 'made-outside'), join(root, 'dangling-dir'));
  expect(mknodat(AT_FDCWD, join(root, 'pipe'), S_IFIFO | 0o666, 0n)).toBe(0);
  if (isRoot) expect(mknodat(AT_FDCWD, join(root, 'null'), S_IFCHR | 0o666, makedev(1, 3))).toBe(0);
});

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(base, { recursive: true, force: true });
});

function ok<T>(r: T | number): T {
  if (typeof r === 'number' && r < 0) throw new Error(`unexpected errno ${-r}`);
  return r as T;
}

interface Session {
  server: P9Server;
  client: P9Client;
  root: number;
  fidsAtStart: number;
}

/**
 * A session on dir. With donate, the fd-donation extension is on and the
 * client gets a dup of each fd the server sends, as SCM_RIGHTS would give.
 */
function connect(dir = root, readonly = false, donate = false): Session {
  const server = new P9Server({ root: dir, readonly, donateFds: donate });
  servers.push(server);
  const client = new P9Client({
    passesFds: donate,
    call: (req, fdOut) => {
      const reply = server.handle(req);
      if (fdOut !== undefined) fdOut[0] = server.replyFd >= 0 ? dupCloexec(server.replyFd) : -1;
      return reply;
    },
  });
  expect(client.version(undefined, donate ? VERSION_9P2000_L_FD : undefined)).toBeGreaterThan(0);
  expect(client.fdDonation).toBe(donate);
  const fid = client.fids.alloc();
  ok(client.attach(fid, 'root', '', 0));
  return { server, client, root: fid, fidsAtStart: server.fidCount };
}

function walkTo(s: Session, names: string[]): number {
  const fid = s.client.fids.alloc();
  expect(ok(s.client.walk(s.root, fid, names)).length).toBe(names.length);
  return fid;
}

const noAttr = { valid: 0, mode: 0, uid: 0, gid: 0, size: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 };

/** What base and root hold, recursively, with link targets and modes: the host state an attempt must not change. */
function snapshot(): string {
  const out: string[] = [];
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      out.push(`${rel}${name} ${st.mode.toString(8)} ${st.nlink} ${st.size} ${st.isSymbolicLink() ? readlinkSync(p) : ''}`);
      if (st.isDirectory()) visit(p, `${rel}${name}/`);
    }
  };
  visit(base, '');
  return out.join('\n');
}

/**
 * Whatever came before, the session still serves: a fresh walk, open and
 * read of hello.txt works, and once the fids the test made are clunked the
 * server holds as many as it did at the start.
 */
function stillServes(s: Session, madeFids: number[] = []): void {
  const f = s.client.fids.alloc();
  ok(s.client.walk(s.root, f, ['hello.txt']));
  ok(s.client.lopen(f, O_RDONLY));
  expect(Buffer.from(ok(s.client.read(f, 0, 100))).toString()).toBe(HELLO);
  expect(s.client.clunk(f)).toBe(0);
  for (const m of madeFids) s.client.clunk(m);
  expect(s.server.fidCount).toBe(s.fidsAtStart);
}

let before = '';
describe('escape through a symlink in the mount', () => {
  afterEach(() => expect(snapshot()).toBe(before));
  beforeAll(() => {
    before = snapshot();
  });

  it('every symlink is a leaf: walks stop at it, opens are ELOOP, reads give its text only', () => {
    const s = connect();
    const made: number[] = [];
    for (const [name, target] of Object.entries(LINKS)) {
      // Through the link in one walk: stops there, newfid not made.
      const nf = s.client.fids.alloc();
      expect(ok(s.client.walk(s.root, nf, [name, 'passwd'])).length, name).toBe(1);
      expect(s.client.getattr(nf)).toBe(-EBADF);
      // A fid on the link itself.
      const l = walkTo(s, [name]);
      made.push(l);
      expect(ok(s.client.getattr(l)).qid.type, name).toBe(QTSYMLINK);
      expect(s.client.readlink(l), name).toBe(target);
      expect(s.client.walk(l, s.client.fids.alloc(), ['etc'])).toBe(-ENOTDIR);
      for (const flags of [O_RDONLY, O_WRONLY, O_RDWR | O_TRUNC, O_RDONLY | O_DIRECTORY]) {
        expect(s.client.lopen(l, flags), `${name} ${flags}`).toBe(-ELOOP);
      }
      expect(s.client.readdir(l, 0n, 4096)).toBe(-EBADF);
      // As the directory of a create, it is not a directory.
      expect(s.client.mkdir(l, 'pwned', 0o755, 0)).toBe(-ENOTDIR);
      expect(s.client.symlink(l, 'pwned', 'x', 0)).toBe(-ENOTDIR);
      expect(s.client.mknod(l, 'pwned', S_IFREG | 0o644, 0, 0, 0)).toBe(-ENOTDIR);
      expect(s.client.renameat(s.root, 'hello.txt', l, 'pwned')).toBe(-ENOTDIR);
      expect(s.client.unlinkat(l, 'passwd', 0)).toBe(-ENOTDIR);
      const c = walkTo(s, [name]);
      expect(s.client.lcreate(c, 'pwned', O_RDWR, 0o644, 0)).toBe(-ENOTDIR);
      s.client.clunk(c);
      // Attributes: never those of the target.
      expect(s.client.xattrwalk(l, s.client.fids.alloc(), 'user.x')).toBe(-ENODATA);
      expect(s.client.setattr(l, { ...noAttr, valid: SETATTR_MODE, mode: 0o777 })).toBe(-EOPNOTSUPP);
      expect(s.client.setattr(l, { ...noAttr, valid: SETATTR_SIZE, size: 0 })).toBe(-EINVAL);
    }
    expect(existsSync('/etc/pwned')).toBe(false);
    stillServes(s, made);
  });

  it('times and owners set through a symlink fid change the link, not its target', () => {
    const s = connect();
    const secretBefore = statSync(join(base, 'secret.txt'));
    const up = walkTo(s, ['up']);
    expect(s.client.setattr(up, { ...noAttr, valid: SETATTR_MTIME | SETATTR_MTIME_SET, mtimeSec: 1000, mtimeNsec: 0 })).toBe(0);
    expect(lstatSync(join(root, 'up')).mtimeMs).toBe(1000 * 1000);
    if (isRoot) {
      expect(s.client.setattr(up, { ...noAttr, valid: SETATTR_UID, uid: 4242 })).toBe(0);
      expect(lstatSync(join(root, 'up')).uid).toBe(4242);
    }
    const secretAfter = statSync(join(base, 'secret.txt'));
    expect(secretAfter.mtimeMs).toBe(secretBefore.mtimeMs);
    expect(secretAfter.uid).toBe(secretBefore.uid);
    expect(readFileSync(join(base, 'secret.txt'), 'utf8')).toBe(SECRET);
    // Put the link back as it was for the snapshot.
    symlinkSync('../secret.txt', join(root, 'up.new'));
    renameSync(join(root, 'up.new'), join(root, 'up'));
    before = snapshot();
    stillServes(s, [up]);
  });

  it('creating at a dangling symlink\'s name never creates its target', () => {
    const s = connect();
    for (const name of ['dangling', 'dangling-dir']) {
      const d = walkTo(s, []);
      expect(s.client.lcreate(d, name, O_RDWR, 0o644, 0), name).toBe(-EEXIST);
      s.client.clunk(d);
      expect(s.client.mkdir(s.root, name, 0o755, 0)).toBe(-EEXIST);
      expect(s.client.mknod(s.root, name, S_IFIFO | 0o644, 0, 0, 0)).toBe(-EEXIST);
      expect(s.client.symlink(s.root, name, '/etc/passwd', 0)).toBe(-EEXIST);
      const h = walkTo(s, ['hello.txt']);
      expect(s.client.link(s.root, h, name)).toBe(-EEXIST);
      s.client.clunk(h);
    }
    expect(existsSync(join(base, 'created-outside'))).toBe(false);
    expect(existsSync(join(base, 'made-outside'))).toBe(false);
    stillServes(s);
  });

  it('renaming onto a symlink replaces the link, never the file it points to', () => {
    const s = connect();
    writeFileSync(join(root, 'decoy'), 'decoy\n');
    expect(s.client.renameat(s.root, 'decoy', s.root, 'up')).toBe(0);
    expect(lstatSync(join(root, 'up')).isFile()).toBe(true);
    expect(readFileSync(join(base, 'secret.txt'), 'utf8')).toBe(SECRET);
    rmSync(join(root, 'up'));
    symlinkSync('../secret.txt', join(root, 'up'));
    stillServes(s);
  });
});

describe('escape past the root with ".."', () => {
  it('refuses ".." everywhere a name goes, even below the root', () => {
    const s = connect();
    const snap = snapshot();
    expect(s.client.walk(s.root, s.client.fids.alloc(), ['..'])).toBe(-EINVAL);
    expect(ok(s.client.walk(s.root, s.client.fids.alloc(), ['sub', '..'])).length).toBe(1);
    expect(ok(s.client.walk(s.root, s.client.fids.alloc(), ['sub', '..', '..', 'secret.txt'])).length).toBe(1);
    // "dotdot" is a symlink to "..": a leaf, like every symlink.
    expect(ok(s.client.walk(s.root, s.client.fids.alloc(), ['dotdot', 'secret.txt'])).length).toBe(1);
    expect(s.client.unlinkat(s.root, '..', AT_REMOVEDIR)).toBe(-EINVAL);
    expect(s.client.renameat(s.root, 'hello.txt', s.root, '..')).toBe(-EINVAL);
    expect(s.client.renameat(s.root, '..', s.root, 'parent')).toBe(-EINVAL);
    // The root itself cannot be renamed or removed: it has no name here.
    const r = walkTo(s, []);
    const sub = walkTo(s, ['sub']);
    expect(s.client.rename(r, sub, 'root-moved')).toBe(-EBUSY);
    expect(s.client.remove(walkTo(s, []))).toBe(-EBUSY);
    // Listings leave out "." and "..", whose root entry would describe the parent.
    ok(s.client.lopen(r, O_RDONLY));
    const names = ok(s.client.readdir(r, 0n, 65536)).map((e) => e.name);
    expect(names).not.toContain('..');
    expect(names).not.toContain('.');
    expect(names).not.toContain('secret.txt');
    expect(snapshot()).toBe(snap);
    stillServes(s, [r, sub]);
  });
});

describe('escape with names that are not one component', () => {
  const badNames: Array<[string, number]> = [
    ['..', EINVAL], ['.', EINVAL], ['', EINVAL], ['/', EINVAL], ['a/b', EINVAL], ['/etc/passwd', EINVAL],
    ['../secret.txt', EINVAL], ['sub/../../secret.txt', EINVAL], ['sub/', EINVAL], ['hello.txt\0', EINVAL],
    ['\0', EINVAL], ['a\0/../../secret.txt', EINVAL], ['..\0', EINVAL], ['/proc/self/root', EINVAL],
    ['x'.repeat(256), ENAMETOOLONG], ['\xff'.repeat(256), ENAMETOOLONG], ['y'.repeat(4096), ENAMETOOLONG],
  ];

  it.each(badNames)('%j is refused by every request that takes a name', (name, errno) => {
    const s = connect();
    const snap = snapshot();
    const c = s.client;
    const hello = walkTo(s, ['hello.txt']);
    const made: number[] = [hello];
    expect(c.walk(s.root, c.fids.alloc(), [name]), 'walk').toBe(-errno);
    expect(ok(c.walk(s.root, c.fids.alloc(), ['sub', name])).length, 'walk after a good name').toBe(1);
    const d = walkTo(s, []);
    made.push(d);
    expect(c.lcreate(d, name, O_RDWR, 0o644, 0), 'lcreate').toBe(-errno);
    expect(c.mkdir(s.root, name, 0o755, 0), 'mkdir').toBe(-errno);
    expect(c.symlink(s.root, name, '/etc/passwd', 0), 'symlink').toBe(-errno);
    expect(c.mknod(s.root, name, S_IFIFO | 0o644, 0, 0, 0), 'mknod').toBe(-errno);
    expect(c.link(s.root, hello, name), 'link').toBe(-errno);
    expect(c.rename(hello, s.root, name), 'rename').toBe(-errno);
    expect(c.renameat(s.root, 'hello.txt', s.root, name), 'renameat new').toBe(-errno);
    expect(c.renameat(s.root, name, s.root, 'stolen'), 'renameat old').toBe(-errno);
    expect(c.unlinkat(s.root, name, 0), 'unlinkat').toBe(-errno);
    expect(c.unlinkat(s.root, name, AT_REMOVEDIR), 'rmdir').toBe(-errno);
    expect(snapshot()).toBe(snap);
    stillServes(s, made);
  });

  it('accepts a name of exactly 255 bytes', () => {
    const s = connect();
    const name = 'n'.repeat(255);
    expect(s.client.walk(s.root, s.client.fids.alloc(), [name])).toBe(-ENOENT);
    ok(s.client.mkdir(s.root, name, 0o755, 0));
    expect(statSync(join(root, name)).isDirectory()).toBe(true);
    expect(s.client.unlinkat(s.root, name, AT_REMOVEDIR)).toBe(0);
    stillServes(s);
  });
});

describe('escape with a hard link', () => {
  it('a fid of another connection means nothing here', () => {
    // base/other is served by another connection; its fids are not ours.
    mkdirSync(join(base, 'other'), { recursive: true });
    writeFileSync(join(base, 'other', 'outside.txt'), SECRET);
    writeFileSync(join(base, 'other', 'hello.txt'), HELLO);
    const other = connect(join(base, 'other'));
    const outsideFid = 4000;
    ok(other.client.walk(other.root, outsideFid, ['outside.txt']));
    const s = connect();
    expect(s.client.link(s.root, outsideFid, 'stolen')).toBe(-EBADF);
    expect(s.client.rename(outsideFid, s.root, 'stolen')).toBe(-EBADF);
    expect(existsSync(join(root, 'stolen'))).toBe(false);
    expect(statSync(join(base, 'other', 'outside.txt')).nlink).toBe(1);
    other.client.clunk(outsideFid);
    stillServes(s);
    stillServes(other);
  });

  it('links the inode a fid holds, never a path: a file moved out keeps only the name it had', () => {
    const s = connect();
    writeFileSync(join(root, 'victim.txt'), 'victim\n');
    const victim = walkTo(s, ['victim.txt']);
    const ino = statSync(join(root, 'victim.txt')).ino;
    // The host moves the file out of the mount and puts another in its place.
    renameSync(join(root, 'victim.txt'), join(base, 'moved-out.txt'));
    writeFileSync(join(root, 'victim.txt'), 'replacement\n');
    // The link is to the inode the fid was walked to, which the sandbox
    // could read through its fid anyway; the path outside plays no part.
    expect(s.client.link(s.root, victim, 'linked')).toBe(0);
    expect(statSync(join(root, 'linked')).ino).toBe(ino);
    expect(readFileSync(join(base, 'secret.txt'), 'utf8')).toBe(SECRET);
    expect(statSync(join(base, 'secret.txt')).nlink).toBe(1);
    for (const n of ['linked', 'victim.txt']) rmSync(join(root, n));
    rmSync(join(base, 'moved-out.txt'));
    stillServes(s, [victim]);
  });

  it('linking a symlink fid links the symlink, not what it points to', () => {
    const s = connect();
    const up = walkTo(s, ['up']);
    expect(s.client.link(s.root, up, 'up-hard')).toBe(0);
    expect(lstatSync(join(root, 'up-hard')).isSymbolicLink()).toBe(true);
    expect(statSync(join(base, 'secret.txt')).nlink).toBe(1);
    rmSync(join(root, 'up-hard'));
    // Directories cannot be hard-linked at all.
    const sub = walkTo(s, ['sub']);
    expect(s.client.link(s.root, sub, 'sub-hard')).toBe(-EPERM);
    stillServes(s, [up, sub]);
  });
});

describe('escape through procfs magic links', () => {
  it('serving /proc/self itself, root, cwd, exe and fd/N are symlink leaves', () => {
    const s = connect('/proc/self', true);
    for (const name of ['root', 'cwd', 'exe']) {
      const nf = s.client.fids.alloc();
      expect(ok(s.client.walk(s.root, nf, [name, 'etc'])).length, name).toBe(1);
      const l = walkTo(s, [name]);
      expect(ok(s.client.getattr(l)).qid.type).toBe(QTSYMLINK);
      expect(s.client.lopen(l, O_RDONLY)).toBe(-ELOOP);
      s.client.clunk(l);
    }
    const fd0 = walkTo(s, ['fd', '0']);
    expect(s.client.lopen(fd0, O_RDONLY)).toBe(-ELOOP);
    s.client.clunk(fd0);
    expect(s.server.fidCount).toBe(s.fidsAtStart);
  });

  it('serving /proc, another process\'s root is a leaf too', () => {
    const s = connect('/proc', true);
    expect(ok(s.client.walk(s.root, s.client.fids.alloc(), ['1', 'root', 'etc'])).length).toBe(2);
    expect(ok(s.client.walk(s.root, s.client.fids.alloc(), ['self', 'root'])).length).toBe(1);
    expect(ok(s.client.walk(s.root, s.client.fids.alloc(), ['thread-self', 'cwd'])).length).toBe(1);
    expect(s.server.fidCount).toBe(s.fidsAtStart);
  });

  it('a symlink in the mount to /proc/self/root is a leaf', () => {
    const s = connect();
    for (const name of ['selfroot', 'selfcwd', 'initroot']) {
      expect(ok(s.client.walk(s.root, s.client.fids.alloc(), [name, 'etc', 'passwd'])).length).toBe(1);
    }
    stillServes(s);
  });
});

describe('host device nodes and set-id bits', () => {
  it('never opens a device node, FIFO or socket, whatever the flags', () => {
    const s = connect('/dev', true);
    for (const name of ['null', 'zero', 'full', 'random']) {
      if (!existsSync(join('/dev', name))) continue;
      const f = walkTo(s, [name]);
      expect(s.client.lopen(f, O_RDONLY), name).toBe(-EPERM);
      s.client.clunk(f);
    }
    const w = connect();
    const names = isRoot ? ['pipe', 'null'] : ['pipe'];
    for (const name of names) {
      const f = walkTo(w, [name]);
      for (const flags of [O_RDONLY, O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC]) expect(w.client.lopen(f, flags), `${name} ${flags}`).toBe(-EPERM);
      w.client.clunk(f);
    }
    stillServes(w);
  });

  it('never creates a device node', () => {
    const s = connect();
    for (const type of [S_IFCHR, S_IFBLK]) {
      expect(s.client.mknod(s.root, 'dev', type | 0o666, 1, 3, 0)).toBe(-EPERM);
      expect(existsSync(join(root, 'dev'))).toBe(false);
    }
    // A socket node and a FIFO are fine: opening them is what is refused.
    ok(s.client.mknod(s.root, 'sock', S_IFSOCK | 0o600, 0, 0, 0));
    expect(lstatSync(join(root, 'sock')).isSocket()).toBe(true);
    const f = walkTo(s, ['sock']);
    expect(s.client.lopen(f, O_RDWR)).toBe(-EPERM);
    rmSync(join(root, 'sock'));
    stillServes(s, [f]);
  });

  it('strips set-user-ID and set-group-ID bits from every mode it is given', () => {
    const s = connect();
    const mode = (p: string) => lstatSync(join(root, p)).mode & 0o7777;
    const d = walkTo(s, []);
    ok(s.client.lcreate(d, 'suid-file', O_RDWR, 0o6755, 0));
    expect(mode('suid-file')).toBe(0o755);
    // (This process's umask, 022, applies: runGofer sets 0, a P9Server alone does not.)
    ok(s.client.mkdir(s.root, 'sgid-dir', 0o3755, 0));
    expect(mode('sgid-dir')).toBe(0o1755);
    ok(s.client.mknod(s.root, 'suid-node', S_IFREG | 0o4700, 0, 0, 0));
    expect(mode('suid-node')).toBe(0o700);
    ok(s.client.mknod(s.root, 'sgid-fifo', S_IFIFO | 0o2640, 0, 0, 0));
    expect(mode('sgid-fifo')).toBe(0o640);
    const f = walkTo(s, ['suid-file']);
    expect(s.client.setattr(f, { ...noAttr, valid: SETATTR_MODE, mode: 0o6777 })).toBe(0);
    expect(mode('suid-file')).toBe(0o777);
    expect(s.client.setattr(f, { ...noAttr, valid: SETATTR_MODE, mode: S_IFMT | 0o4755 })).toBe(0);
    expect(mode('suid-file')).toBe(0o755);
    for (const n of ['suid-file', 'suid-node', 'sgid-fifo']) rmSync(join(root, n));
    rmSync(join(root, 'sgid-dir'), { recursive: true });
    stillServes(s, [d, f]);
  });
});

describe('escape through a donated host fd (Tlopenfd, Tlcreatefd)', () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;

  it('donates no directory, symlink, magic link, device, FIFO or socket', () => {
    const s = connect(root, false, true);
    // Served /proc/self too: its magic links are leaves, never opened.
    const p = connect('/proc/self', true, true);
    const before = openFds();
    const refused: Array<[string[], number]> = [
      [[], EISDIR], [['sub'], EISDIR], [['pipe'], EPERM],
      ...Object.keys(LINKS).map((name): [string[], number] => [[name], ELOOP]),
      [['dangling'], ELOOP], [['dangling-dir'], ELOOP],
      ...(isRoot ? [[['null'], EPERM] as [string[], number]] : []),
    ];
    for (const [names, errno] of refused) {
      for (const flags of [O_RDONLY, O_RDWR, O_RDONLY | O_DIRECTORY, O_PATH]) {
        const f = walkTo(s, names);
        expect(s.client.lopenfd(f, flags), `${names.join('/')} ${flags}`).toBe(-errno);
        expect(s.server.replyFd).toBe(-1);
        s.client.clunk(f);
      }
    }
    for (const name of ['root', 'cwd', 'exe']) {
      const f = p.client.fids.alloc();
      ok(p.client.walk(p.root, f, [name]));
      expect(p.client.lopenfd(f, O_RDONLY), name).toBe(-ELOOP);
      p.client.clunk(f);
    }
    expect(openFds()).toBe(before);
    stillServes(s);
  });

  it('a donated fd reaches its own file and no name: not O_PATH, not a directory, openat ENOTDIR', () => {
    const s = connect(root, false, true);
    const before = openFds();
    for (const flags of [O_RDONLY, O_RDWR, O_PATH | O_RDONLY, O_DIRECTORY | O_RDONLY]) {
      const f = walkTo(s, ['sub', 'inner.txt']);
      const opened = ok(s.client.lopenfd(f, flags));
      const st = fstat(opened.fd);
      expect(typeof st === 'number' ? st : st.mode & S_IFMT).toBe(S_IFREG);
      expect(getFileStatusFlags(opened.fd) & (O_PATH | O_DIRECTORY)).toBe(0);
      for (const name of ['..', '.', '../..', '../../secret.txt', '../hello.txt', 'x']) {
        expect(openat(opened.fd, name, O_RDONLY), name).toBe(-ENOTDIR);
        expect(openat(opened.fd, name, O_PATH), name).toBe(-ENOTDIR);
      }
      const buf = Buffer.alloc(64);
      expect(buf.subarray(0, pread(opened.fd, buf, 64, 0)).toString()).toBe('inner\n');
      closeFd(opened.fd);
      s.client.clunk(f);
    }
    // A file created with Tlcreatefd at a dangling symlink's name: EEXIST, nothing made outside.
    const d = walkTo(s, []);
    expect(s.client.lcreatefd(d, 'dangling', O_RDWR, 0o644, 0)).toBe(-EEXIST);
    expect(existsSync(join(base, 'created-outside'))).toBe(false);
    s.client.clunk(d);
    expect(openFds()).toBe(before);
    stillServes(s);
  });
});

