// Signal state: dispositions (shared by a thread group, or by CLONE_SIGHAND
// tasks), pending queues (per task and per group), masks, alternate stacks.
import * as S from '../../abi/linux/signal.js';

export const NSIG = 64;
export const SIG_DFL = 0n;
export const SIG_IGN = 1n;

export interface SigAction {
  handler: bigint;
  flags: number;
  restorer: bigint;
  mask: bigint;
}

export const SIGKILL = S.SIGKILL;
export const SIGSTOP = S.SIGSTOP;

export function sigbit(signo: number): bigint { return 1n << BigInt(signo - 1); }

/** Signals that can be neither caught nor blocked. */
export const UNBLOCKABLE = sigbit(S.SIGKILL) | sigbit(S.SIGSTOP);

export type DefaultAction = 'term' | 'core' | 'stop' | 'cont' | 'ignore';

export function defaultAction(signo: number): DefaultAction {
  switch (signo) {
    case S.SIGCHLD: case S.SIGURG: case S.SIGWINCH: return 'ignore';
    case S.SIGSTOP: case S.SIGTSTP: case S.SIGTTIN: case S.SIGTTOU: return 'stop';
    case S.SIGCONT: return 'cont';
    case S.SIGQUIT: case S.SIGILL: case S.SIGTRAP: case S.SIGABRT: case S.SIGBUS: case S.SIGFPE: case S.SIGSEGV:
    case S.SIGXCPU: case S.SIGXFSZ: case S.SIGSYS: return 'core';
    default: return 'term';
  }
}

/** Dispositions; shared between tasks created with CLONE_SIGHAND. */
export class SignalHandlers {
  readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, () => ({ handler: SIG_DFL, flags: 0, restorer: 0n, mask: 0n }));

  clone(): SignalHandlers {
    const h = new SignalHandlers();
    this.actions.forEach((a, i) => { h.actions[i] = { ...a }; });
    return h;
  }

  /** execve: caught signals go back to their defaults; ignored ones stay ignored. */
  resetForExec(): void {
    for (const a of this.actions) {
      if (a.handler !== SIG_IGN) { a.handler = SIG_DFL; a.flags = 0; a.restorer = 0n; a.mask = 0n; }
    }
  }

  isIgnored(signo: number): boolean {
    const a = this.actions[signo];
    if (a.handler === SIG_IGN) return true;
    return a.handler === SIG_DFL && defaultAction(signo) === 'ignore';
  }
}

export interface PendingSignal {
  signo: number;
  info: Uint8Array;
  /**
   * Called when the signal leaves the queue (delivered, read, or dropped):
   * a POSIX timer fills in si_overrun then and may queue its next signal.
   */
  onDequeue?: (info: Uint8Array) => void;
}

/** A pending-signal queue: one entry per standard signal, every real-time one queued. */
export class SignalQueue {
  bits = 0n;
  private readonly list: PendingSignal[] = [];

  /** Queues p; false when a standard signal of that number is already pending (p is dropped). */
  enqueue(p: PendingSignal): boolean {
    const bit = sigbit(p.signo);
    if (p.signo < 32 && (this.bits & bit) !== 0n) return false;
    this.bits |= bit;
    this.list.push(p);
    return true;
  }

  /** Takes the lowest-numbered pending signal not in blocked. */
  dequeue(blocked: bigint): PendingSignal | null {
    const ready = this.bits & ~blocked;
    if (ready === 0n) return null;
    let signo = 1;
    while ((ready & sigbit(signo)) === 0n) signo++;
    return this.take(signo);
  }

  take(signo: number): PendingSignal | null {
    const i = this.list.findIndex((p) => p.signo === signo);
    if (i < 0) return null;
    const [p] = this.list.splice(i, 1);
    if (!this.list.some((q) => q.signo === signo)) this.bits &= ~sigbit(signo);
    p.onDequeue?.(p.info);
    return p;
  }

  /** How many signals are queued (real-time signals count each instance): /proc's SigQ. */
  get count(): number { return this.list.length; }

  /** Drops every pending instance of signo (when it becomes ignored, or SIGCONT/stop interplay). */
  discard(signo: number): void {
    while (this.take(signo) !== null) { /* drop */ }
  }
}

export interface AltStack { sp: number; flags: number; size: number }
