// RLIMIT_CPU, enforced as Linux's check_process_timers does: once the
// group's CPU time (cpu-time.ts) reaches the soft limit, SIGXCPU, and the
// soft limit moves up a second so that every further second brings another
// SIGXCPU; at the hard limit, SIGKILL. The Sentry samples the group's CPU
// time from the kernel's timer queue while a finite limit is set (Linux
// checks on the scheduler tick), so the signal comes within a sampling
// period of the limit.
import { SI_KERNEL } from '../../abi/linux/siginfo.js';
import { SIGKILL, SIGXCPU } from '../../abi/linux/signal.js';
import { groupCpuNs } from './cpu-time.js';
import type { Kernel } from './kernel.js';
import { RLIM_INFINITY, RLIMIT_CPU } from './rlimits.js';
import { sendToGroup } from './signals.js';
import type { ThreadGroup } from './thread-group.js';
import { monotonicNs } from './timers.js';

/** Sampling period bounds: close to the limit often, far from it rarely (each sample reads /proc per thread). */
const SAMPLE_MIN_NS = 10_000_000;
const SAMPLE_MAX_NS = 250_000_000;
const NS_PER_SEC = 1_000_000_000;

/** Groups with a sample on the timer queue. */
const watched = new WeakSet<ThreadGroup>();

/**
 * Starts sampling tg's CPU time if its RLIMIT_CPU is finite and nobody
 * samples it yet. Call after setrlimit/prlimit and when fork makes a group
 * (the limit is inherited); exec keeps the group and its sampling.
 */
export function watchCpuLimit(kernel: Kernel, tg: ThreadGroup): void {
  if (watched.has(tg) || tg.rlimits[RLIMIT_CPU].cur === RLIM_INFINITY) return;
  watched.add(tg);
  schedule(kernel, tg);
}

function schedule(kernel: Kernel, tg: ThreadGroup): void {
  const soft = tg.rlimits[RLIMIT_CPU].cur;
  const leftNs = Number(soft) * NS_PER_SEC - groupCpuNs(tg);
  const wait = Math.min(SAMPLE_MAX_NS, Math.max(SAMPLE_MIN_NS, Math.floor(leftNs / 2)));
  kernel.timers.add(monotonicNs() + wait, () => check(kernel, tg));
}

function check(kernel: Kernel, tg: ThreadGroup): void {
  const limit = tg.rlimits[RLIMIT_CPU];
  if (!tg.alive || limit.cur === RLIM_INFINITY) { watched.delete(tg); return; }
  const seconds = BigInt(Math.floor(groupCpuNs(tg) / NS_PER_SEC));
  if (limit.max !== RLIM_INFINITY && seconds >= limit.max) {
    sendToGroup(tg, SIGKILL, { signo: SIGKILL, code: SI_KERNEL });
    watched.delete(tg);
    return;
  }
  if (seconds >= limit.cur) {
    sendToGroup(tg, SIGXCPU, { signo: SIGXCPU, code: SI_KERNEL });
    // Linux raises the soft limit by a second (visible to getrlimit) so the next SIGXCPU comes a second later.
    if (limit.cur < limit.max) tg.rlimits[RLIMIT_CPU] = { cur: limit.cur + 1n, max: limit.max };
  }
  schedule(kernel, tg);
}
