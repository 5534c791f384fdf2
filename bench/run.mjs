#!/usr/bin/env node
// Micro-benchmarks: native vs runc vs gVisor's runsc vs ours, in one run.
//
//   node bench/run.mjs [--bench getppid|forkexec|pingpong|all] [--iters N]
//                      [--reps R] [--timeout SECONDS]
//                      [--envs native,runc,gvisor,ours,...] [--out FILE]
//                      [--ours-flags "--network=none"] [--keep]
//
// Benchmarks: getppid (cost of one system call), forkexec (fork + execve of a
// static true + waitpid), pingpong (one byte bounced over two pipes between
// two processes). Plain Node ESM, no dependencies, never part of `npm test`.
// Needs root for everything but "native". See bench/README.md.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_DIR = path.resolve(BENCH_DIR, '..');
const OUT_DIR = path.join(BENCH_DIR, 'out');
const GVISOR_RUNSC = '/usr/bin/runsc'; // Debian's gVisor; NOT our bin/runsc.js
let OURS_RUNSC = path.join(REPO_DIR, 'bin', 'runsc.js');

// ---------------------------------------------------------------- benchmarks
//
// Each benchmark is a static C program printing `<metric>=<float>`. args()
// gets the iteration count and where things are as seen by the program: on
// the host (native, `do`) or inside an OCI bundle (`run --bundle`).

const BENCHES = {
  getppid: {
    src: 'getppid.c',
    bin: 'getppid',
    metric: 'ns_per_call',
    unit: 'ns/call',
    defaultIters: 100000,
    args: (iters) => [String(iters)],
  },
  forkexec: {
    src: 'forkexec.c',
    bin: 'forkexec',
    metric: 'us_per_iter',
    unit: 'µs/iter',
    defaultIters: 100,
    args: (iters, where) => [String(iters), where.true],
  },
  pingpong: {
    src: 'pipepingpong.c',
    bin: 'pingpong',
    metric: 'us_per_roundtrip',
    unit: 'µs/round trip',
    defaultIters: 10000,
    args: (iters) => [String(iters)],
  },
};
// Helper binaries built alongside and put into every bundle at the given path.
const HELPERS = { true: { src: 'true.c', bundlePath: '/bin/true' } };

// ---------------------------------------------------------------- options

const DEFAULTS = {
  bench: 'all',
  iters: null,
  reps: 5,
  timeout: 60,
  envs: 'native,runc,gvisor,gvisor-kvm,ours,ours-kvm',
  out: '',
  oursFlags: '--network=none',
  keep: false,
};

function usage(code) {
  const text = `usage: node bench/run.mjs [options]
  --bench LIST       comma-separated subset of: ${Object.keys(BENCHES).join(', ')}, or all (default ${DEFAULTS.bench})
  --iters N          iterations per run; only with a single --bench (defaults:
                     ${Object.entries(BENCHES).map(([k, b]) => `${k} ${b.defaultIters}`).join(', ')})
  --getppid-iters N, --forkexec-iters N, --pingpong-iters N
                     iterations per run for one benchmark
  --reps R           timed repetitions per environment; median is reported (default ${DEFAULTS.reps})
  --timeout S        seconds allowed for one run of one environment (default ${DEFAULTS.timeout})
  --envs LIST        comma-separated subset of: ${Object.keys(ENVS).join(', ')}
                     (default ${DEFAULTS.envs})
  --out FILE         where to write the JSON results (default bench/out/results-<date>.json)
  --ours-flags STR   extra global flags for our runsc, before the subcommand (default "${DEFAULTS.oursFlags}")
  --ours-runsc FILE  our CLI's entry point (default bin/runsc.js)
  --keep             keep bundles and state directories under bench/out/
`;
  (code ? process.stderr : process.stdout).write(text);
  process.exit(code);
}

