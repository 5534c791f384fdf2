// The overlay's semantics, over two kinds of lower layer: a tmpfs, and a
// read-only Gofer mount served in process (the way `runsc do` uses it).
// Each case runs on a fresh overlay and checks what the application sees,
// what the upper layer holds (whiteouts, opaque directories, copies), and
// that the lower layer never changes.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E } from '../../../abi/linux/errno.js';
import { O_RDONLY, O_RDWR, O_WRONLY } from '../../../abi/linux/fcntl.js';
import { RENAME_EXCHANGE } from '../../../abi/linux/fs.js';
import { S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG } from '../../../abi/linux/stat.js';
import { P9Client } from '../../../gofer/p9/client.js';
import { P9Server } from '../../../gofer/p9/server.js';
import type { Inode } from '../../vfs/inode.js';
import { Harness, must } from '../../vfs/test-harness.js';
import { GoferFs } from '../gofer/gofer-fs.js';
import { newTmpfs } from '../tmpfs/tmpfs.js';
import { newOverlay, OVERLAYFS_SUPER_MAGIC } from './overlay.js';

const MTIME = 1_600_000_000;
const DATA = 'd'.repeat(10_000);

/** The lower tree, as (path, contents) with directories ending in "/" and symlinks as "->target". */
const TREE: Array<[string, string]> = [
  ['etc/', ''], ['etc/hostname', 'lower-host\n'],
  ['dir/', ''], ['dir/a', 'A'], ['dir/b', 'B'], ['dir/sub/', ''], ['dir/sub/c', 'C'],
  ['empty/', ''], ['link', '->dir/a'], ['data', DATA],
];

interface Layers {
  /** The overlay as the application sees it. */
  h: Harness;
  /** The upper tmpfs, seen directly. */
  upper: Harness;
  /** The lower layer's contents as a sorted listing, to check it never changes. */
  lowerSnapshot(): string;
}

function buildTmpfsLower(): { root: Inode; snapshot: () => string } {
  const root = newTmpfs({ mode: 0o755 });
  const l = new Harness(root);
  for (const [p, c] of TREE) {
    if (p.endsWith('/')) must(l.mkdir('/' + p));
    else if (c.startsWith('->')) must(l.symlink(c.slice(2), '/' + p));
    else must(l.writeFile('/' + p, c));
  }
  must(l.utimes('/etc/hostname', { sec: MTIME, nsec: 0 }, { sec: MTIME, nsec: 0 }));
  const snapshot = (): string => {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const name of must(l.ls(dir))) {
        const p = `${dir === '/' ? '' : dir}/${name}`;
        const s = must(l.stat(p, false));
        const kind = s.mode & S_IFMT;
        out.push(`${p} ${kind.toString(8)} ${s.size} ${kind === S_IFREG ? l.readFile(p) : ''}`);
        if (kind === S_IFDIR) walk(p);
      }
    };
    walk('/');
    return out.join('\n');
  };
  return { root, snapshot };
}

let hostDir = '';
function buildHostLower(): string {
  const dir = mkdtempSync(join(tmpdir(), 'overlay-lower-'));
  for (const [p, c] of TREE) {
    if (p.endsWith('/')) mkdirSync(join(dir, p));
    else if (c.startsWith('->')) symlinkSync(c.slice(2), join(dir, p));
    else writeFileSync(join(dir, p), c);
  }
  utimesSync(join(dir, 'etc/hostname'), MTIME, MTIME);
  return dir;
}

function hostSnapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = `${rel}/${e.name}`;
      out.push(`${p} ${e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : 'f'} ${e.isFile() ? readFileSync(join(d, e.name), 'latin1') : ''}`);
      if (e.isDirectory()) walk(join(d, e.name), p);
    }
  };
  walk(dir, '');
  return out.join('\n');
}

const LOWERS: Array<{ kind: string; make(): { root: Inode; snapshot: () => string } }> = [
  { kind: 'tmpfs lower', make: buildTmpfsLower },
  {
    kind: 'read-only Gofer lower',
    make: () => {
      const server = new P9Server({ root: hostDir, readonly: true });
      const client = new P9Client({ call: (req) => server.handle(req) });
      const root = must(GoferFs.mount(client, { readonly: true, dev: 0x100 }), 'gofer mount');
      return { root, snapshot: () => hostSnapshot(hostDir) };
    },
  },
];

