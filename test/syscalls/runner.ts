// The compatibility suite's runner: builds the C programs, runs each one
// natively and in the sandbox, and compares their "key=value" outputs.
// compat.test.ts drives it; nothing here knows about vitest.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KnownDifference, Linkage } from './known-differences.js';

export const SUITE_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(SUITE_DIR, '../..');
export const RUNSC = path.join(REPO, 'bin/runsc.js');

/** A run that takes longer than this is killed (with its whole process group) and reported. */
export const RUN_TIMEOUT_MS = 30_000;

/** Marker the C harness writes on stderr when an expectation fails (lib/compat.h). */
export const EXPECT_FAIL_MARKER = 'COMPAT-EXPECT-FAIL';

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** The test programs: every test/syscalls/*.c, by name without ".c". */
export function listPrograms(): string[] {
  return fs.readdirSync(SUITE_DIR).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2)).sort();
}

/**
 * Runs a command with empty stdin and collects its output. The command is
 * the leader of a new process group, so a timeout kills it and everything it
 * started (the Gofer and the Sentry for a sandboxed run).
 */
export function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [], err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, opts.timeoutMs ?? RUN_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.end();
    child.on('error', (e) => err.push(Buffer.from(String(e))));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        status, signal, timedOut, ms: Date.now() - started,
        stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1'),
      });
    });
  });
}