function parseArgs(argv) {
  const o = { ...DEFAULTS, benchIters: {} };
  const posInt = (flag, s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) { process.stderr.write(`${flag} must be a positive integer\n`); usage(2); }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const next = () => (v !== undefined ? v : argv[++i]);
    const perBench = /^--(\w+)-iters$/.exec(a);
    if (perBench && BENCHES[perBench[1]]) { o.benchIters[perBench[1]] = posInt(a, next()); continue; }
    switch (a) {
      case '--bench': o.bench = next(); break;
      case '--iters': o.iters = posInt(a, next()); break;
      case '--reps': o.reps = posInt(a, next()); break;
      case '--timeout': o.timeout = Number(next()); break;
      case '--envs': o.envs = next(); break;
      case '--out': o.out = next(); break;
      case '--ours-flags': o.oursFlags = next(); break;
      case '--ours-runsc': OURS_RUNSC = path.resolve(next()); break;
      case '--keep': o.keep = true; break;
      case '-h': case '--help': usage(0); break;
      default: process.stderr.write(`unknown option: ${a}\n`); usage(2);
    }
  }
  if (!(o.timeout > 0)) { process.stderr.write('--timeout must be > 0\n'); usage(2); }
  o.envList = o.envs.split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of o.envList) if (!ENVS[e]) { process.stderr.write(`unknown environment: ${e}\n`); usage(2); }
  const wanted = (o.bench || '').split(',').map((s) => s.trim()).filter(Boolean);
  o.benchList = wanted.includes('all') ? Object.keys(BENCHES) : wanted;
  if (!o.benchList.length) { process.stderr.write('--bench needs a value\n'); usage(2); }
  for (const b of o.benchList) if (!BENCHES[b]) { process.stderr.write(`unknown benchmark: ${b}\n`); usage(2); }
  // Iteration counts differ by orders of magnitude between benchmarks, so a
  // bare --iters (as in `--iters 100000` from getppid-only days) is only
  // accepted for a single benchmark.
  if (o.iters != null && o.benchList.length !== 1) {
    process.stderr.write(`--iters needs exactly one --bench; with several, use ${Object.keys(BENCHES).map((b) => `--${b}-iters`).join(', ')}\n`);
    usage(2);
  }
  o.itersFor = (b) => o.benchIters[b] ?? o.iters ?? BENCHES[b].defaultIters;
  return o;
}

// ---------------------------------------------------------------- helpers

class Unavailable extends Error {}

function which(cmd) {
  for (const dir of (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

function isRoot() { return typeof process.getuid === 'function' && process.getuid() === 0; }

function tail(s, n = 600) {
  s = (s || '').trim();
  return s.length > n ? '…' + s.slice(-n) : s;
}

function oneLine(s) { return s.replace(/\s+/g, ' ').trim(); }

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** [pid, ppid, pgrp, session] of every process in /proc (those that vanish mid-scan are skipped). */
function processTable() {
  const rows = [];
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch { return rows; }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    let stat;
    try { stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8'); } catch { continue; }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid pgrp session ...
    rows.push([Number(n), Number(f[1]), Number(f[2]), Number(f[3])]);
  }
  return rows;
}

/**
 * SIGKILL everything a run started: the child's process group (it is a
 * session leader, spawned detached) plus any process still in its session or
 * descended from it, which catches helpers that moved to a process group of
 * their own. Only ids derived from our own child are signalled.
 */
function killTree(rootPid) {
  const table = processTable();
  const victims = new Set([rootPid]);
  for (const [pid, , pgrp, sid] of table) if (sid === rootPid || pgrp === rootPid) victims.add(pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of table) if (victims.has(ppid) && !victims.has(pid)) { victims.add(pid); grew = true; }
  }
  try { process.kill(-rootPid, 'SIGKILL'); } catch { /* group gone */ }
  for (const pid of victims) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  return victims.size;
}

/**
 * Run a command with a hard timeout. On timeout the whole process tree is
 * killed (killTree), and if the child's pipes are still not closed a few
 * seconds later (something outside our reach, e.g. a double-forked daemon,
 * holds them) the promise resolves anyway: a run never hangs the harness.
 * Callers then clean up container state with forceDelete.
 */
function runBounded(cmd, args, { timeoutMs, cwd } = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let child;
    try {
      child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: null, signal: null, stdout: '', stderr: String(err), timedOut: false, wallMs: 0, spawnError: err });
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError = null;
    let done = false;
    let exitInfo = { code: null, signal: null };
    let grace = null;
    const finish = (code, signal, note) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      let err = spawnError ? String(spawnError) + '\n' + stderr : stderr;
      if (note) err += `\n${note}`;
      resolve({ code, signal, stdout, stderr: err, timedOut, wallMs, spawnError });
    };
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) killTree(child.pid);
      grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(exitInfo.code, exitInfo.signal, '(harness: output pipes still open 5 s after the kill; gave up waiting)');
      }, 5000);
    }, timeoutMs);
    child.on('error', (err) => { spawnError = err; if (!child.pid) finish(null, null); });
    child.on('exit', (code, signal) => { exitInfo = { code, signal }; });
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function parseMetric(stdout, metric) {
  const m = new RegExp(`${metric}=([0-9.eE+-]+)`).exec(stdout);
  return m ? Number(m[1]) : null;
}

