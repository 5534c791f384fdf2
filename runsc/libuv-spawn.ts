// Spawning a child on socketpairs with libuv's process handle directly,
// for the front (runsc/front.ts): the Gofer's launcher has to start before
// anything else the front loads, and node:child_process (with node:net and
// the streams under it) and koffi each cost ~8 ms to load there. This is
// what child_process.spawn does underneath, without its JavaScript: a
// 'pipe' stdio entry is an AF_UNIX socketpair whose other end stays here.
// process.binding is deprecated (DEP0111, documentation only in Node 20);
// when it or these bindings are missing, null tells the caller to spawn
// another way.

import { constants } from 'node:os';

const osSignals = constants.signals;

interface LibuvPipe { readonly fd: number }
interface LibuvProcess {
  readonly pid: number;
  onexit: ((exitCode: number, signalCode: string | null) => void) | null;
  spawn(options: {
    file: string; args: string[]; envPairs: string[]; detached: boolean; windowsHide: boolean; windowsVerbatimArguments: boolean;
    stdio: Array<{ type: 'ignore' } | { type: 'fd'; fd: number } | { type: 'pipe'; handle: LibuvPipe }>;
  }): number;
  close(): void;
}
interface Bindings {
  Process: new () => LibuvProcess;
  Pipe: new (type: number) => LibuvPipe;
  socketType: number;
}

/** Node warns of process.binding (DEP0111) only when asked to warn of pending deprecations: then the caller's other way, in silence. */
function pendingDeprecationWarnings(): boolean {
  return process.execArgv.includes('--pending-deprecation') || process.env.NODE_PENDING_DEPRECATION === '1'
    || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes('--pending-deprecation');
}

function bindings(): Bindings | null {
  if (pendingDeprecationWarnings()) return null;
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding;
    const { Process } = binding('process_wrap') as { Process?: Bindings['Process'] };
    const { Pipe, constants } = binding('pipe_wrap') as { Pipe?: Bindings['Pipe']; constants?: { SOCKET?: number } };
    if (typeof Process !== 'function' || typeof Pipe !== 'function' || typeof constants?.SOCKET !== 'number') return null;
    return { Process, Pipe, socketType: constants.SOCKET };
  } catch {
    return null;
  }
}

export interface SpawnedOnPairs {
  pid: number;
  /** Our ends of the socketpairs, in order (close-on-exec, non-blocking as libuv leaves them). */
  fds: number[];
}

type StdioEntry = Parameters<LibuvProcess['spawn']>[0]['stdio'][number];

/** Spawns file with stdin and stdout /dev/null, stderr ours, and `from3` at 3, 4, ...: the child, and spawn's result (-errno or 0). */
function spawnChild(b: Bindings, file: string, args: string[], env: string[], from3: StdioEntry[]): { child: LibuvProcess; err: number } {
  const child = new b.Process();
  child.onexit = null;
  const err = child.spawn({
    file, args, envPairs: env, detached: false, windowsHide: false, windowsVerbatimArguments: false,
    stdio: [{ type: 'ignore' }, { type: 'ignore' }, { type: 'fd', fd: 2 }, ...from3],
  });
  return { child, err };
}

/**
 * Spawns file with stdin and stdout /dev/null, stderr ours, and `pairs`
 * socketpairs at 3, 4, ... Returns the child and our ends, -errno if the
 * spawn failed, or null if these bindings are not there. The child is not
 * watched: libuv's SIGCHLD handler goes with the handle, and the caller
 * reaps the child itself.
 */
export function spawnOnSocketpairs(file: string, args: string[], env: string[], pairs: number): SpawnedOnPairs | number | null {
  const b = bindings();
  if (b === null) return null;
  const pipes = Array.from({ length: pairs }, () => new b.Pipe(b.socketType));
  const { child, err } = spawnChild(b, file, args, env, pipes.map((handle) => ({ type: 'pipe' as const, handle })));
  const pid = child.pid;
  // Closing the handle now stops libuv's SIGCHLD handler, which would
  // otherwise run for every exit of the Sentry's stubs while its loop never
  // reads what the handler queues.
  child.close();
  if (err < 0) return err;
  return { pid, fds: pipes.map((p) => p.fd) };
}

/**
 * Spawns file with stdin and stdout /dev/null, stderr ours and fd at 3,
 * and watches it: the promise gives its exit code (128+N for signal N).
 * -errno if the spawn failed, null without the bindings. libuv's SIGCHLD
 * handler runs until the child is gone: for a short-lived child only.
 */
export function spawnWithFd(file: string, args: string[], fd: number): { pid: number; exited: Promise<number> } | number | null {
  const b = bindings();
  if (b === null) return null;
  let settle: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => { settle = resolve; });
  const { child, err } = spawnChild(b, file, args, [], [{ type: 'fd', fd }]);
  if (err < 0) { child.close(); return err; }
  child.onexit = (exitCode, signalCode) => {
    child.close();
    settle(signalCode === null || signalCode === '' ? exitCode : 128 + (signalNumber(signalCode) ?? 9));
  };
  return { pid: child.pid, exited };
}

function signalNumber(name: string): number | undefined {
  return (osSignals as Record<string, number | undefined>)[name];
}
