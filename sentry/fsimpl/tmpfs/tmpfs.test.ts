// tmpfs semantics through the VFS: sizes and ENOSPC, link counts, renames,
// removal of open files, symlinks, FIFOs, xattrs, times, fallocate.
import { describe, expect, it } from 'vitest';
import { E } from '../../../abi/linux/errno.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE } from '../../../abi/linux/falloc.js';
import { O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from '../../../abi/linux/fcntl.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../../../abi/linux/fs.js';
import { S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type Stat } from '../../../abi/linux/stat.js';
import { XATTR_CREATE, XATTR_REPLACE } from '../../../abi/linux/xattr.js';
import type { FileDescription } from '../../vfs/file-description.js';
import { Harness, must } from '../../vfs/test-harness.js';
import { FifoEnd } from '../pipe/fifo.js';
import { newTmpfs } from './tmpfs.js';

const PAGE = 4096;

function fresh(opts: Parameters<typeof newTmpfs>[0] = {}): Harness {
  return new Harness(newTmpfs(opts));
}

function st(h: Harness, path: string, follow = true): Stat {
  return must(h.stat(path, follow), `stat ${path}`);
}

function bytes(n: number, fill = 0x61): Uint8Array { return new Uint8Array(n).fill(fill); }

describe('tmpfs: files and space', () => {
  it('writes, reads back and reports size and blocks by pages', () => {
    const h = fresh();
    expect(h.writeFile('/a', 'hello')).toBe(5);
    expect(h.readFile('/a')).toBe('hello');
    const s = st(h, '/a');
    expect(s.mode).toBe(S_IFREG | 0o644);
    expect(s.size).toBe(5);
    expect(s.blocks).toBe(8);
    expect(s.nlink).toBe(1);
  });

  it('keeps holes free: a file grown by truncate takes no pages and reads zeros', () => {
    const h = fresh({ sizeLimit: 2 * PAGE });
    expect(h.writeFile('/a', '')).toBe(0);
    expect(h.truncate('/a', 1 << 30)).toBe(0);
    expect(st(h, '/a').size).toBe(1 << 30);
    expect(st(h, '/a').blocks).toBe(0);
    const f = must(h.open('/a', O_RDWR));
    const buf = bytes(10, 0xff);
    expect(f.read(buf, 5000)).toBe(10);
    expect([...buf]).toEqual(new Array(10).fill(0));
    f.decRef();
  });

  const enospc: Array<{ name: string; limit: number; writes: number[]; want: number[] }> = [
    { name: 'a write that fits', limit: 2 * PAGE, writes: [PAGE], want: [PAGE] },
    { name: 'a write past the limit stops short, the next fails', limit: 2 * PAGE, writes: [3 * PAGE], want: [2 * PAGE] },
    { name: 'full: ENOSPC', limit: PAGE, writes: [PAGE, 1], want: [PAGE, -E.ENOSPC] },
    { name: 'rounding: a partial page takes a page', limit: PAGE, writes: [10, PAGE], want: [10, PAGE - 10] },
  ];
  for (const c of enospc) {
    it(`ENOSPC: ${c.name}`, () => {
      const h = fresh({ sizeLimit: c.limit });
      const f = must(h.open('/f', 0o100 | O_WRONLY));
      expect(c.writes.map((n) => f.write(bytes(n), -1)), c.name).toEqual(c.want);
      f.decRef();
    });
  }

  it('gives space back when the last link and the last open go, not before', () => {
    const h = fresh({ sizeLimit: 4 * PAGE });
    expect(h.writeFile('/a', 'x'.repeat(3 * PAGE))).toBe(3 * PAGE);
    const free0 = must(h.root.inode.statfs()).bfree;
    expect(free0).toBe(1);
    const f = must(h.open('/a'));
    expect(h.unlink('/a')).toBe(0);
    expect(must(h.root.inode.statfs()).bfree).toBe(1);
    expect(f.stat()).toMatchObject({ nlink: 0, size: 3 * PAGE });
    const buf = new Uint8Array(4);
    expect(f.read(buf, 0)).toBe(4);
    f.decRef();
    expect(must(h.root.inode.statfs()).bfree).toBe(4);
    expect(h.writeFile('/b', 'y'.repeat(4 * PAGE))).toBe(4 * PAGE);
  });

  it('counts inodes against inodeLimit', () => {
    const h = fresh({ inodeLimit: 3 });
    expect(h.writeFile('/a', '')).toBe(0);
    expect(h.mkdir('/d')).toBe(0);
    expect(h.writeFile('/b', '')).toBe(-E.ENOSPC);
    expect(h.unlink('/a')).toBe(0);
    expect(h.symlink('/x', '/l')).toBe(0);
  });

  it('appends with O_APPEND even at an explicit offset, as Linux does', () => {
    const h = fresh();
    h.writeFile('/a', 'abc');
    const f = must(h.open('/a', O_WRONLY | 0o2000));
    expect(f.write(bytes(2, 0x7a), 0)).toBe(2);
    f.decRef();
    expect(h.readFile('/a')).toBe('abczz');
  });

  const falloc: Array<{ name: string; mode: number; off: number; len: number; want: number; size: number; blocks: number }> = [
    { name: 'mode 0 grows the file', mode: 0, off: 0, len: 2 * PAGE, want: 0, size: 2 * PAGE, blocks: 16 },
    { name: 'KEEP_SIZE takes pages only', mode: FALLOC_FL_KEEP_SIZE, off: 0, len: 2 * PAGE, want: 0, size: 10, blocks: 16 },
    { name: 'PUNCH_HOLE frees whole pages', mode: FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off: 0, len: PAGE, want: 0, size: 10, blocks: 0 },
    { name: 'ZERO_RANGE is not supported', mode: FALLOC_FL_ZERO_RANGE, off: 0, len: PAGE, want: -E.EOPNOTSUPP, size: 10, blocks: 8 },
    { name: 'past the limit: ENOSPC, nothing taken', mode: 0, off: 0, len: 100 * PAGE, want: -E.ENOSPC, size: 10, blocks: 8 },
  ];
  for (const c of falloc) {
    it(`fallocate: ${c.name}`, () => {
      const h = fresh({ sizeLimit: 8 * PAGE });
      h.writeFile('/a', '0123456789');
      const f = must(h.open('/a', O_RDWR));
      expect(f.allocate(c.mode, c.off, c.len), c.name).toBe(c.want);
      expect(f.stat(), c.name).toMatchObject({ size: c.size, blocks: c.blocks });
      f.decRef();
    });
  }

  it('maps: readInto reads the file without moving anything', () => {
    const h = fresh();
    h.writeFile('/a', 'mapped bytes');
    const f = must(h.open('/a')) as FileDescription & { readInto(o: number, d: Uint8Array): number; mappingName: string };
    const page = new Uint8Array(PAGE);
    expect(f.readInto(0, page)).toBe(12);
    expect(Buffer.from(page.subarray(0, 12)).toString()).toBe('mapped bytes');
    expect(f.mappingName).toBe('/a');
    f.decRef();
  });
});

describe('tmpfs: link counts', () => {
  const cases: Array<{ name: string; steps: (h: Harness) => void; path: string; nlink: number }> = [
    { name: 'a new file', steps: (h) => h.writeFile('/a', ''), path: '/a', nlink: 1 },
    { name: 'a hard link', steps: (h) => { h.writeFile('/a', ''); h.link('/a', '/b'); }, path: '/a', nlink: 2 },
    { name: 'a hard link removed', steps: (h) => { h.writeFile('/a', ''); h.link('/a', '/b'); h.unlink('/b'); }, path: '/a', nlink: 1 },
    { name: 'an empty directory', steps: (h) => h.mkdir('/d'), path: '/d', nlink: 2 },
    { name: 'a directory with two subdirectories', steps: (h) => { h.mkdir('/d'); h.mkdir('/d/x'); h.mkdir('/d/y'); h.writeFile('/d/f', ''); }, path: '/d', nlink: 4 },
    { name: 'after rmdir of a subdirectory', steps: (h) => { h.mkdir('/d'); h.mkdir('/d/x'); h.rmdir('/d/x'); }, path: '/d', nlink: 2 },
    { name: 'a subdirectory moved out', steps: (h) => { h.mkdir('/d'); h.mkdir('/d/x'); h.rename('/d/x', '/x'); }, path: '/d', nlink: 2 },
    { name: 'the root after a move in', steps: (h) => { h.mkdir('/d'); h.mkdir('/d/x'); h.rename('/d/x', '/x'); }, path: '/', nlink: 4 },
    { name: 'a file replaced by rename', steps: (h) => { h.writeFile('/a', ''); h.link('/a', '/c'); h.writeFile('/b', ''); h.rename('/b', '/a'); }, path: '/c', nlink: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const h = fresh();
      c.steps(h);
      expect(st(h, c.path).nlink, c.name).toBe(c.nlink);
    });
  }

  it('hard links share the inode: a write through one shows through the other', () => {
    const h = fresh();
    h.writeFile('/a', 'one');
    expect(h.link('/a', '/b')).toBe(0);
    h.writeFile('/b', 'two');
    expect(h.readFile('/a')).toBe('two');
    expect(st(h, '/a').ino).toBe(st(h, '/b').ino);
  });

  it('refuses hard links to directories (EPERM) and across file systems (EXDEV)', () => {
    const h = fresh();
    h.mkdir('/d');
    expect(h.link('/d', '/e')).toBe(-E.EPERM);
    h.mkdir('/m');
    h.mount('/m', newTmpfs());
    h.writeFile('/a', '');
    expect(h.link('/a', '/m/a')).toBe(-E.EXDEV);
  });
});

