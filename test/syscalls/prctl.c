/*
 * prctl: PR_SET_NAME/PR_GET_NAME (truncation to 15 bytes, per thread),
 * PR_SET_PDEATHSIG/PR_GET_PDEATHSIG (and its reset across fork),
 * PR_SET_NO_NEW_PRIVS/PR_GET_NO_NEW_PRIVS (one-way, inherited),
 * PR_SET_DUMPABLE/PR_GET_DUMPABLE, and argument errors.
 */
#include "lib/compat.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static long pr(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d) {
  return syscall(SYS_prctl, op, a, b, c, d);
}

static int child_status(pid_t pid) {
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

int main(void) {
  char name[32];

  /* ---- names ---- */
  ABOUT("prctl");
  EQ("set_name", pr(PR_SET_NAME, (unsigned long)"compat-name", 0, 0, 0), 0);
  memset(name, 'x', sizeof name);
  EQ("get_name", pr(PR_GET_NAME, (unsigned long)name, 0, 0, 0), 0);
  SHOW("name", "%s", name);
  EQ("set_long_name", pr(PR_SET_NAME, (unsigned long)"0123456789abcdefghij", 0, 0, 0), 0);
  memset(name, 'x', sizeof name);
  pr(PR_GET_NAME, (unsigned long)name, 0, 0, 0);
  SHOW("long_name_truncated", "%s", name);
  EQ("name_nul_at_15", name[15], 0);
  EQ("set_empty_name", pr(PR_SET_NAME, (unsigned long)"", 0, 0, 0), 0);
  pr(PR_GET_NAME, (unsigned long)name, 0, 0, 0);
  EQ("empty_name_len", (long)strlen(name), 0);
  ERR("set_name_efault", pr(PR_SET_NAME, (unsigned long)BAD_PTR, 0, 0, 0), EFAULT);
  ERR("get_name_efault", pr(PR_GET_NAME, (unsigned long)BAD_PTR, 0, 0, 0), EFAULT);
  pr(PR_SET_NAME, (unsigned long)"parent", 0, 0, 0);
  pid_t pid = fork();
  if (pid == 0) {
    char n[16];
    pr(PR_GET_NAME, (unsigned long)n, 0, 0, 0);
    syscall(SYS_exit_group, strcmp(n, "parent") == 0 ? 0 : 1);
  }
  EQ("name_inherited_by_fork", child_status(pid), 0);

  /* ---- pdeathsig ---- */
  int sig = -1;
  EQ("get_pdeathsig_default", pr(PR_GET_PDEATHSIG, (unsigned long)&sig, 0, 0, 0), 0);
  EQ("pdeathsig_default_zero", sig, 0);
  EQ("set_pdeathsig", pr(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0), 0);
  pr(PR_GET_PDEATHSIG, (unsigned long)&sig, 0, 0, 0);
  EQ("pdeathsig_read_back", sig, SIGUSR1);
  ERR("set_pdeathsig_bad_signal", pr(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL);
  ERR("get_pdeathsig_efault", pr(PR_GET_PDEATHSIG, (unsigned long)BAD_PTR, 0, 0, 0), EFAULT);
  pid = fork();
  if (pid == 0) {
    int s = -1;
    pr(PR_GET_PDEATHSIG, (unsigned long)&s, 0, 0, 0);
    syscall(SYS_exit_group, s == 0 ? 0 : 1);
  }
  EQ("pdeathsig_cleared_in_child", child_status(pid), 0);
  pr(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  /* The signal comes when the parent dies: a middle process exits, its child gets SIGUSR2. */
  int p[2];
  pipe(p);
  pid = fork();
  if (pid == 0) {
    pid_t c = fork();
    if (c == 0) {
      close(p[0]);
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGUSR2);
      sigprocmask(SIG_BLOCK, &s, NULL);
      pr(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
      if (write(p[1], "r", 1) < 0) {}
      int got = 0;
      struct timespec ts = {1, 0};
      got = sigtimedwait(&s, NULL, &ts);
      char r = got == SIGUSR2 ? 'y' : 'n';
      if (write(p[1], &r, 1) < 0) {}
      _exit(0);
    }
    char c0;
    close(p[1]);
    if (read(p[0], &c0, 1) < 0) {} /* the grandchild is ready */
    _exit(0);
  }
  close(p[1]);
  waitpid(pid, NULL, 0);
  char verdict = '?'; /* the middle process took the "ready" byte */
  if (read(p[0], &verdict, 1) < 0) {}
  close(p[0]);
  SHOW("pdeathsig_delivered", "%c", verdict);

  /* ---- dumpable ---- */
  EQ("get_dumpable", pr(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
  EQ("set_dumpable_0", pr(PR_SET_DUMPABLE, 0, 0, 0, 0), 0);
  EQ("get_dumpable_0", pr(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  ERR("set_dumpable_2", pr(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL);
  EQ("set_dumpable_1", pr(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);

  /* ---- no_new_privs: one way, inherited ---- */
  EQ("get_nnp_default", pr(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
  ERR("set_nnp_bad_args", pr(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL);
  ERR("set_nnp_zero", pr(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
  ERR("get_nnp_bad_args", pr(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
  pid = fork();
  if (pid == 0) {
    if (pr(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) syscall(SYS_exit_group, 1);
    if (pr(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) syscall(SYS_exit_group, 2);
    pid_t g = fork();
    if (g == 0) syscall(SYS_exit_group, (int)pr(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 3);
    syscall(SYS_exit_group, child_status(g));
  }
  EQ("nnp_set_and_inherited", child_status(pid), 0);
  EQ("nnp_parent_unchanged", pr(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);

  /* ---- unknown options ---- */
  ERR("unknown_option", pr(0x7fff, 0, 0, 0, 0), EINVAL);
  ERR("option_zero", pr(0, 0, 0, 0, 0), EINVAL);
  return compat_done();
}
