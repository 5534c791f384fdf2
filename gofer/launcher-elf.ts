// The Gofer's launcher: a static x86-64 ELF of a few hundred bytes that
// runs a launch program (launch-program.ts) and, as its last step, execs
// Node. It replaces a whole Node start (stage 1 of the Gofer's
// confinement) on the sandbox's critical path. Our TypeScript emits its
// machine code, as platform/ptrace/stub-elf.ts does for the ptrace stub;
// `npm run build` writes it to dist/bundle/gofer-launcher.
//
// Usage: gofer-launcher <program file>. It reads the file into its buffer
// at PROGRAM_BASE, checks the header, then for each step loads the six
// arguments (dereferencing the indirect ones), makes the system call and
// stores the result in the step. A result in [-4095, -1] that the step does
// not tolerate ends the launcher: it writes the step's message and the
// errno in decimal to stderr and exits with LAUNCH_FAILED_EXIT. A program
// whose steps all succeed (one without execve) exits 0.
import { encodeElf64ExecHeader, encodePtLoad, PF_R, PF_W, PF_X } from '../abi/linux/elf.js';
import { SYS } from '../abi/linux/syscalls.js';
import { AT_FDCWD, O_CLOEXEC, O_RDONLY } from '../abi/linux/fcntl.js';
import { E } from '../abi/linux/errno.js';
import {
  HEADER_SIZE, PROGRAM_BASE, PROGRAM_MAGIC, PROGRAM_MAX, STEP_ARGS, STEP_INDIRECT, STEP_MESSAGE, STEP_MESSAGE_LEN, STEP_NR,
  STEP_RESULT, STEP_SIZE, STEP_TOLERATE, MAX_TOLERATED_ERRNO,
} from './launch-program.js';

/**
 * The launcher's exit status when a step fails (sysexits' EX_OSERR: a
 * system call failed). Node never exits with it on its own, so runsc can
 * tell a launch failure from the Gofer's.
 */
export const LAUNCH_FAILED_EXIT = 71;

const TEXT_BASE = 0x40_0000;
const DATA_BASE = 0x60_0000;
/** Where the launcher's own messages and digit buffer start in the file (and, plus DATA_BASE, in memory). */
const HEADERS_SIZE = 64 + 2 * 56;

// Register numbers in x86-64 encodings.
const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7, R8 = 8, R9 = 9, R10 = 10, R12 = 12, R13 = 13, R14 = 14, R15 = 15;
const ARG_REGS = [RDI, RSI, RDX, R10, R8, R9];
// Condition codes for jcc.
const CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5, CC_A = 0x7;

/** Just the instructions the launcher needs; every jump is rel32, every immediate 64-bit, so sizes never depend on values. */
class Asm {
  readonly bytes: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: Array<{ at: number; label: string }> = [];