describe('tmpfs: rename', () => {
  interface Case { name: string; setup: (h: Harness) => void; from: string; to: string; flags?: number; want: number; check?: (h: Harness) => void }
  const cases: Case[] = [
    { name: 'file to a new name', setup: (h) => h.writeFile('/a', 'A'), from: '/a', to: '/b', want: 0,
      check: (h) => { expect(h.readFile('/b')).toBe('A'); expect(h.stat('/a')).toBe(-E.ENOENT); } },
    { name: 'file over a file', setup: (h) => { h.writeFile('/a', 'A'); h.writeFile('/b', 'B'); }, from: '/a', to: '/b', want: 0,
      check: (h) => { expect(h.readFile('/b')).toBe('A'); expect(h.ls('/')).toEqual(['b']); } },
    { name: 'file over a directory', setup: (h) => { h.writeFile('/a', ''); h.mkdir('/d'); }, from: '/a', to: '/d', want: -E.EISDIR },
    { name: 'directory over a file', setup: (h) => { h.writeFile('/a', ''); h.mkdir('/d'); }, from: '/d', to: '/a', want: -E.ENOTDIR },
    { name: 'directory over an empty directory', setup: (h) => { h.mkdir('/d'); h.writeFile('/d/f', 'F'); h.mkdir('/e'); }, from: '/d', to: '/e', want: 0,
      check: (h) => { expect(h.readFile('/e/f')).toBe('F'); expect(h.ls('/')).toEqual(['e']); } },
    { name: 'directory over a non-empty directory', setup: (h) => { h.mkdir('/d'); h.mkdir('/e'); h.writeFile('/e/f', ''); }, from: '/d', to: '/e', want: -E.ENOTEMPTY },
    { name: 'directory into itself', setup: (h) => { h.mkdir('/d'); h.mkdir('/d/e'); }, from: '/d', to: '/d/e/x', want: -E.EINVAL },
    { name: 'target an ancestor of the source', setup: (h) => { h.mkdir('/d'); h.mkdir('/d/e'); }, from: '/d/e', to: '/d', want: -E.ENOTEMPTY },
    { name: 'NOREPLACE over a file', setup: (h) => { h.writeFile('/a', ''); h.writeFile('/b', ''); }, from: '/a', to: '/b', flags: RENAME_NOREPLACE, want: -E.EEXIST },
    { name: 'NOREPLACE to a new name', setup: (h) => h.writeFile('/a', ''), from: '/a', to: '/b', flags: RENAME_NOREPLACE, want: 0 },
    { name: 'EXCHANGE a file and a directory', setup: (h) => { h.writeFile('/a', 'A'); h.mkdir('/d'); h.writeFile('/d/f', 'F'); }, from: '/a', to: '/d', flags: RENAME_EXCHANGE, want: 0,
      check: (h) => { expect(h.readFile('/d')).toBe('A'); expect(h.readFile('/a/f')).toBe('F'); } },
    { name: 'EXCHANGE with a missing name', setup: (h) => h.writeFile('/a', ''), from: '/a', to: '/b', flags: RENAME_EXCHANGE, want: -E.ENOENT },
    { name: 'EXCHANGE across directories moves the link counts', setup: (h) => { h.mkdir('/p'); h.mkdir('/p/sub'); h.mkdir('/q'); h.writeFile('/q/f', ''); }, from: '/p/sub', to: '/q/f', flags: RENAME_EXCHANGE, want: 0,
      check: (h) => { expect(st(h, '/p').nlink).toBe(2); expect(st(h, '/q').nlink).toBe(3); expect(st(h, '/q/f').mode & S_IFMT).toBe(S_IFDIR); } },
    { name: 'hard links of one file: nothing happens', setup: (h) => { h.writeFile('/a', ''); h.link('/a', '/b'); }, from: '/a', to: '/b', want: 0,
      check: (h) => expect(h.ls('/')).toEqual(['a', 'b']) },
    { name: 'a missing source', setup: () => {}, from: '/a', to: '/b', want: -E.ENOENT },
    { name: 'across mounts', setup: (h) => { h.writeFile('/a', ''); h.mkdir('/m'); h.mount('/m', newTmpfs()); }, from: '/a', to: '/m/a', want: -E.EXDEV },
    { name: 'a mount point', setup: (h) => { h.mkdir('/m'); h.mount('/m', newTmpfs()); }, from: '/m', to: '/n', want: -E.EBUSY },
    { name: 'a file with a trailing slash', setup: (h) => h.writeFile('/a', ''), from: '/a/', to: '/b', want: -E.ENOTDIR },
    { name: 'a directory to a name with a trailing slash', setup: (h) => h.mkdir('/d'), from: '/d', to: '/e/', want: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const h = fresh();
      c.setup(h);
      expect(h.rename(c.from, c.to, c.flags ?? 0), c.name).toBe(c.want);
      c.check?.(h);
    });
  }

  it('moves cached dentries: the old name is gone, the new one is the same dentry, a cwd inside follows', () => {
    const h = fresh();
    h.mkdir('/d');
    h.mkdir('/d/sub');
    const sub = must(h.resolve('/d/sub'));
    h.ctx.cwd = sub;
    expect(h.rename('/d', '/e')).toBe(0);
    expect(h.resolve('/d/sub')).toBe(-E.ENOENT);
    expect(h.resolve('/e/sub')).toBe(sub);
    expect(sub.path(h.root)).toBe('/e/sub');
  });

  it('marks a replaced or removed dentry unlinked', () => {
    const h = fresh();
    h.writeFile('/a', '');
    h.writeFile('/b', '');
    const b = must(h.resolve('/b'));
    expect(h.rename('/a', '/b')).toBe(0);
    expect(b.unlinked).toBe(true);
    expect(h.resolve('/b')).not.toBe(b);
  });
});

