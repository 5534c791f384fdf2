#!/usr/bin/env node
// Per-syscall cost benchmark: native vs runc vs gVisor's runsc vs ours.
//
//   node bench/run.mjs [--iters N] [--reps R] [--timeout SECONDS]
//                      [--envs native,runc,gvisor,ours,...] [--out FILE]
//                      [--ours-flags "--platform=ptrace --network=none"]
//                      [--keep]
//
// Plain Node ESM, no dependencies, never part of `npm test`. Needs root for
// everything but "native". See bench/README.md.

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

// ---------------------------------------------------------------- options

const DEFAULTS = {
  iters: 200000,
  reps: 5,
  timeout: 180,
  envs: 'native,runc,gvisor,gvisor-kvm,ours,ours-kvm',
  out: '',
  oursFlags: '--network=none',
  keep: false,
};

function usage(code) {
  const text = `usage: node bench/run.mjs [options]
  --iters N          getppid calls per run (default ${DEFAULTS.iters})
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
  const o = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const next = () => (v !== undefined ? v : argv[++i]);
    switch (a) {
      case '--iters': o.iters = Number(next()); break;
      case '--reps': o.reps = Number(next()); break;
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
  if (!Number.isInteger(o.iters) || o.iters <= 0) { process.stderr.write('--iters must be a positive integer\n'); usage(2); }
  if (!Number.isInteger(o.reps) || o.reps <= 0) { process.stderr.write('--reps must be a positive integer\n'); usage(2); }
  if (!(o.timeout > 0)) { process.stderr.write('--timeout must be > 0\n'); usage(2); }
  o.envList = o.envs.split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of o.envList) if (!ENVS[e]) { process.stderr.write(`unknown environment: ${e}\n`); usage(2); }
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

/** Run a command with a hard timeout; the whole process group is killed on timeout. */
function runBounded(cmd, args, { timeoutMs, cwd, onTimeout } = {}) {
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
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      if (onTimeout) { try { onTimeout(); } catch { /* best effort */ } }
    }, timeoutMs);
    child.on('error', (err) => { spawnError = err; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ code, signal, stdout, stderr: spawnError ? String(spawnError) + '\n' + stderr : stderr, timedOut, wallMs, spawnError });
    });
  });
}

function parseNs(stdout) {
  const m = /ns_per_call=([0-9.eE+-]+)/.exec(stdout);
  return m ? Number(m[1]) : null;
}

function describeFailure(r, timeoutS) {
  if (r.timedOut) return `timed out after ${timeoutS}s` + (r.stderr ? `: ${oneLine(tail(r.stderr, 300))}` : '');
  if (r.spawnError) return `could not start: ${r.spawnError.message}`;
  const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
  const msg = oneLine(tail(r.stderr || r.stdout, 400));
  return `${how}${msg ? `: ${msg}` : ' with no output'}`;
}

// ---------------------------------------------------------------- build

function buildBinary() {
  const cc = which('cc') || which('gcc');
  if (!cc) throw new Error('no C compiler (cc) found: apt-get install -y gcc libc6-dev');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const src = path.join(BENCH_DIR, 'getppid.c');
  const out = path.join(OUT_DIR, 'getppid');
  const r = spawnSync(cc, ['-O2', '-static', '-o', out, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc -O2 -static failed: ${tail(r.stderr || r.stdout || String(r.error))}`);
  return out;
}

