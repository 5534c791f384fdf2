// POSIX per-process timers (timer_create and friends). A timer on a wall
// clock runs on the kernel's monotonic timer queue (an absolute time on
// CLOCK_REALTIME is converted when the timer is armed, as clock_nanosleep
// does); a timer on a CPU-time clock samples that clock (cpu-time.ts) from
// the timer queue until it passes the deadline. A timer has at
// most one signal queued: an expiry while it is still pending counts an
// overrun instead, reported in si_overrun when the signal is taken and by
// timer_getoverrun afterwards, as Linux does.
import { SI_KERNEL, SI_TIMER, SIGINFO_SIZE } from '../../abi/linux/siginfo.js';
import { sendToGroup, sendToTask } from './signals.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';
import { monotonicNs, type Timer } from './timers.js';

export const SIGEV_SIGNAL = 0;
export const SIGEV_NONE = 1;
export const SIGEV_THREAD = 2;
export const SIGEV_THREAD_ID = 4;

/** Linux caps a reported overrun count at DELAYTIMER_MAX (INT_MAX). */
const DELAYTIMER_MAX = 0x7fff_ffff;

export interface TimerSetting { intervalNs: number; valueNs: number }

/** What a timer counts: the monotonic clock, or a CPU-time clock that must be sampled. */
export interface TimerClock { now(): number; readonly cpu: boolean }

export const MONOTONIC_TIMER_CLOCK: TimerClock = { now: monotonicNs, cpu: false };

/** How often at most a CPU-time timer samples its clock: Linux's tick at HZ=250. */
const CPU_SAMPLE_MAX_NS = 4_000_000;
const CPU_SAMPLE_MIN_NS = 500_000;

export class PosixTimer {
  /** The kernel timer of the next expiry, while armed. */
  private pendingFire: Timer | null = null;
  private deadline = 0;
  private intervalNs = 0;
  /** Expiries since the queued signal was queued. */
  private overrun = 0;
  /** The overrun count of the last signal taken (timer_getoverrun). */
  lastOverrun = 0;
  private signalQueued = false;
  deleted = false;

  constructor(
    readonly id: number,
    /** The clock id given to timer_create. */
    readonly clockId: number,
    private readonly clock: TimerClock,
    private readonly tg: ThreadGroup,
    readonly notify: number,
    readonly signo: number,
    readonly value: bigint,
    /** SIGEV_THREAD_ID's target. */
    private readonly target: Task | null,
    /**
     * An interval timer of setitimer (ITIMER_VIRTUAL, ITIMER_PROF): its
     * signal is the kernel's (SI_KERNEL), merged like any standard signal,
     * with no overrun count.
     */
    private readonly itimer = false,
  ) {}

  /** The time left and the interval; value 0 means disarmed. */
  get(): TimerSetting {
    if (this.pendingFire === null) return { intervalNs: this.intervalNs, valueNs: 0 };
    return { intervalNs: this.intervalNs, valueNs: Math.max(1, this.deadline - this.clock.now()) };
  }

  /** Arms (valueNs > 0, from now on the timer's clock) or disarms (0). */
  set(valueNs: number, intervalNs: number): void {
    this.cancelFire();
    this.intervalNs = intervalNs;
    if (valueNs <= 0 || this.deleted) return;
    this.deadline = this.clock.now() + valueNs;
    this.schedule();
  }

  delete(): void {
    this.set(0, 0);
    this.deleted = true;
  }

  private cancelFire(): void {
    this.tg.leader?.kernel.timers.cancel(this.pendingFire);
    this.pendingFire = null;
  }

  /** Puts the next check on the kernel's timer queue: the deadline itself, or a sample of a CPU clock. */
  private schedule(): void {
    const timers = this.tg.leader?.kernel.timers;
    if (timers === undefined || !this.tg.alive) return;
    if (!this.clock.cpu) {
      this.pendingFire = timers.add(this.deadline, () => this.check());
      return;
    }
    // A group's CPU time can run ahead of the wall clock on several CPUs: sample often enough.
    const left = this.deadline - this.clock.now();
    const wait = Math.min(CPU_SAMPLE_MAX_NS, Math.max(CPU_SAMPLE_MIN_NS, Math.floor(left / 2)));
    this.pendingFire = timers.add(monotonicNs() + wait, () => this.check());
  }

  private check(): void {
    this.pendingFire = null;
    const now = this.clock.now();
    if (now < this.deadline) { this.schedule(); return; }
    let missed = 0;
    if (this.intervalNs > 0 && !this.deleted && this.tg.alive) {
      // Expiries the Sentry was too late to see one by one count as overruns.
      this.deadline += this.intervalNs;
      if (this.deadline <= now) {
        missed = Math.floor((now - this.deadline) / this.intervalNs) + 1;
        this.deadline += missed * this.intervalNs;
      }
      this.schedule();
    }
    this.raise(missed);
  }

  private raise(missed: number): void {
    if (this.notify === SIGEV_NONE) return;
    if (this.itimer) {
      sendToGroup(this.tg, this.signo, { signo: this.signo, code: SI_KERNEL });
      return;
    }
    if (this.signalQueued) {
      this.overrun = Math.min(DELAYTIMER_MAX, this.overrun + 1 + missed);
      return;
    }
    this.overrun = Math.min(DELAYTIMER_MAX, missed);
    const info = new Uint8Array(SIGINFO_SIZE);
    const dv = new DataView(info.buffer);
    dv.setInt32(0, this.signo, true);
    dv.setInt32(8, SI_TIMER, true);
    dv.setInt32(16, this.id, true); // si_timerid
    dv.setBigUint64(24, this.value, true); // si_value
    const taken = (b: Uint8Array): void => {
      this.signalQueued = false;
      this.lastOverrun = this.overrun;
      this.overrun = 0;
      new DataView(b.buffer, b.byteOffset, SIGINFO_SIZE).setInt32(20, this.lastOverrun, true); // si_overrun
    };
    const target = this.notify & SIGEV_THREAD_ID ? this.target : null;
    const queued = target !== null && target.state !== 'dead'
      ? sendToTask(target, this.signo, info, taken)
      : sendToGroup(this.tg, this.signo, info, taken);
    this.signalQueued = queued;
  }
}

/**
 * A thread group's timers, by id. Linux hands ids out in increasing order
 * (wrapping at INT_MAX, skipping ids in use) and a create that fails after
 * the id was taken still uses it up; fork starts again from 0.
 */
export class PosixTimerTable {
  private readonly timers = new Map<number, PosixTimer>();
  private nextId = 0;

  /** Takes the next id; the caller installs a timer under it or lets it go. */
  allocateId(): number {
    while (this.timers.has(this.nextId)) this.nextId = (this.nextId + 1) & 0x7fff_ffff;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0x7fff_ffff;
    return id;
  }

  install(timer: PosixTimer): void { this.timers.set(timer.id, timer); }

  get(id: number): PosixTimer | undefined { return this.timers.get(id); }

  get size(): number { return this.timers.size; }

  delete(id: number): boolean {
    const timer = this.timers.get(id);
    if (timer === undefined) return false;
    timer.delete();
    this.timers.delete(id);
    return true;
  }

  /** exec and exit: every timer goes (the id counter stays, as Linux's signal_struct keeps it). */
  clear(): void {
    for (const timer of this.timers.values()) timer.delete();
    this.timers.clear();
  }
}
