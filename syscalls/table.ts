// The syscall table as data: every x86-64 number, its name, its handler and
// its support status. Dispatch, --strace and docs/syscalls.md all read it.
import { SYS, SYSCALL_TABLE_SIZE } from '../abi/linux/syscalls.js';
import type { Support, SyscallEntry, SyscallGroup, UnimplementedEntry } from './types.js';
import { credentialSyscalls } from './credentials.js';
import { eventSyscalls } from './events.js';
import { fileHintSyscalls } from './file-hints.js';
import { fileSyscalls } from './file.js';
import { fsMutateSyscalls } from './fs-mutate.js';
import { futexSyscalls } from './futex.js';
import { ipcSyscalls } from './ipc.js';
import { memfdSyscalls } from './memfd.js';
import { mmRemoteSyscalls } from './mm-remote.js';
import { mmSyscalls } from './mm.js';
import { mqueueSyscalls } from './mqueue.js';
import { pidfdSyscalls } from './pidfd.js';
import { pipeSyscalls } from './pipe.js';
import { pollSyscalls } from './poll.js';
import { posixTimerSyscalls } from './posix-timers.js';
import { processSyscalls } from './process.js';
import { schedSyscalls } from './sched.js';
import { seccompSyscalls } from './seccomp.js';
import { signalSyscalls } from './signal.js';
import { socketSyscalls } from './socket.js';
import { spliceSyscalls } from './splice.js';
import { systemSyscalls } from './system.js';
import { taskSyscalls } from './task.js';
import { timeSyscalls } from './time.js';
import { xattrSyscalls } from './xattr.js';

export interface TableRow {
  nr: number;
  name: string;
  support: Support;
  /** Null for unimplemented syscalls: dispatch answers ENOSYS. */
  entry: SyscallEntry | null;
  /** What differs from Linux (partial), or why a syscall is left out. */
  note: string;
}

const groups: SyscallGroup[] = [
  credentialSyscalls, eventSyscalls, fileHintSyscalls, fileSyscalls, fsMutateSyscalls, futexSyscalls, ipcSyscalls, memfdSyscalls,
  mmRemoteSyscalls, mmSyscalls, mqueueSyscalls, pidfdSyscalls, pipeSyscalls, pollSyscalls, posixTimerSyscalls, processSyscalls,
  schedSyscalls, seccompSyscalls, signalSyscalls, socketSyscalls, spliceSyscalls, systemSyscalls, taskSyscalls, timeSyscalls,
  xattrSyscalls,
];

function build(): TableRow[] {
  const rows: TableRow[] = [];
  const names: Record<string, number> = SYS;
  // One pass over the groups into a map: the table is built at every
  // Sentry start, and a search of every group per syscall cost ~10 ms
  // there (docs/design/startup.md).
  const byName = new Map<string, SyscallEntry | UnimplementedEntry>();
  for (const group of groups) {
    for (const [name, e] of Object.entries(group)) {
      if (!(name in names)) throw new Error(`syscall table: unknown syscall ${name}`);
      if (byName.has(name)) throw new Error(`syscall table: ${name} defined twice`);
      if (e !== undefined) byName.set(name, e);
    }
  }
  for (const [name, nr] of Object.entries(names)) {
    const found = byName.get(name) ?? null;
    const entry = found !== null && found.support !== 'unimplemented' ? found : null;
    rows[nr] = { nr, name, support: found ? found.support : 'unimplemented', entry, note: found?.note ?? '' };
  }
  return rows;
}

/** Indexed by syscall number; holes are numbers Linux does not define. */
export const SYSCALL_TABLE: readonly (TableRow | undefined)[] = build();
export const TABLE_SIZE = SYSCALL_TABLE_SIZE;