  private rex(w: boolean, reg: number, rm: number): void {
    const r = 0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0);
    if (r !== 0x40) this.bytes.push(r);
  }
  private modrm(mod: number, reg: number, rm: number): void { this.bytes.push((mod << 6) | ((reg & 7) << 3) | (rm & 7)); }
  private imm32(v: number): void { for (let i = 0; i < 4; i++) this.bytes.push((v >>> (8 * i)) & 0xff); }

  label(name: string): this { this.labels.set(name, this.bytes.length); return this; }
  /** mov reg, imm64 */
  movImm(reg: number, value: bigint | number): this {
    this.rex(true, 0, reg); this.bytes.push(0xb8 + (reg & 7));
    let v = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 8; i++) { this.bytes.push(Number(v & 0xffn)); v >>= 8n; }
    return this;
  }
  /** mov dst, [base + disp] (base is neither rsp nor r12, which would need a SIB byte). */
  load(dst: number, base: number, disp: number): this {
    if ((base & 7) === RSP) throw new Error('load: base needs a SIB byte');
    this.rex(true, dst, base); this.bytes.push(0x8b); this.mem(dst, base, disp);
    return this;
  }
  /** mov [base + disp], src */
  store(base: number, disp: number, src: number): this {
    if ((base & 7) === RSP) throw new Error('store: base needs a SIB byte');
    this.rex(true, src, base); this.bytes.push(0x89); this.mem(src, base, disp);
    return this;
  }
  private mem(reg: number, base: number, disp: number): void {
    if (disp >= -128 && disp <= 127) { this.modrm(1, reg, base); this.bytes.push(disp & 0xff); } else { this.modrm(2, reg, base); this.imm32(disp); }
  }
  /** mov rsi, [rsp + 16]: argv[1] at process entry. */
  loadArgv1IntoRsi(): this { this.bytes.push(0x48, 0x8b, 0x74, 0x24, 0x10); return this; }
  mov(dst: number, src: number): this { this.rex(true, src, dst); this.bytes.push(0x89); this.modrm(3, src, dst); return this; }
  add(dst: number, src: number): this { this.rex(true, src, dst); this.bytes.push(0x01); this.modrm(3, src, dst); return this; }
  sub(dst: number, src: number): this { this.rex(true, src, dst); this.bytes.push(0x29); this.modrm(3, src, dst); return this; }
  test(a: number, b: number): this { this.rex(true, b, a); this.bytes.push(0x85); this.modrm(3, b, a); return this; }
  cmp(a: number, b: number): this { this.rex(true, b, a); this.bytes.push(0x39); this.modrm(3, b, a); return this; }
  /** test reg32, imm32 */
  testImm(reg: number, imm: number): this { this.rex(false, 0, reg); this.bytes.push(0xf7); this.modrm(3, 0, reg); this.imm32(imm); return this; }
  /** cmp reg, simm8 */
  cmpImm8(reg: number, imm: number): this { this.rex(true, 0, reg); this.bytes.push(0x83); this.modrm(3, 7, reg); this.bytes.push(imm & 0xff); return this; }
  /** add reg, simm8 */
  addImm8(reg: number, imm: number): this { this.rex(true, 0, reg); this.bytes.push(0x83); this.modrm(3, 0, reg); this.bytes.push(imm & 0xff); return this; }
  /** cmp rax, simm32 */
  cmpRaxImm32(imm: number): this { this.bytes.push(0x48, 0x3d); this.imm32(imm); return this; }
  neg(reg: number): this { this.rex(true, 0, reg); this.bytes.push(0xf7); this.modrm(3, 3, reg); return this; }
  dec(reg: number): this { this.rex(true, 0, reg); this.bytes.push(0xff); this.modrm(3, 1, reg); return this; }
  /** bt base, bit: CF = bit `bit` of `base`. */
  bt(base: number, bit: number): this { this.rex(true, bit, base); this.bytes.push(0x0f, 0xa3); this.modrm(3, bit, base); return this; }
  /** xor edx, edx; div rcx: rax = rdx:rax / rcx, rdx = remainder. */
  divRaxBy(reg: number): this { this.bytes.push(0x31, 0xd2); this.rex(true, 0, reg); this.bytes.push(0xf7); this.modrm(3, 6, reg); return this; }
  /** add dl, '0'; dec rsi; mov [rsi], dl */
  pushDigitDl(): this { this.bytes.push(0x80, 0xc2, 0x30, 0x48, 0xff, 0xce, 0x88, 0x16); return this; }
  syscall(): this { this.bytes.push(0x0f, 0x05); return this; }
  jcc(cc: number, label: string): this { this.bytes.push(0x0f, 0x80 | cc); this.ref(label); return this; }
  jmp(label: string): this { this.bytes.push(0xe9); this.ref(label); return this; }
  private ref(label: string): void { this.fixups.push({ at: this.bytes.length, label }); this.imm32(0); }

  resolve(): number[] {
    for (const f of this.fixups) {
      const target = this.labels.get(f.label);
      if (target === undefined) throw new Error(`undefined label ${f.label}`);
      const rel = target - (f.at + 4);
      for (let i = 0; i < 4; i++) this.bytes[f.at + i] = (rel >>> (8 * i)) & 0xff;
    }
    return this.bytes;
  }
}

