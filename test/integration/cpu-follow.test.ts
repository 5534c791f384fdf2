// A lone task's stub thread runs on the Sentry's CPU, pinned with the
// Sentry's thread (sentry/kernel/cpu-follow.ts); a sandbox with more tasks
// keeps every CPU for its threads, so they still run in parallel. Checked
// from the host: the Cpus_allowed_list of the Sentry's thread and of the
// stub threads it traces.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { RUNSC } from './helpers.js';

const ptrace = hasPtrace();
const PYTHON = '/usr/bin/python3';

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function statusField(path: string, field: string): string {
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(path, 'latin1'));
  return m === null ? '' : m[1];
}

interface Placement { sentry: string; stubThreads: string[] }

/** The Sentry's main thread's allowed CPUs and those of every thread it traces. */
function placement(cli: number): Placement | null {
  for (const pid of children(cli)) {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    if (!cmdline.includes('sentry')) continue;
    const stubThreads: string[] = [];
    for (const stub of children(pid)) {
      for (const tid of readdirSync(`/proc/${stub}/task`)) {
        const path = `/proc/${stub}/task/${tid}/status`;
        try {
          if (statusField(path, 'TracerPid') === String(pid)) stubThreads.push(statusField(path, 'Cpus_allowed_list'));
        } catch { /* gone meanwhile */ }
      }
    }
    return { sentry: statusField(`/proc/${pid}/task/${pid}/status`, 'Cpus_allowed_list'), stubThreads };
  }
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const running: ChildProcess[] = [];
afterEach(() => { for (const c of running.splice(0)) c.kill('SIGKILL'); });

/** Starts runsc do argv, waits for its first line of output, then for placement to satisfy ok (bounded). */
async function observe(argv: string[], ok: (p: Placement) => boolean): Promise<Placement | null> {
  const cli = spawn(process.execPath, [RUNSC, 'do', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  running.push(cli);
  await new Promise<void>((resolve) => cli.stdout!.once('data', () => resolve()));
  let p: Placement | null = null;
  for (let i = 0; i < 50; i++) {
    p = placement(cli.pid!);
    if (p !== null && ok(p)) break;
    await sleep(100);
  }
  return p;
}

const single = (cpus: string): boolean => /^\d+$/.test(cpus);
const ALL = availableParallelism() > 1 ? `0-${availableParallelism() - 1}` : '0';

describe.skipIf(!ptrace.ok || availableParallelism() < 2)(`stub threads and the Sentry's CPU${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  it('a lone task runs pinned to the CPU the Sentry is pinned to', async () => {
    const p = await observe(['/bin/sh', '-c', 'echo ready; exec /bin/sleep 5'], (q) => single(q.sentry) && q.stubThreads.includes(q.sentry));
    expect(p).not.toBeNull();
    expect(single(p!.sentry)).toBe(true);
    expect(p!.stubThreads).toContain(p!.sentry);
  }, 30_000);

  it.skipIf(!ptrace.ok)('two threads keep every CPU, and so does the Sentry', async () => {
    const script = 'import threading, time\nt = threading.Thread(target=time.sleep, args=(5,))\nt.start()\nprint("ready", flush=True)\ntime.sleep(5)\n';
    const p = await observe([PYTHON, '-c', script], (q) => q.sentry === ALL && q.stubThreads.length >= 2 && q.stubThreads.every((c) => c === ALL));
    expect(p).not.toBeNull();
    expect(p!.sentry).toBe(ALL);
    expect(p!.stubThreads.length).toBeGreaterThanOrEqual(2);
    expect(p!.stubThreads.every((c) => c === ALL)).toBe(true);
  }, 30_000);
});
