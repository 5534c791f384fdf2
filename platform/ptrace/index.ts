import type { Platform } from '../platform.js';
import { StubProcess } from './stub-process.js';

/** implements Platform with ptrace and PTRACE_SYSEMU stub processes. */
export class PtracePlatform implements Platform {
  readonly name = 'ptrace';
  constructor(private readonly memoryFileFd: number) {}
  newAddressSpace(): StubProcess {
    return StubProcess.create(this.memoryFileFd);
  }
}
