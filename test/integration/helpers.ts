// Running our runsc from tests, and comparing with the same command run natively.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RUNSC = path.join(REPO, 'bin/runsc.js');

export interface RunResult { status: number | null; stdout: string; stderr: string }

/**
 * Runs a command and collects its output. Asynchronous on purpose: a test
 * worker blocked in spawnSync for long cannot answer the test runner.
 */
function collect(cmd: string, args: string[], opts: { input?: string; cwd?: string; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [], err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1') });
    });
    // A program that exits without reading its input closes the pipe first: not an error here.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

export function runsc(args: string[], opts: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return collect(process.execPath, [RUNSC, ...args], opts);
}

/** bin/runsc.js executed, as a shell or Docker runs it: a plain run or do goes through the front (runsc/front.ts). */
export function runscExecuted(args: string[], opts: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return collect(RUNSC, args, opts);
}

export function native(cmd: string[], opts: { input?: string; cwd?: string } = {}): Promise<RunResult> {
  return collect(cmd[0], cmd.slice(1), opts);
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
