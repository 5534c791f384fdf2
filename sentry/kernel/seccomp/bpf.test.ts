import { describe, expect, it } from 'vitest';
import { checkSeccompProgram, runSeccompProgram, SECCOMP_DATA_SIZE, type Insn } from './bpf.js';

const I = (code: number, k = 0, jt = 0, jf = 0): Insn => ({ code, jt, jf, k });
const LD_ABS = 0x20, LD_IMM = 0x00, LDX_IMM = 0x01, RET_A = 0x16, RET_K = 0x06, JEQ_K = 0x15, JGT_K = 0x25, JSET_K = 0x45, JA = 0x05;
const ALU = (op: number, x = false): number => 0x04 | op | (x ? 0x08 : 0);

function run(prog: Insn[], nr = 0, args: number[] = []): number {
  const checked = checkSeccompProgram(prog);
  if (checked === null) throw new Error('rejected');
  const dv = new DataView(new ArrayBuffer(SECCOMP_DATA_SIZE));
  dv.setInt32(0, nr, true);
  args.forEach((a, i) => dv.setUint32(16 + 8 * i, a, true));
  return runSeccompProgram(checked, dv);
}

describe('seccomp classic BPF', () => {
  it('computes 32-bit unsigned ALU results', () => {
    expect(run([I(LD_IMM, 7), I(ALU(0x90), 4), I(RET_A)])).toBe(3); // mod
    expect(run([I(LD_IMM, 0xf0f0f0f0), I(ALU(0xa0), 0xffffffff), I(RET_A)])).toBe(0x0f0f0f0f); // xor
    expect(run([I(LD_IMM, 1), I(ALU(0x10), 2), I(RET_A)])).toBe(0xffffffff); // sub wraps
    expect(run([I(LD_IMM, 0x80000000), I(ALU(0x70), 31), I(RET_A)])).toBe(1); // rsh
    expect(run([I(LD_IMM, 0x10000), I(ALU(0x20), 0x10000), I(RET_A)])).toBe(0); // mul wraps
    expect(run([I(LD_IMM, 5), I(ALU(0x80)), I(RET_A)])).toBe(0xfffffffb); // neg
  });

  it('ends with 0 on a division by a zero X, as Linux does', () => {
    expect(run([I(LD_IMM, 9), I(LDX_IMM, 0), I(ALU(0x30, true)), I(RET_K, 1)])).toBe(0);
  });

  it('jumps on JEQ, JGT, JSET and JA', () => {
    const prog = [I(LD_ABS, 0), I(JEQ_K, 39, 0, 1), I(RET_K, 100), I(JGT_K, 50, 0, 1), I(RET_K, 200), I(JSET_K, 1, 1, 0), I(JA, 1), I(RET_K, 300), I(RET_K, 400)];
    expect(run(prog, 39)).toBe(100);
    expect(run(prog, 51)).toBe(200); // above 50
    expect(run(prog, 5)).toBe(300); // odd: JSET taken
    expect(run(prog, 4)).toBe(400); // even: JSET not taken, JA over 300
  });

  it('loads the low word of an argument', () => {
    expect(run([I(LD_ABS, 16 + 8 * 2), I(RET_A)], 0, [1, 2, 0xdeadbeef])).toBe(0xdeadbeef);
  });

  it('refuses backward-free but out-of-range jumps and programs without a final return', () => {
    expect(checkSeccompProgram([I(JEQ_K, 0, 1, 0), I(RET_K, 0)])).toBeNull();
    expect(checkSeccompProgram([I(LD_IMM, 0)])).toBeNull();
    expect(checkSeccompProgram([I(0x60, 0) /* LD MEM unset */, I(RET_K, 0)])).toBeNull();
    expect(checkSeccompProgram([I(0x02, 0) /* ST */, I(0x60, 0), I(RET_A)])).not.toBeNull();
  });
});
