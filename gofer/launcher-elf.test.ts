// The launcher for real: harmless programs run by the emitted ELF, their
// output, their failures and exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYS } from '../abi/linux/syscalls.js';
import { E } from '../abi/linux/errno.js';
import { LaunchProgram, PROGRAM_MAX } from './launch-program.js';
import { LAUNCH_FAILED_EXIT, buildLauncherElf } from './launcher-elf.js';

describe('the launcher', () => {
  let dir: string;
  let launcher: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'launcher-'));
    launcher = join(dir, 'gofer-launcher');
    writeFileSync(launcher, buildLauncherElf(), { mode: 0o755 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  function run(program: Uint8Array | null, args?: string[]) {
    const path = join(dir, `program-${n++}`);
    if (program) writeFileSync(path, program);
    const r = spawnSync(launcher, args ?? [path], { encoding: 'utf8', env: {} });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  it('is a small static ELF, the same bytes every time', () => {
    const elf = buildLauncherElf();
    expect(elf.length).toBeLessThan(4096);
    expect(Buffer.from(elf.subarray(0, 4)).toString('latin1')).toBe('\x7fELF');
    expect(buildLauncherElf()).toEqual(elf);
  });

  it('runs the steps in order, passes results on, tolerates what a step allows, and exits 0 at the end', () => {
    const p = new LaunchProgram('test: ');
    const hello = p.string('hello\n');
    p.step('write hello', SYS.write, [1, hello, 6]);
    // dup(1) returns a new fd; writing through it proves the result was passed on.
    const dup = p.step('dup stdout', SYS.dup, [1]);
    p.step('write through the dup', SYS.write, [dup, p.string('again\n'), 6]);
    p.step('close a closed fd', SYS.close, [999], [E.EBADF]);
    p.step('getpid', SYS.getpid);
    expect(run(p.encode())).toEqual({ code: 0, signal: null, stdout: 'hello\nagain\n', stderr: '' });
  });

  it('stops at the first step that fails, naming it and its errno, with LAUNCH_FAILED_EXIT', () => {
    const p = new LaunchProgram('test: ');
    p.step('getpid', SYS.getpid);
    p.step('opening /nonexistent', SYS.openat, [-100, p.string('/nonexistent/x'), 0]);
    p.step('never reached', SYS.write, [1, p.string('no\n'), 3]);
    expect(run(p.encode())).toEqual({ code: LAUNCH_FAILED_EXIT, signal: null, stdout: '', stderr: 'test: opening /nonexistent: errno 2\n' });
    // A tolerated errno is not just any errno.
    const q = new LaunchProgram('test: ');
    q.step('close a closed fd', SYS.close, [999], [E.EINVAL]);
    expect(run(q.encode()).stderr).toBe('test: close a closed fd: errno 9\n');
    // Errnos of two and three digits.
    const r = new LaunchProgram('test: ');
    r.step('unknown syscall', 999);
    expect(run(r.encode()).stderr).toBe(`test: unknown syscall: errno ${E.ENOSYS}\n`);
  });

  it('execs, with the argv and environment the program gives', () => {
    const p = new LaunchProgram();
    p.step('execve /bin/sh', SYS.execve, [p.string('/bin/sh'), p.stringArray(['sh', '-c', 'echo "$0 $A"', 'zero']), p.stringArray(['A=b c'])]);
    expect(run(p.encode())).toEqual({ code: 0, signal: null, stdout: 'zero b c\n', stderr: '' });
  });

  it('refuses a missing, truncated, foreign or oversized program', () => {
    expect(run(null, [join(dir, 'missing')])).toMatchObject({ code: LAUNCH_FAILED_EXIT, stderr: 'runsc: gofer launcher: opening the launch program: errno 2\n' });
    expect(run(null, [])).toMatchObject({ code: LAUNCH_FAILED_EXIT, stderr: `runsc: gofer launcher: opening the launch program: errno ${E.EFAULT}\n` });
    const p = new LaunchProgram();
    p.step('getpid', SYS.getpid);
    const whole = p.encode();
    expect(run(whole.subarray(0, whole.length - 8))).toMatchObject({ code: LAUNCH_FAILED_EXIT, stderr: 'runsc: gofer launcher: not a launch program of this version: errno 22\n' });
    expect(run(new TextEncoder().encode('#!/bin/sh\necho hi\n'))).toMatchObject({ code: LAUNCH_FAILED_EXIT, stdout: '' });
    expect(run(new Uint8Array(PROGRAM_MAX + 1))).toMatchObject({ code: LAUNCH_FAILED_EXIT, stderr: `runsc: gofer launcher: launch program too large: errno ${E.EFBIG}\n` });
  });
});