/** Compiles src to out with cc -O2 (and -static for the static linkage). Throws with cc's message. */
export async function compile(cc: string, src: string, out: string, linkage: Linkage | 'helper'): Promise<string> {
  const flags = ['-O2', '-Wall', '-Wno-unused-function', '-o', out, src];
  if (linkage === 'static') flags.unshift('-static');
  const r = await run(cc, flags, { cwd: SUITE_DIR });
  if (r.status !== 0) throw new Error(`${cc} ${flags.join(' ')} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  return out;
}

export interface Line { key: string; value: string }

/** Parses a program's stdout into key=value lines; throws on anything else. */
export function parseOutput(label: string, text: string): Line[] {
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const m = /^([a-z0-9_]+)=(.*)$/.exec(raw);
    if (!m) throw new Error(`${label}: output line is not key=value: ${JSON.stringify(raw)}`);
    lines.push({ key: m[1], value: m[2] });
  }
  return lines;
}

function describeRun(r: RunResult): string {
  const how = r.timedOut ? `killed after ${r.ms} ms (timeout)` : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return `${how}; stderr:\n${r.stderr.trim() || '(empty)'}`;
}

/**
 * The native run must be a passing test: exit 0, no failed expectation,
 * every line key=value with unique keys, ending with done=1.
 * Returns its lines; throws with the reason otherwise.
 */
export function checkNative(label: string, r: RunResult): Line[] {
  if (r.timedOut || r.status !== 0 || r.stderr.includes(EXPECT_FAIL_MARKER)) {
    throw new Error(`${label}: broken test, it fails natively (Linux is the judge): ${describeRun(r)}\nstdout:\n${r.stdout}`);
  }
  const lines = parseOutput(`${label} (native)`, r.stdout);
  const seen = new Set<string>();
  for (const l of lines) {
    if (seen.has(l.key)) throw new Error(`${label}: key ${l.key} is printed twice: keys must be unique`);
    seen.add(l.key);
  }
  if (lines.at(-1)?.key !== 'done') throw new Error(`${label}: the native run does not end with done=1`);
  return lines;
}

/** Keys whose expectation failed in a run (the harness's "COMPAT-EXPECT-FAIL key: ..." lines). */
export function failedExpectations(stderr: string): Set<string> {
  const keys = new Set<string>();
  for (const m of stderr.matchAll(new RegExp(`^${EXPECT_FAIL_MARKER} ([a-z0-9_]+): `, 'gm'))) keys.add(m[1]);
  return keys;
}

/** Keys the sandbox printed with the same value as the native run. */
export function agreedKeys(nativeLines: Line[], sandbox: RunResult): Set<string> {
  let sandboxLines: Line[];
  try {
    sandboxLines = parseOutput('sandbox', sandbox.stdout);
  } catch {
    return new Set();
  }
  const got = new Map(sandboxLines.map((l) => [l.key, l.value]));
  return new Set(nativeLines.filter((l) => got.get(l.key) === l.value).map((l) => l.key));
}

export interface Comparison {
  /** "key: linux=… sandbox=…" for each disagreement not in the known list, and each stale entry of it. */
  problems: string[];
  /** Known differences seen as listed. */
  known: KnownDifference[];
}

/**
 * Compares the sandbox's output with the native one, line by line. A key in
 * `known` must still differ, and exactly as listed (so a fix, or a change in
 * how it is wrong, fails the test until the list is updated); every other
 * line must be identical, in the same order.
 */
export function compareOutputs(nativeLines: Line[], sandbox: RunResult, nativeStatus: number | null, known: KnownDifference[]): Comparison {
  const problems: string[] = [];
  let sandboxLines: Line[];
  try {
    sandboxLines = parseOutput('sandbox', sandbox.stdout);
  } catch (e) {
    return { problems: [(e as Error).message], known: [] };
  }
  const nativeByKey = new Map(nativeLines.map((l) => [l.key, l.value]));
  const sandboxByKey = new Map(sandboxLines.map((l) => [l.key, l.value]));
  const knownKeys = new Set<string>();
  const seen: KnownDifference[] = [];
  for (const k of known) {
    knownKeys.add(k.key);
    const want = nativeByKey.get(k.key), got = sandboxByKey.get(k.key);
    if (want === undefined) { problems.push(`${k.key}: listed as a known difference, but the program no longer prints it`); continue; }
    if (got === want) { problems.push(`${k.key}: listed as a known difference but the sandbox now agrees with Linux (${want}): remove it from known-differences.ts`); continue; }
    if (got !== k.sandbox) { problems.push(`${k.key}: known difference changed: linux=${want} sandbox=${got ?? '(missing)'}, listed sandbox=${k.sandbox}`); continue; }
    seen.push(k);
  }
  const a = nativeLines.filter((l) => !knownKeys.has(l.key));
  const b = sandboxLines.filter((l) => !knownKeys.has(l.key));
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i], y = b[i];
    if (x && y && x.key === y.key) {
      if (x.value !== y.value) problems.push(`${x.key}: linux=${x.value} sandbox=${y.value}`);
      continue;
    }
    if (!y) { problems.push(`${x!.key}: linux=${x!.value}, the sandbox stopped before it (${describeRun(sandbox)})`); break; }
    if (!x) { problems.push(`${y.key}: printed only in the sandbox (${y.value})`); continue; }
    problems.push(`line ${i + 1}: linux printed ${x.key}=${x.value}, the sandbox ${y.key}=${y.value}; the outputs diverge from here`);
    break;
  }
  if (sandbox.timedOut || sandbox.signal !== null || sandbox.status !== nativeStatus) {
    problems.push(`exit status: linux=${nativeStatus} sandbox ${describeRun(sandbox)}`);
  }
  return { problems, known: seen };
}

/** A program that changes files carries this in its source: it gets a fresh writable directory as argv[2]. */
export const WRITABLE_MARK = 'compat: writable-dir';

export function wantsWritableDir(program: string): boolean {
  return fs.readFileSync(path.join(SUITE_DIR, `${program}.c`), 'utf8').includes(WRITABLE_MARK);
}

/** Empties dir (making it if need be): each run of a writing program starts from nothing. */
export function freshDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}

/**
 * Writes an OCI bundle (config.json only) that runs args like `runsc do`
 * does, the host root read-only, cwd as given, with `rw` bind-mounted
 * read-write at its own path: `runsc run --bundle dir` then sees what
 * `ro-root --rw rw` gives the native run. Returns the bundle directory.
 */
export function writeBindBundle(dir: string, args: string[], cwd: string, rw: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const config = {
    ociVersion: '1.0.2',
    process: {
      args, cwd, terminal: false,
      env: Object.entries(process.env).map(([k, v]) => `${k}=${v}`),
      user: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    },
    root: { path: '/', readonly: true },
    hostname: hostname(),
    mounts: [{ destination: rw, type: 'bind', source: rw, options: ['rbind', 'rw'] }],
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}
