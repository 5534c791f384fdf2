// Dispatch: look the number up in the table, run the handler, and for
// --strace log the call with decoded arguments and its result.
import { errnoName, E } from '../abi/linux/errno.js';
import type { Task } from '../sentry/kernel/task.js';
import { seccompVerdict } from './seccomp.js';
import { SYSCALL_TABLE } from './table.js';
import type { ArgFormat } from './types.js';

function unimplemented(t: Task, nr: number): number {
  if (!t.kernel.reportedUnimplemented.has(nr)) {
    t.kernel.reportedUnimplemented.add(nr);
    t.kernel.log.info({ nr, name: SYSCALL_TABLE[nr]?.name ?? 'unknown', args: [0, 1, 2, 3, 4, 5].map((i) => t.arg(i).toString(16)) }, 'unimplemented syscall');
  }
  return -E.ENOSYS;
}

/** Runs the syscall in t's registers; returns the value for rax. */
export function dispatch(t: Task): number {
  const nr = t.regs.syscallNr;
  if (t.seccomp.mode !== 0) {
    const decided = seccompVerdict(t, nr);
    if (decided !== undefined) return decided;
  }
  const row = nr >= 0 ? SYSCALL_TABLE[nr] : undefined;
  const entry = row?.entry;
  if (!entry) return unimplemented(t, nr);
  if (!t.kernel.strace) return entry.handler(t);
  const args = formatArgs(t, entry.args ?? '');
  const r = entry.handler(t);
  t.kernel.log.info({ tid: t.tid }, `${row!.name}(${args}) = ${formatResult(r)}`);
  return r;
}

function formatResult(r: number): string {
  if (r < 0 && r > -4096) return `-1 ${errnoName(-r)}`;
  return r >= 0x10000 ? `0x${r.toString(16)}` : String(r);
}

function formatArgs(t: Task, fmt: ArgFormat): string {
  const out: string[] = [];
  for (let i = 0; i < fmt.length; i++) {
    switch (fmt[i]) {
      case 'i': case 'f': out.push(String(t.argInt(i))); break;
      case 'u': out.push(String(t.arg(i))); break;
      case 'o': out.push('0' + (t.argU32(i)).toString(8)); break;
      case 's': {
        const s = t.mm.readCString(t.arg(i), 256);
        out.push(typeof s === 'number' ? `0x${t.arg(i).toString(16)}` : JSON.stringify(s));
        break;
      }
      default: out.push(`0x${t.argBig(i).toString(16)}`);
    }
  }
  return out.join(', ');
}
