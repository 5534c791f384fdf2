// The compatibility suite's machinery on its own: a hung program is killed
// at its timeout with everything it started, reported as a failure, and the
// runs after it go on; cases are attributed to the system call their
// expression makes; the report counts them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { parseCaseTraces, SyscallNamer, type CaseTrace } from './attribution.js';
import { renderReport, type ProgramResult } from './report.js';
import { compareOutputs, compile, parseOutput, RUNSC, run } from './runner.js';

const hasCc = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
const work = mkdtempSync(path.join(tmpdir(), 'compat-runner-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A program that prints a line, starts a child that holds stdout open, and both hang.
const HANG_C = `
#include <stdio.h>
#include <unistd.h>
int main(void) {
  printf("before_hang=1\\n");
  fflush(stdout);
  if (fork() == 0) for (;;) pause();
  for (;;) pause();
}
`;

describe.skipIf(!hasCc)('compat runner: timeouts', () => {
  it('kills a hung program and its children at the timeout, reports it, and the next run goes on', async () => {
    const src = path.join(work, 'hang.c');
    writeFileSync(src, HANG_C);
    const bin = await compile('cc', src, path.join(work, 'hang'), 'dynamic');
    const started = Date.now();
    // The child keeps stdout open: run() resolves only because the whole process group is killed.
    const r = await run(bin, [], { cwd: work, timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stdout).toBe('before_hang=1\n');
    // As the suite compares it: a sandbox run that hangs is a failure, with what it printed kept.
    const native = parseOutput('native', 'before_hang=1\nafter=1\ndone=1\n');
    const { problems } = compareOutputs(native, r, 0, []);
    expect(problems.join('\n')).toMatch(/after: linux=1, the sandbox stopped before it \(killed after \d+ ms \(timeout\)/);
    expect(problems.join('\n')).toMatch(/exit status: linux=0 sandbox killed after \d+ ms \(timeout\)/);
    const next = await run('/bin/echo', ['next=1'], { cwd: work });
    expect(next).toMatchObject({ status: 0, timedOut: false, stdout: 'next=1\n' });
  });

  it.skipIf(!hasPtrace().ok)('kills a sandboxed run that hangs (runsc, the Sentry and the Gofer) at the timeout', async () => {
    const bin = path.join(work, 'hang');
    const r = await run(process.execPath, [RUNSC, 'do', '--no-overlay', bin], { cwd: work, timeoutMs: 4000 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
  }, 30_000);
});

describe('compat runner: attribution', () => {
  const src = `
    static long cg(int c, void *ts) { return syscall(SYS_clock_gettime, c, ts); }
    static void *map(void *a, long n) { return (void *)syscall(SYS_mmap, a, n, 3, 0x22, -1, 0); }
    static int probe(void) { return cg(1, 0) == 0; }
  `;
  const namer = new SyscallNamer(src);
  const tr = (macro: CaseTrace['macro'], expr: string, about: string | null = null): CaseTrace => ({ key: 'k', macro, about, expr });

  it('names the first system call of an expression', () => {
    expect(namer.attribute(tr('ERR', 'syscall(SYS_read, fd, buf, 4)'))).toBe('read');
    expect(namer.attribute(tr('EQ', 'syscall(0, fd, buf, 4)'))).toBeNull(); // a number, not a name: unattributed, never guessed
    expect(namer.attribute(tr('ERR', 'open("syscall(SYS_write", O_RDONLY)'))).toBe('openat'); // glibc's open is openat; strings are not code
    expect(namer.attribute(tr('OK', 'res(map(((void *)0), 4096))'))).toBe('mmap'); // through a helper of the program
    expect(namer.attribute(tr('FACT', 'probe()'))).toBe('clock_gettime'); // helpers nest
    expect(namer.attribute(tr('EQ', 'st.st_size'))).toBeNull();
    expect(namer.attribute(tr('FACT', 'fstat(fd, &st) == 0 && st.st_size == 3'))).toBe('newfstatat');
  });

  it('gives FACT and SHOW to the ABOUT in force, calls to their own expression', () => {
    expect(namer.attribute(tr('FACT', 'probe()', 'mprotect'))).toBe('mprotect');
    expect(namer.attribute(tr('SHOW', '"%d", n', 'brk'))).toBe('brk');
    expect(namer.attribute(tr('ERR', 'syscall(SYS_read, 0, 0, 0)', 'mprotect'))).toBe('read');
    expect(namer.attribute(tr('EQ', 'n', 'mprotect'))).toBe('mprotect');
  });

  it('separates case descriptions from the rest of stderr', () => {
    const { traces, rest } = parseCaseTraces('COMPAT-CASE\tread_4\tEQ\t-\tsyscall(SYS_read, fd, b, 4)\nreal error\n');
    expect([...traces.values()]).toEqual([{ key: 'read_4', macro: 'EQ', about: null, expr: 'syscall(SYS_read, fd, b, 4)' }]);
    expect(rest).toBe('real error\n');
  });

  it('counts cases per system call in the report, a case passing only in every linkage', () => {
    const traces = new Map<string, CaseTrace>([
      ['a', { key: 'a', macro: 'EQ', about: null, expr: 'syscall(SYS_read, 0, 0, 0)' }],
      ['b', { key: 'b', macro: 'ERR', about: null, expr: 'syscall(SYS_read, 9, 0, 0)' }],
      ['c', { key: 'c', macro: 'FACT', about: null, expr: 'x == 1' }],
    ]);
    const result = (linkage: 'static' | 'dynamic', agreed: string[]): ProgramResult => ({
      program: 'p', linkage, keys: ['a', 'b', 'c'], traces, nativeFailed: new Set(), sandboxAgreed: new Set(agreed), problems: [],
    });
    const text = renderReport([result('static', ['a', 'b', 'c']), result('dynamic', ['a', 'c'])], new Map([['p', '']]), [], 'ptrace', []);
    expect(text).toContain('| read | 2 | 2 | 1 | p |');
    expect(text).toContain('| (none named) | 1 | 1 | 1 | p |');
    expect(text).toContain('| p | 3 | 1 | 3 | 3/3 | 2/3 |');
    expect(text).toMatch(/## Failing, not listed\n\n- p: b/);
  });
});
