// <sys/ptrace.h>, <linux/ptrace.h> and x86-64 struct user_regs_struct.

export const PTRACE_TRACEME = 0;
export const PTRACE_PEEKUSER = 3;
export const PTRACE_POKEUSER = 6;
export const PTRACE_CONT = 7;
export const PTRACE_KILL = 8;
export const PTRACE_GETREGS = 12;
export const PTRACE_SETREGS = 13;
export const PTRACE_GETFPREGS = 14;
export const PTRACE_SETFPREGS = 15;
export const PTRACE_SYSCALL = 24;
export const PTRACE_SYSEMU = 31;
export const PTRACE_SETOPTIONS = 0x4200;
export const PTRACE_GETEVENTMSG = 0x4201;
export const PTRACE_GETSIGINFO = 0x4202;
export const PTRACE_GETREGSET = 0x4204;
export const PTRACE_SETREGSET = 0x4205;

export const PTRACE_O_TRACESYSGOOD = 0x1;
export const PTRACE_O_TRACEFORK = 0x2;
export const PTRACE_O_TRACEVFORK = 0x4;
export const PTRACE_O_TRACECLONE = 0x8;
export const PTRACE_O_EXITKILL = 0x100000;

export const PTRACE_EVENT_FORK = 1;
export const PTRACE_EVENT_VFORK = 2;
export const PTRACE_EVENT_CLONE = 3;

/** NT_PRFPREG: the regset holding the 512-byte fxsave area. */
export const NT_PRFPREG = 2;
export const NT_X86_XSTATE = 0x202;

/** Byte offsets of x86-64 struct user_regs_struct (27 u64 words). */
export const REG = {
  r15: 0, r14: 8, r13: 16, r12: 24, rbp: 32, rbx: 40, r11: 48, r10: 56,
  r9: 64, r8: 72, rax: 80, rcx: 88, rdx: 96, rsi: 104, rdi: 112,
  orig_rax: 120, rip: 128, cs: 136, eflags: 144, rsp: 152, ss: 160,
  fs_base: 168, gs_base: 176, ds: 184, es: 192, fs: 200, gs: 208,
} as const;
export const USER_REGS_SIZE = 216;
/** sizeof(struct user_fpregs_struct): the fxsave image. */
export const USER_FPREGS_SIZE = 512;

/** The 64-bit user segment selectors Linux uses (__USER_CS, __USER_DS). */
export const USER_CS = 0x33;
export const USER_DS = 0x2b;
