/*
 * Signals: rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigsuspend,
 * rt_sigtimedwait, sigaltstack, kill, tgkill, tkill, rt_sigqueueinfo and
 * rt_tgsigqueueinfo: argument errors, delivery order, SA_SIGINFO fields,
 * SA_RESETHAND, SA_NODEFER, the mask during a handler, SA_RESTART against
 * EINTR, handlers on the alternate stack. Pids are compared, never printed.
 */
#include "lib/compat.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define KSIGSET 8 /* the kernel's sigset size */

struct ksigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  unsigned long mask;
};

static volatile int hits, last_sig, order[8], norder, nested_blocked, info_ok, on_alt;
static volatile siginfo_t last_info;
static volatile char *alt_lo, *alt_hi;

static void count(int s) { hits++; last_sig = s; }
static void record(int s) { if (norder < 8) order[norder++] = s; }
static void with_info(int s, siginfo_t *si, void *uc) {
  (void)uc;
  hits++;
  last_sig = s;
  memcpy((void *)&last_info, si, sizeof *si);
}
static void check_mask(int s) {
  sigset_t m;
  (void)s;
  sigprocmask(SIG_BLOCK, NULL, &m);
  nested_blocked = sigismember(&m, SIGUSR1) * 1 + sigismember(&m, SIGUSR2) * 2;
}
static void where(int s) {
  char here;
  (void)s;
  on_alt = &here >= alt_lo && &here < alt_hi;
}

static long sa(int sig, const struct ksigaction *act, struct ksigaction *old) {
  return syscall(SYS_rt_sigaction, sig, act, old, KSIGSET);
}

static void handle(int sig, void (*fn)(int), int flags) {
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_handler = fn;
  a.sa_flags = flags;
  sigaction(sig, &a, NULL);
}

static long self_tid(void) { return syscall(SYS_gettid); }

