// The VFS's permission rules for changes, as Linux's namei.c and attr.c
// apply them to someone who is not root: write and search permission on
// directories, sticky directories, ownership for chmod/chown/utimes.
import { describe, expect, it } from 'vitest';
import { E } from '../../abi/linux/errno.js';
import { UTIME_NOW } from '../../abi/linux/stat.js';
import { newTmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import { Harness, must, ROOT, user } from './test-harness.js';

const alice = user(1000, 1000);
const bob = user(1001, 1001, [1000]);

/** A tree root prepared: /pub (1777, root's), /home (alice's 0755), /home/f (alice's 0644), /ro-dir (0555). */
function tree(): Harness {
  const h = new Harness(newTmpfs({ mode: 0o755 }));
  must(h.mkdir('/pub', 0o777));
  must(h.chmod('/pub', 0o1777));
  must(h.mkdir('/home', 0o755));
  must(h.chown('/home', 1000, 1000));
  must(h.writeFile('/home/f', 'alice'));
  must(h.chown('/home/f', 1000, 1000));
  must(h.mkdir('/ro-dir', 0o555));
  must(h.writeFile('/pub/alices', '', 0o644, alice));
  must(h.writeFile('/pub/bobs', '', 0o644, bob));
  return h;
}

describe('VFS permission checks for changes (non-root)', () => {
  const cases: Array<{ name: string; run: (h: Harness) => number; want: number }> = [
    { name: 'mkdir in a directory one cannot write', run: (h) => h.mkdir('/ro-dir/x', 0o755, alice), want: -E.EACCES },
    { name: 'mkdir in one\'s own directory', run: (h) => h.mkdir('/home/x', 0o755, alice), want: 0 },
    { name: 'create in someone else\'s directory', run: (h) => h.writeFile('/home/g', '', 0o644, bob), want: -E.EACCES },
    { name: 'root writes anywhere', run: (h) => h.mkdir('/ro-dir/x', 0o755, ROOT), want: 0 },
    { name: 'unlink from someone else\'s directory', run: (h) => h.unlink('/home/f', bob), want: -E.EACCES },
    { name: 'sticky: unlink someone else\'s file', run: (h) => h.unlink('/pub/alices', bob), want: -E.EPERM },
    { name: 'sticky: unlink one\'s own file', run: (h) => h.unlink('/pub/bobs', bob), want: 0 },
    { name: 'sticky: the directory\'s owner may', run: (h) => h.unlink('/pub/bobs', ROOT), want: 0 },
    { name: 'sticky: rename someone else\'s file away', run: (h) => h.rename('/pub/alices', '/pub/mine', 0, bob), want: -E.EPERM },
    { name: 'sticky: rename over someone else\'s file', run: (h) => h.rename('/pub/bobs', '/pub/alices', 0, bob), want: -E.EPERM },
    { name: 'chmod of someone else\'s file', run: (h) => h.chmod('/home/f', 0o777, bob), want: -E.EPERM },
    { name: 'chmod of one\'s own file', run: (h) => h.chmod('/home/f', 0o600, alice), want: 0 },
    { name: 'chown to someone else', run: (h) => h.chown('/home/f', 1001, -1, alice), want: -E.EPERM },
    { name: 'chown to oneself (no change)', run: (h) => h.chown('/home/f', 1000, -1, alice), want: 0 },
    { name: 'chgrp to a group one is not in', run: (h) => h.chown('/home/f', -1, 5, alice), want: -E.EPERM },
    { name: 'chgrp by a non-owner', run: (h) => h.chown('/home/f', -1, 1000, bob), want: -E.EPERM },
    { name: 'utimes with explicit times by a non-owner', run: (h) => h.utimes('/home/f', { sec: 1, nsec: 0 }, { sec: 1, nsec: 0 }, bob), want: -E.EPERM },
    { name: 'touch by a non-owner without write permission', run: (h) => h.utimes('/home/f', { sec: 0, nsec: UTIME_NOW }, { sec: 0, nsec: UTIME_NOW }, bob), want: -E.EACCES },
    { name: 'touch by a non-owner who may write', run: (h) => { h.chmod('/home/f', 0o666); return h.utimes('/home/f', { sec: 0, nsec: UTIME_NOW }, { sec: 0, nsec: UTIME_NOW }, bob); }, want: 0 },
    { name: 'truncate without write permission', run: (h) => h.truncate('/home/f', 0, bob), want: -E.EACCES },
    { name: 'truncate of a directory', run: (h) => h.truncate('/home', 0, ROOT), want: -E.EISDIR },
    { name: 'hard link to a file one cannot write (protected_hardlinks)', run: (h) => h.link('/home/f', '/pub/l', bob), want: -E.EPERM },
    { name: 'hard link to one\'s own file', run: (h) => h.link('/pub/bobs', '/pub/l', bob), want: 0 },
    { name: 'moving a directory one cannot write to another parent', run: (h) => { h.mkdir('/pub/d', 0o755, ROOT); h.chmod('/pub', 0o777); return h.rename('/pub/d', '/pub/../home/d', 0, alice); }, want: -E.EACCES },
  ];
  for (const c of cases) {
    it(c.name, () => expect(c.run(tree()), c.name).toBe(c.want));
  }

  it('clears set-group-ID on chmod by someone outside the file\'s group', () => {
    const h = tree();
    must(h.chown('/home/f', 1000, 5));
    expect(h.chmod('/home/f', 0o2755, alice)).toBe(0);
    expect(must(h.stat('/home/f')).mode & 0o7777).toBe(0o755);
  });

  it('gives new files the creator\'s ids', () => {
    const h = tree();
    expect(h.writeFile('/home/new', '', 0o640, alice)).toBe(0);
    expect(must(h.stat('/home/new'))).toMatchObject({ uid: 1000, gid: 1000 });
  });
});
