// Event-driven programs (issue 5): epoll, eventfd, timerfd, signalfd and
// socketpair in C, Python's asyncio and Node.js itself, against native runs.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStaticCBinary, hasPtrace } from '../fixtures/rootfs.js';
import { native, REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();

describe.skipIf(!ptrace.ok)(`event files${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  beforeAll(() => { work = mkdtempSync(path.join(tmpdir(), 'runsc-ev-')); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('epoll, eventfd, timerfd, signalfd and socketpair match native', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/events.c'), path.join(work, 'events'));
    if (bin === null) return;
    const want = await native([bin]);
    expect(want.stdout).toContain('done');
    const got = await runsc(['do', bin]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  });

  it.skipIf(!existsSync('/usr/bin/python3'))('python asyncio matches native', async () => {
    const script = path.join(REPO, 'test/scripts/python-asyncio.py');
    const want = await native(['/usr/bin/python3', script]);
    const got = await runsc(['do', '/usr/bin/python3', script], { timeoutMs: 120_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
  });

  it('node: timers, fs.promises on /tmp, child_process.execFile and a worker thread print as natively', async () => {
    // The sandbox's root is the host's, so the node running the tests is there too.
    const script = path.join(REPO, 'test/scripts/node-acceptance.cjs');
    const want = await native([process.execPath, script]);
    expect(want.stdout).toContain('done');
    const got = await runsc(['do', process.execPath, script], { timeoutMs: 120_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  });
});
