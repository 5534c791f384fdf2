// The stub: a tiny static x86-64 ELF that becomes a traced, empty address
// space. Our TypeScript emits its machine code; no compiler is needed.
//
// At start the stub (1) asks for SIGKILL when the Sentry dies, (2) becomes a
// tracee of the Sentry thread that spawned it, (3) closes every fd but the
// MemoryFile at STUB_MEMFD, (4) unmaps everything but its own page (the
// host-made stack, vdso and vvar), (5) installs a seccomp filter that kills
// the process on any system call not made from the injection point or not
// in the allow list, then (6) traps with int3. From then on the Sentry runs
// application code in this address space under PTRACE_SYSEMU, and makes
// host system calls in its name only by pointing rip at INJECT_SYSCALL and
// continuing to the int3 after it.
import { encodeElf64ExecHeader, encodePtLoad, PF_R, PF_X } from '../../abi/linux/elf.js';
import { SYS } from '../../abi/linux/syscalls.js';

/** Where the stub's single page lives, above anything the application gets. */
export const STUB_BASE = 0x7ff0_0000_0000;
export const STUB_SIZE = 0x1000;
/** The top of the user address space on x86-64 (TASK_SIZE). */
export const TASK_SIZE = 0x7fff_ffff_f000;
/** The fd number the MemoryFile has inside the stub. */
export const STUB_MEMFD = 3;

/** The host system calls the Sentry may inject into an address-space stub: nothing else passes the filter. */
export const INJECTABLE_SYSCALLS: readonly number[] = [
  SYS.mmap, SYS.munmap, SYS.mprotect, SYS.clone, SYS.exit, SYS.exit_group,
  // Registration for the host's expedited memory barriers (the application's membarrier(2)).
  SYS.membarrier,
];

/** What one stub image allows: its injectable calls, and how many fds past STUB_MEMFD it keeps. */
export interface StubKind {
  allow: readonly number[];
  extraFds: number;
}

export const ADDRESS_SPACE_STUB: StubKind = { allow: INJECTABLE_SYSCALLS, extraFds: 0 };

const CODE_OFFSET = 0x80;

// Register numbers in x86-64 encodings.
const RAX = 0, RDX = 2, RBX = 3, RSI = 6, RDI = 7, R8 = 8, R9 = 9, R10 = 10;
const ARG_REGS = [RDI, RSI, RDX, R10, R8, R9];

class CodeBuffer {
  readonly bytes: number[] = [];
  get length(): number { return this.bytes.length; }
  /** mov reg, imm64 (REX.W B8+r io). */
  movImm(reg: number, value: bigint): void {
    this.bytes.push(0x48 | (reg >= 8 ? 1 : 0), 0xb8 + (reg & 7));
    let v = BigInt.asUintN(64, value);
    for (let i = 0; i < 8; i++) { this.bytes.push(Number(v & 0xffn)); v >>= 8n; }
  }
  syscall(nr: number, ...args: Array<number | bigint>): void {
    this.movImm(RAX, BigInt(nr));
    args.forEach((a, i) => this.movImm(ARG_REGS[i], BigInt(a)));
    this.bytes.push(0x0f, 0x05);
  }
  /** or rbx, rax: accumulates failures for the Sentry to check at the first trap. */
  orRbxRax(): void { this.bytes.push(0x48, 0x09, 0xc3); }
  int3(): void { this.bytes.push(0xcc); }
}

// Classic BPF, as in <linux/filter.h> and <linux/seccomp.h>.
const BPF_LD_W_ABS = 0x20, BPF_JEQ_K = 0x15, BPF_RET_K = 0x06;
const SECCOMP_RET_KILL_PROCESS = 0x80000000, SECCOMP_RET_ALLOW = 0x7fff0000;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const SECCOMP_DATA_NR = 0, SECCOMP_DATA_ARCH = 4, SECCOMP_DATA_IP_LO = 8, SECCOMP_DATA_IP_HI = 12;

interface BpfInsn { code: number; jt: number; jf: number; k: number }

