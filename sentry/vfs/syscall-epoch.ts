// Which system call the Sentry is serving, as a number that is never
// reused, or 0 between calls. A file system whose attributes live
// elsewhere (the Gofer's host files) may answer a stat with what it fetched
// earlier in the same call: Linux's own checks within one call look at one
// in-memory inode, and a path walk asks for the attributes of each file
// several times (lookup, search and exec permission, the ELF loader), each
// one a round trip to the Gofer otherwise. Between calls (page faults, the
// application running) nothing is reused.
let counter = 0;
let current = 0;

/** The scheduler calls this before serving a system call (each run of it, when a blocked call runs again)... */
export function beginSyscall(): void {
  current = ++counter;
}

/** ...and this when the call returns or blocks. */
export function endSyscall(): void {
  current = 0;
}

/** The call being served; 0 outside any. */
export function syscallEpoch(): number {
  return current;
}
