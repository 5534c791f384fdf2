// Which system call each case of the compatibility suite tests, for the
// per-syscall counts of docs/compatibility.md. It is read from the case's
// own expression, never guessed from its key: the C macros stringify it and
// the native run describes every case on stderr (lib/compat.h,
// COMPAT_CASES=1). The first system call named in the expression wins:
//   syscall(SYS_x, ...) or any SYS_x      -> x
//   a glibc wrapper                        -> the call it makes (WRAPPERS)
//   a helper defined in the program        -> the first call in its body
// FACT and SHOW state a result: the ABOUT("x") in force names their call,
// else their expression does. A case naming no call is unattributed and
// counted as such: the report never makes one up.
import { SYS } from '../../abi/linux/syscalls.js';

/** One case as the native run describes it. */
export interface CaseTrace {
  key: string;
  macro: 'ERR' | 'OK' | 'EQ' | 'VAL' | 'FACT' | 'SHOW';
  /** The ABOUT("x") in force, or null. */
  about: string | null;
  /** The expression as the C preprocessor stringified it. */
  expr: string;
}

export const TRACE_PREFIX = 'COMPAT-CASE\t';

/** Splits a native run's stderr into its case descriptions and everything else. */
export function parseCaseTraces(stderr: string): { traces: Map<string, CaseTrace>; rest: string } {
  const traces = new Map<string, CaseTrace>();
  const rest: string[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith(TRACE_PREFIX)) { rest.push(line); continue; }
    const [, key, macro, about, ...expr] = line.split('\t');
    if (!/^(ERR|OK|EQ|VAL|FACT|SHOW)$/.test(macro ?? '')) { rest.push(line); continue; }
    // A case run twice (a loop, a forked child) keeps its first description.
    if (!traces.has(key)) traces.set(key, { key, macro: macro as CaseTrace['macro'], about: about === '-' ? null : about, expr: expr.join('\t') });
  }
  return { traces, rest: rest.join('\n') };
}

const SYSCALL_NAMES: ReadonlySet<string> = new Set(Object.keys(SYS));

/**
 * glibc 2.36 (x86-64) functions whose system call is not the one of their
 * name, or that have no system call of their name. Checked with strace.
 * A function of a syscall's own name not listed here makes that syscall.
 */
export const WRAPPERS: Readonly<Record<string, string>> = {
  open: 'openat', open64: 'openat', opendir: 'openat', fopen: 'openat',
  stat: 'newfstatat', lstat: 'newfstatat', fstat: 'newfstatat', fstatat: 'newfstatat', stat64: 'newfstatat', fstat64: 'newfstatat',
  readdir: 'getdents64',
  pipe: 'pipe2',
  select: 'pselect6', pselect: 'pselect6',
  utimes: 'utimensat', utime: 'utimensat', futimens: 'utimensat', lutimes: 'utimensat',
  mkfifo: 'mknodat', mkfifoat: 'mknodat', mknod: 'mknodat',
  faccessat: 'faccessat2',
  fork: 'clone', waitpid: 'wait4', wait: 'wait4',
  execv: 'execve', execl: 'execve', execle: 'execve', execlp: 'execve', execvp: 'execve', execvpe: 'execve',
  fexecve: 'execveat',
  exit: 'exit_group', _exit: 'exit_group', _Exit: 'exit_group', pthread_exit: 'exit',
  pthread_create: 'clone3', pthread_join: 'futex', pthread_kill: 'tgkill', pthread_sigmask: 'rt_sigprocmask',
  signal: 'rt_sigaction', sigaction: 'rt_sigaction', sigprocmask: 'rt_sigprocmask', sigpending: 'rt_sigpending',
  sigsuspend: 'rt_sigsuspend', sigwaitinfo: 'rt_sigtimedwait', sigtimedwait: 'rt_sigtimedwait', sigwait: 'rt_sigtimedwait',
  sigqueue: 'rt_sigqueueinfo', raise: 'tgkill', killpg: 'kill',
  nanosleep: 'clock_nanosleep', sleep: 'clock_nanosleep', usleep: 'clock_nanosleep',
  eventfd: 'eventfd2', signalfd: 'signalfd4', setpgrp: 'setpgid',
  getrlimit: 'prlimit64', setrlimit: 'prlimit64', prlimit: 'prlimit64',
  pread: 'pread64', pwrite: 'pwrite64', posix_fadvise: 'fadvise64',
  tcgetattr: 'ioctl', tcsetattr: 'ioctl', isatty: 'ioctl',
  lockf: 'fcntl', dirfd: '', getpagesize: '',
};

