/*
 * getrlimit, setrlimit, prlimit64: set limits first and read them back (the
 * inherited values belong to whoever started the run, so they are only
 * compared, never printed), the rules for raising and lowering, RLIMIT_NOFILE
 * acting on fd allocation, and the errors.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/resource.h>

static long prl(pid_t pid, int res, const struct rlimit *new, struct rlimit *old) {
  return syscall(SYS_prlimit64, pid, res, new, old);
}

int main(void) {
  struct rlimit r, o;

  /* Inherited limits: only facts. */
  for (int res = 0; res < RLIM_NLIMITS; res++) {
    char k[32];
    snprintf(k, sizeof k, "inherited_%d_cur_le_max", res);
    FACT(k, getrlimit(res, &r) == 0 && r.rlim_cur <= r.rlim_max);
  }
  FACT("getrlimit_matches_prlimit", getrlimit(RLIMIT_STACK, &r) == 0 && prl(0, RLIMIT_STACK, NULL, &o) == 0 &&
                                    r.rlim_cur == o.rlim_cur && r.rlim_max == o.rlim_max);

  /* Set and read back. */
  r.rlim_cur = 100;
  r.rlim_max = 200;
  EQ("set_nofile", setrlimit(RLIMIT_NOFILE, &r), 0);
  EQ("get_nofile", getrlimit(RLIMIT_NOFILE, &o), 0);
  SHOW("nofile", "%lu %lu", (unsigned long)o.rlim_cur, (unsigned long)o.rlim_max);
  r.rlim_cur = 150;
  EQ("raise_soft_to_hard", setrlimit(RLIMIT_NOFILE, &r), 0);
  r.rlim_cur = 300;
  ERR("soft_above_hard", setrlimit(RLIMIT_NOFILE, &r), EINVAL);
  /* Lowering the hard limit is always allowed; raising it needs CAP_SYS_RESOURCE,
   * which depends on who runs the suite, so it is not tested. */
  r.rlim_cur = 100;
  r.rlim_max = 180;
  EQ("lower_hard", setrlimit(RLIMIT_NOFILE, &r), 0);
  r.rlim_cur = r.rlim_max = (1 << 20) + 1;
  ERR("nofile_above_nr_open", setrlimit(RLIMIT_NOFILE, &r), EPERM);
  r.rlim_cur = 5000;
  r.rlim_max = 6000;
  EQ("set_cpu", setrlimit(RLIMIT_CPU, &r), 0);
  EQ("get_cpu", getrlimit(RLIMIT_CPU, &o), 0);
  SHOW("cpu", "%lu %lu", (unsigned long)o.rlim_cur, (unsigned long)o.rlim_max);
  r.rlim_cur = RLIM_INFINITY;
  r.rlim_max = RLIM_INFINITY;
  EQ("set_core_infinity", setrlimit(RLIMIT_CORE, &r), 0);
  EQ("get_core", getrlimit(RLIMIT_CORE, &o), 0);
  FACT("core_infinity", o.rlim_cur == RLIM_INFINITY && o.rlim_max == RLIM_INFINITY);

  /* prlimit64: old and new at once, for self by 0 or by pid. */
  struct rlimit n = {64, 180};
  EQ("prlimit_swap", prl(0, RLIMIT_NOFILE, &n, &o), 0);
  SHOW("prlimit_old", "%lu %lu", (unsigned long)o.rlim_cur, (unsigned long)o.rlim_max);
  EQ("prlimit_self_pid", prl(getpid(), RLIMIT_NOFILE, NULL, &o), 0);
  SHOW("prlimit_new", "%lu %lu", (unsigned long)o.rlim_cur, (unsigned long)o.rlim_max);
  EQ("prlimit_neither", prl(0, RLIMIT_NOFILE, NULL, NULL), 0);
  ERR("prlimit_no_such_pid", prl(0x3fffffff, RLIMIT_NOFILE, NULL, &o), ESRCH);
  ERR("prlimit_bad_resource", prl(0, RLIM_NLIMITS, NULL, &o), EINVAL);
  ERR("prlimit_efault_old", prl(0, RLIMIT_NOFILE, NULL, BAD_PTR), EFAULT);
  ERR("prlimit_efault_new", prl(0, RLIMIT_NOFILE, BAD_PTR, NULL), EFAULT);

  /* Errors of the old calls. */
  ERR("getrlimit_bad_resource", syscall(SYS_getrlimit, RLIM_NLIMITS, &o), EINVAL);
  ERR("getrlimit_negative_resource", syscall(SYS_getrlimit, -1, &o), EINVAL);
  ERR("getrlimit_efault", syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD_PTR), EFAULT);
  ERR("setrlimit_bad_resource", syscall(SYS_setrlimit, RLIM_NLIMITS, &r), EINVAL);
  ERR("setrlimit_efault", syscall(SYS_setrlimit, RLIMIT_NOFILE, BAD_PTR), EFAULT);

  /* RLIMIT_NOFILE governs fd numbers: the lowest free fd must be below it. */
  struct rlimit small = {8, 8};
  EQ("set_nofile_8", setrlimit(RLIMIT_NOFILE, &small), 0);
  int last = -1, fd;
  while ((fd = open("small.txt", O_RDONLY)) >= 0) last = fd;
  EQ("last_fd_below_limit", last, 7);
  ERR("open_emfile", open("small.txt", O_RDONLY), EMFILE);
  ERR("dup_emfile", dup(0), EMFILE);
  ERR("dup2_at_limit", dup2(0, 8), EBADF);
  ERR("fcntl_dupfd_at_limit", fcntl(0, F_DUPFD, 8), EINVAL);
  /* Lowering the limit below open fds keeps them open. */
  struct rlimit tiny = {4, 8};
  EQ("set_nofile_below_open_fds", setrlimit(RLIMIT_NOFILE, &tiny), 0);
  EQ("fd_7_still_open", fcntl(7, F_GETFD), 0);
  ERR("dup_after_lowering", dup(0), EMFILE);
  return compat_done();
}
