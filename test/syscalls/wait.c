/*
 * wait4 and waitid: exit codes and termination signals, WNOHANG, WNOWAIT,
 * ECHILD, zombies that stay until reaped, selection by pid, pgid and any,
 * the siginfo waitid fills, and argument errors. Pids are compared, never
 * printed.
 */
#include "lib/compat.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

static long w4(long pid, int *st, int opt) { return syscall(SYS_wait4, pid, st, opt, NULL); }
static long wid(int type, long id, siginfo_t *si, int opt) { return syscall(SYS_waitid, type, id, si, opt, NULL); }

/* A child that exits with code (or kills itself with -code). */
static long child(int code) {
  long pid = syscall(SYS_fork);
  if (pid == 0) {
    if (code < 0) { syscall(SYS_kill, syscall(SYS_getpid), -code); for (;;) pause(); }
    syscall(SYS_exit_group, code);
  }
  return pid;
}

/* A child that blocks until killed. */
static long sleeper(void) {
  long pid = syscall(SYS_fork);
  if (pid == 0) for (;;) pause();
  return pid;
}

/* Waits until pid is a zombie, without reaping it (WNOWAIT). */
static void until_zombie(long pid) {
  siginfo_t si;
  wid(P_PID, pid, &si, WEXITED | WNOWAIT);
}

