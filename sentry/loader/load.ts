// Loading an ELF executable (and its PT_INTERP) into a fresh address space,
// and building the initial stack: argc, argv, envp, auxv, as Linux lays it out.
import { E } from '../../abi/linux/errno.js';
import * as elf from '../../abi/linux/elf.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PAGE_SIZE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, pageRoundDown, pageRoundUp } from '../../abi/linux/mman.js';
import type { AddressSpace } from '../mm/address-space.js';
import type { MappableFile } from '../mm/vma.js';
import { parseElfHeader, parseProgramHeaders, type ProgramHeader } from './elf.js';
import { stringToBytes } from '../mm/address-space.js';

/** Where a PIE executable goes, as Linux's ELF_ET_DYN_BASE. */
export const ET_DYN_BASE = 0x5555_5555_4000;
export const STACK_SIZE = 8 << 20;

export interface LoadedImage {
  entry: number;
  stackPointer: number;
}

export interface ExecContext {
  argv: string[];
  envp: string[];
  execfn: string;
  uid: number; gid: number; euid: number; egid: number;
  /** AT_SECURE: the exec changed the effective ids (a set-user-ID or set-group-ID file). */
  secure: boolean;
  /** Host AT_HWCAP/AT_HWCAP2/AT_MINSIGSTKSZ values to pass on. */
  hwcap: number; hwcap2: number; minsigstksz: number;
  random: Uint8Array;
}

interface MappedElf { bias: number; entry: number; phdrAddr: number; phnum: number; end: number }

export type OpenForExec = (path: string) => MappableFile | number;

function protOf(flags: number): number {
  return (flags & elf.PF_R ? PROT_READ : 0) | (flags & elf.PF_W ? PROT_WRITE : 0) | (flags & elf.PF_X ? PROT_EXEC : 0);
}

function readExact(file: MappableFile, offset: number, length: number): Uint8Array | number {
  const buf = new Uint8Array(length);
  const n = file.readInto(offset, buf);
  if (n < 0) return n;
  if (n < length) return -E.ENOEXEC;
  return buf;
}

/** Reads and checks the headers. -ENOEXEC for anything malformed. */
export function readElf(file: MappableFile): { type: number; entry: number; phoff: number; phnum: number; phdrs: ProgramHeader[]; interpPath: string | null } | number {
  const head = readExact(file, 0, elf.ELF64_EHDR_SIZE);
  if (typeof head === 'number') return head;
  const h = parseElfHeader(head);
  if (typeof h === 'string') return -E.ENOEXEC;
  const table = readExact(file, h.phoff, h.phnum * elf.ELF64_PHDR_SIZE);
  if (typeof table === 'number') return table;
  const p = parseProgramHeaders(table, h.phnum);
  if (typeof p === 'string') return -E.ENOEXEC;
  let interpPath: string | null = null;
  if (p.interp) {
    const raw = readExact(file, p.interp.offset, p.interp.size);
    if (typeof raw === 'number') return raw;
    const nul = raw.indexOf(0);
    interpPath = Buffer.from(raw.subarray(0, nul < 0 ? raw.length : nul)).toString('latin1');
  }
  return { ...h, phdrs: p.phdrs, interpPath };
}

function mapElf(mm: AddressSpace, file: MappableFile, info: Exclude<ReturnType<typeof readElf>, number>, isInterp: boolean): MappedElf | number {
  const loads = info.phdrs.filter((p) => p.type === elf.PT_LOAD);
  const lo = pageRoundDown(Math.min(...loads.map((p) => p.vaddr)));
  const hi = pageRoundUp(Math.max(...loads.map((p) => p.vaddr + p.memsz)));
  let bias = 0;
  if (info.type === elf.ET_DYN) {
    // Reserve the whole span first so the segments land together.
    const want = isInterp ? 0 : ET_DYN_BASE;
    const base = mm.mmap({ addr: want, length: hi - lo, prot: PROT_NONE, flags: MAP_PRIVATE | MAP_ANONYMOUS });
    if (base < 0) return base;
    bias = base - lo;
  }
  for (const ph of loads) {
    const start = pageRoundDown(ph.vaddr) + bias;
    const fileEnd = ph.vaddr + ph.filesz + bias;
    const memEnd = ph.vaddr + ph.memsz + bias;
    const prot = protOf(ph.flags);
    if (ph.filesz > 0) {
      const length = pageRoundUp(fileEnd) - start;
      const r = mm.mmap({ addr: start, length, prot, flags: MAP_PRIVATE | MAP_FIXED, file, offset: pageRoundDown(ph.offset) });
      if (r < 0) return r;
      // With a bss, the rest of the last file page reads as zero, as Linux's padzero leaves it:
      // ld.so's early allocator hands out that tail and counts on it.
      if (memEnd > fileEnd && fileEnd % PAGE_SIZE !== 0) mm.zeroForLoader(fileEnd, pageRoundUp(fileEnd) - fileEnd);
    }
    const anonStart = ph.filesz > 0 ? pageRoundUp(fileEnd) : start;
    if (pageRoundUp(memEnd) > anonStart) {
      const r = mm.mmap({ addr: anonStart, length: pageRoundUp(memEnd) - anonStart, prot, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED });
      if (r < 0) return r;
    }
  }
  // AT_PHDR: PT_PHDR if present, else the phdrs inside the first segment that maps file offset phoff.
  const phdrSeg = info.phdrs.find((p) => p.type === elf.PT_PHDR);
  let phdrAddr = 0;
  if (phdrSeg) phdrAddr = phdrSeg.vaddr + bias;
  else {
    const seg = loads.find((p) => p.offset <= info.phoff && info.phoff < p.offset + p.filesz);
    if (seg) phdrAddr = seg.vaddr + (info.phoff - seg.offset) + bias;
  }
  return { bias, entry: info.entry + bias, phdrAddr, phnum: info.phnum, end: hi + bias };
}

