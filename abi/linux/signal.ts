// <asm/signal.h>: signal numbers and sigaction flags for x86-64.
export const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7, SIGFPE = 8,
  SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15, SIGSTKFLT = 16,
  SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24,
  SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31;
/** The kernel's real-time range (glibc reserves the first two for itself). */
export const SIGRTMIN = 32, SIGRTMAX = 64;

export const SA_NOCLDSTOP = 0x1;
export const SA_NOCLDWAIT = 0x2;
export const SA_SIGINFO = 0x4;
export const SA_RESTORER = 0x04000000;
export const SA_ONSTACK = 0x08000000;
export const SA_RESTART = 0x10000000;
export const SA_NODEFER = 0x40000000;
export const SA_RESETHAND = 0x80000000;

export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;

export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
export const MINSIGSTKSZ = 2048;

/** struct sigaction as the kernel reads it (handler, flags, restorer, mask). */
export const KSIGACTION_SIZE = 32;
export const SIGSET_SIZE = 8;
