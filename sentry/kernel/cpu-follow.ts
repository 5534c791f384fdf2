// Keeping a lone task's stub thread on the Sentry's CPU. A system call
// round trip under ptrace is two context switches between the stub thread
// and the Sentry's thread; when the two are on different CPUs each is a
// cross-CPU wakeup (an inter-processor interrupt: on a virtual machine, an
// exit to the hypervisor). With the stub thread pinned to the CPU the
// Sentry runs on, getppid in the sandbox went from 28-34 us to ~22 us on
// this project's 2-vCPU VMs (docs/design/ptrace-platform.md). gVisor's
// ptrace platform pins its stub threads to their Sentry thread's CPU too.
//
// Pinning the stub thread alone did not help: the Sentry, woken on the
// other CPU, went on running there. So the Sentry's own thread is pinned
// to the same CPU, and let go every RECONSIDER_EVERY resumes so that the
// kernel can move it off a busy CPU (the stub then follows).
//
// The Sentry is one thread, so pinning every stub thread to its CPU would
// put all of the application's threads on one CPU. Pinning is therefore
// only for a sandbox with a single task that asked for no affinity of its
// own; as soon as there are more, every task whose affinity is the
// default, and the Sentry, get the Sentry's CPUs back (stub threads
// created by a pinned one inherit its pin).
import { ALL_CPUS, schedOf } from './sched-attributes.js';
import { currentCpu, getAffinity, setAffinity } from '../../host/process.js';
import { threadsByTid, type StubThread } from '../../platform/ptrace/stub-process.js';
import type { Task } from './task.js';

/** Bytes of a cpu_set_t: 1024 CPUs. */
const MASK_BYTES = 128;

/**
 * Resumes between chances for the kernel to move the Sentry: pinned, it
 * could not leave a CPU that a host process came to share.
 */
const RECONSIDER_EVERY = 1024;

export class CpuFollower {
  /** The stub thread pinned, and to which CPU (the Sentry's thread is pinned there too while sentryPinned). */
  private pinned: StubThread | null = null;
  private pinnedCpu = -1;
  private sentryPinned = false;
  private resumes = 0;
  /** The CPUs the Sentry may use, which unpinned stub threads get. */
  private readonly sentryCpus = new Uint8Array(MASK_BYTES);
  private readonly oneCpu = new Uint8Array(MASK_BYTES);
  /**
   * Stub threads given every CPU since they were last pinned. Any other may
   * carry a pin it inherited: from a pinned stub thread that cloned it, or
   * from the pinned Sentry that spawned its process (the spare stub).
   */
  private readonly unpinned = new WeakSet<StubThread>();
  private readonly enabled: boolean;

  constructor(private readonly tasks: ReadonlyMap<number, Task>) {
    this.enabled = getAffinity(0, this.sentryCpus) === 0;
  }

  /** Before t runs application code (the scheduler's resume). */
  beforeResume(t: Task): void {
    if (!this.enabled) return;
    const defaultAffinity = schedOf(t).affinity === ALL_CPUS;
    if (this.tasks.size !== 1 || !defaultAffinity) {
      if (this.pinned !== null || this.sentryPinned) this.release();
      else if (defaultAffinity && !this.unpinned.has(t.thread)) this.unpin(t);
      return;
    }
    if (this.sentryPinned && ++this.resumes >= RECONSIDER_EVERY) {
      // The Sentry may move at its next wakeup; the stub follows it then.
      this.resumes = 0;
      setAffinity(0, this.sentryCpus);
      this.sentryPinned = false;
      return;
    }
    if (this.pinned === t.thread && this.sentryPinned) return;
    const cpu = currentCpu();
    if (cpu < 0 || cpu >= MASK_BYTES * 8 || (this.sentryCpus[cpu >> 3] & (1 << (cpu & 7))) === 0) return;
    this.oneCpu.fill(0);
    this.oneCpu[cpu >> 3] = 1 << (cpu & 7);
    if ((this.pinned !== t.thread || this.pinnedCpu !== cpu) && t.thread.pin(this.oneCpu) !== 0) return;
    this.unpinned.delete(t.thread);
    this.pinned = t.thread;
    this.pinnedCpu = cpu;
    this.sentryPinned = setAffinity(0, this.oneCpu) === 0;
  }

  private unpin(t: Task): void {
    t.thread.pin(this.sentryCpus);
    this.unpinned.add(t.thread);
  }

  /** More than one task, or one with an affinity of its own: the default ones, and the Sentry, get the Sentry's CPUs back. */
  private release(): void {
    for (const task of this.tasks.values()) {
      // A dead stub thread's tid may already be another host process's.
      if (schedOf(task).affinity === ALL_CPUS && threadsByTid.get(task.thread.hostTid) === task.thread) this.unpin(task);
    }
    if (this.sentryPinned) setAffinity(0, this.sentryCpus);
    this.sentryPinned = false;
    this.pinned = null;
    this.pinnedCpu = -1;
  }
}
