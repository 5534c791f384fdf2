// /proc/self/fd/N as Linux's magic links: a pipe opens again through it
// (bash's process substitution, `> /dev/stderr`), a socket does not (ENXIO).
import { existsSync } from 'node:fs';
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
});
