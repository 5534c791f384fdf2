import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SYS } from '../abi/linux/syscalls.js';
import { SYSCALL_TABLE } from './table.js';
import { renderSyscallDoc } from './docs.js';

describe('syscall table', () => {
  it('has a row for every x86-64 syscall number', () => {
    for (const [name, nr] of Object.entries(SYS)) expect(SYSCALL_TABLE[nr]?.name, name).toBe(name);
  });
  it('marks rows without a handler unimplemented, and every partial row has a note', () => {
    for (const r of SYSCALL_TABLE) {
      if (!r) continue;
      if (r.entry === null) expect(r.support, r.name).toBe('unimplemented');
      if (r.support === 'partial') expect(r.note, r.name).toBeTruthy();
    }
  });
  it('docs/syscalls.md is generated from the table', () => {
    expect(readFileSync(new URL('../docs/syscalls.md', import.meta.url), 'utf8')).toBe(renderSyscallDoc());
  });
});