/** Functions of the C harness (lib/compat.h): never a system call, look inside their arguments. */
const HARNESS = new Set(['res', 'ename', 'fmt_result', 'sizeof', 'syscall']);

/** The C source without comments and with string and character literals blanked. */
function stripC(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "''");
}

/** Bodies of the functions a program defines at top level, by name. */
export function functionBodies(src: string): Map<string, string> {
  const s = stripC(src);
  const bodies = new Map<string, string>();
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '}') { depth--; continue; }
    if (ch !== '{') continue;
    if (depth++ !== 0) continue;
    // A top-level "{": a function body when preceded by "name(...)" (and maybe attributes).
    const head = s.slice(Math.max(0, i - 400), i);
    const m = /\b([A-Za-z_]\w*)\s*\(([^()]|\([^()]*\))*\)\s*$/.exec(head);
    if (!m || ['if', 'while', 'for', 'switch'].includes(m[1])) continue;
    let j = i + 1, d = 1;
    while (j < s.length && d > 0) { if (s[j] === '{') d++; else if (s[j] === '}') d--; j++; }
    bodies.set(m[1], s.slice(i + 1, j - 1));
  }
  return bodies;
}

/** Resolves expressions of one program to the system call they make. */
export class SyscallNamer {
  private readonly bodies: Map<string, string>;
  private readonly helperCache = new Map<string, string | null>();

  constructor(programSource: string) {
    this.bodies = functionBodies(programSource);
  }

  /** The first system call the C text makes, or null. */
  firstCall(text: string, visiting: Set<string> = new Set()): string | null {
    const s = stripC(text);
    const re = /(\.|->)?\s*\b([A-Za-z_]\w*)\b(\s*\()?/g;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      const [, member, name, call] = m;
      if (member) continue;
      if (name.startsWith('SYS_') && SYSCALL_NAMES.has(name.slice(4))) return name.slice(4);
      if (!call || HARNESS.has(name)) continue;
      const helper = this.bodies.get(name);
      if (helper !== undefined) {
        const r = this.helper(name, helper, visiting);
        if (r !== null) return r;
        continue;
      }
      if (name in WRAPPERS) {
        if (WRAPPERS[name] !== '') return WRAPPERS[name];
        continue;
      }
      if (SYSCALL_NAMES.has(name)) return name;
    }
    return null;
  }

  private helper(name: string, body: string, visiting: Set<string>): string | null {
    if (this.helperCache.has(name)) return this.helperCache.get(name)!;
    if (visiting.has(name)) return null;
    visiting.add(name);
    const r = this.firstCall(body, visiting);
    visiting.delete(name);
    this.helperCache.set(name, r);
    return r;
  }

  /** The system call a case tests, or null when neither its expression nor an ABOUT names one. */
  attribute(t: CaseTrace): string | null {
    const about = t.about !== null && SYSCALL_NAMES.has(t.about) ? t.about : null;
    if (t.macro === 'FACT' || t.macro === 'SHOW') return about ?? this.firstCall(t.expr);
    return this.firstCall(t.expr) ?? about;
  }
}

/** ABOUT names that are not x86-64 system calls: a typo there would silently move cases. */
export function badAbouts(traces: Iterable<CaseTrace>): string[] {
  const bad = new Set<string>();
  for (const t of traces) if (t.about !== null && !SYSCALL_NAMES.has(t.about)) bad.add(t.about);
  return [...bad];
}