/** The launcher's own failures, before any step runs: laid out as steps so one error path serves all. */
const OWN_MESSAGES = {
  open: 'runsc: gofer launcher: opening the launch program: errno ',
  read: 'runsc: gofer launcher: reading the launch program: errno ',
  format: 'runsc: gofer launcher: not a launch program of this version: errno ',
  size: 'runsc: gofer launcher: launch program too large: errno ',
} as const;
type OwnFailure = keyof typeof OWN_MESSAGES;
const DIGITS = 24;

interface DataLayout {
  /** Address of the pseudo-step whose message describes each own failure. */
  record: Record<OwnFailure, number>;
  /** The byte after the digit buffer holds '\n'. */
  digitsEnd: number;
  bytes: Uint8Array;
}

function layoutData(fileOffset: number): DataLayout {
  const enc = new TextEncoder();
  const names = Object.keys(OWN_MESSAGES) as OwnFailure[];
  const texts = names.map((n) => enc.encode(OWN_MESSAGES[n]));
  const recordsSize = names.length * STEP_SIZE;
  const textSize = texts.reduce((n, t) => n + t.length, 0);
  const bytes = new Uint8Array(recordsSize + textSize + DIGITS + 1);
  const dv = new DataView(bytes.buffer);
  const base = DATA_BASE + fileOffset;
  const record = {} as Record<OwnFailure, number>;
  let text = recordsSize;
  names.forEach((n, i) => {
    record[n] = base + i * STEP_SIZE;
    dv.setBigUint64(i * STEP_SIZE + STEP_MESSAGE, BigInt(base + text), true);
    dv.setBigUint64(i * STEP_SIZE + STEP_MESSAGE_LEN, BigInt(texts[i].length), true);
    bytes.set(texts[i], text);
    text += texts[i].length;
  });
  bytes[bytes.length - 1] = 0x0a;
  return { record, digitsEnd: base + bytes.length - 1, bytes };
}

