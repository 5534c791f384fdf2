/*
 * The identity getters: user and group ids (root in both runs), their
 * consistency across calls, supplementary groups, and how process and
 * thread ids relate. The ids of processes themselves differ between the
 * runs (the sandbox's init is pid 1) and are never printed.
 */
#include "lib/compat.h"
#include <grp.h>

int main(void) {
  SHOW("uid", "%ld", syscall(SYS_getuid));
  SHOW("euid", "%ld", syscall(SYS_geteuid));
  SHOW("gid", "%ld", syscall(SYS_getgid));
  SHOW("egid", "%ld", syscall(SYS_getegid));
  uid_t r, e, s;
  EQ("getresuid", syscall(SYS_getresuid, &r, &e, &s), 0);
  FACT("getresuid_matches", r == syscall(SYS_getuid) && e == syscall(SYS_geteuid));
  SHOW("suid", "%u", s);
  gid_t gr, ge, gs;
  EQ("getresgid", syscall(SYS_getresgid, &gr, &ge, &gs), 0);
  FACT("getresgid_matches", gr == syscall(SYS_getgid) && ge == syscall(SYS_getegid));
  SHOW("sgid", "%u", gs);
  ERR("getresuid_efault_1", syscall(SYS_getresuid, BAD_PTR, &e, &s), EFAULT);
  ERR("getresuid_efault_3", syscall(SYS_getresuid, &r, &e, BAD_PTR), EFAULT);
  ERR("getresgid_efault_2", syscall(SYS_getresgid, &gr, BAD_PTR, &gs), EFAULT);

  /* Supplementary groups: the count, then the list. */
  long n = syscall(SYS_getgroups, 0, NULL);
  SHOW("ngroups", "%ld", n);
  gid_t groups[64];
  EQ("getgroups_list", syscall(SYS_getgroups, 64, groups), n);
  if (n > 1) ERR("getgroups_too_small", syscall(SYS_getgroups, 1, groups), EINVAL);
  else SHOW("getgroups_too_small", "skipped");
  ERR("getgroups_negative", syscall(SYS_getgroups, -1, groups), EINVAL);
  if (n > 0) ERR("getgroups_efault", syscall(SYS_getgroups, 64, BAD_PTR), EFAULT);
  else SHOW("getgroups_efault", "skipped");

  /* Process and thread ids. */
  long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid), ppid = syscall(SYS_getppid);
  FACT("pid_positive", pid > 0);
  FACT("tid_is_pid", tid == pid);
  FACT("ppid_not_pid", ppid != pid);
  FACT("ppid_nonnegative", ppid >= 0);
  long pgrp = syscall(SYS_getpgrp);
  FACT("getpgid_0_is_getpgrp", syscall(SYS_getpgid, 0) == pgrp);
  FACT("getpgid_self_is_getpgrp", syscall(SYS_getpgid, pid) == pgrp);
  FACT("getsid_0_is_getsid_self", syscall(SYS_getsid, 0) == syscall(SYS_getsid, pid));
  FACT("getsid_positive", syscall(SYS_getsid, 0) > 0);
  ERR("getpgid_no_such_pid", syscall(SYS_getpgid, 0x3fffffff), ESRCH);
  ERR("getsid_no_such_pid", syscall(SYS_getsid, 0x3fffffff), ESRCH);
  ERR("getpgid_negative", syscall(SYS_getpgid, -1), ESRCH);
  return compat_done();
}
