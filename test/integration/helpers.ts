// Running our runsc from tests, and comparing with the same command run natively.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RUNSC = path.join(REPO, 'bin/runsc.js');

export interface RunResult { status: number | null; stdout: string; stderr: string }

export function runsc(args: string[], opts: { input?: string; cwd?: string; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(process.execPath, [RUNSC, ...args], {
    input: opts.input ?? '', cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, encoding: 'latin1', maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function native(cmd: string[], opts: { input?: string; cwd?: string } = {}): RunResult {
  const r = spawnSync(cmd[0], cmd.slice(1), { input: opts.input ?? '', cwd: opts.cwd, encoding: 'latin1', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parses "k=v" lines into a map. */
export function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_0-9]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}
