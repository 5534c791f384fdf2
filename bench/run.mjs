#!/usr/bin/env node
// The benchmark suite: every workload natively, under runc, under gVisor's
// runsc and under ours, alternating the runners round by round, then a
// markdown table (bench/results/<stamp>.md and latest.md) and an SVG chart
// of ours' ratios. Plain Node ESM, no dependencies, never part of
// `npm test`. See bench/README.md.
//
//   npm run bench                      # full run (needs root), ~10-15 min
//   npm run bench -- --smoke           # every workload once, tiny counts
//   node bench/run.mjs --help
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFailure, oneLine } from './lib/proc.mjs';
import { WORKLOADS, PROGRAMS } from './lib/workloads.mjs';
import { allRunners, makeRootfs, which } from './lib/runners.mjs';
import { hostInfo, loadavg } from './lib/host.mjs';
import { summarize } from './lib/stats.mjs';
import { markdown, chartRows, fmtNum } from './lib/report.mjs';
import { ratioChart } from './lib/chart.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_DIR = path.resolve(BENCH_DIR, '..');
const OUT_DIR = path.join(BENCH_DIR, 'out');

const USAGE = `usage: node bench/run.mjs [options]     (npm run bench -- [options])
  --smoke            every workload once per runner with tiny iteration counts
                     (a check that everything runs; figures meaningless);
                     writes to bench/out/smoke/ unless --out-dir is given
  --reps R           timed runs per runner and workload, after one warm-up (default 7)
  --timeout S        seconds allowed for one run (default 120; smoke 60)
  --workloads LIST   comma-separated subset of: ${WORKLOADS.map((w) => w.id).join(', ')}
  --runners LIST     comma-separated subset of runner names (native, runc,
                     gvisor-ptrace, gvisor-kvm, ours-ptrace, ours-kvm, ...)
  --out-dir DIR      where the report goes (default bench/results/)
  --ours-runsc FILE  our CLI's entry point (default bin/runsc.js)
  --keep             keep bundles, state and data directories under bench/out/
`;

function parseArgs(argv) {
  const o = { smoke: false, reps: 7, timeout: null, workloads: null, runners: null, outDir: null, keep: false, oursRunsc: path.join(REPO_DIR, 'bin', 'runsc.js') };
  const bad = (msg) => { process.stderr.write(`${msg}\n${USAGE}`); process.exit(2); };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const next = () => { const x = v ?? argv[++i]; if (x === undefined) bad(`${a} needs a value`); return x; };
    const posNum = (x) => { const n = Number(x); if (!(n > 0)) bad(`${a} must be a positive number`); return n; };
    switch (a) {
      case '--smoke': o.smoke = true; break;
      case '--reps': o.reps = posNum(next()); if (!Number.isInteger(o.reps)) bad('--reps must be an integer'); break;
      case '--timeout': o.timeout = posNum(next()); break;
      case '--workloads': o.workloads = next().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--runners': o.runners = next().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--out-dir': o.outDir = path.resolve(next()); break;
      case '--ours-runsc': o.oursRunsc = path.resolve(next()); break;
      case '--keep': o.keep = true; break;
      case '-h': case '--help': process.stdout.write(USAGE); process.exit(0); break;
      default: bad(`unknown option: ${a}`);
    }
  }
  for (const w of o.workloads ?? []) if (!WORKLOADS.some((x) => x.id === w)) bad(`unknown workload: ${w}`);
  if (o.smoke) o.reps = 1;
  o.timeout ??= o.smoke ? 60 : 120;
  o.outDir ??= o.smoke ? path.join(OUT_DIR, 'smoke') : path.join(BENCH_DIR, 'results');
  return o;
}

const t0 = Date.now();
const clock = () => { const s = Math.round((Date.now() - t0) / 1000); return `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}]`; };
const say = (s) => process.stdout.write(`${s}\n`);

