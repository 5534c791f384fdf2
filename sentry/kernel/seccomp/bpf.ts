// Classic BPF as seccomp uses it: the checker that decides which programs
// are accepted (Linux's bpf_check_classic plus seccomp_check_filter: only
// 32-bit loads from seccomp_data, forward jumps, no read of an unset scratch
// word, a return at the end) and the interpreter that runs an accepted
// program over a seccomp_data. Programs arrive as struct sock_filter
// arrays: { u16 code; u8 jt; u8 jf; u32 k }.

export interface Insn { code: number; jt: number; jf: number; k: number }

/** struct sock_filter is 8 bytes; BPF_MAXINSNS. */
export const SOCK_FILTER_SIZE = 8;
export const BPF_MAXINSNS = 4096;
const BPF_MEMWORDS = 16;
/** sizeof(struct seccomp_data): nr, arch, instruction_pointer, args[6]. */
export const SECCOMP_DATA_SIZE = 64;

// Instruction classes, sizes, modes and operations (<linux/bpf_common.h>).
const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;
const BPF_W = 0x00;
const BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_MEM = 0x60, BPF_LEN = 0x80;
const BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40, BPF_AND = 0x50, BPF_LSH = 0x60,
  BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_MOD = 0x90, BPF_XOR = 0xa0;
const BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40;
const BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10;
const BPF_TAX = 0x00, BPF_TXA = 0x80;

const cls = (code: number): number => code & 0x07;

/** The opcodes seccomp accepts (after its rewrite of LEN loads to immediates). */
const ALLOWED = new Set<number>([
  BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN,
  BPF_RET | BPF_K, BPF_RET | BPF_A,
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH, BPF_MOD].flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  BPF_ALU | BPF_NEG,
  BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
  BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

export function decodeProgram(bytes: Uint8Array): Insn[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prog: Insn[] = [];
  for (let off = 0; off + SOCK_FILTER_SIZE <= bytes.byteLength; off += SOCK_FILTER_SIZE) {
    prog.push({ code: dv.getUint16(off, true), jt: dv.getUint8(off + 2), jf: dv.getUint8(off + 3), k: dv.getUint32(off + 4, true) });
  }
  return prog;
}

/**
 * Checks a program as Linux does before it attaches one; returns the
 * program to run (LEN loads become immediates of the seccomp_data size) or
 * null for EINVAL.
 */
export function checkSeccompProgram(prog: Insn[]): Insn[] | null {
  const len = prog.length;
  if (len === 0 || len > BPF_MAXINSNS) return null;
  const out: Insn[] = [];
  for (let pc = 0; pc < len; pc++) {
    let { code, k } = prog[pc];
    const { jt, jf } = prog[pc];
    if (!ALLOWED.has(code)) return null;
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if ((k & 3) !== 0 || k >= SECCOMP_DATA_SIZE) return null;
        break;
      case BPF_LD | BPF_W | BPF_LEN: code = BPF_LD | BPF_IMM; k = SECCOMP_DATA_SIZE; break;
      case BPF_LDX | BPF_W | BPF_LEN: code = BPF_LDX | BPF_IMM; k = SECCOMP_DATA_SIZE; break;
      case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_MOD | BPF_K:
        if (k === 0) return null;
        break;
      case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_K:
        if (k >= 32) return null;
        break;
      case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
        if (k >= BPF_MEMWORDS) return null;
        break;
      case BPF_JMP | BPF_JA:
        // An unconditional jump's offset is 32 bits; it must land inside the program.
        if (k >= len - pc - 1) return null;
        break;
    }
    if (cls(code) === BPF_JMP && code !== (BPF_JMP | BPF_JA)) {
      if (pc + jt + 1 >= len || pc + jf + 1 >= len) return null;
    }
    out.push({ code, jt, jf, k: k >>> 0 });
  }
  if (cls(out[len - 1].code) !== BPF_RET) return null;
  return noUnsetLoads(out) ? out : null;
}

