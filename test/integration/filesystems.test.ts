// Writable file systems (issue 4, first steps): the root overlay of `runsc do`
// and tmpfs mounts from config.json.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, hasPtrace } from '../fixtures/rootfs.js';
import { runsc } from './helpers.js';

const ptrace = hasPtrace();

describe.skipIf(!ptrace.ok)(`file systems${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  beforeAll(() => { work = mkdtempSync(path.join(tmpdir(), 'runsc-fs-')); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runsc do writes to an in-memory overlay; the host root is unchanged', async () => {
    const dir = path.join(work, 'overlay-x');
    const script = `mkdir -p ${dir} && cd ${dir} && echo hi > a && cp a b && ln -s b c && cat c && mv b d && ls && rm -r ${dir} && ls ${dir} 2>&1 | grep -c 'No such file'`;
    const r = await runsc(['do', '/bin/sh', '-c', script]);
    expect(r.stdout).toBe('hi\na\nc\nd\n1\n');
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(work)).toEqual([]);
  });

  it('a tmpfs mount from config.json takes writes, keeps them within the run, and enforces its size', async () => {
    const bundle = buildBusyboxBundle(path.join(work, 'tmpfs-bundle'), {
      args: ['/bin/sh', '-c', 'echo data > /scratch/f && cat /scratch/f && mkdir /scratch/d && ls /scratch && dd if=/dev/zero of=/scratch/big bs=4096 count=64 2>&1 | grep -q "No space left" && echo ENOSPC'],
      mounts: [{ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=64k', 'mode=1777'] }],
      files: { '/scratch/.keep': '' },
    });
    const r = await runsc(['--root', path.join(work, 'state'), 'run', '--bundle', bundle, 'tmpfs1']);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['data', 'd', 'f']);
    expect(r.stdout.split('\n')[3]).toBe('ENOSPC');
    // The rootfs directory under the mount saw none of it.
    expect(readdirSync(path.join(bundle, 'rootfs/scratch'))).toEqual(['.keep']);
  });
});
