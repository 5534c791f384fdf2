// A launch program: a list of system calls, computed in full by runsc (in
// Node, as root) and executed one by one by the launcher (launcher-elf.ts),
// a tiny static ELF that has no parser, no allocator and no libc. Everything
// that needs judgement (which paths, which flags, which mounts to detach,
// which errors are harmless) is decided here, in TypeScript; the launcher
// only loads arguments, makes the call and checks the result.
//
// Encoding (little-endian, loaded by the launcher at PROGRAM_BASE, so every
// pointer in it is absolute):
//
//   header   magic u64, step count u64, total size u64, reserved u64
//   steps    STEP_SIZE bytes each:
//              nr u64, indirect mask u64, args[6] u64,
//              tolerated-errno mask u64, message pointer u64, message length u64,
//              result u64 (written by the launcher)
//   data     strings, structs and pointer arrays the steps point into
//
// An argument whose bit is set in the indirect mask is the address of an
// earlier step's result slot: that is how an fd returned by open_tree
// reaches move_mount. Bit e of the tolerated mask lets the step fail with
// errno e (e < 64) and the program go on.

/** Where the launcher loads the program: the start of its zero-filled data (see launcher-elf.ts). */
export const PROGRAM_BASE = 0x0060_1000;
/** The most a program may hold: the size of the launcher's buffer. */
export const PROGRAM_MAX = 1 << 20;
/** "TSVLNCH1": guards against running something that is not a program of this version. */
export const PROGRAM_MAGIC = 0x3148_434e_4c56_5354n;
export const HEADER_SIZE = 32;
export const STEP_SIZE = 96;
// Offsets of a step's fields.
export const STEP_NR = 0;
export const STEP_INDIRECT = 8;
export const STEP_ARGS = 16;
export const STEP_TOLERATE = 64;
export const STEP_MESSAGE = 72;
export const STEP_MESSAGE_LEN = 80;
export const STEP_RESULT = 88;
/** Bits of the tolerated-errno mask: errno values from 1 to 63. */
export const MAX_TOLERATED_ERRNO = 63;

/** A place in the program's data area; an argument holding it becomes a pointer. */
export class DataRef {
  constructor(readonly offset: number) {}
  get address(): number { return PROGRAM_BASE + this.offset; }
}

/** An earlier step; an argument holding it becomes that step's result. */
export class StepRef {
  constructor(readonly index: number) {}
  get resultAddress(): number { return PROGRAM_BASE + HEADER_SIZE + this.index * STEP_SIZE + STEP_RESULT; }
}

/**
 * The 64 bits at a place in the data area, read when the step runs: how a
 * value a system call wrote there (socketpair's two fds) reaches a later
 * step. A system call taking an int uses the low 32 bits, so the second fd
 * of a pair is read 4 bytes on.
 */
export class DataValue {
  constructor(readonly ref: DataRef, readonly byteOffset = 0) {}
}

export type LaunchArg = number | bigint | DataRef | StepRef | DataValue;

export interface LaunchStep {
  /** What the step does, for the error message: "runsc: gofer confinement: <what>: errno <n>". */
  what: string;
  nr: number;
  args: readonly LaunchArg[];
  tolerate: readonly number[];
}

export class LaunchProgramError extends Error {}

const encoder = new TextEncoder();

/** Builds a launch program step by step, then encodes it for the launcher. */
export class LaunchProgram {
  private readonly stepList: LaunchStep[] = [];
  private readonly messages: Array<{ ref: DataRef; length: number }> = [];
  private readonly chunks: Array<{ offset: number; bytes: Uint8Array }> = [];
  /** Data offsets are relative to the data area until encode() places it after the steps. */
  private dataSize = 0;
  private readonly pendingPointers: Array<{ chunk: number; at: number; ref: DataRef }> = [];

  constructor(private readonly messagePrefix = 'runsc: gofer confinement: ') {}

  get steps(): readonly LaunchStep[] { return this.stepList; }

  /** A NUL-terminated string in the data area. */
  string(s: string): DataRef {
    const b = encoder.encode(s);
    if (b.includes(0)) throw new LaunchProgramError(`string with a NUL byte: ${JSON.stringify(s)}`);
    const out = new Uint8Array(b.length + 1);
    out.set(b);
    return this.bytes(out);
  }

