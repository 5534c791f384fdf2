// Pseudo-terminals (/dev/ptmx, /dev/pts): Python's pty.fork (openpty,
// login_tty, setsid) runs a child on a terminal in the sandbox as natively.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { native, REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();
const PYTHON = '/usr/bin/python3';

describe.skipIf(!ptrace.ok || !existsSync(PYTHON))(`pseudo-terminals${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  it('python pty.fork: the child reads a line from its terminal; echo and answer match native', async () => {
    const script = path.join(REPO, 'test/scripts/pty_roundtrip.py');
    const want = await native([PYTHON, script]);
    expect(want.stdout).toContain("child got: 'hello pty\\\\n'");
    const got = await runsc(['do', PYTHON, script], { timeoutMs: 60_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
  });

  it('script(1): the session owns its terminal (job control in bash -i), and a second terminal reuses /dev/pts/0, as natively', async () => {
    const script = path.join(REPO, 'test/scripts/pty-sessions.sh');
    const want = await native(['bash', script]);
    expect(want.stdout).toContain('True True True\n');
    const got = await runsc(['do', 'bash', script], { timeoutMs: 60_000 });
    expect(got.stderr).toBe(want.stderr);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(want.status);
  }, 90_000);
});
