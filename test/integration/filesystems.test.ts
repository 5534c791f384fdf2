// Writable file systems: the root overlay of `runsc do`, tmpfs mounts from
// config.json, and bind mounts served by the Gofer, exercised by real
// programs (tar, gzip, sqlite through Python, gcc).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, buildStaticCBinary, hasPtrace } from '../fixtures/rootfs.js';
import { native, REPO, runsc } from './helpers.js';

/** sha256 of every regular file under root, keyed by its path relative to root's parent ("doc/x/y"). */
function hostHashes(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const base = path.dirname(root);
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
    else if (st.isFile()) out.set(path.relative(base, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
  };
  walk(root);
  return out;
}

/** A bundle whose root is the host's, read-only, with one host directory bind-mounted read-write at the same path. */
function hostRootBundle(dir: string, args: string[], rw: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    ociVersion: '1.0.2',
    process: { args, cwd: '/', terminal: false, env: ['PATH=/usr/bin:/bin', 'HOME=/root'], user: { uid: 0, gid: 0 } },
    root: { path: '/', readonly: true },
    hostname: 'fs-test',
    mounts: [{ destination: rw, type: 'bind', source: rw, options: ['rbind', 'rw'] }],
  }));
  return dir;
}

const DOC = '/usr/share/doc';
const python = existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import sqlite3']).status === 0;
const gcc = spawnSync('gcc', ['--version']).status === 0;

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

  it.skipIf(!existsSync(DOC))(`tar czf of ${DOC} into tmpfs (/dev/shm) and tar xzf back gives the same tree, every file's sha256 equal`, async () => {
    // The whole tree (about 4,000 files, 120 MB on Debian): gzip, tar and
    // sha256sum run inside, the host hashes the originals itself.
    const script = [
      'set -e', 'test "$(stat -f -c %T /dev/shm)" = tmpfs', 'd=$(mktemp -d -p /dev/shm)', 'cd $d',
      `tar czf doc.tgz -C ${path.dirname(DOC)} ${path.basename(DOC)}`,
      'mkdir out', 'tar xzf doc.tgz -C out', 'cd out',
      `find ${path.basename(DOC)} -type f -exec sha256sum {} +`,
      'echo "workdir=$d"',
    ].join('\n');
    const r = await runsc(['do', '/bin/sh', '-c', script], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const inside = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const m = /^([0-9a-f]{64})  (.*)$/.exec(line);
      if (m) inside.set(m[2], m[1]);
    }
    const want = hostHashes(DOC);
    expect(want.size).toBeGreaterThan(100);
    expect(inside.size).toBe(want.size);
    const differ = [...want].filter(([p, h]) => inside.get(p) !== h).map(([p]) => p);
    expect(differ).toEqual([]);
    // The work went to the sandbox's tmpfs: the host's /dev/shm never saw the directory.
    const workdir = /^workdir=(.*)$/m.exec(r.stdout)?.[1];
    expect(workdir).toMatch(/^\/dev\/shm\//);
    expect(existsSync(workdir!)).toBe(false);
  }, 150_000);

  it.skipIf(!python)('sqlite3 (Python) writes 10,000 rows to a bind-mounted host directory; a second sandbox and the host read them back intact', async () => {
    const rw = path.join(work, 'sqlite');
    mkdirSync(rw);
    const db = path.join(rw, 'rows.db');
    const create = [
      'import sqlite3',
      `c = sqlite3.connect(${JSON.stringify(db)})`,
      'c.execute("create table t (i integer primary key, v text not null)")',
      'c.executemany("insert into t values (?, ?)", ((i, "value-%d" % i) for i in range(10000)))',
      'c.commit()',
      'c.close()',
      'print("created")',
    ].join('\n');
    const reopen = [
      'import sqlite3',
      `c = sqlite3.connect(${JSON.stringify(db)})`,
      'rows = c.execute("select i, v from t order by i").fetchall()',
      'bad = [r for n, r in enumerate(rows) if r != (n, "value-%d" % n)]',
      'print(len(rows), len(bad), c.execute("pragma integrity_check").fetchone()[0])',
    ].join('\n');
    const state = path.join(work, 'state-sqlite');
    const first = await runsc(['--root', state, 'run', '--bundle', hostRootBundle(path.join(work, 'sq1'), ['/usr/bin/python3', '-c', create], rw), 'sq1']);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('created\n');
    const second = await runsc(['--root', state, 'run', '--bundle', hostRootBundle(path.join(work, 'sq2'), ['/usr/bin/python3', '-c', reopen], rw), 'sq2']);
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe('10000 0 ok\n');
    // The host's own sqlite agrees.
    const host = spawnSync('/usr/bin/python3', ['-c', `import sqlite3; c = sqlite3.connect(${JSON.stringify(db)}); print(c.execute("pragma integrity_check").fetchone()[0], c.execute("select count(*), sum(i) from t").fetchone())`], { encoding: 'utf8' });
    expect(host.stdout).toBe(`ok (10000, ${(9999 * 10000) / 2})\n`);
  }, 120_000);

  it.skipIf(!gcc)('gcc compiles and links a C program in the overlay\'s /tmp, and the program runs in the sandbox', async () => {
    const source = '#include <stdio.h>\n#include <string.h>\nint main(int argc, char **argv) { printf("%s %zu %d\\n", argv[1], strlen(argv[1]), 6 * 7); return 3; }\n';
    const script = [
      'd=$(mktemp -d) && cd $d',
      "cat > hello.c <<'EOF'",
      source,
      'EOF',
      'gcc -O2 -Wall -o hello hello.c || exit 1',
      './hello sandboxed; echo "status=$?"',
      'echo "mode=$(ls -l hello | cut -c1-10)"',
    ].join('\n');
    const r = await runsc(['do', '/bin/sh', '-c', script], { timeoutMs: 90_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sandboxed 9 42\nstatus=3\nmode=-rwxr-xr-x\n');
  }, 120_000);

  it.skipIf(!gcc)('O_TMPFILE on the overlay\'s /tmp and on tmpfs behaves as on a Linux tmpfs (linkat through /proc/self/fd and AT_EMPTY_PATH, O_EXCL)', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/tmpfile.c'), path.join(work, 'tmpfile'));
    if (bin === null) return;
    // Linux is the judge: the same program on a host tmpfs.
    const hostDir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tmpfile-'));
    let want: string;
    try {
      const n = await native([bin, hostDir]);
      expect(n.stderr).toBe('');
      want = n.stdout;
    } finally {
      rmSync(hostDir, { recursive: true, force: true });
    }
    expect(want).toMatch(/done=1\n$/);
    for (const dir of ['/tmp', '/dev/shm']) {
      const r = await runsc(['do', bin, dir]);
      expect(r.stderr, dir).toBe('');
      expect(r.stdout, dir).toBe(want);
    }
  });
});
