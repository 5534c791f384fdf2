// Per-task signal state: dispositions, the blocked mask, the alternate
// stack. Delivery onto the application's stack comes with processes and
// signals (issue 3); here the state is kept so glibc's calls see Linux's answers.
export const NSIG = 64;
export const SIG_DFL = 0;
export const SIG_IGN = 1;

export interface SigAction {
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

export const SIGKILL = 9;
export const SIGSTOP = 19;
/** Signals that can be neither caught nor blocked. */
export const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));

export class SignalState {
  readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, () => ({ handler: 0n, flags: 0n, restorer: 0n, mask: 0n }));
  blocked = 0n;
  altStack = { sp: 0, flags: 2 /* SS_DISABLE */, size: 0 };
}
