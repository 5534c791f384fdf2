// Renders docs/syscalls.md from the syscall table, so the document cannot
// drift from what dispatch does. `npm run gen:syscalls` rewrites it; a test
// fails when it is stale.
import { SYSCALL_TABLE } from './table.js';
import type { Support } from './types.js';

export function renderSyscallDoc(): string {
  const rows = SYSCALL_TABLE.filter((r) => r !== undefined);
  const count = (s: string) => rows.filter((r) => r!.support === s).length;
  const lines = [
    '# System calls',
    '',
    'Generated from `syscalls/table.ts` by `npm run gen:syscalls`; do not edit.',
    '',
    `${count('supported')} supported, ${count('partial')} partial, ${count('unimplemented')} unimplemented (ENOSYS, logged once).`,
    '',
    '| nr | name | support | note |',
    '|---:|---|---|---|',
  ];
  for (const r of rows) lines.push(`| ${r!.nr} | ${r!.name} | ${r!.support} | ${r!.note} |`);
  return lines.join('\n') + '\n';
}

/** `runsc syscalls`: the table as aligned text, one line per number, with the counts first. */
export function renderSyscallText(filter: Support | null): string {
  const rows = SYSCALL_TABLE.filter((r) => r !== undefined && (filter === null || r.support === filter));
  const all = SYSCALL_TABLE.filter((r) => r !== undefined);
  const count = (s: Support) => all.filter((r) => r!.support === s).length;
  const implemented = count('supported') + count('partial');
  const out = [`${implemented} implemented (${count('supported')} supported, ${count('partial')} partial), ${count('unimplemented')} unimplemented, of ${all.length} x86-64 syscalls`];
  for (const r of rows) out.push(`${String(r!.nr).padStart(3)}  ${r!.name.padEnd(24)} ${r!.support.padEnd(13)} ${r!.note}`.trimEnd());
  return out.join('\n') + '\n';
}

export function renderSyscallJson(): string {
  const rows = SYSCALL_TABLE.filter((r) => r !== undefined).map((r) => ({ nr: r!.nr, name: r!.name, support: r!.support, note: r!.note }));
  return JSON.stringify(rows, null, 2) + '\n';
}

if (process.argv[1]?.endsWith('syscalls/docs.js')) process.stdout.write(renderSyscallDoc());
