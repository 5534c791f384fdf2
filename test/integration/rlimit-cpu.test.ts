// config.json's RLIMIT_CPU binds the container's first process: a busy init
// gets SIGXCPU at the soft limit (its default action ends it, 128+24), as
// under runc.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, hasPtrace } from '../fixtures/rootfs.js';
import { runsc } from './helpers.js';

const ptrace = hasPtrace();

describe.skipIf(!ptrace.ok)(`RLIMIT_CPU from config.json${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  beforeAll(() => { work = mkdtempSync(path.join(tmpdir(), 'runsc-cpu-')); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('a busy init dies of SIGXCPU at its soft limit', async () => {
    const bundle = buildBusyboxBundle(path.join(work, 'b'), { args: ['/bin/sh', '-c', 'while :; do :; done'] });
    const cfgPath = path.join(bundle, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { process: { rlimits: Array<{ type: string; soft: number; hard: number }> } };
    cfg.process.rlimits.push({ type: 'RLIMIT_CPU', soft: 1, hard: 5 });
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const started = Date.now();
    const r = await runsc(['--root', path.join(work, 'state'), 'run', '--bundle', bundle, 'cpu1'], { timeoutMs: 60_000 });
    expect(r.status).toBe(128 + 24);
    // Killed by the limit, not by the test's timeout.
    expect(Date.now() - started).toBeLessThan(50_000);
  }, 70_000);
});
