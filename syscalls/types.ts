// The shape of the syscall table: number -> name, handler, support, and how
// --strace prints the arguments.
import type { Task } from '../sentry/kernel/task.js';

/** Returns the result for rax: a value, or a negative errno. */
export type SyscallHandler = (t: Task) => number;

export type Support = 'supported' | 'partial' | 'unimplemented';

/**
 * Argument formats for --strace, one letter each: i int, u unsigned,
 * x hex, s C string, p pointer, f fd.
 */
export type ArgFormat = string;

export interface SyscallEntry {
  handler: SyscallHandler;
  support: Exclude<Support, 'unimplemented'>;
  /** What differs from Linux, for partial support. */
  note?: string;
  args?: ArgFormat;
}

/** A syscall deliberately left unimplemented (ENOSYS), with the reason for the table. */
export interface UnimplementedEntry {
  support: 'unimplemented';
  note: string;
}

export type SyscallGroup = Partial<Record<string, SyscallEntry | UnimplementedEntry>>;

/** ENOSYS on purpose; the note says why (and what programs do instead). */
export function enosys(note: string): UnimplementedEntry {
  return { support: 'unimplemented', note };
}

export function sys(handler: SyscallHandler, args?: ArgFormat, note?: string): SyscallEntry {
  return { handler, support: note ? 'partial' : 'supported', note, args };
}