function describeFailure(r, timeoutS) {
  if (r.timedOut) return `timed out after ${timeoutS}s` + (r.stderr.trim() ? `: ${oneLine(tail(r.stderr, 300))}` : '');
  if (r.spawnError) return `could not start: ${r.spawnError.message}`;
  const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
  const msg = oneLine(tail(r.stderr || r.stdout, 400));
  return `${how}${msg ? `: ${msg}` : ' with no output'}`;
}

// ---------------------------------------------------------------- build

/** Build every benchmark and helper statically into bench/out/; returns { name: absolute path }. */
function buildBinaries() {
  const cc = which('cc') || which('gcc');
  if (!cc) throw new Error('no C compiler (cc) found: apt-get install -y gcc libc6-dev');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const bins = {};
  const all = [...Object.values(BENCHES).map((b) => [b.bin, b.src]), ...Object.entries(HELPERS).map(([k, h]) => [k, h.src])];
  for (const [name, src] of all) {
    const out = path.join(OUT_DIR, name);
    const r = spawnSync(cc, ['-O2', '-static', '-o', out, path.join(BENCH_DIR, src)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cc -O2 -static ${src} failed: ${tail(r.stderr || r.stdout || String(r.error))}`);
    bins[name] = out;
  }
  return bins;
}

/** Where things are, seen from the host (native, `do`) or from inside a bundle. */
function hostWhere(ctx, bench) { return { exe: ctx.binaries[bench.bin], true: ctx.binaries.true }; }
const bundleWhere = (bench) => ({ exe: `/${bench.bin}`, true: HELPERS.true.bundlePath });

/**
 * An OCI bundle whose rootfs holds the benchmark's static binary at /<bin>,
 * the helpers (a static true at /bin/true) and empty mount-point dirs.
 */
function makeBundle(name, ctx, bench, iters) {
  const dir = path.join(OUT_DIR, 'bundles', `${name}-${bench.bin}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'bin']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  const place = (src, inside) => {
    const dst = path.join(rootfs, inside);
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, 0o755);
  };
  place(ctx.binaries[bench.bin], bench.bin);
  for (const [k, h] of Object.entries(HELPERS)) place(ctx.binaries[k], h.bundlePath);
  const where = bundleWhere(bench);
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [where.exe, ...bench.args(iters, where)],
      env: ['PATH=/bin:/', 'HOME=/'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE'],
        effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE'],
        permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE'],
        ambient: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'bench',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  return dir;
}

// ---------------------------------------------------------------- environments
//
// Each environment: probe(ctx, bench, iters) throws Unavailable(reason) or
// returns a runner { describe: string (the command line), cleanup(),
// run(rep, {warmup}) -> Promise<result> }.

/** `<runtime> --root S delete --force ID`, itself bounded (20 s) like every run. */
function forceDelete(bin, pre, stateRoot, id) {
  return runBounded(bin, [...pre, '--root', stateRoot, 'delete', '--force', id], { timeoutMs: 20000, cwd: REPO_DIR });
}

let idCounter = 0;
const containerId = (env) => `bench-${process.pid}-${env}-${++idCounter}`;

function containerEnv({ name, runtime, runtimeFlags, needsKvm = false, verifyPlatform = null, subcommand = 'run' }) {
  return {
    probe(ctx, bench, iters) {
      if (!isRoot()) throw new Unavailable('needs root');
      if (!runtime()) throw new Unavailable(`${name === 'runc' ? 'runc' : GVISOR_RUNSC} not installed`);
      if (needsKvm && !fs.existsSync('/dev/kvm')) throw new Unavailable('/dev/kvm does not exist on this host');
      const stateRoot = path.join(OUT_DIR, 'state', name);
      fs.mkdirSync(stateRoot, { recursive: true });
      const bundle = subcommand === 'run' ? makeBundle(name, ctx, bench, iters) : null;
      const host = hostWhere(ctx, bench);
      const bin = runtime();
      const argsFor = (id, extra = []) =>
        subcommand === 'run'
          ? [...runtimeFlags, ...extra, '--root', stateRoot, 'run', '--bundle', bundle, id]
          : [...runtimeFlags, ...extra, '--root', stateRoot, 'do', host.exe, ...bench.args(iters, host)];
      return {
        describe: [bin, ...argsFor('<id>')].join(' '),
        cleanup() { if (!ctx.opts.keep) fs.rmSync(stateRoot, { recursive: true, force: true }); },
        async run(rep, { warmup }) {
          const id = containerId(name);
          let extra = [];
          let debugDir = null;
          if (warmup && verifyPlatform) {
            debugDir = path.join(OUT_DIR, 'debug', `${name}-${id}`) + '/';
            fs.mkdirSync(debugDir, { recursive: true });
            extra = ['--debug', `--debug-log=${debugDir}`];
          }
          const r = await runBounded(bin, argsFor(id, extra), { timeoutMs: ctx.opts.timeout * 1000 });
          // A container that failed or was killed half-way can leave state behind.
          if (subcommand === 'run' && (r.code !== 0 || r.timedOut)) await forceDelete(bin, [], stateRoot, id);
          if (debugDir) r.platformCheck = verifyPlatform(debugDir);
          return r;
        },
      };
    },
  };
}

/** Read gVisor's boot log and return the platform it actually used. */
function gvisorPlatformFromLogs(dir) {
  let files = [];
  try { files = fs.readdirSync(dir).filter((f) => f.includes('boot')); } catch { /* none */ }
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const m = /loader\.go:\d+\] Platform: (\S+)/.exec(text) || /Platform: (\S+)/.exec(text);
    if (m) return { platform: m[1], log: path.join(dir, f) };
  }
  return { platform: null, log: dir, note: 'no boot log with a "Platform:" line found' };
}

