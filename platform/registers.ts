// The application's general registers, decoded in one place. The layout is
// x86-64 struct user_regs_struct, which both platforms fill.
import { REG, USER_REGS_SIZE } from '../abi/linux/ptrace.js';

const TWO32 = 2 ** 32;

/** General-purpose registers of one application thread. */
export class Registers {
  readonly bytes = new Uint8Array(USER_REGS_SIZE);
  private readonly words = new Uint32Array(this.bytes.buffer);
  private readonly view = new DataView(this.bytes.buffer);

  /** A register as a JS number: exact for addresses and small values, and
   *  negative for values whose top 32 bits are all ones (e.g. AT_FDCWD). */
  get(offset: number): number {
    const lo = this.words[offset >>> 2], hi = this.words[(offset >>> 2) + 1];
    if (hi === 0) return lo;
    if (hi === 0xffffffff) return lo - TWO32;
    return hi * TWO32 + lo;
  }
  set(offset: number, value: number): void {
    if (value < 0) {
      this.words[offset >>> 2] = value >>> 0;
      this.words[(offset >>> 2) + 1] = value >= -TWO32 ? 0xffffffff : Math.floor(value / TWO32) >>> 0;
    } else {
      this.words[offset >>> 2] = value >>> 0;
      this.words[(offset >>> 2) + 1] = Math.floor(value / TWO32);
    }
  }
  getBig(offset: number): bigint { return this.view.getBigUint64(offset, true); }
  setBig(offset: number, value: bigint): void { this.view.setBigUint64(offset, BigInt.asUintN(64, value), true); }
  /** The low 32 bits as a signed int: how Linux reads an `int` argument. */
  getInt(offset: number): number { return this.words[offset >>> 2] | 0; }

  get syscallNr(): number { return this.words[REG.orig_rax >>> 2] | 0; }
  get rip(): number { return this.get(REG.rip); }
  set rip(v: number) { this.set(REG.rip, v); }
  get rsp(): number { return this.get(REG.rsp); }
  set rsp(v: number) { this.set(REG.rsp, v); }
  get rax(): number { return this.get(REG.rax); }
  set rax(v: number) { this.set(REG.rax, v); }

  copyFrom(other: Registers): void { this.bytes.set(other.bytes); }
}

/** Syscall argument registers in order: rdi, rsi, rdx, r10, r8, r9. */
export const SYSCALL_ARG_REG: readonly number[] = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9];
