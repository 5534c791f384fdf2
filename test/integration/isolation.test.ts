// Escapes that must fail: paths and symlinks that point out of the rootfs
// resolve inside it, the host's /proc and /dev never show through, and the
// application's system calls never run on the host.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, hasPtrace } from '../fixtures/rootfs.js';
import { runsc } from './helpers.js';

const ptrace = hasPtrace();

describe.skipIf(!ptrace.ok)(`isolation${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  let n = 0;
  beforeAll(() => { work = mkdtempSync(path.join(tmpdir(), 'runsc-iso-')); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function run(script: string, setup?: (rootfs: string) => void): Promise<{ stdout: string; status: number | null }> {
    const dir = buildBusyboxBundle(path.join(work, `b${n++}`), { args: ['/bin/sh', '-c', script], hostname: 'inside' });
    setup?.(path.join(dir, 'rootfs'));
    return runsc(['--root', path.join(work, 'state'), 'run', '--bundle', dir, `iso${n}`]);
  }

  const escapes: Array<{ name: string; script: string; setup?: (rootfs: string) => void; want: string }> = [
    { name: '.. above the root stays at the root', script: 'cat /../../../../etc/hostname', want: 'inside\n' },
    { name: 'a relative symlink climbing out resolves inside', script: 'cat /up/up/up/etc/hostname',
      setup: (r) => symlinkSync('../../../../../..', path.join(r, 'up')), want: 'inside\n' },
    { name: 'an absolute symlink resolves against the sandbox root', script: 'cat /abs',
      setup: (r) => symlinkSync('/etc/hostname', path.join(r, 'abs')), want: 'inside\n' },
    { name: 'a symlink to a host-only path is not found', script: 'cat /hostpath 2>&1 || echo missing',
      setup: (r) => { writeFileSync(path.join(work, 'host-secret'), 'secret\n'); symlinkSync(path.join(work, 'host-secret'), path.join(r, 'hostpath')); }, want: `cat: can't open '/hostpath': No such file or directory\nmissing\n` },
    { name: '/proc is the sandbox\'s: pid 1 is the shell, no host processes', script: 'cat /proc/1/comm; cd /proc; echo [0-9]*', want: 'sh\n1\n' },
    { name: 'the hostname is the sandbox\'s', script: 'hostname; cat /proc/sys/kernel/hostname', want: 'inside\ninside\n' },
  ];
  for (const e of escapes) {
    it(e.name, async () => {
      const r = await run(e.script, e.setup);
      expect(r.stdout).toBe(e.want);
    });
  }

  it('the application\'s kill(-1, SIGKILL) reaches only the sandbox', async () => {
    // If this reached the host it would kill the test runner; inside it kills the sandbox's processes but init.
    const r = await run('sleep 5 & kill -KILL -1; wait; echo init survived');
    expect(r.stdout).toBe('init survived\n');
    expect(hostname()).toBeTruthy();
  });
});