function oursEnv(platform, subcommand) {
  return {
    probe(ctx, bench, iters) {
      if (!fs.existsSync(OURS_RUNSC)) throw new Unavailable(`${path.relative(REPO_DIR, OURS_RUNSC)} does not exist yet`);
      if (!isRoot()) throw new Unavailable('needs root');
      if (platform === 'kvm' && !fs.existsSync('/dev/kvm')) throw new Unavailable('/dev/kvm does not exist on this host');
      const name = `ours-${platform}-${subcommand}`;
      const stateRoot = path.join(OUT_DIR, 'state', name);
      fs.mkdirSync(stateRoot, { recursive: true });
      const bundle = subcommand === 'run' ? makeBundle(name, ctx, bench, iters) : null;
      const host = hostWhere(ctx, bench);
      const flags = [`--platform=${platform}`, ...ctx.opts.oursFlags.split(/\s+/).filter(Boolean), '--root', stateRoot];
      const argsFor = (id) =>
        subcommand === 'run'
          ? [OURS_RUNSC, ...flags, 'run', '--bundle', bundle, id]
          : [OURS_RUNSC, ...flags, 'do', host.exe, ...bench.args(iters, host)];
      return {
        describe: [process.execPath, ...argsFor('<id>')].join(' '),
        cleanup() { if (!ctx.opts.keep) fs.rmSync(stateRoot, { recursive: true, force: true }); },
        async run() {
          const id = containerId(name);
          const r = await runBounded(process.execPath, argsFor(id), { timeoutMs: ctx.opts.timeout * 1000, cwd: REPO_DIR });
          if (subcommand === 'run' && (r.code !== 0 || r.timedOut)) await forceDelete(process.execPath, [OURS_RUNSC], stateRoot, id);
          return r;
        },
      };
    },
  };
}

