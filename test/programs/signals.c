// Signal delivery as Linux does it: fault handlers with siglongjmp,
// EINTR and SA_RESTART around a blocking read, the alternate stack,
// masks, sigsuspend, kill to self and to a child, SIGCHLD.
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile sig_atomic_t got;
static volatile uintptr_t fault_addr;
static volatile int fault_code;
static volatile uintptr_t handler_sp;

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got = sig;
  fault_addr = (uintptr_t)si->si_addr;
  fault_code = si->si_code;
  siglongjmp(jb, 1);
}

static void on_alrm(int sig) { got = sig; }

static void on_usr1(int sig) {
  int local;
  got = sig;
  handler_sp = (uintptr_t)&local;
}

static void segv_test(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  if (sigsetjmp(jb, 1) == 0) {
    *(volatile int *)0x10 = 1;
    puts("segv_not_raised");
  } else {
    printf("segv_caught=%d addr=0x%lx code=%s\n", got, (unsigned long)fault_addr, fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other");
  }
  // A second time: the mask was restored by siglongjmp.
  got = 0;
  if (sigsetjmp(jb, 1) == 0) *(volatile int *)0x20 = 1;
  printf("segv_again=%d\n", got);
  signal(SIGSEGV, SIG_DFL);
}

static void eintr_test(int restart) {
  int p[2];
  char c;
  struct sigaction sa = {0};
  sa.sa_handler = on_alrm;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGALRM, &sa, NULL);
  pipe(p);
  got = 0;
  if (restart) {
    // With SA_RESTART the read goes on after the handler; a child writes later.
    pid_t pid = fork();
    if (pid == 0) {
      usleep(300000);
      write(p[1], "x", 1);
      _exit(0);
    }
    struct itimerval it = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, NULL);
    ssize_t n = read(p[0], &c, 1);
    printf("restart_read=%zd handler_ran=%d char=%c\n", n, got == SIGALRM, n == 1 ? c : '?');
    waitpid(pid, NULL, 0);
  } else {
    alarm(1);
    ssize_t n = read(p[0], &c, 1);
    printf("eintr_read=%zd errno=%s handler_ran=%d\n", n, n < 0 ? strerrorname_np(errno) : "0", got == SIGALRM);
  }
  close(p[0]);
  close(p[1]);
}

static void altstack_test(void) {
  static char stack[65536];
  stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  got = 0;
  raise(SIGUSR1);
  int on = handler_sp >= (uintptr_t)stack && handler_sp < (uintptr_t)stack + sizeof stack;
  printf("altstack_handler=%d on_altstack=%d\n", got == SIGUSR1, on);
}

static void mask_test(void) {
  sigset_t set, old, pend;
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR2, &sa, NULL);
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, &old);
  got = 0;
  kill(getpid(), SIGUSR2);
  sigpending(&pend);
  printf("blocked_pending=%d ran_while_blocked=%d\n", sigismember(&pend, SIGUSR2), got != 0);
  // sigsuspend with SIGUSR2 unblocked: it runs, then sigsuspend returns EINTR.
  sigset_t none;
  sigemptyset(&none);
  int r = sigsuspend(&none);
  printf("sigsuspend=%d errno=%s ran=%d\n", r, strerrorname_np(errno), got == SIGUSR1 || got == SIGUSR2);
  sigprocmask(SIG_SETMASK, &old, NULL);
}

static volatile sig_atomic_t chld;
static void on_chld(int sig) { (void)sig; chld++; }

static void child_test(void) {
  signal(SIGCHLD, on_chld);
  pid_t pid = fork();
  if (pid == 0) { pause(); _exit(0); }
  usleep(100000);
  kill(pid, SIGTERM);
  int st;
  waitpid(pid, &st, 0);
  printf("child_killed=%d sig=%d sigchld=%d\n", WIFSIGNALED(st), WTERMSIG(st), chld > 0);
  // Stop and continue, seen through WUNTRACED and WCONTINUED.
  pid = fork();
  if (pid == 0) { for (;;) pause(); }
  kill(pid, SIGSTOP);
  waitpid(pid, &st, WUNTRACED);
  printf("stopped=%d stopsig=%d\n", WIFSTOPPED(st), WSTOPSIG(st));
  kill(pid, SIGCONT);
  waitpid(pid, &st, WCONTINUED);
  printf("continued=%d\n", WIFCONTINUED(st));
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  printf("sigkilled=%d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  signal(SIGCHLD, SIG_DFL);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  segv_test();
  eintr_test(0);
  eintr_test(1);
  altstack_test();
  mask_test();
  child_test();
  puts("done");
  return 0;
}
