// Escapes that must fail: paths and symlinks that point out of the rootfs
// resolve inside it, the host's /proc and /dev never show through, and the
// application's system calls never run on the host.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, buildStaticCBinary, hasPtrace } from '../fixtures/rootfs.js';
import { keyValues, REPO, runsc, runscExecuted } from './helpers.js';

/** Every entry under dir: its kind, mode, size, contents' hash or link target; what "unchanged" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    const p = path.join(dir, rel);
    const st = lstatSync(p);
    let what = `${st.mode.toString(8)} ${st.uid}:${st.gid} rdev=${st.rdev}`;
    if (st.isSymbolicLink()) what += ` -> ${readlinkSync(p)}`;
    else if (st.isFile()) what += ` ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex')} mtime=${st.mtimeMs}`;
    out[rel] = what;
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(path.join(rel, name));
  };
  walk('.');
  return out;
}

const ptrace = hasPtrace();

// Both ways runsc starts a sandbox: the CLI's, and the front's with its early Gofer, whose jail is built differently.
const launches = [['node bin/runsc.js', runsc], ['bin/runsc.js executed (the front, the early Gofer)', runscExecuted]] as const;

for (const [how, launch] of launches) describe.skipIf(!ptrace.ok)(`isolation, ${how}${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  let n = 0;
  beforeAll(() => { work = mkdtempSync(path.join(tmpdir(), 'runsc-iso-')); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function run(script: string, setup?: (rootfs: string) => void): Promise<{ stdout: string; status: number | null }> {
    const dir = buildBusyboxBundle(path.join(work, `b${n++}`), { args: ['/bin/sh', '-c', script], hostname: 'inside' });
    setup?.(path.join(dir, 'rootfs'));
    return launch(['--root', path.join(work, 'state'), 'run', '--bundle', dir, `iso${n}`]);
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

  it('escapes through bind mounts, links, /proc and devices fail as in a Linux container; the host is unchanged', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/escape.c'), path.join(work, 'escape'));
    if (bin === null) return;
    const host = path.join(work, 'escape-host');
    const shared = path.join(host, 'shared'), ro = path.join(host, 'ro'), outside = path.join(host, 'outside');
    for (const d of [shared, ro, outside]) mkdirSync(d, { recursive: true });
    writeFileSync(path.join(outside, 'secret'), 'host-secret\n');
    writeFileSync(path.join(shared, 'file'), 'shared\n');
    writeFileSync(path.join(ro, 'f'), 'ro\n');
    symlinkSync('/etc/hostname', path.join(shared, 'abs'));
    symlinkSync(path.join(outside, 'secret'), path.join(shared, 'abshost'));
    symlinkSync('../outside/secret', path.join(shared, 'rel'));
    symlinkSync('../'.repeat(8) + 'etc/hostname', path.join(shared, 'relup'));
    symlinkSync('../outside/new', path.join(shared, 'relnew'));
    // A real host device node (/dev/zero's numbers) that the sandbox must not open.
    execFileSync('mknod', [path.join(shared, 'zero'), 'c', '1', '5']);
    const dir = buildBusyboxBundle(path.join(work, 'escape-bundle'), {
      args: ['/escape'], hostname: 'inside',
      files: { '/mnt/outside/secret': 'decoy\n' },
      mounts: [
        { destination: '/mnt/rw', type: 'bind', source: shared, options: ['rbind', 'rw'] },
        { destination: '/mnt/ro', type: 'bind', source: ro, options: ['rbind', 'ro'] },
      ],
    });
    copyFileSync(bin, path.join(dir, 'rootfs/escape'));
    for (const m of ['rw', 'ro']) mkdirSync(path.join(dir, 'rootfs/mnt', m), { recursive: true });
    const before = snapshot(host);
    const hostHostname = readFileSync('/etc/hostname', 'latin1');
    const r = await launch(['--root', path.join(work, 'state'), 'run', '--bundle', dir, 'escape']);
    expect(r.stderr).not.toMatch(/COMPAT-EXPECT-FAIL/);
    expect(keyValues(r.stdout).done, r.stdout + r.stderr).toBe('1');
    // The one change the program makes on purpose; nothing else on the host moved.
    const after = snapshot(host);
    expect(after['shared/written']).toMatch(/^100644 0:0 rdev=0 3 /);
    delete after['shared/written'];
    expect(after).toEqual(before);
    expect(readFileSync('/etc/hostname', 'latin1')).toBe(hostHostname);
    // What a link out of the mount created landed in the sandbox's rootfs.
    expect(readdirSync(path.join(dir, 'rootfs/mnt/outside')).sort()).toEqual(['new', 'secret']);
  });

  it('the application\'s kill(-1, SIGKILL) reaches only the sandbox', async () => {
    // If this reached the host it would kill the test runner; inside it kills the sandbox's processes but init.
    const r = await run('sleep 5 & kill -KILL -1; wait; echo init survived');
    expect(r.stdout).toBe('init survived\n');
    expect(hostname()).toBeTruthy();
  });
});