function layers(kind: (typeof LOWERS)[number], upperOpts: Parameters<typeof newTmpfs>[0] = {}): Layers {
  const lower = kind.make();
  const upperRoot = newTmpfs({ mode: 0o755, ...upperOpts });
  return { h: new Harness(newOverlay(lower.root, upperRoot)), upper: new Harness(upperRoot), lowerSnapshot: lower.snapshot };
}

function isWhiteout(upper: Harness, path: string): boolean {
  const s = upper.stat(path, false);
  return typeof s !== 'number' && (s.mode & S_IFMT) === S_IFCHR && s.rdev === 0;
}

function isOpaque(upper: Harness, path: string): boolean {
  const d = must(upper.resolve(path));
  const v = d.inode.getxattr('trusted.overlay.opaque');
  return typeof v !== 'number' && Buffer.from(v).toString() === 'y';
}

beforeAll(() => { hostDir = buildHostLower(); });
afterAll(() => { if (hostDir) rmSync(hostDir, { recursive: true, force: true }); });

interface Case { name: string; run(l: Layers): void }

const CASES: Case[] = [
  { name: 'reads the lower layer through', run: ({ h, upper }) => {
    expect(h.readFile('/etc/hostname')).toBe('lower-host\n');
    expect(h.readFile('/link')).toBe('A');
    expect(h.ls('/dir')).toEqual(['a', 'b', 'sub']);
    expect(upper.ls('/')).toEqual([]);
  } },
  { name: 'copy-up on write keeps the contents, mode, owner and times', run: ({ h, upper }) => {
    const before = must(h.stat('/etc/hostname'));
    const dirBefore = must(h.stat('/etc'));
    const f = must(h.open('/etc/hostname', O_RDWR));
    expect(f.write(Uint8Array.from(Buffer.from('L')), 0)).toBe(1);
    f.decRef();
    expect(h.readFile('/etc/hostname')).toBe('Lower-host\n');
    expect(upper.readFile('/etc/hostname')).toBe('Lower-host\n');
    const after = must(h.stat('/etc/hostname'));
    expect(after.ino).toBe(before.ino);
    expect(after.mode).toBe(before.mode);
    expect(after.uid).toBe(before.uid);
    // Copying up leaves the parent's times as they were.
    expect(must(h.stat('/etc')).mtime).toEqual(dirBefore.mtime);
  } },
  { name: 'copy-up preserves times until the file changes', run: ({ h }) => {
    expect(h.chmod('/etc/hostname', 0o600)).toBe(0);
    const s = must(h.stat('/etc/hostname'));
    expect(s.mtime.sec).toBe(MTIME);
    expect(s.mode & 0o7777).toBe(0o600);
  } },
  { name: 'a big file copies up whole', run: ({ h, upper }) => {
    const f = must(h.open('/data', O_WRONLY | 0o2000));
    expect(f.write(Uint8Array.from(Buffer.from('!')), -1)).toBe(1);
    f.decRef();
    expect(upper.readFile('/data')).toBe(DATA + '!');
  } },
  { name: 'an open for reading follows a later copy-up', run: ({ h }) => {
    const r = must(h.open('/dir/a', O_RDONLY));
    expect(h.writeFile('/dir/a', 'new')).toBe(3);
    const buf = new Uint8Array(8);
    expect(Buffer.from(buf.subarray(0, r.read(buf, 0))).toString()).toBe('new');
    r.decRef();
  } },
  { name: 'unlink of a lower file leaves a whiteout', run: ({ h, upper }) => {
    expect(h.unlink('/dir/a')).toBe(0);
    expect(h.stat('/dir/a')).toBe(-E.ENOENT);
    expect(h.ls('/dir')).toEqual(['b', 'sub']);
    expect(isWhiteout(upper, '/dir/a')).toBe(true);
    expect(h.readFile('/link')).toBe(-E.ENOENT);
  } },
  { name: 'a file made where a whiteout is replaces it', run: ({ h, upper }) => {
    h.unlink('/dir/a');
    expect(h.writeFile('/dir/a', 'again')).toBe(5);
    expect(h.readFile('/dir/a')).toBe('again');
    expect(isWhiteout(upper, '/dir/a')).toBe(false);
    expect(h.ls('/dir')).toEqual(['a', 'b', 'sub']);
  } },
  { name: 'unlink of an upper-only file leaves nothing', run: ({ h, upper }) => {
    h.writeFile('/dir/new', 'n');
    expect(h.unlink('/dir/new')).toBe(0);
    expect(upper.ls('/dir')).toEqual([]);
  } },
  { name: 'rmdir of a non-empty lower directory', run: ({ h }) => {
    expect(h.rmdir('/dir/sub')).toBe(-E.ENOTEMPTY);
  } },
  { name: 'rmdir once its lower contents are deleted', run: ({ h, upper }) => {
    expect(h.unlink('/dir/sub/c')).toBe(0);
    expect(h.rmdir('/dir/sub')).toBe(0);
    expect(h.stat('/dir/sub')).toBe(-E.ENOENT);
    expect(isWhiteout(upper, '/dir/sub')).toBe(true);
  } },
  { name: 'a directory made where a whiteout is is opaque', run: ({ h, upper }) => {
    h.unlink('/dir/sub/c');
    h.rmdir('/dir/sub');
    expect(h.mkdir('/dir/sub')).toBe(0);
    expect(h.ls('/dir/sub')).toEqual([]);
    expect(isOpaque(upper, '/dir/sub')).toBe(true);
    expect(h.writeFile('/dir/sub/d', 'D')).toBe(1);
    expect(h.ls('/dir/sub')).toEqual(['d']);
  } },
  { name: 'readdir merges the layers without duplicates', run: ({ h }) => {
    h.writeFile('/dir/z', '');
    h.writeFile('/dir/b', 'changed');
    h.unlink('/dir/a');
    expect(h.ls('/dir')).toEqual(['b', 'sub', 'z']);
    expect(h.ls('/')).toEqual(['data', 'dir', 'empty', 'etc', 'link']);
  } },
  { name: 'readdir inode numbers agree with stat', run: ({ h }) => {
    h.writeFile('/dir/b', 'changed');
    h.writeFile('/dir/new', '');
    const f = must(h.open('/dir', 0o200000));
    const entries = must(f.readdir());
    f.decRef();
    for (const e of entries) {
      if (e.name === '.' || e.name === '..') continue;
      expect(e.ino, e.name).toBe(must(h.stat(`/dir/${e.name}`, false)).ino);
    }
  } },
  { name: 'rename of a lower file copies it up and whites out the old name', run: ({ h, upper }) => {
    expect(h.rename('/dir/a', '/dir/a2')).toBe(0);
    expect(h.readFile('/dir/a2')).toBe('A');
    expect(h.stat('/dir/a')).toBe(-E.ENOENT);
    expect(isWhiteout(upper, '/dir/a')).toBe(true);
  } },
  { name: 'rename of a lower file over another lower file', run: ({ h }) => {
    expect(h.rename('/dir/a', '/dir/b')).toBe(0);
    expect(h.readFile('/dir/b')).toBe('A');
    expect(h.ls('/dir')).toEqual(['b', 'sub']);
  } },
  { name: 'rename of a lower directory copies its tree up', run: ({ h, upper }) => {
    expect(h.rename('/dir', '/moved')).toBe(0);
    expect(h.ls('/moved')).toEqual(['a', 'b', 'sub']);
    expect(h.readFile('/moved/sub/c')).toBe('C');
    expect(h.stat('/dir')).toBe(-E.ENOENT);
    expect(isWhiteout(upper, '/dir')).toBe(true);
    expect(isOpaque(upper, '/moved')).toBe(true);
  } },
  { name: 'rename of a directory over an empty lower directory', run: ({ h, upper }) => {
    h.mkdir('/new');
    h.writeFile('/new/f', 'F');
    expect(h.rename('/new', '/empty')).toBe(0);
    expect(h.ls('/empty')).toEqual(['f']);
    expect(isOpaque(upper, '/empty')).toBe(true);
  } },
  { name: 'rename over a non-empty lower directory', run: ({ h }) => {
    h.mkdir('/new');
    expect(h.rename('/new', '/dir')).toBe(-E.ENOTEMPTY);
  } },
  { name: 'rename exchange of a lower file and an upper file', run: ({ h }) => {
    h.writeFile('/up', 'U');
    expect(h.rename('/up', '/dir/a', RENAME_EXCHANGE)).toBe(0);
    expect(h.readFile('/up')).toBe('A');
    expect(h.readFile('/dir/a')).toBe('U');
  } },
  { name: 'a hard link to a lower file copies it up; both names are one file', run: ({ h }) => {
    expect(h.link('/dir/a', '/dir/a-link')).toBe(0);
    expect(must(h.stat('/dir/a')).nlink).toBe(2);
    expect(must(h.stat('/dir/a')).ino).toBe(must(h.stat('/dir/a-link')).ino);
    h.writeFile('/dir/a-link', 'through the link');
    expect(h.readFile('/dir/a')).toBe('through the link');
  } },
  { name: 'chmod, chown and truncate copy up; the lower file is untouched', run: ({ h }) => {
    expect(h.chown('/dir/b', 5, 6)).toBe(0);
    expect(h.truncate('/dir/a', 0)).toBe(0);
    expect(must(h.stat('/dir/b'))).toMatchObject({ uid: 5, gid: 6 });
    expect(must(h.stat('/dir/a')).size).toBe(0);
  } },
  { name: 'symlinks and FIFOs are made in the upper layer', run: ({ h, upper }) => {
    expect(h.symlink('etc/hostname', '/dir/l2')).toBe(0);
    expect(h.readFile('/dir/l2')).toBe(-E.ENOENT);
    expect(h.readlink('/dir/l2')).toBe('etc/hostname');
    expect(h.mknod('/dir/p', S_IFIFO | 0o600)).toBe(0);
    expect(must(upper.stat('/dir/p')).mode & S_IFMT).toBe(S_IFIFO);
  } },
  { name: 'the overlay\'s own attributes are hidden and refused', run: ({ h }) => {
    h.unlink('/dir/sub/c'); h.rmdir('/dir/sub'); h.mkdir('/dir/sub');
    const d = must(h.resolve('/dir/sub'));
    expect(d.inode.listxattr()).toEqual([]);
    expect(d.inode.getxattr('trusted.overlay.opaque')).toBe(-E.ENODATA);
    expect(d.inode.setxattr('trusted.overlay.opaque', Uint8Array.of(0x79), 0)).toBe(-E.EOPNOTSUPP);
    expect(d.inode.setxattr('user.x', Uint8Array.of(1), 0)).toBe(0);
    expect(d.inode.listxattr()).toEqual(['user.x']);
  } },
  { name: 'statfs is the upper layer\'s under the overlay\'s magic', run: ({ h }) => {
    expect(must(h.root.inode.statfs()).type).toBe(OVERLAYFS_SUPER_MAGIC);
  } },
  { name: 'the shell acceptance sequence', run: ({ h }) => {
    // mkdir -p /tmp/x && cd /tmp/x && echo hi > a && cp a b && ln -s b c && cat c && mv b d && ls && rm -r /tmp/x
    expect(h.mkdir('/tmp')).toBe(0);
    expect(h.mkdir('/tmp/x')).toBe(0);
    h.ctx.cwd = must(h.resolve('/tmp/x'));
    expect(h.writeFile('a', 'hi\n')).toBe(3);
    expect(h.writeFile('b', must(h.readFile('a')))).toBe(3);
    expect(h.symlink('b', 'c')).toBe(0);
    expect(h.readFile('c')).toBe('hi\n');
    expect(h.rename('b', 'd')).toBe(0);
    expect(h.ls('.')).toEqual(['a', 'c', 'd']);
    for (const n of ['a', 'c', 'd']) expect(h.unlink(n)).toBe(0);
    h.ctx.cwd = h.root;
    expect(h.rmdir('/tmp/x')).toBe(0);
    expect(h.ls('/tmp')).toEqual([]);
  } },
];

for (const lower of LOWERS) {
  describe(`overlay over a ${lower.kind}`, () => {
    for (const c of CASES) {
      it(c.name, () => {
        const l = layers(lower);
        const before = l.lowerSnapshot();
        c.run(l);
        expect(l.lowerSnapshot(), `${c.name}: the lower layer changed`).toBe(before);
      });
    }

    it('copy-up that does not fit fails with ENOSPC and leaves the lower file visible', () => {
      const l = layers(lower, { sizeLimit: 4096 });
      const f = l.h.open('/data', O_RDWR);
      expect(f).toBe(-E.ENOSPC);
      expect(l.h.readFile('/data')).toBe(DATA);
      expect(l.upper.stat('/data')).toBe(-E.ENOENT);
    });
  });
}
