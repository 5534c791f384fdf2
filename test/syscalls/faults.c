/*
 * Signals from faults: SIGSEGV (SEGV_MAPERR, SEGV_ACCERR), SIGBUS past the
 * end of a mapped file, SIGFPE from an integer division by zero, SIGILL
 * from ud2, SIGTRAP from int3: si_signo, si_code and si_addr relative to a
 * known mapping or instruction; handlers that fix the cause and return
 * (the faulting instruction runs again) or skip the instruction; a fault
 * with its signal blocked or ignored kills. Addresses are never printed,
 * only offsets from a known base.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <sys/wait.h>

#define PG 4096L

static volatile int got_sig, got_code;
static volatile char *got_addr;
static sigjmp_buf jb;
static char *fix_page;
static long skip_bytes;
static volatile long fixups;

/* Records the fault and jumps back out of the faulting code. */
static void escape(int s, siginfo_t *si, void *uc) {
  (void)uc;
  got_sig = s;
  got_code = si->si_code;
  got_addr = si->si_addr;
  siglongjmp(jb, 1);
}

/* Makes fix_page writable and returns: the store runs again and succeeds. */
static void fix(int s, siginfo_t *si, void *uc) {
  (void)uc;
  got_sig = s;
  got_addr = si->si_addr;
  fixups++;
  mprotect(fix_page, PG, PROT_READ | PROT_WRITE);
}

/* Steps over the faulting instruction (skip_bytes long) and returns. */
static void step_over(int s, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  got_sig = s;
  got_code = si->si_code;
  got_addr = si->si_addr;
  uc->uc_mcontext.gregs[REG_RIP] += skip_bytes;
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *)) {
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_sigaction = fn;
  a.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(sig, &a, NULL);
}

static void reset(void) { got_sig = 0; got_code = 0; got_addr = NULL; }

static volatile int zero = 0;

/* addr's offset from base when it lies within the 4 pages at base, else -1: an address never reaches the output. */
static long off(const volatile void *base, const volatile void *addr) {
  long d = (const char *)addr - (const char *)base;
  return d >= 0 && d < 4 * PG ? d : -1;
}