/** Every program statically into bench/out/bin/, plus small.c for the gcc workload. */
function buildPrograms(binDir) {
  const cc = which('cc') || which('gcc');
  if (!cc) throw new Error('no C compiler (cc) found: apt-get install -y gcc libc6-dev');
  fs.mkdirSync(binDir, { recursive: true });
  for (const [name, src] of Object.entries(PROGRAMS)) {
    const r = spawnSync(cc, ['-O2', '-Wall', '-static', '-o', path.join(binDir, name), path.join(BENCH_DIR, src)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cc -O2 -static ${src} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  }
  fs.copyFileSync(path.join(BENCH_DIR, 'small.c'), path.join(binDir, 'small.c'));
}

/** A tmpfs directory for native runs: /dev/shm when it is a tmpfs. */
function nativeTmpDir() {
  const mounts = fs.readFileSync('/proc/mounts', 'utf8');
  const base = /^\S+ \/dev\/shm tmpfs /m.test(mounts) ? '/dev/shm' : os.tmpdir();
  return fs.mkdtempSync(path.join(base, 'tsvisor-bench-'));
}

/** A command line for the report: shell-quoted, with paths relative to the repository. */
function shown(ctx, argv) {
  const q = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const s = Array.isArray(argv) ? argv.map(q).join(' ') : argv;
  return s.split(`${REPO_DIR}/`).join('').split(ctx.nativeTmp).join('/dev/shm/tsvisor-bench-XXXXXX');
}

const parseKeys = (stdout) => Object.fromEntries([...stdout.matchAll(/^(\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));

async function runWorkload(ctx, w, runners) {
  const size = w.sizes[ctx.opts.smoke ? 'smoke' : 'full'];
  const argvFor = w.startup ? () => ['/bin/true'] : (where) => [path.join(where.bin, w.program), ...w.args(where, size)];
  const entry = { id: w.id, group: w.group, skip: w.skip ?? null, command: w.skip ? null : shown(ctx, argvFor(ctx.hostWhere)), rows: [] };
  entry.rows = w.metrics.map((m) => ({ key: m.key, label: m.label, unit: m.unit, goal: m.goal ?? null, cells: {} }));
  if (w.skip) { say(`${clock()} ${w.id}: skipped: ${w.skip}`); return entry; }
  const mode = w.startup ?? 'run';
  const state = new Map(); // runner name -> { samples: {key: []}, failed, checkValue }
  const active = [];
  for (const r of runners) {
    if (!r.supports(mode)) {
      for (const row of entry.rows) row.cells[r.name] = { status: 'n/a', reason: r.whyNot(mode) };
      continue;
    }
    active.push(r);
    state.set(r.name, { samples: Object.fromEntries(w.metrics.map((m) => [m.key, []])), failed: null, checkValue: null });
  }
  const rounds = ctx.opts.smoke ? 1 : ctx.opts.reps + 1;
  say(`${clock()} ${w.id}: ${entry.command}  (load ${loadavg()})`);
  for (let round = 0; round < rounds; round++) {
    const warmup = !ctx.opts.smoke && round === 0;
    const order = active.map((_, i) => active[(i + round) % active.length]);
    for (const r of order) {
      const st = state.get(r.name);
      if (st.failed) continue;
      const res = await r.exec(argvFor, mode);
      const ok = res.code === 0 && !res.timedOut;
      const kv = ok ? parseKeys(res.stdout) : {};
      if (w.startup) kv.wall_ms = String(res.wallMs);
      const missing = w.metrics.filter((m) => !Number.isFinite(Number(kv[m.key])) || kv[m.key] === undefined).map((m) => m.key);
      const tag = warmup ? 'warm-up' : ctx.opts.smoke ? 'run' : `rep ${round}/${ctx.opts.reps}`;
      if (!ok || missing.length) {
        st.failed = `${tag}: ${ok ? `exited 0 but printed no ${missing.join(', ')} (stdout: ${oneLine(res.stdout).slice(0, 200) || 'empty'}; stderr: ${oneLine(res.stderr).slice(-200) || 'empty'})` : describeFailure(res, ctx.opts.timeout)}`;
        say(`${clock()}   ${r.name.padEnd(13)} FAILED ${st.failed}`);
        continue;
      }
      if (w.sameAsNative) st.checkValue = kv[w.sameAsNative];
      say(`${clock()}   ${r.name.padEnd(13)} ${tag.padEnd(9)} ${w.metrics.map((m) => `${m.key}=${fmtNum(Number(kv[m.key]))}`).join(' ')}  (${(res.wallMs / 1000).toFixed(2)} s)`);
      if (warmup) continue;
      for (const m of w.metrics) st.samples[m.key].push(Number(kv[m.key]));
    }
  }
  const nativeCheck = state.get('native')?.checkValue;
  for (const r of active) {
    const st = state.get(r.name);
    if (!st.failed && w.sameAsNative && nativeCheck != null && st.checkValue !== nativeCheck) {
      st.failed = `${w.sameAsNative}=${st.checkValue} differs from native's ${nativeCheck}`;
    }
    for (const row of entry.rows) {
      row.cells[r.name] = st.failed
        ? { status: 'failed', reason: st.failed }
        : { status: 'ok', samples: st.samples[row.key], ...summarize(st.samples[row.key]) };
    }
  }
  return entry;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const host = hostInfo(REPO_DIR);
  const binDir = path.join(OUT_DIR, 'bin');
  say(`bench: ${host.cpus} × ${host.cpu}, ${host.kernel}; ${host.virtualization}; load ${host.loadavgStart}`);
  try { buildPrograms(binDir); } catch (err) { process.stderr.write(`bench: cannot build the programs: ${err.message}\n`); process.exit(1); }
  const nativeTmp = nativeTmpDir();
  const ctx = {
    opts, repoDir: REPO_DIR, outDir: OUT_DIR, binDir, nativeTmp,
    rootfs: makeRootfs(OUT_DIR), oursRunsc: opts.oursRunsc,
    hostWhere: { bin: binDir, tmp: nativeTmp, data: path.join(OUT_DIR, 'data', 'native'), true: path.join(binDir, 'true') },
  };
  let runners = allRunners(ctx);
  if (opts.runners) {
    for (const n of opts.runners) if (!runners.some((r) => r.name === n)) { process.stderr.write(`bench: unknown runner ${n} (known: ${runners.map((r) => r.name).join(', ')})\n`); process.exit(2); }
    runners = runners.filter((r) => opts.runners.includes(r.name));
  }
  const runnerInfo = [];
  for (const r of runners) {
    const reason = await r.probe();
    r.status = reason ? 'skipped' : 'ok';
    runnerInfo.push({ name: r.name, label: r.label, status: r.status, reason, command: shown(ctx, r.command), note: r.note ?? null });
    say(`${clock()} runner ${r.name}: ${reason ? `SKIPPED: ${reason}` : `ok: ${shown(ctx, r.command)}`}`);
  }
  const usable = runners.filter((r) => r.status === 'ok');
  if (!usable.length) { process.stderr.write('bench: no runner can run\n'); process.exit(1); }

  const workloads = [];
  try {
    for (const w of WORKLOADS.filter((x) => !opts.workloads || opts.workloads.includes(x.id))) workloads.push(await runWorkload(ctx, w, usable));
  } finally {
    for (const r of runners) { try { r.cleanup(); } catch { /* best effort */ } }
    fs.rmSync(nativeTmp, { recursive: true, force: true });
    if (!opts.keep) fs.rmSync(path.join(OUT_DIR, 'bundles'), { recursive: true, force: true });
  }

  const finished = new Date();
  const stamp = started.toISOString().replace(/:\d\d\.\d+Z$/, 'Z').replace(':', '');
  const results = {
    date: started.toISOString().replace(/\.\d+Z$/, 'Z'), smoke: opts.smoke, reps: opts.reps, timeoutSeconds: opts.timeout,
    durationSeconds: Math.round((finished - started) / 1000), loadavgEnd: loadavg(),
    host, runners: runnerInfo, workloads,
  };
  fs.mkdirSync(opts.outDir, { recursive: true });
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const chart = chartRows(results);
  const write = (base) => {
    const svgName = chart.ours ? `${base}.svg` : null;
    if (svgName) {
      const title = `tsvisor: ${runnerInfo.find((r) => r.name === chart.ours).label} against ${chart.gvisorLabel} and native${opts.smoke ? ' (smoke run)' : ''}`;
      const subtitle = [
        `${results.date}; ${host.cpus} × ${host.cpu}; ${host.kernel}; /dev/kvm ${host.kvm ? 'present' : 'absent'}`,
        `load average at start ${host.loadavgStart}, at end ${results.loadavgEnd}; ${opts.smoke ? '1 run' : `median of ${opts.reps} runs`} per runner; tsvisor ${host.commit ?? ''}`,
      ];
      fs.writeFileSync(path.join(opts.outDir, svgName), ratioChart(chart.rows, { title, subtitle, gvisorLabel: chart.gvisorLabel, nativeLabel: chart.nativeLabel }));
    }
    fs.writeFileSync(path.join(opts.outDir, `${base}.md`), markdown(results, { svgName, command }));
  };
  write(stamp);
  write('latest');
  fs.writeFileSync(path.join(OUT_DIR, `results-${stamp}.json`), JSON.stringify(results, null, 2) + '\n');
  say(`\n${clock()} done in ${results.durationSeconds} s (load ${results.loadavgEnd}); report: ${path.relative(process.cwd(), path.join(opts.outDir, `${stamp}.md`))}` +
    `${chart.ours ? ` and .svg` : ''}, also latest.md; raw samples: ${path.relative(process.cwd(), path.join(OUT_DIR, `results-${stamp}.json`))}`);
}

main().catch((err) => {
  process.stderr.write(`bench/run.mjs: ${err.stack || err}\n`);
  process.exit(1);
});
