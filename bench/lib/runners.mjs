// Where workloads run: natively, or in a container runtime from an OCI
// bundle (runc, gVisor's runsc, ours), plus `do` for the two runsc's.
//
// Every sandboxed run uses the same bundle layout (makeRootfs): an empty
// read-only root with the host's /usr and /etc bind-mounted read-only (so
// python3, gcc and sh work), /bin, /lib, /lib64, /sbin as the host's
// usr-merge symlinks, the static benchmark programs bind-mounted at /bench,
// a tmpfs at /tmp and a per-runner host directory bind-mounted read-write at
// /data (the file-server path: a Gofer in gVisor and ours, plain bind in
// runc). Native runs see the same things at host paths: bench/out/bin, a
// directory in /dev/shm (tmpfs) and bench/out/data/native.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runBounded, describeFailure } from './proc.mjs';

export const GVISOR_RUNSC = '/usr/bin/runsc'; // Debian's gVisor; NOT our bin/runsc.js

const BUNDLE_WHERE = { bin: '/bench', tmp: '/tmp', data: '/data', true: '/bench/true' };
const SANDBOX_ENV = ['PATH=/usr/bin:/bin', 'HOME=/tmp', 'TMPDIR=/tmp', 'LANG=C.UTF-8'];

export function which(cmd) {
  for (const dir of (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The shared read-only root of every bundle. */
export function makeRootfs(outDir) {
  const rootfs = path.join(outDir, 'rootfs');
  fs.rmSync(rootfs, { recursive: true, force: true });
  for (const d of ['usr', 'etc', 'bench', 'data', 'tmp', 'proc', 'dev', 'sys']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  for (const l of ['bin', 'lib', 'lib64', 'sbin']) {
    let target;
    try { target = fs.readlinkSync(`/${l}`); } catch { continue; } // not usr-merged: leave it out
    fs.symlinkSync(target, path.join(rootfs, l));
  }
  return rootfs;
}

function bundleConfig(ctx, runner, argv) {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: argv,
      env: SANDBOX_ENV,
      cwd: '/tmp',
      capabilities: Object.fromEntries(['bounding', 'effective', 'permitted'].map((k) => [k, ['CAP_KILL', 'CAP_AUDIT_WRITE']])),
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: ctx.rootfs, readonly: true },
    hostname: 'bench',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
      { destination: '/usr', type: 'bind', source: '/usr', options: ['rbind', 'ro'] },
      { destination: '/etc', type: 'bind', source: '/etc', options: ['rbind', 'ro'] },
      { destination: '/bench', type: 'bind', source: ctx.binDir, options: ['rbind', 'ro'] },
      { destination: '/data', type: 'bind', source: runner.dataDir, options: ['rbind', 'rw'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

let idCounter = 0;

/**
 * A runtime driven through runc's CLI shape: `cmd ...pre --root S run
 * --bundle B ID`, optionally `cmd ...pre --root S do ARGV...`.
 * exec(argvFor, mode) runs one workload: argvFor(where) builds the command
 * line from the paths the program sees.
 */
function runtimeRunner(ctx, { name, label, cmd, pre, hasDo, checks, platformCheck }) {
  const stateRoot = path.join(ctx.outDir, 'state', name);
  const bundleDir = path.join(ctx.outDir, 'bundles', name);
  const dataDir = path.join(ctx.outDir, 'data', name);
  const runner = {
    name, label, dataDir,
    command: [cmd, ...pre, '--root', stateRoot, 'run', '--bundle', bundleDir, '<id>'].join(' '),
    supports: (mode) => mode !== 'do' || hasDo,
    whyNot: (mode) => (mode === 'do' && !hasDo ? `${name} has no \`do\`` : null),
    async exec(argvFor, mode, extraFlags = []) {
      const id = `bench-${process.pid}-${name}-${++idCounter}`;
      const timeoutMs = ctx.opts.timeout * 1000;
      if (mode === 'do') {
        return runBounded(cmd, [...pre, ...extraFlags, '--root', stateRoot, 'do', ...argvFor(ctx.hostWhere)], { timeoutMs, cwd: ctx.repoDir });
      }
      fs.writeFileSync(path.join(bundleDir, 'config.json'), JSON.stringify(bundleConfig(ctx, runner, argvFor(BUNDLE_WHERE)), null, 2) + '\n');
      const r = await runBounded(cmd, [...pre, ...extraFlags, '--root', stateRoot, 'run', '--bundle', bundleDir, id], { timeoutMs, cwd: ctx.repoDir });
      // A container that failed or was killed half-way can leave state behind.
      if (r.code !== 0 || r.timedOut) {
        await runBounded(cmd, [...pre, '--root', stateRoot, 'delete', '--force', id], { timeoutMs: 20000, cwd: ctx.repoDir });
      }
      return r;
    },
    /** null when usable, else why not; runs the static true once to find out. */
    async probe() {
      for (const c of checks) { const why = c(); if (why) return why; }
      for (const d of [stateRoot, bundleDir, dataDir]) fs.mkdirSync(d, { recursive: true });
      let extra = [];
      let debugDir = null;
      if (platformCheck) {
        debugDir = path.join(ctx.outDir, 'debug', name) + '/';
        fs.rmSync(debugDir, { recursive: true, force: true });
        fs.mkdirSync(debugDir, { recursive: true });
        extra = ['--debug', `--debug-log=${debugDir}`];
      }
      const r = await runner.exec((w) => [w.true], 'run', extra);
      if (r.code !== 0 || r.timedOut) return `a trial run of a static true failed: ${describeFailure(r, ctx.opts.timeout)}`;
      if (platformCheck) {
        const why = platformCheck(debugDir);
        if (why) return why;
        runner.note = `platform verified from gVisor's boot log`;
      }
      return null;
    },
    cleanup() {
      if (!ctx.opts.keep) for (const d of [stateRoot, dataDir]) fs.rmSync(d, { recursive: true, force: true });
    },
  };
  return runner;
}

/** gVisor's boot log says which platform it really used; a mislabelled figure is worse than none. */
function gvisorPlatformCheck(want) {
  return (dir) => {
    let files = [];
    try { files = fs.readdirSync(dir).filter((f) => f.includes('boot')); } catch { /* none */ }
    for (const f of files) {
      const m = /Platform: (\S+)/.exec(fs.readFileSync(path.join(dir, f), 'utf8'));
      if (m) return m[1] === want ? null : `asked for --platform=${want} but gVisor's boot log says ${m[1]}`;
    }
    return `cannot verify the platform: no boot log with a "Platform:" line in ${dir}`;
  };
}

/** Our CLI's --platform choices, read from its --help. */
export function oursPlatforms(oursRunsc) {
  const r = spawnSync(process.execPath, [oursRunsc, '--help'], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) return { error: `\`runsc --help\` failed: ${(r.stderr || String(r.error)).trim().split('\n').slice(-1)[0]}` };
  // commander prints `(choices: "a", "b", default: "a")`, possibly wrapped.
  const m = /--platform[\s\S]*?choices:((?:\s*"[^"]+",?)+)/.exec(r.stdout);
  if (!m) return { error: 'cannot find the --platform choices in `runsc --help`' };
  return { platforms: [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]) };
}

function nativeRunner(ctx) {
  const dataDir = path.join(ctx.outDir, 'data', 'native');
  const env = { PATH: '/usr/bin:/bin', HOME: ctx.nativeTmp, TMPDIR: ctx.nativeTmp, LANG: 'C.UTF-8' };
  return {
    name: 'native', label: 'native', dataDir,
    command: 'the program itself, directly on the host',
    supports: () => true,
    whyNot: () => null,
    exec: (argvFor) => {
      const argv = argvFor(ctx.hostWhere);
      return runBounded(argv[0], argv.slice(1), { timeoutMs: ctx.opts.timeout * 1000, env, cwd: ctx.nativeTmp });
    },
    async probe() {
      fs.mkdirSync(dataDir, { recursive: true });
      return null;
    },
    cleanup() { if (!ctx.opts.keep) fs.rmSync(dataDir, { recursive: true, force: true }); },
  };
}

const needRoot = () => (isRoot() ? null : 'needs root (run as root / with sudo)');
const needKvm = () => (fs.existsSync('/dev/kvm') ? null : '/dev/kvm does not exist on this host (no nested virtualization exposed to this machine)');

/**
 * Every runner the issue asks for, in table order. Those whose prerequisites
 * are missing still appear, and probe() says why they are skipped.
 */
export function allRunners(ctx) {
  const gvisor = (platform, extraChecks = []) => runtimeRunner(ctx, {
    name: `gvisor-${platform}`, label: `gVisor ${platform}`, cmd: GVISOR_RUNSC,
    pre: ['--rootless=false', '--network=none', `--platform=${platform}`], hasDo: true,
    checks: [needRoot, () => (fs.existsSync(GVISOR_RUNSC) ? null : `${GVISOR_RUNSC} is not installed (Debian package runsc)`), ...extraChecks],
    platformCheck: gvisorPlatformCheck(platform),
  });
  const runners = [
    nativeRunner(ctx),
    runtimeRunner(ctx, {
      name: 'runc', label: 'runc', cmd: which('runc') || 'runc', pre: [], hasDo: false,
      checks: [needRoot, () => (which('runc') ? null : 'runc is not installed (Debian package runc)')],
    }),
    gvisor('ptrace'),
    gvisor('kvm', [needKvm]),
  ];
  const ours = fs.existsSync(ctx.oursRunsc) ? oursPlatforms(ctx.oursRunsc) : { error: `${ctx.oursRunsc} does not exist` };
  const platforms = new Set(['ptrace', 'kvm', ...(ours.platforms ?? [])]);
  for (const platform of platforms) {
    const r = runtimeRunner(ctx, {
      // Executed as a user's shell or Docker does, so its /bin/sh lines run (bin/runsc.js).
      name: `ours-${platform}`, label: `ours ${platform}`, cmd: ctx.oursRunsc,
      pre: [`--platform=${platform}`, '--network=none'], hasDo: true,
      checks: [
        () => ours.error ?? null,
        () => (ours.platforms.includes(platform) ? null : `not one of our platforms (our --platform choices: ${ours.platforms.join(', ')})`),
        needRoot,
        ...(platform === 'kvm' ? [needKvm] : []),
      ],
    });
    runners.push(r);
  }
  return runners;
}
