/*
 * prctl(PR_SET_CHILD_SUBREAPER) and PR_SET_PDEATHSIG: orphans are adopted
 * by the nearest subreaper, and a child asking for a parent-death signal
 * gets it when its parent exits.
 */
#include "lib/compat.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

int main(void) {
  int v = -1;
  EQ("get_subreaper_initial", prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0), 0);
  EQ("subreaper_initial", v, 0);
  EQ("set_subreaper", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  EQ("get_subreaper", prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0), 0);
  EQ("subreaper_set", v, 1);
  ERR("get_subreaper_efault", prctl(PR_GET_CHILD_SUBREAPER, BAD_PTR, 0, 0, 0), EFAULT);
  ERR("pdeathsig_bad", prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL);
  EQ("pdeathsig_set", prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0), 0);
  EQ("pdeathsig_get", prctl(PR_GET_PDEATHSIG, &v, 0, 0, 0), 0);
  EQ("pdeathsig_value", v, SIGUSR2);

  /* An orphaned grandchild is adopted by this subreaper. */
  int ready[2], report[2];
  if (pipe(ready) != 0 || pipe(report) != 0) return 1;
  pid_t middle = fork();
  if (middle == 0) {
    int pd = -1;
    prctl(PR_GET_PDEATHSIG, &pd, 0, 0, 0);
    pid_t g = fork();
    if (g == 0) {
      char c;
      /* Wait until the middle process has gone, then tell who the parent is now. */
      read(ready[0], &c, 1);
      while (getppid() != getpgid(0) && getppid() == getpgid(0)) { /* never */ }
      pid_t pp = getppid();
      write(report[1], &pp, sizeof pp);
      _exit(7);
    }
    _exit(pd == 0 ? 0 : 1); /* fork clears the parent-death signal */
  }
  int st;
  waitpid(middle, &st, 0);
  FACT("fork_clears_pdeathsig", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  write(ready[1], "x", 1);
  pid_t pp = 0;
  read(report[0], &pp, sizeof pp);
  FACT("orphan_adopted_by_subreaper", pp == getpid());
  pid_t reaped = wait(&st);
  FACT("subreaper_reaps_orphan", reaped > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7);

  /* A parent-death signal reaches the child when its parent exits. */
  pid_t parent = fork();
  if (parent == 0) {
    int armed[2];
    if (pipe(armed) != 0) _exit(1);
    pid_t c = fork();
    if (c == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      write(armed[1], "x", 1);
      for (;;) pause();
    }
    char x;
    read(armed[0], &x, 1);
    _exit(0);
  }
  waitpid(parent, &st, 0);
  pid_t orphan = wait(&st);
  FACT("pdeathsig_child_reaped", orphan > 0);
  FACT("pdeathsig_killed_child", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  ERR("no_more_children", wait(&st), ECHILD);
  return compat_done();
}