/* The child's fate: its exit code or 100 + the signal that killed it. */
static int fate(pid_t pid) {
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

int main(void) {
  char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + 2 * PG, PG);        /* a hole at page 2 */
  mprotect(m + PG, PG, PROT_READ); /* page 1 read-only */
  mprotect(m + 3 * PG, PG, PROT_NONE);

  /* ---- SIGSEGV ---- */
  ABOUT("rt_sigaction");
  on(SIGSEGV, escape);
  reset();
  if (!sigsetjmp(jb, 1)) *(volatile char *)(m + 2 * PG + 123) = 1;
  EQ("maperr_signo", got_sig, SIGSEGV);
  EQ("maperr_code", got_code, SEGV_MAPERR);
  EQ("maperr_addr_offset", off(m, got_addr), 2 * PG + 123);
  reset();
  if (!sigsetjmp(jb, 1)) *(volatile char *)(m + PG + 7) = 1;
  EQ("accerr_write_readonly_code", got_code, SEGV_ACCERR);
  EQ("accerr_write_readonly_addr", off(m, got_addr), PG + 7);
  reset();
  if (!sigsetjmp(jb, 1)) (void)*(volatile char *)(m + 3 * PG + 5);
  EQ("accerr_read_prot_none_code", got_code, SEGV_ACCERR);
  EQ("accerr_read_prot_none_addr", off(m, got_addr), 3 * PG + 5);
  reset();
  FACT("readonly_page_readable", (sigsetjmp(jb, 1) == 0 ? (void)*(volatile char *)(m + PG), got_sig == 0 : 0));
  reset();
  if (!sigsetjmp(jb, 1)) *(volatile char *)BAD_PTR = 1;
  EQ("low_page_code", got_code, SEGV_MAPERR);
  FACT("low_page_addr", got_addr == (char *)BAD_PTR);
  reset();
  if (!sigsetjmp(jb, 1)) *(volatile long *)KERNEL_PTR = 1;
  EQ("kernel_addr_signo", got_sig, SIGSEGV);
  /* A non-canonical address raises #GP: Linux reports SI_KERNEL with si_addr 0. */
  reset();
  if (!sigsetjmp(jb, 1)) *(volatile long *)0x8000000000000000UL = 1;
  EQ("noncanonical_signo", got_sig, SIGSEGV);
  EQ("noncanonical_code", got_code, SI_KERNEL);
  FACT("noncanonical_addr_zero", got_addr == NULL);
  /* Executing a non-executable page. */
  reset();
  if (!sigsetjmp(jb, 1)) ((void (*)(void))(m + 0))();
  EQ("exec_noexec_code", got_code, SEGV_ACCERR);
  EQ("exec_noexec_addr", off(m, got_addr), 0);

  /* ---- a handler that fixes the cause and returns ---- */
  ABOUT("rt_sigreturn");
  fix_page = m + PG;
  on(SIGSEGV, fix);
  fixups = 0;
  *(volatile char *)(m + PG + 100) = 42;
  EQ("fixup_count", fixups, 1);
  EQ("fixup_store_landed", *(volatile char *)(m + PG + 100), 42);
  EQ("fixup_addr_offset", off(m, got_addr), PG + 100);

  /* ---- SIGBUS past the end of a file ---- */
  ABOUT("mmap");
  int fd = open("small.txt", O_RDONLY);
  char *f = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  on(SIGBUS, escape);
  reset();
  FACT("file_first_page_readable", f[0] == 'h' && f[5] == '\n' && f[6] == 0 && f[PG - 1] == 0);
  if (!sigsetjmp(jb, 1)) (void)*(volatile char *)(f + PG + 10);
  EQ("sigbus_signo", got_sig, SIGBUS);
  EQ("sigbus_code", got_code, BUS_ADRERR);
  EQ("sigbus_addr_offset", off(f, got_addr), PG + 10);

  /* ---- SIGFPE, SIGILL, SIGTRAP: stepped over ---- */
  ABOUT("rt_sigreturn");
  on(SIGFPE, step_over);
  reset();
  long q = 0;
  /* idiv %rcx with rcx = 0: three bytes (48 f7 f9). */
  skip_bytes = 3;
  __asm__ volatile("xor %%rdx, %%rdx\n\tmov $7, %%rax\n\tmov %1, %%rcx\n\tidiv %%rcx\n\tmov %%rax, %0" : "=r"(q) : "r"((long)zero) : "rax", "rcx", "rdx");
  EQ("fpe_signo", got_sig, SIGFPE);
  EQ("fpe_code", got_code, FPE_INTDIV);
  FACT("fpe_addr_is_code", got_addr != NULL && got_addr != (char *)m);
  on(SIGILL, step_over);
  reset();
  skip_bytes = 2;
  char *ud2_at;
  __asm__ volatile("lea 0f(%%rip), %0\n0:\tud2" : "=r"(ud2_at));
  EQ("ill_signo", got_sig, SIGILL);
  EQ("ill_code", got_code, ILL_ILLOPN);
  FACT("ill_addr_is_ud2", got_addr == ud2_at);
  on(SIGTRAP, step_over);
  reset();
  skip_bytes = 0;
  __asm__ volatile("int3");
  EQ("trap_signo", got_sig, SIGTRAP);
  EQ("trap_code", got_code, SI_KERNEL);

  /* ---- faults that kill ---- */
  ABOUT("rt_sigprocmask");
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigprocmask(SIG_BLOCK, &s, NULL);
    *(volatile char *)(m + 2 * PG) = 1;
    _exit(0);
  }
  EQ("blocked_segv_kills", fate(pid), 100 + SIGSEGV);
  ABOUT("rt_sigaction");
  pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, SIG_IGN);
    *(volatile char *)(m + 2 * PG) = 1;
    _exit(0);
  }
  EQ("ignored_segv_kills", fate(pid), 100 + SIGSEGV);
  pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);
    *(volatile char *)(m + 2 * PG) = 1;
    _exit(0);
  }
  EQ("default_segv_kills", fate(pid), 100 + SIGSEGV);
  pid = fork();
  if (pid == 0) {
    signal(SIGFPE, SIG_DFL);
    volatile int a = 1;
    a = a / zero;
    _exit(0);
  }
  EQ("default_fpe_kills", fate(pid), 100 + SIGFPE);
  /* A fault inside the SIGSEGV handler, with SIGSEGV blocked there: the process dies. */
  pid = fork();
  if (pid == 0) {
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_sigaction = fix; /* fix_page is NULL in the child: mprotect fails and the store faults again */
    a.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &a, NULL);
    fix_page = NULL;
    *(volatile char *)(m + 2 * PG) = 1;
    _exit(0);
  }
  /* The handler returns, the store faults again, forever: kill it after a moment and see it still alive. */
  usleep(100000);
  EQ("refault_loop_alive", syscall(SYS_kill, pid, 0), 0);
  syscall(SYS_kill, pid, SIGKILL);
  EQ("refault_loop_killed", fate(pid), 100 + SIGKILL);
  /* SA_RESETHAND: the second fault takes the default action. */
  pid = fork();
  if (pid == 0) {
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_sigaction = fix;
    a.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGSEGV, &a, NULL);
    fix_page = NULL;
    *(volatile char *)(m + 2 * PG) = 1;
    _exit(0);
  }
  EQ("resethand_second_fault_kills", fate(pid), 100 + SIGSEGV);
  return compat_done();
}
