// Set-user-ID and set-group-ID programs (su, sudo, ping, passwd): execve
// gives the file's owner and group as the effective ids, as Linux does; a
// nosuid mount and config.json's process.noNewPrivileges turn that off.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, buildStaticCBinary, hasPtrace } from '../fixtures/rootfs.js';
import { native, REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();

/** The lines of programs run as uid 3000 (all but "root: ..." and "mode=...") must show ids left alone. */
function expectNoIdChange(stdout: string): void {
  const runs = stdout.split('\n').filter((l) => /^[a-z_]+: uid=/.test(l) && !l.startsWith('root:'));
  expect(runs.length).toBe(6);
  for (const l of runs) expect(l).toMatch(/: uid=3000,3000,3000 gid=3000,3000,3000 fsuid=3000 secure=0$/);
}

describe.skipIf(!ptrace.ok)(`set-id executables${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  let bin: string | null;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'runsc-setid-'));
    chmodSync(work, 0o755); // the native run's unprivileged child must reach its programs
    bin = buildStaticCBinary(path.join(REPO, 'test/programs/setid.c'), path.join(work, 'setid'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runsc do: set-uid, set-gid, no_new_privs and a set-id script give the ids Linux gives', async () => {
    if (bin === null) return;
    const want = await native([bin, '--dir', work]);
    expect(want.stdout).toContain('suid: uid=3000,1234,1234 gid=3000,3000,3000 fsuid=1234 secure=1\n');
    const got = await runsc(['do', bin, '--dir', '/tmp'], { timeoutMs: 60_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
  }, 90_000);

  for (const c of [
    { name: 'a nosuid tmpfs mount ignores the bits', options: ['nosuid', 'mode=1777'], noNewPrivileges: false, changes: false },
    { name: 'process.noNewPrivileges ignores the bits', options: ['mode=1777'], noNewPrivileges: true, changes: false },
    { name: 'a tmpfs mount without nosuid honours them', options: ['mode=1777'], noNewPrivileges: false, changes: true },
  ]) {
    it(`runsc run: ${c.name}`, async () => {
      if (bin === null) return;
      const name = c.name.replace(/\W+/g, '-');
      const bundle = buildBusyboxBundle(path.join(work, name), { args: ['/setid', '--dir', '/scratch'], files: { '/scratch/.keep': '' },
        mounts: [{ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: c.options }] });
      copyFileSync(bin, path.join(bundle, 'rootfs/setid'));
      if (!c.noNewPrivileges) {
        const cfgPath = path.join(bundle, 'config.json');
        const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { process: { noNewPrivileges: boolean } };
        cfg.process.noNewPrivileges = false;
        writeFileSync(cfgPath, JSON.stringify(cfg));
      }
      const r = await runsc(['--root', path.join(work, 'state'), 'run', '--bundle', bundle, `setid-${name}`], { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('mode=6755 owner=1234:2345\n');
      if (c.changes) expect(r.stdout).toContain('both: uid=3000,1234,1234 gid=3000,2345,2345 fsuid=1234 secure=1\n');
      else expectNoIdChange(r.stdout);
    }, 90_000);
  }
});
