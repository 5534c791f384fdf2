// A host directory tree for the server tests, with the traps confinement
// must survive: symlinks that point outside the root (absolute and via
// ".."), and a secret file next to the root that must stay unreachable.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HELLO = 'hello, gofer\n';
export const INNER = 'inner file\n';
export const SECRET = 'outside the mount\n';

export interface Fixture {
  /** Parent of root; holds secret.txt, which must never be readable via 9P. */
  base: string;
  /** The served directory. */
  root: string;
  cleanup(): void;
}

export function makeFixture(): Fixture {
  const base = mkdtempSync(join(tmpdir(), 'gofer-test-'));
  const root = join(base, 'root');
  mkdirSync(root);
  writeFileSync(join(base, 'secret.txt'), SECRET);
  writeFileSync(join(root, 'hello.txt'), HELLO);
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'inner.txt'), INNER);
  symlinkSync('/etc', join(root, 'escape'));
  symlinkSync('../secret.txt', join(root, 'up'));
  symlinkSync(join(base, 'created-outside'), join(root, 'dangling'));
  for (let i = 0; i < 40; i++) writeFileSync(join(root, 'sub', `many-${String(i).padStart(2, '0')}`), `${i}`);
  return { base, root, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
