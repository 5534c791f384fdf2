// The Platform interface: how the Sentry runs application code and learns
// why it stopped. ptrace implements it now; KVM is shaped to fit later.
import type { Registers } from './registers.js';

/** Why a thread stopped running application code. */
export type Stop =
  | { kind: 'syscall' }
  /** A signal the host raised in the thread: a fault, or a kill from outside. */
  | { kind: 'signal'; signo: number; code: number; addr: number }
  /** The thread is gone (host process died). */
  | { kind: 'gone'; status: number };

/** The host side of one application address space. */
export interface AddressSpaceBackend {
  /** Maps MemoryFile bytes [offset, offset+len) at addr with prot. */
  map(addr: number, len: number, prot: number, offset: number): number;
  unmap(addr: number, len: number): number;
  protect(addr: number, len: number, prot: number): number;
  /**
   * Registers the address space for the host's expedited membarrier
   * (MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED): 0 or -errno. Optional.
   */
  registerForBarriers?(): number;
  /** The thread that runs code in this address space. */
  readonly mainThread: PlatformThread;
  destroy(): void;
}

/** One application thread as the platform runs it. */
export interface PlatformThread {
  readonly hostTid: number;
  /** Loads regs and runs until the next stop; then regs hold the state. */
  run(regs: Registers, regsChanged: boolean): Stop;
  /** Reads the FPU state (fxsave image) into buf, or writes it from buf. */
  getFpState(buf: Uint8Array): number;
  setFpState(buf: Uint8Array): number;
}

export interface Platform {
  readonly name: string;
  newAddressSpace(): AddressSpaceBackend;
}