const ENVS = {
  native: {
    probe(ctx, bench, iters) {
      const host = hostWhere(ctx, bench);
      const args = bench.args(iters, host);
      return {
        describe: [host.exe, ...args].join(' '),
        cleanup() {},
        run: () => runBounded(host.exe, args, { timeoutMs: ctx.opts.timeout * 1000 }),
      };
    },
  },
  runc: containerEnv({ name: 'runc', runtime: () => which('runc'), runtimeFlags: [] }),
  gvisor: containerEnv({
    name: 'gvisor',
    runtime: () => (fs.existsSync(GVISOR_RUNSC) ? GVISOR_RUNSC : null),
    runtimeFlags: ['--rootless=false', '--network=none', '--platform=ptrace'],
    verifyPlatform: gvisorPlatformFromLogs,
  }),
  'gvisor-do': containerEnv({
    name: 'gvisor-do',
    runtime: () => (fs.existsSync(GVISOR_RUNSC) ? GVISOR_RUNSC : null),
    runtimeFlags: ['--rootless=false', '--network=none', '--platform=ptrace'],
    verifyPlatform: gvisorPlatformFromLogs,
    subcommand: 'do',
  }),
  'gvisor-kvm': containerEnv({
    name: 'gvisor-kvm',
    runtime: () => (fs.existsSync(GVISOR_RUNSC) ? GVISOR_RUNSC : null),
    runtimeFlags: ['--rootless=false', '--network=none', '--platform=kvm'],
    verifyPlatform: gvisorPlatformFromLogs,
    needsKvm: true,
  }),
  ours: oursEnv('ptrace', 'do'),
  'ours-run': oursEnv('ptrace', 'run'),
  'ours-kvm': oursEnv('kvm', 'do'),
};

// Ratios printed when both sides have a figure: [label, numerator, denominator].
const RATIOS = [
  ['ours/native', 'ours', 'native'],
  ['ours/gVisor', 'ours', 'gvisor'],
  ['gVisor/native', 'gvisor', 'native'],
  ['runc/native', 'runc', 'native'],
  ['ours-kvm/native', 'ours-kvm', 'native'],
  ['ours-kvm/gVisor-kvm', 'ours-kvm', 'gvisor-kvm'],
  ['gVisor-kvm/native', 'gvisor-kvm', 'native'],
];

// ---------------------------------------------------------------- host info

function hostInfo() {
  const read = (p) => { try { return fs.readFileSync(p, 'utf8').trim(); } catch { return null; } };
  const ver = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10000 });
    return r.status === 0 ? (r.stdout || '').split('\n')[0].trim() : null;
  };
  const cpuinfo = read('/proc/cpuinfo') || '';
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo);
  const vulnDir = '/sys/devices/system/cpu/vulnerabilities';
  const meltdown = read(path.join(vulnDir, 'meltdown'));
  return {
    kernel: `${os.type()} ${os.release()}`,
    cpu: model ? model[1] : os.arch(),
    cpus: os.cpus().length,
    node: process.version,
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    kvm: fs.existsSync('/dev/kvm'),
    meltdownMitigation: meltdown,
    cmdline: read('/proc/cmdline'),
    loadavg: read('/proc/loadavg'),
    runc: which('runc') ? ver('runc', ['--version']) : null,
    gvisorRunsc: fs.existsSync(GVISOR_RUNSC) ? ver(GVISOR_RUNSC, ['--version']) : null,
  };
}

// ---------------------------------------------------------------- main

function fmt(n, digits = 1) { return n == null ? '-' : n.toFixed(digits); }
function pad(s, w, right = false) { s = String(s); return right ? s.padStart(w) : s.padEnd(w); }
const W = 12; // environment column width

