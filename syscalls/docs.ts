// Renders docs/syscalls.md from the syscall table, so the document cannot
// drift from what dispatch does. `npm run gen:syscalls` rewrites it; a test
// fails when it is stale.
import { SYSCALL_TABLE } from './table.js';

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

if (process.argv[1]?.endsWith('syscalls/docs.js')) process.stdout.write(renderSyscallDoc());
