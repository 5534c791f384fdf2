import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PT_INTERP, PT_LOAD, ET_DYN, ET_EXEC } from '../../abi/linux/elf.js';
import { parseElfHeader, parseProgramHeaders } from './elf.js';
import { buildStubElf } from '../../platform/ptrace/stub-elf.js';

function header(bytes: Uint8Array) {
  const h = parseElfHeader(bytes);
  if (typeof h === 'string') throw new Error(h);
  return h;
}

describe('ELF header parsing', () => {
  it('reads the stub ELF we emit: one PT_LOAD, ET_EXEC', () => {
    const { elf } = buildStubElf();
    const h = header(elf);
    expect(h.type).toBe(ET_EXEC);
    const p = parseProgramHeaders(elf.subarray(h.phoff), h.phnum);
    if (typeof p === 'string') throw new Error(p);
    expect(p.phdrs.map((x) => x.type)).toEqual([PT_LOAD]);
    expect(p.interp).toBeNull();
  });

  it('reads a PIE with PT_INTERP (the host /bin/ls)', () => {
    let bytes: Uint8Array;
    try { bytes = readFileSync('/bin/ls'); } catch { return; }
    const h = header(bytes);
    expect(h.type).toBe(ET_DYN);
    const p = parseProgramHeaders(bytes.subarray(h.phoff), h.phnum);
    if (typeof p === 'string') throw new Error(p);
    expect(p.interp).not.toBeNull();
    expect(p.phdrs.some((x) => x.type === PT_INTERP)).toBe(true);
  });

  const good = buildStubElf().elf;
  const corrupt: Array<{ name: string; edit: (b: Uint8Array) => Uint8Array; want: RegExp }> = [
    { name: 'short', edit: (b) => b.subarray(0, 20), want: /short/ },
    { name: 'bad magic', edit: (b) => { b[1] = 0; return b; }, want: /magic/ },
    { name: '32-bit class', edit: (b) => { b[4] = 1; return b; }, want: /ELF64/ },
    { name: 'big endian', edit: (b) => { b[5] = 2; return b; }, want: /little-endian/ },
    { name: 'relocatable object', edit: (b) => { b[16] = 1; return b; }, want: /executable/ },
    { name: 'other machine', edit: (b) => { b[18] = 3; return b; }, want: /x86-64/ },
    { name: 'bad phentsize', edit: (b) => { b[54] = 32; return b; }, want: /program headers/ },
    { name: 'no phdrs', edit: (b) => { b[56] = 0; return b; }, want: /program headers/ },
  ];
  for (const c of corrupt) {
    it(`rejects ${c.name}`, () => {
      const r = parseElfHeader(c.edit(Uint8Array.from(good)));
      expect(typeof r).toBe('string');
      expect(r as string).toMatch(c.want);
    });
  }

  it('rejects a PT_LOAD whose file size exceeds its memory size, and one misaligned', () => {
    const b = Uint8Array.from(good);
    const h = header(b);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(h.phoff + 32, 0x5000n, true); // filesz > memsz (0x1000)
    expect(parseProgramHeaders(b.subarray(h.phoff), 1)).toMatch(/filesz/);
    const c = Uint8Array.from(good);
    new DataView(c.buffer).setBigUint64(h.phoff + 8, 0x10n, true); // offset % page != vaddr % page
    expect(parseProgramHeaders(c.subarray(h.phoff), 1)).toMatch(/misaligned/);
  });
});