/** Run one benchmark in every selected environment; returns { results, ratios }. */
async function runBench(ctx, benchName) {
  const { opts } = ctx;
  const bench = BENCHES[benchName];
  const iters = opts.itersFor(benchName);
  process.stdout.write(`=== ${benchName}: ${iters} iterations/run, ${opts.reps} timed reps (+1 warm-up) per environment, ` +
    `timeout ${opts.timeout}s/run; figure: ${bench.metric} (${bench.unit}); loadavg ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}\n`);

  const results = {};
  for (const name of opts.envList) {
    const res = { env: name, status: 'unavailable', reason: null, command: null, samples: [], wallMs: [] };
    results[name] = res;
    let runner;
    try {
      runner = ENVS[name].probe(ctx, bench, iters);
      res.command = runner.describe;
    } catch (err) {
      res.reason = err instanceof Unavailable ? err.message : `probe failed: ${err.message}`;
      process.stdout.write(`${pad(name, W)} unavailable: ${res.reason}\n`);
      continue;
    }
    process.stdout.write(`${pad(name, W)} ${runner.describe}\n`);
    try {
      for (let rep = 0; rep <= opts.reps; rep++) {
        const warmup = rep === 0;
        const r = await runner.run(rep, { warmup });
        const value = r.code === 0 && !r.timedOut ? parseMetric(r.stdout, bench.metric) : null;
        if (value == null) {
          const why = r.code === 0 && !r.timedOut
            ? `exited 0 but printed no ${bench.metric}= (stdout: ${oneLine(tail(r.stdout, 200)) || 'empty'}; stderr: ${oneLine(tail(r.stderr, 200)) || 'empty'})`
            : describeFailure(r, opts.timeout);
          res.reason = `${warmup ? 'warm-up' : `rep ${rep}`}: ${why}`;
          break;
        }
        if (r.platformCheck) res.platformCheck = r.platformCheck;
        if (warmup) { res.warmup = value; continue; }
        res.samples.push(value);
        res.wallMs.push(Math.round(r.wallMs));
        process.stdout.write(`${pad('', W)}   rep ${rep}: ${fmt(value)} ${bench.unit}, ${(r.wallMs / 1000).toFixed(2)} s wall\n`);
      }
    } catch (err) {
      res.reason = `harness error: ${err.message}`;
    } finally {
      try { runner.cleanup(); } catch { /* best effort */ }
    }
    if (res.samples.length === opts.reps) {
      res.status = 'ok';
      res.reason = null;
      res.median = median(res.samples);
      res.min = Math.min(...res.samples);
      res.max = Math.max(...res.samples);
      res.medianWallMs = median(res.wallMs);
      if (res.platformCheck) {
        const want = /--platform=(\S+)/.exec(res.command)?.[1];
        if (res.platformCheck.platform !== want) {
          res.status = 'unavailable';
          res.reason = `asked for --platform=${want} but the boot log says ${res.platformCheck.platform ?? 'nothing'} (${res.platformCheck.log})`;
        }
      }
    }
    if (res.status !== 'ok') process.stdout.write(`${pad('', W)}   unavailable: ${res.reason}\n`);
  }

  // Table.
  process.stdout.write('\n');
  const header = `${pad('environment', W)}${pad(`median ${bench.unit}`, 22, true)}${pad('min', 12, true)}${pad('max', 12, true)}${pad('wall s/run', 12, true)}  notes`;
  process.stdout.write(header + '\n' + '-'.repeat(header.length + 20) + '\n');
  for (const name of opts.envList) {
    const r = results[name];
    if (r.status === 'ok') {
      const note = r.platformCheck ? `platform=${r.platformCheck.platform} (from boot log)` : '';
      process.stdout.write(`${pad(name, W)}${pad(fmt(r.median), 22, true)}${pad(fmt(r.min), 12, true)}${pad(fmt(r.max), 12, true)}${pad((r.medianWallMs / 1000).toFixed(2), 12, true)}  ${note}\n`);
    } else {
      process.stdout.write(`${pad(name, W)}${pad('unavailable', 22, true)}  ${r.reason}\n`);
    }
  }

  const ratios = {};
  process.stdout.write(`\n${benchName} ratios (of medians):\n`);
  for (const [label, a, b] of RATIOS) {
    if (!(a in results) || !(b in results)) continue;
    const ra = results[a];
    const rb = results[b];
    if (ra.status === 'ok' && rb.status === 'ok') {
      ratios[label] = ra.median / rb.median;
      process.stdout.write(`  ${pad(label, 20)} ${fmt(ratios[label], 2)}x\n`);
    } else {
      ratios[label] = null;
      const missing = [ra, rb].filter((r) => r.status !== 'ok').map((r) => r.env).join(', ');
      process.stdout.write(`  ${pad(label, 20)} n/a (${missing} unavailable)\n`);
    }
  }
  process.stdout.write('\n');
  return { metric: bench.metric, unit: bench.unit, iters, results, ratios };
}

