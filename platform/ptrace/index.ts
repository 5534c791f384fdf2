import type { Platform } from '../platform.js';
import { waitpid, __WALL } from '../../host/ptrace.js';
import { StubProcess, threadsByTid, type StubThread } from './stub-process.js';
import { ADDRESS_SPACE_STUB } from './stub-elf.js';

/** implements Platform with ptrace and PTRACE_SYSEMU stub processes. */
export class PtracePlatform implements Platform {
  readonly name = 'ptrace';
  private readonly status = new Int32Array(1);

  constructor(readonly memoryFileFd: number) {}

  newAddressSpace(): StubProcess {
    return StubProcess.create(this.memoryFileFd, ADDRESS_SPACE_STUB);
  }

  /**
   * Blocks until any traced thread stops or ends: the one place the Sentry
   * waits. Returns the host tid and raw wait status, or null when no child
   * is left.
   */
  waitAny(): { tid: number; status: number } | null {
    for (;;) {
      const r = waitpid(-1, this.status, __WALL);
      if (r >= 0) return { tid: r, status: this.status[0] };
      if (r === -4 /* EINTR */) continue;
      return null;
    }
  }

  threadOf(tid: number): StubThread | undefined { return threadsByTid.get(tid); }
}
