// The directory tree every compatibility program runs in (its cwd, and
// argv[1] as an absolute path). Built fresh for each run of the suite,
// natively, before any program runs; both runs then see it read-only, so
// its contents, modes and mtimes are the same for the native and the
// sandboxed run. See README.md for the list.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A fixed mtime (and atime) for the fixture's files: 2001-09-09T01:46:40Z. */
export const FIXTURE_MTIME = 1_000_000_000;

/** Number of files in big/ (plus "." and ".."): enough to need several 9P readdir replies and getdents64 calls. */
export const BIG_DIR_ENTRIES = 300;

/** Symlinks chain00 -> chain01 -> ... -> chain40 -> small.txt: chain00 needs 41 follows (ELOOP), chain01 40. */
export const CHAIN_LENGTH = 41;

function dataBytes(): Buffer {
  const b = Buffer.alloc(10_000);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

export interface Fixture {
  /** Why xattr.txt has no user.* attributes (the file system of $TMPDIR refuses them), or null when it has them. */
  noXattrs: string | null;
}

/**
 * Creates the fixture in `dir` (which must exist and be empty). `setxattr`
 * is a helper binary (lib/setxattr.c) run as `setxattr PATH NAME VALUE`.
 */
export function buildFixture(dir: string, setxattr: string): Fixture {
  const p = (rel: string): string => path.join(dir, rel);
  const file = (rel: string, data: string | Buffer, mode = 0o644): void => {
    fs.writeFileSync(p(rel), data);
    fs.chmodSync(p(rel), mode);
  };
  file('small.txt', 'hello\n');
  file('data.bin', dataBytes());
  // locks.c takes record locks on its own file: fcntl.c locks data.bin concurrently, and a lock one sees from the other is a false difference.
  file('locks.bin', dataBytes());
  file('empty', '');
  file('exec.sh', '#!/bin/sh\nexit 0\n', 0o755);
  file('noexec.txt', 'x\n');
  file('noperm', 'secret\n', 0o000);
  file('xattr.txt', 'x\n');
  // A name that is not valid UTF-8: names are bytes.
  fs.writeFileSync(Buffer.from(p('latin1-\xe9.txt'), 'latin1'), 'e\n');

  fs.mkdirSync(p('dir'), 0o755);
  fs.chmodSync(p('dir'), 0o755);
  for (const n of ['a', 'b', 'c']) file(`dir/${n}`, `${n}\n`);
  fs.mkdirSync(p('dir/sub'));
  fs.chmodSync(p('dir/sub'), 0o755);
  fs.symlinkSync('a', p('dir/link'));

  fs.mkdirSync(p('big'));
  for (let i = 0; i < BIG_DIR_ENTRIES; i++) {
    file(`big/entry-${String(i).padStart(3, '0')}-${'x'.repeat(90)}`, '');
  }

  fs.symlinkSync('small.txt', p('link-to-file'));
  fs.symlinkSync('dir', p('link-to-dir'));
  fs.symlinkSync(p('small.txt'), p('abs-link'));
  fs.symlinkSync('does-not-exist', p('dangling'));
  fs.symlinkSync('loop2', p('loop1'));
  fs.symlinkSync('loop1', p('loop2'));
  fs.symlinkSync('self', p('self'));
  fs.symlinkSync('small.txt/', p('slash-link'));
  for (let i = 0; i < CHAIN_LENGTH; i++) {
    const next = i + 1 < CHAIN_LENGTH ? `chain${String(i + 1).padStart(2, '0')}` : 'small.txt';
    fs.symlinkSync(next, p(`chain${String(i).padStart(2, '0')}`));
  }

  let noXattrs: string | null = null;
  const xattrs: Array<[string, string]> = [['user.color', 'blue'], ['user.empty', ''], ['user.big', 'z'.repeat(1000)]];
  for (const [name, value] of xattrs) {
    const r = spawnSync(setxattr, [p('xattr.txt'), name, value], { encoding: 'utf8' });
    if (r.status !== 0) { noXattrs = `setxattr ${name} in ${dir} failed: ${(r.stderr || String(r.error)).trim()}`; break; }
  }

  // Fixed times last: creating entries changes the directories' mtimes.
  const all = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? [path.join(d, e.name), ...all(path.join(d, e.name))] : [path.join(d, e.name)]));
  for (const f of [...all(dir), dir]) {
    try {
      if (!fs.lstatSync(f).isSymbolicLink()) fs.utimesSync(f, FIXTURE_MTIME, FIXTURE_MTIME);
    } catch { /* the latin1 name reads back as UTF-8 replacement characters: leave it */ }
  }
  return { noXattrs };
}