function seccompFilter(injectReturn: number, allowed: readonly number[]): BpfInsn[] {
  const prog: BpfInsn[] = [];
  const fixups: Array<{ at: number; onFalse: boolean; target: 'kill' | 'allow' }> = [];
  const ld = (k: number) => prog.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k });
  const requireEq = (k: number) => { fixups.push({ at: prog.length, onFalse: true, target: 'kill' }); prog.push({ code: BPF_JEQ_K, jt: 0, jf: 0, k: k >>> 0 }); };
  const allowIfEq = (k: number) => { fixups.push({ at: prog.length, onFalse: false, target: 'allow' }); prog.push({ code: BPF_JEQ_K, jt: 0, jf: 0, k }); };
  ld(SECCOMP_DATA_ARCH); requireEq(AUDIT_ARCH_X86_64);
  ld(SECCOMP_DATA_IP_LO); requireEq(injectReturn % 2 ** 32);
  ld(SECCOMP_DATA_IP_HI); requireEq(Math.floor(injectReturn / 2 ** 32));
  ld(SECCOMP_DATA_NR);
  for (const nr of allowed) allowIfEq(nr);
  const kill = prog.length; prog.push({ code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_KILL_PROCESS });
  const allow = prog.length; prog.push({ code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ALLOW });
  for (const f of fixups) {
    const offset = (f.target === 'kill' ? kill : allow) - f.at - 1;
    if (f.onFalse) prog[f.at].jf = offset; else prog[f.at].jt = offset;
  }
  return prog;
}

export interface StubImage {
  elf: Uint8Array;
  /** Address of the `syscall` instruction used for injection. */
  injectSyscall: number;
}

/** Emits a stub ELF. Pure: the same bytes for the same kind. */
export function buildStubElf(kind: StubKind = ADDRESS_SPACE_STUB): StubImage {
  const PR_SET_PDEATHSIG = 1, PR_SET_NO_NEW_PRIVS = 38, SIGKILL = 9;
  const SECCOMP_SET_MODE_FILTER = 1;
  // Two passes: the filter's address and the injection point depend on the
  // code's length, which does not depend on them (every immediate is 8 bytes).
  const emit = (injectSyscall: number, fprogAddr: number): CodeBuffer => {
    const c = new CodeBuffer();
    c.movImm(RBX, 0n);
    c.syscall(SYS.prctl, PR_SET_PDEATHSIG, SIGKILL);
    c.syscall(SYS.ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0); c.orRbxRax();
    c.syscall(SYS.close_range, 0, STUB_MEMFD - 1, 0);
    c.syscall(SYS.close_range, STUB_MEMFD + 1 + kind.extraFds, 0xffffffff, 0);
    c.syscall(SYS.munmap, 0, STUB_BASE); c.orRbxRax();
    c.syscall(SYS.munmap, STUB_BASE + STUB_SIZE, TASK_SIZE - STUB_BASE - STUB_SIZE); c.orRbxRax();
    c.syscall(SYS.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); c.orRbxRax();
    c.syscall(SYS.seccomp, SECCOMP_SET_MODE_FILTER, 0, BigInt(fprogAddr)); c.orRbxRax();
    c.int3();
    c.bytes.push(0x0f, 0x05); // the injection point: syscall; int3
    c.int3();
    return c;
  };
  const first = emit(0, 0);
  const codeLen = first.length;
  const injectSyscall = STUB_BASE + CODE_OFFSET + codeLen - 3;
  const filter = seccompFilter(injectSyscall + 2, kind.allow);
  const filterOffset = align(CODE_OFFSET + codeLen, 8);
  const fprogOffset = filterOffset + filter.length * 8;
  const code = emit(injectSyscall, STUB_BASE + fprogOffset).bytes;

  const size = fprogOffset + 16;
  const elf = new Uint8Array(size);
  const dv = new DataView(elf.buffer);
  encodeElf64ExecHeader(dv, STUB_BASE + CODE_OFFSET, 1);
  // The one PT_LOAD: the whole file, readable and executable.
  encodePtLoad(dv, 0, { flags: PF_R | PF_X, offset: 0, vaddr: STUB_BASE, filesz: size, memsz: STUB_SIZE });
  elf.set(code, CODE_OFFSET);
  filter.forEach((insn, i) => {
    const o = filterOffset + i * 8;
    dv.setUint16(o, insn.code, true); elf[o + 2] = insn.jt; elf[o + 3] = insn.jf; dv.setUint32(o + 4, insn.k, true);
  });
  dv.setUint16(fprogOffset, filter.length, true);
  dv.setBigUint64(fprogOffset + 8, BigInt(STUB_BASE + filterOffset), true);
  return { elf, injectSyscall };
}

function align(n: number, a: number): number { return Math.ceil(n / a) * a; }
