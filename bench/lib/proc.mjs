// Running one command with a hard time limit, and killing what it leaves.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

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
}

/**
 * Runs cmd with a hard timeout; resolves { code, signal, stdout, stderr,
 * timedOut, wallMs, spawnError }. On timeout the whole process tree is
 * killed, and if the child's pipes are still open 5 s later (a double-forked
 * daemon holds them) the promise resolves anyway: a run never hangs the
 * harness.
 */
export function runBounded(cmd, args, { timeoutMs, cwd, env } = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let child;
    try {
      child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
    let exitedAt = null;
    let grace = null;
    const finish = (code, signal, note) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      // The run ends when the child exits; output draining after that is not its cost.
      const wallMs = Number((exitedAt ?? process.hrtime.bigint()) - t0) / 1e6;
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
    child.on('exit', (code, signal) => { exitedAt = process.hrtime.bigint(); exitInfo = { code, signal }; });
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function tail(s, n) {
  s = (s || '').trim();
  return s.length > n ? '…' + s.slice(-n) : s;
}

export function oneLine(s) { return (s || '').replace(/\s+/g, ' ').trim(); }

/** Why a run gave no figure, in one line: how it ended and the tail of its stderr. */
export function describeFailure(r, timeoutS) {
  if (r.timedOut) return `timed out after ${timeoutS} s` + (r.stderr.trim() ? `: ${oneLine(tail(r.stderr, 300))}` : '');
  if (r.spawnError) return `could not start: ${r.spawnError.message}`;
  const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
  const msg = oneLine(tail(r.stderr || r.stdout, 400));
  return `${how}${msg ? `: ${msg}` : ' with no output'}`;
}
