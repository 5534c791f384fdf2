// A task's seccomp state: strict mode, or a chain of filters (each added
// filter points at the chain it was added to, so threads and children share
// ancestors as Linux's refcounted filter list does). Every filter runs on
// each syscall and the most restrictive verdict wins.
import { runSeccompProgram, SECCOMP_DATA_SIZE, type Insn } from './bpf.js';

export const SECCOMP_MODE_DISABLED = 0;
export const SECCOMP_MODE_STRICT = 1;
export const SECCOMP_MODE_FILTER = 2;

export const SECCOMP_RET_KILL_PROCESS = 0x8000_0000;
export const SECCOMP_RET_KILL_THREAD = 0x0000_0000;
export const SECCOMP_RET_TRAP = 0x0003_0000;
export const SECCOMP_RET_ERRNO = 0x0005_0000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc0_0000;
export const SECCOMP_RET_TRACE = 0x7ff0_0000;
export const SECCOMP_RET_LOG = 0x7ffc_0000;
export const SECCOMP_RET_ALLOW = 0x7fff_0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff_0000;
export const SECCOMP_RET_DATA = 0x0000_ffff;

export const KNOWN_ACTIONS = [
  SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF,
  SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW,
];

/** AUDIT_ARCH_X86_64: the arch every seccomp_data here carries. */
export const AUDIT_ARCH_X86_64 = 0xc000_003e;

/** Linux caps a path's filters at 32768 instructions (each filter costs 4 more). */
export const MAX_INSNS_PER_PATH = 32768;

export interface SeccompFilter {
  readonly prog: readonly Insn[];
  readonly prev: SeccompFilter | null;
  /** SECCOMP_FILTER_FLAG_LOG: actions other than ALLOW are logged. */
  readonly log: boolean;
}

export interface SeccompState {
  mode: number;
  filter: SeccompFilter | null;
}

/** The instructions of a chain, counted as Linux does for MAX_INSNS_PER_PATH. */
export function chainLength(f: SeccompFilter | null): number {
  let n = 0;
  for (let c = f; c !== null; c = c.prev) n += c.prog.length + 4;
  return n;
}

/** Whether `ancestor` is `f` or one of the filters it was added to (for TSYNC). */
export function descendsFrom(f: SeccompFilter | null, ancestor: SeccompFilter | null): boolean {
  if (ancestor === null) return true;
  for (let c = f; c !== null; c = c.prev) if (c === ancestor) return true;
  return false;
}

/** The signed action part, lower meaning more restrictive (Linux's ACTION_ONLY). */
function actionRank(verdict: number): number {
  return (verdict & SECCOMP_RET_ACTION_FULL) | 0;
}

const dataBuf = new DataView(new ArrayBuffer(SECCOMP_DATA_SIZE));

/** Runs every filter of the chain over the call; returns the winning verdict and the filter that gave it. */
export function evaluate(chain: SeccompFilter, nr: number, ip: bigint, args: readonly bigint[]): { verdict: number; filter: SeccompFilter } {
  dataBuf.setInt32(0, nr, true);
  dataBuf.setUint32(4, AUDIT_ARCH_X86_64, true);
  dataBuf.setBigUint64(8, ip, true);
  for (let i = 0; i < 6; i++) dataBuf.setBigUint64(16 + 8 * i, args[i], true);
  let best = SECCOMP_RET_ALLOW, bestFilter = chain;
  for (let f: SeccompFilter | null = chain; f !== null; f = f.prev) {
    const v = runSeccompProgram(f.prog, dataBuf) >>> 0;
    if (actionRank(v) < actionRank(best)) { best = v; bestFilter = f; }
  }
  return { verdict: best, filter: bestFilter };
}

/** Strict mode's allowed calls: read, write, exit, rt_sigreturn. */
export const STRICT_ALLOWED = new Set([0, 1, 60, 15]);