function emitCode(d: DataLayout): number[] {
  const a = new Asm();
  const failWith = (what: OwnFailure, errno?: number) => {
    if (errno !== undefined) a.movImm(RAX, -errno);
    a.movImm(RBP, d.record[what]).jmp('fail');
  };
  // Register use: rbp the current step (or own-failure record), r13 the
  // steps left, r14 the read cursor, r15 the program's fd. rcx and r11 are
  // clobbered by every syscall.
  a.loadArgv1IntoRsi().movImm(RDI, AT_FDCWD).movImm(RDX, O_RDONLY | O_CLOEXEC).movImm(RAX, SYS.openat).syscall();
  a.cmpRaxImm32(-4095).jcc(CC_B, 'opened');
  failWith('open');
  a.label('opened').mov(R15, RAX).movImm(R14, PROGRAM_BASE);
  a.label('read').mov(RDI, R15).mov(RSI, R14).movImm(RDX, PROGRAM_BASE + PROGRAM_MAX).sub(RDX, R14).jcc(CC_E, 'too-large');
  a.movImm(RAX, SYS.read).syscall();
  a.cmpRaxImm32(-4095).jcc(CC_B, 'read-ok');
  failWith('read');
  a.label('read-ok').test(RAX, RAX).jcc(CC_E, 'read-done').add(R14, RAX).jmp('read');
  a.label('too-large');
  failWith('size', E.EFBIG);
  a.label('read-done').mov(RDI, R15).movImm(RAX, SYS.close).syscall();
  // The header: magic, and a size equal to what was read (a short file is not run in part).
  a.movImm(RBX, PROGRAM_BASE).load(RCX, RBX, 0).movImm(RDX, PROGRAM_MAGIC).cmp(RCX, RDX).jcc(CC_NE, 'bad-format');
  a.load(RCX, RBX, 16).add(RCX, RBX).cmp(RCX, R14).jcc(CC_NE, 'bad-format');
  a.load(R13, RBX, 8).movImm(RBP, PROGRAM_BASE + HEADER_SIZE);

  a.label('step').test(R13, R13).jcc(CC_E, 'done');
  a.load(RBX, RBP, STEP_INDIRECT);
  ARG_REGS.forEach((reg, i) => {
    a.load(reg, RBP, STEP_ARGS + 8 * i).testImm(RBX, 1 << i).jcc(CC_E, `arg${i}-direct`).load(reg, reg, 0).label(`arg${i}-direct`);
  });
  a.load(RAX, RBP, STEP_NR).syscall().store(RBP, STEP_RESULT, RAX);
  a.cmpRaxImm32(-4095).jcc(CC_B, 'next');
  // Failed: go on only if the errno's bit is set in the step's mask.
  a.mov(RCX, RAX).neg(RCX).cmpImm8(RCX, MAX_TOLERATED_ERRNO).jcc(CC_A, 'fail');
  a.load(RDX, RBP, STEP_TOLERATE).bt(RDX, RCX).jcc(CC_AE, 'fail');
  a.label('next').addImm8(RBP, STEP_SIZE).dec(R13).jmp('step');
  a.label('done').movImm(RDI, 0).movImm(RAX, SYS.exit_group).syscall();

  a.label('bad-format');
  failWith('format', E.EINVAL);
  // rax = -errno, rbp = the step: "<message><errno>\n" on stderr, then exit.
  a.label('fail').mov(R12, RAX).neg(R12);
  a.movImm(RDI, 2).load(RSI, RBP, STEP_MESSAGE).load(RDX, RBP, STEP_MESSAGE_LEN).movImm(RAX, SYS.write).syscall();
  a.mov(RAX, R12).movImm(RSI, d.digitsEnd).movImm(RCX, 10);
  a.label('digit').divRaxBy(RCX).pushDigitDl().test(RAX, RAX).jcc(CC_NE, 'digit');
  a.movImm(RDX, d.digitsEnd + 1).sub(RDX, RSI).movImm(RDI, 2).movImm(RAX, SYS.write).syscall();
  a.movImm(RDI, LAUNCH_FAILED_EXIT).movImm(RAX, SYS.exit_group).syscall();
  return a.resolve();
}

/** Emits the launcher ELF. Pure: always the same bytes. */
export function buildLauncherElf(): Uint8Array {
  // Two passes: the data's addresses depend on the code's length, which does not depend on them.
  const codeLen = emitCode(layoutData(0)).length;
  const dataOffset = align(HEADERS_SIZE + codeLen, 16);
  const data = layoutData(dataOffset);
  const code = emitCode(data);
  if (code.length !== codeLen) throw new Error('launcher code changed length between passes');
  const fileSize = dataOffset + data.bytes.length;
  if (DATA_BASE + fileSize > PROGRAM_BASE) throw new Error('launcher data overlaps the program buffer');

  const elf = new Uint8Array(fileSize);
  const dv = new DataView(elf.buffer);
  encodeElf64ExecHeader(dv, TEXT_BASE + HEADERS_SIZE, 2);
  // Text: headers and code, read and execute.
  encodePtLoad(dv, 0, { flags: PF_R | PF_X, offset: 0, vaddr: TEXT_BASE, filesz: HEADERS_SIZE + codeLen, memsz: HEADERS_SIZE + codeLen });
  // Data: the own messages and digit buffer from the file, then the zero-filled program buffer.
  encodePtLoad(dv, 1, { flags: PF_R | PF_W, offset: dataOffset, vaddr: DATA_BASE + dataOffset, filesz: data.bytes.length,
    memsz: PROGRAM_BASE + PROGRAM_MAX - (DATA_BASE + dataOffset) });
  elf.set(code, HEADERS_SIZE);
  elf.set(data.bytes, dataOffset);
  return elf;
}

function align(n: number, a: number): number { return Math.ceil(n / a) * a; }
