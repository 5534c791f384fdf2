// Processes, threads and signals (issue 3): shells, pipelines, Python, pthreads
// and signal delivery, each compared with the same program run natively.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, buildStaticCBinary, hasPtrace } from '../fixtures/rootfs.js';
import { native, REPO, RUNSC, runsc } from './helpers.js';

const ptrace = hasPtrace();
const PYTHON = '/usr/bin/python3';

describe.skipIf(!ptrace.ok)(`processes, threads and signals${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  beforeAll(() => { work = mkdtempSync(path.join(tmpdir(), 'runsc-proc-')); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const shell: Array<{ name: string; script: string; stdout: string; status: number }> = [
    { name: 'a three-stage pipeline', script: 'echo a | tr a b | cat', stdout: 'b\n', status: 0 },
    { name: 'exit status', script: 'exit 3', stdout: '', status: 3 },
    { name: 'false | true', script: 'false | true', stdout: '', status: 0 },
    { name: 'true | false', script: 'true | false', stdout: '', status: 1 },
    { name: 'command substitution', script: 'echo "[$(echo inner)]"', stdout: '[inner]\n', status: 0 },
  ];
  for (const c of shell) {
    it(`sh -c: ${c.name}`, async () => {
      const r = await runsc(['do', '/bin/sh', '-c', c.script]);
      expect(r.stdout).toBe(c.stdout);
      expect(r.status).toBe(c.status);
    });
  }

  it('a busybox sh script (functions, loops, subshells, here-documents, jobs, traps) matches native', async () => {
    const script = path.join(REPO, 'test/scripts/shell-features.sh');
    const want = await native(['/bin/busybox', 'sh', script]);
    const got = await runsc(['do', '/bin/busybox', 'sh', script]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(want.status);
  });

  it.skipIf(!existsSync(PYTHON))('python3: subprocess, fork and waitpid, a thread pool, match native', async () => {
    const script = path.join(REPO, 'test/scripts/python-processes.py');
    const want = await native([PYTHON, script]);
    const got = await runsc(['do', PYTHON, script], { timeoutMs: 120_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  });

  it('8 pthreads with a mutex and a condition variable get the total right in 20 runs out of 20', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/pthreads.c'), path.join(work, 'pthreads'), ['-pthread']);
    if (bin === null) return;
    const r = await runsc(['do', '/bin/sh', '-c', `ok=0; i=0; while [ $i -lt 20 ]; do ${bin} > /dev/null && ok=$((ok+1)); i=$((i+1)); done; echo ok=$ok`], { timeoutMs: 120_000 });
    expect(r.stdout).toBe('ok=20\n');
  });

  it('exit_group with a thread blocked in a futex, and a main thread that leaves with pthread_exit, end as natively', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/thread-exit.c'), path.join(work, 'thread-exit'), ['-pthread']);
    if (bin === null) return;
    for (const args of [[], ['leader-leaves']]) {
      const want = await native([bin, ...args]);
      const got = await runsc(['do', bin, ...args], { timeoutMs: 30_000 });
      expect(got.stdout.replace('pid_is_1=1', 'pid_is_1=0')).toBe(want.stdout);
      expect(got.status).toBe(want.status);
    }
  });

  it('signals: SIGSEGV handler with siglongjmp, EINTR and SA_RESTART, alternate stack, masks, SIGCHLD, stop/continue', async () => {
    const bin = buildStaticCBinary(path.join(REPO, 'test/programs/signals.c'), path.join(work, 'signals'));
    if (bin === null) return;
    const want = await native([bin]);
    expect(want.stdout).toContain('done');
    const got = await runsc(['do', bin]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  });

  it('runsc run forwards SIGTERM and SIGINT to the sandbox\'s init', async () => {
    for (const [sig, code] of [['SIGTERM', 42], ['SIGINT', 43]] as const) {
      const dir = buildBusyboxBundle(path.join(work, `sig-${sig}`), {
        args: ['/bin/sh', '-c', `trap 'echo got ${sig}; exit ${code}' ${sig.slice(3)}; echo ready; while true; do sleep 0.1; done`],
      });
      const child = spawn(process.execPath, [RUNSC, '--root', path.join(work, 'state'), 'run', '--bundle', dir, `sig-${sig}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const ready = new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => { out += b.toString(); if (out.includes('ready')) resolve(); }));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      await ready;
      child.kill(sig);
      const status = await exited;
      expect(out).toBe(`ready\ngot ${sig}\n`);
      expect(status).toBe(code);
    }
  });

  it('a failed exec leaves the caller running', async () => {
    const r = await runsc(['do', '/bin/sh', '-c', 'exec /nonexistent/prog; echo unreachable']);
    expect(r.status).toBe(127);
    const cmd = ['/bin/busybox', 'sh', '-c', '/etc/os-release; /nonexistent; echo still here $?'];
    const r2 = await runsc(['do', ...cmd]);
    expect(r2.stdout).toBe((await native(cmd)).stdout);
    expect(r2.stdout).toMatch(/still here/);
  });

  it('#! scripts run through their interpreter', async () => {
    const dir = buildBusyboxBundle(path.join(work, 'shebang'), { args: ['/hello.sh', 'arg1'], files: { '/hello.sh': '#!/bin/sh -e\necho "script $0 got $1"\n' } });
    const r = await runsc(['--root', path.join(work, 'state'), 'run', '--bundle', dir, 'shebang']);
    expect(r.stdout).toBe('script /hello.sh got arg1\n');
    expect(r.status).toBe(0);
  });
});
