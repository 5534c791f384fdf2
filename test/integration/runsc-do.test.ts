// `runsc do`: host binaries, dynamically linked through ld.so, with the host
// root served read-only by the Gofer. Output must match the native run.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStaticCBinary, hasPtrace } from '../fixtures/rootfs.js';
import { keyValues, native, REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();

describe.skipIf(!ptrace.ok)(`runsc do (ptrace)${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  let bigFile: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'runsc-do-'));
    bigFile = path.join(work, 'big.bin');
    // 48 MiB of varied bytes: enough to cross many 9P messages and chunk boundaries.
    const block = Buffer.alloc(1 << 20);
    const chunks: Buffer[] = [];
    for (let i = 0; i < 48; i++) { for (let j = 0; j < block.length; j += 4) block.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j); chunks.push(Buffer.from(block)); }
    writeFileSync(bigFile, Buffer.concat(chunks));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('prints hello with Debian\'s dynamic /bin/echo', async () => {
    const r = await runsc(['do', '/bin/echo', 'hello']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello\n');
    expect(r.status).toBe(0);
  });

  const sameAsNative: Array<{ name: string; cmd: () => string[] }> = [
    { name: 'busybox ls /', cmd: () => ['/bin/busybox', 'ls', '/'] },
    { name: 'ls -la /usr', cmd: () => ['/bin/ls', '-la', '/usr'] },
    { name: 'cat /etc/os-release', cmd: () => ['/bin/cat', '/etc/os-release'] },
    { name: 'sha256sum of a 48 MiB file', cmd: () => ['/usr/bin/sha256sum', bigFile] },
    { name: 'ls -l of a directory with a symlink (/lib64)', cmd: () => ['/bin/ls', '-l', '/lib64/'] },
  ];
  for (const c of sameAsNative) {
    it(`${c.name} prints what it prints natively`, async () => {
      const cmd = c.cmd();
      const want = await native(cmd);
      const got = await runsc(['do', ...cmd]);
      expect(got.stdout).toBe(want.stdout);
      expect(got.stderr).toBe(want.stderr);
      expect(got.status).toBe(want.status);
    });
  }

  it('answers identity, EFAULT and ENOSYS as Linux does, and survives them', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/basics.c'), path.join(work, 'basics'));
    if (bin === null) return;
    const r = await runsc(['do', bin]);
    const kv = keyValues(r.stdout);
    expect(r.status).toBe(7);
    expect(kv.pid).toBe('1');
    expect(kv.ppid).toBe('0');
    expect(kv.sysname).toBe('Linux');
    expect(kv.machine).toBe('x86_64');
    for (const k of ['write_wild', 'uname_wild', 'open_wild']) expect(kv[k], k).toBe('-1 errno=EFAULT');
    expect(kv.unknown_1000).toBe('-1 errno=ENOSYS');
    expect(kv.unknown_neg).toBe('-1 errno=ENOSYS');
    expect(kv.close_bad).toBe('-1 errno=EBADF');
    expect(kv.still_alive).toBe('1');
    // The same program natively agrees on every error path.
    const nat = keyValues((await native([bin])).stdout);
    for (const k of ['write_wild', 'read_wild', 'uname_wild', 'open_wild', 'unknown_1000', 'unknown_neg', 'close_bad', 'read_bad']) {
      expect(kv[k], k).toBe(nat[k]);
    }
  });

  it('exits 128+N when the application dies of signal N', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/segv.c'), path.join(work, 'segv'));
    if (bin === null) return;
    const r = await runsc(['do', bin]);
    expect(r.stdout).toBe('before\n');
    expect(r.status).toBe(128 + 11);
  });

  it('cannot write through the read-only root (--no-overlay)', async () => {
    const r = await runsc(['do', '--no-overlay', '/bin/busybox', 'touch', path.join(work, 'new-file')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
  });
});

describe('runsc syscalls', () => {
  it('prints the syscall table with its counts, at least 240 implemented, and filters by support', async () => {
    const all = await runsc(['syscalls']);
    expect(all.status).toBe(0);
    const m = /^(\d+) implemented \((\d+) supported, (\d+) partial\), (\d+) unimplemented, of (\d+) x86-64 syscalls$/m.exec(all.stdout);
    expect(m, all.stdout.slice(0, 200)).not.toBeNull();
    const [implemented, supported, partial, unimplemented, total] = m!.slice(1).map(Number);
    expect(implemented).toBe(supported + partial);
    expect(implemented + unimplemented).toBe(total);
    expect(implemented).toBeGreaterThanOrEqual(240);
    expect(all.stdout).toMatch(/^ {2}0 {2}read +supported/m);
    const unimpl = await runsc(['syscalls', '--support', 'unimplemented']);
    expect(unimpl.stdout.trim().split('\n').length - 1).toBe(unimplemented);
    expect(unimpl.stdout).not.toMatch(/ supported /);
    const json = JSON.parse((await runsc(['syscalls', '--format', 'json'])).stdout) as Array<{ support: string }>;
    expect(json.filter((r) => r.support !== 'unimplemented').length).toBe(implemented);
  });
});
