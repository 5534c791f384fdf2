// Seccomp filters: a small classic-BPF assembler, a reference interpreter
// (so a filter's decisions can be unit-tested without installing it), and
// installation with seccomp(2). The policy, which syscalls get which answer,
// belongs to the caller (gofer/confine.ts); this file only knows the machine.

import { koffi, libc } from './libc.js';

// <linux/filter.h>
export const BPF_LD = 0x00;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_AND = 0x50;
export const BPF_K = 0x00;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

// <linux/seccomp.h>
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG_TSYNC = 1;
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;
// <linux/audit.h>
export const AUDIT_ARCH_X86_64 = 0xc000003e;
/** Syscall numbers with this bit set are the x32 ABI's. */
export const X32_SYSCALL_BIT = 0x40000000;

/** struct seccomp_data offsets: nr, arch, instruction pointer, args[6]. */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_IP = 8;
/** Low 32 bits of args[i] (little-endian). */
export function argLo(i: number): number {
  return 16 + 8 * i;
}
/** High 32 bits of args[i]. */
export function argHi(i: number): number {
  return 20 + 8 * i;
}

export function retErrno(errno: number): number {
  return (SECCOMP_RET_ERRNO | (errno & SECCOMP_RET_DATA)) >>> 0;
}

export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A jump target: a label name, or 'next' for the following instruction. */
export type Target = string;
const NEXT = 'next';

interface Pending {
  code: number;
  k: number;
  jt: Target;
  jf: Target;
}

/**
 * Assembles a classic-BPF program with symbolic, forward-only jump targets.
 * Conditional jumps in cBPF reach at most 255 instructions ahead; assemble()
 * throws if a target is behind or too far, so a filter that would not load
 * fails in tests, not at run time.
 */
export class BpfAssembler {
  private readonly insns: Pending[] = [];
  private readonly labels = new Map<string, number>();

  get length(): number {
    return this.insns.length;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`bpf: label ${name} defined twice`);
    this.labels.set(name, this.insns.length);
    return this;
  }

  /** A <- 32-bit word at `offset` in struct seccomp_data. */
  load(offset: number): this {
    return this.push(BPF_LD | BPF_W | BPF_ABS, offset);
  }

  and(k: number): this {
    return this.push(BPF_ALU | BPF_AND | BPF_K, k);
  }

  jeq(k: number, jt: Target, jf: Target = NEXT): this {
    return this.push(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
  }

  jge(k: number, jt: Target, jf: Target = NEXT): this {
    return this.push(BPF_JMP | BPF_JGE | BPF_K, k, jt, jf);
  }

  jgt(k: number, jt: Target, jf: Target = NEXT): this {
    return this.push(BPF_JMP | BPF_JGT | BPF_K, k, jt, jf);
  }

  /** Jumps to jt if (A & k) != 0. */
  jset(k: number, jt: Target, jf: Target = NEXT): this {
    return this.push(BPF_JMP | BPF_JSET | BPF_K, k, jt, jf);
  }

  /** Unconditional jump (its 32-bit offset lives in k). */
  ja(target: Target): this {
    return this.push(BPF_JMP | BPF_JA, 0, target, NEXT);
  }

  ret(k: number): this {
    return this.push(BPF_RET | BPF_K, k);
  }

  assemble(): BpfInsn[] {
    if (this.insns.length > BPF_MAXINSNS) throw new Error(`bpf: ${this.insns.length} instructions, over ${BPF_MAXINSNS}`);
    return this.insns.map((p, at) => {
      if (p.code === (BPF_JMP | BPF_JA)) return { code: p.code, k: this.offset(at, p.jt, 0xffffffff), jt: 0, jf: 0 };
      const isCond = (p.code & 0x07) === BPF_JMP;
      return {
        code: p.code,
        k: p.k >>> 0,
        jt: isCond ? this.offset(at, p.jt, 255) : 0,
        jf: isCond ? this.offset(at, p.jf, 255) : 0,
      };
    });
  }

  private offset(at: number, target: Target, max: number): number {
    if (target === NEXT) return 0;
    const to = this.labels.get(target);
    if (to === undefined) throw new Error(`bpf: undefined label ${target}`);
    const off = to - at - 1;
    if (off < 0 || off > max) throw new Error(`bpf: jump from ${at} to ${target} (${to}) out of range`);
    return off;
  }

  private push(code: number, k: number, jt: Target = NEXT, jf: Target = NEXT): this {
    this.insns.push({ code, k, jt, jf });
    return this;
  }
}

