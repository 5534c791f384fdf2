// Resource limits (<asm-generic/resource.h>), kept per thread group.
import { E } from '../../abi/linux/errno.js';
import { SI_USER } from '../../abi/linux/siginfo.js';
import { SIGXFSZ } from '../../abi/linux/signal.js';
import { sendToTask } from './signals.js';
import type { Task } from './task.js';
export const RLIMIT_CPU = 0;
export const RLIMIT_FSIZE = 1;
export const RLIMIT_DATA = 2;
export const RLIMIT_STACK = 3;
export const RLIMIT_CORE = 4;
export const RLIMIT_RSS = 5;
export const RLIMIT_NPROC = 6;
export const RLIMIT_NOFILE = 7;
export const RLIMIT_MEMLOCK = 8;
export const RLIMIT_AS = 9;
export const RLIMIT_LOCKS = 10;
export const RLIMIT_SIGPENDING = 11;
export const RLIMIT_MSGQUEUE = 12;
export const RLIMIT_NICE = 13;
export const RLIMIT_RTPRIO = 14;
export const RLIMIT_RTTIME = 15;
export const RLIM_NLIMITS = 16;
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

export const RLIMIT_NAMES: Record<string, number> = {
  RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE,
  RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME,
};

export interface Rlimit { cur: bigint; max: bigint }

/** Linux's defaults for a new init process. */
export function defaultRlimits(): Rlimit[] {
  const inf = { cur: RLIM_INFINITY, max: RLIM_INFINITY };
  const l: Rlimit[] = Array.from({ length: RLIM_NLIMITS }, () => ({ ...inf }));
  l[RLIMIT_STACK] = { cur: 8n << 20n, max: RLIM_INFINITY };
  l[RLIMIT_CORE] = { cur: 0n, max: RLIM_INFINITY };
  l[RLIMIT_NOFILE] = { cur: 1024n, max: 1048576n };
  l[RLIMIT_MEMLOCK] = { cur: 8n << 20n, max: 8n << 20n };
  l[RLIMIT_SIGPENDING] = { cur: 0n, max: 0n };
  l[RLIMIT_MSGQUEUE] = { cur: 819200n, max: 819200n };
  l[RLIMIT_NICE] = { cur: 0n, max: 0n };
  l[RLIMIT_RTPRIO] = { cur: 0n, max: 0n };
  return l;
}

/**
 * RLIMIT_FSIZE for a write or size change of a regular file reaching from
 * pos for count bytes: how many bytes may go, or -EFBIG with SIGXFSZ sent
 * when not one may (Linux's generic_write_check_limits).
 */
export function fsizeAllows(t: Task, pos: number, count: number): number {
  const limit = t.tg.rlimits[RLIMIT_FSIZE].cur;
  if (limit === RLIM_INFINITY || count === 0) return count;
  const max = Number(limit);
  if (pos >= max) {
    sendToTask(t, SIGXFSZ, { signo: SIGXFSZ, code: SI_USER });
    return -E.EFBIG;
  }
  return Math.min(count, max - pos);
}