/** An OCI bundle whose rootfs holds the static binary and nothing else (plus empty mount-point dirs). */
function makeBundle(name, binary, iters) {
  const dir = path.join(OUT_DIR, 'bundles', name);
  fs.rmSync(dir, { recursive: true, force: true });
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['proc', 'dev', 'sys', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync(binary, path.join(rootfs, 'getppid'));
  fs.chmodSync(path.join(rootfs, 'getppid'), 0o755);
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/getppid', String(iters)],
      env: ['PATH=/', 'HOME=/'],
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
// Each environment: probe(ctx) throws Unavailable(reason) or returns a runner
// object { describe: string (the command line), run(rep, {warmup}) -> Promise<result> }.

let idCounter = 0;
const containerId = (env) => `bench-${process.pid}-${env}-${++idCounter}`;

function containerEnv({ name, runtime, runtimeFlags, needsKvm = false, verifyPlatform = null, subcommand = 'run' }) {
  return {
    probe(ctx) {
      if (!isRoot()) throw new Unavailable('needs root');
      if (!runtime()) throw new Unavailable(`${name === 'runc' ? 'runc' : GVISOR_RUNSC} not installed`);
      if (needsKvm && !fs.existsSync('/dev/kvm')) throw new Unavailable('/dev/kvm does not exist on this host');
      const stateRoot = path.join(OUT_DIR, 'state', name);
      fs.mkdirSync(stateRoot, { recursive: true });
      const bundle = subcommand === 'run' ? makeBundle(name, ctx.binary, ctx.opts.iters) : null;
      const bin = runtime();
      const argsFor = (id, extra = []) =>
        subcommand === 'run'
          ? [...runtimeFlags, ...extra, '--root', stateRoot, 'run', '--bundle', bundle, id]
          : [...runtimeFlags, ...extra, '--root', stateRoot, 'do', ctx.binary, String(ctx.opts.iters)];
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
          const r = await runBounded(bin, argsFor(id, extra), {
            timeoutMs: ctx.opts.timeout * 1000,
            onTimeout: () => spawnSync(bin, ['--root', stateRoot, 'delete', '--force', id], { timeout: 20000 }),
          });
          // A container that failed half-way can leave state behind.
          if (subcommand === 'run' && (r.code !== 0 || r.timedOut)) {
            spawnSync(bin, ['--root', stateRoot, 'delete', '--force', id], { timeout: 20000, stdio: 'ignore' });
          }
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
    probe(ctx) {
      if (!fs.existsSync(OURS_RUNSC)) throw new Unavailable(`${path.relative(REPO_DIR, OURS_RUNSC)} does not exist yet`);
      if (!isRoot()) throw new Unavailable('needs root');
      if (platform === 'kvm' && !fs.existsSync('/dev/kvm')) throw new Unavailable('/dev/kvm does not exist on this host');
      const name = `ours-${platform}-${subcommand}`;
      const stateRoot = path.join(OUT_DIR, 'state', name);
      fs.mkdirSync(stateRoot, { recursive: true });
      const bundle = subcommand === 'run' ? makeBundle(name, ctx.binary, ctx.opts.iters) : null;
      const flags = [`--platform=${platform}`, ...ctx.opts.oursFlags.split(/\s+/).filter(Boolean), '--root', stateRoot];
      const argsFor = (id) =>
        subcommand === 'run'
          ? [OURS_RUNSC, ...flags, 'run', '--bundle', bundle, id]
          : [OURS_RUNSC, ...flags, 'do', ctx.binary, String(ctx.opts.iters)];
      return {
        describe: [process.execPath, ...argsFor('<id>')].join(' '),
        cleanup() { if (!ctx.opts.keep) fs.rmSync(stateRoot, { recursive: true, force: true }); },
        async run() {
          const id = containerId(name);
          const r = await runBounded(process.execPath, argsFor(id), { timeoutMs: ctx.opts.timeout * 1000, cwd: REPO_DIR });
          if (subcommand === 'run' && (r.code !== 0 || r.timedOut)) {
            spawnSync(process.execPath, [OURS_RUNSC, '--root', stateRoot, 'delete', '--force', id], { timeout: 20000, stdio: 'ignore' });
          }
          return r;
        },
      };
    },
  };
}

const ENVS = {
  native: {
    probe(ctx) {
      return {
        describe: `${ctx.binary} ${ctx.opts.iters}`,
        cleanup() {},
        run: () => runBounded(ctx.binary, [String(ctx.opts.iters)], { timeoutMs: ctx.opts.timeout * 1000 }),
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
  let meltdown = read(path.join(vulnDir, 'meltdown'));
  return {
    kernel: `${os.type()} ${os.release()}`,
    cpu: model ? model[1] : os.arch(),
    cpus: os.cpus().length,
    node: process.version,
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    kvm: fs.existsSync('/dev/kvm'),
    meltdownMitigation: meltdown,
    cmdline: read('/proc/cmdline'),
    runc: which('runc') ? ver('runc', ['--version']) : null,
    gvisorRunsc: fs.existsSync(GVISOR_RUNSC) ? ver(GVISOR_RUNSC, ['--version']) : null,
  };
}

// ---------------------------------------------------------------- main

function fmt(n, digits = 1) { return n == null ? '-' : n.toFixed(digits); }
function pad(s, w, right = false) { s = String(s); return right ? s.padStart(w) : s.padEnd(w); }

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const host = hostInfo();
  process.stdout.write(`getppid benchmark: ${opts.iters} calls/run, ${opts.reps} timed reps (+1 warm-up) per environment, timeout ${opts.timeout}s/run\n`);
  process.stdout.write(`host: ${host.kernel}, ${host.cpu}, ${host.cpus} CPUs, /dev/kvm ${host.kvm ? 'present' : 'absent'}, uid ${host.uid}\n\n`);

  let binary;
  try {
    binary = buildBinary();
  } catch (err) {
    process.stderr.write(`cannot build bench/getppid.c: ${err.message}\n`);
    process.exit(1);
  }
  const ctx = { opts, binary };
  fs.rmSync(path.join(OUT_DIR, 'debug'), { recursive: true, force: true });

  const results = {};
  for (const name of opts.envList) {
    const res = { env: name, status: 'unavailable', reason: null, command: null, samples: [], wallMs: [] };
    results[name] = res;
    let runner;
    try {
      runner = ENVS[name].probe(ctx);
      res.command = runner.describe;
    } catch (err) {
      res.reason = err instanceof Unavailable ? err.message : `probe failed: ${err.message}`;
      process.stdout.write(`${pad(name, 11)} unavailable: ${res.reason}\n`);
      continue;
    }
    process.stdout.write(`${pad(name, 11)} ${runner.describe}\n`);
    try {
      for (let rep = 0; rep <= opts.reps; rep++) {
        const warmup = rep === 0;
        const r = await runner.run(rep, { warmup });
        const ns = r.code === 0 && !r.timedOut ? parseNs(r.stdout) : null;
        if (ns == null) {
          const why = r.code === 0 && !r.timedOut
            ? `exited 0 but printed no ns_per_call= (stdout: ${oneLine(tail(r.stdout, 200)) || 'empty'}; stderr: ${oneLine(tail(r.stderr, 200)) || 'empty'})`
            : describeFailure(r, opts.timeout);
          res.reason = `${warmup ? 'warm-up' : `rep ${rep}`}: ${why}`;
          break;
        }
        if (r.platformCheck) res.platformCheck = r.platformCheck;
        if (warmup) { res.warmupNs = ns; continue; }
        res.samples.push(ns);
        res.wallMs.push(Math.round(r.wallMs));
        process.stdout.write(`${pad('', 11)}   rep ${rep}: ${fmt(ns)} ns/call, ${(r.wallMs / 1000).toFixed(2)} s wall\n`);
      }
    } catch (err) {
      res.reason = `harness error: ${err.message}`;
    } finally {
      try { runner.cleanup(); } catch { /* best effort */ }
    }
    if (res.samples.length === opts.reps) {
      res.status = 'ok';
      res.reason = null;
      res.medianNs = median(res.samples);
      res.minNs = Math.min(...res.samples);
      res.maxNs = Math.max(...res.samples);
      res.medianWallMs = median(res.wallMs);
      if (res.platformCheck) {
        const want = /--platform=(\S+)/.exec(res.command)?.[1];
        if (res.platformCheck.platform !== want) {
          res.status = 'unavailable';
          res.reason = `asked for --platform=${want} but the boot log says ${res.platformCheck.platform ?? 'nothing'} (${res.platformCheck.log})`;
        }
      }
    }
    if (res.status !== 'ok') process.stdout.write(`${pad('', 11)}   unavailable: ${res.reason}\n`);
  }

  // Table.
  process.stdout.write('\n');
  const header = `${pad('environment', 12)}${pad('median ns/call', 16, true)}${pad('min', 12, true)}${pad('max', 12, true)}${pad('wall s/run', 12, true)}  notes`;
  process.stdout.write(header + '\n' + '-'.repeat(header.length + 20) + '\n');
  for (const name of opts.envList) {
    const r = results[name];
    if (r.status === 'ok') {
      const note = r.platformCheck ? `platform=${r.platformCheck.platform} (from boot log)` : '';
      process.stdout.write(`${pad(name, 12)}${pad(fmt(r.medianNs), 16, true)}${pad(fmt(r.minNs), 12, true)}${pad(fmt(r.maxNs), 12, true)}${pad((r.medianWallMs / 1000).toFixed(2), 12, true)}  ${note}\n`);
    } else {
      process.stdout.write(`${pad(name, 12)}${pad('unavailable', 16, true)}  ${r.reason}\n`);
    }
  }

  const ratios = {};
  process.stdout.write('\nratios (of medians):\n');
  for (const [label, a, b] of RATIOS) {
    if (!(a in results) || !(b in results)) continue;
    const ra = results[a];
    const rb = results[b];
    if (ra.status === 'ok' && rb.status === 'ok') {
      ratios[label] = ra.medianNs / rb.medianNs;
      process.stdout.write(`  ${pad(label, 20)} ${fmt(ratios[label], 2)}x\n`);
    } else {
      ratios[label] = null;
      const missing = [ra, rb].filter((r) => r.status !== 'ok').map((r) => r.env).join(', ');
      process.stdout.write(`  ${pad(label, 20)} n/a (${missing} unavailable)\n`);
    }
  }

  const stamp = started.toISOString().replace(/:/g, '').replace(/\.\d+Z$/, 'Z');
  const outFile = opts.out ? path.resolve(opts.out) : path.join(OUT_DIR, `results-${stamp}.json`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const json = {
    benchmark: 'getppid',
    date: started.toISOString(),
    iters: opts.iters,
    reps: opts.reps,
    timeoutSeconds: opts.timeout,
    host,
    results,
    ratios,
  };
  fs.writeFileSync(outFile, JSON.stringify(json, null, 2) + '\n');
  if (!opts.keep) fs.rmSync(path.join(OUT_DIR, 'bundles'), { recursive: true, force: true });
  process.stdout.write(`\nresults written to ${path.relative(process.cwd(), outFile) || outFile}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench/run.mjs: ${err.stack || err}\n`);
  process.exit(1);
});
