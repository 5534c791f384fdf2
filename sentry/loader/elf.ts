// Parsing ELF64 headers: pure functions over bytes, no I/O.
import {
  ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, ELF_MAGIC, ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_DYN, ET_EXEC, PT_INTERP, PT_LOAD,
} from '../../abi/linux/elf.js';

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfInfo {
  type: number;
  entry: number;
  phoff: number;
  phnum: number;
  phdrs: ProgramHeader[];
  /** Offset and size of the PT_INTERP path, if any. */
  interp: { offset: number; size: number } | null;
}

/** Parses the ELF header. `head` must hold the header (64 bytes). Returns info without phdrs, or an error string. */
export function parseElfHeader(head: Uint8Array): Omit<ElfInfo, 'phdrs' | 'interp'> | string {
  if (head.length < ELF64_EHDR_SIZE) return 'short header';
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (dv.getUint32(0, true) !== ELF_MAGIC) return 'bad magic';
  if (head[4] !== ELFCLASS64 || head[5] !== ELFDATA2LSB) return 'not ELF64 little-endian';
  const type = dv.getUint16(16, true);
  if (type !== ET_EXEC && type !== ET_DYN) return 'not an executable or shared object';
  if (dv.getUint16(18, true) !== EM_X86_64) return 'not x86-64';
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phentsize !== ELF64_PHDR_SIZE || phnum === 0 || phnum > 128) return 'bad program headers';
  return { type, entry: Number(dv.getBigUint64(24, true)), phoff: Number(dv.getBigUint64(32, true)), phnum };
}

/** Parses the program header table (`table` is phnum*56 bytes at phoff). */
export function parseProgramHeaders(table: Uint8Array, phnum: number): { phdrs: ProgramHeader[]; interp: ElfInfo['interp'] } | string {
  if (table.length < phnum * ELF64_PHDR_SIZE) return 'short program header table';
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const phdrs: ProgramHeader[] = [];
  let interp: ElfInfo['interp'] = null;
  for (let i = 0; i < phnum; i++) {
    const o = i * ELF64_PHDR_SIZE;
    const ph: ProgramHeader = {
      type: dv.getUint32(o, true),
      flags: dv.getUint32(o + 4, true),
      offset: Number(dv.getBigUint64(o + 8, true)),
      vaddr: Number(dv.getBigUint64(o + 16, true)),
      filesz: Number(dv.getBigUint64(o + 32, true)),
      memsz: Number(dv.getBigUint64(o + 40, true)),
      align: Number(dv.getBigUint64(o + 48, true)),
    };
    if (ph.type === PT_LOAD) {
      if (ph.filesz > ph.memsz) return 'PT_LOAD filesz > memsz';
      if (ph.vaddr % 4096 !== ph.offset % 4096) return 'PT_LOAD misaligned';
    }
    if (ph.type === PT_INTERP) {
      if (ph.filesz < 2 || ph.filesz > 4096) return 'bad PT_INTERP';
      interp = { offset: ph.offset, size: ph.filesz };
    }
    phdrs.push(ph);
  }
  if (!phdrs.some((p) => p.type === PT_LOAD)) return 'no PT_LOAD';
  return { phdrs, interp };
}
