// MAP_SHARED over tmpfs: the compat program mm_shared.c (which the compat
// suite runs over the Gofer, in a bind-mounted directory) run on the
// overlay's tmpfs upper layer and on /dev/shm, compared with a native run
// in a host directory.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { compile, SUITE_DIR } from '../syscalls/runner.js';
import { keyValues, native, runsc } from './helpers.js';

const ptrace = hasPtrace();
const hasCc = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!ptrace.ok || !hasCc)('MAP_SHARED on tmpfs', () => {
  let work: string;
  let bin: string;
  let want: Record<string, string>;
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'runsc-shm-'));
    bin = await compile('cc', path.join(SUITE_DIR, 'mm_shared.c'), path.join(work, 'mm_shared'), 'static');
    const dir = path.join(work, 'native');
    mkdirSync(dir);
    const r = await native([bin, work, dir]);
    expect(r.stderr).toBe('');
    want = keyValues(r.stdout);
    expect(want.done).toBe('1');
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const [where, dir] of [['the overlay upper layer', '/tmp/runsc-shm-test'], ['/dev/shm', '/dev/shm/runsc-shm-test']]) {
    it(`agrees with Linux on ${where}`, async () => {
      const r = await runsc(['do', '/bin/sh', '-c', `mkdir -p ${dir} && exec ${bin} ${work} ${dir}`]);
      expect(r.stderr).toBe('');
      expect(keyValues(r.stdout)).toEqual(want);
    }, 60_000);
  }
});