int main(void) {
  int st;
  siginfo_t si;

  ERR("wait4_no_children", w4(-1, &st, 0), ECHILD);
  ERR("wait4_no_children_wnohang", w4(-1, &st, WNOHANG), ECHILD);
  ERR("waitid_no_children", wid(P_ALL, 0, &si, WEXITED), ECHILD);
  ERR("wait4_not_my_child", w4(1, &st, 0), ECHILD);

  /* ---- exit codes ---- */
  ABOUT("wait4");
  long pid = child(3);
  st = -1;
  FACT("wait4_returns_pid", w4(pid, &st, 0) == pid);
  FACT("wifexited", WIFEXITED(st));
  EQ("wexitstatus", WEXITSTATUS(st), 3);
  SHOW("raw_status_exit_3", "%#x", st);
  pid = child(255);
  w4(pid, &st, 0);
  EQ("wexitstatus_255", WEXITSTATUS(st), 255);
  pid = child(256 + 7);
  w4(pid, &st, 0);
  EQ("exit_code_truncated_to_8_bits", WEXITSTATUS(st), 7);
  pid = child(-SIGTERM);
  w4(pid, &st, 0);
  FACT("wifsignaled", WIFSIGNALED(st));
  EQ("wtermsig", WTERMSIG(st), SIGTERM);
  FACT("no_core_for_sigterm", !WCOREDUMP(st));
  SHOW("raw_status_sigterm", "%#x", st);
  pid = child(-SIGKILL);
  w4(pid, &st, 0);
  EQ("wtermsig_kill", WTERMSIG(st), SIGKILL);
  /* The status pointer may be NULL. */
  pid = child(0);
  FACT("wait4_null_status", w4(pid, NULL, 0) == pid);
  pid = child(0);
  until_zombie(pid);
  ERR("wait4_bad_status_ptr", w4(pid, BAD_PTR, 0), EFAULT);
  /* Linux reaps before it stores the status: the child is gone even though the store failed. */
  ERR("wait4_after_efault_reaped", w4(pid, &st, WNOHANG), ECHILD);
  struct rusage ru;
  pid = child(0);
  FACT("wait4_with_rusage", syscall(SYS_wait4, pid, &st, 0, &ru) == pid);
  ERR("wait4_bad_options", w4(-1, &st, 0x10000), EINVAL);
  ERR("wait4_bad_options_with_child", (pid = child(0), w4(pid, &st, 0x10000)), EINVAL);
  w4(pid, &st, 0);

  /* ---- WNOHANG: 0 while the child runs ---- */
  pid = sleeper();
  EQ("wnohang_running", w4(pid, &st, WNOHANG), 0);
  EQ("wnohang_any_running", w4(-1, &st, WNOHANG), 0);
  syscall(SYS_kill, pid, SIGKILL);
  FACT("reap_after_kill", w4(pid, &st, 0) == pid && WTERMSIG(st) == SIGKILL);

  /* ---- zombies stay until reaped, and only once ---- */
  pid = child(5);
  until_zombie(pid);
  EQ("zombie_kill_0_works", syscall(SYS_kill, pid, 0), 0);
  FACT("zombie_reaped", w4(pid, &st, WNOHANG) == pid && WEXITSTATUS(st) == 5);
  ERR("reaped_twice", w4(pid, &st, 0), ECHILD);
  ERR("kill_reaped", syscall(SYS_kill, pid, 0), ESRCH);

  /* ---- several children: any, by pid, in any order ---- */
  long a = child(11), b = child(12), c = child(13);
  FACT("wait_specific_last", w4(c, &st, 0) == c && WEXITSTATUS(st) == 13);
  int sum = 0, n = 0;
  for (int i = 0; i < 2; i++) {
    long r = w4(-1, &st, 0);
    if (r == a || r == b) { sum += WEXITSTATUS(st); n++; }
  }
  FACT("wait_any_gets_the_rest", n == 2 && sum == 23);
  ERR("none_left", w4(-1, &st, 0), ECHILD);

  /* ---- process groups: 0 (mine) and -pgid ---- */
  ABOUT("wait4");
  pid = syscall(SYS_fork);
  if (pid == 0) { syscall(SYS_setpgid, 0, 0); syscall(SYS_exit_group, 21); }
  until_zombie(pid);
  ERR("wait_my_group_skips_other_group", w4(0, &st, WNOHANG), ECHILD);
  FACT("wait_by_pgid", w4(-pid, &st, 0) == pid && WEXITSTATUS(st) == 21);
  pid = child(22);
  FACT("wait_my_group", w4(0, &st, 0) == pid && WEXITSTATUS(st) == 22);

  /* ---- waitid ---- */
  ABOUT("waitid");
  pid = child(7);
  memset(&si, 0xff, sizeof si);
  EQ("waitid_exited", wid(P_PID, pid, &si, WEXITED), 0);
  EQ("waitid_si_signo", si.si_signo, SIGCHLD);
  EQ("waitid_si_code", si.si_code, CLD_EXITED);
  EQ("waitid_si_status", si.si_status, 7);
  FACT("waitid_si_pid", si.si_pid == pid);
  FACT("waitid_si_uid", si.si_uid == getuid());
  EQ("waitid_si_errno", si.si_errno, 0);
  pid = child(-SIGTERM);
  wid(P_PID, pid, &si, WEXITED);
  EQ("waitid_killed_code", si.si_code, CLD_KILLED);
  EQ("waitid_killed_status", si.si_status, SIGTERM);
  /* WNOWAIT leaves the zombie. */
  pid = child(8);
  wid(P_PID, pid, &si, WEXITED | WNOWAIT);
  EQ("wnowait_status", si.si_status, 8);
  memset(&si, 0, sizeof si);
  EQ("wnowait_again", wid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
  FACT("wnowait_again_same", si.si_pid == pid && si.si_status == 8);
  EQ("after_wnowait_reap", wid(P_PID, pid, &si, WEXITED), 0);
  ERR("after_wnowait_gone", wid(P_PID, pid, &si, WEXITED), ECHILD);
  /* WNOHANG with nothing to report: 0 and si_pid cleared. */
  pid = sleeper();
  memset(&si, 0xff, sizeof si);
  EQ("waitid_wnohang_running", wid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
  EQ("waitid_wnohang_si_pid_zero", si.si_pid, 0);
  EQ("waitid_wnohang_si_signo_zero", si.si_signo, 0);
  syscall(SYS_kill, pid, SIGKILL);
  wid(P_PID, pid, &si, WEXITED);
  ERR("waitid_no_options", wid(P_ALL, 0, &si, 0), EINVAL);
  ERR("waitid_only_wnohang", wid(P_ALL, 0, &si, WNOHANG), EINVAL);
  ERR("waitid_bad_type", wid(42, 0, &si, WEXITED), EINVAL);
  ERR("waitid_bad_options_bit", wid(P_ALL, 0, &si, WEXITED | 0x10000), EINVAL);
  ERR("waitid_p_pid_negative", wid(P_PID, -1, &si, WEXITED), EINVAL);
  ERR("waitid_p_pgid_negative", wid(P_PGID, -1, &si, WEXITED), EINVAL);
  ERR("waitid_p_pid_zero", wid(P_PID, 0, &si, WEXITED), EINVAL);
  pid = child(9);
  FACT("waitid_p_all", wid(P_ALL, 0, &si, WEXITED) == 0 && si.si_pid == pid && si.si_status == 9);
  pid = child(10);
  FACT("waitid_p_pgid_0_mine", wid(P_PGID, 0, &si, WEXITED) == 0 && si.si_pid == pid);
  pid = child(0);
  until_zombie(pid);
  ERR("waitid_bad_infop", wid(P_PID, pid, BAD_PTR, WEXITED), EFAULT);
  /* A NULL infop is allowed. */
  pid = child(0);
  EQ("waitid_null_infop", wid(P_PID, pid, NULL, WEXITED), 0);
  ERR("waitid_stopped_only_none", wid(P_ALL, 0, &si, WSTOPPED | WNOHANG), ECHILD);

  /* ---- stopped and continued children ---- */
  ABOUT("wait4");
  pid = sleeper();
  syscall(SYS_kill, pid, SIGSTOP);
  FACT("wuntraced_stopped", w4(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
  EQ("stop_reported_once", w4(pid, &st, WUNTRACED | WNOHANG), 0);
  syscall(SYS_kill, pid, SIGCONT);
  FACT("wcontinued", w4(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st));
  ABOUT("waitid");
  syscall(SYS_kill, pid, SIGSTOP);
  FACT("waitid_stopped", wid(P_PID, pid, &si, WSTOPPED) == 0 && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP);
  syscall(SYS_kill, pid, SIGCONT);
  FACT("waitid_continued", wid(P_PID, pid, &si, WCONTINUED) == 0 && si.si_code == CLD_CONTINUED && si.si_status == SIGCONT);
  syscall(SYS_kill, pid, SIGKILL);
  FACT("killed_after_continue", w4(pid, &st, 0) == pid && WTERMSIG(st) == SIGKILL);

  /* ---- SIGCHLD ignored: children are reaped at once, wait reports ECHILD ---- */
  ABOUT("wait4");
  signal(SIGCHLD, SIG_IGN);
  pid = child(1);
  ERR("sigchld_ignored_autoreap", w4(pid, &st, 0), ECHILD);
  signal(SIGCHLD, SIG_DFL);

  /*
   * A core-action signal in a process that may not dump (PR_SET_DUMPABLE 0,
   * whatever RLIMIT_CORE and core_pattern say): killed, no core flag in the
   * status, CLD_KILLED for waitid. bash printed "(core dumped)" after a
   * SIGXFSZ death in the sandbox, which writes no core file.
   */
  ABOUT("wait4");
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    raise(SIGQUIT);
    _exit(0);
  }
  FACT("core_signal_killed", w4(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGQUIT);
  EQ("core_flag_without_dump", WCOREDUMP(st) ? 1 : 0, 0);
  ABOUT("waitid");
  pid = fork();
  if (pid == 0) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    raise(SIGABRT);
    _exit(0);
  }
  FACT("core_signal_waitid_killed", wid(P_PID, pid, &si, WEXITED) == 0 && si.si_code == CLD_KILLED && si.si_status == SIGABRT);
  return compat_done();
}
