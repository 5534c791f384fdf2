import type { Platform } from '../platform.js';
import { waitpid, __WALL } from '../../host/ptrace.js';
import { kill } from '../../host/process.js';
import { StubProcess, threadsByTid, type StubThread } from './stub-process.js';
import { ADDRESS_SPACE_STUB } from './stub-elf.js';

/** implements Platform with ptrace and PTRACE_SYSEMU stub processes. */
export class PtracePlatform implements Platform {
  readonly name = 'ptrace';
  private readonly status = new Int32Array(1);

  /**
   * A stub started ahead of need: fork and exec take it ready (its start-up
   * ran in parallel on another core) and start the next one. status is its
   * first stop once collected.
   */
  private spare: { pid: number; status: number | null } | null = null;

  constructor(readonly memoryFileFd: number) {}

  newAddressSpace(): StubProcess {
    let stub: StubProcess;
    const spare = this.spare;
    if (spare !== null) {
      this.spare = null;
      if (spare.status === null) {
        const r = waitpid(spare.pid, this.status, __WALL);
        spare.status = r < 0 ? -1 : this.status[0];
      }
      stub = StubProcess.adopt(spare.pid, spare.status, ADDRESS_SPACE_STUB);
    } else {
      stub = StubProcess.create(this.memoryFileFd, ADDRESS_SPACE_STUB);
    }
    this.spare = { pid: StubProcess.spawn(this.memoryFileFd, ADDRESS_SPACE_STUB), status: null };
    return stub;
  }

  /** Kills the spare stub (shutdown). */
  dropSpare(): void {
    if (this.spare !== null) { kill(this.spare.pid, 9); this.spare = null; }
  }

  /**
   * Blocks until any traced thread stops or ends: the one place the Sentry
   * waits. Returns the host tid and raw wait status, or null when no child
   * is left.
   */
  waitAny(): { tid: number; status: number } | null {
    for (;;) {
      const r = waitpid(-1, this.status, __WALL);
      if (r >= 0 && this.spare !== null && r === this.spare.pid) { this.spare.status = this.status[0]; continue; }
      if (r >= 0) return { tid: r, status: this.status[0] };
      if (r === -4 /* EINTR */) continue;
      return null;
    }
  }

  threadOf(tid: number): StubThread | undefined { return threadsByTid.get(tid); }
}