/**
 * Loads the executable at `file` into mm (which must be empty) and builds the
 * stack. Returns the entry point and stack pointer, or -errno.
 */
export function loadExecutable(mm: AddressSpace, file: MappableFile, open: OpenForExec, ctx: ExecContext): LoadedImage | number {
  const info = readElf(file);
  if (typeof info === 'number') return info;
  const main = mapElf(mm, file, info, false);
  if (typeof main === 'number') return main;
  let interpBase = 0;
  let entry = main.entry;
  if (info.interpPath !== null) {
    const interpFile = open(info.interpPath);
    if (typeof interpFile === 'number') return interpFile;
    const interpInfo = readElf(interpFile);
    if (typeof interpInfo === 'number') return interpInfo;
    if (interpInfo.interpPath !== null) return -E.ELIBBAD;
    const interp = mapElf(mm, interpFile, interpInfo, true);
    if (typeof interp === 'number') return interp;
    interpBase = interp.bias;
    entry = interp.entry;
  }
  mm.brkStart = mm.brkEnd = main.end;

  const stackTop = mm.mmapTop + 0x1000_0000; // above the mmap area, below the limit
  const stackBase = mm.mmap({ addr: stackTop - STACK_SIZE, length: STACK_SIZE, prot: PROT_READ | PROT_WRITE,
    flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, label: '[stack]' });
  if (stackBase < 0) return stackBase;

  const auxv: Array<[number, number]> = [
    [elf.AT_PHDR, main.phdrAddr], [elf.AT_PHENT, elf.ELF64_PHDR_SIZE], [elf.AT_PHNUM, main.phnum],
    [elf.AT_PAGESZ, PAGE_SIZE], [elf.AT_BASE, interpBase], [elf.AT_FLAGS, 0], [elf.AT_ENTRY, main.entry],
    [elf.AT_UID, ctx.uid], [elf.AT_EUID, ctx.euid], [elf.AT_GID, ctx.gid], [elf.AT_EGID, ctx.egid],
    [elf.AT_HWCAP, ctx.hwcap], [elf.AT_HWCAP2, ctx.hwcap2], [elf.AT_CLKTCK, 100], [elf.AT_SECURE, ctx.secure ? 1 : 0],
    [elf.AT_MINSIGSTKSZ, ctx.minsigstksz],
  ];
  const sp = buildStack(mm, stackTop, ctx, auxv);
  if (sp < 0) return sp;
  return { entry, stackPointer: sp };
}

/** Writes strings, auxv, envp, argv and argc below top. Returns the new stack pointer. */
function buildStack(mm: AddressSpace, top: number, ctx: ExecContext, auxv: Array<[number, number]>): number {
  let sp = top;
  const pushBytes = (b: Uint8Array): number => { sp -= b.length; return mm.copyOutFull(sp, b) < 0 ? -E.EFAULT : sp; };
  const pushString = (s: string): number => pushBytes(Buffer.concat([stringToBytes(s), Buffer.of(0)]));
  // Linux's layout: a NULL word at the very top, then the exec'd path, then the
  // envp strings and below them the argv strings, each block in ascending
  // order (argv[0] lowest). libuv's process title (Node's process.title)
  // takes argv[argc-1]'s end minus argv[0] as the argv area's size.
  const pushStrings = (list: string[]): number[] | number => {
    const parts = list.map((x) => Buffer.concat([stringToBytes(x), Buffer.of(0)]));
    const base = pushBytes(Buffer.concat(parts));
    if (base < 0) return base;
    let at = base;
    return parts.map((b) => { const a = at; at += b.length; return a; });
  };
  sp -= 8;
  const execfn = pushString(ctx.execfn);
  const envAddrs = pushStrings(ctx.envp);
  const argAddrs = pushStrings(ctx.argv);
  const platform = pushString('x86_64');
  if (typeof envAddrs === 'number' || typeof argAddrs === 'number' || execfn < 0 || platform < 0) return -E.EFAULT;
  sp -= sp % 16;
  const random = pushBytes(ctx.random.subarray(0, 16));
  auxv.push([elf.AT_RANDOM, random], [elf.AT_EXECFN, execfn], [elf.AT_PLATFORM, platform], [elf.AT_NULL, 0]);
  const words = 1 + argAddrs.length + 1 + envAddrs.length + 1 + auxv.length * 2;
  sp -= sp % 16;
  sp -= words * 8;
  sp -= sp % 16;
  const table = new DataView(new ArrayBuffer(words * 8));
  let i = 0;
  const put = (v: number): void => { table.setBigUint64(8 * i++, BigInt(v), true); };
  put(ctx.argv.length);
  for (const a of argAddrs) put(a);
  put(0);
  for (const e of envAddrs) put(e);
  put(0);
  for (const [k, v] of auxv) { put(k); put(v); }
  if (mm.copyOutFull(sp, new Uint8Array(table.buffer)) < 0) return -E.EFAULT;
  return sp;
}
