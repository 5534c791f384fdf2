// /proc/<pid>/status's signal lines (SigPnd, ShdPnd, SigBlk, SigIgn,
// SigCgt), NoNewPrivs and Seccomp, compared with native: `ps s`, htop and
// scripts that check whether a process handles a signal read them. And the
// shape of stat, statm and status's memory lines, which ps and top read.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { native, REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();
const bash = '/bin/bash';
const skip = !ptrace.ok || !existsSync(bash);
const why = !ptrace.ok ? ptrace.reason : `no ${bash}`;

describe.skipIf(skip)(`/proc/<pid>/status${skip ? ` — skipped: ${why}` : ''}`, () => {
  it('signal dispositions, the blocked mask and pending signals match native', async () => {
    const script = path.join(REPO, 'test/scripts/proc-status-signals.sh');
    const want = await native([bash, script]);
    expect(want.stdout).toContain('SigCgt:');
    const got = await runsc(['do', bash, script], { timeoutMs: 60_000 });
    expect(got.stderr).toBe(want.stderr);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(want.status);
  }, 90_000);

  it('the shape of stat, statm and status (ps\'s vsz and rss) matches native', async () => {
    const script = path.join(REPO, 'test/scripts/proc-stat-fields.sh');
    const want = await native([bash, script]);
    expect(want.stdout).toContain('stat fields 52');
    const got = await runsc(['do', bash, script], { timeoutMs: 60_000 });
    expect(got.stderr).toBe(want.stderr);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(want.status);
  }, 90_000);
});
