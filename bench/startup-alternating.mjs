// Start-up, before and after a change, alternating: each round runs every
// row once in turn, so drift of a shared machine hits all rows alike.
// Wall time is measured around the whole command; CPU is user+sys of the
// command and its children, from /usr/bin/time. Root only.
//
//   node bench/startup-alternating.mjs --before /tmp/base/bin/runsc.js --bundle /tmp/sb [--rounds 15] [--node-stage1]
//
// --before: another tree's bin/runsc.js (e.g. a `git worktree` of the base
// commit, built with `npm ci`); it and ours are executed, as a shell would. --bundle: an OCI bundle whose process exits
// at once (docs/design/startup.md describes the one used there). The
// "no early Sentry" rows run with RUNSC_EARLY_SENTRY=0 (runsc/early-sentry.ts);
// --node-stage1 adds a row with the Node Gofer stage 1 (RUNSC_GOFER_LAUNCH=node).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { before: { type: 'string' }, bundle: { type: 'string' }, rounds: { type: 'string', default: '15' }, 'node-stage1': { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);
const ours = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'runsc.js');
const GVISOR = '/usr/bin/runsc'; // gVisor's, not ours
const work = mkdtempSync(join(tmpdir(), 'startup-bench-'));
const oursRoot = join(work, 'ours'), gvisorRoot = join(work, 'gvisor'), timeFile = join(work, 'time');

const rows = [];
const doArgs = ['--network=none', 'do', '/bin/true'];
if (values.before) rows.push(['ours before, do', [values.before, '--root', oursRoot, ...doArgs], {}]);
rows.push(['ours after, do', [ours, '--root', oursRoot, ...doArgs], {}]);
// Started by Node directly, bin/runsc.js's /bin/sh lines do not run: the difference is what NODE_EXTRA_CA_CERTS costs, if set.
rows.push(['ours after, do, `node bin/runsc.js`', ['node', ours, '--root', oursRoot, ...doArgs], {}]);
rows.push(['ours after, do, no early Sentry', [ours, '--root', oursRoot, ...doArgs], { RUNSC_EARLY_SENTRY: '0' }]);
if (values['node-stage1']) rows.push(['ours after, do, Node stage 1', [ours, '--root', oursRoot, ...doArgs], { RUNSC_GOFER_LAUNCH: 'node' }]);
rows.push(['gVisor do', [GVISOR, '--root', gvisorRoot, ...doArgs], {}]);
if (values.bundle) {
  const run = ['--network=none', 'run', '--bundle', values.bundle, 'ID'];
  if (values.before) rows.push(['ours before, run', [values.before, '--root', oursRoot, ...run], {}]);
  rows.push(['ours after, run', [ours, '--root', oursRoot, ...run], {}]);
  rows.push(['ours after, run, no early Sentry', [ours, '--root', oursRoot, ...run], { RUNSC_EARLY_SENTRY: '0' }]);
  rows.push(['gVisor run', [GVISOR, '--root', gvisorRoot, ...run], {}]);
}

const samples = new Map(rows.map(([name]) => [name, { wall: [], cpu: [] }]));
let id = 0;
for (let r = 0; r < rounds; r++) {
  for (const [name, argv, env] of rows) {
    const args = argv.map((a) => (a === 'ID' ? `startup-${process.pid}-${id++}` : a));
    const t0 = process.hrtime.bigint();
    // gVisor's runsc dies of SIGPIPE with a piped stdin, and /usr/bin/time's own report must not share its stderr.
    const p = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%U %S', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    if (p.status !== 0) { console.error(`${name}: exit ${p.status ?? p.signal}: ${p.stderr}`); continue; }
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
    samples.get(name).wall.push(wall);
    samples.get(name).cpu.push((user + sys) * 1000);
  }
}
rmSync(work, { recursive: true, force: true });

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const ms = (x) => `${Math.round(x)} ms`;
console.log(`| ${rounds} rounds | wall median | wall min | CPU median | CPU min |`);
console.log('|---|---|---|---|---|');
for (const [name, { wall, cpu }] of samples) {
  if (wall.length === 0) continue;
  console.log(`| ${name} | ${ms(median(wall))} | ${ms(Math.min(...wall))} | ${ms(median(cpu))} | ${ms(Math.min(...cpu))} |`);
}