describe('tmpfs: directories', () => {
  const cases: Array<{ name: string; run: (h: Harness) => number; want: number }> = [
    { name: 'mkdir of an existing name', run: (h) => { h.writeFile('/a', ''); return h.mkdir('/a'); }, want: -E.EEXIST },
    { name: 'mkdir "."', run: (h) => h.mkdir('/.'), want: -E.EEXIST },
    { name: 'mkdir with a trailing slash', run: (h) => h.mkdir('/d/'), want: 0 },
    { name: 'mknod with a trailing slash', run: (h) => h.mknod('/p/', S_IFIFO | 0o644), want: -E.ENOENT },
    { name: 'mkdir under a file', run: (h) => { h.writeFile('/a', ''); return h.mkdir('/a/d'); }, want: -E.ENOTDIR },
    { name: 'rmdir of a non-empty directory', run: (h) => { h.mkdir('/d'); h.writeFile('/d/f', ''); return h.rmdir('/d'); }, want: -E.ENOTEMPTY },
    { name: 'rmdir "."', run: (h) => { h.mkdir('/d'); return h.rmdir('/d/.'); }, want: -E.EINVAL },
    { name: 'rmdir ".."', run: (h) => { h.mkdir('/d'); return h.rmdir('/d/..'); }, want: -E.ENOTEMPTY },
    { name: 'rmdir of a file', run: (h) => { h.writeFile('/a', ''); return h.rmdir('/a'); }, want: -E.ENOTDIR },
    { name: 'rmdir of a mount point', run: (h) => { h.mkdir('/m'); h.mount('/m', newTmpfs()); return h.rmdir('/m'); }, want: -E.EBUSY },
    { name: 'unlink of a directory', run: (h) => { h.mkdir('/d'); return h.unlink('/d'); }, want: -E.EISDIR },
    { name: 'unlink with a trailing slash', run: (h) => { h.writeFile('/a', ''); return h.unlink('/a/'); }, want: -E.ENOTDIR },
    { name: 'unlink of a missing name', run: (h) => h.unlink('/nope'), want: -E.ENOENT },
    { name: 'create in a removed directory', run: (h) => {
      h.mkdir('/d'); const d = must(h.resolve('/d')); h.ctx.cwd = d; h.rmdir('/d'); return h.writeFile('f', '');
    }, want: -E.ENOENT },
    { name: 'device nodes are refused', run: (h) => h.mknod('/null', S_IFCHR | 0o666, 0x103), want: -E.EPERM },
  ];
  for (const c of cases) {
    it(c.name, () => expect(c.run(fresh()), c.name).toBe(c.want));
  }

  it('reads a directory from a snapshot: removing entries while listing skips nothing', () => {
    const h = fresh();
    h.mkdir('/d');
    for (let i = 0; i < 10; i++) h.writeFile(`/d/f${i}`, '');
    const dir = must(h.open('/d', 0o200000));
    const seen: string[] = [];
    for (;;) {
      const entries = must(dir.readdir());
      if (entries.length === 0) break;
      const e = entries[0];
      dir.offset++;
      if (e.name === '.' || e.name === '..') continue;
      seen.push(e.name);
      expect(h.unlink(`/d/${e.name}`)).toBe(0);
    }
    dir.decRef();
    expect(seen.length).toBe(10);
    expect(h.ls('/d')).toEqual([]);
  });

  it('has the size Linux shmem reports and "." and ".." entries', () => {
    const h = fresh();
    h.mkdir('/d');
    h.writeFile('/d/a', '');
    expect(st(h, '/d').size).toBe(60);
    const f = must(h.open('/d', 0o200000));
    const names = must(f.readdir()).map((e) => e.name);
    f.decRef();
    expect(names.slice(0, 2)).toEqual(['.', '..']);
  });

  it('gives a set-group-ID directory\'s group to new files and the bit to new directories', () => {
    const h = fresh();
    h.mkdir('/g', 0o2775);
    // mkdir(2) drops set-group-ID from the mode it is given (mkdir -m does a chmod after).
    expect(st(h, '/g').mode & 0o7777).toBe(0o775);
    h.chmod('/g', 0o2775);
    h.chown('/g', 0, 50);
    h.writeFile('/g/f', '');
    h.mkdir('/g/sub');
    expect(st(h, '/g/f').gid).toBe(50);
    expect(st(h, '/g/sub').gid).toBe(50);
    expect(st(h, '/g/sub').mode & 0o7777).toBe(0o2755);
  });
});