  /** Raw bytes in the data area, 8-byte aligned. */
  bytes(b: Uint8Array): DataRef {
    const ref = new DataRef(this.dataSize);
    this.chunks.push({ offset: this.dataSize, bytes: b });
    this.dataSize = align8(this.dataSize + b.length);
    return ref;
  }

  /** 64-bit words in the data area (a struct, or a pointer array when some are DataRefs). */
  words(values: ReadonlyArray<number | bigint | DataRef>): DataRef {
    const bytes = new Uint8Array(values.length * 8);
    const dv = new DataView(bytes.buffer);
    const chunk = this.chunks.length;
    values.forEach((v, i) => {
      if (v instanceof DataRef) this.pendingPointers.push({ chunk, at: i * 8, ref: v });
      else dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(v)), true);
    });
    return this.bytes(bytes);
  }

  /** A NULL-terminated array of string pointers, as execve(2) takes argv and envp. */
  stringArray(strings: readonly string[]): DataRef {
    return this.words([...strings.map((s) => this.string(s)), 0]);
  }

  /** Appends a system call. `tolerate` lists errno values after which the program goes on. */
  step(what: string, nr: number, args: readonly LaunchArg[] = [], tolerate: readonly number[] = []): StepRef {
    if (args.length > 6) throw new LaunchProgramError(`${what}: more than 6 arguments`);
    for (const a of args) {
      if (a instanceof StepRef && a.index >= this.stepList.length) throw new LaunchProgramError(`${what}: uses the result of a later step`);
    }
    for (const e of tolerate) {
      if (!Number.isInteger(e) || e < 1 || e > MAX_TOLERATED_ERRNO) throw new LaunchProgramError(`${what}: cannot tolerate errno ${e}`);
    }
    const message = encoder.encode(`${this.messagePrefix}${what}: errno `);
    this.messages.push({ ref: this.string(`${this.messagePrefix}${what}: errno `), length: message.length });
    this.stepList.push({ what, nr, args: [...args], tolerate: [...tolerate] });
    return new StepRef(this.stepList.length - 1);
  }

  /** The bytes the launcher reads. Data offsets become absolute addresses here. */
  encode(): Uint8Array {
    const dataStart = HEADER_SIZE + this.stepList.length * STEP_SIZE;
    const total = dataStart + this.dataSize;
    if (total > PROGRAM_MAX) throw new LaunchProgramError(`launch program of ${total} bytes exceeds ${PROGRAM_MAX}`);
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    const addr = (ref: DataRef) => BigInt(PROGRAM_BASE + dataStart + ref.offset);
    dv.setBigUint64(0, PROGRAM_MAGIC, true);
    dv.setBigUint64(8, BigInt(this.stepList.length), true);
    dv.setBigUint64(16, BigInt(total), true);
    this.stepList.forEach((s, i) => {
      const at = HEADER_SIZE + i * STEP_SIZE;
      let indirect = 0;
      dv.setBigUint64(at + STEP_NR, BigInt(s.nr), true);
      s.args.forEach((a, j) => {
        let v: bigint;
        if (a instanceof DataRef) v = addr(a);
        else if (a instanceof StepRef) { v = BigInt(a.resultAddress); indirect |= 1 << j; } else if (a instanceof DataValue) { v = addr(a.ref) + BigInt(a.byteOffset); indirect |= 1 << j; } else v = BigInt.asUintN(64, BigInt(a));
        dv.setBigUint64(at + STEP_ARGS + 8 * j, v, true);
      });
      dv.setBigUint64(at + STEP_INDIRECT, BigInt(indirect), true);
      dv.setBigUint64(at + STEP_TOLERATE, s.tolerate.reduce((m, e) => m | (1n << BigInt(e)), 0n), true);
      dv.setBigUint64(at + STEP_MESSAGE, addr(this.messages[i].ref), true);
      dv.setBigUint64(at + STEP_MESSAGE_LEN, BigInt(this.messages[i].length), true);
    });
    for (const c of this.chunks) out.set(c.bytes, dataStart + c.offset);
    for (const p of this.pendingPointers) dv.setBigUint64(dataStart + this.chunks[p.chunk].offset + p.at, addr(p.ref), true);
    return out;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