int main(void) {
  long me = syscall(SYS_getpid);
  struct ksigaction ka, old;
  sigset_t set, oldset;

  /* ---- rt_sigaction ---- */
  ABOUT("rt_sigaction");
  memset(&ka, 0, sizeof ka);
  EQ("sigaction_query", sa(SIGUSR1, NULL, &old), 0);
  FACT("default_disposition", old.handler == SIG_DFL);
  ERR("sigaction_kill", sa(SIGKILL, &ka, NULL), EINVAL);
  ERR("sigaction_stop", sa(SIGSTOP, &ka, NULL), EINVAL);
  EQ("sigaction_query_kill", sa(SIGKILL, NULL, &old), 0);
  ERR("sigaction_zero", sa(0, &ka, NULL), EINVAL);
  ERR("sigaction_65", sa(65, &ka, NULL), EINVAL);
  ERR("sigaction_bad_size", syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 4), EINVAL);
  ERR("sigaction_efault_act", sa(SIGUSR1, BAD_PTR, NULL), EFAULT);
  ERR("sigaction_efault_old", sa(SIGUSR1, NULL, BAD_PTR), EFAULT);
  EQ("sigaction_64", sa(64, NULL, &old), 0);
  ka.handler = (void *)count;
  ka.flags = 0x04000000 /* SA_RESTORER */ | SA_RESTART;
  ka.mask = ~0UL;
  EQ("sigaction_set", sa(SIGUSR1, &ka, NULL), 0);
  memset(&old, 0, sizeof old);
  sa(SIGUSR1, NULL, &old);
  FACT("sigaction_handler_kept", old.handler == (void *)count);
  /* SIGKILL and SIGSTOP cannot be in sa_mask: Linux drops them. */
  EQ("sigaction_mask_drops_kill_stop", old.mask & ((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1))), 0);
  FACT("sigaction_flags_kept", (old.flags & SA_RESTART) != 0);
  signal(SIGUSR1, SIG_DFL);

  /* ---- rt_sigprocmask ---- */
  ABOUT("rt_sigprocmask");
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  EQ("sigprocmask_block", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &oldset, KSIGSET), 0);
  sigprocmask(SIG_BLOCK, NULL, &oldset);
  FACT("sigprocmask_blocked", sigismember(&oldset, SIGUSR1));
  ERR("sigprocmask_bad_how", syscall(SYS_rt_sigprocmask, 3, &set, NULL, KSIGSET), EINVAL);
  ERR("sigprocmask_bad_size", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
  ERR("sigprocmask_efault", syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD_PTR, NULL, KSIGSET), EFAULT);
  ERR("sigprocmask_efault_old", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, BAD_PTR, KSIGSET), EFAULT);
  EQ("sigprocmask_bad_how_null_set", syscall(SYS_rt_sigprocmask, 3, NULL, &oldset, KSIGSET), 0);
  unsigned long all = ~0UL, cur = 0;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, KSIGSET);
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, KSIGSET);
  EQ("cannot_block_kill_stop", cur & ((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1))), 0);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, KSIGSET);

  /* ---- pending, delivery on unblock ---- */
  ABOUT("rt_sigpending");
  handle(SIGUSR1, count, 0);
  hits = 0;
  syscall(SYS_kill, me, SIGUSR1);
  syscall(SYS_kill, me, SIGUSR1); /* a standard signal pends once */
  EQ("blocked_not_delivered", hits, 0);
  unsigned long pend = 0;
  EQ("sigpending", syscall(SYS_rt_sigpending, &pend, KSIGSET), 0);
  FACT("sigpending_has_usr1", pend & (1UL << (SIGUSR1 - 1)));
  ERR("sigpending_efault", syscall(SYS_rt_sigpending, BAD_PTR, KSIGSET), EFAULT);
  ERR("sigpending_bad_size", syscall(SYS_rt_sigpending, &pend, 16), EINVAL);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  EQ("standard_signal_coalesced", hits, 1);
  /* Real-time signals queue, and come lowest number first; standard before real-time. */
  ABOUT("kill");
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN + 1);
  sigaddset(&rt, SIGRTMIN + 3);
  sigaddset(&rt, SIGUSR2);
  sigprocmask(SIG_BLOCK, &rt, NULL);
  handle(SIGRTMIN + 1, record, 0);
  handle(SIGRTMIN + 3, record, 0);
  handle(SIGUSR2, record, 0);
  norder = 0;
  syscall(SYS_kill, me, SIGRTMIN + 3);
  syscall(SYS_kill, me, SIGRTMIN + 1);
  syscall(SYS_kill, me, SIGRTMIN + 3);
  syscall(SYS_kill, me, SIGUSR2);
  sigprocmask(SIG_UNBLOCK, &rt, NULL);
  EQ("rt_queued_count", norder, 4);
  SHOW("delivery_order", "%d %d %d %d", order[0], order[1] - SIGRTMIN, order[2] - SIGRTMIN, order[3] - SIGRTMIN);

  /* ---- SA_SIGINFO fields ---- */
  ABOUT("rt_sigaction");
  struct sigaction si_act;
  memset(&si_act, 0, sizeof si_act);
  si_act.sa_sigaction = with_info;
  si_act.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &si_act, NULL);
  syscall(SYS_kill, me, SIGUSR2);
  EQ("kill_si_signo", last_info.si_signo, SIGUSR2);
  EQ("kill_si_code", last_info.si_code, SI_USER);
  FACT("kill_si_pid", last_info.si_pid == me);
  FACT("kill_si_uid", last_info.si_uid == getuid());
  syscall(SYS_tgkill, me, self_tid(), SIGUSR2);
  EQ("tgkill_si_code", last_info.si_code, SI_TKILL);
  siginfo_t qi;
  memset(&qi, 0, sizeof qi);
  qi.si_signo = SIGUSR2;
  qi.si_code = SI_QUEUE;
  qi.si_pid = me;
  qi.si_uid = getuid();
  qi.si_value.sival_int = 4242;
  ABOUT("rt_sigqueueinfo");
  EQ("sigqueueinfo", syscall(SYS_rt_sigqueueinfo, me, SIGUSR2, &qi), 0);
  FACT("sigqueue_si_code", last_info.si_code == SI_QUEUE);
  EQ("sigqueue_value", last_info.si_value.sival_int, 4242);
  /* Codes >= 0 (kill's, the kernel's) and SI_TKILL may be forged only for oneself. */
  qi.si_code = SI_USER;
  EQ("sigqueueinfo_si_user_to_self", syscall(SYS_rt_sigqueueinfo, me, SIGUSR2, &qi), 0);
  pid_t other = fork();
  if (other == 0) { for (;;) pause(); }
  ERR("sigqueueinfo_si_user_forged", syscall(SYS_rt_sigqueueinfo, other, SIGUSR2, &qi), EPERM);
  qi.si_code = SI_KERNEL;
  ERR("sigqueueinfo_si_kernel_forged", syscall(SYS_rt_sigqueueinfo, other, SIGUSR2, &qi), EPERM);
  qi.si_code = SI_TKILL;
  ERR("sigqueueinfo_si_tkill_forged", syscall(SYS_rt_sigqueueinfo, other, SIGUSR2, &qi), EPERM);
  qi.si_code = SI_QUEUE;
  syscall(SYS_kill, other, SIGKILL);
  waitpid(other, NULL, 0);
  ERR("sigqueueinfo_efault", syscall(SYS_rt_sigqueueinfo, me, SIGUSR2, BAD_PTR), EFAULT);
  ERR("sigqueueinfo_bad_sig", syscall(SYS_rt_sigqueueinfo, me, 65, &qi), EINVAL);
  ERR("sigqueueinfo_no_process", syscall(SYS_rt_sigqueueinfo, 0x3ffffff0, SIGUSR2, &qi), ESRCH);
  ABOUT("rt_tgsigqueueinfo");
  EQ("tgsigqueueinfo", syscall(SYS_rt_tgsigqueueinfo, me, self_tid(), SIGUSR2, &qi), 0);
  ERR("tgsigqueueinfo_wrong_tgid", syscall(SYS_rt_tgsigqueueinfo, me + 0x3000000, self_tid(), SIGUSR2, &qi), ESRCH);
  ERR("tgsigqueueinfo_bad_tid", syscall(SYS_rt_tgsigqueueinfo, me, 0, SIGUSR2, &qi), EINVAL);

  /* ---- kill, tgkill, tkill errors ---- */
  ABOUT("kill");
  EQ("kill_self_0", syscall(SYS_kill, me, 0), 0);
  ERR("kill_bad_sig", syscall(SYS_kill, me, 65), EINVAL);
  ERR("kill_negative_sig", syscall(SYS_kill, me, -1L), EINVAL);
  ERR("kill_no_process", syscall(SYS_kill, 0x3ffffff0, 0), ESRCH);
  ERR("kill_no_group", syscall(SYS_kill, -0x3ffffff0L, 0), ESRCH);
  EQ("kill_my_group_0", syscall(SYS_kill, 0, 0), 0);
  ABOUT("tgkill");
  EQ("tgkill_self_0", syscall(SYS_tgkill, me, self_tid(), 0), 0);
  ERR("tgkill_bad_tid", syscall(SYS_tgkill, me, 0, 0), EINVAL);
  ERR("tgkill_bad_tgid", syscall(SYS_tgkill, 0, self_tid(), 0), EINVAL);
  ERR("tgkill_wrong_group", syscall(SYS_tgkill, me + 0x3000000, self_tid(), 0), ESRCH);
  ERR("tgkill_bad_sig", syscall(SYS_tgkill, me, self_tid(), 65), EINVAL);
  ABOUT("tkill");
  EQ("tkill_self_0", syscall(SYS_tkill, self_tid(), 0), 0);
  ERR("tkill_bad_tid", syscall(SYS_tkill, 0, 0), EINVAL);
  ERR("tkill_no_thread", syscall(SYS_tkill, 0x3ffffff0, 0), ESRCH);

  /* ---- the mask while a handler runs; SA_NODEFER; SA_RESETHAND ---- */
  ABOUT("rt_sigaction");
  struct sigaction m;
  memset(&m, 0, sizeof m);
  m.sa_handler = check_mask;
  sigemptyset(&m.sa_mask);
  sigaddset(&m.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &m, NULL);
  syscall(SYS_kill, me, SIGUSR1);
  EQ("handler_mask_self_and_sa_mask", nested_blocked, 3);
  m.sa_flags = SA_NODEFER;
  sigaction(SIGUSR1, &m, NULL);
  syscall(SYS_kill, me, SIGUSR1);
  EQ("handler_mask_nodefer", nested_blocked, 2);
  sigprocmask(SIG_BLOCK, NULL, &oldset);
  FACT("mask_restored_after_handler", !sigismember(&oldset, SIGUSR1) && !sigismember(&oldset, SIGUSR2));
  handle(SIGUSR1, count, SA_RESETHAND);
  hits = 0;
  syscall(SYS_kill, me, SIGUSR1);
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  FACT("resethand_ran", hits == 1);
  FACT("resethand_reset", now.sa_handler == SIG_DFL);
  /* Ignoring a pending signal discards it. */
  sigprocmask(SIG_BLOCK, &set, NULL);
  syscall(SYS_kill, me, SIGUSR1);
  signal(SIGUSR1, SIG_IGN);
  sigpending(&oldset);
  FACT("ignore_discards_pending", !sigismember(&oldset, SIGUSR1));
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  signal(SIGUSR1, SIG_DFL);
  /* SIGCHLD, SIGURG, SIGWINCH are ignored by default: kill delivers nothing. */
  EQ("default_ignored_winch", syscall(SYS_kill, me, SIGWINCH), 0);

  /* ---- sigsuspend and sigtimedwait ---- */
  ABOUT("rt_sigsuspend");
  handle(SIGALRM, count, 0);
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  sigprocmask(SIG_BLOCK, &alrm, NULL);
  struct itimerval it = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &it, NULL);
  sigset_t empty;
  sigemptyset(&empty);
  hits = 0;
  ERR("sigsuspend_eintr", syscall(SYS_rt_sigsuspend, &empty, KSIGSET), EINTR);
  EQ("sigsuspend_handler_ran", hits, 1);
  sigprocmask(SIG_BLOCK, NULL, &oldset);
  FACT("sigsuspend_mask_restored", sigismember(&oldset, SIGALRM));
  ERR("sigsuspend_bad_size", syscall(SYS_rt_sigsuspend, &empty, 4), EINVAL);
  ERR("sigsuspend_efault", syscall(SYS_rt_sigsuspend, BAD_PTR, KSIGSET), EFAULT);
  ABOUT("rt_sigtimedwait");
  struct timespec ts = {0, 10000000};
  ERR("sigtimedwait_timeout", syscall(SYS_rt_sigtimedwait, &alrm, NULL, &ts, KSIGSET), EAGAIN);
  syscall(SYS_kill, me, SIGALRM);
  siginfo_t wi;
  EQ("sigtimedwait_takes_pending", syscall(SYS_rt_sigtimedwait, &alrm, &wi, &ts, KSIGSET), SIGALRM);
  EQ("sigtimedwait_info_code", wi.si_code, SI_USER);
  struct timespec badts = {0, 1000000000};
  ERR("sigtimedwait_bad_timespec", syscall(SYS_rt_sigtimedwait, &alrm, NULL, &badts, KSIGSET), EINVAL);
  ERR("sigtimedwait_bad_size", syscall(SYS_rt_sigtimedwait, &alrm, NULL, &ts, 4), EINVAL);
  struct timespec zero = {0, 0};
  ERR("sigtimedwait_poll", syscall(SYS_rt_sigtimedwait, &alrm, NULL, &zero, KSIGSET), EAGAIN);
  sigprocmask(SIG_UNBLOCK, &alrm, NULL);

  /* ---- SA_RESTART against EINTR: a read from a pipe interrupted by SIGALRM ----
   * The writer starts its 150 ms only once the first read is over (the go pipe), so nothing but
   * the signal can end that read; and the timer repeats, so a tick that comes before the read
   * blocks (a loaded machine) is followed by one that interrupts it. A fixed 150 ms from the fork
   * and a single 30 ms tick let both go wrong under load. */
  ABOUT("read");
  int p[2], go[2];
  pipe(p);
  pipe(go);
  pid_t writer = fork();
  if (writer == 0) {
    char g;
    if (read(go[0], &g, 1) != 1) _exit(1);
    usleep(150000);
    if (write(p[1], "w", 1) < 0) {}
    _exit(0);
  }
  char c;
  handle(SIGALRM, count, 0);
  it.it_value.tv_usec = 30000;
  it.it_interval.tv_usec = 30000;
  setitimer(ITIMER_REAL, &it, NULL);
  ERR("read_eintr_without_restart", syscall(SYS_read, p[0], &c, 1), EINTR);
  it.it_interval.tv_usec = 0;
  handle(SIGALRM, count, SA_RESTART);
  setitimer(ITIMER_REAL, &it, NULL);
  if (write(go[1], "g", 1) < 0) {}
  EQ("read_restarted_with_sa_restart", syscall(SYS_read, p[0], &c, 1), 1);
  waitpid(writer, NULL, 0);

  /* ---- sigaltstack ---- */
  ABOUT("sigaltstack");
  stack_t ss, oss;
  EQ("sigaltstack_query", syscall(SYS_sigaltstack, NULL, &oss), 0);
  EQ("sigaltstack_initially_disabled", oss.ss_flags, SS_DISABLE);
  static char altmem[65536];
  ss.ss_sp = altmem;
  ss.ss_size = 1024;
  ss.ss_flags = 0;
  ERR("sigaltstack_too_small", syscall(SYS_sigaltstack, &ss, NULL), ENOMEM);
  ss.ss_size = sizeof altmem;
  ss.ss_flags = 0x7;
  ERR("sigaltstack_bad_flags", syscall(SYS_sigaltstack, &ss, NULL), EINVAL);
  ss.ss_flags = 0;
  EQ("sigaltstack_set", syscall(SYS_sigaltstack, &ss, NULL), 0);
  syscall(SYS_sigaltstack, NULL, &oss);
  FACT("sigaltstack_readback", oss.ss_sp == altmem && oss.ss_size == sizeof altmem && oss.ss_flags == 0);
  ERR("sigaltstack_efault", syscall(SYS_sigaltstack, BAD_PTR, NULL), EFAULT);
  alt_lo = altmem;
  alt_hi = altmem + sizeof altmem;
  handle(SIGUSR1, where, SA_ONSTACK);
  on_alt = -1;
  syscall(SYS_kill, me, SIGUSR1);
  EQ("handler_on_altstack", on_alt, 1);
  handle(SIGUSR1, where, 0);
  syscall(SYS_kill, me, SIGUSR1);
  EQ("handler_without_onstack", on_alt, 0);
  ss.ss_flags = SS_DISABLE;
  EQ("sigaltstack_disable", syscall(SYS_sigaltstack, &ss, NULL), 0);
  syscall(SYS_sigaltstack, NULL, &oss);
  EQ("sigaltstack_disabled", oss.ss_flags, SS_DISABLE);

  /* ---- default actions, seen from a parent ---- */
  ABOUT("kill");
  int st;
  pid_t pid = fork();
  if (pid == 0) { signal(SIGUSR1, SIG_DFL); syscall(SYS_kill, syscall(SYS_getpid), SIGUSR1); _exit(0); }
  waitpid(pid, &st, 0);
  FACT("default_usr1_terminates", WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1);
  pid = fork();
  if (pid == 0) { syscall(SYS_kill, syscall(SYS_getpid), SIGWINCH); _exit(3); }
  waitpid(pid, &st, 0);
  FACT("default_winch_ignored", WIFEXITED(st) && WEXITSTATUS(st) == 3);
  pid = fork();
  if (pid == 0) { signal(SIGTERM, SIG_IGN); syscall(SYS_kill, syscall(SYS_getpid), SIGTERM); _exit(4); }
  waitpid(pid, &st, 0);
  FACT("ignored_term_survives", WIFEXITED(st) && WEXITSTATUS(st) == 4);
  pid = fork();
  if (pid == 0) { signal(SIGKILL, SIG_IGN); syscall(SYS_kill, syscall(SYS_getpid), SIGKILL); _exit(5); }
  waitpid(pid, &st, 0);
  FACT("kill_cannot_be_ignored", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  return compat_done();
}
