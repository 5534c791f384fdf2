// The syscall table as data: every x86-64 number, its name, its handler and
// its support status. Dispatch, --strace and docs/syscalls.md all read it.
import { SYS, SYSCALL_TABLE_SIZE } from '../abi/linux/syscalls.js';
import type { Support, SyscallEntry, SyscallGroup } from './types.js';
import { credentialSyscalls } from './credentials.js';
import { eventSyscalls } from './events.js';
import { fileSyscalls } from './file.js';
import { fsMutateSyscalls } from './fs-mutate.js';
import { futexSyscalls } from './futex.js';
import { mmSyscalls } from './mm.js';
import { mmRemoteSyscalls } from './mm-remote.js';
import { processSyscalls } from './process.js';
import { pipeSyscalls } from './pipe.js';
import { pollSyscalls } from './poll.js';
import { signalSyscalls } from './signal.js';
import { socketSyscalls } from './socket.js';
import { taskSyscalls } from './task.js';
import { timeSyscalls } from './time.js';
import { xattrSyscalls } from './xattr.js';

export interface TableRow {
  nr: number;
  name: string;
  support: Support;
  entry: SyscallEntry | null;
}

const groups: SyscallGroup[] = [credentialSyscalls, eventSyscalls, fileSyscalls, fsMutateSyscalls, futexSyscalls, mmSyscalls, mmRemoteSyscalls, pipeSyscalls, pollSyscalls, processSyscalls, signalSyscalls, socketSyscalls, taskSyscalls, timeSyscalls, xattrSyscalls];

function build(): TableRow[] {
  const rows: TableRow[] = [];
  const names: Record<string, number> = SYS;
  const seen = new Set<string>();
  for (const group of groups) {
    for (const name of Object.keys(group)) {
      if (!(name in names)) throw new Error(`syscall table: unknown syscall ${name}`);
      if (seen.has(name)) throw new Error(`syscall table: ${name} defined twice`);
      seen.add(name);
    }
  }
  for (const [name, nr] of Object.entries(names)) {
    const entry = groups.map((g) => g[name]).find((e) => e !== undefined) ?? null;
    rows[nr] = { nr, name, support: entry ? entry.support : 'unimplemented', entry };
  }
  return rows;
}

/** Indexed by syscall number; holes are numbers Linux does not define. */
export const SYSCALL_TABLE: readonly (TableRow | undefined)[] = build();
export const TABLE_SIZE = SYSCALL_TABLE_SIZE;
