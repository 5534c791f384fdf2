// The syscall compatibility suite: every test/syscalls/*.c program, built
// with cc -O2 both -static and dynamically linked, runs natively and in the
// sandbox (`runsc do`), and the two must print the same key=value lines and
// exit the same way. Linux is the judge: a program that fails its own
// expectations natively is a broken test. See README.md.
import { existsSync, mkdtempSync, mkdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { buildFixture } from './fixture.js';
import { KNOWN_DIFFERENCES, knownFor, type Linkage } from './known-differences.js';
import { badAbouts, parseCaseTraces } from './attribution.js';
import { renderReport, totals, caseRows, type ProgramResult } from './report.js';
import {
  agreedKeys, checkNative, compareOutputs, failedExpectations, REPO, compile, freshDir, listPrograms, parseOutput, RUN_TIMEOUT_MS, RUNSC, run, SUITE_DIR, wantsWritableDir, writeBindBundle,
  type RunResult,
} from './runner.js';

/** The keys of a run's output, whatever state it is in. */
function parseOutputKeys(stdout: string): string[] {
  return parseOutput('native', stdout).map((l) => l.key).filter((k) => k !== 'done');
}

function findCc(): string | null {
  for (const cc of ['cc', 'gcc', 'clang']) {
    const r = spawnSync(cc, ['--version'], { stdio: 'ignore' });
    if (!r.error && r.status === 0) return cc;
  }
  return null;
}

/**
 * The native run sees the host root read-only, as the sandbox does
 * (lib/ro-root.c), which needs a mount namespace: CAP_SYS_ADMIN.
 */
function hasSysAdmin(): boolean {
  const status = readFileSync('/proc/self/status', 'utf8');
  const m = /^CapEff:\s*([0-9a-f]+)/m.exec(status);
  const CAP_SYS_ADMIN = 21n;
  return m !== null && ((BigInt('0x' + m[1]) >> CAP_SYS_ADMIN) & 1n) === 1n;
}

const ptrace = hasPtrace();
const cc = findCc();
const skipReason = !ptrace.ok ? ptrace.reason
  : cc === null ? 'no C compiler (cc, gcc or clang) on PATH'
  : !hasSysAdmin() ? 'the native runs need CAP_SYS_ADMIN to see the root read-only in a private mount namespace'
  : null;

const PROGRAMS = listPrograms();
const LINKAGES: Linkage[] = ['static', 'dynamic'];

/** The generated report (report.ts), rewritten by every full run. */
const REPORT = path.join(REPO, 'docs/compatibility.md');
const PLATFORM = 'ptrace';
/** Platforms the suite could not run on here, and why: said in the report. */
const ABSENT_PLATFORMS = [
  'KVM: the sandbox has no KVM platform yet, and this machine (where the report is generated) has no /dev/kvm, so KVM could not run here anyway.',
];
/** The acceptance floor of the suite (issue 6): the report test checks it on every full run. */
const FLOOR = { cases: 600, syscalls: 120, sandboxPassRatio: 0.95 };

describe.skipIf(skipReason !== null)(`syscall compatibility: native vs runsc do${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
  let work = '';
  let fixture = '';
  let roRoot = '';
  /** Why a program cannot run here, found once the helpers exist: every program, or one. */
  let cannotRun: string | null = null;
  const cannotRunProgram = new Map<string, string>();
  const builds = new Map<string, Promise<string>>();
  /** Every program test's result, for the report once all have run. */
  const results: ProgramResult[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'syscall-compat-'));
    mkdirSync(path.join(work, 'bin'));
    fixture = path.join(work, 'fx');
    mkdirSync(fixture);
    const [ro, setxattr] = await Promise.all([
      compile(cc!, path.join(SUITE_DIR, 'lib/ro-root.c'), path.join(work, 'bin/ro-root'), 'helper'),
      compile(cc!, path.join(SUITE_DIR, 'lib/setxattr.c'), path.join(work, 'bin/setxattr'), 'helper'),
    ]);
    roRoot = ro;
    const fx = buildFixture(fixture, setxattr);
    if (fx.noXattrs !== null) cannotRunProgram.set('xattr', fx.noXattrs);
    // A seccomp filter or a user namespace can refuse the mount namespace despite CAP_SYS_ADMIN.
    const probe = await run(roRoot, ['/bin/true'], { cwd: fixture });
    if (probe.status !== 0) cannotRun = `lib/ro-root cannot give the native run a read-only root: ${probe.stderr.trim()}`;
  });

  afterAll(() => {
    if (work === '') return;
    // SYSCALL_COMPAT_KEEP=1 keeps the binaries and the fixture for debugging by hand.
    if (process.env.SYSCALL_COMPAT_KEEP) console.log(`syscall compatibility: kept ${work} (bin/, fx/)`);
    else rmSync(work, { recursive: true, force: true });
  });

  /** Each binary is built once, when its first test needs it. */
  function binary(program: string, linkage: Linkage): Promise<string> {
    const id = `${program}.${linkage}`;
    let b = builds.get(id);
    if (b === undefined) {
      b = compile(cc!, path.join(SUITE_DIR, `${program}.c`), path.join(work, 'bin', id), linkage);
      builds.set(id, b);
    }
    return b;
  }

  for (const program of PROGRAMS) {
    for (const linkage of LINKAGES) {
      const label = `${program} (${linkage})`;
      it.concurrent(label, async ({ skip }) => {
        const why = cannotRun ?? cannotRunProgram.get(program);
        if (why) skip(why);
        const bin = await binary(program, linkage);
        // Both runs: cwd is the fixture, argv[1] its absolute path; a writing program gets an empty
        // writable directory as argv[2], the same path in both runs (a bind mount in the sandbox).
        let native: RunResult, sandbox: RunResult;
        // COMPAT_CASES=1: the native run describes each case on stderr, for the report (attribution.ts).
        const nativeEnv = { ...process.env, COMPAT_CASES: '1' };
        if (wantsWritableDir(program)) {
          const rw = path.join(work, 'rw', `${program}.${linkage}`);
          freshDir(rw);
          native = await run(roRoot, ['--rw', rw, bin, fixture, rw], { cwd: fixture, env: nativeEnv });
          freshDir(rw);
          const bundle = writeBindBundle(path.join(work, 'bundles', `${program}.${linkage}`), [bin, fixture, rw], fixture, rw);
          sandbox = await run(process.execPath, [RUNSC, 'run', '--bundle', bundle, `compat-${program}-${linkage}-${process.pid}`], { cwd: fixture });
        } else {
          native = await run(roRoot, [bin, fixture], { cwd: fixture, env: nativeEnv });
          // --no-overlay: the native run's root is read-only too (ro-root).
          sandbox = await run(process.execPath, [RUNSC, 'do', '--no-overlay', bin, fixture], { cwd: fixture });
        }
        const { traces, rest } = parseCaseTraces(native.stderr);
        native = { ...native, stderr: rest };
        const result: ProgramResult = {
          program, linkage, keys: [], traces, nativeFailed: failedExpectations(native.stderr), sandboxAgreed: new Set(), problems: [],
        };
        results.push(result);
        const nativeLines = (() => {
          try {
            return checkNative(label, native);
          } catch (e) {
            result.problems.push((e as Error).message);
            // A broken program still counts: what it printed is in the report, failing natively.
            try { result.keys = parseOutputKeys(native.stdout); } catch { /* unparsable: no cases */ }
            throw e;
          }
        })();
        result.keys = nativeLines.map((l) => l.key).filter((k) => k !== 'done');
        result.sandboxAgreed = agreedKeys(nativeLines, sandbox);
        const unknownAbouts = badAbouts(traces.values());
        expect(unknownAbouts, `${label}: ABOUT() names that are not x86-64 system calls`).toEqual([]);
        // A line written without a macro (fileio.c writes some to stdout itself) is compared like any
        // other and counted in the report as naming no system call.
        const { problems } = compareOutputs(nativeLines, sandbox, native.status, knownFor(program, linkage));
        result.problems = problems;
        const stderr = sandbox.stderr.trim();
        expect(problems, `${label}: the sandbox differs from Linux:\n  ${problems.join('\n  ')}${stderr ? `\nsandbox stderr:\n${stderr}` : ''}`).toEqual([]);
      }, 2 * RUN_TIMEOUT_MS + 30_000);
    }
  }

  // Runs after every program above (vitest awaits a run of concurrent tests before the next
  // sequential one). Only a full run writes the report: a run narrowed with -t, or with a program
  // that cannot run here, leaves it alone.
  it('docs/compatibility.md is the report of this run', ({ skip }) => {
    const expected = PROGRAMS.length * LINKAGES.length;
    if (results.length !== expected) skip(`not a full run (${results.length} of ${expected} program runs): the report is written by full runs only`);
    const sources = new Map(PROGRAMS.map((p) => [p, readFileSync(path.join(SUITE_DIR, `${p}.c`), 'utf8')]));
    const text = renderReport(results, sources, KNOWN_DIFFERENCES, PLATFORM, ABSENT_PLATFORMS);
    const before = existsSync(REPORT) ? readFileSync(REPORT, 'utf8') : '';
    if (text !== before) writeFileSync(REPORT, text);
    const t = totals(caseRows(results, sources));
    expect(t.nativePass, 'every case passes natively').toBe(t.cases);
    expect(t.cases, 'cases in the suite').toBeGreaterThanOrEqual(FLOOR.cases);
    expect(t.syscalls, 'system calls with a case').toBeGreaterThanOrEqual(FLOOR.syscalls);
    expect(t.sandboxPass / t.cases, 'share of cases passing in the sandbox').toBeGreaterThanOrEqual(FLOOR.sandboxPassRatio);
    expect(text === before, 'docs/compatibility.md differed from this run\'s report: it has been rewritten; review and commit it').toBe(true);
  });

  it('lists known differences only for programs that exist', () => {
    const stale = KNOWN_DIFFERENCES.filter((k) => !PROGRAMS.includes(k.program)).map((k) => `${k.program}: ${k.key}`);
    expect(stale, 'known-differences.ts entries for programs that do not exist').toEqual([]);
  });
});

// What the suite must cover next. Each becomes a program here, compared natively as the ones above are.
describe('syscall compatibility: to add', () => {
  it.todo('shared file mappings (MAP_SHARED) seen across fork, msync');
  it.todo('setuid/setgid/setgroups/capget across exec (creds.c covers them within one program)');
  it.todo('record locks across processes: POSIX locks not inherited by fork, write-lock conflicts (EAGAIN), F_SETLKW wake-ups and EINTR, EDEADLK between two processes');
  it.todo('writes to a tmpfs mount and under the root overlay: the programs marked "compat: writable-dir" run on a read-write bind mount of the Gofer today');
  it.todo('/proc/self (fd, status, exe, cwd) and /dev (null, zero, full, urandom) contents and errors');
});
