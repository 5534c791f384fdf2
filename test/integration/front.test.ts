// bin/runsc.js executed, as a shell, npx or Docker run it: a plain `run` or
// `do` goes through its /bin/sh lines to the front (runsc/front.ts), where
// the Sentry's process does the CLI's work and sh waits and hands on
// signals. Every other test starts `node bin/runsc.js`, the CLI's way.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, hasPtrace } from '../fixtures/rootfs.js';
import { RUNSC } from './helpers.js';

const ptrace = hasPtrace();

interface Ran { status: number | null; stdout: string; stderr: string; pid: number }

/** Executes bin/runsc.js itself (no `node` in front), asynchronously, as helpers.ts explains. */
function exec(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; onStdout?: (text: string, pid: number) => void } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(RUNSC, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString('latin1'); opts.onStdout?.(stdout, child.pid!); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString('latin1'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr, pid: child.pid! }); });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** The FIFOs the sh lines leave for a runsc of that pid: none, once it is done. */
const fifoOf = (pid: number): string => path.join(process.env.TMPDIR ?? '/tmp', `runsc-front.${pid}`);

describe.skipIf(!ptrace.ok)(`runsc's front, bin/runsc.js executed (ptrace)${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  let root: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'runsc-front-'));
    root = path.join(work, 'state');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs `do` in the Sentry\'s process, and leaves no FIFO, state or Gofer behind', async () => {
    const logs = path.join(work, 'logs') + '/';
    mkdirSync(logs);
    const r = await exec(['--root', root, '--debug', `--debug-log=${logs}`, 'do', '/bin/echo', 'hello']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello\n');
    expect(r.status).toBe(0);
    const runscLog = readFileSync(path.join(logs, 'runsc.log'), 'utf8');
    const sentryLog = readFileSync(path.join(logs, 'sentry.log'), 'utf8');
    expect(runscLog).toContain('"front":true');
    expect(sentryLog).toContain('"startedBy":"front"');
    // The Sentry ran in the process that logged the command: one Node, not two.
    const pidOf = (text: string) => (JSON.parse(text.split('\n')[0]) as { pid: number }).pid;
    expect(pidOf(sentryLog)).toBe(pidOf(runscLog));
    expect(existsSync(fifoOf(r.pid))).toBe(false);
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
    // The Gofer, started by the sh lines before Node (runsc/early-gofer.ts), served from its jail and is gone:
    // no process, or a zombie left for init to reap.
    const goferLog = readFileSync(path.join(logs, 'gofer.log'), 'utf8');
    expect(goferLog).toContain('"early":true');
    const goferPid = pidOf(goferLog);
    expect(goferPid).not.toBe(pidOf(runscLog));
    const state = existsSync(`/proc/${goferPid}/status`) ? /^State:\s+(\S)/m.exec(readFileSync(`/proc/${goferPid}/status`, 'utf8'))?.[1] : 'gone';
    expect(['gone', 'Z']).toContain(state);
  });

  it('confines the early Gofer as any Gofer: its jail as root, three capabilities, seccomp', async () => {
    const logs = path.join(work, 'logs-confined') + '/';
    mkdirSync(logs);
    let seen: Record<string, string> | null = null;
    await exec(['--root', root, '--debug', `--debug-log=${logs}`, 'do', '/bin/sh', '-c', 'echo ready; sleep 1'], {
      onStdout: (text) => {
        if (seen !== null || !text.includes('ready')) return;
        const pid = (JSON.parse(readFileSync(path.join(logs, 'gofer.log'), 'utf8').split('\n')[0]) as { pid: number }).pid;
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(status)?.[1] ?? '';
        const mounts = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
        seen = { capEff: field('CapEff'), seccomp: field('Seccomp'), noNewPrivs: field('NoNewPrivs'), root: readlinkSync(`/proc/${pid}/root`),
          jailCopy: String(mounts.includes('gofer-jail/')), pseudo: String(/ - (proc|sysfs|devpts|devtmpfs|cgroup2?) /.test(mounts.replace(/^.* \/fd .*$/m, ''))) };
      },
    });
    expect(seen).toEqual({ capEff: '000000000000000b', seccomp: '2', noNewPrivs: '1', root: expect.stringMatching(/\/dist\/bundle\/gofer-jail$/), jailCopy: 'false', pseudo: 'false' });
  });

  it('gives the application stdin and returns its exit status, 128+N for a signal', async () => {
    expect(await exec(['--root', root, 'do', '/bin/cat'], { input: 'through stdin\n' })).toMatchObject({ stdout: 'through stdin\n', status: 0 });
    expect((await exec(['--root', root, 'do', '/bin/sh', '-c', 'exit 3'])).status).toBe(3);
    expect((await exec(['--root', root, 'do', '/bin/sh', '-c', 'kill -SEGV $$'])).status).toBe(139);
  });

  it('hands SIGTERM sent to runsc on to the sandbox\'s init', async () => {
    let sent = false;
    const r = await exec(['--root', root, 'do', '/bin/sh', '-c',
      'trap "echo got TERM; exit 7" TERM; echo ready; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo not signalled'], {
      onStdout: (text, pid) => { if (!sent && text.includes('ready')) { sent = true; process.kill(pid, 'SIGTERM'); } },
    });
    expect(r.stdout).toBe('ready\ngot TERM\n');
    expect(r.status).toBe(7);
  });

  it('keeps NODE_EXTRA_CA_CERTS from Node and gives it to the application', async () => {
    // Node reads that bundle at start and warns when it cannot: the check can fail.
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/runsc-test-ca.pem' };
    const r = await exec(['--root', root, 'do', '/bin/sh', '-c', 'echo "ca=$NODE_EXTRA_CA_CERTS"; env | grep -c "^RUNSC_" || true'], { env });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ca=/nonexistent/runsc-test-ca.pem\n0\n');
    const viaNode = spawnSync(process.execPath, [RUNSC, '--root', root, 'do', '/bin/true'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(viaNode.stderr).toContain('Ignoring extra certs from `/nonexistent/runsc-test-ca.pem`');
  });

  it('runs a bundle with a writable bind mount', async () => {
    const shared = path.join(work, 'shared');
    mkdirSync(shared);
    const dir = buildBusyboxBundle(path.join(work, 'bundle'), {
      args: ['/bin/sh', '-c', 'echo written > /shared/out; cat /etc/hostname'],
      mounts: [{ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] }],
    });
    mkdirSync(path.join(dir, 'rootfs/shared'));
    const r = await exec(['--root', root, 'run', '--bundle', dir, 'front-bind']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sandbox\n');
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(shared, 'out'), 'utf8')).toBe('written\n');
  });

  it('reports a broken config.json in one line, as the CLI does', async () => {
    const dir = path.join(work, 'broken');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'config.json'), '{"process": 5}');
    const r = await exec(['--root', root, 'run', '--bundle', dir, 'broken']);
    expect(r).toMatchObject({ stdout: '', stderr: 'runsc: config.json: process: must be an object\n', status: 1 });
    expect(existsSync(fifoOf(r.pid))).toBe(false);
  });

  it('leaves any other command line to the CLI, with its output', async () => {
    for (const args of [['--root', root, 'do'], ['--root', root, 'run', '--detach', 'x'], ['--version']]) {
      const viaNode = spawnSync(process.execPath, [RUNSC, ...args], { encoding: 'utf8', timeout: 60_000 });
      const r = await exec(args);
      expect({ stdout: r.stdout, stderr: r.stderr, status: r.status }, args.join(' ')).toEqual({ stdout: viaNode.stdout, stderr: viaNode.stderr, status: viaNode.status });
      expect(existsSync(fifoOf(r.pid))).toBe(false);
    }
  });

  it('asked to warn of pending deprecations, starts the Gofer through koffi instead, in silence', async () => {
    // libuv's process binding is process.binding (DEP0111); runsc/libuv-spawn.ts steps aside and front-sandbox.ts posix_spawns.
    const env = { ...process.env, NODE_OPTIONS: '--pending-deprecation' };
    const r = await exec(['--root', root, 'do', '/bin/echo', 'fallback'], { env });
    expect(r).toMatchObject({ stdout: 'fallback\n', stderr: '', status: 0 });
  });

  it('with RUNSC_NO_FRONT=1 runs the CLI\'s way', async () => {
    const logs = path.join(work, 'logs-classic') + '/';
    mkdirSync(logs);
    const r = await exec(['--root', root, '--debug', `--debug-log=${logs}`, 'do', '/bin/true'], { env: { ...process.env, RUNSC_NO_FRONT: '1' } });
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(logs, 'runsc.log'), 'utf8')).not.toContain('"front"');
  });
});