function printSummary(opts, benches) {
  if (opts.benchList.length < 2) return;
  const colW = 25;
  process.stdout.write('=== summary (medians)\n');
  const header = pad('environment', W) + opts.benchList.map((b) => pad(`${b} ${BENCHES[b].unit}`, colW, true)).join('');
  process.stdout.write(header + '\n' + '-'.repeat(header.length) + '\n');
  const reasons = [];
  for (const env of opts.envList) {
    let line = pad(env, W);
    for (const b of opts.benchList) {
      const r = benches[b].results[env];
      if (r.status === 'ok') line += pad(fmt(r.median), colW, true);
      else { line += pad('unavailable', colW, true); reasons.push(`  ${env} ${b}: ${r.reason}`); }
    }
    process.stdout.write(line + '\n');
  }
  process.stdout.write('\n' + pad('ratio', W) + opts.benchList.map((b) => pad(b, colW, true)).join('') + '\n');
  for (const [label] of RATIOS) {
    const vals = opts.benchList.map((b) => benches[b].ratios[label]);
    if (vals.every((v) => v === undefined)) continue;
    const cells = vals.map((v) => (v == null ? 'n/a' : `${fmt(v, 2)}x`));
    // Labels can be wider than the environment column: borrow from the first cell.
    const first = Math.max(W + colW - label.length - 1, cells[0].length + 1);
    process.stdout.write(label + ' ' + pad(cells[0], first, true).slice(0) + cells.slice(1).map((c) => pad(c, colW, true)).join('') + '\n');
  }
  if (reasons.length) process.stdout.write('\nunavailable:\n' + reasons.join('\n') + '\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const host = hostInfo();
  process.stdout.write(`benchmarks: ${opts.benchList.join(', ')}; environments: ${opts.envList.join(', ')}\n`);
  process.stdout.write(`host: ${host.kernel}, ${host.cpu}, ${host.cpus} CPUs, /dev/kvm ${host.kvm ? 'present' : 'absent'}, uid ${host.uid}, loadavg ${host.loadavg}\n\n`);

  let binaries;
  try {
    binaries = buildBinaries();
  } catch (err) {
    process.stderr.write(`cannot build the benchmarks: ${err.message}\n`);
    process.exit(1);
  }
  const ctx = { opts, binaries };
  fs.rmSync(path.join(OUT_DIR, 'debug'), { recursive: true, force: true });

  const benches = {};
  for (const b of opts.benchList) benches[b] = await runBench(ctx, b);
  printSummary(opts, benches);

  const finished = new Date();
  const stamp = started.toISOString().replace(/:/g, '').replace(/\.\d+Z$/, 'Z');
  const outFile = opts.out ? path.resolve(opts.out) : path.join(OUT_DIR, `results-${stamp}.json`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const json = {
    date: started.toISOString(),
    durationSeconds: Math.round((finished - started) / 1000),
    reps: opts.reps,
    timeoutSeconds: opts.timeout,
    host,
    benches,
  };
  fs.writeFileSync(outFile, JSON.stringify(json, null, 2) + '\n');
  if (!opts.keep) fs.rmSync(path.join(OUT_DIR, 'bundles'), { recursive: true, force: true });
  process.stdout.write(`\ntotal ${Math.round((finished - started) / 1000)} s; results written to ${path.relative(process.cwd(), outFile) || outFile}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench/run.mjs: ${err.stack || err}\n`);
  process.exit(1);
});