/** Linux refuses a program that may read a scratch word no path has stored yet. */
function noUnsetLoads(prog: Insn[]): boolean {
  // stored[pc]: the words surely stored on every path reaching pc (a bit mask).
  const ALL = (1 << BPF_MEMWORDS) - 1;
  const stored = new Array<number>(prog.length).fill(ALL);
  stored[0] = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    let mask = stored[pc];
    const { code, jt, jf, k } = prog[pc];
    if (code === (BPF_LD | BPF_MEM) || code === (BPF_LDX | BPF_MEM)) {
      if ((mask & (1 << k)) === 0) return false;
    }
    if (code === BPF_ST || code === BPF_STX) mask |= 1 << k;
    const flow = (to: number): void => { stored[to] &= mask; };
    if (cls(code) === BPF_RET) continue;
    if (code === (BPF_JMP | BPF_JA)) flow(pc + 1 + k);
    else if (cls(code) === BPF_JMP) { flow(pc + 1 + jt); flow(pc + 1 + jf); }
    else flow(pc + 1);
  }
  return true;
}

/** Runs a checked program over a seccomp_data image; returns the 32-bit verdict. */
export function runSeccompProgram(prog: readonly Insn[], data: DataView): number {
  let a = 0, x = 0, pc = 0;
  const mem = new Uint32Array(BPF_MEMWORDS);
  for (;;) {
    const { code, jt, jf, k } = prog[pc++];
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS: a = data.getUint32(k, true); break;
      case BPF_LD | BPF_IMM: a = k; break;
      case BPF_LDX | BPF_IMM: x = k; break;
      case BPF_LD | BPF_MEM: a = mem[k]; break;
      case BPF_LDX | BPF_MEM: x = mem[k]; break;
      case BPF_ST: mem[k] = a; break;
      case BPF_STX: mem[k] = x; break;
      case BPF_MISC | BPF_TAX: x = a; break;
      case BPF_MISC | BPF_TXA: a = x; break;
      case BPF_RET | BPF_K: return k;
      case BPF_RET | BPF_A: return a;
      case BPF_JMP | BPF_JA: pc += k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += a === k ? jt : jf; break;
      case BPF_JMP | BPF_JEQ | BPF_X: pc += a === x ? jt : jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += a > k ? jt : jf; break;
      case BPF_JMP | BPF_JGT | BPF_X: pc += a > x ? jt : jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += a >= k ? jt : jf; break;
      case BPF_JMP | BPF_JGE | BPF_X: pc += a >= x ? jt : jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & k) !== 0 ? jt : jf; break;
      case BPF_JMP | BPF_JSET | BPF_X: pc += (a & x) !== 0 ? jt : jf; break;
      case BPF_ALU | BPF_NEG: a = -a >>> 0; break;
      default: {
        // ALU with K or X: every result is an unsigned 32-bit word.
        const v = (code & BPF_X) !== 0 ? x : k;
        switch (code & 0xf0) {
          case BPF_ADD: a = (a + v) >>> 0; break;
          case BPF_SUB: a = (a - v) >>> 0; break;
          case BPF_MUL: a = Math.imul(a, v) >>> 0; break;
          // A division by a zero X ends the program with 0, as Linux's interpreter does.
          case BPF_DIV: if (v === 0) return 0; a = Math.floor(a / v) >>> 0; break;
          case BPF_MOD: if (v === 0) return 0; a = (a % v) >>> 0; break;
          case BPF_AND: a = (a & v) >>> 0; break;
          case BPF_OR: a = (a | v) >>> 0; break;
          case BPF_XOR: a = (a ^ v) >>> 0; break;
          // A shift by X of 32 or more takes the count mod 32, as x86 (and Linux's JIT there) does.
          case BPF_LSH: a = (a << (v & 31)) >>> 0; break;
          case BPF_RSH: a = a >>> (v & 31); break;
        }
      }
    }
  }
}