describe('tmpfs: symlinks, special files, attributes', () => {
  it('keeps a symlink\'s target byte for byte', () => {
    const h = fresh();
    const target = 'caf\xe9/\xff';
    expect(h.symlink(target, '/l')).toBe(0);
    expect(h.readlink('/l')).toBe(target);
    const s = st(h, '/l', false);
    expect(s.mode).toBe(S_IFLNK | 0o777);
    expect(s.size).toBe(target.length);
    expect(h.symlink('x', '/l')).toBe(-E.EEXIST);
  });

  it('makes FIFOs that open into one pipe, with Linux\'s open rules', () => {
    const h = fresh();
    expect(h.mknod('/p', S_IFIFO | 0o644)).toBe(0);
    expect(st(h, '/p').mode).toBe(S_IFIFO | 0o644);
    expect(h.open('/p', O_WRONLY | O_NONBLOCK)).toBe(-E.ENXIO);
    const r = must(h.open('/p', O_RDONLY | O_NONBLOCK)) as FifoEnd;
    expect(r).toBeInstanceOf(FifoEnd);
    expect(r.ready()).toBe(true);
    const w = must(h.open('/p', O_WRONLY)) as FifoEnd;
    expect(w.ready()).toBe(true);
    expect(w.write(Uint8Array.of(1, 2, 3))).toBe(3);
    const buf = new Uint8Array(8);
    expect(r.read(buf)).toBe(3);
    expect(r.stat().mode).toBe(S_IFIFO | 0o644);
    w.decRef(); r.decRef();
    // A blocking reader must wait for a writer; one that comes (and goes) ends the wait.
    const waiting = must(h.open('/p', O_RDONLY)) as FifoEnd;
    expect(waiting.ready()).toBe(false);
    must(h.open('/p', O_WRONLY)).decRef();
    expect(waiting.ready()).toBe(true);
    waiting.decRef();
  });

  it('makes sockets that do not open', () => {
    const h = fresh();
    expect(h.mknod('/s', S_IFSOCK | 0o600)).toBe(0);
    expect(h.open('/s')).toBe(-E.ENXIO);
  });

  const xattrCases: Array<{ name: string; run: (i: ReturnType<typeof newTmpfs>) => unknown; want: unknown }> = [
    { name: 'set then get', run: (i) => { i.setxattr('user.a', Uint8Array.of(1, 2), 0); return [...(i.getxattr('user.a') as Uint8Array)]; }, want: [1, 2] },
    { name: 'get missing', run: (i) => i.getxattr('user.none'), want: -E.ENODATA },
    { name: 'CREATE over an existing one', run: (i) => { i.setxattr('user.a', Uint8Array.of(1), 0); return i.setxattr('user.a', Uint8Array.of(2), XATTR_CREATE); }, want: -E.EEXIST },
    { name: 'REPLACE of a missing one', run: (i) => i.setxattr('user.a', Uint8Array.of(1), XATTR_REPLACE), want: -E.ENODATA },
    { name: 'list', run: (i) => { i.setxattr('user.a', new Uint8Array(0), 0); i.setxattr('trusted.b', Uint8Array.of(1), 0); return i.listxattr(); }, want: ['user.a', 'trusted.b'] },
    { name: 'remove', run: (i) => { i.setxattr('user.a', Uint8Array.of(1), 0); i.removexattr('user.a'); return i.getxattr('user.a'); }, want: -E.ENODATA },
    { name: 'remove missing', run: (i) => i.removexattr('user.a'), want: -E.ENODATA },
    { name: 'system.* is not kept', run: (i) => i.setxattr('system.posix_acl_access', Uint8Array.of(1), 0), want: -E.EOPNOTSUPP },
  ];
  for (const c of xattrCases) {
    it(`xattr: ${c.name}`, () => expect(c.run(newTmpfs()), c.name).toEqual(c.want));
  }

  it('sets times and owners, and moves ctime with every change', () => {
    const h = fresh();
    h.writeFile('/a', 'x');
    expect(h.utimes('/a', { sec: 1000, nsec: 5 }, { sec: 2000, nsec: 6 })).toBe(0);
    const s = st(h, '/a');
    expect(s.atime).toEqual({ sec: 1000, nsec: 5 });
    expect(s.mtime).toEqual({ sec: 2000, nsec: 6 });
    expect(s.ctime.sec).toBeGreaterThan(2000);
    expect(h.chown('/a', 7, 8)).toBe(0);
    expect(st(h, '/a')).toMatchObject({ uid: 7, gid: 8 });
    expect(h.chmod('/a', 0o4755)).toBe(0);
    expect(st(h, '/a').mode).toBe(S_IFREG | 0o4755);
    // chown drops set-user-ID.
    expect(h.chown('/a', 7, -1)).toBe(0);
    expect(st(h, '/a').mode).toBe(S_IFREG | 0o755);
  });

  it('is read-only when mounted so', () => {
    const h = new Harness(newTmpfs({ readonly: true }));
    expect(h.mkdir('/d')).toBe(-E.EROFS);
    expect(h.writeFile('/a', '')).toBe(-E.EROFS);
    expect(h.chmod('/', 0o700)).toBe(-E.EROFS);
    expect(must(h.root.inode.statfs()).flags & 1).toBe(1);
  });
});
