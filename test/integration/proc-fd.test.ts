// /proc/self/fd/N as Linux's magic links: a pipe opens again through it
// (bash's process substitution, `> /dev/stderr`), a socket does not (ENXIO).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { native, REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();
const bash = '/bin/bash';
const skip = !ptrace.ok || !existsSync(bash);
const why = !ptrace.ok ? ptrace.reason : `no ${bash}`;

describe.skipIf(skip)(`/proc/self/fd magic links${skip ? ` — skipped: ${why}` : ''}`, () => {
  it('bash process substitution, /dev/stderr and /dev/stdin on pipes, and a socket\'s ENXIO match native', async () => {
    const script = path.join(REPO, 'test/scripts/proc-fd-links.sh');
    const want = await native([bash, script]);
    expect(want.stdout).toContain('via fd 3\n');
    const got = await runsc(['do', bash, script], { timeoutMs: 60_000 });
    expect(got.stderr).toBe(want.stderr);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(want.status);
  }, 90_000);

  // runsc's stderr a host regular file (`runsc do prog 2>log`): `> /dev/stderr`
  // opens it again with O_TRUNC, which cuts the host file, and lseek on the
  // console is the host file's offset (bash failed with EINVAL).
  it('`> /dev/stderr` and lseek when stderr is a regular file match native', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'proc-fd-'));
    try {
      const body = 'echo first >&2; echo second > /dev/stderr; echo "status $?" >&2; ' +
        'python3 -c "import os; print(os.lseek(2, 0, os.SEEK_CUR), os.lseek(2, 0, os.SEEK_END))"';
      // The wrapper shell opens the file, runs the command with it as fd 2, then shows it.
      const wrap = (cmd: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
        native(['/bin/sh', '-c', 'log="$1"; shift; printf "old text, longer\\n" > "$log"; "$@" 2>>"$log"; echo "exit $?"; cat "$log"',
          'wrap', path.join(dir, 'log'), ...cmd]);
      const want = await wrap([bash, '-c', body]);
      expect(want.stdout).toContain('second\nstatus 0\n');
      const got = await wrap([process.execPath, path.join(REPO, 'bin/runsc.js'), 'do', bash, '-c', body]);
      expect(got.stdout).toBe(want.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
