// Host fd donation seen from outside: a program does file I/O on a
// Gofer bind mount in rounds, and between rounds the test counts the host
// fds the Sentry process holds (/proc/<sentry pid>/fd). Every donated fd
// must be closed with the last description using it, so the count after
// 200 opens must be what it was after the first 200.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStaticCBinary, hasPtrace } from '../fixtures/rootfs.js';
import { REPO, RUNSC } from './helpers.js';

const ptrace = hasPtrace();

/** The pid of the `runsc boot` (the Sentry) that `runsc run` (pid cli) started. */
function sentryPid(cli: number): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== cli) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').includes('boot')) return Number(name);
    } catch {
      // The process went away meanwhile.
    }
  }
  return null;
}

describe.skipIf(!ptrace.ok)(`host fd donation${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  beforeAll(() => { work = mkdtempSync(path.join(tmpdir(), 'runsc-donation-')); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('leaks no Sentry host fd across hundreds of opens, and no name is reachable from an open file', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/fd-donation.c'), path.join(work, 'bin/fd-donation'));
    if (bin === null) return;
    const data = path.join(work, 'data');
    mkdirSync(data);
    const bundle = path.join(work, 'bundle');
    mkdirSync(bundle);
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({
      ociVersion: '1.0.2',
      process: { args: [bin, data], cwd: '/', terminal: false, env: ['PATH=/usr/bin:/bin'], user: { uid: 0, gid: 0 } },
      root: { path: '/', readonly: true },
      hostname: 'donation',
      mounts: [{ destination: data, type: 'bind', source: data, options: ['rbind', 'rw'] }],
    }));
    const child = spawn(process.execPath, [RUNSC, '--root', path.join(work, 'state'), 'run', '--bundle', bundle, 'donation'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stderr.on('data', (b: Buffer) => { err += b.toString('latin1'); });
    const counts: number[] = [];
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('latin1');
      const rounds = out.match(/^round \d+$/gm)?.length ?? 0;
      while (counts.length < rounds) {
        const pid = sentryPid(child.pid!);
        counts.push(pid === null ? -1 : readdirSync(`/proc/${pid}/fd`).length);
        child.stdin.write('next\n');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const status = await done;
    clearTimeout(timer);
    expect(out, err).toContain('ok\n');
    expect(status).toBe(0);
    expect(counts.length).toBe(3);
    expect(counts[0]).toBeGreaterThan(0);
    // Rounds 2 and 3 open 600 more files, 200 of them new: the Sentry holds exactly as many host fds as after round 1.
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
  }, 90_000);
});