/** The bytes of struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k. */
export function encodeProgram(prog: readonly BpfInsn[]): Buffer {
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach((insn, i) => {
    b.writeUInt16LE(insn.code, 8 * i);
    b.writeUInt8(insn.jt, 8 * i + 2);
    b.writeUInt8(insn.jf, 8 * i + 3);
    b.writeUInt32LE(insn.k >>> 0, 8 * i + 4);
  });
  return b;
}

/** What a syscall looks like to a filter. Arguments are 64-bit. */
export interface SeccompData {
  nr: number;
  arch?: number;
  ip?: bigint;
  args?: ReadonlyArray<bigint | number>;
}

/**
 * Runs a program the way the kernel would, for the instructions the
 * assembler emits. Returns the filter's 32-bit verdict.
 */
export function runFilter(prog: readonly BpfInsn[], data: SeccompData): number {
  const mem = Buffer.alloc(64);
  mem.writeInt32LE(data.nr | 0, SECCOMP_DATA_NR);
  mem.writeUInt32LE((data.arch ?? AUDIT_ARCH_X86_64) >>> 0, SECCOMP_DATA_ARCH);
  mem.writeBigUInt64LE(data.ip ?? 0n, SECCOMP_DATA_IP);
  for (let i = 0; i < 6; i++) mem.writeBigUInt64LE(BigInt.asUintN(64, BigInt(data.args?.[i] ?? 0)), 16 + 8 * i);
  let a = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc];
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (k + 4 > 64 || k % 4 !== 0) throw new Error(`bpf: bad load offset ${k}`);
        a = mem.readUInt32LE(k);
        break;
      case BPF_ALU | BPF_AND | BPF_K: a = (a & k) >>> 0; break;
      case BPF_JMP | BPF_JA: pc += k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += a === k ? jt : jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += a > k ? jt : jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += a >= k ? jt : jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & k) !== 0 ? jt : jf; break;
      case BPF_RET | BPF_K: return k >>> 0;
      default: throw new Error(`bpf: instruction ${code.toString(16)} not supported by runFilter`);
    }
  }
  throw new Error('bpf: fell off the end of the program');
}

const SYS_seccomp = 317;
// struct sock_fprog; koffi copies the Uint8Array given for filter into memory of its own for the call.
koffi.struct('gofer_sock_fprog', { len: 'uint16', filter: 'uint8_t *' });
const seccompFn = libc.func('long syscall(long nr, long op, long flags, _In_ gofer_sock_fprog *prog)');

/**
 * Installs `prog` for this process. With tsync, every thread of the process
 * gets it at once (SECCOMP_FILTER_FLAG_TSYNC), which Node needs: it runs
 * worker threads of its own. The caller must have set no_new_privs (or hold
 * CAP_SYS_ADMIN). Returns 0 or -errno; with TSYNC a positive return is the
 * id of a thread that could not be synchronised.
 */
export function installSeccompFilter(prog: readonly BpfInsn[], tsync = true): number {
  // Not a variadic syscall(2) with the program encoded element by element
  // into koffi memory: that took 10-20 ms of the Gofer's start, on the
  // sandbox's critical path, where this takes well under one.
  const r = Number(seccompFn(SYS_seccomp, SECCOMP_SET_MODE_FILTER, tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0,
    { len: prog.length, filter: encodeProgram(prog) }));
  return r === -1 ? -koffi.errno() : r;
}
