// `runsc run`: an OCI bundle with a busybox-static rootfs built by the test.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, buildStaticCBinary, hasPtrace } from '../fixtures/rootfs.js';
import { keyValues, REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();

describe.skipIf(!ptrace.ok)(`runsc run (ptrace)${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  let stateRoot: string;
  let n = 0;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'runsc-run-'));
    stateRoot = path.join(work, 'state');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function bundle(args: string[], extra: Parameters<typeof buildBusyboxBundle>[1] = { args }): string {
    return buildBusyboxBundle(path.join(work, `b${n++}`), { ...extra, args });
  }
  const run = (dir: string) => runsc(['--root', stateRoot, 'run', '--bundle', dir, `c${n}`]);

  const cases: Array<{ name: string; args: string[]; stdout: string; status: number }> = [
    { name: 'echo through busybox sh', args: ['/bin/sh', '-c', 'echo hi from the sandbox'], stdout: 'hi from the sandbox\n', status: 0 },
    { name: 'exit status of sh', args: ['/bin/sh', '-c', 'exit 3'], stdout: '', status: 3 },
    { name: 'exit status 255', args: ['/bin/sh', '-c', 'echo x; exit 255'], stdout: 'x\n', status: 255 },
    { name: 'cat of a file in the rootfs', args: ['/bin/cat', '/etc/hostname'], stdout: 'sandbox\n', status: 0 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await run(bundle(c.args));
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(c.stdout);
      expect(r.status).toBe(c.status);
    });
  }

  it('lists the rootfs as the host sees it', async () => {
    const dir = bundle(['/bin/ls', '-a', '/']);
    const r = await run(dir);
    const want = ['.', '..', ...readdirSync(path.join(dir, 'rootfs'))].sort();
    expect(r.stdout).toBe(want.join('\n') + '\n');
    expect(r.status).toBe(0);
  });

  it('reports pid 1 and the config\'s hostname', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/basics.c'), path.join(work, 'basics'));
    if (bin === null) return;
    const dir = bundle(['/basics'], { args: ['/basics'], hostname: 'box-under-test' });
    copyFileSync(bin, path.join(dir, 'rootfs/basics'));
    const r = await run(dir);
    const kv = keyValues(r.stdout);
    expect(kv.pid).toBe('1');
    expect(kv.nodename).toBe('box-under-test');
    expect(kv.write_wild).toBe('-1 errno=EFAULT');
    expect(kv.unknown_1000).toBe('-1 errno=ENOSYS');
    expect(r.status).toBe(7);
  });

  it('dies of SIGSEGV as exit status 139', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/segv.c'), path.join(work, 'segv'));
    if (bin === null) return;
    const dir = bundle(['/segv']);
    copyFileSync(bin, path.join(dir, 'rootfs/segv'));
    const r = await run(dir);
    expect(r.stdout).toBe('before\n');
    expect(r.status).toBe(139);
  });

  const broken: Array<{ name: string; edit: (c: Record<string, any>) => unknown; field: RegExp }> = [
    { name: 'args not an array', edit: (c) => { c.process.args = 'sh'; }, field: /process\.args/ },
    { name: 'empty args', edit: (c) => { c.process.args = []; }, field: /process\.args/ },
    { name: 'missing root', edit: (c) => { delete c.root; }, field: /root/ },
    { name: 'uid negative', edit: (c) => { c.process.user.uid = -1; }, field: /process\.user\.uid/ },
    { name: 'bad rlimit type', edit: (c) => { c.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]; }, field: /process\.rlimits\[0\]\.type/ },
    { name: 'relative cwd', edit: (c) => { c.process.cwd = 'tmp'; }, field: /process\.cwd/ },
    { name: 'mount without destination', edit: (c) => { c.mounts = [{ type: 'bind' }]; }, field: /mounts\[0\]\.destination/ },
    { name: 'not JSON', edit: () => 'not json {', field: /not valid JSON/ },
  ];
  for (const b of broken) {
    it(`a broken config.json (${b.name}) is a one-line error naming the field`, async () => {
      const dir = bundle(['/bin/true']);
      const cfgPath = path.join(dir, 'config.json');
      const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
      const replaced = b.edit(cfg);
      writeFileSync(cfgPath, typeof replaced === 'string' ? replaced : JSON.stringify(cfg));
      const r = await run(dir);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(b.field);
    });
  }
});
