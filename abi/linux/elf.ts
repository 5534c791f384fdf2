// <elf.h>: the parts of ELF64 the loader reads, and the auxv tags it writes.
export const ELF_MAGIC = 0x464c457f;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EM_X86_64 = 62;
export const ET_EXEC = 2;
export const ET_DYN = 3;

export const PT_LOAD = 1;
export const PT_INTERP = 3;
export const PT_PHDR = 6;
export const PT_GNU_STACK = 0x6474e551;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const ELF64_EHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;

export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_EXECFN = 31;
export const AT_SYSINFO_EHDR = 33;
export const AT_MINSIGSTKSZ = 51;

/** Writes the ELF64 header of a little-endian x86-64 ET_EXEC file with phnum program headers right after it. */
export function encodeElf64ExecHeader(dv: DataView, entry: number, phnum: number): void {
  dv.setUint32(0, ELF_MAGIC, true);
  dv.setUint8(4, ELFCLASS64);
  dv.setUint8(5, ELFDATA2LSB);
  dv.setUint8(6, 1);                                 // EI_VERSION
  dv.setUint16(16, ET_EXEC, true);
  dv.setUint16(18, EM_X86_64, true);
  dv.setUint32(20, 1, true);                         // e_version
  dv.setBigUint64(24, BigInt(entry), true);
  dv.setBigUint64(32, BigInt(ELF64_EHDR_SIZE), true); // e_phoff
  dv.setUint16(52, ELF64_EHDR_SIZE, true);
  dv.setUint16(54, ELF64_PHDR_SIZE, true);
  dv.setUint16(56, phnum, true);
  dv.setUint16(58, 64, true);                        // e_shentsize
}

/** Writes program header `index` as a PT_LOAD of the file's [offset, offset+filesz) at vaddr, memsz long, page aligned. */
export function encodePtLoad(dv: DataView, index: number, seg: { flags: number; offset: number; vaddr: number; filesz: number; memsz: number }): void {
  const at = ELF64_EHDR_SIZE + index * ELF64_PHDR_SIZE;
  dv.setUint32(at, PT_LOAD, true);
  dv.setUint32(at + 4, seg.flags, true);
  dv.setBigUint64(at + 8, BigInt(seg.offset), true);
  dv.setBigUint64(at + 16, BigInt(seg.vaddr), true);  // p_vaddr
  dv.setBigUint64(at + 24, BigInt(seg.vaddr), true);  // p_paddr
  dv.setBigUint64(at + 32, BigInt(seg.filesz), true);
  dv.setBigUint64(at + 40, BigInt(seg.memsz), true);
  dv.setBigUint64(at + 48, 0x1000n, true);            // p_align
}
