// A foreground sandbox lives as long as its runsc: when runsc is killed
// (SIGKILL, nothing to clean up), the Sentry, its stubs and the Gofer go
// too, instead of running the application on with nothing left to stop it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { RUNSC } from './helpers.js';

const ptrace = hasPtrace();

/** pid's descendants, from /proc/<pid>/task/<tid>/children, recursively. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number): void => {
    let tids: string[] = [];
    try { tids = readFileSync(`/proc/${p}/task/${p}/children`, 'latin1').trim().split(/\s+/).filter(Boolean); } catch { return; }
    for (const c of tids.map(Number)) { out.push(c); visit(c); }
  };
  visit(pid);
  return out;
}

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try { return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'latin1')); } catch { return false; }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!ptrace.ok)(`sandbox lifetime${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  it('killing runsc with SIGKILL ends the Sentry, the stubs and the Gofer', async () => {
    const cli = spawn(process.execPath, [RUNSC, 'do', '/bin/sh', '-c', 'echo started; while :; do :; done'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => cli.stdout.once('data', () => resolve()));
    const family = descendants(cli.pid!);
    // The Sentry, the Gofer and at least init's stub.
    expect(family.length).toBeGreaterThanOrEqual(3);
    const exited = new Promise<void>((resolve) => cli.once('exit', () => resolve()));
    cli.kill('SIGKILL');
    await exited;
    let left = family.filter(alive);
    for (let i = 0; i < 50 && left.length > 0; i++) { await sleep(100); left = family.filter(alive); }
    expect(left).toEqual([]);
  }, 30_000);
});
